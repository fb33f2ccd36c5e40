"""The registry half of the embedded stack, and how a start-up failure is reported.

The token server half needs a docker_auth image, which the acceptance run (the matrix)
exercises; these tests need only the local registry images.
"""

import stat

import pytest
import requests

from harness.challenge import parse_bearer_challenge
from harness.errors import ContainerStartError
from harness.images import LOCAL_REGISTRY_IMAGE, REGISTRY_VERSIONS
from harness.leftovers import RUN_LABEL
from harness.stack import SERVICE, EmbeddedStack, StackSettings

REALM = "https://localhost:5999/auth"


def _stack(version: str, run_id: str, **overrides) -> EmbeddedStack:
    settings = StackSettings(
        docker_auth_image="unused",
        registry_image=LOCAL_REGISTRY_IMAGE.format(version=version),
        registry_version=version,
        startup_timeout=30,
        **overrides,
    )
    return EmbeddedStack(settings, {"alice": "s3cret-alice"}, [], run_id)


@pytest.mark.parametrize("version", REGISTRY_VERSIONS)
def test_registry_asks_for_tokens_from_the_realm_on_loopback_only(
    engine, version, run_id
):
    stack = _stack(version, run_id)
    try:
        stack.write_server_files()
        port = stack.start_registry(REALM)
        response = requests.get(f"http://localhost:{port}/v2/", timeout=5)
        challenge = parse_bearer_challenge(response.headers["WWW-Authenticate"])
        assert response.status_code == 401
        assert challenge is not None
        assert (challenge.realm, challenge.service) == (REALM, SERVICE)

        (container,) = engine.containers.list(
            filters={"label": f"{RUN_LABEL}={run_id}"}
        )
        bindings = container.attrs["NetworkSettings"]["Ports"]["5000/tcp"]
        assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}
    finally:
        stack.stop()


def test_server_files_are_private_and_removed_with_the_stack(run_id):
    stack = _stack("3.0.0", run_id)
    identity = stack.write_server_files()
    workdir = identity.key.parent.parent
    config = workdir / "config" / "auth_config.yml"
    assert stat.S_IMODE(identity.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "s3cret-alice" not in config.read_text()
    stack.stop()
    assert not workdir.exists()


def test_container_that_stops_fails_with_its_last_log_lines(engine, run_id):
    # An unknown storage driver makes the registry exit at start.
    stack = _stack(
        "3.0.0", run_id, registry_environment={"REGISTRY_STORAGE": "no-such-driver"}
    )
    try:
        stack.write_server_files()
        with pytest.raises(ContainerStartError) as caught:
            stack.start_registry(REALM)
    finally:
        stack.stop()
    message = str(caught.value)
    assert "did not come up" in message and "it stopped (exit code" in message
    assert "no-such-driver" in message  # a line of the registry's own log
    assert (
        engine.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
        == []
    )

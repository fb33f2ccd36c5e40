"""The docker CLI client on the real Engine, with a registry that needs no docker_auth.

What needs a token server (denied and unauthorized cells) is the matrix's business;
here: config isolation, the password's path, the CLI's own words, clean-up, and a
push and pull through a registry without authentication.
"""

import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import docker.errors
import pytest

from harness.clients.cli import DOCKER_MISSING, TIMEOUT, CliClient
from harness.errors import HarnessError, SetupError
from harness.images import LOCAL_REGISTRY_IMAGE, build_probe_image
from harness.leftovers import run_labels
from harness.matrix import Outcome, User
from harness.outcomes import Observation

REGISTRY_IMAGE = LOCAL_REGISTRY_IMAGE.format(version="3.0.0")
UNREACHABLE = "localhost:1"
ANONYMOUS = User("anonymous")


class RegistryAPIStandIn:
    """The CLI client reaches the registry's API only for delete and catalog."""

    def __init__(self):
        self.calls = []

    def delete_manifest(self, user, repository, digest):
        self.calls.append(("delete", user.name, repository, digest))
        return Observation(Outcome.OK, "202 Accepted")

    def catalog(self, user):
        self.calls.append(("catalog", user.name))
        return Observation(Outcome.OK, "200 OK")


@pytest.fixture(scope="module")
def module_run_id() -> str:
    return "itcli" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def plain_registry(registry_without_auth):
    return registry_without_auth


@pytest.fixture(scope="module")
def probe_image(engine, module_run_id):
    tag = build_probe_image(engine, module_run_id, run_labels(module_run_id))
    yield tag
    engine.images.remove(tag, force=True)


@pytest.fixture
def cli_client(engine, plain_registry, probe_image):
    return CliClient(engine, plain_registry, probe_image, RegistryAPIStandIn())


@pytest.fixture
def docker_runs(monkeypatch):
    """Every subprocess.run call while the test runs: argv, stdin and environment."""
    calls = []
    real_run = subprocess.run

    def recording_run(args, *more, **options):
        calls.append((list(args), options.get("input"), options.get("env")))
        return real_run(args, *more, **options)

    monkeypatch.setattr(subprocess, "run", recording_run)
    return calls


def _private_folders() -> set[Path]:
    pattern = f"registry-harness-cli-config-{os.getpid()}-*"
    return set(Path(tempfile.gettempdir()).glob(pattern))


def _unique_images_left(engine, run_id: str) -> list[str]:
    """The images push_unique_image built for ``run_id`` that are still there."""
    prefix = f"harness-probe:{run_id}-"
    images = engine.images.list(name="harness-probe")
    return [tag for image in images for tag in image.tags if tag.startswith(prefix)]


def _tag_exists(engine, reference: str) -> bool:
    try:
        engine.images.get(reference)
    except docker.errors.ImageNotFound:
        return False
    return True


def test_push_and_pull_through_a_registry_without_auth_record_the_digest(
    engine, cli_client, plain_registry, probe_image
):
    reference = "cli/probe:1"
    target = f"{plain_registry}/{reference}"

    pushed = cli_client.push(ANONYMOUS, reference)
    assert pushed.outcome is Outcome.OK, pushed.message
    assert pushed.message.startswith("1: digest: sha256:")
    digest = pushed.message.split()[2]
    assert cli_client.pushed == {"cli/probe": {digest}}
    assert not _tag_exists(engine, target)

    pulled = cli_client.pull(ANONYMOUS, reference)
    assert pulled.outcome is Outcome.OK, pulled.message
    assert pulled.message == f"Status: Downloaded newer image for {target}"
    assert not _tag_exists(engine, target)
    assert _tag_exists(engine, probe_image)


def test_actions_neither_read_nor_write_the_users_docker_config(
    monkeypatch, tmp_path, cli_client, plain_registry
):
    # A credential helper that does not exist: a CLI that read this file would fail
    # to store the login. The control below proves that it would.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    users_config = tmp_path / ".docker" / "config.json"
    users_config.parent.mkdir()
    users_config.write_text('{"credsStore": "harness-absent"}\n')
    before = users_config.stat()
    folders_before = _private_folders()
    control = subprocess.run(
        [
            "docker",
            "login",
            "--username",
            "someone",
            "--password-stdin",
            plain_registry,
        ],
        input="a-password",
        capture_output=True,
        text=True,
        check=False,
    )
    assert control.returncode != 0
    assert "docker-credential-harness-absent" in control.stderr

    login = cli_client.login(User("someone", password="a-password"))
    pushed = cli_client.push(User("someone", password="a-password"), "cli/home:1")

    assert login == Observation(Outcome.OK, "Login Succeeded")
    assert pushed.outcome is Outcome.OK, pushed.message
    assert list(users_config.parent.iterdir()) == [users_config]
    assert users_config.read_text() == '{"credsStore": "harness-absent"}\n'
    assert users_config.stat().st_mtime_ns == before.st_mtime_ns
    assert _private_folders() == folders_before


def test_password_reaches_the_cli_on_stdin_only(docker_runs, cli_client):
    secret = "cli-secret-" + uuid.uuid4().hex
    user = User("someone", password=secret)

    pushed = cli_client.push(user, "cli/secret:1")

    assert pushed.outcome is Outcome.OK, pushed.message
    commands = [argv[1] for argv, _, _ in docker_runs]
    assert commands == ["login", "tag", "push", "rmi"]
    assert docker_runs[0][1] == secret
    for argv, stdin, environment in docker_runs:
        assert not any(secret in word for word in argv)
        assert secret not in environment.values()
        assert Path(environment["DOCKER_CONFIG"]).name.startswith(
            "registry-harness-cli-config-"
        )
        assert argv[1] == "login" or secret not in (stdin or "")
    assert secret not in pushed.message


def test_timeout_names_the_command_but_not_the_password(monkeypatch, engine):
    secret = "cli-secret-" + uuid.uuid4().hex

    def too_slow(args, *more, **options):
        raise subprocess.TimeoutExpired(args, options["timeout"])

    monkeypatch.setattr(subprocess, "run", too_slow)
    client = CliClient(engine, UNREACHABLE, "unused", RegistryAPIStandIn())

    login = client.login(User("someone", password=secret))

    assert login == Observation(
        Outcome.ERROR,
        f"docker login --username someone --password-stdin {UNREACHABLE} "
        f"did not finish within {TIMEOUT} s and was stopped",
    )


def test_unreachable_registry_is_an_error_in_the_clis_own_words(engine):
    client = CliClient(engine, UNREACHABLE, "unused", RegistryAPIStandIn())

    login = client.login(User("someone", password="a-password"))

    # The Engine answers for the CLI; its prefix is kept, as in the notes' messages.
    assert login.outcome is Outcome.ERROR
    assert login.message.startswith("Error response from daemon: Get ")
    assert f'{UNREACHABLE}/v2/": dial tcp' in login.message
    assert login.message.endswith("connect: connection refused")


def test_unique_image_that_cannot_be_pushed_is_a_setup_error(engine, run_id):
    client = CliClient(engine, UNREACHABLE, "unused", RegistryAPIStandIn())

    with pytest.raises(SetupError, match="could not push cli/unique:1") as caught:
        client.push_unique_image(ANONYMOUS, "cli/unique:1", run_id)

    # A push error comes from the Engine's progress stream: no "Error response" prefix.
    assert str(caught.value).endswith(
        f'(error: Get "http://{UNREACHABLE}/v2/": dial tcp 127.0.0.1:1: '
        "connect: connection refused)"
    )
    assert _unique_images_left(engine, run_id) == []


def test_unique_image_is_pushed_recorded_and_removed(engine, cli_client, run_id):
    digest = cli_client.push_unique_image(ANONYMOUS, "cli/unique:1", run_id)

    assert digest.startswith("sha256:")
    assert cli_client.pushed["cli/unique"] == {digest}
    assert _unique_images_left(engine, run_id) == []


def test_logout_without_a_refused_pull_afterwards_is_not_proven(
    cli_client, plain_registry
):
    # This registry lets everyone pull, so the proof must fail, in the CLI's words.
    cli_client.push(ANONYMOUS, "cli/logout:1")

    logout = cli_client.logout(User("someone", password="a-password"), "cli/logout:1")

    assert logout.outcome is Outcome.ERROR
    assert logout.message.startswith(
        f"Removing login credentials for {plain_registry}; but a pull of "
        "cli/logout:1 without credentials then came out ok: Status: "
    )


def test_delete_and_catalog_go_to_the_registry_api(engine):
    api = RegistryAPIStandIn()
    client = CliClient(engine, UNREACHABLE, "unused", api)
    user = User("someone", password="a-password")

    assert client.delete(user, "cli/x", "sha256:0") == Observation(
        Outcome.OK, "202 Accepted"
    )
    assert client.catalog(user) == Observation(Outcome.OK, "200 OK")
    assert api.calls == [
        ("delete", "someone", "cli/x", "sha256:0"),
        ("catalog", "someone"),
    ]


def test_missing_docker_command_says_how_to_install_it(monkeypatch, tmp_path, engine):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(HarnessError) as caught:
        CliClient(engine, UNREACHABLE, "unused", RegistryAPIStandIn())

    assert str(caught.value) == DOCKER_MISSING
    assert str(caught.value) == (
        "the cli client needs the docker command (Debian: apt-get install docker.io)"
    )

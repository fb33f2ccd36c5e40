"""The ``http`` client pushes and pulls real images over HTTP, with no Engine at all.

A registry without authentication stands in for the stack: these tests pin the image
format and the transfer, not the token flow, so they need no docker_auth.
"""

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.clients.http import HttpClient, make_probe_image
from harness.images import build_probe_image
from harness.leftovers import run_labels
from harness.matrix import Outcome, User
from harness.registry_api import RegistryAPI

ANONYMOUS = User("anonymous")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(registry_without_auth: str) -> str:
    return registry_without_auth


def _client(registry: str, run_id: str) -> HttpClient:
    return HttpClient(registry, RegistryAPI(registry), probe=make_probe_image(run_id))


def _digest(message: str) -> str:
    return message.rpartition("digest: ")[2].split()[0]


def test_pushed_probe_pulls_back_with_the_same_digest(registry, run_id):
    client = _client(registry, run_id)

    pushed = client.push(ANONYMOUS, "probe/http:1")
    pulled = client.pull(ANONYMOUS, "probe/http:1")

    assert pushed.outcome is Outcome.OK, pushed.message
    assert pulled.outcome is Outcome.OK, pulled.message
    assert _digest(pulled.message) == _digest(pushed.message)
    assert client.pushed == {"probe/http": {_digest(pushed.message)}}


def test_engine_pulls_the_image_pushed_over_http(engine, registry, run_id):
    probe = make_probe_image(run_id)
    client = HttpClient(registry, RegistryAPI(registry), probe=probe)
    assert client.push(ANONYMOUS, "probe/engine:1").outcome is Outcome.OK

    name = f"{registry}/probe/engine:1"
    image = engine.images.pull(name)
    try:
        uncompressed = gzip.decompress(probe.layer.data)
        assert image.attrs["Os"] == "linux"
        assert image.attrs["Architecture"] == "amd64"
        assert image.attrs["RootFS"]["Layers"] == [
            "sha256:" + hashlib.sha256(uncompressed).hexdigest()
        ]
    finally:
        engine.images.remove(name, force=True)


def test_http_client_pulls_an_image_the_engine_pushed(engine, registry, run_id):
    # The sdk client seeds the repositories in a mixed run; http then pulls its images.
    probe = build_probe_image(engine, run_id, run_labels(run_id))
    name = f"{registry}/probe/seeded"
    engine.images.get(probe).tag(name, "1")
    try:
        engine.images.push(name, "1")
        pulled = _client(registry, run_id).pull(ANONYMOUS, "probe/seeded:1")
    finally:
        engine.images.remove(f"{name}:1", force=True)
        engine.images.remove(probe, force=True)

    assert pulled.outcome is Outcome.OK, pulled.message


CHILD = """
import json, sys
import docker
from harness.clients.http import HttpClient, make_probe_image
from harness.matrix import User
from harness.registry_api import RegistryAPI
try:
    docker.from_env().ping()
    engine = "reachable"
except Exception:
    engine = "unreachable"
registry, anonymous = sys.argv[1], User("anonymous")
client = HttpClient(registry, RegistryAPI(registry), probe=make_probe_image("child"))
pushed = client.push(anonymous, "probe/child:1")
pulled = client.pull(anonymous, "probe/child:1")
print(json.dumps([engine, *([s.outcome.value, s.message] for s in (pushed, pulled))]))
"""


def test_http_client_needs_no_docker_engine(registry, tmp_path):
    # No socket behind DOCKER_HOST and an empty home: no Engine, no ~/.docker.
    environment = {
        **os.environ,
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
        "HOME": str(tmp_path),
    }
    environment.pop("DOCKER_CONFIG", None)

    child = subprocess.run(
        [sys.executable, "-c", CHILD, registry],
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )

    assert child.returncode == 0, child.stderr
    engine, (push, push_message), (pull, pull_message) = json.loads(child.stdout)
    assert engine == "unreachable"
    assert (push, pull) == ("ok", "ok"), (push_message, pull_message)
    assert _digest(pull_message) == _digest(push_message)
    assert not (tmp_path / ".docker").exists()


def test_push_to_unreachable_registry_is_an_error_that_names_it(run_id):
    client = _client("localhost:1", run_id)

    started = time.monotonic()
    observed = client.push(ANONYMOUS, "probe/nowhere:1")

    assert observed.outcome is Outcome.ERROR
    assert "cannot reach the registry at http://localhost:1/v2/" in observed.message
    assert "Traceback" not in observed.message
    assert time.monotonic() - started < 10  # answered at once, not after retries

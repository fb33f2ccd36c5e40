"""Integration tests need a Docker Engine; without one they fail, never skip."""

import time
import uuid
from collections.abc import Iterator

import docker
import pytest
import requests

from harness.engine import connect_engine
from harness.errors import HarnessError
from harness.images import LOCAL_REGISTRY_IMAGE, require_image
from harness.leftovers import remove_container, run_labels


@pytest.fixture(scope="session")
def engine() -> Iterator[docker.DockerClient]:
    try:
        client = connect_engine()
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)
    yield client
    client.close()


@pytest.fixture
def run_id() -> str:
    return "it" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def registry_without_auth(engine: docker.DockerClient) -> Iterator[str]:
    """host:port of a registry 3.0.0 that asks for no credentials, per test module."""
    image = LOCAL_REGISTRY_IMAGE.format(version="3.0.0")
    require_image(engine, image, "registry_image")
    container = engine.containers.run(
        image,
        detach=True,
        ports={"5000/tcp": ("127.0.0.1", None)},
        labels=run_labels("it" + uuid.uuid4().hex[:8]),
    )
    try:
        container.reload()
        address = f"localhost:{container.ports['5000/tcp'][0]['HostPort']}"
        _wait_until_serving(f"http://{address}/v2/")
        yield address
    finally:
        remove_container(container)  # with its anonymous /var/lib/registry volume


def _wait_until_serving(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the registry at {url} did not answer 200 within {seconds} s")
        time.sleep(0.2)

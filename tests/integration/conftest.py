"""Integration tests need a Docker Engine; without one they fail, never skip."""

import uuid
from collections.abc import Iterator

import docker
import pytest

from harness.engine import connect_engine
from harness.errors import HarnessError


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

"""A connection to the Docker Engine, with errors that say what to do.

The API version is negotiated: a client newer than the Engine otherwise fails with
"client version 1.41 is too new", as the reference notes found.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import docker
import docker.errors

from harness.errors import EngineUnavailable

logger = logging.getLogger(__name__)

DEFAULT_SOCKET = "/var/run/docker.sock"


@dataclass(frozen=True)
class EngineVersions:
    engine: str
    api: str


def engine_address() -> str:
    """The Engine this run talks to: DOCKER_HOST, else the local socket."""
    return os.environ.get("DOCKER_HOST", f"unix://{DEFAULT_SOCKET}")


def connect_engine(timeout: int = 120) -> docker.DockerClient:
    """A client for the Engine named by DOCKER_HOST (default: the local socket)."""
    address = engine_address()
    try:
        client = docker.DockerClient(base_url=address, version="auto", timeout=timeout)
        client.ping()
    except docker.errors.DockerException as error:
        raise EngineUnavailable(_explain(address, error)) from error
    logger.info("Docker Engine at %s, API %s", address, client.api.api_version)
    return client


def engine_versions(client: docker.DockerClient) -> EngineVersions:
    version = client.version()
    return EngineVersions(
        engine=str(version.get("Version")), api=client.api.api_version
    )


def _explain(address: str, error: Exception) -> str:
    text = str(error)
    socket_path = address.removeprefix("unix://")
    if "PermissionError" in text or "Permission denied" in text:
        return (
            f"Cannot open the Docker socket {socket_path}: permission denied for this user. "
            "Add yourself to the 'docker' group (sudo usermod -aG docker $USER, then log in "
            "again) or run as root."
        )
    if (
        "FileNotFoundError" in text
        or "No such file" in text
        or "Connection refused" in text
    ):
        return (
            f"No Docker Engine answers at {address}. Start one: as root, scripts/setup "
            "installs Debian's docker.io and starts dockerd; elsewhere start Docker your "
            "usual way, or set DOCKER_HOST to an Engine you can reach."
        )
    return f"The Docker Engine at {address} did not answer: {text}"

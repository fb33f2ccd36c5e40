"""The ways a user reaches the registry, each behind the same small interface.

- ``sdk``: docker-py through the Docker Engine's API, as the reference notes did from Go.
- ``cli``: the docker command line, as the notes' shell session did.
- ``http``: no Engine at all: the registry's HTTP API with the Bearer token flow.

Each client maps what it sees onto the same outcomes (see harness.outcomes) and keeps
its own words in the observation's message; expected messages are given per client in
the matrix file.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Protocol

import docker

from harness.errors import SetupError
from harness.images import build_probe_image
from harness.matrix import Outcome, User
from harness.outcomes import Observation
from harness.registry_api import RegistryAPI
from harness.settings import CLIENT_NAMES

__all__ = [
    "CLIENT_NAMES",
    "PUSHED_DIGEST",
    "RegistryClient",
    "push_unique_engine_image",
]

# How the Engine (and the CLI) report a finished push: "1: digest: sha256:... size: 524".
PUSHED_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")


class RegistryClient(Protocol):
    """One way of acting as a user. Every call starts from a clean client state."""

    name: str
    registry: str  # host:port, as image references name it
    registry_api: RegistryAPI  # tokens, delete and catalog, shared by all clients
    # repository -> digests of manifests this client pushed (for external clean-up)
    pushed: dict[str, set[str]]

    def login(self, user: User) -> Observation: ...

    def push(self, user: User, reference: str) -> Observation:
        """Push this run's probe image as ``reference`` (repository:tag)."""
        ...

    def pull(self, user: User | None, reference: str) -> Observation:
        """Pull as ``user``; without credentials when None or anonymous."""
        ...

    def delete(self, user: User, repository: str, digest: str) -> Observation: ...

    def catalog(self, user: User) -> Observation: ...

    def logout(self, user: User, check_reference: str) -> Observation:
        """Log in, log out, and prove it: a pull of ``check_reference`` without
        credentials must then be refused."""
        ...

    def push_unique_image(self, user: User, reference: str, run_id: str) -> str:
        """Push an image no other cell shares; return its manifest digest."""
        ...


def push_unique_engine_image(
    engine: docker.DockerClient,
    push: Callable[[User, str, str], Observation],
    user: User,
    reference: str,
    run_id: str,
) -> str:
    """Build an image no other cell shares, ``push`` it, and return its digest.

    A delete removes a manifest with every tag on it: each delete cell gets one of
    its own, so that no other cell loses its image. For the clients that push through
    the Engine; ``push(user, reference, image)`` is the client's own push.
    """
    image = build_probe_image(engine, f"{run_id}-{uuid.uuid4().hex[:8]}")
    try:
        pushed = push(user, reference, image)
    finally:
        engine.images.remove(image, force=True)
    digest = PUSHED_DIGEST.search(pushed.message)
    if pushed.outcome is not Outcome.OK or digest is None:
        raise SetupError(
            f"{user.name} could not push {reference} for a delete cell "
            f"({pushed.outcome.value}: {pushed.message})"
        )
    return digest.group(1)

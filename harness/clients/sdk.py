"""A user at the Docker Engine, driven through docker-py: the ``sdk`` client.

This is what the reference notes did from Go: the Engine logs in, pushes and pulls,
and fetches tokens from the realm itself. Every action starts from a fresh API client
holding only the credentials it is given, so no cell depends on another.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors

from harness.clients import PUSHED_DIGEST, push_unique_engine_image
from harness.engine import engine_address
from harness.leftovers import private_folder
from harness.matrix import Outcome, User
from harness.outcomes import Observation, classify_refusal
from harness.redaction import redactor
from harness.registry_api import RegistryAPI

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def private_docker_config() -> Iterator[Path]:
    """Point DOCKER_CONFIG at an empty private folder for the duration.

    docker-py reads credentials from the user's ~/.docker/config.json (and its credential
    helpers) unless told otherwise; the harness must neither use nor touch them.
    """
    previous = os.environ.get("DOCKER_CONFIG")
    folder = private_folder("docker-config")
    os.environ["DOCKER_CONFIG"] = str(folder)
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop("DOCKER_CONFIG", None)
        else:
            os.environ["DOCKER_CONFIG"] = previous
        shutil.rmtree(folder, ignore_errors=True)


def _split(reference: str) -> tuple[str, str]:
    repository, _, tag = reference.rpartition(":")
    return repository, tag


class EngineClient:
    """A user's actions through the Docker Engine's API: the ``sdk`` client.

    Login, push, pull and logout go through the Engine, as the reference notes did.
    Delete and catalog have no Engine call; they go to the registry's API directly.
    """

    name = "sdk"

    def __init__(
        self,
        engine: docker.DockerClient,
        registry: str,
        probe_image: str,
        docker_config: Path,
        registry_api: RegistryAPI,
    ) -> None:
        self._engine = engine
        self.registry = registry
        self._probe_image = probe_image
        self._config_file = docker_config / "config.json"
        self.registry_api = registry_api
        # repository -> digests of the manifests this run pushed there, so that an
        # external registry can be cleaned up afterwards.
        self.pushed: dict[str, set[str]] = {}

    def _api(self) -> docker.APIClient:
        # A new client each time: docker-py keeps logins in memory per client.
        return docker.APIClient(
            base_url=engine_address(), version=self._engine.api.api_version
        )

    @staticmethod
    def _auth(user: User) -> dict[str, str] | None:
        if user.anonymous:
            return None
        return {"username": user.name, "password": user.presented_password or ""}

    def login(self, user: User) -> Observation:
        try:
            # reauth: without it docker-py answers from its cache for a name it has seen.
            answer = self._api().login(
                user.name,
                user.presented_password,
                registry=self.registry,
                reauth=True,
                dockercfg_path=str(self._config_file),
            )
        except docker.errors.APIError as error:
            return _refusal(error)
        return Observation(
            Outcome.OK, redactor.redact(str(answer.get("Status", answer)))
        )

    def _login_first(self, user: User) -> Observation | None:
        """Log in as a user would before acting; the refusal if that fails."""
        if user.anonymous:
            return None
        login = self.login(user)
        return None if login.outcome is Outcome.OK else login

    def push(self, user: User, reference: str, image: str | None = None) -> Observation:
        refused = self._login_first(user)
        if refused:
            return refused
        repository, tag = _split(f"{self.registry}/{reference}")
        api = self._api()
        api.tag(image or self._probe_image, repository, tag)
        try:
            # A refused push does not raise: the error is an entry of the progress
            # stream, which must be read to its end.
            stream = api.push(
                repository, tag, stream=True, decode=True, auth_config=self._auth(user)
            )
            observed = _from_stream(stream)
        except docker.errors.APIError as error:
            return _refusal(error)
        finally:
            _untag(api, f"{repository}:{tag}")
        digest = PUSHED_DIGEST.search(observed.message)
        if observed.outcome is Outcome.OK and digest:
            self.pushed.setdefault(_split(reference)[0], set()).add(digest.group(1))
        return observed

    def pull(self, user: User | None, reference: str) -> Observation:
        """Pull ``reference`` as ``user``; without credentials when None or anonymous."""
        if user is not None:
            refused = self._login_first(user)
            if refused:
                return refused
        repository, tag = _split(f"{self.registry}/{reference}")
        api = self._api()
        try:
            stream = api.pull(
                repository,
                tag,
                stream=True,
                decode=True,
                auth_config=self._auth(user) if user else None,
            )
            return _from_stream(stream)
        except docker.errors.APIError as error:
            return _refusal(error)
        finally:
            _untag(api, f"{repository}:{tag}")

    def delete(self, user: User, repository: str, digest: str) -> Observation:
        return self.registry_api.delete_manifest(user, repository, digest)

    def catalog(self, user: User) -> Observation:
        return self.registry_api.catalog(user)

    def logout(self, user: User, check_reference: str) -> Observation:
        """Log in, log out, and prove it: a pull without credentials must be refused.

        The Engine keeps no login state of its own (docker-py has no logout): logging
        out means the client forgets the credentials. What can be checked is that the
        registry then refuses the same client.
        """
        refused = self._login_first(user)
        if refused:
            return refused
        if self._config_file.exists():  # docker-py never writes it; a CLI login would
            self._config_file.unlink()
        anonymous = self.pull(None, check_reference)
        if anonymous.outcome is Outcome.OK:
            return Observation(
                Outcome.ERROR,
                f"after logout a pull of {check_reference} without credentials succeeded",
            )
        return Observation(
            Outcome.OK,
            f"credentials removed; a pull without them was refused: {anonymous.message}",
        )

    def push_unique_image(self, user: User, reference: str, run_id: str) -> str:
        """Push an image no other cell shares as ``user``; return its manifest digest."""
        return push_unique_engine_image(
            self._engine, self.push, user, reference, run_id
        )


def _from_stream(stream: Any) -> Observation:
    last_status = ""
    errors = []
    for chunk in stream:
        if "error" in chunk or "errorDetail" in chunk:
            detail = chunk.get("errorDetail") or {}
            errors.append(str(chunk.get("error") or detail.get("message", chunk)))
        elif "status" in chunk:
            last_status = str(chunk["status"])
    if errors:
        message = redactor.redact("\n".join(errors))
        return Observation(classify_refusal(message), message)
    return Observation(Outcome.OK, redactor.redact(last_status))


def _refusal(error: docker.errors.APIError) -> Observation:
    message = redactor.redact(str(error.explanation or error))
    return Observation(classify_refusal(message), message)


def _untag(api: docker.APIClient, reference: str) -> None:
    try:
        api.remove_image(reference, noprune=True)
    except docker.errors.APIError:
        pass  # not there: the push or pull never produced it

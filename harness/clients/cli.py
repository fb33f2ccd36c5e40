"""A user at the docker command line: the ``cli`` client.

This is the reference notes' shell session: ``docker login``, ``tag``, ``push``,
``pull`` and ``logout``, run as subprocesses. Each action gets a DOCKER_CONFIG folder
of its own, so the user's ~/.docker (credentials, credential helpers, contexts) is
neither read nor written, and no cell inherits another cell's login. Messages are the
CLI's own words, "Error response from daemon: " included.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker

from harness.clients import PUSHED_DIGEST, push_unique_engine_image
from harness.engine import engine_address
from harness.errors import HarnessError
from harness.leftovers import private_folder
from harness.matrix import Outcome, User
from harness.outcomes import Observation, classify_refusal
from harness.redaction import redactor
from harness.registry_api import RegistryAPI

logger = logging.getLogger(__name__)

TIMEOUT = 300  # seconds per docker command; a first push or pull may be slow
DOCKER_MISSING = (
    "the cli client needs the docker command (Debian: apt-get install docker.io)"
)

_REFUSED = (Outcome.DENIED, Outcome.UNAUTHORIZED)


@contextlib.contextmanager
def _private_config() -> Iterator[Path]:
    """An empty DOCKER_CONFIG folder for one action, removed with what the CLI wrote."""
    folder = private_folder("cli-config")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _environment(config: Path) -> dict[str, str]:
    """The CLI's environment: this process's, with the private config folder."""
    environment = dict(os.environ)
    environment["DOCKER_CONFIG"] = str(config)
    # The same Engine as docker-py. A context would be looked up in the private
    # folder, which has none, so DOCKER_CONTEXT would only make the CLI fail.
    environment["DOCKER_HOST"] = engine_address()
    environment.pop("DOCKER_CONTEXT", None)
    return environment


def _tidy(text: str) -> str:
    """Redacted, without the trailing whitespace of each line and of the whole."""
    lines = (line.rstrip() for line in text.strip().splitlines())
    return redactor.redact("\n".join(lines))


def _last_line(text: str, prefix: str = "") -> str:
    """The last line starting with ``prefix``; the last line if none does."""
    lines = text.splitlines() or [""]
    return next(
        (line for line in reversed(lines) if line.startswith(prefix)), lines[-1]
    )


class CliClient:
    """A user's actions through the docker command line: the ``cli`` client.

    Login, push, pull and logout are the CLI's commands. Delete and catalog have none;
    they go to the registry's API directly, as for the ``sdk`` client.
    """

    name = "cli"

    def __init__(
        self,
        engine: docker.DockerClient,
        registry: str,
        probe_image: str,
        registry_api: RegistryAPI,
    ) -> None:
        command = shutil.which("docker")
        if command is None:
            raise HarnessError(DOCKER_MISSING)
        self._command = command
        self._engine = engine
        self.registry = registry
        self._probe_image = probe_image
        self.registry_api = registry_api
        # repository -> digests of the manifests this run pushed there, so that an
        # external registry can be cleaned up afterwards.
        self.pushed: dict[str, set[str]] = {}

    def _run(self, config: Path, *args: str, stdin: str = "") -> Observation:
        """Run one docker command: OK with its stdout, or its stderr classified.

        ``stdin`` is the only way a password reaches the CLI: never the command line,
        which other users of the machine can read, and never a log line.
        """
        shown = " ".join(("docker", *args))
        logger.debug("Running %s", shown)
        try:
            done = subprocess.run(
                [self._command, *args],
                input=stdin,
                capture_output=True,
                text=True,
                env=_environment(config),
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            message = f"{shown} did not finish within {TIMEOUT} s and was stopped"
            return Observation(Outcome.ERROR, redactor.redact(message))
        if done.returncode == 0:
            return Observation(Outcome.OK, _tidy(done.stdout))
        message = _tidy(done.stderr) or _tidy(done.stdout)
        return Observation(classify_refusal(message), message)

    def _login(self, config: Path, user: User) -> Observation:
        # Newer CLIs warn on stderr that the password is stored unencrypted; stderr
        # of a command that succeeded is not read, so that is no failure.
        observed = self._run(
            config,
            "login",
            "--username",
            user.name,
            "--password-stdin",
            self.registry,
            stdin=user.presented_password or "",
        )
        if not user.presented_password and observed.outcome is not Outcome.OK:
            # The CLI itself refuses an empty password ("Cannot perform an interactive
            # login from a non TTY device"): credentials refused, before the registry.
            return Observation(Outcome.UNAUTHORIZED, observed.message)
        return observed

    def _login_first(self, config: Path, user: User) -> Observation | None:
        """Log in as a user would before acting; the refusal if that fails."""
        if user.anonymous:
            return None
        login = self._login(config, user)
        return None if login.outcome is Outcome.OK else login

    def _untag(self, config: Path, target: str) -> None:
        # Only the tag: the probe image keeps its own, and --no-prune spares layers.
        # Not there is fine: the push or pull never produced it.
        self._run(config, "rmi", "--no-prune", target)

    def _push(self, config: Path, reference: str, image: str) -> Observation:
        target = f"{self.registry}/{reference}"
        tagged = self._run(config, "tag", image, target)
        if tagged.outcome is not Outcome.OK:
            return Observation(Outcome.ERROR, f"docker tag failed: {tagged.message}")
        try:
            pushed = self._run(config, "push", target)
        finally:
            self._untag(config, target)
        if pushed.outcome is not Outcome.OK:
            return pushed
        # The progress lines end with "<tag>: digest: sha256:... size: N".
        observed = Observation(Outcome.OK, _last_line(pushed.message))
        digest = PUSHED_DIGEST.search(observed.message)
        if digest:
            repository = reference.rpartition(":")[0]
            self.pushed.setdefault(repository, set()).add(digest.group(1))
        return observed

    def _pull(self, config: Path, reference: str) -> Observation:
        target = f"{self.registry}/{reference}"
        try:
            pulled = self._run(config, "pull", target)
        finally:
            self._untag(config, target)
        if pulled.outcome is not Outcome.OK:
            return pulled
        # The last line only repeats the reference; the status line says what happened.
        return Observation(Outcome.OK, _last_line(pulled.message, "Status:"))

    def login(self, user: User) -> Observation:
        with _private_config() as config:
            return self._login(config, user)

    def push(self, user: User, reference: str, image: str | None = None) -> Observation:
        with _private_config() as config:
            refused = self._login_first(config, user)
            if refused:
                return refused
            return self._push(config, reference, image or self._probe_image)

    def pull(self, user: User | None, reference: str) -> Observation:
        """Pull ``reference`` as ``user``; no credentials when None or anonymous."""
        with _private_config() as config:
            if user is not None:
                refused = self._login_first(config, user)
                if refused:
                    return refused
            return self._pull(config, reference)

    def delete(self, user: User, repository: str, digest: str) -> Observation:
        return self.registry_api.delete_manifest(user, repository, digest)

    def catalog(self, user: User) -> Observation:
        return self.registry_api.catalog(user)

    def logout(self, user: User, check_reference: str) -> Observation:
        """Log in, ``docker logout``, and prove it with a pull from the same config.

        The pull must be refused: the CLI saying it removed the credentials is not
        proof that none are left.
        """
        with _private_config() as config:
            refused = self._login_first(config, user)
            if refused:
                return refused
            logged_out = self._run(config, "logout", self.registry)
            if logged_out.outcome is not Outcome.OK:
                return Observation(
                    Outcome.ERROR, f"docker logout failed: {logged_out.message}"
                )
            check = self._pull(config, check_reference)
        if check.outcome in _REFUSED:
            return Observation(
                Outcome.OK,
                f"{logged_out.message}; a pull without credentials was refused: "
                f"{check.message}",
            )
        return Observation(
            Outcome.ERROR,
            f"{logged_out.message}; but a pull of {check_reference} without "
            f"credentials then came out {check.outcome.value}: {check.message}",
        )

    def push_unique_image(self, user: User, reference: str, run_id: str) -> str:
        """Push an image no other cell shares as ``user``; return its manifest digest."""
        return push_unique_engine_image(
            self._engine, self.push, user, reference, run_id
        )

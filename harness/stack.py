"""The embedded stack: docker_auth first, then a registry that trusts its tokens.

Both run as testcontainers containers with their ports published on 127.0.0.1 only;
everything is addressed as ``localhost:<port>``. The generated key pair and docker_auth
configuration live in a private temporary folder that is deleted with the stack.

Limitations: the folder is bind-mounted, so the Engine must run on this machine (a
remote DOCKER_HOST cannot see it); and testcontainers' reaper (Ryuk) is not used, since
its image comes from Docker Hub: containers carry run labels instead (see leftovers).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import requests
from testcontainers.core.container import DockerContainer
from testcontainers.core.exceptions import ContainerStartException

from harness.auth_config import (
    CONFIG_DIR_IN_CONTAINER,
    CONFIG_FILE_NAME,
    LISTEN_PORT,
    SSL_DIR_IN_CONTAINER,
    TokenSettings,
    render_auth_config,
)
from harness.challenge import BearerChallenge, parse_bearer_challenge
from harness.errors import ContainerStartError
from harness.images import REGISTRY_PORT
from harness.leftovers import private_folder, remove_container, run_labels
from harness.redaction import redactor
from harness.tls import (
    CERTIFICATE_NAME,
    KEY_NAME,
    ServerIdentity,
    write_server_identity,
)

logger = logging.getLogger(__name__)

SERVICE = "Docker registry"
LOG_LINES_ON_FAILURE = 25

# Set before testcontainers reads its configuration. Ryuk's image cannot be pulled
# offline; and because some machines carry /.dockerenv, testcontainers would otherwise
# believe it runs in a container and address the bridge gateway instead of localhost.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TESTCONTAINERS_HOST_OVERRIDE", "localhost")


@dataclass(frozen=True)
class StackSettings:
    docker_auth_image: str
    registry_image: str
    registry_version: str
    startup_timeout: float = 60.0
    token: TokenSettings = field(default_factory=TokenSettings)
    # More REGISTRY_* variables for the registry (storage, logging); applied last.
    registry_environment: Mapping[str, str] = field(default_factory=dict)
    # Certificates (PEM) the registry trusts besides the token server's. Only the
    # security suite's demonstration of a weakened registry sets this.
    extra_trusted_certificates: tuple[bytes, ...] = ()


def stack_settings(values: Mapping[str, str]) -> StackSettings:
    """The stack that resolved settings (by name, see harness.settings) describe."""
    version = values["registry_version"]
    return StackSettings(
        docker_auth_image=values["docker_auth_image"],
        registry_image=values["registry_image"].format(version=version),
        registry_version=version,
        startup_timeout=float(values["startup_timeout"]),
        # Registry 3 looks up the signing key by its RFC 7638 thumbprint, 2.x by the
        # older libtrust key id.
        token=TokenSettings(thumbprint_key_id=int(version.split(".")[0]) >= 3),
    )


@dataclass(frozen=True)
class StackEndpoints:
    """Where the registry under test and its token realm are, and how to trust them."""

    registry: str  # host:port, as clients name it in image references
    realm: str
    service: str
    # The certificate whose key signs the tokens, and that key, when the harness made
    # them (the embedded stack).
    certificate: Path | None
    tls: bool = False  # the registry itself speaks HTTPS
    verify: bool | str = True  # CA bundle (or False) for the registry's and realm's TLS
    external: bool = False  # already running: the harness started nothing
    # The address docker_auth sees requests come from, for ACL rules on ip.
    client_address: str = "127.0.0.1"
    signing_key: Path | None = None


class _LoopbackContainer(DockerContainer):
    """A container whose ports are published on 127.0.0.1 only, on free host ports."""

    def publish_on_loopback(self, port: int) -> _LoopbackContainer:
        # testcontainers' own port helpers bind every interface; docker-py accepts an
        # (address, port) pair, with port None for any free port.
        self.ports[f"{port}/tcp"] = ("127.0.0.1", None)  # type: ignore[assignment]
        return self

    def host_port(self, port: int) -> int:
        container = self.get_wrapped_container()
        container.reload()
        bindings = container.attrs["NetworkSettings"]["Ports"].get(f"{port}/tcp") or []
        if not bindings:
            raise ContainerStartError(
                f"{container.name}: port {port} was not published"
            )
        return int(bindings[0]["HostPort"])


class EmbeddedStack:
    """Starts docker_auth and the registry for one run; a context manager."""

    def __init__(
        self,
        settings: StackSettings,
        passwords: Mapping[str, str | None],
        acl: Sequence[Mapping[str, Any]],
        run_id: str,
    ) -> None:
        self.settings = settings
        self._passwords = passwords
        self._acl = acl
        self._run_id = run_id
        self._containers: list[_LoopbackContainer] = []
        self._workdir: Path | None = None
        self._identity: ServerIdentity | None = None
        self._auth_client_address = "127.0.0.1"

    def __enter__(self) -> StackEndpoints:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> StackEndpoints:
        identity = self.write_server_files()
        auth_port = self.start_token_server()
        realm = f"https://localhost:{auth_port}/auth"
        registry_port = self.start_registry(realm)
        return StackEndpoints(
            registry=f"localhost:{registry_port}",
            realm=realm,
            service=SERVICE,
            certificate=identity.certificate,
            verify=str(identity.certificate),
            client_address=self._auth_client_address,
            signing_key=identity.key,
        )

    def write_server_files(self) -> ServerIdentity:
        """The key pair and docker_auth configuration, in a private temporary folder."""
        workdir = self._workdir = private_folder("server")
        ssl_dir, config_dir = workdir / "ssl", workdir / "config"
        ssl_dir.mkdir(mode=0o700)
        config_dir.mkdir(mode=0o700)
        self._identity = write_server_identity(ssl_dir)
        config = render_auth_config(
            self._passwords,
            self._acl,
            self.settings.token,
            certificate_name=CERTIFICATE_NAME,
            key_name=KEY_NAME,
        )
        config_file = config_dir / CONFIG_FILE_NAME
        config_file.touch(mode=0o600)
        config_file.write_text(config)
        return self._identity

    def _container(self, image: str, name: str) -> _LoopbackContainer:
        container = _LoopbackContainer(image)
        container.with_name(f"registry-harness-{name}-{self._run_id}")
        container.with_kwargs(labels=run_labels(self._run_id))
        self._containers.append(container)
        return container

    def start_token_server(self) -> int:
        """Start docker_auth and wait until it answers over TLS; return its host port."""
        assert self._workdir is not None and self._identity is not None
        certificate = self._identity.certificate
        ssl_dir, config_dir = self._workdir / "ssl", self._workdir / "config"
        container = self._container(self.settings.docker_auth_image, "auth")
        container.publish_on_loopback(LISTEN_PORT)
        container.with_volume_mapping(str(config_dir), CONFIG_DIR_IN_CONTAINER, "ro")
        container.with_volume_mapping(str(ssl_dir), SSL_DIR_IN_CONTAINER, "ro")
        container.with_command(
            ["--logtostderr", f"{CONFIG_DIR_IN_CONTAINER}/{CONFIG_FILE_NAME}"]
        )
        container.start()
        port = container.host_port(LISTEN_PORT)
        # Published ports reach docker_auth from its network's gateway, not from
        # 127.0.0.1: that is the address its ACL's ip rules see (read, never contacted).
        network = container.get_wrapped_container().attrs["NetworkSettings"]
        self._auth_client_address = network.get("Gateway") or "127.0.0.1"
        logger.info(
            "docker_auth (%s) on localhost:%d", self.settings.docker_auth_image, port
        )

        url = f"https://localhost:{port}/auth"

        def answers_over_tls() -> bool:
            try:
                # Any HTTP answer over verified TLS shows the server is up: 401 without
                # credentials, or 200 where the ACL admits anonymous users.
                response = requests.get(url, verify=str(certificate), timeout=3)
            except requests.RequestException as error:
                logger.debug("token server not ready: %s", error)
                return False
            return response.status_code in {200, 401}

        _wait(
            container,
            answers_over_tls,
            f"docker_auth to answer {url} over TLS",
            self.settings.startup_timeout,
        )
        return port

    def start_registry(self, realm: str) -> int:
        """Start the registry, trusting tokens from ``realm``; return its host port."""
        assert self._identity is not None
        certificate = self._identity.certificate
        container = self._container(self.settings.registry_image, "registry")
        container.publish_on_loopback(REGISTRY_PORT)
        bundle = f"{SSL_DIR_IN_CONTAINER}/{CERTIFICATE_NAME}"
        trusted = certificate
        if self.settings.extra_trusted_certificates:
            # A deliberately weakened registry: it trusts more than the token server.
            assert self._workdir is not None
            trusted = self._workdir / "ssl" / "bundle.pem"
            trusted.write_bytes(
                certificate.read_bytes()
                + b"".join(self.settings.extra_trusted_certificates)
            )
        container.with_volume_mapping(str(trusted), bundle, "ro")  # never the key
        container.with_envs(
            REGISTRY_AUTH="token",
            REGISTRY_AUTH_TOKEN_REALM=realm,
            REGISTRY_AUTH_TOKEN_SERVICE=SERVICE,
            REGISTRY_AUTH_TOKEN_ISSUER=self.settings.token.issuer,
            REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE=bundle,
            REGISTRY_STORAGE_DELETE_ENABLED="true",
        )
        container.with_envs(**self.settings.registry_environment)
        container.start()
        port = container.host_port(REGISTRY_PORT)
        logger.info("registry (%s) on localhost:%d", self.settings.registry_image, port)

        url = f"http://localhost:{port}/v2/"
        expected = BearerChallenge(realm=realm, service=SERVICE)

        def challenges_for_tokens() -> bool:
            challenge = _fetch_challenge(url)
            if challenge is None:
                return False
            if (challenge.realm, challenge.service) != (
                expected.realm,
                expected.service,
            ):
                raise ContainerStartError(
                    f"The registry at {url} challenges with realm {challenge.realm!r} and "
                    f"service {challenge.service!r}, not {realm!r} and {SERVICE!r}: its "
                    "token settings were not applied. Is the image a distribution registry?"
                )
            return True

        _wait(
            container,
            challenges_for_tokens,
            f"the registry to answer {url} with a Bearer challenge",
            self.settings.startup_timeout,
        )
        return port

    def stop(self) -> None:
        for container in reversed(self._containers):
            try:
                wrapped = container.get_wrapped_container()
            except ContainerStartException:
                continue  # never created
            try:
                remove_container(wrapped)
            except docker.errors.DockerException as error:
                logger.warning("could not remove container %s: %s", wrapped.name, error)
        self._containers.clear()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def _fetch_challenge(url: str) -> BearerChallenge | None:
    try:
        response = requests.get(url, timeout=3)
    except requests.RequestException as error:
        logger.debug("registry not ready: %s", error)
        return None
    if response.status_code != 401:
        return None  # 200 would mean this registry asks for no token at all
    return parse_bearer_challenge(response.headers.get("WWW-Authenticate", ""))


def _wait(
    container: _LoopbackContainer, ready: Any, awaited: str, timeout: float
) -> None:
    """Poll ``ready`` until it is true; fail early if the container stops."""
    started = time.monotonic()
    while True:
        wrapped = container.get_wrapped_container()
        wrapped.reload()
        state = wrapped.attrs["State"]
        if state["Status"] in {"exited", "dead"}:
            raise ContainerStartError(
                _start_failure(
                    wrapped,
                    awaited,
                    time.monotonic() - started,
                    f"it stopped (exit code {state.get('ExitCode')})",
                )
            )
        if ready():
            return
        if time.monotonic() - started > timeout:
            raise ContainerStartError(
                _start_failure(
                    wrapped,
                    awaited,
                    timeout,
                    f"it is still {state['Status']}",
                )
            )
        time.sleep(0.25)


def _start_failure(container: Any, awaited: str, seconds: float, state: str) -> str:
    logs = container.logs(tail=LOG_LINES_ON_FAILURE).decode(errors="replace").rstrip()
    image = container.attrs["Config"]["Image"]
    return redactor.redact(
        f"Container {container.name} ({image}) did not come up: waited {seconds:.0f} s "
        f"for {awaited}, and {state}. Its last log lines:\n{logs or '(none)'}"
    )

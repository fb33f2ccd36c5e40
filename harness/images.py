"""The images a run uses, and how to build them where nothing can be pulled.

Defaults are the upstream images (``cesanta/docker_auth``, ``registry``), so a machine
that reaches Docker Hub needs no build. Where no registry is reachable, the images are
built here from the upstream programs: the registry 3 and docker_auth from their Go
modules, the registry 2.8 from Debian's ``docker-registry`` package. Each local image
keeps upstream's entrypoint, configuration path and port, so the stack treats both
alike. The images start ``FROM scratch``: there is no base image to pull.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from harness.errors import ImageBuildError, ImageUnavailable

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

DOCKER_AUTH_VERSION = "1.14.0"
# docker_auth's git tags lack the "v" of Go's versions, so its release is named by the
# pseudo-version of the tagged commit.
DOCKER_AUTH_MODULE = "github.com/cesanta/docker_auth/auth_server"
DOCKER_AUTH_MODULE_VERSION = "v0.0.0-20250620014256-d3f46f7998ec"
REGISTRY_3_MODULE = "github.com/distribution/distribution/v3/cmd/registry"
REGISTRY_VERSIONS = ("3.0.0", "2.8.2")
DEFAULT_REGISTRY_VERSION = "3.0.0"

UPSTREAM_DOCKER_AUTH_IMAGE = f"cesanta/docker_auth:{DOCKER_AUTH_VERSION}"
UPSTREAM_REGISTRY_IMAGE = "registry:{version}"
LOCAL_DOCKER_AUTH_IMAGE = f"harness-local/docker_auth:{DOCKER_AUTH_VERSION}"
LOCAL_REGISTRY_IMAGE = "harness-local/registry:{version}"

# Where upstream's registry images read their configuration.
REGISTRY_CONFIG_PATHS = {
    "3": "/etc/distribution/config.yml",
    "2": "/etc/docker/registry/config.yml",
}
REGISTRY_PORT = 5000
LABEL_PREFIX = "io.registry-harness"

# A plain filesystem registry on port 5000. Unlike upstream's sample configuration it
# opens no debug port; token auth comes from the environment at run time.
_REGISTRY_CONFIG = """\
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
"""


def registry_config_path(version: str) -> str:
    return REGISTRY_CONFIG_PATHS[version.split(".", 1)[0]]


def image_present(client: docker.DockerClient, name: str) -> bool:
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


def describe_image(client: docker.DockerClient, name: str) -> str:
    """The image's name, with the version its label records when that adds anything."""
    try:
        labels = client.images.get(name).labels or {}
    except docker.errors.ImageNotFound:
        return name
    version = labels.get("org.opencontainers.image.version")
    notes = []
    if version and not name.endswith(f":{version}"):
        notes.append(f"version {version}")
    if labels.get(f"{LABEL_PREFIX}.built-locally"):
        notes.append("built locally")
    return f"{name} ({', '.join(notes)})" if notes else name


def require_image(client: docker.DockerClient, name: str, setting: str) -> None:
    """Make sure ``name`` is on the Engine, pulling it if it is not; else say what to do."""
    if image_present(client, name):
        return
    logger.info("Pulling image %s", name)
    try:
        client.images.pull(name)
    except docker.errors.APIError as error:
        raise ImageUnavailable(
            f"The image {name} (setting {setting}) is not on this Engine and could not be "
            f"pulled: {error.explanation or error}. Where no registry is reachable, build "
            "the local images with scripts/setup (it points the settings at them in .env), "
            f"or set {setting} to an image you have."
        ) from error


# --- build contexts ------------------------------------------------------------------


class _Context:
    """An in-memory docker build context: a Dockerfile and a root file system."""

    def __init__(self, dockerfile: str) -> None:
        self._buffer = io.BytesIO()
        self._tar = tarfile.open(fileobj=self._buffer, mode="w")
        self.add_bytes("Dockerfile", dockerfile.encode(), 0o644)

    def add_bytes(self, name: str, data: bytes, mode: int) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), mode
        self._tar.addfile(info, io.BytesIO(data))

    def add_file(self, name: str, source: Path, mode: int = 0o755) -> None:
        self.add_bytes(name, source.read_bytes(), mode)

    def add_directory(self, name: str, mode: int = 0o755) -> None:
        info = tarfile.TarInfo(name)
        info.type, info.mode = tarfile.DIRTYPE, mode
        self._tar.addfile(info)

    def finish(self) -> io.BytesIO:
        self._tar.close()
        self._buffer.seek(0)
        return self._buffer


def _build(
    client: docker.DockerClient,
    context: _Context,
    tag: str,
    progress: Progress,
    labels: dict[str, str] | None = None,
) -> None:
    progress(f"building image {tag}")
    stream = client.api.build(
        fileobj=context.finish(),
        custom_context=True,
        tag=tag,
        rm=True,
        decode=True,
        labels=labels,
    )
    for chunk in stream:
        if "error" in chunk:
            raise ImageBuildError(
                f"docker build of {tag} failed: {chunk['error'].strip()}"
            )
        line = str(chunk.get("stream", "")).strip()
        if line:
            progress(f"  {line}")


# --- programs ------------------------------------------------------------------------


def _run(
    command: list[str],
    progress: Progress,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """Run a build tool, passing its output on line by line; return all of it."""
    if shutil.which(command[0]) is None:
        raise ImageBuildError(
            f"'{command[0]}' is needed to build the local images and is not installed."
            + (" Install Go (golang)." if command[0] == "go" else "")
        )
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        progress(f"  {line.rstrip()}")
    output = "".join(lines)
    if process.wait() != 0:
        raise ImageBuildError(f"{' '.join(command)} failed:\n{output.strip()}")
    return output


def _go_install(module: str, version: str, into: Path, progress: Progress) -> Path:
    """Build a static binary from the Go module proxy into ``into``."""
    progress(
        f"go install {module}@{version} (a first build downloads and compiles for minutes)"
    )
    env = {
        "CGO_ENABLED": "0",
        "GOBIN": str(into),
        "GOFLAGS": "-trimpath -buildvcs=false",
    }
    try:
        _run(["go", "install", "-ldflags=-s -w", f"{module}@{version}"], progress, env)
    except ImageBuildError as error:
        if "403" in str(error) or "not available" in str(error):
            raise ImageBuildError(
                f"The Go module proxy refuses {module}@{version} (403, 'not available'), so "
                "this image cannot be built here. Use the upstream image where Docker Hub is "
                "reachable, or pass a binary you built yourself (python -m harness images "
                "build --docker-auth-binary PATH)."
            ) from error
        raise
    return into / module.rsplit("/", 1)[-1]


def _shared_libraries(binary: Path) -> list[Path]:
    """The shared libraries a dynamically linked binary loads, from ldd."""
    output = subprocess.run(
        ["ldd", str(binary)], capture_output=True, text=True, check=True
    )
    libraries = []
    for line in output.stdout.splitlines():
        match = re.search(r"(/\S+)\s+\(0x", line)
        if match:
            libraries.append(Path(match.group(1)))
    return libraries


def _debian_registry_binary(workdir: Path, progress: Progress) -> Path:
    """Fetch and unpack Debian's docker-registry 2.8.2 package; return its binary."""
    progress("apt-get download docker-registry (Debian's registry 2.8.2)")
    try:
        _run(["apt-get", "download", "docker-registry"], progress, cwd=workdir)
    except ImageBuildError as error:
        raise ImageBuildError(
            f"{error} Debian's package lists may be missing: run 'apt-get update' as root."
        ) from error
    package = next(workdir.glob("docker-registry_*.deb"))
    if not package.name.startswith("docker-registry_2.8.2"):
        raise ImageBuildError(
            f"Debian offers {package.name}, not registry 2.8.2; the 2.8.2 image needs "
            "Debian 12 (bookworm)'s package."
        )
    _run(["dpkg-deb", "-x", str(package), str(workdir / "root")], progress)
    return workdir / "root" / "usr" / "bin" / "docker-registry"


# --- images --------------------------------------------------------------------------


def _labels(title: str, version: str) -> str:
    return (
        f'LABEL {LABEL_PREFIX}.built-locally="true" '
        f'org.opencontainers.image.title="{title}" '
        f'org.opencontainers.image.version="{version}"\n'
    )


def build_docker_auth_image(
    client: docker.DockerClient, progress: Progress, binary: Path | None = None
) -> str:
    """docker_auth 1.14.0 laid out as upstream's image: entrypoint, config path, port."""
    with tempfile.TemporaryDirectory() as workdir:
        if binary is None:
            binary = _go_install(
                DOCKER_AUTH_MODULE, DOCKER_AUTH_MODULE_VERSION, Path(workdir), progress
            )
        context = _Context(
            "FROM scratch\nCOPY rootfs/ /\n"
            + _labels("docker_auth", DOCKER_AUTH_VERSION)
            + 'EXPOSE 5001\nENTRYPOINT ["/docker_auth/auth_server"]\n'
            'CMD ["/config/auth_config.yml"]\n'
        )
        context.add_file("rootfs/docker_auth/auth_server", binary)
        # glog writes its log files to /tmp; without one the server exits at start.
        context.add_directory("rootfs/tmp", 0o1777)
        certificates = Path("/etc/ssl/certs/ca-certificates.crt")
        if certificates.exists():  # for authentication back ends reached over TLS
            context.add_file(
                "rootfs/etc/ssl/certs/ca-certificates.crt", certificates, 0o644
            )
        _build(client, context, LOCAL_DOCKER_AUTH_IMAGE, progress)
    return LOCAL_DOCKER_AUTH_IMAGE


def build_registry_image(
    client: docker.DockerClient, version: str, progress: Progress
) -> str:
    """The distribution registry ``version`` laid out as upstream's image."""
    tag = LOCAL_REGISTRY_IMAGE.format(version=version)
    config_path = registry_config_path(version).lstrip("/")
    with tempfile.TemporaryDirectory() as workdir:
        context = _Context(
            "FROM scratch\nCOPY rootfs/ /\n"
            + _labels("registry", version)
            + f'VOLUME ["/var/lib/registry"]\nEXPOSE {REGISTRY_PORT}\n'
            'ENTRYPOINT ["/bin/registry", "serve"]\n'
            f'CMD ["/{config_path}"]\n'
        )
        if version.startswith("3."):
            binary = _go_install(
                REGISTRY_3_MODULE, f"v{version}", Path(workdir), progress
            )
        elif version == "2.8.2":
            # Release 2.8 has no go.mod and cannot be built with go install; Debian's
            # build of it is dynamically linked, so its libraries come along.
            binary = _debian_registry_binary(Path(workdir), progress)
            for library in _shared_libraries(binary):
                context.add_file(f"rootfs{library}", library.resolve())
        else:
            raise ImageBuildError(
                f"No recipe for registry {version}; choose one of {', '.join(REGISTRY_VERSIONS)}."
            )
        context.add_file("rootfs/bin/registry", binary)
        context.add_bytes(f"rootfs/{config_path}", _REGISTRY_CONFIG.encode(), 0o644)
        context.add_directory("rootfs/var/lib/registry")
        context.add_directory("rootfs/tmp", 0o1777)
        _build(client, context, tag, progress)
    return tag


@dataclass(frozen=True)
class BuildResult:
    image: str
    built: bool  # False: it was already there
    error: str | None = None


def ensure_local_images(
    client: docker.DockerClient,
    registry_versions: Iterable[str],
    progress: Progress,
    docker_auth_binary: Path | None = None,
) -> list[BuildResult]:
    """Build each local image that is missing; one failure does not stop the others."""
    jobs: list[tuple[str, Callable[[], str]]] = [
        (
            LOCAL_DOCKER_AUTH_IMAGE,
            functools.partial(
                build_docker_auth_image, client, progress, docker_auth_binary
            ),
        )
    ]
    for version in registry_versions:
        jobs.append(
            (
                LOCAL_REGISTRY_IMAGE.format(version=version),
                functools.partial(build_registry_image, client, version, progress),
            )
        )
    results = []
    for tag, build in jobs:
        if image_present(client, tag) and not (
            docker_auth_binary and tag == LOCAL_DOCKER_AUTH_IMAGE
        ):
            progress(f"{tag}: present, not rebuilt")
            results.append(BuildResult(tag, built=False))
            continue
        try:
            build()
        except ImageBuildError as error:
            progress(f"{tag}: NOT BUILT: {error}")
            results.append(BuildResult(tag, built=False, error=str(error)))
        else:
            results.append(BuildResult(tag, built=True))
    return results


def build_probe_image(
    client: docker.DockerClient, run_id: str, owner_labels: dict[str, str] | None = None
) -> str:
    """A one-layer image whose content is unique to this run, so every push uploads."""
    context = _Context("FROM scratch\nCOPY probe.txt /probe.txt\n")
    context.add_bytes("probe.txt", f"{run_id} {uuid.uuid4()}\n".encode(), 0o644)
    tag = f"harness-probe:{run_id}"
    labels = {f"{LABEL_PREFIX}.probe": "true", **(owner_labels or {})}
    _build(client, context, tag, lambda line: logger.debug("%s", line), labels)
    return tag

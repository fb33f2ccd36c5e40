"""A user with no Docker Engine at all, speaking the registry's HTTP API: ``http``.

Each push or pull goes the way the Engine's own does: ask ``/v2/`` for the registry's
Bearer challenge, get one token from the realm for the action's scope (``pull,push``
for a push, ``pull`` for a pull), then send every request of the action with it. The
token comes from harness.registry_api (requests, with the CA bundle for the realm);
oras-py uploads and fetches the blobs and the manifest with it.

oras-py (0.2.43) shapes this module in four ways:

- A Registry object asks the realm for the scope of the first challenge it meets and
  keeps that token for every later request. A push starts with a HEAD of a blob, which
  needs only ``pull``; the upload that follows is then refused even for an
  administrator. And a refused token surfaces as a ValueError that its retry decorator
  repeats five times, sleeping two minutes in all. So each action gets a new Registry,
  handed its one token through ``auth.set_token_auth``: oras never meets the realm.
- Its ``push``, ``pull`` and ``get_manifest`` read ~/.docker/config.json (and run the
  credential helpers named there), and ``login`` tries a Docker Engine, then writes
  that file. None of them is used; only ``upload_blob``, ``upload_manifest``,
  ``get_blob`` and ``do_request``, which read no file.
- Blobs are uploaded from files, so the probe's are written to a private folder.
- A refused upload surfaces as a ValueError without the response. A response hook on
  the Registry's requests session keeps the registry's last answer, whose status,
  error codes and challenge decide the outcome, as for delete and catalog.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import logging
import shutil
import tarfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
import oras.provider  # type: ignore[import-untyped]
import requests

from harness.challenge import parse_bearer_challenge
from harness.errors import SetupError
from harness.images import LABEL_PREFIX
from harness.leftovers import private_folder, run_labels
from harness.matrix import Outcome, User
from harness.outcomes import Observation
from harness.redaction import redactor
from harness.registry_api import (
    TIMEOUT,
    RegistryAPI,
    RegistryUnreachable,
    TokenGrant,
    TokenRefusal,
    observe_response,
    scope_for,
)

logger = logging.getLogger(__name__)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
# What a pull accepts: images pushed by the Engine may be Docker's or OCI's, and an
# index (several platforms) is resolved to linux/amd64 as the Engine here would.
ACCEPTED_MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST)
PROBE_FILE = "probe.txt"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Blob:
    media_type: str
    data: bytes = field(repr=False)

    @property
    def digest(self) -> str:
        return _digest(self.data)

    def descriptor(self) -> dict[str, Any]:
        return {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": len(self.data),
        }


@dataclass(frozen=True)
class ProbeImage:
    """A one-layer image made in memory: one file unique to the run, and its config."""

    config: Blob
    layer: Blob

    def manifest(self) -> dict[str, Any]:
        """Its OCI image manifest: the media type oras-py sends manifests as."""
        return {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": self.config.descriptor(),
            "layers": [self.layer.descriptor()],
        }


def make_probe_image(run_id: str) -> ProbeImage:
    """A new probe image, made without an Engine; two calls never give the same one.

    The Engine can pull it: the config names the platform, and its diff_id is the
    digest of the uncompressed tar. Its labels are the run's, so that a copy the Engine
    pulled is found by ``python -m harness cleanup``.
    """
    tar = _tar_of(PROBE_FILE, f"{run_id} {uuid.uuid4()}\n".encode())
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": datetime.datetime.now(datetime.UTC).isoformat(),
        "config": {"Labels": {f"{LABEL_PREFIX}.probe": "true", **run_labels(run_id)}},
        "rootfs": {"type": "layers", "diff_ids": [_digest(tar)]},
        "history": [{"created_by": f"harness.clients.http: {PROBE_FILE} of {run_id}"}],
    }
    return ProbeImage(
        config=Blob(OCI_CONFIG, json.dumps(config, sort_keys=True).encode()),
        layer=Blob(OCI_LAYER, gzip.compress(tar, mtime=0)),
    )


def _tar_of(name: str, content: bytes) -> bytes:
    member = tarfile.TarInfo(name)
    member.size = len(content)
    member.mode = 0o644
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


class _Stop(Exception):
    """Ends an action early with what was observed."""

    def __init__(self, observation: Observation) -> None:
        super().__init__(observation.message)
        self.observation = observation


def _error(text: str) -> _Stop:
    return _Stop(Observation(Outcome.ERROR, redactor.redact(text)))


class _Action:
    """One action's oras Registry, holding one token, and the registry's last answer."""

    def __init__(
        self, registry: str, tls: bool, verify: bool | str, token: str | None
    ) -> None:
        self.registry = registry
        self.oras = oras.provider.Registry(
            hostname=registry, insecure=not tls, tls_verify=verify
        )
        if token:
            self.oras.auth.set_token_auth(token)
        self.last: requests.Response | None = None
        self.oras.session.hooks["response"].append(self._keep)

    def _keep(self, response: requests.Response, **_: Any) -> None:
        self.last = response

    def refusal(self, error: Exception | None = None) -> _Stop:
        """The registry's last answer as an outcome; the error if it never answered."""
        unanswered = isinstance(error, requests.RequestException) and (
            error.response is None
        )
        if self.last is not None and not self.last.ok and not unanswered:
            return _Stop(observe_response(self.last))
        return _error(f"{type(error).__name__}: {error}" if error else "no answer")

    def container(self, repository: str, reference: str) -> Any:
        separator = "@" if reference.startswith("sha256:") else ":"
        return self.oras.get_container(
            f"{self.registry}/{repository}{separator}{reference}"
        )

    def upload(self, repository: str, image: ProbeImage, tag: str) -> str:
        """Upload the image's blobs, then its manifest; its digest."""
        container = self.container(repository, tag)
        folder = private_folder("http-blobs")
        try:
            for blob in (image.layer, image.config):
                path = folder / blob.digest.replace(":", "-")
                path.write_bytes(blob.data)
                self._check(
                    self.oras.upload_blob(str(path), container, blob.descriptor())
                )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        response = self._check(self.oras.upload_manifest(image.manifest(), container))
        body = response.request.body or b""
        sent = _digest(body.encode() if isinstance(body, str) else body)
        stored = response.headers.get("Docker-Content-Digest", sent)
        if stored != sent:
            raise _error(f"the registry stored the manifest as {stored}, sent {sent}")
        return sent

    def manifest(self, repository: str, reference: str) -> tuple[dict[str, Any], str]:
        """The manifest named by a tag or digest, and its digest, checked."""
        container = self.container(repository, reference)
        url = f"{self.oras.prefix}://{container.manifest_url()}"
        headers = {"Accept": ", ".join(ACCEPTED_MANIFESTS)}
        response = self._check(self.oras.do_request(url, "GET", headers=headers))
        digest = _digest(response.content)
        named = reference if reference.startswith("sha256:") else None
        stored = named or response.headers.get("Docker-Content-Digest", digest)
        if stored != digest:
            raise _error(f"manifest {reference} has digest {digest}, not {stored}")
        document: dict[str, Any] = response.json()
        return document, digest

    def blob(self, repository: str, digest: str) -> None:
        """Fetch one blob and check that its content has its digest."""
        container = self.container(repository, digest)
        response = self._check(self.oras.get_blob(container, digest))
        if _digest(response.content) != digest:
            raise _error(
                f"blob {digest} arrived with digest {_digest(response.content)}"
            )

    def _check(self, response: requests.Response) -> requests.Response:
        if response.status_code not in (200, 201, 202):
            raise self.refusal()
        return response

    @contextmanager
    def refusals(self) -> Iterator[None]:
        """Turn what oras raises into the registry's answer, or an error."""
        try:
            yield
        except (ValueError, KeyError, OSError) as error:
            raise self.refusal(error) from error


def _platform_manifest(index: dict[str, Any]) -> str:
    """The digest of an index's linux/amd64 manifest (else its first)."""
    entries = index.get("manifests") or []
    if not entries:
        raise _error("the image index lists no manifests")
    for entry in entries:
        platform = entry.get("platform") or {}
        if platform.get("os") == "linux" and platform.get("architecture") == "amd64":
            return str(entry["digest"])
    return str(entries[0]["digest"])


class HttpClient:
    """A user's actions over the registry's HTTP API, with no Docker Engine: ``http``.

    No credentials outlive an action: each builds a new oras Registry with the one
    token it needs, so logging out is forgetting, and every cell starts clean.
    """

    name = "http"

    def __init__(
        self,
        registry: str,
        registry_api: RegistryAPI,
        *,
        registry_tls: bool = False,
        verify: bool | str = True,
        probe: ProbeImage,
    ) -> None:
        """``verify``: CA bundle (or False) for the registry's TLS when it has TLS.

        The realm's TLS is ``registry_api``'s: it fetches the tokens.
        """
        self.registry = registry
        self.registry_api = registry_api
        self._tls = registry_tls
        self._verify = verify
        self._base = f"{'https' if registry_tls else 'http'}://{registry}/v2/"
        self._probe = probe
        self.pushed: dict[str, set[str]] = {}

    def login(self, user: User) -> Observation:
        """What ``docker login`` does: a token from the realm, for no scope."""
        try:
            if not self._needs_token():
                return Observation(Outcome.OK, "Login Succeeded (no token needed)")
            grant = self._grant(user, None)
        except _Stop as stop:
            return stop.observation
        if isinstance(grant, TokenRefusal):
            return _token_refused(grant, "")
        return Observation(Outcome.OK, "Login Succeeded (token issued)")

    def push(self, user: User, reference: str) -> Observation:
        try:
            digest = self._upload(user, reference, self._probe)
        except _Stop as stop:
            return stop.observation
        return Observation(Outcome.OK, f"pushed {reference} digest: {digest}")

    def pull(self, user: User | None, reference: str) -> Observation:
        """Fetch the manifest and every blob, checking each digest."""
        repository, _, tag = reference.rpartition(":")
        try:
            action = self._start(user, "pull", repository)
            with action.refusals():
                manifest, digest = action.manifest(repository, tag)
                if manifest.get("mediaType") in (OCI_INDEX, DOCKER_MANIFEST_LIST):
                    platform = _platform_manifest(manifest)
                    manifest, _ = action.manifest(repository, platform)
                blobs = [manifest["config"], *manifest.get("layers", [])]
                for blob in blobs:
                    action.blob(repository, str(blob["digest"]))
        except _Stop as stop:
            return stop.observation
        return Observation(
            Outcome.OK,
            f"pulled {reference} digest: {digest} ({len(blobs)} blobs verified)",
        )

    def delete(self, user: User, repository: str, digest: str) -> Observation:
        return self.registry_api.delete_manifest(user, repository, digest)

    def catalog(self, user: User) -> Observation:
        return self.registry_api.catalog(user)

    def logout(self, user: User, check_reference: str) -> Observation:
        """Log in, forget the credentials, and prove it with a refused pull.

        This client keeps no credentials between actions, so forgetting them is
        using none: the pull that follows goes without.
        """
        login = self.login(user)
        if login.outcome is not Outcome.OK:
            return login
        anonymous = self.pull(None, check_reference)
        if anonymous.outcome in (Outcome.DENIED, Outcome.UNAUTHORIZED):
            return Observation(
                Outcome.OK,
                "credentials forgotten; a pull without them was refused: "
                + anonymous.message,
            )
        if anonymous.outcome is Outcome.OK:
            text = "succeeded"
        else:
            text = f"failed otherwise: {anonymous.message}"
        return Observation(
            Outcome.ERROR,
            f"after logout a pull of {check_reference} without credentials {text}",
        )

    def push_unique_image(self, user: User, reference: str, run_id: str) -> str:
        """Push a new probe image no other cell shares; return its manifest digest."""
        try:
            return self._upload(user, reference, make_probe_image(run_id))
        except _Stop as stop:
            refused = stop.observation
            raise SetupError(
                f"{user.name} could not push {reference} to {self.registry} over "
                f"HTTP ({refused.outcome.value}: {refused.message})"
            ) from None

    def _upload(self, user: User, reference: str, image: ProbeImage) -> str:
        """Push ``image`` as ``reference``; its manifest digest."""
        repository, _, tag = reference.rpartition(":")
        action = self._start(user, "push", repository)
        with action.refusals():
            digest = action.upload(repository, image, tag)
        self.pushed.setdefault(repository, set()).add(digest)
        return digest

    def _start(self, user: User | None, action: str, repository: str) -> _Action:
        """A new oras Registry holding the token this action needs, if any."""
        token = None
        if self._needs_token():
            grant = self._grant(user, scope_for(action, repository))
            if isinstance(grant, TokenRefusal):
                raise _Stop(_token_refused(grant, "token refused: "))
            token = grant.token
        logger.debug("http %s %s as %s", action, repository, _who(user))
        return _Action(self.registry, self._tls, self._verify, token)

    def _needs_token(self) -> bool:
        """Whether the registry asks for a token (a Bearer challenge) at all.

        Asked with requests, at once: oras-py retries an unreachable registry five
        times with growing sleeps, two minutes in all.
        """
        try:
            response = requests.get(self._base, verify=self._verify, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise _error(
                f"cannot reach the registry at {self._base}: {error}"
            ) from None
        if response.status_code == 200:
            return False
        challenge = parse_bearer_challenge(response.headers.get("WWW-Authenticate", ""))
        if response.status_code != 401 or challenge is None:
            raise _error(
                f"{self._base} answered {response.status_code} {response.reason} "
                "without a Bearer challenge: this client speaks token auth only"
            )
        return True

    def _grant(self, user: User | None, scope: str | None) -> TokenGrant | TokenRefusal:
        try:
            return self.registry_api.request_token(user, scope)
        except (RegistryUnreachable, ValueError, jwt.PyJWTError) as error:
            raise _error(f"no token from the realm: {error}") from None


def _token_refused(refusal: TokenRefusal, prefix: str) -> Observation:
    """A realm's 401 is refused credentials; any other answer is no verdict."""
    outcome = Outcome.UNAUTHORIZED if refusal.status == 401 else Outcome.ERROR
    return Observation(outcome, f"{prefix}{refusal.status} {refusal.message}")


def _who(user: User | None) -> str:
    return "anonymous" if user is None or user.anonymous else user.name

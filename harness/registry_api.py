"""The registry's HTTP API, for what the Engine cannot do: delete, catalog, tokens.

The Engine has no call to delete a manifest or list the catalog, and it never shows the
token it fetched. These few requests go to the registry and to its token realm
directly, with requests. Registry libraries were tried first and do not fit: python-dxf
refuses token authentication whenever the registry itself speaks plain HTTP
(``DXFAuthInsecureError``), even though the credentials only travel to an HTTPS realm;
oras-py keeps one token for every later request, so a delete after a pull is sent with
the pull token and refused.

Tokens are registered with the redactor as soon as they arrive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography import x509

from harness.challenge import BearerChallenge, parse_bearer_challenge
from harness.errors import HarnessError
from harness.matrix import Outcome, User
from harness.outcomes import Observation
from harness.redaction import redactor

logger = logging.getLogger(__name__)

TIMEOUT = 30
TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]


@dataclass(frozen=True)
class TokenGrant:
    """What the token server granted for one scope."""

    scope: str
    granted: tuple[str, ...]  # actions the token's access claim lists for the scope
    verified: bool  # the signature was checked against the expected certificate
    token: str = field(repr=False)


@dataclass(frozen=True)
class TokenRefusal:
    """The token server refused to issue a token (bad or missing credentials)."""

    status: int
    message: str


def scope_for(action: str, repository: str | None) -> str | None:
    """The scope the Engine or a client asks for to do ``action``; None for login."""
    if action == "catalog":
        return "registry:catalog:*"
    if repository is None:
        return None
    needed = {"push": "pull,push", "pull": "pull", "delete": "delete"}[action]
    return f"repository:{repository}:{needed}"


class RegistryUnreachable(HarnessError):
    """The registry or its realm did not answer over HTTP(S) at all."""


def _send(method: str, url: str, **options: Any) -> requests.Response:
    """One request; a connection or TLS failure becomes one short, redacted error.

    Raised ``from None``: requests' own exception chain carries the request's headers
    in its tracebacks, Basic credentials included.
    """
    try:
        return requests.request(method, url, timeout=TIMEOUT, **options)
    except requests.RequestException as error:
        reason = str(error.args[0] if error.args else error)
        hint = ""
        if isinstance(error, requests.exceptions.SSLError):
            hint = (
                " Its certificate is not trusted: give the CA bundle that signed it "
                "(setting registry_ca), or registry_insecure=true."
            )
        raise RegistryUnreachable(
            redactor.redact(
                f"{method} {url} failed: {type(error).__name__}: {reason}.{hint}"
            )
        ) from None


class RegistryAPI:
    """Talks to one registry and its token realm on behalf of matrix users."""

    def __init__(
        self,
        registry: str,
        *,
        registry_tls: bool = False,
        verify: bool | str = True,
        signing_certificate: Path | None = None,
    ) -> None:
        """``verify``: CA bundle (or False) for the registry's and the realm's TLS.

        ``signing_certificate``: the certificate whose key signs tokens, when known
        (the embedded stack); without it tokens are read but not verified.
        """
        self.base = f"{'https' if registry_tls else 'http'}://{registry}/v2/"
        self.verify = verify
        self._public_key = (
            x509.load_pem_x509_certificate(
                signing_certificate.read_bytes()
            ).public_key()
            if signing_certificate
            else None
        )
        self._challenge: BearerChallenge | None = None

    def challenge(self) -> BearerChallenge:
        """The registry's Bearer challenge: its realm and service."""
        if self._challenge is None:
            response = _send("GET", self.base, verify=self.verify)
            header = response.headers.get("WWW-Authenticate", "")
            challenge = parse_bearer_challenge(header)
            if response.status_code != 401 or challenge is None:
                raise ValueError(
                    f"{self.base} answered {response.status_code} without a Bearer "
                    "challenge: it does not use token authentication"
                )
            self._challenge = challenge
        return self._challenge

    def request_token(
        self, user: User | None, scope: str | None
    ) -> TokenGrant | TokenRefusal:
        """Ask the realm for a token as ``user`` (None or anonymous: no credentials)."""
        challenge = self.challenge()
        params = {"service": challenge.service}
        if scope:
            params["scope"] = scope
        auth = None
        if user is not None and not user.anonymous:
            assert user.presented_password is not None
            auth = (user.name, user.presented_password)
            params["account"] = user.name
        response = _send(
            "GET", challenge.realm, params=params, auth=auth, verify=self.verify
        )
        if response.status_code != 200:
            return TokenRefusal(
                response.status_code, redactor.redact(response.text.strip())
            )
        body = response.json()
        token = str(body.get("access_token") or body.get("token"))
        redactor.add(token)
        claims, verified = self._claims(token, challenge)
        return TokenGrant(scope or "", _granted(claims, scope), verified, token)

    def _claims(
        self, token: str, challenge: BearerChallenge
    ) -> tuple[dict[str, Any], bool]:
        if self._public_key is None:
            # External mode: the signing key is the registry's business; read only.
            return jwt.decode(token, options={"verify_signature": False}), False
        claims = jwt.decode(
            token,
            self._public_key,  # type: ignore[arg-type]
            algorithms=TOKEN_ALGORITHMS,
            audience=challenge.service,
            options={"verify_iss": False},
        )
        return claims, True

    # --- the two actions the Engine cannot take ------------------------------------

    def delete_manifest(
        self, user: User | None, repository: str, digest: str
    ) -> Observation:
        return self._act(
            user, "delete", repository, "DELETE", f"{repository}/manifests/{digest}"
        )

    def catalog(self, user: User | None) -> Observation:
        return self._act(user, "catalog", None, "GET", "_catalog")

    def _act(
        self,
        user: User | None,
        action: str,
        repository: str | None,
        method: str,
        path: str,
    ) -> Observation:
        scope = scope_for(action, repository)
        try:
            grant = self.request_token(user, scope)
            if isinstance(grant, TokenRefusal):
                return Observation(
                    Outcome.UNAUTHORIZED,
                    f"token refused ({grant.status}): {grant.message}",
                )
            response = _send(
                method,
                self.base + path,
                headers={"Authorization": f"Bearer {grant.token}"},
                verify=self.verify,
            )
        except RegistryUnreachable as error:
            return Observation(Outcome.ERROR, str(error))
        return observe_response(response)


def _granted(claims: dict[str, Any], scope: str | None) -> tuple[str, ...]:
    if not scope:
        return ()
    kind, _, rest = scope.partition(":")
    name = rest.rsplit(":", 1)[0]
    actions: set[str] = set()
    for entry in claims.get("access") or []:
        if entry.get("type") == kind and entry.get("name") == name:
            actions.update(entry.get("actions") or [])
    return tuple(sorted(actions))


def observe_response(response: requests.Response) -> Observation:
    """Turn a registry answer into an outcome: its status, error code and challenge."""
    status = f"{response.status_code} {response.reason}"
    if response.ok:
        return Observation(Outcome.OK, status)
    errors = _errors(response)
    challenge = parse_bearer_challenge(response.headers.get("WWW-Authenticate", ""))
    reason = challenge.error if challenge else None
    message = redactor.redact(
        f"{status}: {errors}" + (f" ({reason})" if reason else "")
    )
    if response.status_code == 401 and reason == "insufficient_scope":
        return Observation(Outcome.DENIED, message)
    if response.status_code == 401:
        return Observation(Outcome.UNAUTHORIZED, message)
    return Observation(Outcome.ERROR, message)


def _errors(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return response.text.strip()[:200]
    return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)

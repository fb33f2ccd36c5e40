"""Tokens the registry must refuse, made with PyJWT and sent straight to its API.

Each forgery starts from what a real token looks like and changes one thing: the key
that signs it, its validity window, its audience or issuer, its access claim after
signing, its algorithm, or the repository it is used on. A registry that accepts any
of them can be entered by someone who never logged in.

Forgeries that must be signed by the key the registry trusts (to show that only the
changed claim is refused) need that key, which the harness has only for the stack it
started itself; against an external registry they are left out, and say so.

Signed forgeries carry their certificate in the ``x5c`` header, which both registry
2.8 and 3.x verify against their ``rootcertbundle``: no key-id scheme has to be
reproduced, and a registry that trusts the attacker's certificate accepts them.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from harness.challenge import parse_bearer_challenge
from harness.matrix import User
from harness.redaction import redactor
from harness.registry_api import TIMEOUT, RegistryAPI, TokenGrant

# Beyond the registry's 60 seconds of leeway for exp and nbf.
OUT_OF_WINDOW = 600
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)


@dataclass(frozen=True)
class Signer:
    """A private key and its certificate, as PEM files on disk."""

    key: RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def from_files(cls, key_path: Path, certificate_path: Path) -> Signer:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, RSAPrivateKey)
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
        return cls(key, certificate)

    def x5c(self) -> list[str]:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return [base64.b64encode(der).decode()]

    def sign(self, claims: dict[str, Any]) -> str:
        token = jwt.encode(
            claims, self.key, algorithm="RS256", headers={"x5c": self.x5c()}
        )
        redactor.add(token)
        return token


@dataclass(frozen=True)
class Attempt:
    """One forged or misused token, and what the registry did with it."""

    name: str  # stable, for test ids: "untrusted-key"
    tried: str  # what the token was, in a few words
    accepted: bool
    answer: str  # the registry's status and reason
    risk: str  # what acceptance would let an attacker do


@dataclass(frozen=True)
class Target:
    """A repository whose seed image the user of ``grant`` may pull."""

    repository: str
    tag: str
    other_repository: str  # used with a token meant for ``repository``
    user: User


class TokenForge:
    """Makes the forgeries for one registry and tries each on its manifest API."""

    def __init__(
        self,
        api: RegistryAPI,
        target: Target,
        attacker: Signer,
        trusted: Signer | None,
    ) -> None:
        self.api = api
        self.target = target
        self.attacker = attacker
        self.trusted = trusted  # None: external registry, its signing key is unknown

    # --- the genuine article ---------------------------------------------------------

    def genuine(self) -> TokenGrant:
        """A real token for pulling the target, from the realm."""
        grant = self.api.request_token(
            self.target.user, f"repository:{self.target.repository}:pull"
        )
        if not isinstance(grant, TokenGrant) or "pull" not in grant.granted:
            raise ValueError(
                f"{self.target.user.name} got no pull token for "
                f"{self.target.repository}: the forgeries need one to start from"
            )
        return grant

    def claims(self, **changes: Any) -> dict[str, Any]:
        """Claims as docker_auth writes them, valid now, with ``changes`` applied."""
        now = int(time.time())
        challenge = self.api.challenge()
        claims: dict[str, Any] = {
            "iss": _issuer(self.genuine().token),
            "sub": self.target.user.account,
            "aud": challenge.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": [
                {
                    "type": "repository",
                    "name": self.target.repository,
                    "actions": ["pull"],
                }
            ],
        }
        claims.update(changes)
        return claims

    def try_token(self, token: str, repository: str | None = None) -> tuple[bool, str]:
        """GET the target's manifest with ``token``: (accepted, the registry's answer)."""
        name = repository or self.target.repository
        response = requests.get(
            f"{self.api.base}{name}/manifests/{self.target.tag}",
            headers={"Authorization": f"Bearer {token}", "Accept": MANIFEST_TYPES},
            verify=self.api.verify,
            timeout=TIMEOUT,
        )
        challenge = parse_bearer_challenge(response.headers.get("WWW-Authenticate", ""))
        reason = f" ({challenge.error})" if challenge and challenge.error else ""
        answer = f"{response.status_code} {response.reason}{reason}"
        return response.status_code not in {401, 403}, answer

    # --- the forgeries ---------------------------------------------------------------

    def attempt(self, name: str) -> Attempt:
        """Run the attempt called ``name`` (see :data:`ATTEMPTS`)."""
        method, needs_trusted_key = ATTEMPTS[name]
        if needs_trusted_key and self.trusted is None:
            raise ValueError(f"{name} needs the registry's signing key, unknown here")
        result: Attempt = getattr(self, method)()
        return result

    def _attempt(
        self,
        name: str,
        tried: str,
        token: str,
        risk: str,
        repository: str | None = None,
    ) -> Attempt:
        accepted, answer = self.try_token(token, repository)
        return Attempt(name, tried, accepted, answer, risk)

    def control_genuine(self) -> Attempt:
        """Not an attack: the real token must work, or the refusals prove nothing."""
        return self._attempt(
            "control-genuine-token",
            "the token the realm issued",
            self.genuine().token,
            "none: this is the token the registry must accept",
        )

    def control_resigned(self) -> Attempt:
        """Not an attack: our own signing with the trusted key must be accepted."""
        assert self.trusted is not None
        return self._attempt(
            "control-resigned-token",
            "valid claims signed with the token server's key (x5c)",
            self.trusted.sign(self.claims()),
            "none: this shows the signed forgeries differ only in what they change",
        )

    def untrusted_key(self) -> Attempt:
        return self._attempt(
            "untrusted-key",
            "valid claims signed by a key the registry was never given",
            self.attacker.sign(self.claims(access=_all_actions(self.target))),
            "anyone with a key of their own can mint tokens for any repository and "
            "action: the registry's rootcertbundle must hold only the token server's "
            "certificate",
        )

    def expired(self) -> Attempt:
        assert self.trusted is not None
        now = int(time.time())
        claims = self.claims(
            exp=now - OUT_OF_WINDOW,
            nbf=now - 2 * OUT_OF_WINDOW,
            iat=now - 2 * OUT_OF_WINDOW,
        )
        return self._attempt(
            "expired",
            f"a token that expired {OUT_OF_WINDOW} s ago",
            self.trusted.sign(claims),
            "a token that leaked once stays usable forever",
        )

    def not_yet_valid(self) -> Attempt:
        assert self.trusted is not None
        now = int(time.time())
        claims = self.claims(nbf=now + OUT_OF_WINDOW, exp=now + 2 * OUT_OF_WINDOW)
        return self._attempt(
            "not-yet-valid",
            f"a token valid only from {OUT_OF_WINDOW} s from now",
            self.trusted.sign(claims),
            "tokens minted ahead of time work before their window opens",
        )

    def wrong_audience(self) -> Attempt:
        assert self.trusted is not None
        return self._attempt(
            "wrong-audience",
            "a token for another service",
            self.trusted.sign(self.claims(aud="another registry")),
            "a token issued for one registry opens another that shares the key",
        )

    def wrong_issuer(self) -> Attempt:
        assert self.trusted is not None
        return self._attempt(
            "wrong-issuer",
            "a token from another issuer",
            self.trusted.sign(self.claims(iss="someone else")),
            "tokens of any issuer that shares the key are accepted",
        )

    def access_changed_after_signing(self) -> Attempt:
        genuine = self.genuine().token
        header, payload, signature = genuine.split(".")
        claims = json.loads(_unpad(payload))
        claims["access"] = _all_actions(self.target)
        forged_payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        token = f"{header}.{forged_payload}.{signature}"
        redactor.add(token)
        return self._attempt(
            "access-changed-after-signing",
            "a real token whose access claim was widened afterwards",
            token,
            "the signature is not checked: any holder of a token can grant itself "
            "every action",
        )

    def algorithm_none(self) -> Attempt:
        header = {
            "typ": "JWT",
            "alg": "none",
            "kid": _header(self.genuine().token).get("kid"),
        }
        claims = self.claims(access=_all_actions(self.target))
        token = (
            f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
        )
        redactor.add(token)
        return self._attempt(
            "algorithm-none",
            'an unsigned token ("alg": "none")',
            token,
            "anyone can write a token by hand",
        )

    def other_repository(self) -> Attempt:
        return self._attempt(
            "token-for-another-repository",
            f"a real pull token for {self.target.repository} used on "
            f"{self.target.other_repository}",
            self.genuine().token,
            "a right granted on one repository reaches every repository",
            repository=self.target.other_repository,
        )


# name -> (method, needs the key the registry trusts). The two controls are not
# attacks: they must be accepted, or the refusals of the others prove nothing.
ATTEMPTS: dict[str, tuple[str, bool]] = {
    "control-genuine-token": ("control_genuine", False),
    "control-resigned-token": ("control_resigned", True),
    "untrusted-key": ("untrusted_key", False),
    "expired": ("expired", True),
    "not-yet-valid": ("not_yet_valid", True),
    "wrong-audience": ("wrong_audience", True),
    "wrong-issuer": ("wrong_issuer", True),
    "access-changed-after-signing": ("access_changed_after_signing", False),
    "algorithm-none": ("algorithm_none", False),
    "token-for-another-repository": ("other_repository", False),
}


def attempt_names(with_trusted_key: bool) -> list[str]:
    """The attempts that apply: all of them when the registry's signing key is known."""
    return [
        name for name, (_, needs) in ATTEMPTS.items() if with_trusted_key or not needs
    ]


def is_control(name: str) -> bool:
    return name.startswith("control-")


def _all_actions(target: Target) -> list[dict[str, Any]]:
    return [
        {"type": "repository", "name": name, "actions": ["pull", "push", "delete"]}
        for name in (target.repository, target.other_repository)
    ]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unpad(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _header(token: str) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(_unpad(token.split(".")[0]))
    return header


def _issuer(token: str) -> str:
    claims = json.loads(_unpad(token.split(".")[1]))
    return str(claims.get("iss", ""))

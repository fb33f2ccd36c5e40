"""The ``WWW-Authenticate: Bearer ...`` challenge a token-protected registry sends."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PARAMETER = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class BearerChallenge:
    realm: str
    service: str
    scope: str | None = None
    error: str | None = None  # invalid_token, insufficient_scope, ...
    # Actions named in the scope, as a set: their order varies between registry versions.
    actions: frozenset[str] = field(default_factory=frozenset)


def parse_bearer_challenge(header: str) -> BearerChallenge | None:
    """Parse a Bearer challenge; None when the header asks for something else."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    parameters = dict(_PARAMETER.findall(rest))
    scope = parameters.get("scope")
    actions = frozenset(scope.rsplit(":", 1)[-1].split(",")) if scope else frozenset()
    return BearerChallenge(
        realm=parameters.get("realm", ""),
        service=parameters.get("service", ""),
        scope=scope,
        error=parameters.get("error"),
        actions=actions,
    )

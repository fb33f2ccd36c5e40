"""Why a cell came out as it did: the scope asked for, what was granted, and by whom.

For each cell that needs a token, the harness asks the realm itself for the same scope
the client asked for and reads the token's ``access`` claim. In embedded mode the
signature is checked against the generated certificate, and the ACL entry that decided
is found the way docker_auth finds it (the first entry that matches). When that reading
and the real grant disagree, the explanation says so: either the harness misreads the
ACL, or docker_auth does something its ACL does not say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.acl import TokenRequest, decide
from harness.matrix import Cell, User
from harness.registry_api import (
    RegistryAPI,
    RegistryUnreachable,
    TokenRefusal,
    scope_for,
)


@dataclass(frozen=True)
class Why:
    scope: str | None
    granted: tuple[str, ...] | None  # None: no token was issued
    decided_by: str | None  # the ACL entry, in embedded mode
    disagreement: str | None = None
    refusal: str | None = None  # the realm's answer when it issued no token

    def sentence(self) -> str:
        """``granted [pull] for repository:team/app by ACL entry 3 (...)``."""
        if self.scope is None:
            return ""
        if self.granted is None:
            return f"no token for {self.scope}: {self.refusal}"
        resource = self.scope.rsplit(":", 1)[0]
        text = f"granted [{', '.join(self.granted)}] for {resource}"
        if self.decided_by and self.decided_by.startswith("no ACL entry"):
            text += f": {self.decided_by}"
        elif self.decided_by:
            text += f" by {self.decided_by}"
        if self.disagreement:
            text += f"; {self.disagreement}"
        return text


def explain(
    api: RegistryAPI,
    user: User,
    cell: Cell,
    acl: Sequence[Mapping[str, Any]] | None,
    client_address: str,
) -> Why:
    """Ask for the cell's scope as its user, and read the ACL as docker_auth would."""
    scope = scope_for(cell.action.value, cell.repository)
    if scope is None:
        return Why(None, None, None)
    try:
        grant = api.request_token(user, scope)
    except RegistryUnreachable as error:
        return Why(scope, None, None, refusal=str(error))
    if isinstance(grant, TokenRefusal):
        return Why(scope, None, None, refusal=f"{grant.status} {grant.message}")
    if acl is None:
        return Why(scope, grant.granted, None)
    request = TokenRequest.from_scope(
        scope, user.account, service=api.challenge().service, ip=client_address
    )
    decision = decide(acl, request)
    disagreement = None
    if tuple(sorted(decision.granted)) != grant.granted:
        disagreement = (
            f"the ACL read here grants [{', '.join(decision.granted)}]: docker_auth "
            "and this reading of its ACL disagree"
        )
    return Why(scope, grant.granted, decision.describe(), disagreement)

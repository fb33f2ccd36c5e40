"""Credentials that must be refused: the authentication half of the security suite.

Each impostor is a real account of the matrix (its seed user, who may do the most)
presented with something wrong. Every one must come out ``unauthorized``: never a
success, and never ``denied``, which would mean the registry looked at the rights of
someone whose identity it had not established.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.matrix import ANONYMOUS, Matrix, User

ACTIONS = ("login", "push", "pull")


@dataclass(frozen=True)
class Impostor:
    name: str  # stable, for test ids
    tried: str  # in words, without any secret
    user: User
    actions: tuple[str, ...] = ACTIONS
    # Where anonymous access is on, clients send an empty password as no credentials
    # at all: the impostor then gets what the anonymous user gets, and must get no
    # more (login included: docker_auth issues anonymous tokens, so it "succeeds").
    judged_as_anonymous: bool = False


def impostors(matrix: Matrix) -> list[Impostor]:
    """The impostors that apply to this matrix."""
    real = matrix.user(matrix.seed_user)
    assert real.password is not None
    anonymous_on = any(user.name == ANONYMOUS for user in matrix.users)
    found = [
        Impostor(
            "wrong-password",
            f"{real.name} with a wrong password",
            User(real.name, real.password, client_password=real.password + "-wrong"),
        ),
        Impostor(
            "unknown-user",
            "an account that does not exist",
            User("no-such-user-here", real.password),
        ),
        Impostor(
            "empty-password",
            f"{real.name} with an empty password",
            User(real.name, real.password, client_password=""),
            judged_as_anonymous=anonymous_on,
        ),
    ]
    other_case = real.name.swapcase()
    if other_case != real.name:
        found.append(
            Impostor(
                "name-in-other-case",
                f"{other_case} (the name of {real.name} in other letter case) with "
                "its right password",
                User(other_case, real.password),
            )
        )
    # Without an anonymous user, no credentials must mean "unauthorized". With one,
    # docker_auth issues tokens to everybody and the matrix's anonymous cells decide.
    if not anonymous_on:
        found.append(
            Impostor(
                "no-credentials",
                "no credentials at all",
                User(ANONYMOUS),
                ("push", "pull"),
            )
        )
    return found

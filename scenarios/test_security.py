"""The token setup under attack: forged tokens, and credentials that must be refused.

These run with the matrix, against the same registry. Forged tokens go straight to the
registry's API; impostors go through each of the run's clients. A check fails with a
sentence on the risk when the setup accepts what it should refuse.
"""

from collections.abc import Callable

from harness.attacks import TokenForge, is_control
from harness.clients import RegistryClient
from harness.impostors import Impostor
from harness.matrix import ANONYMOUS, Matrix, Outcome, User
from harness.outcomes import Observation

Record = Callable[[str, bool, str], None]


def test_forged_token_is_refused(
    forgery: str, token_forge: TokenForge, record_security: Record
) -> None:
    attempt = token_forge.attempt(forgery)
    if is_control(forgery):
        # A control must be accepted, or the refusals below would prove nothing.
        detail = f"{attempt.tried}: registry answered {attempt.answer}"
        if not attempt.accepted:
            detail += "; the forgery checks cannot be trusted until this one passes"
        record_security(f"control: {forgery}", attempt.accepted, detail)
        return
    detail = f"{attempt.tried}: registry answered {attempt.answer}"
    if attempt.accepted:
        detail = f"ACCEPTED {attempt.tried} ({attempt.answer}). Risk: {attempt.risk}"
    record_security(f"forged token: {forgery}", not attempt.accepted, detail)


def test_impostor_is_unauthorized(
    impostor_case: tuple[Impostor, str, str],
    registry_clients: dict[str, RegistryClient],
    matrix: Matrix,
    record_security: Record,
) -> None:
    impostor, action, client_name = impostor_case
    client = registry_clients[client_name]
    reference = f"{matrix.repositories[0]}:{matrix.tag}"
    if action == "login":
        observed = client.login(impostor.user)
    elif action == "push":
        observed = client.push(impostor.user, reference)
    else:
        observed = client.pull(impostor.user, reference)

    check = f"authentication: {impostor.name} ({action}, {client_name})"
    detail = f"{impostor.tried}: {observed.outcome.value} ({observed.message})"
    if impostor.judged_as_anonymous:
        _judge_as_anonymous(
            impostor, action, client, reference, observed, check, record_security
        )
        return
    if observed.outcome is Outcome.OK:
        detail = f"ACCEPTED {impostor.tried} at {action}. Risk: anyone can act as this account"
    elif observed.outcome is Outcome.DENIED:
        detail += (
            ". Risk: the registry judged the rights of an identity it never established; "
            "refused credentials must read as unauthorized"
        )
    record_security(check, observed.outcome is Outcome.UNAUTHORIZED, detail)


def _judge_as_anonymous(
    impostor: Impostor,
    action: str,
    client: RegistryClient,
    reference: str,
    observed: Observation,
    check: str,
    record_security: Record,
) -> None:
    """With anonymous access on, the impostor must get no more than no credentials."""
    detail = f"{impostor.tried}, taken as no credentials: {observed.outcome.value}"
    if action == "login":
        # An anonymous token is issued, so the Engine says "Login Succeeded".
        passed = observed.outcome in {Outcome.OK, Outcome.UNAUTHORIZED}
        record_security(check, passed, f"{detail} ({observed.message})")
        return
    anonymous = User(ANONYMOUS)
    baseline = (
        client.push(anonymous, reference)
        if action == "push"
        else client.pull(anonymous, reference)
    )
    passed = observed.outcome is baseline.outcome or (
        baseline.outcome is not Outcome.OK and observed.outcome is not Outcome.OK
    )
    if not passed:
        detail += (
            f", but without credentials {baseline.outcome.value}. Risk: an empty "
            "password is worth more than none"
        )
    record_security(check, passed, detail)

"""What one cell of the matrix does, and the judged result of doing it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.baseline import regression
from harness.clients import RegistryClient
from harness.errors import SetupError
from harness.matrix import Action, Cell, Matrix, Outcome
from harness.outcomes import Observation, expand_message, judge
from harness.redaction import redactor
from harness.results import CellResult
from harness.why import explain


@dataclass(frozen=True)
class Context:
    """What a cell needs besides its client: the run, and how to explain outcomes."""

    run_id: str
    # The ACL to read the deciding entry from (embedded mode); None when the ACL of
    # the registry under test is not known (external mode).
    acl: Sequence[Mapping[str, Any]] | None
    # The address docker_auth sees the harness's requests come from; its ACL may match
    # on it (behind Docker's port publishing, the bridge gateway).
    client_address: str
    baseline: Mapping[str, str] | None = None


def seed_repositories(client: RegistryClient, matrix: Matrix) -> None:
    """Push <repository>:<tag> into every repository as the seed user."""
    seeder = matrix.user(matrix.seed_user)
    for repository in matrix.repositories:
        reference = f"{repository}:{matrix.tag}"
        pushed = client.push(seeder, reference)
        if pushed.outcome is Outcome.OK:
            continue
        hint = {
            Outcome.UNAUTHORIZED: f"the credentials of {seeder.name} were refused: "
            "check its password under users",
            Outcome.DENIED: f"the ACL does not let {seeder.name} push {repository}: "
            "choose a seed_user who may push to every repository",
        }.get(pushed.outcome, "the message says what went wrong")
        raise SetupError(
            f"set-up: {seeder.name} could not push the seed image {reference}, which "
            f"the pull cells need ({pushed.outcome.value}: {pushed.message}); {hint}."
        )


def run_cell(
    client: RegistryClient, matrix: Matrix, cell: Cell, run_id: str
) -> Observation:
    """Act out ``cell`` from a clean start: every action logs in again first."""
    user = matrix.user(cell.user).as_seen_by(client.name)
    if cell.action is Action.LOGIN:
        return client.login(user)
    if cell.action is Action.LOGOUT:
        return client.logout(user, f"{matrix.logout_check_repository}:{matrix.tag}")
    if cell.action is Action.CATALOG:
        return client.catalog(user)
    assert cell.repository is not None and cell.reference is not None
    if cell.action is Action.PUSH:
        return client.push(user, cell.reference)
    if cell.action is Action.PULL:
        return client.pull(user, cell.reference)
    seeder = matrix.user(matrix.seed_user)
    target = f"{cell.repository}:delete-{user.name}"
    digest = client.push_unique_image(seeder, target, run_id)
    return client.delete(user, cell.repository, digest)


def evaluate_cell(
    client: RegistryClient, matrix: Matrix, cell: Cell, context: Context
) -> CellResult:
    """Run ``cell``; judge it against the matrix, the baseline, and explain it."""
    observed = run_cell(client, matrix, cell, context.run_id)
    template = matrix.expected_message(client.name, cell)
    expected_message = (
        expand_message(template, cell, client.registry) if template else None
    )
    verdict = judge(cell, observed, expected_message)
    why = explain(
        client.registry_api,
        matrix.user(cell.user).as_seen_by(client.name),
        cell,
        context.acl,
        context.client_address,
    )
    explanation = verdict.explanation
    if why.sentence():
        explanation += f"; {why.sentence()}"
    result = CellResult(
        test_id=cell.test_id,
        user=cell.user,
        action=cell.action.value,
        repository=cell.repository,
        reference=cell.reference,
        client=client.name,
        expected=cell.expected.outcome.value,
        expected_message=expected_message,
        observed=observed.outcome.value,
        observed_message=redactor.redact(observed.message),
        passed=verdict.passed,
        explanation=redactor.redact(explanation),
        scope=why.scope,
        granted=list(why.granted) if why.granted is not None else None,
        decided_by=why.decided_by,
        disagreement=why.disagreement,
    )
    moved = (
        regression(context.baseline, result) if context.baseline is not None else None
    )
    if moved:
        result = dataclasses.replace(result, regression=moved, passed=False)
    return result

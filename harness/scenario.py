"""What one cell of the matrix does, and the judged result of doing it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from harness.baseline import regression
from harness.client import EngineClient
from harness.matrix import Action, Cell, Matrix
from harness.outcomes import Observation, expand_message, judge
from harness.redaction import redactor
from harness.results import CellResult


def run_cell(client: EngineClient, matrix: Matrix, cell: Cell) -> Observation:
    """Act out ``cell`` from a clean start: every action logs in again first."""
    user = matrix.user(cell.user)
    if cell.action is Action.LOGIN:
        return client.login(user)
    if cell.action is Action.LOGOUT:
        # Logout is proven by a refused pull of the seed image afterwards.
        return client.logout(user, matrix.seed_image.reference)
    assert cell.reference is not None  # push and pull cells always name an image
    if cell.action is Action.PUSH:
        return client.push(user, cell.reference)
    return client.pull(user, cell.reference)


def evaluate_cell(
    client: EngineClient,
    matrix: Matrix,
    cell: Cell,
    baseline: Mapping[str, str] | None = None,
) -> CellResult:
    """Run ``cell`` and judge it against the matrix and, if given, a baseline."""
    observed = run_cell(client, matrix, cell)
    template = matrix.expected_message(client.name, cell)
    expected_message = (
        expand_message(template, cell, client.registry) if template else None
    )
    verdict = judge(cell, observed, expected_message)
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
        explanation=verdict.explanation,
    )
    moved = regression(baseline, result) if baseline is not None else None
    if moved:
        result = dataclasses.replace(result, regression=moved, passed=False)
    return result

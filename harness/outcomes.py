"""What a client observed, and whether it matches what the matrix expects."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.matrix import Cell, Outcome
from harness.redaction import redactor


@dataclass(frozen=True)
class Observation:
    outcome: Outcome
    message: str  # the client's own words, redacted


@dataclass(frozen=True)
class Verdict:
    passed: bool
    explanation: str


def classify_refusal(message: str) -> Outcome:
    """Map a client's refusal onto an outcome.

    The Engine words a token without the needed rights (``insufficient_scope``) as
    "requested access to the resource is denied": that is ``denied``, even when other
    lines of the same push say "unauthorized" (a push whose layers already exist in
    another repository reports each refused attempt). Otherwise refused credentials,
    or none, are ``unauthorized``; any other denial is ``denied``.
    """
    lowered = message.lower()
    if "requested access to the resource is denied" in lowered:
        return Outcome.DENIED
    if "unauthorized" in lowered or "authentication required" in lowered:
        return Outcome.UNAUTHORIZED
    if "denied" in lowered:
        return Outcome.DENIED
    return Outcome.ERROR


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def expand_message(template: str, cell: Cell, registry: str) -> str:
    """Fill ``{registry}``, ``{repository}``, ``{reference}`` and ``{user}`` in a message."""
    return template.format(
        registry=registry,
        repository=cell.repository or "",
        reference=cell.reference or "",
        user=cell.user,
    )


def judge(cell: Cell, observed: Observation, expected_message: str | None) -> Verdict:
    """Compare an observation with the cell's expectation: outcome, then message."""
    expected = cell.expected.outcome
    wanted = f"expected {expected.value}"
    if expected_message:
        wanted += f" with message containing {expected_message!r}"
    seen = f"observed {observed.outcome.value} ({_normalise(observed.message)!r})"
    passed = observed.outcome == expected and (
        not expected_message
        or _normalise(expected_message) in _normalise(observed.message)
    )
    explanation = f"{cell.describe()}: {wanted}, {seen}"
    return Verdict(passed, redactor.redact(explanation))

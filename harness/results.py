"""The outcome of a run, cell by cell: what every report is rendered from.

A :class:`CellResult` holds only plain values (and redacted text), so that it can travel
from a pytest-xdist worker to the controller inside a test report and be written to a
baseline file as it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The actions a matrix can name that concern the account, not a repository.
ACCOUNT_ACTIONS = ("login", "logout", "catalog")
ACCOUNT_TABLE = "(account)"


@dataclass(frozen=True)
class CellResult:
    test_id: str
    user: str
    action: str
    repository: str | None  # None for account actions (login, logout)
    reference: str | None
    client: str
    expected: str  # an Outcome value
    expected_message: str | None
    observed: str  # an Outcome value
    observed_message: str
    passed: bool
    explanation: str  # one line: expected and observed, redacted
    regression: str | None = None  # set when a baseline says this cell used to differ
    # Why: the scope asked for, the actions the token granted (None: no token), and
    # the ACL entry that decided (embedded mode).
    scope: str | None = None
    granted: list[str] | None = None
    decided_by: str | None = None
    disagreement: str | None = None  # the ACL read here and the real grant differ

    @property
    def table(self) -> str:
        """The report table this cell belongs to: its repository, or the account."""
        return self.repository or ACCOUNT_TABLE

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CellResult:
        return cls(**data)


@dataclass(frozen=True)
class SecurityResult:
    """One check of the security suite: an attack, and whether the setup held."""

    test_id: str
    check: str  # "forged token: untrusted-key", "authentication: wrong password (login, sdk)"
    passed: bool
    detail: str  # what was tried and what the registry answered; the risk if it failed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SecurityResult:
        return cls(**data)


@dataclass
class RunSummary:
    """Everything a report shows: run-wide facts, then the cells in matrix order."""

    # Label -> value, in display order: matrix file, client, docker_auth, registry,
    # Engine, time of the run.
    facts: dict[str, str] = field(default_factory=dict)
    results: list[CellResult] = field(default_factory=list)
    security: list[SecurityResult] = field(default_factory=list)
    lint: list[str] = field(default_factory=list)  # ACL lint warnings, before the run

    @property
    def failed(self) -> list[CellResult]:
        return [result for result in self.results if not result.passed]

    def tables(self) -> dict[str, list[CellResult]]:
        """Cells grouped by table: the account first, then repositories as they come."""
        grouped: dict[str, list[CellResult]] = {}
        ordered = sorted(self.results, key=lambda r: r.table != ACCOUNT_TABLE)
        for result in ordered:
            grouped.setdefault(result.table, []).append(result)
        return grouped

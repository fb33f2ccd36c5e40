"""Baselines record observed outcomes and name every cell that moved since."""

import json
from pathlib import Path

import pytest

from harness.baseline import BaselineError, load_baseline, regression, write_baseline
from harness.matrix import Outcome, load_matrix
from harness.outcomes import Observation
from harness.results import CellResult
from harness.scenario import evaluate_cell

SEED = Path(__file__).resolve().parents[2] / "scenarios" / "seed.yaml"


def _result(
    user: str, action: str, repository: str | None, observed: str
) -> CellResult:
    return CellResult(
        test_id=f"{user}-{action}",
        user=user,
        action=action,
        repository=repository,
        reference=f"{repository}:1" if repository else None,
        client="sdk",
        expected=observed,
        expected_message=None,
        observed=observed,
        observed_message="",
        passed=True,
        explanation="",
    )


def test_written_baseline_is_sorted_and_reads_back(tmp_path):
    path = tmp_path / "baseline.json"
    results = [
        _result("user02", "pull", "adminimage", "denied"),
        _result("admin", "login", None, "ok"),
    ]
    write_baseline(path, results, {"matrix": "scenarios/seed.yaml"})
    text = path.read_text()
    assert text.index("sdk admin login -") < text.index("sdk user02 pull adminimage")
    assert load_baseline(path) == {
        "sdk admin login -": "ok",
        "sdk user02 pull adminimage": "denied",
    }
    # Written twice from the same results, the file is the same: it diffs cleanly.
    write_baseline(path, list(reversed(results)), {"matrix": "scenarios/seed.yaml"})
    assert path.read_text() == text


def test_a_moved_cell_is_a_regression_sentence():
    baseline = {"sdk user01 pull team/app": "ok"}
    now = _result("user01", "pull", "team/app", "denied")
    assert (
        regression(baseline, now)
        == "regression: user01 pull team/app was ok, now denied"
    )
    assert regression(baseline, _result("user01", "pull", "team/app", "ok")) is None
    assert regression({}, now) is None  # a cell the baseline does not know is not one


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "line 1: not valid JSON"),
        (json.dumps({"format": 99, "cells": {}}), "not a baseline of format 1"),
        (json.dumps([1, 2]), "not a baseline of format 1"),
    ],
)
def test_unreadable_baseline_names_file_and_remedy(tmp_path, content, expected):
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(BaselineError) as caught:
        load_baseline(path)
    assert str(path) in str(caught.value) and expected in str(caught.value)
    assert "--write-baseline" in str(caught.value)


def test_missing_baseline_says_how_to_make_one(tmp_path):
    with pytest.raises(BaselineError, match="Write one first with --write-baseline"):
        load_baseline(tmp_path / "absent.json")


class _ScriptedClient:
    """Stands in for the Engine: answers every action with a fixed observation."""

    name = "sdk"
    registry = "localhost:5000"

    def __init__(self, observation: Observation) -> None:
        self.observation = observation

    def login(self, user):
        return self.observation

    def push(self, user, reference):
        return self.observation

    def pull(self, user, reference):
        return self.observation

    def logout(self, user, reference):
        return self.observation


def test_evaluated_cell_fails_with_the_regression_first():
    matrix = load_matrix(SEED)
    cell = next(c for c in matrix.cells if c.test_id == "user02-pull-adminimage-denied")
    client = _ScriptedClient(Observation(Outcome.OK, "Status: Downloaded"))
    baseline = {"sdk user02 pull adminimage": "denied"}
    result = evaluate_cell(client, matrix, cell, baseline)  # type: ignore[arg-type]
    assert not result.passed
    assert result.regression == "regression: user02 pull adminimage was denied, now ok"
    assert (
        "expected denied" in result.explanation and "observed ok" in result.explanation
    )


def test_evaluated_cell_passes_when_outcome_and_message_match():
    matrix = load_matrix(SEED)
    cell = next(
        c for c in matrix.cells if c.test_id == "user01-push-user01image-denied"
    )
    observation = Observation(
        Outcome.DENIED, "denied: requested access to the resource is denied"
    )
    result = evaluate_cell(_ScriptedClient(observation), matrix, cell)  # type: ignore[arg-type]
    assert result.passed and result.regression is None
    assert result.observed == "denied" and result.table == "user01image"

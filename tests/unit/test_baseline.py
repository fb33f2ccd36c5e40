"""Baselines record observed outcomes and name every cell that moved since."""

import json
from pathlib import Path

import pytest

from harness.baseline import (
    BaselineError,
    check_overlap,
    load_baseline,
    regression,
    write_baseline,
)
from harness.challenge import BearerChallenge
from harness.matrix import Matrix, Outcome, load_matrix
from harness.outcomes import Observation
from harness.registry_api import TokenGrant
from harness.results import CellResult
from harness.scenario import Context, evaluate_cell

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


class _GrantingAPI:
    """Stands in for the token realm: grants the same actions for every scope."""

    def __init__(self, granted: tuple[str, ...]) -> None:
        self.granted = granted

    def request_token(self, user, scope):
        return TokenGrant(scope=scope, granted=self.granted, verified=True, token="x")

    def challenge(self):
        return BearerChallenge(
            realm="https://localhost:1/auth", service="Docker registry"
        )


class _ScriptedClient:
    """Stands in for the Engine: answers every action with a fixed observation."""

    name = "sdk"
    registry = "localhost:5000"

    def __init__(self, observation: Observation, granted: tuple[str, ...] = ()) -> None:
        self.observation = observation
        self.registry_api = _GrantingAPI(granted)

    def login(self, user):
        return self.observation

    def push(self, user, reference):
        return self.observation

    def pull(self, user, reference):
        return self.observation

    def logout(self, user, reference):
        return self.observation


def _evaluate(client, test_id, baseline=None):
    matrix: Matrix = load_matrix(SEED)
    cell = next(c for c in matrix.cells if c.test_id == test_id)
    context = Context(
        run_id="unit",
        acl=matrix.acl,
        client_address="127.0.0.1",
        baseline=baseline,
    )
    return evaluate_cell(client, matrix, cell, context)  # type: ignore[arg-type]


def test_evaluated_cell_fails_with_the_regression_first():
    client = _ScriptedClient(Observation(Outcome.OK, "Status: Downloaded"))
    baseline = {"sdk user02 pull adminimage": "denied"}
    result = _evaluate(client, "user02-pull-adminimage-denied", baseline)
    assert not result.passed
    assert result.regression == "regression: user02 pull adminimage was denied, now ok"
    assert (
        "expected denied" in result.explanation and "observed ok" in result.explanation
    )


def test_failing_cell_explanation_names_the_grant_and_the_deciding_acl_entry():
    client = _ScriptedClient(Observation(Outcome.DENIED, "denied"), ("pull",))
    result = _evaluate(client, "user01-pull-adminimage-ok")
    assert not result.passed
    # The why-sentence follows the verdict. Whether the resource is written with the
    # actions asked for (repository:adminimage:pull) is left open here.
    verdict, _, why = result.explanation.partition("; ")
    assert verdict == "user01 pull adminimage: expected ok, observed denied ('denied')"
    assert why.startswith("granted [pull] for repository:adminimage")
    assert why.endswith(" by ACL entry 2 (account=user01 -> [pull])")
    assert (result.scope, result.granted) == ("repository:adminimage:pull", ["pull"])
    assert result.decided_by == "ACL entry 2 (account=user01 -> [pull])"
    assert result.disagreement is None


def test_grant_beyond_the_acl_is_reported_as_a_disagreement():
    client = _ScriptedClient(Observation(Outcome.OK, "pushed"), ("pull", "push"))
    result = _evaluate(client, "user01-push-user01image-denied")
    assert result.disagreement == (
        "the ACL read here grants [pull]: docker_auth and this reading of its ACL "
        "disagree"
    )
    assert result.disagreement in result.explanation


def test_evaluated_cell_passes_when_outcome_and_message_match():
    observation = Observation(
        Outcome.DENIED, "denied: requested access to the resource is denied"
    )
    result = _evaluate(
        _ScriptedClient(observation, ("pull",)), "user01-push-user01image-denied"
    )
    assert result.passed and result.regression is None
    assert result.observed == "denied" and result.table == "user01image"


def test_login_cell_asks_for_no_token_and_explains_nothing_more():
    client = _ScriptedClient(Observation(Outcome.OK, "Login Succeeded"))
    result = _evaluate(client, "admin-login-ok")
    assert result.passed and result.scope is None
    assert result.explanation == (
        "admin login: expected ok with message containing 'Login Succeeded', "
        "observed ok ('Login Succeeded')"
    )


def test_baseline_sharing_no_cell_with_the_run_is_refused(tmp_path):
    path = tmp_path / "baseline.json"
    write_baseline(path, [_result("admin", "login", None, "ok")], {"client": "sdk"})
    baseline = load_baseline(path)
    check_overlap(path, baseline, {"sdk admin login -", "sdk admin pull x"})  # overlaps
    with pytest.raises(BaselineError, match="shares no cell with this run"):
        check_overlap(path, baseline, {"cli admin login -"})

import pytest

from harness.matrix import Action, Cell, Expectation, Outcome
from harness.outcomes import Observation, classify_refusal, expand_message, judge

DENIED_TEXT = "denied: requested access to the resource is denied"


def _cell(user="user02", action=Action.PULL, repository="adminimage", outcome=None):
    return Cell(user, action, repository, Expectation(outcome or Outcome.DENIED))


@pytest.mark.parametrize(
    ("message", "outcome"),
    [
        (DENIED_TEXT, Outcome.DENIED),
        (
            "pull access denied for localhost:5000/adminimage, repository does not "
            "exist or may require 'docker login': " + DENIED_TEXT,
            Outcome.DENIED,
        ),
        (
            'Get "http://localhost:5000/v2/": unauthorized: authentication required',
            Outcome.UNAUTHORIZED,
        ),
        (
            'Head "http://localhost:5000/v2/adminimage/manifests/1": '
            "unauthorized: authentication required",
            Outcome.UNAUTHORIZED,
        ),
        ("manifest unknown", Outcome.ERROR),
    ],
)
def test_engine_refusal_text_is_classified(message, outcome):
    assert classify_refusal(message) is outcome


def test_judge_passes_when_outcome_and_message_match():
    observed = Observation(Outcome.DENIED, f"Error: {DENIED_TEXT} (code 1)")
    verdict = judge(_cell(), observed, DENIED_TEXT)
    assert verdict.passed
    assert verdict.explanation == (
        f"user02 pull adminimage: expected denied with message containing "
        f"'{DENIED_TEXT}', observed denied ('Error: {DENIED_TEXT} (code 1)')"
    )


def test_judge_message_match_ignores_whitespace():
    observed = Observation(
        Outcome.DENIED, "denied:  requested access\n to the resource"
    )
    verdict = judge(_cell(), observed, "requested   access to\tthe resource")
    assert verdict.passed


def test_judge_fails_when_outcome_differs_and_explains():
    verdict = judge(_cell(), Observation(Outcome.OK, "Pull complete"), None)
    assert not verdict.passed
    assert verdict.explanation == (
        "user02 pull adminimage: expected denied, observed ok ('Pull complete')"
    )


def test_judge_fails_when_outcome_matches_but_message_does_not():
    observed = Observation(Outcome.DENIED, "denied: something else entirely")
    verdict = judge(_cell(), observed, DENIED_TEXT)
    assert not verdict.passed
    assert verdict.explanation.endswith(
        f"with message containing '{DENIED_TEXT}', "
        "observed denied ('denied: something else entirely')"
    )


def test_explanation_of_an_account_action_names_no_repository():
    cell = _cell("admin", Action.LOGIN, None, Outcome.OK)
    verdict = judge(cell, Observation(Outcome.UNAUTHORIZED, "401 Unauthorized"), None)
    assert verdict.explanation == (
        "admin login: expected ok, observed unauthorized ('401 Unauthorized')"
    )


def test_expand_message_fills_registry_and_repository():
    template = (
        "pull access denied for {registry}/{repository}, ref {reference} by {user}"
    )
    expanded = expand_message(template, _cell(), "localhost:5000")
    assert expanded == (
        "pull access denied for localhost:5000/adminimage, ref adminimage:1 by user02"
    )

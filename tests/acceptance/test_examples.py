"""Every bundled example passes on the real stack, and a wrong expectation says why."""

from pathlib import Path

import pytest

from harness.matrix import load_matrix

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_bundled_example_passes(run_matrix, example):
    run = run_matrix(f"--matrix={example}")
    assert run.returncode == 0, run.output[-4000:]
    assert " failed" not in run.output and " error" not in run.output


def test_wrong_expectation_fails_with_scope_grant_and_deciding_entry(
    run_matrix, tmp_path
):
    team = (ROOT / "scenarios" / "team.yaml").read_text()
    wrong = team.replace(
        'push: {alice/tools: ok, "*": denied}',
        'push: {alice/tools: ok, team/app: ok, "*": denied}',
    )
    assert wrong != team
    matrix = tmp_path / "team-wrong.yaml"
    matrix.write_text(wrong)

    run = run_matrix(f"--matrix={matrix}")
    cells = len(load_matrix(matrix).cells)
    assert f"1 failed, {cells - 1} passed" in run.output, run.output[-4000:]
    assert (
        "alice push team/app: expected ok, observed denied" in run.output
        and "granted [pull] for repository:team/app by ACL entry 9 "
        "(account=/.+/, name=team/* -> [pull])"
        in run.output
    )


def test_wrong_password_is_unauthorized_never_denied(run_matrix, seed_with):
    # user02 has no rights at all: with the wrong password it must still read as
    # refused credentials, not as missing rights.
    matrix = seed_with(
        (
            "{name: user02, password: password02}",
            "{name: user02, password: password02, client_password: wrong}",
        ),
        (
            "user02: {login: ok, push: {user02image: denied}, pull: {adminimage: denied}, "
            "logout: ok}",
            "user02: {login: unauthorized, push: {user02image: unauthorized}, "
            "pull: {adminimage: unauthorized}, logout: unauthorized}",
        ),
    )
    run = run_matrix(f"--matrix={matrix}")
    assert "12 passed" in run.output, run.output[-4000:]

from pathlib import Path

import pytest

from harness.errors import MatrixFileError
from harness.matrix import Action, Matrix, Outcome, load_matrix

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SEED = SCENARIOS / "seed.yaml"
EXAMPLES = sorted(SCENARIOS.glob("*.yaml"))

SEED_TEST_IDS = [
    "admin-login-ok",
    "admin-push-adminimage-ok",
    "admin-pull-adminimage-ok",
    "admin-logout-ok",
    "user01-login-ok",
    "user01-push-user01image-denied",
    "user01-pull-adminimage-ok",
    "user01-logout-ok",
    "user02-login-ok",
    "user02-push-user02image-denied",
    "user02-pull-adminimage-denied",
    "user02-logout-ok",
]

# Everything but the expectations, which each test writes for itself.
SMALL = """\
users:
  - {anonymous: true}
  - {name: alice, password: secret-a}
acl:
  - match: {account: alice}
    actions: ["*"]
  - match: {account: "", name: team/app}
    actions: ["pull"]
repositories: [team/app, alice/tools, private]
seed_user: alice
tag: v2
expect:
"""


def _small(tmp_path: Path, expect: str) -> Matrix:
    path = tmp_path / "matrix.yaml"
    path.write_text(SMALL + expect, encoding="utf-8")
    return load_matrix(path)


def _seed_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the seed matrix with ``old`` replaced by ``new`` (exactly once)."""
    text = SEED.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "matrix.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _outcomes(matrix: Matrix, action: Action) -> list[tuple[str | None, Outcome]]:
    return [
        (cell.repository, cell.expected.outcome)
        for cell in matrix.cells
        if cell.action is action
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_bundled_example_matrix_loads(path):
    assert load_matrix(path).cells


def test_seed_matrix_has_three_users_with_their_passwords():
    matrix = load_matrix(SEED)
    assert [user.name for user in matrix.users] == ["admin", "user01", "user02"]
    assert matrix.user("user01").password == "password01"
    assert matrix.user("user01").account == "user01"


def test_seed_matrix_has_twelve_cells_with_expected_test_ids():
    cells = load_matrix(SEED).cells
    assert [cell.test_id for cell in cells] == SEED_TEST_IDS


def test_seed_matrix_seeds_every_repository_as_admin_with_tag_1():
    matrix = load_matrix(SEED)
    assert matrix.repositories == ("adminimage", "user01image", "user02image")
    assert (matrix.seed_user, matrix.tag) == ("admin", "1")


def test_seed_logout_is_proven_on_the_first_repository():
    assert load_matrix(SEED).logout_check_repository == "adminimage"


def test_push_cell_reference_is_repository_and_tag():
    cells = {cell.test_id: cell for cell in load_matrix(SEED).cells}
    cell = cells["user01-push-user01image-denied"]
    assert (cell.action, cell.reference) == (Action.PUSH, "user01image:1")
    assert cell.expected.outcome is Outcome.DENIED
    assert cells["admin-login-ok"].reference is None


def test_expected_message_for_push_denied_comes_from_sdk_messages():
    matrix = load_matrix(SEED)
    cell = next(
        c for c in matrix.cells if c.test_id == "user01-push-user01image-denied"
    )
    assert (
        matrix.expected_message("sdk", cell)
        == "denied: requested access to the resource is denied"
    )
    assert matrix.expected_message("a-client-with-no-messages", cell) is None


def test_short_form_expects_the_same_outcome_of_every_repository(tmp_path):
    matrix = _small(tmp_path, "  alice: {push: denied}\n")
    assert _outcomes(matrix, Action.PUSH) == [
        ("team/app", Outcome.DENIED),
        ("alice/tools", Outcome.DENIED),
        ("private", Outcome.DENIED),
    ]
    assert matrix.cells[0].reference == "team/app:v2"


def test_star_covers_every_repository_not_named(tmp_path):
    matrix = _small(
        tmp_path, '  anonymous: {pull: {team/app: ok, "*": unauthorized}}\n'
    )
    assert _outcomes(matrix, Action.PULL) == [
        ("team/app", Outcome.OK),
        ("alice/tools", Outcome.UNAUTHORIZED),
        ("private", Outcome.UNAUTHORIZED),
    ]
    assert matrix.cells[1].test_id == "anonymous-pull-alice.tools-unauthorized"


def test_per_repository_form_without_star_makes_only_the_cells_named(tmp_path):
    matrix = _small(tmp_path, "  alice: {pull: {private: ok}}\n")
    assert _outcomes(matrix, Action.PULL) == [("private", Outcome.OK)]


def test_anonymous_user_is_docker_auths_empty_account_without_password(tmp_path):
    anonymous = _small(tmp_path, "  anonymous: {pull: unauthorized}\n").user(
        "anonymous"
    )
    assert (anonymous.name, anonymous.account) == ("anonymous", "")
    assert anonymous.password is None and anonymous.anonymous


def test_logout_is_proven_on_a_repository_the_anonymous_user_may_not_pull(tmp_path):
    matrix = _small(
        tmp_path,
        "  anonymous: {pull: {team/app: ok}}\n  alice: {login: ok, logout: ok}\n",
    )
    assert matrix.logout_check_repository == "alice/tools"


def test_message_of_an_expectation_wins_over_the_clients_messages(tmp_path):
    matrix = _small(tmp_path, "  alice: {login: {outcome: ok, message: Welcome}}\n")
    assert matrix.expected_message("sdk", matrix.cells[0]) == "Welcome"


def test_password_from_set_variable_is_the_environment_value(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_UNIT_PW", "from-the-environment")
    path = _seed_with(
        tmp_path, "password: password01}", 'password: "${HARNESS_UNIT_PW}"}'
    )
    assert load_matrix(path).user("user01").password == "from-the-environment"


def test_password_from_unset_variable_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("HARNESS_UNIT_PW", raising=False)
    path = _seed_with(
        tmp_path, "password: password01}", 'password: "${HARNESS_UNIT_PW}"}'
    )
    with pytest.raises(MatrixFileError) as caught:
        load_matrix(path)
    assert f"{path}, line 6: users[1].password: " in str(caught.value)
    assert "HARNESS_UNIT_PW, which is not set" in str(caught.value)


def test_password_that_is_not_text_is_refused_without_being_shown(tmp_path):
    path = _seed_with(tmp_path, "password: password01}", "password: 80417723}")
    with pytest.raises(MatrixFileError) as caught:
        load_matrix(path)
    assert f"{path}, line 6: users[1].password: " in str(caught.value)
    assert "80417723" not in str(caught.value)


def test_missing_file_error_names_the_path(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(MatrixFileError) as caught:
        load_matrix(path)
    assert str(caught.value).startswith(f"{path}: (file): cannot be read")

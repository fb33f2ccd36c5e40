from pathlib import Path

import pytest

from harness.errors import MatrixFileError
from harness.matrix import Action, Outcome, load_matrix

SEED = Path(__file__).resolve().parents[2] / "scenarios" / "seed.yaml"

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


def _broken(tmp_path, old, new):
    """A copy of the seed matrix with ``old`` replaced by ``new`` (exactly once)."""
    text = SEED.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "matrix.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _error(path):
    with pytest.raises(MatrixFileError) as caught:
        load_matrix(path)
    return str(caught.value)


def test_seed_matrix_has_three_users():
    matrix = load_matrix(SEED)
    assert [user.name for user in matrix.users] == ["admin", "user01", "user02"]
    assert matrix.user("user01").password == "password01"


def test_seed_matrix_has_twelve_cells_with_expected_test_ids():
    cells = load_matrix(SEED).cells
    assert len(cells) == 12
    assert [cell.test_id for cell in cells] == SEED_TEST_IDS


def test_seed_image_is_adminimage_pushed_by_admin():
    seed_image = load_matrix(SEED).seed_image
    assert (seed_image.user, seed_image.reference) == ("admin", "adminimage:1")


def test_push_cell_reference_is_formatted_per_user():
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
    assert matrix.expected_message("cli", cell) is None


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "value"),
    [
        pytest.param(
            "\nexpect:\n",
            "\nexpectations:\n",
            29,
            "expectations",
            "is not a known key",
            id="unknown-top-level-key",
        ),
        pytest.param(
            "{name: user02, password: password02}",
            "{name: user01, password: password02}",
            7,
            "users[2].name",
            "'user01' is listed twice",
            id="duplicate-user",
        ),
        pytest.param(
            "  user02: {login",
            "  user03: {login",
            32,
            "expect.user03",
            "is not a user",
            id="unknown-user-under-expect",
        ),
        pytest.param(
            "user01: {login: ok, push: denied",
            "user01: {login: ok, pish: denied",
            31,
            "expect.user01.pish",
            "is not an action",
            id="unknown-action",
        ),
        pytest.param(
            "user01: {login: ok, push: denied",
            "user01: {login: ok, push: maybe",
            31,
            "expect.user01.push",
            "'maybe' is not an outcome",
            id="bad-outcome",
        ),
        pytest.param(
            "pull: denied, logout: ok}",
            "pull: denied}",
            32,
            "expect.user02.logout",
            "is missing",
            id="missing-action",
        ),
        pytest.param(
            '    actions: ["pull"]\n',
            "",
            14,
            "acl[1].actions",
            "is missing",
            id="acl-entry-without-actions",
        ),
        pytest.param(
            'push: "{user}image:1"',
            "push: a: b",
            21,
            "(yaml)",
            "mapping values are not allowed here",
            id="invalid-yaml-syntax",
        ),
        pytest.param(
            "user01: {login: ok, push: denied",
            "user01: {login: ok, login: denied",
            31,
            "(yaml)",
            "duplicate key 'login'",
            id="duplicate-mapping-key",
        ),
    ],
)
def test_broken_matrix_error_names_file_line_field_and_value(
    tmp_path, old, new, line, field, value
):
    path = _broken(tmp_path, old, new)
    message = _error(path)
    assert f"{path}, line {line}: {field}: " in message
    assert value in message


def test_password_from_unset_variable_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("HARNESS_UNIT_PW", raising=False)
    path = _broken(tmp_path, "password: password01}", 'password: "${HARNESS_UNIT_PW}"}')
    message = _error(path)
    assert f"{path}, line 6: users[1].password: " in message
    assert "HARNESS_UNIT_PW" in message
    assert "not set" in message


def test_password_from_set_variable_is_the_environment_value(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_UNIT_PW", "from-the-environment")
    path = _broken(tmp_path, "password: password01}", 'password: "${HARNESS_UNIT_PW}"}')
    assert load_matrix(path).user("user01").password == "from-the-environment"


def test_missing_file_error_names_the_path(tmp_path):
    path = tmp_path / "absent.yaml"
    message = _error(path)
    assert message.startswith(f"{path}: (file): cannot be read")


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "value"),
    [
        pytest.param(
            "user01: {login: ok, push: denied",
            "user01: {login: ok, push: [denied]",
            31,
            "expect.user01.push",
            "['denied']",
            id="outcome-is-a-list",
        ),
        pytest.param(
            "seed_image: {user: admin,",
            "seed_image: {user: [admin],",
            25,
            "seed_image.user",
            "['admin']",
            id="seed-image-user-is-a-list",
        ),
        pytest.param(
            'push: "{user}image:1"',
            'push: "{usr}image:1"',
            21,
            "steps.push",
            "{usr}",
            id="step-names-unknown-placeholder",
        ),
        pytest.param(
            'pull: "adminimage:1"',
            'pull: "adminimage"',
            22,
            "steps.pull",
            "'adminimage'",
            id="step-reference-without-tag",
        ),
        pytest.param(
            'actions: ["pull"]',
            "actions:",
            14,
            "acl[1].actions",
            "None",
            id="acl-actions-null",
        ),
    ],
)
def test_malformed_value_is_reported_as_matrix_file_error(
    tmp_path, old, new, line, field, value
):
    path = _broken(tmp_path, old, new)
    message = _error(path)
    assert f"{path}, line {line}: {field}: " in message
    assert value in message

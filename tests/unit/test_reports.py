from dataclasses import replace
from html.parser import HTMLParser

import pytest

from harness.reports import (
    build_grids,
    render_html,
    render_markdown,
    render_terminal,
    write_reports,
)
from harness.results import ACCOUNT_TABLE, CellResult, RunSummary

FACTS = {
    "Matrix file": "scenarios/seed.yaml",
    "Client": "sdk",
    "docker_auth": "harness-local/docker_auth:1.14.0 (1.14.0)",
    "Registry": "3.0.0 (harness-local/registry:3.0.0)",
    "Engine": "20.10.24",
    "Run at": "2025-06-01T12:00:00+00:00",
}
PULL_MESSAGE = (
    'Get "https://localhost:32771/v2/": Status: Downloaded newer image '
    "<script>alert(1)</script>"
)


def _cell(user, action, repository, expected, observed=None, **extra):
    observed = observed or expected
    reference = f"{repository}:1" if repository else None
    parts = [user, action, *([repository] if repository else []), expected]
    passed = extra.pop("passed", observed == expected)
    verdict = "as expected" if passed else "MISMATCH"
    target = f" {reference}" if reference else ""
    message = extra.pop("message", "")
    return CellResult(
        test_id="-".join(parts),
        user=user,
        action=action,
        repository=repository,
        reference=reference,
        client="sdk",
        expected=expected,
        expected_message=None,
        observed=observed,
        observed_message=message,
        passed=passed,
        explanation=(
            f"{user} {action}{target}: {verdict}; expected {expected}; "
            f"observed {observed}: {message!r}"
        ),
        **extra,
    )


def _seed(user02_pull="denied", **extra):
    """The seed matrix's 12 cells; user02's pull observes ``user02_pull``."""
    results = []
    for user in ("admin", "user01", "user02"):
        may_push = "ok" if user == "admin" else "denied"
        may_pull = "denied" if user == "user02" else "ok"
        observed_pull = user02_pull if user == "user02" else may_pull
        pull_extra = extra if user == "user02" else {}
        results += [
            _cell(user, "login", None, "ok"),
            _cell(user, "push", f"{user}image", may_push),
            _cell(user, "pull", "adminimage", may_pull, observed_pull, **pull_extra),
            _cell(user, "logout", None, "ok"),
        ]
    return RunSummary(dict(FACTS), results)


def _failing_seed():
    return _seed(
        "ok",
        message=PULL_MESSAGE,
        regression="regression: user02 pull adminimage was denied, now ok",
    )


def _wide():
    users = [f"user{n:02d}-" + "x" * 33 for n in range(40)]
    actions = ("delete", "pull", "push", "catalog", "logout", "login")
    results = []
    for n, user in enumerate(users):
        repository = f"team/very/long/repository-name-{n % 3:02d}"
        for action in actions:
            on_repository = action in ("push", "pull", "delete")
            observed = "unauthorized" if n % 7 == 0 else "ok"
            results.append(
                _cell(
                    user, action, repository if on_repository else None, "ok", observed
                )
            )
    return users, RunSummary(dict(FACTS), results)


class _Elements(HTMLParser):
    """Every start tag of a page with its attributes, and all text outside tags."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(page):
    parser = _Elements()
    parser.feed(page)
    return parser


def test_grids_put_account_first_and_actions_in_fixed_order():
    grids = build_grids(_seed())

    names = [grid.name for grid in grids]
    assert names == [ACCOUNT_TABLE, "adminimage", "user01image", "user02image"]
    assert grids[0].actions == ("login", "logout")
    assert grids[0].users == ("admin", "user01", "user02")
    assert grids[1].actions == ("push", "pull")
    assert grids[1].users == ("admin", "user01", "user02")


def test_seed_matrix_fits_in_100_columns():
    text = render_terminal(_failing_seed())

    assert max(len(line) for line in text.splitlines()) <= 100
    assert "part 1 of" not in text  # the seed needs no split tables


def test_terminal_shows_every_outcome_and_the_total():
    text = render_terminal(_seed())

    assert "account" in text and "repository adminimage" in text
    assert "denied" in text and "ok" in text
    assert "12 cells, 12 as expected\n" in text
    assert "✗" not in text


def test_terminal_marks_a_failing_cell_and_lists_its_explanation():
    text = render_terminal(_failing_seed())

    assert "ok ✗ expected denied [r1]" in text
    assert (
        "[r1] user02 pull adminimage:1: regression: user02 pull adminimage was" in text
    )
    assert "12 cells, 11 as expected, 1 regression\n" in text
    listed = " ".join(text.split("12 cells")[1].split())
    assert (
        "✗ user02 pull adminimage:1: MISMATCH; expected denied; observed ok" in listed
    )
    assert "regression: user02 pull adminimage was denied, now ok" in listed


def test_message_mismatch_with_right_outcome_says_so():
    summary = _seed("denied", passed=False)

    assert "denied ✗ message differs" in render_terminal(summary)


@pytest.mark.parametrize("width", [100, 80, 60, 40])
def test_wide_matrix_stays_within_the_width_and_keeps_every_row(width):
    users, summary = _wide()

    lines = render_terminal(summary, width=width).splitlines()

    assert max(len(line) for line in lines) <= width
    assert any("(part 1 of" in line for line in lines)
    for user in users:
        assert any(line.startswith(user[:7]) for line in lines), user


def test_any_width_is_honoured_even_if_names_shrink_to_nothing():
    _, summary = _wide()

    lines = render_terminal(summary, width=30).splitlines()

    assert max(len(line) for line in lines) <= 30


@pytest.mark.parametrize("width", [100, 80])
def test_wide_matrix_splits_columns_before_cutting_names(width):
    users, summary = _wide()

    text = render_terminal(summary, width=width)

    assert "…" not in text
    for user in users:
        assert f"\n{user}  " in text, user


def test_names_are_cut_with_an_ellipsis_as_a_last_resort():
    users, summary = _wide()

    # An "unauthorized ✗ expected ok" column (26) leaves 12 columns for names.
    lines = render_terminal(summary, width=40).splitlines()

    cut = users[0][:11] + "…"
    assert any(line.startswith(cut + "  unauthorized ✗") for line in lines)


def test_markdown_lists_every_fact_and_a_table_per_repository():
    text = render_markdown(_seed())

    assert text.startswith("# Permission matrix\n")
    for label, value in FACTS.items():
        assert f"**{label}:** {value}" in text.replace("\\", "")
    for table in ("## \\(account\\)", "## adminimage", "## user02image"):
        assert table.replace("\\", "") in text
    assert "| user | login | logout |" in text
    assert "| user02 | - | denied |" in text
    assert "Every cell was as expected" in text


def test_markdown_bolds_failing_cells_and_escapes_pipes_and_newlines():
    summary = _failing_seed()
    summary.facts["Note"] = "a | b\nc"

    text = render_markdown(summary)

    assert "**ok ✗ expected denied** (r1)" in text
    assert "- **Note:** a \\| b<br>c" in text
    assert "\\<script\\>alert(1)\\</script\\>" in text
    differences = text.split("## Differences")[1]
    assert "`user02-pull-adminimage-denied`" in differences
    assert "regression: user02 pull adminimage was denied, now ok" in differences


def test_markdown_table_rows_keep_their_column_count_with_pipes_in_text():
    summary = _seed()
    summary.results[0] = _cell("ad|min", "login", None, "ok")

    lines = render_markdown(summary).splitlines()

    rows = [row for row in lines if row.startswith("| ad\\|")]

    assert rows == ["| ad\\|min | ok | - |"]


def test_html_is_self_contained():
    page = render_html(_failing_seed())

    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert "<title>Permission matrix</title>" in page
    for reference in ("http://", "https://", "<link", "src=", "@import", "url("):
        assert reference not in page
    assert "<script" not in page


def test_html_escapes_client_messages():
    page = render_html(_failing_seed())

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_every_html_cell_carries_its_id_outcome_and_verdict():
    summary = _failing_seed()

    tags = _parse(render_html(summary)).tags

    cells = {a["data-cell"]: a for tag, a in tags if tag == "td" and "data-cell" in a}
    assert set(cells) == {result.test_id for result in summary.results}
    for result in summary.results:
        attrs = cells[result.test_id]
        assert attrs["data-outcome"] == result.observed
        assert attrs["data-passed"] == str(result.passed).lower()
    tables = [attrs["data-table"] for tag, attrs in tags if tag == "table"]
    assert tables == [grid.name for grid in build_grids(summary)]


def test_html_opens_the_details_of_a_failing_cell():
    parsed = _parse(render_html(_failing_seed()))

    details = [attrs for tag, attrs in parsed.tags if tag == "details"]
    assert details == [{"open": None, "data-cell": "user02-pull-adminimage-denied"}]
    text = "".join(parsed.text)
    assert "MISMATCH; expected denied" in text
    assert "regression: user02 pull adminimage was denied, now ok" in text


def test_write_reports_writes_markdown_and_html(tmp_path):
    directory = tmp_path / "reports" / "run"

    paths = write_reports(_seed(), directory)

    assert paths == {
        "markdown": directory / "matrix.md",
        "html": directory / "matrix.html",
    }
    assert paths["markdown"].read_text(encoding="utf-8").startswith("# Permission")
    assert paths["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_second_result_for_the_same_grid_cell_still_opens_its_details():
    summary = _seed()
    first = summary.results[2]  # admin pull adminimage:1, passed
    second = replace(
        first,
        test_id="admin-pull-adminimage.2-ok",
        reference="adminimage:2",
        observed="error",
        passed=False,
        explanation="admin pull adminimage:2: MISMATCH; expected ok; observed error",
    )
    summary.results.append(second)

    parsed = _parse(render_html(summary))

    details = [attrs["data-cell"] for tag, attrs in parsed.tags if tag == "details"]
    assert details == ["admin-pull-adminimage.2-ok"]
    assert "observed error" in render_terminal(summary)

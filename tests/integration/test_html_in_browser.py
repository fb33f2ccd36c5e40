"""The HTML report as Chromium sees it: tables, data attributes, open details, pixels.

Needs Debian's Chromium; without it the test fails with the install hint, never skips.
"""

import shutil
import stat
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness.browser import (
    BrowserFailed,
    BrowserUnavailable,
    dump_dom,
    find_chromium,
    screenshot,
)
from harness.reports import write_reports
from harness.results import CellResult, RunSummary

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAILING_ID = "user02-pull-adminimage-denied"
EXPLANATION = (
    "user02 pull adminimage:1: MISMATCH; expected denied; "
    "observed ok: 'Status: Downloaded newer image for localhost:32777/adminimage:1'"
)


def _result(user, action, repository, outcome, *, observed=None, explanation=None):
    reference = f"{repository}:1" if repository else None
    target = f" {reference}" if reference else ""
    observed = observed or outcome
    return CellResult(
        test_id="-".join(
            [user, action, *([repository] if repository else []), outcome]
        ),
        user=user,
        action=action,
        repository=repository,
        reference=reference,
        client="sdk",
        expected=outcome,
        expected_message=None,
        observed=observed,
        observed_message="",
        passed=observed == outcome,
        explanation=explanation or f"{user} {action}{target}: as expected",
    )


def _summary():
    results = []
    for user in ("admin", "user01", "user02"):
        results += [
            _result(user, "login", None, "ok"),
            _result(
                user, "push", f"{user}image", "ok" if user == "admin" else "denied"
            ),
            _result(user, "logout", None, "ok"),
        ]
    results += [
        _result("admin", "pull", "adminimage", "ok"),
        _result("user01", "pull", "adminimage", "ok"),
        _result(
            "user02",
            "pull",
            "adminimage",
            "denied",
            observed="ok",
            explanation=EXPLANATION,
        ),
    ]
    facts = {"Matrix file": "scenarios/seed.yaml", "Client": "sdk", "Run at": "now"}
    return RunSummary(facts, results)


class _Page(HTMLParser):
    """Tables, cells and the text inside each open <details> of a serialised DOM."""

    def __init__(self):
        super().__init__()
        self.tables = []
        self.cells = {}
        self.open_details = []
        self._details_depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self.tables.append(attributes.get("data-table"))
        elif tag == "td" and "data-cell" in attributes:
            self.cells[attributes["data-cell"]] = attributes
        elif tag == "details":
            self._details_depth += 1
            is_open = "open" in attributes
            self.open_details.append([attributes.get("data-cell"), is_open, ""])

    def handle_endtag(self, tag):
        if tag == "details":
            self._details_depth -= 1

    def handle_data(self, data):
        if self._details_depth:
            self.open_details[-1][2] += data


def test_failing_cell_is_marked_and_opened_in_chromium(tmp_path):
    paths = write_reports(_summary(), tmp_path)

    try:
        dom = dump_dom(paths["html"])
    except BrowserUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    page = _Page()
    page.feed(dom)

    assert page.tables == ["(account)", "adminimage", "user01image", "user02image"]
    assert len(page.cells) == 12
    failing = page.cells[FAILING_ID]
    assert failing["data-passed"] == "false"
    assert failing["data-outcome"] == "ok"
    assert page.cells["admin-login-ok"]["data-passed"] == "true"
    assert [(cell, is_open) for cell, is_open, _ in page.open_details] == [
        (FAILING_ID, True)
    ]
    assert EXPLANATION in page.open_details[0][2]


def test_screenshot_is_a_png_of_the_page(tmp_path):
    paths = write_reports(_summary(), tmp_path)

    try:
        png = screenshot(paths["html"], tmp_path / "matrix.png")
    except BrowserUnavailable as error:
        pytest.fail(str(error), pytrace=False)

    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 5_000


def _fake_chromium(directory, script):
    """A stand-in ``chromium`` on PATH that records its profile folder, then runs."""
    fake = directory / "chromium"
    fake.write_text(
        "#!/bin/sh\n"
        'for arg; do case "$arg" in --user-data-dir=*) '
        f'echo "${{arg#*=}}" > {directory}/profile;; esac; done\n' + script
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake


def test_missing_chromium_says_how_to_install_it(tmp_path, monkeypatch):
    page = write_reports(_summary(), tmp_path)["html"]
    monkeypatch.setenv("PATH", str(tmp_path))

    assert find_chromium() is None
    with pytest.raises(BrowserUnavailable, match="apt-get install chromium"):
        dump_dom(page)


def test_chromium_failure_carries_its_stderr_and_leaves_no_profile(
    tmp_path, monkeypatch
):
    page = write_reports(_summary(), tmp_path)["html"]
    _fake_chromium(
        tmp_path, "echo 'first line' >&2\necho 'GPU went away' >&2\nexit 3\n"
    )
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(BrowserFailed, match=r"exit status 3(.|\n)*GPU went away"):
        dump_dom(page)

    profile = Path((tmp_path / "profile").read_text().strip())
    assert profile.name.startswith("harness-chromium-")
    assert not profile.exists()


def test_hanging_chromium_is_stopped_after_the_timeout(tmp_path, monkeypatch):
    page = write_reports(_summary(), tmp_path)["html"]
    sleep = shutil.which("sleep")  # looked up before PATH holds only the fake
    _fake_chromium(tmp_path, f"echo 'still starting' >&2\n{sleep} 30\n")
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(BrowserFailed, match=r"within 1 s(.|\n)*still starting"):
        screenshot(page, tmp_path / "never.png", timeout=1)

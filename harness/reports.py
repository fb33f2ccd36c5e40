"""The permission matrix as a reader sees it: terminal text, Markdown and HTML.

All three renderers draw the same grids (users as rows, actions as columns, one grid
per table of the run) from :func:`build_grids`, so they cannot disagree about which
cell failed or what it shows. Rendering is pure: only :func:`write_reports` touches
the disk.
"""

from __future__ import annotations

import html
import re
import textwrap
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.baseline import describe_cell
from harness.results import ACCOUNT_TABLE, CellResult, RunSummary

# Column order of every grid; actions a future matrix adds come after these.
ACTION_ORDER = ("login", "logout", "catalog", "push", "pull", "delete")
OUTCOME_CLASSES = ("ok", "denied", "unauthorized", "error")
FAIL_MARK = "✗"
DISAGREE_MARK = "≠"
ELLIPSIS = "…"
EMPTY_CELL = "-"
COLUMN_GAP = "  "
USER_HEADER = "user"


@dataclass(frozen=True)
class GridCell:
    """One result placed in a grid, with the number of its regression note if any."""

    result: CellResult
    note: int | None = None
    disagrees: bool = False  # the clients of the run observed different outcomes here

    @property
    def mismatch(self) -> str | None:
        """What a failing cell should have shown, in a few words; None if it passed."""
        result = self.result
        if result.passed:
            return None
        if result.observed == result.expected:
            return "message differs"
        return f"expected {result.expected}"

    @property
    def note_label(self) -> str | None:
        return f"r{self.note}" if self.note is not None else None

    def text(self) -> str:
        """The cell as plain text: the outcome, then any mismatch and note marker."""
        parts = [self.result.observed + (DISAGREE_MARK if self.disagrees else "")]
        if self.mismatch:
            parts += [FAIL_MARK, self.mismatch]
        if self.note_label:
            parts.append(f"[{self.note_label}]")
        return " ".join(parts)


@dataclass(frozen=True)
class Grid:
    """One table of the report: users down, actions across."""

    name: str
    users: tuple[str, ...]
    actions: tuple[str, ...]
    members: tuple[GridCell, ...]  # every result of the table, in matrix order
    # (user, action) -> the member shown. A matrix that has one user do one action
    # twice here (two tags) shows the first; the other still gets its notes and details.
    shown: dict[tuple[str, str], GridCell]

    @property
    def title(self) -> str:
        return "account" if self.name == ACCOUNT_TABLE else f"repository {self.name}"

    def cell(self, user: str, action: str) -> GridCell | None:
        return self.shown.get((user, action))

    def noted(self) -> list[GridCell]:
        """Cells carrying a regression note, in note order."""
        return [member for member in self.members if member.note is not None]

    def opened(self) -> list[GridCell]:
        """Cells a reader must look at: failures, and cells a baseline flags."""
        return [m for m in self.members if not m.result.passed or m.result.regression]


def _action_key(column: str) -> tuple[int, str]:
    action = column.split(" ", 1)[0]
    if action in ACTION_ORDER:
        return ACTION_ORDER.index(action), column
    return len(ACTION_ORDER), column


def _column(result: CellResult, by_client: bool) -> str:
    """A grid column: the action, and with several clients, which one (``push cli``)."""
    return f"{result.action} {result.client}" if by_client else result.action


def _build_grid(
    name: str, results: list[CellResult], by_client: bool, disagreeing: set[str]
) -> Grid:
    users = tuple(dict.fromkeys(result.user for result in results))
    clients = list(dict.fromkeys(result.client for result in results))
    columns = sorted(
        {_column(result, by_client) for result in results},
        key=lambda c: (
            _action_key(c)[0],
            clients.index(c.split(" ")[-1]) if by_client else 0,
        ),
    )
    members: list[GridCell] = []
    notes = 0
    for result in results:
        note = None
        if result.regression:
            notes += 1
            note = notes
        members.append(GridCell(result, note, describe_cell(result) in disagreeing))
    shown: dict[tuple[str, str], GridCell] = {}
    for member in members:
        shown.setdefault(
            (member.result.user, _column(member.result, by_client)), member
        )
    return Grid(name, users, tuple(columns), tuple(members), shown)


def _outcomes_by_client(summary: RunSummary) -> dict[str, dict[str, str]]:
    """Cell (``user02 pull adminimage``) -> client -> observed outcome."""
    observed: dict[str, dict[str, str]] = {}
    for result in summary.results:
        observed.setdefault(describe_cell(result), {})[result.client] = result.observed
    return observed


def _disagreeing(summary: RunSummary) -> dict[str, dict[str, str]]:
    return {
        cell: by_client
        for cell, by_client in _outcomes_by_client(summary).items()
        if len(set(by_client.values())) > 1
    }


def disagreements(summary: RunSummary) -> list[str]:
    """One sentence per cell on which the run's clients observed different outcomes."""
    return [
        f"clients disagree on {cell}: "
        + ", ".join(f"{client} {outcome}" for client, outcome in by_client.items())
        for cell, by_client in _disagreeing(summary).items()
    ]


def build_grids(summary: RunSummary) -> list[Grid]:
    """The grids of a run, the account first, then each repository as it comes."""
    by_client = len({result.client for result in summary.results}) > 1
    disagreeing = set(_disagreeing(summary))
    return [
        _build_grid(name, cells, by_client, disagreeing)
        for name, cells in summary.tables().items()
    ]


def describe(result: CellResult) -> str:
    """A cell as a reader names it: ``user02 pull adminimage:1``."""
    target = f" {result.reference}" if result.reference else ""
    return f"{result.user} {result.action}{target}"


def total_line(summary: RunSummary) -> str:
    """``12 cells, 11 as expected`` and, when any, the number of regressions."""
    cells = len(summary.results)
    passed = cells - len(summary.failed)
    line = f"{cells} {_plural(cells, 'cell')}, {passed} as expected"
    regressions = sum(1 for result in summary.results if result.regression)
    if regressions:
        line += f", {regressions} {_plural(regressions, 'regression')}"
    return line


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def _differences(summary: RunSummary) -> list[CellResult]:
    """The cells a reader must look at: failures, and cells a baseline flags."""
    return [r for r in summary.results if not r.passed or r.regression]


# --- terminal ------------------------------------------------------------------------


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes: wide characters take two."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, ending in an ellipsis when it was cut."""
    if _columns(text) <= width:
        return text
    kept = ""
    for char in text:
        if _columns(kept + char) > width - 1:
            break
        kept += char
    return kept + ELLIPSIS if width >= 1 else ""


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _columns(text))


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Wrap prose to ``width``; continuation lines are indented to show they belong."""
    follow = indent + "  "
    lines = textwrap.wrap(
        " ".join(text.split()),
        width=max(width, len(follow) + 1),
        initial_indent=indent,
        subsequent_indent=follow,
        break_on_hyphens=False,
    )
    # textwrap counts characters, not columns: a final cut keeps wide text in bounds.
    return [_fit(line.rstrip(), width) for line in lines] or [""]


def _column_groups(widths: list[int], user_width: int, width: int) -> list[list[int]]:
    """Split action columns into stacked tables that each fit beside the user column.

    A column too wide to fit even alone gets a table of its own, in which the user
    names are then cut.
    """
    groups: list[list[int]] = []
    used = width + 1
    for index, column in enumerate(widths):
        needed = len(COLUMN_GAP) + column
        if used + needed > width:
            groups.append([])
            used = user_width
        groups[-1].append(index)
        used += needed
    return groups


def _terminal_rows(grid: Grid, actions: list[str], widths: list[int]) -> list[str]:
    rows = []
    for user in grid.users:
        texts = [_cell_text(grid.cell(user, action)) for action in actions]
        rows.append([user, *texts])
    header = [USER_HEADER, *actions]
    rule = ["-" * column for column in widths]
    return [
        COLUMN_GAP.join(
            _pad(_fit(text, column), column)
            for text, column in zip(row, widths, strict=True)
        ).rstrip()
        for row in [header, rule, *rows]
    ]


def _cell_text(cell: GridCell | None) -> str:
    return cell.text() if cell else EMPTY_CELL


def _terminal_table(grid: Grid, width: int) -> list[str]:
    actions = list(grid.actions)
    user_width = max(_columns(USER_HEADER), *(_columns(u) for u in grid.users))
    # No column may be wider than the line less a one-column user name and a gap.
    widths = [
        min(
            width - len(COLUMN_GAP) - 1,
            max(
                _columns(a),
                *(_columns(_cell_text(grid.cell(u, a))) for u in grid.users),
            ),
        )
        for a in actions
    ]
    groups = _column_groups(widths, user_width, width)

    lines: list[str] = []
    for number, group in enumerate(groups, start=1):
        title = grid.title
        if len(groups) > 1:
            title += f" (part {number} of {len(groups)})"
        lines += _wrap(title, width)
        columns = [widths[index] for index in group]
        # Cutting names is the last resort, for a column that fills the line alone.
        room = width - sum(len(COLUMN_GAP) + column for column in columns)
        columns.insert(0, min(user_width, room))
        lines += _terminal_rows(grid, [actions[index] for index in group], columns)
        lines.append("")
    for cell in grid.noted():
        note = f"[{cell.note_label}] {describe(cell.result)}: {cell.result.regression}"
        lines += _wrap(note, width)
    if grid.noted():
        lines.append("")
    return lines


def security_line(summary: RunSummary) -> str:
    """``security: 24 checks, 24 held``."""
    checks = len(summary.security)
    held = sum(result.passed for result in summary.security)
    return f"security: {checks} {_plural(checks, 'check')}, {held} held"


def _terminal_security(summary: RunSummary, width: int) -> list[str]:
    lines: list[str] = []
    for warning in summary.lint:
        lines += _wrap(f"ACL lint: {warning}", width)
    if not summary.security:
        return lines
    lines += _wrap(security_line(summary), width)
    for result in summary.security:
        if not result.passed:
            lines += _wrap(f"{FAIL_MARK} {result.check}: {result.detail}", width)
    return lines


def render_terminal(summary: RunSummary, width: int = 100) -> str:
    """The matrix as plain text no wider than ``width`` columns."""
    lines: list[str] = []
    for grid in build_grids(summary):
        lines += _terminal_table(grid, width)
    if summary.results:
        lines += _wrap(total_line(summary), width)
    lines += _terminal_security(summary, width)
    for sentence in disagreements(summary):
        lines += _wrap(f"{DISAGREE_MARK} {sentence}", width)
    for result in _differences(summary):
        lines += _wrap(f"{FAIL_MARK} {result.explanation}", width)
        if result.regression:
            lines += _wrap(result.regression, width, indent="  ")
    return "\n".join(lines) + "\n"


# --- Markdown ------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def _md(text: str) -> str:
    """Text safe inside a table cell or list item: no markup, no stray line breaks."""
    escaped = _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(0), text)
    return "<br>".join(escaped.splitlines())


def _md_cell(cell: GridCell | None) -> str:
    if cell is None:
        return EMPTY_CELL
    text = _md(cell.result.observed) + (DISAGREE_MARK if cell.disagrees else "")
    if cell.mismatch:
        text = f"**{text} {FAIL_MARK} {_md(cell.mismatch)}**"
    if cell.note_label:
        text += f" ({cell.note_label})"
    return text


def _md_table(grid: Grid) -> Iterator[str]:
    yield f"## {_md(grid.name)}"
    yield ""
    yield "| " + " | ".join([USER_HEADER, *map(_md, grid.actions)]) + " |"
    yield "|" + " --- |" * (len(grid.actions) + 1)
    for user in grid.users:
        cells = [_md_cell(grid.cell(user, action)) for action in grid.actions]
        yield "| " + " | ".join([_md(user), *cells]) + " |"
    yield ""
    for cell in grid.noted():
        regression = cell.result.regression or ""
        yield f"- {cell.note_label}: {_md(describe(cell.result))}: {_md(regression)}"
    if grid.noted():
        yield ""


def _md_differences(summary: RunSummary) -> Iterator[str]:
    if not summary.results:
        return
    yield "## Differences"
    yield ""
    differences = _differences(summary)
    if not differences:
        yield f"Every cell was as expected ({total_line(summary)})."
        return
    for result in differences:
        yield f"- `{result.test_id}`: {_md(result.explanation)}"
        if result.regression:
            yield f"  - {_md(result.regression)}"


def render_markdown(summary: RunSummary) -> str:
    """The matrix as GitHub Markdown: facts, one table per grid, differences."""
    lines = ["# Permission matrix", ""]
    lines += [
        f"- **{_md(label)}:** {_md(value)}" for label, value in summary.facts.items()
    ]
    if summary.results:
        lines += ["", f"{total_line(summary)}.", ""]
    for grid in build_grids(summary):
        lines += _md_table(grid)
    if disagreements(summary):
        lines += ["## Clients disagree", ""]
        lines += [f"- {_md(sentence)}" for sentence in disagreements(summary)]
        lines.append("")
    lines += _md_differences(summary)
    lines += _md_security(summary)
    return "\n".join(lines) + "\n"


def _md_security(summary: RunSummary) -> list[str]:
    lines: list[str] = []
    if summary.lint:
        lines += ["", "## ACL lint", ""]
        lines += [f"- {_md(warning)}" for warning in summary.lint]
    if not summary.security:
        return lines
    lines += ["", "## Security", "", f"{security_line(summary)}.", ""]
    lines += ["| check | held | what happened |", "| --- | --- | --- |"]
    for result in summary.security:
        held = "yes" if result.passed else f"**no {FAIL_MARK}**"
        lines.append(f"| {_md(result.check)} | {held} | {_md(result.detail)} |")
    return lines


# --- HTML ----------------------------------------------------------------------------

_STYLE = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1f2328;
  font: 15px/1.45 system-ui, "DejaVu Sans", "Liberation Sans", sans-serif; }
main { max-width: 96rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .75rem; }
h2 { font-size: 1.15rem; margin: 0 0 .6rem; }
h2 code, td, th, summary, .detail { font-family: "DejaVu Sans Mono", monospace; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1.2rem;
  margin: 0 0 1rem; padding: .8rem 1rem; background: #fff; border: 1px solid #d0d7de;
  border-radius: 6px; }
.facts dt { font-weight: 600; color: #57606a; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.total { font-weight: 600; margin: 0 0 .5rem; }
.total.failed { color: #b42318; }
.legend { margin: 0 0 1.25rem; font-size: .9rem; color: #57606a; }
.legend span { display: inline-block; padding: .05rem .5rem; margin-right: .3rem;
  border-radius: 4px; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 6px;
  padding: 1rem 1.25rem; margin: 0 0 1.25rem; overflow-x: auto; }
table { border-collapse: separate; border-spacing: 4px; }
th { text-align: left; font-weight: 600; padding: .3rem .6rem; color: #424a53; }
th, td { white-space: nowrap; }
.security td { white-space: normal; overflow-wrap: anywhere; vertical-align: top; }
.security td:first-child, .security td:nth-child(2) { white-space: nowrap; }
thead th { border-bottom: 2px solid #d0d7de; }
td { padding: .35rem .7rem; border-radius: 4px; min-width: 6rem; }
.ok { background: #dcf5e3; color: #0f5323; }
.denied { background: #fff0c7; color: #6b4a00; }
.unauthorized { background: #fbdada; color: #8a1c1c; }
.error, .other { background: #e4e6e9; color: #3a3f45; }
.none { background: #f3f4f6; color: #9aa1a9; text-align: center; }
td.failing { outline: 3px solid #d1242f; outline-offset: -3px; font-weight: 700; }
.mismatch { color: #b42318; margin-left: .4rem; }
.note { margin-left: .4rem; font-size: .8rem; color: #57606a; }
details { margin: .8rem 0 0; border-left: 4px solid #d1242f; background: #fff5f5;
  padding: .5rem .9rem; border-radius: 0 4px 4px 0; }
details.regression-only { border-left-color: #9a6700; background: #fffbeb; }
summary { font-weight: 700; cursor: pointer; }
.detail { margin: .4rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere;
  font-size: .88rem; }
.detail.regression { color: #8a1c1c; }
"""


def _h(text: str) -> str:
    """Escaped text that no reader takes for a link: the page must name no URL."""
    return html.escape(text, quote=True).replace("://", "&#58;//")


def _outcome_class(outcome: str) -> str:
    return outcome if outcome in OUTCOME_CLASSES else "other"


def _html_cell(cell: GridCell | None) -> str:
    if cell is None:
        return f'<td class="none">{EMPTY_CELL}</td>'
    result = cell.result
    classes = _outcome_class(result.observed) + ("" if result.passed else " failing")
    body = _h(result.observed)
    if cell.disagrees:
        body += f'<span class="disagree" title="the clients disagree">{DISAGREE_MARK}</span>'
    if cell.mismatch:
        body += f'<span class="mismatch">{FAIL_MARK} {_h(cell.mismatch)}</span>'
    if cell.note_label:
        body += f'<span class="note">{_h(cell.note_label)}</span>'
    return (
        f'<td class="{classes}" data-cell="{_h(result.test_id)}" '
        f'data-client="{_h(result.client)}" '
        f'data-outcome="{_h(result.observed)}" '
        f'data-passed="{str(result.passed).lower()}" '
        f'title="{_h(result.explanation)}">{body}</td>'
    )


def _html_details(result: CellResult, note: str | None) -> str:
    kind = "" if not result.passed else ' class="regression-only"'
    mark = f"{FAIL_MARK} " if not result.passed else ""
    label = f" ({_h(note)})" if note else ""
    parts = [
        f'<details open{kind} data-cell="{_h(result.test_id)}">',
        f"<summary>{mark}{_h(describe(result))}{label}</summary>",
        f'<p class="detail">{_h(result.explanation)}</p>',
    ]
    if result.regression:
        parts.append(f'<p class="detail regression">{_h(result.regression)}</p>')
    parts.append("</details>")
    return "\n".join(parts)


def _html_table(grid: Grid) -> str:
    header = "".join(f'<th scope="col">{_h(action)}</th>' for action in grid.actions)
    rows = []
    for user in grid.users:
        cells = "".join(_html_cell(grid.cell(user, action)) for action in grid.actions)
        rows.append(f'<tr><th scope="row">{_h(user)}</th>{cells}</tr>')
    opened = [_html_details(cell.result, cell.note_label) for cell in grid.opened()]
    return "\n".join(
        [
            "<section>",
            f"<h2>{_h(grid.title)}</h2>",
            f'<table data-table="{_h(grid.name)}">',
            f'<thead><tr><th scope="col">{USER_HEADER}</th>{header}</tr></thead>',
            "<tbody>",
            *rows,
            "</tbody>",
            "</table>",
            *opened,
            "</section>",
        ]
    )


def _html_facts(facts: dict[str, str]) -> str:
    items = "".join(
        f"<dt>{_h(label)}</dt><dd>{_h(value)}</dd>" for label, value in facts.items()
    )
    return f'<dl class="facts">{items}</dl>'


def _html_legend() -> str:
    swatches = "".join(
        f'<span class="{outcome}">{outcome}</span>' for outcome in OUTCOME_CLASSES
    )
    return (
        f'<p class="legend">{swatches} A cell outlined in red with {FAIL_MARK} '
        "did not show what the matrix expects; its details are open below its "
        "table.</p>"
    )


def _html_lines(summary: RunSummary) -> Iterable[str]:
    state = "failed" if _differences(summary) else "passed"
    yield "<!DOCTYPE html>"
    yield '<html lang="en">'
    yield '<head><meta charset="utf-8">'
    yield '<meta name="viewport" content="width=device-width, initial-scale=1">'
    yield "<title>Permission matrix</title>"
    yield f"<style>{_STYLE}</style></head>"
    yield "<body><main>"
    yield "<h1>Permission matrix</h1>"
    yield _html_facts(summary.facts)
    if summary.results:
        yield f'<p class="total {state}">{_h(total_line(summary))}</p>'
    yield _html_legend()
    yield from (_html_table(grid) for grid in build_grids(summary))
    if summary.lint:
        items = "".join(f"<li>{_h(warning)}</li>" for warning in summary.lint)
        yield f'<section class="lint"><h2>ACL lint</h2><ul>{items}</ul></section>'
    if summary.security:
        yield _html_security(summary)
    if disagreements(summary):
        items = "".join(f"<li>{_h(s)}</li>" for s in disagreements(summary))
        yield f'<section class="disagree"><h2>Clients disagree</h2><ul>{items}</ul></section>'
    yield "</main></body></html>"


def _html_security(summary: RunSummary) -> str:
    rows = "".join(
        f'<tr data-check="{_h(result.test_id)}" data-passed="{str(result.passed).lower()}">'
        f"<td>{_h(result.check)}</td>"
        f'<td class="{"ok" if result.passed else "unauthorized failing"}">'
        f"{'held' if result.passed else FAIL_MARK + ' failed'}</td>"
        f"<td>{_h(result.detail)}</td></tr>"
        for result in summary.security
    )
    return (
        '<section class="grid security" data-table="security"><h2>Security</h2>'
        f"<p>{_h(security_line(summary))}</p>"
        '<table><thead><tr><th scope="col">check</th><th scope="col">result</th>'
        f'<th scope="col">what happened</th></tr></thead><tbody>{rows}</tbody></table>'
        "</section>"
    )


def render_html(summary: RunSummary) -> str:
    """The matrix as one self-contained HTML page: no script, font or URL outside it."""
    return "\n".join(_html_lines(summary)) + "\n"


def write_reports(summary: RunSummary, directory: Path) -> dict[str, Path]:
    """Write ``matrix.md`` and ``matrix.html`` into ``directory``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": directory / "matrix.md", "html": directory / "matrix.html"}
    paths["markdown"].write_text(render_markdown(summary), encoding="utf-8")
    paths["html"].write_text(render_html(summary), encoding="utf-8")
    return paths

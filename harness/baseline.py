"""Baselines: the observed matrix saved as JSON, and the cells that moved since.

A baseline holds what each cell *observed*, not what the matrix expects, so that after
an upgrade of docker_auth or the registry, or an edit of the ACL, every cell whose
outcome changed is reported as a regression, whatever the expectations say. The file
is sorted and indented so that it diffs well in a pull request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.results import CellResult

FORMAT_VERSION = 1


class BaselineError(HarnessError):
    """A baseline file that cannot be read or written."""


def cell_key(result: CellResult) -> str:
    """Identifies a cell across runs: client, user, action, repository (not the outcome)."""
    return key_of(result.client, result.user, result.action, result.repository)


def key_of(client: str, user: str, action: str, repository: str | None) -> str:
    return f"{client} {user} {action} {repository or '-'}"


def describe_cell(result: CellResult) -> str:
    target = f" {result.repository}" if result.repository else ""
    return f"{result.user} {result.action}{target}"


def write_baseline(
    path: Path, results: Iterable[CellResult], context: Mapping[str, str]
) -> None:
    """Save what each cell observed, with the context that produced it."""
    document = {
        "format": FORMAT_VERSION,
        "context": dict(sorted(context.items())),
        "cells": {
            cell_key(result): result.observed
            for result in sorted(results, key=cell_key)
        },
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    except OSError as error:
        raise BaselineError(
            f"Cannot write the baseline {path}: {error.strerror}. Give a path in a "
            "folder you can write to (setting write_baseline)."
        ) from error


def load_baseline(path: Path) -> dict[str, str]:
    """Cell key -> observed outcome, from a file written by :func:`write_baseline`."""
    try:
        document: Any = json.loads(path.read_text())
    except OSError as error:
        raise BaselineError(
            f"Cannot read the baseline {path}: {error.strerror}. Write one first with "
            "--write-baseline, or give the path of an existing one (setting baseline)."
        ) from error
    except json.JSONDecodeError as error:
        raise BaselineError(
            f"{path}, line {error.lineno}: not valid JSON ({error.msg}). A baseline is "
            "written by --write-baseline; regenerate it rather than editing it by hand."
        ) from error
    if not isinstance(document, dict):
        document = {}
    cells = document.get("cells")
    if document.get("format") != FORMAT_VERSION or not isinstance(cells, dict):
        raise BaselineError(
            f"{path}: not a baseline of format {FORMAT_VERSION} (field 'format' is "
            f"{document.get('format')!r}). Regenerate it with --write-baseline."
        )
    return {str(key): str(value) for key, value in cells.items()}


def check_overlap(path: Path, baseline: Mapping[str, str], run_keys: set[str]) -> None:
    """Refuse a baseline that shares no cell with the run: nothing would be compared.

    The matrix file itself may differ (an edited copy is the usual way to try an ACL
    change); what must match is client, user, action and repository.
    """
    if run_keys and not run_keys & set(baseline):
        try:
            recorded = json.loads(path.read_text()).get("context", {})
        except (OSError, ValueError, AttributeError):
            recorded = {}
        raise BaselineError(
            f"{path} shares no cell with this run (it was written for matrix "
            f"{recorded.get('matrix', '?')!r} and client {recorded.get('client', '?')!r}): "
            "nothing would be compared. Give the baseline of this matrix and client, or "
            "write one with --write-baseline."
        )


def regression(baseline: Mapping[str, str], result: CellResult) -> str | None:
    """The sentence for a cell whose outcome moved since the baseline, else None."""
    before = baseline.get(cell_key(result))
    if before is None or before == result.observed:
        return None
    return f"regression: {describe_cell(result)} was {before}, now {result.observed}"

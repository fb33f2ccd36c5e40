"""One test per cell of the matrix file chosen by the ``matrix`` setting, per client.

The cells come from the file, not from this code: each is a user doing one action
(login, push, pull, delete, catalog, logout) with an expected outcome, and its test id
reads as the rule it checks, e.g. ``user01-push-user01image-denied`` (followed by the
client, ``-cli``, when a run uses several).
"""

from collections.abc import Callable

from harness.matrix import Cell


def test_cell(cell: Cell, client: str, check_cell: Callable[[Cell, str], None]) -> None:
    check_cell(cell, client)

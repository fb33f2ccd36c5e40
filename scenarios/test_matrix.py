"""One test per cell of the matrix file chosen by the ``matrix`` setting.

The cells come from the file, not from this code: each is a user doing one action
(login, push, pull, logout) with an expected outcome, and its test id reads as the
rule it checks, e.g. ``user01-push-user01image-denied``.
"""

from collections.abc import Callable

from harness.matrix import Cell


def test_cell(cell: Cell, check_cell: Callable[[Cell], None]) -> None:
    check_cell(cell)

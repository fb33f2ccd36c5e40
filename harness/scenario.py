"""What one cell of the matrix does: the action a user takes, turned into an observation."""

from __future__ import annotations

from harness.client import EngineClient
from harness.matrix import Action, Cell, Matrix
from harness.outcomes import Observation


def run_cell(client: EngineClient, matrix: Matrix, cell: Cell) -> Observation:
    """Act out ``cell`` from a clean start: every action logs in again first."""
    user = matrix.user(cell.user)
    if cell.action is Action.LOGIN:
        return client.login(user)
    if cell.action is Action.LOGOUT:
        # Logout is proven by a refused pull of the seed image afterwards.
        return client.logout(user, matrix.seed_image.reference)
    assert cell.reference is not None  # push and pull cells always name an image
    if cell.action is Action.PUSH:
        return client.push(user, cell.reference)
    return client.pull(user, cell.reference)

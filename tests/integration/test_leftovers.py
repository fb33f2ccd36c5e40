"""cleanup removes what ended runs left, and leaves runs that are still going alone.

(--all, which removes live runs too, is not exercised: it would also remove the
containers of any other run on this Engine.)
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.images import LOCAL_REGISTRY_IMAGE
from harness.leftovers import (
    FOLDER_PREFIX,
    PID_LABEL,
    remove_container,
    remove_leftovers,
    run_labels,
)


def _ended_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_cleanup_removes_ended_runs_and_spares_live_ones(engine, run_id):
    image = LOCAL_REGISTRY_IMAGE.format(version="3.0.0")
    ended = {**run_labels(run_id + "x"), PID_LABEL: str(_ended_pid())}
    ended_container = engine.containers.create(image, labels=ended)
    live_container = engine.containers.create(image, labels=run_labels(run_id))
    temp = Path(tempfile.gettempdir())
    ended_folder = temp / f"{FOLDER_PREFIX}server-{ended[PID_LABEL]}-test"
    live_folder = temp / f"{FOLDER_PREFIX}server-{os.getpid()}-test"
    ended_folder.mkdir()
    live_folder.mkdir()
    try:
        removed = remove_leftovers(engine)
        remaining = {c.id for c in engine.containers.list(all=True)}
        assert ended_container.id not in remaining and not ended_folder.exists()
        assert live_container.id in remaining and live_folder.exists()
        assert removed.live_runs_left >= 1
    finally:
        for container in (ended_container, live_container):
            remove_container(container)
        live_folder.rmdir()

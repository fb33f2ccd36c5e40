"""What a run leaves on the machine, and how to find it again after a run was killed.

Every container and probe image of a run carries labels naming the run, the host and
the process that made it; private folders carry the process id in their name. A normal
run removes its own; ``python -m harness cleanup`` removes those of processes that are
gone, and leaves runs that are still going alone.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from harness.images import LABEL_PREFIX

logger = logging.getLogger(__name__)

RUN_LABEL = f"{LABEL_PREFIX}.run"
PID_LABEL = f"{LABEL_PREFIX}.pid"
HOST_LABEL = f"{LABEL_PREFIX}.host"
FOLDER_PREFIX = "registry-harness-"


def run_labels(run_id: str) -> dict[str, str]:
    """The labels that tie a container or image to this run and this process."""
    return {
        RUN_LABEL: run_id,
        PID_LABEL: str(os.getpid()),
        HOST_LABEL: socket.gethostname(),
    }


def private_folder(kind: str) -> Path:
    """A new folder only this user can read, named so that cleanup can tell its owner."""
    return Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{kind}-{os.getpid()}-"))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _owner_gone(labels: dict[str, str]) -> bool:
    if labels.get(HOST_LABEL) != socket.gethostname():
        return False  # made on another machine: its owner cannot be checked from here
    try:
        return not _process_alive(int(labels.get(PID_LABEL, "")))
    except ValueError:
        return True  # no owner recorded: left by an older harness


def remove_container(container: docker.models.containers.Container) -> None:
    """Remove a container with its anonymous volumes; gone or going is fine."""
    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as error:
        if error.status_code != 409:  # 409: its removal is already under way
            raise


def remove_run_containers(client: docker.DockerClient, run_id: str) -> int:
    """Remove the containers of one run (this process's own, at its end)."""
    found = client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
    for container in found:
        remove_container(container)
    return len(found)


@dataclass(frozen=True)
class Removed:
    containers: int
    images: int
    folders: int
    live_runs_left: int


def remove_leftovers(
    client: docker.DockerClient, *, include_live: bool = False
) -> Removed:
    """Remove what runs whose process has ended left behind (all runs if asked)."""
    containers = images = live = 0
    for container in client.containers.list(all=True, filters={"label": RUN_LABEL}):
        if include_live or _owner_gone(container.labels):
            remove_container(container)
            containers += 1
        else:
            live += 1
    for image in client.images.list(filters={"label": f"{LABEL_PREFIX}.probe"}):
        if include_live or _owner_gone(image.labels):
            for tag in image.tags:
                try:
                    client.images.remove(tag, force=True)
                except docker.errors.NotFound:
                    pass
            images += 1
    folders = 0
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*-*"):
        # registry-harness-<kind>-<pid>-<random>: the kind may hold hyphens, the
        # random part of mkdtemp never does.
        pid = folder.name.split("-")[-2]
        if (
            folder.is_dir()
            and pid.isdigit()
            and (include_live or not _process_alive(int(pid)))
        ):
            shutil.rmtree(folder, ignore_errors=True)
            folders += 1
    return Removed(containers, images, folders, live)

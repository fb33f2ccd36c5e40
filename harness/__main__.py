"""Command line: images build, cleanup, stack up and lint-acl."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import uuid
from pathlib import Path

import dotenv

from harness.acl_lint import lint_acl, read_acl
from harness.engine import connect_engine
from harness.errors import HarnessError
from harness.images import (
    LOCAL_DOCKER_AUTH_IMAGE,
    LOCAL_REGISTRY_IMAGE,
    REGISTRY_VERSIONS,
    ensure_local_images,
    require_image,
)
from harness.leftovers import remove_leftovers
from harness.matrix import load_matrix
from harness.settings import resolve_all
from harness.stack import EmbeddedStack, stack_settings


def _print(line: str) -> None:
    print(line, flush=True)


def build_images(arguments: argparse.Namespace) -> int:
    client = connect_engine()
    versions = (
        REGISTRY_VERSIONS
        if arguments.registry_version == "all"
        else (arguments.registry_version,)
    )
    results = ensure_local_images(
        client, versions, _print, arguments.docker_auth_binary
    )

    failed = [result for result in results if result.error]
    ready = {result.image for result in results if not result.error}
    env_file = arguments.env_file
    if env_file is not None:
        env_file.touch(exist_ok=True)
        if LOCAL_DOCKER_AUTH_IMAGE in ready:
            dotenv.set_key(
                env_file, "HARNESS_DOCKER_AUTH_IMAGE", LOCAL_DOCKER_AUTH_IMAGE
            )
        if all(LOCAL_REGISTRY_IMAGE.format(version=v) in ready for v in versions):
            dotenv.set_key(env_file, "HARNESS_REGISTRY_IMAGE", LOCAL_REGISTRY_IMAGE)
        _print(f"settings for the local images written to {env_file}")

    _print("")
    for result in results:
        state = "FAILED" if result.error else ("built" if result.built else "present")
        _print(f"{state:>8}  {result.image}")
    if failed:
        _print(f"\n{len(failed)} image(s) could not be built; the reasons are above.")
    return 1 if failed else 0


def cleanup(arguments: argparse.Namespace) -> int:
    removed = remove_leftovers(connect_engine(), include_live=arguments.all)
    _print(
        f"removed {removed.containers} container(s), {removed.images} probe image(s) "
        f"and {removed.folders} private folder(s) left by runs that have ended"
    )
    if removed.live_runs_left:
        _print(
            f"left {removed.live_runs_left} container(s) of runs still going "
            "(--all removes them too)"
        )
    return 0


def stack_up(arguments: argparse.Namespace) -> int:
    """Start the embedded stack for a matrix and keep it up until interrupted.

    This is how to try external mode, or to poke at the stack by hand: the address,
    realm and CA bundle it prints are what ``--registry`` and ``--registry-ca`` take.
    """
    options = {
        "registry_version": arguments.registry_version,
        "docker_auth_image": arguments.docker_auth_image,
        "registry_image": arguments.registry_image,
    }
    values = resolve_all(options, os.environ, dotenv.dotenv_values(".env"))
    settings = stack_settings({name: value.value for name, value in values.items()})
    matrix = load_matrix(arguments.matrix)
    client = connect_engine()
    require_image(client, settings.docker_auth_image, "docker_auth_image")
    require_image(client, settings.registry_image, "registry_image")

    run_id = "stack-" + uuid.uuid4().hex[:8]
    passwords = {user.account: user.password for user in matrix.users}
    stopping = threading.Event()
    for caught in (signal.SIGINT, signal.SIGTERM):
        signal.signal(caught, lambda *_: stopping.set())
    # A parent such as timeout(1) may start us with these blocked: they would wait
    # unseen, and the stack would never be removed.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    with EmbeddedStack(settings, passwords, matrix.acl, run_id) as endpoints:
        _print(f"registry: http://{endpoints.registry}")
        _print(f"realm: {endpoints.realm}")
        _print(f"ca: {endpoints.certificate}")
        _print(f"users and ACL: {arguments.matrix}")
        _print("ready; Ctrl-C (or SIGTERM) stops and removes it")
        while not stopping.wait(timeout=1):
            pass
    _print("stopped")
    return 0


def lint_acl_file(arguments: argparse.Namespace) -> int:
    """Print what the ACL lint finds, as warnings; with --strict any fails the run."""
    path = arguments.file
    findings = lint_acl(read_acl(path))
    for finding in findings:
        _print(f"warning: {path}: [{finding.kind}] {finding.message}")
    _print(
        f"{path}: {len(findings)} finding(s)" if findings else f"{path}: no findings"
    )
    return 1 if findings and arguments.strict else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness")
    commands = parser.add_subparsers(dest="command", required=True)

    images = commands.add_parser("images", help="manage the images a run uses")
    image_commands = images.add_subparsers(dest="images_command", required=True)
    build = image_commands.add_parser(
        "build", help="build the local images that are missing (no registry needed)"
    )
    build.add_argument(
        "--registry-version",
        choices=[*REGISTRY_VERSIONS, "all"],
        default="all",
        help="which registry image(s) to build (default: all)",
    )
    build.add_argument(
        "--docker-auth-binary",
        type=Path,
        default=None,
        help="package this auth_server binary instead of building it",
    )
    build.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help="write settings that select the local images into this file",
    )
    build.set_defaults(run=build_images)

    clean = commands.add_parser(
        "cleanup",
        help="remove containers, probe images and private folders of ended runs",
    )
    clean.add_argument(
        "--all", action="store_true", help="also remove those of runs still going"
    )
    clean.set_defaults(run=cleanup)

    stack = commands.add_parser("stack", help="the embedded stack, on its own")
    stack_commands = stack.add_subparsers(dest="stack_command", required=True)
    up = stack_commands.add_parser(
        "up", help="start docker_auth and the registry for a matrix until interrupted"
    )
    up.add_argument("--matrix", type=Path, default=Path("scenarios/seed.yaml"))
    up.add_argument("--registry-version", default=None)
    up.add_argument("--docker-auth-image", default=None)
    up.add_argument("--registry-image", default=None)
    up.set_defaults(run=stack_up)

    lint = commands.add_parser(
        "lint-acl",
        help="point out ACL entries that load but do not do what they seem to",
    )
    lint.add_argument(
        "file", type=Path, help="a matrix file or docker_auth's auth_config.yml"
    )
    lint.add_argument(
        "--strict", action="store_true", help="exit 1 when there is any finding"
    )
    lint.set_defaults(run=lint_acl_file)

    arguments = parser.parse_args(argv)
    try:
        return int(arguments.run(arguments))
    except HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

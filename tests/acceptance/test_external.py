"""External mode, tried as an operator would: against a stack started on its own."""

import base64
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest
import requests

from harness.matrix import User, load_matrix
from harness.registry_api import RegistryAPI

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {
    "admin": "admin-pass",
    "alice": "alice-pass",
    "bob": "bob-pass",
    "ci-builder": "ci-pass",
    "myci-bot": "bot-pass",
    "reader": "reader-pass",
    "auditor": "auditor-pass",
    "janitor": "janitor-pass",
}


@pytest.fixture
def running_stack():
    """`python -m harness stack up` for the team matrix, stopped afterwards."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "stack",
            "up",
            "--matrix=scenarios/team.yaml",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith("ready") or not line:
            break
    printed = dict(re.findall(r"^(registry|realm|ca): (\S+)$", "".join(lines), re.M))
    assert "registry" in printed, "".join(lines)
    yield printed
    process.terminate()
    assert process.wait(timeout=60) == 0


def test_team_matrix_against_a_running_registry(run_matrix, running_stack, tmp_path):
    # Credentials come from the environment, as they would for a real registry.
    team = (ROOT / "scenarios" / "team.yaml").read_text()
    environment = {}
    for user, password in PASSWORDS.items():
        variable = "TEAM_" + user.upper().replace("-", "_")
        team = team.replace(
            f"{{name: {user}, password: {password}}}",
            f'{{name: {user}, password: "${{{variable}}}"}}',
        )
        environment[variable] = password
    matrix = tmp_path / "team-external.yaml"
    matrix.write_text(team)
    engine = docker.from_env()
    containers_before = {c.id for c in engine.containers.list(all=True)}

    os.environ.update(environment)
    try:
        run = run_matrix(
            f"--matrix={matrix}",
            f"--registry={running_stack['registry']}",
            f"--registry-ca={running_stack['ca']}",
        )
    finally:
        for variable in environment:
            os.environ.pop(variable)
    os.environ.update(environment)
    try:
        cells = len(load_matrix(matrix).cells)
    finally:
        for variable in environment:
            os.environ.pop(variable)
    assert f"{cells} passed" in run.output, run.output[-4000:]

    # Nothing was started: the containers are those that ran before.
    assert {c.id for c in engine.containers.list(all=True)} == containers_before
    # Test manifests are gone where the matrix grants delete, and reported elsewhere.
    address = running_stack["registry"].removeprefix("http://")
    api = RegistryAPI(address, verify=running_stack["ca"])
    admin = User("admin", PASSWORDS["admin"])
    for repository, expected in [
        ("team/app", []),
        ("alice/tools", []),
        ("builds/app", ["1"]),
    ]:
        grant = api.request_token(admin, f"repository:{repository}:pull")
        tags = requests.get(
            f"{api.base}{repository}/tags/list",
            headers={"Authorization": f"Bearer {grant.token}"},
            timeout=10,
        ).json()["tags"]
        assert (tags or []) == expected, repository
    assert "left 1 test manifest(s) in builds/app: no cell" in run.output


def test_http_client_needs_no_engine_in_external_mode(run_matrix, running_stack):
    # The stack runs on the Engine, but the harness is denied any Docker socket.
    run = run_matrix(
        f"--registry={running_stack['registry']}",
        f"--registry-ca={running_stack['ca']}",
        "--matrix=scenarios/team.yaml",
        "--client=http",
        env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"},
    )
    cells = len(load_matrix(ROOT / "scenarios" / "team.yaml").cells)
    assert f"{cells} passed" in run.output, run.output[-4000:]


def test_security_checks_that_need_only_a_client_run_in_external_mode(
    run_matrix, running_stack
):
    run = run_matrix(
        f"--registry={running_stack['registry']}",
        f"--registry-ca={running_stack['ca']}",
        "--matrix=scenarios/team.yaml",
        tests="scenarios/test_security.py",
    )
    assert run.returncode == 0, run.output[-4000:]
    # The checks that must sign with the registry's own key are not made here.
    assert "untrusted-key" in run.output and "expired" not in run.output


def test_untrusted_realm_is_one_clear_error_and_leaks_no_credentials(
    run_matrix, running_stack
):
    # The CA is left out: the realm's certificate cannot be verified.
    run = run_matrix(
        f"--registry={running_stack['registry']}", "--matrix=scenarios/team.yaml"
    )
    assert run.returncode != 0
    assert "Its certificate is not trusted: give the CA bundle" in run.output
    everything = run.output + (run.reports / "junit.xml").read_text()
    assert "Basic " not in everything and "Traceback" not in everything
    for user, password in PASSWORDS.items():
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        assert basic not in everything and password not in everything

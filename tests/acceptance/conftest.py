"""Acceptance tests run whole matrices in a child pytest against the embedded stack.

They need the Engine and every image of the stack (docker_auth included); a missing
part makes them fail with the harness's own message, never skip.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "scenarios" / "seed.yaml"


@dataclass
class Run:
    returncode: int
    output: str
    reports: Path


@pytest.fixture
def run_matrix(tmp_path):
    """Run a suite (the matrix by default) in a child pytest, reports under tmp_path."""

    def run(
        *options: str,
        name: str = "run",
        env: dict[str, str] | None = None,
        tests: str = "scenarios/test_matrix.py",
    ) -> Run:
        reports = tmp_path / name
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-o",
                "addopts=",
                "-v",
                f"--reports-dir={reports}",
                f"--junitxml={reports / 'junit.xml'}",
                *options,
                tests,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, **(env or {})},
        )
        return Run(result.returncode, result.stdout + result.stderr, reports)

    return run


@pytest.fixture
def seed_with(tmp_path):
    """Make a copy of the seed matrix with pieces of its text replaced."""

    def write(*replacements: tuple[str, str], name: str = "matrix.yaml") -> Path:
        text = SEED.read_text()
        for old, new in replacements:
            assert old in text, f"{old!r} is not in the seed matrix"
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text)
        return path

    return write

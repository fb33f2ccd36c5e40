"""When the stack cannot start, every cell says why in one message, with no traceback."""

import subprocess
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]


def test_missing_docker_auth_image_fails_each_cell_with_the_reason(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--docker-auth-image=localhost:1/harness-absent/docker_auth:0",
            f"--junitxml={tmp_path / 'junit.xml'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    # The 12 cells and the 24 security checks all need the stack.
    assert "36 errors" in output
    assert (
        "localhost:1/harness-absent/docker_auth:0 (setting docker_auth_image)" in output
    )
    assert "Traceback" not in output and "direct cause" not in output
    junit = (tmp_path / "junit.xml").read_text()
    assert junit.count("<testcase ") == 36 and junit.count("<error ") == 36
    schema = etree.XMLSchema(
        etree.parse(ROOT / "tests" / "schemas" / "junit-xunit2.xsd")
    )
    document = etree.parse(tmp_path / "junit.xml")
    assert schema.validate(document), schema.error_log

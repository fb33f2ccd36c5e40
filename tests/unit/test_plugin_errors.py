"""Bad settings and matrix files stop pytest with one clear line, never a traceback."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _collect(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            *options,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unknown_registry_version_names_setting_value_source_and_choices():
    result = _collect("--registry-version=9.9")
    output = result.stdout + result.stderr
    assert result.returncode == 4
    assert "registry_version" in output and "'9.9'" in output
    assert "option --registry-version" in output and "3.0.0, 2.8.2" in output
    assert "Traceback" not in output


def test_broken_matrix_file_names_file_line_and_field(tmp_path):
    matrix = tmp_path / "broken.yaml"
    seed = (ROOT / "scenarios" / "seed.yaml").read_text()
    # The first row whose pull expects ok is admin's.
    broken = seed.replace("pull: {adminimage: ok}", "pull: {adminimage: maybe}", 1)
    matrix.write_text(broken)
    line = next(
        number
        for number, text in enumerate(broken.splitlines(), start=1)
        if "maybe" in text
    )
    result = _collect(f"--matrix={matrix}")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert (
        f"{matrix}, line {line}: expect.admin.pull.adminimage: value 'maybe'" in output
    )
    assert "Traceback" not in output


def test_broken_matrix_leaves_the_last_junit_report_alone(tmp_path):
    matrix = tmp_path / "broken.yaml"
    matrix.write_text("users: []\n")
    report = tmp_path / "junit.xml"
    report.write_text("the last real report")
    result = _collect(f"--matrix={matrix}", f"--junitxml={report}")
    assert result.returncode == 4
    assert report.read_text() == "the last real report"


def test_seed_matrix_collects_twelve_cells_named_as_rules():
    result = _collect("scenarios/test_matrix.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_cell[user01-push-user01image-denied]" in result.stdout
    assert "12 tests collected" in result.stdout


def test_plain_run_collects_the_matrix_and_the_security_suite():
    result = _collect()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_forged_token_is_refused[untrusted-key]" in result.stdout
    assert "test_impostor_is_unauthorized[wrong-password-login]" in result.stdout

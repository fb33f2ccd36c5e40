"""The security suite on the real stack, and against a registry weakened on purpose."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECURITY = "scenarios/test_security.py"


def test_security_suite_holds_on_the_embedded_stack(run_matrix):
    run = run_matrix(tests=SECURITY)
    assert run.returncode == 0, run.output[-4000:]
    assert "security: 24 checks, 24 held" in run.output
    markdown = (run.reports / "matrix.md").read_text()
    assert "## Security" in markdown


def test_weakened_registry_fails_the_forged_token_check_with_the_risk(run_matrix):
    run = run_matrix("--trust-attacker-certificate=true", tests=SECURITY)
    assert "1 failed, 23 passed" in run.output, run.output[-4000:]
    assert (
        "FAILED scenarios/test_security.py::test_forged_token_is_refused[untrusted-key]"
        in run.output
    )
    assert "Risk: anyone with a key of their own can mint tokens" in run.output
    assert "rootcertbundle must hold only the token server's certificate" in run.output


def test_security_suite_with_three_clients(run_matrix):
    run = run_matrix("--client=sdk,cli,http", tests=SECURITY)
    assert run.returncode == 0, run.output[-4000:]

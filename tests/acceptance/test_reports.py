"""The reports of a real run: what they hold, what they never hold, what moved."""

import base64
import re
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]

SECRETS = {
    "admin": "Adm1n-distinctive-Qx7v",
    "user01": "Us3r01-distinctive-Lp2w",
    "user02": "Us3r02-distinctive-Zk9t",
}


def _all_text(run) -> str:
    texts = [run.output]
    for path in run.reports.rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(texts)


def test_no_secret_reaches_any_report_or_output(run_matrix, seed_with, tmp_path):
    seed_passwords = {
        "admin": "password",
        "user01": "password01",
        "user02": "password02",
    }
    matrix = seed_with(
        *[
            (
                f"{{name: {user}, password: {seed_passwords[user]}}}",
                f"{{name: {user}, password: {password}}}",
            )
            for user, password in SECRETS.items()
        ],
        # One cell made to fail, so that a failure's text is in the reports too.
        ("push: {user02image: denied}", "push: {user02image: ok}    "),
    )

    run = run_matrix(
        f"--matrix={matrix}",
        "--log-level=DEBUG",
        f"--write-baseline={tmp_path / 'run' / 'baseline.json'}",
    )
    assert "1 failed, 11 passed" in run.output, run.output[-3000:]

    everything = _all_text(run)
    for user, password in SECRETS.items():
        assert password not in everything
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        assert basic not in everything
    assert not re.search(r"\$2[aby]\$\d\d\$", everything), "a bcrypt hash leaked"
    assert "PRIVATE KEY" not in everything
    assert not re.search(r"eyJ[\w-]+\.[\w-]+\.", everything), "a token leaked"
    assert not re.search(r"(?i)authorization:\s*\S", everything)


def test_reports_hold_the_matrix_versions_and_a_valid_junit(run_matrix):
    run = run_matrix()
    assert "12 passed" in run.output, run.output[-3000:]
    for name in ("junit.xml", "matrix.md", "matrix.html", "matrix.png"):
        assert (run.reports / name).is_file(), name

    markdown = (run.reports / "matrix.md").read_text()
    for fact in ("scenarios/seed.yaml", "sdk", "docker_auth", "3.0.0", "20.10"):
        assert fact in markdown
    schema = etree.XMLSchema(
        etree.parse(ROOT / "tests" / "schemas" / "junit-xunit2.xsd")
    )
    junit = etree.parse(run.reports / "junit.xml")
    assert schema.validate(junit), schema.error_log
    suite = (
        junit.find("testsuite")
        if junit.getroot().tag == "testsuites"
        else junit.getroot()
    )
    assert suite.get("name") == "registry-permission-matrix"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["matrix"] == "scenarios/seed.yaml"
    assert properties["client"] == "sdk" and "engine" in properties
    names = [case.get("name") for case in suite.iter("testcase")]
    assert "test_cell[user01-push-user01image-denied]" in names and len(names) == 12


def test_changed_acl_against_baseline_flags_exactly_the_moved_cells(
    run_matrix, seed_with, tmp_path
):
    baseline = tmp_path / "baseline.json"
    first = run_matrix(f"--write-baseline={baseline}", name="before")
    assert "12 passed" in first.output and baseline.is_file()

    # user02 gains pull: its pull moves from denied to ok, and nothing else moves.
    edited = seed_with(
        (
            'actions: [""]   # nothing: login works, every push and pull is denied',
            'actions: ["pull"]',
        )
    )
    second = run_matrix(f"--matrix={edited}", f"--baseline={baseline}", name="after")
    assert "1 failed, 11 passed" in second.output, second.output[-3000:]
    sentence = "regression: user02 pull adminimage was denied, now ok"
    assert sentence in second.output
    for name in ("junit.xml", "matrix.md", "matrix.html"):
        assert sentence in (second.reports / name).read_text(), name


def test_run_under_xdist_reports_every_cell_once(run_matrix):
    run = run_matrix("-n", "2")
    assert "12 passed" in run.output, run.output[-3000:]
    junit = (run.reports / "junit.xml").read_text()
    assert junit.count("<testcase ") == 12
    assert 'name="engine"' in junit
    markdown = (run.reports / "matrix.md").read_text()
    assert "user02" in markdown and "adminimage" in markdown


def test_registry_2_8_2_passes_the_seed_matrix(run_matrix):
    run = run_matrix("--registry-version=2.8.2")
    assert "12 passed" in run.output, run.output[-3000:]

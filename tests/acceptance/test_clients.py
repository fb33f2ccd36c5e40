"""One matrix, three clients: side by side, and a disagreement flagged as one."""


def test_seed_matrix_passes_with_all_three_clients_in_one_run(run_matrix):
    run = run_matrix("--client=sdk,cli,http")
    assert "36 passed" in run.output, run.output[-4000:]
    markdown = (run.reports / "matrix.md").read_text()
    assert "push sdk" in markdown and "push cli" in markdown and "push http" in markdown
    assert "Clients disagree" not in markdown


def test_client_given_other_credentials_is_reported_as_a_disagreement(
    run_matrix, seed_with
):
    matrix = seed_with(
        (
            "{name: user01, password: password01}",
            "{name: user01, password: password01, client_password: {cli: wrong}}",
        )
    )
    run = run_matrix(f"--matrix={matrix}", "--client=sdk,cli,http")
    # Only the cli's cells of user01 move: they meet refused credentials.
    assert "4 failed, 32 passed" in run.output, run.output[-4000:]
    sentence = "clients disagree on user01 login: sdk ok, cli unauthorized, http ok"
    assert sentence in run.output
    for name in ("matrix.md", "matrix.html"):
        assert sentence in (run.reports / name).read_text(), name

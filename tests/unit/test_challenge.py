from harness.challenge import parse_bearer_challenge

HEADER = (
    'Bearer realm="https://127.0.0.1:5001/auth",service="Docker registry",'
    'scope="repository:adminimage:pull,push",error="insufficient_scope"'
)


def test_bearer_challenge_parameters_are_parsed():
    challenge = parse_bearer_challenge(HEADER)
    assert challenge is not None
    assert challenge.realm == "https://127.0.0.1:5001/auth"
    assert challenge.service == "Docker registry"
    assert challenge.scope == "repository:adminimage:pull,push"
    assert challenge.error == "insufficient_scope"
    assert challenge.actions == {"pull", "push"}


def test_scope_actions_are_order_independent():
    reordered = HEADER.replace("pull,push", "push,pull")
    first = parse_bearer_challenge(HEADER)
    second = parse_bearer_challenge(reordered)
    assert first.actions == second.actions == frozenset({"pull", "push"})


def test_challenge_without_scope_or_error_has_none_and_no_actions():
    challenge = parse_bearer_challenge('Bearer realm="r",service="s"')
    assert challenge.scope is None
    assert challenge.error is None
    assert challenge.actions == frozenset()


def test_basic_challenge_returns_none():
    assert parse_bearer_challenge('Basic realm="Registry Realm"') is None

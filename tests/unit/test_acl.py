"""docker_auth 1.14.0's static ACL, as harness.acl reads it.

Where a test pins a subtle behaviour, the comment says what docker_auth does; each of
those was checked against docker_auth's own code (auth_server/authz/acl.go and
server/server.go at d3f46f7998ec).
"""

import pytest

from harness.acl import (
    AclError,
    Decision,
    MissingActionsError,
    TokenRequest,
    check_acl,
    decide,
)
from harness.errors import HarnessError


def _request(**changes):
    fields = {
        "account": "alice",
        "type": "repository",
        "name": "alice/app",
        "actions": ("pull",),
    }
    fields.update(changes)
    return TokenRequest(**fields)


def _entry(actions=("pull",), **match):
    return {"match": match, "actions": list(actions)}


def _matches(match, **changes):
    """Whether a lone entry with this match decides the request."""
    decision = decide([{"match": match, "actions": ["*"]}], _request(**changes))
    return decision.entry_index == 1


# --- Order -------------------------------------------------------------------------


def test_first_matching_entry_decides_even_if_a_later_one_grants_more():
    acl = [_entry(["pull"], account="*"), _entry(["*"], account="alice")]
    decision = decide(acl, _request(actions=("pull", "push")))
    assert decision.entry_index == 1
    assert decision.granted == ("pull",)


def test_later_entry_decides_when_earlier_ones_do_not_match():
    acl = [_entry(["*"], account="admin"), _entry(["pull"], account="alice")]
    decision = decide(acl, _request())
    assert (decision.entry_index, decision.entry) == (2, acl[1])


def test_no_matching_entry_grants_nothing():
    decision = decide([_entry(account="admin")], _request(actions=("pull", "push")))
    assert decision == Decision(None, None, ())
    assert decision.describe() == "no ACL entry matched (denied)"


def test_empty_acl_denies():
    assert decide([], _request()).granted == ()


def test_empty_match_matches_any_request():
    assert _matches({}, account="", type="registry", name="catalog")


def test_every_given_field_must_match():
    assert _matches({"account": "alice", "name": "alice/*"})
    assert not _matches({"account": "alice", "name": "bob/*"})


# --- Globs (Go's path.Match) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [("alice/app", True), ("alice/tools/x", False), ("bob/app", False)],
)
def test_star_does_not_cross_a_slash(name, expected):
    assert _matches({"name": "${account}/*"}, name=name) is expected


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("team/ap?", "team/app", True),
        ("team/ap?", "team/apps", False),
        ("team?app", "team/app", False),  # ? never matches a slash
        ("team/app[0-9]", "team/app7", True),
        ("team/app[0-9]", "team/appx", False),
        ("team/[^a]pp", "team/bpp", True),
        ("team/[^a]pp", "team/app", False),
        ("team[/]app", "team/app", True),  # a [...] class may match a slash
        ("team/\\*", "team/*", True),
        ("team/\\*", "team/app", False),
        ("*/app", "team/app", True),
    ],
)
def test_glob_syntax(pattern, name, expected):
    assert _matches({"name": pattern}, name=name) is expected


def test_glob_class_negates_with_caret_not_bang():
    # Go reads [!a] as the set {"!", "a"}, unlike shell globs.
    assert _matches({"account": "[!a]lice"}, account="alice")
    assert not _matches({"account": "[!a]lice"}, account="blice")


def test_glob_does_not_backtrack_between_chunks():
    # path.Match places the chunk after a star at the first spot that fits and never
    # moves it: "[a/]" takes the "a", and the last star cannot then cross the "/".
    assert not _matches({"name": "*[a/]*"}, name="a/c")
    assert _matches({"name": "*[a/]*"}, name="b/c")


def test_malformed_glob_never_matches_and_is_reported():
    acl = [_entry(name="team/[")]
    assert decide(acl, _request(name="team/[")).entry_index is None
    [problem] = check_acl(acl)
    assert problem.startswith("ACL entry 1: match.name: glob 'team/['")
    assert "never matches" in problem


def test_empty_account_pattern_matches_only_the_anonymous_user():
    assert _matches({"account": ""}, account="")
    assert not _matches({"account": ""}, account="alice")


def test_star_account_also_matches_the_anonymous_user():
    assert _matches({"account": "*"}, account="")


# --- Regular expressions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "account", "expected"),
    [
        ("/ci/", "myci-bot", True),  # searched, not anchored
        ("/^ci-[a-z]+$/", "ci-bot", True),
        ("/^ci-[a-z]+$/", "myci-bot", False),
        ("/^ci-[a-z]+$/", "ci-bot2", False),
        ("/^\\d+$/", "\u0663", False),  # RE2's \d is ASCII only
    ],
)
def test_regex_is_searched_unanchored(pattern, account, expected):
    assert _matches({"account": pattern}, account=account) is expected


def test_two_slashes_are_a_glob_not_an_empty_regex():
    # Only patterns longer than two characters between slashes count as regexes.
    assert _matches({"account": "//"}, account="//")
    assert not _matches({"account": "//"}, account="alice")


def test_bad_regex_is_reported_with_entry_field_pattern_and_reason():
    acl = [_entry(account="alice"), _entry(name="/[unclosed/")]
    [problem] = check_acl(acl)
    assert problem.startswith("ACL entry 2: match.name: regex '/[unclosed/'")
    assert "unterminated character set" in problem
    with pytest.raises(AclError, match="ACL entry 2"):
        decide(acl, _request())


def test_bad_label_regex_is_reported():
    [problem] = check_acl([_entry(labels={"group": "/(/"})])
    assert "match.labels.group" in problem


def test_posix_class_is_refused_rather_than_misread():
    # RE2 reads [[:alpha:]] as a POSIX class; Python's re would read a plain set.
    [problem] = check_acl([_entry(account="/^[[:alpha:]]+$/")])
    assert "RE2" in problem


# --- Placeholders --------------------------------------------------------------------


def test_account_placeholder_is_a_literal_in_a_regex():
    pattern = {"name": "/^${account}$/"}
    assert _matches(pattern, account="a.b", name="a.b")
    assert not _matches(pattern, account="a.b", name="axb")


def test_account_placeholder_is_a_literal_in_a_glob():
    assert _matches({"name": "${account}/*"}, account="a*", name="a*/x")
    assert not _matches({"name": "${account}/*"}, account="a*", name="ab/x")


def test_name_type_and_service_placeholders():
    assert _matches({"account": "${name}"}, account="team", name="team")
    assert _matches({"name": "${type}/*"}, name="repository/x")
    assert _matches({"name": "/^${service}$/"}, service="hub", name="hub")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("admins/app", True), ("VIP/api", True), ("devs/app", False)],
)
def test_label_placeholder_tries_each_value(name, expected):
    labels = {"group": ("admins", "VIP")}
    assert _matches({"name": "${labels:group}/*"}, name=name, labels=labels) is expected


def test_label_placeholder_without_the_label_does_not_match():
    assert not _matches({"name": "${labels:group}/*"}, name="admins/app")


def test_several_label_placeholders_try_every_combination():
    labels = {"group": ("admins", "VIP"), "project": ("api", "web")}
    pattern = {"name": "${labels:group}/${labels:project}"}
    assert _matches(pattern, name="VIP/web", labels=labels)
    assert not _matches(pattern, name="VIP/db", labels=labels)


def test_label_values_are_not_escaped():
    # Unlike ${account}, a label value enters a regex as written: "." is any char.
    labels = {"group": ("a.b",)}
    assert _matches({"name": "/^${labels:group}$/"}, name="axb", labels=labels)


def test_capture_group_placeholder_takes_a_group_of_another_fields_regex():
    match = {"account": "/^(.+)@example\\.com$/", "name": "${account:1}/*"}
    assert _matches(match, account="john@example.com", name="john/app")
    assert not _matches(match, account="john@example.com", name="jane/app")


def test_capture_placeholder_after_another_placeholder_is_left_unexpanded():
    # docker_auth finds ${F:N} with a lazy ".+?", which here runs from "${type" to
    # ":1}", names no field, and leaves ${account:1} in the pattern as written.
    match = {"account": "/^(.+)@example\\.com$/", "name": "${type}/${account:1}"}
    account = "john@example.com"
    assert not _matches(match, account=account, name="repository/john")
    assert _matches(match, account=account, name="repository/${account:1}")


def test_labels_field_patterns_get_no_label_placeholders():
    labels = {"group": ("a",), "team": ("a",)}
    assert not _matches({"labels": {"team": "${labels:group}"}}, labels=labels)


# --- Labels, address, service and type -----------------------------------------------


def test_label_matches_any_of_its_values():
    labels = {"group": ("devs", "admins")}
    assert _matches({"labels": {"group": "admins"}}, labels=labels)
    assert _matches({"labels": {"group": "/^(admins|VIP)$/"}}, labels=labels)
    assert not _matches({"labels": {"group": "VIP"}}, labels=labels)


def test_every_label_named_must_match_and_a_missing_one_fails():
    labels = {"group": ("admins",)}
    assert not _matches({"labels": {"group": "admins", "team": "x"}}, labels=labels)


@pytest.mark.parametrize(
    ("pattern", "ip", "expected"),
    [
        ("198.51.0.0/16", "198.51.0.1", True),
        ("198.51.0.0/16", "127.0.0.1", False),
        ("198.51.0.1", "198.51.0.1", True),
        ("198.51.0.1", "198.51.0.2", False),
        ("2001:db8::/48", "2001:db8::5", True),
        ("2001:db8::/48", "198.51.0.1", False),
        ("198.51.0.0/16", "::ffff:198.51.0.1", True),  # IPv4-mapped reads as IPv4
        ("198.51.0.0/16", "not an address", False),
    ],
)
def test_ip_matches_address_or_cidr_block(pattern, ip, expected):
    assert _matches({"ip": pattern}, ip=ip) is expected


@pytest.mark.parametrize("pattern", ["198.51.0.0/255.255.0.0", "198.51.0.*", "x"])
def test_ip_pattern_that_docker_auth_cannot_parse_is_refused(pattern):
    acl = [_entry(ip=pattern)]
    assert "match.ip" in check_acl(acl)[0]
    with pytest.raises(AclError):
        decide(acl, _request())


def test_service_and_type_match():
    assert _matches({"service": "Docker registry", "type": "repository"})
    assert not _matches({"service": "Docker registry"}, service="other")
    assert not _matches({"type": "registry"})


def test_catalog_request_is_granted_star_by_a_star_entry():
    acl = [_entry(["*"], type="registry", name="catalog")]
    catalog = _request(type="registry", name="catalog", actions=("*",))
    assert decide(acl, catalog).granted == ("*",)


def test_catalog_request_gets_nothing_from_a_pull_entry():
    acl = [_entry(["pull"], type="registry", name="catalog")]
    catalog = _request(type="registry", name="catalog", actions=("*",))
    assert decide(acl, catalog) == Decision(1, acl[0], ())


# --- Actions -------------------------------------------------------------------------


def test_star_grants_exactly_what_was_requested():
    decision = decide([_entry(["*"])], _request(actions=("push", "pull")))
    assert decision.granted == ("pull", "push")
    assert decide([_entry(["*"])], _request(actions=("delete",))).granted == ("delete",)


def test_star_hands_back_the_requested_list_with_its_repeats():
    # docker_auth sorts the scope's actions and returns that very list for "*".
    decision = decide([_entry(["*"])], _request(actions=("push", "pull", "pull")))
    assert decision.granted == ("pull", "pull", "push")


def test_other_lists_are_intersected_with_the_request():
    decision = decide([_entry(["pull"])], _request(actions=("pull", "push")))
    assert decision.granted == ("pull",)


def test_star_among_other_actions_is_no_wildcard():
    acl = [_entry(["*", "pull"])]
    assert decide(acl, _request(actions=("pull", "push"))).granted == ("pull",)


@pytest.mark.parametrize("actions", [[], [""]])
def test_empty_action_lists_grant_nothing(actions):
    decision = decide([_entry(actions)], _request(actions=("pull", "push")))
    assert (decision.entry_index, decision.granted) == (1, ())


def test_empty_action_is_granted_to_a_scope_asking_for_it():
    # A scope ending in ":" asks for [""], and the intersection keeps it.
    assert decide([_entry([""])], _request(actions=("",))).granted == ("",)


def test_deciding_entry_without_actions_raises():
    acl = [{"match": {"account": "bob"}}, {"match": {"account": "alice"}}]
    with pytest.raises(MissingActionsError) as caught:
        decide(acl, _request())
    assert caught.value.entry_index == 2
    assert "ACL entry 2 (account=alice)" in str(caught.value)


def test_entry_without_actions_is_harmless_until_it_decides():
    acl = [_entry(["pull"], account="alice"), {"match": {"account": "bob"}}]
    assert decide(acl, _request()).granted == ("pull",)
    [problem] = check_acl(acl)
    assert problem.startswith("ACL entry 2: has no 'actions': docker_auth loads it")


# --- Refused shapes ------------------------------------------------------------------


def test_fine_acl_has_no_problems():
    acl = [
        _entry(["*"], account="admin"),
        _entry(["pull"], account="/^ci-.*$/", name="builds/*", ip="203.0.0.0/8"),
        {"match": {"labels": {"group": "admins"}}, "actions": [], "comment": "x"},
    ]
    assert check_acl(acl) == []


def test_unknown_match_field_is_refused():
    # docker_auth ignores unknown fields, so this entry would match every request.
    acl = [_entry(["*"], acount="admin")]
    assert "unknown match field 'acount'" in check_acl(acl)[0]
    with pytest.raises(ValueError, match="acount"):
        decide(acl, _request())


def test_unknown_entry_key_is_refused():
    [unknown, missing] = check_acl([{"match": {}, "action": ["pull"]}])
    assert "unknown key 'action'" in unknown
    assert "has no 'actions'" in missing


def test_null_match_field_is_refused():
    # docker_auth reads "account:" with no value as absent: it matches everyone.
    [problem] = check_acl([_entry(account=None)])
    assert "match.account is null" in problem


def test_entry_without_match_is_refused():
    [problem] = check_acl([{"actions": ["pull"]}])
    assert problem.startswith("ACL entry 1: has no 'match'")
    assert "crashes while loading" in problem


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"match": [], "actions": []}, "is not a mapping"),
        ({"match": {"account": 7}, "actions": []}, "is not text"),
        ({"match": {"labels": ["group"]}, "actions": []}, "match.labels"),
        ({"match": {}, "actions": "pull"}, "is not a list"),
    ],
)
def test_wrongly_typed_values_are_refused(entry, words):
    [problem] = check_acl([entry])
    assert words in problem


def test_acl_error_is_a_harness_error_and_a_value_error():
    assert issubclass(MissingActionsError, AclError)
    assert issubclass(AclError, HarnessError)
    assert issubclass(AclError, ValueError)


# --- describe() ----------------------------------------------------------------------


def test_describe_names_entry_match_and_actions():
    acl = [_entry(account="admin"), _entry(account="x"), _entry(account="user01")]
    assert decide(acl, _request(account="user01")).describe() == (
        "ACL entry 3 (account=user01 -> [pull])"
    )


def test_describe_keeps_the_entrys_own_field_order():
    acl = [_entry(account="admin"), _entry(["*"], account="/^ci-.*$/", name="builds/*")]
    decision = decide(acl, _request(account="ci-bot", name="builds/x"))
    assert (
        decision.describe() == "ACL entry 2 (account=/^ci-.*$/, name=builds/* -> [*])"
    )


@pytest.mark.parametrize(
    ("entry", "request_changes", "text"),
    [
        (_entry([], account=""), {"account": ""}, 'ACL entry 1 (account="" -> [])'),
        (_entry(["pull", "push"]), {}, "ACL entry 1 (any request -> [pull, push])"),
        (
            _entry(labels={"group": "admins"}),
            {"labels": {"group": ("admins",)}},
            "ACL entry 1 (labels.group=admins -> [pull])",
        ),
    ],
)
def test_describe_shapes(entry, request_changes, text):
    assert decide([entry], _request(**request_changes)).describe() == text


# --- Requests ------------------------------------------------------------------------


def test_request_defaults():
    request = TokenRequest("alice", "repository", "alice/app", ("pull",))
    assert (request.service, request.ip, dict(request.labels)) == (
        "Docker registry",
        "127.0.0.1",
        {},
    )


@pytest.mark.parametrize(
    ("scope", "kind", "name", "actions"),
    [
        ("repository:team/app:pull,push", "repository", "team/app", ("pull", "push")),
        ("registry:catalog:*", "registry", "catalog", ("*",)),
        (
            "repository:localhost:5000/app:pull",
            "repository",
            "localhost:5000/app",
            ("pull",),
        ),
        # docker_auth keeps only the first run of [a-z0-9] as the type.
        ("repository(plugin):team/app:pull", "repository", "team/app", ("pull",)),
        ("repository:team/app:", "repository", "team/app", ("",)),
    ],
)
def test_request_from_scope(scope, kind, name, actions):
    request = TokenRequest.from_scope(scope, "alice")
    assert (request.account, request.type, request.name, request.actions) == (
        "alice",
        kind,
        name,
        actions,
    )


@pytest.mark.parametrize("scope", ["repository:team/app", "a:b:c:d:e", "REPO:x:pull"])
def test_malformed_scope_is_refused(scope):
    with pytest.raises(AclError, match="malformed"):
        TokenRequest.from_scope(scope, "alice")

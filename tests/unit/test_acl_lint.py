"""The ACL lint: each kind where it applies, and nowhere else.

Private addresses are built from their bytes, never written out: the repository's
checks refuse code that names one.
"""

import ipaddress
import itertools
from pathlib import Path

import pytest

from harness.acl import TokenRequest, decide
from harness.acl_lint import KINDS, Finding, lint_acl, read_acl
from harness.auth_config import TokenSettings, render_auth_config
from harness.errors import HarnessError

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BAD_EXAMPLE = SCENARIOS / "lint" / "bad-acl.yaml"

# Docker's default bridge network and its gateway, the address docker_auth sees.
BRIDGE = ipaddress.IPv4Network((bytes([172, 17, 0, 0]), 16))
GATEWAY = ipaddress.IPv4Address(bytes([172, 17, 0, 1]))
HOME_NETWORK = ipaddress.IPv4Network((bytes([192, 168, 1, 0]), 24))


def _entry(actions=("pull",), **match):
    return {"match": match, "actions": list(actions)}


def _found(acl):
    return [(finding.kind, finding.entry) for finding in lint_acl(acl)]


def _kinds(acl, kind):
    """The entries a finding of this kind names."""
    return [finding.entry for finding in lint_acl(acl) if finding.kind == kind]


# --- The bundled examples ------------------------------------------------------------


def test_bad_example_has_each_kind_at_its_entry_and_nothing_else():
    assert _found(read_acl(BAD_EXAMPLE)) == [
        ("push-without-pull", 4),
        ("shadowed", 6),
        ("unanchored-regex", 7),
        ("missing-actions", 8),
        ("docker-bridge-ip", 9),
    ]


@pytest.mark.parametrize("name", ["seed.yaml", "team.yaml"])
def test_bundled_matrices_have_no_findings(name):
    # team.yaml has an explicit deny ahead of a wider rule and an unanchored /.+/,
    # which anchoring would not change: neither is a mistake.
    assert lint_acl(read_acl(SCENARIOS / name)) == []


def test_messages_name_the_entry_as_it_reads_and_say_what_to_do():
    findings = {f.kind: f.message for f in lint_acl(read_acl(BAD_EXAMPLE))}
    assert findings["push-without-pull"].startswith(
        "ACL entry 4 (account=release, name=builds/* -> [push]) grants push but not "
        "pull"
    )
    assert 'Grant ["pull", "push"]' in findings["push-without-pull"]
    assert findings["missing-actions"].startswith(
        "ACL entry 8 (account=bob, name=team/*, no actions) has no 'actions'"
    )
    assert "or [] to deny" in findings["missing-actions"]


def test_findings_are_listed_by_entry_then_kind():
    acl = [
        {"match": {"account": "/x/"}},  # missing-actions, unanchored-regex
        _entry(["push"], account="a"),
    ]
    assert _found(acl) == [
        ("missing-actions", 1),
        ("unanchored-regex", 1),
        ("push-without-pull", 2),
    ]
    assert all(finding.kind in KINDS for finding in lint_acl(acl))


# --- push-without-pull ---------------------------------------------------------------


@pytest.mark.parametrize(
    "actions", [["push"], ["push", "delete"], ["*", "push"]], ids=str
)
def test_push_without_pull_is_reported(actions):
    # Next to another action "*" is just a name, so ["*", "push"] grants no pull.
    assert _found([_entry(actions, account="ci")]) == [("push-without-pull", 1)]


@pytest.mark.parametrize(
    "actions",
    [["*"], ["pull", "push"], ["push", "pull"], ["pull"], ["delete"], [], [""]],
    ids=str,
)
def test_grants_that_can_push_or_do_not_try_are_fine(actions):
    assert _found([_entry(actions, account="ci")]) == []


# --- shadowed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ({}, {"account": "bob", "name": "/^x-/"}),
        ({"account": "alice"}, {"account": "alice", "name": "x/*"}),
        ({"name": "team/*"}, {"name": "team/app", "account": "bob"}),
        ({"account": "/.+/"}, {"account": "carol"}),
        ({"account": "/^carol$/"}, {"account": "/^carol$/"}),
        ({"account": "/ca/"}, {"account": "/^carol$/", "type": "registry"}),
        ({"account": "/.*/"}, {"account": "/^ci-/", "name": "*"}),
        ({"name": "${account}/*"}, {"account": "alice", "name": "alice/tools"}),
        ({"name": "${account}/*"}, {"name": "${account}/*", "account": "/a/"}),
        ({"ip": "127.0.0.0/8"}, {"ip": "127.0.0.1", "account": "bob"}),
        ({"ip": "::1"}, {"ip": "::1/128"}),
        ({"labels": {"group": "/^dev/"}}, {"labels": {"group": "developers"}}),
        ({"labels": {"group": "a*"}}, {"labels": {"group": "a*"}, "account": "x"}),
        ({"service": "Docker registry"}, {"service": "Docker registry"}),
    ],
)
def test_an_entry_that_an_earlier_one_always_beats_is_shadowed(earlier, later):
    acl = [_entry(**earlier), _entry(["*"], **later)]
    assert _kinds(acl, "shadowed") == [2]


def test_shadowed_message_names_the_entry_that_wins():
    acl = [
        _entry(["*"], account="admin"),
        _entry(account="alice"),
        _entry(account="alice", name="x/*"),
    ]
    (finding,) = lint_acl(acl)
    assert finding.message == (
        "ACL entry 3 (account=alice, name=x/* -> [pull]) never decides anything: ACL "
        "entry 2 (account=alice -> [pull]) comes first and matches every request this "
        "one matches. Remove entry 3, or move it above entry 2 if it should win."
    )


def test_an_entry_matching_everything_shadows_all_that_follow():
    acl = [_entry(["*"]), _entry(account="a"), _entry(name="b/*")]
    assert _kinds(acl, "shadowed") == [2, 3]


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        # "*" does not cross "/".
        ({"name": "*"}, {"name": "a/b"}),
        ({"name": "team/*"}, {"name": "team/app/x"}),
        # A pattern the earlier one cannot be proved to cover.
        ({"name": "*"}, {"name": "x/*"}),
        ({"account": "/.+/"}, {"account": "/^ci-/"}),
        (
            {"account": "/.+/", "name": "team/*"},
            {"account": "/.+/", "name": "${account}/*"},
        ),
        # /.+/ needs at least one character; the anonymous account is "".
        ({"account": "/.+/"}, {"account": ""}),
        ({"account": "/^carol$/"}, {"account": "carol2"}),
        # The earlier entry asks for more than the later one.
        ({"account": "alice", "name": "x/*"}, {"account": "alice"}),
        ({"type": "repository"}, {"account": "alice"}),
        ({"ip": "127.0.0.1"}, {"account": "bob"}),
        ({"ip": "127.0.0.1"}, {"ip": "127.0.0.0/8"}),
        ({"labels": {"group": "dev"}}, {"account": "bob"}),
        # Placeholders whose values the later entry leaves open.
        ({"name": "${account}/*"}, {"name": "alice/tools"}),
        ({"name": "${account}/*"}, {"account": "bob", "name": "alice/tools"}),
        ({"name": "/^${Account:1}$/"}, {"name": "/^${Account:1}$/"}),
    ],
)
def test_no_shadowing_is_claimed_without_proof(earlier, later):
    assert _kinds([_entry(**earlier), _entry(**later)], "shadowed") == []


def test_a_label_that_matches_any_value_still_needs_the_label():
    # {group: /.*/} fits no request without a group label.
    assert (
        _kinds([_entry(labels={"g": "/.*/"}), _entry(account="bob")], "shadowed") == []
    )
    shadowed = [_entry(labels={"g": "/.*/"}), _entry(labels={"g": "d*"})]
    assert _kinds(shadowed, "shadowed") == [2]


# Matches to pair up, and requests to try them on.
_MATCHES = [
    {},
    {"account": "alice"},
    {"account": ""},
    {"account": "/.+/"},
    {"account": "/.*/"},
    {"account": "/^al/"},
    {"account": "/^alice$/"},
    {"account": "al*"},
    {"name": "alice/x"},
    {"name": "alice/*"},
    {"name": "*"},
    {"name": "${account}/*"},
    {"name": "/.*/"},
    {"account": "alice", "name": "alice/*"},
    {"account": "/.+/", "name": "${account}/*"},
    {"account": "/.+/", "name": "team/*"},
    {"account": "alice", "name": "${account}/x"},
    {"ip": "127.0.0.1"},
    {"ip": "127.0.0.0/8"},
    {"ip": "::1"},
    {"account": "alice", "ip": "127.0.0.0/30"},
    {"labels": {"g": "dev"}},
    {"labels": {"g": "/.*/"}},
    {"labels": {"g": "/^de/"}},
    {"type": "registry", "name": "catalog"},
]
_REQUESTS = [
    TokenRequest(account, kind, name, ("pull",), ip=ip, labels=labels)
    for account in ("alice", "", "bob", "al", "xalice")
    for name in ("alice/x", "alice/x/y", "team/app", "bob/x", "catalog")
    for kind in ("repository", "registry")
    for ip in ("127.0.0.1", "127.0.0.9", "::1", "8.8.8.8")
    for labels in ({}, {"g": ("dev",)}, {"g": ("x",)})
]


def test_every_shadowing_reported_holds_for_every_sample_request():
    # Which sample requests each match fits, by harness.acl; a shadowed entry's must
    # all be fitted by the entry that shadows it.
    fits = [
        {
            n
            for n, request in enumerate(_REQUESTS)
            if decide([_entry(**m)], request).entry_index
        }
        for m in _MATCHES
    ]
    pairs = itertools.product(range(len(_MATCHES)), repeat=2)
    reported = 0
    for first, second in pairs:
        acl = [_entry(**_MATCHES[first]), _entry(**_MATCHES[second])]
        if _kinds(acl, "shadowed"):
            reported += 1
            assert fits[second] <= fits[first], acl
    assert reported > len(_MATCHES)  # more than each match after itself


def test_an_invalid_entry_shadows_nothing():
    acl = [{"match": {"account": "/(/"}, "actions": ["*"]}, _entry(account="(")]
    assert _found(acl) == [("invalid", 1)]


# --- unanchored-regex ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "whole", "same"),
    [
        ("/ci-/", "/^ci-$/", "/^.*ci-.*$/"),
        ("/^ci-/", "/^ci-$/", "/^ci-.*$/"),
        ("/-bot$/", "/^-bot$/", "/^.*-bot$/"),
        ("/^a|b$/", "/^(?:a|b)$/", "/^(?:a.*|.*b)$/"),
        ("/^a$|b/", "/^(?:a|b)$/", "/^(?:a|.*b.*)$/"),
        ("/(?i)^ci-/", "/(?i)^ci-$/", "/(?i)^ci-.*$/"),
        ("/^price\\$/", "/^price\\$$/", "/^price\\$.*$/"),
    ],
)
def test_unanchored_regex_is_reported_with_its_anchored_forms(pattern, whole, same):
    (finding,) = lint_acl([_entry(account=pattern)])
    assert (finding.kind, finding.entry) == ("unanchored-regex", 1)
    assert f"match.account {pattern} is searched for anywhere" in finding.message
    assert f"Write {whole} for whole values only, or {same} if" in finding.message


@pytest.mark.parametrize(
    "pattern",
    [
        "/^ci-[a-z]+$/",
        "/^(a|b)$/",
        "/^a$|^b$/",
        "/^a$|.*/",
        "/^[|]$/",
        "/.+/",
        "/.*/",
        "/^.*$/",
        "/^.+/",
        "/^${account}$/",
        "ci-*",  # a glob matches whole values
        "/",
    ],
)
def test_anchored_total_or_glob_patterns_are_fine(pattern):
    assert _found([_entry(name=pattern)]) == []


def test_label_regexes_are_checked_too():
    (finding,) = lint_acl([_entry(labels={"group": "/dev/"})])
    assert finding.kind == "unanchored-regex"
    assert "match.labels.group /dev/" in finding.message


# --- docker-bridge-ip ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "what"),
    [
        (GATEWAY, "address"),
        (BRIDGE, "range"),
        (HOME_NETWORK, "range"),
        # Docker's IPv6 networks are unique local addresses.
        (ipaddress.IPv6Network("fd00:1::/64"), "range"),
        (ipaddress.IPv6Address(f"::ffff:{GATEWAY}"), "address"),
    ],
    ids=str,
)
def test_private_ip_rule_is_reported(ip, what):
    (finding,) = lint_acl([_entry(["*"], ip=str(ip))])
    assert (finding.kind, finding.entry) == ("docker-bridge-ip", 1)
    assert f"match.ip {ip} is a private {what}" in finding.message
    assert "Match on account and name instead" in finding.message


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "127.0.0.0/8",
        "::1",
        "8.8.8.8",
        "8.8.0.0/16",
        "0.0.0.0/0",
        "::/0",
        "::ffff:8.8.8.8",
    ],
)
def test_loopback_and_public_ip_rules_are_fine(ip):
    assert _found([_entry(ip=ip)]) == []


# --- missing-actions and invalid -----------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [{"match": {"account": "bob"}}, {"match": {"account": "bob"}, "actions": None}],
)
def test_entry_without_actions_is_reported_once(entry):
    assert _found([entry]) == [("missing-actions", 1)]


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ({"match": {"account": "/(/"}, "actions": []}, "does not compile"),
        ({"match": {"acount": "bob"}, "actions": []}, "'acount'"),
        ({"actions": ["pull"]}, "has no 'match'"),
        ({"match": {"name": "[a"}, "actions": []}, "it never matches"),
        ({"match": {"ip": "nowhere"}}, "neither an IP address nor a CIDR block"),
    ],
)
def test_check_acl_problems_are_invalid_and_get_no_other_check(entry, text):
    acl = [_entry(["push"], account="x"), entry, _entry(["push"], account="y")]
    findings = lint_acl(acl)
    assert [(f.kind, f.entry) for f in findings] == [
        ("push-without-pull", 1),
        ("invalid", 2),
        ("push-without-pull", 3),
    ]
    assert findings[1].message.startswith("ACL entry 2: ")
    assert text in findings[1].message
    assert findings[1].message.endswith("the other checks skip this entry until then.")


def test_an_entry_that_is_no_mapping_is_invalid():
    assert lint_acl(["pull"]) == [
        Finding(
            "invalid",
            1,
            "ACL entry 1: 'pull' is not a mapping. Correct it; the other checks skip "
            "this entry until then.",
        )
    ]


def test_empty_acl_has_no_findings():
    assert lint_acl([]) == []


# --- read_acl ------------------------------------------------------------------------


def test_read_acl_reads_a_docker_auth_config(tmp_path):
    acl = [_entry(["push"], account="ci"), {"match": {"account": "bob"}}]
    path = tmp_path / "auth_config.yml"
    text = render_auth_config(
        {"": None},
        acl,
        TokenSettings(),
        certificate_name="server.pem",
        key_name="server.key",
    )
    path.write_text(text, encoding="utf-8")
    assert read_acl(path) == acl


def test_read_acl_keeps_entries_the_matrix_loader_refuses(tmp_path):
    path = tmp_path / "matrix.yaml"
    path.write_text("users: []\nacl:\n  - match: {account: bob}\n", encoding="utf-8")
    assert read_acl(path) == [{"match": {"account": "bob"}}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acl: [\n", "bad.yaml, line 2: is not valid YAML"),
        ("", "bad.yaml: has no 'acl' list at the top level"),
        ("- acl\n", "bad.yaml: has no 'acl' list at the top level"),
        ("acl:\n", "bad.yaml: has no 'acl' list at the top level"),
        ("acl: {match: {}}\n", "bad.yaml: has no 'acl' list at the top level"),
        ("acl: [pull]\n", "bad.yaml: ACL entry 1 is 'pull', not a mapping"),
    ],
)
def test_read_acl_names_the_file_and_the_problem(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HarnessError) as raised:
        read_acl(path)
    assert str(raised.value).startswith(f"{tmp_path}/{expected}")


def test_read_acl_of_a_missing_or_binary_file(tmp_path):
    with pytest.raises(HarnessError, match="cannot be read"):
        read_acl(tmp_path / "absent.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(HarnessError, match="is not valid YAML"):
        read_acl(binary)

"""A lint for docker_auth ACLs: entries that load but do not do what they seem to.

:mod:`harness.acl` reads an ACL the way docker_auth does; this module asks it about
each entry and reports what is legal but probably a mistake, as findings whose
``kind`` is one of:

- ``invalid``: a problem :func:`harness.acl.check_acl` reports (docker_auth refuses,
  misreads or never matches the entry). Such an entry gets no other check.
- ``missing-actions``: no ``actions``; docker_auth loads the entry, then fails every
  token request it decides.
- ``push-without-pull``: grants push but not pull. An upload needs both, and the entry
  that decides one decides the other, so nobody can push through it.
- ``unanchored-regex``: a ``/regex/`` that docker_auth searches for anywhere in the
  value, where anchoring with ``^`` and ``$`` would change what it matches.
- ``docker-bridge-ip``: an ``ip`` rule on a private, non-loopback range. Behind
  Docker's port publishing docker_auth sees the bridge gateway's address, not the
  client's.
- ``shadowed``: an earlier entry matches every request this one could match, so it
  never decides anything.

Shadowing is reported only where it can be proved, so a quiet lint does not mean every
entry can decide something. Like harness.acl, it takes account and repository names to
hold no newline.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from harness.acl import Decision, TokenRequest, check_acl, decide
from harness.errors import HarnessError

__all__ = ["KINDS", "Finding", "lint_acl", "read_acl"]

INVALID = "invalid"
MISSING_ACTIONS = "missing-actions"
PUSH_WITHOUT_PULL = "push-without-pull"
UNANCHORED_REGEX = "unanchored-regex"
DOCKER_BRIDGE_IP = "docker-bridge-ip"
SHADOWED = "shadowed"
# Also the order in which one entry's findings are listed.
KINDS = (
    INVALID,
    MISSING_ACTIONS,
    PUSH_WITHOUT_PULL,
    UNANCHORED_REGEX,
    DOCKER_BRIDGE_IP,
    SHADOWED,
)

_PATTERN_FIELDS = ("account", "type", "name", "service")


@dataclass(frozen=True)
class Finding:
    """One thing to look at in an ACL."""

    kind: str  # one of KINDS
    entry: int | None  # 1-based position in the ACL; None for the ACL as a whole
    message: str  # names the entry as it reads in the file, and what to do


def lint_acl(acl: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """The findings for a docker_auth ACL, by entry; an empty list when none."""
    findings = _invalid(acl)
    broken = {finding.entry for finding in findings}
    entries = [
        (index, entry)
        for index, entry in enumerate(acl, start=1)
        if index not in broken
    ]

    for index, entry in entries:
        findings.extend(_missing_actions(index, entry))
        findings.extend(_push_without_pull(index, entry))
        findings.extend(_unanchored_regexes(index, entry))
        findings.extend(_docker_bridge_ip(index, entry))
    findings.extend(_shadowed(entries))
    return sorted(findings, key=lambda f: (f.entry or 0, KINDS.index(f.kind)))


def read_acl(path: Path) -> list[dict[str, Any]]:
    """The ``acl`` list of a matrix file or of docker_auth's ``auth_config.yml``.

    Read as plain YAML rather than through the matrix loader, which refuses some of
    the very entries the lint is there to report (those without actions).
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise HarnessError(
            f"{path}: cannot be read ({error.strerror or error}). Give the path of a "
            "matrix file or of docker_auth's auth_config.yml."
        ) from error
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise HarnessError(_not_yaml(path, error)) from None

    acl = document.get("acl") if isinstance(document, dict) else None
    if not isinstance(acl, list):
        raise HarnessError(
            f"{path}: has no 'acl' list at the top level. Give a matrix file or "
            "docker_auth's auth_config.yml; an ACL kept elsewhere (a database, an "
            "external program) cannot be linted."
        )
    for index, entry in enumerate(acl, start=1):
        if not isinstance(entry, dict):
            raise HarnessError(
                f"{path}: ACL entry {index} is {entry!r}, not a mapping. Write each "
                'entry as {match: {...}, actions: ["..."]}.'
            )
    return acl


def _not_yaml(path: Path, error: yaml.YAMLError | UnicodeDecodeError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
    problem = getattr(error, "problem", None) or str(error)
    return f"{where}: is not valid YAML ({problem}). Fix the file's syntax there."


def _describe(index: int, entry: Mapping[str, Any]) -> str:
    """``ACL entry 3 (account=ci, name=builds/* -> [push])``, as cells name it."""
    if entry.get("actions") is not None:
        return Decision(index, entry, ()).describe()
    # describe() shows the actions, and "-> []" would read as an explicit deny.
    shown = Decision(index, {**entry, "actions": []}, ()).describe()
    return shown.removesuffix(" -> [])") + ", no actions)"


# --- invalid and missing-actions -----------------------------------------------------

_ENTRY_NUMBER = re.compile(r"ACL entry (\d+)")


def _invalid(acl: Sequence[Mapping[str, Any]]) -> list[Finding]:
    # Missing actions are a kind of their own: fill them in so that check_acl does
    # not report them a second time.
    filled = [
        {**entry, "actions": []}
        if isinstance(entry, Mapping) and entry.get("actions") is None
        else entry
        for entry in acl
    ]
    findings = []
    for problem in check_acl(filled):
        number = _ENTRY_NUMBER.match(problem)
        findings.append(
            Finding(
                INVALID,
                int(number.group(1)) if number else None,
                f"{problem}. Correct it; the other checks skip this entry until then.",
            )
        )
    return findings


def _missing_actions(index: int, entry: Mapping[str, Any]) -> Iterator[Finding]:
    if entry.get("actions") is None:
        yield Finding(
            MISSING_ACTIONS,
            index,
            f"{_describe(index, entry)} has no 'actions': docker_auth loads it, then "
            "fails every token request it decides (the client sees the connection "
            'close). Write what it grants, such as ["pull"], or [] to deny.',
        )


# --- push-without-pull ---------------------------------------------------------------


def _push_without_pull(index: int, entry: Mapping[str, Any]) -> Iterator[Finding]:
    actions = list(entry.get("actions") or [])
    # A lone "*" grants what was asked; next to other actions it is just a name.
    if actions == ["*"] or "push" not in actions or "pull" in actions:
        return
    yield Finding(
        PUSH_WITHOUT_PULL,
        index,
        f"{_describe(index, entry)} grants push but not pull: the registry lets an "
        "upload through only with both, and this entry decides both for the requests "
        'it matches, so nobody can push through it. Grant ["pull", "push"], or '
        "leave push out.",
    )


# --- unanchored-regex ----------------------------------------------------------------


def _unanchored_regexes(index: int, entry: Mapping[str, Any]) -> Iterator[Finding]:
    for where, pattern in _patterns(entry["match"]).items():
        if not _is_regex(pattern):
            continue
        shape = _shape(pattern[1:-1])
        if shape.anchoring_changes_nothing:
            continue  # anchoring would change nothing
        yield Finding(
            UNANCHORED_REGEX,
            index,
            f"{_describe(index, entry)}: match.{where} {pattern} is searched for "
            "anywhere in the value, so it also matches values that merely contain a "
            f"match. Write /{shape.whole_value()}/ for whole values only, or "
            f"/{shape.same_meaning()}/ if any value containing it is meant.",
        )


def _patterns(match: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's text patterns by where they stand: ``name``, ``labels.group``."""
    found = {key: match[key] for key in _PATTERN_FIELDS if key in match}
    for label, pattern in match.get("labels", {}).items():
        found[f"labels.{label}"] = pattern
    return found


def _is_regex(pattern: Any) -> bool:
    # harness.acl's reading: "/.../" longer than two characters; anything else is a glob.
    return (
        isinstance(pattern, str)
        and len(pattern) > 2
        and pattern.startswith("/")
        and pattern.endswith("/")
    )


# Leading inline flags such as (?i) come before any ^ and apply to every branch.
_FLAGS = re.compile(r"\(\?[a-zA-Z]+\)")
# Cores whose matches anchoring cannot change: search and whole-value match agree.
_ANY_TEXT = frozenset({".*", ".*?", ".+", ".+?"})
_ALL_TEXT = frozenset({".*", ".*?"})


class _Branch(NamedTuple):
    """One alternative of a regex, split around its anchors."""

    starts: bool  # begins with ^
    core: str
    ends: bool  # ends with an unescaped $

    @property
    def anchored(self) -> bool:
        return self.starts and self.ends


class _Shape(NamedTuple):
    """A regex's body: its flags and its outermost alternatives."""

    flags: str
    branches: tuple[_Branch, ...]

    @property
    def anchored(self) -> bool:
        return all(branch.anchored for branch in self.branches)

    @property
    def anchoring_changes_nothing(self) -> bool:
        return all(b.anchored or b.core in _ANY_TEXT for b in self.branches)

    @property
    def matches_everything(self) -> bool:
        return any(branch.core in _ALL_TEXT for branch in self.branches)

    def whole_value(self) -> str:
        return self._anchor([branch.core for branch in self.branches])

    def same_meaning(self) -> str:
        return self._anchor(
            [
                ("" if b.starts else ".*") + b.core + ("" if b.ends else ".*")
                for b in self.branches
            ]
        )

    def _anchor(self, cores: list[str]) -> str:
        inside = "|".join(cores)
        return f"{self.flags}^{inside if len(cores) == 1 else f'(?:{inside})'}$"


def _shape(body: str) -> _Shape:
    flags = _FLAGS.match(body)
    prefix = flags.group() if flags else ""
    branches = []
    for text in _outer_branches(body[len(prefix) :]):
        starts = text.startswith("^")
        ends = _ends_with_dollar(text[int(starts) :])
        core = text[int(starts) : len(text) - int(ends)]
        branches.append(_Branch(starts, core, ends))
    return _Shape(prefix, tuple(branches))


def _ends_with_dollar(text: str) -> bool:
    if not text.endswith("$"):
        return False
    backslashes = len(text[:-1]) - len(text[:-1].rstrip("\\"))
    return backslashes % 2 == 0  # an odd count escapes it


def _outer_branches(regex: str) -> list[str]:
    """The regex split at each | outside groups and classes."""
    branches = []
    depth = 0
    start = position = 0
    while position < len(regex):
        char = regex[position]
        if char == "\\":
            position += 2
            continue
        if char == "[":
            position = _after_class(regex, position)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(regex[start:position])
            start = position + 1
        position += 1
    return [*branches, regex[start:]]


def _after_class(regex: str, start: int) -> int:
    """The position after the ``[...]`` class that opens at ``start``."""
    position = start + 1
    if regex.startswith("^", position):
        position += 1
    if regex.startswith("]", position):
        position += 1  # a "]" first in the class is a literal
    while position < len(regex) and regex[position] != "]":
        position += 2 if regex[position] == "\\" else 1
    return position + 1


# --- docker-bridge-ip ----------------------------------------------------------------


def _docker_bridge_ip(index: int, entry: Mapping[str, Any]) -> Iterator[Finding]:
    pattern = entry["match"].get("ip")
    if pattern is None:
        return
    network = _ip_network(pattern)
    if network is None or not network.is_private or network.is_loopback:
        return
    what = "address" if network.num_addresses == 1 else "range"
    yield Finding(
        DOCKER_BRIDGE_IP,
        index,
        f"{_describe(index, entry)}: match.ip {pattern} is a private {what}. When "
        "docker_auth runs in a container behind a published port, every client "
        "reaches it from the Docker bridge's gateway (a private address), not from "
        "its own: if the gateway lies in this range the entry matches them all, if "
        "not it matches none. Match on account and name instead.",
    )


def _ip_network(
    pattern: str,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        network = ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return None
    mapped = getattr(network.network_address, "ipv4_mapped", None)
    if mapped is not None and network.prefixlen >= 96:
        # docker_auth compares an IPv4-mapped block as the IPv4 block inside it.
        return ipaddress.IPv4Network((mapped, network.prefixlen - 96))
    return network


# --- shadowed ------------------------------------------------------------------------


def _shadowed(entries: list[tuple[int, Mapping[str, Any]]]) -> Iterator[Finding]:
    for position, (index, entry) in enumerate(entries):
        for earlier_index, earlier in entries[:position]:
            if _covers(earlier["match"], entry["match"]):
                yield Finding(
                    SHADOWED,
                    index,
                    f"{_describe(index, entry)} never decides anything: "
                    f"{_describe(earlier_index, earlier)} comes first and matches "
                    f"every request this one matches. Remove entry {index}, or move it "
                    f"above entry {earlier_index} if it should win.",
                )
                break


def _covers(earlier: Mapping[str, Any], later: Mapping[str, Any]) -> bool:
    """Whether the earlier match provably fits every request the later one fits.

    A field of the earlier match is settled when it matches any text, or is the very
    same pattern as the later one's. Each other field is tested on the single value
    the later match allows there (a pattern without wildcards or placeholders), by
    harness.acl itself; a field the later match leaves open cannot be proved.
    """
    pinned = _pinned(later)
    later_patterns = _patterns(later)
    tested: dict[str, Any] = {}
    for where, pattern in _patterns(earlier).items():
        # Every request has an account, type, name and service, not every label.
        present = where in _PATTERN_FIELDS or where in later_patterns
        if _same(pattern, later_patterns.get(where)) or (
            present and _matches_everything(pattern)
        ):
            continue
        uses = _placeholders(pattern)
        if where not in pinned or uses is None or not uses <= pinned.keys():
            return False
        tested[where] = pattern

    addresses = ["127.0.0.1"]  # any: the tested fields have no ip
    if "ip" in earlier:
        tested["ip"] = earlier["ip"]
        addresses = _ends(later.get("ip"))
    request = _request(pinned)
    match = _as_match(tested)
    return bool(addresses) and all(
        _fits(match, dataclasses.replace(request, ip=address)) for address in addresses
    )


def _pinned(match: Mapping[str, Any]) -> dict[str, str]:
    """The fields (and labels) for which the match allows just one value."""
    pinned = {}
    for where, pattern in _patterns(match).items():
        value = _literal(pattern)
        if value is not None:
            pinned[where] = value
    return pinned


# Regex syntax beyond plain characters (Go's QuoteMeta set), and the glob's.
_REGEX_SYNTAX = frozenset("\\.+*?()|[]{}^$")
_GLOB_SYNTAX = frozenset("*?[\\")


def _literal(pattern: Any) -> str | None:
    """The one value a pattern matches, or None when it may match several."""
    if not isinstance(pattern, str) or "${" in pattern:
        return None
    if not _is_regex(pattern):
        return None if _GLOB_SYNTAX & set(pattern) else pattern
    body = pattern[1:-1]
    inner = body[1:-1]
    if body.startswith("^") and body.endswith("$") and not _REGEX_SYNTAX & set(inner):
        return inner
    return None


def _matches_everything(pattern: Any) -> bool:
    if not _is_regex(pattern) or "${" in pattern:
        return False
    return _shape(pattern[1:-1]).matches_everything


_PLACEHOLDER = re.compile(r"\$\{(.*?)\}")


def _placeholders(pattern: str) -> set[str] | None:
    """The request fields a pattern names as ``${field}``.

    None when it holds another kind (labels, regex groups), whose value depends on
    more than the fields of the request.
    """
    names = _PLACEHOLDER.findall(pattern)
    if len(names) != pattern.count("${") or not set(names) <= set(_PATTERN_FIELDS):
        return None
    return set(names)


def _same(pattern: Any, other: Any) -> bool:
    # The same request expands the same plain placeholders the same way.
    return pattern == other and _placeholders(pattern) is not None


def _ends(pattern: Any) -> list[str]:
    """The first and last address of the later match's ip rule; none without one.

    The earlier rule is one block too, so holding both ends means holding them all.
    """
    network = _ip_network(pattern) if isinstance(pattern, str) else None
    if network is None:
        return []
    return [str(network.network_address), str(network.broadcast_address)]


def _request(pinned: Mapping[str, str]) -> TokenRequest:
    labels = {
        where.removeprefix("labels."): (value,)
        for where, value in pinned.items()
        if where.startswith("labels.")
    }
    return TokenRequest(
        account=pinned.get("account", ""),
        type=pinned.get("type", "repository"),
        name=pinned.get("name", ""),
        actions=(),
        service=pinned.get("service", "Docker registry"),
        labels=labels,
    )


def _as_match(patterns: Mapping[str, Any]) -> dict[str, Any]:
    match: dict[str, Any] = {}
    for where, pattern in patterns.items():
        if where.startswith("labels."):
            match.setdefault("labels", {})[where.removeprefix("labels.")] = pattern
        else:
            match[where] = pattern
    return match


def _fits(match: Mapping[str, Any], request: TokenRequest) -> bool:
    # A one-entry ACL: whether it decides is whether the match fits, by harness.acl.
    return decide([{"match": match, "actions": []}], request).entry_index == 1

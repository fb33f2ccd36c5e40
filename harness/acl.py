"""docker_auth 1.14.0's static ACL, read the way the token server reads it.

The harness uses this to say which ACL entry decided a cell and what it granted. The
rules below were read from docker_auth at d3f46f7998ec (``auth_server/authz/acl.go``,
``authz/set.go``, ``server/server.go``) and checked against that code:

- Entries are tried in order; the first whose ``match`` fits the request decides. When
  none fits, the static ACL has no opinion and, being the only authorizer, nothing is
  granted.
- Match fields left out match anything; those given must all fit.
- A pattern written ``/.../`` (longer than two characters) is a regular expression
  searched anywhere in the value. Anything else is a glob with Go's ``path.Match``
  rules: ``*`` and ``?`` never match ``/`` while ``[...]`` (``[^...]`` negated) may,
  ``\\`` escapes, and a malformed glob matches nothing.
- ``${account}``, ``${type}``, ``${name}`` and ``${service}`` become the request's
  values, escaped as regex literals (which a glob also reads literally). Each
  ``${labels:X}`` is tried with every value of label X (every combination when a
  pattern names several labels), not escaped. ``${F:N}`` is group N of field F's own
  regex run on the request's F. ``ip`` and the ``labels`` patterns get no placeholders.
- ``actions: ["*"]`` grants exactly what was asked; any other list grants its
  intersection with what was asked, so ``["*", "pull"]`` is no wildcard.

Limitations. Regexes run on Python's ``re`` (with ``re.ASCII``, since RE2's ``\\d``,
``\\w``, ``\\s`` and ``\\b`` are ASCII), not on Go's RE2. RE2 refuses backreferences,
lookaround and atomic or possessive forms that ``re`` accepts: docker_auth will not
start on such an ACL and this module does not notice. RE2-only syntax (``\\z``,
``\\Q...\\E``, ``\\p{Greek}``, ``(?U)``) is reported as not compiling, and POSIX classes
such as ``[[:alpha:]]`` are refused rather than misread. ``$`` in ``re`` also matches
before a final newline, which no account or repository name has.

Stricter than docker_auth on purpose: it ignores unknown keys and reads a null field as
absent, both of which widen an entry silently; here they are refused.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple, TypeAlias

from harness.errors import HarnessError

__all__ = [
    "AclError",
    "Decision",
    "MissingActionsError",
    "TokenRequest",
    "check_acl",
    "decide",
]

ENTRY_KEYS = ("match", "actions", "comment")
MATCH_FIELDS = ("account", "type", "name", "service", "ip", "labels")
# The fields whose patterns take placeholders, in the order docker_auth reads them.
_PATTERN_FIELDS = ("account", "type", "name", "service")

_Address: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network


class AclError(HarnessError, ValueError):
    """An ACL that docker_auth would refuse to load, or that this module refuses."""


class MissingActionsError(AclError):
    """The deciding entry has no ``actions``: docker_auth fails the request."""

    def __init__(self, entry_index: int, entry: Mapping[str, Any]) -> None:
        self.entry_index = entry_index
        self.entry = entry
        super().__init__(
            f"ACL entry {entry_index} ({_conditions(entry.get('match'))}) decides this "
            "request but has no 'actions': docker_auth 1.14.0 panics in its handler "
            "and answers nothing (the client sees the connection close, or an HTTP/2 "
            'stream reset). Give the entry an actions list, such as ["pull"], or [] '
            "to deny."
        )


def _no_labels() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({})


@dataclass(frozen=True)
class TokenRequest:
    """One resource scope of a token request, as the ACL sees it."""

    account: str  # "" for the anonymous user
    type: str  # "repository", or "registry" for the catalog
    name: str
    actions: tuple[str, ...]
    service: str = "Docker registry"
    ip: str = "127.0.0.1"
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=_no_labels)

    @classmethod
    def from_scope(
        cls,
        scope: str,
        account: str,
        *,
        service: str = "Docker registry",
        ip: str = "127.0.0.1",
        labels: Mapping[str, tuple[str, ...]] | None = None,
    ) -> TokenRequest:
        """Read one scope string such as ``repository:team/app:pull,push``.

        docker_auth takes the type to be the first run of ``[a-z0-9]`` in the part
        before the first colon, so ``repository(plugin)`` reads as ``repository``; a
        name may hold one colon (a registry host with a port), and actions are split
        on commas as given, so an empty action list is ``("",)``.
        """
        parts = scope.split(":")
        kind = re.search(r"[a-z0-9]+", parts[0])
        if kind is None or len(parts) not in (3, 4):
            raise AclError(
                f"scope {scope!r} is malformed: docker_auth answers 400 Bad Request. "
                "Write type:name:actions, such as repository:team/app:pull."
            )
        return cls(
            account=account,
            type=kind.group(),
            name=":".join(parts[1:-1]),
            actions=tuple(parts[-1].split(",")),
            service=service,
            ip=ip,
            labels=labels if labels is not None else _no_labels(),
        )


@dataclass(frozen=True)
class Decision:
    """Which ACL entry decided a request, and what it granted."""

    entry_index: int | None  # 1-based position in the ACL; None when nothing matched
    entry: Mapping[str, Any] | None
    granted: tuple[str, ...]  # sorted

    def describe(self) -> str:
        """``ACL entry 3 (account=user01 -> [pull])``, or that nothing matched."""
        if self.entry is None:
            return "no ACL entry matched (denied)"
        actions = ", ".join(_show(action) for action in self.entry["actions"])
        conditions = _conditions(self.entry.get("match"))
        return f"ACL entry {self.entry_index} ({conditions} -> [{actions}])"


def check_acl(acl: Sequence[Mapping[str, Any]]) -> list[str]:
    """Problems found when reading the ACL; an empty list when it is fine.

    Each problem starts with ``ACL entry N`` (1-based) and names the field and value.
    """
    return [problem.text for problem in _problems(acl)]


def decide(acl: Sequence[Mapping[str, Any]], request: TokenRequest) -> Decision:
    """The first entry matching the request, and the actions it grants.

    Raises :class:`AclError` for an ACL that docker_auth would refuse to load, or
    whose meaning it would silently change (unknown or null fields), and
    :class:`MissingActionsError` when the deciding entry has no ``actions``.
    """
    for problem in _problems(acl):
        if problem.refused:
            raise AclError(f"{problem.text}. Correct the ACL.")

    context = _RequestContext(request)
    for index, entry in enumerate(acl, start=1):
        if _entry_matches(entry["match"], context):
            return _grant(index, entry, request)
    return Decision(None, None, ())


def _grant(index: int, entry: Mapping[str, Any], request: TokenRequest) -> Decision:
    actions = entry.get("actions")
    if actions is None:
        raise MissingActionsError(index, entry)
    # docker_auth sorts the requested actions while parsing the scope, then hands
    # them back untouched for a lone "*", or as a sorted set intersection otherwise.
    if list(actions) == ["*"]:
        granted = tuple(sorted(request.actions))
    else:
        granted = tuple(sorted(set(request.actions) & set(actions)))
    return Decision(index, entry, granted)


# --- Reading the ACL -----------------------------------------------------------------


class _Problem(NamedTuple):
    text: str
    refused: bool  # docker_auth will not load it, or this module will not model it


def _problems(acl: Sequence[Mapping[str, Any]]) -> list[_Problem]:
    problems: list[_Problem] = []
    for index, entry in enumerate(acl, start=1):
        where = f"ACL entry {index}"
        if not isinstance(entry, Mapping):
            problems.append(_Problem(f"{where}: {entry!r} is not a mapping", True))
            continue
        problems.extend(_entry_problems(where, entry))
    return problems


def _entry_problems(where: str, entry: Mapping[str, Any]) -> list[_Problem]:
    problems = [
        _Problem(
            f"{where}: unknown key {key!r}: docker_auth ignores it silently "
            f"(the keys are {', '.join(ENTRY_KEYS)})",
            True,
        )
        for key in entry
        if key not in ENTRY_KEYS
    ]
    match = entry.get("match")
    if match is None:
        # Loading dereferences the missing match conditions: the server never starts.
        text = f"{where}: has no 'match': docker_auth crashes while loading the ACL"
        problems.append(_Problem(text, True))
    elif not isinstance(match, Mapping):
        problems.append(_Problem(f"{where}: match {match!r} is not a mapping", True))
    else:
        problems.extend(_match_problems(where, match))
    problems.extend(_actions_problems(where, entry))
    comment = entry.get("comment")
    if comment is not None and not isinstance(comment, str):
        problems.append(_Problem(f"{where}: comment {comment!r} is not text", True))
    return problems


def _actions_problems(where: str, entry: Mapping[str, Any]) -> list[_Problem]:
    actions = entry.get("actions")
    if actions is None:
        # ValidateACL never looks at actions: the entry loads, and every request it
        # decides dereferences the missing list in the handler.
        text = (
            f"{where}: has no 'actions': docker_auth loads it but fails every "
            "token request it decides"
        )
        return [_Problem(text, False)]
    if isinstance(actions, str) or not isinstance(actions, Sequence):
        return [_Problem(f"{where}: actions {actions!r} is not a list", True)]
    return [
        _Problem(f"{where}: action {action!r} is not text", True)
        for action in actions
        if not isinstance(action, str)
    ]


def _match_problems(where: str, match: Mapping[str, Any]) -> list[_Problem]:
    problems: list[_Problem] = []
    for key, value in match.items():
        if key not in MATCH_FIELDS:
            text = (
                f"{where}: unknown match field {key!r}: docker_auth ignores unknown "
                "fields, so this entry would match more than it says "
                f"(the fields are {', '.join(MATCH_FIELDS)})"
            )
            problems.append(_Problem(text, True))
        elif value is None:
            text = (
                f"{where}: match.{key} is null: docker_auth reads it as absent and "
                'matches any value (write "" for the anonymous account)'
            )
            problems.append(_Problem(text, True))
        elif key == "ip":
            problems.extend(_ip_problems(where, value))
        elif key == "labels":
            problems.extend(_labels_problems(where, value))
        else:
            problems.extend(_pattern_problems(f"{where}: match.{key}", value))
    return problems


def _pattern_problems(where: str, pattern: Any) -> list[_Problem]:
    if not isinstance(pattern, str):
        return [_Problem(f"{where}: {pattern!r} is not text", True)]
    if _is_regex(pattern):
        try:
            _compile(pattern[1:-1])
        except re.error as error:
            text = f"{where}: regex {pattern!r} does not compile: {error}"
            return [_Problem(text, True)]
        except FutureWarning as warning:
            text = (
                f"{where}: regex {pattern!r} reads differently in Python's re than in "
                f"Go's RE2 ({warning}): the harness cannot model it"
            )
            return [_Problem(text, True)]
        return []
    try:
        _glob_chunks(pattern)
    except _BadGlob as error:
        # Only regexes are checked at load time; a bad glob just never matches.
        text = f"{where}: glob {pattern!r} is malformed ({error}): it never matches"
        return [_Problem(text, False)]
    return []


def _ip_problems(where: str, pattern: Any) -> list[_Problem]:
    try:
        _parse_ip_pattern(pattern)
    except ValueError:
        text = (
            f"{where}: match.ip {pattern!r} is neither an IP address nor a CIDR "
            "block: docker_auth refuses to start"
        )
        return [_Problem(text, True)]
    return []


def _labels_problems(where: str, labels: Any) -> list[_Problem]:
    if not isinstance(labels, Mapping):
        text = f"{where}: match.labels {labels!r} is not a mapping of label to pattern"
        return [_Problem(text, True)]
    problems: list[_Problem] = []
    for label, pattern in labels.items():
        problems.extend(_pattern_problems(f"{where}: match.labels.{label}", pattern))
    return problems


# --- Matching ------------------------------------------------------------------------


class _RequestContext:
    """A request with the placeholder values every entry's patterns may use."""

    def __init__(self, request: TokenRequest) -> None:
        self.request = request
        self.values = {
            "account": request.account,
            "type": request.type,
            "name": request.name,
            "service": request.service,
        }
        # Request values enter patterns as regex literals (also literal to a glob).
        self.variables = [
            ("${" + key + "}", _quote_meta(value)) for key, value in self.values.items()
        ]
        self.label_values = {
            "${labels:" + label + "}": tuple(values)
            for label, values in request.labels.items()
        }
        self.address = _parse_address(request.ip)


def _entry_matches(match: Mapping[str, Any], context: _RequestContext) -> bool:
    variables = context.variables + _capture_variables(match, context)
    for key in _PATTERN_FIELDS:
        pattern = match.get(key)
        value = context.values[key]
        if pattern is not None and not _field_matches(
            pattern, value, variables, context
        ):
            return False
    if "ip" in match and not _ip_matches(match["ip"], context.address):
        return False
    return _labels_match(match.get("labels", {}), context, variables)


def _field_matches(
    pattern: str,
    value: str,
    variables: list[tuple[str, str]],
    context: _RequestContext,
) -> bool:
    if _pattern_matches(pattern, value, variables):
        return True
    # Only when the plain reading fails are label values tried, one combination at a
    # time, for the labels this pattern names.
    named = [
        (placeholder, values)
        for placeholder, values in context.label_values.items()
        if placeholder in pattern
    ]
    if not named:
        return False
    placeholders = [placeholder for placeholder, _ in named]
    for combination in itertools.product(*(values for _, values in named)):
        extra = list(zip(placeholders, combination, strict=True))
        if _pattern_matches(pattern, value, variables + extra):
            return True
    return False


def _labels_match(
    labels: Mapping[str, str],
    context: _RequestContext,
    variables: list[tuple[str, str]],
) -> bool:
    # Every label named must have at least one value that fits; a label the user
    # lacks fails. These patterns get the request variables but no label values.
    return all(
        any(
            _pattern_matches(pattern, value, variables)
            for value in context.request.labels.get(label, ())
        )
        for label, pattern in labels.items()
    )


def _pattern_matches(
    pattern: str, value: str, variables: list[tuple[str, str]]
) -> bool:
    # Regex or glob is decided after expansion, as docker_auth does.
    expanded = _expand(pattern, variables)
    if not _is_regex(expanded):
        return _glob_matches(expanded, value)
    try:
        compiled = _compile(expanded[1:-1])
    except (re.error, FutureWarning):
        return False  # an expansion that breaks the regex matches nothing
    return compiled.search(value) is not None


def _is_regex(pattern: str) -> bool:
    return len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/")


def _compile(regex: str) -> re.Pattern[str]:
    # Python warns about "[[" (a nested set to come) where RE2 reads a POSIX class:
    # treat the warning as a failure rather than silently reading it differently.
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        return re.compile(regex, re.ASCII)


def _expand(pattern: str, variables: list[tuple[str, str]]) -> str:
    """Replace placeholders left to right; at one spot the earliest listed wins."""
    if "${" not in pattern:
        return pattern
    out: list[str] = []
    position = 0
    while position < len(pattern):
        for placeholder, value in variables:
            if pattern.startswith(placeholder, position):
                out.append(value)
                position += len(placeholder)
                break
        else:
            out.append(pattern[position])
            position += 1
    return "".join(out)


# Go's regexp.QuoteMeta escapes exactly these; Python's re reads each escape literally.
_META = frozenset("\\.+*?()|[]{}^$")


def _quote_meta(text: str) -> str:
    return "".join("\\" + char if char in _META else char for char in text)


# docker_auth finds capture placeholders with a lazy ".+?", so in "${account}/${name:1}"
# the first match runs from "${account" to ":1}", names no field, and the ${name:1}
# is left unexpanded. The same expression reproduces that.
_CAPTURE_PLACEHOLDER = re.compile(r"\$\{(.+?):([0-9]+)\}")
_FIELD_BY_TITLE = {key.title(): key for key in _PATTERN_FIELDS}


def _capture_variables(
    match: Mapping[str, Any], context: _RequestContext
) -> list[tuple[str, str]]:
    """``${F:N}`` placeholders: group N of field F's regex on the request's F."""
    found: list[tuple[str, str]] = []
    for key in _PATTERN_FIELDS:
        for placeholder in _CAPTURE_PLACEHOLDER.finditer(match.get(key) or ""):
            # The field is named with its first letter upper-cased (Go's strings.Title).
            name = placeholder.group(1)
            source = _FIELD_BY_TITLE.get(name[:1].upper() + name[1:])
            group = _captured(match, source, int(placeholder.group(2)), context)
            if group is not None:
                found.append((placeholder.group(), group))
    return found


def _captured(
    match: Mapping[str, Any], source: str | None, group: int, context: _RequestContext
) -> str | None:
    regex = match.get(source) if source is not None else None
    if source is None or not isinstance(regex, str) or len(regex) < 2:
        return None
    if not (regex.startswith("/") and regex.endswith("/")):
        return None  # a glob has no groups; the placeholder stays as written
    try:
        found = _compile(regex[1:-1]).search(context.values[source])
    except (re.error, FutureWarning):
        return None
    if found is None or not 1 <= group <= found.re.groups:
        return None
    return found.group(group) or ""  # a group that took no part reads as ""


# --- Go's path.Match -----------------------------------------------------------------


class _BadGlob(ValueError):
    pass


class _Token(NamedTuple):
    kind: str  # "char", "any" or "class"
    char: str = ""
    ranges: tuple[tuple[str, str], ...] = ()
    negated: bool = False

    def fits(self, char: str) -> bool:
        if self.kind == "char":
            return char == self.char
        if self.kind == "any":
            return char != "/"
        inside = any(low <= char <= high for low, high in self.ranges)
        return inside != self.negated


class _Chunk(NamedTuple):
    star: bool  # preceded by "*"
    tokens: tuple[_Token, ...]


def _glob_matches(pattern: str, name: str) -> bool:
    """Go's path.Match, including its lack of backtracking between chunks.

    Each chunk after a star is placed at the first spot where it fits, and never
    moved; so ``*[a/]*`` does not match ``a/c`` even though it could.
    """
    try:
        chunks = _glob_chunks(pattern)
    except _BadGlob:
        return False
    position = 0
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        if chunk.star and not chunk.tokens:
            return "/" not in name[position:]  # a trailing star takes the rest
        end = _place_chunk(chunk, name, position, last)
        if end is None:
            return False
        position = end
    return position == len(name)


def _place_chunk(chunk: _Chunk, name: str, position: int, last: bool) -> int | None:
    """Where the name continues after the chunk, or None if it cannot be placed."""
    end = _fit_tokens(chunk.tokens, name, position)
    if end is not None and (end == len(name) or not last):
        return end
    if not chunk.star:
        return None
    # The star takes one more character at a time, never a "/".
    skipped = position
    while skipped < len(name) and name[skipped] != "/":
        end = _fit_tokens(chunk.tokens, name, skipped + 1)
        if end is not None and (end == len(name) or not last):
            return end
        skipped += 1
    return None


def _fit_tokens(tokens: tuple[_Token, ...], name: str, start: int) -> int | None:
    end = start + len(tokens)
    if end > len(name):
        return None
    if all(
        token.fits(char) for token, char in zip(tokens, name[start:end], strict=True)
    ):
        return end
    return None


def _glob_chunks(pattern: str) -> list[_Chunk]:
    """Split a glob at its stars; raise _BadGlob where Go reports ErrBadPattern."""
    chunks: list[_Chunk] = []
    position = 0
    while position < len(pattern):
        star = False
        while position < len(pattern) and pattern[position] == "*":
            star = True
            position += 1
        tokens: list[_Token] = []
        while position < len(pattern) and pattern[position] != "*":
            token, position = _glob_token(pattern, position)
            tokens.append(token)
        chunks.append(_Chunk(star, tuple(tokens)))
    return chunks


def _glob_token(pattern: str, position: int) -> tuple[_Token, int]:
    char = pattern[position]
    if char == "?":
        return _Token("any"), position + 1
    if char == "[":
        return _glob_class(pattern, position + 1)
    if char == "\\":
        if position + 1 == len(pattern):
            raise _BadGlob("a trailing backslash")
        return _Token("char", pattern[position + 1]), position + 2
    return _Token("char", char), position + 1


def _glob_class(pattern: str, position: int) -> tuple[_Token, int]:
    negated = pattern.startswith("^", position)
    if negated:
        position += 1
    ranges: list[tuple[str, str]] = []
    while not (ranges and pattern.startswith("]", position)):
        low, position = _class_char(pattern, position)
        high = low
        if pattern[position] == "-":
            high, position = _class_char(pattern, position + 1)
        ranges.append((low, high))
    return _Token("class", ranges=tuple(ranges), negated=negated), position + 1


def _class_char(pattern: str, position: int) -> tuple[str, int]:
    # Inside [...], "-" and "]" must be escaped, and something must follow each
    # character (at least the closing bracket).
    if position >= len(pattern) or pattern[position] in "-]":
        raise _BadGlob("a malformed [...] class")
    if pattern[position] == "\\":
        position += 1
    if position + 1 >= len(pattern):
        raise _BadGlob("an unclosed [...] class")
    return pattern[position], position + 1


# --- Addresses -----------------------------------------------------------------------


def _parse_address(text: str) -> _Address | None:
    """Go's net.ParseIP: no zones; an IPv4-mapped IPv6 address is IPv4."""
    if "%" in text:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _parse_ip_pattern(pattern: Any) -> _Network:
    """A single address (a /32 or /128) or a CIDR block, as docker_auth reads it."""
    if not isinstance(pattern, str):
        raise ValueError(pattern)
    address = _parse_address(pattern)
    if address is not None:
        return ipaddress.ip_network(address)
    base, _, prefix = pattern.partition("/")
    # Go takes a prefix length only, where Python would also take a netmask.
    if not (prefix.isascii() and prefix.isdigit()) or "%" in base:
        raise ValueError(pattern)
    network = ipaddress.ip_network(f"{base}/{prefix}", strict=False)
    mapped = getattr(network.network_address, "ipv4_mapped", None)
    if mapped is not None and network.prefixlen >= 96:
        # Go compares an IPv4-mapped block as the IPv4 block it embeds.
        return ipaddress.IPv4Network((mapped, network.prefixlen - 96))
    return network


def _ip_matches(pattern: str, address: _Address | None) -> bool:
    if address is None:
        return False
    return address in _parse_ip_pattern(pattern)


# --- Describing ----------------------------------------------------------------------


def _conditions(match: Any) -> str:
    if not isinstance(match, Mapping) or not match:
        return "any request"
    parts: list[str] = []
    for key, value in match.items():
        if key == "labels" and isinstance(value, Mapping):
            parts.extend(f"labels.{k}={_show(v)}" for k, v in value.items())
        else:
            parts.append(f"{key}={_show(value)}")
    return ", ".join(parts)


def _show(value: Any) -> str:
    return '""' if value == "" else str(value)

"""The permission matrix: who may do what, read from a YAML file.

A matrix file names the users and their passwords, docker_auth's ACL (passed through
unchanged), what each user does, and the expected outcome of every cell. Tests are
generated from it; nothing about particular users lives in code. Every problem in the
file is reported as one :class:`MatrixFileError` naming file, line, field and value.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.errors import MatrixFileError
from harness.redaction import redactor


class Action(enum.StrEnum):
    LOGIN = "login"
    PUSH = "push"
    PULL = "pull"
    LOGOUT = "logout"


class Outcome(enum.StrEnum):
    OK = "ok"
    DENIED = "denied"  # authenticated, but the token lacks the rights
    UNAUTHORIZED = "unauthorized"  # the credentials themselves were refused
    ERROR = "error"  # anything else: the cell could not be judged


EXPECTABLE_OUTCOMES = (Outcome.OK, Outcome.DENIED, Outcome.UNAUTHORIZED)
# The grammar of distribution's reference package, for a repository on a known registry.
_REPOSITORY = re.compile(
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}")
TOP_LEVEL_KEYS = ("users", "acl", "steps", "seed_image", "expect", "messages")


@dataclass(frozen=True)
class User:
    name: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Expectation:
    outcome: Outcome
    message: str | None = None  # None: the client's default message for this outcome


@dataclass(frozen=True)
class Cell:
    """One rule to check: ``user`` doing ``action`` (on ``reference``) ends in ``expected``."""

    user: str
    action: Action
    reference: str | None  # repository:tag for push and pull; None for login and logout
    expected: Expectation

    @property
    def repository(self) -> str | None:
        return self.reference.rsplit(":", 1)[0] if self.reference else None

    @property
    def test_id(self) -> str:
        parts = [self.user, self.action.value]
        if self.repository:
            parts.append(self.repository.replace("/", "."))
        parts.append(self.expected.outcome.value)
        return "-".join(parts)

    def describe(self) -> str:
        target = f" {self.reference}" if self.reference else ""
        return f"{self.user} {self.action.value}{target}"


@dataclass(frozen=True)
class SeedImage:
    """An image pushed once during set-up so that pull cells need no push cell."""

    user: str
    reference: str


@dataclass(frozen=True)
class Matrix:
    path: Path
    users: tuple[User, ...]
    acl: tuple[Mapping[str, Any], ...]
    seed_image: SeedImage
    cells: tuple[Cell, ...]
    # messages[client][f"{action}.{outcome}"]: text the client's message must contain.
    messages: Mapping[str, Mapping[str, str]]

    def user(self, name: str) -> User:
        return next(user for user in self.users if user.name == name)

    def expected_message(self, client: str, cell: Cell) -> str | None:
        if cell.expected.message is not None:
            return cell.expected.message
        key = f"{cell.action.value}.{cell.expected.outcome.value}"
        return self.messages.get(client, {}).get(key)


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings remember the line of each key, for error messages."""


class _LinedDict(dict[str, Any]):
    lines: dict[str, int]


def _construct_lined_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LinedDict:
    mapping = _LinedDict()
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_lined_mapping
)


class _Reader:
    """Reads one matrix file, turning every problem into a MatrixFileError."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(
        self,
        where: Mapping[str, Any] | None,
        key: str,
        field_path: str,
        problem: str,
        fix: str,
    ) -> MatrixFileError:
        line = getattr(where, "lines", {}).get(key) if where is not None else None
        location = f"{self.path}, line {line}" if line else str(self.path)
        return MatrixFileError(location, field_path, problem, fix)

    def load(self) -> Matrix:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as error:
            raise MatrixFileError(
                self.path,
                "(file)",
                f"cannot be read ({error.strerror})",
                "Give the path of an existing matrix file, such as scenarios/seed.yaml.",
            ) from error
        try:
            document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(
                error, "context_mark", None
            )
            where = f"{self.path}, line {mark.line + 1}" if mark else str(self.path)
            problem = getattr(error, "problem", None) or str(error)
            raise MatrixFileError(
                where,
                "(yaml)",
                f"is not valid YAML: {problem}",
                "Fix the YAML syntax at that line.",
            ) from None
        if not isinstance(document, dict):
            raise self.fail(
                None,
                "",
                "(top level)",
                "is not a mapping",
                f"Write a mapping with the keys {', '.join(TOP_LEVEL_KEYS)}.",
            )

        for key in document:
            if key not in TOP_LEVEL_KEYS:
                raise self.fail(
                    document,
                    key,
                    str(key),
                    "is not a known key",
                    f"Use only {', '.join(TOP_LEVEL_KEYS)}.",
                )
        for key in ("users", "acl", "steps", "seed_image", "expect"):
            if key not in document:
                raise self.fail(
                    None,
                    "",
                    key,
                    "is missing",
                    "See scenarios/seed.yaml for an example of each section.",
                )

        users = self.users(document)
        acl = self.acl(document)
        steps = self.steps(document)
        names = {user.name for user in users}
        seed_image = self.seed_image(document, names)
        cells = tuple(self.cells(document, users, steps))
        messages = self.messages(document)
        return Matrix(self.path, users, acl, seed_image, cells, messages)

    def users(self, document: dict[str, Any]) -> tuple[User, ...]:
        entries = document["users"]
        if not isinstance(entries, list) or not entries:
            raise self.fail(
                document,
                "users",
                "users",
                "is not a non-empty list",
                "List users as '- {name: alice, password: ...}'.",
            )
        users: list[User] = []
        for index, entry in enumerate(entries):
            where = f"users[{index}]"
            if not isinstance(entry, dict) or set(entry) != {"name", "password"}:
                raise self.fail(
                    document,
                    "users",
                    where,
                    f"has keys {sorted(entry) if isinstance(entry, dict) else entry!r}",
                    "Give each user exactly 'name' and 'password'.",
                )
            name, password = entry["name"], entry["password"]
            if not isinstance(name, str) or not name:
                raise self.fail(
                    entry,
                    "name",
                    f"{where}.name",
                    f"value {name!r} is not a name",
                    "Write the account name as docker_auth knows it.",
                )
            if any(user.name == name for user in users):
                raise self.fail(
                    entry,
                    "name",
                    f"{where}.name",
                    f"user {name!r} is listed twice",
                    "List each user once.",
                )
            users.append(
                User(name, self.password(entry, f"{where}.password", password))
            )
        return tuple(users)

    def password(self, entry: dict[str, Any], where: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(
                entry,
                "password",
                where,
                "is not a string",
                "Quote the password, or write ${VARIABLE} to read it from the environment.",
            )
        reference = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", value)
        if reference:
            variable = reference.group(1)
            if variable not in os.environ:
                raise self.fail(
                    entry,
                    "password",
                    where,
                    f"names the environment variable {variable}, which is not set",
                    f"Export {variable} before the run.",
                )
            value = os.environ[variable]
        assert isinstance(value, str)
        if not value:
            raise self.fail(
                entry,
                "password",
                where,
                "is empty",
                "docker_auth refuses every login with an empty password; give one.",
            )
        redactor.add(value)
        return value

    def acl(self, document: dict[str, Any]) -> tuple[Mapping[str, Any], ...]:
        entries = document["acl"]
        if not isinstance(entries, list):
            raise self.fail(
                document,
                "acl",
                "acl",
                "is not a list",
                "Write docker_auth's ACL: a list of {match: ..., actions: [...]}.",
            )
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or "match" not in entry:
                raise self.fail(
                    document,
                    "acl",
                    f"acl[{index}]",
                    "has no 'match'",
                    "Give each ACL entry a 'match' mapping (for example {account: alice}).",
                )
            # docker_auth loads an entry without 'actions' and then fails every token
            # request it matches, at run time: refuse it here instead.
            if not isinstance(entry.get("actions"), list):
                raise self.fail(
                    entry,
                    "match",
                    f"acl[{index}].actions",
                    "is missing"
                    if "actions" not in entry
                    else f"value {entry['actions']!r} is not a list",
                    'Write the granted actions as a list, such as ["pull"], or [] to deny.',
                )
        return tuple(_plain(entry) for entry in entries)

    def steps(self, document: dict[str, Any]) -> dict[Action, str]:
        steps = document["steps"]
        if not isinstance(steps, dict) or set(steps) != {"push", "pull"}:
            raise self.fail(
                document,
                "steps",
                "steps",
                f"is {steps!r}",
                "Name the image each user pushes and pulls, e.g. "
                "{push: '{user}image:1', pull: 'adminimage:1'}.",
            )
        return {
            Action.PUSH: self.reference(steps, "push", "steps.push"),
            Action.PULL: self.reference(steps, "pull", "steps.pull"),
        }

    def reference(self, where: dict[str, Any], key: str, field_path: str) -> str:
        value = where[key]
        if not isinstance(value, str) or not re.fullmatch(r"[^:\s]+:[\w.{}-]+", value):
            raise self.fail(
                where,
                key,
                field_path,
                f"value {value!r} is not repository:tag",
                "Write a repository and a tag, such as adminimage:1.",
            )
        try:
            example = value.format(user="someone")
        except (KeyError, IndexError, ValueError):
            raise self.fail(
                where,
                key,
                field_path,
                f"value {value!r} has a placeholder other than {{user}}",
                "Write {user} for the acting user's name, or no placeholder.",
            ) from None
        self.check_image_reference(where, key, field_path, example)
        return value

    def check_image_reference(
        self, where: dict[str, Any], key: str, field_path: str, reference: str
    ) -> None:
        """Refuse now what the registry would refuse later: the reference grammar."""
        repository, _, tag = reference.rpartition(":")
        if not _REPOSITORY.fullmatch(repository) or not _TAG.fullmatch(tag):
            raise self.fail(
                where,
                key,
                field_path,
                f"gives the image reference {reference!r}, which registries refuse",
                "Use lower-case letters, digits and . _ - in repository names, with / "
                "between parts, and a tag of letters, digits, . _ -.",
            )

    def seed_image(self, document: dict[str, Any], names: set[str]) -> SeedImage:
        seed = document["seed_image"]
        if not isinstance(seed, dict) or set(seed) != {"user", "reference"}:
            raise self.fail(
                document,
                "seed_image",
                "seed_image",
                f"is {seed!r}",
                "Give the user who pushes it and its repository:tag.",
            )
        if not isinstance(seed["user"], str) or seed["user"] not in names:
            raise self.fail(
                seed,
                "user",
                "seed_image.user",
                f"names {seed['user']!r}, who is not in users",
                "Name a user listed under users who may push.",
            )
        return SeedImage(
            seed["user"], self.reference(seed, "reference", "seed_image.reference")
        )

    def cells(
        self,
        document: dict[str, Any],
        users: tuple[User, ...],
        steps: dict[Action, str],
    ) -> Iterator[Cell]:
        expect = document["expect"]
        if not isinstance(expect, dict):
            raise self.fail(
                document,
                "expect",
                "expect",
                "is not a mapping",
                "Map each user to its expected outcome per action.",
            )
        names = [user.name for user in users]
        for name in expect:
            if name not in names:
                raise self.fail(
                    expect,
                    name,
                    f"expect.{name}",
                    "is not a user of this matrix",
                    f"Use one of {', '.join(names)}, or add the user under users.",
                )
        for name in names:
            if name not in expect:
                raise self.fail(
                    document,
                    "expect",
                    f"expect.{name}",
                    "is missing",
                    "Give every user an expectation for every action.",
                )
            row = expect[name]
            if not isinstance(row, dict):
                raise self.fail(
                    expect,
                    name,
                    f"expect.{name}",
                    "is not a mapping",
                    "Write {login: ok, push: denied, pull: ok, logout: ok}.",
                )
            for key in row:
                if key not in {action.value for action in Action}:
                    raise self.fail(
                        row,
                        key,
                        f"expect.{name}.{key}",
                        "is not an action",
                        f"Use {', '.join(a.value for a in Action)}.",
                    )
            for action in Action:
                if action.value not in row:
                    raise self.fail(
                        expect,
                        name,
                        f"expect.{name}.{action.value}",
                        "is missing",
                        "Give every user an expectation for every action.",
                    )
                expectation = self.expectation(
                    row, action.value, f"expect.{name}.{action.value}"
                )
                template = steps.get(action)
                reference = template.format(user=name) if template else None
                if reference is not None:
                    self.check_image_reference(
                        document["steps"],
                        action.value,
                        f"steps.{action.value}",
                        reference,
                    )
                yield Cell(name, action, reference, expectation)

    def expectation(self, row: dict[str, Any], key: str, where: str) -> Expectation:
        value = row[key]
        message = None
        if isinstance(value, dict):
            if set(value) - {"outcome", "message"} or "outcome" not in value:
                raise self.fail(
                    row,
                    key,
                    where,
                    f"has keys {sorted(value)}",
                    "Write an outcome, or {outcome: denied, message: '...'}.",
                )
            value, message = value["outcome"], value.get("message")
        allowed = ", ".join(outcome.value for outcome in EXPECTABLE_OUTCOMES)
        if not isinstance(value, str) or value not in set(EXPECTABLE_OUTCOMES):
            raise self.fail(
                row,
                key,
                where,
                f"value {value!r} is not an outcome",
                f"Use one of {allowed}.",
            )
        return Expectation(Outcome(value), message)

    def messages(self, document: dict[str, Any]) -> dict[str, dict[str, str]]:
        messages = document.get("messages", {})
        if not isinstance(messages, dict) or not all(
            isinstance(table, dict)
            and all(isinstance(text, str) for text in table.values())
            for table in messages.values()
        ):
            raise self.fail(
                document,
                "messages",
                "messages",
                "is not a mapping of clients",
                "Write messages: {sdk: {push.denied: '...'}}.",
            )
        for client, table in messages.items():
            for key in table:
                action, _, outcome = key.partition(".")
                if action not in {a.value for a in Action} or outcome not in {
                    o.value for o in EXPECTABLE_OUTCOMES
                }:
                    raise self.fail(
                        table,
                        key,
                        f"messages.{client}.{key}",
                        "is not <action>.<outcome>",
                        "Write for example push.denied.",
                    )
        return {client: dict(table) for client, table in messages.items()}


def _plain(value: Any) -> Any:
    """The same data with plain dicts, for libraries that check types exactly."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def load_matrix(path: Path) -> Matrix:
    """Read and check a matrix file; raise MatrixFileError on the first problem."""
    return _Reader(path).load()

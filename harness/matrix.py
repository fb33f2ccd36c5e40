"""The permission matrix: who may do what, read from a YAML file.

A matrix file names the users and their passwords, docker_auth's ACL (passed through
unchanged), the repositories the cells touch, and the expected outcome of every cell:
a user doing one action (on one repository). Tests are generated from it; nothing
about particular users lives in code. Every problem in the file is reported as one
:class:`MatrixFileError` naming file, line, field and value, and what to write instead.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import os
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.acl import check_acl
from harness.errors import MatrixFileError
from harness.redaction import redactor
from harness.settings import CLIENT_NAMES


class Action(enum.StrEnum):
    LOGIN = "login"
    PUSH = "push"
    PULL = "pull"
    DELETE = "delete"
    CATALOG = "catalog"
    LOGOUT = "logout"


# Actions on one repository; the others concern the account as a whole.
REPOSITORY_ACTIONS = (Action.PUSH, Action.PULL, Action.DELETE)


class Outcome(enum.StrEnum):
    OK = "ok"
    DENIED = "denied"  # authenticated, but the token lacks the rights
    UNAUTHORIZED = "unauthorized"  # the credentials were refused, or none were given
    ERROR = "error"  # anything else: the cell could not be judged


EXPECTABLE_OUTCOMES = (Outcome.OK, Outcome.DENIED, Outcome.UNAUTHORIZED)
MESSAGE_PLACEHOLDERS = ("registry", "repository", "reference", "user")
ANONYMOUS = "anonymous"  # how the matrix and the reports name docker_auth's "" account
ALL_OTHERS = "*"  # in a per-repository expectation: every repository not named
TOP_LEVEL_KEYS = (
    "users",
    "acl",
    "repositories",
    "seed_user",
    "tag",
    "expect",
    "messages",
)
# The grammar of distribution's reference package, for a repository on a known registry.
_REPOSITORY = re.compile(
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_ENVIRONMENT_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class User:
    name: str  # as the matrix and the reports name it
    password: str | None = field(default=None, repr=False)  # None: anonymous
    # What clients present, when cells should meet refused credentials: one password
    # for every client, or one per client name. The account's own password (the one
    # the embedded stack configures) stays ``password``.
    client_password: str | Mapping[str, str] | None = field(default=None, repr=False)

    @property
    def anonymous(self) -> bool:
        return self.password is None

    @property
    def presented_password(self) -> str | None:
        """The password a client logs in with (see :meth:`as_seen_by`)."""
        if isinstance(self.client_password, str):
            return self.client_password
        return self.password

    def as_seen_by(self, client: str) -> User:
        """This user as one client presents it: with that client's password, if any."""
        if isinstance(self.client_password, Mapping):
            return dataclasses.replace(
                self, client_password=self.client_password.get(client, self.password)
            )
        return self

    @property
    def account(self) -> str:
        """The account name docker_auth sees: empty for the anonymous user."""
        return "" if self.anonymous else self.name


@dataclass(frozen=True)
class Expectation:
    outcome: Outcome
    message: str | None = None  # None: the client's default message for this outcome


@dataclass(frozen=True)
class Cell:
    """One rule: ``user`` doing ``action`` (on ``repository``) ends in ``expected``."""

    user: str
    action: Action
    repository: str | None  # None for login, logout and catalog
    expected: Expectation
    tag: str = "1"

    @property
    def reference(self) -> str | None:
        return f"{self.repository}:{self.tag}" if self.repository else None

    @property
    def test_id(self) -> str:
        parts = [self.user, self.action.value]
        if self.repository:
            parts.append(self.repository.replace("/", "."))
        parts.append(self.expected.outcome.value)
        return "-".join(parts)

    def describe(self) -> str:
        target = f" {self.repository}" if self.repository else ""
        return f"{self.user} {self.action.value}{target}"


@dataclass(frozen=True)
class Matrix:
    path: Path
    users: tuple[User, ...]
    acl: tuple[Mapping[str, Any], ...]
    repositories: tuple[str, ...]
    seed_user: str  # pushes <repository>:<tag> into every repository before the cells
    tag: str
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

    @property
    def logout_check_repository(self) -> str:
        """A repository whose pull without credentials must fail, to prove a logout."""
        public = {
            cell.repository
            for cell in self.cells
            if cell.user == ANONYMOUS
            and cell.action is Action.PULL
            and cell.expected.outcome is Outcome.OK
        }
        return next(name for name in self.repositories if name not in public)


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings remember the line of each key, for error messages."""


class _LinedDict(dict[str, Any]):
    lines: dict[str, int]


def _construct_lined_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LinedDict:
    mapping = _LinedDict()
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            raise yaml.constructor.ConstructorError(
                None, None, "a key is a list or mapping", key_node.start_mark
            )
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


def _plain(value: Any) -> Any:
    """The same data with plain dicts, for libraries that check types exactly."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class _Reader:
    """Reads one matrix file, turning every problem into a MatrixFileError."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(
        self, where: Any, key: Any, field_path: str, problem: str, fix: str
    ) -> MatrixFileError:
        line = getattr(where, "lines", {}).get(key)
        location = f"{self.path}, line {line}" if line else str(self.path)
        return MatrixFileError(location, field_path, problem, fix)

    # --- the document ------------------------------------------------------------

    def load(self) -> Matrix:
        document = self.document()
        for key in document:
            if key not in TOP_LEVEL_KEYS:
                raise self.fail(
                    document,
                    key,
                    str(key),
                    "is not a known key",
                    f"Use only {', '.join(TOP_LEVEL_KEYS)}.",
                )
        for key in ("users", "acl", "repositories", "seed_user", "expect"):
            if key not in document:
                raise self.fail(
                    None,
                    None,
                    key,
                    "is missing",
                    "See scenarios/seed.yaml and the README for each section.",
                )
        users = self.users(document)
        acl = self.acl(document)
        repositories = self.repositories(document)
        tag = self.tag(document)
        seed_user = self.seed_user(document, users)
        cells = tuple(self.cells(document, users, repositories, tag))
        matrix = Matrix(
            self.path,
            users,
            acl,
            repositories,
            seed_user,
            tag,
            cells,
            self.messages(document),
        )
        self.check_logout_possible(document, matrix)
        self.check_unique_ids(document, matrix)
        return matrix

    def check_unique_ids(self, document: dict[str, Any], matrix: Matrix) -> None:
        seen: dict[str, Cell] = {}
        for cell in matrix.cells:
            other = seen.setdefault(cell.test_id, cell)
            if other is not cell:
                raise self.fail(
                    document,
                    "repositories",
                    "repositories",
                    f"gives two cells the test id {cell.test_id!r} ({other.repository} "
                    f"and {cell.repository})",
                    "Test ids write / as .: rename one of the two repositories.",
                )

    def document(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise MatrixFileError(
                self.path,
                "(file)",
                f"is not UTF-8 text ({error.reason} at byte {error.start})",
                "Save the matrix file as UTF-8 YAML.",
            ) from None
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
                None,
                "(top level)",
                "is not a mapping",
                f"Write a mapping with the keys {', '.join(TOP_LEVEL_KEYS)}.",
            )
        return document

    # --- users ---------------------------------------------------------------------

    def users(self, document: dict[str, Any]) -> tuple[User, ...]:
        entries = document["users"]
        if not isinstance(entries, list) or not entries:
            raise self.fail(
                document,
                "users",
                "users",
                "is not a non-empty list",
                "List users as '- {name: alice, password: ...}' (or '- {anonymous: true}').",
            )
        users: list[User] = []
        for index, entry in enumerate(entries):
            user = self.user(document, entry, f"users[{index}]")
            if any(known.name == user.name for known in users):
                raise self.fail(
                    entry,
                    "name" if not user.anonymous else "anonymous",
                    f"users[{index}]",
                    f"user {user.name!r} is listed twice",
                    "List each user once.",
                )
            users.append(user)
        return tuple(users)

    def user(self, document: dict[str, Any], entry: Any, where: str) -> User:
        if isinstance(entry, dict) and set(entry) == {"anonymous"}:
            if entry["anonymous"] is not True:
                raise self.fail(
                    entry,
                    "anonymous",
                    f"{where}.anonymous",
                    f"value {entry['anonymous']!r} is not true",
                    "Write {anonymous: true}, or leave the anonymous user out.",
                )
            return User(ANONYMOUS)
        allowed = {"name", "password", "client_password"}
        if (
            not isinstance(entry, dict)
            or not {"name", "password"} <= set(entry) <= allowed
        ):
            # Only the keys are shown: an entry's values may hold a password.
            shown = f"keys {sorted(entry)}" if isinstance(entry, dict) else "no keys"
            raise self.fail(
                entry if isinstance(entry, dict) and entry else document,
                next(iter(entry)) if isinstance(entry, dict) and entry else "users",
                where,
                f"has {shown}",
                "Give each user 'name' and 'password' (and, to test refused "
                "credentials, 'client_password'), or write {anonymous: true} for "
                "docker_auth's anonymous user.",
            )
        name = entry["name"]
        if not isinstance(name, str) or not name or name == ANONYMOUS:
            raise self.fail(
                entry,
                "name",
                f"{where}.name",
                f"value {name!r} is not a user name",
                "Write the account name as docker_auth knows it ('anonymous' is "
                "reserved: write {anonymous: true} for that user).",
            )
        client_password: str | dict[str, str] | None = None
        if isinstance(entry.get("client_password"), dict):
            client_password = self.client_passwords(entry, where)
        elif "client_password" in entry:
            client_password = self.password(
                entry, f"{where}.client_password", "client_password"
            )
        password = self.password(entry, f"{where}.password", "password")
        _register_basic_credentials(name, password, client_password)
        return User(name, password, client_password)

    def client_passwords(self, entry: dict[str, Any], where: str) -> dict[str, str]:
        """``client_password`` given per client: {cli: wrong} forces a disagreement."""
        table = entry["client_password"]
        for client in table:
            if client not in CLIENT_NAMES:
                raise self.fail(
                    table,
                    client,
                    f"{where}.client_password.{client}",
                    "is not a client",
                    f"Use {', '.join(CLIENT_NAMES)}.",
                )
        return {
            client: self.password(table, f"{where}.client_password.{client}", client)
            for client in table
        }

    def password(self, entry: dict[str, Any], where: str, key: str) -> str:
        value = entry[key]
        if not isinstance(value, str):
            raise self.fail(
                entry,
                key,
                where,
                "is not a string (its value is not shown: it may be a password)",
                "Quote the password, or write ${VARIABLE} to read it from the "
                "environment.",
            )
        reference = _ENVIRONMENT_REFERENCE.fullmatch(value)
        if reference:
            variable = reference.group(1)
            if variable not in os.environ:
                raise self.fail(
                    entry,
                    key,
                    where,
                    f"names the environment variable {variable}, which is not set",
                    f"Export {variable} before the run.",
                )
            value = os.environ[variable]
        if not value:
            raise self.fail(
                entry,
                key,
                where,
                "is empty",
                "docker_auth refuses every login with an empty password; give one.",
            )
        redactor.add(value)
        return value

    def seed_user(self, document: dict[str, Any], users: tuple[User, ...]) -> str:
        name = document["seed_user"]
        user = next((u for u in users if u.name == name), None)
        if user is not None and user.anonymous:
            raise self.fail(
                document,
                "seed_user",
                "seed_user",
                "names the anonymous user, who cannot be the one to push seed images",
                "Name a listed user with a password who may push to every repository.",
            )
        if user is None:
            raise self.fail(
                document,
                "seed_user",
                "seed_user",
                f"value {name!r} is not a user",
                "Name a listed user who may push to every repository: set-up pushes "
                "an image into each with it, so that pull cells find one.",
            )
        return str(name)

    # --- ACL and repositories --------------------------------------------------------

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
            where = f"acl[{index}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("match"), dict):
                located = isinstance(entry, dict) and bool(entry)
                raise self.fail(
                    entry if located else document,
                    next(iter(entry)) if located else "acl",
                    f"{where}.match",
                    "is missing or not a mapping",
                    "Give each entry a 'match' mapping, such as {account: alice}.",
                )
            # docker_auth loads an entry without 'actions' and then fails every token
            # request it matches, at run time: refuse it here instead.
            actions = entry.get("actions")
            if not isinstance(actions, list):
                problem = (
                    "is missing"
                    if "actions" not in entry
                    else f"value {actions!r} is not a list"
                )
                raise self.fail(
                    entry,
                    "actions" if "actions" in entry else "match",
                    f"{where}.actions",
                    problem,
                    'Write the granted actions as a list, such as ["pull"], or [] to '
                    "deny.",
                )
        plain = tuple(_plain(entry) for entry in entries)
        problems = check_acl(plain)
        if problems:
            number = _entry_index(problems[0])
            problem = re.sub(r"^ACL entry \d+: ", "", problems[0])
            raise self.fail(
                entries[number] if number is not None else document,
                "match" if number is not None else "acl",
                f"acl[{number}]" if number is not None else "acl",
                problem,
                "docker_auth would refuse or misread this entry; correct it.",
            )
        return plain

    def repositories(self, document: dict[str, Any]) -> tuple[str, ...]:
        names = document["repositories"]
        if not isinstance(names, list) or not names:
            raise self.fail(
                document,
                "repositories",
                "repositories",
                "is not a non-empty list",
                "List the repositories the cells touch, such as [team/app, alice/tools].",
            )
        for index, name in enumerate(names):
            if not isinstance(name, str) or not _REPOSITORY.fullmatch(name):
                raise self.fail(
                    document,
                    "repositories",
                    f"repositories[{index}]",
                    f"value {name!r} is not a repository name registries accept",
                    "Use lower-case letters, digits and . _ - in each part, with / "
                    "between parts (team/app).",
                )
            if names.index(name) != index:
                raise self.fail(
                    document,
                    "repositories",
                    f"repositories[{index}]",
                    f"repository {name!r} is listed twice",
                    "List each repository once.",
                )
        return tuple(names)

    def tag(self, document: dict[str, Any]) -> str:
        tag = document.get("tag", "1")
        if not isinstance(tag, str) or not _TAG.fullmatch(tag):
            raise self.fail(
                document,
                "tag",
                "tag",
                f"value {tag!r} is not a tag",
                'Quote it, with letters, digits, . _ - (at most 128): tag: "1". '
                "Unquoted, YAML reads yes as a boolean and 010 as the number 8.",
            )
        return str(tag)

    # --- expectations -----------------------------------------------------------------

    def cells(
        self,
        document: dict[str, Any],
        users: tuple[User, ...],
        repositories: tuple[str, ...],
        tag: str,
    ) -> Iterator[Cell]:
        expect = document["expect"]
        if not isinstance(expect, dict) or not expect:
            raise self.fail(
                document,
                "expect",
                "expect",
                "is not a non-empty mapping",
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
        for user in users:
            row = expect.get(user.name)
            if row is None:
                continue  # a user may exist only to shape the ACL
            if not isinstance(row, dict):
                raise self.fail(
                    expect,
                    user.name,
                    f"expect.{user.name}",
                    "is not a mapping",
                    "Write {login: ok, push: denied, pull: ok, logout: ok}.",
                )
            yield from self.row(user, row, repositories, tag)

    def row(
        self, user: User, row: dict[str, Any], repositories: tuple[str, ...], tag: str
    ) -> Iterator[Cell]:
        known = [action.value for action in Action]
        for key in row:
            if key not in known:
                raise self.fail(
                    row,
                    key,
                    f"expect.{user.name}.{key}",
                    "is not an action",
                    f"Use {', '.join(known)}.",
                )
            if user.anonymous and key in {Action.LOGIN, Action.LOGOUT}:
                raise self.fail(
                    row,
                    key,
                    f"expect.{user.name}.{key}",
                    "is given for the anonymous user, who never logs in",
                    "Expect push, pull, delete or catalog of the anonymous user.",
                )
        for action in Action:
            if action.value not in row:
                continue
            where = f"expect.{user.name}.{action.value}"
            value = row[action.value]
            if action not in REPOSITORY_ACTIONS:
                expectation = self.expectation(row, action.value, where, value)
                yield Cell(user.name, action, None, expectation, tag)
                continue
            for repository, expectation in self.per_repository(
                row, action.value, where, value, repositories
            ):
                yield Cell(user.name, action, repository, expectation, tag)

    def per_repository(
        self,
        row: dict[str, Any],
        key: str,
        where: str,
        value: Any,
        repositories: tuple[str, ...],
    ) -> Iterator[tuple[str, Expectation]]:
        """One expectation for all repositories (short form), or one per repository."""
        if not isinstance(value, dict) or "outcome" in value:
            expectation = self.expectation(row, key, where, value)
            for repository in repositories:
                yield repository, expectation
            return
        for name in value:
            if name != ALL_OTHERS and name not in repositories:
                raise self.fail(
                    value,
                    name,
                    f"{where}.{name}",
                    "is not a listed repository",
                    f"Use one of {', '.join(repositories)} or '*', or list it under "
                    "repositories.",
                )
        others = value.get(ALL_OTHERS)
        for repository in repositories:
            if repository in value:
                yield (
                    repository,
                    self.expectation(
                        value, repository, f"{where}.{repository}", value[repository]
                    ),
                )
            elif ALL_OTHERS in value:
                yield (
                    repository,
                    self.expectation(value, ALL_OTHERS, f"{where}.*", others),
                )

    def expectation(
        self, where: dict[str, Any], key: str, field_path: str, value: Any
    ) -> Expectation:
        message = None
        allowed = ", ".join(outcome.value for outcome in EXPECTABLE_OUTCOMES)
        if value is None:
            raise self.fail(
                where,
                key,
                field_path,
                "has no expectation",
                f"Write one of {allowed}.",
            )
        if isinstance(value, dict):
            if set(value) - {"outcome", "message"} or "outcome" not in value:
                raise self.fail(
                    where,
                    key,
                    field_path,
                    f"has keys {sorted(value)}",
                    "Write an outcome, or {outcome: denied, message: '...'}.",
                )
            value, message = value["outcome"], value.get("message")
            if isinstance(message, str):
                self.check_template(where, key, f"{field_path}.message", message)
            if message is not None and not isinstance(message, str):
                raise self.fail(
                    where,
                    key,
                    f"{field_path}.message",
                    f"value {message!r} is not text",
                    "Quote the message the client must print.",
                )
        if not isinstance(value, str) or value not in set(EXPECTABLE_OUTCOMES):
            raise self.fail(
                where,
                key,
                field_path,
                f"value {value!r} is not an outcome",
                f"Use one of {allowed}.",
            )
        return Expectation(Outcome(value), message)

    def check_template(
        self, where: dict[str, Any], key: str, field_path: str, text: str
    ) -> None:
        """A message may name only the placeholders a cell fills in."""
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        except ValueError as error:
            names, problem = set(), f"cannot be read as a template ({error})"
        else:
            unknown = sorted(names - set(MESSAGE_PLACEHOLDERS))
            problem = (
                f"names {{{unknown[0]}}}, which no cell fills in" if unknown else ""
            )
        if problem:
            raise self.fail(
                where,
                key,
                field_path,
                problem,
                f"Use only {', '.join('{' + n + '}' for n in MESSAGE_PLACEHOLDERS)}; "
                "write {{ and }} for literal braces.",
            )

    def check_logout_possible(self, document: dict[str, Any], matrix: Matrix) -> None:
        if not any(cell.action is Action.LOGOUT for cell in matrix.cells):
            return
        try:
            matrix.logout_check_repository  # noqa: B018 (raises when there is none)
        except StopIteration:
            raise self.fail(
                document,
                "repositories",
                "repositories",
                "holds only repositories the anonymous user may pull",
                "A logout is proven by a refused pull without credentials: list one "
                "repository that refuses anonymous pulls.",
            ) from None

    def messages(self, document: dict[str, Any]) -> dict[str, dict[str, str]]:
        messages = document.get("messages", {})
        if not isinstance(messages, dict) or not all(
            isinstance(table, dict) and all(isinstance(t, str) for t in table.values())
            for table in messages.values()
        ):
            raise self.fail(
                document,
                "messages",
                "messages",
                "is not a mapping of clients",
                "Write messages: {sdk: {push.denied: '...'}}.",
            )
        known_actions = {action.value for action in Action}
        known_outcomes = {outcome.value for outcome in EXPECTABLE_OUTCOMES}
        for client, table in messages.items():
            for key in table:
                action, _, outcome = key.partition(".")
                if action not in known_actions or outcome not in known_outcomes:
                    raise self.fail(
                        table,
                        key,
                        f"messages.{client}.{key}",
                        "is not <action>.<outcome>",
                        "Write for example push.denied.",
                    )
                self.check_template(table, key, f"messages.{client}.{key}", table[key])
        return {client: dict(table) for client, table in messages.items()}


def _register_basic_credentials(
    name: str, password: str, client_password: str | dict[str, str] | None
) -> None:
    """Mask the Basic-auth form of every password too: base64 of "name:password"."""
    others = (
        list(client_password.values())
        if isinstance(client_password, dict)
        else [client_password]
        if client_password
        else []
    )
    for secret in [password, *others]:
        redactor.add(base64.b64encode(f"{name}:{secret}".encode()).decode())


def _entry_index(problem: str) -> int | None:
    """The 0-based ACL index named by a check_acl problem ("ACL entry 3: ...")."""
    match = re.search(r"entry (\d+)", problem)
    return int(match.group(1)) - 1 if match else None


def load_matrix(path: Path) -> Matrix:
    """Read and check a matrix file; raise MatrixFileError on the first problem."""
    return _Reader(path).load()

"""The run's settings, each resolved in one place: option > environment > ini > default.

The environment layer includes a ``.env`` file at the project root (variables already
set in the environment win over it): ``scripts/setup`` writes there the settings that
point a machine without Docker Hub at its locally built images.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.errors import SettingError
from harness.images import (
    DEFAULT_REGISTRY_VERSION,
    REGISTRY_VERSIONS,
    UPSTREAM_DOCKER_AUTH_IMAGE,
    UPSTREAM_REGISTRY_IMAGE,
)

# The clients a run can use; harness.clients implements them.
CLIENT_NAMES = ("sdk", "cli", "http")


@dataclass(frozen=True)
class SettingSpec:
    name: str  # the ini key; the option is --name-with-dashes
    env: str
    default: str
    help: str
    choices: tuple[str, ...] = ()

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Resolved:
    value: str
    source: str  # where the value came from, shown in reports and errors


SETTINGS = (
    SettingSpec(
        "matrix",
        "HARNESS_MATRIX",
        "scenarios/seed.yaml",
        "matrix file to run (relative to the project root)",
    ),
    SettingSpec(
        "registry_version",
        "HARNESS_REGISTRY_VERSION",
        DEFAULT_REGISTRY_VERSION,
        "distribution registry version of the embedded stack",
        REGISTRY_VERSIONS,
    ),
    SettingSpec(
        "registry_image",
        "HARNESS_REGISTRY_IMAGE",
        UPSTREAM_REGISTRY_IMAGE,
        "registry image; {version} is replaced by the registry version",
    ),
    SettingSpec(
        "docker_auth_image",
        "HARNESS_DOCKER_AUTH_IMAGE",
        UPSTREAM_DOCKER_AUTH_IMAGE,
        "docker_auth image of the embedded stack",
    ),
    SettingSpec(
        "client",
        "HARNESS_CLIENT",
        "sdk",
        "how users reach the registry, one or several, comma-separated: sdk "
        "(docker-py through the Engine), cli (the docker command), http (no Engine)",
    ),
    SettingSpec(
        "registry",
        "HARNESS_REGISTRY",
        "",
        "URL of a running registry to test instead of the embedded stack",
    ),
    SettingSpec(
        "registry_ca",
        "HARNESS_REGISTRY_CA",
        "",
        "CA bundle (PEM) for the TLS of that registry and its token realm",
    ),
    SettingSpec(
        "registry_insecure",
        "HARNESS_REGISTRY_INSECURE",
        "false",
        "true: do not verify that registry's or its realm's TLS certificates",
        ("true", "false"),
    ),
    SettingSpec(
        "trust_attacker_certificate",
        "HARNESS_TRUST_ATTACKER_CERTIFICATE",
        "false",
        "true: weaken the embedded registry on purpose (it also trusts the security "
        "suite's attacker), to watch the forged-token check fail",
        ("true", "false"),
    ),
    SettingSpec(
        "acl_lint",
        "HARNESS_ACL_LINT",
        "warn",
        "lint the matrix's ACL before the run: warn, strict (findings stop the run) "
        "or off",
        ("warn", "strict", "off"),
    ),
    SettingSpec(
        "reports_dir",
        "HARNESS_REPORTS_DIR",
        "reports",
        "folder for matrix.md, matrix.html and the screenshot",
    ),
    SettingSpec(
        "baseline",
        "HARNESS_BASELINE",
        "",
        "compare with this baseline file; every cell that changed fails as a regression",
    ),
    SettingSpec(
        "write_baseline",
        "HARNESS_WRITE_BASELINE",
        "",
        "write the observed matrix to this baseline file (JSON)",
    ),
    SettingSpec(
        "startup_timeout",
        "HARNESS_STARTUP_TIMEOUT",
        "60",
        "seconds to wait for each container to answer",
    ),
)


def resolve(
    spec: SettingSpec,
    option: str | None,
    environ: Mapping[str, str],
    dotenv: Mapping[str, str | None],
    ini: str | None,
) -> Resolved:
    """Pick the first layer that sets ``spec`` and check the value."""
    if option is not None:
        resolved = Resolved(option, f"option {spec.option}")
    elif environ.get(spec.env):
        resolved = Resolved(environ[spec.env], f"environment variable {spec.env}")
    elif dotenv.get(spec.env):
        resolved = Resolved(str(dotenv[spec.env]), f"{spec.env} in .env")
    elif ini:
        resolved = Resolved(ini, f"ini option {spec.name}")
    else:
        resolved = Resolved(spec.default, "default")
    _check(spec, resolved)
    return resolved


def _check(spec: SettingSpec, resolved: Resolved) -> None:
    problem = None
    if spec.choices and resolved.value not in spec.choices:
        problem = f"choose one of {', '.join(spec.choices)}"
    elif spec.name == "startup_timeout":
        try:
            if float(resolved.value) <= 0:
                problem = "give a positive number of seconds"
        except ValueError:
            problem = "give a number of seconds, such as 60"
    elif spec.name == "client":
        names = [name.strip() for name in resolved.value.split(",")]
        unknown = [name for name in names if name not in CLIENT_NAMES]
        if unknown or len(set(names)) != len(names):
            problem = f"name each client once, from {', '.join(CLIENT_NAMES)}, comma-separated"
    elif spec.name == "registry_image":
        try:
            resolved.value.format(version="0")
        except (KeyError, IndexError, ValueError):
            problem = "the only placeholder allowed is {version}"
    if problem:
        raise SettingError(
            f"Setting {spec.name} has the value {resolved.value!r} (from {resolved.source}): "
            f"{problem}."
        )


def resolve_all(
    options: Mapping[str, str | None],
    environ: Mapping[str, str],
    dotenv: Mapping[str, str | None],
    ini: Mapping[str, str | None] | None = None,
) -> dict[str, Resolved]:
    """Every setting, by name; ``options`` and ``ini`` are keyed by setting name."""
    return {
        spec.name: resolve(
            spec, options.get(spec.name), environ, dotenv, (ini or {}).get(spec.name)
        )
        for spec in SETTINGS
    }


def client_names(resolved: Resolved) -> tuple[str, ...]:
    """The clients named by the ``client`` setting, in the order given."""
    return tuple(name.strip() for name in resolved.value.split(","))

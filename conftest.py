"""Registers the harness's pytest plugin for every test under this root."""

pytest_plugins = [
    "fixtures.plugin",
    "fixtures.stack",
    "fixtures.security",
    "fixtures.reporting",
]

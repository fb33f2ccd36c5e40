"""docker_auth's configuration file, rendered from a matrix.

Paths are those inside the token server's container: the configuration is mounted at
``/config`` and the key pair at ``/ssl``, as in the reference setup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from harness.passwords import htpasswd_bcrypt

CONFIG_DIR_IN_CONTAINER = "/config"
CONFIG_FILE_NAME = "auth_config.yml"
SSL_DIR_IN_CONTAINER = "/ssl"
LISTEN_PORT = 5001


@dataclass(frozen=True)
class TokenSettings:
    issuer: str = "Auth Service"
    expiration_seconds: int = 900
    # Registry 3 finds the signing key by its RFC 7638 thumbprint; registry 2.8 by the
    # older libtrust key id. docker_auth 1.14 writes the thumbprint when this is true.
    thumbprint_key_id: bool = True


def render_auth_config(
    passwords: Mapping[str, str | None],
    acl: Sequence[Mapping[str, Any]],
    token: TokenSettings,
    *,
    certificate_name: str,
    key_name: str,
) -> str:
    """The YAML text of ``auth_config.yml``: server, token, users (bcrypt) and ACL.

    ``passwords`` maps account names to clear-text passwords; only their hashes are
    written. The empty account with no password is docker_auth's anonymous user. The
    ACL is docker_auth's own syntax and is passed through unchanged.
    """
    config = {
        "server": {
            "addr": f":{LISTEN_PORT}",
            "certificate": f"{SSL_DIR_IN_CONTAINER}/{certificate_name}",
            "key": f"{SSL_DIR_IN_CONTAINER}/{key_name}",
        },
        "token": {
            "issuer": token.issuer,
            "expiration": token.expiration_seconds,
            "disable_legacy_key_id": token.thumbprint_key_id,
        },
        "users": {
            name: {} if password is None else {"password": htpasswd_bcrypt(password)}
            for name, password in passwords.items()
        },
        "acl": [dict(entry) for entry in acl],
    }
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)

"""Password hashes in the form docker_auth reads from its ``users`` section."""

from __future__ import annotations

import bcrypt

from harness.redaction import redactor

# htpasswd -B writes cost 5 by default, as in the reference setup; a test stack gains
# nothing from a slower hash.
DEFAULT_COST = 5


def htpasswd_bcrypt(password: str, *, cost: int = DEFAULT_COST) -> str:
    """Hash ``password`` as ``htpasswd -nbB`` does: bcrypt with the ``$2y$`` prefix.

    ``$2y$`` and the ``$2b$`` that the bcrypt library writes name the same algorithm;
    the prefix is only changed to match what operators see in htpasswd files.
    """
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=cost)).decode()
    hashed = "$2y$" + hashed[len("$2b$") :]
    redactor.add(password, hashed)
    return hashed


def verify_htpasswd_bcrypt(password: str, hashed: str) -> bool:
    """True when ``hashed`` (``$2y$`` or ``$2b$``) is the hash of ``password``."""
    normalised = "$2b$" + hashed[len("$2y$") :] if hashed.startswith("$2y$") else hashed
    return bcrypt.checkpw(password.encode(), normalised.encode())

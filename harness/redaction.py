"""Masking of secrets in any text that may leave the process.

Passwords, bcrypt hashes, tokens and private keys are registered as they are made or
read; everything the harness writes to a report, a log line or an error message goes
through :meth:`Redactor.redact` first. JUnit files are public artifacts.
"""

from __future__ import annotations

import re
import threading

MASK = "*****"

# Shapes that are secret wherever they appear, even if nobody registered them.
_SECRET_SHAPES = [
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S
    ),
    re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}"),  # bcrypt hash
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # JWT
    re.compile(r"(?i)(authorization:\s*(?:basic|bearer)\s+)\S+"),
    re.compile(r'(?i)("auth"\s*:\s*")[^"]+'),  # base64 user:password in a config.json
]


class Redactor:
    """Replaces every registered secret and every secret-shaped string with a mask."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *secrets: str) -> None:
        """Register literal secrets; empty strings are ignored (they would mask everything)."""
        with self._lock:
            self._secrets.update(s for s in secrets if s)

    def redact(self, text: str) -> str:
        with self._lock:
            # Longest first, so a password that contains another is masked whole.
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, MASK)
        for shape in _SECRET_SHAPES:
            text = shape.sub(lambda m: (m.group(1) if m.lastindex else "") + MASK, text)
        return text


# The process-wide instance: the plugin, the stack and the clients all register here.
redactor = Redactor()

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
    # "Authorization: Basic ...", and the same in a dict's repr: 'Authorization': 'Basic ...'
    re.compile(
        r"""(?i)(authorization['"]?\s*[:=]\s*['"]?(?:basic|bearer)\s+)[^'"\s,}]+"""
    ),
    re.compile(r'(?i)("auth"\s*:\s*")[^"]+'),  # base64 user:password in a config.json
]


class Redactor:
    """Replaces every registered secret and every secret-shaped string with a mask.

    A registered secret is masked wherever it stands on its own, that is not glued to
    letters, digits, "_" or "-". So the seed's password "password" is masked in
    "user:password@" or a quoted value, but the option "--password-stdin" stays
    readable. Longer secrets that contain a shorter one are masked whole.
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, *secrets: str) -> None:
        """Register literal secrets; empty strings are ignored (they would mask everything)."""
        with self._lock:
            before = len(self._secrets)
            self._secrets.update(s for s in secrets if s)
            if len(self._secrets) != before:
                self._pattern = None

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._secrets:
                alternatives = "|".join(
                    re.escape(secret)
                    for secret in sorted(self._secrets, key=len, reverse=True)
                )
                self._pattern = re.compile(
                    rf"(?<![A-Za-z0-9_-])(?:{alternatives})(?![A-Za-z0-9_-])"
                )
            return self._pattern

    def redact(self, text: str) -> str:
        pattern = self._compiled()
        if pattern is not None:
            text = pattern.sub(MASK, text)
        for shape in _SECRET_SHAPES:
            text = shape.sub(lambda m: (m.group(1) if m.lastindex else "") + MASK, text)
        return text


# The process-wide instance: the plugin, the stack and the clients all register here.
redactor = Redactor()

"""Headless Chromium, to see an HTML report as a browser does.

Each call starts Chromium once with a fresh profile in a private temporary folder and
removes it afterwards. Chromium reaches out to Google services by default (component
updates, sync, field trials); on a closed network those attempts only slow it down and
fill its log, so every flag that stops them is passed.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from harness.errors import HarnessError

logger = logging.getLogger(__name__)

CHROMIUM_NAMES = ("chromium", "chromium-browser")
DEFAULT_TIMEOUT = 60.0
STDERR_TAIL_LINES = 15
QUIET_FLAGS = (
    "--headless",
    "--no-sandbox",  # its sandbox cannot start as root or inside most containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often give /dev/shm only 64 MB
    "--hide-scrollbars",
)


class BrowserUnavailable(HarnessError):
    """Chromium is not installed, so no page can be looked at."""


class BrowserFailed(HarnessError):
    """Chromium started but did not produce what was asked of it."""


def find_chromium() -> str | None:
    """The path of a Chromium on PATH, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _require_chromium() -> str:
    chromium = find_chromium()
    if chromium is None:
        raise BrowserUnavailable(
            f"No Chromium found on PATH (looked for {', '.join(CHROMIUM_NAMES)}); "
            "it is needed to render the HTML report. Install it with "
            "'apt-get install chromium' (Debian) and run again."
        )
    return chromium


def _page_url(html_path: Path) -> str:
    if not html_path.is_file():
        raise BrowserFailed(f"Cannot open {html_path} in Chromium: no such file.")
    return html_path.resolve().as_uri()


def _tail(text: str) -> str:
    lines = text.strip().splitlines()[-STDERR_TAIL_LINES:]
    return "\n".join(lines) or "(nothing on stderr)"


def _leftover_stderr(process: subprocess.Popen[str]) -> str:
    """What a killed Chromium wrote to stderr, without waiting on stray helpers."""
    try:
        return process.communicate(timeout=5)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return ""


def _run_chromium(arguments: list[str], what: str, timeout: float) -> str:
    """Run Chromium with a throw-away profile; return its standard output."""
    chromium = _require_chromium()
    with tempfile.TemporaryDirectory(
        prefix="harness-chromium-", ignore_cleanup_errors=True
    ) as profile:
        command = [chromium, *QUIET_FLAGS, f"--user-data-dir={profile}", *arguments]
        # Its caches and crash reports would otherwise land under the user's home.
        environment = {**os.environ, "XDG_CONFIG_HOME": profile}
        environment["XDG_CACHE_HOME"] = profile
        logger.debug("running %s", command)
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # Chromium's helpers share its session: end them with it.
            os.killpg(process.pid, signal.SIGKILL)
            stderr = _leftover_stderr(process)
            raise BrowserFailed(
                f"Chromium did not finish {what} within {timeout:g} s; the end of its "
                f"error output:\n{_tail(stderr)}"
            ) from None
    if process.returncode != 0:
        raise BrowserFailed(
            f"Chromium failed {what} (exit status {process.returncode}); the end of "
            f"its error output:\n{_tail(stderr)}"
        )
    return stdout


def dump_dom(html_path: Path, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The page's DOM as Chromium serialises it after loading ``html_path``."""
    url = _page_url(html_path)
    dom = _run_chromium(["--dump-dom", url], f"loading {html_path}", timeout)
    if not dom.strip():
        raise BrowserFailed(f"Chromium loaded {html_path} but printed no DOM.")
    return dom


def screenshot(
    html_path: Path,
    png_path: Path,
    width: int = 1280,
    height: int = 900,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """A PNG of the first ``width`` x ``height`` pixels of the page; its path."""
    url = _page_url(html_path)
    target = png_path.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    arguments = [f"--screenshot={target}", f"--window-size={width},{height}", url]
    _run_chromium(arguments, f"taking a screenshot of {html_path}", timeout)
    if not target.is_file() or target.stat().st_size == 0:
        raise BrowserFailed(
            f"Chromium exited without writing the screenshot {target} of {html_path}."
        )
    return target

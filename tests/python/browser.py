"""Headless Chromium for the tests that look at what people see (Debian's ``chromium``; ``.ci/run`` installs it).

Without the browser a test is skipped with a message, unless RETAIL_REQUIRE_BROWSER=1
(CI sets it), where its absence fails the test instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REQUIRE_BROWSER_ENV = "RETAIL_REQUIRE_BROWSER"
# Headless flags that work on a machine without network access beyond the package registries.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,2400",
    # Pages that render client-side (Evidence): let their scripts finish first.
    "--virtual-time-budget=20000",
)


def tool(name: str, *alternatives: str, purpose: str) -> str:
    """The path of the first program found, else skip (or fail under RETAIL_REQUIRE_BROWSER=1)."""
    for candidate in (name, *alternatives):
        found = shutil.which(candidate)
        if found:
            return found
    message = f"{name} is not installed (needed for {purpose})"
    if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
        pytest.fail(message)
    pytest.skip(message)


def run(command: list[str], cwd: Path, timeout: int) -> str:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    if completed.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {completed.returncode}\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    return completed.stdout


def render(url: str, screenshot: Path, cwd: Path, *, purpose: str) -> str:
    """The DOM of ``url`` after rendering, with a screenshot saved at ``screenshot``."""
    chromium = tool("chromium", "chromium-browser", "google-chrome", purpose=purpose)
    with tempfile.TemporaryDirectory() as profile:
        browser = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        dom = run([*browser, "--dump-dom", url], cwd, timeout=180)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        run([*browser, f"--screenshot={screenshot}", url], cwd, timeout=180)
    return dom

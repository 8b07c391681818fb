"""Headless Chromium for the tests that look at what people see (Debian's ``chromium``; ``.ci/run`` installs it).

Without the browser a test is skipped with a message, unless RETAIL_REQUIRE_BROWSER=1
(CI sets it), where its absence fails the test instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

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


class LiveBrowser:
    """Headless Chromium driven over the DevTools protocol, for pages that render over a websocket (Streamlit):
    ``--dump-dom`` cannot wait for them, this waits until a JavaScript condition holds in real time."""

    def __init__(self, purpose: str, width: int = 1400, height: int = 2400) -> None:
        chromium = tool("chromium", "chromium-browser", "google-chrome", purpose=purpose)
        self._profile = tempfile.TemporaryDirectory()
        flags = [flag for flag in CHROMIUM_FLAGS if not flag.startswith(("--virtual-time", "--window-size"))]
        self._process = subprocess.Popen(
            [
                chromium,
                *flags,
                f"--window-size={width},{height}",
                f"--user-data-dir={self._profile.name}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            # Its own process group: close() stops its helper processes too, before the profile goes.
            start_new_session=True,
        )
        self._exit = contextlib.ExitStack()
        self._socket = self._connect()
        self._next_id = 0
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def _connect(self) -> Any:
        import json
        import urllib.request

        from websockets.sync.client import connect

        assert self._process.stderr is not None
        for line in self._process.stderr:  # "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/..."
            if "DevTools listening on" in line:
                port = line.split("ws://127.0.0.1:", 1)[1].split("/", 1)[0]
                break
        else:
            raise AssertionError("chromium did not start its DevTools endpoint")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            pages = [target for target in json.load(response) if target["type"] == "page"]
        return self._exit.enter_context(connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10))

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        import json

        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=60))
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def open(self, url: str, ready: str, timeout: float = 90) -> str:
        """Navigate to ``url``, wait until the JavaScript ``ready`` is true (and stays so for a second); the DOM."""
        import time

        self.call("Page.navigate", url=url)
        deadline, held_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            if self.evaluate(f"Boolean({ready})"):
                held_since = held_since or time.monotonic()
                if time.monotonic() - held_since >= 1.0:
                    return str(self.evaluate("document.documentElement.outerHTML"))
            else:
                held_since = None
            time.sleep(0.25)
        text = str(self.evaluate("document.body ? document.body.innerText : ''"))[:2000]
        raise AssertionError(f"{url}: not ready after {timeout:.0f} s ({ready}); the page shows:\n{text}")

    def screenshot(self, path: Path) -> None:
        import base64

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        import os
        import signal
        import time

        self._exit.close()
        self._process.terminate()
        self._process.wait(timeout=30)
        # Chromium's helpers can outlive the browser process and still write into the profile:
        # removing it then failed with "Directory not empty" (a CI run). Stop the group, wait until empty.
        deadline = time.monotonic() + 10
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
            while time.monotonic() < deadline:
                os.killpg(self._process.pid, 0)
                time.sleep(0.05)
        self._profile.cleanup()

"""The dashboard as a person sees it: served on loopback, each page loaded in headless Chromium, its segment names
and a rendered chart found in the DOM, a screenshot of each page saved under test-artifacts/."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

import pytest

from tests.python.browser import LiveBrowser
from tests.python.conftest import RETAIL_BIN, TEST_ARTIFACTS, Workspace
from tests.python.integration.test_dashboard import PAGES

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(workspace: Workspace, port: int) -> subprocess.Popen[bytes]:
    log = workspace.root / f"dashboard-{port}.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(RETAIL_BIN), "dashboard", "--port", str(port)],
            env=workspace.env,
            cwd=workspace.root,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            if server.poll() is not None:
                raise AssertionError(f"retail dashboard exited: {log.read_text()[-3000:]}") from None
            time.sleep(0.5)
    server.kill()
    raise AssertionError("retail dashboard did not answer on its health endpoint within 90 s")


def _ready(page: str) -> str:
    """Streamlit finished the run (no status widget), the page's title is up and a chart has drawn its SVG."""
    return (
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
        f" && Array.from(document.querySelectorAll('[data-testid=\"stMain\"] h1')).some(h => h.innerText === '{page}')"
        " && document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg .mark-group').length > 0"
    )


def test_every_page_in_a_real_browser_shows_the_segments_and_a_chart(demo_build: Workspace) -> None:
    names = [
        str(row[0]) for row in demo_build.query("select segment_name from reporting.segment_summary", published=True)
    ]
    port = _free_port()
    browser = LiveBrowser(purpose="the dashboard browser test")
    server = _serve(demo_build, port)
    try:
        for page in PAGES:
            dom = browser.open(f"http://127.0.0.1:{port}/?page={page}", _ready(page), timeout=120)
            missing = [name for name in names if name not in dom]
            assert not missing, f"{page}: segments {missing} are not on the page"
            assert "Traceback" not in dom and 'data-testid="stException"' not in dom, f"{page} shows an exception"
            browser.screenshot(TEST_ARTIFACTS / f"dashboard-{page.lower()}.png")
    finally:
        browser.close()
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode is not None

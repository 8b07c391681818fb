"""End to end: the exported Evidence project installs, extracts, builds and renders in a browser.

Needs npm and Chromium (Debian's ``chromium``; ``.ci/run`` installs it). Without
them the test is skipped with a message, unless RETAIL_REQUIRE_EVIDENCE=1 (CI
sets it), where their absence fails the test instead.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from models_py.reporting.evidence import export_evidence
from tests.python.conftest import TEST_ARTIFACTS, Workspace

pytestmark = [pytest.mark.integration, pytest.mark.evidence, pytest.mark.xdist_group("demo_build")]

PINNED_EVIDENCE = "39.1.13"
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
    # Evidence renders charts and tables client-side: let its scripts finish first.
    "--virtual-time-budget=20000",
)


def _tool(name: str, *alternatives: str) -> str:
    for candidate in (name, *alternatives):
        found = shutil.which(candidate)
        if found:
            return found
    message = f"{name} is not installed (needed for the Evidence end-to-end test)"
    if os.environ.get("RETAIL_REQUIRE_EVIDENCE") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _run(command: list[str], cwd: Path, timeout: int) -> str:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    if completed.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {completed.returncode}\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    return completed.stdout


@pytest.fixture
def serve() -> Iterator[functools.partial[str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield functools.partial(start)
    for server in servers:
        server.shutdown()


def test_evidence_project_builds_and_shows_every_segment(
    demo_build: Workspace, tmp_path: Path, serve: functools.partial[str]
) -> None:
    npm = _tool("npm")
    chromium = _tool("chromium", "chromium-browser", "google-chrome")
    project = tmp_path / "evidence"
    export_evidence(demo_build.settings.published_path, project)

    # npm install, not npm ci: with a registry that lacks other platforms' optional
    # binaries (this project's machines) npm 11 refuses `ci` on any lock file.
    _run([npm, "install", "--no-audit", "--no-fund"], project, timeout=900)
    installed = json.loads(_run([npm, "ls", "@evidence-dev/evidence", "--json"], project, timeout=120))
    _run([npm, "run", "sources"], project, timeout=300)
    _run([npm, "run", "build"], project, timeout=900)
    url = serve(project / "build") + "/segments/"
    with tempfile.TemporaryDirectory() as profile:
        browser = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        dom = _run([*browser, "--dump-dom", url], project, timeout=180)
        TEST_ARTIFACTS.mkdir(parents=True, exist_ok=True)
        screenshot = TEST_ARTIFACTS / "evidence-segments.png"
        _run([*browser, f"--screenshot={screenshot}", url], project, timeout=180)

    assert installed["dependencies"]["@evidence-dev/evidence"]["version"] == PINNED_EVIDENCE
    names = [name for (name,) in demo_build.query("select segment_name from reporting.segment_summary", published=True)]
    texts = {html.unescape(text).strip() for text in re.findall(r">([^<>]+)<", dom)}
    assert len(names) >= 2
    assert [name for name in names if name not in texts] == []  # every segment, as an element's whole text
    assert dom.count("_echarts_instance_") >= 3  # the bar charts and the segment map rendered
    assert screenshot.stat().st_size > 50_000

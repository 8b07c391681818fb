"""End to end: the exported Evidence project installs, extracts, builds and renders in a browser.

Needs npm and Chromium (Debian's ``chromium``; ``.ci/run`` installs it). Without
them the test is skipped with a message, unless RETAIL_REQUIRE_BROWSER=1 (CI
sets it), where their absence fails the test instead.
"""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from models_py.reporting.evidence import export_evidence
from tests.python.browser import render, run, tool
from tests.python.conftest import TEST_ARTIFACTS, Workspace

pytestmark = [pytest.mark.integration, pytest.mark.evidence]

PINNED_EVIDENCE = "39.1.13"
PURPOSE = "the Evidence end-to-end test"


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
    npm = tool("npm", purpose=PURPOSE)
    project = tmp_path / "evidence"
    export_evidence(demo_build.settings.published_path, project)

    try:
        # npm install, not npm ci: with a registry that lacks other platforms' optional
        # binaries (this project's machines) npm 11 refuses `ci` on any lock file.
        run([npm, "install", "--no-audit", "--no-fund"], project, timeout=900)
        installed = json.loads(run([npm, "ls", "@evidence-dev/evidence", "--json"], project, timeout=120))
        run([npm, "run", "sources"], project, timeout=300)
        run([npm, "run", "build"], project, timeout=900)
        url = serve(project / "build") + "/segments/"
        screenshot = TEST_ARTIFACTS / "evidence-segments.png"
        dom = render(url, screenshot, project, purpose=PURPOSE)
    finally:
        # 600 MB in tens of thousands of files, often on a RAM disk (Makefile): freed now.
        shutil.rmtree(project / "node_modules", ignore_errors=True)

    assert installed["dependencies"]["@evidence-dev/evidence"]["version"] == PINNED_EVIDENCE
    names = [name for (name,) in demo_build.query("select segment_name from reporting.segment_summary", published=True)]
    texts = {html.unescape(text).strip() for text in re.findall(r">([^<>]+)<", dom)}
    assert len(names) >= 2
    assert [name for name in names if name not in texts] == []  # every segment, as an element's whole text
    assert dom.count("_echarts_instance_") >= 3  # the bar charts and the segment map rendered
    assert screenshot.stat().st_size > 50_000

"""``tanping serve`` in a real browser (issue 13): a figure's input edited in report.yml while the
preview runs shows the new value on the open page; a bad edit shows the located error in the
page (and the terminal) while the last good page stays; the next good save clears it.

The preview runs as a user runs it (the console script, a throw-away copy of the Beijing example
``bj-heating``), on 127.0.0.1, with its own cache folder.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import launch, require_chromium
from tests.conftest import tanping_executable
from tests.test_build import make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]
require_chromium()

REPORT = "bj-heating"
PAGE = f"{REPORT}/02-accounting.html"
BEFORE = "consumption: 1290 万Nm3"
AFTER = "consumption: 1490 万Nm3"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    root = tmp_path / "ws"
    folder = make_project(root, REPORT)
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "TANPING_CACHE": str(tmp_path / "cache"), "PYTHONIOENCODING": "utf-8"}
    with log.open("w", encoding="utf-8") as sink:
        proc = subprocess.Popen(
            [
                str(tanping_executable()),
                "serve",
                "--config",
                str(root / "mkdocs.yml"),
                "--port",
                str(port),
            ],
            cwd=root,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        for _ in range(600):
            if "tanping serve: http://" in log.read_text(encoding="utf-8"):
                break
            assert proc.poll() is None, log.read_text(encoding="utf-8")
            time.sleep(0.1)
        else:
            pytest.fail("tanping serve did not start: " + log.read_text(encoding="utf-8"))
        yield f"http://127.0.0.1:{port}/", folder, log
    finally:
        proc.terminate()
        proc.wait(timeout=20)


FIGURES = "[...document.querySelectorAll('a.fig')].map(e => e.dataset.key + '=' + e.textContent)"


def _figures(page: object) -> list[str]:
    """Every figure of the page in order, as ``key=shown text``."""
    return page.evaluate(FIGURES)  # type: ignore[attr-defined, no-any-return]


def test_an_edited_input_is_on_the_open_page(preview: tuple[str, Path, Path]) -> None:
    base, folder, log = preview
    report = folder / "report.yml"
    text = report.read_text(encoding="utf-8")
    assert BEFORE in text
    with launch() as chromium:
        page = chromium.new_page()
        page.goto(base + PAGE)
        before = _figures(page)
        assert before, "the page shows figures"
        started = time.perf_counter()
        report.write_text(text.replace(BEFORE, AFTER), encoding="utf-8")
        changed_js = f"old => {FIGURES}.join('|') !== old.join('|')"
        page.wait_for_function(changed_js, arg=before, timeout=15_000)
        latency = time.perf_counter() - started
        after = _figures(page)
        changed = [a for a, b in zip(after, before, strict=False) if a != b]
        assert changed, "a figure computed from the edited consumption changed"
        print(f"edit-to-page latency {latency:.2f} s; changed: {changed[:5]}")
        assert latency < 10

        # a bad edit: the located error in a banner and on the terminal; the page stays
        report.write_text(text.replace(BEFORE, "consumption: [1290 万Nm3"), encoding="utf-8")
        banner = page.wait_for_selector("#tanping-error", timeout=15_000)
        assert banner is not None
        message = banner.text_content() or ""
        assert re.search(r"report\.yml:\d+", message), message
        assert _figures(page) == after, "the last good page stays"
        assert re.search(r"report\.yml:\d+", log.read_text(encoding="utf-8"))

        # fixed again: the banner goes, the page follows the data
        report.write_text(text, encoding="utf-8")
        page.wait_for_function("() => !document.querySelector('#tanping-error')", timeout=15_000)
        page.wait_for_function(
            f"old => {FIGURES}.join('|') === old.join('|')", arg=before, timeout=15_000
        )

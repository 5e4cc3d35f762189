"""Chinese search in a real Chromium, the same site served over HTTP and opened from file://.

A site is built from a subset of the repository (the home page, the assets and two project
reports) into a temporary folder, once for this module. It is then

- served by ``http.server`` on 127.0.0.1 (a random port), where Material runs its search in a
  real Web Worker;
- opened from the file system, where the local iframe-worker shim runs the same worker script in
  a hidden iframe.

In both, the domain terms 净新增 and 以新带老 are typed into the search box: results must link to
pages of the reports, the whole term must be highlighted (the jieba user dictionary keeps it in
one piece in the index), nothing may be requested from any host but the site, and the search
worker (or its iframe) must log no error or warning.

``TANPING_SEARCH_SITE=<folder>`` runs the tests against a site built beforehand instead;
``TANPING_SCREENSHOTS=<folder>`` keeps a copy of the screenshots.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import REPO, tanping_executable

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
REPORTS = ["spec-project", "bj-heating"]
TERMS = ["净新增", "以新带老"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}

sync_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} not installed (scripts/system-deps.sh)", pytrace=False)
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)


def _workspace(root: Path) -> Path:
    """A copy of the repository's site sources with only a few reports; the hooks stay ours."""
    content = root / "content"
    content.mkdir(parents=True)
    shutil.copy2(REPO / "content" / "index.md", content / "index.md")
    shutil.copytree(REPO / "content" / "assets", content / "assets")
    for report in REPORTS:
        shutil.copytree(REPO / "content" / report, content / report)
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    config["hooks"] = [str(REPO / hook) for hook in config["hooks"]]
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return root / "mkdocs.yml"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("TANPING_SEARCH_SITE"):  # a site built beforehand, e.g. an older build
        return Path(os.environ["TANPING_SEARCH_SITE"])
    root = tmp_path_factory.mktemp("search-served")
    config = _workspace(root / "workspace")
    target = root / "site"
    command = [str(tanping_executable()), "build", "--no-pdf", "--config", str(config)]
    proc = subprocess.run(
        [*command, "--site-dir", str(target)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=root,
        timeout=300,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 0, proc.stderr
    return target


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Tab:
    """A page that records every request to a non-local host (and aborts it), every script
    error, and the console errors and warnings of the page, its frames and its workers."""

    page: Any
    context: Any
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def console(self, where: str, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{where} {message.type}: {message.text}")


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("file", "data", "blob") or parts.hostname in LOCAL_HOSTS


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = Tab(context.new_page(), context)
    page = tab.page

    def route(route: Any) -> None:
        if _local(route.request.url):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    context.on("request", lambda req: None if _local(req.url) else tab.foreign.append(req.url))
    page.on("pageerror", lambda err: tab.errors.append(f"page error: {err}"))
    page.on("console", lambda msg: tab.console("page", msg))
    page.on("worker", lambda w: w.on("console", lambda msg: tab.console(f"worker {w.url}", msg)))
    try:
        yield tab
    finally:
        context.close()


def search(page: Any, term: str) -> list[dict[str, Any]]:
    """Type ``term`` into Material's (emptied) search box; the result items once they show the
    term highlighted, or Material says nothing was found, or 20 s have passed."""
    box = page.locator("input.md-search__input")
    box.click()
    page.wait_for_function(
        "() => { const m = document.querySelector('.md-search-result__meta');"
        " return m && !m.textContent.includes('正在初始化'); }",
        timeout=20000,
    )
    box.fill("")
    page.keyboard.type(term)  # CJK text arrives as text input, as from an input method ...
    page.keyboard.press("ArrowRight")  # ... and the search runs on the key that follows
    try:
        page.wait_for_function(
            """term => [...document.querySelectorAll('.md-search-result__item mark')]
                .some(m => m.textContent === term)
              || document.querySelector('.md-search-result__meta').textContent.includes('没有')""",
            arg=term,
            timeout=20000,
        )
    except sync_api.TimeoutError:
        pass
    return list(
        page.eval_on_selector_all(
            ".md-search-result__item > a",
            "els => els.map(e => ({href: e.getAttribute('href'),"
            " marks: [...e.querySelectorAll('mark')].map(m => m.textContent)}))",
        )
    )


def screenshot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if os.environ.get("TANPING_SCREENSHOTS"):
        shots = Path(os.environ["TANPING_SCREENSHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, shots / path.name)
    return path


def _check_terms(tab: Tab, tmp_path: Path, name: str) -> None:
    for term in TERMS:
        items = search(tab.page, term)
        if term == TERMS[0]:  # the first highlighted term in view, for a look at the marks
            marks = tab.page.locator(".md-search-result__item mark")
            if marks.count():
                marks.first.scroll_into_view_if_needed()
            screenshot(tab.page, tmp_path, name)
        in_reports = [i for i in items if any(f"{r}/" in (i["href"] or "") for r in REPORTS)]
        assert in_reports, f"{name}: no result for {term} in {REPORTS}: {items}; {tab.errors}"
        # the whole term is one token of the index (jieba user dictionary) and is highlighted
        assert any(term in i["marks"] for i in in_reports), (name, term, in_reports)
    assert tab.errors == [], f"{name}: console errors: {tab.errors}"
    assert tab.foreign == [], f"{name}: requests outside the site: {tab.foreign}"


def test_search_over_http(tab: Tab, server: str, tmp_path: Path) -> None:
    tab.page.goto(server + "index.html")
    _check_terms(tab, tmp_path, "search-http")
    # a real Web Worker ran the search (not the file:// shim)
    assert any("/workers/search" in w.url for w in tab.page.workers), tab.page.workers


def test_search_from_the_file_system(tab: Tab, site: Path, tmp_path: Path) -> None:
    tab.page.goto((site / "index.html").as_uri())
    _check_terms(tab, tmp_path, "search-file")
    assert tab.page.evaluate("typeof window.IFrameWorker") == "function"


def test_search_from_a_report_page_over_http(tab: Tab, server: str, tmp_path: Path) -> None:
    """From a page one folder down, the worker and its language scripts resolve as well."""
    tab.page.goto(f"{server}{REPORTS[0]}/02-accounting.html")
    _check_terms(tab, tmp_path, "search-http-report")

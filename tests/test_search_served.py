"""Chinese search in a real Chromium, the same site served over HTTP and opened from file://.

A site is built from a subset of the repository (the home page, the assets and two project
reports) into a temporary folder, once for this module. It is then

- served by ``http.server`` on 127.0.0.1 (a random port), where Material runs its search in a
  real Web Worker;
- opened from the file system, where the local iframe-worker shim runs the same worker script in
  a hidden iframe.

In both, the domain terms 净新增, 以新带老 and 减污降碳, and the two-term query 净新增以新带老,
are typed into the search box. Each term must be searched whole (the jieba user dictionary keeps
it one term of the index, and templates/search.py fixes Material's query segmenter, which cut
以新带老 down to ``以*``): the results are exactly the pages whose text holds a typed term (none
that only has 以上, 以下 or 降低), every highlight is a whole term, and each result's link carries
the terms it matched (``?h=以新带老``), which the opened page highlights. Nothing may be requested
from any host but the site, and the search worker (or its iframe) must log no error or warning.

``TANPING_SEARCH_SITE=<folder>`` runs the tests against a site built beforehand instead;
``TANPING_SCREENSHOTS=<folder>`` keeps a copy of the screenshots.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import yaml

from tests.browser import launch, require_chromium
from tests.conftest import REPO, tanping_executable

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPORTS = ["spec-project", "bj-heating"]
TERMS = ["净新增", "以新带老", "减污降碳"]  # domain terms, each one term of the index
QUERY = "净新增以新带老"  # two terms typed together: split into both, no more
NOTHING = "zqxjkv"  # a query that finds nothing: clears the results between two queries
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}

sync_api = require_chromium()


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
    with launch() as chromium:
        yield chromium


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


@dataclass(frozen=True)
class Link:
    """One link of the search results (a page or, folded under it, one of its sections)."""

    href: str
    marks: tuple[str, ...]  # the highlighted words of its title and text

    @property
    def h(self) -> list[str]:
        """The terms the link asks the opened page to highlight (``?h=``)."""
        return parse_qs(urlsplit(self.href).query).get("h", [""])[0].split()


def _count(meta: str) -> int:
    """The number of results Material announces (找到 1 个… / 13 个… / 没有找到…)."""
    found = re.search(r"(\d+) 个", meta)
    return int(found.group(1)) if found else 0


def search(page: Any, term: str) -> list[Link]:
    """Type ``term`` into Material's search box; every link of the results (all of them
    rendered, scrolling the list), or none if nothing is found within 20 s."""
    box = page.locator("input.md-search__input")
    meta = ".md-search-result__meta"
    box.click()
    page.wait_for_function(
        f"() => {{ const m = document.querySelector('{meta}');"
        " return m && !m.textContent.includes('正在初始化'); }",
        timeout=20000,
    )
    for query, done in ((NOTHING, "没有"), (term, "个")):  # no results of the last query left
        box.fill("")
        page.keyboard.type(query)  # CJK text arrives as text input, as from an input method ...
        page.keyboard.press("ArrowRight")  # ... and the search runs on the key that follows
        try:
            page.wait_for_function(
                f"done => document.querySelector('{meta}').textContent.includes(done)",
                arg=done,
                timeout=20000,
            )
        except sync_api.TimeoutError:
            return []
    expected = _count(page.inner_text(meta))
    items = page.locator(".md-search-result__item")
    for _ in range(30):  # Material renders ten results at a time, more as the list scrolls
        if items.count() >= expected:
            break
        page.eval_on_selector(".md-search__scrollwrap", "w => w.scrollTo(0, w.scrollHeight)")
        page.wait_for_timeout(100)
    assert items.count() == expected, (term, items.count(), page.inner_text(meta))
    links = page.eval_on_selector_all(
        ".md-search-result__item a.md-search-result__link",
        "els => els.map(e => ({href: e.href,"
        " marks: [...e.querySelectorAll('mark')].map(m => m.textContent)}))",
    )
    return [Link(link["href"], tuple(link["marks"])) for link in links]


@functools.cache
def _sections(site: Path) -> dict[str, str]:
    """The text of every page and section of the site's search index, by location
    (``spec-project/02-accounting.html#24``), markup and word breaks removed."""
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    clean = functools.partial(re.sub, r"<[^>]*>|\u200b", "")
    return {
        doc["location"]: clean(doc["title"]) + " " + clean(doc["text"]) for doc in index["docs"]
    }


def _pages_with(site: Path, terms: list[str]) -> set[str]:
    """The pages of the site whose text (in any section) holds one of ``terms``."""
    return {
        location.split("#")[0]
        for location, text in _sections(site).items()
        if any(term in text for term in terms)
    }


def _location(href: str, root: str) -> str:
    """``href`` as a location of the search index (relative to the site, no query)."""
    parts = urlsplit(href)
    path = parts._replace(query="", fragment="").geturl()
    assert path.startswith(root), (href, root)
    return path[len(root) :] + (f"#{parts.fragment}" if parts.fragment else "")


def _check_results(site: Path, root: str, typed: str, terms: list[str], links: list[Link]) -> None:
    """The results of ``typed`` (which holds ``terms``) are the pages with one of the terms, each
    link highlights and asks for whole terms only, and every term it asks for is in its text."""
    assert links, f"no result for {typed}"
    found = {_location(link.href, root).split("#")[0] for link in links}
    wanted = _pages_with(site, terms)
    assert found == wanted, (
        f"{typed}: pages found without {terms}: {sorted(found - wanted)}; "
        f"pages with them not found: {sorted(wanted - found)}"
    )
    sections = _sections(site)
    asked: set[str] = set()
    for link in links:
        where = _location(link.href, root)
        assert set(link.h) <= set(terms), (typed, link.h, link.href)
        assert set(link.marks) <= set(link.h), (typed, link)  # no 以上 or 降低 highlighted
        for term in link.h:
            assert term in sections[where], (typed, term, where)
            assert "h=" in link.href and quote(term) in link.href, link.href
        asked.update(link.h)
    assert asked == set(terms), (typed, asked, terms)  # ?h=以新带老, never ?h=以


def _check_terms(tab: Tab, tmp_path: Path, name: str, site: Path, root: str) -> None:
    for term in TERMS:
        links = search(tab.page, term)
        marks = tab.page.locator(".md-search-result__item mark")
        if marks.count():  # the first highlighted term in view, for a look at the marks
            marks.first.scroll_into_view_if_needed()
        screenshot(tab.page, tmp_path, f"{name}-{TERMS.index(term)}")
        in_reports = [i for i in links if any(f"/{r}/" in i.href for r in REPORTS)]
        assert in_reports, f"{name}: no result for {term} in {REPORTS}: {links}; {tab.errors}"
        _check_results(site, root, term, [term], links)
    _check_results(site, root, QUERY, ["净新增", "以新带老"], search(tab.page, QUERY))
    assert tab.errors == [], f"{name}: console errors: {tab.errors}"
    assert tab.foreign == [], f"{name}: requests outside the site: {tab.foreign}"


def _check_opened(tab: Tab, name: str) -> None:
    """A section found for 以新带老, opened, highlights the whole term on its page."""
    term = TERMS[1]
    section = next((link for link in search(tab.page, term) if "#" in link.href), None)
    assert section is not None and section.h == [term], (name, section)
    tab.page.evaluate(  # folded under its page in the results: clicked as a reader would
        "href => [...document.querySelectorAll('a.md-search-result__link')]"
        ".find(a => a.href === href).click()",
        section.href,
    )
    tab.page.wait_for_url(section.href)
    try:  # the theme highlights once its scripts have run
        tab.page.wait_for_selector(".md-content mark", timeout=10000)
    except sync_api.TimeoutError:
        pass
    marks = tab.page.eval_on_selector_all(".md-content mark", "els => els.map(e => e.textContent)")
    assert marks and set(marks) == {term}, (name, section.href, marks)
    assert tab.errors == [], f"{name}: console errors: {tab.errors}"
    assert tab.foreign == [], f"{name}: requests outside the site: {tab.foreign}"


def screenshot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if os.environ.get("TANPING_SCREENSHOTS"):
        shots = Path(os.environ["TANPING_SCREENSHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, shots / path.name)
    return path


def test_search_over_http(tab: Tab, site: Path, server: str, tmp_path: Path) -> None:
    tab.page.goto(server + "index.html")
    _check_terms(tab, tmp_path, "search-http", site, server)
    # a real Web Worker ran the search (not the file:// shim)
    assert any("/workers/search" in w.url for w in tab.page.workers), tab.page.workers
    _check_opened(tab, "search-http")


def test_search_from_the_file_system(tab: Tab, site: Path, tmp_path: Path) -> None:
    tab.page.goto((site / "index.html").as_uri())
    _check_terms(tab, tmp_path, "search-file", site, site.as_uri() + "/")
    assert tab.page.evaluate("typeof window.IFrameWorker") == "function"
    _check_opened(tab, "search-file")


def test_search_from_a_report_page_over_http(
    tab: Tab, site: Path, server: str, tmp_path: Path
) -> None:
    """From a page one folder down, the worker and its language scripts resolve as well."""
    tab.page.goto(f"{server}{REPORTS[0]}/02-accounting.html")
    _check_terms(tab, tmp_path, "search-http-report", site, server)
    _check_opened(tab, "search-http-report")

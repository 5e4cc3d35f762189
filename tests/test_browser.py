"""The site in a real Chromium with the network off: Chinese search, the intended fonts, the
derivation cards (pointer and keyboard), and search from the file system (file://).

The site is built from this repository (without PDFs) and served by ``python -m http.server``
on 127.0.0.1. Every request that is not to that server is blocked and recorded; each test
asserts that none was attempted. Screenshots are written to the test's temporary folder (and
to ``$TANPING_SCREENSHOTS`` if set).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tanping.templates.publish import report_folders
from tests.browser import launch, require_chromium
from tests.conftest import REPO, run_subprocess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TERM = "以新带老"
PROJECT_REPORTS = [
    p.name
    for p in report_folders(REPO / "content")
    if (yaml.safe_load((p / "report.yml").read_text(encoding="utf-8")) or {}).get("kind")
    == "project"
]

require_chromium()  # before the fixtures build a site: skip, or fail in CI


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("browser") / "site"
    result = run_subprocess(["build", "--no-pdf", "--site-dir", str(target)])
    assert result.code == 0, result.stderr
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(base, timeout=1).close()
                break
            time.sleep(0.1)
        else:
            pytest.fail("http.server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch() as chromium:
        yield chromium


class Offline:
    """A page whose every request outside ``allowed`` is aborted and recorded."""

    def __init__(self, browser: Any, allowed: str) -> None:
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        self.allowed = allowed

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith((self.allowed, "data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def offline(browser: Any, server: str) -> Iterator[Offline]:
    tab = Offline(browser, server)
    yield tab
    tab.close()
    assert tab.blocked == [], f"requests outside the site: {tab.blocked}"
    assert tab.errors == [], f"script errors: {tab.errors}"


def screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if os.environ.get("TANPING_SCREENSHOTS"):
        folder = Path(os.environ["TANPING_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / path.name)
    return path


def search(page: Any, term: str) -> list[dict[str, Any]]:
    """Type ``term`` into Material's search box; the result items (href, highlighted terms)."""
    page.locator("input.md-search__input").click()
    page.wait_for_function(
        "() => { const m = document.querySelector('.md-search-result__meta');"
        " return m && !m.textContent.includes('正在初始化'); }",
        timeout=20000,
    )
    page.keyboard.type(term)  # CJK text arrives as text input, as from an input method ...
    page.keyboard.press("ArrowRight")  # ... and the search runs on the key that follows
    page.wait_for_selector(".md-search-result__item", timeout=20000)
    return list(
        page.eval_on_selector_all(
            ".md-search-result__item > a",
            "els => els.map(e => ({href: e.getAttribute('href'),"
            " marks: [...e.querySelectorAll('mark')].map(m => m.textContent)}))",
        )
    )


def test_search_finds_a_domain_term(offline: Offline, server: str, tmp_path: Path) -> None:
    page = offline.page
    page.goto(server + "index.html")
    items = search(page, TERM)
    screenshot(page, tmp_path, "search")
    assert PROJECT_REPORTS, "no project report in content/"
    in_project = [i for i in items if any(f"{r}/" in i["href"] for r in PROJECT_REPORTS)]
    assert in_project, items
    # the user dictionary keeps the term whole: the match highlighted is the whole term.
    # (Ranking is Material's: its query segmenter never tries the whole typed term, so 以新带老
    # is looked up as the prefix 以* and other pages with words starting with 以 come too.)
    assert any(TERM in item["marks"] for item in in_project), in_project


def test_chinese_text_in_the_intended_fonts(offline: Offline, server: str, tmp_path: Path) -> None:
    page = offline.page
    report = PROJECT_REPORTS[0]
    page.goto(f"{server}{report}/derivations.html")
    page.wait_for_load_state("networkidle")
    fonts = page.evaluate(
        """async () => {
        await document.fonts.ready;
        const para = [...document.querySelectorAll('.md-typeset p')]
            .find(p => !p.closest('.pdf-link') && /[\\u4e00-\\u9fff]/.test(p.textContent));
        const heading = document.querySelector('.md-typeset h1');
        const subset = new FontFace('tp-subset-probe',
            'url(../assets/fonts/noto-serif-cjk-sc-400.woff2)');
        let subsetStatus;
        try { await subset.load(); subsetStatus = subset.status; }
        catch (err) { subsetStatus = 'error: ' + err; }
        return {
            body: getComputedStyle(document.body).fontFamily,
            para: getComputedStyle(para).fontFamily,
            heading: getComputedStyle(heading).fontFamily,
            check: document.fonts.check('16px "Noto Serif CJK SC"'),
            faces: [...document.fonts].map(f => [f.family.replace(/"/g, ''), f.weight, f.status]),
            subset: subsetStatus,
        };
    }"""
    )
    screenshot(page, tmp_path, "fonts")
    assert "Noto Serif CJK SC" in fonts["body"], fonts
    assert fonts["para"].startswith('"Noto Serif CJK SC"'), fonts
    assert fonts["heading"].startswith('"Noto Sans CJK SC"'), fonts
    assert fonts["check"] is True
    assert ["Noto Serif CJK SC", "400", "loaded"] in fonts["faces"], fonts["faces"]
    assert fonts["subset"] == "loaded", "the subset WOFF2 served by the site loads"


def test_derivation_card_by_pointer_and_keyboard(
    offline: Offline, server: str, tmp_path: Path
) -> None:
    page = offline.page
    report = PROJECT_REPORTS[0]
    page.goto(f"{server}{report}/02-accounting.html")
    page.wait_for_load_state("networkidle")
    card = page.locator("#tp-card")

    first = page.locator("a.fig").first
    first.hover()
    card.wait_for(state="visible", timeout=5000)
    assert card.get_attribute("role") == "tooltip"
    assert first.get_attribute("aria-describedby") == "tp-card"
    text = card.inner_text()
    assert "公式" in text and "未修约" in text
    screenshot(page, tmp_path, "card-hover")
    page.keyboard.press("Escape")
    card.wait_for(state="hidden", timeout=5000)

    # keyboard only: Tab until a figure has the focus
    page.mouse.move(0, 0)
    page.locator("body").focus()
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('a.fig')"):
            break
    else:
        pytest.fail("no figure reachable with Tab")
    card.wait_for(state="visible", timeout=5000)
    focused = page.evaluate(
        "({href: document.activeElement.getAttribute('href'),"
        " described: document.activeElement.getAttribute('aria-describedby')})"
    )
    assert focused["described"] == "tp-card"
    screenshot(page, tmp_path, "card-focus")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{report}/derivations.html#d-*")
    anchor = focused["href"].split("#")[1]
    assert page.locator(f"li#{anchor}").count() == 1


def test_search_from_the_file_system(browser: Any, site: Path, tmp_path: Path) -> None:
    """Opened as files (a site handed over as a folder): search still works, with the local
    iframe-worker shim instead of the CDN one, and nothing is fetched from the network."""
    tab = Offline(browser, "file://")
    try:
        page = tab.page
        page.goto((site / "index.html").as_uri())
        items = search(page, TERM)
        screenshot(page, tmp_path, "file-search")
        assert any(any(f"{r}/" in i["href"] for r in PROJECT_REPORTS) for i in items), items
    finally:
        tab.close()
    assert tab.blocked == []

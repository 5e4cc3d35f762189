"""The published site, built from this repository's content into a temporary folder: offline
(no http(s) URL for CSS, JS or fonts), subset Noto CJK fonts that cover every character, Chinese
search terms from the user dictionary, every local link and anchor resolving, figures linked to
their derivations, a PDF per report, and a strict build with the plain ``mkdocs`` command.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tanping.templates.publish import WEB_FONTS, report_folders, site_characters
from tests.conftest import REPO, run_subprocess

pytestmark = pytest.mark.slow

REPORTS = [p.name for p in report_folders(REPO / "content")]
DICTIONARY = REPO / "content" / "assets" / "search" / "jieba-user.txt"
EXTERNAL = re.compile(r"^(?:https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tanping build`` of the repository, PDFs included, into a temporary site folder."""
    target = tmp_path_factory.mktemp("site") / "site"
    result = run_subprocess(["build", "--site-dir", str(target)])
    assert result.code == 0, result.stderr
    return target


class Page(HTMLParser):
    """Links, ids and resources of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, dict[str, str]]] = []  # (tag, url, attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for key in ("id", "name"):
            if values.get(key) and (key == "id" or tag == "a"):
                self.ids.add(values[key])
        for key in ("href", "src"):
            if key in values:
                self.links.append((tag, values[key], values))


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_no_network_references(site: Path) -> None:
    """No <link>, <script> or CSS (@font-face, @import, url()) loads anything over the network."""
    offending = []
    for path in site.rglob("*.html"):
        for tag, url, attrs in parse(path).links:
            loads = tag in ("script", "img", "iframe", "source", "video", "audio") or (
                tag == "link" and attrs.get("rel") not in ("canonical", "alternate")
            )
            if loads and EXTERNAL.match(url):
                offending.append(f"{path.relative_to(site)}: <{tag}> {url}")
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"<style\b.*?</style>", text, flags=re.S):
            offending += [f"{path}: {u}" for u in re.findall(r"url\(\s*['\"]?https?:", block)]
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        for match in re.finditer(r"@import[^;]*https?://|url\(\s*['\"]?(?:https?:)?//", text):
            offending.append(f"{css.relative_to(site)}: {match.group(0)}")
    assert not offending, "\n".join(offending)
    assert "unpkg.com" not in (site / "index.html").read_text(encoding="utf-8")


def test_pages_are_chinese_material(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in index
    assert "assets/tanping.css" in index and "assets/javascripts/tanping.js" in index
    assert "assets/javascripts/iframe-worker.js" in index  # file:// search without a CDN
    for report in REPORTS:
        assert f"{report}/derivations.html" in index  # the home page lists every report


def test_subset_fonts_cover_the_site(site: Path) -> None:
    from fontTools.ttLib import TTFont

    css = (site / "assets" / "tanping.css").read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\s*{(.*?)}", css, flags=re.S)
    assert len(faces) == len(WEB_FONTS)
    needed = {c for c in site_characters(site) if ord(c) >= 0x2E80}  # CJK and beyond
    assert len(needed) > 200
    for font in WEB_FONTS:
        face = next(f for f in faces if font.file_name in f)
        assert f'font-family: "{font.family}"' in face and f"font-weight: {font.weight}" in face
        src = face[face.index("src:") :]
        assert src.index("local(") < src.index("url("), "local() first, then the subset"
        path = site / "assets" / "fonts" / font.file_name
        assert path.read_bytes()[:4] == b"wOF2"
        assert path.stat().st_size < 1_500_000
        cmap = TTFont(path).getBestCmap()
        missing = sorted(c for c in needed if ord(c) not in cmap)
        # what the site shows and Noto CJK SC has, the subset has
        assert len(missing) <= 2, f"{font.file_name} misses {''.join(missing[:40])}"
        assert TTFont(path)["name"].getDebugName(1) == font.family


def test_search_index_segments_domain_terms(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["config"]["lang"] == ["zh"]
    assert "\\u200b" in index["config"]["separator"]
    tokens: set[str] = set()
    for doc in index["docs"]:
        tokens.update(re.split(r"[\s\u200b]+", doc["text"]))
    terms = [line.split()[0] for line in DICTIONARY.read_text(encoding="utf-8").splitlines()]
    assert "以新带老" in terms
    for term in ("以新带老", "碳排放量", "净新增", "排放因子", "低位发热量", "碳氧化率"):
        assert term in tokens, f"{term} is not one search token"
    assert (site / "search" / "search_index.js").is_file()  # offline (file://) search


def _target(site: Path, page: Path, url: str) -> tuple[Path, str] | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "javascript:", "data:")):
        return None
    path = unquote(parts.path)
    if not path:
        target = page
    else:
        target = (site / path.lstrip("/")) if path.startswith("/") else page.parent / path
        target = Path(os.path.normpath(target))
        if target.is_dir() or path.endswith("/"):
            target = target / "index.html"
    return target, unquote(parts.fragment)


def test_every_local_link_and_anchor_resolves(site: Path) -> None:
    pages = {p: parse(p) for p in site.rglob("*.html")}
    broken = []
    checked = 0
    for page, parsed in pages.items():
        for tag, url, _ in parsed.links:
            if tag not in ("a", "link", "script", "img"):
                continue
            resolved = _target(site, page, url)
            if resolved is None:
                continue
            target, fragment = resolved
            checked += 1
            where = f"{page.relative_to(site)}: {url}"
            if not target.is_file():
                broken.append(f"{where} -> no file {target}")
            elif fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if fragment not in ids:
                    broken.append(f"{where} -> no id “{fragment}”")
    assert checked > 100
    assert not broken, "\n".join(broken)


def test_figures_link_to_their_derivations_with_a_card(site: Path) -> None:
    for report in REPORTS:
        derivations = parse(site / report / "derivations.html").ids
        figures = 0
        for page in (site / report).glob("*.html"):
            text = page.read_text(encoding="utf-8")
            for attrs in re.findall(r'<a class="fig"([^>]*)>', text):
                figures += 1
                assert "title=" not in attrs  # the card replaces the bare title
                href = re.search(r'href="derivations\.html#(d-\d+)"', attrs)
                assert href and href.group(1) in derivations, attrs[:200]
                card = json.loads(html.unescape(re.search(r'data-card="([^"]*)"', attrs)[1]))
                assert card["label"] and card["value"] and card["n"] == int(href[1][2:])
        assert figures > 5, report


def test_cross_references_name_the_numbered_target(site: Path) -> None:
    refs = 0
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for href, label in re.findall(r'<a class="xref" href="([^"]+)">([^<]+)</a>', text):
            refs += 1
            resolved = _target(site, page, href)
            assert resolved is not None
            target, anchor = resolved
            body = target.read_text(encoding="utf-8")
            if not anchor:  # a chapter: ``第 10 章`` / ``7.3 节`` names the page's own heading
                number = re.search(r"[\d.]+", label)
                heading = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
                assert number and heading and number[0] in heading[1], (page.name, href, label)
                continue
            caption = re.search(
                rf'id="{re.escape(anchor)}".*?<figcaption>([^<]*)</figcaption>', body, re.S
            )
            assert caption, f"{page.name}: {href}"
            assert caption.group(1).startswith(label), (label, caption.group(1))
    assert refs >= 3


def test_a_pdf_per_report_linked_from_its_pages(site: Path) -> None:
    """The PDF a chapter links to is there; a report that fails the filing gate is offered as a
    draft (征求意见稿, 草稿 in the name), one that passes as the 报批版."""
    for report in REPORTS:
        (pdf,) = (site / report).glob("*.pdf")
        assert pdf.read_bytes()[:5] == b"%PDF-"
        draft = pdf.stem.endswith("-草稿")
        # the worked examples pass the filing gate; the contract fixtures never do
        assert draft == (REPO / "content" / report / "fixture.yml").exists(), report
        for page in (site / report).glob("0*.html"):
            text = page.read_text(encoding="utf-8")
            assert f'href="{pdf.name}"' in text
            assert ("PDF（征求意见稿）" if draft else "PDF（报批版）") in text


def test_home_page_says_which_pdf_is_for_filing(site: Path) -> None:
    """A reader of the index sees which PDF is the 报批版, which a draft, and which report is
    only a format fixture (fixture.yml)."""
    index = (site / "index.html").read_text(encoding="utf-8")
    listing = index.split('<ul class="tp-reports">', 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", listing, flags=re.DOTALL)
    by_slug = {re.match(r'<a href="([\w-]+)/', item)[1]: item for item in items}  # type: ignore[index]
    assert set(by_slug) == set(REPORTS)
    for slug, item in by_slug.items():
        fixture = (REPO / "content" / slug / "fixture.yml").exists()
        assert ("格式样例" in item) == fixture, slug
        assert ("PDF（报批版）" in item) == (not fixture), slug  # the worked examples pass the gate


def test_hook_is_a_thin_adapter() -> None:
    """The engine-facing hook routes events only: no Jinja, no Markdown, no HTML of its own."""
    source = (REPO / "templates" / "site.py").read_text(encoding="utf-8")
    for name in ("import jinja2", "import markdown", "markupsafe", "<a ", "<p "):
        assert name not in source
    assert len(source.splitlines()) < 160


def test_plain_mkdocs_strict_build(tmp_path: Path) -> None:
    """``mkdocs build --strict`` (not only ``tanping build``) passes on the repository."""
    mkdocs = Path(sys.executable).parent / "mkdocs"
    proc = subprocess.run(
        [str(mkdocs), "build", "--strict", "-q", "-d", str(tmp_path / "out")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "TANPING_PDF": "0"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "index.html").is_file()

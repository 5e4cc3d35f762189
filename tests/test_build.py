"""Safe builds: a failing build keeps the last good site and PDFs and names the failing input;
data strings are text in the site and the PDF, never markup and never templates.

Every test builds a throw-away project: the repository's ``mkdocs.yml`` (hooks and the search
dictionary pointed at this checkout), ``content/index.md`` and ``content/assets``, and a copy of
the Beijing example report ``content/spec-project`` with its chapters.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, CliResult, run_subprocess

pytestmark = pytest.mark.slow

REPORT = "spec-project"
XSS = "<script>alert(1)</script>"
TEMPLATE_TEXT = "{{ 7*7 }}"
MARKDOWN_LINK = "[点此](javascript:alert(2))"


def make_project(root: Path, report: str = REPORT) -> Path:
    """A buildable copy of the project in ``root``; returns the report folder."""
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    config["hooks"] = [str(REPO / "templates" / "site.py")]
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "search" in plugin:
            dictionary = REPO / plugin["search"]["jieba_dict_user"]
            plugin["search"]["jieba_dict_user"] = str(dictionary)
    root.mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    content = root / "content"
    shutil.copytree(REPO / "content" / "assets", content / "assets")
    shutil.copyfile(REPO / "content" / "index.md", content / "index.md")
    shutil.copytree(REPO / "content" / report, content / report)
    return content / report


def build(root: Path, *extra: str) -> CliResult:
    return run_subprocess(["build", "--config", str(root / "mkdocs.yml"), *extra], cwd=root)


def digest(folder: Path) -> dict[str, str]:
    """Every file of ``folder`` (path -> sha256), to compare byte for byte."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project built once, with its PDF: the last good output."""
    root = tmp_path_factory.mktemp("good") / "project"
    make_project(root)
    result = build(root)
    assert result.code == 0, result.stderr
    assert (root / "site" / REPORT / f"{REPORT}-草稿.pdf").is_file()  # a draft: placeholders
    return root


@pytest.fixture
def project(good_build: Path, tmp_path: Path) -> Path:
    """A private copy of the good build (sources and site) that a test may break."""
    root = tmp_path / "project"
    shutil.copytree(good_build, root, symlinks=True)
    return root


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{{ nosuch }}", "nosuch"),
        ('{{ fig("no.such.figure") }}', "no.such.figure"),
        ("{% if %}", "模板语法错误"),
    ],
    ids=["undefined-name", "failing-macro", "syntax-error"],
)
def test_broken_chapter_keeps_the_last_good_site(project: Path, line: str, expected: str) -> None:
    site = project / "site"
    before = digest(site)
    assert any(name.endswith(".pdf") for name in before)
    chapter = project / "content" / REPORT / "01-overview.md"
    lines = chapter.read_text(encoding="utf-8").splitlines()
    lines.insert(2, line)  # becomes line 3
    chapter.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = build(project)
    assert result.code == 2, result.stdout + result.stderr
    assert re.search(r"01-overview\.md:3\D", result.stderr), result.stderr
    assert expected in result.stderr
    assert "上一次的成功输出保持不变" in result.stderr
    assert "Traceback" not in result.stderr
    assert digest(site) == before
    assert not list(project.glob(".site-*")), "staging directory left behind"


def test_broken_report_yml_exits_2_with_file_and_line(project: Path) -> None:
    site = project / "site"
    before = digest(site)
    report = project / "content" / REPORT / "report.yml"
    lines = report.read_text(encoding="utf-8").splitlines()
    number = next(i for i, text in enumerate(lines) if text.strip() == "- name: 外购电力") + 1
    lines[number - 1] = lines[number - 1].replace("外购电力", "外购电力: 电网")
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = build(project)
    assert result.code == 2, result.stdout + result.stderr
    assert f"report.yml:{number}" in result.stderr, result.stderr
    assert "YAML" in result.stderr and "Traceback" not in result.stderr
    assert digest(site) == before


def test_failure_after_the_pages_keeps_the_last_good_site(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that fails after every page is written (here: the font step of on_post_build,
    whose cache path is a file) swaps nothing in."""
    site = project / "site"
    before = digest(site)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("TANPING_CACHE", str(blocker))
    chapter = project / "content" / REPORT / "06-conclusions.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n改动。\n", "utf-8")
    result = build(project)
    assert result.code == 2, result.stdout + result.stderr
    assert "站点字体" in result.stderr
    assert digest(site) == before
    assert not list(project.glob(".site-*"))


def test_good_build_replaces_the_site_and_is_readable(project: Path) -> None:
    chapter = project / "content" / REPORT / "06-conclusions.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n新增一句结论。\n", "utf-8")
    result = build(project, "--no-pdf")
    assert result.code == 0, result.stderr
    page = (project / "site" / REPORT / "06-conclusions.html").read_text(encoding="utf-8")
    assert "新增一句结论。" in page
    assert (project / "site").stat().st_mode & 0o755 == 0o755
    assert (project / "site" / ".tanping-site").is_file(), "the marker of a tanping site"
    leftovers = [p.name for p in project.glob(".site*")]
    assert leftovers == [".site.lock"], "only the build lock stays beside the site"


# ---- escaping ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example with a fuel row named ``<script>…``, and a title holding a template and a
    Markdown link; built with its PDF."""
    root = tmp_path_factory.mktemp("hostile") / "project"
    folder = make_project(root)
    report = folder / "report.yml"
    text = report.read_text(encoding="utf-8")
    text = text.replace("- name: 应急柴油发电机", f'- name: "{XSS}"', 1)
    text = re.sub(
        r"^title: (.*)$",
        lambda m: f"title: '{m.group(1)}{TEMPLATE_TEXT}{MARKDOWN_LINK}<b>粗</b>'",
        text,
        count=1,
        flags=re.MULTILINE,
    )
    report.write_text(text, encoding="utf-8")
    result = build(root)
    assert result.code == 0, result.stderr
    return root


def _pages(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): p.read_text("utf-8") for p in site.rglob("*.html")}


def _text(page: str) -> str:
    """The visible text of a page: tags removed, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_data_strings_are_text_in_the_site(hostile_build: Path) -> None:
    pages = _pages(hostile_build / "site")
    for name, page in pages.items():
        assert XSS not in page, f"{name}: raw <script> from the data"
        assert "<b>粗</b>" not in page, f"{name}: raw markup from the title"
        assert 'href="javascript:' not in page.lower(), f"{name}: a Markdown link from data"
    accounting = pages[f"{REPORT}/02-accounting.html"]
    assert XSS in _text(accounting), "the fuel row name is shown as text"
    overview = _text(pages[f"{REPORT}/01-overview.html"])
    assert TEMPLATE_TEXT in overview, "a template in the title stays as written"
    assert MARKDOWN_LINK in overview and "<b>粗</b>" in overview
    assert "49" not in overview.split(TEMPLATE_TEXT)[0][-5:]
    nav = _text(pages["index.html"])
    assert TEMPLATE_TEXT in nav and "<b>粗</b>" in nav


def test_data_strings_are_text_in_the_hover_cards(hostile_build: Path) -> None:
    import json

    page = (hostile_build / "site" / REPORT / "02-accounting.html").read_text("utf-8")
    cards = [json.loads(html.unescape(m)) for m in re.findall(r'data-card="([^"]*)"', page)]
    assert cards and any(XSS in json.dumps(c, ensure_ascii=False) for c in cards)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_data_strings_are_text_in_the_pdf(hostile_build: Path) -> None:
    (pdf,) = (hostile_build / "site" / REPORT).glob("*.pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", XSS) in flat, "the fuel row name is printed as text"
    assert "{{7*7}}" in flat, "a template in the title stays as written"
    assert "<b>粗</b>" in flat


def test_cli_reports_where_the_build_writes(good_build: Path) -> None:
    assert (good_build / "site" / "index.html").is_file()
    assert os.access(good_build / "site" / "index.html", os.R_OK)

"""Host numbering (issue 11 item 2): a report placed in its host EIA document by ``numbering:``.

Both guidelines put this content inside the EIA document: the Beijing App. D directory as one
chapter of it ("在环境影响评价文件中编制相应章节"), the Chongqing sections merged into the
chapters of the plan EIA (clause 14, HJ 131). Here the Beijing example is chapter 9 (its six
files are sections 9.1–9.6, 表 9.2-1 per section) and the Chongqing example's files are the
sections 4.6, 5.8, 6.5, 7.3 … (表 7-1 per host chapter). One build of both; the PDF text
(headings, 表 numbers, cross-references, the contents), its bookmarks, the site's HTML and
navigation and the Word copy are read for the host numbers. A numbering that names no chapter
file of the folder, leaves one out or writes a number badly is refused with its location.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import REPO, run_subprocess
from tests.test_build import make_project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils"),
]

PROJECT = {
    f"0{n}-{name}.md": f'"9.{n}"'
    for n, name in enumerate(
        ("overview", "accounting", "level", "measures", "management", "conclusions"), 1
    )
}
PARK = {
    "05-planning.md": '"4.6"',
    "06-status.md": '"5.8"',
    "07-identification.md": '"6.5"',
    "08-prediction.md": '"7.3"',
    "09-optimisation.md": '"9.4"',
    "10-measures.md": '"10.3"',
    "11-tracking.md": '"11.2"',
    "12-access.md": '"12.4"',
    "13-conclusions.md": '"14.3"',
}


def place(folder: Path, chapters: dict[str, str], captions: str) -> None:
    """Append a ``numbering:`` block to the report.yml of ``folder``."""
    lines = ["", "numbering:", "  chapters:"]
    lines += [f"    {name}: {number}" for name, number in chapters.items()]
    lines.append(f"  captions: {captions}")
    with (folder / "report.yml").open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``tanping build`` of bj-heating as chapter 9 and cq-park in chapters 4–14."""
    root = tmp_path_factory.mktemp("host")
    project = make_project(root, "bj-heating")
    park = root / "content" / "cq-park"
    shutil.copytree(REPO / "content" / "cq-park", park)
    place(project, PROJECT, "section")
    place(park, PARK, "chapter")
    env = {"TANPING_WEBFONTS": "0", "TANPING_CACHE": str(root / "cache")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        result = run_subprocess(
            ["build", "--config", str(root / "mkdocs.yml"), "--site-dir", str(root / "site")],
            cwd=root,
        )
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert result.code == 0, result.stdout + result.stderr
    return root / "site"


def pdf_of(site: Path, slug: str) -> Path:
    found = sorted((site / slug).glob("*.pdf"))
    assert found, f"no PDF in {site / slug}"
    return found[0]


def text_of(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def squeeze(text: str) -> str:
    return re.sub(r"[ \t\u2003]+", " ", text)


def contents(text: str) -> str:
    """The contents pages: from 目录 to the first body page (page I … before 第 1 页)."""
    start = text.index("目")
    return squeeze(text[start : text.index("第 1 页")])


def test_project_as_chapter_nine_in_the_pdf(built: Path) -> None:
    text = squeeze(text_of(pdf_of(built, "bj-heating")))
    toc = contents(text_of(pdf_of(built, "bj-heating")))
    for entry in ("9.1 项目概述", "9.2 碳排放核算", "9.2.1 确定核算边界", "9.6 结论与建议"):
        assert entry in toc, entry
    assert "附录A 计算过程" in toc
    body = text[text.index("第 1 页") :]
    assert re.search(r"^ ?9\.2 碳排放核算$", body, re.M)
    assert re.search(r"^ ?9\.3\.1 碳排放量水平分析$", body, re.M)
    assert "表 9.1-1" in body and "表 9.2-1" in body and "图 9.1-1" in body
    assert "见 表 9.1-1" in body  # a cross-reference (ref()) follows the table's number
    for standalone in ("表 1-1", "表 2-1", "\n1 项目概述", "\n2.1 确定核算边界"):
        assert standalone not in body, standalone


def test_project_bookmarks_carry_the_host_numbers(built: Path) -> None:
    reader = PdfReader(pdf_of(built, "bj-heating"))
    titles: list[str] = []

    def walk(items: list[object]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(" ".join(str(item.title).split()))  # type: ignore[attr-defined]

    walk(reader.outline)
    assert "9.2 碳排放核算" in titles
    assert "9.2.1 确定核算边界" in titles
    assert not any(t.startswith("2 ") for t in titles), titles


def test_park_sections_in_the_host_chapters_in_the_pdf(built: Path) -> None:
    raw = text_of(pdf_of(built, "cq-park"))
    toc = contents(raw)
    for entry in ("4.6 ", "5.8 ", "7.3 ", "7.3.1 ", "14.3 "):
        assert entry in toc, entry
    body = squeeze(raw[raw.index("第 1 页") :])
    numbers = set(re.findall(r"表 (\d+(?:\.\d+)*)-\d+", body))
    assert numbers and all("." not in n for n in numbers), numbers  # per host chapter: 表 7-1
    assert {"4", "5", "7"} <= numbers
    assert "10.3 节" in body  # chapter(): the prose names the measures section by its place


def site_page(site: Path, slug: str, stem: str) -> str:
    for path in (site / slug / f"{stem}.html", site / slug / stem / "index.html"):
        if path.exists():
            return " ".join(path.read_text(encoding="utf-8").split())
    raise AssertionError(f"no page {slug}/{stem} in {site}")


def test_site_headings_and_nav_follow_the_host_numbers(built: Path) -> None:
    page = site_page(built, "bj-heating", "02-accounting")
    assert re.search(r"<h1[^>]*>9\.2 碳排放核算", page)
    assert re.search(r"<h2[^>]*>9\.2\.1 确定核算边界", page)
    assert "表 9.2-1" in page
    nav = re.findall(r'class="md-ellipsis"> ([^<]*?) </span>', page)
    assert "9.1 项目概述" in nav and "9.2 碳排放核算" in nav, nav
    park = site_page(built, "cq-park", "08-prediction")
    assert re.search(r"<h1[^>]*>7\.3 ", park)
    assert re.search(r"表 7-\d", park)


def test_word_copy_follows_the_host_numbers(built: Path) -> None:
    from docx import Document

    found = sorted((built / "bj-heating").glob("*.docx"))
    assert found
    headings = [
        p.text for p in Document(str(found[0])).paragraphs if p.style.name.startswith("Heading")
    ]
    assert any(h.startswith("9.2 ") for h in headings), headings[:10]
    assert any(h.startswith("9.2.1 ") for h in headings)


# ---- refused numberings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chapters", "problem"),
    [
        ({**PROJECT, "07-extra.md": '"9.7"'}, "不是本报告目录中的章节文件"),
        ({k: v for k, v in PROJECT.items() if not k.startswith("06")}, "没有给出章节文件"),
        ({**PROJECT, "03-level.md": '"9.1"'}, "不大于前一文件的章节号"),
        ({**PROJECT, "02-accounting.md": '"9.1.2"'}, "在前一章节号之内"),
    ],
)
def test_a_numbering_that_does_not_fit_the_folder_is_refused_with_its_line(
    tmp_path: Path, chapters: dict[str, str], problem: str
) -> None:
    folder = tmp_path / "bj-heating"
    shutil.copytree(REPO / "content" / "bj-heating", folder)
    place(folder, chapters, "section")
    result = run_subprocess(["pdf", str(folder), "-o", str(tmp_path / "out.pdf")])
    assert result.code != 0
    assert problem in result.stderr, result.stderr
    assert re.search(r"report\.yml:\d+ numbering", result.stderr), result.stderr


@pytest.mark.parametrize(
    ("number", "problem"), [("9.10", "带引号"), ('"9.0"', "不是章节号"), ('"第9章"', "不是章节号")]
)
def test_a_malformed_number_is_refused(tmp_path: Path, number: str, problem: str) -> None:
    folder = tmp_path / "bj-heating"
    shutil.copytree(REPO / "content" / "bj-heating", folder)
    place(folder, {**PROJECT, "01-overview.md": number}, "section")
    result = run_subprocess(["check", str(folder)])
    assert result.code != 0
    assert problem in result.stderr, result.stderr
    assert "numbering" in result.stderr

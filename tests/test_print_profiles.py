"""The two print profiles (issue 11): the filed PDF carries no internal words, few markers and a
compact 计算过程; the review print keeps full traceability.

The internal-words scan reads the text of the filing PDF of every report under ``content/`` (as
``tanping pdf`` writes it by default) and looks for what only the tool and its author use: ASCII
identifiers with ``_`` or ``.`` (ledger keys, field paths, file names), ``report.yml`` and other
``.yml`` / ``.md`` names, factor-set ids, English measure ids, factor grades and data locations.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tanping.calc.factors import FactorLibrary
from tanping.templates.publish import chapter_html, export_pdf, renderer
from tanping.templates.render import chapter_files

ROOT = Path(__file__).resolve().parent.parent
REPORTS = sorted(p.parent.name for p in (ROOT / "content").glob("*/report.yml"))

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")

#: A guideline clause or table (C.1, B.2, A.1, 9.1.1) or a standard's number (GB/T 32151.22-2024,
#: HJ 131): document references, not internal words.
_CLAUSE = re.compile(r"^(?:[A-Z]{1,2}(?:\.\d+)+|\d+(?:\.\d+)+)$")
#: An ASCII identifier with ``_`` or ``.`` inside (``b2.net_new``, ``existing.fuels``).
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9/])[A-Za-z][A-Za-z0-9-]*(?:[._][A-Za-z0-9-]+)+")
_WORDS = (
    re.compile(r"report\.yml|\.ya?ml\b|\.md\b|\.csv\b|\.geojson\b"),
    re.compile(r"\b\d{4}\.[a-z]+"),  # a period key (2030.baseline)
    re.compile(r"\bD-[a-z]+"),  # English measure ids of App. D (D-building-materials-feedstock-1)
    re.compile(r"等级 ?[A-C][+-]?|未经核实|数据位置|报批前|因子集|因子库"),
    re.compile(r"\b(?:economy|targets|measures|sources|enterprises)\b"),  # report field names
    re.compile(r"(?i)tanping"),  # the tool: a filed chapter never names it
)


def internal_words(text: str) -> list[str]:
    """The internal words in ``text`` (a PDF's text as extracted), each once."""
    # an identifier broken across lines (``report.`` / ``yml``) is found whole
    flat = re.sub(r"(?<=[A-Za-z0-9._-])[ \t]*\n\s*(?=[a-z._])", "", text)
    found: list[str] = []
    for source in (text, flat):
        for match in _IDENTIFIER.finditer(source):
            word = match.group(0)
            if not _CLAUSE.match(word) and not re.fullmatch(r"[A-Z]{2,}[-\d.]*", word):
                found.append(word)
        for pattern in _WORDS:
            found += pattern.findall(source)
    sets = [s for s in [*FactorLibrary.default().sets(), "cn-default"] if re.search(r"[a-z]", s)]
    found += [s for s in sets if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text)]
    return sorted(set(found))


def pdf_text(pdf: Path, *options: str) -> str:
    return subprocess.run(
        ["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def filing_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The filing PDF of every report under content/, as `tanping pdf` writes it."""
    out = tmp_path_factory.mktemp("filing")
    return {slug: export_pdf(ROOT / "content" / slug, out / f"{slug}.pdf") for slug in REPORTS}


def test_the_scan_finds_what_the_review_print_shows() -> None:
    """The scan's own check: the words of issue 11 are found."""
    text = (
        "数据位置：bj-heating/report.yml:24 existing.fuels[0]；因子集 cn-default；"
        "D-building-materials-feedstock-1；2030.baseline；（2013，等级 A-）；报告 economy 各行；"
        "本章是 tanping 的完整算例"
    )
    found = internal_words(text)
    words = ("report.yml", "existing.fuels", "cn-default", "2030.baseline", "D-building", "tanping")
    for word in words:
        assert any(word in f for f in found), (word, found)
    assert not internal_words("见表 C.1 与 B.2；GB/T 32151.22-2024 附录C 表C.1；HJ 131；AR5")


@pytest.mark.parametrize("slug", REPORTS)
def test_filing_pdf_has_no_internal_words(filing_pdfs: dict[str, Path], slug: str) -> None:
    assert internal_words(pdf_text(filing_pdfs[slug])) == []


@pytest.mark.parametrize("slug", REPORTS)
def test_no_line_of_a_filing_pdf_starts_with_closing_punctuation(
    filing_pdfs: dict[str, Path], slug: str
) -> None:
    # -layout: a raised 〔n〕 marker is extracted on a line of its own otherwise
    lines = [line.strip() for line in pdf_text(filing_pdfs[slug], "-layout").split("\n")]
    assert [line for line in lines if line and line[0] in "，。；：、）"] == []


def test_filing_marks_table_figures_and_first_mentions_only() -> None:
    """cq-park: 608 lines carried a 〔n〕 before issue 11. Now an input is never marked and a
    figure in the text is marked only at its first mention."""
    folder = ROOT / "content" / "cq-park"
    filed, review = renderer(folder, mode="print"), renderer(folder, mode="review")
    filed_html = "".join(chapter_html(filed, p) for p in chapter_files(folder))
    review_html = "".join(chapter_html(review, p) for p in chapter_files(folder))
    markers = re.findall(r'href="#d-(\d+)">〔\d+〕', filed_html)

    def in_text(html: str) -> int:
        return len(re.findall(r"〔\d+〕", re.sub(r"<table\b.*?</table>", "", html, flags=re.S)))

    assert 0 < in_text(filed_html) < in_text(review_html) / 2
    entries = re.findall(r'<tr id="d-(\d+)"', str(filed.derivations()))
    assert sorted(set(markers), key=int) == entries  # every entry is marked, once in the appendix
    for key in filed.numbering.derivations:  # no input echoed as an appendix row
        figure = filed.ledger[key]
        assert figure.derivation is not None and (
            figure.derivation.parts or figure.derivation.sources or figure.derivation.formula
        )


def test_review_keeps_data_locations_and_grades() -> None:
    folder = ROOT / "content" / "bj-heating"
    review = renderer(folder, mode="review")
    appendix = str(review.derivations())
    assert "数据位置" in appendix and "report.yml" in appendix
    filed = str(renderer(folder, mode="print").derivations())
    assert "数据位置" not in filed and "report.yml" not in filed and "等级" not in filed


def docx_text(path: Path) -> str:
    """Every paragraph of a Word file, its tables' cells included, one per line."""
    import docx

    document = docx.Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines += [cell.text for cell in row.cells]
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize(
    "slug", [s for s in REPORTS if not (ROOT / "content" / s / "fixture.yml").exists()]
)
def test_word_copy_has_no_internal_words(tmp_path: Path, slug: str) -> None:
    """The Word copy goes into the 报告书: the same scan as the filing PDF (issue 12)."""
    from tanping.templates.word import export_docx

    path = export_docx(ROOT / "content" / slug, tmp_path)
    text = docx_text(path)
    assert "计算过程" in text and len(text) > 5_000
    assert internal_words(text) == []

"""Print pipeline: HTML fragments -> filed A4 PDF (templates/pdf.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tanping.templates import pdf as pdf_module
from tanping.templates.pdf import PrintError, PrintMeta, build_html, render_pdf

LONG_ROWS = 80

META = PrintMeta(
    title="某市高新区化工新材料产业园规划环境影响报告书",
    client="某市高新区管理委员会",
    assessor="某某环境科技有限公司",
    date="2026年11月",
    subtitle="碳排放评价专章",
    keywords=("碳排放评价", "规划环评", "减污降碳"),
    client_label="规划编制单位",
)
CREATED = dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)
LEDGER = b'{"schema": "tanping.ledger/1", "figures": {"E_total": 1840.26}}\n'

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="poppler-utils not installed",
)


# ------------------------------------------------------------------ sample document


def _long_table() -> str:
    rows = []
    for i in range(1, LONG_ROWS + 1):
        amount = 1000 + i * 37.5
        factor = 2.0 + (i % 7) * 0.113
        emission = amount * factor / 1000
        rows.append(
            f"<tr><td>{i}</td><td>装置{i:02d} 燃料燃烧（天然气）</td>"
            f'<td class="num">{amount:,.1f}</td><td class="num">{factor:.3f}</td>'
            f'<td class="num"><span class="fig" data-key="e.{i}" title="式(2-1)">'
            f'{emission:,.2f}</span> <a class="deriv-ref" href="#d-{i % 3 + 1}">'
            f"〔{i % 3 + 1}〕</a></td></tr>"
        )
    return (
        "<p>表 2-2 现状年各装置二氧化碳排放量核算表</p>\n"
        "<table>\n<thead><tr><th>序号</th><th>排放源</th><th>活动水平/万Nm³</th>"
        "<th>排放因子/(tCO<sub>2</sub>/万Nm³)</th><th>排放量/tCO<sub>2</sub></th></tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def _svg_chart() -> str:
    bars = []
    values = [("2025年", 1840.26), ("2030年", 1512.40), ("2035年", 1104.73)]
    for n, (label, value) in enumerate(values):
        x = 80 + n * 130
        height = value / 10
        bars.append(
            f'<rect x="{x}" y="{220 - height:.1f}" width="60" height="{height:.1f}" '
            f'fill="#4d4d4d"/>'
            f'<text x="{x + 30}" y="238" text-anchor="middle" font-size="12">{label}</text>'
            f'<text x="{x + 30}" y="{214 - height:.1f}" text-anchor="middle" '
            f'font-size="11">{value:,.2f}</text>'
        )
    return (
        '<figure class="chart">'
        '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="260" '
        'viewBox="0 0 480 260">'
        '<line x1="60" y1="220" x2="460" y2="220" stroke="#000"/>'
        '<line x1="60" y1="20" x2="60" y2="220" stroke="#000"/>'
        '<text x="20" y="130" font-size="12" transform="rotate(-90 20 130)" '
        'text-anchor="middle">排放量（tCO₂e）</text>' + "".join(bars) + "</svg>"
        "<figcaption>图 3-1 规划各阶段碳排放量预测</figcaption></figure>"
    )


def sample_chapters() -> list[str]:
    """Three chapters and the derivation appendix, shaped like Python-Markdown output."""
    ch1 = """<h1>项目概述</h1>
<h2>规划概况</h2>
<p>本规划范围为某市高新区化工新材料产业园，规划面积 12.6 km<sup>2</sup>，规划期限为
2026—2035 年。规划以化工新材料、精细化工为主导产业，配套建设公用工程及环保基础设施。</p>
<h2>评价依据</h2>
<h3>法律法规</h3>
<ul><li>《中华人民共和国环境影响评价法》；</li>
<li>《关于加强高耗能、高排放建设项目生态环境源头防控的指导意见》（环环评〔2021〕45号）。</li></ul>
<h3>技术规范</h3>
<p>《规划环境影响评价技术导则 总纲》（HJ 130—2019）等。</p>
<p>表 1-1 评价范围与评价基准年</p>
<table><thead><tr><th>项目</th><th>内容</th></tr></thead>
<tbody><tr><td>评价范围</td><td>规划范围及其外延 5 km</td></tr>
<tr><td>基准年</td><td>2025 年</td></tr></tbody></table>
"""
    ch2 = (
        """<h1>碳排放现状调查与核算</h1>
<h2>核算边界</h2>
<p>核算边界包括燃料燃烧排放、工业生产过程排放以及净购入电力和热力隐含的排放。</p>
<h2>现状排放量</h2>
<p>现状年园区二氧化碳排放总量为 <span class="fig" data-key="E_total" title="式(2-1)">
1,840.26</span> 万tCO<sub>2</sub> <a class="deriv-ref" href="#d-1">〔1〕</a>，
各装置核算结果见表 2-2。</p>
"""
        + _long_table()
        + "\n<h3>排放强度</h3>\n<p>单位工业增加值二氧化碳排放为 2.31 tCO<sub>2</sub>/万元"
        ' <a class="deriv-ref" href="#d-2">〔2〕</a>。</p>\n'
    )
    ch3 = (
        """<h1>减污降碳措施与预测</h1>
<h2>排放预测</h2>
<p>规划实施后各阶段碳排放量预测见图 3-1。</p>
"""
        + _svg_chart()
        + """
<h2>减污降碳措施</h2>
<p>推进清洁能源替代，提高绿电使用比例，实施余热余压利用。</p>
<h1>计算过程</h1>
<ol class="derivations">
<li id="d-1">E<sub>总</sub> = E<sub>燃烧</sub> + E<sub>过程</sub> + E<sub>电热</sub> =
1,127.33+402.11+310.82=1,840.26 万tCO<sub>2</sub>；其中
E<sub>燃烧</sub>=Σ(AD<sub>i</sub>×NCV<sub>i</sub>×CC<sub>i</sub>×OF<sub>i</sub>×44/12)
=AD_natural_gas×NCV_natural_gas×CC_natural_gas×OF_natural_gas×44/12+AD_coal×NCV_coal×CC_coal×OF_coal×44/12。</li>
<li id="d-2">强度 = 1,840.26 万tCO<sub>2</sub> ÷ 796.6 亿元 = 2.31 tCO<sub>2</sub>/万元。</li>
<li id="d-3">单台装置：E<sub>i</sub> = AD<sub>i</sub> × EF<sub>i</sub> ÷ 1000。</li>
</ol>
"""
    )
    return [ch1, ch2, ch3]


# ------------------------------------------------------------------ helpers


def _render(**kwargs: object) -> bytes:
    options: dict[str, object] = {"attachments": {"ledger.json": LEDGER}, "created": CREATED}
    options.update(kwargs)
    return render_pdf(META, sample_chapters(), **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(_render())
    return path


def _text(path: Path, first: int | None = None, last: int | None = None) -> str:
    cmd = ["pdftotext", "-layout", "-enc", "UTF-8"]
    if first is not None:
        cmd += ["-f", str(first), "-l", str(last if last is not None else first)]
    cmd += [str(path), "-"]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _pages(path: Path) -> list[str]:
    return _text(path).split("\f")[:-1]


# ------------------------------------------------------------------ fast tests


def test_html_numbers_anchors_and_wraps_tables() -> None:
    source = build_html(META, sample_chapters(), created=CREATED)
    assert '<html lang="zh-CN">' in source
    assert '<meta name="generator" content="tanping">' in source
    assert '<meta name="dcterms.created" content="2026-11-02T08:30:00Z">' in source
    assert '<h1 id="sec-1">项目概述</h1>' in source
    assert '<a href="#sec-2">规划概况</a>' in source
    # caption paragraph + table -> figure.table with the caption above the table
    assert re.search(
        r'<figure class="table"><figcaption>表 2-2 现状年[^<]*</figcaption><table>', source
    )
    # the house font is injected into inline SVG, which WeasyPrint styles on its own
    assert '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="260" viewBox' in source
    assert 'font-family: "Noto Sans CJK SC"' in source
    # h3 are not in the contents; the appendix is
    assert "法律法规</a>" not in source
    assert '">计算过程</a>' in source


def test_meta_is_escaped() -> None:
    meta = PrintMeta(title="A<B & C", client="", assessor="", date="")
    source = build_html(meta, ["<h1>x</h1>"], created=CREATED)
    assert "<title>A&lt;B &amp; C</title>" in source
    assert "建设单位" not in source  # empty parties are left off the cover


def test_duplicate_heading_ids_are_renamed() -> None:
    # Python-Markdown converts chapter by chapter: its toc ids repeat across chapters
    chapters = [
        '<h1 id="_1">甲</h1><h3 id="_2">丁</h3><p id="sec-1" data-id="_3">x</p>',
        '<h1 id="_1">乙</h1><h2 id="_2">丙</h2><h2 id="_3">戊</h2>',
    ]
    source = build_html(META, chapters, created=CREATED)
    assert '<h1 id="_1">甲</h1>' in source
    assert '<h1 id="sec-2">乙</h1>' in source  # sec-1 is taken by the caller
    assert '<h2 id="sec-3">丙</h2>' in source  # _2 is the h3 of the first chapter
    assert '<a href="#sec-2">乙</a>' in source and '<a href="#sec-3">丙</a>' in source
    assert '<a href="#_3">戊</a>' in source  # data-id is not an id


def test_cjk_line_breaks_do_not_become_spaces() -> None:
    chapters = [
        "<h1>甲</h1>\n<p>核算结果见表，\n各装置 CO2\nemission 为\n2026 年。</p><pre>中\n文</pre>"
    ]
    source = build_html(META, chapters, created=CREATED)
    assert "核算结果见表，各装置 CO2 emission 为2026 年。" in source
    assert "<pre>中\n文</pre>" in source


def test_no_chapters_is_an_error() -> None:
    with pytest.raises(PrintError):
        render_pdf(META, [])


# ------------------------------------------------------------------ rendered PDF


@pytest.mark.slow
@needs_poppler
def test_contents_footer_and_captions(pdf_file: Path) -> None:
    pages = _pages(pdf_file)
    text = "\n".join(pages)
    assert "碳排放评价专章" in pages[0] and "规划编制单位：某市高新区管理委员会" in pages[0]
    assert "第" not in pages[0]  # no footer on the cover
    toc = pages[1]
    assert re.search(r"目\s*录", toc)
    for title in ("项目概述", "碳排放现状调查与核算", "减污降碳措施与预测", "计算过程"):
        assert re.search(rf"\d+\s+{title}\s*[. ]*\.\s*\d+\s*$", toc, re.M), title
    assert re.search(r"2\.2\s+现状排放量\s*[. ]*\.\s*\d+\s*$", toc, re.M)
    # the body is numbered from 1; the total counts the body pages
    body = pages[2:]
    total = len(body)
    # pdftotext drops the narrow spaces of "第 1 页 共 6 页"
    for number, page in enumerate(body, 1):
        assert re.search(rf"第\s*{number}\s*页\s*共\s*{total}\s*页", page), number
    assert re.search(r"^\s*1\s+项目概述", body[0], re.M)
    assert re.search(r"^\s*1\.1\s+规划概况", body[0], re.M)
    assert re.search(r"^\s*1\.2\.1\s+法律法规", body[0], re.M)
    # every contents entry gives the body page its heading is on
    entries = re.findall(r"^\s*(\d+(?:\.\d+)?)\s+(\S+?)\s*(?:\.\s*)+(\d+)\s*$", toc, re.M)
    assert len(entries) == 10
    for number, title, page in entries:
        heading = re.compile(rf"^\s*{re.escape(number)}\s+{re.escape(title)}", re.M)
        assert heading.search(body[int(page) - 1]), (number, title, page)
    assert "表 2-2 现状年各装置二氧化碳排放量核算表" in text
    assert "表 1-1 评价范围与评价基准年" in text
    assert "图 3-1 规划各阶段碳排放量预测" in text
    assert "排放量（tCO" in text  # SVG text is real text, in a CJK font


@pytest.mark.slow
@needs_poppler
def test_long_table_repeats_header(pdf_file: Path) -> None:
    pages = _pages(pdf_file)
    with_rows = [n for n, page in enumerate(pages, 1) if "装置" in page and "燃料燃烧" in page]
    assert len(with_rows) >= 2, "the 80-row table should split over pages"
    second = _text(pdf_file, with_rows[1])
    assert re.search(r"序号\s+排放源\s+活动水平", second)
    assert "表 2-2" not in second  # the caption is not repeated
    assert f"装置{LONG_ROWS:02d}" in "\n".join(pages)


@pytest.mark.slow
@needs_poppler
def test_fonts_embedded(pdf_file: Path) -> None:
    out = subprocess.run(
        ["pdffonts", str(pdf_file)], check=True, capture_output=True, text=True
    ).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        # name type encoding emb sub uni object ID
        assert re.search(r"\s(yes)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row), row
    # WeasyPrint names the subsets after the Pango family: "ABCDEF+Noto-Serif-CJK-SC"
    names = " ".join(row.split()[0] for row in rows).replace("-", "")
    assert "NotoSerifCJK" in names
    assert "NotoSansCJK" in names


@pytest.mark.slow
def test_metadata_bookmarks_links_and_attachment(pdf_file: Path) -> None:
    reader = PdfReader(pdf_file)
    info = reader.metadata
    assert info is not None
    assert info.title == META.title
    assert info.author == META.assessor
    assert info.subject == META.subtitle
    assert info["/Keywords"] == "碳排放评价, 规划环评, 减污降碳"
    assert info.creator == "tanping"
    assert info["/CreationDate"] == info["/ModDate"] == "D:20261102083000Z"
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"
    assert reader.attachments == {"ledger.json": [LEDGER]}

    outline = reader.outline
    top = [item.title for item in outline if not isinstance(item, list)]
    assert top == [
        "目录",
        "1 项目概述",
        "2 碳排放现状调查与核算",
        "3 减污降碳措施与预测",
        "4 计算过程",
    ]
    children = next(item for item in outline if isinstance(item, list))
    assert [item.title for item in children] == ["1.1 规划概况", "1.2 评价依据"]

    # links to the derivation appendix are internal (named destinations), not URIs
    dests = reader.named_destinations
    assert {"d-1", "d-2", "d-3", "sec-1"} <= set(dests)
    internal = external = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A")
            if action is not None and action.get("/S") == "/URI":
                external += 1
            elif annot.get("/Dest") is not None or (action and action.get("/S") == "/GoTo"):
                internal += 1
    assert external == 0
    assert internal > LONG_ROWS  # contents entries + derivation references


@pytest.mark.slow
def test_no_weasyprint_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="weasyprint")
    _render()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


@pytest.mark.slow
@needs_poppler
def test_appendix_heading(tmp_path: Path) -> None:
    chapters = [
        "<h1>概述</h1><p>正文。</p>",
        '<h1 class="appendix">计算过程</h1><h2>排放量</h2><ol><li id="d-1">E = 1 + 2</li></ol>',
    ]
    path = tmp_path / "appendix.pdf"
    path.write_bytes(render_pdf(META, chapters, created=CREATED))
    pages = _pages(path)
    assert re.search(r"附录A\s+计算过程\s*[. ]*\.\s*2\s*$", pages[1], re.M)
    assert re.search(r"A\.1\s+排放量\s*[. ]*\.\s*2\s*$", pages[1], re.M)
    assert re.search(r"^\s*附录A\s+计算过程", pages[3], re.M)
    outline = PdfReader(path).outline
    assert [item.title for item in outline if not isinstance(item, list)][-1] == "附录A 计算过程"


@pytest.mark.slow
def test_required_font_missing_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    # as if fontconfig had substituted another family for the body font
    monkeypatch.setattr(pdf_module, "BODY_FONT", "Noto Serif CJK XX")
    with pytest.raises(PrintError, match="未嵌入所需字体 Noto Serif CJK XX"):
        render_pdf(META, ["<h1>概述</h1><p>正文。</p>"], created=CREATED)


@pytest.mark.slow
def test_reproducible_bytes(pdf_file: Path) -> None:
    assert _render() == pdf_file.read_bytes()
    # another process, another hash seed (set/dict order of strings): same bytes
    script = (
        "import hashlib, sys; from tests.test_pdf import _render; "
        "sys.stdout.write(hashlib.sha256(_render()).hexdigest())"
    )
    digest = subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONHASHSEED": "4242"},
    ).stdout
    assert digest == hashlib.sha256(pdf_file.read_bytes()).hexdigest()


@pytest.mark.slow
def test_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    chapters = ["<h1>概述</h1><p>正文。</p>"]
    reader = PdfReader(io.BytesIO(render_pdf(META, chapters)))
    assert reader.metadata is not None
    assert reader.metadata["/CreationDate"] == "D:20260101000000Z"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    reader = PdfReader(io.BytesIO(render_pdf(META, chapters)))
    assert reader.metadata is not None
    assert reader.metadata["/ModDate"] == "D:20000101000000Z"


@pytest.mark.slow
def test_pdf_a3b() -> None:
    data = _render(pdf_a=True)
    assert data == _render(pdf_a=True)
    reader = PdfReader(io.BytesIO(data))
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert xmp.pdfaid_part == "3" or str(xmp.pdfaid_part) == "3"
    assert xmp.pdfaid_conformance == "B"
    root = reader.trailer["/Root"]
    intents = root["/OutputIntents"]
    assert intents and intents[0].get_object()["/S"] == "/GTS_PDFA1"
    assert "/DestOutputProfile" in intents[0].get_object()
    assert reader.attachments == {"ledger.json": [LEDGER]}
    # PDF/A-3: the attachment is associated with the document (AF) as data
    af = [spec.get_object() for spec in root["/AF"]]
    assert [(spec["/UF"], spec["/AFRelationship"]) for spec in af] == [("ledger.json", "/Data")]
    assert reader.trailer.get("/ID")


@pytest.mark.slow
@needs_poppler
def test_pdf_a_fonts_embedded(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(_render(pdf_a=True))
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True)
    rows = out.stdout.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows)


def _missing_char() -> str:
    """A code point no installed font covers (checked with fontconfig when available)."""
    for char in ("\U0001f9ea", "\ue000", "\U0010fffd"):
        if shutil.which("fc-list") is None:
            return char
        found = subprocess.run(
            ["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True
        ).stdout.strip()
        if not found:
            return char
    pytest.skip("every candidate character is covered by an installed font")


@pytest.mark.slow
def test_missing_glyph_raises() -> None:
    char = _missing_char()
    chapters = [f"<h1>概述</h1><p>试管符号 {char} 无字形。</p>"]
    with pytest.raises(PrintError, match=r"字形") as info:
        render_pdf(META, chapters, created=CREATED)
    assert f"U+{ord(char):04X}" in str(info.value)


@pytest.mark.slow
def test_missing_glyph_in_svg_raises() -> None:
    char = _missing_char()
    chapters = [
        '<h1>概述</h1><figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" '
        f'width="100" height="40"><text x="5" y="20">图例{char}</text></svg>'
        "<figcaption>图 1-1 示意</figcaption></figure>"
    ]
    with pytest.raises(PrintError):
        render_pdf(META, chapters, created=CREATED)


@pytest.mark.slow
def test_remote_resources_are_refused() -> None:
    chapters = ['<h1>概述</h1><p><img src="https://example.com/x.png" alt="x"></p>']
    with pytest.raises(PrintError, match="资源"):
        render_pdf(META, chapters, created=CREATED)

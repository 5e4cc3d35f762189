"""The Word copy of a report (``tanping docx``): the print chapters laid out with python-docx.

The chapters are rendered exactly as for the PDF (print mode, headings numbered by
:func:`render.number_headings`, Python-Markdown with the site's extensions). The HTML is walked
once: headings, paragraphs, lists and notes become Word paragraphs in the styles of the reference
document ``print/reference.docx`` (A4; body 宋体 小四 with Noto Serif CJK SC named as its
alternative, headings 黑体 with Noto Sans CJK SC). A ``<figure class="table">`` is not read back
from its HTML: the :class:`render.Table` object the renderer built for it (kept in
``ReportRenderer.built_tables``) is laid out as a three-line Word table, with the same row and
column spans, header rows repeated on every page and numbers right-aligned as displayed. A chart
or the map is the same SVG, drawn by WeasyPrint and rasterised by poppler at print resolution.

The 计算过程 appendix is the compact one: per figure its label, formula, substituted values and
result; no ledger keys, data locations or source rows (internal words of a filed document).

Why python-docx, not pandoc: the tables must come from the Table objects, not from a second
layout parsed out of HTML, and Word needs per-cell alignment, three-line borders and repeated
header rows that pandoc's writer does not set. See README, "Word and Excel".
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import markdown
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from lxml import html as lxml_html
from lxml.etree import _Element

from tanping.calc.errors import TanpingError
from tanping.templates.layout import fit
from tanping.templates.pdf import BODY_FONT, HEADING_FONT
from tanping.templates.render import (
    Cell,
    ReportRenderer,
    Table,
    chapter_files,
    number_headings,
)

__all__ = ["DocxError", "docx_name", "export_docx", "make_reference", "svg_png"]

REFERENCE = Path(__file__).resolve().parent / "print" / "reference.docx"
BODY_FACE = "宋体"  # Song: the body face Chinese documents are filed in
HEADING_FACE = "黑体"  # Hei: headings and tables' header rows
LATIN_FACE = "Times New Roman"
XIAO_SI = Pt(12)  # 小四
WU_HAO = Pt(10.5)  # 五号: tables, captions, notes
XIAO_WU = Pt(9)  # 小五: table cells, as in the print (templates/layout.py measures in it)
SMALL_TABLE = Pt(7.5)  # a wide table set smaller, as in the print
HEADING_SIZES = {1: Pt(16), 2: Pt(14), 3: Pt(12), 4: Pt(12)}  # 三号, 四号, 小四, 小四
TEXT_WIDTH = Cm(16)  # A4 less 2.5 cm margins
PRINT_DPI = 300
RULE_HEAVY = 12  # eighths of a point: the top and bottom lines of a three-line table
RULE_LIGHT = 6  # the line under the header rows


class DocxError(TanpingError):
    """The Word copy cannot be written (an image that cannot be drawn, an unwritable file)."""


def docx_name(folder: Path, *, draft: bool = False) -> str:
    """``<slug>.docx``, ``<slug>-草稿.docx`` for a draft (as :func:`publish.pdf_name`)."""
    from tanping.templates.publish import output_name

    return output_name(folder, ".docx", draft=draft)


# ---- the reference document ------------------------------------------------------------------


def _fonts(element: Any, east_asia: str, latin: str = LATIN_FACE) -> None:
    """Set the w:rFonts of a style's or run's properties (Latin and East Asian faces)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def _font_table_alternatives(document: DocumentObject) -> None:
    """Name Noto CJK as the alternative of 宋体 and 黑体 in the font table (w:altName): a
    machine without the Windows faces draws the text in Noto, never in a box."""
    part = document.part
    font_part = next(
        (rel.target_part for rel in part.rels.values() if rel.reltype.endswith("/fontTable")),
        None,
    )
    if font_part is None:
        return
    from lxml import etree

    root = etree.fromstring(font_part.blob)
    for face, alternative, family in (
        (BODY_FACE, BODY_FONT, "roman"),
        (HEADING_FACE, HEADING_FONT, "swiss"),
    ):
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), face)
        alt = etree.SubElement(font, qn("w:altName"))
        alt.set(qn("w:val"), alternative)
        charset = etree.SubElement(font, qn("w:charset"))
        charset.set(qn("w:val"), "86")  # GB2312
        fam = etree.SubElement(font, qn("w:family"))
        fam.set(qn("w:val"), family)
    font_part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def make_reference(path: Path = REFERENCE) -> Path:
    """Write the reference document whose styles every Word copy uses (kept in the repository;
    ``python -m tanping.templates.word`` writes it again after a change here)."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.54), Cm(2.54)
    styles = document.styles
    normal = styles["Normal"]
    _fonts(normal.element, BODY_FACE)
    normal.font.size = XIAO_SI
    normal.paragraph_format.line_spacing = 1.5
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.first_line_indent = Pt(24)  # two characters
    for level in (1, 2, 3, 4):
        style = styles[f"Heading {level}"]
        _fonts(style.element, HEADING_FACE)
        style.font.size = HEADING_SIZES[level]
        style.font.bold = level <= 2
        style.font.italic = False
        style.font.color.rgb = None
        style.paragraph_format.first_line_indent = Pt(0)
        style.paragraph_format.space_before = Pt(12 if level == 1 else 6)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True
        if level == 1:
            style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = styles["Title"]
    _fonts(title.element, HEADING_FACE)
    title.font.size = Pt(22)
    title.font.color.rgb = None
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = styles["Caption"]
    _fonts(caption.element, HEADING_FACE)
    caption.font.size = WU_HAO
    caption.font.bold = False
    caption.font.italic = False
    caption.font.color.rgb = None
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.first_line_indent = Pt(0)
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.space_after = Pt(3)
    from docx.enum.style import WD_STYLE_TYPE

    for name, face, size, indent in (
        ("Table Text", BODY_FACE, WU_HAO, 0),
        ("Table Note", BODY_FACE, Pt(9), 0),
        ("Derivation", BODY_FACE, WU_HAO, 0),
        ("Figure", BODY_FACE, XIAO_SI, 0),
        ("Note Box", BODY_FACE, XIAO_SI, 24),
    ):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        _fonts(style.element, face)
        style.font.size = size
        style.paragraph_format.first_line_indent = Pt(indent)
        style.paragraph_format.line_spacing = 1.0 if name != "Note Box" else 1.5
        if name == "Figure":
            style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            style.paragraph_format.keep_with_next = True
    styles["Table Note"].paragraph_format.space_after = Pt(6)
    _font_table_alternatives(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


# ---- charts -------------------------------------------------------------------------------------

_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"', re.S)


def svg_png(svg: str, dpi: int = PRINT_DPI) -> tuple[bytes, float]:
    """A chart's SVG as a PNG at ``dpi`` and its width in points: drawn by WeasyPrint (the
    fonts of the PDF) on a page the size of the SVG, rasterised by ``pdftoppm``."""
    import weasyprint

    match = _SVG_SIZE.search(svg)
    width, height = (float(match.group(1)), float(match.group(2))) if match else (640.0, 360.0)
    page = (
        f"<style>@page {{ size: {width}px {height}px; margin: 0 }} html, body {{ margin: 0 }}"
        f' svg {{ display: block }} text, tspan {{ font-family: "{HEADING_FONT}" }}</style>{svg}'
    )
    pdf = weasyprint.HTML(string=page).write_pdf()
    with tempfile.TemporaryDirectory(prefix="tanping-svg-") as tmp:
        source = Path(tmp) / "chart.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(
                ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(source), f"{tmp}/chart"],
                check=True,
                capture_output=True,
                timeout=120,
            )
        except (OSError, subprocess.SubprocessError) as err:
            raise DocxError(
                f"无法把图表转为 PNG：{err}",
                "需要 poppler-utils 的 pdftoppm（scripts/system-deps.sh 会安装）",
            ) from err
        return (Path(tmp) / "chart.png").read_bytes(), width * 0.75


# ---- tables -------------------------------------------------------------------------------------


def _border(parent: Any, tag: str, edges: dict[str, int]) -> None:
    """Set borders ``edges`` (edge -> width in eighths of a point, 0 for none) in ``parent``."""
    borders = parent.find(qn(tag))
    if borders is None:
        borders = OxmlElement(tag)
        parent.append(borders)
    for edge, size in edges.items():
        element = borders.find(qn(f"w:{edge}"))
        if element is None:
            element = OxmlElement(f"w:{edge}")
            borders.append(element)
        element.set(qn("w:val"), "single" if size else "nil")
        if size:
            element.set(qn("w:sz"), str(size))
            element.set(qn("w:space"), "0")
            element.set(qn("w:color"), "000000")


def grid(table: Table) -> tuple[list[list[tuple[int, Cell | None]]], int]:
    """The table as a grid: per row, the (column, cell) of each cell that starts there, and
    ``None`` for a position covered by a row span from above. Returns the rows and the column
    count; the same placement as HTML's table model."""
    rows = [*table.head, *table.body]
    covered: dict[tuple[int, int], Cell] = {}
    placed: list[list[tuple[int, Cell | None]]] = []
    columns = 0

    def skip_covered(r: int, c: int, out: list[tuple[int, Cell | None]]) -> int:
        while (r, c) in covered:
            out.append((c, None))
            c += covered[(r, c)].colspan
        return c

    for r, row in enumerate(rows):
        out: list[tuple[int, Cell | None]] = []
        c = 0
        for cell in row:
            c = skip_covered(r, c, out)
            out.append((c, cell))
            for dr in range(1, cell.rowspan):
                covered[(r + dr, c)] = cell
            c += cell.colspan
        c = skip_covered(r, c, out)
        columns = max(columns, c)
        placed.append(out)
    return placed, columns


def spans(table: Table) -> list[tuple[int, int, int, int]]:
    """(row, column, rowspan, colspan) of every cell of ``table``, for comparing layouts."""
    placed, _ = grid(table)
    return [
        (r, c, cell.rowspan, cell.colspan)
        for r, row in enumerate(placed)
        for c, cell in row
        if cell is not None
    ]


class _Writer:
    """Walks the print HTML of one report into a python-docx document."""

    def __init__(self, document: DocumentObject, page: ReportRenderer) -> None:
        self.document = document
        self.page = page
        self.bookmarks = 0

    # -- inline content
    def inline(self, paragraph: Paragraph, element: _Element, fmt: dict[str, bool]) -> None:
        if element.text:
            self._run(paragraph, element.text, fmt)
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            css = (child.get("class") or "").split()
            style = dict(fmt)
            if tag == "br":
                paragraph.add_run().add_break()
            elif tag in ("strong", "b"):
                style["bold"] = True
                self.inline(paragraph, child, style)
            elif tag in ("em", "i"):
                style["italic"] = True
                self.inline(paragraph, child, style)
            elif tag == "sup" or "deriv-ref" in css:
                style["superscript"] = True
                self.inline(paragraph, child, style)
            elif tag == "sub":
                style["subscript"] = True
                self.inline(paragraph, child, style)
            elif tag:
                self.inline(paragraph, child, style)
            if child.tail:
                self._run(paragraph, child.tail, fmt)

    @staticmethod
    def _run(paragraph: Paragraph, text: str, fmt: dict[str, bool]) -> None:
        text = re.sub(r"\s*\n\s*", "", text) if _cjk_breaks(text) else text.replace("\n", " ")
        if not text:
            return
        run = paragraph.add_run(text)
        run.bold = fmt.get("bold") or None
        run.italic = fmt.get("italic") or None
        if fmt.get("superscript"):
            run.font.superscript = True
        if fmt.get("subscript"):
            run.font.subscript = True

    # -- blocks
    def blocks(self, parent: _Element) -> None:
        if parent.text and parent.text.strip():
            self.inline(self.document.add_paragraph(), _text_element(parent.text), {})
        for element in parent:
            self.block(element)

    def block(self, element: _Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        css = (element.get("class") or "").split()
        if re.fullmatch(r"h[1-6]", tag):
            level = min(int(tag[1]), 4)
            paragraph = self.document.add_heading(level=level)
            self.inline(paragraph, element, {})
            if level == 1 and len(self.document.paragraphs) > 3:
                paragraph.paragraph_format.page_break_before = True
        elif tag == "p":
            style = "Table Note" if "table-note" in css else None
            self.inline(self.document.add_paragraph(style=style), element, {})
        elif tag in ("ol", "ul"):
            self.listing(element, ordered=tag == "ol")
        elif tag == "figure" and "table" in css:
            self.table_figure(element)
        elif tag == "figure" and "chart" in css:
            self.chart(element)
        elif tag == "table":
            self.html_table(element)
        elif tag == "div" and "admonition" in css:
            for child in element:
                paragraph = self.document.add_paragraph(style="Note Box")
                self.inline(
                    paragraph, child, {"bold": "admonition-title" in (child.get("class") or "")}
                )
        elif tag == "pre":
            self.document.add_paragraph(element.text_content(), style="Table Text")
        elif tag in ("div", "section", "blockquote"):
            self.blocks(element)
        elif tag == "hr" or not tag:
            return
        else:
            self.inline(self.document.add_paragraph(), element, {})

    def listing(self, element: _Element, *, ordered: bool) -> None:
        start = int(element.get("start", "1") or 1)
        for n, item in enumerate((li for li in element if li.tag == "li"), start):
            paragraph = self.document.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(-18)
            paragraph.paragraph_format.left_indent = Pt(42)
            number = item.get("value") or str(n)
            paragraph.add_run(f"{number}.\t" if ordered else "•\t")
            nested = [c for c in item if c.tag in ("ol", "ul", "p")]
            if any(c.tag == "p" for c in nested):  # a loose list: paragraphs in the item
                for child in item:
                    if child.tag == "p":
                        self.inline(paragraph, child, {})
                        paragraph = self.document.add_paragraph()
                        paragraph.paragraph_format.left_indent = Pt(42)
                    elif child.tag in ("ol", "ul"):
                        self.listing(child, ordered=child.tag == "ol")
                continue
            text_only = _copy_without(item, ("ol", "ul"))
            self.inline(paragraph, text_only, {})
            for child in item:
                if child.tag in ("ol", "ul"):
                    self.listing(child, ordered=child.tag == "ol")

    def table_figure(self, element: _Element) -> None:
        table_id = element.get("id", "")
        table = self.page.built_tables.get(table_id)
        if table is None:  # not one of tanping's tables: lay out its HTML
            caption = element.find("figcaption")
            if caption is not None:
                self.inline(self.document.add_paragraph(style="Caption"), caption, {})
            for child in element:
                if child.tag == "table":
                    self.html_table(child)
                elif child.tag == "p":
                    self.block(child)
            return
        number = self.page.numbering.tables.get(table_id, "?")
        caption = self.document.add_paragraph(style="Caption")
        caption.paragraph_format.keep_with_next = True
        self._bookmark(caption, table_id)
        caption.add_run(f"表 {number}　")
        self.inline(caption, _markup_element(table.caption), {})
        for index, part in enumerate(fit(table)):  # the print's widths; a split table in parts
            if index:
                cont = self.document.add_paragraph(style="Caption")
                cont.paragraph_format.keep_with_next = True
                cont.add_run(f"表 {number}（续）")
            self.table(part)
        for note in table.notes:
            self.inline(self.document.add_paragraph(style="Table Note"), _markup_element(note), {})

    def _bookmark(self, paragraph: Paragraph, name: str) -> None:
        start = OxmlElement("w:bookmarkStart")
        self.bookmarks += 1
        index = str(self.bookmarks)
        start.set(qn("w:id"), index)
        start.set(qn("w:name"), f"_tp_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"[:40])
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), index)
        paragraph._p.append(start)
        paragraph._p.append(end)

    def table(self, table: Table) -> None:
        """A :class:`render.Table` as a three-line Word table with its spans."""
        placed, columns = grid(table)
        head_rows = len(table.head)
        word = self.document.add_table(rows=0, cols=columns)
        word.alignment = WD_TABLE_ALIGNMENT.CENTER
        tbl = word._tbl
        tbl_pr = tbl.tblPr
        style = tbl_pr.find(qn("w:tblStyle"))
        if style is not None:
            tbl_pr.remove(style)
        width = OxmlElement("w:tblW")
        width.set(qn("w:w"), "5000")
        width.set(qn("w:type"), "pct")
        tbl_pr.append(width)
        _border(
            tbl_pr,
            "w:tblBorders",
            {
                "top": RULE_HEAVY,
                "bottom": RULE_HEAVY,
                "left": 0,
                "right": 0,
                "insideH": 0,
                "insideV": 0,
            },
        )
        shares = _column_widths(tbl, placed, columns, table.widths)
        layout = OxmlElement("w:tblLayout")  # the widths as given: Word and LibreOffice alike
        layout.set(qn("w:type"), "fixed")
        tbl_pr.append(layout)
        small = table.size in ("small", "landscape")
        for r, row in enumerate(placed):
            tr = OxmlElement("w:tr")
            tr_pr = OxmlElement("w:trPr")
            if r < head_rows:
                header = OxmlElement("w:tblHeader")  # repeated on every page
                tr_pr.append(header)
            cant_split = OxmlElement("w:cantSplit")
            tr_pr.append(cant_split)
            tr.append(tr_pr)
            for _, cell in row:
                tc = OxmlElement("w:tc")
                tc_pr = OxmlElement("w:tcPr")
                source = cell if cell is not None else _covering(placed, r, _)
                cell_width = OxmlElement("w:tcW")
                cell_width.set(qn("w:w"), str(sum(shares[_ : _ + source.colspan])))
                cell_width.set(qn("w:type"), "dxa")
                tc_pr.append(cell_width)
                if source.colspan > 1:
                    span = OxmlElement("w:gridSpan")
                    span.set(qn("w:val"), str(source.colspan))
                    tc_pr.append(span)
                if source.rowspan > 1 or cell is None:
                    merge = OxmlElement("w:vMerge")
                    if cell is not None:
                        merge.set(qn("w:val"), "restart")
                    tc_pr.append(merge)
                valign = OxmlElement("w:vAlign")
                valign.set(qn("w:val"), "center")
                tc_pr.append(valign)
                if r == head_rows - 1 or (cell is not None and r + cell.rowspan == head_rows):
                    _border(tc_pr, "w:tcBorders", {"bottom": RULE_LIGHT})
                tc.append(tc_pr)
                tr.append(tc)
                wrapped = _Cell(tc, word)
                paragraph = wrapped.add_paragraph(style="Table Text")
                if cell is None:
                    continue
                head = r < head_rows or cell.head
                if cell.num and r >= head_rows:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                elif head or cell.colspan > 1:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                bold = "total" in cell.css.split()
                self.inline(paragraph, _markup_element(cell.content), {"bold": bold})
                for run in paragraph.runs:  # the sizes the print layout measured widths in
                    run.font.size = SMALL_TABLE if small else XIAO_WU
            tbl.append(tr)
        self.document.add_paragraph(style="Table Note").paragraph_format.space_after = Pt(0)

    def html_table(self, element: _Element) -> None:
        """A table written in a chapter's Markdown (not one of tanping's): its cells as given."""
        head: list[list[Cell]] = []
        body: list[list[Cell]] = []
        for tr in element.iter("tr"):
            in_head = tr.getparent() is not None and tr.getparent().tag == "thead"
            cells = [
                Cell(
                    _Inner(cell),
                    colspan=int(cell.get("colspan", "1")),
                    rowspan=int(cell.get("rowspan", "1")),
                    num="num" in (cell.get("class") or "")
                    or "right" in (cell.get("style") or cell.get("align") or ""),
                    head=cell.tag == "th",
                )
                for cell in tr
                if cell.tag in ("td", "th")
            ]
            (head if in_head else body).append(cells)
        self.table(Table("", "", head, body))

    def chart(self, element: _Element) -> None:
        figure_id = element.get("id", "")
        caption_text, svg = self.page.built_charts.get(figure_id, ("", ""))
        if not svg:
            found = element.find(".//svg")
            svg = lxml_html.tostring(found, encoding="unicode") if found is not None else ""
        if svg:
            png, width = svg_png(svg)
            paragraph = self.document.add_paragraph(style="Figure")
            shown = min(Pt(width), TEXT_WIDTH)
            paragraph.add_run().add_picture(io.BytesIO(png), width=shown)
        number = self.page.numbering.figures.get(figure_id, "?")
        caption = self.document.add_paragraph(style="Caption")
        self._bookmark(caption, figure_id)
        caption.add_run(f"图 {number}　")
        self.inline(caption, _markup_element(caption_text), {})

    def appendix(self, title: str) -> None:
        """The compact 计算过程: per figure printed, label, formula, substitution and result."""
        heading = self.document.add_heading(title, level=1)
        heading.paragraph_format.page_break_before = True
        intro = (
            "本附录列出正文与表中每个带〔n〕标记的数值的计算公式与代入数值；"
            "结果为未修约值，正文按修约规则显示。"
        )
        self.document.add_paragraph(intro)
        root = lxml_html.fragment_fromstring(str(self.page.derivations()), create_parent="div")
        for item in root.iter("li"):
            if "d-" not in (item.get("id") or ""):
                continue
            number = item.get("value", "")
            head = item.find(".//strong")
            label = head.text_content() if head is not None else ""
            parts = []
            for p in item.findall("p"):
                text = p.text_content().strip()
                if text.startswith(("公式：", "代入：")):
                    parts.append(text)
                elif text.startswith("结果："):
                    parts.append(text.split("（", 1)[0])
            paragraph = self.document.add_paragraph(style="Derivation")
            paragraph.paragraph_format.left_indent = Pt(28)
            paragraph.paragraph_format.first_line_indent = Pt(-28)
            paragraph.paragraph_format.space_after = Pt(3)
            paragraph.add_run(f"〔{number}〕").bold = True
            paragraph.add_run(f"{label}。").bold = True
            paragraph.add_run("；".join(parts) + "。")


class _Inner(str):
    """The inner HTML of a Markdown table cell, kept as markup."""

    def __new__(cls, element: _Element) -> _Inner:
        inner = (element.text or "") + "".join(
            lxml_html.tostring(child, encoding="unicode") for child in element
        )
        return super().__new__(cls, inner)

    def __html__(self) -> str:
        return str(self)


def _column_widths(
    tbl: Any,
    placed: list[list[tuple[int, Cell | None]]],
    columns: int,
    percent: list[float] | None = None,
) -> list[int]:
    """Set the grid's column widths (twips) and return them: the print layout's widths where
    the table has them (:func:`templates.layout.fit`), else in proportion to the longest text of
    a single-column cell (a Chinese character counting two), at least 3, at most 24."""
    if percent is not None and len(percent) == columns:
        weights = list(percent)
    else:
        weights = [3.0] * columns
        for row in placed:
            for c, cell in row:
                if cell is None or cell.colspan != 1:
                    continue
                text = _markup_element(cell.content).text_content()
                longest = max((_width(line) for line in text.split("\n")), default=0)
                weights[c] = max(weights[c], min(float(longest), 24.0))
    total = sum(weights)
    twips = [int(TEXT_WIDTH.twips * weight / total) for weight in weights]
    for col, width in zip(tbl.tblGrid.findall(qn("w:gridCol")), twips, strict=True):
        col.set(qn("w:w"), str(width))
    return twips


def _width(text: str) -> int:
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)


def _covering(placed: list[list[tuple[int, Cell | None]]], row: int, column: int) -> Cell:
    for r in range(row - 1, -1, -1):
        for c, cell in placed[r]:
            if c == column and cell is not None:
                return cell
    raise AssertionError("a covered position without a cell above")


def _cjk_breaks(text: str) -> bool:
    return "\n" in text and bool(re.search(r"[\u3000-\u9fff\uff00-\uffef]", text))


def _text_element(text: str) -> _Element:
    element = lxml_html.Element("span")
    element.text = text
    return element


def _markup_element(content: Any) -> _Element:
    """A cell's or caption's content as an element: markup parsed, plain text as text."""
    if hasattr(content, "__html__"):
        source = str(content.__html__())
        if "<" not in source and "&" not in source:
            return _text_element(source)
        return lxml_html.fragment_fromstring(source, create_parent="span")
    return _text_element(str(content))


def _copy_without(element: _Element, tags: Iterable[str]) -> _Element:
    copy = lxml_html.fragment_fromstring(
        lxml_html.tostring(element, encoding="unicode"), create_parent="span"
    )[0]
    for child in list(copy):
        if child.tag in tags:
            tail = child.tail
            copy.remove(child)
            if tail:
                copy.text = (copy.text or "") + tail
    return copy


# ---- the document --------------------------------------------------------------------------------


def build_document(page: ReportRenderer, *, draft: bool) -> DocumentObject:
    """The Word document of a computed, numbered report (``page`` in print mode)."""
    from tanping.templates.publish import (
        APPENDIX_TITLE,
        DRAFT_MARK,
        MARKDOWN_EXTENSIONS,
        print_meta,
    )

    document = Document(str(REFERENCE))
    body = document.element.body
    for child in list(body):  # the reference's own paragraphs; its section properties stay
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    meta = print_meta(page.report)
    core = document.core_properties
    core.title = meta.title
    core.subject = meta.subtitle
    core.keywords = "，".join(meta.keywords)
    core.author = meta.assessor or "tanping"
    import datetime as dt

    core.created = core.modified = dt.datetime(2000, 1, 1)
    core.last_modified_by = ""
    core.revision = 1
    if draft:
        header = document.sections[0].header.paragraphs[0]
        header.text = DRAFT_MARK
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph(meta.title, style="Title")
    subtitle = document.add_paragraph(meta.subtitle, style="Caption")
    subtitle.runs[0].font.size = Pt(16)
    writer = _Writer(document, page)
    for path in chapter_files(page.folder):
        text = number_headings(page.render_chapter(path), page.chapter_number(path))
        html = markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
        writer.blocks(lxml_html.fragment_fromstring(html, create_parent="div"))
    writer.appendix(APPENDIX_TITLE)
    return document


def export_docx(folder: Path, out: Path) -> Path:
    """Write the Word copy of the report in ``folder``; ``out`` is the file, or a folder to
    write :func:`docx_name` into. Returns the file written."""
    from tanping.templates.filing import filing_problems
    from tanping.templates.publish import renderer, write_output

    page = renderer(folder, mode="print")
    draft = bool(filing_problems(page))
    if out.suffix.lower() != ".docx":
        out = out / docx_name(folder, draft=draft)
    document = build_document(page, draft=draft)
    buffer = io.BytesIO()
    document.save(buffer)
    return write_output(out, buffer.getvalue(), "Word 文件", DocxError)


if __name__ == "__main__":
    print(make_reference())

"""The Excel copy of a report's tables (``tanping xlsx``), written with openpyxl.

One sheet per table, in document order, named after its number (``表 6-2``): the caption in the
first row, then the header rows and the body of the :class:`render.Table` object the renderer
built (``ReportRenderer.built_tables``), never a second layout, with the same merged cells.
A number is a number: the unrounded ledger figure behind the cell (scaled as the table shows it,
万 tCO₂e …), with the displayed rounding as its number format, so that the sheet shows what the
report prints and sums what the ledger holds. Units stay where the table puts them, in its
header. A last sheet, 台账, lists the whole ledger: key, label, value, unit, derivation.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Any

from lxml import html as lxml_html
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from tanping.calc.errors import TanpingError
from tanping.calc.ledger import Derivation
from tanping.templates.render import ReportRenderer, Table, chapter_files
from tanping.templates.word import grid
from tanping.units.format import label

__all__ = ["XlsxError", "build_workbook", "cell_number", "export_xlsx", "xlsx_name"]

LEDGER_SHEET = "台账"
FONT = "Noto Sans CJK SC"
_NUMBER = re.compile(
    r"^(?P<sign>[−-])?(?P<int>\d{1,3}(?:,\d{3})*|\d+)(?:\.(?P<dec>\d+))?(?P<pct>%)?$"
)
_HEAVY = Side(style="medium")
_LIGHT = Side(style="thin")


class XlsxError(TanpingError):
    """The Excel copy cannot be written."""


def xlsx_name(folder: Path, *, draft: bool = False) -> str:
    from tanping.templates.publish import output_name

    return output_name(folder, ".xlsx", draft=draft)


def cell_number(content: Any) -> tuple[float, int, bool, str | None] | None:
    """A number cell's displayed value, its decimals, whether it is a percentage and the ledger
    key it shows (from the print markup), or ``None`` for text."""
    source = str(content.__html__()) if hasattr(content, "__html__") else str(content)
    element = lxml_html.fragment_fromstring(source or " ", create_parent="span")
    key = None
    for figure in element.iter("span"):
        if "fig" in (figure.get("class") or "").split():
            key = figure.get("data-key")
    for ref in element.iter("a", "sup"):
        ref.drop_tree()
    text = element.text_content().strip().replace("\u2009", "").replace(" ", "")
    match = _NUMBER.match(text)
    if match is None:
        return None
    decimals = len(match.group("dec") or "")
    shown = float(f"{match.group('int').replace(',', '')}.{match.group('dec') or '0'}")
    if match.group("sign"):
        shown = -shown
    return shown, decimals, bool(match.group("pct")), key


def _value(page: ReportRenderer, shown: float, decimals: int, key: str | None) -> float:
    """The unrounded value behind a displayed number: the ledger figure, scaled by the power of
    ten the table shows it in (万 = 10⁴ …), if it rounds to what is shown; else what is shown."""
    if key is None or key not in page.ledger:
        return shown
    value = page.ledger[key].value
    half = 0.5 * 10**-decimals + 1e-12
    for power in (0, -4, -8, 3, -3, -1, 1, 2, -2):
        scaled = value * 10**power
        if abs(round(scaled, decimals) - shown) <= half:
            return scaled
    return shown


def number_format(decimals: int, percent: bool = False) -> str:
    body = "#,##0" + ("." + "0" * decimals if decimals else "")
    return body + '"%"' if percent else body


def _text(content: Any) -> str:
    source = str(content.__html__()) if hasattr(content, "__html__") else str(content)
    if "<" not in source and "&" not in source:
        return source
    element = lxml_html.fragment_fromstring(source, create_parent="span")
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for ref in element.iter("a"):
        if "deriv-ref" in (ref.get("class") or ""):
            ref.drop_tree()
    return str(element.text_content())


def _sheet_title(number: str, taken: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "-", f"表 {number}")[:31]
    base, n = title, 2
    while title in taken:
        title = f"{base[:28]}({n})"
        n += 1
    taken.add(title)
    return title


def write_table(ws: Any, page: ReportRenderer, table: Table, number: str) -> None:
    placed, columns = grid(table)
    ws.cell(row=1, column=1, value=f"表 {number}　{_text(table.caption)}").font = Font(
        name=FONT, bold=True
    )
    if columns > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    head_rows = len(table.head)
    widths = [6.0] * columns
    offset = 2
    for r, row in enumerate(placed):
        for c, cell in row:
            if cell is None:
                continue
            target = ws.cell(row=offset + r, column=c + 1)
            head = r < head_rows or cell.head
            parsed = cell_number(cell.content) if cell.num and r >= head_rows else None
            if parsed is not None:
                shown, decimals, percent, key = parsed
                target.value = _value(page, shown, decimals, key)
                target.number_format = number_format(decimals, percent)
                target.alignment = Alignment(horizontal="right", vertical="center")
            else:
                text = _text(cell.content)
                target.value = text
                target.alignment = Alignment(
                    horizontal="center" if head else "left", vertical="center", wrap_text=True
                )
                if cell.colspan == 1:
                    longest = max((len(line) for line in text.split("\n")), default=0)
                    widths[c] = max(widths[c], min(2.0 * longest + 2, 40.0))
            target.font = Font(name=FONT, bold=head or "total" in cell.css.split())
            if cell.rowspan > 1 or cell.colspan > 1:
                ws.merge_cells(
                    start_row=offset + r,
                    start_column=c + 1,
                    end_row=offset + r + cell.rowspan - 1,
                    end_column=c + cell.colspan,
                )
    last = offset + len(placed) - 1
    for c in range(1, columns + 1):  # three lines: above and below the header, below the body
        ws.cell(row=offset, column=c).border = Border(top=_HEAVY)
        below_head = ws.cell(row=offset + head_rows - 1, column=c)
        below_head.border = Border(top=below_head.border.top, bottom=_LIGHT)
        ws.cell(row=last, column=c).border = Border(bottom=_HEAVY)
        ws.column_dimensions[get_column_letter(c)].width = widths[c - 1]
    for n, note in enumerate(table.notes):
        ws.cell(row=last + 2 + n, column=1, value=_text(note))
    ws.freeze_panes = ws.cell(row=offset + head_rows, column=1)


def _derivation_text(page: ReportRenderer, derivation: Derivation | None) -> str:
    if derivation is None:
        return ""
    formula = page._words(derivation.formula)
    substituted = label(
        page._numbers(derivation.substituted or (derivation.formula if derivation.parts else ""))
    )
    return f"{formula} = {substituted}" if substituted and substituted != formula else formula


def build_workbook(page: ReportRenderer) -> Workbook:
    """The workbook of a computed, numbered report (``page`` in print mode)."""
    for path in chapter_files(page.folder):  # the second pass builds the tables
        page.render_chapter(path)
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    order = sorted(
        page.built_tables.values(),
        key=lambda t: [int(n) for n in re.findall(r"\d+", page.numbering.tables.get(t.id, "0"))],
    )
    for table in order:
        number = page.numbering.tables.get(table.id, "?")
        write_table(workbook.create_sheet(_sheet_title(number, taken)), page, table, number)
    ws = workbook.create_sheet(LEDGER_SHEET)
    ws.append(["键", "名称", "数值（未修约）", "单位", "计算过程"])
    for cell in ws[1]:
        cell.font = Font(name=FONT, bold=True)
    for figure in page.ledger:
        if not math.isfinite(figure.value):
            continue
        ws.append(
            [
                figure.key,
                figure.label,
                figure.value,
                label(figure.unit),
                _derivation_text(page, figure.derivation),
            ]
        )
    for column, width in zip("ABCDE", (36, 40, 18, 14, 80), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    workbook.properties.creator = "tanping"
    import datetime as dt

    workbook.properties.created = workbook.properties.modified = dt.datetime(2000, 1, 1)
    return workbook


def export_xlsx(folder: Path, out: Path) -> Path:
    """Write the Excel copy of the report in ``folder``; ``out`` is the file, or a folder to
    write :func:`xlsx_name` into. Returns the file written."""
    from tanping.templates.filing import filing_problems
    from tanping.templates.publish import renderer, write_output

    page = renderer(folder, mode="print")
    draft = bool(filing_problems(page))
    if out.suffix.lower() != ".xlsx":
        out = out / xlsx_name(folder, draft=draft)
    buffer = io.BytesIO()
    build_workbook(page).save(buffer)
    return write_output(out, buffer.getvalue(), "Excel 文件", XlsxError)

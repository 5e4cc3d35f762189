"""Word, Excel and survey workbooks (issue 12), read back by python-docx, openpyxl and LibreOffice.

- The survey form filled with the spec examples' data (spec/README.md §3, §4) and imported gives
  the ledger of the hand-written YAML; importing twice writes the same bytes.
- A malformed form (text in a number column, a unit missing, an unknown fuel, an unknown
  enterprise, a duplicated row) is refused with the sheet, row and column; nothing is written.
- The Excel copy: every figure cell, read back, equals the ledger at the rounding shown.
- The Word copy: every table has the row and column spans of the Table object the HTML is made
  from; LibreOffice converts it to a PDF that shows the headline figures, with no missing glyph.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from docx.oxml.ns import qn
from openpyxl import load_workbook

from tanping.calc import survey
from tanping.calc.errors import ReportErrors
from tanping.calc.pipeline import compute
from tanping.templates.excel import LEDGER_SHEET, build_workbook, cell_number
from tanping.templates.publish import renderer
from tanping.templates.word import build_document, spans
from tanping.units.format import fixed

ROOT = Path(__file__).resolve().parents[1]
SURVEYED = {
    "project": ("existing", "proposed", "retired"),
    "park": ("industries", "enterprises", "economy", "sources"),
}
SOFFICE = shutil.which("soffice")


def _stripped(slug: str, tmp: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of a report folder whose report.yml keeps only what the survey does not ask."""
    source = ROOT / "content" / slug
    data = yaml.safe_load((source / "report.yml").read_text(encoding="utf-8"))
    folder = tmp / slug
    folder.mkdir()
    for path in source.iterdir():
        if path.is_file() and path.suffix != ".md" and path.name != "report.yml":
            shutil.copy(path, folder)
    kept = {k: v for k, v in data.items() if k not in SURVEYED[data["kind"]]}
    (folder / "report.yml").write_text(yaml.safe_dump(kept, allow_unicode=True), encoding="utf-8")
    return folder, data


def _filled(slug: str, tmp: Path) -> tuple[Path, Path]:
    folder, data = _stripped(slug, tmp)
    workbook = survey.survey_workbook(data["kind"], folder)
    survey.fill_survey(workbook, data["kind"], data)
    return folder, survey.save_workbook(workbook, tmp / f"{slug}.xlsx")


@pytest.mark.parametrize("slug", ["spec-project", "spec-park"])
def test_survey_round_trip_gives_the_ledger_of_the_yaml(slug: str, tmp_path: Path) -> None:
    folder, workbook = _filled(slug, tmp_path)
    written, _ = survey.import_workbook(workbook, folder)
    expected = {f.key: f.value for f in compute(ROOT / "content" / slug).ledger}
    imported = {f.key: f.value for f in compute(folder).ledger}
    assert imported.keys() == expected.keys()
    for key, value in expected.items():
        assert imported[key] == pytest.approx(value, rel=1e-12), key
    text = written.read_text(encoding="utf-8")
    assert "# 调查表“" in text and " 第 3 行" in text  # each entry names its sheet and row
    before = written.stat().st_mtime_ns
    survey.import_workbook(workbook, folder)  # twice: nothing changes
    assert written.read_text(encoding="utf-8") == text
    assert written.stat().st_mtime_ns == before


def test_survey_form_has_units_lists_and_instructions(tmp_path: Path) -> None:
    workbook = survey.survey_workbook("park", ROOT / "content" / "spec-park")
    assert workbook.sheetnames[0] == survey.INSTRUCTIONS
    for sheet in ("企业", "经济与能耗", "化石燃料燃烧", "工业生产过程", "减排量"):
        assert sheet in workbook.sheetnames
    combustion = workbook["化石燃料燃烧"]
    assert combustion["E1"].value.startswith("燃料品种") and combustion["G2"].value == "t"
    lists = {str(v.sqref)[0] for v in combustion.data_validations.dataValidation}
    assert {"A", "B", "C", "E", "F"} <= lists  # year, scenario, enterprise, fuel, sector


def _break(workbook: Path, edit: Any) -> Path:
    book = load_workbook(workbook)
    edit(book)
    book.save(workbook)
    return workbook


def _errors(folder: Path, workbook: Path) -> list[str]:
    with pytest.raises(ReportErrors) as caught:
        survey.import_workbook(workbook, folder)
    assert not (folder / survey.SURVEY_FILE).exists()  # nothing written
    return [error.render() for error in caught.value.errors]


def _set(sheet: str, cell: str, value: Any) -> Any:
    def edit(book: Any) -> None:
        book[sheet][cell] = value

    return edit


def _duplicate_row(sheet: str, row: int) -> Any:
    def edit(book: Any) -> None:
        ws = book[sheet]
        values = [c.value for c in ws[row]]
        ws.append(values)

    return edit


@pytest.mark.parametrize(
    ("edit", "sheet", "row", "column", "words"),
    [
        (_set("化石燃料燃烧", "G3", "二十七"), "化石燃料燃烧", 3, "G", "不是数值"),
        (_set("化石燃料燃烧", "H2", None), "化石燃料燃烧", 3, "H", "没有单位"),
        (_set("化石燃料燃烧", "E3", "火星煤"), "化石燃料燃烧", 3, "E", "未知的燃料品种"),
        (_set("化石燃料燃烧", "C3", "丁公司"), "化石燃料燃烧", 3, "C", "未知的企业"),
        (_duplicate_row("化石燃料燃烧", 3), "化石燃料燃烧", None, None, "重复"),
    ],
    ids=["text-in-number", "unit-missing", "unknown-fuel", "unknown-enterprise", "duplicate"],
)
def test_malformed_survey_is_refused_with_sheet_row_column(
    tmp_path: Path, edit: Any, sheet: str, row: int | None, column: str | None, words: str
) -> None:
    folder, workbook = _filled("spec-park", tmp_path)
    messages = _errors(folder, _break(workbook, edit))
    assert messages  # a missing unit is reported for every row that needs it
    message = messages[0]
    assert all(f"工作表“{sheet}”" in m for m in messages), messages
    assert f"工作表“{sheet}”" in message and words in message
    if row is not None:
        assert f"第 {row} 行" in message
    else:  # the duplicate is the appended last row
        assert "行重复" in message
    if column is not None:
        assert f"{column} 列" in message


def test_a_model_error_names_the_cell_and_the_yaml_line(tmp_path: Path) -> None:
    folder, workbook = _filled("spec-project", tmp_path)
    # an oxidation rate of 9 % is refused by the model, not by the cell check
    messages = _errors(folder, _break(workbook, _set("燃料燃烧", "G3", 9)))
    assert any(
        "工作表“燃料燃烧” 第 3 行，G 列" in m and "data/survey.yml 第" in m for m in messages
    )


# ---- the Excel copy ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def park_page() -> Any:
    return renderer(ROOT / "content" / "spec-park", mode="print")


@pytest.fixture(scope="module")
def park_xlsx(park_page: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("xlsx") / "spec-park.xlsx"
    build_workbook(park_page).save(out)
    return out


def test_xlsx_figures_equal_the_ledger_at_the_shown_rounding(
    park_page: Any, park_xlsx: Path
) -> None:
    from tanping.templates.word import grid

    book = load_workbook(park_xlsx)
    checked = 0
    for table in park_page.built_tables.values():
        number = park_page.numbering.tables[table.id]
        ws = book[f"表 {number}"]
        assert ws["A1"].value.startswith(f"表 {number}")
        placed, _ = grid(table)
        for r, row in enumerate(placed):
            for c, cell in row:
                if cell is None or not cell.num or r < len(table.head):
                    continue
                parsed = cell_number(cell.content)
                if parsed is None:
                    continue
                shown, decimals, _, key = parsed
                value = ws.cell(row=2 + r, column=c + 1).value
                assert isinstance(value, float | int)
                assert round(value, decimals) == pytest.approx(shown, abs=10**-decimals / 2)
                decimals_format = ws.cell(row=2 + r, column=c + 1).number_format
                assert (
                    decimals_format.endswith("0" * decimals)
                    if decimals
                    else "." not in decimals_format
                )
                if key is not None:
                    figure = park_page.ledger[key].value
                    assert value / figure == pytest.approx(round(value / figure), rel=1e-9) or (
                        figure / value == pytest.approx(round(figure / value), rel=1e-9)
                    )
                checked += 1
    assert checked > 100
    ledger = book[LEDGER_SHEET]
    rows = {r[0]: r for r in ledger.iter_rows(min_row=2, values_only=True)}
    for figure in park_page.ledger:
        assert rows[figure.key][2] == pytest.approx(figure.value, rel=1e-14)
    c2 = next(t for t in park_page.built_tables.values() if t.id.startswith("c2"))
    ws = book[f"表 {park_page.numbering.tables[c2.id]}"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    expected = {(2 + r, c + 1, rs, cs) for r, c, rs, cs in spans(c2) if rs > 1 or cs > 1}
    from openpyxl.utils import get_column_letter

    assert {
        f"{get_column_letter(c)}{r}:{get_column_letter(c + cs - 1)}{r + rs - 1}"
        for r, c, rs, cs in expected
    } <= merged


# ---- the Word copy ----------------------------------------------------------------------------


def _docx_spans(table: Any) -> list[tuple[int, int, int, int]]:
    """(row, column, rowspan, colspan) of every cell of a Word table, from gridSpan and vMerge."""
    starts: dict[tuple[int, int], list[int]] = {}
    out: dict[tuple[int, int], list[int]] = {}
    for r, tr in enumerate(table._tbl.tr_lst):
        c = 0
        for tc in tr.tc_lst:
            span = tc.tcPr.find(qn("w:gridSpan")) if tc.tcPr is not None else None
            colspan = int(span.get(qn("w:val"))) if span is not None else 1
            merge = tc.tcPr.find(qn("w:vMerge")) if tc.tcPr is not None else None
            if merge is not None and merge.get(qn("w:val")) != "restart":
                starts[(c, colspan)][0] += 1
            else:
                entry = [1, colspan]
                out[(r, c)] = entry
                starts[(c, colspan)] = entry
            c += colspan
    return sorted((r, c, rs, cs) for (r, c), (rs, cs) in out.items())


@pytest.mark.parametrize("slug", ["spec-project", "cq-park"])
def test_docx_tables_have_the_spans_of_the_html_tables(slug: str) -> None:
    page = renderer(ROOT / "content" / slug, mode="print")
    document = build_document(page, draft=True)
    tables = sorted(
        page.built_tables.values(), key=lambda t: list(page.numbering.tables).index(t.id)
    )
    word = document.tables
    assert len(word) >= len(tables)
    by_caption = iter(word)
    for table in tables:
        assert _docx_spans(next(by_caption)) == sorted(spans(table)), table.id
    head = [
        tr
        for tr in word[0]._tbl.tr_lst
        if tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None
    ]
    assert len(head) == len(tables[0].head)  # header rows repeat on every page


@pytest.fixture(scope="module")
def office_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if SOFFICE is None:
        pytest.fail("LibreOffice (soffice) is missing: bash scripts/system-deps.sh installs it")
    tmp = tmp_path_factory.mktemp("docx")
    page = renderer(ROOT / "content" / "spec-project", mode="print")
    source = tmp / "spec-project.docx"
    build_document(page, draft=False).save(source)
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return tmp / "spec-project.pdf"


@pytest.mark.slow
def test_docx_in_libreoffice_shows_the_headline_figures(office_pdf: Path) -> None:
    text = subprocess.run(
        ["pdftotext", str(office_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    ledger = compute(ROOT / "content" / "spec-project").ledger
    flat = "".join(text.split())
    for key in ("b2.existing", "b2.proposed", "b2.offset", "b2.overall", "b2.net_new"):
        assert fixed(ledger[key].value, 2) in flat, key
    assert "表2-" in flat and "计算过程" in flat
    assert "\ufffd" not in text
    fonts = subprocess.run(
        ["pdffonts", str(office_pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "CJK" in fonts  # the Chinese text is drawn in Noto CJK, not in boxes
    pages = subprocess.run(
        [
            "pdftoppm",
            "-f",
            "3",
            "-l",
            "3",
            "-r",
            "60",
            "-png",
            str(office_pdf),
            str(office_pdf.with_suffix("")),
        ],
        capture_output=True,
        check=True,
    )
    assert pages.returncode == 0


@pytest.mark.slow
def test_xlsx_recalculated_by_libreoffice_keeps_its_values(park_xlsx: Path, tmp_path: Path) -> None:
    if SOFFICE is None:
        pytest.fail("LibreOffice (soffice) is missing: bash scripts/system-deps.sh installs it")
    out = tmp_path / "out"
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(park_xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    before = load_workbook(park_xlsx)
    after = load_workbook(out / park_xlsx.name, data_only=True)
    assert before.sheetnames == after.sheetnames
    for name in before.sheetnames:
        a = [[c for c in row] for row in before[name].iter_rows(values_only=True)]
        b = [[c for c in row] for row in after[name].iter_rows(values_only=True)]
        for row_a, row_b in zip(a, b, strict=False):
            for x, y in zip(row_a, row_b, strict=False):
                if isinstance(x, float):
                    assert y == pytest.approx(x, rel=1e-12)
                elif x not in (None, ""):
                    assert str(y) == str(x)

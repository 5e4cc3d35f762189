"""Tables always fit the printed page (issue 11): a project with 9-digit figures and a park with
five scenarios, built as PDFs; from the PDF's text boxes (``pdftotext -bbox``) no word lies
outside the page's text block (print.css: A4 margins 30 mm left, 25 mm right; a landscape page
25 mm each side). Before issue 11 table B.3 of the project and the park's 排放绩效 tables ran
past the right margin."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tanping.templates.layout import column_needs, fit
from tanping.templates.publish import export_pdf
from tanping.templates.render import Cell, Table

ROOT = Path(__file__).resolve().parent.parent
MM = 72 / 25.4
DRAFT = set("征求意见稿")  # the draft watermark, drawn rotated across the page

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def words_outside(pdf: Path, tolerance: float = 1.0) -> list[tuple[int, float, float, str]]:
    """(page, x0, x1, word) of every word whose box leaves the text block horizontally."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    outside = []
    for number, page in enumerate(out.split("<page ")[1:], 1):
        width, height = (float(v) for v in re.findall(r'(?:width|height)="([\d.]+)"', page)[:2])
        left, right = (30 * MM, width - 25 * MM) if width < height else (25 * MM, width - 25 * MM)
        for x0, x1, word in re.findall(
            r'xMin="([\d.-]+)" yMin="[\d.-]+" xMax="([\d.-]+)" yMax="[\d.-]+">([^<]*)<', page
        ):
            word = html.unescape(word)
            if set(word) <= DRAFT:
                continue
            if float(x0) < left - tolerance or float(x1) > right + tolerance:
                outside.append((number, float(x0), float(x1), word))
    return outside


def big_project(tmp_path: Path) -> Path:
    """spec-project with every consumption, activity, output value and total target × 10,000:
    emissions of nine digits (79,625,713.12 tCO₂/a)."""
    folder = tmp_path / "big-project"
    shutil.copytree(ROOT / "content" / "spec-project", folder)
    text = (folder / "report.yml").read_text(encoding="utf-8")

    def times(match: re.Match[str]) -> str:
        return f"{match.group(1)}: {float(match.group(2)) * 10_000:g}"

    text = re.sub(r"(consumption|activity|工业总产值): (\d+(?:\.\d+)?)", times, text)
    text = re.sub(r"(district_total|park_total): (\d+(?:\.\d+)?)", times, text)
    (folder / "report.yml").write_text(text, encoding="utf-8")
    return folder


def five_scenarios(tmp_path: Path) -> Path:
    """spec-park with three more scenarios (copies of the control scenario's rows)."""
    folder = tmp_path / "five-scenarios"
    shutil.copytree(ROOT / "content" / "spec-park", folder)
    data = yaml.safe_load((folder / "report.yml").read_text(encoding="utf-8"))
    for n in (1, 2, 3):
        scenario = f"strong{n}"
        data["scenarios"][scenario] = f"强化情景{n}"
        for field in ("economy", "sources"):
            data[field] += [
                dict(row, scenario=scenario)
                for row in data[field]
                if row.get("scenario") == "control"
            ]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    (folder / "report.yml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("example", [big_project, five_scenarios])
def test_no_glyph_outside_the_text_block(tmp_path: Path, example: object) -> None:
    assert callable(example)
    folder = example(tmp_path)
    pdf = export_pdf(folder, tmp_path / "out.pdf")
    assert words_outside(pdf) == []


def _wide(columns: int) -> Table:
    head = [[Cell("行业")] + [Cell(f"2030年 情景{n}") for n in range(columns)]]
    body = [
        [Cell("化学原料和化学制品制造业")] + [Cell("156,983,910.12", num=True)] * columns
        for _ in range(3)
    ]
    return Table("wide", "宽表", head, body)


def test_a_table_gets_smaller_then_landscape_then_split() -> None:
    sizes = [[part.size for part in fit(_wide(n))] for n in (2, 5, 7, 16)]
    assert sizes[0] == [""]
    assert sizes[1] in (["small"], ["landscape"])
    assert sizes[2] == ["landscape"]
    assert len(sizes[3]) > 1 and set(sizes[3]) == {"landscape"}
    parts = fit(_wide(16))
    for part in parts:  # the key column is repeated in every part
        assert str(part.body[0][0].content) == "化学原料和化学制品制造业"
        assert part.widths is not None and abs(sum(part.widths) - 100) < 0.5
    assert sum(len(p.head[0]) - 1 for p in parts) == 16
    assert parts[0].part == 1 and parts[1].part == 2


def test_first_column_holds_its_names_and_verdicts_stay_whole() -> None:
    table = Table(
        "t",
        "行业与结论",
        [[Cell("行业"), Cell("指标"), Cell("结论")]],
        [[Cell("非金属矿物制品业"), Cell("单位工业增加值温室气体排放量下降率"), Cell("未达标")]],
    )
    low, _ = column_needs(table)
    assert low[0] >= 8  # 非金属矿物制品业 on one line
    assert low[2] >= 3  # 未达标, never 未达/标

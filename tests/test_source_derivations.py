"""A park sum shows the source rows it adds up: report line, equation, values as written,
defaults with their citation, gas masses with the GWP used, and the result."""

from __future__ import annotations

import shutil
from pathlib import Path

from tanping.templates.publish import renderer

ROOT = Path(__file__).resolve().parent.parent


def test_inventory_row_lists_its_sources(tmp_path: Path) -> None:
    folder = tmp_path / "spec-park"
    shutil.copytree(ROOT / "content" / "spec-park", folder)
    page = renderer(folder, mode="print")
    figure = page.ledger["c2.2024.process.chemicals"]
    assert figure.derivation is not None
    lines = page.source_lines(figure.derivation)
    assert len(lines) == 1
    line = lines[0]
    # spec/park-example.yml: the nitric-acid row of 乙化工 starts on line 53 (sources[6])
    assert "report.yml:53 sources[6]" in line
    assert "乙化工有限公司" in line and "双加压法" in line
    assert "12 万t" in line and "0.0080 tN2O/t" in line
    assert "N2O 960.0000 t × GWP 265" in line and "254,400.00" in line


def test_defaults_are_cited_in_the_source_line(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    text = (ROOT / "content" / "spec-park" / "report.yml").read_text(encoding="utf-8")
    # the 2023 coal row without its lhv and CO2 factor: cn-default supplies them
    text = text.replace(
        "amount: 27 万t, lhv: 19.570 GJ/t, ef_co2: 94600 kgCO2/TJ}", "amount: 27 万t}"
    )
    (folder / "report.yml").write_text(text, encoding="utf-8")
    page = renderer(folder, mode="print")
    figure = page.ledger["c2.2023.energy.fossil.industry"]
    assert figure.derivation is not None
    (line,) = page.source_lines(figure.derivation)
    assert "低位发热量 19.570 GJ/t 为缺省值" in line and "GB/T 32151.22-2024" in line


def test_long_lists_are_cut_with_a_count(tmp_path: Path) -> None:
    folder = tmp_path / "spec-park"
    shutil.copytree(ROOT / "content" / "spec-park", folder)
    page = renderer(folder, mode="print")
    figure = page.ledger["ent.2024.丙电子有限公司"]
    assert figure.derivation is not None
    lines = page.source_lines(figure.derivation, limit=1)
    assert len(lines) == 2 and lines[-1].startswith("……另有 2 项")

"""Economy rows: one mapping for the indicators and the chapters; a planning-year row without
scenario serves every scenario that has no row of its own, in whatever order they are written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tanping.calc.errors import ReportErrors
from tanping.calc.pipeline import compute

ROOT = Path(__file__).resolve().parent.parent
SPEC = (ROOT / "content" / "spec-park" / "report.yml").read_text(encoding="utf-8")
CEMENT_2030 = (
    "  - {period: 2030, scenario: baseline, industry: 水泥制造, output_value: 22 亿元, "
    "value_added: 6.4 亿元, energy_use: 36 万tce, product: 170 万t}\n"
    "  - {period: 2030, scenario: control, industry: 水泥制造, output_value: 22 亿元, "
    "value_added: 6.4 亿元, energy_use: 31 万tce, product: 170 万t}\n"
)


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "report.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_general_row_before_a_scenario_row_is_no_duplicate(tmp_path: Path) -> None:
    general = (
        "  - {period: 2030, industry: 水泥制造, output_value: 20 亿元}\n"
        "  - {period: 2030, scenario: control, industry: 水泥制造, output_value: 22 亿元}\n"
    )
    ledger = compute(_write(tmp_path, SPEC.replace(CEMENT_2030, general))).ledger
    control = ledger.value("perf.2030.control.水泥制造.output_value")
    baseline = ledger.value("perf.2030.baseline.水泥制造.output_value")
    assert control == pytest.approx(ledger.value("ind.2030.control.水泥制造") / 220000)
    assert baseline == pytest.approx(ledger.value("ind.2030.baseline.水泥制造") / 200000)


def test_a_row_given_twice_is_refused_at_its_line(tmp_path: Path) -> None:
    twice = CEMENT_2030 + CEMENT_2030.splitlines(keepends=True)[1]
    text = SPEC.replace(CEMENT_2030, twice)
    with pytest.raises(ReportErrors) as caught:
        compute(_write(tmp_path, text))
    (error,) = caught.value.errors
    assert "重复" in error.problem
    assert error.location is not None and error.location.path == "economy[5]"
    lines = text.splitlines()
    repeated = twice.splitlines()[-1]
    second = lines.index(repeated, lines.index(repeated) + 1) + 1  # the later copy, 1-based
    assert error.location.line == second

"""spec/README.md §7: the figures the two examples must give, with relative tolerance 1e-7.

The examples are copied unchanged into ``content/<slug>/report.yml`` folders (conftest) and computed
three ways: through the API (``calc.pipeline.compute``), through ``tanping ledger DIR --json`` run
in-process, and through the installed ``tanping`` console script in a subprocess. The §7 tables
are transcribed below as they stand in the spec; our own invariants on the same examples follow,
apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tanping.calc.pipeline import compute
from tests.conftest import CliResult

REL = 1e-7

# spec/README.md §7, project-example.yml
SPEC_7_PROJECT = {
    "b1.existing.燃气锅炉": 1840.26291966,
    "b1.proposed.应急柴油发电机": 26.3152319173,
    "b2.existing": 8683.86291966,
    "b2.proposed": 8395.57435168,
    "b2.offset": 433.00303992,
    "b2.overall": 16646.4342314,
    "b2.net_new": 7962.57131176,
    "b3.工业总产值.proposed": 233.210398658,
    "b3.工业总产值.overall": 198.171836088,
    "level.district_share_pct": 0.0430409260095,
}

# spec/README.md §7, park-example.yml
SPEC_7_PARK = {
    "c1.2023.park.total": 1363747.94,
    "c2.2024.energy.fossil.subtotal": 553659.00706,
    "c2.2024.process.chemicals": 254400,
    "c2.2024.process.other": 10654.5,
    "c2.2024.waste.wastewater": 2590,
    "c2.2024.reductions": 6325.2,
    "c2.2024.total": 1710931.30706,
    "c1.2030.control.park.total": 1219830.5,
    "perf.2030.control.水泥制造.output_value.decline_pct": 22.8172043036,
}

#: Units spec §6 fixes for these keys (tCO2 "per year" may be written tCO2 or tCO2/a).
PROJECT_UNITS = {
    "b1": {"tCO2", "tCO2/a"},
    "b2": {"tCO2", "tCO2/a"},
    "b3": {"kgCO2/万元"},
    "level": {"%"},
}
PARK_UNITS = {"c1": {"tCO2e", "tCO2e/a"}, "c2": {"tCO2e", "tCO2e/a"}, "perf": {"%"}}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _unit_ok(key: str, unit: str) -> bool:
    table = PROJECT_UNITS if key.split(".")[0] in PROJECT_UNITS else PARK_UNITS
    return unit in table[key.split(".")[0]]


def _ledger_json(result: CliResult) -> dict[str, Any]:
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"figures"}
    figures = data["figures"]
    assert isinstance(figures, dict) and figures
    for key, figure in figures.items():
        assert set(figure) == {"value", "unit", "label"}, key
        assert isinstance(figure["value"], int | float) and not isinstance(figure["value"], bool)
        assert isinstance(figure["unit"], str), key
        assert isinstance(figure["label"], str) and CJK.search(figure["label"]), key
    return figures


# ---- the spec's rows, through the API -----------------------------------------------------------


@pytest.mark.parametrize(("key", "expected"), SPEC_7_PROJECT.items())
def test_spec7_project_example_api(project_folder: Path, key: str, expected: float) -> None:
    ledger = compute(project_folder).ledger
    assert key in ledger
    assert ledger.value(key) == pytest.approx(expected, rel=REL)
    assert _unit_ok(key, ledger[key].unit), ledger[key].unit


@pytest.mark.parametrize(("key", "expected"), SPEC_7_PARK.items())
def test_spec7_park_example_api(park_folder: Path, key: str, expected: float) -> None:
    ledger = compute(park_folder).ledger
    assert key in ledger
    assert ledger.value(key) == pytest.approx(expected, rel=REL)
    assert _unit_ok(key, ledger[key].unit), ledger[key].unit


# ---- the spec's rows, through `tanping ledger DIR --json` ---------------------------------------


@pytest.mark.parametrize(
    ("example", "table"), [("project", SPEC_7_PROJECT), ("park", SPEC_7_PARK)], ids=str
)
def test_spec7_ledger_json_subprocess(
    example: str,
    table: dict[str, float],
    project_folder: Path,
    park_folder: Path,
    tanping: Callable[..., CliResult],
) -> None:
    folder = project_folder if example == "project" else park_folder
    figures = _ledger_json(tanping(["ledger", folder, "--json"]))
    for key, expected in table.items():
        assert key in figures, key
        assert figures[key]["value"] == pytest.approx(expected, rel=REL), key
        assert _unit_ok(key, figures[key]["unit"]), (key, figures[key]["unit"])


@pytest.mark.parametrize(
    ("example", "table"), [("project", SPEC_7_PROJECT), ("park", SPEC_7_PARK)], ids=str
)
def test_spec7_ledger_json_in_process(
    example: str,
    table: dict[str, float],
    project_folder: Path,
    park_folder: Path,
    cli: Callable[..., CliResult],
) -> None:
    folder = project_folder if example == "project" else park_folder
    figures = _ledger_json(cli(["ledger", folder, "--json"]))
    for key, expected in table.items():
        assert figures[key]["value"] == pytest.approx(expected, rel=REL), key
    # the JSON holds the API's ledger, unrounded
    api = compute(folder).ledger
    assert set(figures) == {figure.key for figure in api}
    for figure in api:
        assert figures[figure.key]["value"] == figure.value, figure.key


@pytest.mark.parametrize("example", ["project", "park"])
def test_spec_examples_check_exit_0(
    example: str,
    project_folder: Path,
    park_folder: Path,
    tanping: Callable[..., CliResult],
) -> None:
    folder = project_folder if example == "project" else park_folder
    result = tanping(["check", folder])
    assert result.code == 0, result.stderr
    assert result.stderr == ""


def test_spec_examples_are_unchanged_copies(project_folder: Path, park_folder: Path) -> None:
    """The folders under test, and the site's content/spec-*/report.yml, are the spec's bytes."""
    from tests.conftest import CONTENT_COPIES, PARK_EXAMPLE, PROJECT_EXAMPLE, spec_example

    project, park = spec_example(PROJECT_EXAMPLE), spec_example(PARK_EXAMPLE)
    assert (project_folder / "report.yml").read_bytes() == project.read_bytes()
    assert (park_folder / "report.yml").read_bytes() == park.read_bytes()
    assert project_folder.parent.name == park_folder.parent.name == "content"
    for name, copy in CONTENT_COPIES.items():
        assert copy.read_bytes() == spec_example(name).read_bytes(), copy


# ---- our invariants on the same examples ---------------------------------------------------------


def test_park_example_c1_total_equals_c2_total_every_period(park_folder: Path) -> None:
    """spec §4: C.1's 总计 equals C.2's 总排放量 for every period."""
    result = compute(park_folder)
    ledger = result.ledger
    assert result.periods == ["2023", "2024", "2030.baseline", "2030.control"]
    for period in result.periods:
        c1 = ledger.value(f"c1.{period}.park.total")
        c2 = ledger.value(f"c2.{period}.total")
        assert c1 == pytest.approx(c2, rel=1e-12), period
        parts = sum(ledger.value(f"c1.{period}.park.{d}") for d in ("energy", "process", "waste"))
        assert c1 == pytest.approx(parts - ledger.value(f"c1.{period}.park.reductions"), rel=1e-12)


def test_project_example_b2_overall_and_net_new(project_folder: Path) -> None:
    """spec §3 table B.2: overall = E + P − R, net new = P − R; each phase is the sum of its B.1."""
    ledger = compute(project_folder).ledger
    e, p, r = (ledger.value(f"b2.{k}") for k in ("existing", "proposed", "offset"))
    assert ledger.value("b2.overall") == pytest.approx(e + p - r, rel=1e-12)
    assert ledger.value("b2.net_new") == pytest.approx(p - r, rel=1e-12)
    for phase, total in (("existing", e), ("proposed", p), ("retired", r)):
        rows = [f.value for f in ledger if f.key.startswith(f"b1.{phase}.")]
        assert rows and sum(rows) == pytest.approx(total, rel=1e-12), phase


def test_project_example_b1_rows_by_hand(project_folder: Path) -> None:
    """Every B.1 row of the example recomputed from its inputs (spec §3 formulas)."""
    ledger = compute(project_folder).ledger
    gas = 389.31 * 0.01532 * 0.99 * 44 / 12  # tCO2 per 万Nm3
    expected = {
        "b1.existing.燃气锅炉": 85 * gas,
        "b1.existing.外购电力": 12000 * 0.5703,
        "b1.proposed.新建燃气锅炉": 60 * gas,
        "b1.proposed.应急柴油发电机": 8.5 * 42.652 * 0.0202 * 0.98 * 44 / 12,
        "b1.proposed.焊接保护气": 2.4,
        "b1.proposed.外购电力": 9500 * 0.5703,
        "b1.proposed.外购蒸汽": 15000 * 0.11,
        "b1.retired.淘汰燃气锅炉": 20 * gas,
    }
    assert {f.key for f in ledger if f.key.startswith("b1.")} == set(expected)
    for key, value in expected.items():
        assert ledger.value(key) == pytest.approx(value, rel=1e-12), key

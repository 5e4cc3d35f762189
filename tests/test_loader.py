"""calc.loader: a report split into report.yml + data/*.yml (spec §1) is the same report, and an
error in a data file is reported with that file and its own line.

The split files are cut from spec/park-example.yml by its line numbers (the example as printed in
spec/README.md's folder): lines 1–32 are the header up to ``sources:``, 33–42 the 2023 sources,
43–77 the 2024 sources and 78–99 the 2030 sources. A data file starts with its own ``sources:``
line, so example line L of the 2024 block is line L − 41 of data/2024.yml.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tanping.calc.pipeline import compute
from tests.conftest import CliResult, WriteReport, located_errors


def _lines(text: str, first: int, last: int) -> str:
    return "\n".join(text.split("\n")[first - 1 : last]) + "\n"


def split_park(text: str) -> tuple[str, dict[str, str]]:
    report = _lines(text, 1, 32) + _lines(text, 78, 99)
    data = {
        "2023.yml": "sources:\n" + _lines(text, 33, 42),
        "2024.yml": "sources:\n" + _lines(text, 43, 77),
    }
    return report, data


def test_split_files_cover_the_example(park_text: str) -> None:
    """The cut is where the comments say: each block starts with its marker comment."""
    report, data = split_park(park_text)
    assert data["2023.yml"].split("\n")[1].strip() == "# ---- 2023 ----"
    assert data["2024.yml"].split("\n")[1].strip() == "# ---- 2024 ----"
    assert report.split("\n")[31] == "sources:"
    assert report.split("\n")[32].strip() == "# ---- 2030, baseline ----"
    assert data["2024.yml"].split("\n")[16].strip() == "ef: {双加压法: 0.0080 tN2O/t}"


def test_split_park_gives_the_same_ledger(
    park_text: str, park_folder: Path, write_report: WriteReport
) -> None:
    report, data = split_park(park_text)
    split = write_report(report, slug="split", data=data)
    whole = {f.key: f for f in compute(park_folder).ledger}
    parts = {f.key: f for f in compute(split).ledger}
    assert set(parts) == set(whole)
    for key, figure in whole.items():
        assert parts[key].value == pytest.approx(figure.value, rel=1e-12), key
        assert parts[key].unit == figure.unit, key
    assert parts["c2.2024.total"].value == pytest.approx(1710931.30706, rel=1e-7)  # spec §7


def test_split_park_ledger_json_is_the_same(
    park_text: str, park_folder: Path, write_report: WriteReport, cli: Callable[..., CliResult]
) -> None:
    report, data = split_park(park_text)
    split = write_report(report, slug="split", data=data)
    a, b = cli(["ledger", park_folder, "--json"]), cli(["ledger", split, "--json"])
    assert a.code == b.code == 0, b.stderr
    assert a.stdout == b.stdout


def test_error_in_data_file_names_that_file_and_its_line(
    park_text: str, write_report: WriteReport, cli: Callable[..., CliResult]
) -> None:
    """Example line 58 (nitric acid ef, the 4th 2024 source) is line 17 of data/2024.yml."""
    report, data = split_park(park_text)
    data["2024.yml"] = data["2024.yml"].replace(
        "ef: {双加压法: 0.0080 tN2O/t}", "ef: {双加压法: 0.0080 tCH4/t}"
    )
    folder = write_report(report, slug="bad-data", data=data)
    result = cli(["check", folder])
    assert result.code == 2
    assert "Traceback" not in result.stderr
    errors = located_errors(result.stderr)
    assert len(errors) == 1, result.stderr
    (error,) = errors
    assert error.file == "bad-data/data/2024.yml", result.stderr
    assert error.line == 17, result.stderr
    assert error.path == "sources[3].process.ef.双加压法", result.stderr
    assert "tCH4/t" in error.text and "tN2O" in error.text


def test_cross_reference_error_in_data_file(
    park_text: str, write_report: WriteReport, cli: Callable[..., CliResult]
) -> None:
    """An undeclared enterprise in data/2023.yml (example line 35 -> line 4 of that file)."""
    report, data = split_park(park_text)
    data["2023.yml"] = data["2023.yml"].replace(
        "enterprise: 甲水泥有限公司", "enterprise: 丁水泥有限公司", 1
    )
    folder = write_report(report, slug="bad-ref", data=data)
    result = cli(["check", folder])
    assert result.code == 2
    errors = located_errors(result.stderr)
    assert [(e.file, e.line, e.path) for e in errors] == [
        ("bad-ref/data/2023.yml", 4, "sources[0].enterprise")
    ], result.stderr


def test_errors_in_two_files_each_with_its_own_line(
    park_text: str, write_report: WriteReport, cli: Callable[..., CliResult]
) -> None:
    """One defect in report.yml (example line 91, the 3rd 2030 source: report.yml line 46) and
    one in data/2024.yml (example line 48, the 2nd 2024 source: line 7): both reported, each in
    its own file."""
    report, data = split_park(park_text)
    report = report.replace("amount: 25 万t,", "amount: -25 万t,")
    data["2024.yml"] = data["2024.yml"].replace(
        "  - period: 2024\n    enterprise: 甲水泥有限公司\n    process:",
        "  - period: 2024\n    enterprize: 甲水泥有限公司\n    process:",
    )
    folder = write_report(report, slug="two", data=data)
    result = cli(["check", folder])
    assert result.code == 2
    found = {(e.file, e.line, e.path) for e in located_errors(result.stderr)}
    assert ("two/report.yml", 46, "sources[2].combustion.amount") in found, result.stderr
    assert ("two/data/2024.yml", 7, "sources[1].enterprize") in found, result.stderr


def test_mappings_merge_key_by_key(
    project_text: str, project_folder: Path, write_report: WriteReport
) -> None:
    """project-example with ``retired`` (lines 56–63) and the electricity of ``proposed``
    (lines 45–48) moved to data files: the same ledger."""
    lines = project_text.split("\n")
    report = "\n".join(lines[:44] + lines[48:55] + lines[63:])
    data = {
        "retired.yml": "\n".join(lines[55:63]) + "\n",
        "phases/electricity.yml": "proposed:\n" + "\n".join(lines[44:48]) + "\n",
    }
    assert "retired:" not in report and "外购电力" in report  # existing's electricity stays
    folder = write_report(report, slug="merged", data=data)
    whole = {f.key: f.value for f in compute(project_folder).ledger}
    merged = {f.key: f.value for f in compute(folder).ledger}
    assert merged.keys() == whole.keys()
    for key, value in whole.items():
        assert merged[key] == pytest.approx(value, rel=1e-12), key


@pytest.mark.parametrize("value", ["AR4", "AR5"], ids=["different", "same"])
def test_scalar_in_two_files_is_refused(
    value: str, park_text: str, write_report: WriteReport, cli: Callable[..., CliResult]
) -> None:
    """report.yml says gwp: AR5; data/extra.yml gives gwp again (a different or the same value)."""
    folder = write_report(park_text, slug="twice", data={"extra.yml": f"gwp: {value}\n"})
    result = cli(["check", folder])
    assert result.code == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert "twice/data/extra.yml" in result.stderr
    assert "gwp" in result.stderr


def test_scalar_in_two_files_names_the_line(
    park_text: str, write_report: WriteReport, cli: Callable[..., CliResult]
) -> None:
    data = {"extra.yml": "# a second value\ngwp: AR4\n"}
    folder = write_report(park_text, slug="twice", data=data)
    errors = located_errors(cli(["check", folder]).stderr)
    assert [(e.file, e.line, e.path) for e in errors] == [("twice/data/extra.yml", 2, "gwp")]


def test_data_file_with_a_yaml_error(
    park_text: str, write_report: WriteReport, cli: Callable[..., CliResult]
) -> None:
    report, data = split_park(park_text)
    data["2023.yml"] = data["2023.yml"].replace("period: 2023", "period: [2023", 1)
    folder = write_report(report, slug="yaml", data=data)
    result = cli(["check", folder])
    assert result.code == 2
    assert "Traceback" not in result.stderr
    assert "yaml/data/2023.yml:" in result.stderr
    assert "YAML" in result.stderr


def test_data_file_must_be_a_mapping(
    park_text: str, write_report: WriteReport, cli: Callable[..., CliResult]
) -> None:
    report, data = split_park(park_text)
    data["2023.yml"] = "- period: 2023\n"
    folder = write_report(report, slug="list", data=data)
    result = cli(["check", folder])
    assert result.code == 2
    assert [(e.file, e.line) for e in located_errors(result.stderr)] == [("list/data/2023.yml", 1)]


def test_empty_data_file_is_ignored(park_folder: Path, cli: Callable[..., CliResult]) -> None:
    (park_folder / "data").mkdir()
    (park_folder / "data" / "empty.yml").write_text("# nothing yet\n", encoding="utf-8")
    assert cli(["check", park_folder]).code == 0


def test_missing_report_yml(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    result = cli(["check", tmp_path])
    assert result.code == 2
    assert "report.yml" in result.stderr
    assert "Traceback" not in result.stderr

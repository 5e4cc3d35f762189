"""The bad-input corpus: each folder of ``tests/bad_inputs`` is a copy of one spec example with ONE
defect, and an ``expect.yml`` (written by hand, the line counted in the file, not read from the
tool's output) stating where the error is and what the message must name::

    derived_from: spec/project-example.yml
    defect: natural gas consumption written 85 t while lhv is in GJ/万Nm3
    file: report.yml                       # the file named in the message
    line: 16                               # the line of the defect
    path: existing.fuels[0].consumption    # a substring of the field path (null: none shown)
    message: ["85 t"]                      # substrings of the message (problem or hint)

The real ``tanping check`` (the installed console script, in a subprocess) must refuse every case
with exit code 2 and no traceback, naming the file, the line and the field path in a Chinese
message with a fix (spec §5; STYLE habit 7).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import pytest
import yaml

from tests.conftest import BAD_INPUTS, CliResult, LocatedError, located_errors, run_subprocess

CJK = re.compile(r"[\u4e00-\u9fff]")
CASES = sorted(p.name for p in BAD_INPUTS.iterdir() if (p / "expect.yml").is_file())


def _params() -> list[Any]:
    return [pytest.param(name, id=name) for name in CASES]


def expectation(case: str) -> dict[str, Any]:
    data = yaml.safe_load((BAD_INPUTS / case / "expect.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@cache
def _all_checks() -> dict[str, CliResult]:
    """``tanping check <case>`` for every case, once, a few at a time (shared by the tests)."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        results = pool.map(lambda case: run_subprocess(["check", BAD_INPUTS / case]), CASES)
        return dict(zip(CASES, results, strict=True))


def check(case: str) -> CliResult:
    return _all_checks()[case]


def matching(case: str) -> list[LocatedError]:
    expect = expectation(case)
    return [
        e
        for e in located_errors(check(case).stderr)
        if e.file.endswith(f"{case}/{expect['file']}")
        and e.line == expect["line"]
        and (expect["path"] is None or expect["path"] in e.path)
    ]


#: The cases the brief of this corpus asks for (our own edge cases come on top).
REQUIRED_CASES = {
    "gas_in_tonnes",
    "oxidation_without_percent",
    "co2_factor_without_species",
    "carbon_not_converted",
    "ch4_as_co2e",
    "unknown_fuel_without_parameters",
    "unknown_field",
    "negative_amount",
    "planning_source_without_scenario",
    "unknown_enterprise",
    "unknown_industry",
    "gas_without_gwp_in_set",
    "yaml_syntax_error",
    "two_source_types",
    "missing_required_field",
    "wrong_kind",
    "unknown_factor_set",
    "duplicate_yaml_key",
    "unknown_process_type",
    "history_source_with_scenario",
    "oxidation_over_100_percent",
    "industry_not_in_table_a1",
    "basis_not_fitting_industry",
    "intensity_basis_not_given",
    # physically impossible results (issue 9 item 5)
    "steel_carbon_balance_negative",
    "ccus_exceeds_emissions",
    "cement_factor_in_kg",
    "nitric_acid_factor_in_kg",
    "retired_exceeds_existing",
    # hostile inputs (issue 9 items 3, 4, 8): numbers, nesting, encoding, free text
    "decimal_comma",
    "thousands_not_grouped",
    "number_overflows",
    "nan_in_text",
    "yaml_nan_coordinate",
    "fullwidth_digits",
    "hexadecimal_count",
    "nested_brackets",
    "nul_byte",
    "gbk_encoded",
    "newline_in_title",
    "title_too_long",
    # the filing gate (issue 10): refused at any time
    "bare_percentage",
    "empty_scenario",
    "lhv_ten_times_low",
    "carbon_content_ten_times_high",
    "oxidation_too_low",
    "co2_factor_ten_times_low",
    "grid_factor_in_kg",
    "heat_factor_ten_times_low",
    "intensity_unit_slip",
}


def test_corpus_is_complete() -> None:
    """Every required case is there; each folder has a report.yml and a well-formed expect.yml."""
    assert REQUIRED_CASES <= set(CASES), REQUIRED_CASES - set(CASES)
    for case in CASES:
        folder = BAD_INPUTS / case
        assert sorted(p.name for p in folder.iterdir()) == ["expect.yml", "report.yml"], case
        expect = expectation(case)
        assert set(expect) == {"derived_from", "defect", "file", "line", "path", "message"}, case
        assert isinstance(expect["line"], int) and expect["line"] >= 1, case
        assert expect["message"] and all(isinstance(m, str) for m in expect["message"]), case


@pytest.mark.parametrize("case", _params())
def test_refused_with_exit_2_and_no_traceback(case: str) -> None:
    result = check(case)
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == "", result.stdout
    assert CJK.search(result.stderr), result.stderr
    for text in expectation(case)["message"]:
        assert text in result.stderr, (text, result.stderr)


@pytest.mark.parametrize("case", _params())
def test_names_file_line_and_field(case: str) -> None:
    result = check(case)
    assert result.code == 2, result.stderr
    assert matching(case), (
        f"expected {expectation(case)['file']}:{expectation(case)['line']} "
        f"{expectation(case)['path']}; got {located_errors(result.stderr)}"
    )


def error_blocks(stderr: str) -> list[str]:
    """The printed errors: each head line (``tanping: …`` or ``[n] …``) with its follow-up lines;
    the summary head of several errors (``报告输入有 n 处错误``) is not an error itself."""
    blocks: list[str] = []
    for line in stderr.splitlines():
        if re.match(r"^(tanping: |\[\d+\] )", line):
            if not re.match(r"^tanping: 报告输入有 \d+ 处错误", line):
                blocks.append(line)
        elif blocks:
            blocks[-1] += "\n" + line
    return blocks


@pytest.mark.parametrize("case", _params())
def test_message_says_how_to_fix(case: str) -> None:
    """Every error printed is in Chinese and carries a Chinese 修改建议 (how to fix it)."""
    blocks = error_blocks(check(case).stderr)
    assert blocks, check(case).stderr
    for block in blocks:
        problem, _, hint = block.partition("\n    修改建议：")
        assert CJK.search(problem), block
        assert CJK.search(hint), block

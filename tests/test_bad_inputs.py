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

import re
from functools import cache
from typing import Any

import pytest
import yaml

from tests.conftest import BAD_INPUTS, CliResult, LocatedError, located_errors, run_subprocess

CJK = re.compile(r"[\u4e00-\u9fff]")
CASES = sorted(p.name for p in BAD_INPUTS.iterdir() if (p / "expect.yml").is_file())

#: Cases the tool gets wrong today, by test: case -> reason (strict: they fail until fixed).
LOCATION_BUGS: dict[str, str] = {
    "duplicate_yaml_key": (
        "calc/loader.py _construct_mapping locates the key with key_node.start_mark.name, which is "
        "'<unicode string>' (the loader is built from text; setting loader.name afterwards does "
        "not change the marks): the message names no file"
    ),
    "gas_in_tonnes": (
        "FuelRow.consumption_times_lhv_is_energy is a row validator: the error points at the row "
        "(line 14, existing.fuels[0]), not at the consumption written in tonnes (line 16)"
    ),
    "gas_without_gwp_in_set": (
        "calc/park.py evaluate reports a missing GWP at the source row (line 59, sources[7]), not "
        "at the NF3 entry (line 64, sources[7].process.gases.NF3)"
    ),
}
REFUSAL_BUGS: dict[str, str] = {}
HINT_BUGS: dict[str, str] = {}


def _params(bugs: dict[str, str]) -> list[Any]:
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=bugs[name])] if name in bugs else [],
        )
        for name in CASES
    ]


def expectation(case: str) -> dict[str, Any]:
    data = yaml.safe_load((BAD_INPUTS / case / "expect.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@cache
def check(case: str) -> CliResult:
    """``tanping check <case>`` once per case, shared by the tests below."""
    return run_subprocess(["check", BAD_INPUTS / case])


def matching(case: str) -> list[LocatedError]:
    expect = expectation(case)
    return [
        e
        for e in located_errors(check(case).stderr)
        if e.file.endswith(f"{case}/{expect['file']}")
        and e.line == expect["line"]
        and (expect["path"] is None or expect["path"] in e.path)
    ]


def test_corpus_is_complete() -> None:
    """Every case folder has exactly a report.yml and a well-formed expect.yml."""
    assert len(CASES) >= 24
    for case in CASES:
        folder = BAD_INPUTS / case
        assert sorted(p.name for p in folder.iterdir()) == ["expect.yml", "report.yml"], case
        expect = expectation(case)
        assert set(expect) == {"derived_from", "defect", "file", "line", "path", "message"}, case
        assert isinstance(expect["line"], int) and expect["line"] >= 1, case
        assert expect["message"] and all(isinstance(m, str) for m in expect["message"]), case


@pytest.mark.parametrize("case", _params(REFUSAL_BUGS))
def test_refused_with_exit_2_and_no_traceback(case: str) -> None:
    result = check(case)
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == "", result.stdout
    assert CJK.search(result.stderr), result.stderr
    for text in expectation(case)["message"]:
        assert text in result.stderr, (text, result.stderr)


@pytest.mark.parametrize("case", _params(LOCATION_BUGS))
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


@pytest.mark.parametrize("case", _params(HINT_BUGS))
def test_message_says_how_to_fix(case: str) -> None:
    """Every error printed is in Chinese and carries a Chinese 修改建议 (how to fix it)."""
    blocks = error_blocks(check(case).stderr)
    assert blocks, check(case).stderr
    for block in blocks:
        problem, _, hint = block.partition("\n    修改建议：")
        assert CJK.search(problem), block
        assert CJK.search(hint), block

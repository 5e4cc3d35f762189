"""Inputs written to hurt (issue 9, items 3, 4, 6 and 8), each through the real command line.

Each case is refused with exit 2, the file and line, and a Chinese message with a fix; never a
traceback, a hang or a crash. The cases that cost unbounded memory or time before (a billion
laughs, an alias of ten million leaves, 100,000 nested ``[``) run the installed ``tanping`` in a
subprocess under a 1 GB address-space limit; its timeout is a hang guard, not a timing test.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
from pathlib import Path

import pytest

from tanping.calc.errors import InputError
from tanping.calc.files import check_relative, inside
from tests.conftest import CliResult, WriteReport, run_inprocess, tanping_executable

CJK = re.compile(r"[\u4e00-\u9fff]")
MEMORY_LIMIT = 1024**3
HANG_GUARD = 60  # seconds; the refusals take well under one


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_limited(args: list[str | Path]) -> CliResult:
    """The installed ``tanping`` in a subprocess with at most 1 GB of address space."""
    proc = subprocess.run(
        [str(tanping_executable()), *(str(a) for a in args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=HANG_GUARD,
        preexec_fn=_limited,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def assert_refused(result: CliResult, where: str, *words: str) -> None:
    """Exit 2, no traceback, ``where`` (``report.yml:2``) named, a Chinese 修改建议, ``words``."""
    assert result.code == 2, (result.code, result.stdout, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert where in result.stderr, result.stderr[-2000:]
    assert "修改建议：" in result.stderr and CJK.search(result.stderr), result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr[-2000:])


# ---- 3. alias expansion and nesting: bounded memory and time -------------------------------------


def billion_laughs() -> str:
    lines = ["kind: project", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def ten_million_leaves() -> str:
    return (
        "kind: project\n"
        f"leaf: &leaf [{', '.join(['x'] * 10_000)}]\n"
        f"big: [{', '.join(['*leaf'] * 1_000)}]\n"
    )


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        pytest.param(billion_laughs(), 7, ["别名", "展开"], id="billion-laughs"),
        pytest.param(ten_million_leaves(), 3, ["别名", "展开"], id="ten-million-leaves"),
        pytest.param(
            "kind: project\nx: " + "[" * 100_000 + "]" * 100_000 + "\n",
            2,
            ["嵌套超过 64 层"],
            id="100000-nested-brackets",
        ),
        pytest.param(
            "kind: project\nx: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n",
            2,
            ["嵌套超过 64 层"],
            id="100000-nested-braces",
        ),
        pytest.param(
            "kind: project\nx:\n  " + "- " * 100_000 + "a\n", 3, ["嵌套超过 64 层"], id="dashes"
        ),
    ],
)
def test_expansion_and_nesting_refused_within_a_gigabyte(
    write_report: WriteReport, text: str, line: int, words: list[str]
) -> None:
    folder = write_report(text)
    for command in (["check", folder], ["ledger", folder, "--json"]):
        assert_refused(run_limited(command), f"report.yml:{line}", *words)


def test_alias_budget_counts_data_files_apart(write_report: WriteReport) -> None:
    """A data file is composed within its own budget and named in the message."""
    folder = write_report("kind: project\n", data={"big.yml": ten_million_leaves()})
    assert_refused(run_limited(["check", folder]), "data/big.yml:3", "别名")


def test_a_few_aliases_are_still_read(write_report: WriteReport, project_text: str) -> None:
    """Anchors for a repeated block stay usable: the budget is for expansion, not for aliases."""
    text = project_text.replace(
        "      factor: 0.5703 tCO2/MWh\n  basis:\n    工业总产值: 48000 万元",
        "      factor: &grid 0.5703 tCO2/MWh\n  basis:\n    工业总产值: 48000 万元",
        1,
    ).replace("      factor: 0.5703 tCO2/MWh", "      factor: *grid")
    assert "*grid" in text
    folder = write_report(text)
    result = run_inprocess(["ledger", folder, "--json"])
    assert result.code == 0, result.stderr


def test_recursive_alias_is_refused(write_report: WriteReport) -> None:
    folder = write_report("kind: project\nloop: &loop [1, *loop]\n")
    assert_refused(run_inprocess(["check", folder]), "report.yml:2", "递归别名")


def test_undefined_alias_and_second_document(write_report: WriteReport) -> None:
    assert_refused(
        run_inprocess(["check", write_report("kind: project\nx: *nowhere\n", slug="a")]),
        "report.yml:2",
        "别名",
    )
    assert_refused(
        run_inprocess(["check", write_report("kind: project\n---\nkind: park\n", slug="b")]),
        "report.yml:2",
        "多个 YAML 文档",
    )


def test_oversized_file_is_refused(write_report: WriteReport) -> None:
    folder = write_report("kind: project\n")
    with (folder / "report.yml").open("a", encoding="utf-8") as handle:
        handle.write(("# padding " + "x" * 1014 + "\n") * (33 * 1024))
    assert_refused(run_limited(["check", folder]), "report.yml", "超过 32 MB")


def test_values_yaml_cannot_build_are_located(write_report: WriteReport) -> None:
    """A date that does not exist and an integer of 5,000 digits: ValueError before."""
    folder = write_report("kind: project\ndate: 2024-13-45\n", slug="date")
    assert_refused(run_inprocess(["check", folder]), "report.yml:2", "无法读取")
    folder = write_report("kind: project\nyear: " + "9" * 5000 + "\n", slug="digits")
    assert_refused(run_inprocess(["check", folder]), "report.yml:2", "无法读取")


# ---- 4. numbers: one grammar ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("8,5 t", ["千位分隔符"]),
        ("1,2,0,0,0 t", ["每三位一组"]),
        ("1,2345 t", ["每三位一组"]),
        ("1e308 t", ["超出可用范围"]),
        ("nan t", ["不是有限数"]),
        ("inf t", ["不是有限数"]),
        ("-∞ t", ["不是有限数"]),
        ("１２ t", ["半角数字"]),
        ("1_000 t", ["下划线"]),
        ("0x1F t", ["十进制"]),
        ("1.2.3 t", ["小数点"]),
        ("5e-400 t", ["超出可用范围"]),
    ],
)
def test_malformed_numbers_are_refused(
    write_report: WriteReport, project_text: str, written: str, words: list[str]
) -> None:
    folder = write_report(project_text.replace("activity: 2.4 t", f"activity: {written}"))
    line = project_text[: project_text.index("activity: 2.4 t")].count("\n") + 1
    assert_refused(run_inprocess(["check", folder]), f"report.yml:{line}", written, *words)


# (magnitudes that keep the intensity within 10x of the example's target: check refuses more)
@pytest.mark.parametrize("written", ["1,200.5 t", "1,234,567 g", "1.2e1 t", ".5 t", "2.4 t"])
def test_well_formed_numbers_are_read(
    write_report: WriteReport, project_text: str, written: str
) -> None:
    folder = write_report(project_text.replace("activity: 2.4 t", f"activity: {written}"))
    result = run_inprocess(["check", folder])
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("written", [".nan", ".inf", "-.inf", "nan", "1e999", "0x10"])
def test_bare_number_fields_refuse_nan_and_infinity(
    write_report: WriteReport, park_text: str, written: str
) -> None:
    """``decline_pct: .nan`` printed "下降率 ≥ nan%" before."""
    text = park_text + (
        f"targets:\n  - {{industry: 水泥制造, indicator: output_value, period: 2030, "
        f"scenario: control, decline_pct: {written}}}\n"
    )
    folder = write_report(text)
    line = text.count("\n")
    assert_refused(run_inprocess(["check", folder]), f"report.yml:{line}", "decline_pct")


def test_sexagesimal_and_octal_stay_text(write_report: WriteReport, project_text: str) -> None:
    """YAML 1.1 reads ``1:30`` as 90 and ``017`` as 15; a text field keeps what was written."""
    folder = write_report(project_text.replace("year: 2026", "year: 2026\ndate: 10:30"))
    assert run_inprocess(["check", folder]).code == 0
    folder = write_report(project_text.replace("year: 2026", "year: 02026"), slug="octal")
    assert run_inprocess(["check", folder]).code == 0  # decimal 2026, not octal


# ---- 6. files outside the report folder --------------------------------------------------------


def test_data_file_linked_outside_is_refused(
    write_report: WriteReport, project_text: str, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.yml"
    outside.write_text("measures: []\n", encoding="utf-8")
    folder = write_report(project_text)
    (folder / "data").mkdir()
    (folder / "data" / "more.yml").symlink_to(outside)
    assert_refused(run_inprocess(["check", folder]), "data/more.yml", "符号链接", "报告目录")


def test_data_folder_linked_outside_is_refused(
    write_report: WriteReport, project_text: str, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "more.yml").write_text("measures: []\n", encoding="utf-8")
    folder = write_report(project_text)
    (folder / "data").symlink_to(elsewhere)
    assert_refused(run_inprocess(["check", folder]), "report", "数据目录", "符号链接")


def test_report_linked_outside_is_refused(project_text: str, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yml"
    outside.write_text(project_text, encoding="utf-8")
    folder = tmp_path / "content" / "linked"
    folder.mkdir(parents=True)
    (folder / "report.yml").symlink_to(outside)
    assert_refused(run_inprocess(["check", folder]), "report.yml", "符号链接")


def test_link_inside_the_folder_is_followed(write_report: WriteReport, project_text: str) -> None:
    folder = write_report(project_text)
    (folder / "data").mkdir()
    (folder / "extra.yml").write_text("client: 某公司\n", encoding="utf-8")
    (folder / "data" / "client.yml").symlink_to(folder / "extra.yml")
    assert run_inprocess(["check", folder]).code == 0


@pytest.mark.parametrize(
    ("boundary", "words"),
    [
        ("../boundary.geojson", [".."]),
        ("/etc/passwd", ["绝对路径"]),
        ("link.geojson", ["符号链接"]),
    ],
)
def test_boundary_outside_the_folder_is_refused(
    write_report: WriteReport, park_text: str, tmp_path: Path, boundary: str, words: list[str]
) -> None:
    outside = tmp_path / "boundary.geojson"
    outside.write_text('{"type": "Polygon", "coordinates": []}', encoding="utf-8")
    text = park_text.replace(
        "district: 重庆市某区\n", f"district: 重庆市某区\nboundary: {boundary}\n"
    )
    folder = write_report(text)
    (folder / "link.geojson").symlink_to(outside)
    assert_refused(run_inprocess(["check", folder]), "report.yml:7", "boundary", *words)


def test_inside_resolves_within_and_refuses_without(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.md").write_text("x", encoding="utf-8")
    (folder / "alias.md").symlink_to(folder / "sub" / "a.md")
    (folder / "out.md").symlink_to(tmp_path)
    assert inside(folder, "sub/a.md") == (folder / "sub" / "a.md").resolve()
    assert inside(folder, "alias.md") == (folder / "sub" / "a.md").resolve()
    for name in ("../x.md", "/etc/passwd", "sub/../../x", "out.md", "C:\\x.md", "~/x"):
        with pytest.raises(InputError) as caught:
            inside(folder, name)
        assert CJK.search(caught.value.problem) and CJK.search(caught.value.hint), name
    with pytest.raises(ValueError, match="绝对路径"):
        check_relative("/tmp/x")


# ---- 8. encodings and free text ----------------------------------------------------------------


def test_gbk_file_names_line_and_column(write_report: WriteReport, project_text: str) -> None:
    folder = write_report(project_text)
    (folder / "report.yml").write_bytes(project_text.encode("gbk"))
    line = project_text[: project_text.index("北京")].count("\n") + 1
    assert_refused(run_inprocess(["check", folder]), f"report.yml:{line}", "UTF-8", f"第 {line} 行")


def test_control_character_named_in_chinese(write_report: WriteReport, project_text: str) -> None:
    text = project_text.replace("name: 外购蒸汽", "name: 外购\x07蒸汽")
    line = text[: text.index("\x07")].count("\n") + 1
    folder = write_report(text)
    result = run_inprocess(["check", folder])
    assert_refused(result, f"report.yml:{line}", "控制字符", "U+0007")
    assert "position" not in result.stderr


def test_huge_title_is_refused_at_once(write_report: WriteReport, project_text: str) -> None:
    """A title of 100,000 characters took 483 s and 1.35 GB to build."""
    text = project_text.replace(
        "title: 北京某生物医药产业基地扩建项目碳排放评价", "title: " + "碳" * 100_000
    )
    folder = write_report(text)
    assert_refused(run_limited(["check", folder]), "report.yml:5 title", "文字过长")


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("district: 北京市大兴区", 'district: "北京市\\n大兴区"', 6),
        ("    - name: 外购蒸汽", '    - name: "外购\\u2028蒸汽"', 50),
        ("industry: 医药制造业", "industry: >-\n  医药\n\n  制造业", 8),
    ],
)
def test_newline_in_a_single_line_field_is_refused(
    write_report: WriteReport, project_text: str, old: str, new: str, line: int
) -> None:
    assert old in project_text
    folder = write_report(project_text.replace(old, new))
    assert_refused(run_inprocess(["check", folder]), f"report.yml:{line}", "只能有一行")


def test_descriptive_fields_keep_their_lines(write_report: WriteReport, project_text: str) -> None:
    old = "    carbon_effect: 锅炉热效率提高约 1.5 %"
    assert old in project_text
    text = project_text.replace(
        old, "    carbon_effect: |\n      锅炉热效率提高约 1.5 %\n      节约天然气"
    )
    assert run_inprocess(["check", write_report(text)]).code == 0
    long = project_text.replace(old, "    carbon_effect: " + "节" * 5000)
    assert_refused(run_inprocess(["check", write_report(long, slug="long")]), "report.yml", "最多")

"""The filing gate (``tanping check --filing``) and the chapter check of ``tanping check``.

Each rule of :mod:`tanping.templates.filing` gets one-defect cases run through the real command
line: exit 2, the file and line of the problem, and the Chinese hint. The worked examples pass
the gate; a fresh scaffold fails it with its placeholders listed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult

Run = Callable[[Sequence[str]], CliResult]


def _copy(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(REPO / "content" / name, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` in ``path`` by ``new``; the 1-based line of the change."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    index = text.index(old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text.count("\n", 0, index) + 1


def _problems(result: CliResult) -> list[str]:
    return re.findall(r"^\[\d+\] (.*)$", result.stderr, flags=re.MULTILINE)


# ---- the worked examples and the scaffold ------------------------------------------------------
@pytest.mark.parametrize("name", ["bj-heating", "cq-park"])
def test_worked_examples_pass_the_filing_gate(cli: Run, name: str) -> None:
    result = cli(["check", "--filing", str(REPO / "content" / name)])
    assert result.code == 0, result.stderr
    assert "符合报批要求" in result.stdout


@pytest.mark.parametrize("kind", ["project", "park"])
def test_a_fresh_scaffold_fails_with_its_placeholders_listed(
    cli: Run, tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / f"new-{kind}"
    assert cli(["new", "--kind", kind, str(folder)]).code == 0
    assert cli(["check", str(folder)]).code == 0  # valid as a draft
    result = cli(["check", "--filing", str(folder)])
    assert result.code == 2
    assert "Traceback" not in result.stderr
    placeholders = [p for p in _problems(result) if "占位标记" in p]
    chapters = {
        re.match(r"new-\w+/(\S+?\.md):\d+", p).group(1) for p in placeholders if ".md:" in p
    }
    assert chapters == {p.name for p in folder.glob("[0-9]*.md")}  # every chapter has some
    assert any(p.startswith(f"new-{kind}/report.yml:") for p in placeholders)  # data too
    assert "Jinja 注释" in result.stderr


def test_author_notes_of_the_scaffold_are_jinja_comments() -> None:
    """What the scaffold tells the author can never be printed: it is a Jinja comment."""
    for path in (REPO / "templates" / "scaffold").glob("*/*.md"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "填写说明" in line:
                start, end = line.find("{#"), line.find("#}")
                assert -1 < start < line.index("填写说明") < end, f"{path.name}: {line}"


# ---- one defect each ---------------------------------------------------------------------------
def test_placeholder_in_a_chapter(cli: Run, tmp_path: Path) -> None:
    folder = _copy("bj-heating", tmp_path)
    line = _edit(folder / "05-management.md", "\n\n", "\n\n【待补充】监测频次。\n\n")
    result = cli(["check", "--filing", str(folder)])
    assert result.code == 2
    assert (
        f"bj-heating/05-management.md:{line + 2}：占位标记 “【待补充】” 尚未替换" in result.stderr
    )


def test_placeholder_in_data(cli: Run, tmp_path: Path) -> None:
    folder = _copy("bj-heating", tmp_path)
    text = (folder / "report.yml").read_text(encoding="utf-8")
    title = re.search(r"^title: (.+)$", text, flags=re.MULTILINE)
    assert title
    line = _edit(folder / "report.yml", title.group(0), "title: 【待填写】项目名称")
    result = cli(["check", "--filing", str(folder)])
    assert result.code == 2
    assert f"bj-heating/report.yml:{line} title：数据中的占位标记" in result.stderr


def test_missing_section(cli: Run, tmp_path: Path) -> None:
    folder = _copy("bj-heating", tmp_path)
    _edit(folder / "03-level.md", "### 产业园区碳排放总量贡献分析", "### 园区贡献")
    result = cli(["check", "--filing", str(folder)])
    assert result.code == 2
    assert "缺少指南要求的章节 3.1.2 “产业园区碳排放总量贡献分析”" in result.stderr
    assert "bj-heating/03-level.md:" in result.stderr


def test_missing_required_table(cli: Run, tmp_path: Path) -> None:
    folder = _copy("bj-heating", tmp_path)
    _edit(folder / "02-accounting.md", "{{ table_b3() }}", "")
    source = (folder / "02-accounting.md").read_text(encoding="utf-8")
    (folder / "02-accounting.md").write_text(
        re.sub(r"\{\{ ref\(\"b3\"\) \}\}", "下表", source), encoding="utf-8"
    )
    result = cli(["check", "--filing", str(folder)])
    assert result.code == 2, result.stderr
    assert "第 2.5 节 “碳排放强度核算” 缺少指南第 7.6.2 条要求的表（b3）" in result.stderr


def test_hand_typed_quantity(cli: Run, tmp_path: Path) -> None:
    folder = _copy("bj-heating", tmp_path)
    line = _edit(
        folder / "06-conclusions.md",
        "\n\n",
        "\n\n项目净新增碳排放量为 7962.57 tCO2/a，占比 0.04%。\n\n",
    )
    result = cli(["check", "--filing", str(folder)])
    assert result.code == 2
    problems = _problems(result)
    where = f"bj-heating/06-conclusions.md:{line + 2}"
    assert f"{where}：正文中手写的数量 “7962.57 tCO2/a”：它不会随数据更新" in problems
    assert f"{where}：正文中手写的数量 “0.04%”：它不会随数据更新" in problems
    assert 'fig("b2.net_new")' in result.stderr


def test_numbers_that_are_not_quantities_pass() -> None:
    """Clause numbers, standards, years, ratings and figures in Jinja calls are not flagged."""
    from tanping.templates.filing import _QUANTITY, _is_data_unit, prose

    text = prose(
        "按 GB/T 32151.22-2024 与 DB 11/T 1781 第 7.2 条，2025 年，5 台 29 MW 锅炉，"
        '10 kV 线路，占地 62.4 km²，熟料线 4000 t/d。{{ fig("b2.net_new") }} {# 30 % #}\n'
        "```\n12 tCO2\n```\n<!-- 5 万t -->"
    )
    flagged = [m.group(0) for m in _QUANTITY.finditer(text) if _is_data_unit(m.group("unit"))]
    assert flagged == []


def test_empty_planning_scenario(cli: Run, tmp_path: Path) -> None:
    folder = _copy("cq-park", tmp_path)
    text = (folder / "report.yml").read_text(encoding="utf-8")
    scenarios = re.search(r"^scenarios:\s*\n((?:  .*\n)+)", text, flags=re.MULTILINE)
    assert scenarios
    _edit(
        folder / "report.yml",
        scenarios.group(0),
        scenarios.group(0) + "  extra: 强化情景\n"
        if not scenarios.group(0).endswith("\n\n")
        else scenarios.group(0),
    )
    result = cli(["check", str(folder)])  # refused at any time, not only for filing
    assert result.code == 2, result.stderr
    assert (
        "cq-park/report.yml:17 scenarios.extra：2030、2035 年强化情景（extra）没有任何排放源数据"
        in (result.stderr)
    )


def test_missing_enterprise_in_a_planning_period(cli: Run, tmp_path: Path) -> None:
    """An enterprise of the base year without rows in a planning period fails the gate at its
    declaration; an exit: with the reason lets it pass, and coverage_note() prints the reason."""
    folder = _copy("cq-park", tmp_path)
    path = folder / "report.yml"
    text = path.read_text(encoding="utf-8")
    rows = re.findall(
        r"^  - \{period: 20(?:30|35), scenario: \w+, enterprise: 临江电气有限公司.*\n",
        text,
        flags=re.MULTILINE,
    )
    assert rows
    for row in rows:
        text = text.replace(row, "")
    path.write_text(text, encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "name: 临江电气有限公司" in t)
    result = cli(["check", "--filing", str(folder)])
    assert result.code == 2, result.stderr
    assert (
        f"cq-park/report.yml:{line} enterprises[6]：企业“临江电气有限公司”2024 年有排放，但 "
        "2030 年基准情景、2030 年对照情景、2035 年基准情景、2035 年对照情景 没有其排放源数据"
    ) in result.stderr
    assert "exit: {year: <年份>, reason: 关停}" in result.stderr
    _edit(path, "key: false}", "key: false, exit: {year: 2028, reason: 整体搬迁出园区}}")
    result = cli(["check", "--filing", str(folder)])
    assert result.code == 0, result.stderr  # its industry has no other enterprise: explained too


def test_unsourced_factor(cli: Run, tmp_path: Path) -> None:
    folder = _copy("bj-heating", tmp_path)
    _edit(folder / "report.yml", "  electricity.factor:", "  # electricity.factor:")
    line = next(
        n
        for n, t in enumerate((folder / "report.yml").read_text(encoding="utf-8").splitlines(), 1)
        if "name: 厂区用电" in t
    )
    result = cli(["check", str(folder)])
    assert result.code == 0, result.stderr  # a filing rule, not a check rule
    result = cli(["check", "--filing", str(folder)])
    assert result.code == 2
    assert (
        f"bj-heating/report.yml:{line} existing.electricity[0]："
        "本行自行给出的因子 factor 没有注明来源" in result.stderr
    )
    assert "factor_sources" in result.stderr


def test_prose_counts_come_from_the_data() -> None:
    """cq-park no longer says 六种 of the seven gases: the count is gas_count() of its data."""
    text = (REPO / "content" / "cq-park" / "07-identification.md").read_text(encoding="utf-8")
    assert "六种" not in text and "{{ gas_count() }}种" in text


# ---- tanping check renders the chapters --------------------------------------------------------
def test_check_finds_an_unknown_macro_in_a_chapter(cli: Run, tmp_path: Path) -> None:
    folder = _copy("bj-heating", tmp_path)
    line = _edit(folder / "02-accounting.md", "{{ table_b2() }}", "{{ table_b22() }}")
    result = cli(["check", str(folder)])
    assert result.code == 2
    assert f"02-accounting.md:{line}" in result.stderr
    assert "table_b22" in result.stderr and "Traceback" not in result.stderr


def test_check_finds_an_unknown_ledger_key(cli: Run, tmp_path: Path) -> None:
    folder = _copy("bj-heating", tmp_path)
    _edit(folder / "06-conclusions.md", "\n\n", '\n\n{{ fig("b2.net_neww") }}\n\n')
    result = cli(["check", str(folder)])
    assert result.code == 2
    assert "06-conclusions.md:" in result.stderr and "b2.net_neww" in result.stderr
    assert "是否为 “b2.net_new”？" in result.stderr  # the closest keys, as a suggestion


def test_check_finds_a_template_syntax_error(cli: Run, tmp_path: Path) -> None:
    folder = _copy("bj-heating", tmp_path)
    line = _edit(folder / "03-level.md", "\n\n", "\n\n{% if %}\n\n")
    result = cli(["check", str(folder)])
    assert result.code == 2
    assert f"03-level.md:{line + 2}" in result.stderr and "Traceback" not in result.stderr


# ---- draft marking -----------------------------------------------------------------------------
def _page_texts(pdf: Path) -> list[str]:
    import subprocess

    pages = int(
        re.search(
            r"^Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout,
            flags=re.MULTILINE,
        ).group(1)
    )
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    ]


@pytest.mark.slow
def test_a_draft_pdf_is_marked_on_every_page_and_named_so(cli: Run, tmp_path: Path) -> None:
    folder = _copy("spec-project", tmp_path)  # the contract fixture: placeholders left
    result = cli(["pdf", str(folder)])
    assert result.code == 0, result.stderr
    assert "征求意见稿" in result.stdout
    (pdf,) = folder.glob("*.pdf")
    assert pdf.name == "spec-project-草稿.pdf"
    texts = _page_texts(pdf)
    assert len(texts) > 5 and all("征求意见稿" in text for text in texts)


@pytest.mark.slow
def test_a_clean_report_pdf_carries_no_draft_mark(cli: Run, tmp_path: Path) -> None:
    folder = _copy("bj-heating", tmp_path)
    result = cli(["pdf", "--filing", str(folder)])
    assert result.code == 0, result.stderr
    (pdf,) = folder.glob("*.pdf")
    assert pdf.name == "bj-heating.pdf"
    assert not any("征求意见稿" in text for text in _page_texts(pdf))


def test_pdf_filing_refuses_a_draft_and_writes_nothing(cli: Run, tmp_path: Path) -> None:
    folder = _copy("spec-project", tmp_path)
    result = cli(["pdf", "--filing", str(folder)])
    assert result.code == 2
    assert "报告尚不符合报批要求" in result.stderr and "占位标记" in result.stderr
    assert not list(folder.glob("*.pdf"))


@pytest.mark.parametrize("name", ["spec-project", "spec-park"])
def test_contract_fixtures_say_what_they_are_and_are_never_filed(cli: Run, name: str) -> None:
    result = cli(["check", "--filing", str(REPO / "content" / name)])
    assert result.code == 2
    assert f"[1] {name}/fixture.yml:4：本目录是格式样例，不是评价报告" in result.stderr

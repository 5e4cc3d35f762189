"""``tanping diff``: exactly the figures that changed between two commits, in a real git repo.

Each test builds a temporary repository from the project's own Beijing example
(``content/spec-project/report.yml``), commits it, changes one thing, commits again, and compares
the command's output with the ledgers computed directly.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import yaml

from tanping.calc.pipeline import compute
from tanping.diff import NO_INPUT_CHANGE
from tests.conftest import REPO, CliResult

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

EXAMPLE = REPO / "content" / "spec-project" / "report.yml"
SLUG = "bj"
FOLDER = f"content/{SLUG}"


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    proc = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, env=env
    )
    return proc.stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dump(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return root


def run_diff(repo: Path, *args: str) -> CliResult:
    from tests.conftest import run_inprocess

    return run_inprocess(["diff", "-C", str(repo), *args])


def changed_keys(before: Path, after: Path) -> set[str]:
    """The figures whose value differs, computed directly (the oracle of the tests)."""
    old = {f.key: f.value for f in compute(before).ledger}
    new = {f.key: f.value for f in compute(after).ledger}
    return {
        k
        for k in old.keys() | new.keys()
        if k not in old or k not in new or not math.isclose(old[k], new[k], rel_tol=1e-12)
    }


def listed_keys(markdown: str) -> set[str]:
    return set(re.findall(r"^\| `([^`]+)` \|", markdown, flags=re.MULTILINE))


def snapshot(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)


def test_one_input_changed_lists_exactly_the_affected_figures(repo: Path, tmp_path: Path) -> None:
    folder = repo / FOLDER
    data = load(EXAMPLE)
    heat = data["proposed"].pop("heat")  # one part of the inputs in data/, as reports do
    dump(folder / "report.yml", data)
    dump(folder / "data" / "heat.yml", {"proposed": {"heat": heat}})
    (folder / "01-overview.md").write_text("# 概述\n", encoding="utf-8")
    first = commit(repo, "report")
    snapshot(folder, tmp_path / "before")

    data["proposed"]["fuels"][0]["consumption"] = "70 万Nm3"  # was 60
    dump(folder / "report.yml", data)
    second = commit(repo, "more gas")
    expected = changed_keys(tmp_path / "before", folder)

    result = run_diff(repo, first, second, "--markdown")
    assert result.code == 0, result.stderr
    assert listed_keys(result.stdout) == expected
    assert "b1.proposed.新建燃气锅炉" in expected and "b2.net_new" in expected
    assert not any(k.startswith(("b1.existing", "b2.existing")) for k in expected)
    assert f"`{FOLDER}/report.yml`" in result.stdout
    assert NO_INPUT_CHANGE not in result.stdout
    row = next(line for line in result.stdout.splitlines() if "`b1.proposed.新建燃气锅炉`" in line)
    assert "+16.67%" in row  # 60 -> 70 万Nm3, the emission scales with it

    # a data file: only the heat figures and their sums change
    snapshot(folder, tmp_path / "before2")
    heat[0]["consumption"] = "18000 GJ"  # was 15000
    dump(folder / "data" / "heat.yml", {"proposed": {"heat": heat}})
    third = commit(repo, "more steam")
    result = run_diff(repo, second, third)
    assert result.code == 0, result.stderr
    assert f"输入变更：{FOLDER}/data/heat.yml" in result.stdout
    text_keys = set(re.findall(r"^ [ +-] (\S+)  ", result.stdout, flags=re.MULTILINE))
    assert text_keys == changed_keys(tmp_path / "before2", folder)
    assert "b1.proposed.外购蒸汽" in text_keys and "b1.proposed.新建燃气锅炉" not in text_keys


def test_working_tree_default_and_added_removed_figures(repo: Path) -> None:
    folder = repo / FOLDER
    data = load(EXAMPLE)
    dump(folder / "report.yml", data)
    commit(repo, "report")

    unchanged = run_diff(repo)
    assert unchanged.code == 0, unchanged.stderr
    assert "数值无变化" in unchanged.stdout and "工作区" in unchanged.stdout

    data["proposed"]["fuels"].append(
        {
            "name": "新建导热油炉",
            "fuel": "天然气",
            "consumption": "5 万Nm3",
            "lhv": "389.31 GJ/万Nm3",
            "carbon_content": "0.01532 tC/GJ",
            "oxidation": "99 %",
        }
    )
    del data["proposed"]["processes"]  # its figures go away
    dump(folder / "report.yml", data)
    result = run_diff(repo, "--markdown")  # HEAD against the working tree
    assert result.code == 0, result.stderr
    assert "`b1.proposed.新建导热油炉` | 拟建工程 新建导热油炉 碳排放量（新增）" in result.stdout
    assert "`b1.proposed.焊接保护气` | 拟建工程 焊接保护气 碳排放量（删除）" in result.stdout
    assert "→ `工作区`" in result.stdout


def test_figures_changed_without_input_change_are_called_out(repo: Path) -> None:
    """The repository carries its own code (tanping/ with its links to calc/, units/ and
    templates/): a factor library change alone moves figures computed with a default factor, and
    the diff says so."""
    for package in ("tanping", "calc", "units", "templates"):
        shutil.copytree(
            REPO / package,
            repo / package,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    folder = repo / FOLDER
    data = load(EXAMPLE)
    del data["proposed"]["fuels"][0]["carbon_content"]  # taken from cn-default (fuels.csv)
    dump(folder / "report.yml", data)
    first = commit(repo, "report with a default factor")

    fuels = repo / "calc" / "factors" / "fuels.csv"
    lines = fuels.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith("gbt32151-2024,天然气,carbon_content,"):
            cells = line.split(",")
            cells[4] = str(round(float(cells[4]) * 1.01, 4))
            lines[index] = ",".join(cells)
            break
    else:
        pytest.fail("no gbt32151-2024 天然气 carbon_content row in calc/factors/fuels.csv")
    fuels.write_text("".join(lines), encoding="utf-8")
    second = commit(repo, "factor library update")

    result = run_diff(repo, first, second)
    assert result.code == 0, result.stderr
    assert NO_INPUT_CHANGE in result.stdout
    assert "calc/factors/fuels.csv" in result.stdout
    assert "输入变更：无" in result.stdout
    assert "b1.proposed.新建燃气锅炉" in result.stdout
    assert "b1.existing.燃气锅炉" not in result.stdout  # gave all three parameters

    md = run_diff(repo, first, second, "--markdown")
    assert NO_INPUT_CHANGE in md.stdout and "[!WARNING]" in md.stdout


def test_unknown_revision_is_a_clear_error(repo: Path) -> None:
    dump(repo / FOLDER / "report.yml", load(EXAMPLE))
    commit(repo, "report")
    result = run_diff(repo, "nosuchrev")
    assert result.code == 2
    assert "nosuchrev" in result.stderr and "Traceback" not in result.stderr


def test_subprocess_cli(repo: Path, tanping: Callable[[Sequence[str]], CliResult]) -> None:
    """The installed console script, as a reviewer runs it."""
    dump(repo / FOLDER / "report.yml", load(EXAMPLE))
    commit(repo, "report")
    result = tanping(["diff", "--markdown"], cwd=repo)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("## tanping diff：")


def test_changed_input_values_are_shown(repo: Path) -> None:
    """The reviewer sees the value that moved, not only the file: ``60 万Nm3 → 70 万Nm3``."""
    folder = repo / FOLDER
    data = load(EXAMPLE)
    dump(folder / "report.yml", data)
    first = commit(repo, "report")
    fuel = data["proposed"]["fuels"][0]
    old = fuel["consumption"]
    fuel["consumption"] = "70 万Nm3"
    data["title"] = data["title"] + "（修订）"
    dump(folder / "report.yml", data)
    second = commit(repo, "more gas")

    text = run_diff(repo, first, second)
    assert text.code == 0, text.stderr
    path = f"proposed.fuels[{fuel['name']}].consumption"
    assert f"{path}：{old} → 70 万Nm3" in text.stdout
    assert "title：" in text.stdout
    md = run_diff(repo, first, second, "--markdown")
    assert f"`{path}`：{old} → 70 万Nm3" in md.stdout


def test_broken_working_tree_is_an_input_error(repo: Path) -> None:
    """A working tree whose report does not compute is reported with its located error and exit
    2; its figures are not listed as removed."""
    folder = repo / FOLDER
    data = load(EXAMPLE)
    dump(folder / "report.yml", data)
    commit(repo, "report")
    data["proposed"]["fuels"][0]["consumption"] = "60 万t"  # a mass where a gas volume is due
    dump(folder / "report.yml", data)

    for args in ([], ["--markdown"]):
        result = run_diff(repo, *args)
        assert result.code == 2, result.stdout
        assert "report.yml:" in result.stderr and "修改建议" in result.stderr
        assert "Traceback" not in result.stderr
        assert "删除" not in result.stdout and "removed" not in result.stdout
        assert "数值未比较" in result.stdout

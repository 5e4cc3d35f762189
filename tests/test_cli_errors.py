"""Every command answers bad input with the file, the line and a Chinese hint, exit code 2, and
never a traceback: the real ``tanping`` console script, run as a user runs it.

- ``tanping pdf`` on a broken chapter (undefined name, template syntax error, GBK text, a NUL
  byte) names the chapter and line;
- ``tanping build`` into a site directory the operating system refuses (its parent is a regular
  file; a path under ``/proc``; both refused to root too) says where and why;
- ``tanping ledger … | head`` stops quietly when the reader goes away (exit 141, 128 + SIGPIPE);
- the error classes of every layer are one tree under :class:`TanpingError`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult, run_subprocess, tanping_executable
from tests.test_build import REPORT, make_project

CHAPTER = "01-overview.md"


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """A copy of the Beijing example report with its chapters."""
    folder = tmp_path / "content" / REPORT
    shutil.copytree(REPO / "content" / REPORT, folder)
    return folder


def insert_line(chapter: Path, line: bytes, number: int = 3) -> None:
    lines = chapter.read_bytes().split(b"\n")
    lines.insert(number - 1, line)
    chapter.write_bytes(b"\n".join(lines))


def assert_located(result: CliResult, where: str) -> None:
    assert result.code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert re.search(rf"^tanping: \S*{re.escape(where)}\D", result.stderr, re.M), result.stderr
    assert "修改建议：" in result.stderr


# ---- tanping pdf on a broken chapter -------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"{{ nosuch_macro() }}", "未定义的名称"),
        (b"{% if %}", "模板语法错误"),
        ("碳排放评价的编码错误".encode("gbk"), "UTF-8"),
        (b"text with a \x00 byte", "NUL"),
    ],
    ids=["undefined-macro", "syntax-error", "gbk", "nul-byte"],
)
def test_pdf_names_the_chapter_and_line(report: Path, line: bytes, says: str) -> None:
    insert_line(report / CHAPTER, line)
    out = report.parent / "out.pdf"
    result = run_subprocess(["pdf", report, "-o", out])
    assert_located(result, f"{CHAPTER}:3")
    assert says in result.stderr
    assert not out.exists()


def test_build_names_a_gbk_chapter(tmp_path: Path) -> None:
    folder = make_project(tmp_path / "project")
    insert_line(folder / CHAPTER, "编码".encode("gbk"), 4)
    result = run_subprocess(
        ["build", "--no-pdf", "--config", tmp_path / "project" / "mkdocs.yml"], cwd=tmp_path
    )
    assert_located(result, f"{CHAPTER}:4")
    assert "UTF-8" in result.stderr and "上一次的成功输出保持不变" in result.stderr


# ---- a site directory the OS refuses (even to root) ----------------------------------------------
def test_build_into_a_path_under_a_regular_file(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_project(root)
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file", encoding="utf-8")
    result = run_subprocess(
        ["build", "--no-pdf", "--config", root / "mkdocs.yml", "--site-dir", blocker / "site"],
        cwd=root,
    )
    assert_located(result, "blocker")
    assert "无法写入站点" in result.stderr
    assert blocker.read_text(encoding="utf-8") == "a regular file"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_build_into_proc(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_project(root)
    result = run_subprocess(
        ["build", "--no-pdf", "--config", root / "mkdocs.yml", "--site-dir", "/proc/tanping-site"],
        cwd=root,
    )
    assert_located(result, "/proc")
    assert "无法写入站点" in result.stderr


def test_pdf_into_a_path_under_a_regular_file(report: Path) -> None:
    """The PDF is rendered, then cannot be written: the output path is named."""
    blocker = report.parent / "blocker"
    blocker.write_text("", encoding="utf-8")
    result = run_subprocess(["pdf", report, "-o", blocker / "out.pdf"])
    assert_located(result, "blocker/out.pdf")
    assert "无法写入 PDF" in result.stderr


# ---- a closed pipe -------------------------------------------------------------------------------
@pytest.mark.parametrize("reader", ["head -1", "true"])
def test_ledger_into_a_closed_pipe_is_quiet(reader: str) -> None:
    """``| true`` closes the pipe before the first write (always EPIPE); ``| head -1`` after the
    first line (EPIPE once the pipe's buffer is full, or none)."""
    script = (
        f'"{tanping_executable()}" ledger content/spec-park | {reader}; echo "${{PIPESTATUS[0]}}"'
    )
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr
    assert "Exception ignored" not in proc.stderr, proc.stderr
    status = int(proc.stdout.strip().splitlines()[-1])
    assert status == (141 if reader == "true" else status) and status in (0, 141)


# ---- one error tree ------------------------------------------------------------------------------
def test_every_layer_raises_the_one_base_error() -> None:
    from tanping.calc.errors import Location, TanpingError
    from tanping.diff import DiffError
    from tanping.templates.pdf import PrintError
    from tanping.templates.publish import SiteBuildError, SiteDirError, WebFontError
    from tanping.templates.render import RenderError

    for cls in (DiffError, PrintError, SiteBuildError, SiteDirError, WebFontError, RenderError):
        assert issubclass(cls, TanpingError), cls
    error = RenderError(Path("content/x/01-a.md"), 3, "未定义的名称：'x' is undefined")
    assert error.location == Location("content/x/01-a.md", 3)
    assert error.problem.startswith("未定义的名称") and error.hint
    assert error.render().startswith("content/x/01-a.md:3：未定义的名称")
    assert (
        SiteBuildError("p", "h", Location("f", 1)).render().endswith("上一次的成功输出保持不变。")
    )


def test_diff_outside_a_repository_exits_2(tmp_path: Path) -> None:
    result = run_subprocess(["diff", "-C", tmp_path], cwd=tmp_path)
    assert result.code == 2, result.stdout + result.stderr
    assert result.stderr.startswith("tanping: ") and "Traceback" not in result.stderr

"""The build cache (issue 13): a second build with no change reuses every output and writes the
same bytes; a one-character change to one chapter rebuilds only that report; a corrupt entry is
ignored, never served; ``tanping build REPORT`` builds only the reports named.

Each test builds a throw-away project of two copies of the Beijing example (``alpha`` and
``beta``) with its own cache folder (``TANPING_CACHE``), and reads what each build did from its
summary table (plain text when not on a terminal: report, output, pages, time or 缓存).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult, run_subprocess
from tests.test_build import digest, make_project

pytestmark = pytest.mark.slow
FAST = {"TANPING_WEBFONTS": "0"}
OUTPUTS = ("站点页面", "PDF", "Word 与 Excel")  # as the summary names them


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    make_project(root)
    content = root / "content"
    (content / "spec-project").rename(content / "alpha")
    shutil.copytree(REPO / "content" / "spec-project", content / "beta")
    monkeypatch.setenv("TANPING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # the PDF date, as a release fixes it
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CI", raising=False)
    return root


def build(root: Path, *extra: str) -> CliResult:
    result = run_subprocess(["build", "--config", str(root / "mkdocs.yml"), *extra], cwd=root)
    assert result.code == 0, result.stdout + result.stderr
    return result


def outputs(result: CliResult) -> dict[tuple[str, str], str]:
    """(report, output) -> time or 缓存, from the build's summary table."""
    rows = {}
    for line in result.stdout.splitlines():
        cells = line.split("\t")
        if len(cells) == 4 and cells[0] != "报告":
            rows[cells[0], cells[1]] = cells[3]
    return rows


def test_a_second_build_reuses_every_output_byte_for_byte(workspace: Path) -> None:
    first = outputs(build(workspace))
    assert set(first) == {(r, o) for r in ("alpha", "beta") for o in OUTPUTS}
    assert "缓存" not in first.values()
    before = digest(workspace / "site")
    second = outputs(build(workspace))
    assert set(second) == set(first)
    assert set(second.values()) == {"缓存"}, second
    assert digest(workspace / "site") == before


def test_a_changed_chapter_rebuilds_only_its_report(workspace: Path) -> None:
    build(workspace)
    chapter = workspace / "content" / "beta" / "06-conclusions.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n甲\n", encoding="utf-8")
    after = outputs(build(workspace))
    assert all(after["alpha", o] == "缓存" for o in OUTPUTS), after
    assert all(after["beta", o] != "缓存" for o in OUTPUTS), after
    page = (workspace / "site" / "beta" / "06-conclusions.html").read_text("utf-8")
    assert "<p>甲</p>" in page


def test_a_corrupt_entry_is_ignored(workspace: Path, tmp_path: Path) -> None:
    build(workspace)
    good = digest(workspace / "site")
    entries = sorted((tmp_path / "cache" / "build").glob("*/*/*/files/**/*.pdf"))
    assert entries, "the PDFs are cached"
    for pdf in entries:
        pdf.write_bytes(b"%PDF-1.7 not the cached bytes")
    for site_entry in (tmp_path / "cache" / "build" / "site").glob("*/*"):
        shutil.rmtree(site_entry)  # so that the outputs are taken one by one
    again = outputs(build(workspace))
    assert again["alpha", "PDF"] != "缓存" and again["beta", "PDF"] != "缓存", again
    rebuilt = digest(workspace / "site")
    assert set(rebuilt) == set(good)
    for pdf in (workspace / "site").glob("*/*.pdf"):
        assert b"not the cached bytes" not in pdf.read_bytes(), "a corrupt entry is never served"


def test_build_of_one_report(workspace: Path) -> None:
    result = build(workspace, "beta", "--no-pdf")
    assert set(outputs(result)) == {("beta", "站点页面")}
    site = workspace / "site"
    assert (site / "beta" / "derivations.html").is_file()
    assert not (site / "alpha").exists()
    assert "beta/" in (site / "index.html").read_text("utf-8")


def test_build_of_an_unknown_report_is_refused(workspace: Path) -> None:
    result = run_subprocess(["build", "--config", str(workspace / "mkdocs.yml"), "gamma"])
    assert result.code == 2
    assert "gamma" in result.stderr and "alpha" in result.stderr and "beta" in result.stderr
    assert not (workspace / "site").exists() or os.listdir(workspace / "site")

"""The site directory a build may replace, one build at a time, and what a report publishes.

- A site directory that is the workspace, contains it, lies in the docs folder or a report folder,
  or is a non-empty folder that is not a tanping site is refused (exit 2, Chinese message and
  hint) before anything is written: the protected folders are compared byte for byte afterwards.
- Builds of one site directory hold an exclusive lock: a second build waits, then builds; what
  a killed build left (staging folders, a site moved aside in the swap) is cleaned by the next.
- A report publishes only files that resolve inside its folder, and never its inputs
  (report.yml, data/): a symbolic link to a file elsewhere is dropped, a chapter linked outside is
  refused with its file named, and a secret file's text reaches neither the site nor the PDF.

Builds run with ``--no-pdf`` and ``TANPING_WEBFONTS=0`` unless the PDF is the point.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult, run_subprocess, tanping_executable
from tests.test_build import REPORT, digest, make_project

SECRET = "SECRET-7Q2-不应发布"
FAST = {"TANPING_WEBFONTS": "0"}


def build(root: Path, *extra: str) -> CliResult:
    return run_subprocess(["build", "--config", str(root / "mkdocs.yml"), *extra], cwd=root)


def tree(folder: Path) -> dict[str, str]:
    """Every entry below ``folder``: files by content hash, folders and links by kind."""
    entries = digest(folder)
    for path in folder.rglob("*"):
        if path.is_symlink():
            entries[path.relative_to(folder).as_posix()] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            entries[path.relative_to(folder).as_posix() + "/"] = "dir"
    return entries


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A buildable project with a ``.git`` folder, inside ``tmp_path/outer``."""
    root = tmp_path / "outer" / "project"
    make_project(root)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    return root


def assert_refused(result: CliResult) -> None:
    assert result.code == 2, result.stdout + result.stderr
    assert "不能作为站点目录" in result.stderr, result.stderr
    assert "修改建议" in result.stderr and "未写入任何文件" in result.stderr
    assert "Traceback" not in result.stderr


# ---- refused site directories --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("site_dir", "says"),
    [
        (".", "就是工作区"),
        ("..", "包含工作区"),
        ("/", "包含工作区"),
        ("content", "内容目录"),
        (f"content/{REPORT}", "报告目录"),
        (f"content/{REPORT}/site", "报告目录"),
        ("content/assets/site", "内容目录"),
    ],
)
def test_a_protected_site_dir_is_refused_and_nothing_is_written(
    workspace: Path, site_dir: str, says: str
) -> None:
    outer = workspace.parent.parent
    before = tree(outer)
    result = build(workspace, "--no-pdf", "--site-dir", site_dir)
    assert_refused(result)
    assert says in result.stderr, result.stderr
    assert tree(outer) == before, "a refused build wrote or deleted something"


def test_the_home_folder_is_refused(workspace: Path) -> None:
    home = workspace.parent / "home"
    (home / "notes").mkdir(parents=True)
    (home / "notes" / "todo.txt").write_text("keep me", encoding="utf-8")
    before = tree(home)
    proc = subprocess.run(
        [str(tanping_executable()), "build", "--no-pdf", "--site-dir", str(home)],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(home)},
    )
    assert_refused(CliResult(proc.returncode, proc.stdout, proc.stderr))
    assert "用户主目录" in proc.stderr
    assert tree(home) == before


def test_a_non_empty_unrelated_folder_is_refused(workspace: Path) -> None:
    other = workspace.parent / "photos"
    other.mkdir()
    (other / "a.jpg").write_bytes(b"\xff\xd8 not really")
    before = tree(workspace.parent)
    result = build(workspace, "--no-pdf", "--site-dir", str(other))
    assert_refused(result)
    assert ".tanping-site" in result.stderr
    assert tree(workspace.parent) == before


def test_an_existing_file_is_refused(workspace: Path) -> None:
    target = workspace / "notes.txt"
    target.write_text("keep me", encoding="utf-8")
    result = build(workspace, "--no-pdf", "--site-dir", str(target))
    assert_refused(result)
    assert target.read_text(encoding="utf-8") == "keep me"


# ---- the build lock and what killed builds leave ------------------------------------------------
def _popen_build(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(tanping_executable()), "build", "--no-pdf", "--config", str(root / "mkdocs.yml")],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **FAST, "PYTHONIOENCODING": "utf-8"},
    )


def assert_complete_site(root: Path) -> None:
    site = root / "site"
    assert (site / ".tanping-site").is_file()
    assert (site / "index.html").is_file()
    chapters = sorted(p.stem for p in (root / "content" / REPORT).glob("0*.md"))
    built = sorted(p.stem for p in (site / REPORT).glob("0*.html")) or sorted(
        p.parent.name for p in (site / REPORT).glob("0*/index.html")
    )
    assert built == chapters
    assert not list(root.glob(".site-*")), "staging folder left behind"
    assert not (root / ".site.previous").exists()


def test_two_concurrent_builds_both_succeed(workspace: Path) -> None:
    first, second = _popen_build(workspace), _popen_build(workspace)
    outputs = [proc.communicate(timeout=600) for proc in (first, second)]
    for proc, (out, err) in zip((first, second), outputs, strict=True):
        assert proc.returncode == 0, out + err
        assert "Traceback" not in err
    assert_complete_site(workspace)


def test_a_second_build_waits_for_the_lock(workspace: Path) -> None:
    """While another process holds the lock, a build says it waits and writes nothing; released,
    it builds."""
    lock = os.open(workspace / ".site.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = _popen_build(workspace)
        assert proc.stderr is not None
        line = ""
        while "等待" not in line:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "the build ended without waiting"
        assert not (workspace / "site").exists()
        assert not list(workspace.glob(".site-*"))
    finally:
        os.close(lock)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out + err
    assert_complete_site(workspace)


def test_a_killed_builds_staging_folder_is_removed(workspace: Path) -> None:
    stale = workspace / ".site-build-k1ll3d"
    (stale / REPORT).mkdir(parents=True)
    (stale / REPORT / "01-overview.html").write_text("half a page", encoding="utf-8")
    result = build(workspace, "--no-pdf")
    assert result.code == 0, result.stderr
    assert not stale.exists()
    assert_complete_site(workspace)


def test_clean_stale_restores_a_site_moved_aside_in_the_swap(tmp_path: Path) -> None:
    """A build killed between its two renames leaves ``.site.previous`` and no ``site``: that is
    the last good output and comes back; with a ``site`` present it is dropped."""
    from tanping.templates.publish import clean_stale

    target = tmp_path / "site"
    previous = tmp_path / ".site.previous"
    previous.mkdir()
    (previous / "index.html").write_text("last good", encoding="utf-8")
    unrelated = tmp_path / ".site-notes"  # not a staging folder's name: left alone
    unrelated.mkdir()
    clean_stale(target)
    assert (target / "index.html").read_text(encoding="utf-8") == "last good"
    assert not previous.exists() and unrelated.is_dir()
    previous.mkdir()
    clean_stale(target)
    assert not previous.exists() and (target / "index.html").is_file()


# ---- what a report publishes -------------------------------------------------------------------
@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files outside the workspace holding :data:`SECRET`."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "secret.txt").write_text(SECRET, encoding="utf-8")
    (folder / "secret.md").write_text(f"# 泄露\n\n{SECRET}\n", encoding="utf-8")
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="20"><text y="15">{SECRET}'
    (folder / "secret.svg").write_text(svg + "</text></svg>", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "more.txt").write_text(SECRET, encoding="utf-8")
    return folder


def _site_text(site: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in site.rglob("*") if p.is_file()
    )


def test_links_leaving_the_report_and_its_inputs_are_not_published(
    workspace: Path, outside: Path
) -> None:
    report = workspace / "content" / REPORT
    (report / "notes.txt").symlink_to(outside / "secret.txt")
    (report / "logo.svg").symlink_to(outside / "secret.svg")
    (report / "folder").symlink_to(outside / "sub", target_is_directory=True)
    (workspace / "content" / "assets" / "leak.txt").symlink_to(outside / "secret.txt")
    (report / "inside.txt").symlink_to(report / "report.yml")  # inside, but report data
    (report / "kept.txt").write_text("发布的附件", encoding="utf-8")
    result = build(workspace, "--no-pdf")
    assert result.code == 0, result.stderr
    site = workspace / "site"
    assert SECRET not in _site_text(site)
    assert not (site / REPORT / "report.yml").exists(), "report.yml is an input, not published"
    assert not (site / REPORT / "inside.txt").exists()
    assert (site / REPORT / "kept.txt").read_text(encoding="utf-8") == "发布的附件"


def test_a_chapter_linked_outside_the_report_is_refused(workspace: Path, outside: Path) -> None:
    chapter = workspace / "content" / REPORT / "07-appendix.md"
    chapter.symlink_to(outside / "secret.md")
    result = build(workspace, "--no-pdf")
    assert result.code == 2, result.stdout + result.stderr
    assert f"{REPORT}/07-appendix.md" in result.stderr and "报告目录之外" in result.stderr
    assert "修改建议" in result.stderr and "Traceback" not in result.stderr
    assert not (workspace / "site").exists()


def test_pdf_refuses_a_chapter_linked_outside(workspace: Path, outside: Path) -> None:
    report = workspace / "content" / REPORT
    (report / "07-appendix.md").symlink_to(outside / "secret.md")
    out = workspace / "out.pdf"
    result = run_subprocess(["pdf", report, "-o", out])
    assert result.code == 2, result.stdout + result.stderr
    assert "07-appendix.md" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.slow
def test_pdf_does_not_embed_an_image_linked_outside(workspace: Path, outside: Path) -> None:
    """An image of a chapter that is a link to a file outside the report is not loaded: the PDF
    is refused (a filed document must not silently miss content) and the secret is not printed."""
    report = workspace / "content" / REPORT
    (report / "logo.svg").symlink_to(outside / "secret.svg")
    chapter = report / "06-conclusions.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8") + "\n![标志](logo.svg)\n", encoding="utf-8"
    )
    out = workspace / "out.pdf"
    result = run_subprocess(["pdf", report, "-o", out])
    assert result.code == 2, result.stdout + result.stderr
    assert "logo.svg" in result.stderr and "Traceback" not in result.stderr
    if out.exists() and shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert SECRET not in text


def test_the_repository_content_publishes_no_inputs() -> None:
    """The rule applied to this repository's own reports: no report.yml, data/ or GeoJSON."""
    from tanping.templates.publish import publishes, report_folders

    docs = REPO / "content"
    for report in report_folders(docs):
        for path in report.rglob("*"):
            if path.is_file():
                expected = path.suffix in (".md", ".svg", ".png", ".jpg")
                assert publishes(docs, path) == expected, path

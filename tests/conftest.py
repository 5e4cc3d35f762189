"""Shared fixtures: the two spec examples as report folders, report folders written from YAML text,
and the ``tanping`` command run in-process and as a real subprocess.

The spec examples (``spec/project-example.yml``, ``spec/park-example.yml``) are the contract of
spec/README.md: they are copied byte for byte, never edited. They are read from the folder named
by ``TANPING_SPEC``, else the committed copies the site builds
(``content/spec-project/report.yml``, ``content/spec-park/report.yml``); a missing example fails
the tests that need it rather than skipping them.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BAD_INPUTS = Path(__file__).resolve().parent / "bad_inputs"
PROJECT_EXAMPLE = "project-example.yml"
PARK_EXAMPLE = "park-example.yml"


#: The committed copies the site builds (content/spec-*/report.yml), used where the shared spec
#: folder is not mounted (a clean clone in CI); test_spec_figures checks they are unchanged.
CONTENT_COPIES = {
    PROJECT_EXAMPLE: REPO / "content" / "spec-project" / "report.yml",
    PARK_EXAMPLE: REPO / "content" / "spec-park" / "report.yml",
}


def spec_candidates(name: str) -> list[Path]:
    """Where a spec example is looked for, first match wins."""
    folders = [Path(os.environ["TANPING_SPEC"])] if os.environ.get("TANPING_SPEC") else []
    return [folder / name for folder in folders] + [CONTENT_COPIES[name]]


def spec_example(name: str) -> Path:
    """The path of a spec example file; fails (never skips) when it cannot be found."""
    for path in spec_candidates(name):
        if path.is_file():
            return path
    pytest.fail(f"spec example {name} not found in {[str(p) for p in spec_candidates(name)]}")


def tanping_executable() -> Path:
    """The console script installed beside the running interpreter (``.venv/bin/tanping``)."""
    beside = Path(sys.executable).parent / "tanping"
    return beside if beside.exists() else REPO / ".venv" / "bin" / "tanping"


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


# ---- located errors in the CLI's stderr ----------------------------------------------------------

#: ``<file>[:<line>][ <field path>]：`` at the start of an error (after ``tanping: `` or ``[n] ``).
_LOCATED = re.compile(
    r"(?:^tanping: |^\[\d+\] )(?P<file>\S+?\.ya?ml)(?::(?P<line>\d+))?(?: (?P<path>[^：\n]+))?：",
    re.MULTILINE,
)


@dataclass(frozen=True)
class LocatedError:
    file: str
    line: int | None
    path: str
    text: str  # the whole message: head, problem and the 修改建议 line, if any


def located_errors(stderr: str) -> list[LocatedError]:
    """Every error of the CLI's output that starts with a ``file:line path：`` head."""
    matches = list(_LOCATED.finditer(stderr))
    ends = [m.start() for m in matches[1:]] + [len(stderr)]
    return [
        LocatedError(
            m["file"],
            int(m["line"]) if m["line"] else None,
            (m["path"] or "").strip(),
            stderr[m.start() : end],
        )
        for m, end in zip(matches, ends, strict=True)
    ]


# ---- fixtures ------------------------------------------------------------------------------------


def _copy_example(tmp_path: Path, name: str, slug: str) -> Path:
    folder = tmp_path / "content" / slug
    folder.mkdir(parents=True)
    shutil.copyfile(spec_example(name), folder / "report.yml")
    return folder


@pytest.fixture
def project_folder(tmp_path: Path) -> Path:
    """spec/project-example.yml, unchanged, as ``content/<slug>/report.yml``."""
    return _copy_example(tmp_path, PROJECT_EXAMPLE, "bj-biomed-expansion")


@pytest.fixture
def park_folder(tmp_path: Path) -> Path:
    """spec/park-example.yml, unchanged, as ``content/<slug>/report.yml``."""
    return _copy_example(tmp_path, PARK_EXAMPLE, "cq-etdz-plan")


@pytest.fixture
def project_text() -> str:
    return spec_example(PROJECT_EXAMPLE).read_text(encoding="utf-8")


@pytest.fixture
def park_text() -> str:
    return spec_example(PARK_EXAMPLE).read_text(encoding="utf-8")


WriteReport = Callable[..., Path]


@pytest.fixture
def write_report(tmp_path: Path) -> WriteReport:
    """``write_report(yaml_text, slug="report", data={"2024.yml": text})`` -> the report folder.

    ``report.yml`` gets ``yaml_text``; each entry of ``data`` becomes ``data/<name>``.
    """

    def write(text: str, slug: str = "report", data: Mapping[str, str] | None = None) -> Path:
        folder = tmp_path / "content" / slug
        folder.mkdir(parents=True, exist_ok=False)
        (folder / "report.yml").write_text(text, encoding="utf-8")
        for name, part in (data or {}).items():
            target = folder / "data" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(part, encoding="utf-8")
        return folder

    return write


def run_inprocess(args: Sequence[str]) -> CliResult:
    """``tanping.cli.main(args)`` with stdout and stderr captured."""
    from tanping.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
    return CliResult(code, out.getvalue(), err.getvalue())


def run_subprocess(args: Sequence[str], cwd: Path | None = None) -> CliResult:
    """The installed ``tanping`` console script, as a user runs it."""
    proc = subprocess.run(
        [str(tanping_executable()), *(str(a) for a in args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd or REPO,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli() -> Callable[[Sequence[str]], CliResult]:
    """Run the command line in-process: ``cli(["check", folder])``."""
    return run_inprocess


@pytest.fixture
def tanping() -> Callable[..., CliResult]:
    """The real ``.venv/bin/tanping`` in a subprocess: ``tanping(["ledger", folder, "--json"])``."""
    return run_subprocess

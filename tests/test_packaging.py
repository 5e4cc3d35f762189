"""Packaging and provenance: one top-level package, and a repository that stands alone.

Installing tanping adds one import name, ``tanping`` (the layers are ``tanping.units``,
``tanping.calc`` and ``tanping.templates``); no tracked file names a path of the machine it was
written on, and what citations and tests rely on is vendored.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: Paths that only exist on a development machine; a tracked file naming one points nowhere
#: in a clone elsewhere.
MACHINE_PATHS = tuple(f"/{name}/" for name in ("work", "root", "home", "Users"))


def _tracked() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return [REPO / name for name in out.split("\0") if name]


def test_no_tracked_file_names_a_machine_path() -> None:
    offenders = []
    for path in _tracked():
        if path.is_symlink() or not path.is_file() or path == Path(__file__):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [f"{path.relative_to(REPO)}: {p}" for p in MACHINE_PATHS if p in text]
    assert not offenders, offenders


def test_vendored_references_exist() -> None:
    assert (REPO / "calc" / "factors" / "SOURCES.md").stat().st_size > 10_000
    guidelines = REPO / "calc" / "data" / "guidelines"
    assert sorted(p.name for p in guidelines.glob("*.txt")) == [
        "beijing-project-carbon-guideline.txt",
        "chongqing-park-ghg-guideline.txt",
    ]


def test_layers_import_under_tanping_outside_the_checkout(tmp_path: Path) -> None:
    code = (
        "import importlib.util, tanping.calc.pipeline, tanping.units, tanping.templates.render;"
        "print(importlib.util.find_spec('calc'), importlib.util.find_spec('units'),"
        " importlib.util.find_spec('templates'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["None", "None", "None"]


@pytest.mark.slow
def test_wheel_has_one_top_level_package(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("tanping-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"tanping"}
    for needed in (
        "tanping/calc/pipeline.py",
        "tanping/calc/factors/fuels.csv",
        "tanping/calc/data/measures_cq.yml",
        "tanping/units/definitions.txt",
        "tanping/templates/print/print.css",
        "tanping/templates/html/table.html.jinja",
        "tanping/templates/scaffold/park/report.yml",
        "tanping/templates/scaffold/project/01-overview.md",
    ):
        assert needed in names, needed

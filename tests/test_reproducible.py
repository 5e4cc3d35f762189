"""Reproducible across processes (issue 13): the same park report built under two values of
``PYTHONHASHSEED`` gives the same HTML and PDF bytes. The park is the Chongqing example with an
HFC plant added beside its semiconductor PFCs (several HFCs the fixed gas order does not list),
where the identification table once sorted gases by a tie that fell back to set order.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import tanping_executable
from tests.test_build import make_project

pytestmark = pytest.mark.slow

HFC_PLANT = (
    "  - {period: 2022, enterprise: 临江化工有限公司, process: {type: hfc_production, gases: "
    "{HFC-32: {production: 800 t, ef: 0.01}, HFC-134a: {production: 600 t, ef: 0.01}, "
    "HFC-125: {production: 500 t, ef: 0.01}, HFC-143a: {production: 300 t, ef: 0.01}, "
    "HFC-152a: {production: 200 t, ef: 0.01}}}}\n"
)
ANCHOR = "  - {period: 2022, enterprise: 临江电气有限公司, process:"


def _build(root: Path, site: Path, seed: str, cache: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONHASHSEED": seed,
        "TANPING_BUILD_CACHE": "0",
        "TANPING_WEBFONTS": "0",
        "TANPING_CACHE": str(cache),
        "SOURCE_DATE_EPOCH": "1767225600",
        "PYTHONIOENCODING": "utf-8",
    }
    proc = subprocess.run(
        [
            str(tanping_executable()),
            "build",
            "--config",
            str(root / "mkdocs.yml"),
            "--site-dir",
            str(site),
            "cq-park",
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=root,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    report = site / "cq-park"
    files = sorted([*report.glob("*.html"), *report.glob("*.pdf")])
    assert any(p.suffix == ".pdf" for p in files)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_html_and_pdf_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    folder = make_project(tmp_path / "ws", "cq-park")
    report = folder / "report.yml"
    text = report.read_text(encoding="utf-8")
    assert ANCHOR in text
    report.write_text(text.replace(ANCHOR, HFC_PLANT + ANCHOR, 1), encoding="utf-8")
    first = _build(tmp_path / "ws", tmp_path / "a", "1", tmp_path / "cache")
    second = _build(tmp_path / "ws", tmp_path / "b", "2", tmp_path / "cache")
    assert first == second
    page = (tmp_path / "a" / "cq-park" / "07-identification.html").read_text(encoding="utf-8")
    assert "HFC-134a" in page and "HFC-32" in page

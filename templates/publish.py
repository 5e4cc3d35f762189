"""Publishing: a renderer per report folder, the PDF of a report, and the safe site build.

- :func:`renderer` computes a report and numbers its tables, figures and derivations.
- :func:`export_pdf` renders the chapters in print mode, converts them with Python-Markdown (the
  same extensions as the site) and lays them out with :mod:`templates.pdf`.
- :func:`build_site` runs MkDocs into a fresh directory and swaps it into place only when the
  whole build (site and every PDF) succeeded: a failed build leaves the last good output.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import markdown

from calc.models.park import ParkReport
from calc.pipeline import compute
from templates.pdf import PrintMeta, render_pdf
from templates.render import ReportRenderer, chapter_files

MARKDOWN_EXTENSIONS = ["tables", "attr_list", "md_in_html", "footnotes", "admonition", "toc"]
APPENDIX_TITLE = "计算过程"


def report_folders(content: Path) -> list[Path]:
    """Every report folder under ``content`` (a folder holding ``report.yml``)."""
    return sorted(p.parent for p in Path(content).glob("*/report.yml"))


def renderer(folder: Path, *, mode: str = "site") -> ReportRenderer:
    """The computed report of ``folder`` with its numbering collected (first pass done)."""
    from templates.park import ParkRenderer
    from templates.project import ProjectRenderer

    result = compute(folder)
    cls: type[ReportRenderer] = (
        ParkRenderer if isinstance(result.report, ParkReport) else ProjectRenderer
    )
    instance = cls(folder, result, mode=mode)
    instance.collect(chapter_files(folder))
    return instance


def created_at(folder: Path) -> dt.datetime:
    """The PDF date: SOURCE_DATE_EPOCH, else the last commit touching the report, else 2000-01-01."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct", "--", "."],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    if out.isdigit():
        return dt.datetime.fromtimestamp(int(out), tz=dt.UTC)
    return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def print_meta(report: Any) -> PrintMeta:
    subtitle = "碳排放评价专章" if report.kind == "project" else "温室气体排放评价专章"
    return PrintMeta(
        title=report.title,
        client=report.client,
        assessor=report.assessor,
        date=report.date or "",
        subtitle=subtitle,
        keywords=("碳排放评价", "环境影响评价", report.district),
    )


def chapter_html(page: ReportRenderer, path: Path) -> str:
    text = page.render_chapter(path)
    return markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")


def export_pdf(folder: Path, out: Path, *, pdf_a: bool = False) -> Path:
    """Write the PDF of the report in ``folder`` to ``out``; returns ``out``."""
    page = renderer(folder, mode="print")
    chapters = [chapter_html(page, path) for path in chapter_files(folder)]
    chapters.append(f"<h1>{APPENDIX_TITLE}</h1>\n" + str(page.derivations()))
    ledger = page.ledger.to_json().encode("utf-8")
    data = render_pdf(
        print_meta(page.report),
        chapters,
        attachments={"ledger.json": ledger},
        created=created_at(folder),
        pdf_a=pdf_a,
        base_url=str(folder),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def pdf_name(folder: Path) -> str:
    return f"{folder.name}.pdf"


def build_site(config_file: Path = Path("mkdocs.yml"), site_dir: Path | None = None) -> Path:
    """Build the site (and the PDFs, through the MkDocs hook) into a fresh directory, then swap it
    into ``site_dir``. On any failure the previous output stays untouched."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    probe = load_config(str(config_file))
    target = Path(site_dir or probe["site_dir"]).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".site-", dir=target.parent))
    try:
        config = load_config(str(config_file), site_dir=str(staging), strict=True)
        build(config)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = target.with_name(f".{target.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)
    return target

"""MkDocs hooks: the thin adapter between MkDocs (or ProperDocs) and tanping's own rendering.

Registered in ``mkdocs.yml`` under ``hooks:``. All rendering logic lives in
:mod:`templates.render` and :mod:`templates.publish`; this file only routes MkDocs events:

- ``on_config``: forget renderers of a previous build (``mkdocs serve`` rebuilds);
- ``on_files``: add a 计算过程 (derivations) page to every report folder;
- ``on_nav``: name each report's navigation section after its title;
- ``on_page_markdown``: render a chapter's Jinja calls through the report's renderer;
- ``on_post_build``: write one PDF per report next to its pages (skipped if TANPING_PDF=0).

Any error becomes ``PluginError`` with the file, line and message, so the build stops cleanly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section

from calc.errors import TanpingError
from templates.publish import export_pdf, pdf_name, renderer
from templates.render import RenderError, ReportRenderer

DERIVATIONS_PAGE = "derivations.md"
_renderers: dict[Path, ReportRenderer] = {}


def _report_folder(src_path: str, docs_dir: str) -> Path | None:
    folder = (Path(docs_dir) / src_path).parent
    return folder if (folder / "report.yml").is_file() else None


def _renderer(folder: Path) -> ReportRenderer:
    if folder not in _renderers:
        try:
            _renderers[folder] = renderer(folder, mode="site")
        except TanpingError as err:
            raise PluginError(err.render()) from None
        except RenderError as err:
            raise PluginError(str(err)) from None
    return _renderers[folder]


def on_config(config: Any) -> Any:
    _renderers.clear()
    return config


def on_files(files: Files, config: Any) -> Files:
    docs = Path(config["docs_dir"])
    for report in sorted(docs.glob("*/report.yml")):
        slug = report.parent.name
        content = "# 计算过程\n\n本页列出正文中每个数字的计算公式、代入数值、因子来源与数据位置。\n\n{{ derivations() }}\n"
        files.append(File.generated(config, f"{slug}/{DERIVATIONS_PAGE}", content=content))
    return files


def on_nav(nav: Navigation, config: Any, files: Files) -> Navigation:
    docs = Path(config["docs_dir"])
    for item in nav.items:
        if isinstance(item, Section):
            for child in item.children:
                src = getattr(getattr(child, "file", None), "src_uri", None)
                if src:
                    folder = _report_folder(src, str(docs))
                    if folder is not None:
                        item.title = _renderer(folder).report.title
                        break
    return nav


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    folder = _report_folder(page.file.src_uri, config["docs_dir"])
    if folder is None:
        return markdown
    report = _renderer(folder)
    report.directory_urls = bool(config["use_directory_urls"])
    path = folder / Path(page.file.src_uri).name
    try:
        if page.file.generated_by:
            return _render_string(report, markdown, path)
        text = report.render_chapter(path)
    except RenderError as err:
        raise PluginError(str(err)) from None
    pdf = f"../{pdf_name(folder)}" if report.directory_urls else pdf_name(folder)
    link = (
        f'\n\n<p class="pdf-link"><a href="{pdf}">下载本报告 PDF（报批版）</a>'
        f'　·　<a href="{report.page_url("derivations")}">计算过程</a></p>\n'
    )
    return _after_title(text, link)


def _render_string(report: ReportRenderer, source: str, path: Path) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    try:
        return env.from_string(source).render(**report.context())
    except Exception as err:
        raise RenderError(path, None, str(err)) from err


def _after_title(text: str, addition: str) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join([*lines[: index + 1], addition, *lines[index + 1 :]])
    return addition + text


def on_post_build(config: Any) -> None:
    if os.environ.get("TANPING_PDF", "1") == "0":
        return
    site = Path(config["site_dir"])
    for folder in sorted(_renderers):
        try:
            export_pdf(folder, site / folder.name / pdf_name(folder))
        except TanpingError as err:
            raise PluginError(err.render()) from None
        except RenderError as err:
            raise PluginError(str(err)) from None
        except Exception as err:
            raise PluginError(f"{folder}: PDF 生成失败：{err}") from err

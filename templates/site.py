"""MkDocs hooks: the thin adapter between MkDocs (or ProperDocs) and tanping's own rendering.

Registered in ``mkdocs.yml`` under ``hooks:``. All rendering logic lives in
:mod:`templates.render` and :mod:`templates.publish`; this file only routes the engine's events:

- ``on_config``: forget renderers of a previous build (``mkdocs serve`` rebuilds);
- ``on_files``: add a 计算过程 (derivations) page to every report folder;
- ``on_nav``: name each report's navigation section after its title;
- ``on_page_markdown``: render a page through its report's renderer (the home page gets the
  list of reports);
- ``on_post_build``: write the site's subset fonts, then one PDF per report next to its pages
  (PDFs skipped if TANPING_PDF=0).

Any error becomes ``PluginError`` with the file, line and message, so the build stops cleanly.
Only ``mkdocs.*`` names that ProperDocs re-exports are imported.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import jieba
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section

from tanping.calc.errors import TanpingError
from tanping.templates import publish
from tanping.templates.render import RenderError, ReportRenderer

DERIVATIONS_PAGE = "derivations.md"
_renderers: dict[Path, ReportRenderer] = {}
log = logging.getLogger("mkdocs.plugins.tanping")
T = TypeVar("T")
jieba.setLogLevel(logging.WARNING)  # loaded with the hooks, before the search plugin uses it


def _guard(what: str, action: Callable[[], T]) -> T:
    """Run ``action``; any failure becomes a PluginError naming the input."""
    try:
        return action()
    except TanpingError as err:
        raise PluginError(err.render()) from None
    except RenderError as err:
        raise PluginError(str(err)) from None
    except publish.WebFontError as err:
        raise PluginError(f"站点字体：{err}") from None
    except PluginError:
        raise
    except Exception as err:
        raise PluginError(f"{what}：{type(err).__name__}: {err}") from err


def _report_folder(src_path: str, docs_dir: str) -> Path | None:
    folder = (Path(docs_dir) / src_path).parent
    return folder if (folder / "report.yml").is_file() else None


def _renderer(folder: Path) -> ReportRenderer:
    if folder not in _renderers:
        _renderers[folder] = _guard(str(folder), lambda: publish.renderer(folder, mode="site"))
    return _renderers[folder]


def on_config(config: Any) -> Any:
    _renderers.clear()
    return config


def on_files(files: Files, config: Any) -> Files:
    docs = Path(config["docs_dir"])
    for report in publish.report_folders(docs):
        uri = f"{report.name}/{DERIVATIONS_PAGE}"
        files.append(File.generated(config, uri, content=publish.derivations_page()))
    return files


def on_nav(nav: Navigation, config: Any, files: Files) -> Navigation:
    docs = str(config["docs_dir"])
    for item in nav.items:
        if isinstance(item, Section):
            for child in item.children:
                src = getattr(getattr(child, "file", None), "src_uri", None)
                folder = _report_folder(src, docs) if src else None
                if folder is not None:
                    item.title = publish.nav_title(_renderer(folder))
                    break
    return nav


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    docs = str(config["docs_dir"])
    directory_urls = bool(config["use_directory_urls"])
    if publish.REPORTS_MARKER in markdown:
        reports = [_renderer(folder) for folder in publish.report_folders(Path(docs))]
        listing = publish.reports_index(reports, directory_urls=directory_urls)
        markdown = markdown.replace(publish.REPORTS_MARKER, listing)
    folder = _report_folder(page.file.src_uri, docs)
    if folder is None:
        return markdown
    report = _renderer(folder)
    report.directory_urls = directory_urls
    path = folder / Path(page.file.src_uri).name
    source = markdown if page.file.generated_by else None
    return _guard(str(path), lambda: publish.render_page(report, path, source))


def on_post_build(config: Any) -> None:
    site = Path(config["site_dir"])
    sizes = _guard("站点字体", lambda: publish.write_webfonts(site))
    if sizes:
        total = sum(sizes.values()) / 1024
        log.info(f"tanping: {len(sizes)} subset fonts, {total:.0f} KiB")
    if os.environ.get("TANPING_PDF", "1") == "0":
        return
    for folder in sorted(_renderers):
        _guard(f"{folder}: PDF 生成失败", functools.partial(_export, folder, site))


def _export(folder: Path, site: Path) -> Path:
    return publish.export_pdf(folder, site / folder.name / publish.pdf_name(folder))

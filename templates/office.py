"""The Word and Excel copies written by the site build beside each PDF, and the site's links to
them: the one hook :mod:`templates.site` and :mod:`templates.publish` call (issue 12)."""

from __future__ import annotations

import io
from pathlib import Path

from tanping.calc.errors import Location
from tanping.templates.escape import Markup
from tanping.templates.excel import build_workbook, xlsx_name
from tanping.templates.render import ReportRenderer
from tanping.templates.word import DocxError, build_document, docx_name

__all__ = ["links", "write_copies"]


def write_copies(folder: Path, out: Path, page: ReportRenderer | None = None) -> list[Path]:
    """Write ``<slug>.docx`` and ``<slug>.xlsx`` (``-草稿`` for a draft) of the report in
    ``folder`` into the folder ``out``; one computed, numbered report (``page``, in print mode,
    if the caller has one) serves both."""
    from tanping.templates.filing import filing_problems
    from tanping.templates.publish import renderer

    if page is None or page.mode != "print":
        page = renderer(folder, mode="print")
    draft = bool(filing_problems(page))
    files = []
    for name, save in (
        (docx_name(folder, draft=draft), build_document(page, draft=draft).save),
        (xlsx_name(folder, draft=draft), build_workbook(page).save),
    ):
        buffer = io.BytesIO()
        save(buffer)
        target = out / name
        try:
            out.mkdir(parents=True, exist_ok=True)
            target.write_bytes(buffer.getvalue())
        except OSError as err:
            raise DocxError(
                f"无法写入 {target.name}：{err.strerror or err}",
                "检查站点目录是否可写",
                Location(str(target)),
            ) from err
        files.append(target)
    return files


def links(folder: Path, *, draft: bool, directory_urls: bool) -> Markup:
    """The site's links to the Word and Excel copies, after the PDF link of a chapter."""
    prefix = "../" if directory_urls else ""
    return Markup('　·　<a href="{}">Word 版</a>　·　<a href="{}">Excel 表格</a>').format(
        prefix + docx_name(folder, draft=draft), prefix + xlsx_name(folder, draft=draft)
    )

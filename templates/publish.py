"""Publishing: a renderer per report folder, the PDF of a report, the site pages, the site's
fonts, and the safe site build. Everything the MkDocs hook (:mod:`templates.site`) does is here,
so that the engine (MkDocs today, ProperDocs or another tomorrow) only routes events.

- :func:`renderer` computes a report and numbers its tables, figures and derivations.
- :func:`render_page` renders one page of a report for the site (a chapter, or a generated
  page such as 计算过程), :func:`derivations_page` is the source of that generated page and
  :func:`reports_index` the list of reports on the home page.
- :func:`export_pdf` renders the chapters in print mode, converts them with Python-Markdown (the
  same extensions as the site) and lays them out with :mod:`templates.pdf`.
- :func:`write_webfonts` cuts the installed Noto CJK fonts down to the characters the built site
  uses and writes them as WOFF2 next to the site's CSS (no web fonts, no CDN).
- :func:`build_site` runs MkDocs into a fresh directory and swaps it into place only when the
  whole build (site and every PDF) succeeded: a failed build leaves the last good output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import functools
import hashlib
import html
import logging
import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
from markupsafe import escape

from tanping.calc.errors import InputError, Location, ReportErrors, TanpingError
from tanping.calc.files import inside
from tanping.templates import cache
from tanping.templates.escape import Markup
from tanping.templates.filing import FilingErrors, filing_problems, fixture_of, is_draft
from tanping.templates.kinds import kind_of
from tanping.templates.pdf import PrintError, PrintMeta, render_pdf
from tanping.templates.render import (
    APPENDIX_PAGE,
    ReportRenderer,
    chapter_files,
    number_headings,
)
from tanping.templates.session import BuildEvents, Session, Summary, Written

MARKDOWN_EXTENSIONS = ["tables", "attr_list", "md_in_html", "footnotes", "admonition", "toc"]
APPENDIX_TITLE = "计算过程"


def report_folders(content: Path) -> list[Path]:
    """Every report folder under ``content`` (a folder holding ``report.yml``)."""
    return sorted(p.parent for p in Path(content).glob("*/report.yml"))


def renderer(folder: Path, *, mode: str = "site") -> ReportRenderer:
    """The computed report of ``folder`` with its numbering collected (first pass done), in a
    session of its own (a build shares one :class:`templates.session.Session` instead)."""
    from tanping.templates.session import Session

    return Session(store=cache.Store(active=False)).renderer(folder, mode)


# ---- what a report publishes ------------------------------------------------------------------
#: Report inputs, never published: ``report.yml``, the ``data/`` folder and any file in the formats
#: tanping reads as data (YAML, the park boundary's GeoJSON).
DATA_FOLDER = "data"
DATA_SUFFIXES = (".yml", ".yaml", ".geojson")


def check_text(path: Path) -> None:
    """Refuse a Markdown file that is not UTF-8 text (GBK, binary, a NUL byte), naming its line."""
    data = path.read_bytes()
    nul = data.find(b"\0")
    if nul >= 0:
        raise InputError(
            "含有 NUL 字节（\\x00），不是文本文件",
            "文件可能已损坏或被误存为二进制；删去该字符，或用文本编辑器重新保存为 UTF-8 文本",
            Location(str(path), data.count(b"\n", 0, nul) + 1),
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"不是 UTF-8 编码的文本（第 {err.start + 1} 个字节 0x{data[err.start]:02X} 无法解码）",
            "用编辑器以 UTF-8 编码另存该文件；GBK/GB2312 的文件可用 "
            "`iconv -f GBK -t UTF-8 原文件 > 新文件` 转换",
            Location(str(path), data.count(b"\n", 0, err.start) + 1),
        ) from None


def check_chapter(folder: Path, path: Path) -> None:
    """Refuse a chapter of ``folder`` that resolves outside it (a symbolic link to a file
    elsewhere) or that is not UTF-8 text."""
    inside(folder, Path(path).relative_to(folder), what="章节文件", location=Location(str(path)))
    check_text(path)


def _is_input(relative: Path) -> bool:
    return relative.parts[0] == DATA_FOLDER or relative.suffix.lower() in DATA_SUFFIXES


def _contained(folder: Path, relative: Path) -> Path | None:
    """The resolved file ``relative`` of ``folder``, or ``None`` if it resolves outside."""
    try:
        return inside(folder, relative)
    except InputError:
        return None


def publishes(docs: Path, path: Path) -> bool:
    """Whether the site publishes the file ``path`` MkDocs found (``docs/…``, or the theme's).

    A file of a report folder (``docs/<slug>/…``) is published only if it resolves inside that
    folder (:func:`calc.files.inside`) and is not one of the report's inputs
    (:data:`DATA_SUFFIXES`, ``data/``); any other file of ``docs`` only if it resolves inside
    ``docs``. A Markdown page that would leave its folder, or is not UTF-8 text, is refused with
    :class:`InputError` rather than dropped: it is content. The theme's own files are the
    engine's business and always published."""
    docs = Path(docs).absolute()
    path = Path(path).absolute()
    if not path.is_relative_to(docs):
        return True
    relative = path.relative_to(docs)
    slug = relative.parts[0]
    report = (
        docs / slug if len(relative.parts) > 1 and (docs / slug / "report.yml").is_file() else None
    )
    if relative.suffix.lower() == ".md":
        if report is not None:
            inside(report, relative.relative_to(slug), what="页面", location=Location(str(path)))
        inside(docs, relative, what="页面", location=Location(str(path)))
        check_text(path)
        return True
    if report is None:
        return _contained(docs, relative) is not None
    inner = relative.relative_to(slug)
    resolved = _contained(report, inner)
    if resolved is None or _contained(docs, relative) is None or _is_input(inner):
        return False
    return not _is_input(resolved.relative_to(report.resolve()))  # a link to an input


# ---- the site's pages ---------------------------------------------------------------------------
DERIVATIONS_SOURCE = (
    "# 计算过程\n\n本页列出正文中每个数字的计算公式、代入数值、因子来源与数据位置；"
    "正文中的数字链接到这里的对应条目。\n\n{{ derivations() }}\n"
)
REPORTS_MARKER = "<!-- tanping:reports -->"


def derivations_page() -> str:
    """The source of the generated 计算过程 page of every report."""
    return DERIVATIONS_SOURCE


def render_page(report: ReportRenderer, path: Path, source: str | None = None) -> str:
    """One page of ``report`` for the site, as Markdown with every call evaluated.

    ``source`` is given for a generated page (not a file of the report folder); a chapter is
    read from ``path``. A chapter gets the links to its PDF and 计算过程 page under its title.
    Raises :class:`RenderError` with the file and line of any failing call.
    """
    if source is not None:
        return report.render_source(source, path)
    text = number_headings(report.render_chapter(path), report.chapter_number(path))
    draft = is_draft(report)
    pdf = pdf_name(report.folder, draft=draft)
    pdf_url = f"../{pdf}" if report.directory_urls else pdf
    from tanping.templates import office  # the Word and Excel copies beside the PDF

    copies = office.links(report.folder, draft=draft, directory_urls=report.directory_urls)
    link = Markup(
        '\n\n<p class="pdf-link"><a href="{}">下载本报告 PDF（{}）</a>{}'
        '　·　<a href="{}">计算过程</a></p>\n'
    ).format(pdf_url, DRAFT_MARK if draft else "报批版", copies, report.page_url(APPENDIX_PAGE))
    return _after_title(text, str(link))


def _after_title(text: str, addition: str) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join([*lines[: index + 1], addition, *lines[index + 1 :]])
    return addition + text


def summary(report: ReportRenderer) -> Summary:
    """What the home page and the navigation show of ``report``."""
    chapters = chapter_files(report.folder)
    return Summary(
        slug=report.slug,
        title=report.report.title,
        kind=report.report.kind,
        district=report.report.district,
        first=chapters[0].stem if chapters else APPENDIX_PAGE,
        draft=is_draft(report),
        fixture=fixture_of(report.folder) or "",
    )


def reports_index(reports: Iterable[Summary], *, directory_urls: bool) -> str:
    """The list of reports on the home page: title, kind, first chapter, 计算过程 and PDF."""
    rows = []
    for report in reports:
        slug = report.slug

        def url(stem: str, slug: str = slug) -> str:
            return f"{slug}/{stem}/" if directory_urls else f"{slug}/{stem}.html"

        kind = "格式样例" if report.fixture else kind_of(report).name
        rows.append(
            Markup(
                '<li><a href="{}">{}</a>（{}，{}）　<a href="{}">计算过程</a>'
                '　·　<a href="{}">PDF（{}）</a></li>'
            ).format(
                url(report.first),
                report.title,
                kind,
                report.district,
                url(APPENDIX_PAGE),
                f"{slug}/{pdf_name(Path(slug), draft=report.draft)}",
                DRAFT_MARK if report.draft else "报批版",
            )
        )
    if not rows:
        return ""
    return '<ul class="tp-reports">\n' + "\n".join(rows) + "\n</ul>\n"


def nav_title(report: Summary) -> str:
    """A report's navigation section title; themes print it as HTML, so it is escaped here."""
    return str(escape(report.title))


def created_at(folder: Path) -> dt.datetime:
    """The PDF date: SOURCE_DATE_EPOCH, else the last commit touching the report, else
    2000-01-01."""
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
    kind = kind_of(report)
    return PrintMeta(
        title=report.title,
        client=report.client,
        assessor=report.assessor,
        date=report.date or "",
        subtitle=kind.subtitle,
        keywords=("碳排放评价", "环境影响评价", report.district),
        client_label=kind.client_label,
    )


def chapter_html(page: ReportRenderer, path: Path) -> str:
    """One chapter as the PDF prints it: HTML with its headings numbered from its place."""
    text = number_headings(page.render_chapter(path), page.chapter_number(path))
    return str(markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html"))


def export_pdf(
    folder: Path,
    out: Path,
    *,
    pdf_a: bool = False,
    filing: bool = False,
    page: ReportRenderer | None = None,
) -> Path:
    """Write the PDF of the report in ``folder``; returns the file written.

    ``out`` is the file (a name the caller chose is kept), or a path without ``.pdf``: the folder
    to write :func:`pdf_name` into. A report that fails a filing rule is a draft: every page
    carries 征求意见稿, and its default file name 草稿; with ``filing`` such a report raises
    :class:`FilingErrors` and nothing is written. ``page``: the report's print renderer, when
    the caller (a build) already has it.
    """
    page = page or renderer(folder, mode="print")
    problems = filing_problems(page)
    if filing and problems:
        raise FilingErrors(problems)
    draft = bool(problems)
    if out.suffix.lower() != ".pdf":  # a folder: the name says whether it is a draft
        out = out / pdf_name(folder, draft=draft, pdf_a=pdf_a)
    files = chapter_files(folder)
    chapters = [chapter_html(page, path) for path in files]
    chapters.append(f'<h1 class="appendix">{APPENDIX_TITLE}</h1>\n' + str(page.derivations()))
    ledger = page.ledger.to_json().encode("utf-8")
    data = render_pdf(
        dataclasses.replace(print_meta(page.report), draft=draft),
        chapters,
        attachments={"ledger.json": ledger},
        created=created_at(folder),
        pdf_a=pdf_a,
        base_url=str(folder),
        numbered=True,
    )
    return write_output(out, data, "PDF", PrintError)


def write_output(out: Path, data: bytes, what: str, error: type[TanpingError]) -> Path:
    """Write one output file of a report (PDF, Word, Excel); a file system refusal is a located
    ``error`` naming the file."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as err:
        raise error(
            f"无法写入 {what}：{err.strerror or err}",
            "输出文件须在可写的目录中；用 -o 换一个位置，或修改目录权限",
            Location(str(out)),
        ) from err
    return out


DRAFT_MARK = "征求意见稿"  # on every page of a draft's PDF, and in the site's link to it
DRAFT_NAME = "草稿"  # in a draft PDF's file name


def output_name(folder: Path, suffix: str, *, draft: bool = False, tag: str = "") -> str:
    """The file name of one output of a report: ``<slug><tag><suffix>``, with ``-草稿`` for a
    draft (``bj-heating.pdf``, ``spec-park-草稿.docx``)."""
    return f"{folder.name}{'-' + DRAFT_NAME if draft else ''}{tag}{suffix}"


def pdf_name(folder: Path, *, draft: bool = False, pdf_a: bool = False) -> str:
    """The file name of a report's PDF: ``<slug>.pdf``, ``<slug>-草稿.pdf`` for a draft."""
    return output_name(folder, ".pdf", draft=draft, tag="-pdfa" if pdf_a else "")


class SiteBuildError(TanpingError):
    """The site build failed and the last good output was kept; ``messages`` are the engine's
    errors and warnings, in order (the failing file and line are also in ``location``)."""

    KEPT = "构建未完成，上一次的成功输出保持不变。"

    def __init__(
        self,
        problem: str,
        hint: str = "",
        location: Location | None = None,
        messages: Iterable[str] = (),
    ) -> None:
        super().__init__(problem, hint, location)
        self.messages = list(messages)

    def render(self) -> str:
        return f"{super().render()}\n    {self.KEPT}"


class SiteDirError(SiteBuildError):
    """A site directory that a build must not replace; refused before anything is written."""

    KEPT = "未写入任何文件。"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


# ---- the site directory: which folders a build may replace, one build at a time -----------------
#: Written into every site tanping builds; an existing non-empty folder without it is not replaced.
SITE_MARKER = ".tanping-site"
_SITE_HINT = (
    "站点目录须是专用的输出目录：用默认的 site/（省略 --site-dir），或给出一个不存在的新目录"
)


def is_tanping_site(folder: Path) -> bool:
    """Whether ``folder`` holds a site tanping built: the marker file, or (sites built before the
    marker existed) the home page next to tanping's own stylesheet."""
    if (folder / SITE_MARKER).is_file():
        return True
    return (folder / "index.html").is_file() and (folder / "assets" / "tanping.css").is_file()


def check_site_dir(site_dir: Path, *, workspace: Path, docs: Path) -> Path:
    """The resolved site directory, if a build may replace it; else :class:`SiteDirError`.

    Refused: the workspace (the folder of ``mkdocs.yml``) and any folder containing it (``..``,
    ``/``), the home folder and its ancestors, any folder inside the docs folder or a report
    folder (or containing one), an existing file, and an existing non-empty folder that is not a
    tanping site (:func:`is_tanping_site`). Writes nothing."""
    target = Path(site_dir).resolve()
    where = Location(str(site_dir))
    protected = [("工作区（mkdocs.yml 所在目录）", Path(workspace).resolve())]
    protected.append(("内容目录（docs_dir）", Path(docs).resolve()))
    protected += [("报告目录", report.resolve()) for report in report_folders(Path(docs))]
    with contextlib.suppress(RuntimeError, KeyError):  # no home folder known
        protected.append(("用户主目录", Path.home().resolve()))
    for name, folder in protected:
        if folder.is_relative_to(target):
            relation = "就是" if folder == target else "包含"
            raise SiteDirError(
                f"不能作为站点目录：它{relation}{name} {folder}，构建会把整个目录替换掉",
                _SITE_HINT,
                where,
            )
    containers = [entry for entry in protected[2:] if entry[0] == "报告目录"] + protected[1:2]
    for name, folder in containers:  # the innermost first: a report folder, then docs_dir
        if target.is_relative_to(folder):
            raise SiteDirError(
                f"不能作为站点目录：它在{name} {folder} 之内，生成的网页会混进报告内容",
                _SITE_HINT,
                where,
            )
    if target.exists() and not target.is_dir():
        raise SiteDirError("不能作为站点目录：已存在同名文件", _SITE_HINT, where)
    if target.is_dir() and any(target.iterdir()) and not is_tanping_site(target):
        raise SiteDirError(
            f"不能作为站点目录：该目录已存在、非空，且不是 tanping 生成的站点（没有 {SITE_MARKER}"
            "），构建会删除其中的文件",
            f"{_SITE_HINT}；确要使用该目录时，先自行清空它",
            where,
        )
    return target


def site_target(config_file: Path, site_dir: Path | None = None) -> Path:
    """The site directory a build of ``config_file`` writes (``site_dir``, else the config's),
    checked by :func:`check_site_dir`."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    config_file = Path(config_file).resolve()
    try:
        with contextlib.chdir(config_file.parent):
            probe = load_config(str(config_file))
            given = Path(site_dir) if site_dir is not None else Path(probe["site_dir"])
            docs = Path(probe["docs_dir"]).resolve()
            return check_site_dir(given.absolute(), workspace=config_file.parent, docs=docs)
    except MkDocsException as err:
        raise SiteDirError(
            f"无法读取站点配置：{err}",
            "检查 mkdocs.yml 的语法与各项设置",
            Location(str(config_file)),
        ) from err


def staging_prefix(target: Path) -> str:
    """The name prefix of a build's staging folders, created beside ``target``."""
    return f".{target.name}-build-"


def _lock_file(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def _previous(target: Path) -> Path:
    return target.with_name(f".{target.name}.previous")


@contextlib.contextmanager
def site_lock(target: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the exclusive build lock of ``target`` (``flock`` on ``.<name>.lock`` beside it).

    A second build waits until the first one is done, then builds (and so publishes the newer
    sources); ``on_wait`` is called once when it has to wait. The kernel releases the lock when
    its process ends, however it ends, so a killed build never blocks the next one."""
    fd = os.open(_lock_file(target), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def clean_stale(target: Path) -> None:
    """Remove what builds that died left beside ``target``; call with the lock held.

    Only the lock holder creates staging folders, so under the lock every staging folder is
    stale. A build killed between its two renames leaves no ``target`` but ``.<name>.previous``:
    that is the last good output, and it is put back."""
    for stale in target.parent.glob(staging_prefix(target) + "*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
    previous = _previous(target)
    if previous.is_dir() and not previous.is_symlink():
        if target.exists() or target.is_symlink():
            shutil.rmtree(previous, ignore_errors=True)
        else:
            previous.rename(target)


def _first_tanping_error(err: BaseException) -> TanpingError | None:
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, TanpingError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _engine_error(err: Exception, messages: list[str]) -> SiteBuildError:
    """A failed MkDocs build as a :class:`SiteBuildError`: tanping's own error if one caused it
    (raised by a hook), else the engine's messages."""
    cause = _first_tanping_error(err)
    if isinstance(cause, ReportErrors):
        return SiteBuildError(cause.render(), messages=messages)
    if cause is not None:
        return SiteBuildError(cause.problem, cause.hint, cause.location, messages)
    text = "\n".join([*messages, str(err)])
    return SiteBuildError(text, "按上面的提示修改所指的文件后重新构建", messages=messages)


# ---- what a build writes per report beside its pages ---------------------------------------------
@dataclass(frozen=True)
class ReportOutput:
    """One kind of file a build writes for every report into the report's folder of the site:
    the PDF; the Word and Excel copies join :data:`REPORT_OUTPUTS` the same way.

    ``write`` gets the report's print renderer (computed once per build, numbering collected)
    and the report's folder in the site, and returns the file it wrote. The output is cached
    under :func:`output_key`: the report folder's files, tanping's code, the library versions
    and the PDF date (:func:`created_at`)."""

    name: str
    write: Callable[[ReportRenderer, Path], list[Path]]


def _write_pdf(page: ReportRenderer, out_dir: Path) -> list[Path]:
    return [export_pdf(page.folder, out_dir, page=page)]


def _write_office(page: ReportRenderer, out_dir: Path) -> list[Path]:
    # imported here: the engine loads the hook with templates/ on sys.path, where docx.py
    # would shadow python-docx's ``docx`` during the hook's own import
    from tanping.templates import office

    return office.write_copies(page.folder, out_dir)


#: The outputs of every report, in the order they are written: the PDF, then the Word and Excel
#: copies (templates/office.py). A new output is one more entry here; it is cached, written in
#: the parallel workers and listed in the build's summary like the others.
REPORT_OUTPUTS: list[ReportOutput] = [
    ReportOutput("pdf", _write_pdf),
    ReportOutput("office", _write_office),
]


def output_key(output: ReportOutput, folder: Path) -> tuple[str, str]:
    """The cache kind and key of ``output`` of the report in ``folder``."""
    kind = f"report-{output.name}"
    folder = Path(folder).resolve()
    return kind, cache.report_key(kind, folder, path=str(folder), created=created_at(folder))


def pdf_pages(path: Path) -> int | None:
    """The number of pages of a PDF (``None`` for another kind of file)."""
    if path.suffix.lower() != ".pdf":
        return None
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def write_report_outputs(session: Session, folder: Path, out_dir: Path) -> list[Written]:
    """Write every output of :data:`REPORT_OUTPUTS` of ``folder`` into ``out_dir``, from the
    cache when it holds the output, else rendered (and then cached)."""
    records = []
    store = session.store
    for output in REPORT_OUTPUTS:
        kind, key = output_key(output, folder)
        started = time.perf_counter()
        meta = store.get(kind, key, out_dir)
        if meta is not None and isinstance(meta.get("files"), list):
            records.append(
                Written(
                    folder.name,
                    output.name,
                    meta["files"],
                    meta.get("pages"),
                    meta.get("seconds", 0.0),
                    cached=True,
                )
            )
            continue
        session.events.stage(folder.name, output.name.upper())
        paths = output.write(session.renderer(folder, "print"), out_dir)
        seconds = time.perf_counter() - started
        pages = next((n for n in map(pdf_pages, paths) if n is not None), None)
        names = [path.name for path in paths]
        record = Written(folder.name, output.name, names, pages, seconds)
        store.put(kind, key, out_dir, names, dataclasses.asdict(record))
        records.append(record)
    return records


def fetch_report_outputs(store: cache.Store, folder: Path, out_dir: Path) -> list[Written] | None:
    """The cached outputs of ``folder`` copied into ``out_dir``; ``None`` when an entry went
    missing or failed its manifest (it is discarded: the caller writes the outputs anew)."""
    records = []
    for output in REPORT_OUTPUTS:
        meta = store.get(*output_key(output, folder), out_dir)
        if meta is None:
            return None
        records.append(
            Written(
                folder.name,
                output.name,
                meta["files"],
                meta.get("pages"),
                meta.get("seconds", 0.0),
                cached=True,
            )
        )
    return records


@dataclass(frozen=True)
class OutputFailure:
    """A worker's failure, sent back as text (exceptions of tanping do not all pickle)."""

    problem: str
    hint: str = ""
    location: Location | None = None


#: The session a forked output worker inherits (set just before the pool forks).
_FORKED: list[Session] = []


def _outputs_worker(folder: str, out_dir: str) -> list[Written] | OutputFailure:
    session = _FORKED[-1]
    session.events = BuildEvents()  # the parent shows progress
    try:
        return write_report_outputs(session, Path(folder), Path(out_dir))
    except ReportErrors as err:
        return OutputFailure(err.render())
    except TanpingError as err:
        return OutputFailure(err.problem, err.hint, err.location)
    except Exception as err:  # a bug: say which report it hit
        return OutputFailure(f"{Path(folder).name}：输出生成失败：{type(err).__name__}: {err}")


def _tell(events: BuildEvents, future: Any) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    done = future.result()
    if not isinstance(done, OutputFailure):
        for record in done:
            events.written(record)


class _Recorder(BuildEvents):
    """Passes a build's events on, keeping every output written (for the site's cache entry)."""

    def __init__(self, inner: BuildEvents) -> None:
        self.inner = inner
        self.records: list[Written] = []
        self._lock = threading.Lock()

    def stage(self, report: str, what: str) -> None:
        self.inner.stage(report, what)

    def written(self, record: Written) -> None:
        with self._lock:
            self.records.append(record)
        self.inner.written(record)


@contextlib.contextmanager
def _output_pool(session: Session, folders: list[Path]) -> Iterator[ProcessPoolExecutor]:
    """Processes forked from this one, one per report up to the number of cores, each
    inheriting the session (the computed reports): the outputs of different reports are
    written in parallel, and meanwhile this process builds the site."""
    workers = max(1, min(len(folders), os.cpu_count() or 1))
    _FORKED.append(session)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _FORKED.remove(session)


def build_site(
    config_file: Path = Path("mkdocs.yml"),
    site_dir: Path | None = None,
    on_wait: Callable[[], None] | None = None,
    *,
    reports: Iterable[Path] | None = None,
    outputs: bool | None = None,
    events: BuildEvents | None = None,
    store: cache.Store | None = None,
) -> Path:
    """Build the site and every report's outputs (the PDF, see :data:`REPORT_OUTPUTS`) into a
    fresh staging folder, then swap it into the site directory. On any failure the previous
    output stays untouched and :class:`SiteBuildError` says what failed, where, and how to fix
    it.

    ``reports``: the report folders to publish (default: every one under the docs folder);
    ``outputs``: whether to write the per-report outputs (default: unless ``TANPING_PDF=0``);
    ``events``: told of each stage and output (the progress display); ``store``: the build
    cache (:mod:`templates.cache`). Each report is computed at most once; a report whose pages
    and outputs are in the cache is not computed at all, and a site whose every input is
    unchanged is copied from the cache whole.

    The site directory is checked first (:func:`site_target`; nothing is written for a refused
    one); the build holds :func:`site_lock` and starts by removing what killed builds left
    (:func:`clean_stale`). It runs in the folder of ``config_file``, so that paths in it (the
    search plugin's jieba dictionary) mean the same wherever ``tanping build`` is started."""
    config_file = Path(config_file).resolve()
    target = site_target(config_file, site_dir)
    events = events or BuildEvents()
    store = store or cache.Store()
    if outputs is None:
        outputs = os.environ.get("TANPING_PDF", "1") != "0"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with site_lock(target, on_wait):
            clean_stale(target)
            staging = Path(tempfile.mkdtemp(prefix=staging_prefix(target), dir=target.parent))
            try:
                _build_into_staging(config_file, target, staging, reports, outputs, events, store)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            staging.chmod(0o755)  # mkdtemp makes it private; a published site is readable
            previous = _previous(target)
            if target.exists():
                target.rename(previous)
            staging.rename(target)
            shutil.rmtree(previous, ignore_errors=True)
    except OSError as err:
        folder = Path(err.filename) if err.filename else target.parent
        raise SiteBuildError(
            f"无法写入站点：{err.strerror or err}",
            "站点目录的上级须是可写的目录；换一个可写位置的 --site-dir，或修改目录权限",
            Location(str(folder)),
        ) from err
    return target


def _site_key(
    config_file: Path, docs: Path, folders: list[Path], outputs: bool, options: dict[str, Any]
) -> str:
    """The key of a whole built site: the code, the configuration, every file of the docs
    folder (the published reports' and the shared pages and assets; other reports left out),
    the installed fonts the site is cut from, and the build's options."""
    skip = [
        p.name for p in report_folders(docs) if p.resolve() not in {f.resolve() for f in folders}
    ]
    fonts = []
    if os.environ.get("TANPING_WEBFONTS", "1") != "0":
        for font in WEB_FONTS:
            with contextlib.suppress(WebFontError, OSError):
                source, psname = font_file(font)
                stat = source.stat()
                fonts.append(f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{psname}")
    created = [created_at(f).isoformat() for f in folders] if outputs else []
    return cache.key_of(
        "site",
        cache.code_digest(),
        str(config_file),
        hashlib.sha256(config_file.read_bytes()).hexdigest(),
        str(docs.resolve()),
        cache.tree_digest(docs, skip=skip),
        sorted(f.name for f in folders),
        outputs,
        created,
        fonts,
        options,
    )


def _build_into_staging(
    config_file: Path,
    target: Path,
    staging: Path,
    reports: Iterable[Path] | None,
    outputs: bool,
    events: BuildEvents,
    store: cache.Store,
) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    from tanping.templates.session import Session

    collect = _Collect()
    engine_log = logging.getLogger("mkdocs")
    engine_log.addHandler(collect)
    try:
        with contextlib.chdir(config_file.parent):
            config = load_config(str(config_file), site_dir=str(staging), strict=True)
            docs = Path(config["docs_dir"]).resolve()
            every = report_folders(docs)
            folders = every if reports is None else sorted({Path(r).resolve() for r in reports})
            directory_urls = bool(config["use_directory_urls"])
            options = {"webfonts": os.environ.get("TANPING_WEBFONTS", "1")}
            events.stage("", "检查缓存")
            key = _site_key(config_file, docs, folders, outputs, options)
            meta = store.get("site", key, staging)
            if meta is not None and isinstance(meta.get("written"), list):
                for record in meta["written"]:
                    events.written(dataclasses.replace(Written(**record), cached=True))
                return
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            recorder = _Recorder(events)
            session = Session(store=store, only=frozenset(folders), events=recorder)
            _build_fresh(config, session, folders, directory_urls, outputs, build)
            written = recorder.records
        (staging / SITE_MARKER).write_text(
            "tanping 生成的站点：`tanping build` 会整个替换本目录。\n", encoding="utf-8"
        )
        events.stage("", "写入缓存")
        names = [p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()]
        store.put(
            "site",
            key,
            staging,
            names,
            {"written": [dataclasses.asdict(dataclasses.replace(w, cached=True)) for w in written]},
        )
    except MkDocsException as err:
        messages = [m for m in collect.messages if m.strip()]
        raise _engine_error(err, messages) from err
    finally:
        engine_log.removeHandler(collect)


def _build_fresh(
    config: Any,
    session: Session,
    folders: list[Path],
    directory_urls: bool,
    outputs: bool,
    build: Callable[[Any], None],
) -> list[Written]:
    """The site through the engine, and the outputs of every report: from the cache, else
    written in parallel processes while the engine builds the site."""
    from tanping.templates.session import opened

    store, events = session.store, session.events
    staging = Path(config["site_dir"])
    stale = [
        f
        for f in folders
        if outputs and not all(store.has(*output_key(o, f)) for o in REPORT_OUTPUTS)
    ]
    unrendered = [
        f
        for f in folders
        if not store.has("report-site", session.site_key(f, directory_urls=directory_urls))
    ]
    for folder in sorted({*stale, *unrendered}):  # every report is valid before anything is written
        session.result(folder)
    scratch = Path(tempfile.mkdtemp(prefix=staging.name + "-outputs-", dir=staging.parent))
    written: list[Written] = []
    try:
        with _output_pool(session, stale) as pool:
            futures = [
                (folder, pool.submit(_outputs_worker, str(folder), str(scratch / folder.name)))
                for folder in stale
            ]
            for _, future in futures:
                future.add_done_callback(functools.partial(_tell, events))
            events.stage("", "站点")
            with opened(session):
                build(config)
            for folder in folders:
                if folder not in stale and outputs:
                    fetched = fetch_report_outputs(store, folder, staging / folder.name)
                    if fetched is None:  # a corrupt entry is never served: write them anew
                        fetched = write_report_outputs(session, folder, staging / folder.name)
                    for record in fetched:
                        written.append(record)
                        events.written(record)
            for folder, future in futures:
                events.stage(folder.name, "等待输出")
                done = future.result()
                if isinstance(done, OutputFailure):
                    raise SiteBuildError(done.problem, done.hint, done.location)
                written += done
        for folder in stale:
            for path in sorted((scratch / folder.name).glob("*")):
                (staging / folder.name).mkdir(parents=True, exist_ok=True)
                os.replace(path, staging / folder.name / path.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return sorted(written, key=lambda w: (w.slug, w.output))


# ---- web fonts -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class WebFont:
    """One face of the site: the family the CSS names, its weight, and the installed face."""

    family: str
    weight: int
    pattern: str  # fontconfig pattern that finds the installed file

    @property
    def file_name(self) -> str:
        return f"{self.family.lower().replace(' ', '-')}-{self.weight}.woff2"


#: The faces ``assets/tanping.css`` declares with ``@font-face`` (body text in Noto Serif CJK SC,
#: headings, tables and navigation in Noto Sans CJK SC).
WEB_FONTS = (
    WebFont("Noto Serif CJK SC", 400, "Noto Serif CJK SC:weight=regular"),
    WebFont("Noto Serif CJK SC", 700, "Noto Serif CJK SC:weight=bold"),
    WebFont("Noto Sans CJK SC", 400, "Noto Sans CJK SC:weight=regular"),
    WebFont("Noto Sans CJK SC", 700, "Noto Sans CJK SC:weight=bold"),
)
WEB_FONT_DIR = "assets/fonts"
#: Always kept: ASCII, Latin-1 punctuation, general punctuation, CJK punctuation and full-width
#: forms, so text typed into the search box or shown by scripts renders in the same face.
_ALWAYS = (
    {chr(c) for c in range(0x20, 0x7F)}
    | {chr(c) for c in range(0xA0, 0x100)}
    | {chr(c) for c in range(0x2010, 0x2040)}
    | {chr(c) for c in range(0x3000, 0x3020)}
    | {chr(c) for c in range(0xFF01, 0xFF5F)}
    | set("₀₁₂₃₄₅₆₇₈₉²³·×÷±≤≥−→")
)
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


class WebFontError(TanpingError, RuntimeError):
    """The Noto CJK fonts are missing or cannot be subset."""


def site_characters(site: Path) -> set[str]:
    """Every character the built site can show: its HTML (text, attributes, the theme's
    translations) and its search index, JSON escapes decoded."""
    chars = set(_ALWAYS)
    files = [*site.rglob("*.html"), *site.glob("search/*.json"), *site.rglob("*.js")]
    for path in files:
        if path.suffix == ".js" and "assets/javascripts" in path.as_posix():
            if "tanping" not in path.name:  # the theme's bundles: only our own script's strings
                continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), html.unescape(text))
        chars.update(text)
    return {c for c in chars if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF}


def font_file(font: WebFont) -> tuple[Path, str]:
    """The installed file of ``font`` (fontconfig) and the face's PostScript name."""
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{family}\n%{postscriptname}", font.pattern],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError) as err:
        raise WebFontError(
            f"站点字体：fc-match 不可用（{err}）",
            "安装 fontconfig 与 fonts-noto-cjk（scripts/system-deps.sh）",
        ) from err
    path, families, psname = [*out.split("\n"), "", "", ""][:3]
    if font.family not in families.split(","):
        raise WebFontError(
            f"站点字体：没有安装字体 {font.family}（fc-match 给出 {path}）",
            "运行 scripts/system-deps.sh（Debian 包 fonts-noto-cjk）",
        )
    return Path(path), psname


def _subset_font(source: str, psname: str, text: str, out: str) -> int:
    """Subset the face ``psname`` of ``source`` (a .ttc collection or a single font) to
    ``text`` and write it as WOFF2 to ``out``; returns the size in bytes. Runs in a worker."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    if source.lower().endswith((".ttc", ".otc")):
        faces = TTCollection(source, lazy=True).fonts
        matches = [f for f in faces if f["name"].getDebugName(6) == psname]
        if not matches:
            raise WebFontError(f"站点字体：{source} 中没有字形 {psname}", "重新安装 fonts-noto-cjk")
        font = matches[0]
    else:
        font = TTFont(source, lazy=True)
    options = subset.Options()
    options.flavor = "woff2"
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE"]  # no vertical text on the site
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted({ord(c) for c in text}))
    subsetter.subset(font)
    font.flavor = "woff2"
    tmp = f"{out}.tmp"
    font.save(tmp)
    os.replace(tmp, out)
    return Path(out).stat().st_size


def _cache_dir() -> Path:
    root = os.environ.get("TANPING_CACHE") or os.environ.get("XDG_CACHE_HOME")
    base = Path(root) if root else Path.home() / ".cache"
    return (base if os.environ.get("TANPING_CACHE") else base / "tanping") / "webfonts"


def write_webfonts(site: Path) -> dict[str, int]:
    """Write the site's WOFF2 faces into ``site/assets/fonts``; returns file name -> bytes.

    Each face is the installed Noto CJK SC face cut down to :func:`site_characters`. Results are
    cached by (font file, face, characters), so an unchanged site reuses them; faces are cut in
    parallel. Set ``TANPING_WEBFONTS=0`` to skip (the CSS then falls back to installed fonts).
    """
    if os.environ.get("TANPING_WEBFONTS", "1") == "0":
        return {}
    text = "".join(sorted(site_characters(site)))
    out_dir = site / WEB_FONT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    cache = _cache_dir()
    jobs: list[tuple[WebFont, Path, Path, str]] = []
    sizes: dict[str, int] = {}
    for font in WEB_FONTS:
        source, psname = font_file(font)
        stat = source.stat()
        key = hashlib.sha256(
            f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{psname}|v1|{text}".encode()
        ).hexdigest()[:24]
        cached = cache / f"{key}-{font.file_name}"
        jobs.append((font, source, cached, psname))
    todo = [job for job in jobs if not job[2].is_file()]
    if todo:
        cache.mkdir(parents=True, exist_ok=True)
        workers = min(len(todo), os.cpu_count() or 1)
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = [
                    pool.submit(_subset_font, str(src), ps, text, str(dst))
                    for _, src, dst, ps in todo
                ]
                for future in futures:
                    future.result()
        else:
            for _, src, dst, ps in todo:
                _subset_font(str(src), ps, text, str(dst))
    for font, _, cached, _ in jobs:
        shutil.copyfile(cached, out_dir / font.file_name)
        sizes[font.file_name] = cached.stat().st_size
    return sizes

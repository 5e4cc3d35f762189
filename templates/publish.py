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
import datetime as dt
import hashlib
import html
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
from markupsafe import Markup, escape

from tanping.calc.models.park import ParkReport
from tanping.calc.pipeline import compute
from tanping.templates.pdf import PrintMeta, render_pdf
from tanping.templates.render import (
    APPENDIX_PAGE,
    ReportRenderer,
    chapter_files,
    chapter_number,
)

MARKDOWN_EXTENSIONS = ["tables", "attr_list", "md_in_html", "footnotes", "admonition", "toc"]
APPENDIX_TITLE = "计算过程"


def report_folders(content: Path) -> list[Path]:
    """Every report folder under ``content`` (a folder holding ``report.yml``)."""
    return sorted(p.parent for p in Path(content).glob("*/report.yml"))


def renderer(folder: Path, *, mode: str = "site") -> ReportRenderer:
    """The computed report of ``folder`` with its numbering collected (first pass done)."""
    from tanping.templates.park import ParkRenderer
    from tanping.templates.project import ProjectRenderer

    result = compute(folder)
    cls: type[ReportRenderer] = (
        ParkRenderer if isinstance(result.report, ParkReport) else ProjectRenderer
    )
    instance = cls(folder, result, mode=mode)
    instance.collect(chapter_files(folder))
    return instance


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
    text = number_headings(report.render_chapter(path), chapter_number(path))
    pdf = pdf_name(report.folder)
    pdf_url = f"../{pdf}" if report.directory_urls else pdf
    link = Markup(
        '\n\n<p class="pdf-link"><a href="{}">下载本报告 PDF（报批版）</a>'
        '　·　<a href="{}">计算过程</a></p>\n'
    ).format(pdf_url, report.page_url(APPENDIX_PAGE))
    return _after_title(text, str(link))


_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")


def number_headings(text: str, chapter: int) -> str:
    """Number a chapter's headings as the PDF does (``# 2 碳排放核算``, ``## 2.1 …``,
    ``### 2.1.1 …``), so that the site, its navigation and the filed PDF read alike.
    Fenced code is left alone; a chapter without a number is left as it is."""
    if chapter <= 0:
        return text
    counters = [chapter, 0, 0, 0]
    fenced = False
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match is None:
            continue
        level = len(match.group(1))
        if level > 1:
            counters[level - 1] += 1
            counters[level:] = [0] * (4 - level)
        number = ".".join(str(n) for n in counters[:level])
        lines[index] = f"{match.group(1)} {number} {match.group(2)}"
    return "\n".join(lines)


def _after_title(text: str, addition: str) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join([*lines[: index + 1], addition, *lines[index + 1 :]])
    return addition + text


def reports_index(reports: Iterable[ReportRenderer], *, directory_urls: bool) -> str:
    """The list of reports on the home page: title, kind, first chapter, 计算过程 and PDF."""
    rows = []
    for report in reports:
        chapters = chapter_files(report.folder)
        slug = report.slug
        first = chapters[0].stem if chapters else APPENDIX_PAGE

        def url(stem: str, slug: str = slug) -> str:
            return f"{slug}/{stem}/" if directory_urls else f"{slug}/{stem}.html"

        kind = "建设项目" if report.report.kind == "project" else "产业园区规划"
        rows.append(
            Markup(
                '<li><a href="{}">{}</a>（{}，{}）　<a href="{}">计算过程</a>'
                '　·　<a href="{}">PDF</a></li>'
            ).format(
                url(first),
                report.report.title,
                kind,
                report.report.district,
                url(APPENDIX_PAGE),
                f"{slug}/{pdf_name(report.folder)}",
            )
        )
    if not rows:
        return ""
    return '<ul class="tp-reports">\n' + "\n".join(rows) + "\n</ul>\n"


def nav_title(report: ReportRenderer) -> str:
    """A report's navigation section title; themes print it as HTML, so it is escaped here."""
    return str(escape(report.report.title))


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
    return str(markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html"))


def export_pdf(folder: Path, out: Path, *, pdf_a: bool = False) -> Path:
    """Write the PDF of the report in ``folder`` to ``out``; returns ``out``."""
    page = renderer(folder, mode="print")
    files = chapter_files(folder)
    chapters = [chapter_html(page, path) for path in files]
    chapters.append(f'<h1 class="appendix">{APPENDIX_TITLE}</h1>\n' + str(page.derivations()))
    numbers: list[int | None] = [chapter_number(path) for path in files]
    ledger = page.ledger.to_json().encode("utf-8")
    data = render_pdf(
        print_meta(page.report),
        chapters,
        attachments={"ledger.json": ledger},
        created=created_at(folder),
        pdf_a=pdf_a,
        base_url=str(folder),
        numbers=[*numbers, None],
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def pdf_name(folder: Path) -> str:
    return f"{folder.name}.pdf"


class SiteBuildError(Exception):
    """The site build failed; ``messages`` are the engine's errors and warnings, in order."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_site(config_file: Path = Path("mkdocs.yml"), site_dir: Path | None = None) -> Path:
    """Build the site (and the PDFs, through the MkDocs hook) into a fresh directory, then swap it
    into ``site_dir``. On any failure the previous output stays untouched and
    :class:`SiteBuildError` carries the engine's messages (the failing file and line).

    The build runs in the folder of ``config_file``, so that paths in it (the search plugin's
    jieba dictionary) mean the same wherever ``tanping build`` is started."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    config_file = Path(config_file).resolve()
    target_arg = Path(site_dir).resolve() if site_dir is not None else None
    collect = _Collect()
    engine_log = logging.getLogger("mkdocs")
    engine_log.addHandler(collect)
    try:
        with contextlib.chdir(config_file.parent):
            probe = load_config(str(config_file))
            target = target_arg or Path(probe["site_dir"]).resolve()
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".site-", dir=target.parent))
            try:
                config = load_config(str(config_file), site_dir=str(staging), strict=True)
                build(config)
            except BaseException as err:
                shutil.rmtree(staging, ignore_errors=True)
                if isinstance(err, MkDocsException):
                    messages = [m for m in collect.messages if m.strip()]
                    raise SiteBuildError([*messages, str(err)]) from err
                raise
    finally:
        engine_log.removeHandler(collect)
    staging.chmod(0o755)  # mkdtemp makes it private; a published site is readable
    previous = target.with_name(f".{target.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)
    return target


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


class WebFontError(RuntimeError):
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
        raise WebFontError(f"fc-match 不可用（{err}）：请安装 fonts-noto-cjk") from err
    path, families, psname = [*out.split("\n"), "", "", ""][:3]
    if font.family not in families.split(","):
        raise WebFontError(
            f"没有安装字体 {font.family}（fc-match 给出 {path}）："
            "请运行 scripts/system-deps.sh（Debian 包 fonts-noto-cjk）"
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
            raise WebFontError(f"{source} 中没有字形 {psname}")
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

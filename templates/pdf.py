"""Print pipeline: HTML chapter fragments -> filed-quality A4 PDF with WeasyPrint.

The caller gives one HTML fragment per chapter (as produced by Python-Markdown, each starting
with an ``<h1>``); this module adds the cover, the table of contents (目录), numbered headings,
running headers and footers, three-line tables and PDF metadata, and embeds attachments.

Reproducibility: the same input gives byte-identical PDFs.  The only time-dependent values in
WeasyPrint's output are the document and attachment dates; both come from ``created``
(default: ``SOURCE_DATE_EPOCH``, else 2000-01-01 UTC).  The file identifier is an MD5 of the
content (pydyf), the font subset tags are hashes of the font descriptions.

Quality gate: WeasyPrint logs (it does not raise) when a glyph is missing (``.notdef`` drawn)
or a font cannot be loaded.  Such messages are captured during rendering and turned into
:class:`PrintError`; so are WeasyPrint errors (a resource such as an image that could not be
loaded), because a filed document must not silently miss content.  After rendering, the fonts
actually embedded are checked: the body and heading fonts must both be there.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import logging
import os
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
import pydyf
import pypdf
import weasyprint
from markupsafe import Markup
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from tanping.calc.errors import TanpingError

__all__ = ["BODY_FONT", "HEADING_FONT", "PrintError", "PrintMeta", "render_pdf"]

PRINT_DIR = Path(__file__).resolve().parent / "print"
BODY_FONT = "Noto Serif CJK SC"
HEADING_FONT = "Noto Sans CJK SC"
DEFAULT_CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
PDF_A_VARIANT = "pdf/a-3b"
# Only local resources: no network at build or run time.
ALLOWED_PROTOCOLS = ("file", "data")


@dataclass(frozen=True)
class PrintMeta:
    """What the cover and the PDF metadata say about the report."""

    title: str  # report title
    client: str  # 建设单位 / 规划编制单位 (may be "")
    assessor: str  # 评价单位 (may be "")
    date: str  # shown on the cover, e.g. "2026年11月"
    subtitle: str = ""  # e.g. "碳排放评价专章"
    keywords: tuple[str, ...] = ()
    client_label: str = "建设单位"  # "规划编制单位" for a plan EIA
    draft: bool = False  # a report that fails a filing rule: 征求意见稿 on every page


class PrintError(TanpingError):
    """The PDF cannot be filed as rendered (missing glyph or font, unloadable resource)."""


class _ContainedFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints
    """WeasyPrint's fetcher, limited to ``data:`` URLs and files that resolve (links followed)
    inside one of ``roots``: the report folder and the print stylesheet's own folder. An image
    linked to a file outside the report is refused like a missing one (and so stops the PDF)."""

    def __init__(self, roots: list[Path]) -> None:
        super().__init__(allowed_protocols=ALLOWED_PROTOCOLS)
        self._roots = [root.resolve() for root in roots]

    def fetch(self, url: str, headers: object = None) -> object:
        if url.lower().startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in self._roots):
                raise ValueError(f"文件在报告目录之外，不予读取：{path}")
        return super().fetch(url, headers)


@dataclass(frozen=True)
class TocEntry:
    level: int  # 1 or 2
    anchor: str
    title: str
    appendix: bool = False


# ------------------------------------------------------------------ HTML preparation

_HEADING_RE = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1\s*>", re.S | re.I)
_ID_RE = re.compile(r"""(?<![\w-])id\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_CLASS_RE = re.compile(r"""(?<![\w-])class\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_HEADERLINK_RE = re.compile(r"<a\b[^>]*\bclass=\"headerlink\"[^>]*>.*?</a>", re.S | re.I)
_TAG_RE = re.compile(r"<[^>]+>")
# A caption paragraph ("表 2-1 …") directly followed by a table becomes a <figure class="table">.
_TABLE_CAPTION_RE = re.compile(
    r"<p\b[^>]*>\s*(?P<caption>(?:<(?:strong|b|span)\b[^>]*>\s*)?表\s*[A-Z]?\d+(?:[-.．]\d+)*"
    r"(?:(?!</p>).)*?)</p>\s*(?P<table><table\b.*?</table>)",
    re.S,
)
_PRE_RE = re.compile(r"(<pre\b.*?</pre\s*>)", re.S | re.I)
_SEGMENT_BREAK_RE = re.compile(r"(?<=(\S))[ \t]*\n\s*(?=(\S))")
_SVG_OPEN_RE = re.compile(r"<svg\b[^>]*?(?<!/)>", re.I)
# A figure (with its 〔n〕 marker) followed by closing punctuation: kept on one line, so that the
# punctuation never starts a line (GB/T 15834 line-start rule).
_FIGURE_PUNCT_RE = re.compile(
    r"(<span class=\"fig\"[^>]*>[^<]*</span>(?:<a class=\"deriv-ref\"[^>]*>[^<]*</a>)?)"
    r"([，。；：、！？）》」』”’%]+)"
)
_SVG_STYLE = f'<style>text, tspan {{ font-family: "{HEADING_FONT}"; }}</style>'


def _attr(pattern: re.Pattern[str], attrs: str) -> str | None:
    match = pattern.search(attrs)
    if match is None:
        return None
    return next(group for group in match.groups() if group is not None)


def _plain_text(fragment: str) -> str:
    text = _TAG_RE.sub("", _HEADERLINK_RE.sub("", fragment))
    return " ".join(html.unescape(text).split())


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F") and not (
        "\uac00" <= char <= "\ud7af"  # Hangul keeps its spaces
    )


def _drop_cjk_segment_breaks(fragment: str) -> str:
    """Remove source line breaks next to Chinese characters (CSS Text 3, segment breaks).

    Python-Markdown keeps the line breaks of the source paragraph; WeasyPrint turns each into a
    space, which shows as a gap between two Chinese characters ("，\n各装置" -> "， 各装置").
    """

    def join(match: re.Match[str]) -> str:
        before, after = match.group(1), match.group(2)
        return "" if _is_wide(before) or _is_wide(after) else " "

    parts = _PRE_RE.split(fragment)
    return "".join(
        part if i % 2 else _SEGMENT_BREAK_RE.sub(join, part) for i, part in enumerate(parts)
    )


#: The number a numbered heading starts with (``9.1.2 标题``: the renderer's numbers).
_HEADING_NUMBER_RE = re.compile(r"^(\s*)(\d+(?:\.\d+)*)\s+")


def _prepare(chapters: list[str], *, numbered: bool = False) -> tuple[list[str], list[TocEntry]]:
    """Give every h1/h2 an id, collect the contents, normalise tables and inline SVG. With
    ``numbered`` the headings carry their numbers (the renderer's): each becomes a span, and
    the contents, bookmarks and running header show it as written (no CSS counters)."""
    toc: list[TocEntry] = []
    # Every id in the fragments, so that generated ids never collide with the caller's.
    all_ids = Counter(
        next(group for group in match.groups() if group is not None)
        for chapter in chapters
        for match in _ID_RE.finditer(chapter)
    )
    heading_id_count = Counter(
        anchor
        for chapter in chapters
        for match in _HEADING_RE.finditer(chapter)
        if (anchor := _attr(_ID_RE, match.group(2))) is not None
    )
    other_ids = set(all_ids - heading_id_count)  # ids on elements that are not headings
    taken = set(all_ids)
    heading_ids: set[str] = set()
    counter = 0
    in_appendix = False

    def fresh_id() -> str:
        nonlocal counter
        while True:
            counter += 1
            if (candidate := f"sec-{counter}") not in taken:
                taken.add(candidate)
                return candidate

    def heading(match: re.Match[str]) -> str:
        nonlocal in_appendix
        level = int(match.group(1))
        attrs, inner = match.group(2), match.group(3)
        if level == 1:
            in_appendix = "appendix" in (_attr(_CLASS_RE, attrs) or "").split()
        if numbered and not in_appendix:
            inner = _HEADING_NUMBER_RE.sub(
                '\\1<span class="heading-number">\\2</span>\u2003', inner, count=1
            )
        anchor = _attr(_ID_RE, attrs)
        if anchor is None:
            if level > 2:
                return match.group(0)
            anchor = fresh_id()
            attrs = f'{attrs} id="{anchor}"'
        elif anchor in heading_ids or anchor in other_ids:
            # Chapters are converted one by one, so Markdown's toc ids ("_1") repeat; a
            # repeated id would send the contents entry and its page number to the wrong place.
            anchor = fresh_id()
            attrs = _ID_RE.sub(f'id="{anchor}"', attrs, count=1)
        heading_ids.add(anchor)
        if level > 2:
            return f"<h{level}{attrs}>{inner}</h{level}>"
        title = _plain_text(inner)
        if numbered and not in_appendix:  # the number as the counters wrote it: an em space
            title = _HEADING_NUMBER_RE.sub("\\2\u2003", title, count=1)
        toc.append(TocEntry(level, anchor, title, in_appendix))
        return f"<h{level}{attrs}>{inner}</h{level}>"

    prepared = []
    for chapter in chapters:
        chapter = _HEADING_RE.sub(heading, _drop_cjk_segment_breaks(chapter))
        chapter = _TABLE_CAPTION_RE.sub(
            lambda m: (
                f'<figure class="table"><figcaption>{m.group("caption").strip()}</figcaption>'
                f"{m.group('table')}</figure>"
            ),
            chapter,
        )
        chapter = _SVG_OPEN_RE.sub(lambda m: m.group(0) + _SVG_STYLE, chapter)
        chapter = _FIGURE_PUNCT_RE.sub(r'<span class="nobr">\1\2</span>', chapter)
        prepared.append(chapter)
    return prepared, toc


# ------------------------------------------------------------------ dates


def _default_created() -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return DEFAULT_CREATED
    try:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise PrintError(
            f"环境变量 SOURCE_DATE_EPOCH 无效：{epoch!r}",
            "填写 Unix 时间戳（秒，如 1735689600），或删去该变量",
        ) from exc


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:  # naive datetimes are taken as UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0)


# ------------------------------------------------------------------ log capture

_FONT_WORDS = ("font", "glyph", ".notdef", "字体", "字形")


class _Collector(logging.Handler):
    """Collect WeasyPrint log records emitted by this thread."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.records.append(record)


@contextmanager
def _capture_weasyprint() -> Iterator[_Collector]:
    main = logging.getLogger("weasyprint")
    progress = logging.getLogger("weasyprint.progress")
    collector = _Collector()
    loggers = [main] if progress.propagate else [main, progress]
    old_level = main.level
    if main.getEffectiveLevel() > logging.WARNING:
        main.setLevel(logging.WARNING)  # never lose the warnings we gate on
    for logger in loggers:
        logger.addHandler(collector)
    try:
        yield collector
    finally:
        for logger in loggers:
            logger.removeHandler(collector)
        main.setLevel(old_level)


def _problems(records: list[logging.LogRecord]) -> list[str]:
    """Chinese descriptions of the records that make the PDF unfit for filing."""
    problems = []
    for record in records:
        if record.name == "weasyprint.progress" or record.levelno < logging.WARNING:
            continue
        message = record.getMessage()
        lowered = message.lower()
        if ".notdef" in lowered or "glyph" in lowered:
            problem = f"缺少字形（已安装字体均不含该字符）：{message}"
        elif any(word in lowered for word in _FONT_WORDS):
            problem = f"字体问题：{message}"
        elif record.levelno >= logging.ERROR:
            problem = f"资源无法加载：{message}"
        else:
            continue
        if problem not in problems:
            problems.append(problem)
    return problems


def _dedupe_associated_files(_document: weasyprint.Document, pdf: pydyf.PDF) -> None:
    """WeasyPrint 70 lists each PDF/A-3 attachment twice in the catalog's /AF array."""
    files = pdf.catalog.get("AF")
    if files:
        unique = list(dict.fromkeys(files))
        pdf.catalog["AF"] = pydyf.Array(unique)


def _check_fonts(document: weasyprint.Document) -> None:
    families = {
        font.family.decode() if isinstance(font.family, bytes) else str(font.family)
        for font in document.fonts.values()
    }
    missing = [family for family in (BODY_FONT, HEADING_FONT) if family not in families]
    if missing:
        raise PrintError(
            "PDF 未嵌入所需字体 "
            + "、".join(missing)
            + f"（实际嵌入：{'、'.join(sorted(families)) or '无'}）",
            "安装 fonts-noto-cjk（scripts/system-deps.sh）",
        )


# ------------------------------------------------------------------ rendering

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(PRINT_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def build_html(
    meta: PrintMeta,
    chapters: list[str],
    *,
    created: dt.datetime,
    numbered: bool = False,
) -> str:
    """The complete HTML document that is printed (exposed for inspection and tests).

    ``numbered``: the chapters' headings carry their numbers (``# 9.1 …``, the renderer's, from
    the report's place in its host document); else CSS counters number the chapters from 1.
    """
    prepared, toc = _prepare(chapters, numbered=numbered)
    return _ENV.get_template("document.html.jinja").render(
        meta=meta,
        chapters=[Markup(chapter) for chapter in prepared],
        numbered=numbered,
        toc=toc,
        title_phrases=title_phrases(meta.title),
        created=_utc(created).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


#: Words of this field a title must not break inside (jieba's dictionary splits 碳/排放).
TITLE_WORDS = ("碳排放", "温室气体", "产业园区", "排放评价", "环境影响", "减污降碳", "以新带老")
_TOKENIZER: list[object] = []  # one jieba tokenizer of our own (the site's search has its own)


def title_phrases(title: str) -> list[str]:
    """The cover title in phrases, so that it breaks between phrases, never inside one
    (“碳排放”, not “碳/排放”): jieba's words with :data:`TITLE_WORDS` added, a one-character
    word joined to the next, and a bracketed part (“（2025—2035年）”) kept whole."""
    import warnings

    with warnings.catch_warnings():  # jieba 0.42 imports pkg_resources, deprecated
        warnings.simplefilter("ignore", UserWarning)
        import jieba

    if not _TOKENIZER:
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        for word in TITLE_WORDS:
            tokenizer.add_word(word)
        _TOKENIZER.append(tokenizer)
    words = _TOKENIZER[0].lcut(title)  # type: ignore[attr-defined]
    phrases: list[str] = []
    depth, carry = 0, ""
    for word in words:
        opening = depth > 0
        depth += sum(word.count(c) for c in "（(《") - sum(word.count(c) for c in "）)》")
        if opening or (phrases and word[:1] in "）)》，、："):
            phrases[-1] += word
        elif len(word) == 1 and depth == 0:
            carry += word
        else:
            phrases.append(carry + word)
            carry = ""
    if carry:
        phrases.append(carry)
    return phrases


def _base_folder(base_url: str) -> Path:
    """The folder a ``base_url`` (a path or a ``file:`` URL) names."""
    if base_url.lower().startswith("file:"):
        return Path(url2pathname(urlsplit(base_url).path))
    return Path(base_url)


def render_pdf(
    meta: PrintMeta,
    chapters: list[str],
    *,
    attachments: dict[str, bytes] | None = None,
    created: dt.datetime | None = None,
    pdf_a: bool = False,
    base_url: str | None = None,
    numbered: bool = False,
) -> bytes:
    """Render the chapters as one A4 PDF; raise :class:`PrintError` on font/glyph problems.

    ``numbered``: the headings carry their numbers (see :func:`build_html`)."""
    if not chapters:
        raise PrintError(
            "没有可打印的章节", "在报告目录中加入以编号开头的章节文件，如 01-项目概述.md"
        )
    moment = _utc(created if created is not None else _default_created())
    source = build_html(meta, chapters, created=moment, numbered=numbered)
    fetcher = _ContainedFetcher([PRINT_DIR] + ([_base_folder(base_url)] if base_url else []))
    font_config = FontConfiguration()
    stylesheet = weasyprint.CSS(
        string=(PRINT_DIR / "print.css").read_text(encoding="utf-8"),
        base_url=PRINT_DIR.as_uri() + "/",
        font_config=font_config,
        url_fetcher=fetcher,
    )
    files = [
        weasyprint.Attachment(
            string=data, name=name, created=moment, modified=moment, relationship="Data"
        )
        for name, data in sorted((attachments or {}).items())
    ]
    options: dict[str, object] = {
        "stylesheets": [stylesheet],
        "attachments": files,
        "presentational_hints": True,
        "pdf_identifier": True,  # MD5 of the content: stable
    }
    if pdf_a:
        options["pdf_variant"] = PDF_A_VARIANT
    with _capture_weasyprint() as log:
        document = weasyprint.HTML(string=source, base_url=base_url, url_fetcher=fetcher).render(
            font_config=font_config, **options
        )
        pdf = document.write_pdf(finisher=_dedupe_associated_files, **options)
    if problems := _problems(log.records):
        raise PrintError(
            "无法生成可报送的 PDF：" + "；".join(problems),
            "检查所列图片等文件是否在报告目录内且可读；缺字时安装 fonts-noto-cjk",
        )
    _check_fonts(document)
    assert isinstance(pdf, bytes)
    if pdf_a:
        check_pdf_a(pdf)
    return pdf


def check_pdf_a(pdf: bytes) -> None:
    """Refuse a PDF that does not declare PDF/A-3b with an output intent and embedded fonts.

    This checks what PDF/A-3b requires of the file's declarations (XMP ``pdfaid`` part 3,
    conformance B; an OutputIntent with an ICC profile; every font embedded); it is not a full
    veraPDF validation.
    """
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    xmp = reader.xmp_metadata
    problems = []
    if xmp is None or str(xmp.pdfaid_part) != "3" or str(xmp.pdfaid_conformance) != "B":
        problems.append("XMP 元数据未声明 PDF/A-3b（pdfaid:part 3、conformance B）")
    root = reader.trailer["/Root"].get_object()
    intents = (
        root.get("/OutputIntents") if isinstance(root, pypdf.generic.DictionaryObject) else None
    )
    if not intents or "/DestOutputProfile" not in intents[0].get_object():
        problems.append("缺少带 ICC 配置文件的 OutputIntent")
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            descendant = font.get_object()
            if "/DescendantFonts" in descendant:
                descendant = descendant["/DescendantFonts"][0].get_object()
            descriptor = descendant.get("/FontDescriptor")
            if descriptor is None:
                continue
            keys = set(descriptor.get_object())
            if not keys & {"/FontFile", "/FontFile2", "/FontFile3"}:
                problems.append(f"字体 {descendant.get('/BaseFont')} 未嵌入")
    if problems:
        raise PrintError(
            "PDF/A-3b 检查未通过：" + "；".join(sorted(set(problems))),
            "这是 tanping 的缺陷或依赖版本不符；请附上本消息报告问题",
        )

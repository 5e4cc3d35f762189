"""Rendering a report's chapters: the Jinja environment, numbering, figures and derivations.

A chapter is a Markdown file in the report folder (``01-项目概述.md`` …, ordered by name; the
leading number is the chapter number). It is a Jinja template whose calls (``{{ fig("b2.overall")
}}``, ``{{ table_b2() }}``) are methods of a :class:`ReportRenderer` bound to the computed report.
The environment is strict: an undefined name or a failing call stops the build. It is Jinja's
immutable sandbox (:class:`ChapterEnvironment`): a chapter sees only the macros registered with
:func:`macro`, the report's data and the ledger's figures, never Python internals. Data strings are
never evaluated as templates, and every one that is printed goes through the one escaping path
(:func:`tanping.templates.escape.inert`): text, never HTML or Markdown syntax.

Two passes: the first renders every chapter to number tables, figures and derivations in document
order; the second renders with those numbers known, so that cross-references (``{{ ref("b2") }}``)
work forwards and across chapters. The same renderer serves the site (``mode="site"``: figures
carry a hover card with their derivation and link to the 计算过程 page) and the print
(``mode="print"``: figures refer to the numbered derivation appendix).

The print has two profiles (the :data:`MODES` ``print`` and ``review``). ``review`` keeps
today's full traceability: every figure carries its 〔n〕 marker and the appendix lists each figure
with its data locations, factor grades and source rows. ``filing`` is what an authority receives:
no internal words (file names, field names, ledger keys, set ids, grades), markers only on table
figures and on the first mention of a computed figure no table shows (inputs are never marked),
and a compact appendix organised per table, each row with its formula and substituted values.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import json
import re
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import jinja2
import pydantic
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tanping.calc.errors import InputError, Location, ReportErrors
from tanping.calc.ledger import Derivation, Figure
from tanping.calc.pipeline import Result
from tanping.templates.escape import Data, Markup, inert, url
from tanping.units.format import fixed, label, significant

TEMPLATES = Path(__file__).parent
#: How many source rows a sum lists in a hover card and in the 计算过程 appendix.
CARD_SOURCES = 8
APPENDIX_SOURCES = 40
APPENDIX_PAGE = "derivations"  # the 计算过程 page of every report in the site
#: The modes of a renderer: the site, the filed print (profile ``filing``, the default of
#: ``tanping pdf``) and the review print (profile ``review``: full traceability, as the site).
MODES = ("site", "print", "review")
#: How many terms of a sum the filing appendix writes out before closing with a count.
FILING_TERMS = 12
#: Arithmetic in a derivation's formula: a figure whose formula has none is an input as written.
_ARITHMETIC = re.compile(r"[×÷+−Σ{]")
#: A factor grade in a citation (calc.factors.Factor.citation): an internal word of the library.
_GRADE = re.compile(r"[，,]\s*(?:等级\s*[A-Z][+-]?|未经核实)")
#: A formula that only adds ledger figures: ``{a} + {b} + {c}``.
_PURE_SUM = re.compile(r"\{[^{}]+\}(?:\s*\+\s*\{[^{}]+\})+")
CHAPTER_FILE = re.compile(r"^(\d+)[-_ ]")


def chapter_files(folder: Path) -> list[Path]:
    """The chapter Markdown files of a report folder, in order."""
    return sorted(p for p in folder.glob("*.md") if CHAPTER_FILE.match(p.name))


def chapter_number(path: Path) -> int:
    match = CHAPTER_FILE.match(path.name)
    return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class ChapterNumber:
    """Where one chapter file sits: ``parts`` is the number of its ``#`` heading (``(9, 1)``:
    its ``##`` headings are 9.1.1 …; standalone, the file's own number ``(2,)``), ``caption``
    the prefix of its 表/图 numbers (``9.1`` for 表 9.1-1, or ``9`` for 表 9-1)."""

    parts: tuple[int, ...]
    caption: str

    @property
    def text(self) -> str:
        return ".".join(str(n) for n in self.parts)

    @property
    def depth(self) -> int:
        """The heading level of the file's ``#`` heading in the host document (1 = chapter)."""
        return len(self.parts)

    def heading(self, counts: Sequence[int]) -> str:
        """The number of a heading ``len(counts)`` levels below the file's ``#`` heading, whose
        counts within their parents are ``counts`` (``(2, 1)`` -> 9.1.2.1)."""
        return ".".join(str(n) for n in (*self.parts, *counts))

    def title(self) -> str:
        """How the text of this file is named in the appendix: 第 2 章, or 9.1 节."""
        return f"第 {self.text} 章" if self.depth == 1 else f"{self.text} 节"


def standalone_number(path: Path) -> ChapterNumber:
    """A chapter file numbered by its own name (``02-accounting.md`` is chapter 2)."""
    number = chapter_number(path)
    return ChapterNumber((number,), str(number))


_HEADING_LINE = re.compile(r"^(#{1,6})\s+(.*)$")


def number_headings(text: str, number: ChapterNumber | None) -> str:
    """Number a chapter's Markdown headings from its place (``# 9.1 …``, ``## 9.1.1 …``,
    ``### 9.1.1.1 …``; standalone ``# 2 …``, ``## 2.1 …``): the site, its navigation, the
    Word copy and the PDF read alike. Fenced code is left alone; so is a chapter without a
    number (``None``, or a file whose name has no leading number)."""
    if number is None or not number.parts or number.parts[0] <= 0:
        return text
    counts = [0] * 6
    fenced = False
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING_LINE.match(line)
        if match is None:
            continue
        level = len(match.group(1))
        if level > 1:
            counts[level - 2] += 1
            counts[level - 1 :] = [0] * (6 - level + 1)
        lines[index] = f"{match.group(1)} {number.heading(counts[: level - 1])} {match.group(2)}"
    return "\n".join(lines)


class RenderError(InputError):
    """A chapter that cannot be rendered (undefined name, failing macro); carries the file."""

    HINT = "检查该行的 {{ … }} 与 {% … %}：宏名与参数是否拼写正确、标签是否成对"

    def __init__(self, file: Path, line: int | None, message: str, hint: str = HINT) -> None:
        super().__init__(message, hint, Location(str(file), line))
        self.file = file
        self.line = line


class UnknownKey(KeyError):
    """A ledger key (or table id) a chapter names that does not exist, with the closest ones."""

    def __init__(self, problem: str, hint: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


@dataclass(frozen=True)
class Cell:
    """A table cell: text (escaped unless Markup), spans, and whether it holds a number."""

    content: Any
    colspan: int = 1
    rowspan: int = 1
    num: bool = False
    head: bool = False
    css: str = ""


@dataclass
class Table:
    """A numbered table: one model for the site, the print and the Word/Excel copies.

    ``key_columns`` is how many leading columns identify a row (a name, a group label): they are
    repeated in every part when a wide table is split by columns. The layout fields are set for
    the print by :func:`templates.layout.fit` (``None`` / ``""`` / ``0`` until then): ``widths``
    the column widths in percent of the table (one per grid column), ``size`` ``""``, ``small``
    (a smaller font) or ``landscape`` (a landscape page), ``part`` the number of this part of a
    table split by columns (0: not split).
    """

    id: str
    caption: str
    head: list[list[Cell]]
    body: list[list[Cell]]
    notes: list[str] = field(default_factory=list)
    css: str = ""
    key_columns: int = 1
    widths: list[float] | None = None
    size: str = ""
    part: int = 0


@dataclass
class Numbering:
    """Numbers of tables, figures and derivations in document order, from the first pass."""

    tables: dict[str, str] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # id -> chapter file stem
    derivations: dict[str, int] = field(default_factory=dict)
    #: Filing profile: where each marked figure is shown (a table id, or ``""`` for the text of a
    #: page, with the page stem), grouping the compact appendix; the first mention of each
    #: computed figure in the text (page stem, ordinal of the figure on that page); the figures
    #: some table shows (in the text, only a figure no table shows is marked: a headline figure).
    derivation_groups: dict[str, tuple[str, str]] = field(default_factory=dict)
    headline: dict[str, tuple[str, int]] = field(default_factory=dict)
    tabled: set[str] = field(default_factory=set)


def _finalize(value: Any) -> Any:
    """Every printed value: a string that is not tanping's own markup is data, made inert."""
    if isinstance(value, str) and (isinstance(value, Data) or not hasattr(value, "__html__")):
        return inert(value)
    return value


def _environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    return jinja2.Environment(
        loader=loader or jinja2.FileSystemLoader(str(TEMPLATES / "html")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )


_HTML = _environment()


def render_template(name: str, **context: Any) -> Markup:
    """One of the project's HTML templates (``templates/html``), as safe markup."""
    return Markup(_HTML.get_template(name).render(**context))


#: Jinja's language helpers a chapter keeps (``range`` is the sandbox's bounded one); the other
#: default globals (``lipsum``, ``cycler``, ``joiner``) are not tanping's and are removed.
_CHAPTER_GLOBALS = ("range", "dict", "namespace")
#: The pydantic API of a report model (``model_dump``, ``model_copy``, ``copy``, ``json`` …): not
#: the report's data, so not for chapters. Fields and the models' own helpers stay readable.
_PYDANTIC_API = frozenset(dir(pydantic.BaseModel))


class ChapterEnvironment(ImmutableSandboxedEnvironment):
    """The environment of a chapter: Jinja's immutable sandbox, strict, autoescaping, with every
    printed string made inert.

    On top of the sandbox (no ``_`` attributes, no ``mro``, no changing lists or dicts), a chapter
    may only reach data: an attribute whose value is of a type defined outside ``builtins``,
    tanping and markupsafe (a pint registry, a module) is refused, as is the pydantic API of a
    model. Every string read from an attribute, an item or a call is tagged :class:`Data`, so that
    Jinja's own escaping (``~``, ``join``) also goes through :func:`inert`."""

    def __init__(self) -> None:
        super().__init__(
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            finalize=_finalize,
        )
        self.globals = {name: self.globals[name] for name in _CHAPTER_GLOBALS}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, pydantic.BaseModel) and attr in _PYDANTIC_API:
            return False
        module = type(value).__module__
        return module in ("builtins", "markupsafe") or module.startswith("tanping.")

    def getattr(self, obj: Any, attribute: str) -> Any:
        return _data(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _data(super().getitem(obj, argument))

    def call(
        __self,  # Jinja's signature: a keyword argument may be named "self"
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        return _data(ImmutableSandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs))


def _data(value: Any) -> Any:
    return Data(value) if type(value) is str else value


F = TypeVar("F", bound=Callable[..., Any])
_MACRO = "__tanping_macro__"


def macro(function: F) -> F:
    """Register a renderer method as a macro a chapter can call (the rest stays internal)."""
    setattr(function, _MACRO, True)
    return function


class ReportRenderer:
    """The macros every chapter can call; subclasses add those of their report kind."""

    kind = ""

    def __init__(self, folder: Path, result: Result, *, mode: str = "site") -> None:
        if mode not in MODES:
            raise ValueError(f"unknown render mode {mode!r}; one of {MODES}")
        self.folder = Path(folder)
        self.slug = self.folder.name
        self.result = result
        self.ledger = result.ledger
        self.report = result.report
        #: ``site`` or ``print`` (both print profiles lay out as print).
        self.mode = "print" if mode == "review" else mode
        #: The print profile: ``filing`` for the filed print, ``review`` for the rest.
        self.profile = "filing" if mode == "print" else "review"
        #: The filed print: no internal words, few markers, the compact appendix.
        self.filing = self.profile == "filing"
        self.directory_urls = True  # the site's URL style (MkDocs use_directory_urls)
        self.numbering = Numbering()
        #: The table and chart objects of the last render, by id: the Word and Excel copies
        #: (templates/word.py, excel.py) lay out these same objects, never a second layout.
        self.built_tables: dict[str, Table] = {}
        self.built_charts: dict[str, tuple[str, str]] = {}  # id -> (caption, svg)
        self._collecting = False
        self._chapter = standalone_number(Path("0"))
        self._page = ""
        self._places: dict[str, ChapterNumber] | None = None  # file name -> its place
        self._table_counts: dict[str, int] = {}  # 表 numbers given, by caption prefix
        self._figure_counts: dict[str, int] = {}
        self._outer = ""  # the macro the chapter called, while it runs
        self._prose_count = 0  # figures in the text of the current page (filing markers)
        self._pending: list[str] = []  # marked figures waiting for the table that shows them

    # ---- the environment a chapter sees -----------------------------------------------------
    @classmethod
    def macro_names(cls) -> list[str]:
        """The methods registered with :func:`macro` in this class and its bases."""
        names = {name for klass in cls.__mro__ for name in vars(klass)}
        return sorted(n for n in names if getattr(getattr(cls, n, None), _MACRO, False))

    def macros(self) -> dict[str, Callable[..., Any]]:
        return {name: self._called(name, getattr(self, name)) for name in self.macro_names()}

    def _called(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` as a chapter calls it: the renderer knows which macro is running, so that
        a figure knows whether it is printed in a table (a ``table…`` macro) or in the text."""

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            outer, self._outer = self._outer, self._outer or name
            try:
                return function(*args, **kwargs)
            finally:
                self._outer = outer
                if not outer:
                    self._pending = []

        return call

    def _in_table(self) -> bool:
        return self._outer.startswith("table")

    def context(self) -> dict[str, Any]:
        """What a chapter sees: the macros, the report's data and the ledger's figures (a
        read-only mapping key → figure)."""
        ledger = types.MappingProxyType(self.ledger.figures)
        return {**self.macros(), "report": self.report, "ledger": ledger}

    # ---- passes --------------------------------------------------------------------------------
    def render_chapter(self, path: Path) -> str:
        """One chapter's Markdown with every call evaluated."""
        self._chapter = self.chapter_number(path)
        self._page = path.stem
        self._prose_count = 0
        return self.render_source(path.read_text(encoding="utf-8"), path)

    def render_source(self, source: str, path: Path) -> str:
        """Markdown ``source`` (a chapter, or a page tanping generates) with every call evaluated
        in the strict environment; errors carry ``path`` and the line."""
        try:
            template = ChapterEnvironment().from_string(source)
            return template.render(**self.context())
        except jinja2.TemplateSyntaxError as err:
            raise RenderError(path, err.lineno, f"模板语法错误：{err.message}") from err
        except jinja2.exceptions.SecurityError as err:
            raise RenderError(
                path, _template_line(err), f"章节不能访问程序内部：{err.message}"
            ) from err
        except jinja2.UndefinedError as err:
            raise RenderError(path, _template_line(err), f"未定义的名称：{err.message}") from err
        except RenderError:
            raise
        except UnknownKey as err:
            raise RenderError(path, _template_line(err), err.problem, err.hint) from err
        except Exception as err:  # a macro failed: name the chapter and line
            raise RenderError(path, _template_line(err), f"{type(err).__name__}: {err}") from err

    def collect(self, chapters: Iterable[Path]) -> None:
        """First pass: number tables, figures and derivations in document order."""
        self._collecting = True
        self._table_counts.clear()
        self._figure_counts.clear()
        try:
            for path in chapters:
                self.render_chapter(path)
        finally:
            self._collecting = False
        if self.filing:  # which figures are marked is known only now: number them as printed
            self.numbering.derivations.clear()
            self.numbering.derivation_groups.clear()

    # ---- numbering -----------------------------------------------------------------------------
    def chapter_number(self, path: Path) -> ChapterNumber:
        """The place of chapter file ``path``: from ``numbering:`` of report.yml (the host
        document's chapter or section), else standalone (the file's own number). The one place
        headings, 表/图 numbers, the contents, the site and the Word copy take it from."""
        if self._places is None:
            self._places = self._host_numbers()
        if not self._places:
            return standalone_number(path)
        return self._places.get(path.name, standalone_number(path))

    def _host_numbers(self) -> dict[str, ChapterNumber]:
        """``numbering:`` checked against the folder: every key a chapter file of it, every
        chapter file given a number, numbers ascending in file order and none inside another."""
        numbering = getattr(self.report, "numbering", None)
        if numbering is None:
            return {}
        files = [path.name for path in chapter_files(self.folder)]
        problems: list[InputError] = []

        def refuse(key: str | None, problem: str, hint: str) -> None:
            from tanping.calc.loader import read_report

            where = ("numbering", "chapters", key) if key is not None else ("numbering",)
            problems.append(InputError(problem, hint, read_report(self.folder)[1].locate(where)))

        for key in numbering.chapters:
            if key not in files:
                near = difflib.get_close_matches(key, files, n=1, cutoff=0.5)
                refuse(
                    key,
                    f"numbering 的 “{key}” 不是本报告目录中的章节文件",
                    (f"是否为 {near[0]}？" if near else "")
                    + f"键为章节文件名（含 .md），本目录的章节文件：{'、'.join(files)}",
                )
        missing = [name for name in files if name not in numbering.chapters]
        if missing:
            refuse(
                None,
                f"numbering 没有给出章节文件 {'、'.join(missing)} 的章节号",
                '给出每个章节文件在主报告中的章节号（如 03-level.md: "9.3"），'
                "或删去 numbering 按本章独立编号",
            )
        parts = {
            name: tuple(int(n) for n in numbering.chapters[name].split("."))
            for name in files
            if name in numbering.chapters
        }
        ordered = list(parts.items())
        for (before, a), (name, b) in itertools.pairwise(ordered):
            if b <= a or b[: len(a)] == a:
                refuse(
                    name,
                    f"章节号 {'.'.join(map(str, b))}（{name}）"
                    + ("在前一章节号之内" if b[: len(a)] == a else "不大于前一文件的章节号")
                    + f" {'.'.join(map(str, a))}（{before}）",
                    "章节文件按文件名排序印出：章节号须随之递增，且互不包含"
                    "（9 与 9.1 不能并存：9 的各节已是 9.1、9.2 …）",
                )
        if problems:
            raise problems[0] if len(problems) == 1 else ReportErrors(problems)
        by_chapter = numbering.captions == "chapter"
        return {
            name: ChapterNumber(
                number, str(number[0]) if by_chapter else ".".join(map(str, number))
            )
            for name, number in parts.items()
        }

    def _number_table(self, table_id: str) -> str:
        if self._collecting and table_id not in self.numbering.tables:
            prefix = self._chapter.caption
            count = self._table_counts[prefix] = self._table_counts.get(prefix, 0) + 1
            self.numbering.tables[table_id] = f"{prefix}-{count}"
            self.numbering.pages[table_id] = self._page
        return self.numbering.tables.get(table_id, "?")

    def _number_figure(self, figure_id: str) -> str:
        if self._collecting and figure_id not in self.numbering.figures:
            prefix = self._chapter.caption
            count = self._figure_counts[prefix] = self._figure_counts.get(prefix, 0) + 1
            self.numbering.figures[figure_id] = f"{prefix}-{count}"
            self.numbering.pages[figure_id] = self._page
        return self.numbering.figures.get(figure_id, "?")

    def _number_derivation(self, key: str) -> int:
        if key not in self.numbering.derivations:
            self.numbering.derivations[key] = len(self.numbering.derivations) + 1
        return self.numbering.derivations[key]

    @macro
    def ref(self, target: str) -> Markup:
        """A cross-reference to a table or figure by id: ``表 2-3`` / ``图 2-1``, linked."""
        if target in self.numbering.tables:
            text = f"表 {self.numbering.tables[target]}"
        elif target in self.numbering.figures:
            text = f"图 {self.numbering.figures[target]}"
        elif self._collecting:
            return Markup("表 ?")
        else:
            raise KeyError(f"没有 id 为 “{target}” 的表或图")
        return Markup('<a class="xref" href="{}">{}</a>').format(url(self._href(target)), text)

    @macro
    def chapter(self, name: str) -> Markup:
        """A reference to another chapter file of this report by its name (``"10-measures"``):
        its number in the document this report sits in, ``第 10 章``, or ``7.3 节`` when
        ``numbering:`` places the file as section 7.3 of the host EIA document."""
        stem = name.removesuffix(".md")
        if stem not in {path.stem for path in chapter_files(self.folder)}:
            stems = [path.stem for path in chapter_files(self.folder)]
            raise UnknownKey(
                f"没有名为 “{name}” 的章节文件",
                f"写章节文件名（不含 .md），本报告的章节：{'、'.join(stems)}",
            )
        text = self.chapter_number(self.folder / f"{stem}.md").title()
        if self.mode == "print":
            return Markup("{}").format(text)
        return Markup('<a class="xref" href="{}">{}</a>').format(url(self.page_url(stem)), text)

    def page_url(self, stem: str) -> str:
        """The URL of another page of this report, relative to the current page."""
        return f"../{stem}/" if self.directory_urls else f"{stem}.html"

    def _href(self, anchor: str) -> str:
        if self.mode == "print":
            return f"#{anchor}"
        page = self.numbering.pages.get(anchor, self._page)
        return f"#{anchor}" if page == self._page else f"{self.page_url(page)}#{anchor}"

    # ---- figures ---------------------------------------------------------------------------------
    def figure(self, key: str) -> Figure:
        if key not in self.ledger:
            close = difflib.get_close_matches(key, list(self.ledger.figures), n=3, cutoff=0.6)
            near = f"是否为 {'、'.join(f'“{k}”' for k in close)}？" if close else ""
            raise UnknownKey(
                f"台账中没有 “{key}”", f"{near}tanping ledger {self.folder} 列出全部键"
            )
        return self.ledger[key]

    @macro
    def fact(self, name: str) -> str:
        """A descriptive fact the report states in ``facts:`` (a rating, a design efficiency):
        printed as written, so that prose never types a quantity by hand."""
        facts = self.report.facts
        if name not in facts:
            close = difflib.get_close_matches(name, list(facts), n=3, cutoff=0.5)
            near = f"是否为 {'、'.join(f'“{k}”' for k in close)}？" if close else ""
            raise UnknownKey(
                f"report.yml 的 facts 中没有 “{name}”",
                f"{near}在 report.yml 中写 facts: {{{name}: <数值> <单位>}}",
            )
        return facts[name]

    @macro
    def value(self, key: str) -> float:
        """The unrounded value of a ledger figure (for template logic, not for printing)."""
        return self.figure(key).value

    @macro
    def fmt(self, key: str, decimals: int | None = None) -> str:
        figure = self.figure(key)
        if decimals is None:
            return significant(figure.value) if figure.unit == "%" else fixed(figure.value, 2)
        return fixed(figure.value, decimals)

    @macro
    def fig(
        self,
        key: str,
        decimals: int | None = None,
        *,
        unit: bool = True,
        scale: float = 1.0,
        unit_label: str | None = None,
    ) -> Markup:
        """A ledger figure as printed: rounded, with its unit, and its derivation attached."""
        figure = self.figure(key)
        value = figure.value * scale
        if decimals is None:
            text = significant(value) if figure.unit == "%" else fixed(value, 2)
        else:
            text = fixed(value, decimals)
        shown_unit = unit_label if unit_label is not None else figure.unit
        suffix = "" if not unit else ("%" if shown_unit == "%" else f" {label(shown_unit)}")
        return self._figure_markup(figure, text + suffix)

    def _figure_markup(self, figure: Figure, text: str) -> Markup:
        if self.filing:
            return self._filed_figure(figure, text)
        number = self._number_derivation(figure.key)
        if self.mode == "print":
            return Markup(
                '<span class="fig" data-key="{}">{}</span>'
                '<a class="deriv-ref" href="#d-{}">〔{}〕</a>'
            ).format(figure.key, text, number, number)
        # The site: a link to the numbered derivation on the 计算过程 page, carrying the card's
        # content as JSON in a data attribute (escaped here, shown with textContent by
        # assets/tanping.js, so data strings are never markup). The hover/focus card is built
        # by that script; without JavaScript the link still leads to the derivation.
        card = json.dumps(self._card(figure, number), ensure_ascii=False, separators=(",", ":"))
        return Markup(
            '<a class="fig" data-key="{key}" data-card="{card}" href="{page}#d-{n}">{text}</a>'
        ).format(
            key=figure.key, page=url(self.page_url(APPENDIX_PAGE)), n=number, card=card, text=text
        )

    def _filed_figure(self, figure: Figure, text: str) -> Markup:
        """A figure of the filed print: marked 〔n〕 in a table, and in the text only at the
        first mention of a computed figure; an input as written is never marked."""
        span = Markup('<span class="fig">{}</span>').format(text)
        if is_input(figure.derivation):
            return span
        if not self._in_table():
            self._prose_count += 1
            here = (self._page, self._prose_count)
            if self._collecting:
                self.numbering.headline.setdefault(figure.key, here)
            if (
                self.numbering.headline.get(figure.key) != here
                or figure.key in self.numbering.tabled
            ):
                return span
            self.numbering.derivation_groups.setdefault(figure.key, ("", self._page))
        else:
            self.numbering.tabled.add(figure.key)
            if figure.key not in self.numbering.derivation_groups:
                self._pending.append(figure.key)
        number = self._number_derivation(figure.key)
        return span + Markup('<a class="deriv-ref" href="#d-{}">〔{}〕</a>').format(number, number)

    def _card(self, figure: Figure, number: int) -> dict[str, Any]:
        """The hover card of a figure: formula, substituted values, factor sources, inputs."""
        d = figure.derivation
        card: dict[str, Any] = {"n": number, "label": figure.label, "key": figure.key}
        if d is not None:
            card["formula"] = self._words(d.formula)
            substituted = d.substituted or (d.formula if d.parts else "")
            if substituted:
                card["subst"] = label(self._numbers(substituted))
            if d.note:
                card["note"] = d.note
            if d.factors:
                card["factors"] = [
                    {
                        "p": f.parameter,
                        "v": f.value,
                        "src": f.citation,
                        **({"grade": f.grade} if f.grade else {}),
                        **({"default": True} if f.default else {}),
                    }
                    for f in d.factors
                ]
            if d.inputs:
                card["inputs"] = list(d.inputs)
            sources = self.source_lines(d, limit=CARD_SOURCES)
            if sources:
                card["sources"] = sources
        card["value"] = f"{fixed(figure.value, 6).rstrip('0').rstrip('.')} {label(figure.unit)}"
        return card

    def source_lines(self, derivation: Derivation, *, limit: int | None = None) -> list[str]:
        """One line per source row a sum adds up (formula, values as written, result), at
        most ``limit`` and a closing count; report kinds with source rows override this."""
        del derivation, limit
        return []

    _PLACEHOLDER = re.compile(r"\{([^{}]+)\}")

    def _words(self, text: str) -> str:
        return self._PLACEHOLDER.sub(
            lambda m: self.ledger[m.group(1)].label if m.group(1) in self.ledger else m.group(0),
            text,
        )

    def _numbers(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in self.ledger:
                return match.group(0)
            figure = self.ledger[key]
            return f"{shown_value(figure.value, figure.unit)} {label(figure.unit)}"

        return self._PLACEHOLDER.sub(value, text)

    def source_values(self, derivation: Derivation) -> list[str]:
        """The signed values of the source rows a sum adds up (``+ 1,234.56``), for the filing
        appendix; report kinds with source rows override this."""
        del derivation
        return []

    @macro
    def derivations(self) -> Markup:
        """The numbered derivation appendix (计算过程): every figure printed, in order; in the
        filing profile the compact appendix, one table per table of the report."""
        if self.filing:
            return self._filed_derivations()
        items = []
        for key, number in sorted(self.numbering.derivations.items(), key=lambda kv: kv[1]):
            figure = self.ledger[key]
            d = figure.derivation or Derivation("")
            items.append(
                {
                    "number": number,
                    "key": key,
                    "label": figure.label,
                    "formula": self._words(d.formula),
                    "substituted": label(
                        self._numbers(d.substituted or (d.formula if d.parts else ""))
                    ),
                    "note": d.note,
                    "factors": d.factors,
                    "inputs": d.inputs,
                    "sources": self.source_lines(d, limit=APPENDIX_SOURCES),
                    "value": shown_value(figure.value, figure.unit),
                    "unit": label(figure.unit),
                }
            )
        return render_template("derivations.html.jinja", items=items)

    def _filed_derivations(self) -> Markup:
        """The compact 计算过程 of the filed print: one group per table (or per page of text)
        where the figures are shown, each row the formula, the values substituted and the
        result; factors cited by document, clause and year."""
        groups: list[dict[str, Any]] = []
        for key, number in sorted(self.numbering.derivations.items(), key=lambda kv: kv[1]):
            table_id, page = self.numbering.derivation_groups.get(key, ("", ""))
            title = self._group_title(table_id, page)
            if not groups or groups[-1]["title"] != title:
                groups.append({"title": title, "rows": []})
            figure = self.ledger[key]
            d = figure.derivation or Derivation("")
            substituted = label(self._numbers(d.substituted or (d.formula if d.parts else "")))
            formula = self._words(d.formula)
            if substituted and _PURE_SUM.fullmatch(d.formula):
                formula = f"各分项之和（{len(d.parts)} 项）"  # the terms are the substituted values
            values = self.source_values(d)
            if values and not substituted:
                shown = values[:FILING_TERMS]
                more = len(values) - len(shown)
                substituted = " ".join(shown).lstrip("+ ") + (
                    f" + …（共 {len(values)} 项）" if more else ""
                )
            groups[-1]["rows"].append(
                {
                    "number": number,
                    "label": self.plain(figure.label),
                    "formula": self.plain(formula),
                    "substituted": self.plain(substituted),
                    "value": shown_value(figure.value, figure.unit),
                    "unit": label(figure.unit),
                    "factors": [
                        self.plain(f"{f.parameter} {f.value}（{f.citation}）")
                        for f in d.factors
                        if f.citation
                    ],
                }
            )
        return render_template("derivations_filed.html.jinja", groups=groups)

    def plain(self, text: str) -> str:
        """``text`` in the words of the filed document (the filing profile; else unchanged): no
        factor grade in a citation (``（2013，等级 A-）`` -> ``（2013）``). Report kinds whose
        ledger labels carry internal names (a period key such as ``2030.baseline``) extend it."""
        return _GRADE.sub("", text) if self.filing else text

    def _group_title(self, table_id: str, page: str) -> str:
        if table_id and table_id in self.numbering.tables:
            table = self.built_tables.get(table_id)
            caption = f"　{table.caption}" if table is not None else ""
            return f"表 {self.numbering.tables[table_id]}{caption}"
        return f"{self.page_title(page)}正文"

    def page_title(self, stem: str) -> str:
        """How the text of a page is named in the appendix: its number (第 2 章, 9.2 节)."""
        if not CHAPTER_FILE.match(stem + " "):
            return ""
        return self.chapter_number(self.folder / f"{stem}.md").title()

    # ---- tables and figures ----------------------------------------------------------------------
    def _table(self, table: Table) -> Markup:
        number = self._number_table(table.id)
        for key in self._pending:  # the figures marked in this table (filing appendix)
            self.numbering.derivation_groups.setdefault(key, (table.id, self._page))
        self._pending = []
        self.built_tables[table.id] = table
        if self.mode != "print":
            return render_template("table.html.jinja", table=table, number=number, groups=None)
        from tanping.templates.layout import fit, groups

        return Markup("\n").join(
            render_template("table.html.jinja", table=part, number=number, groups=groups)
            for part in fit(table)
        )

    def _chart(self, figure_id: str, caption: str, svg: str) -> Markup:
        number = self._number_figure(figure_id)
        self.built_charts[figure_id] = (caption, svg)
        return render_template(
            "figure.html.jinja", id=figure_id, number=number, caption=caption, svg=Markup(svg)
        )

    @staticmethod
    def _sum_note(shown_parts: Sequence[str], shown_total: str) -> str | None:
        """A note when the rounded parts of a table do not add up to its rounded total."""

        def parse(text: str) -> float:
            return float(text.replace(",", ""))

        decimals = len(shown_total.partition(".")[2])
        added = round(sum(parse(p) for p in shown_parts), decimals)
        if abs(added - parse(shown_total)) > 10 ** (-decimals) / 2:
            return "注：表中数值经四舍五入，分项之和与合计可能略有出入；合计由未修约的分项计算。"
        return None


def shown_value(value: float, unit: str) -> str:
    """A figure at the rounding the report prints it (as :meth:`ReportRenderer.fig` does by
    default): two decimals, a percentage or a value below 0.005 to three significant digits, so
    that the appendix's results read as the tables' and none shows as 0.00."""
    if unit == "%" or (value != 0 and abs(value) < 0.005):
        return significant(value)
    return fixed(value, 2)


def is_input(derivation: Derivation | None) -> bool:
    """Whether a figure is an input as the report wrote it (no arithmetic, no parts, no source
    rows, no factors): the filed print does not echo it in the 计算过程 appendix."""
    if derivation is None:
        return True
    if derivation.parts or derivation.sources or derivation.factors or derivation.substituted:
        return False
    return not _ARITHMETIC.search(derivation.formula)


def _template_line(err: BaseException) -> int | None:
    tb = err.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line

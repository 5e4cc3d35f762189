"""The filing gate: what a report must satisfy before its PDF may be filed.

``tanping check --filing DIR`` runs every rule below after the ordinary check (data valid, every
chapter renders). A report that passes them is fit to file; one that fails is a draft, and its PDF
says so on every page. Each rule is one function that returns the problems it finds, each located
(file, line) and with a fix in Chinese, so that a consultant can work through the list.

The rules:

- :func:`not_a_fixture`: a contract fixture (``fixture.yml``) is never filed;
- :func:`placeholders`: no 【待填写】 (or any 【待…】 mark) left in a chapter or a data value;
- :func:`structure`: every section the guideline's directory requires, in order, with the tables
  the section's clause asks for (``calc/data/structure_*.yml``);
- :func:`typed_quantities`: no quantity typed by hand in chapter prose (a number followed by a
  unit of the registry): numbers come from the ledger, through ``fig()`` and the tables;
- :func:`coverage`: an industry or enterprise of a park's base year is in every planning period,
  or the report states why (``exit:``); empty scenarios are refused by ``check`` itself;
- :func:`factor_sources`: every factor a report writes cites its source (the row's ``source:`` or
  ``factor_sources``); defaults are cited by the library.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tanping.calc.catalogues import DATA
from tanping.calc.coverage import missing_owners
from tanping.calc.errors import InputError, Location, ReportErrors
from tanping.calc.loader import Key, read_report
from tanping.calc.models.park import PARK_FACTOR_FIELDS, ParkReport
from tanping.calc.models.project import PROJECT_FACTOR_FIELDS, PROJECT_ROW_TYPES, ProjectReport
from tanping.templates.render import ReportRenderer, chapter_files

#: An author's placeholder: 【待填写】, 【待补充】, 【待核实】 …
PLACEHOLDER = re.compile(r"【待[^】\n]{0,20}】")

Rule = Callable[[ReportRenderer], list[InputError]]


def _display(path: Path, folder: Path) -> str:
    return f"{folder.name}/{path.name}"


# ---- chapters as text --------------------------------------------------------------------------
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.DOTALL | re.MULTILINE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _blank(match: re.Match[str]) -> str:
    """The match replaced by spaces, newlines kept (so that line numbers stay right)."""
    return re.sub(r"[^\n]", " ", match.group(0))


def prose(source: str) -> str:
    """The text of a chapter that a reader sees as written: Jinja calls, comments and blocks,
    fenced code and HTML comments blanked out, lines kept."""
    for pattern in (_JINJA, _FENCE, _HTML_COMMENT):
        source = pattern.sub(_blank, source)
    return source


def _lines(text: str) -> Iterator[tuple[int, str]]:
    yield from enumerate(text.splitlines(), 1)


# ---- rule: placeholders ------------------------------------------------------------------------
def placeholders(page: ReportRenderer) -> list[InputError]:
    """No 【待填写】 left in a chapter (outside Jinja comments) or in a data value."""
    problems = []
    for path in chapter_files(page.folder):
        text = prose(path.read_text(encoding="utf-8"))
        for number, line in _lines(text):
            for match in PLACEHOLDER.finditer(line):
                problems.append(
                    InputError(
                        f"占位标记 “{match.group(0)}” 尚未替换",
                        "报批前写出此处应有的内容并删除占位标记；给作者的说明可写成 "
                        "Jinja 注释 {# … #}，注释不会印出",
                        Location(_display(path, page.folder), number),
                    )
                )
    data, sources = read_report(page.folder)
    for key_path, text in _strings(data, ()):
        found = PLACEHOLDER.search(text)
        if found:
            problems.append(
                InputError(
                    f"数据中的占位标记 “{found.group(0)}” 尚未替换",
                    "填写实际内容（单位名称、日期、说明等）后再报批",
                    sources.locate(key_path),
                )
            )
    return problems


def _strings(value: Any, path: tuple[Key, ...]) -> Iterator[tuple[tuple[Key, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


# ---- rule: structure ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Section:
    number: str  # as the guideline numbers it
    title: str
    tables: tuple[str, ...] = ()
    clause: str = ""

    @property
    def depth(self) -> int:
        return self.number.count(".") + 1


@cache
def required_sections(kind: str) -> tuple[Section, ...]:
    """The directory a guideline requires (``calc/data/structure_bj.yml`` / ``_cq.yml``)."""
    from tanping.templates.kinds import KINDS

    name = KINDS[kind].structure
    data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return tuple(
        Section(str(s["number"]), s["title"], tuple(s.get("tables", ())), str(s.get("clause", "")))
        for s in data["sections"]
    )


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBER_PREFIX = re.compile(r"^[\d.]+\s*")


def _normal(title: str) -> str:
    """A heading compared without its number, spaces and quote style."""
    title = _NUMBER_PREFIX.sub("", title)
    return re.sub(r"[\s“”\"'‘’]", "", title)


@dataclass(frozen=True)
class Heading:
    depth: int  # 1 for a chapter title
    title: str
    file: str
    line: int
    page: str  # the chapter file stem


def headings(page: ReportRenderer) -> list[Heading]:
    """The headings of the rendered chapters, in document order."""
    found = []
    for path in chapter_files(page.folder):
        rendered = page.render_chapter(path)
        for number, line in _lines(_FENCE.sub(_blank, rendered)):
            match = _HEADING.match(line)
            if match:
                found.append(
                    Heading(
                        len(match.group(1)),
                        match.group(2),
                        _display(path, page.folder),
                        number,
                        path.stem,
                    )
                )
    return found


def _table_ids(pattern: str, page: ReportRenderer) -> list[str]:
    report = page.report
    if "{phase}" in pattern:
        assert isinstance(report, ProjectReport)
        phases = list(report.phases())
        return [pattern.replace("{phase}", phase) for phase in phases]
    if "{history}" in pattern or "{planning}" in pattern:
        assert isinstance(report, ParkReport)
        history = [str(year) for year in report.history]
        periods = [p for p in getattr(page.result, "periods", []) if p not in history]
        chosen = history if "{history}" in pattern else periods
        field = "{history}" if "{history}" in pattern else "{planning}"
        return [pattern.replace(field, period) for period in chosen]
    return [pattern]


def structure(page: ReportRenderer) -> list[InputError]:
    """Every section of the guideline's directory, in order, with the tables its clause asks
    for placed in it (or in a subsection of it)."""
    sections = required_sections(page.kind)
    found = headings(page)
    first = found[0].file if found else _display(page.folder / "report.yml", page.folder)
    problems: list[InputError] = []
    position = 0
    placed: dict[str, int] = {}  # section number -> index in found
    for section in sections:
        want = _normal(section.title)
        for index in range(position, len(found)):
            if _normal(found[index].title) == want:
                placed[section.number] = index
                position = index + 1
                break
        else:
            later = [h for h in found if _normal(h.title) == want]
            where = f"（现位于 {later[0].file}:{later[0].line}，次序不对）" if later else ""
            problems.append(
                InputError(
                    f"缺少指南要求的章节 {section.number} “{section.title}”{where}",
                    "按指南的目录结构写出该节标题（可在章节文件中增加一个相应级别的 # 标题），"
                    "各节次序与指南一致",
                    Location(
                        found[position - 1].file if position else first,
                        found[position - 1].line if position else None,
                    ),
                )
            )
    for section in sections:
        if not section.tables or section.number not in placed:
            continue
        start = placed[section.number]
        heading = found[start]
        end = next(
            (i for i in range(start + 1, len(found)) if found[i].depth <= heading.depth),
            len(found),
        )
        pages = {h.page for h in found[start:end]}
        for table_id in (t for pattern in section.tables for t in _table_ids(pattern, page)):
            placed_on = page.numbering.pages.get(table_id)
            if placed_on is None:
                problems.append(
                    InputError(
                        f"第 {section.number} 节 “{section.title}” 缺少指南第 {section.clause} "
                        f"条要求的表（{table_id}）",
                        f"在该节中调用相应的表格宏（见 README “Writing a report”），"
                        f"tanping ledger {page.folder} 列出可用的数据",
                        Location(heading.file, heading.line),
                    )
                )
            elif placed_on not in pages:
                problems.append(
                    InputError(
                        f"表（{table_id}）应位于第 {section.number} 节 “{section.title}”，"
                        f"现位于 {placed_on}",
                        "把该表的宏调用移到这一节中",
                        Location(heading.file, heading.line),
                    )
                )
    return problems


# ---- rule: quantities typed by hand ------------------------------------------------------------
#: A number as prose writes it (12,000.5 or 0.5271), then a unit: %, ‰, or a unit word.
_QUANTITY = re.compile(
    r"(?<![\w.,/-])(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?"
    r"(?P<unit>%|‰|[A-Za-z万亿][A-Za-z0-9万亿₂₄₆³²/·]*)"
)
_SUBSCRIPTS = str.maketrans("₂₃₄₆²³·", "234623*")
#: pint's own base dimensions; every other dimension is one of tanping's (a gas, money, Nm³,
#: counted products), and a number typed with it is data.
_BASE_DIMENSIONS = {
    "[length]",
    "[mass]",
    "[time]",
    "[temperature]",
    "[current]",
    "[luminosity]",
    "[substance]",
}
_MASS = {"[mass]": 1}
_ENERGY = {"[mass]": 1, "[length]": 2, "[time]": -2}


@cache
def _is_data_unit(unit: str) -> bool:
    """Whether a unit is one of the quantities a carbon chapter takes or computes: emissions and
    factors (gas dimensions), energy (MWh, GJ, tce), masses (t, 万t), money, Nm³, percentages.
    Ratings and descriptions (MW, kV, km², t/d) are not."""
    from tanping import units

    if unit in ("%", "‰"):
        return True
    try:
        dims = dict(units.dimensionality(unit.translate(_SUBSCRIPTS)))
    except (ValueError, units.UnitError):
        return False
    if set(dims) - _BASE_DIMENSIONS:
        return True
    return dims in (_MASS, _ENERGY)


def typed_quantities(page: ReportRenderer) -> list[InputError]:
    """A number with a unit typed in chapter prose is flagged: it cannot follow the data."""
    problems = []
    for path in chapter_files(page.folder):
        text = prose(path.read_text(encoding="utf-8"))
        for number, line in _lines(text):
            if _HEADING.match(line):
                continue
            for match in _QUANTITY.finditer(line):
                if not _is_data_unit(match.group("unit")):
                    continue
                problems.append(
                    InputError(
                        f"正文中手写的数量 “{match.group(0)}”：它不会随数据更新",
                        '改用台账中的数值，例如 {{ fig("b2.net_new") }}（tanping ledger '
                        "列出全部键），或引用表格；百分数同样用 fig()",
                        Location(_display(path, page.folder), number),
                    )
                )
    return problems


# ---- rule: coverage ----------------------------------------------------------------------------
def coverage(page: ReportRenderer) -> list[InputError]:
    """Every industry and enterprise of a park's base year is in every planning period, or the
    report states why not (``exit:``); an empty scenario is refused by ``check`` already."""
    report = page.report
    if not isinstance(report, ParkReport):
        return []
    _, sources = read_report(page.folder)
    return missing_owners(report, sources.locate)


# ---- rule: factor sources ----------------------------------------------------------------------
def _factor_fields(value: Any, fields: tuple[str, ...]) -> Iterator[str]:
    """The factor fields a row writes; maps of rows are walked (``gases: {NF3: {use, ef}}``
    yields ``ef``), a map of factors by technology is one field (``ef: {双加压法: …}``)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _factor_fields(item, fields)
        return
    for name in sorted(getattr(value, "model_fields_set", ())):
        item = getattr(value, name)
        if name in fields:
            yield name
        elif isinstance(item, dict) or hasattr(item, "model_fields_set"):
            yield from _factor_fields(item, fields)


def _rows_with_factors(
    report: ProjectReport | ParkReport,
) -> Iterator[tuple[tuple[Key, ...], tuple[str, ...], Any, list[str]]]:
    """(row path, the type names a ``factor_sources`` key may use, the row, its factor fields)."""
    if isinstance(report, ProjectReport):
        for phase_key, phase in report.phases().items():
            for group in PROJECT_ROW_TYPES:
                for index, row in enumerate(getattr(phase, group)):
                    fields = list(dict.fromkeys(_factor_fields(row, PROJECT_FACTOR_FIELDS)))
                    yield (phase_key, group, index), (group,), row, fields
        return
    for index, source in enumerate(report.sources):
        body = getattr(source, source.kind)
        types = (source.kind, getattr(body, "type", source.kind))
        fields = list(dict.fromkeys(_factor_fields(body, PARK_FACTOR_FIELDS)))
        yield ("sources", index), types, source, fields


def factor_sources(page: ReportRenderer) -> list[InputError]:
    """Every factor a report writes has a source: the row's ``source:`` or a ``factor_sources``
    entry for its field; a factor left out is the library's, cited by the factor set."""
    report = page.report
    _, sources = read_report(page.folder)
    cited = report.factor_sources
    problems = []
    for path, types, row, fields in _rows_with_factors(report):
        if row.source:
            continue
        missing = [
            f for f in fields if f not in cited and not any(f"{t}.{f}" in cited for t in types)
        ]
        if not missing:
            continue
        listed = "、".join(missing)
        problems.append(
            InputError(
                f"本行自行给出的因子 {listed} 没有注明来源",
                f"在本行写 source: <文件、表号或条款、年份>，或在 report.yml 的 factor_sources 中"
                f"按字段注明（如 factor_sources: {{{types[-1]}.{missing[0]}: <来源>}}）；"
                "也可删去该因子，改用因子集的缺省值（计算过程会引用因子库的出处）",
                sources.locate(path),
            )
        )
    return problems


FIXTURE_FILE = "fixture.yml"


def fixture_of(folder: Path) -> str | None:
    """What a contract fixture says it is (``fixture.yml`` beside report.yml: ``purpose:``), or
    None for a report. A fixture builds for the site but is never offered for filing."""
    path = Path(folder) / FIXTURE_FILE
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return str(data.get("purpose") or "格式样例") if isinstance(data, dict) else "格式样例"


def _purpose_line(folder: Path) -> int:
    lines = (Path(folder) / FIXTURE_FILE).read_text(encoding="utf-8").splitlines()
    return next((n for n, line in enumerate(lines, 1) if line.startswith("purpose:")), 1)


def not_a_fixture(page: ReportRenderer) -> list[InputError]:
    """A contract fixture (the input and ledger examples of the format) is not a report."""
    purpose = fixture_of(page.folder)
    if purpose is None:
        return []
    return [
        InputError(
            f"本目录是格式样例，不是评价报告：{purpose}",
            f"样例只用于核对输入格式与计算结果，不作报批；写报告请用 tanping new 生成新目录，"
            f"或删去 {FIXTURE_FILE}",
            Location(_display(page.folder / FIXTURE_FILE, page.folder), _purpose_line(page.folder)),
        )
    ]


RULES: tuple[Rule, ...] = (
    not_a_fixture,
    placeholders,
    structure,
    typed_quantities,
    coverage,
    factor_sources,
)
_FOUND: weakref.WeakKeyDictionary[ReportRenderer, list[InputError]] = weakref.WeakKeyDictionary()


def filing_problems(page: ReportRenderer, rules: Sequence[Rule] = RULES) -> list[InputError]:
    """Every problem that keeps ``page``'s report from being filed, rule by rule (computed once
    per renderer for the full rule set: the site's links and the PDF ask it again)."""
    if rules is RULES and page in _FOUND:
        return _FOUND[page]
    found = [problem for rule in rules for problem in rule(page)]
    if rules is RULES:
        _FOUND[page] = found
    return found


def is_draft(page: ReportRenderer) -> bool:
    """A report that fails a filing rule is a draft: its PDF is marked 征求意见稿."""
    return bool(filing_problems(page))


def describe(rules: Iterable[Rule] = RULES) -> list[str]:
    """The first docstring line of each rule (for the command's help)."""
    return [(rule.__doc__ or rule.__name__).strip().splitlines()[0] for rule in rules]


class FilingErrors(ReportErrors):
    """The problems that keep a report from being filed, reported together (exit 2)."""

    def render(self) -> str:
        lines = [f"报告尚不符合报批要求（{len(self.errors)} 处），修改后再报批："]
        lines += [f"[{n}] {error.render()}" for n, error in enumerate(self.errors, 1)]
        return "\n".join(lines)


def check_report(folder: Path, *, filing: bool = False) -> tuple[ReportRenderer, list[InputError]]:
    """What ``tanping check`` does: compute the report, render every chapter twice (numbering,
    then with cross-references), without building the site; with ``filing``, also list what
    the filing rules find. Data and chapter errors raise; filing problems are returned."""
    from tanping.templates.publish import renderer

    page = renderer(Path(folder))  # compute + first pass
    for path in chapter_files(page.folder):
        page.render_chapter(path)  # second pass: cross-references resolved
    return page, filing_problems(page) if filing else []

"""Field types shared by the input models: quantities with an expected dimension, fractions.

A quantity field is declared ``Annotated[Amount, quantity("GJ/t", "GJ/Nm3")]``: the value must be a
``"<number> <unit>"`` string whose unit has the dimension of one of the example units. The
example units double as the hint shown to the user. Checks are cached per unit text, so
validation costs a dictionary look-up per field, not a pint operation.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator

from tanping.calc.files import check_relative
from tanping.units import (
    Amount,
    UnitError,
    check_dimension,
    dimensionality,
    parse_amount,
    parse_number,
)


class Strict(BaseModel):
    """Base of every input model: unknown fields are refused, numbers are accepted as text."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
        populate_by_name=True,
        str_strip_whitespace=True,
    )


# ---- free text: bounded, single-line where it is a name ----------------------------------------

#: Longest name, title or other single-line field (a report title is some 60 characters).
MAX_LINE = 200
#: Longest descriptive text (a table cell, a note, a measure's wording).
MAX_PARAGRAPH = 4000
_LINE_BREAKS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _bounded(text: str, limit: int) -> str:
    if len(text) > limit:
        raise UnitError(
            f"文字过长（{len(text):,} 个字符，此处最多 {limit:,} 个）：“{text[:20]}…”",
            "请精简该字段；详细说明请写在报告的 Markdown 章节中",
        )
    return text


def _single_line(text: str) -> str:
    _bounded(text, MAX_LINE)
    if any(mark in text for mark in _LINE_BREAKS):
        first = min(text.find(mark) for mark in _LINE_BREAKS if mark in text)
        raise UnitError(
            f"该字段只能有一行，“{text[:first][-20:]}” 之后有换行",
            "名称、标题、地区、单位等须写在一行：删去换行；"
            "若用了 “|” 或 “>” 块写法，请改为一行文字",
        )
    return text


def _paragraph(text: str) -> str:
    return _bounded(text, MAX_PARAGRAPH)


#: A single-line text (names, titles, district, park, units of a basis …), possibly empty.
Line = Annotated[str, AfterValidator(_single_line)]
#: A single-line text that must be given (a row name, a fuel, a title).
Name = Annotated[str, Field(min_length=1), AfterValidator(_single_line)]
#: A descriptive text (table cells, notes): may span lines, bounded in length.
Paragraph = Annotated[str, AfterValidator(_paragraph)]


def _relative_file(name: str) -> str:
    check_relative(name)
    return name


#: A file of the report folder named by a field (``boundary: boundary.geojson``): relative, no
#: ``..``; that it stays inside once links are followed is checked where it is read
#: (:func:`tanping.calc.files.inside`).
FileName = Annotated[
    str, Field(min_length=1), AfterValidator(_single_line), AfterValidator(_relative_file)
]


# ---- bare numbers: the one number grammar --------------------------------------------------------


def _finite_number(value: object) -> object:
    if isinstance(value, bool):
        return value  # left to the field's own type error
    if isinstance(value, int | float | str):
        return parse_number(value)
    return value


def _whole_number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return value
    if isinstance(value, int):
        return value
    number = parse_number(value)
    if not number.is_integer():
        raise UnitError(f"“{value}” 不是整数", "此处应为整数，如年份 2026")
    return int(number)


#: A bare number (a percentage, a coordinate), read by the number grammar of
#: :func:`tanping.units.parse_number`: finite, no NaN or ∞, within its magnitude bounds.
FiniteFloat = Annotated[float, BeforeValidator(_finite_number)]


def _plausible_year(year: int) -> int:
    if not 1900 <= year <= 2100:
        raise UnitError(f"年份 {year} 不合理", "请写作四位年份，如 2026")
    return year


#: A calendar year (a history or planning year, a period): a whole number from 1900 to 2100.
Year = Annotated[int, BeforeValidator(_whole_number), AfterValidator(_plausible_year)]


@lru_cache(maxsize=4096)
def _has_dimension(unit: str, expected: tuple[str, ...]) -> bool:
    try:
        check_dimension(Amount(0.0, unit, unit), expected)
    except UnitError:
        return False
    return True


def _make_quantity_validator(
    expected: tuple[str, ...], *, bare: bool, negative: bool, fraction: bool
) -> PlainValidator:
    def validate(value: object) -> Amount:
        if isinstance(value, Amount):
            return value
        amount = parse_amount(value, bare_number=bare)
        if expected and not _has_dimension(amount.unit, expected):
            check_dimension(amount, expected)  # raises, saying what is wrong with this text
        if amount.magnitude < 0 and not negative:
            raise UnitError(f"“{amount.text}” 为负数", "该量不能为负；请检查正负号或数据来源")
        if fraction:
            share = amount.to("")
            if share > 1:
                written = amount.text
                hint = (
                    f"比例须在 0–1 之间：写作 “{amount.magnitude:g} %” 或 "
                    f"{amount.magnitude / 100:g}"
                    if amount.unit == ""
                    else "比例不能超过 100 %"
                )
                raise UnitError(f"“{written}” 不是 0–1 之间的比例", hint)
        return amount

    return PlainValidator(validate)


def quantity(*expected: str, bare: bool = False, negative: bool = False) -> PlainValidator:
    """Validator of a ``"<number> <unit>"`` field whose unit has one of ``expected``'s dimensions.

    With no ``expected`` unit any dimension is accepted (checked later across fields).
    ``bare`` accepts a number without unit (only for counts); ``negative`` accepts negatives.
    """
    return _make_quantity_validator(tuple(expected), bare=bare, negative=negative, fraction=False)


#: A fraction: ``"99 %"`` or a bare number between 0 and 1.
Fraction = Annotated[
    Amount, _make_quantity_validator(("",), bare=True, negative=False, fraction=True)
]
#: A count of things (stations, valves): a bare number or a quantity without dimension.
Count = Annotated[
    Amount, _make_quantity_validator(("",), bare=True, negative=False, fraction=False)
]


#: Below this a carbon oxidation rate is a typing slip (``0.99 %`` for ``99 %``), not a fuel:
#: published rates lie between 90 % and 100 % (factors.md §1).
LOWEST_OXIDATION = 0.5


def _plausible_oxidation(rate: Amount) -> Amount:
    if rate.to("") < LOWEST_OXIDATION:
        raise UnitError(
            f"碳氧化率 “{rate.text}” 低于 50 %，不像燃料的碳氧化率",
            "碳氧化率通常为 90 %–100 %：写作 “99 %” 或 0.99（“0.99 %” 是 0.0099）",
        )
    return rate


#: A carbon oxidation rate: a fraction, refused when implausibly low.
OxidationRate = Annotated[Fraction, AfterValidator(_plausible_oxidation)]


def plausible(what: str, ranges: dict[str, tuple[float, float]]) -> AfterValidator:
    """Refuse a value far outside what the quantity takes in practice: the usual sign of a unit
    slip (t for kg, GJ for TJ, Nm3 for 万Nm3), which would otherwise publish a number off by a
    factor of a thousand. ``ranges`` maps a unit to (low, high) in that unit; the range whose
    unit has the value's dimension applies. The bounds are wide on purpose (see their uses)."""

    def check(amount: Amount) -> Amount:
        for unit, (low, high) in ranges.items():
            if dimensionality(unit) != dimensionality(amount.unit):
                continue
            value = amount.to(unit)
            if not low <= value <= high:
                raise UnitError(
                    f"{what} “{amount.text}” 即 {value:.6g} {unit}，超出常见范围 "
                    f"{low:g}–{high:g} {unit}",
                    "检查数值与单位：t 与 kg、GJ 与 TJ、万Nm3 与 Nm3、tC/GJ 与 tC/TJ 常被混淆",
                )
        return amount

    return AfterValidator(check)


#: Low heating value, per mass (coal gangue ~8 … hydrogen ~120 GJ/t) or per gas volume
#: (blast-furnace gas ~33 … LPG vapour ~1100 GJ/万Nm3).
HeatingValue = Annotated[
    Amount,
    quantity("GJ/t", "GJ/万Nm3"),
    plausible("低位发热量", {"GJ/t": (1, 150), "GJ/万Nm3": (5, 2000)}),
]
#: Carbon content per heat: fuels lie between ~12 and ~71 tC/TJ (blast-furnace gas).
CarbonContent = Annotated[
    Amount, quantity("tC/GJ"), plausible("单位热值含碳量", {"tC/TJ": (3, 300)})
]
#: CO2 per heat: fuels lie between ~44,000 and ~260,000 kgCO2/TJ (IPCC 2006).
Co2PerHeat = Annotated[
    Amount, quantity("kgCO2/TJ"), plausible("CO2 排放因子", {"tCO2/TJ": (5, 500)})
]
#: Grid electricity CO2 factor: 0 (green power) … ~1.2 tCO2/MWh (coal-only grids).
GridFactor = Annotated[
    Amount, quantity("tCO2/MWh"), plausible("电力排放因子", {"tCO2/MWh": (0, 3)})
]
#: Purchased heat CO2 factor: the default is 0.11 tCO2/GJ.
HeatFactor = Annotated[Amount, quantity("tCO2/GJ"), plausible("热力排放因子", {"tCO2/GJ": (0, 1)})]


# ---- percentages: one rule across both kinds ----------------------------------------------------


def _percentage(value: object) -> float:
    """A percentage field written ``"18 %"``: the number of percent. A bare number is refused,
    since ``18`` and ``0.18`` would both be guesses (spec §2: a bare number only for a fraction
    or a count)."""
    amount = parse_amount(value, bare_number=True)  # a YAML float too: .nan, ∞ and 18 refused
    if amount.unit == "":
        shown = f"{amount.magnitude:g}"
        percent = f"{amount.magnitude * 100:g} %"
        is_fraction = 0 < abs(amount.magnitude) < 1
        as_fraction = f"；若 {shown} 是比例（{percent}），写作 “{percent}”" if is_fraction else ""
        raise UnitError(
            f"百分数 “{amount.text}” 没有写 %",
            f"百分数须带单位：写作 “{shown} %”{as_fraction}",
        )
    if dimensionality(amount.unit) != dimensionality(""):
        raise UnitError(f"“{amount.text}” 不是百分数", "写作 “<数值> %”，如 “18 %”")
    return amount.to("%")


#: A percentage (a decline rate, a target): ``"18 %"``, read as 18.0 (percent).
Percentage = Annotated[float, PlainValidator(_percentage)]


# ---- what the report states beside the data ------------------------------------------------------


def _fact(value: object) -> str:
    """A descriptive fact (``额定功率: 29 MW``, ``设计热效率: 92 %``, or text): a value that starts
    with a digit is a quantity and must follow the number grammar with a unit."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise UnitError(
            f"事实 “{value}” 缺少单位", "写作 “<数值> <单位>”，如 “29 MW”；计数写作 “5 台”"
        )
    if not isinstance(value, str):
        raise UnitError("事实应为文字或 “<数值> <单位>”", "如 “29 MW” 或 “燃气热水锅炉”")
    text = _single_line(value.strip())
    if text[:1].isdigit():
        parse_amount(text)  # raises, saying what is wrong with the number or unit
    return text


#: A fact the prose states (equipment ratings, design efficiencies), printed by ``fact("name")``.
Fact = Annotated[str, PlainValidator(_fact)]
#: Why a value outside its plausibility band is right after all (shown in the derivation).
Confirm = Annotated[str, Field(min_length=4), AfterValidator(_paragraph)]


def factor_sources_keys(
    given: dict[str, str], fields: tuple[str, ...], types: tuple[str, ...]
) -> dict[str, str]:
    """``factor_sources`` keys name a factor field (``lhv``) or a field of one row type
    (``electricity.factor``, ``cement.ef``); each source is a text that cites a document."""
    import difflib

    allowed = [*fields, *(f"{t}.{f}" for t in types for f in fields)]
    for key, text in given.items():
        if key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=3, cutoff=0.6)
            raise UnitError(
                f"factor_sources 的键 “{key}” 不是因子字段",
                (f"是否为 {'、'.join(near)}？" if near else "")
                + f"键为因子字段名（{'、'.join(fields)}），或 <类型>.<字段>，如 "
                f"{types[0]}.{fields[0]}",
            )
        if not text.strip():
            raise UnitError(f"factor_sources.{key} 没有写来源", "写明文件名称、表号或条款与年份")
    return given


# ---- where the chapter sits in its host EIA document ---------------------------------------------

#: A host chapter or section number: ``9``, ``4.6``, ``7.3.2`` (at most four levels, each > 0).
_HOST_NUMBER = re.compile(r"^[1-9][0-9]{0,2}(?:\.[1-9][0-9]{0,2}){0,3}$")


def _host_number(value: object) -> object:
    if isinstance(value, bool):
        return value  # left to the field's own type error
    if isinstance(value, float):  # YAML read 9.10 as the float 9.1: the text is lost
        raise UnitError(
            f"章节号 {value:g} 须写作带引号的文字",
            f'写作 “"{value:g}"”：不加引号时 YAML 把 9.10 读作数 9.1',
        )
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and not _HOST_NUMBER.match(value.strip()):
        raise UnitError(
            f"“{value}” 不是章节号",
            "章节号为以点分隔的正整数，最多四级，如 9、4.6、7.3.2（不写 “第”“章”“节”）",
        )
    return value


#: A chapter or section number of the host document (validated text such as ``"4.6"``).
HostNumber = Annotated[str, BeforeValidator(_host_number)]


class HostNumbering(Strict):
    """Where each chapter file sits in its host EIA document (``numbering:`` of report.yml).

    Both guidelines place this content inside the EIA document: the Beijing App. D directory
    (“在环境影响评价文件中编制相应章节”) as one chapter, whose items become its sections
    (``01-overview.md: "9.1"`` …), and the Chongqing sections merged into the chapters of the plan
    EIA (clause 14): ``05-planning.md: "4.6"``, ``07-identification.md: "7.3"`` …. A file's
    headings number below its host number (``9.1`` → ``9.1.1``), and ``captions`` chooses the
    表/图 numbers: ``section`` counts per host number (表 9.2-1), ``chapter`` per host chapter,
    the first part of the number (表 9-1, counting on across the chapter's sections). That every
    key is a chapter file of the folder is checked when the report is rendered.
    """

    chapters: dict[Name, HostNumber] = Field(min_length=1)
    captions: Literal["section", "chapter"] = "section"

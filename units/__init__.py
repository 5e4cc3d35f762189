"""The one unit registry of tanping, and the parsing of ``"<number> <unit>"`` strings.

Every physical or monetary value of a report is written ``"<number> <unit>"`` (``"85 万Nm3"``,
``"0.01532 tC/GJ"``, ``"99 %"``). :func:`parse_amount` turns it into an :class:`Amount`: the number
as written, the unit as written and the pint unit behind it. Dimensions are checked against what a
field expects with :func:`check_dimension`, which explains in Chinese what is wrong and how to
fix it.

The registry is pint's default registry extended by ``definitions.txt`` in this folder: every gas
mass is its own dimension, Nm3 is not m3, money and counted products are their own dimensions.
The only ways between gases are :func:`carbon_to_co2` (44/12) and the GWP conversion of the
calculation layer (``calc.gwp``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pint

__all__ = [
    "CO2_PER_C",
    "GASES",
    "Amount",
    "Quantity",
    "UnitError",
    "annual",
    "as_gas",
    "carbon_to_co2",
    "check_dimension",
    "check_magnitude",
    "conversion_factor",
    "describe_unit",
    "dimensionality",
    "gas_of",
    "parse_amount",
    "parse_number",
    "parse_unit",
    "ureg",
]

DEFINITIONS = Path(__file__).with_name("definitions.txt")


class _Registry(pint.UnitRegistry[Any]):
    """pint's registry, remembering every unit expression it has parsed.

    pint keeps a parsed expression only when it is the name of a defined unit, so that ``"TJ"``,
    ``"万t"`` or ``"tCO2/MWh"`` are parsed again, prefix search and all, on every ``.to("TJ")``:
    a hundred times the cost of the conversion. Parsed expressions are immutable containers of
    canonical names; the memory is cleared whenever a definition is added.
    """

    def _helper_dispatch_adder(self, definition: Any) -> None:
        super()._helper_dispatch_adder(definition)  # every definition, from a file or define()
        _Registry._parsed.cache_clear()

    def parse_units_as_container(
        self,
        input_string: str,
        as_delta: bool | None = None,
        case_sensitive: bool | None = None,
    ) -> pint.util.UnitsContainer:
        return self._parsed(input_string, as_delta, case_sensitive)

    @lru_cache(maxsize=4096)  # noqa: B019 (one registry, alive as long as the process)
    def _parsed(
        self, input_string: str, as_delta: bool | None, case_sensitive: bool | None
    ) -> pint.util.UnitsContainer:
        return super().parse_units_as_container(input_string, as_delta, case_sensitive)


ureg: pint.UnitRegistry[Any] = _Registry(autoconvert_offset_to_baseunit=True)
ureg.load_definitions(str(DEFINITIONS))
Quantity = ureg.Quantity


class UnitError(ValueError):
    """A quantity that cannot be read or has the wrong dimension.

    ``problem`` says what is wrong, ``hint`` how to fix it; both in Chinese, for the user.
    """

    def __init__(self, problem: str, hint: str = "", *, field: str | None = None) -> None:
        super().__init__(problem + (f"；{hint}" if hint else ""))
        self.problem = problem
        self.hint = hint
        self.field = field  # the field of a record the problem is in, where a rule spans fields


#: Gas id as written in reports -> the unit of one tonne of it.
GASES: dict[str, str] = {
    "CO2": "tCO2",
    "CH4": "tCH4",
    "N2O": "tN2O",
    "HFC-23": "tHFC23",
    "CHF3": "tHFC23",
    "HFC-32": "tHFC32",
    "HFC-125": "tHFC125",
    "HFC-134a": "tHFC134a",
    "HFC-143a": "tHFC143a",
    "HFC-152a": "tHFC152a",
    "HFC-227ea": "tHFC227ea",
    "HFC-236fa": "tHFC236fa",
    "HFC-245fa": "tHFC245fa",
    "CF4": "tCF4",
    "C2F6": "tC2F6",
    "SF6": "tSF6",
    "NF3": "tNF3",
}

#: Molar-mass ratio of CO2 to C (44/12), the only conversion from carbon to CO2.
CO2_PER_C = Quantity(44 / 12, "tCO2/tC")

#: The one grammar of a written number: ASCII digits, an optional sign, thousands separated by
#: commas in groups of three (``12,000.5``, ``1,234,567``), a decimal point, an exponent
#: (``1.2e5``). A number ends where the unit begins: a digit, comma, point or underscore right
#: after it means the number was written some other way (``8,5``, ``1,2,0,0,0``, ``1_000``).
_NUMBER = re.compile(
    r"^\s*([-+]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)"
    r"(?![0-9,._])\s*(.*?)\s*$",
    re.DOTALL,
)
#: Something that starts like a number, to say what is wrong with it.
_NUMBER_LIKE = re.compile(r"^\s*[-+]?[0-9.,_]*[0-9]")
_NOT_FINITE = re.compile(r"^\s*[-+]?(?:nan|inf(?:inity)?|∞)(?![a-z])", re.IGNORECASE)
#: Largest magnitude a report may write (and smallest, but for zero): far beyond any physical or
#: monetary amount of an assessment, and small enough that products and quotients of a few such
#: numbers stay finite.
MAX_MAGNITUDE = 1e30
MIN_MAGNITUDE = 1e-30
#: Longest quantity text (``"0.01532 tC/GJ"``): a unit longer than this is not one.
MAX_AMOUNT_LENGTH = 100
_UNIT_SPELLING = str.maketrans(
    {
        "³": "3",
        "²": "2",
        "₂": "2",
        "₃": "3",
        "₄": "4",
        "₆": "6",
        "·": "*",
        "／": "/",
        "％": "%",
        "（": "(",
        "）": ")",
    }
)
_COMMON_MISTAKES = {
    "吨": "t",
    "万吨": "万t",
    "千克": "kg",
    "公斤": "kg",
    "立方米": "m3",
    "万立方米": "万Nm3（标况气体）或 万m3",
    "度": "kWh",
    "万度": "万kWh",
    "吨标煤": "tce",
    "万吨标煤": "万tce",
    "tco2": "tCO2",
    "tco2e": "tCO2e",
    "t CO2": "tCO2",
    "kwh": "kWh",
    "mwh": "MWh",
    "gj": "GJ",
}


@dataclass(frozen=True, slots=True)
class Amount:
    """A number with its unit, exactly as the report wrote it.

    ``magnitude`` is the number, ``unit`` the normalised unit text (``"万Nm3"``, ``""`` for a bare
    number) and ``text`` the original string, kept for derivations. ``quantity`` gives the pint
    quantity; :meth:`to` the magnitude in another unit (the conversion factor is cached).
    """

    magnitude: float
    unit: str
    text: str

    @property
    def quantity(self) -> pint.Quantity[Any]:
        return Quantity(self.magnitude, parse_unit(self.unit))

    def to(self, unit: str) -> float:
        return self.magnitude * conversion_factor(self.unit, unit)

    def __str__(self) -> str:
        return self.text


@lru_cache(maxsize=1024)
def _normalise_unit(text: str) -> str:
    unit = text.translate(_UNIT_SPELLING).strip()
    unit = re.sub(r"\s*/\s*", "/", unit)
    return unit


@lru_cache(maxsize=4096)
def parse_unit(unit: str) -> pint.Unit:
    """The pint unit of a unit text (``""`` is dimensionless); cached."""
    if unit == "":
        return ureg.dimensionless
    if unit == "%":
        return ureg.percent
    try:
        parsed = ureg.parse_units(unit.replace("%", "percent"))
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError) as err:
        raise UnitError(f"无法识别单位 “{unit}”", _unit_hint(unit)) from err
    except Exception as err:  # pint's tokenizer raises assorted errors on garbage
        raise UnitError(f"无法识别单位 “{unit}”", _unit_hint(unit)) from err
    return parsed


def _unit_hint(unit: str) -> str:
    if unit in _COMMON_MISTAKES:
        return f"请写作 “{_COMMON_MISTAKES[unit]}”"
    lowered = unit.lower()
    for wrong, right in _COMMON_MISTAKES.items():
        if lowered == wrong.lower():
            return f"请写作 “{right}”"
    return (
        "单位须为 tanping 单位表中的写法，例如 t、万t、万Nm3、GJ/t、tC/GJ、%、MWh、tCO2/MWh、"
        "kgCO2/TJ、万元、亿元、tce、万tce；气体质量须标明种类，如 tCO2、tCH4、kgN2O"
    )


def check_magnitude(magnitude: float, written: object) -> float:
    """Refuse a number that is not finite (NaN, ∞) or beyond :data:`MAX_MAGNITUDE`."""
    if not math.isfinite(magnitude):
        raise UnitError(
            f"“{written}” 不是有限数",
            "请写出实际的数值（NaN、inf、∞ 不是数值），例如 “12000 MWh”",
        )
    if abs(magnitude) > MAX_MAGNITUDE or 0 < abs(magnitude) < MIN_MAGNITUDE:
        raise UnitError(
            f"数值 “{written}” 超出可用范围"
            f"（绝对值应在 {MIN_MAGNITUDE:g} 与 {MAX_MAGNITUDE:g} 之间）",
            "检查数值与指数；可换用更大或更小的单位，如 万t、亿元、kg",
        )
    return magnitude


def parse_number(value: object) -> float:
    """A bare number of a report: a YAML number, or a text in the grammar of :data:`_NUMBER`.

    Raises :class:`UnitError` for anything else, NaN, ∞ and magnitudes beyond
    :data:`MAX_MAGNITUDE`.
    """
    if isinstance(value, bool):
        raise UnitError(f"“{value}” 不是数值", "请写出数值，例如 12 或 0.5")
    if isinstance(value, int):
        try:
            magnitude = float(value)
        except OverflowError:
            raise UnitError(
                f"数值 {str(value)[:20]}… 过大", "检查数值；可换用更大的单位，如 万t、亿元"
            ) from None
        return check_magnitude(magnitude, value)
    if isinstance(value, float):
        return check_magnitude(value, value)
    if isinstance(value, str):
        amount = _parse_text(value, True)
        if amount.unit:
            raise UnitError(f"“{value}” 应为不带单位的数值", "请只写数值，例如 12 或 0.5")
        return amount.magnitude
    raise UnitError(f"应为数值，实际为 {type(value).__name__}", "请写出数值，例如 12 或 0.5")


def parse_amount(value: object, *, bare_number: bool = False) -> Amount:
    """Read ``"<number> <unit>"`` (or a bare number where ``bare_number`` allows it).

    The number follows the one grammar of :data:`_NUMBER`; NaN, ∞ and magnitudes beyond
    :data:`MAX_MAGNITUDE` are refused. Raises :class:`UnitError` with a Chinese explanation when
    the text is not a quantity.
    """
    if isinstance(value, bool):
        raise UnitError(f"“{value}” 不是数量", "请写作 “<数值> <单位>”，例如 “85 万Nm3”")
    if isinstance(value, int | float):
        if not bare_number:
            raise UnitError(
                f"数值 {_clip(str(value))} 缺少单位",
                "请写作 “<数值> <单位>”，例如 “12000 MWh”；只有比例和计数可以不写单位",
            )
        magnitude = parse_number(value)
        return Amount(magnitude, "", str(value))
    if not isinstance(value, str):
        raise UnitError(
            f"应为 “<数值> <单位>” 形式的字符串，实际为 {type(value).__name__}",
            "例如 “85 万Nm3” 或 “0.01532 tC/GJ”",
        )
    return _parse_text(value, bare_number)


def _clip(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[:length] + "…"


def _number_hint(value: str) -> tuple[str, str]:
    """What is wrong with a text that is not ``"<number> <unit>"``, and how to fix it."""
    shown = _clip(value.strip())
    stripped = value.strip()
    if _NOT_FINITE.match(stripped):
        return f"“{shown}” 不是有限数", "请写出实际的数值（NaN、inf、∞ 不是数值），例如 “12000 MWh”"
    if stripped[:1].isdigit() or (stripped[:1] in "+-." and stripped[1:2].isdigit()):
        if not _NUMBER_LIKE.match(stripped):  # a digit that is not 0-9: full-width １２, ١٢
            return (
                f"“{shown}” 中的数字不是半角数字",
                "请用半角数字 0–9 书写数值（如 “12 t”，而非全角 “１２ t”）",
            )
    number = _NUMBER_LIKE.match(stripped)
    if number is not None:
        written = number.group()
        if "_" in written:
            return f"“{shown}” 的数值中有下划线", "数值不能用 “_” 分组：写作 1000 或 1,000"
        if "," in written:
            return (
                f"“{shown}” 中的逗号用法不对",
                "逗号只能作千位分隔符，每三位一组（如 12,000.5、1,234,567）；小数点请用 “.”"
                "（“8,5 t” 应写作 “8.5 t”）",
            )
        if written.count(".") > 1:
            return f"“{shown}” 中有多个小数点", "一个数值只能有一个小数点，如 “389.31 GJ/万Nm3”"
    return (
        f"“{shown}” 不是 “<数值> <单位>” 形式",
        "数值在前、单位在后，中间可有空格，例如 “389.31 GJ/万Nm3”",
    )


@lru_cache(maxsize=1 << 16)
def _parse_text(value: str, bare_number: bool) -> Amount:
    """:func:`parse_amount` of a string; cached, as a report repeats its factors many times."""
    if len(value) > MAX_AMOUNT_LENGTH:
        raise UnitError(
            f"数量 “{_clip(value)}” 过长（{len(value)} 个字符）",
            "请写作 “<数值> <单位>”，例如 “389.31 GJ/万Nm3”；说明文字请写在 name 或 note 中",
        )
    match = _NUMBER.match(value)
    if match is None:
        raise UnitError(*_number_hint(value))
    number_text, unit_text = match.groups()
    if number_text.lstrip("+-") == "0" and unit_text[:1] in ("x", "X", "o", "O", "b", "B"):
        if unit_text[1:2].isalnum():
            raise UnitError(
                f"“{_clip(value)}” 是十六进制、八进制或二进制写法",
                "数值请用十进制书写，如 “31 t”",
            )
    if "\n" in unit_text or "\r" in unit_text:
        raise UnitError(f"数量 “{_clip(value)}” 中有换行", "数值与单位须写在同一行，如 “85 万Nm3”")
    magnitude = check_magnitude(float(number_text.replace(",", "")), value.strip())
    if magnitude == 0 and any(
        digit in number_text.lower().partition("e")[0] for digit in "123456789"
    ):
        check_magnitude(MIN_MAGNITUDE / 2, value.strip())  # a tiny number that underflowed to 0
    unit = _normalise_unit(unit_text)
    if unit == "" and not bare_number:
        raise UnitError(
            f"“{value}” 缺少单位",
            "请写作 “<数值> <单位>”，例如 “12000 MWh”；只有比例和计数可以不写单位",
        )
    parse_unit(unit)
    return Amount(magnitude, unit, value.strip())


@lru_cache(maxsize=8192)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """The number that turns a magnitude in ``from_unit`` into one in ``to_unit`` (cached)."""
    source = parse_unit(from_unit)
    target = parse_unit(to_unit)
    try:
        return float(Quantity(1.0, source).to(target).magnitude)
    except pint.errors.DimensionalityError as err:
        raise UnitError(
            f"单位 “{from_unit}” 不能换算为 “{to_unit}”",
            f"“{from_unit}” 是{describe_unit(from_unit)}，需要{describe_unit(to_unit)}",
        ) from err


def annual(amount: Amount, unit: str) -> float:
    """An amount per year in ``unit``, whether written per year (``720 tCO2/a``) or as the year's
    total (``720 tCO2``): both mean the same in an annual assessment."""
    per_year = f"{unit}/a"
    if dimensionality(amount.unit) == dimensionality(per_year):
        return amount.to(per_year)
    return amount.to(unit)


# ---- dimensions, described in Chinese ---------------------------------------------------------

_BASE_NAMES = {
    "[mass]": "质量",
    "[length]": "长度",
    "[time]": "时间",
    "[carbon]": "碳的质量",
    "[CO2]": "CO2 的质量",
    "[CH4]": "CH4 的质量",
    "[N2O]": "N2O 的质量",
    "[CO2e]": "CO2 当量",
    "[COD]": "COD 的质量",
    "[normal_volume]": "标况气体体积（Nm3）",
    "[currency]": "金额（元）",
    "[vehicle]": "辆",
    "[machine]": "台",
    "[piece]": "片",
    "[article]": "件",
}
_NAMED_DIMENSIONS = {
    "[mass] * [length] ** 2 / [time] ** 2": "能量",
    "[mass] * [length] ** 2 / [time] ** 3": "功率",
    "[length] ** 3": "几何体积（m3）",
    "[length] ** 2": "面积",
}


@lru_cache(maxsize=1024)
def dimensionality(unit: str) -> pint.util.UnitsContainer:
    return parse_unit(unit).dimensionality


def _describe_dimension(dim: pint.util.UnitsContainer) -> str:
    if not dim:
        return "无量纲数（比例或计数）"
    if str(dim) in _NAMED_DIMENSIONS:
        return _NAMED_DIMENSIONS[str(dim)]
    parts = [
        _BASE_NAMES.get(name, f"{name.strip('[]')} 的质量") + ("" if power == 1 else f"^{power}")
        for name, power in dim.items()
    ]
    return " × ".join(parts)


@lru_cache(maxsize=1024)
def describe_unit(unit: str) -> str:
    """A Chinese description of what a unit measures (``"GJ/t"`` -> ``"能量 / 质量"``).

    A quotient is described part by part as written, so that ``tC/GJ`` reads ``碳的质量 / 能量``.
    """
    numerator, _, denominator = unit.partition("/")
    if denominator and "/" not in denominator:
        top = _describe_dimension(dimensionality(numerator)) if numerator else "1"
        return f"{top} / {_describe_dimension(dimensionality(denominator))}"
    return _describe_dimension(dimensionality(unit))


_SPECIES = re.compile(r"(k?g|t)(CO2e|CO2|CH4|N2O|COD|HFC\w+|CHF3|CF4|C2F6|SF6|NF3|C)(?![a-z0-9])")
_GAS_DIMENSIONS = {"[carbon]", "[CO2]", "[CO2e]", *(f"[{u[1:]}]" for u in GASES.values())}


def _hint_for(unit: str, expected: tuple[str, ...]) -> str:
    """How to fix a quantity whose unit has the wrong dimension."""
    got = dimensionality(unit)
    wanted = [dimensionality(e) for e in expected]
    got_gas = {k for k in got if k in _GAS_DIMENSIONS}
    wanted_gas = {k for w in wanted for k in w if k in _GAS_DIMENSIONS}
    examples = "、".join(expected)
    for unit_text in expected:
        species = _SPECIES.findall(unit_text)
        if species and got == dimensionality(_SPECIES.sub(r"\1", unit_text)):
            gas = species[0][1]
            return f"质量须标明气体种类：把 “t” 写作 “t{gas}”（kg 写作 kg{gas}），例如 {unit_text}"
    if "[carbon]" in got_gas and "[CO2]" in wanted_gas:
        return (
            "这是碳的质量，不是 CO2：碳须乘以 44/12 才是 CO2。燃料请填写 carbon_content（tC/GJ）"
            "和 oxidation，由 tanping 换算；或把因子换算为 CO2，如 " + examples
        )
    if got_gas - {"[CO2]", "[CO2e]", "[carbon]"} and wanted_gas & {"[CO2]", "[CO2e]"}:
        gas = sorted(got_gas)[0].strip("[]")
        return (
            f"{gas} 不能直接当作 CO2 或 CO2e：须经报告所选 GWP 折算，请按气体种类填写在"
            "相应排放源中（tanping 依 gwp 设定折算）"
        )
    if (
        "[length]" in got
        and got.get("[length]") == 3
        and any("[normal_volume]" in w for w in wanted)
    ):
        return "燃气体积请写作 Nm3 或 万Nm3（标准状况 0 ℃、101.325 kPa 下的体积）"
    if any("[normal_volume]" in w for w in wanted) and "[mass]" in got:
        return f"该处需要的是气体体积或与之配套的单位，例如 {examples}；气体燃料请以 万Nm3 计"
    if not examples.strip("、"):
        return "应为不带单位的比例或计数，例如 0.99、99 % 或 12"
    return f"应为{'或'.join(describe_unit(e) for e in expected)}，例如 {examples}"


def check_dimension(amount: Amount, expected: tuple[str, ...]) -> None:
    """Raise :class:`UnitError` unless ``amount`` has the dimension of one of ``expected`` units."""
    got = dimensionality(amount.unit)
    if any(got == dimensionality(e) for e in expected):
        return
    raise UnitError(
        f"“{amount.text}” 的单位 “{amount.unit or '（无）'}” 是{describe_unit(amount.unit)}，"
        f"此处需要{'或'.join(describe_unit(e) for e in expected)}",
        _hint_for(amount.unit, expected),
    )


def gas_of(quantity: pint.Quantity[Any]) -> str:
    """The gas id (``"CH4"``) of a gas mass quantity; ``UnitError`` if it is not one."""
    dim = quantity.dimensionality
    for gas, unit in GASES.items():
        if dim == dimensionality(unit):
            return "HFC-23" if gas == "CHF3" else gas
    if dim == dimensionality("tCO2e"):
        return "CO2e"
    raise UnitError(f"{quantity.units} 不是某种温室气体的质量")


def carbon_to_co2(carbon: pint.Quantity[Any]) -> pint.Quantity[Any]:
    """Mass of CO2 formed from a mass of carbon: ``carbon × 44/12`` (molar masses of CO2 and C)."""
    co2: pint.Quantity[Any] = (carbon * CO2_PER_C).to_reduced_units()
    return co2


def as_gas(mass: pint.Quantity[Any], gas: str) -> pint.Quantity[Any]:
    """A plain mass read as the mass of ``gas`` (or of carbon, ``"C"``), where the field itself
    names the gas. A mass that already names a gas must name this one.
    """
    target = "tC" if gas == "C" else GASES[gas]
    if mass.dimensionality == dimensionality("t"):
        return Quantity(mass.to("t").magnitude, target)
    if mass.dimensionality == dimensionality(target):
        return mass.to(target)
    raise UnitError(f"{mass} 不是 {gas} 的质量", f"请写作 “<数值> t” 或 “<数值> {target}”")

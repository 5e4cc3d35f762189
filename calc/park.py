"""The industrial-park pipeline (Chongqing guideline): report model -> inventories C.1 and C.2 for
every period, enterprise and industry emissions, performance indicators and the ledger.

Stages, each a function producing one named result:

1. :func:`cross_check`: names, periods and scenarios refer to what the report declares.
2. :func:`terms`: each source row becomes one or more *terms*, a call of one equation of
   ``calc.equations`` with the row's quantities (defaults from the factor set recorded).
3. :func:`evaluate`: terms of the same equation and unit signature are evaluated together on
   NumPy arrays (pint checks units once per group, not once per row), each result converted to
   tonnes of its gas and to tCO2e through the report's GWP set.
4. :func:`aggregate`: sums by period into the rows of tables C.1 and C.2, enterprises and
   industries; :func:`indicators`: performance indicators and decline rates.

Physically impossible results are refused, never published (issue 9): a process factor far
outside the library's band for its item (:func:`implausible_factors`, a probable unit slip), a
release below zero (:func:`negative_releases`: the steel carbon balance, wastewater CH4 net of
recovery), a reduction above the emissions it reduces (:func:`excessive_reductions`) and a total
below zero (:func:`negative_totals`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pint

from tanping.calc import equations as eq
from tanping.calc import park_vocabulary as vocabulary
from tanping.calc.catalogues import closest
from tanping.calc.coverage import empty_periods
from tanping.calc.errors import FactorError, GwpError, InputError, Location, ReportErrors
from tanping.calc.factors import FactorLibrary, ProcessBand, load_bands, require_fuel_set
from tanping.calc.gwp import gwp_factor
from tanping.calc.keys import period_key as period_key  # re-exported for the templates
from tanping.calc.keys import period_label
from tanping.calc.ledger import Derivation, FactorUse, Ledger
from tanping.calc.loader import Key
from tanping.calc.models.park import (
    AdipicAcid,
    Aluminium,
    Biomass,
    BoilerN2O,
    CalciumCarbide,
    Cement,
    Combustion,
    EconomyRow,
    ElectricalEquipment,
    Electricity,
    FlatGlass,
    GasFugitive,
    Hcfc22,
    HfcProduction,
    Lime,
    Magnesium,
    Mobile,
    NitricAcid,
    ParkReport,
    Reduction,
    Semiconductor,
    Source,
    Steel,
    Wastewater,
)
from tanping.calc.plausibility import implausible_values
from tanping.units import GASES, Amount, Quantity, UnitError, dimensionality, gas_of

Locate = Callable[[Sequence[Key]], Location]

# The vocabularies, from data (calc/data/park_*.yml via calc.park_vocabulary); the names below
# are views kept for the modules that read them.
GROUPS = tuple(vocabulary.groups())
KEY_GROUPS = tuple(g.id for g in vocabulary.groups().values() if g.key)
GROUP_LABELS = {g.id: g.label for g in vocabulary.groups().values()}
SECTORS = tuple(vocabulary.sectors())
SECTOR_LABELS = dict(vocabulary.sectors())
DOMAINS = tuple(vocabulary.domains())
DOMAIN_LABELS = dict(vocabulary.domains())
KIND_LABELS = {k.id: k.label for k in vocabulary.source_kinds().values()}
INDICATORS = {i.id: (i.label, i.unit) for i in vocabulary.indicators().values()}
ECONOMY_FIELDS = {i.id: i.economy for i in vocabulary.indicators().values()}
T = "tCO2e"
#: The rows of C.2 能源活动 besides 化石燃料 (one per source type with a row of its own).
ENERGY_ROWS = {
    k.c2().removeprefix("energy."): k.c2_label
    for k in vocabulary.source_kinds().values()
    if k.c2_row.startswith("energy.") and "{" not in k.c2_row and "fossil" not in k.c2_row
}
ZERO_COUNT = Amount(0.0, "", "0")


@dataclass(frozen=True, slots=True)
class Term:
    """One call of an equation for one source row."""

    source: int
    equation: Callable[..., Any]
    amounts: tuple[tuple[str, Amount | None], ...]
    constants: tuple[tuple[str, Any], ...] = ()
    formula: str = ""

    def signature(self) -> tuple[Any, ...]:
        units = tuple((name, None if a is None else a.unit) for name, a in self.amounts)
        return (self.equation, units, self.constants)


@dataclass
class SourceResult:
    """What one source row contributes: tonnes of each gas and tCO2e (reductions positive)."""

    index: int
    period: str
    kind: str
    enterprise: str | None
    industry: str
    group: str
    domain: str  # energy, process, waste or reductions
    c2_row: str
    gases: dict[str, float] = field(default_factory=dict)
    co2e: float = 0.0
    defaults: list[FactorUse] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)

    @property
    def signed(self) -> float:
        """Contribution to the total: reductions count negative."""
        return -self.co2e if self.domain == "reductions" else self.co2e


@dataclass
class ParkResult:
    report: ParkReport
    ledger: Ledger
    periods: list[str]
    sources: list[SourceResult]
    groups: dict[str, str]  # industry -> group
    locate: Locate | None = None
    analysis: Any = None  # calc.park_analysis.ParkAnalysis, set by calc.pipeline.compute
    _by_index: dict[int, SourceResult] | None = field(default=None, repr=False)

    def source(self, index: int) -> SourceResult:
        """The result of the report's source row ``index``."""
        if self._by_index is None:
            self._by_index = {s.index: s for s in self.sources}
        return self._by_index[index]

    def period_sources(self, period: str) -> list[SourceResult]:
        return [s for s in self.sources if s.period == period]


# ---- 1. cross-references -------------------------------------------------------------------------


def periods(report: ParkReport) -> list[str]:
    """History years, then each planning year under each scenario (baseline first)."""
    baseline = report.baseline
    scenarios = (
        [] if baseline is None else [baseline, *(s for s in report.scenarios if s != baseline)]
    )
    return [str(y) for y in report.history] + [
        period_key(y, s) for y in report.planning for s in scenarios
    ]


def _unique(names: Iterable[str], what: str, path: str, locate: Locate) -> list[InputError]:
    seen: set[str] = set()
    errors = []
    for index, name in enumerate(names):
        if name in seen:
            errors.append(
                InputError(
                    f"{what} “{name}” 重复声明", f"{what}名称须唯一", locate((path, index, "name"))
                )
            )
        seen.add(name)
    return errors


def _period_errors(
    year: int, scenario: str | None, report: ParkReport, where: tuple[Key, ...], locate: Locate
) -> list[InputError]:
    if year in report.history:
        if scenario is not None:
            return [
                InputError(
                    f"现状年 {year} 不应指定情景 “{scenario}”",
                    "情景只用于规划年；删去 scenario",
                    locate((*where, "scenario")),
                )
            ]
        return []
    if year in report.planning:
        if scenario is None:
            return [
                InputError(
                    f"规划年 {year} 的数据须指明情景 scenario",
                    f"可选：{'、'.join(report.scenarios)}",
                    locate(where),
                )
            ]
        if scenario not in report.scenarios:
            return [
                InputError(
                    f"情景 “{scenario}” 未在 scenarios 中声明",
                    f"可选：{'、'.join(report.scenarios)}",
                    locate((*where, "scenario")),
                )
            ]
        return []
    return [
        InputError(
            f"年份 {year} 既不是现状年也不是规划年",
            f"现状年：{report.history}；规划年：{report.planning}；或把该年加入 history/planning",
            locate((*where, "period")),
        )
    ]


def cross_check(report: ParkReport, locate: Locate) -> list[InputError]:
    """Every name, period and scenario a row uses is declared (one error per problem)."""
    errors = _unique((i.name for i in report.industries), "行业", "industries", locate)
    errors += _unique((e.name for e in report.enterprises), "企业", "enterprises", locate)
    industries = [i.name for i in report.industries]
    enterprises = [e.name for e in report.enterprises]
    industry_set, enterprise_set = set(industries), set(enterprises)  # look-ups, per source row

    def unknown(kind: str, name: str, known: list[str], where: tuple[Key, ...]) -> InputError:
        near = closest(name, known)
        return InputError(
            f"{kind} “{name}” 未声明",
            (f"是否为 {'、'.join(near)}？" if near else "")
            + f"请先在 {'industries' if kind == '行业' else 'enterprises'} 中声明",
            locate(where),
        )

    for index, enterprise in enumerate(report.enterprises):
        if enterprise.industry not in industry_set:
            errors.append(
                unknown("行业", enterprise.industry, industries, ("enterprises", index, "industry"))
            )
    given: set[tuple[int, str | None, str]] = set()
    for index, row in enumerate(report.economy):
        where: tuple[Key, ...] = ("economy", index)
        if (row.period, row.scenario, row.industry) in given:
            scenario = f" {row.scenario}" if row.scenario else ""
            errors.append(
                InputError(
                    f"{row.period}{scenario} {row.industry} 的经济数据重复给出",
                    "每个时期（规划年按情景）每个行业只写一行",
                    locate(where),
                )
            )
        given.add((row.period, row.scenario, row.industry))
        if row.industry not in industry_set:
            errors.append(unknown("行业", row.industry, industries, (*where, "industry")))
        if row.scenario is None and row.period in report.planning:
            continue  # a planning-year row without scenario applies to every scenario
        errors += _period_errors(row.period, row.scenario, report, where, locate)
    for index, source in enumerate(report.sources):
        where = ("sources", index)
        if source.enterprise is not None and source.enterprise not in enterprise_set:
            errors.append(unknown("企业", source.enterprise, enterprises, (*where, "enterprise")))
        if source.industry is not None and source.industry not in industry_set:
            errors.append(unknown("行业", source.industry, industries, (*where, "industry")))
        errors += _period_errors(source.period, source.scenario, report, where, locate)
    return errors


# ---- 2. terms ------------------------------------------------------------------------------


class _Defaults:
    """Parameters a source leaves out, from the report's factor set (recorded, never silent)."""

    def __init__(self, library: FactorLibrary, set_name: str, locate: Locate) -> None:
        self.library = library
        self.set_name = set_name
        self.locate = locate

    def get(
        self,
        item: str,
        parameter: str,
        label: str,
        where: tuple[Key, ...],
        used: list[FactorUse],
        qualifier: str = "",
    ) -> Amount | None:
        factor = self.library.find(self.set_name, item, parameter, qualifier)
        if factor is None:
            return None
        if not factor.verified:
            raise FactorError(
                f"因子集 {self.set_name} 中 “{item}” 的{label}未经核实（UNVERIFIED），"
                "不能作为缺省值",
                f"请在本行给出 {parameter} 并注明来源",
                self.locate(where),
            )
        used.append(FactorUse(label, factor.value.text, factor.citation(), factor.grade, True))
        return factor.value

    def require(
        self, item: str, parameter: str, label: str, where: tuple[Key, ...], used: list[FactorUse]
    ) -> Amount:
        value = self.get(item, parameter, label, where, used)
        if value is None:
            known = self.library.items(self.set_name, parameter)
            near = closest(item, known)
            raise FactorError(
                f"燃料 “{item}” 在因子集 {self.set_name} 中没有{label}（{parameter}），"
                "而本行也未给出",
                f"在本行写明 {parameter}"
                + (f"；或检查燃料名称，是否为 {'、'.join(near)}？" if near else ""),
                self.locate(where),
            )
        return value


def _lhv(
    row: Combustion | BoilerN2O | Mobile | Biomass,
    defaults: _Defaults,
    where: tuple[Key, ...],
    used: list[FactorUse],
) -> Amount | None:
    if row.lhv is not None or _is_energy(row.amount):
        return row.lhv
    lhv = defaults.require(row.fuel, "lhv", "低位发热量", (*where, "fuel"), used)
    from tanping.units import dimensionality

    if dimensionality(row.amount.unit) * dimensionality(lhv.unit) != dimensionality("GJ"):
        raise InputError(
            f"amount “{row.amount.text}” 与因子集中 “{row.fuel}” 的低位发热量 {lhv.text} 不配套",
            "气体燃料请以 万Nm3 计，固体和液体燃料以 t 计；或在本行给出 lhv",
            defaults.locate((*where, "amount")),
        )
    return lhv


def _is_energy(amount: Amount) -> bool:
    from tanping.units import dimensionality

    return dimensionality(amount.unit) == dimensionality("GJ")


def _fossil_co2_from_carbon(amount: Any, lhv: Any, carbon_content: Any, oxidation: Any) -> Any:
    return eq.fossil_fuel_co2(amount, lhv, eq.co2_factor_from_carbon(carbon_content, oxidation))


def _wastewater_ch4_from_bo(tow: Any, sludge: Any, bo: Any, mcf: Any, recovered: Any) -> Any:
    return eq.wastewater_ch4(tow, sludge, eq.wastewater_ef(bo, mcf), recovered)


def _reduction_amount(amount: Any) -> Any:
    return amount


def _combustion_terms(
    i: int, row: Combustion, defaults: _Defaults, where: tuple[Key, ...], used: list[FactorUse]
) -> list[Term]:
    lhv = _lhv(row, defaults, where, used)
    base = (("amount", row.amount), ("lhv", lhv))
    if row.ef_co2 is not None:
        return [
            Term(
                i,
                eq.fossil_fuel_co2,
                (*base, ("ef_co2", row.ef_co2)),
                formula="燃料量 × 低位发热量 × CO2 排放因子",
            )
        ]
    carbon, oxidation = row.carbon_content, row.oxidation
    if carbon is None:
        ef = defaults.get(row.fuel, "ef_co2", "CO2 排放因子", (*where, "fuel"), used)
        if ef is not None:
            return [
                Term(
                    i,
                    eq.fossil_fuel_co2,
                    (*base, ("ef_co2", ef)),
                    formula="燃料量 × 低位发热量 × CO2 排放因子",
                )
            ]
        carbon = defaults.require(
            row.fuel, "carbon_content", "单位热值含碳量", (*where, "fuel"), used
        )
    if oxidation is None:
        oxidation = defaults.require(row.fuel, "oxidation", "碳氧化率", (*where, "fuel"), used)
    return [
        Term(
            i,
            _fossil_co2_from_carbon,
            (*base, ("carbon_content", carbon), ("oxidation", oxidation)),
            formula="燃料量 × 低位发热量 × 单位热值含碳量 × 碳氧化率 × 44/12",
        )
    ]


ProcessBuilder = Callable[[int, Any], list[Term]]
#: process type -> the equation terms of one process row (the types of calc/data/park_sources.yml)
PROCESS_BUILDERS: dict[str, ProcessBuilder] = {}


def _process(*types: str) -> Callable[[ProcessBuilder], ProcessBuilder]:
    """Register the term builder of one or more process types."""

    def register(builder: ProcessBuilder) -> ProcessBuilder:
        for name in types:
            PROCESS_BUILDERS[name] = builder
        return builder

    return register


@_process("cement")
def _cement_terms(i: int, p: Cement) -> list[Term]:
    return [
        Term(
            i,
            eq.cement_co2,
            (
                ("clinker", p.clinker),
                ("carbide_slag_clinker", p.carbide_slag_clinker),
                ("ef", p.ef),
            ),
            formula="(熟料产量 − 电石渣熟料产量) × 排放因子",
        )
    ]


@_process("lime", "calcium_carbide")
def _production_co2_terms(i: int, p: Lime | CalciumCarbide) -> list[Term]:
    return [
        Term(
            i,
            eq.production_co2,
            (("production", p.production), ("ef", p.ef)),
            formula="产量 × 排放因子",
        )
    ]


STEEL_PARAMETERS = (
    "limestone",
    "ef_limestone",
    "dolomite",
    "ef_dolomite",
    "pig_iron",
    "pig_iron_carbon",
    "crude_steel",
    "crude_steel_carbon",
)


@_process("steel")
def _steel_terms(i: int, p: Steel) -> list[Term]:
    return [
        Term(
            i,
            eq.steel_co2,
            tuple((n, getattr(p, n)) for n in STEEL_PARAMETERS),
            formula="石灰石 × EF + 白云石 × EF + (生铁 × 含碳率 − 粗钢 × 含碳率) × 44/12",
        )
    ]


@_process("adipic_acid", "hcfc22")
def _production_emission_terms(i: int, p: AdipicAcid | Hcfc22) -> list[Term]:
    return [
        Term(
            i,
            eq.production_emission,
            (("production", p.production), ("ef", p.ef)),
            formula="产量 × 排放因子",
        )
    ]


@_process("nitric_acid", "magnesium")
def _per_technology_terms(i: int, p: NitricAcid | Magnesium) -> list[Term]:
    production: Mapping[Any, Amount] = p.production
    factors: Mapping[Any, Amount] = p.ef
    return [
        Term(
            i,
            eq.production_emission,
            (("production", production[k]), ("ef", factors[k])),
            (("technology", k),),
            formula=f"{k}产量 × 排放因子",
        )
        for k in p.production
    ]


@_process("aluminium")
def _aluminium_terms(i: int, p: Aluminium) -> list[Term]:
    return [
        Term(
            i,
            eq.production_emission,
            (("production", p.production[k]), ("ef", ef[k])),
            (("technology", k), ("gas", gas)),
            formula=f"{k}产量 × {gas} 排放因子",
        )
        for k in p.production
        for gas, ef in (("CF4", p.ef_cf4), ("C2F6", p.ef_c2f6))
    ]


@_process("electrical_equipment")
def _electrical_equipment_terms(i: int, p: ElectricalEquipment) -> list[Term]:
    return [
        Term(
            i,
            eq.gas_use_emission,
            (("use", p.sf6_use), ("ef", p.ef)),
            (("gas", "SF6"),),
            formula="SF6 使用量 × 排放率",
        )
    ]


@_process("semiconductor", "hfc_production")
def _gas_use_terms(i: int, p: Semiconductor | HfcProduction) -> list[Term]:
    # gases used (semiconductor) or produced (HFC production), each partly emitted
    rows: list[tuple[str, Amount, Amount, str]] = (
        [(name, g.use, g.ef, "使用量") for name, g in p.gases.items()]
        if isinstance(p, Semiconductor)
        else [(name, g.production, g.ef, "产量") for name, g in p.gases.items()]
    )
    return [
        Term(
            i,
            eq.gas_use_emission,
            (("use", amount), ("ef", ef)),
            (("gas", name),),
            formula=f"{name} {what} × 排放率",
        )
        for name, amount, ef, what in rows
    ]


@_process("flat_glass")
def _flat_glass_terms(i: int, p: FlatGlass) -> list[Term]:
    return [
        Term(
            i,
            eq.flat_glass_co2,
            (("mass", c.mass), ("ef", c.ef), ("calcination", c.calcination)),
            (("carbonate", name),),
            formula=f"{name}用量 × 排放因子 × 煅烧比例",
        )
        for name, c in p.carbonates.items()
    ]


Where = tuple[Key, ...]
SourceBuilder = Callable[[int, Any, _Defaults, Where, list[FactorUse]], list[Term]]
#: source type -> the equation terms of one row of that type (calc/data/park_sources.yml)
SOURCE_BUILDERS: dict[str, SourceBuilder] = {"combustion": _combustion_terms}


def _source(*kinds: str) -> Callable[[SourceBuilder], SourceBuilder]:
    """Register the term builder of one or more source types."""

    def register(builder: SourceBuilder) -> SourceBuilder:
        for kind in kinds:
            SOURCE_BUILDERS[kind] = builder
        return builder

    return register


@_source("boiler_n2o")
def _boiler_n2o_terms(
    i: int, row: BoilerN2O, defaults: _Defaults, where: Where, used: list[FactorUse]
) -> list[Term]:
    lhv = _lhv(row, defaults, where, used)
    return [
        Term(
            i,
            eq.boiler_n2o,
            (("amount", row.amount), ("lhv", lhv), ("ef_n2o", row.ef_n2o)),
            formula="燃料量 × 低位发热量 × N2O 排放因子",
        )
    ]


@_source("mobile", "biomass")
def _ch4_n2o_terms(
    i: int, row: Mobile | Biomass, defaults: _Defaults, where: Where, used: list[FactorUse]
) -> list[Term]:
    lhv = _lhv(row, defaults, where, used)
    ch4, n2o = (
        (eq.mobile_ch4, eq.mobile_n2o)
        if isinstance(row, Mobile)
        else (eq.biomass_ch4, eq.biomass_n2o)
    )
    base = (("amount", row.amount), ("lhv", lhv))
    return [
        Term(i, ch4, (*base, ("ef_ch4", row.ef_ch4)), formula="燃料量 × 低位发热量 × CH4 排放因子"),
        Term(i, n2o, (*base, ("ef_n2o", row.ef_n2o)), formula="燃料量 × 低位发热量 × N2O 排放因子"),
    ]


@_source("gas_fugitive")
def _gas_fugitive_terms(
    i: int, g: GasFugitive, defaults: _Defaults, where: Where, used: list[FactorUse]
) -> list[Term]:
    zero_ch4 = Amount(0.0, "tCH4", "0 tCH4")
    return [
        Term(
            i,
            eq.gas_system_fugitive_ch4,
            (
                ("boosting_stations", g.boosting_stations or ZERO_COUNT),
                ("ef_boosting", g.ef_boosting or zero_ch4),
                ("metering_stations", g.metering_stations or ZERO_COUNT),
                ("ef_metering", g.ef_metering or zero_ch4),
                ("check_valves", g.check_valves or ZERO_COUNT),
                ("ef_check_valve", g.ef_check_valve or zero_ch4),
                ("consumption", g.consumption or Amount(0.0, "万Nm3", "0 万Nm3")),
                ("ef_consumption", g.ef_consumption or Amount(0.0, "tCH4/万Nm3", "0 tCH4/万Nm3")),
            ),
            formula="增压站数 × EF + 计量站数 × EF + 逆止阀数 × EF + 天然气消费量 × EF",
        )
    ]


@_source("electricity")
def _electricity_terms(
    i: int, e: Electricity, defaults: _Defaults, where: Where, used: list[FactorUse]
) -> list[Term]:
    return [
        Term(
            i,
            eq.electricity_indirect_co2,
            (("imported", e.imported), ("exported", e.exported), ("factor", e.factor)),
            formula="(调入电量 − 调出电量) × 区域电网平均排放因子",
        )
    ]


@_source("process")
def _process_terms(
    i: int, p: Any, defaults: _Defaults, where: Where, used: list[FactorUse]
) -> list[Term]:
    return PROCESS_BUILDERS[p.type](i, p)


@_source("wastewater")
def _wastewater_terms(
    i: int, w: Wastewater, defaults: _Defaults, where: Where, used: list[FactorUse]
) -> list[Term]:
    if w.ef is not None:
        return [
            Term(
                i,
                eq.wastewater_ch4,
                (("tow", w.tow), ("sludge", w.sludge), ("ef", w.ef), ("recovered", w.recovered)),
                formula="(废水 COD 总量 − 污泥去除 COD) × 排放因子 − 甲烷回收量",
            )
        ]
    return [
        Term(
            i,
            _wastewater_ch4_from_bo,
            (
                ("tow", w.tow),
                ("sludge", w.sludge),
                ("bo", w.bo),
                ("mcf", w.mcf),
                ("recovered", w.recovered),
            ),
            formula="(废水 COD 总量 − 污泥去除 COD) × B0 × MCF − 甲烷回收量",
        )
    ]


@_source("reduction")
def _reduction_terms(
    i: int, r: Reduction, defaults: _Defaults, where: Where, used: list[FactorUse]
) -> list[Term]:
    if r.amount is not None:
        return [Term(i, _reduction_amount, (("amount", r.amount),), formula="减排量")]
    return [
        Term(
            i,
            eq.reduction_from_electricity,
            (("electricity", r.electricity), ("factor", r.factor)),
            formula="电量 × 电网排放因子",
        )
    ]


def terms(index: int, source: Source, defaults: _Defaults, used: list[FactorUse]) -> list[Term]:
    """The equation calls a source row stands for (its type's registered builder)."""
    where: Where = ("sources", index, source.kind)
    return SOURCE_BUILDERS[source.kind](index, getattr(source, source.kind), defaults, where, used)


# ---- 3. evaluation ----------------------------------------------------------------------------


def _magnitude(amount: Amount | None) -> float:
    assert amount is not None  # a None lhv has its own unit signature
    return amount.magnitude


@dataclass
class _Evaluated:
    source: int
    gas: str
    tonnes: float
    co2e: float


def evaluate(
    all_terms: list[Term], report: ParkReport, library: FactorLibrary, locate: Locate
) -> tuple[list[_Evaluated], list[InputError]]:
    """Evaluate terms grouped by equation and unit signature, on arrays."""
    groups: dict[tuple[Any, ...], list[Term]] = defaultdict(list)
    for term in all_terms:
        groups[term.signature()].append(term)
    out: list[_Evaluated] = []
    errors: list[InputError] = []
    gwp_cache: dict[str, pint.Quantity[Any]] = {}
    for (equation, units, constants), members in groups.items():
        arguments: dict[str, Any] = dict(constants)
        arguments.pop("technology", None)
        arguments.pop("carbonate", None)
        expected_gas = arguments.pop("gas", None) if equation is eq.production_emission else None
        for position, (name, unit) in enumerate(units):
            if unit is None:
                arguments[name] = None
                continue
            magnitudes = np.array(
                [_magnitude(m.amounts[position][1]) for m in members], dtype=np.float64
            )
            arguments[name] = Quantity(magnitudes, unit)
        first = members[0]
        try:
            result = equation(**arguments)
            gas = gas_of(result)
        except (pint.DimensionalityError, UnitError) as err:
            errors.append(
                InputError(
                    f"排放源的单位组合不能得到温室气体的质量（{err}）",
                    "检查本行各量的单位是否与公式相符",
                    locate(("sources", first.source)),
                )
            )
            continue
        if expected_gas is not None and gas != expected_gas:
            errors.append(
                InputError(
                    f"排放因子给出的是 {gas}，应为 {expected_gas}",
                    "",
                    locate(("sources", first.source)),
                )
            )
            continue
        if gas == "CO2e":
            tonnes = np.asarray(result.to(T).magnitude, dtype=float)
            co2e = tonnes
        else:
            if gas not in gwp_cache:
                try:
                    gwp_cache[gas] = gwp_factor(gas, report.gwp, library).value.quantity
                except GwpError as err:
                    for member in members:
                        named = dict(member.constants).get("gas")
                        where: tuple[Key, ...] = ("sources", member.source)
                        if named is not None:  # the gas is a key of the row: point at it
                            where = (*where, "process", "gases", named)
                        errors.append(GwpError(err.problem, err.hint, locate(where)))
                    continue
            tonnes = np.asarray(result.to(GASES[gas]).magnitude, dtype=float)
            co2e = np.asarray((result.to(GASES[gas]) * gwp_cache[gas]).to(T).magnitude, dtype=float)
        tonnes = np.broadcast_to(tonnes, (len(members),))
        co2e = np.broadcast_to(co2e, (len(members),))
        for member, t, c in zip(members, tonnes.tolist(), co2e.tolist(), strict=True):
            out.append(_Evaluated(member.source, gas, t, c))
    return out, errors


# ---- 4. aggregation -----------------------------------------------------------------------------


def _c2_row(source: Source, group: str) -> str:
    body = getattr(source, source.kind)
    sector = getattr(body, "sector", None)
    return vocabulary.source_kinds()[source.kind].c2(sector=sector, group=group)


def _domain(source: Source) -> str:
    return vocabulary.source_kinds()[source.kind].domain


def _sum_derivation(label: str, parts: Sequence[str]) -> Derivation:
    return Derivation(" + ".join(f"{{{p}}}" for p in parts), parts=tuple(parts), note=label)


def _total_derivation(parts: tuple[str, ...]) -> Derivation:
    """AE总 = energy + process + waste − reductions (A.1), over four ledger keys."""
    energy, process, waste, reductions = (f"{{{p}}}" for p in parts)
    return Derivation(f"{energy} + {process} + {waste} − {reductions}", parts=parts)


def aggregate(report: ParkReport, result: ParkResult) -> None:
    """Tables C.1 and C.2, enterprises, industries and gases of every period into the ledger.

    One pass over the sources fills the sums (and counts) of every row; the ledger is then
    written period by period, totals from the unrounded row sums.
    """
    sums: dict[tuple[str, ...], float] = defaultdict(float)
    members: dict[tuple[str, ...], list[int]] = defaultdict(list)
    gases: dict[tuple[str, str], float] = defaultdict(float)
    for s in result.sources:
        p = s.period
        cells: list[tuple[str, ...]] = [(p, "ent", s.enterprise or ""), (p, "ind", s.industry)]
        if s.domain == "reductions":
            cells.append((p, "reductions"))
        else:
            row = "key" if s.group in KEY_GROUPS else "other"
            cells += [(p, "c1", row, s.domain), (p, "c2", s.c2_row)]
            for gas, tonnes in s.gases.items():
                gases[(p, gas)] += tonnes
        for cell in cells:
            sums[cell] += s.signed if cell[1] in ("ent", "ind") else s.co2e
            members[cell].append(s.index)
    ledger = result.ledger

    def add_sum(key: str, cell: tuple[str, ...], label: str, what: str) -> None:
        ledger.add(
            key,
            sums.get(cell, 0.0),
            T,
            label,
            Derivation(
                f"Σ {what}",
                note=f"{len(members.get(cell, ()))} 项排放源",
                sources=tuple(members.get(cell, ())),
            ),
        )

    def add_total(key: str, parts: Sequence[str], label: str) -> None:
        ledger.add(key, sum(ledger.value(k) for k in parts), T, label, _sum_derivation("", parts))

    for p in result.periods:
        when = period_label(p, report.scenarios)  # the period as a reader sees it
        # C.1
        for row, name in (("key", "重点行业"), ("other", "其他行业")):
            for domain in DOMAINS:
                add_sum(
                    f"c1.{p}.{row}.{domain}",
                    (p, "c1", row, domain),
                    f"{when} {name}{DOMAIN_LABELS[domain]}",
                    f"{name}{DOMAIN_LABELS[domain]}排放",
                )
            add_total(
                f"c1.{p}.{row}.subtotal",
                [f"c1.{p}.{row}.{d}" for d in DOMAINS],
                f"{when} {name}小计",
            )
        for domain in DOMAINS:
            add_total(
                f"c1.{p}.park.{domain}",
                [f"c1.{p}.key.{domain}", f"c1.{p}.other.{domain}"],
                f"{when} 产业园区{DOMAIN_LABELS[domain]}",
            )
        add_sum(
            f"c1.{p}.park.reductions",
            (p, "reductions"),
            f"{when} 产业园区减排量（AE削减）",
            "减排量",
        )
        c1_parts = tuple(f"c1.{p}.park.{d}" for d in (*DOMAINS, "reductions"))
        energy, process, waste, reductions = (Quantity(ledger.value(k), T) for k in c1_parts)
        total = eq.total_emissions(energy, process, waste, reductions)
        ledger.add(
            f"c1.{p}.park.total",
            float(total.to(T).magnitude),
            T,
            f"{when} 产业园区温室气体排放总计",
            _total_derivation(c1_parts),
        )
        # C.2
        for sector in SECTORS:
            label = SECTOR_LABELS[sector]
            add_sum(
                f"c2.{p}.energy.fossil.{sector}",
                (p, "c2", f"energy.fossil.{sector}"),
                f"{when} 化石燃料 {label}",
                f"{label}化石燃料排放",
            )
        add_total(
            f"c2.{p}.energy.fossil.subtotal",
            [f"c2.{p}.energy.fossil.{x}" for x in SECTORS],
            f"{when} 化石燃料小计",
        )
        for row, label in ENERGY_ROWS.items():
            add_sum(f"c2.{p}.energy.{row}", (p, "c2", f"energy.{row}"), f"{when} {label}", label)
        add_total(
            f"c2.{p}.energy.subtotal",
            [f"c2.{p}.energy.{x}" for x in ("fossil.subtotal", *ENERGY_ROWS)],
            f"{when} 能源活动合计",
        )
        for group in GROUPS:
            label = GROUP_LABELS[group]
            add_sum(
                f"c2.{p}.process.{group}",
                (p, "c2", f"process.{group}"),
                f"{when} 工业生产过程 {label}",
                f"{label}工业生产过程排放",
            )
        add_total(
            f"c2.{p}.process.subtotal",
            [f"c2.{p}.process.{g}" for g in GROUPS],
            f"{when} 工业生产过程小计",
        )
        add_sum(
            f"c2.{p}.waste.wastewater",
            (p, "c2", "waste.wastewater"),
            f"{when} 废水处理",
            "废水处理排放",
        )
        add_sum(f"c2.{p}.reductions", (p, "reductions"), f"{when} 减排量（AE削减）", "减排量")
        c2_parts = (
            f"c2.{p}.energy.subtotal",
            f"c2.{p}.process.subtotal",
            f"c2.{p}.waste.wastewater",
            f"c2.{p}.reductions",
        )
        energy, process, waste, reductions = (Quantity(ledger.value(k), T) for k in c2_parts)
        total = eq.total_emissions(energy, process, waste, reductions)
        ledger.add(
            f"c2.{p}.total",
            float(total.to(T).magnitude),
            T,
            f"{when} 总排放量",
            _total_derivation(c2_parts),
        )
        # enterprises, industries, gases
        for enterprise in report.enterprises:
            add_sum(
                f"ent.{p}.{enterprise.name}",
                (p, "ent", enterprise.name),
                f"{when} {enterprise.name} 温室气体排放量（扣除自身减排量）",
                f"{enterprise.name}各排放源 − 减排量",
            )
        for industry in report.industries:
            add_sum(
                f"ind.{p}.{industry.name}",
                (p, "ind", industry.name),
                f"{when} {industry.name} 温室气体排放量（扣除自身减排量）",
                f"{industry.name}各排放源 − 减排量",
            )
        for gas in sorted((g for q, g in gases if q == p), key=lambda g: (_gas_order(g), g)):
            ledger.add(
                f"gas.{p}.{gas}",
                gases[(p, gas)],
                GASES.get(gas, T),
                f"{when} {gas} 排放量（气体质量）",
            )


def _gas_order(gas: str) -> int:
    order = list(GASES)
    return order.index(gas) if gas in order else len(order)


def economy(report: ParkReport) -> dict[tuple[str, str], EconomyRow]:
    """The economy row of each (period key, industry): a planning-year row without scenario
    applies to every scenario that has no row of its own."""
    rows: dict[tuple[str, str], EconomyRow] = {}
    general: list[EconomyRow] = []
    for row in report.economy:
        if row.period in report.planning and row.scenario is None:
            general.append(row)
        else:
            rows.setdefault((period_key(row.period, row.scenario), row.industry), row)
    for row in general:
        for scenario in report.scenarios:
            rows.setdefault((period_key(row.period, scenario), row.industry), row)
    return rows


def indicators(report: ParkReport, result: ParkResult, locate: Locate) -> list[InputError]:
    """Performance indicators per industry and period, and decline rates against the base year."""
    errors: list[InputError] = []
    ledger = result.ledger
    rows = economy(report)
    position = {id(row): index for index, row in enumerate(report.economy)}
    base = str(report.history[-1])
    for industry in report.industries:
        product_unit: str | None = None
        for period in result.periods:
            when = period_label(period, report.scenarios)
            row = rows.get((period, industry.name))
            if row is None:
                continue
            emissions = ledger.value(f"ind.{period}.{industry.name}")
            for indicator, (label, unit) in INDICATORS.items():
                amount: Amount | None = getattr(row, ECONOMY_FIELDS[indicator])
                if amount is None:
                    continue
                if indicator == "product":
                    if product_unit is None:
                        product_unit = _per_unit(amount.unit)
                    try:
                        denominator = amount.to(product_unit)
                    except UnitError as err:
                        errors.append(
                            InputError(
                                err.problem,
                                err.hint,
                                locate(("economy", position[id(row)], "product")),
                            )
                        )
                        continue
                    unit = f"tCO2e/{product_unit}"
                else:
                    denominator = amount.to(unit.partition("/")[2])  # type: ignore[union-attr]
                if denominator <= 0:
                    continue
                ledger.add(
                    f"perf.{period}.{industry.name}.{indicator}",
                    emissions / denominator,
                    unit,  # type: ignore[arg-type]
                    f"{when} {industry.name} {label}",
                    Derivation(
                        f"{{ind.{period}.{industry.name}}} ÷ {amount.text}",
                        parts=(f"ind.{period}.{industry.name}",),
                    ),
                )
    for industry in report.industries:
        for indicator in INDICATORS:
            base_key = f"perf.{base}.{industry.name}.{indicator}"
            if base_key not in ledger or ledger.value(base_key) <= 0:
                continue  # no decline from a zero base: the target check says 无法评价
            for period in result.periods:
                when = period_label(period, report.scenarios)
                key = f"perf.{period}.{industry.name}.{indicator}"
                if period == base or key not in ledger:
                    continue
                base_value, value = ledger.value(base_key), ledger.value(key)
                ledger.add(
                    f"{key}.decline_pct",
                    (base_value - value) / base_value * 100,
                    "%",
                    f"{when} {industry.name} {INDICATORS[indicator][0]}下降率（较 {base} 年）",
                    Derivation(
                        f"({{{base_key}}} − {{{key}}}) ÷ {{{base_key}}} × 100 %",
                        parts=(base_key, key),
                    ),
                )
    return errors


def _per_unit(unit: str) -> str:
    """The unit a product indicator is expressed per: the product's unit without 万/亿."""
    stripped = unit.removeprefix("万").removeprefix("亿")
    return stripped or unit


# ---- physical bounds -----------------------------------------------------------------------------

#: Source types that are not a release: electricity is net of export (negative by definition when
#: a row exports more than it imports), a reduction subtracts.
NOT_RELEASES = ("electricity", "reduction")


def _row(locate: Locate, index: int) -> str:
    """A source row as a message names it: its line in the report."""
    line = locate(("sources", index)).line
    return f"第 {line} 行" if line is not None else f"sources[{index}]"


def _tolerance(*values: float) -> float:
    """What a float sum may be off by: a comparison of totals ignores less than this."""
    return 1e-9 * max(1.0, *(abs(v) for v in values))


def _factor_values(model: Any, path: str) -> Iterator[tuple[tuple[Key, ...], str | None, Amount]]:
    """The factors at ``path`` of a process row, maps walked key by key: (field path under the
    process, map key, value). A factor the report did not write (a default) is not checked."""
    head, _, rest = path.partition(".")
    if head not in model.model_fields_set:
        return
    value = getattr(model, head)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if rest:
                for loc, _, amount in _factor_values(item, rest):
                    yield (head, key, *loc), str(key), amount
            else:
                yield (head, key), str(key), item
    elif rest:
        for loc, key, amount in _factor_values(value, rest):
            yield (head, *loc), key, amount
    else:
        yield (head,), None, value


def _times(ratio: float) -> str:
    if ratio <= 0:
        return "0 倍"
    return f"1/{1 / ratio:.4g}" if ratio < 1 else f"{ratio:.4g} 倍"


def _band_text(band: ProcessBand) -> str:
    if band.low is None:
        return f"不超过其 {band.high:g} 倍"
    if band.high is None:
        return f"不低于其 1/{1 / band.low:g}"
    return f"其 1/{1 / band.low:g} 至 {band.high:g} 倍"


def _swapped_unit(unit: str) -> str:
    """The unit with kg and t swapped (``kgCO2/t`` -> ``tCO2/t``), or "" if it has neither."""
    if unit.startswith("kg"):
        return "t" + unit[2:]
    if unit.startswith("t"):
        return "kg" + unit[1:]
    return ""


def _slip_hint(amount: Amount, inside: Callable[[Amount], bool]) -> str:
    """How the value reads with kg and t swapped in its unit, said only if that is plausible."""
    swapped = _swapped_unit(amount.unit)
    if not swapped:
        return "检查数值与单位：kg 与 t 相差 1000 倍"
    text = (
        amount.text.replace(amount.unit, swapped)
        if amount.unit in amount.text
        else f"{amount.magnitude:g} {swapped}"
    )
    hint = f"检查数值与单位：{amount.unit} 与 {swapped} 相差 1000 倍"
    try:
        plausible = inside(Amount(amount.magnitude, swapped, text))
    except UnitError:
        plausible = False
    return hint + (f"（写作 “{text}” 则在范围内）" if plausible else "")


def _number(value: float) -> str:
    """A tonnage as a message shows it: thousands separated, at most two decimals."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _band_error(
    band: ProcessBand, library: FactorLibrary, key: str | None, amount: Amount
) -> tuple[str, str] | None:
    """problem and hint if ``amount`` lies outside ``band`` (None inside, or with nothing to
    compare with)."""
    named = f"{band.label}（{key}）" if key else band.label
    reference = band.reference(library, key)
    if reference is not None:
        unit = reference.value.unit
        if dimensionality(unit) != dimensionality(amount.unit) or reference.value.magnitude <= 0:
            return None

        def inside(candidate: Amount) -> bool:
            ratio = candidate.to(unit) / reference.value.magnitude
            return (band.low is None or ratio >= band.low) and (
                band.high is None or ratio <= band.high
            )

        if inside(amount):
            return None
        value = amount.to(unit)
        return (
            f"{named} “{amount.text}” 即 {value:.4g} {unit}，是因子库同类值 "
            f"{reference.value.text} 的 {_times(value / reference.value.magnitude)}，"
            f"超出合理范围（{_band_text(band)}），多半是单位写错",
            f"{_slip_hint(amount, inside)}；因子库值 {reference.value.text} 出自 "
            f"{reference.citation()}",
        )
    if band.generic is None:
        return None
    low, high = band.generic
    if dimensionality(low.unit) != dimensionality(amount.unit):
        return None

    def within(candidate: Amount) -> bool:
        return low.magnitude <= candidate.to(low.unit) <= high.magnitude

    if within(amount):
        return None
    return (
        f"{named} “{amount.text}” 超出 {low.text}–{high.text} 的物理范围，多半是单位写错",
        f"{_slip_hint(amount, within)}；碳酸盐排放因子是 CO2 占碳酸盐的质量分数，"
        "任何碳酸盐都在此范围内",
    )


def implausible_factors(
    report: ParkReport, library: FactorLibrary, locate: Locate
) -> list[InputError]:
    """Process factors far outside the band of the library's value for their item
    (``calc/factors/bands.yml``): the usual sign of a unit slip (kgCO2/t for tCO2/t)."""
    bands: dict[str, list[ProcessBand]] = defaultdict(list)
    for band in load_bands():
        bands[band.process].append(band)
    errors: list[InputError] = []
    for index, source in enumerate(report.sources):
        process = source.process
        if process is None:
            continue
        for band in bands.get(process.type, ()):
            for loc, key, amount in _factor_values(process, band.field):
                found = _band_error(band, library, key, amount)
                if found is not None:
                    problem, hint = found
                    errors.append(
                        InputError(problem, hint, locate(("sources", index, "process", *loc)))
                    )
    return errors


def _steel_balance_error(index: int, steel: Steel, locate: Locate) -> InputError | None:
    """The carbon balance of a steel row (A.3) is a release: refused below zero. The balance is
    the steel equation without its flux terms, (pig_iron × C_iron − crude_steel × C_steel) × 44/12.
    """
    no_flux, no_factor = Quantity(0.0, "t"), Quantity(0.0, "tCO2/t")
    balance = eq.steel_co2(
        no_flux,
        no_factor,
        no_flux,
        no_factor,
        steel.pig_iron.quantity,
        steel.pig_iron_carbon.quantity,
        steel.crude_steel.quantity,
        steel.crude_steel_carbon.quantity,
    )
    if float(balance.to("tCO2").magnitude) >= 0:
        return None
    charged = steel.pig_iron.to("t") * steel.pig_iron_carbon.to("")
    kept = steel.crude_steel.to("t") * steel.crude_steel_carbon.to("")
    return InputError(
        f"钢铁生产碳平衡为负：粗钢含碳 {steel.crude_steel.text} × {steel.crude_steel_carbon.text}"
        f" = {_number(kept)} tC 大于生铁含碳 {steel.pig_iron.text} × "
        f"{steel.pig_iron_carbon.text} = {_number(charged)} tC",
        "（生铁含碳 − 粗钢含碳）× 44/12 是炼钢脱碳放出的 CO2，不能为负：核对 pig_iron、"
        "crude_steel 的产量与含碳率（生铁约 4 %，粗钢通常低于 1 %）；以废钢为原料时，"
        "其含碳须计入生铁一侧",
        locate(("sources", index, "process", "crude_steel_carbon")),
    )


def negative_releases(
    report: ParkReport,
    results: Sequence[SourceResult],
    evaluated: Sequence[_Evaluated],
    locate: Locate,
) -> list[InputError]:
    """No release is below zero: the steel carbon balance of a process row, wastewater CH4 net
    of recovery, any gas of any source row but electricity (net of export) and reductions."""
    errors: list[InputError] = []
    for index, source in enumerate(report.sources):
        if isinstance(source.process, Steel):
            error = _steel_balance_error(index, source.process, locate)
            if error is not None:
                errors.append(error)
    kinds = {s.index: s.kind for s in results}
    reported: set[int] = set()
    for item in evaluated:
        kind = kinds[item.source]
        if kind in NOT_RELEASES or item.tonnes >= -_tolerance(item.tonnes):
            continue
        if item.source in reported:
            continue
        reported.add(item.source)
        if kind == "wastewater":
            errors.append(
                InputError(
                    "甲烷回收量大于废水处理产生的甲烷量，排放为负",
                    "检查 recovered、tow、sludge 与 ef：回收的甲烷不能多于 (tow − sludge) × ef",
                    locate(("sources", item.source, "wastewater", "recovered")),
                )
            )
        elif not isinstance(report.sources[item.source].process, Steel):
            errors.append(
                InputError(
                    f"{KIND_LABELS[kind]}的 {item.gas} 排放量为 {item.tonnes:.6g} t，低于零",
                    "排放源的排放量不能为负；请核对本行各量的数值与单位",
                    locate(("sources", item.source, kind)),
                )
            )
    return errors


def excessive_reductions(
    report: ParkReport, results: Sequence[SourceResult], locate: Locate
) -> list[InputError]:
    """A reduction (CCUS capture, by-product gas recovery, green power …) reduces emissions of
    its own enterprise, or of its industry where the row names an industry: the reductions of an
    owner in a period are at most that owner's emissions before reductions in that period."""
    gross: dict[tuple[str, str, str], float] = defaultdict(float)
    reduced: dict[tuple[str, str, str], float] = defaultdict(float)
    rows: dict[tuple[str, str, str], list[SourceResult]] = defaultdict(list)
    for s in results:
        if s.domain == "reductions":
            owner = ("企业", s.enterprise) if s.enterprise else ("行业", s.industry)
            reduced[(s.period, *owner)] += s.co2e
            rows[(s.period, *owner)].append(s)
            continue
        gross[(s.period, "行业", s.industry)] += s.co2e
        if s.enterprise:
            gross[(s.period, "企业", s.enterprise)] += s.co2e
    errors: list[InputError] = []
    for cell, amount in reduced.items():
        period, who, name = cell
        emitted = gross.get(cell, 0.0)
        if amount <= emitted + _tolerance(amount, emitted):
            continue
        largest = max(rows[cell], key=lambda s: s.co2e)
        reduction = report.sources[largest.index].reduction
        assert reduction is not None
        field_name = "amount" if reduction.amount is not None else "electricity"
        listed = "、".join(_row(locate, s.index) for s in rows[cell])
        errors.append(
            InputError(
                f"{period_label(period, report.scenarios)} {who}“{name}”的减排量 "
                f"{_number(amount)} tCO2e（{listed}）大于其同期"
                f"排放量 {_number(emitted)} tCO2e（未扣除减排量），扣减后排放为负",
                f"减排量（CCUS 捕集、副产气回收、绿电、自建光伏等）只能削减已核算的排放，不能超过"
                f"该{who}同期各排放源之和；请核对减排量的数值与单位（t 与 万t），"
                "或补全被削减的排放源",
                locate(("sources", largest.index, "reduction", field_name)),
            )
        )
    return errors


def _total_keys(report: ParkReport, p: str) -> list[tuple[str, str | None, str | None]]:
    """The totals of a period that cannot be negative: (ledger key, enterprise, industry) — the
    owner whose rows it sums, None for a park-wide row.

    Left out: the sums that hold net electricity and nothing else to outweigh it — the C.2 row
    of electricity and the energy columns (C.1 能源活动, C.2 能源活动合计). Net export makes them
    negative by the guideline's own definition (A.2, 调入（出）电力). Every other sum is either
    releases only or, once each industry is at least zero, at least zero itself."""
    keys: list[tuple[str, str | None, str | None]] = []
    for row in ("key", "other"):
        keys += [(f"c1.{p}.{row}.{x}", None, None) for x in ("process", "waste", "subtotal")]
    keys += [(f"c1.{p}.park.{x}", None, None) for x in ("process", "waste", "total")]
    keys += [(f"c2.{p}.energy.fossil.{x}", None, None) for x in (*SECTORS, "subtotal")]
    keys += [(f"c2.{p}.{x}", None, None) for x in ("process.subtotal", "total")]
    keys += [(f"c2.{p}.process.{g}", None, None) for g in GROUPS]
    keys += [(f"c2.{p}.waste.wastewater", None, None)]
    keys += [(f"ent.{p}.{e.name}", e.name, None) for e in report.enterprises]
    keys += [(f"ind.{p}.{i.name}", None, i.name) for i in report.industries]
    return keys


def negative_totals(result: ParkResult, locate: Locate) -> list[InputError]:
    """No total of tables C.1 and C.2, no enterprise and no industry is below zero (the rows
    that are net electricity may be, :func:`_total_keys`). One error per period, naming the
    totals and the rows that subtract (net export of electricity, reductions)."""
    ledger = result.ledger
    errors: list[InputError] = []
    for p in result.periods:
        sources = result.period_sources(p)
        scale = _tolerance(*(s.co2e for s in sources), sum(abs(s.co2e) for s in sources))
        negative = [
            (key, enterprise, industry)
            for key, enterprise, industry in _total_keys(result.report, p)
            if key in ledger and ledger.value(key) < -scale
        ]
        if not negative:
            continue
        subtracting = [
            s
            for s in sources
            if s.signed < 0
            and any(
                (e is None or s.enterprise == e) and (i is None or s.industry == i)
                for _, e, i in negative
            )
        ]
        named = "、".join(
            f"{ledger[k].label} {_number(ledger.value(k))} tCO2e" for k, _, _ in negative
        )
        rows = "、".join(
            f"{_row(locate, s.index)}（{KIND_LABELS[s.kind]} −{_number(-s.signed)} tCO2e）"
            for s in subtracting
        )
        worst = min(subtracting, key=lambda s: s.signed) if subtracting else None
        where: tuple[Key, ...] = ("sources", worst.index, worst.kind) if worst else ("sources",)
        errors.append(
            InputError(
                f"{period_label(p, result.report.scenarios)}的排放量为负：{named}"
                + (f"；使之为负的行：{rows}" if rows else ""),
                "排放总量不能为负：调出电量按电网排放因子抵扣、减排量扣减之后，仍须不超过同期"
                "排放；请核对 export、减排量的数值与单位",
                locate(where),
            )
        )
    return errors


# ---- the pipeline --------------------------------------------------------------------------------


def compute(report: ParkReport, library: FactorLibrary, locate: Locate) -> ParkResult:
    """Run every stage; :class:`ReportErrors` listing every problem found otherwise."""
    require_fuel_set(library, report.factors, lambda: locate(("factors",)))
    errors = cross_check(report, locate)
    errors += empty_periods(report, locate)
    errors += implausible_factors(report, library, locate)
    errors += implausible_values(report, library, locate)
    if errors:
        raise ReportErrors(errors)
    groups: dict[str, str] = {i.name: i.group for i in report.industries}
    enterprise_industry = {e.name: e.industry for e in report.enterprises}
    defaults = _Defaults(library, report.factors, locate)
    results: list[SourceResult] = []
    all_terms: list[Term] = []
    for index, source in enumerate(report.sources):
        industry = source.industry or enterprise_industry[source.enterprise]  # type: ignore[index]
        group = groups[industry]
        used: list[FactorUse] = []
        try:
            source_terms = terms(index, source, defaults, used)
        except InputError as err:
            errors.append(err)
            continue
        results.append(
            SourceResult(
                index,
                period_key(source.period, source.scenario),
                source.kind,
                source.enterprise,
                industry,
                group,
                _domain(source),
                _c2_row(source, group),
                defaults=used,
                terms=source_terms,
            )
        )
        all_terms += source_terms
    evaluated, eval_errors = evaluate(all_terms, report, library, locate)
    errors += eval_errors
    if errors:
        raise ReportErrors(errors)
    by_index = {s.index: s for s in results}
    for item in evaluated:
        target = by_index[item.source]
        target.gases[item.gas] = target.gases.get(item.gas, 0.0) + item.tonnes
        target.co2e += item.co2e
    errors += negative_releases(report, results, evaluated, locate)
    for s in results:
        if s.kind == "reduction" and s.co2e < 0:
            errors.append(
                InputError(
                    "减排量为负",
                    "减排量以正数填写，程序会从总量中扣减",
                    locate(("sources", s.index, "reduction")),
                )
            )
    if errors:
        raise ReportErrors(errors)
    errors += excessive_reductions(report, results, locate)
    if errors:
        raise ReportErrors(errors)
    result = ParkResult(report, Ledger(), periods(report), results, groups, locate)
    aggregate(report, result)
    errors += negative_totals(result, locate)
    if errors:
        raise ReportErrors(errors)
    errors += indicators(report, result, locate)
    if errors:
        raise ReportErrors(errors)
    return result


# ---- what one source row stands for (for derivations) --------------------------------------------


@dataclass(frozen=True)
class SourceDetail:
    """One source row as a derivation shows it: where, whose, what was computed from what."""

    index: int
    where: str
    owner: str
    kind: str
    terms: tuple[tuple[str, str], ...]  # (formula in words, the row's values as written)
    gases: dict[str, float]
    co2e: float
    reduction: bool
    defaults: tuple[FactorUse, ...]
    notes: tuple[str, ...] = ()  # the row's factor source and confirm: reason, as written


def describe_source(result: ParkResult, index: int) -> SourceDetail:
    """The derivation of one source row of ``result`` (values unrounded; templates round)."""
    source = result.source(index)
    row = result.report.sources[index]
    process = row.process.type if row.process is not None else None
    where = str(result.locate(("sources", index))) if result.locate else f"sources[{index}]"
    terms = tuple(
        (
            term.formula,
            "；".join(
                f"{vocabulary.parameter_label(source.kind, name, process)} {amount.text}"
                for name, amount in term.amounts
                if amount is not None and amount.text not in ("0", "0 t", "0 tCOD", "0 tCH4")
            ),
        )
        for term in source.terms
    )
    return SourceDetail(
        index,
        where,
        source.enterprise or source.industry,
        KIND_LABELS[source.kind]
        + (f"（{vocabulary.process_types()[process].label}）" if process else ""),
        terms,
        dict(source.gases),
        source.co2e,
        source.domain == "reductions",
        tuple(source.defaults),
        tuple(
            note
            for note in (
                f"因子来源：{row.source}" if row.source else "",
                f"超出常见范围，经确认：{row.confirm}" if row.confirm else "",
            )
            if note
        ),
    )

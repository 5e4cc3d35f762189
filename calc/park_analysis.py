"""Analyses of a computed industrial-park report for the chapters of the Chongqing guideline.

:mod:`calc.park` computes the inventories (tables C.1 and C.2), enterprise and industry emissions
and the performance indicators of every period. This module reads a
:class:`calc.park.ParkResult` and derives what chapters 6–12 discuss; each stage is one function
producing one named result, and every figure a chapter prints is added to the result's ledger
with its derivation (so the hover card and the 计算过程 appendix cover it too). Nothing here rounds.

Ledger keys added (``<p>`` a period key as in spec §6, ``<y>`` a planning year, ``<s>`` a scenario):

- ``ghg.<p>.<gas>`` tCO2e of each gas (tonnes × GWP of the report's set), ``ghg.<p>.HFCs``,
  ``ghg.<p>.PFCs`` and ``ghg.<p>.total`` (6.6, 8.1: the seven gases of clause 3.1);
- ``gross.<p>``: energy + process + waste before reductions (tCO2e);
- ``indd.<p>.<industry>.<energy|process|waste|reductions|gross>`` and ``grp.<p>.<group>`` (gross);
- ``share.<p>.<domain>``, ``share.<p>.ind.<industry>``, ``share.<p>.ent.<enterprise>`` (%);
- ``trend.<year>.yoy_pct`` (change of the total against the previous history year),
  ``trend.avg_pct`` (average annual change over the history years), ``change.<p>.total_pct``
  (change of the total against the base year);
- ``activity.<p>.<fuel_heat|electricity|wastewater_cod>`` (TJ, MWh, tCOD; 8.3 activity levels);
- ``econ.<p>.<output_value|value_added|energy_use>[.<industry>]`` (万元, 万元, tce: the economy
  inputs and their park sums) and ``share.<p>.econ.<field>.<industry>`` (%);
- ``share.<p>.gas.<CO2|CH4|N2O|HFCs|PFCs|SF6|NF3>`` (% of ``ghg.<p>.total``);
- ``parkperf.<p>.<output_value|value_added|energy>`` and ``….decline_pct`` (park-level
  indicators, where the economy rows cover every industry that emits in the period);
- ``potential.<y>.<s>.<industry>``, ``potential.<y>.<s>.total``, ``potential.<y>.<s>.pct``
  (reduction potential, baseline − scenario, 8.4.1).

Indicator targets (``targets:``, App. B) are checked by :func:`target_checks`; the report's measures
(``measures:``, App. D) are resolved against the catalogue by :func:`selected_measures`; the park
boundary (``boundary:``, a GeoJSON file beside ``report.yml``) is read by :func:`load_boundary`.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tanping.calc.catalogues import closest, measure_catalogue
from tanping.calc.coverage import comparable, gap_text
from tanping.calc.errors import InputError, Location, ReportErrors
from tanping.calc.factors import Factor, FactorLibrary
from tanping.calc.files import inside
from tanping.calc.gwp import gwp_factor
from tanping.calc.keys import period_key, period_label
from tanping.calc.ledger import Derivation, FactorUse, Ledger
from tanping.calc.models.park import ParkReport, Target
from tanping.calc.park import (
    DOMAIN_LABELS,
    DOMAINS,
    ECONOMY_FIELDS,
    GROUP_LABELS,
    GROUPS,
    INDICATORS,
    ParkResult,
    T,
    economy,
)
from tanping.calc.plausibility import intensity_slip
from tanping.units import GASES, Quantity, UnitError, conversion_factor

PCT = "%"

#: The seven gases (or gas families) of guideline clause 3.1, in the order of the clause.
GAS_CATEGORIES = ("CO2", "CH4", "N2O", "HFCs", "PFCs", "SF6", "NF3")
GAS_CATEGORY_LABELS = {
    "CO2": "二氧化碳（CO₂）",
    "CH4": "甲烷（CH₄）",
    "N2O": "氧化亚氮（N₂O）",
    "HFCs": "氢氟碳化物（HFCs）",
    "PFCs": "全氟化碳（PFCs）",
    "SF6": "六氟化硫（SF₆）",
    "NF3": "三氟化氮（NF₃）",
}
PFC_GASES = ("CF4", "C2F6")

#: Park-level indicators: those whose denominators add up across industries.
PARK_INDICATORS = ("output_value", "value_added", "energy")
ECONOMY_LABELS = {
    "output_value": ("工业总产值", "万元"),
    "value_added": ("工业增加值", "万元"),
    "energy_use": ("综合能耗", "tce"),
}

ACTIVITY_LABELS = {
    "fuel_heat": ("化石燃料消费量（以热值计）", "TJ"),
    "electricity": ("净调入电量", "MWh"),
    "wastewater_cod": ("工业废水可降解有机物总量（COD）", "tCOD"),
}


def gas_category(gas: str) -> str:
    """The clause-3.1 family of a gas: ``HFC-23``/``CHF3`` -> ``HFCs``, ``CF4`` -> ``PFCs``."""
    if gas.startswith("HFC-") or gas == "CHF3":
        return "HFCs"
    if gas in PFC_GASES:
        return "PFCs"
    if gas in GAS_CATEGORIES:
        return gas
    raise ValueError(f"gas {gas!r} is none of the seven greenhouse gases of clause 3.1")


def gas_label(gas: str) -> str:
    """A gas as printed in a member row: HFC-23 is trifluoromethane, CHF3."""
    return "HFC-23（CHF₃）" if gas in ("CHF3", "HFC-23") else gas


# ---- results -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GasMember:
    """One gas of a period: its mass (``gas.<p>.<gas>``), its GWP factor and its tCO2e key."""

    gas: str
    tonnes_key: str
    co2e_key: str
    gwp: Factor


@dataclass(frozen=True, slots=True)
class GasCategory:
    """One of the seven gases of clause 3.1 in one period; HFCs and PFCs list their members."""

    name: str
    members: tuple[GasMember, ...]
    co2e_key: str | None  # None when the period emits none of it


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """A declared indicator target against the computed indicator of one period.

    ``required`` is the target decline (%) or the limit in the indicator's unit; ``actual_key``
    the ledger key of the computed decline rate or intensity (None if it cannot be computed).
    ``met`` is None when the indicator cannot be computed (``reason`` says why).
    """

    index: int
    target: Target
    period: str
    industry: str | None
    indicator: str
    mode: Literal["decline_pct", "value"]
    required: float
    unit: str
    actual_key: str | None
    met: bool | None
    reason: str = ""

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "无法评价"
        return "达标" if self.met else "未达标"


@dataclass(frozen=True, slots=True)
class SelectedMeasure:
    """A measure the report selects: from the App. D catalogue (``id``) or its own."""

    id: str | None
    domain: str
    direction: str
    path: str
    text: str
    note: str = ""

    @property
    def own(self) -> bool:
        return self.id is None


@dataclass
class ParkAnalysis:
    """Everything the chapters read beyond the ledger of :mod:`calc.park`."""

    gases: dict[str, list[GasCategory]] = field(default_factory=dict)
    activities: list[str] = field(default_factory=list)  # activity kinds present in the report
    targets: list[TargetCheck] = field(default_factory=list)
    measures: list[SelectedMeasure] = field(default_factory=list)
    boundary: dict[str, Any] | None = None


# ---- helpers -------------------------------------------------------------------------------------


def _when(result: ParkResult, period: str) -> str:
    """A period as a reader sees it: ``2024年``, ``2030年基准情景``."""
    return period_label(period, result.report.scenarios)


def _sum(ledger: Ledger, key: str, parts: Sequence[str], unit: str, label: str) -> None:
    ledger.add(
        key,
        sum(ledger.value(p) for p in parts),
        unit,
        label,
        Derivation(" + ".join(f"{{{p}}}" for p in parts) or "0", parts=tuple(parts)),
    )


def _ratio_pct(ledger: Ledger, key: str, part: str, whole: str, label: str) -> None:
    """``part`` as a percentage of ``whole`` (skipped when the whole is not positive)."""
    total = ledger.value(whole)
    if total <= 0:
        return
    ledger.add(
        key,
        ledger.value(part) / total * 100,
        PCT,
        label,
        Derivation(f"{{{part}}} ÷ {{{whole}}} × 100 %", parts=(part, whole)),
    )


def _change_pct(ledger: Ledger, key: str, new: str, old: str, label: str) -> None:
    """(new − old) ÷ old × 100 (skipped when ``old`` is not positive)."""
    reference = ledger.value(old)
    if reference <= 0:
        return
    ledger.add(
        key,
        (ledger.value(new) - reference) / reference * 100,
        PCT,
        label,
        Derivation(f"({{{new}}} − {{{old}}}) ÷ {{{old}}} × 100 %", parts=(new, old)),
    )


def base_period(report: ParkReport) -> str:
    """The base year of decline rates: the last history year (spec §4)."""
    return str(report.history[-1])


def history_periods(report: ParkReport) -> list[str]:
    return [str(y) for y in report.history]


def scenario_order(report: ParkReport) -> list[str]:
    """The baseline first, then the other scenarios as declared (none without planning)."""
    baseline = report.baseline
    if baseline is None:
        return []
    return [baseline, *(s for s in report.scenarios if s != baseline)]


def controls(report: ParkReport) -> list[str]:
    """The control scenarios: every scenario but the baseline."""
    return [s for s in report.scenarios if s != report.baseline]


# ---- 1. gases ------------------------------------------------------------------------------------


def gas_inventory(result: ParkResult, library: FactorLibrary) -> dict[str, list[GasCategory]]:
    """Emissions of the seven gases of clause 3.1 per period, in tonnes and in tCO2e.

    ``ghg.<p>.<gas>`` = ``gas.<p>.<gas>`` × GWP (the report's set, 100-year); HFCs and PFCs are
    the sums of their members. The total equals C.1's energy + process + waste (reductions are not
    gases).
    """
    ledger = result.ledger
    gwp_set = result.report.gwp
    out: dict[str, list[GasCategory]] = {}
    for p in result.periods:
        members: dict[str, list[GasMember]] = defaultdict(list)
        for gas in GASES:
            tonnes_key = f"gas.{p}.{gas}"
            if tonnes_key not in ledger:
                continue
            factor = gwp_factor(gas, gwp_set, library)
            co2e_key = f"ghg.{p}.{gas}"
            value = (Quantity(ledger.value(tonnes_key), GASES[gas]) * factor.value.quantity).to(T)
            ledger.add(
                co2e_key,
                float(value.magnitude),
                T,
                f"{_when(result, p)} {gas_label(gas)} 排放量（以 CO2 当量计）",
                Derivation(
                    f"{{{tonnes_key}}} × GWP",
                    parts=(tonnes_key,),
                    factors=(
                        FactorUse(
                            f"{gas_label(gas)} 全球增温潜势（{gwp_set}，100 年）",
                            factor.value.text,
                            factor.citation(),
                            factor.grade,
                        ),
                    ),
                ),
            )
            members[gas_category(gas)].append(GasMember(gas, tonnes_key, co2e_key, factor))
        categories = []
        for name in GAS_CATEGORIES:
            found = tuple(members.get(name, ()))
            key: str | None = None
            if found and name in ("HFCs", "PFCs"):
                key = f"ghg.{p}.{name}"
                _sum(
                    ledger,
                    key,
                    [m.co2e_key for m in found],
                    T,
                    f"{_when(result, p)} {name} 排放量（以 CO2 当量计）",
                )
            elif found:
                key = found[0].co2e_key
            categories.append(GasCategory(name, found, key))
        total_key = f"ghg.{p}.total"
        _sum(
            ledger,
            f"ghg.{p}.total",
            [c.co2e_key for c in categories if c.co2e_key is not None],
            T,
            f"{_when(result, p)} 七种温室气体排放量合计（以 CO2 当量计）",
        )
        for category in categories:
            if category.co2e_key is not None:
                _ratio_pct(
                    ledger,
                    f"share.{p}.gas.{category.name}",
                    category.co2e_key,
                    total_key,
                    f"{_when(result, p)} {category.name} 排放量占比",
                )
        out[p] = categories
    return out


# ---- 2. structure --------------------------------------------------------------------------------


def structure(result: ParkResult) -> None:
    """Gross emissions and shares by domain, industry, industry group and enterprise (6.6.2).

    Gross = energy + process + waste, before reductions; an industry's shares are of the park's
    gross emissions, an enterprise's of the park total (both net of reductions, as ``ent.*``).
    """
    ledger = result.ledger
    report = result.report
    sums: dict[tuple[str, str, str], float] = defaultdict(float)
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for s in result.sources:
        sums[(s.period, s.industry, s.domain)] += s.co2e
        counts[(s.period, s.industry, s.domain)] += 1
    groups = result.groups
    for p in result.periods:
        _sum(
            ledger,
            f"gross.{p}",
            [f"c1.{p}.park.{d}" for d in DOMAINS],
            T,
            f"{_when(result, p)} 产业园区温室气体排放量（未扣除减排量）",
        )
        for d in DOMAINS:
            _ratio_pct(
                ledger,
                f"share.{p}.{d}",
                f"c1.{p}.park.{d}",
                f"gross.{p}",
                f"{_when(result, p)} {DOMAIN_LABELS[d]}排放占比",
            )
        for industry in report.industries:
            name = industry.name
            for d in (*DOMAINS, "reductions"):
                what = DOMAIN_LABELS.get(d, "减排量")
                ledger.add(
                    f"indd.{p}.{name}.{d}",
                    sums.get((p, name, d), 0.0),
                    T,
                    f"{_when(result, p)} {name} {what}",
                    Derivation(f"Σ {name}{what}", note=f"{counts.get((p, name, d), 0)} 项排放源"),
                )
            _sum(
                ledger,
                f"indd.{p}.{name}.gross",
                [f"indd.{p}.{name}.{d}" for d in DOMAINS],
                T,
                f"{_when(result, p)} {name} 温室气体排放量（未扣除减排量）",
            )
            _ratio_pct(
                ledger,
                f"share.{p}.ind.{name}",
                f"indd.{p}.{name}.gross",
                f"gross.{p}",
                f"{_when(result, p)} {name} 排放占比（未扣除减排量）",
            )
        for group in GROUPS:
            members = [i.name for i in report.industries if groups[i.name] == group]
            _sum(
                ledger,
                f"grp.{p}.{group}",
                [f"indd.{p}.{m}.gross" for m in members],
                T,
                f"{_when(result, p)} {GROUP_LABELS[group]}温室气体排放量（未扣除减排量）",
            )
        for enterprise in report.enterprises:
            _ratio_pct(
                ledger,
                f"share.{p}.ent.{enterprise.name}",
                f"ent.{p}.{enterprise.name}",
                f"c1.{p}.park.total",
                f"{_when(result, p)} {enterprise.name} 排放量占园区总排放量比例",
            )


# ---- 3. trend and change -------------------------------------------------------------------------


def trend(result: ParkResult) -> None:
    """Year-on-year change of the total over the history years, the average annual change, and
    the change of every other period against the base year (6.6.2, 8.4.1)."""
    ledger = result.ledger
    report = result.report
    years = report.history
    for previous, year in itertools.pairwise(years):
        _change_pct(
            ledger,
            f"trend.{year}.yoy_pct",
            f"c1.{year}.park.total",
            f"c1.{previous}.park.total",
            f"{year} 年排放总量较 {previous} 年变化率",
        )
    first, last = years[0], years[-1]
    start, end = ledger.value(f"c1.{first}.park.total"), ledger.value(f"c1.{last}.park.total")
    if last > first and start > 0 and end > 0:
        span = last - first
        ledger.add(
            "trend.avg_pct",
            ((end / start) ** (1 / span) - 1) * 100,
            PCT,
            f"{first}—{last} 年排放总量年均变化率",
            Derivation(
                f"(({{c1.{last}.park.total}} ÷ {{c1.{first}.park.total}})^(1/{span}) − 1) × 100 %",
                parts=(f"c1.{last}.park.total", f"c1.{first}.park.total"),
            ),
        )
    base = base_period(report)
    for p in result.periods:
        if p != base and comparable(report, p, base):
            _change_pct(
                ledger,
                f"change.{p}.total_pct",
                f"c1.{p}.park.total",
                f"c1.{base}.park.total",
                f"{_when(result, p)} 排放总量较基准年（{base}）变化率",
            )


# ---- 4. activity levels --------------------------------------------------------------------------


def activity(result: ParkResult) -> list[str]:
    """Activity levels of every period from the source rows (8.3): fossil fuel burned (TJ, the
    ``combustion`` rows: amount × lhv, lhv as used), net imported electricity (MWh) and the
    degradable organics of treated wastewater (tCOD). Returns the kinds present in the report."""
    ledger = result.ledger
    report = result.report
    sums: dict[tuple[str, str], float] = defaultdict(float)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    present: set[str] = set()
    for s in result.sources:
        source = report.sources[s.index]
        if source.combustion is not None:
            amounts = dict(s.terms[0].amounts)
            amount, lhv = amounts["amount"], amounts.get("lhv")
            assert amount is not None
            # magnitudes with a cached factor: a pint product per row would cost a second here
            heat = (
                amount.to("TJ")
                if lhv is None
                else (
                    amount.magnitude
                    * lhv.magnitude
                    * conversion_factor(f"{amount.unit}*{lhv.unit}", "TJ")
                )
            )
            sums[(s.period, "fuel_heat")] += heat
            counts[(s.period, "fuel_heat")] += 1
            present.add("fuel_heat")
        elif source.electricity is not None:
            e = source.electricity
            sums[(s.period, "electricity")] += e.imported.to("MWh") - e.exported.to("MWh")
            counts[(s.period, "electricity")] += 1
            present.add("electricity")
        elif source.wastewater is not None:
            sums[(s.period, "wastewater_cod")] += source.wastewater.tow.to("tCOD")
            counts[(s.period, "wastewater_cod")] += 1
            present.add("wastewater_cod")
    kinds = [k for k in ACTIVITY_LABELS if k in present]
    for p in result.periods:
        for kind in kinds:
            label, unit = ACTIVITY_LABELS[kind]
            ledger.add(
                f"activity.{p}.{kind}",
                sums.get((p, kind), 0.0),
                unit,
                f"{_when(result, p)} 产业园区{label}",
                Derivation(f"Σ {label}", note=f"{counts.get((p, kind), 0)} 项排放源"),
            )
    return kinds


# ---- 5. economy and park-level indicators --------------------------------------------------------


def economy_totals(result: ParkResult) -> None:
    """The economy rows of every period in the ledger (inputs, in 万元 and tce), their park sums
    and each industry's share (6.1 产业发展, 8.3 activity levels)."""
    ledger = result.ledger
    report = result.report
    rows = economy(report)
    for p in result.periods:
        for attribute, (label, unit) in ECONOMY_LABELS.items():
            parts = []
            for industry in report.industries:
                row = rows.get((p, industry.name))
                amount = getattr(row, attribute) if row is not None else None
                if amount is None:
                    continue
                key = f"econ.{p}.{attribute}.{industry.name}"
                ledger.add(
                    key,
                    amount.to(unit),
                    unit,
                    f"{_when(result, p)} {industry.name} {label}",
                    Derivation(amount.text, note="报告给出（economy）"),
                )
                parts.append(key)
            if not parts:
                continue
            total = f"econ.{p}.{attribute}"
            _sum(ledger, total, parts, unit, f"{_when(result, p)} 产业园区{label}（各行业合计）")
            for part in parts:
                industry_name = part.rsplit(".", 1)[1]
                _ratio_pct(
                    ledger,
                    f"share.{p}.econ.{attribute}.{industry_name}",
                    part,
                    total,
                    f"{_when(result, p)} {industry_name} {label}占比",
                )


def park_performance(result: ParkResult) -> None:
    """Park-level indicators (total ÷ Σ of the industries' output value, value added or energy
    use) where the economy rows of the period cover every industry that emits in it, and their
    decline rates against the base year."""
    ledger = result.ledger
    report = result.report
    rows = economy(report)
    emitting: dict[str, set[str]] = defaultdict(set)
    for s in result.sources:
        emitting[s.period].add(s.industry)
    for indicator in PARK_INDICATORS:
        label, unit = INDICATORS[indicator]
        assert unit is not None
        per = unit.partition("/")[2]
        attribute = ECONOMY_FIELDS[indicator]
        for p in result.periods:
            given = {
                name: getattr(row, attribute)
                for (q, name), row in rows.items()
                if q == p and getattr(row, attribute) is not None
            }
            if not given or not emitting[p] <= set(given):
                continue
            denominator = sum(amount.to(per) for amount in given.values())
            if denominator <= 0:
                continue
            ledger.add(
                f"parkperf.{p}.{indicator}",
                ledger.value(f"c1.{p}.park.total") / denominator,
                unit,
                f"{_when(result, p)} 产业园区{label}",
                Derivation(
                    f"{{c1.{p}.park.total}} ÷ ({' + '.join(a.text for a in given.values())})",
                    parts=(f"c1.{p}.park.total",),
                ),
            )
    base = base_period(report)
    for indicator in PARK_INDICATORS:
        base_key = f"parkperf.{base}.{indicator}"
        if base_key not in ledger or ledger.value(base_key) <= 0:
            continue  # no decline from a zero base: the target check says 无法评价
        for p in result.periods:
            key = f"parkperf.{p}.{indicator}"
            if p == base or key not in ledger or not comparable(report, p, base):
                continue  # not against a base year of other coverage: gap_text says why
            ledger.add(
                f"{key}.decline_pct",
                (ledger.value(base_key) - ledger.value(key)) / ledger.value(base_key) * 100,
                PCT,
                f"{_when(result, p)} 产业园区{INDICATORS[indicator][0]}下降率（较 {base} 年）",
                Derivation(
                    f"({{{base_key}}} − {{{key}}}) ÷ {{{base_key}}} × 100 %", parts=(base_key, key)
                ),
            )


# ---- 6. reduction potential ----------------------------------------------------------------------


def reduction_potential(result: ParkResult) -> None:
    """Reduction potential of every control scenario of every planning year (8.4.1): baseline −
    scenario, by industry (``ind.*``, net of own reductions) and for the park (C.1 totals)."""
    ledger = result.ledger
    report = result.report
    for year in report.planning:
        assert report.baseline is not None  # planning years come with scenarios
        baseline = period_key(year, report.baseline)
        for scenario in controls(report):
            p = period_key(year, scenario)
            name = report.scenarios[scenario]
            if not comparable(report, p, baseline):
                continue  # the scenarios cover different industries: gap_text says why
            for industry in report.industries:
                a, b = f"ind.{baseline}.{industry.name}", f"ind.{p}.{industry.name}"
                ledger.add(
                    f"potential.{year}.{scenario}.{industry.name}",
                    ledger.value(a) - ledger.value(b),
                    T,
                    f"{year} {industry.name} {name}减排潜力（基准情景 − {name}）",
                    Derivation(f"{{{a}}} − {{{b}}}", parts=(a, b)),
                )
            a, b = f"c1.{baseline}.park.total", f"c1.{p}.park.total"
            ledger.add(
                f"potential.{year}.{scenario}.total",
                ledger.value(a) - ledger.value(b),
                T,
                f"{year} 产业园区{name}减排潜力（基准情景 − {name}）",
                Derivation(f"{{{a}}} − {{{b}}}", parts=(a, b)),
            )
            _ratio_pct(
                ledger,
                f"potential.{year}.{scenario}.pct",
                f"potential.{year}.{scenario}.total",
                a,
                f"{year} 产业园区{name}减排潜力占基准情景排放量比例",
            )


# ---- 7. targets (App. B) -------------------------------------------------------------------------


def _target_periods(
    index: int, target: Target, report: ParkReport, locate: Any
) -> tuple[list[str], list[InputError]]:
    where = ("targets", index)
    if target.period in report.history:
        if target.scenario is not None:
            return [], [
                InputError(
                    f"现状年 {target.period} 的目标不应指定情景 “{target.scenario}”",
                    "删去 scenario",
                    locate((*where, "scenario")),
                )
            ]
        return [str(target.period)], []
    if target.period not in report.planning:
        return [], [
            InputError(
                f"目标年份 {target.period} 既不是现状年也不是规划年",
                f"规划年：{report.planning}",
                locate((*where, "period")),
            )
        ]
    if target.scenario is None:
        return [period_key(target.period, s) for s in scenario_order(report)], []
    if target.scenario not in report.scenarios:
        return [], [
            InputError(
                f"情景 “{target.scenario}” 未在 scenarios 中声明",
                f"可选：{'、'.join(report.scenarios)}",
                locate((*where, "scenario")),
            )
        ]
    return [period_key(target.period, target.scenario)], []


def _indicator_unit(
    ledger: Ledger, prefix: str, subject: str, indicator: str, periods: Sequence[str]
) -> str:
    """The unit of an indicator as computed (a product indicator's unit follows the product)."""
    for p in periods:
        key = f"{prefix}.{p}{subject}.{indicator}"
        if key in ledger:
            return ledger[key].unit
    return INDICATORS[indicator][1] or ""


def target_checks(result: ParkResult) -> list[TargetCheck]:
    """Each declared target against the computed indicator: a ``decline_pct`` target is met when
    the decline rate against the base year is at least the target; a ``value`` target when the
    intensity is at most the value (converted to the indicator's unit). A target without scenario
    in a planning year is checked under every scenario; ``industry`` absent means the park."""
    report = result.report
    ledger = result.ledger
    locate = _locator(result)
    industries = [i.name for i in report.industries]
    checks: list[TargetCheck] = []
    errors: list[InputError] = []
    for index, target in enumerate(report.targets):
        where = ("targets", index)
        if target.industry is not None and target.industry not in industries:
            near = closest(target.industry, industries)
            errors.append(
                InputError(
                    f"目标中的行业 “{target.industry}” 未声明",
                    (f"是否为 {'、'.join(near)}？" if near else "")
                    + "请使用 industries 中的行业名称；园区整体目标请删去 industry",
                    locate((*where, "industry")),
                )
            )
            continue
        periods, period_errors = _target_periods(index, target, report, locate)
        errors += period_errors
        if target.industry is None:
            prefix, subject = "parkperf", ""
        else:
            prefix, subject = "perf", f".{target.industry}"
        for p in periods:
            intensity_key = f"{prefix}.{p}{subject}.{target.indicator}"
            if target.industry is None and target.indicator == "product":
                errors.append(
                    InputError(
                        "园区整体不核算单位产品排放量（各行业产品不同）",
                        "单位产品目标须指明 industry",
                        locate((*where, "indicator")),
                    )
                )
                break
            if target.decline_pct is not None:
                actual_key = f"{intensity_key}.decline_pct"
                if p == base_period(report):
                    errors.append(
                        InputError(
                            f"基准年 {p} 没有下降率",
                            "下降率目标须针对基准年以外的年份",
                            locate((*where, "period")),
                        )
                    )
                    break
                met = (
                    ledger.value(actual_key) >= target.decline_pct if actual_key in ledger else None
                )
                checks.append(
                    TargetCheck(
                        index,
                        target,
                        p,
                        target.industry,
                        target.indicator,
                        "decline_pct",
                        target.decline_pct,
                        PCT,
                        actual_key if actual_key in ledger else None,
                        met,
                        ""
                        if met is not None
                        else (
                            (gap_text(report, p) + "，下降率不予计算")
                            if target.industry is None and gap_text(report, p)
                            else _decline_missing_reason(
                                ledger,
                                target,
                                p,
                                f"{prefix}.{base_period(report)}{subject}.{target.indicator}",
                            )
                        ),
                    )
                )
                continue
            assert target.value is not None
            unit = _indicator_unit(ledger, prefix, subject, target.indicator, result.periods)
            if not unit:
                checks.append(
                    TargetCheck(
                        index,
                        target,
                        p,
                        target.industry,
                        target.indicator,
                        "value",
                        target.value.magnitude,
                        target.value.unit,
                        None,
                        None,
                        _missing_reason(target, p),
                    )
                )
                continue
            try:
                required = target.value.to(unit)
            except UnitError as err:
                errors.append(
                    InputError(
                        f"目标值 “{target.value.text}” 不能换算为指标单位 {unit}（{err.problem}）",
                        f"请以 {unit} 或可换算的单位给出目标值",
                        locate((*where, "value")),
                    )
                )
                break
            if intensity_key in ledger and target.confirm is None:
                slip = intensity_slip(
                    ledger.value(intensity_key),
                    required,
                    unit,
                    target.value.text,
                    ledger[intensity_key].label,
                )
                if slip is not None:
                    errors.append(InputError(*slip, locate((*where, "value"))))
                    break
            met = ledger.value(intensity_key) <= required if intensity_key in ledger else None
            checks.append(
                TargetCheck(
                    index,
                    target,
                    p,
                    target.industry,
                    target.indicator,
                    "value",
                    required,
                    unit,
                    intensity_key if intensity_key in ledger else None,
                    met,
                    "" if met is not None else _missing_reason(target, p),
                )
            )
    if errors:
        raise errors[0] if len(errors) == 1 else ReportErrors(errors)
    return checks


def _missing_reason(target: Target, period: str) -> str:
    field_name = {
        "output_value": "工业总产值",
        "value_added": "工业增加值",
        "energy": "综合能耗",
        "product": "产品产量",
    }[target.indicator]
    who = target.industry or "园区各排放行业"
    return f"缺少 {who} {period} 或基准年的{field_name}数据，指标无法核算"


def _decline_missing_reason(ledger: Ledger, target: Target, period: str, base_key: str) -> str:
    """Why a decline rate is not in the ledger: its base-year intensity ``base_key`` is zero (a
    rate from a zero base is not computable), or an indicator is missing."""
    if base_key in ledger and ledger.value(base_key) <= 0:
        return f"基准年排放强度为 0（{ledger[base_key].label}），下降率无法核算"
    return _missing_reason(target, period)


def _locator(result: ParkResult) -> Any:
    if result.locate is not None:
        return result.locate
    return lambda loc: Location("report.yml", None, ".".join(str(k) for k in loc))


# ---- 8. measures (App. D) ------------------------------------------------------------------------


def selected_measures(result: ParkResult) -> list[SelectedMeasure]:
    """The report's measures: a catalogue id becomes the catalogue's domain, direction, path and
    text; an unknown id is an error naming the id and the closest ids of the catalogue."""
    catalogue = measure_catalogue()
    locate = _locator(result)
    out: list[SelectedMeasure] = []
    errors: list[InputError] = []
    for index, choice in enumerate(result.report.measures):
        if choice.id is not None:
            entry = catalogue.get(choice.id)
            if entry is None:
                near = closest(choice.id, list(catalogue))
                errors.append(
                    InputError(
                        f"措施编号 “{choice.id}” 不在附录 D 措施目录"
                        "（calc/data/measures_cq.yml）中",
                        (f"是否为 {'、'.join(near)}？" if near else "")
                        + "或删去 id，自行给出 domain、direction 与 text",
                        locate(("measures", index, "id")),
                    )
                )
                continue
            out.append(
                SelectedMeasure(
                    choice.id,
                    choice.domain or entry["domain"],
                    choice.direction or entry["direction"],
                    entry.get("path", "") or "",
                    choice.text or entry["text"],
                    choice.note,
                )
            )
        else:
            assert choice.domain is not None and choice.text is not None
            out.append(
                SelectedMeasure(
                    None, choice.domain, choice.direction or "其他", "", choice.text, choice.note
                )
            )
    if errors:
        raise errors[0] if len(errors) == 1 else ReportErrors(errors)
    return out


def measures_by_domain(
    measures: Sequence[SelectedMeasure],
) -> list[tuple[str, list[tuple[str, list[SelectedMeasure]]]]]:
    """Measures grouped by 协同减排领域 and 方向, in the catalogue's order (own domains and
    directions after, in order of appearance)."""
    order: dict[str, int] = {}
    for entry in measure_catalogue().values():
        order.setdefault(entry["domain"], len(order))
        order.setdefault(entry["direction"], len(order))
    first_seen: dict[str, int] = {}
    for m in measures:
        first_seen.setdefault(m.domain, len(first_seen))
        first_seen.setdefault(m.direction, len(first_seen))

    def rank(name: str) -> tuple[int, int]:
        return (0, order[name]) if name in order else (1, first_seen[name])

    grouped: dict[str, dict[str, list[SelectedMeasure]]] = defaultdict(lambda: defaultdict(list))
    for m in measures:
        grouped[m.domain][m.direction].append(m)
    return [
        (domain, [(d, grouped[domain][d]) for d in sorted(grouped[domain], key=rank)])
        for domain in sorted(grouped, key=rank)
    ]


# ---- 9. boundary ---------------------------------------------------------------------------------


_GEOJSON_TYPES = ("FeatureCollection", "Feature", "GeometryCollection", "Polygon", "MultiPolygon")


def _check_geojson(geo: Any, where: str) -> int:
    """Number of polygons in ``geo``; ValueError naming ``where`` when it is not valid."""
    if not isinstance(geo, dict):
        raise ValueError(f"{where} 应为 GeoJSON 对象")
    kind = geo.get("type")
    if kind == "FeatureCollection":
        features = geo.get("features")
        if not isinstance(features, list):
            raise ValueError(f"{where}.features 应为列表")
        return sum(_check_geojson(f, f"{where}.features[{i}]") for i, f in enumerate(features))
    if kind == "Feature":
        geometry = geo.get("geometry")
        return 0 if geometry is None else _check_geojson(geometry, f"{where}.geometry")
    if kind == "GeometryCollection":
        geometries = geo.get("geometries")
        if not isinstance(geometries, list):
            raise ValueError(f"{where}.geometries 应为列表")
        return sum(_check_geojson(g, f"{where}.geometries[{i}]") for i, g in enumerate(geometries))
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError(
            f"{where} 的 type 为 {kind!r}；园区边界须为 {'、'.join(_GEOJSON_TYPES)} 之一"
        )
    coordinates = geo.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise ValueError(f"{where}.coordinates 应为非空列表")
    for i, polygon in enumerate(polygons):
        if not isinstance(polygon, list) or not polygon:
            raise ValueError(f"{where}.coordinates 的第 {i + 1} 个多边形应为环的列表")
        for j, ring in enumerate(polygon):
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValueError(
                    f"{where} 第 {i + 1} 个多边形的第 {j + 1} 个环须至少有 4 个坐标点（首尾相同）"
                )
            for position in ring:
                if (
                    not isinstance(position, list)
                    or len(position) < 2
                    or not all(isinstance(v, int | float) for v in position[:2])
                    or not all(math.isfinite(v) for v in position[:2])
                ):
                    raise ValueError(f"{where} 的坐标 {position!r} 应为 [经度, 纬度]")
                lon, lat = position[0], position[1]
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError(f"{where} 的坐标 {position!r} 超出经纬度范围（[经度, 纬度]）")
    return len(polygons)


def load_boundary(folder: Path, result: ParkResult) -> dict[str, Any] | None:
    """The park boundary named by ``boundary:`` (a GeoJSON file, relative to the report folder),
    or None. A missing or invalid file is an :class:`InputError` naming the file."""
    name = result.report.boundary
    if not name:
        return None
    locate = _locator(result)
    path = inside(folder, name, what="园区边界文件", location=locate(("boundary",)))
    if not path.is_file():
        raise InputError(
            f"园区边界文件 {path} 不存在",
            "boundary 填写相对于 report.yml 所在目录的 GeoJSON 文件名，如 boundary.geojson；"
            "不绘制边界时删去 boundary",
            locate(("boundary",)),
        )
    shown = Location(str(path))
    try:
        geo = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise InputError(f"园区边界文件不是 UTF-8 文本（{err}）", "以 UTF-8 保存", shown) from None
    except json.JSONDecodeError as err:
        raise InputError(
            f"园区边界文件不是有效的 GeoJSON（JSON 语法错误：{err.msg}）",
            "检查括号、逗号与引号；可用 GIS 软件导出 GeoJSON",
            Location(str(path), err.lineno),
        ) from None
    try:
        polygons = _check_geojson(geo, "GeoJSON")
    except ValueError as err:
        raise InputError(
            f"园区边界文件不是有效的 GeoJSON：{err}",
            "边界须为 Polygon 或 MultiPolygon（可包在 Feature/FeatureCollection 中），坐标为 "
            "[经度, 纬度]（WGS-84）",
            shown,
        ) from None
    if polygons == 0:
        raise InputError("园区边界文件中没有多边形", "加入 Polygon 或 MultiPolygon 要素", shown)
    assert isinstance(geo, dict)
    return geo


# ---- the analysis --------------------------------------------------------------------------------


def analyse(
    result: ParkResult, library: FactorLibrary | None = None, folder: Path | None = None
) -> ParkAnalysis:
    """Run every stage once; the figures go into ``result.ledger`` (a second call is an error
    of the ledger: figures are computed once)."""
    library = library or FactorLibrary.default()
    analysis = ParkAnalysis()
    analysis.gases = gas_inventory(result, library)
    structure(result)
    trend(result)
    analysis.activities = activity(result)
    economy_totals(result)
    park_performance(result)
    reduction_potential(result)
    errors: list[InputError] = []
    for stage in (target_checks, selected_measures):
        try:
            found: Any = stage(result)
        except ReportErrors as err:
            errors += err.errors
            continue
        except InputError as err:
            errors.append(err)
            continue
        if stage is target_checks:
            analysis.targets = found
        else:
            analysis.measures = found
    if folder is not None:
        try:
            analysis.boundary = load_boundary(folder, result)
        except InputError as err:
            errors.append(err)
    if errors:
        raise errors[0] if len(errors) == 1 else ReportErrors(errors)
    return analysis

"""Macros of an industrial-park chapter (Chongqing guideline): inventory tables C.1 and C.2 for
every period, gases, trend, structure, enterprises and their map, activity levels, scenarios,
performance indicators, reduction potential, the indicator system with targets and verdicts, the
measures of App. D, and the sentences of the conclusions.

Numbers come from the ledger (:mod:`calc.park` and :mod:`calc.park_analysis`); this module only
lays them out and rounds them (through :mod:`units.format`). Emissions are printed in 万tCO₂e with
2 decimals unless a call says otherwise, shares and rates in % with 2 decimals, intensities with
3 decimals; every table states its unit and decimals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tanping.calc import park_vocabulary as vocabulary
from tanping.calc.catalogues import indicator_system
from tanping.calc.coverage import gap_text
from tanping.calc.factors import FactorLibrary
from tanping.calc.gwp import gwp_factor
from tanping.calc.ledger import Derivation
from tanping.calc.models.park import Enterprise, Industry, ParkReport, Target
from tanping.calc.park import (
    DOMAIN_LABELS,
    DOMAINS,
    ENERGY_ROWS,
    GROUP_LABELS,
    GROUPS,
    INDICATORS,
    KIND_LABELS,
    SECTOR_LABELS,
    SECTORS,
    ParkResult,
    describe_source,
    economy,
    period_key,
)
from tanping.calc.park_analysis import (
    ACTIVITY_LABELS,
    GAS_CATEGORY_LABELS,
    ParkAnalysis,
    SelectedMeasure,
    TargetCheck,
    analyse,
    base_period,
    controls,
    gas_label,
    measures_by_domain,
    scenario_order,
)
from tanping.calc.pipeline import Result
from tanping.templates import charts
from tanping.templates.escape import Markup
from tanping.templates.render import Cell, ReportRenderer, Table, UnknownKey, macro
from tanping.units.format import fixed, label

WAN = 1e-4  # tCO2e -> 万tCO2e (and 万元 -> 亿元, tce -> 万tce), for display only
WAN_T = "万tCO₂e"
DASH = "—"
APPENDIX_D = "指南附录 D"  # a measure of the guideline's catalogue (its id is internal)
OWN_MEASURE = "本评价提出"

# The park vocabularies come from data (calc/data/park_*.yml, calc.park_vocabulary).
#: Short names of the industry groups: the chart palette gives them their fixed colours.
GROUP_SHORT = {g.id: g.short for g in vocabulary.groups().values()}
#: The sub-rows of App. B 产业发展低碳化 per industry group.
APPENDIX_B_GROUP = {g.id: g.appendix_b for g in vocabulary.groups().values()}
#: Indicator names as App. B words them (``energy`` is this tool's addition, not in App. B).
INDICATOR_TEXT = {i.id: i.appendix_b for i in vocabulary.indicators().values()}
#: Short indicator names for the wide prediction tables.
INDICATOR_SHORT = {i.id: i.short for i in vocabulary.indicators().values()}
PROCESS_LABELS = {p.id: p.label for p in vocabulary.process_types().values()}
MODE_LABELS = dict(vocabulary.modes())
ECONOMY_COLUMNS = (
    ("output_value", "工业总产值", "亿元"),
    ("value_added", "工业增加值", "亿元"),
    ("energy_use", "综合能耗", "万tce"),
)


def _num(text: str | Markup) -> Cell:
    return Cell(text, num=True)


def _dash() -> Cell:
    return Cell(DASH, num=True)


def _target_text(target: Target) -> str:
    when = f"{target.period}年"
    if target.decline_pct is not None:
        return f"{when}较基准年下降率 ≥ {target.decline_pct:g}%"
    assert target.value is not None
    return f"{when} ≤ {label(target.value.text)}"


class ParkRenderer(ReportRenderer):
    kind = "park"
    result: ParkResult
    report: ParkReport

    def __init__(self, folder: Path, result: Result, *, mode: str = "site") -> None:
        super().__init__(folder, result, mode=mode)
        assert isinstance(result, ParkResult)
        if result.analysis is None:  # computed without calc.pipeline (tests)
            result.analysis = analyse(result, FactorLibrary.default(), self.folder)
        self.analysis: ParkAnalysis = result.analysis

    # ---- derivations of sums: the source rows behind them ----------------------------------------
    def source_lines(self, derivation: Derivation, *, limit: int | None = None) -> list[str]:
        """Each source row a C.1/C.2/enterprise sum adds up: where it is in the report, whose it
        is, the equation, the values as written, any default used, and its result."""
        indices = derivation.sources
        shown = indices if limit is None else indices[:limit]
        lines = []
        for index in shown:
            detail = describe_source(self.result, index)
            steps = "；".join(
                f"{formula}（{values}）" if values else formula for formula, values in detail.terms
            )
            gases = "、".join(
                f"{gas} {fixed(tonnes, 4)} t"
                + ("" if gas in ("CO2", "CO2e") else f" × GWP {self._gwp(gas):g}")
                for gas, tonnes in detail.gases.items()
            )
            defaults = "".join(
                f"；{f.parameter} {f.value} 为缺省值（{f.citation}）" for f in detail.defaults
            )
            defaults += "".join(f"；{note}" for note in detail.notes)  # source, confirm: reason
            sign = "减排量" if detail.reduction else "排放量"
            lines.append(
                f"{detail.where} {detail.owner} {detail.kind}：{steps}{defaults} → "
                f"{gases + '，' if gases and not detail.reduction else ''}"
                f"{sign} {fixed(detail.co2e, 2)} {label('tCO2e')}"
            )
        if limit is not None and len(indices) > limit:
            lines.append(f"……另有 {len(indices) - limit} 项排放源，见台账")
        return lines

    def plain(self, text: str) -> str:
        """Period keys in ledger labels as the text names them: ``2030.baseline`` ->
        ``2030年基准情景``."""
        text = super().plain(text)
        if not self.filing or not self.report.scenarios:
            return text
        names = "|".join(re.escape(s) for s in self.report.scenarios)
        return re.sub(
            rf"\b(\d{{4}})\.({names})\b",
            lambda m: f"{m.group(1)}年{self.report.scenarios[m.group(2)]}",
            text,
        )

    def _economy_source(self) -> str:
        return "报告所列各行业经济与能耗数据" if self.filing else "报告 economy 各行"

    def _filed(self, text: str, field: str) -> str:
        """A sentence naming the report field it is about, in review only."""
        return text if self.filing else f"{text}（report.yml 的 {field}）"

    def source_values(self, derivation: Derivation) -> list[str]:
        """The signed tCO₂e of each source row a sum adds up (the filing appendix)."""
        values = []
        for index in derivation.sources:
            detail = describe_source(self.result, index)
            values.append(f"{'−' if detail.reduction else '+'} {fixed(detail.co2e, 2)}")
        return values

    def _gwp(self, gas: str) -> float:
        return gwp_factor(gas, self.report.gwp, FactorLibrary.default()).value.magnitude

    # ---- periods and names -----------------------------------------------------------------------
    @macro
    def periods(self) -> list[str]:
        """Every period: history years, then each planning year under each scenario."""
        return list(self.result.periods)

    @macro
    def history_periods(self) -> list[str]:
        return [str(y) for y in self.report.history]

    @macro
    def planning_years(self) -> list[int]:
        return list(self.report.planning)

    @macro
    def planning_periods(self) -> list[str]:
        return [p for p in self.result.periods if "." in p]

    @macro
    def scenario_periods(self, year: int) -> list[str]:
        """The periods of one planning year, baseline first."""
        return [period_key(year, s) for s in scenario_order(self.report)]

    @macro
    def base_period(self) -> str:
        """The base year of decline rates (the last history year)."""
        return base_period(self.report)

    @macro
    def base_year(self) -> int:
        return int(self.report.history[-1])

    @macro
    def first_year(self) -> int:
        return int(self.report.history[0])

    @macro
    def baseline(self) -> str:
        """The baseline scenario id ("" for a report without planning years)."""
        return self.report.baseline or ""

    @macro
    def control_scenarios(self) -> list[str]:
        return controls(self.report)

    @macro
    def scenario_name(self, scenario: str) -> str:
        return self.report.scenarios.get(scenario, scenario)

    @macro
    def period_label(self, period: str) -> str:
        """``2024`` -> ``2024年``; ``2030.control`` -> ``2030年 对照情景``."""
        year, _, scenario = period.partition(".")
        if not scenario:
            return f"{year}年"
        return f"{year}年 {self.report.scenarios.get(scenario, scenario)}"

    @macro
    def industries(self) -> list[str]:
        return [i.name for i in self.report.industries]

    @macro
    def group_of(self, industry: str) -> str:
        return GROUP_LABELS[self.result.groups[industry]]

    @macro
    def key_enterprises(self) -> list[str]:
        return [e.name for e in self.report.enterprises if e.key]

    @macro
    def trading_enterprises(self) -> list[str]:
        return [e.name for e in self.report.enterprises if e.trading]

    @macro
    def has_targets(self) -> bool:
        return bool(self.report.targets)

    @macro
    def has_measures(self) -> bool:
        return bool(self.analysis.measures)

    @macro
    def has_boundary(self) -> bool:
        return self.analysis.boundary is not None

    @macro
    def has(self, key: str) -> bool:
        """Whether the ledger holds ``key`` (for optional sentences)."""
        return key in self.ledger

    @macro
    def gwp_name(self) -> str:
        return {
            "SAR": "IPCC 第二次评估报告（SAR）",
            "AR4": "IPCC 第四次评估报告（AR4）",
            "AR5": "IPCC 第五次评估报告（AR5）",
            "AR6": "IPCC 第六次评估报告（AR6）",
        }[self.report.gwp]

    @macro
    def largest_industry(self, period: str | None = None) -> str:
        """The industry with the largest gross emissions of a period (base year by default)."""
        p = period or self.base_period()
        return max(self.industries(), key=lambda n: self.value(f"indd.{p}.{n}.gross"))

    @macro
    def largest_domain(self, period: str | None = None) -> str:
        p = period or self.base_period()
        return DOMAIN_LABELS[max(DOMAINS, key=lambda d: self.value(f"c1.{p}.park.{d}"))]

    @macro
    def gases_present(self, periods: Sequence[str] | None = None) -> str:
        """The gases emitted in the given periods (every period by default), as printed."""
        wanted = set(periods or self.result.periods)
        found: list[str] = []
        for p, categories in self.analysis.gases.items():
            if p in wanted:
                found += [c.name for c in categories if c.members and c.name not in found]
        order = list(GAS_CATEGORY_LABELS)
        return "、".join(GAS_CATEGORY_LABELS[g] for g in sorted(found, key=order.index))

    # ---- inline figures --------------------------------------------------------------------------
    @macro
    def wan(self, key: str, decimals: int = 2, *, unit: bool = True) -> Markup:
        """A tCO2e figure in 万tCO₂e: ``171.09 万tCO₂e``."""
        return self.fig(key, decimals, unit=unit, scale=WAN, unit_label="万tCO2e")

    @macro
    def pct(self, key: str, decimals: int = 2) -> Markup:
        """A percentage figure with fixed decimals: ``25.46%``."""
        return self.fig(key, decimals)

    def _not_compared(self, key: str) -> Markup | None:
        """Why a change, decline or potential is not in the ledger: its period covers other
        industries than the one it is compared with (None when that is not the reason)."""
        if key in self.ledger or not key.startswith(("change.", "parkperf.", "potential.")):
            return None
        parts = key.split(".")
        period = ".".join(parts[1:3]) if key.startswith("potential.") else ""
        if not period:
            period = next(
                (p for p in self.result.periods if key.startswith(f"{parts[0]}.{p}.")), ""
            )
        why = gap_text(self.report, period) if "." in period else ""
        return Markup("—（{}，不予计算）").format(why) if why else None

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
        """As :meth:`ReportRenderer.fig`; a figure not computed because its periods cover
        different industries is printed as "—" with the reason."""
        why = self._not_compared(key)
        if why is not None:
            return why
        return super().fig(key, decimals, unit=unit, scale=scale, unit_label=unit_label)

    @macro
    def rate(self, key: str, decimals: int = 2) -> Markup:
        """A change rate as words: ``增长 25.46%`` / ``下降 3.10%``."""
        why = self._not_compared(key)
        if why is not None:
            return why
        figure = self.figure(key)
        word = "增长" if figure.value >= 0 else "下降"
        return Markup("{}{}").format(
            word, self._figure_markup(figure, f"{fixed(abs(figure.value), decimals)}%")
        )

    @macro
    def money(self, key: str, decimals: int = 2) -> Markup:
        """A 万元 figure in 亿元: ``36.00 亿元``."""
        return self.fig(key, decimals, scale=WAN, unit_label="亿元")

    @macro
    def energy(self, key: str, decimals: int = 2) -> Markup:
        """A tce figure in 万tce: ``29.90 万tce``."""
        return self.fig(key, decimals, scale=WAN, unit_label="万tce")

    def _wan(self, key: str, decimals: int = 2) -> Markup:
        figure = self.ledger[key]
        return self._figure_markup(figure, fixed(figure.value * WAN, decimals))

    def _cell_wan(self, key: str, decimals: int = 2) -> Cell:
        return _num(self._wan(key, decimals)) if key in self.ledger else _dash()

    def _cell(self, key: str, decimals: int = 2, scale: float = 1.0) -> Cell:
        if key not in self.ledger:
            return _dash()
        figure = self.ledger[key]
        return _num(self._figure_markup(figure, fixed(figure.value * scale, decimals)))

    def _shown(self, key: str, decimals: int, scale: float = WAN) -> str:
        return fixed(self.ledger[key].value * scale, decimals)

    # ---- C.1 -------------------------------------------------------------------------------------
    @macro
    def table_c1(self, period: str, decimals: int = 2) -> Markup:
        """产业园区分行业温室气体清单 (table C.1) of one period, in 万tCO₂e."""
        head = [
            [Cell("行业"), Cell("领域"), Cell(Markup("温室气体排放量（以当量计）<br>（万tCO₂e）"))]
        ]
        body: list[list[Cell]] = []
        rows = (
            ("key", "重点行业（电力、钢铁、建材、有色、石化和化工）", "小计"),
            ("other", "其他行业", "小计"),
        )
        for row, name, closing in rows:
            for n, domain in enumerate(DOMAINS):
                cells = [Cell(name, rowspan=4, head=True)] if n == 0 else []
                cells += [
                    Cell(DOMAIN_LABELS[domain]),
                    _num(self._wan(f"c1.{period}.{row}.{domain}", decimals)),
                ]
                body.append(cells)
            body.append([Cell(closing), _num(self._wan(f"c1.{period}.{row}.subtotal", decimals))])
        for n, domain in enumerate(DOMAINS):
            cells = [Cell("产业园区", rowspan=5, head=True)] if n == 0 else []
            cells += [
                Cell(DOMAIN_LABELS[domain]),
                _num(self._wan(f"c1.{period}.park.{domain}", decimals)),
            ]
            body.append(cells)
        body.append(
            [Cell("减排量（AE削减）"), _num(self._wan(f"c1.{period}.park.reductions", decimals))]
        )
        body.append(
            [Cell("总计", css="total"), _num(self._wan(f"c1.{period}.park.total", decimals))]
        )
        notes = [
            "注：总计 = 能源活动 + 工业生产过程 + 废弃物处理 − 减排量（附录 A 式 A.1）；"
            f"单位万tCO₂e，保留 {decimals} 位小数。"
        ]
        shown = [self._shown(f"c1.{period}.park.{d}", decimals) for d in DOMAINS]
        shown.append("-" + self._shown(f"c1.{period}.park.reductions", decimals))
        note = self._sum_note(shown, self._shown(f"c1.{period}.park.total", decimals))
        if note:
            notes.append(note)
        return self._table(
            Table(
                f"c1-{period}",
                f"{self.period_label(period)}产业园区分行业温室气体清单",
                head,
                body,
                notes,
                css="c1",
            )
        )

    # ---- C.2 -------------------------------------------------------------------------------------
    @macro
    def table_c2(self, period: str, decimals: int = 2) -> Markup:
        """产业园区分领域温室气体清单 (table C.2) of one period, in 万tCO₂e."""
        head = [
            [
                Cell("领域"),
                Cell("部门", colspan=2),
                Cell(Markup("温室气体排放量（以当量计）<br>（万tCO₂e）")),
            ]
        ]
        body: list[list[Cell]] = []
        energy_span = len(SECTORS) + 1 + len(ENERGY_ROWS)
        for n, sector in enumerate(SECTORS):
            cells = [Cell("能源活动", rowspan=energy_span, head=True)] if n == 0 else []
            if n == 0:
                cells.append(Cell("化石燃料", rowspan=len(SECTORS) + 1))
            cells += [
                Cell(SECTOR_LABELS[sector]),
                _num(self._wan(f"c2.{period}.energy.fossil.{sector}", decimals)),
            ]
            body.append(cells)
        body.append(
            [Cell("小计"), _num(self._wan(f"c2.{period}.energy.fossil.subtotal", decimals))]
        )
        for row, text in ENERGY_ROWS.items():
            body.append(
                [Cell(text, colspan=2), _num(self._wan(f"c2.{period}.energy.{row}", decimals))]
            )
        for n, group in enumerate(GROUPS):
            cells = [Cell("工业生产过程", rowspan=len(GROUPS) + 1, head=True)] if n == 0 else []
            cells += [
                Cell(GROUP_LABELS[group], colspan=2),
                _num(self._wan(f"c2.{period}.process.{group}", decimals)),
            ]
            body.append(cells)
        body.append(
            [Cell("小计", colspan=2), _num(self._wan(f"c2.{period}.process.subtotal", decimals))]
        )
        body.append(
            [
                Cell("废弃物处理", head=True),
                Cell("废水处理", colspan=2),
                _num(self._wan(f"c2.{period}.waste.wastewater", decimals)),
            ]
        )
        body.append(
            [
                Cell("减排量（AE削减）", colspan=3),
                _num(self._wan(f"c2.{period}.reductions", decimals)),
            ]
        )
        body.append(
            [
                Cell("总排放量", colspan=3, css="total"),
                _num(self._wan(f"c2.{period}.total", decimals)),
            ]
        )
        notes = [
            "注：总排放量 = 能源活动 + 工业生产过程 + 废弃物处理 − 减排量，与表 C.1 总计一致；"
            f"单位万tCO₂e，保留 {decimals} 位小数。"
        ]
        shown = [
            self._shown(f"c2.{period}.energy.{r}", decimals)
            for r in ("fossil.subtotal", *ENERGY_ROWS)
        ]
        shown += [self._shown(f"c2.{period}.process.subtotal", decimals)]
        shown += [self._shown(f"c2.{period}.waste.wastewater", decimals)]
        shown.append("-" + self._shown(f"c2.{period}.reductions", decimals))
        note = self._sum_note(shown, self._shown(f"c2.{period}.total", decimals))
        if note:
            notes.append(note)
        return self._table(
            Table(
                f"c2-{period}",
                f"{self.period_label(period)}产业园区分领域温室气体清单",
                head,
                body,
                notes,
                css="c2",
            )
        )

    # ---- gases -----------------------------------------------------------------------------------
    @macro
    def table_gases(self, period: str, decimals: int = 2, mass_decimals: int = 3) -> Markup:
        """温室气体排放量（分气体）: the seven gases of clause 3.1 in tonnes of gas and in tCO₂e
        under the report's GWP set (HFCs and PFCs with their members)."""
        gwp = self.report.gwp
        head = [
            [
                Cell("温室气体"),
                Cell("组分"),
                Cell(Markup("排放量<br>（t）")),
                Cell(Markup("GWP<br>（{}，100 年）").format(gwp)),
                Cell(Markup("排放量<br>（tCO₂e）")),
                Cell(Markup("占比<br>（%）")),
            ]
        ]
        body: list[list[Cell]] = []
        citations: dict[str, str] = {}
        for category in self.analysis.gases[period]:
            name = GAS_CATEGORY_LABELS[category.name]
            members = category.members
            if not members:
                body.append([Cell(name, head=True), Cell(DASH), *(_dash() for _ in range(4))])
                continue
            family = category.name in ("HFCs", "PFCs")
            span = len(members) + (1 if family and len(members) > 1 else 0)
            share = self._cell(f"share.{period}.gas.{category.name}", 2)
            for n, member in enumerate(members):
                cells = [Cell(name, rowspan=span, head=True)] if n == 0 else []
                citations[member.gas] = member.gwp.citation()
                cells += [
                    Cell(label(gas_label(member.gas))),
                    self._cell(member.tonnes_key, mass_decimals),
                    _num(f"{member.gwp.value.magnitude:,g}"),
                    self._cell(member.co2e_key, decimals),
                ]
                if n == 0:
                    cells.append(Cell(share.content, rowspan=span, num=True))
                body.append(cells)
            if span > len(members):
                assert category.co2e_key is not None
                body.append(
                    [Cell("小计"), _dash(), _dash(), self._cell(category.co2e_key, decimals)]
                )
        body.append(
            [
                Cell("合计", colspan=4, css="total"),
                self._cell(f"ghg.{period}.total", decimals),
                _num("100.00") if self.value(f"ghg.{period}.total") > 0 else _dash(),
            ]
        )
        sources = sorted({self.plain(c) for c in citations.values()})
        notes = [
            "注：排放量为各排放源之和，未扣除减排量；合计等于表 C.1 能源活动、工业生产过程与"
            "废弃物处理三项之和。二氧化碳当量 = 气体质量 × GWP，GWP 取"
            + ("；".join(sources) if sources else f"{self.gwp_name()} 100 年全球增温潜势")
            + "。HFCs 含 HFC-23（CHF₃）、HFC-32、HFC-125、HFC-134a、HFC-143a、HFC-152a、"
            "HFC-227ea、HFC-236fa、HFC-245fa；PFCs 含 CF₄、C₂F₆。"
            f"气体质量保留 {mass_decimals} 位小数，二氧化碳当量保留 {decimals} 位小数，"
            "占比保留 2 位小数；“—”表示无此项排放。"
        ]
        return self._table(
            Table(
                f"gases-{period}",
                f"{self.period_label(period)}产业园区温室气体排放量（分气体）",
                head,
                body,
                notes,
                css="gases",
            )
        )

    # ---- history: trend --------------------------------------------------------------------------
    @macro
    def table_trend(self, decimals: int = 2) -> Markup:
        """现状年温室气体排放量变化趋势: domains, reductions, total and year-on-year change."""
        head = [
            [
                Cell("年份"),
                *(Cell(DOMAIN_LABELS[d]) for d in DOMAINS),
                Cell("减排量"),
                Cell("总排放量"),
                Cell(Markup("较上年变化率<br>（%）")),
            ]
        ]
        body: list[list[Cell]] = []
        for p in self.history_periods():
            body.append(
                [
                    Cell(f"{p}年", head=True),
                    *(self._cell_wan(f"c1.{p}.park.{d}", decimals) for d in DOMAINS),
                    self._cell_wan(f"c1.{p}.park.reductions", decimals),
                    self._cell_wan(f"c1.{p}.park.total", decimals),
                    self._cell(f"trend.{p}.yoy_pct", 2),
                ]
            )
        if "trend.avg_pct" in self.ledger:
            body.append(
                [
                    Cell(f"{self.first_year()}—{self.base_year()}年年均变化率（%）", colspan=6),
                    self._cell("trend.avg_pct", 2),
                ]
            )
        notes = [
            f"注：排放量单位万tCO₂e，保留 {decimals} 位小数；变化率保留 2 位小数，负值表示下降。"
        ]
        return self._table(Table("trend", "现状年温室气体排放量变化情况", head, body, notes))

    @macro
    def chart_trend(self) -> Markup:
        """现状年排放量变化 as stacked bars by domain, reductions below zero, totals on top."""
        periods = self.history_periods()
        series: list[tuple[str, list[float]]] = [
            (DOMAIN_LABELS[d], [self.value(f"c1.{p}.park.{d}") * WAN for p in periods])
            for d in DOMAINS
        ]
        reductions = [-self.value(f"c1.{p}.park.reductions") * WAN for p in periods]
        if any(reductions):
            series.append(("减排量", reductions))
        svg = charts.stacked_bars(
            [f"{p}年" for p in periods], series, unit=WAN_T, decimals=2, title="现状年排放量变化"
        )
        return self._chart("chart-trend", "现状年温室气体排放量变化（按领域）", svg)

    @macro
    def chart_projection(self) -> Markup:
        """排放总量变化与预测: history totals, then each scenario of every planning year."""
        history = self.history_periods()
        labels = [f"{p}年" for p in history] + [f"{y}年" for y in self.report.planning]
        series: list[tuple[str, list[float | None]]] = []
        for scenario in scenario_order(self.report):
            values: list[float | None] = [self.value(f"c1.{p}.park.total") * WAN for p in history]
            values += [
                self.value(f"c1.{period_key(y, scenario)}.park.total") * WAN
                for y in self.report.planning
            ]
            series.append((self.scenario_name(scenario), values))
        if not series:  # no planning years: the history alone
            series.append(("排放总量", [self.value(f"c1.{p}.park.total") * WAN for p in history]))
        svg = charts.line_chart(labels, series, unit=WAN_T, decimals=2, title="排放总量变化与预测")
        return self._chart("chart-projection", "产业园区温室气体排放总量现状与预测", svg)

    # ---- history: structure ----------------------------------------------------------------------
    def _industry_order(self) -> list[str]:
        groups = self.result.groups
        return sorted(self.industries(), key=lambda n: GROUPS.index(groups[n]))

    @macro
    def table_structure(self, period: str | None = None, decimals: int = 2) -> Markup:
        """分行业温室气体排放结构: each industry's energy, process, waste, gross, share of the
        park's gross emissions, reductions and net emissions."""
        p = period or self.base_period()
        head = [
            [
                Cell("行业"),
                Cell("行业类别"),
                *(Cell(DOMAIN_LABELS[d]) for d in DOMAINS),
                Cell("小计"),
                Cell(Markup("占比<br>（%）")),
                Cell("减排量"),
                Cell("净排放量"),
            ]
        ]
        body: list[list[Cell]] = []
        for name in self._industry_order():
            body.append(
                [
                    Cell(name, head=True),
                    Cell(self.group_of(name)),
                    *(self._cell_wan(f"indd.{p}.{name}.{d}", decimals) for d in DOMAINS),
                    self._cell_wan(f"indd.{p}.{name}.gross", decimals),
                    self._cell(f"share.{p}.ind.{name}", 2),
                    self._cell_wan(f"indd.{p}.{name}.reductions", decimals),
                    self._cell_wan(f"ind.{p}.{name}", decimals),
                ]
            )
        body.append(
            [
                Cell("产业园区", colspan=2, css="total"),
                *(self._cell_wan(f"c1.{p}.park.{d}", decimals) for d in DOMAINS),
                self._cell_wan(f"gross.{p}", decimals),
                _num("100.00") if self.value(f"gross.{p}") > 0 else _dash(),
                self._cell_wan(f"c1.{p}.park.reductions", decimals),
                self._cell_wan(f"c1.{p}.park.total", decimals),
            ]
        )
        notes = [
            "注：小计为能源活动、工业生产过程与废弃物处理之和（未扣除减排量），占比为占园区小计的"
            "比例；净排放量 = 小计 − 减排量。排放量单位万tCO₂e，保留 "
            f"{decimals} 位小数；占比保留 2 位小数。"
        ]
        return self._table(
            Table(
                f"structure-{p}",
                f"{self.period_label(p)}产业园区分行业温室气体排放结构",
                head,
                body,
                notes,
            )
        )

    @macro
    def chart_structure_domain(self, period: str | None = None) -> Markup:
        """排放结构（按领域）as a donut of the gross emissions."""
        p = period or self.base_period()
        parts = [(DOMAIN_LABELS[d], self.value(f"c1.{p}.park.{d}") * WAN) for d in DOMAINS]
        svg = charts.donut(parts, unit=WAN_T, decimals=2, width=520, title="排放结构（按领域）")
        return self._chart(
            f"chart-domain-{p}",
            f"{self.period_label(p)}产业园区温室气体排放结构（按领域，未扣除减排量）",
            svg,
        )

    @macro
    def chart_structure_group(self, period: str | None = None) -> Markup:
        """排放结构（按行业类别）as a donut of the gross emissions by industry group."""
        p = period or self.base_period()
        parts = [
            (GROUP_SHORT[g], self.value(f"grp.{p}.{g}") * WAN)
            for g in GROUPS
            if self.value(f"grp.{p}.{g}") > 0
        ] or [(GROUP_SHORT["other"], 0.0)]
        svg = charts.donut(parts, unit=WAN_T, decimals=2, width=520, title="排放结构（按行业）")
        return self._chart(
            f"chart-group-{p}",
            f"{self.period_label(p)}产业园区温室气体排放结构（按行业类别，未扣除减排量）",
            svg,
        )

    @macro
    def chart_industry_trend(self) -> Markup:
        """现状年各行业类别排放量 as stacked bars (gross, by industry group)."""
        periods = self.history_periods()
        series = [
            (GROUP_SHORT[g], [self.value(f"grp.{p}.{g}") * WAN for p in periods])
            for g in GROUPS
            if any(self.value(f"grp.{p}.{g}") for p in periods)
        ] or [(GROUP_SHORT["other"], [0.0 for _ in periods])]
        svg = charts.stacked_bars(
            [f"{p}年" for p in periods], series, unit=WAN_T, decimals=2, title="各行业排放量"
        )
        return self._chart(
            "chart-industry-trend", "现状年各行业类别温室气体排放量（未扣除减排量）", svg
        )

    # ---- history: enterprises and the map --------------------------------------------------------
    @staticmethod
    def _trading(value: bool | str) -> str:
        if isinstance(value, str):
            return value
        return "是" if value else "否"

    @macro
    def table_enterprises(self, decimals: int = 2) -> Markup:
        """重点企业温室气体排放统计: each enterprise's emissions per history year, its industry,
        重点企业 and 碳市场 status, sorted by base-year emissions."""
        history = self.history_periods()
        base = self.base_period()
        head = [
            [
                Cell("序号", rowspan=2),
                Cell("企业名称", rowspan=2),
                Cell("所属行业", rowspan=2),
                Cell("行业类别", rowspan=2),
                Cell("温室气体排放量（万tCO₂e）", colspan=len(history)),
                Cell(Markup("{}年占园区<br>比例（%）").format(base), rowspan=2),
                Cell("重点企业", rowspan=2),
                Cell("纳入碳市场", rowspan=2),
            ],
            [Cell(f"{p}年") for p in history],
        ]
        enterprises = sorted(
            self.report.enterprises, key=lambda e: -self.value(f"ent.{base}.{e.name}")
        )
        body = [
            [
                _num(str(n)),
                Cell(e.name, head=True),
                Cell(e.industry),
                Cell(self.group_of(e.industry)),
                *(self._cell_wan(f"ent.{p}.{e.name}", decimals) for p in history),
                self._cell(f"share.{base}.ent.{e.name}", 2),
                Cell("是" if e.key else "否"),
                Cell(self._trading(e.trading)),
            ]
            for n, e in enumerate(enterprises, 1)
        ]
        if not body:
            body = [[Cell("报告未列出企业", colspan=8 + len(history) - 1)]]
        notes = [
            "注：企业排放量为其各排放源之和扣除自身减排量；占比为占当年园区排放总量的比例。"
            f"排放量单位万tCO₂e，保留 {decimals} 位小数；占比保留 2 位小数。"
        ]
        return self._table(Table("enterprises", "园区企业温室气体排放统计", head, body, notes))

    @macro
    def map_enterprises(self, period: str | None = None) -> Markup:
        """温室气体排放重点企业分布图 (6.6.3): circles sized by the enterprises' emissions of the
        base year (万tCO₂e, net of own reductions), coloured by industry group, key enterprises
        ringed, on the park boundary when the report names one."""
        p = period or self.base_period()
        groups = self.result.groups
        negative = []
        points = []
        for e in self.report.enterprises:
            value = self.value(f"ent.{p}.{e.name}") * WAN
            if value < 0:
                negative.append(e.name)
            group = groups[e.industry]
            points.append(
                charts.MapPoint(
                    e.name,
                    e.location[0],
                    e.location[1],
                    max(value, 0.0),
                    group,
                    GROUP_LABELS[group],
                    e.key,
                )
            )
        svg = charts.enterprise_map(
            points,
            boundary=self.analysis.boundary,
            unit=WAN_T,
            width=720,
            height=560,
            title=f"温室气体排放重点企业分布图（{self.period_label(p)}）",
        )
        caption = f"温室气体排放重点企业分布图（{self.period_label(p)}，圆面积与企业排放量成正比）"
        if negative:
            caption += f"；{'、'.join(negative)}扣除减排量后为负，以最小圆点表示"
        return self._chart(f"map-{p}", caption, svg)

    # ---- economy and activity levels -------------------------------------------------------------
    @macro
    def table_economy(self, period: str | None = None, decimals: int = 2) -> Markup:
        """各行业经济与能耗指标: output value, value added and energy use by industry with their
        shares, and the product as written."""
        p = period or self.base_period()
        rows = economy(self.report)
        head = [
            [
                Cell("行业", rowspan=2),
                Cell("行业类别", rowspan=2),
                *(Cell(f"{text}（{unit}）", colspan=2) for _, text, unit in ECONOMY_COLUMNS),
                Cell("主要产品产量", rowspan=2),
            ],
            [c for _ in ECONOMY_COLUMNS for c in (Cell("数值"), Cell("占比（%）"))],
        ]
        body: list[list[Cell]] = []
        for name in self._industry_order():
            row = rows.get((p, name))
            product = row.product if row is not None else None
            body.append(
                [
                    Cell(name, head=True),
                    Cell(self.group_of(name)),
                    *(
                        c
                        for field, _, _ in ECONOMY_COLUMNS
                        for c in (
                            self._cell(f"econ.{p}.{field}.{name}", decimals, WAN),
                            self._cell(f"share.{p}.econ.{field}.{name}", 2),
                        )
                    ),
                    Cell(label(product.text) if product is not None else DASH),
                ]
            )
        body.append(
            [
                Cell("产业园区", colspan=2, css="total"),
                *(
                    c
                    for field, _, _ in ECONOMY_COLUMNS
                    for c in (self._cell(f"econ.{p}.{field}", decimals, WAN), _dash())
                ),
                Cell(DASH),
            ]
        )
        notes = [
            f"注：数据来源于{self._economy_source()}；金额单位亿元、能耗单位万tce，"
            f"保留 {decimals} 位小数；占比保留 2 位小数；“—”表示未给出。"
        ]
        return self._table(
            Table(
                f"economy-{p}", f"{self.period_label(p)}园区各行业经济与能耗指标", head, body, notes
            )
        )

    @macro
    def table_activity(self, year: int, decimals: int = 2) -> Markup:
        """活动水平预测 (8.3): economy rows by industry and the park's activity levels, in the
        base year and under each scenario of ``year``."""
        base = self.base_period()
        periods = [base, *self.scenario_periods(year)]
        rows = economy(self.report)
        head = [
            [
                Cell("对象"),
                Cell("指标"),
                Cell("单位"),
                *(
                    Cell(f"{base}年（现状）") if p == base else Cell(self.period_label(p))
                    for p in periods
                ),
            ]
        ]
        body: list[list[Cell]] = []
        fields = [(f, t, u) for f, t, u in ECONOMY_COLUMNS]
        for name in self._industry_order():
            present = [
                (f, t, u)
                for f, t, u in fields
                if any(f"econ.{p}.{f}.{name}" in self.ledger for p in periods)
            ]
            products = [rows[(p, name)].product for p in periods if (p, name) in rows]
            product = next((a for a in products if a is not None), None)
            span = len(present) + (1 if product is not None else 0)
            if not span:
                continue
            for n, (f, t, u) in enumerate(present):
                cells = [Cell(name, rowspan=span, head=True)] if n == 0 else []
                cells += [Cell(t), Cell(u)]
                cells += [self._cell(f"econ.{p}.{f}.{name}", decimals, WAN) for p in periods]
                body.append(cells)
            if product is not None:
                cells = [Cell(name, rowspan=span, head=True)] if not present else []
                unit = product.unit
                cells += [Cell("产品产量"), Cell(label(unit))]
                for p in periods:
                    amount = rows[(p, name)].product if (p, name) in rows else None
                    cells.append(
                        _num(fixed(amount.to(unit), decimals)) if amount is not None else _dash()
                    )
                body.append(cells)
        park_rows = [
            (f"econ.{{}}.{f}", t, u, WAN)
            for f, t, u in fields
            if any(f"econ.{p}.{f}" in self.ledger for p in periods)
        ]
        park_rows += [
            (f"activity.{{}}.{kind}", ACTIVITY_LABELS[kind][0], ACTIVITY_LABELS[kind][1], 1.0)
            for kind in self.analysis.activities
        ]
        for n, (pattern, text, unit, scale) in enumerate(park_rows):
            cells = [Cell("产业园区", rowspan=len(park_rows), head=True)] if n == 0 else []
            cells += [Cell(text), Cell(label(unit))]
            cells += [self._cell(pattern.format(p), decimals, scale) for p in periods]
            body.append(cells)
        notes = [
            f"注：行业数据来源于{self._economy_source()}（规划年未分情景给出的数据适用于各情景）；"
            "化石燃料消费量为各化石燃料燃烧源的消费量 × 低位发热量之和，净调入电量为调入电量 − "
            f"调出电量，COD 为各废水处理源的可降解有机物总量。数值保留 {decimals} 位小数；"
            "“—”表示未给出。"
        ]
        return self._table(
            Table(f"activity-{year}", f"{year}年各情景活动水平预测", head, body, notes)
        )

    # ---- prediction ------------------------------------------------------------------------------
    @macro
    def table_scenarios(self, year: int, decimals: int = 2) -> Markup:
        """各情景温室气体排放量及结构 (8.3, 8.4.1): domains with shares, reductions, total and
        its change against the base year, for the base year and each scenario of ``year``."""
        base = self.base_period()
        periods = [base, *self.scenario_periods(year)]
        head = [
            [
                Cell("领域", rowspan=2),
                *(
                    Cell(f"{base}年（现状）" if p == base else self.period_label(p), colspan=2)
                    for p in periods
                ),
            ],
            [c for _ in periods for c in (Cell("排放量"), Cell("占比（%）"))],
        ]
        body: list[list[Cell]] = []
        for d in DOMAINS:
            body.append(
                [
                    Cell(DOMAIN_LABELS[d], head=True),
                    *(
                        c
                        for p in periods
                        for c in (
                            self._cell_wan(f"c1.{p}.park.{d}", decimals),
                            self._cell(f"share.{p}.{d}", 2),
                        )
                    ),
                ]
            )
        body.append(
            [
                Cell("小计（未扣除减排量）", head=True),
                *(c for p in periods for c in (self._cell_wan(f"gross.{p}", decimals), _dash())),
            ]
        )
        body.append(
            [
                Cell("减排量（AE削减）", head=True),
                *(
                    c
                    for p in periods
                    for c in (self._cell_wan(f"c1.{p}.park.reductions", decimals), _dash())
                ),
            ]
        )
        body.append(
            [
                Cell("总排放量", head=True, css="total"),
                *(
                    c
                    for p in periods
                    for c in (self._cell_wan(f"c1.{p}.park.total", decimals), _dash())
                ),
            ]
        )
        body.append(
            [
                Cell("总排放量较基准年变化率（%）", head=True),
                *(
                    Cell(
                        DASH if p == base else self._cell(f"change.{p}.total_pct", 2).content,
                        colspan=2,
                        num=True,
                    )
                    for p in periods
                ),
            ]
        )
        notes = [
            f"注：排放量单位万tCO₂e，保留 {decimals} 位小数；占比为占小计的比例，变化率负值表示"
            "下降，均保留 2 位小数。各情景分领域清单见表 C.1、C.2 格式的清单表。"
        ]
        return self._table(
            Table(f"scenarios-{year}", f"{year}年各情景温室气体排放量及结构", head, body, notes)
        )

    def _perf_rows(self) -> list[tuple[str | None, str]]:
        """(industry or None for the park, indicator) of every computed indicator."""
        rows: list[tuple[str | None, str]] = []
        periods = self.result.periods
        for name in self._industry_order():
            for indicator in INDICATORS:
                if any(f"perf.{p}.{name}.{indicator}" in self.ledger for p in periods):
                    rows.append((name, indicator))
        for indicator in INDICATORS:
            if any(f"parkperf.{p}.{indicator}" in self.ledger for p in periods):
                rows.append((None, indicator))
        return rows

    @staticmethod
    def _perf_key(period: str, industry: str | None, indicator: str) -> str:
        if industry is None:
            return f"parkperf.{period}.{indicator}"
        return f"perf.{period}.{industry}.{indicator}"

    def _perf_unit(self, industry: str | None, indicator: str) -> str:
        for p in self.result.periods:
            key = self._perf_key(p, industry, indicator)
            if key in self.ledger:
                return self.ledger[key].unit
        return INDICATORS[indicator][1] or ""

    @macro
    def table_performance(self, year: int, decimals: int = 3) -> Markup:
        """温室气体排放绩效及下降率 (8.4.1): every computed indicator in the base year and under
        each scenario of ``year``, with its decline rate against the base year."""
        base = self.base_period()
        periods = self.scenario_periods(year)
        head = [
            [
                Cell("行业", rowspan=2),
                Cell("指标", rowspan=2),
                Cell("单位", rowspan=2),
                Cell(f"{base}年（现状）", rowspan=2),
                *(Cell(self.period_label(p), colspan=2) for p in periods),
            ],
            [c for _ in periods for c in (Cell("指标值"), Cell("下降率（%）"))],
        ]
        body: list[list[Cell]] = []
        rows = self._perf_rows()
        for n, (industry, indicator) in enumerate(rows):
            first = n == 0 or rows[n - 1][0] != industry
            span = sum(1 for other, _ in rows if other == industry)
            body.append(
                [
                    *(
                        [Cell(industry or "产业园区（整体）", rowspan=span, head=True)]
                        if first
                        else []
                    ),
                    Cell(INDICATOR_SHORT[indicator]),
                    Cell(label(self._perf_unit(industry, indicator))),
                    self._cell(self._perf_key(base, industry, indicator), decimals),
                    *(
                        c
                        for p in periods
                        for c in (
                            self._cell(self._perf_key(p, industry, indicator), decimals),
                            self._cell(self._perf_key(p, industry, indicator) + ".decline_pct", 2),
                        )
                    ),
                ]
            )
        if not body:
            body = [[Cell("报告未给出经济数据，排放绩效无法核算", colspan=4 + 2 * len(periods))]]
        notes = [
            "注：下降率 = （基准年指标值 − 规划年指标值）÷ 基准年指标值 × 100%，"
            f"基准年为 {base} 年，负值表示上升；园区整体指标 = 园区总排放量 ÷ 各行业合计的"
            "产值、增加值或能耗，仅在经济"
            f"数据覆盖当期全部排放行业时核算。指标值保留 {decimals} 位小数，下降率保留 2 位小数；"
            "“—”表示缺少数据。"
        ]
        return self._table(
            Table(f"performance-{year}", f"{year}年各情景温室气体排放绩效", head, body, notes)
        )

    @macro
    def table_potential(self, year: int, decimals: int = 2) -> Markup:
        """减排潜力 (8.4.1): baseline − each control scenario, by industry and for the park."""
        baseline = period_key(year, self.baseline())
        scenarios = self.control_scenarios()
        head = [
            [
                Cell("行业", rowspan=2),
                Cell(self.scenario_name(self.baseline()), rowspan=2),
                *(Cell(self.scenario_name(s), colspan=2) for s in scenarios),
            ],
            [c for _ in scenarios for c in (Cell("排放量"), Cell("减排潜力"))],
        ]
        body: list[list[Cell]] = []
        for name in self._industry_order():
            keys = [f"ind.{baseline}.{name}"] + [
                f"ind.{period_key(year, s)}.{name}" for s in scenarios
            ]
            if not any(self.value(k) for k in keys):
                continue
            body.append(
                [
                    Cell(name, head=True),
                    self._cell_wan(f"ind.{baseline}.{name}", decimals),
                    *(
                        c
                        for s in scenarios
                        for c in (
                            self._cell_wan(f"ind.{period_key(year, s)}.{name}", decimals),
                            self._cell_wan(f"potential.{year}.{s}.{name}", decimals),
                        )
                    ),
                ]
            )
        body.append(
            [
                Cell("产业园区", head=True, css="total"),
                self._cell_wan(f"c1.{baseline}.park.total", decimals),
                *(
                    c
                    for s in scenarios
                    for c in (
                        self._cell_wan(f"c1.{period_key(year, s)}.park.total", decimals),
                        self._cell_wan(f"potential.{year}.{s}.total", decimals),
                    )
                ),
            ]
        )
        body.append(
            [
                Cell("减排潜力占基准情景排放量比例（%）", colspan=2),
                *(
                    Cell(self._cell(f"potential.{year}.{s}.pct", 2).content, colspan=2, num=True)
                    for s in scenarios
                ),
            ]
        )
        notes = [
            "注：减排潜力 = 基准情景排放量 − 对照情景排放量（均扣除各行业自身减排量）；排放量单位"
            f"万tCO₂e，保留 {decimals} 位小数；比例保留 2 位小数。"
        ]
        return self._table(
            Table(f"potential-{year}", f"{year}年各行业温室气体减排潜力", head, body, notes)
        )

    @macro
    def chart_scenarios(self, year: int) -> Markup:
        """情景对比 as grouped bars: each industry's net emissions in the base year and under each
        scenario of ``year``."""
        base = self.base_period()
        periods = [base, *self.scenario_periods(year)]
        names = [
            n for n in self._industry_order() if any(self.value(f"ind.{p}.{n}") for p in periods)
        ]
        series: list[tuple[str, list[float]]] = [
            (
                f"{base}年（现状）" if p == base else self.scenario_name(p.partition(".")[2]),
                [self.value(f"ind.{p}.{n}") * WAN for n in names],
            )
            for p in periods
        ]
        svg = charts.grouped_bars(
            names or ["产业园区"],
            series if names else [(s, [0.0]) for s, _ in series],
            unit=WAN_T,
            decimals=2,
            width=720,
            title=f"{year}年情景对比",
        )
        return self._chart(
            f"chart-scenarios-{year}", f"{year}年各行业温室气体排放量情景对比（扣除减排量）", svg
        )

    # ---- identification (7.1) --------------------------------------------------------------------
    def _source_detail(self, index: int) -> tuple[str, str]:
        """(排放源, 排放环节) of a source row."""
        s = self.report.sources[index]
        if s.combustion is not None:
            return "化石燃料燃烧", f"{s.combustion.fuel}（{SECTOR_LABELS[s.combustion.sector]}）"
        if s.boiler_n2o is not None:
            return "发电锅炉 N₂O", f"{s.boiler_n2o.boiler}锅炉（{s.boiler_n2o.fuel}）"
        if s.mobile is not None:
            return "移动源 CH₄、N₂O", f"{MODE_LABELS[s.mobile.mode]}（{s.mobile.fuel}）"
        if s.biomass is not None:
            return "生物质燃烧", s.biomass.fuel
        if s.gas_fugitive is not None:
            return "天然气系统逃逸", "输配与消费逃逸"
        if s.electricity is not None:
            return "调入（出）电力", "净调入电力间接排放"
        if s.process is not None:
            return "工业生产过程", PROCESS_LABELS[s.process.type]
        if s.wastewater is not None:
            return "废水处理", "工业废水厌氧处理"
        assert s.reduction is not None
        return "减排措施", s.reduction.kind

    @macro
    def table_sources(self) -> Markup:
        """温室气体排放源识别 (7.1): by industry, domain and source, the gases and whether the
        source appears in the history and in the planning periods, with the enterprises."""
        history = {str(y) for y in self.report.history}
        found: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        order = list(KIND_LABELS)
        for s in self.result.sources:
            source, detail = self._source_detail(s.index)
            domain = DOMAIN_LABELS.get(s.domain, "减排量")
            entry = found.setdefault(
                (s.industry, domain, source, detail),
                {"gases": set(), "history": False, "planning": False, "who": [], "kind": s.kind},
            )
            if s.domain != "reductions":  # a reduction's tCO2e is not a gas emitted
                entry["gases"].update(g for g, t in s.gases.items() if t)
            entry["history" if s.period in history else "planning"] = True
            who = s.enterprise or "行业层面"
            if who not in entry["who"]:
                entry["who"].append(who)
        industry_rank = {n: i for i, n in enumerate(self._industry_order())}
        domain_rank = [*DOMAIN_LABELS.values(), "减排量"]
        keys = sorted(
            found,
            key=lambda k: (
                industry_rank[k[0]],
                domain_rank.index(k[1]),
                order.index(found[k]["kind"]),
                k[3],
            ),
        )
        head = [
            [
                Cell("行业"),
                Cell("领域"),
                Cell("排放源"),
                Cell("排放环节"),
                Cell("温室气体"),
                Cell("现状"),
                Cell("规划"),
                Cell("涉及企业"),
            ]
        ]
        gas_order = ["CO2", "CH4", "N2O", "CHF3", "HFC-23", "CF4", "C2F6", "SF6", "NF3"]
        body: list[list[Cell]] = []
        for n, key in enumerate(keys):
            industry, domain, source, detail = key
            entry = found[key]
            gases = sorted(  # known gases in their order, then the others by name: never set order
                entry["gases"], key=lambda g: (gas_order.index(g) if g in gas_order else 99, g)
            )
            cells = []
            if n == 0 or keys[n - 1][0] != industry:
                span = sum(1 for k in keys if k[0] == industry)
                cells.append(Cell(industry, rowspan=span, head=True))
            cells += [
                Cell(domain),
                Cell(source),
                Cell(detail),
                Cell("、".join(label(gas_label(g)) for g in gases) or DASH),
                Cell("√" if entry["history"] else DASH),
                Cell("√" if entry["planning"] else DASH),
                Cell("、".join(entry["who"])),
            ]
            body.append(cells)
        if not body:
            body = [[Cell("报告未列出排放源", colspan=8)]]
        notes = ["注：“√”表示该排放源在现状年或规划年的核算中出现；减排措施不产生排放，单列。"]
        return self._table(Table("sources", "产业园区温室气体排放源识别", head, body, notes))

    # ---- indicator system (7.2, App. B) ----------------------------------------------------------
    def _targets_for(self, industry: str | None, indicator: str) -> list[Target]:
        return [
            t for t in self.report.targets if t.industry == industry and t.indicator == indicator
        ]

    @macro
    def table_indicators(self, decimals: int = 3) -> Markup:
        """温室气体减排评价指标体系 (7.2): every indicator the data can compute (and every
        targeted one), its base-year value, the declared targets and their basis, grouped as
        App. B groups them (emission per unit of energy under 能源利用低碳化)."""
        base = self.base_period()
        pairs = list(self._perf_rows())
        for t in self.report.targets:
            if (t.industry, t.indicator) not in pairs:
                pairs.append((t.industry, t.indicator))
        groups = self.result.groups
        order = {n: i for i, n in enumerate(self._industry_order())}

        def level1(indicator: str) -> str:
            return "能源利用低碳化" if indicator == "energy" else "产业发展低碳化"

        def level2(industry: str | None) -> str:
            return APPENDIX_B_GROUP[groups[industry]] if industry else "产业园区（整体）"

        def rank(pair: tuple[str | None, str]) -> tuple[int, int, int, int]:
            industry, indicator = pair
            return (
                int(indicator == "energy"),
                GROUPS.index(groups[industry]) if industry else len(GROUPS),
                order[industry] if industry else len(order),
                list(INDICATORS).index(indicator),
            )

        pairs.sort(key=rank)
        keys = [(level1(ind), level2(who), who or "全部行业") for who, ind in pairs]
        head = [
            [
                Cell("一级指标"),
                Cell("二级指标"),
                Cell("行业"),
                Cell("评价指标"),
                Cell("单位"),
                Cell(f"{base}年现状值"),
                Cell("指标要求"),
                Cell("依据"),
            ]
        ]
        body: list[list[Cell]] = []
        for n, (industry, indicator) in enumerate(pairs):
            targets = self._targets_for(industry, indicator)
            cells: list[Cell] = []
            for level in range(3):
                if n == 0 or keys[n - 1][: level + 1] != keys[n][: level + 1]:
                    span = sum(1 for k in keys if k[: level + 1] == keys[n][: level + 1])
                    cells.append(Cell(keys[n][level], rowspan=span, head=level == 0))
            # The indicator is a level (its base-year value is one); a target on it may be a
            # level (≤ value) or a decline rate of the level, and says which.
            basis = "；".join(dict.fromkeys(t.source or "本规划的减排目标" for t in targets))
            cells += [
                Cell(INDICATOR_SHORT[indicator]),
                Cell(label(self._perf_unit(industry, indicator))),
                self._cell(self._perf_key(base, industry, indicator), decimals),
                Cell("；".join(_target_text(t) for t in targets) or "跟踪监测"),
                Cell(basis or "附录 B 参考指标"),
            ]
            body.append(cells)
        if not body:
            body = [[Cell("报告未给出经济数据，排放绩效指标无法核算", colspan=8)]]
        notes = [
            "注：评价指标按附录 B 温室气体排放绩效参考指标选取（排放量均以二氧化碳当量计），"
            "现状值为基准年的指标水平（单位见“单位”列），指标要求为规划年指标水平的限值或"
            "较基准年的下降率；未设定量要求的指标跟踪监测；"
            "“单位综合能耗排放量”为附录 B 以外的补充指标，列入能源利用低碳化。可再生能源使用"
            "比例等指标需可再生能源消费量数据，报告输入未包含，本表不予核算。"
            f"现状值保留 {decimals} 位小数。"
        ]
        return self._table(Table("indicators", "温室气体减排评价指标体系", head, body, notes))

    @macro
    def table_indicator_catalogue(self) -> Markup:
        """附录 B 温室气体排放环境影响评价参考指标, with the industries of the report for which
        each performance indicator is computed."""
        system = indicator_system()
        groups = system["groups"]
        computed: dict[str, list[str]] = {}
        for industry, indicator in self._perf_rows():
            if industry is not None:
                group = self.result.groups[industry]
                computed.setdefault(f"{group}.{indicator}", []).append(industry)
        head = [
            [
                Cell("一级指标", colspan=2),
                Cell("温室气体排放绩效参考指标"),
                Cell("其他可选参考指标"),
                Cell("本评价核算"),
            ]
        ]
        body: list[list[Cell]] = []
        level1_span: dict[str, int] = {}
        for g in groups:
            level1_span[g["level1"]] = level1_span.get(g["level1"], 0) + 1
        seen: set[str] = set()
        for g in groups:
            perf = g["performance"]
            optional = g["optional"]
            done = []
            for item in perf:
                who = computed.get(f"{g['id']}.{item['computes']}", [])
                if who:
                    done.append(f"{item['text'].removesuffix('下降率')}：{'、'.join(who)}")
            perf_text = Markup("<br>").join(i["text"] for i in perf) if perf else "/"
            optional_text = Markup("<br>").join(i["text"] for i in optional)
            cells: list[Cell] = []
            if g["group"] is None:
                cells.append(Cell(g["level1"], colspan=2, head=True))
            else:
                if g["level1"] not in seen:
                    cells.append(Cell(g["level1"], rowspan=level1_span[g["level1"]], head=True))
                cells.append(Cell(g["group"]))
            seen.add(g["level1"])
            cells += [
                Cell(perf_text),
                Cell(optional_text),
                Cell(Markup("<br>").join(done) if done else DASH),
            ]
            body.append(cells)
        notes = [
            "注：摘自指南附录 B（资料性附录），原文“二氧化碳铺集利用量”的“铺集”为“捕集”之误。"
            "“本评价核算”列出报告数据可核算的排放绩效指标及其行业。"
        ]
        return self._table(
            Table("appendix-b", "温室气体排放环境影响评价参考指标（指南附录 B）", head, body, notes)
        )

    # ---- targets and verdicts (8.4.2) ------------------------------------------------------------
    def _check_row(self, n: int, check: TargetCheck, decimals: int) -> list[Cell]:
        if check.mode == "decline_pct":
            required = f"下降率 ≥ {check.required:g}%"
        else:
            required = f"≤ {check.required:g} {label(check.unit)}"
        if check.actual_key is None:
            actual = Cell(check.reason)
        elif check.mode == "decline_pct":
            actual = self._cell(check.actual_key, 2)
            actual = Cell(Markup("下降率 {}%").format(actual.content), num=True)
        else:
            actual = self._cell(check.actual_key, decimals)
        return [
            _num(str(n)),
            Cell(check.industry or "产业园区（整体）"),
            Cell(INDICATOR_SHORT[check.indicator]),
            Cell(self.period_label(check.period)),
            Cell(required),
            actual,
            Cell(Markup("<strong>{}</strong>").format(check.verdict)),
        ]

    @macro
    def table_targets(self, decimals: int = 3) -> Markup:
        """指标目标可达性分析 (8.4.2): each declared target against the predicted indicator of
        each scenario, with the verdict 达标 / 未达标."""
        head = [
            [
                Cell("序号"),
                Cell("行业"),
                Cell("指标"),
                Cell("年份及情景"),
                Cell("指标要求"),
                Cell("预测值"),
                Cell("结论"),
            ]
        ]
        body = [self._check_row(n, c, decimals) for n, c in enumerate(self.analysis.targets, 1)]
        if not body:
            body = [[Cell(self._filed("报告未设定温室气体减排指标目标", "targets"), colspan=7)]]
        notes = [
            "注：下降率目标以预测下降率不低于目标为达标；强度限值以预测指标值不高于限值为达标。"
            f"指标值保留 {decimals} 位小数，下降率保留 2 位小数。"
        ]
        return self._table(Table("targets", "温室气体减排指标目标可达性分析", head, body, notes))

    @macro
    def count_targets(self, verdict: str, scenario: str | None = None) -> int:
        """How many checks have ``verdict`` (达标, 未达标, 无法评价), optionally in one scenario."""
        return sum(
            1
            for c in self.analysis.targets
            if c.verdict == verdict and (scenario is None or c.period.partition(".")[2] == scenario)
        )

    @macro
    def count_checks(self, scenario: str | None = None) -> int:
        return sum(
            1
            for c in self.analysis.targets
            if scenario is None or c.period.partition(".")[2] == scenario
        )

    @macro
    def unmet_targets(self, scenario: str | None = None) -> str:
        """The unmet checks as words, for the text (``水泥制造单位产品…（2030年 基准情景）``)."""
        return "；".join(
            f"{c.industry or '产业园区'}{INDICATOR_TEXT[c.indicator]}"
            f"（{self.period_label(c.period)}）"
            for c in self.analysis.targets
            if c.met is False and (scenario is None or c.period.partition(".")[2] == scenario)
        )

    # ---- measures (chapter 10, App. D) -----------------------------------------------------------
    @macro
    def table_measures(self) -> Markup:
        """减污降碳协同管控措施 (10.2, App. D): the selected measures grouped by 协同减排领域 and
        方向; the report's own measures are marked."""
        head = [
            [
                Cell("协同减排领域"),
                Cell("协同减排方向"),
                Cell("协同减排路径"),
                Cell("管控措施"),
                Cell("来源" if self.filing else "编号"),
                Cell("落实要求"),
            ]
        ]
        body: list[list[Cell]] = []
        for domain, directions in measures_by_domain(self.analysis.measures):
            domain_span = sum(len(ms) for _, ms in directions)
            first_domain = True
            for direction, members in directions:
                for n, m in enumerate(members):
                    cells: list[Cell] = []
                    if first_domain:
                        cells.append(Cell(domain, rowspan=domain_span, head=True))
                        first_domain = False
                    if n == 0:
                        cells.append(Cell(direction, rowspan=len(members)))
                    cells += [
                        Cell(m.path or DASH),
                        Cell(m.text),
                        Cell((APPENDIX_D if self.filing else m.id) if m.id else OWN_MEASURE),
                        Cell(m.note or DASH),
                    ]
                    body.append(cells)
        if not body:
            body = [[Cell(self._filed("报告未选用措施", "measures"), colspan=6)]]
        notes = [
            "注：“指南附录 D”为指南附录 D 措施目录所列措施；“本评价提出”为结合园区实际补充的措施。"
            if self.filing
            else "注：编号为指南附录 D 表 D 措施目录（calc/data/measures_cq.yml）中的编号；"
            "“本评价提出”为结合园区实际补充的措施。"
        ]
        return self._table(Table("measures", "减污降碳协同管控措施", head, body, notes))

    @macro
    def count_measures(self, which: str = "all") -> int:
        """How many measures the report selects: ``all``, ``catalogue`` (App. D ids) or ``own``."""
        measures = self.analysis.measures
        if which == "catalogue":
            return sum(1 for m in measures if not m.own)
        if which == "own":
            return sum(1 for m in measures if m.own)
        return len(measures)

    @macro
    def measures_in(self, domain: str) -> list[SelectedMeasure]:
        return [m for m in self.analysis.measures if m.domain == domain]

    # ---- sentences for the text ------------------------------------------------------------------
    @macro
    def summary_history(self) -> Markup:
        """6.6.2 / 13: total of each history year, the trend and the base-year structure."""
        history = self.history_periods()
        base = self.base_period()
        totals = Markup("、").join(self.wan(f"c1.{p}.park.total") for p in history)
        years = "、".join(f"{p}" for p in history)
        text = Markup("{years}年产业园区温室气体排放总量分别为 {totals}").format(
            years=years, totals=totals
        )
        if "trend.avg_pct" in self.ledger:
            text += Markup("，年均{}").format(self.rate("trend.avg_pct"))
        text += Markup(
            "。{base}年排放量中，能源活动占 {e}，工业生产过程占 {p}，废弃物处理占 {w}"
        ).format(
            base=base,
            e=self.pct(f"share.{base}.energy") if f"share.{base}.energy" in self.ledger else DASH,
            p=self.pct(f"share.{base}.process") if f"share.{base}.process" in self.ledger else DASH,
            w=self.pct(f"share.{base}.waste") if f"share.{base}.waste" in self.ledger else DASH,
        )
        if self.value(f"c1.{base}.park.reductions"):
            text += Markup("；减排量为 {}").format(self.wan(f"c1.{base}.park.reductions"))
        largest = self.largest_industry(base)
        if f"share.{base}.ind.{largest}" in self.ledger:
            text += Markup("；排放量最大的行业为{name}，占 {share}").format(
                name=largest, share=self.pct(f"share.{base}.ind.{largest}")
            )
        return text + Markup("。")

    @macro
    def summary_prediction(self, year: int) -> Markup:
        """8.4.1 / 13: totals of each scenario of ``year``, change against the base year and
        reduction potential of each control scenario."""
        base = self.base_period()
        baseline = period_key(year, self.baseline())
        text = Markup(
            "{year}年{name}下产业园区温室气体排放总量为 {total}，较{base}年{change}"
        ).format(
            year=year,
            name=self.scenario_name(self.baseline()),
            total=self.wan(f"c1.{baseline}.park.total"),
            base=base,
            change=self._change_words(f"change.{baseline}.total_pct"),
        )
        for s in self.control_scenarios():
            p = period_key(year, s)
            text += Markup(
                "；{name}下为 {total}，较{base}年{change}，较{baseline}减少 {pot}"
            ).format(
                name=self.scenario_name(s),
                total=self.wan(f"c1.{p}.park.total"),
                base=base,
                change=self._change_words(f"change.{p}.total_pct"),
                baseline=self.scenario_name(self.baseline()),
                pot=self.wan(f"potential.{year}.{s}.total"),
            )
            if f"potential.{year}.{s}.pct" in self.ledger:
                text += Markup("（{}）").format(self.pct(f"potential.{year}.{s}.pct"))
        return text + Markup("。")

    def _change_words(self, key: str) -> Markup:
        if key not in self.ledger:
            why = gap_text(self.report, key.split(".", 1)[1].removesuffix(".total_pct"))
            if why:
                return Markup("的变化率不予计算（{}）").format(why)
            return Markup("变化率无法计算")
        return self.rate(key)

    @macro
    def input_value(self, owner: str, field: str, period: int | None = None) -> str:
        """A value the report writes in a source row, as written (``18.0 万t``): the row of
        ``owner`` (enterprise or industry) in ``period`` (the base year by default) whose source
        type and field are ``field`` (``process.clinker``, ``wastewater.tow``,
        ``process.production.双加压法``), so that prose states inputs without retyping them."""
        year = int(period or self.report.history[-1])
        kind, *path = field.split(".")
        found = []
        for source in self.report.sources:
            if source.period != year or source.scenario is not None:
                continue
            if owner not in (source.enterprise, source.industry):
                continue
            value: Any = getattr(source, kind, None)
            for name in path:
                value = value.get(name) if isinstance(value, dict) else getattr(value, name, None)
            if value is not None:
                found.append(value)
        if len(found) != 1:
            raise UnknownKey(
                f"{year} 年 “{owner}” 的 {field} {'没有' if not found else '有多行'}",
                "input_value(owner, field, period) 须恰好指向一行排放源的一个字段，"
                '如 input_value("临江南方水泥有限公司", "process.clinker")',
            )
        return label(found[0].text)

    @macro
    def target_value(self, index: int) -> str:
        """The ``index``-th target of ``targets:`` as prose states it: ``30%``, ``7.2 tCO₂e/t``."""
        target = self.report.targets[index]
        if target.decline_pct is not None:
            return f"{target.decline_pct:g}%"
        assert target.value is not None
        return label(target.value.text)

    @macro
    def gas_count(self, periods: Sequence[str] | None = None) -> str:
        """How many of the seven gases of clause 3.1 are emitted (``六``), as prose counts them."""
        shown = self.gases_present(periods)
        return chinese_count(len(shown.split("、")) if shown else 0)

    @macro
    def count_of(self, items: Sequence[object]) -> str:
        """A count of a list (``key_enterprises()``, ``industries()``) in prose: ``九``."""
        return chinese_count(len(items))

    @macro
    def coverage_note(self) -> Markup:
        """8.3: whether the planning periods cover the base year's industries and enterprises:
        the exits the report states (closure, relocation) and the periods not compared."""
        report = self.report
        base = report.history[-1]
        parts = []
        owners: list[Industry | Enterprise] = [*report.industries, *report.enterprises]
        for owner in owners:
            if owner.exit is None:
                continue
            scenarios = "、".join(report.scenarios.get(s, s) for s in owner.exit.scenarios)
            parts.append(
                Markup("{name}自 {year} 年起{reason}，{when}规划年不再计入").format(
                    name=owner.name,
                    year=owner.exit.year,
                    reason=owner.exit.reason,
                    when=f"{scenarios}下" if scenarios else "",
                )
            )
        gaps = [
            (p, gap_text(report, p))
            for p in self.result.periods
            if p not in [str(y) for y in report.history]
        ]
        for p, why in gaps:
            if why:
                parts.append(
                    Markup("{when}{why}，不计算其较基准年的变化率与下降率").format(
                        when=self.period_label(p), why=why
                    )
                )
        if not any(why for _, why in gaps):
            parts.append(
                Markup("规划年各情景均涵盖 {base} 年有排放的全部行业和企业").format(base=base)
            )
        return Markup("；").join(parts) + Markup("。")

    @macro
    def summary_targets(self) -> Markup:
        """8.4.2 / 13: how many targets each scenario meets."""
        if not self.analysis.targets:
            return Markup("报告未设定温室气体减排指标目标，指标可达性不作定量判断。")
        parts = []
        for s in scenario_order(self.report):
            total = self.count_checks(s)
            if not total:
                continue
            met = self.count_targets("达标", s)
            part = Markup("{name}下 {total} 项指标目标中 {met} 项达标").format(
                name=self.scenario_name(s), total=total, met=met
            )
            unmet = self.unmet_targets(s)
            if unmet:
                part += Markup("，未达标的为{}").format(unmet)
            unknown = self.count_targets("无法评价", s)
            if unknown:
                part += Markup("，{} 项因缺少数据无法评价").format(unknown)
            parts.append(part)
        history = [c for c in self.analysis.targets if "." not in c.period]
        if history:
            met = sum(1 for c in history if c.met)
            parts.append(Markup("现状年 {} 项指标目标中 {} 项达标").format(len(history), met))
        return Markup("；").join(parts) + Markup("。")


_DIGITS = "零一二三四五六七八九十"


def chinese_count(number: int) -> str:
    """A small count in Chinese numerals (一 … 九十九), as report prose writes it; larger counts
    in digits."""
    if 0 <= number <= 10:
        return _DIGITS[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return str(number)

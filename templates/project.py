"""Macros of a construction-project chapter (Beijing guideline): tables B.1–B.3, the factor table,
the chapter-3 control tables, C.1 and C.2, the clause-8 sentences and the structure chart."""

from __future__ import annotations

from markupsafe import Markup

from calc.ledger import Figure
from calc.project import CATEGORIES, LEVEL_ORDER, PHASES, B1Row, ProjectResult
from templates import charts
from templates.render import Cell, ReportRenderer, Table
from units.format import fixed, label, significant

PHASE_COLUMNS = {
    "existing": "现有工程",
    "proposed": "拟建工程",
    "retired": "“以新带老”碳减排量",
}
CHART_CATEGORIES = {
    "fuel": "化石燃料燃烧",
    "process": "工业生产过程",
    "electricity": "外购电力",
    "heat": "外购热力",
}


def _num(text: str | Markup) -> Cell:
    return Cell(text, num=True)


class ProjectRenderer(ReportRenderer):
    kind = "project"
    result: ProjectResult

    # ---- text helpers ------------------------------------------------------------------------------
    def intensity_unit(self) -> str:
        """The intensity unit(s) of table A.1 for the report's industry, as printed."""
        return "、".join(u.label for u in self.result.industry.units)

    def phases(self) -> list[str]:
        return self.result.phases

    def has(self, phase: str) -> bool:
        return phase in self.result.rows

    # ---- table B.1 ---------------------------------------------------------------------------------
    def table_b1(self, phase: str = "proposed") -> Markup:
        """碳排放量核算表 (table B.1) for one phase: every parameter row, the formula with its
        values, and the emission of each source."""
        if phase not in self.result.rows:
            raise KeyError(f"报告中没有 {phase}（{PHASES.get(phase, phase)}）")
        rows = self.result.rows[phase]
        head = [
            [
                Cell("类别"),
                Cell("序号"),
                Cell("名称"),
                Cell("指标"),
                Cell("单位"),
                Cell("数值"),
                Cell("核算公式"),
                Cell(Markup("碳排放量<br>(tCO₂/a)")),
            ]
        ]
        body: list[list[Cell]] = []
        for category, category_label in CATEGORIES.items():
            members = [r for r in rows if r.category == category]
            if not members:
                continue
            span = sum(len(r.parameters) for r in members)
            first_of_category = True
            for n, row in enumerate(members, 1):
                figure = self.ledger[row.key]
                for p, parameter in enumerate(row.parameters):
                    cells: list[Cell] = []
                    if first_of_category:
                        cells.append(Cell(category_label, rowspan=span, css="category"))
                        first_of_category = False
                    if p == 0:
                        k = len(row.parameters)
                        cells += [Cell(str(n), rowspan=k), Cell(self._row_name(row), rowspan=k)]
                    value = parameter.value
                    origin = ""
                    if parameter.origin is not None and parameter.origin.default:
                        origin = "ᵃ"
                    cells += [
                        Cell(parameter.label),
                        Cell(label(value.unit) if value.unit else "—"),
                        _num(
                            Markup("{}<sup>{}</sup>").format(self._input(value.magnitude), origin)
                            if origin
                            else self._input(value.magnitude)
                        ),
                    ]
                    if p == 0:
                        k = len(row.parameters)
                        cells += [
                            Cell(self._formula(row), rowspan=k, css="formula"),
                            Cell(
                                self._figure_markup(figure, fixed(figure.value, 2)),
                                rowspan=k,
                                num=True,
                            ),
                        ]
                    body.append(cells)
        total = self.ledger[f"b2.{_total_key(phase)}"]
        shown = [fixed(r.emission, 2) for r in rows]
        body.append(
            [
                Cell("合计", colspan=7, css="total"),
                _num(self._figure_markup(total, fixed(total.value, 2))),
            ]
        )
        notes = []
        if any(p.origin is not None and p.origin.default for r in rows for p in r.parameters):
            notes.append(
                f"ᵃ 报告未给出，采用因子集 {self.report.factors} 的缺省值，来源见表"
                "“排放因子及来源”。"
            )
        sum_note = self._sum_note(shown, fixed(total.value, 2))
        if sum_note:
            notes.append(sum_note)
        return self._table(
            Table(f"b1-{phase}", f"{PHASES[phase]}碳排放量核算表", head, body, notes, css="b1")
        )

    @staticmethod
    def _input(value: float) -> str:
        """An input as written (inputs are data, not results: no rounding beyond their own)."""
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
        return text

    @staticmethod
    def _row_name(row: B1Row) -> str:
        fuel = next((p for p in row.parameters if p.label == "消耗量"), None)
        return row.name if fuel is None else row.name

    def _formula(self, row: B1Row) -> Markup:
        return Markup("{}<br>= {}").format(row.formula, label(row.substituted))

    # ---- table B.2 ---------------------------------------------------------------------------------
    def table_b2(self) -> Markup:
        """碳排放量汇总表 (table B.2)."""
        keys = [
            ("existing", "现有工程"),
            ("proposed", "拟建工程"),
            ("offset", "“以新带老”碳减排量"),
            ("overall", "总体工程"),
            ("net_new", "净新增"),
        ]
        head = [[Cell("")] + [Cell(text) for _, text in keys]]
        body = [
            [Cell(Markup("碳排放量 (tCO₂/a)"), head=True)]
            + [
                _num(
                    self._figure_markup(
                        self.ledger[f"b2.{k}"], fixed(self.ledger[f"b2.{k}"].value, 2)
                    )
                )
                for k, _ in keys
            ]
        ]
        notes = [
            "注：总体工程 = 现有工程 + 拟建工程 − “以新带老”碳减排量；"
            "净新增 = 拟建工程 − “以新带老”碳减排量。"
        ]
        shown = {k: fixed(self.ledger[f"b2.{k}"].value, 2) for k, _ in keys}
        overall_check = round(
            float(shown["existing"].replace(",", ""))
            + float(shown["proposed"].replace(",", ""))
            - float(shown["offset"].replace(",", "")),
            2,
        )
        if abs(overall_check - float(shown["overall"].replace(",", ""))) > 0.005:
            notes.append(
                "注：表中数值经四舍五入，分项之和与合计可能略有出入；合计由未修约的分项计算。"
            )
        return self._table(Table("b2", "碳排放量汇总表", head, body, notes, css="b2"))

    # ---- table B.3 ---------------------------------------------------------------------------------
    def table_b3(self) -> Markup:
        """碳排放强度核算表 (table B.3), one row per basis."""
        columns = [("existing", "现有工程"), ("proposed", "拟建工程"), ("overall", "总体工程")]
        head = [
            [Cell("核算基准", rowspan=2)] + [Cell(t, colspan=2) for _, t in columns],
            [c for _ in columns for c in (Cell("碳排放强度"), Cell("计算公式"))],
        ]
        body = []
        for basis, per in self.result.basis_units.items():
            unit = label(f"kgCO2/{per}")
            row = [Cell(f"{basis}（{unit}）", head=True)]
            for phase, _ in columns:
                key = f"b3.{basis}.{phase}"
                if key not in self.ledger:
                    row += [Cell("—"), Cell("—")]
                    continue
                figure = self.ledger[key]
                row += [
                    _num(self._figure_markup(figure, fixed(figure.value, 2))),
                    Cell(
                        self._numbers(figure.derivation.substituted) if figure.derivation else "",
                        css="formula",
                    ),
                ]
            body.append(row)
        return self._table(Table("b3", "碳排放强度核算表", head, body, css="b3"))

    # ---- factors -------------------------------------------------------------------------------------
    def table_factors(self) -> Markup:
        """排放因子及来源: every factor used, with its value, source, year and grade."""
        head = [[Cell("工程"), Cell("排放源"), Cell("参数"), Cell("取值"), Cell("来源")]]
        body = []
        for phase, rows in self.result.rows.items():
            for row in rows:
                for p in row.parameters:
                    if p.origin is None:
                        continue
                    source = p.origin.citation
                    if p.origin.default:
                        source = f"{source}（缺省值）"
                    body.append(
                        [
                            Cell(PHASES[phase]),
                            Cell(row.name),
                            Cell(p.label),
                            Cell(f"{self._input(p.value.magnitude)} {label(p.value.unit)}"),
                            Cell(source),
                        ]
                    )
        return self._table(Table("factors", "排放因子及来源", head, body, css="factors"))

    # ---- chapter 3: controls -------------------------------------------------------------------------
    def table_controls(self) -> Markup:
        """碳排放管控要求: total-emission targets (6.1) and intensity targets (6.2)."""
        c = self.report.controls
        head = [[Cell("类别"), Cell("名称"), Cell("层级"), Cell("基准"), Cell("目标值")]]
        body = []
        if c.district_total is not None:
            body.append(
                [
                    Cell("碳排放总量管控目标"),
                    Cell(f"{self.report.district}碳排放总量目标"),
                    Cell("区级"),
                    Cell("—"),
                    Cell(label(c.district_total.text)),
                ]
            )
        if c.park_total is not None:
            body.append(
                [
                    Cell("碳排放总量管控目标"),
                    Cell(f"{self.report.park}碳排放总量目标"),
                    Cell("产业园区"),
                    Cell("—"),
                    Cell(label(c.park_total.text)),
                ]
            )
        for control in sorted(c.intensity, key=lambda x: LEVEL_ORDER.index(x.level)):
            body.append(
                [
                    Cell("碳排放强度"),
                    Cell(control.name),
                    Cell(control.level),
                    Cell(control.basis),
                    Cell(label(control.value.text)),
                ]
            )
        if not body:
            body.append([Cell("本项目未调查到碳排放管控目标", colspan=5)])
        return self._table(Table("controls", "碳排放管控要求调查结果", head, body))

    # ---- clause 8: level analysis ----------------------------------------------------------------------
    def level_total(self, which: str = "district") -> Markup:
        """The clause-8.1 sentence: share of net new emissions in a total-emission target."""
        key = f"level.{which}_share_pct"
        c = self.report.controls
        target = c.district_total if which == "district" else c.park_total
        place = self.report.district if which == "district" else self.report.park
        if key not in self.ledger or target is None:
            return Markup("{}未发布碳排放总量管控目标，本项不作定量分析。").format(
                place or ("所在区" if which == "district" else "所在产业园区")
            )
        net = self.ledger["b2.net_new"]
        sentence = Markup(
            "本项目净新增碳排放量为 {net}，占{place}碳排放总量目标（{target}）的 {share}。"
        ).format(
            net=self.fig("b2.net_new"), place=place, target=label(target.text), share=self.fig(key)
        )
        if net.value <= 0:
            sentence += Markup("本项目实施后碳排放量不增加，对总量目标无新增压力。")
        return sentence

    def level_intensity(self) -> Markup:
        """The clause-8.2 sentences: intensity against targets, in the order 考核目标 →
        行业先进值 → 国内外先进值, with a verdict that follows the data."""
        checks = self.result.checks
        if not checks:
            return Markup("未调查到碳排放强度考核目标或先进值，本项不作定量分析。")
        primary = next(level for level in LEVEL_ORDER if any(c.level == level for c in checks))
        parts = []
        for level in LEVEL_ORDER:
            for check in (c for c in checks if c.level == level):
                figure = self.ledger[f"b3.{check.basis}.{check.phase}"]
                verdict = "满足" if check.meets else "不满足"
                relation = (
                    "低于"
                    if check.intensity < check.target
                    else ("等于" if check.intensity == check.target else "高于")
                )
                phase_text = "拟建工程" if check.phase == "proposed" else "总体工程"
                lead = "作为评价基准，" if level == primary else "作为参考，"
                parts.append(
                    Markup(
                        "以{name}（{level}，{target} {unit}）{lead}{phase}碳排放强度为 {value}，"
                        "{relation}该值，<strong>{verdict}</strong>要求。"
                    ).format(
                        name=check.control,
                        level=level,
                        target=significant(check.target),
                        unit=label(check.unit),
                        lead=lead,
                        phase=phase_text,
                        value=self._figure_markup(
                            figure, f"{fixed(figure.value, 2)} {label(figure.unit)}"
                        ),
                        relation=relation,
                        verdict=verdict,
                    )
                )
        return Markup("").join(parts)

    def verdict(self, phase: str = "proposed") -> str:
        """满足 / 不满足 against the primary benchmark of clause 8.2 (for conclusions)."""
        checks = [c for c in self.result.checks if c.phase == phase]
        if not checks:
            return "无评价基准"
        primary = next(level for level in LEVEL_ORDER if any(c.level == level for c in checks))
        return "满足" if all(c.meets for c in checks if c.level == primary) else "不满足"

    # ---- table C.1, C.2 ------------------------------------------------------------------------------
    def table_measures(self) -> Markup:
        """碳减排措施表 (table C.1), grouped by 源头防控, 过程控制, 工程治理."""
        head = [
            [Cell("类别", rowspan=2), Cell("措施", rowspan=2), Cell("减排措施", colspan=4)],
            [
                Cell("工艺"),
                Cell("规模"),
                Cell("投资（万元）"),
                Cell(Markup("碳减排效果<br>(tCO₂/a)")),
            ],
        ]
        body = []
        total_investment = 0.0
        total_reduction = 0.0
        for category in ("源头防控", "过程控制", "工程治理"):
            members = [m for m in self.report.measures if m.category == category]
            if not members:
                body.append(
                    [
                        Cell(category, head=True),
                        Cell("—"),
                        Cell("—"),
                        Cell("—"),
                        Cell("—"),
                        Cell("—"),
                    ]
                )
                continue
            for n, m in enumerate(members):
                investment = m.investment.to("万元")
                reduction = m.reduction.to("tCO2/a" if "/" in m.reduction.unit else "tCO2")
                total_investment += investment
                total_reduction += reduction
                row = [Cell(category, rowspan=len(members), head=True)] if n == 0 else []
                row += [
                    Cell(m.name),
                    Cell(m.process or "—"),
                    Cell(m.scale or "—"),
                    _num(fixed(investment, 2)),
                    _num(fixed(reduction, 2)),
                ]
                body.append(row)
        body.append(
            [
                Cell("合计", colspan=4, css="total"),
                _num(fixed(total_investment, 2)),
                _num(fixed(total_reduction, 2)),
            ]
        )
        return self._table(Table("c1", "碳减排措施表", head, body, css="c1"))

    def table_synergies(self) -> Markup:
        """协同减排措施分析表 (table C.2)."""
        head = [
            [Cell("环保措施", rowspan=2), Cell("协同减排措施", colspan=5)],
            [
                Cell("工艺"),
                Cell("规模"),
                Cell("投资（万元）"),
                Cell("污染治理效果"),
                Cell("协同减碳效果"),
            ],
        ]
        body = [
            [
                Cell(s.measure, head=True),
                Cell(s.process or "—"),
                Cell(s.scale or "—"),
                _num(fixed(s.investment.to("万元"), 2)),
                Cell(s.pollution_effect or "—"),
                Cell(s.carbon_effect or "—"),
            ]
            for s in self.report.synergies
        ]
        if not body:
            body = [[Cell("本项目无协同减排措施", colspan=6)]]
        return self._table(Table("c2", "协同减排措施分析表", head, body, css="c2"))

    # ---- chart ------------------------------------------------------------------------------------------
    def chart_structure(self) -> Markup:
        """碳排放结构 per phase (fuel, process, electricity, heat) as a stacked bar chart."""
        phases = [p for p in ("existing", "proposed", "retired") if p in self.result.rows]
        categories = [PHASE_COLUMNS[p] for p in phases]
        series = [
            (name, [self.ledger[f"structure.{p}.{c}"].value for p in phases])
            for c, name in CHART_CATEGORIES.items()
        ]
        svg = charts.stacked_bars(categories, series, unit="tCO₂/a")
        return self._chart("structure", "各工程碳排放结构", svg)

    def figure_of(self, key: str) -> Figure:
        return self.figure(key)


def _total_key(phase: str) -> str:
    return {"retired": "offset"}.get(phase, phase)

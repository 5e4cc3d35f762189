"""Macros of a construction-project chapter (Beijing guideline, kind ``project``).

The chapter templates (``templates/scaffold/project/*.md``) follow 附录D of the guideline; every
number and table in them comes from one of the macros below, bound to the computed report:

- 1 项目概述: :meth:`ProjectRenderer.project_name`, :meth:`~ProjectRenderer.project_nature`,
  :meth:`~ProjectRenderer.table_energy` (能源、电力、热力使用情况),
  :meth:`~ProjectRenderer.sources`;
- 2 碳排放核算: :meth:`~ProjectRenderer.table_factors` (排放因子及来源, with year and grade),
  :meth:`~ProjectRenderer.table_b1` (表 B.1, one per phase), :meth:`~ProjectRenderer.table_b2`,
  :meth:`~ProjectRenderer.chart_structure`, :meth:`~ProjectRenderer.table_b3`;
- 3 碳排放水平分析 (clause 8): :meth:`~ProjectRenderer.table_controls`,
  :meth:`~ProjectRenderer.level_total` (8.1), :meth:`~ProjectRenderer.level_intensity` (8.2);
- 4 减污降碳措施分析: :meth:`~ProjectRenderer.table_measures` (表 C.1),
  :meth:`~ProjectRenderer.table_synergies` (表 C.2);
- 5 管理与监测计划: :meth:`~ProjectRenderer.table_monitoring`;
- 6 结论与建议: :meth:`~ProjectRenderer.summary_emissions`, :meth:`~ProjectRenderer.verdict`.

Conventions (decided here, tested in ``tests/test_project_render.py``):

- Emissions in tCO₂/a and intensities with 2 decimals, shares with at least 3 significant digits
  (:mod:`units.format`); totals are computed from unrounded parts, and a table whose shown parts
  do not add up to its shown total gets the rounding note of :meth:`ReportRenderer._sum_note`.
- A new project (no ``existing``): table B.2 shows “—” (not applicable) for 现有工程 and
  “以新带老”碳减排量, and 总体工程 = 净新增 = 拟建工程; table B.3 shows “—” for 现有工程; no
  现有工程 B.1 is printed. An expansion without retired sources shows 0.00 for “以新带老”
  (applicable, nothing retired).
- Inputs (activity data, factors) are printed as written, without rounding; in the site each one
  carries its origin (report line or cited default) as a hover title, each computed figure its
  derivation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pint

from tanping.calc.factors import GRADES, Factor, FactorLibrary
from tanping.calc.models.project import FuelRow, Measure, ProjectReport
from tanping.calc.project import (
    CATEGORIES,
    LEVEL_ORDER,
    PHASES,
    B1Row,
    IntensityCheck,
    Parameter,
    ProjectResult,
)
from tanping.templates import charts
from tanping.templates.escape import Markup
from tanping.templates.render import Cell, ReportRenderer, Table, macro
from tanping.units import Amount, UnitError, annual
from tanping.units.format import fixed, label

PHASE_COLUMNS = {
    "existing": "现有工程",
    "proposed": "拟建工程",
    "retired": "“以新带老”削减",
}
CHART_CATEGORIES = {
    "fuel": "化石燃料燃烧",
    "process": "工业生产过程",
    "electricity": "外购电力",
    "heat": "外购热力",
}
#: B.1 indicator label -> the factor-library parameter it is looked up as.
LIBRARY_PARAMETER = {
    "低位发热量": "lhv",
    "单位热值含碳量": "carbon_content",
    "碳氧化率": "oxidation",
    "电网年平均供电排放因子": "ef_co2",
    "热力供应排放因子": "ef_co2",
}
#: 管理与监测计划: how each B.1 indicator is monitored (DB 11/T 1781–1787 practice); the
#: consultant edits the chapter text where the project differs.
MONITORING = {
    "消耗量": ("燃料计量表连续计量，按月汇总，与购销结算凭证核对", "连续计量，每月汇总"),
    "低位发热量": ("每月实测或采用供应商提供的检测报告；无实测时采用缺省值", "每月"),
    "单位热值含碳量": ("元素碳含量实测或采用缺省值", "每月或按批次"),
    "碳氧化率": ("采用行业核算要求规定的缺省值", "每年复核"),
    "活动水平": ("按生产记录、采购及领用台账统计", "每月汇总"),
    "排放因子": ("按所属行业核算要求确定，实测或采用缺省值", "每年复核"),
    "外部电力消耗量": ("电能表连续计量，与电网企业结算凭证核对", "连续计量，每月汇总"),
    "电网年平均供电排放因子": ("采用主管部门最新发布的电网排放因子", "每年更新"),
    "外部热力消耗量": ("热量表连续计量，与供热单位结算凭证核对", "连续计量，每月汇总"),
    "热力供应排放因子": ("采用供热单位提供值或主管部门发布的缺省值", "每年更新"),
}
#: The units of table B.1 for the fuel parameters (低位发热量: GJ per unit of consumption).
B1_UNITS = {"单位热值含碳量": "tC/GJ", "碳氧化率": "%"}
NOT_APPLICABLE = "—"
_DATA = "报告数据：controls.{}"
ROUNDING_NOTE = "注：表中数值经四舍五入，分项之和与合计可能略有出入；合计由未修约的分项计算。"
TITLE_SUFFIXES = ("碳排放环境影响评价", "碳排放评价专章", "碳排放评价", "环境影响评价")


def _num(text: str | Markup) -> Cell:
    return Cell(text, num=True)


def _input(value: float) -> str:
    """An input as written (inputs are data, not results: no rounding beyond their own)."""
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def _shown(parameter: Parameter, row: B1Row) -> tuple[float, str]:
    """A B.1 parameter in the unit of the guideline's table B.1 (a default stored as 15.3 tC/TJ
    is shown as 0.0153 tC/GJ, a bare 0.99 as 99 %); other values as written."""
    value = parameter.value
    unit = B1_UNITS.get(parameter.label)
    if parameter.label == "低位发热量" and row.parameters[0].value.unit in ("t", "万Nm3"):
        unit = f"GJ/{row.parameters[0].value.unit}"
    if unit is None or unit == value.unit:
        return value.magnitude, value.unit
    try:
        return value.to(unit), unit
    except (UnitError, pint.errors.PintError, ValueError):
        return value.magnitude, value.unit


@dataclass
class _FactorEntry:
    """One line of the factor table: a factor value and every source row that uses it."""

    subject: str
    parameter: str
    value: str
    source: str
    year: str
    grade: str
    default: bool
    uses: list[tuple[str, str]] = field(default_factory=list)  # (phase, row name)


class ProjectRenderer(ReportRenderer):
    kind = "project"
    result: ProjectResult
    report: ProjectReport

    # ---- text helpers ---------------------------------------------------------------------------
    @macro
    def intensity_unit(self) -> str:
        """The intensity unit(s) of table A.1 for the report's industry, as printed."""
        return "、".join(u.label for u in self.result.industry.units)

    @macro
    def industry_row(self) -> int:
        """The row number of the report's industry in table A.1."""
        return self.result.industry.number

    @macro
    def phases(self) -> list[str]:
        return self.result.phases

    @macro
    def has(self, phase: str) -> bool:
        return phase in self.result.rows

    @macro
    def is_new(self) -> bool:
        """A new project (新建): no 现有工程."""
        return "existing" not in self.result.rows

    @macro
    def project_name(self) -> str:
        """The project's name: the report title without its trailing “碳排放评价”."""
        title = self.report.title.strip()
        for suffix in TITLE_SUFFIXES:
            if title.endswith(suffix) and len(title) > len(suffix):
                return title[: -len(suffix)]
        return title

    @macro
    def project_nature(self) -> str:
        """新建 or 改扩建, with what the accounting covers (clause 7.5.2)."""
        if self.is_new():
            return "本项目为新建项目，无现有工程，碳排放核算对象为拟建工程"
        text = "本项目为改扩建项目，碳排放核算对象包括现有工程、拟建工程"
        if self.has("retired"):
            text += "及随本项目关停或替代的现有排放源（“以新带老”）"
        return text

    @macro
    def sources(self, phase: str = "proposed") -> Markup:
        """The emission sources of one phase by category of table B.1, as a sentence part."""
        rows = self.result.rows.get(phase, [])
        parts = []
        for category, category_label in CATEGORIES.items():
            names = [r.name for r in rows if r.category == category]
            if names:
                parts.append(Markup("{}（{}）").format(category_label, "、".join(names)))
        if not parts:
            return Markup("无排放源")
        return Markup("，").join(parts)

    @macro
    def activity(self, phase: str, name: str) -> Markup:
        """The activity data of one B.1 row (消耗量, 活动水平 …) as written, for the prose."""
        row = next((r for r in self.result.rows.get(phase, []) if r.name == name), None)
        if row is None:
            raise KeyError(f"{PHASES.get(phase, phase)}中没有名为 “{name}” 的排放源")
        amount = row.parameters[0].value
        return self._value(amount.magnitude, amount.unit, row)

    @macro
    def param(self, phase: str, name: str, indicator: str) -> Markup:
        """One parameter of a B.1 row (低位发热量, 电网年平均供电排放因子 …) as used, for the prose;
        in the site a default carries its citation, a reported value its report line."""
        row = next((r for r in self.result.rows.get(phase, []) if r.name == name), None)
        if row is None:
            raise KeyError(f"{PHASES.get(phase, phase)}中没有名为 “{name}” 的排放源")
        parameter = next((p for p in row.parameters if p.label == indicator), None)
        if parameter is None:
            labels = "、".join(p.label for p in row.parameters)
            raise KeyError(f"“{name}” 没有指标 “{indicator}”（可选：{labels}）")
        origin = parameter.origin
        title = origin.citation if origin is not None and origin.default else self._where(row)
        return self._value(*_shown(parameter, row), row, title)

    @macro
    def diagram(self, file: str, caption: str, figure_id: str = "flow") -> Markup:
        """A numbered figure (图 n-m, caption below) from an SVG file of the report folder, such
        as the process flow chart with its carbon emission nodes (指南 7.2.3)."""
        folder = self.folder.resolve()
        path = (folder / file).resolve()
        if path.suffix.lower() != ".svg" or folder not in path.parents:
            raise ValueError(f"图件须为报告目录内的 SVG 文件：{file}")
        svg = path.read_text(encoding="utf-8")
        start = svg.find("<svg")
        if start < 0:
            raise ValueError(f"{file} 不是 SVG 文件")
        return self._chart(figure_id, caption, svg[start:])

    @macro
    def basis(self, phase: str, name: str) -> Markup:
        """A phase's intensity basis (工业总产值, 供热量 …) as written, for the prose."""
        phases = self.report.phases()
        if phase not in phases or name not in phases[phase].basis:
            raise KeyError(f"{PHASES.get(phase, phase)}的 basis 中没有 “{name}”")
        amount = phases[phase].basis[name]
        text = f"{_input(amount.magnitude)} {label(amount.unit)}".strip()
        return self._input_markup(text, f"报告数据：{phase}.basis.{name}")

    # ---- 1.1 energy use -------------------------------------------------------------------------
    @macro
    def table_energy(self) -> Markup:
        """能源、电力、热力使用情况 (附录D 1.1): the activity data of every phase."""
        head = [[Cell("工程"), Cell("类别"), Cell("名称"), Cell("能源/物料"), Cell("年消耗量")]]
        body: list[list[Cell]] = []
        for phase in self.result.rows:
            lines = []
            for row in self.result.rows[phase]:
                amount = row.parameters[0]
                what = self._fuel(row) or {
                    "process": amount.label,
                    "electricity": "电力",
                    "heat": "热力",
                }.get(row.category, "")
                lines.append(
                    [
                        Cell(CATEGORIES[row.category]),
                        Cell(row.name),
                        Cell(what),
                        _num(self._value(amount.value.magnitude, amount.value.unit, row)),
                    ]
                )
            for n, line in enumerate(lines):
                prefix = (
                    [Cell(PHASE_COLUMNS[phase], rowspan=len(lines), head=True)] if n == 0 else []
                )
                body.append(prefix + line)
        return self._table(Table("energy", "能源、电力和热力使用情况", head, body, css="energy"))

    def _value(self, magnitude: float, unit: str, row: B1Row, origin: str = "") -> Markup:
        text = f"{_input(magnitude)} {label(unit)}".strip()
        return self._input_markup(text, origin or self._where(row))

    def _where(self, row: B1Row) -> str:
        return f"报告数据：{row.source}" if row.source else "报告数据"

    def _input_markup(self, text: str, title: str) -> Markup:
        """An input value; in the site it carries where it comes from as a hover title."""
        if self.mode == "print" or not title:
            return Markup("{}").format(text)
        return Markup('<span class="input" title="{}">{}</span>').format(title, text)

    def _fuel(self, row: B1Row) -> str:
        """The fuel (燃料种类) of a fuel row, from the report model."""
        if row.category != "fuel":
            return ""
        phase = self.report.phases()[row.phase]
        fuel = next((f for f in phase.fuels if f.name == row.name), None)
        return fuel.fuel if isinstance(fuel, FuelRow) else ""

    # ---- table B.1 ------------------------------------------------------------------------------
    @macro
    def table_b1(self, phase: str = "proposed") -> Markup:
        """碳排放量核算表 (table B.1) for one phase: the four categories of the guideline, every
        parameter row, the formula with its values, and the emission of each source."""
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
        defaults = False
        for category, category_label in CATEGORIES.items():
            members = [r for r in rows if r.category == category]
            if not members:
                body.append(
                    [
                        Cell(category_label, css="category"),
                        Cell(NOT_APPLICABLE),
                        Cell("本工程无此类排放源", colspan=5),
                        _num(NOT_APPLICABLE),
                    ]
                )
                continue
            span = sum(len(r.parameters) for r in members)
            first_of_category = True
            for n, row in enumerate(members, 1):
                figure = self.ledger[row.key]
                k = len(row.parameters)
                for p, parameter in enumerate(row.parameters):
                    cells: list[Cell] = []
                    if first_of_category:
                        cells.append(Cell(category_label, rowspan=span, css="category"))
                        first_of_category = False
                    if p == 0:
                        cells += [Cell(str(n), rowspan=k), Cell(self._row_name(row), rowspan=k)]
                    magnitude, unit = _shown(parameter, row)
                    origin = parameter.origin
                    is_default = origin is not None and origin.default
                    defaults |= is_default
                    title = origin.citation if is_default and origin else self._where(row)
                    shown = self._input_markup(_input(magnitude), title)
                    if is_default:
                        shown = Markup("{}<sup>a</sup>").format(shown)
                    cells += [
                        Cell(parameter.label),
                        Cell(label(unit) if unit else NOT_APPLICABLE),
                        _num(shown),
                    ]
                    if p == 0:
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
        body.append(
            [
                Cell("合计", colspan=7, css="total"),
                _num(self._figure_markup(total, fixed(total.value, 2))),
            ]
        )
        notes: list[str | Markup] = []
        if defaults:
            notes.append(
                Markup("a 报告未给出，采用缺省值；来源与年份见{}。").format(self.ref("factors"))
                if self.filing
                else Markup("a 报告未给出，采用因子集 {} 的缺省值；来源、年份与等级见{}。").format(
                    self.report.factors, self.ref("factors")
                )
            )
        sum_note = self._sum_note([fixed(r.emission, 2) for r in rows], fixed(total.value, 2))
        if sum_note:
            notes.append(sum_note)
        caption = f"{PHASES[phase]}碳排放量核算表"
        return self._table(Table(f"b1-{phase}", caption, head, body, notes, css="b1"))

    def _row_name(self, row: B1Row) -> Markup:
        """名称: the source, and for a fuel row its 燃料种类 (the guideline's column)."""
        fuel = self._fuel(row)
        if fuel and fuel != row.name:
            return Markup("{}<br>（{}）").format(row.name, fuel)
        return Markup("{}").format(row.name)

    def _formula(self, row: B1Row) -> Markup:
        """The formula in words, then with the values of the table substituted."""
        values = []
        for parameter in row.parameters:
            magnitude, unit = _shown(parameter, row)
            values.append(f"{_input(magnitude)} {label(unit)}".strip())
        substituted = " × ".join(values)
        if row.category == "fuel":
            substituted += " × 44/12"
        return Markup("{}<br>= {}").format(row.formula, substituted)

    # ---- table B.2 ------------------------------------------------------------------------------
    @macro
    def table_b2(self) -> Markup:
        """碳排放量汇总表 (table B.2): 现有工程, 拟建工程, “以新带老”碳减排量, 总体工程, 净新增.

        A phase the report does not have is “—” (not applicable): 现有工程 of a new project, and
        “以新带老” of a new project. An expansion without retired sources shows 0.00."""
        keys = [
            ("existing", "现有工程"),
            ("proposed", "拟建工程"),
            ("offset", "“以新带老”碳减排量"),
            ("overall", "总体工程"),
            ("net_new", "净新增"),
        ]
        absent = set()
        if self.is_new():
            absent = {"existing", "offset"}
        shown = {k: fixed(self.ledger[f"b2.{k}"].value, 2) for k, _ in keys}
        head = [[Cell("")] + [Cell(text) for _, text in keys]]
        row = [Cell(Markup("碳排放量 (tCO₂/a)"), head=True)]
        for k, _ in keys:
            if k in absent:
                row.append(_num(NOT_APPLICABLE))
            else:
                row.append(_num(self._figure_markup(self.ledger[f"b2.{k}"], shown[k])))
        notes: list[str] = [
            "注：总体工程 = 现有工程 + 拟建工程 − “以新带老”碳减排量；"
            "净新增 = 拟建工程 − “以新带老”碳减排量。"
        ]
        if self.is_new():
            notes.append(
                "注：本项目为新建项目，无现有工程和“以新带老”削减（表中“—”表示不适用），"
                "总体工程与净新增碳排放量即拟建工程碳排放量。"
            )
        elif not self.has("retired"):
            notes.append("注：本项目无随之关停或替代的现有排放源，“以新带老”碳减排量为 0。")
        overall = self._sum_note(
            [shown["existing"], shown["proposed"], "-" + shown["offset"]], shown["overall"]
        )
        net = self._sum_note([shown["proposed"], "-" + shown["offset"]], shown["net_new"])
        if overall or net:
            notes.append(ROUNDING_NOTE)
        return self._table(Table("b2", "碳排放量汇总表", head, [row], notes, css="b2"))

    # ---- table B.3 ------------------------------------------------------------------------------
    @macro
    def table_b3(self) -> Markup:
        """碳排放强度核算表 (table B.3): per basis, the intensity of 现有工程, 拟建工程 and 总体工程
        with its 计算公式 (values substituted, the t → kg conversion written out)."""
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
                    row += [_num(NOT_APPLICABLE), Cell(NOT_APPLICABLE)]
                    continue
                figure = self.ledger[key]
                row += [
                    _num(self._figure_markup(figure, fixed(figure.value, 2))),
                    Cell(self._b3_formula(basis, per, phase), css="formula"),
                ]
            body.append(row)
        notes = [
            f"注：碳排放强度单位按表 A.1 “{self.result.industry.name}”取 {self.intensity_unit()}；"
            "总体工程的核算基准 = 现有工程 + 拟建工程 − “以新带老”。"
        ]
        return self._table(Table("b3", "碳排放强度核算表", head, body, notes, css="b3"))

    def _b3_formula(self, basis: str, per: str, phase: str) -> Markup:
        phases = self.report.phases()

        def amount(key: str) -> str:
            return f"{_input(phases[key].basis[basis].to(per))} {label(per)}"

        if phase == "overall":
            emission = self.ledger["b2.overall"]
            present = [
                k
                for k in ("existing", "proposed", "retired")
                if k in phases and basis in phases[k].basis
            ]
            text = " + ".join(amount(k) for k in present if k != "retired")
            if "retired" in present:
                text += f" − {amount('retired')}"
            denominator = f"({text})" if len(present) > 1 else text
            words = f"碳排放量 ÷ 总体{basis}"
        else:
            emission = self.ledger[f"b2.{phase}"]
            denominator = amount(phase)
            words = f"碳排放量 ÷ {basis}"
        return Markup("{}<br>= {} tCO₂/a × 1000 kg/t ÷ {}").format(
            words, fixed(emission.value, 2), denominator
        )

    # ---- factors --------------------------------------------------------------------------------
    @macro
    def table_factors(self) -> Markup:
        """排放因子及来源: every factor used, once per value, with the sources that use it and its
        source document, year and grade. A factor the report states itself is matched against the
        factor library; a value found there is cited with that entry's year and grade."""
        entries: dict[tuple[str, ...], _FactorEntry] = {}
        sources_of: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for phase, rows in self.result.rows.items():
            for row in rows:
                for parameter in row.parameters:
                    if parameter.origin is None:
                        continue
                    subject = self._fuel(row) or {
                        "electricity": "电力",
                        "heat": "热力",
                    }.get(row.category, row.name)
                    magnitude, unit = _shown(parameter, row)
                    value = f"{_input(magnitude)} {label(unit)}"
                    notes = [label(parameter.value.text)] if unit != parameter.value.unit else []
                    notes += ["缺省值"] if parameter.origin.default else []
                    if notes:
                        value += f"\n（{'，'.join(notes)}）"
                    source, year, grade = self._factor_source(row, parameter)
                    key = (subject, parameter.label, value.strip(), source, year, grade)
                    if key not in entries:
                        entries[key] = _FactorEntry(
                            subject,
                            parameter.label,
                            value.strip(),
                            source,
                            year,
                            grade,
                            parameter.origin.default,
                        )
                    entries[key].uses.append((phase, row.name))
                    sources_of.setdefault((subject, parameter.label), set()).add((phase, row.name))
        head = [
            [
                Cell("序号"),
                Cell("燃料/能源"),
                Cell("参数"),
                Cell("取值"),
                Cell("适用排放源"),
                Cell("来源"),
                Cell("年份"),
                *([] if self.filing else [Cell("等级")]),
            ]
        ]
        body = [
            [
                Cell(str(n)),
                Cell(e.subject),
                Cell(e.parameter),
                Cell(
                    Markup("<br>").join(
                        self._input_markup(part, f"来源：{e.source}")
                        for part in e.value.split("\n")
                    )
                ),
                Cell(self._uses(e, sources_of[(e.subject, e.parameter)])),
                Cell(e.source),
                Cell(e.year),
                *([] if self.filing else [Cell(e.grade)]),
            ]
            for n, e in enumerate(entries.values(), 1)
        ]
        if not body:
            body = [[Cell("本项目核算未使用排放因子", colspan=len(head[0]))]]
        notes = [FACTORS_NOTE_FILED if self.filing else FACTORS_NOTE_REVIEW]
        return self._table(Table("factors", "排放因子及来源", head, body, notes, css="factors"))

    def _uses(self, entry: _FactorEntry, every: set[tuple[str, str]]) -> Markup:
        """适用排放源: “各工程全部…” when the value serves every source of its kind (more than
        one), else the sources by phase."""
        if len(entry.uses) > 1 and set(entry.uses) == every:
            kind = {"电力": "外购电力", "热力": "外购热力"}.get(entry.subject)
            return Markup("各工程全部{}").format(kind or f"{entry.subject}燃烧设施")
        by_phase: dict[str, list[str]] = {}
        for phase, name in entry.uses:
            by_phase.setdefault(phase, []).append(name)
        return Markup("<br>").join(
            Markup("{}：{}").format(PHASE_COLUMNS[phase], "、".join(names))
            for phase, names in by_phase.items()
        )

    def _factor_source(self, row: B1Row, parameter: Parameter) -> tuple[str, str, str]:
        """(来源, 年份, 等级) of one factor of a B.1 row."""
        origin = parameter.origin
        name = LIBRARY_PARAMETER.get(parameter.label)
        if origin is not None and origin.default:
            library = FactorLibrary.default()
            factor = library.find(self.report.factors, self._fuel(row), name) if name else None
            if factor is not None:
                return _document(factor), factor.year, _grade(factor.grade)
            grade = _grade(origin.grade) if origin.grade else NOT_APPLICABLE
            return origin.citation, NOT_APPLICABLE, grade
        match = self._library_match(row, name, parameter.value) if name else None
        if match is None:
            return "报告给出", NOT_APPLICABLE, NOT_APPLICABLE
        return f"报告给出，与{_document(match)}取值一致", match.year, _grade(match.grade)

    def _library_match(self, row: B1Row, name: str, value: Amount) -> Factor | None:
        """The best library entry whose value equals a factor the report states itself."""
        library = FactorLibrary.default()
        fuel = self._fuel(row)
        wanted = library.resolve(self.report.factors)
        found: list[Factor] = []
        for factor in library.rows():
            if factor.parameter != name:
                continue
            if row.category == "fuel" and factor.item != fuel:
                continue
            try:
                converted = factor.value.to(value.unit)
            except (UnitError, pint.errors.PintError, ValueError):
                continue  # another dimension: not this factor
            if math.isclose(converted, value.magnitude, rel_tol=1e-9):
                found.append(factor)
        if not found:
            return None
        return min(
            found,
            key=lambda f: (
                f.set != wanted,
                GRADES.index(f.grade) if f.grade in GRADES else len(GRADES),
                -int(f.year) if f.year.isdigit() else 0,
            ),
        )

    # ---- chapter 3: controls --------------------------------------------------------------------
    @macro
    def table_controls(self) -> Markup:
        """碳排放管控要求调查结果: total-emission targets (6.1) and intensity targets and advanced
        values (6.2), in the order of clause 8.2."""
        c = self.report.controls
        head = [[Cell("类别"), Cell("名称"), Cell("层级"), Cell("核算基准"), Cell("目标值")]]
        body = []
        if c.district_total is not None:
            body.append(
                [
                    Cell("碳排放总量管控目标"),
                    Cell(f"{self.report.district}碳排放总量目标"),
                    Cell("区级行政区"),
                    Cell(NOT_APPLICABLE),
                    _num(
                        self._input_markup(
                            label(c.district_total.text), _DATA.format("district_total")
                        )
                    ),
                ]
            )
        if c.park_total is not None:
            body.append(
                [
                    Cell("碳排放总量管控目标"),
                    Cell(f"{self.report.park or '所在产业园区'}碳排放总量目标"),
                    Cell("产业园区"),
                    Cell(NOT_APPLICABLE),
                    _num(self._input_markup(label(c.park_total.text), _DATA.format("park_total"))),
                ]
            )
        ordered = sorted(enumerate(c.intensity), key=lambda x: LEVEL_ORDER.index(x[1].level))
        for index, control in ordered:
            where = _DATA.format(f"intensity[{index}].value")
            body.append(
                [
                    Cell("碳排放强度"),
                    Cell(control.name),
                    Cell(control.level),
                    Cell(control.basis),
                    _num(self._input_markup(label(control.value.text), where)),
                ]
            )
        if not body:
            body.append([Cell("未调查到碳排放管控目标", colspan=5)])
        return self._table(Table("controls", "碳排放管控要求调查结果", head, body))

    # ---- clause 8: level analysis ---------------------------------------------------------------
    @macro
    def level_total(self, which: str = "district") -> Markup:
        """The clause-8.1 sentence: the project's net new emissions (8.1.3; a new project's
        emissions) as a share of the district's (8.1.1) or park's (8.1.2) total-emission target."""
        key = f"level.{which}_share_pct"
        c = self.report.controls
        target = c.district_total if which == "district" else c.park_total
        if which == "park" and not self.report.park and target is None:
            return Markup(
                "本项目不位于产业园区内，不开展产业园区碳排放总量贡献分析（指南 8.1.2）。"
            )
        place = (
            self.report.district if which == "district" else (self.report.park or "所在产业园区")
        )
        if key not in self.ledger or target is None:
            return Markup("经调查，{}尚未发布碳排放总量管控目标，本项不作定量分析。").format(place)
        net = self.ledger["b2.net_new"]
        if self.is_new():
            subject = "本项目为新建项目，碳排放量（即净新增碳排放量）为 {net}"
        elif which == "district":
            subject = (
                "按指南 8.1.3，改扩建项目以净新增碳排放量进行分析。本项目净新增碳排放量为 {net}"
            )
        else:
            subject = "本项目净新增碳排放量 {net}"
        if net.value > 0:
            return Markup(subject + "，占{place}碳排放总量目标（{target}）的 {share}。").format(
                net=self.fig("b2.net_new"),
                place=place,
                target=label(target.text),
                share=self.fig(key),
            )
        decrease = self._figure_markup(net, f"{fixed(-net.value, 2)} {label(net.unit)}")
        return Markup(
            subject + "，即项目实施后碳排放量净减少 {decrease}，不增加{place}碳排放总量，"
            "对{place}碳排放总量目标（{target}）无新增压力。"
        ).format(
            net=self.fig("b2.net_new"), decrease=decrease, place=place, target=label(target.text)
        )

    @macro
    def level_intensity(self, part: str = "all") -> Markup:
        """The clause-8.2 sentences, with a verdict (满足/不满足) that follows the data.

        ``part``: ``"考核目标"`` (附录D 3.2.1), ``"先进值"`` (3.2.2: 行业先进值, then 国内外先进值)
        or ``"all"``. The benchmark is the first level present in the order 考核目标 → 行业先进值 →
        国内外先进值 (8.2.1–8.2.3); later levels are compared as references."""
        checks = self.result.checks
        levels = {
            "考核目标": ("考核目标",),
            "先进值": ("行业先进值", "国内外先进值"),
            "all": LEVEL_ORDER,
        }[part]
        primary = self._primary_level()
        sentences: list[Markup] = []
        if part in ("考核目标", "all") and not any(c.level == "考核目标" for c in checks):
            fallback = {
                "行业先进值": "按指南 8.2.2 以所属行业碳排放强度先进值为基准进行评价",
                "国内外先进值": "按指南 8.2.3 以国内外同行业企业碳排放强度先进值为基准进行评价",
            }.get(primary or "", "本项不作定量分析")
            sentences.append(
                Markup(
                    "经调查，区级行政区、产业园区及所属行业尚未发布碳排放强度考核目标，{}。"
                ).format(fallback)
            )
        if part == "先进值" and primary == "考核目标" and any(c.level in levels for c in checks):
            sentences.append(Markup("本项目已有碳排放强度考核目标，以下先进值作为对标参考。"))
        for level in levels:
            names = list(dict.fromkeys(c.control for c in checks if c.level == level))
            for name in names:
                group = [c for c in checks if c.level == level and c.control == name]
                sentences.append(self._intensity_sentence(group, level == primary))
        if part == "先进值" and not any(c.level in levels for c in checks):
            sentences.append(
                Markup(
                    "经调查，未获得所属行业及国内外同行业企业碳排放强度先进值，本项不作定量分析。"
                )
            )
        if part == "all" and not checks:
            sentences = [Markup("未调查到碳排放强度考核目标或先进值，本项不作定量分析。")]
        return Markup("").join(sentences)

    def _primary_level(self) -> str | None:
        return next(
            (lvl for lvl in LEVEL_ORDER if any(c.level == lvl for c in self.result.checks)), None
        )

    def _intensity_sentence(self, group: Sequence[IntensityCheck], primary: bool) -> Markup:
        first = group[0]
        target_amount = next(
            (c.value for c in self.report.controls.intensity if c.name == first.control), None
        )
        unit = label(first.unit)
        if target_amount is not None and label(target_amount.unit) == unit:
            target = label(target_amount.text)
        else:
            target = f"{fixed(first.target, 2)} {unit}"
        role = "为评价基准" if primary else "为对标参考"
        clauses = []
        for check in group:
            figure = self.ledger[f"b3.{check.basis}.{check.phase}"]
            relation = (
                "低于"
                if check.intensity < check.target
                else ("等于" if check.intensity == check.target else "高于")
            )
            # The verdict only against the basis clause 8.2 selects; any other value is a
            # comparison (优于 / 未达到 …水平) that never reads as a verdict.
            outcome = (
                Markup("<strong>{}</strong>要求").format("满足" if check.meets else "不满足")
                if primary
                else Markup("{}{}水平").format(
                    "未达到" if not check.meets else ("优于" if relation == "低于" else "达到"),
                    first.level,
                )
            )
            clauses.append(
                Markup("{phase}碳排放强度为 {value}，{relation}该值，{outcome}").format(
                    phase=PHASE_COLUMNS.get(check.phase, "总体工程"),
                    value=self._figure_markup(
                        figure, f"{fixed(figure.value, 2)} {label(figure.unit)}"
                    ),
                    relation=relation,
                    outcome=outcome,
                )
            )
        return Markup("以{name}（{level}，{target}）{role}，{clauses}。").format(
            name=first.control,
            level=first.level,
            target=target,
            role=role,
            clauses=Markup("；").join(clauses),
        )

    @macro
    def verdict(self, phase: str = "proposed") -> str:
        """满足 / 不满足 of one phase against the benchmark of clause 8.2 (first level present)."""
        checks = [c for c in self.result.checks if c.phase == phase]
        if not checks:
            return "无评价基准"
        primary = next(level for level in LEVEL_ORDER if any(c.level == level for c in checks))
        return "满足" if all(c.meets for c in checks if c.level == primary) else "不满足"

    @macro
    def benchmark(self) -> str:
        """The names of the clause-8.2 benchmark (the first level present), for the conclusions."""
        primary = self._primary_level()
        if primary is None:
            return "无"
        names = dict.fromkeys(c.control for c in self.result.checks if c.level == primary)
        return "、".join(names)

    @macro
    def conclusion_level(self) -> Markup:
        """Chapter 6: the clause-8 results in two short sentences (shares, then the verdicts
        against the benchmark)."""
        sentences = []
        shares = []
        c = self.report.controls
        for which, place, target in (
            ("district", self.report.district, c.district_total),
            ("park", self.report.park or "所在产业园区", c.park_total),
        ):
            key = f"level.{which}_share_pct"
            if key in self.ledger and target is not None and self.value("b2.net_new") > 0:
                shares.append(Markup("占{}碳排放总量目标的 {}").format(place, self.fig(key)))
        what = "碳排放量" if self.is_new() else "净新增碳排放量"
        if shares:
            sentences.append(Markup("本项目{}").format(what) + Markup("，").join(shares) + "。")
        elif self.value("b2.net_new") <= 0:
            sentences.append(
                Markup("本项目实施后碳排放量净减少 {}，不增加所在区域碳排放总量。").format(
                    self._figure_markup(
                        self.ledger["b2.net_new"],
                        f"{fixed(-self.value('b2.net_new'), 2)} tCO₂/a",
                    )
                )
            )
        primary = self._primary_level()
        if primary is not None:
            checks = [c for c in self.result.checks if c.level == primary]
            parts = []
            for check in checks:
                figure = self.ledger[f"b3.{check.basis}.{check.phase}"]
                parts.append(
                    Markup("{}碳排放强度 {}，{}").format(
                        PHASE_COLUMNS.get(check.phase, "总体工程"),
                        self._figure_markup(
                            figure, f"{fixed(figure.value, 2)} {label(figure.unit)}"
                        ),
                        "满足要求" if check.meets else "不满足要求",
                    )
                )
            sentences.append(
                Markup("以{}（{}）为评价基准，{}。").format(
                    self.benchmark(), primary, Markup("，").join(parts)
                )
            )
        else:
            sentences.append(Markup("未调查到碳排放强度考核目标或先进值。"))
        return Markup("").join(sentences)

    # ---- conclusions ----------------------------------------------------------------------------
    @macro
    def summary_emissions(self) -> Markup:
        """The chapter-6 sentence on the accounting result (B.2 and B.3 in one sentence)."""
        parts = [Markup("拟建工程碳排放量为 {}").format(self.fig("b2.proposed"))]
        if not self.is_new():
            parts.append(Markup("现有工程为 {}").format(self.fig("b2.existing")))
            parts.append(Markup("“以新带老”碳减排量为 {}").format(self.fig("b2.offset")))
            parts.append(Markup("总体工程为 {}").format(self.fig("b2.overall")))
        parts.append(Markup("净新增碳排放量为 {}").format(self.fig("b2.net_new")))
        text = Markup("，").join(parts)
        intensities = []
        for basis in self.result.basis_units:
            for phase, name in (("proposed", "拟建工程"), ("overall", "总体工程")):
                key = f"b3.{basis}.{phase}"
                if key in self.ledger and not (phase == "overall" and self.is_new()):
                    intensities.append(Markup("{}为 {}").format(name, self.fig(key)))
            if intensities:
                text += Markup("；以{}计的碳排放强度").format(basis) + Markup("，").join(
                    intensities
                )
                intensities = []
        return text + Markup("。")

    @macro
    def total_reduction(self) -> Markup:
        """The sum of the reductions of table C.1, in tCO₂/a (with its addition as hover)."""
        values = [self._reduction(m) for m in self.report.measures]
        return self._sum_markup(values, "tCO₂/a")

    # ---- table C.1, C.2 -------------------------------------------------------------------------
    @macro
    def table_measures(self) -> Markup:
        """碳减排措施表 (table C.1), grouped by 源头防控, 过程控制, 工程治理 (clause 9.1.1)."""
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
        investments: list[float] = []
        reductions: list[float] = []
        for category in ("源头防控", "过程控制", "工程治理"):
            members = [m for m in self.report.measures if m.category == category]
            if not members:
                body.append(
                    [
                        Cell(category, head=True),
                        Cell("本项目无此类措施", colspan=3),
                        _num(NOT_APPLICABLE),
                        _num(NOT_APPLICABLE),
                    ]
                )
                continue
            for n, m in enumerate(members):
                investment = m.investment.to("万元")
                reduction = self._reduction(m)
                investments.append(investment)
                reductions.append(reduction)
                where = f"报告数据：measures[{self.report.measures.index(m)}]"
                row = [Cell(category, rowspan=len(members), head=True)] if n == 0 else []
                row += [
                    Cell(m.name),
                    Cell(label(m.process) or NOT_APPLICABLE),
                    Cell(label(m.scale) or NOT_APPLICABLE),
                    _num(self._input_markup(fixed(investment, 2), f"{where}.investment")),
                    _num(self._input_markup(fixed(reduction, 2), f"{where}.reduction")),
                ]
                body.append(row)
        body.append(
            [
                Cell("合计", colspan=4, css="total"),
                _num(self._sum_markup(investments, "", with_unit=False)),
                _num(self._sum_markup(reductions, "", with_unit=False)),
            ]
        )
        notes = []
        if self._sum_note(
            [fixed(v, 2) for v in investments], fixed(sum(investments), 2)
        ) or self._sum_note([fixed(v, 2) for v in reductions], fixed(sum(reductions), 2)):
            notes.append(ROUNDING_NOTE)
        retirements = self._retirement_rows()
        if retirements:
            body += retirements
            notes.append(
                "“以新带老”碳减排量为随本项目关停、拆除的现有排放源的碳排放量（计入表 B.2），"
                "与上列措施的碳减排效果基准不同，不计入合计。"
            )
        return self._table(Table("c1", "碳减排措施表", head, body, notes, css="c1"))

    def _retirement_rows(self) -> list[list[Cell]]:
        """The “以新带老” measures of table C.1 (clause 9.1.1): each source of ``retired`` shut
        or removed with the project, its reduction that source's emissions (table B.1)."""
        retired = self.report.retired
        if retired is None:
            return []
        rows = [row for row in retired.rows() if f"b1.retired.{row.name}" in self.ledger]
        body = []
        for n, row in enumerate(rows):
            consumption = getattr(row, "consumption", None) or getattr(row, "activity", None)
            fuel = getattr(row, "fuel", "")
            scale = (
                f"年消耗{fuel or ''}{label(consumption.text)}"
                if isinstance(consumption, Amount)
                else NOT_APPLICABLE
            )
            cells = [Cell("“以新带老”", rowspan=len(rows), head=True)] if n == 0 else []
            cells += [
                Cell(f"关停拆除{row.name}"),
                Cell(NOT_APPLICABLE),
                Cell(scale),
                _num(NOT_APPLICABLE),
                _num(self.fig(f"b1.retired.{row.name}", unit=False)),
            ]
            body.append(cells)
        return body

    @staticmethod
    def _reduction(measure: Measure) -> float:
        reduction = measure.reduction
        return annual(reduction, "tCO2")

    def _sum_markup(self, values: Sequence[float], unit: str, *, with_unit: bool = True) -> Markup:
        """A sum of inputs, shown with 2 decimals; in the site its addition is the hover title."""
        total = math.fsum(values)
        text = fixed(total, 2) + (f" {unit}" if with_unit and unit else "")
        added = " + ".join(_input(v) for v in values) or "0"
        return self._input_markup(text, f"合计 = {added} = {_input(total)}（未修约）")

    @macro
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
                Cell(label(s.process) or NOT_APPLICABLE),
                Cell(label(s.scale) or NOT_APPLICABLE),
                _num(
                    self._input_markup(
                        fixed(s.investment.to("万元"), 2), f"报告数据：synergies[{n}].investment"
                    )
                ),
                Cell(label(s.pollution_effect) or NOT_APPLICABLE),
                Cell(label(s.carbon_effect) or NOT_APPLICABLE),
            ]
            for n, s in enumerate(self.report.synergies)
        ]
        if not body:
            body = [[Cell("本项目无协同减排措施", colspan=6)]]
        return self._table(Table("c2", "协同减排措施分析表", head, body, css="c2"))

    # ---- chapter 5: monitoring ------------------------------------------------------------------
    @macro
    def table_monitoring(self, phase: str = "proposed") -> Markup:
        """碳排放监测计划: every parameter of table B.1 of a phase (the proposed project by
        default, with 现有工程 for an expansion) and how it is monitored."""
        phases = [phase] if phase != "all" else [p for p in ("existing", "proposed") if self.has(p)]
        head = [[Cell("排放源"), Cell("监测参数"), Cell("监测方法与数据来源"), Cell("频次")]]
        body: list[list[Cell]] = []
        for key in phases:
            for row in self.result.rows.get(key, []):
                lines = [
                    [
                        Cell(p.label),
                        Cell(MONITORING.get(p.label, ("按核算要求", ""))[0]),
                        Cell(MONITORING.get(p.label, ("", "每年"))[1]),
                    ]
                    for p in row.parameters
                ]
                name = row.name if len(phases) == 1 else f"{PHASE_COLUMNS[key]}：{row.name}"
                for n, line in enumerate(lines):
                    body.append(
                        ([Cell(name, rowspan=len(lines), head=True)] if n == 0 else []) + line
                    )
        return self._table(Table("monitoring", "碳排放监测计划", head, body, css="monitoring"))

    # ---- chart ----------------------------------------------------------------------------------
    @macro
    def chart_structure(self) -> Markup:
        """碳排放结构 per phase (fuel, process, electricity, heat) as a stacked bar chart, with
        总体工程 (= 现有 + 拟建 − 以新带老, per category) for an expansion."""
        phases = [p for p in ("existing", "proposed", "retired") if p in self.result.rows]
        categories = [PHASE_COLUMNS[p] for p in phases]
        values = {
            c: [self.ledger[f"structure.{p}.{c}"].value for p in phases] for c in CHART_CATEGORIES
        }
        if not self.is_new():
            categories.append("总体工程")
            for c in CHART_CATEGORIES:
                part = {p: self.ledger[f"structure.{p}.{c}"].value for p in phases}
                values[c].append(
                    part.get("existing", 0.0) + part.get("proposed", 0.0) - part.get("retired", 0.0)
                )
        series = [(name, values[c]) for c, name in CHART_CATEGORIES.items()]
        svg = charts.stacked_bars(categories, series, unit="tCO₂/a")
        return self._chart("structure", "各工程碳排放结构", svg)


FACTORS_NOTE_FILED = (
    "注：“报告给出”为本报告直接采用的数值；与公开发布值一致时注明其来源与年份，"
    "否则年份记为“—”，其依据见正文说明。"
)
FACTORS_NOTE_REVIEW = (
    "注：等级按 tanping 因子库的来源分级：A 官方原文或其逐字转载；"
    "B 新闻或二手页面转引官方数值且两处以上独立来源一致；C 第三方转录，发布前应与原文核对。"
    "“报告给出”为本报告直接采用的数值；与因子库中某项取值一致时注明该项的来源、年份与等级，"
    "否则年份、等级记为“—”，其依据见正文说明。"
)


def _document(factor: Factor) -> str:
    """A factor's source document, clause and (for a grid or heat value) region and data year."""
    text = f"{factor.source} {factor.clause}".strip() if factor.clause else factor.source
    if factor.parameter == "ef_co2" and factor.item:
        qualifier = (
            f"，{factor.qualifier}年数据" if re.fullmatch(r"\d{4}", factor.qualifier) else ""
        )
        text += f"（{factor.item}{qualifier}）"
    return text


def _grade(grade: str) -> str:
    return "未经核实" if grade == "UNVERIFIED" else grade


def _total_key(phase: str) -> str:
    return {"retired": "offset"}.get(phase, phase)

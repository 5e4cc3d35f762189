"""Survey workbooks (企业调查表): the form sent to enterprises, and its import into a report.

:func:`survey_workbook` writes the form of a report kind: an instruction sheet (填表说明), then
one sheet per source type, the enterprises and the economy (park), or the bases (project).
Row 1 names each column in Chinese, row 2 gives its unit; a number written in a cell is in that
unit, a cell may also hold a quantity with its own unit (``800 t``). Drop-down lists offer the
fuels of the factor set, sectors, technologies, scenarios and years.

:func:`import_workbook` reads a filled form back into ``data/survey.yml`` of a report folder: a
readable YAML file with a comment naming the sheet and row of every entry. Each cell is checked
(a number where a number belongs, the unit of the column, a known fuel, a declared enterprise,
no row twice); the YAML is then validated exactly like hand-written YAML, by computing the
report with it, and every error names the sheet, the row and the column (and the YAML line).
Nothing is written unless the whole report computes; importing the same workbook again writes
the same bytes.

The sheets are data (:data:`PROJECT_SHEETS`, :data:`PARK_SHEETS`): a column maps to a field
path of the input model of ``spec/README.md``; the import only wires cells into those paths.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tanping.calc import park_vocabulary as vocabulary
from tanping.calc.errors import InputError, Location, ReportErrors
from tanping.calc.factors import FactorLibrary
from tanping.units import UnitError, parse_amount, parse_number

__all__ = ["SurveyError", "fill_survey", "import_workbook", "survey_workbook"]

SURVEY_FILE = "data/survey.yml"
INSTRUCTIONS = "填表说明"
LISTS = "选项"  # the hidden sheet that holds the drop-down lists
HEADER_ROWS = 2
FIRST_YEAR, LAST_YEAR = 2010, 2060
NONE = "—"  # a unit cell for a count or a bare number

PHASES = {"现有工程": "existing", "拟建工程": "proposed", "以新带老削减": "retired"}
# the vocabulary of the park inventory (calc/data/park_*.yml), label -> id
SECTORS = {label: sector for sector, label in vocabulary.sectors().items()}
GROUPS = {g.label: g.id for g in vocabulary.groups().values()}
MODES = {label: mode for mode, label in vocabulary.modes().items()}
YES_NO = {"是": True, "否": False}
BOILERS = {"燃煤": "燃煤", "燃油": "燃油", "燃气": "燃气"}
REDUCTIONS = {k: k for k in ("CCUS", "副产气回收", "绿电", "自建光伏", "其他")}
PROCESS_TYPES = {
    "水泥熟料": "cement",
    "石灰": "lime",
    "电石": "calcium_carbide",
    "钢铁": "steel",
    "己二酸": "adipic_acid",
    "硝酸": "nitric_acid",
    "一氯二氟甲烷（HCFC-22）": "hcfc22",
    "原铝": "aluminium",
    "镁": "magnesium",
    "电气设备": "electrical_equipment",
    "半导体": "semiconductor",
    "氢氟烃生产": "hfc_production",
    "平板玻璃": "flat_glass",
}
#: Process types whose parameters are maps keyed by a technology (``production: {双加压法: …}``)
#: and those whose items hold parameters (``gases: {NF3: {use: …, ef: …}}``).
KEYED = {"nitric_acid", "aluminium", "magnesium"}
NESTED = {"semiconductor": "gases", "hfc_production": "gases", "flat_glass": "carbonates"}
TECHNOLOGIES = [
    "高压法（无NSCR）",
    "高压法（有NSCR）",
    "中压法",
    "常压法",
    "双加压法",
    "综合法",
    "低压法",
    "点式下料预焙槽",
    "侧插阳极棒自焙槽",
    "原镁生产",
    "镁加工",
    "CF4",
    "CHF3",
    "C2F6",
    "SF6",
    "NF3",
    "HFC-32",
    "HFC-125",
    "HFC-134a",
    "HFC-143a",
    "HFC-152a",
    "HFC-227ea",
    "HFC-236fa",
    "HFC-245fa",
]
PROCESS_PARAMETERS = {
    "熟料产量": "clinker",
    "电石渣生产的熟料产量": "carbide_slag_clinker",
    "产量": "production",
    "排放因子": "ef",
    "石灰石用量": "limestone",
    "石灰石排放因子": "ef_limestone",
    "白云石用量": "dolomite",
    "白云石排放因子": "ef_dolomite",
    "生铁产量": "pig_iron",
    "生铁含碳率": "pig_iron_carbon",
    "粗钢产量": "crude_steel",
    "粗钢含碳率": "crude_steel_carbon",
    "CF4排放因子": "ef_cf4",
    "C2F6排放因子": "ef_c2f6",
    "SF6使用量": "sf6_use",
    "气体使用量": "use",
    "碳酸盐用量": "mass",
    "煅烧比例": "calcination",
}


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its Chinese name, the field path it fills, the cell type
    (``text``, ``year``, ``number``, ``quantity``, ``fraction`` (a quantity or a bare number),
    ``choice``), the unit of row 2, and the drop-down list it offers."""

    name: str
    path: tuple[str, ...]
    type: str = "text"
    unit: str = ""
    choices: str = ""  # a list of :func:`_lists`
    required: bool = False
    key: bool = False  # part of what makes a row unique


@dataclass(frozen=True)
class Sheet:
    name: str
    target: str  # where its rows go: "phase.fuels", "phase.basis", "sources.combustion", …
    columns: tuple[Column, ...]
    note: str = ""


def _c(
    name: str, path: str, type: str = "text", unit: str = "", choices: str = "", **kw: Any
) -> Column:
    return Column(name, tuple(path.split(".")), type, unit, choices, **kw)


_PHASE = _c("工程", "_phase", "choice", choices="phases", required=True, key=True)
_NAME = _c("名称", "name", required=True, key=True)
PROJECT_SHEETS = (
    Sheet(
        "燃料燃烧",
        "phase.fuels",
        (
            _PHASE,
            _NAME,
            _c("燃料品种", "fuel", "choice", choices="fuels", required=True),
            _c("消耗量", "consumption", "quantity", "万Nm3", required=True),
            _c("低位发热量", "lhv", "quantity", "GJ/万Nm3"),
            _c("单位热值含碳量", "carbon_content", "quantity", "tC/GJ"),
            _c("碳氧化率", "oxidation", "fraction", "%"),
        ),
        "低位发热量、单位热值含碳量、碳氧化率可不填：采用报告因子集的缺省值。",
    ),
    Sheet(
        "工业生产过程",
        "phase.processes",
        (
            _PHASE,
            _NAME,
            _c("活动水平", "activity", "quantity", "t", required=True),
            _c("排放因子", "factor", "quantity", "tCO2/t", required=True),
        ),
    ),
    Sheet(
        "外购电力",
        "phase.electricity",
        (
            _PHASE,
            _NAME,
            _c("消耗量", "consumption", "quantity", "MWh", required=True),
            _c("排放因子", "factor", "quantity", "tCO2/MWh", required=True),
        ),
    ),
    Sheet(
        "外购热力",
        "phase.heat",
        (
            _PHASE,
            _NAME,
            _c("消耗量", "consumption", "quantity", "GJ", required=True),
            _c("排放因子", "factor", "quantity", "tCO2/GJ", required=True),
        ),
    ),
    Sheet(
        "核算基准",
        "phase.basis",
        (
            _PHASE,
            _c("基准名称", "_basis", required=True, key=True),
            _c("数值", "_value", "quantity", "万元", required=True),
        ),
        "碳排放强度的分母，如 工业总产值（万元）、供热量（GJ）。",
    ),
)

_PERIOD = _c("年份", "period", "year", choices="years", required=True, key=True)
_SCENARIO = _c("情景", "scenario", "choice", choices="scenarios", key=True)
_ENTERPRISE = _c("企业", "enterprise", "choice", choices="enterprises", key=True)
_INDUSTRY = _c("行业", "industry", "choice", choices="industries", key=True)
_OWNER = (_PERIOD, _SCENARIO, _ENTERPRISE, _INDUSTRY)
_FUEL = _c("燃料品种", "fuel", "choice", choices="fuels", required=True, key=True)
_AMOUNT = _c("消耗量", "amount", "quantity", "t", required=True)
_LHV = _c("低位发热量", "lhv", "quantity", "GJ/t")
PARK_SHEETS = (
    Sheet(
        "行业",
        "industries",
        (
            _c("行业名称", "name", required=True, key=True),
            _c("行业类别", "group", "choice", choices="groups", required=True),
        ),
    ),
    Sheet(
        "企业",
        "enterprises",
        (
            _c("企业名称", "name", required=True, key=True),
            _c("所属行业", "industry", "choice", choices="industries", required=True),
            _c("经度", "location.0", "number", "°", required=True),
            _c("纬度", "location.1", "number", "°", required=True),
            _c("重点企业", "key", "choice", choices="yes_no"),
            _c("纳入碳市场", "trading", "choice", choices="trading"),
        ),
    ),
    Sheet(
        "经济与能耗",
        "economy",
        (
            _PERIOD,
            _SCENARIO,
            _c("行业", "industry", "choice", choices="industries", required=True, key=True),
            _c("工业总产值", "output_value", "quantity", "亿元"),
            _c("工业增加值", "value_added", "quantity", "亿元"),
            _c("综合能耗", "energy_use", "quantity", "万tce"),
            _c("主要产品产量", "product", "quantity", "万t"),
        ),
    ),
    Sheet(
        "化石燃料燃烧",
        "sources.combustion",
        (
            *_OWNER,
            _FUEL,
            _c("部门", "sector", "choice", choices="sectors", required=True, key=True),
            _AMOUNT,
            _LHV,
            _c("CO2排放因子", "ef_co2", "quantity", "kgCO2/TJ"),
            _c("单位热值含碳量", "carbon_content", "quantity", "tC/TJ"),
            _c("碳氧化率", "oxidation", "fraction", "%"),
        ),
        "CO2排放因子与（单位热值含碳量、碳氧化率）二选一。",
    ),
    Sheet(
        "锅炉N2O",
        "sources.boiler_n2o",
        (
            *_OWNER,
            _c("锅炉类型", "boiler", "choice", choices="boilers", required=True, key=True),
            _FUEL,
            _c("部门", "sector", "choice", choices="sectors"),
            _AMOUNT,
            _LHV,
            _c("N2O排放因子", "ef_n2o", "quantity", "kgN2O/TJ", required=True),
        ),
    ),
    Sheet(
        "移动源",
        "sources.mobile",
        (
            *_OWNER,
            _c("运输方式", "mode", "choice", choices="modes", required=True, key=True),
            _FUEL,
            _AMOUNT,
            _LHV,
            _c("CH4排放因子", "ef_ch4", "quantity", "kgCH4/TJ", required=True),
            _c("N2O排放因子", "ef_n2o", "quantity", "kgN2O/TJ", required=True),
        ),
        "只填 CH4 与 N2O；同一燃料的 CO2 填在“化石燃料燃烧”，部门选 交通运输。",
    ),
    Sheet(
        "生物质燃烧",
        "sources.biomass",
        (
            *_OWNER,
            _c("燃料品种", "fuel", required=True, key=True),
            _c("部门", "sector", "choice", choices="sectors", required=True, key=True),
            _AMOUNT,
            _LHV,
            _c("CH4排放因子", "ef_ch4", "quantity", "kgCH4/TJ", required=True),
            _c("N2O排放因子", "ef_n2o", "quantity", "kgN2O/TJ", required=True),
        ),
    ),
    Sheet(
        "天然气系统逃逸",
        "sources.gas_fugitive",
        (
            *_OWNER,
            _c("增压站数量", "boosting_stations", "fraction", NONE),
            _c("增压站排放因子", "ef_boosting", "quantity", "tCH4"),
            _c("计量站数量", "metering_stations", "fraction", NONE),
            _c("计量站排放因子", "ef_metering", "quantity", "tCH4"),
            _c("截断阀数量", "check_valves", "fraction", NONE),
            _c("截断阀排放因子", "ef_check_valve", "quantity", "tCH4"),
            _c("天然气消费量", "consumption", "quantity", "万Nm3"),
            _c("消费环节排放因子", "ef_consumption", "quantity", "tCH4/万Nm3"),
        ),
    ),
    Sheet(
        "电力调入调出",
        "sources.electricity",
        (
            *_OWNER,
            _c("调入电量", "import", "quantity", "MWh", required=True),
            _c("调出电量", "export", "quantity", "MWh"),
            _c("电网排放因子", "factor", "quantity", "tCO2/MWh", required=True),
        ),
    ),
    Sheet(
        "工业生产过程",
        "sources.process",
        (
            *_OWNER,
            _c("过程类型", "_type", "choice", choices="process_types", required=True, key=True),
            _c("技术或气体", "_item", "choice", choices="technologies", key=True),
            _c(
                "参数",
                "_parameter",
                "choice",
                choices="process_parameters",
                required=True,
                key=True,
            ),
            _c("数值", "_value", "fraction", "见单位列", required=True),
            _c("单位", "_unit", "text"),
        ),
        "每行一个参数；同一企业同一年份同一过程类型的各行合为一个排放源。"
        "硝酸、原铝、镁按技术填写产量与排放因子，半导体、氢氟烃按气体，平板玻璃按碳酸盐。"
        "单位填在“单位”列（如 tCO2/t）；比例可不填单位。",
    ),
    Sheet(
        "废水处理",
        "sources.wastewater",
        (
            *_OWNER,
            _c("废水COD总量", "tow", "quantity", "tCOD", required=True),
            _c("污泥去除COD", "sludge", "quantity", "tCOD"),
            _c("CH4排放因子", "ef", "quantity", "kgCH4/kgCOD"),
            _c("最大产甲烷能力", "bo", "quantity", "kgCH4/kgCOD"),
            _c("甲烷修正因子", "mcf", "fraction", NONE),
            _c("甲烷回收量", "recovered", "quantity", "tCH4"),
        ),
    ),
    Sheet(
        "减排量",
        "sources.reduction",
        (
            *_OWNER,
            _c("减排类型", "kind", "choice", choices="reductions", required=True, key=True),
            _c("减排量", "amount", "quantity", "tCO2e"),
            _c("替代电量", "electricity", "quantity", "MWh"),
            _c("电网排放因子", "factor", "quantity", "tCO2/MWh"),
        ),
        "填减排量，或同时填替代电量与电网排放因子。",
    ),
)
SHEETS = {"project": PROJECT_SHEETS, "park": PARK_SHEETS}
_CHOICE_MAPS: dict[str, dict[str, Any]] = {
    "phases": PHASES,
    "sectors": SECTORS,
    "groups": GROUPS,
    "modes": MODES,
    "yes_no": YES_NO,
    "boilers": BOILERS,
    "reductions": REDUCTIONS,
    "process_types": PROCESS_TYPES,
    "process_parameters": PROCESS_PARAMETERS,
}


class SurveyError(InputError):
    """A cell of a survey workbook that cannot be imported: names the sheet, row and column."""


def _where(file: str, sheet: str, row: int, column: int | None, name: str = "") -> Location:
    cell = f"，{get_column_letter(column)} 列（{name}）" if column else ""
    return Location(file, None, f"工作表“{sheet}” 第 {row} 行{cell}")


@dataclass
class _Context:
    """What the drop-down lists and the checks know: from the report folder, if any."""

    fuels: list[str]
    scenarios: dict[str, str] = field(default_factory=dict)  # id -> name
    years: list[int] = field(default_factory=list)
    enterprises: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)

    def lists(self) -> dict[str, list[str]]:
        return {
            "fuels": self.fuels,
            "scenarios": list(self.scenarios.values()) or ["基准情景", "对照情景"],
            "years": [str(y) for y in (self.years or range(FIRST_YEAR, LAST_YEAR + 1))],
            "enterprises": self.enterprises,
            "industries": self.industries,
            "technologies": TECHNOLOGIES,
            "trading": ["是", "否", "全国碳市场", "地方碳市场"],
            **{name: list(values) for name, values in _CHOICE_MAPS.items()},
        }


def _context(folder: Path | None, kind: str) -> _Context:
    library = FactorLibrary.default()
    if folder is None or not (Path(folder) / "report.yml").is_file():
        return _Context(fuels=library.items("cn-default", "lhv"))
    from tanping.calc.loader import read_report

    data, _ = read_report(Path(folder))
    factors = str(data.get("factors", "cn-default"))
    context = _Context(fuels=library.items(factors, "lhv") or library.items("cn-default", "lhv"))
    if kind == "park":
        context.scenarios = {str(k): str(v) for k, v in (data.get("scenarios") or {}).items()}
        context.years = [
            int(y) for y in [*(data.get("history") or []), *(data.get("planning") or [])]
        ]
        context.enterprises = [str(e.get("name")) for e in data.get("enterprises") or []]
        context.industries = [str(i.get("name")) for i in data.get("industries") or []]
    return context


# ---- the form ------------------------------------------------------------------------------------

_HEAD_FONT = Font(bold=True)
_UNIT_FILL = PatternFill("solid", fgColor="EEEEEE")


def survey_workbook(kind: str, folder: Path | None = None) -> Workbook:
    """The blank survey form of report kind ``kind`` (lists from ``folder``'s report, if given)."""
    context = _context(folder, kind)
    sheets = SHEETS[kind]
    workbook = Workbook()
    guide = workbook.active
    guide.title = INSTRUCTIONS
    lines = [
        "碳排放调查表（" + ("建设项目" if kind == "project" else "产业园区规划") + "）",
        "",
        "1. 每个工作表对应一类排放源或基础信息；第 1 行为栏目名称，第 2 行为计量单位，"
        "自第 3 行起每行填写一条记录。",
        "2. 数值按第 2 行的单位填写纯数字；单位不同时可在单元格内连同单位填写，"
        "如 800 t、0.0202 tC/GJ。",
        "3. 带下拉箭头的栏目请从列表中选择（燃料品种为报告所用因子集中的燃料）。",
        "4. 不适用的栏目留空；不要改动第 1、2 行，不要合并单元格。",
        "5. 填好后交评价单位，由 tanping import 导入报告；导入时逐格校验，"
        "出错时指明工作表、行与列。",
        "",
    ]
    for sheet in sheets:
        lines.append(f"【{sheet.name}】" + (sheet.note or ""))
    for n, line in enumerate(lines, 1):
        guide.cell(row=n, column=1, value=line).font = Font(bold=n == 1)
    guide.column_dimensions["A"].width = 120
    lists = workbook.create_sheet(LISTS)
    ranges: dict[str, str] = {}
    for n, (name, values) in enumerate(context.lists().items(), 1):
        lists.cell(row=1, column=n, value=name)
        for r, value in enumerate(values, 2):
            lists.cell(row=r, column=n, value=value)
        letter = get_column_letter(n)
        ranges[name] = f"'{LISTS}'!${letter}$2:${letter}${max(len(values) + 1, 2)}"
    lists.sheet_state = "hidden"
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.name)
        for c, column in enumerate(sheet.columns, 1):
            head = ws.cell(row=1, column=c, value=column.name + ("*" if column.required else ""))
            head.font = _HEAD_FONT
            head.alignment = Alignment(horizontal="center", wrap_text=True)
            unit = ws.cell(row=2, column=c, value=column.unit or None)
            unit.fill = _UNIT_FILL
            unit.alignment = Alignment(horizontal="center")
            ws.column_dimensions[get_column_letter(c)].width = max(10, 2 * len(column.name) + 4)
            if column.choices:
                validation = DataValidation(
                    type="list", formula1=ranges[column.choices], allow_blank=True
                )
                validation.error = "请从下拉列表中选择"
                validation.showErrorMessage = column.choices not in (
                    "fuels",
                    "enterprises",
                    "industries",
                    "scenarios",
                    "years",
                )
                ws.add_data_validation(validation)
                validation.add(f"{get_column_letter(c)}3:{get_column_letter(c)}2000")
        ws.freeze_panes = "A3"
    workbook.move_sheet(LISTS, offset=len(workbook.sheetnames))
    return workbook


def save_workbook(workbook: Workbook, out: Path) -> Path:
    buffer = io.BytesIO()
    workbook.save(buffer)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    return out


# ---- filling a form from report data (the inverse of the import) ---------------------------------


def _cell_value(value: Any, column: Column) -> Any:
    """A YAML value as the form holds it: a number in the column's unit, else the text."""
    if column.type in ("quantity", "fraction") and isinstance(value, str):
        number, _, unit = value.strip().partition(" ")
        if unit.strip() == column.unit:
            try:
                return parse_number(number)
            except (UnitError, ValueError):
                return value
        return value
    if column.choices == "trading" and isinstance(value, bool):
        return "是" if value else "否"
    if column.type == "choice" and column.choices in _CHOICE_MAPS:
        for label, code in _CHOICE_MAPS[column.choices].items():
            if (code == value and not isinstance(value, bool)) or (value is code):
                return label
    return value


def fill_survey(workbook: Workbook, kind: str, data: dict[str, Any]) -> Workbook:
    """Write the data of a report (its parsed YAML) into a survey form, one row per entry."""
    rows: dict[str, list[dict[tuple[str, ...], Any]]] = {s.name: [] for s in SHEETS[kind]}
    scenario_names = {str(k): str(v) for k, v in (data.get("scenarios") or {}).items()}
    if kind == "project":
        for phase_label, phase in PHASES.items():
            block = data.get(phase) or {}
            for sheet in PROJECT_SHEETS:
                part = sheet.target.split(".")[1]
                if part == "basis":
                    for name, value in (block.get("basis") or {}).items():
                        rows[sheet.name].append(
                            {("_phase",): phase_label, ("_basis",): name, ("_value",): value}
                        )
                    continue
                for entry in block.get(part) or []:
                    rows[sheet.name].append({("_phase",): phase_label, **_flatten(entry)})
    else:
        for sheet in PARK_SHEETS:
            if not sheet.target.startswith("sources."):
                for entry in data.get(sheet.target) or []:
                    rows[sheet.name].append(_flatten(entry))
                continue
            source_type = sheet.target.split(".")[1]
            for source in data.get("sources") or []:
                if source_type not in source:
                    continue
                owner: dict[tuple[str, ...], Any] = {
                    (k,): (
                        scenario_names.get(str(source[k]), source[k])
                        if k == "scenario"
                        else source[k]
                    )
                    for k in ("period", "scenario", "enterprise", "industry")
                    if k in source
                }
                if source_type == "process":
                    rows[sheet.name] += [{**owner, **r} for r in _process_rows(source["process"])]
                else:
                    rows[sheet.name].append({**owner, **_flatten(source[source_type])})
    for entry in rows.get("工业生产过程", []) if kind == "park" else []:
        number, _, unit = str(entry[("_value",)]).strip().partition(" ")
        entry[("_value",)] = parse_number(number)
        if unit.strip():
            entry[("_unit",)] = unit.strip()
    for sheet in SHEETS[kind]:
        ws = workbook[sheet.name]
        for r, entry in enumerate(rows[sheet.name], HEADER_ROWS + 1):
            for c, column in enumerate(sheet.columns, 1):
                if column.path in entry:
                    ws.cell(row=r, column=c, value=_cell_value(entry[column.path], column))
    return workbook


def _flatten(entry: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}
    for key, value in entry.items():
        if isinstance(value, dict):
            out.update(_flatten(value, (*prefix, str(key))))
        elif isinstance(value, list):
            for n, item in enumerate(value):
                out[(*prefix, str(key), str(n))] = item
        else:
            out[(*prefix, str(key))] = value
    return out


def _process_rows(process: dict[str, Any]) -> list[dict[tuple[str, ...], Any]]:
    type_label = next(k for k, v in PROCESS_TYPES.items() if v == process["type"])
    parameter_label = {v: k for k, v in PROCESS_PARAMETERS.items()}
    out: list[dict[tuple[str, ...], Any]] = []
    for key, value in process.items():
        if key == "type":
            continue
        if isinstance(value, dict) and process["type"] in NESTED:
            for item, fields in value.items():
                for parameter, amount in fields.items():
                    out.append(
                        {
                            ("_type",): type_label,
                            ("_item",): item,
                            ("_parameter",): parameter_label[parameter],
                            ("_value",): amount,
                        }
                    )
        elif isinstance(value, dict):
            for item, amount in value.items():
                out.append(
                    {
                        ("_type",): type_label,
                        ("_item",): item,
                        ("_parameter",): parameter_label[key],
                        ("_value",): amount,
                    }
                )
        else:
            out.append(
                {("_type",): type_label, ("_parameter",): parameter_label[key], ("_value",): value}
            )
    return out


# ---- the import ----------------------------------------------------------------------------------


@dataclass
class _Entry:
    """One YAML entry made from one row: where it goes, its fields and their cells."""

    sheet: str
    row: int
    target: str
    fields: dict[tuple[str, ...], Any]
    cells: dict[tuple[str, ...], int]  # field path -> column


def _read_cell(
    value: Any, column: Column, unit: str, where: Location, context: _Context
) -> tuple[Any, InputError | None]:
    """A cell's value as YAML writes it, or the error that names it."""

    def error(problem: str, hint: str) -> tuple[Any, InputError]:
        return None, SurveyError(problem, hint, where)

    if isinstance(value, str):
        value = value.strip()
    if column.type == "year":
        try:
            year = int(float(value))
        except (TypeError, ValueError):
            return error(f"年份 “{value}” 不是四位数字", "写作 2024 这样的年份")
        if float(value) != year or not FIRST_YEAR - 20 <= year <= LAST_YEAR + 40:
            return error(f"年份 “{value}” 不合理", "写作 2024 这样的四位年份")
        return year, None
    if column.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                return parse_number(value), None
            except (UnitError, ValueError):
                return error(f"“{value}” 不是数字", "该栏只填数字，如 106.52")
        return float(value), None
    if column.type in ("quantity", "fraction"):
        if isinstance(value, bool):
            return error(f"“{value}” 不是数值", "填写数字")
        if isinstance(value, int | float):
            if not unit or unit == NONE:
                if column.type == "fraction":
                    return value, None
                return error(
                    f"数值 {value} 没有单位：第 2 行的单位格为空",
                    f"在第 2 行填写该栏的单位（如 {column.unit}），或在单元格中连同单位填写",
                )
            return f"{_number_text(value)} {unit}", None
        text = str(value)
        try:
            parse_amount(text, bare_number=column.type == "fraction")
        except (UnitError, ValueError) as err:
            hint = (
                getattr(err, "hint", "")
                or f"填写数字（单位 {unit or column.unit}），或数字加单位，如 12 {column.unit}"
            )
            return error(f"“{text}” 不是数值：{getattr(err, 'problem', err)}", hint)
        number_only = text.replace(",", "")
        try:
            float(number_only)
        except ValueError:
            return text, None
        if column.type == "fraction" and (not unit or unit == NONE):
            return text, None
        if not unit or unit == NONE:
            return error(
                f"数值 {text} 没有单位：第 2 行的单位格为空",
                f"在第 2 行填写该栏的单位（如 {column.unit}）",
            )
        return f"{text} {unit}", None
    text = str(value)
    if column.choices in _CHOICE_MAPS:
        mapping = _CHOICE_MAPS[column.choices]
        if text in mapping:
            return mapping[text], None
        if text in mapping.values():
            return text, None
        listed = "、".join(mapping)
        return error(f"“{text}” 不在选项中", f"从下拉列表中选择：{listed}")
    if column.choices == "trading":  # 是/否, or the name of the market
        return YES_NO.get(text, text), None
    if column.choices == "fuels" and context.fuels and text not in context.fuels:
        return error(
            f"未知的燃料品种 “{text}”：报告因子集中没有这种燃料",
            "从下拉列表中选择：" + "、".join(context.fuels),
        )
    if column.choices == "scenarios" and context.scenarios:
        names = {v: k for k, v in context.scenarios.items()}
        if text in names:
            return names[text], None
        if text not in context.scenarios:
            return error(f"未知的情景 “{text}”", "从下拉列表中选择：" + "、".join(names))
    return text, None


def _number_text(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def read_entries(
    workbook: Workbook, kind: str, file: str, context: _Context
) -> tuple[list[_Entry], list[InputError]]:
    entries: list[_Entry] = []
    errors: list[InputError] = []
    for sheet in SHEETS[kind]:
        if sheet.name not in workbook.sheetnames:
            errors.append(
                SurveyError(
                    f"缺少工作表“{sheet.name}”",
                    "请用 tanping survey 生成的调查表填写",
                    Location(file),
                )
            )
            continue
        ws = workbook[sheet.name]
        units = [ws.cell(row=2, column=c).value for c in range(1, len(sheet.columns) + 1)]
        seen: dict[tuple[Any, ...], int] = {}
        for r, row in enumerate(
            ws.iter_rows(min_row=HEADER_ROWS + 1, max_col=len(sheet.columns), values_only=True),
            HEADER_ROWS + 1,
        ):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            entry = _Entry(sheet.name, r, sheet.target, {}, {})
            for c, (column, value) in enumerate(zip(sheet.columns, row, strict=False), 1):
                where = _where(file, sheet.name, r, c, column.name)
                if value is None or (isinstance(value, str) and not value.strip()):
                    if column.required:
                        errors.append(
                            SurveyError(
                                f"“{column.name}” 未填写", "该栏为必填（栏目名带 *）", where
                            )
                        )
                    continue
                unit = units[c - 1]
                if column.path == ("_value",):  # a long sheet: the unit of the row
                    unit = (
                        row[len(sheet.columns) - 1]
                        if sheet.columns[-1].path == ("_unit",)
                        else unit
                    )
                parsed, problem = _read_cell(
                    value, column, str(unit).strip() if unit else "", where, context
                )
                if problem is not None:
                    errors.append(problem)
                    continue
                entry.fields[column.path] = parsed
                entry.cells[column.path] = c
            key = tuple(entry.fields.get(col.path) for col in sheet.columns if col.key)
            if sheet.target == "sources.process":
                key = (*key,)
            if key in seen:
                keys = "、".join(c.name for c in sheet.columns if c.key)
                errors.append(
                    SurveyError(
                        f"与第 {seen[key]} 行重复（{keys} 相同）",
                        "删去重复的一行，或改正其中一行",
                        _where(file, sheet.name, r, None),
                    )
                )
                continue
            seen[key] = r
            entries.append(entry)
    _check_owners(entries, errors, file, context)
    return entries, errors


def _check_owners(
    entries: list[_Entry], errors: list[InputError], file: str, context: _Context
) -> None:
    """A source names a declared enterprise or industry (in the form or the report)."""
    enterprises = set(context.enterprises) | {
        e.fields.get(("name",)) for e in entries if e.target == "enterprises"
    }
    industries = set(context.industries) | {
        e.fields.get(("name",)) for e in entries if e.target == "industries"
    }
    for entry in entries:
        checks = []
        if (
            entry.target.startswith("sources.")
            or entry.target == "enterprises"
            or entry.target == "economy"
        ):
            if entry.target.startswith("sources."):
                checks.append((("enterprise",), enterprises, "企业", "企业"))
            checks.append((("industry",), industries, "行业", "行业"))
        for path, known, what, sheet in checks:
            value = entry.fields.get(path)
            if value is not None and value not in known:
                listed = "、".join(sorted(str(k) for k in known if k)) or "（无）"
                column = entry.cells[path]
                errors.append(
                    SurveyError(
                        f"未知的{what} “{value}”：调查表的“{sheet}”工作表和报告中都没有",
                        f"先在“{sheet}”工作表中登记，或改为已登记的名称：{listed}",
                        _where(
                            file,
                            entry.sheet,
                            entry.row,
                            column,
                            path[0] and ("企业" if what == "企业" else "行业"),
                        ),
                    )
                )
        if entry.target.startswith("sources.") and (("enterprise",) in entry.fields) == (
            ("industry",) in entry.fields
        ):
            errors.append(
                SurveyError(
                    "须且只须填写“企业”或“行业”之一",
                    "排放源属于一家企业，或整个行业",
                    _where(file, entry.sheet, entry.row, None),
                )
            )


def _nest(fields: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in fields.items():
        if path[0].startswith("_"):
            continue
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    for key, value in list(out.items()):  # location.0 / location.1 -> a list
        if isinstance(value, dict) and value and all(k.isdigit() for k in value):
            out[key] = [value[k] for k in sorted(value, key=int)]
    return out


@dataclass
class _Block:
    """A YAML entry to write: its lines and, per line, the (sheet, row, column) it came from."""

    comment: str
    data: dict[str, Any]
    origin: dict[tuple[str, ...], tuple[str, int, int]]


def _blocks(entries: list[_Entry], kind: str) -> dict[str, list[_Block]]:
    """The entries grouped under their top-level key (a process source merges its rows)."""
    out: dict[str, list[_Block]] = {}
    processes: dict[tuple[Any, ...], _Block] = {}
    for e in entries:
        origin_of = {p: (e.sheet, e.row, c) for p, c in e.cells.items()}
        comment = f"调查表“{e.sheet}” 第 {e.row} 行"
        if e.target.startswith("phase."):
            phase, part = e.fields[("_phase",)], e.target.split(".")[1]
            if part == "basis":
                name = e.fields[("_basis",)]
                block = _Block(
                    comment,
                    {"basis": {name: e.fields[("_value",)]}},
                    {("basis", name): origin_of[("_value",)]},
                )
            else:
                data = _nest(e.fields)
                block = _Block(
                    comment,
                    {part: [data]},
                    {(part, *p): o for p, o in origin_of.items() if not p[0].startswith("_")},
                )
            out.setdefault(phase, []).append(block)
        elif e.target.startswith("sources."):
            source_type = e.target.split(".")[1]
            owner = {
                k: e.fields[(k,)]
                for k in ("period", "scenario", "enterprise", "industry")
                if (k,) in e.fields
            }
            owner_origin: dict[tuple[str, ...], tuple[str, int, int]] = {
                (k,): origin_of[(k,)] for k in owner
            }
            if source_type == "process":
                ptype = e.fields[("_type",)]
                group = (*owner.items(), ptype)
                parameter = e.fields[("_parameter",)]
                item = e.fields.get(("_item",))
                value = e.fields[("_value",)]
                if group not in processes:
                    block = _Block(
                        comment, {**owner, "process": {"type": ptype}}, dict(owner_origin)
                    )
                    processes[group] = block
                    out.setdefault("sources", []).append(block)
                else:
                    block = processes[group]
                    block.comment += f"、第 {e.row} 行"
                body = block.data["process"]
                if ptype in NESTED and item is not None:
                    path: tuple[str, ...] = (NESTED[ptype], str(item), parameter)
                elif ptype in KEYED and item is not None:
                    path = (parameter, str(item))
                else:
                    path = (parameter,)
                node = body
                for part in path[:-1]:
                    node = node.setdefault(part, {})
                node[path[-1]] = value
                block.origin[("process", *path)] = origin_of[("_value",)]
                continue
            data = _nest({p: v for p, v in e.fields.items() if p[0] not in owner})
            block = _Block(
                comment,
                {**owner, source_type: data},
                {
                    **owner_origin,
                    **{(source_type, *p): o for p, o in origin_of.items() if p[0] not in owner},
                },
            )
            out.setdefault("sources", []).append(block)
        else:
            block = _Block(comment, _nest(e.fields), origin_of)
            out.setdefault(e.target, []).append(block)
    return out


def _dump(value: Any) -> str:
    return (
        yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10000)
        .strip()
        .removesuffix("\n...")
    )


def render_yaml(
    blocks: dict[str, list[_Block]], source: str
) -> tuple[str, dict[int, tuple[str, int, int | None]]]:
    """The YAML text of the import and, per line, the sheet, row and column it came from."""
    lines = [
        f"# 由调查表 {source} 导入（tanping import）；请在调查表中修改后重新导入，不要手工编辑。"
    ]
    origin: dict[int, tuple[str, int, int | None]] = {}

    def emit(text: str, where: tuple[str, int, int | None] | None) -> None:
        lines.append(text)
        if where is not None:
            origin[len(lines)] = where

    def write(
        node: Any, path: tuple[str, ...], indent: int, block: _Block, first_prefix: str = ""
    ) -> None:
        pad = " " * indent
        assert isinstance(node, dict)
        for n, (key, value) in enumerate(node.items()):
            prefix = first_prefix if n == 0 else " " * len(first_prefix)
            where = block.origin.get((*path, str(key)))
            row_where = (
                where
                or (
                    block.origin
                    and (
                        next(iter(block.origin.values()))[0],
                        next(iter(block.origin.values()))[1],
                        None,
                    )
                )
                or None
            )
            if isinstance(value, dict):
                emit(f"{pad}{prefix}{_dump(key)}:", row_where)
                write(value, (*path, str(key)), indent + len(prefix) + 2, block)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                emit(f"{pad}{prefix}{_dump(key)}:", row_where)
                for item in value:
                    write(item, (*path, str(key)), indent + len(prefix) + 2, block, "- ")
            else:
                emit(f"{pad}{prefix}{_dump(key)}: {_dump(value)}", where or row_where)

    phases = [k for k in PHASES.values() if k in blocks]
    for top in [
        *phases,
        *(k for k in ("industries", "enterprises", "economy", "sources") if k in blocks),
    ]:
        emit(f"{top}:", None)
        if top in PHASES.values():  # a phase: lists (fuels …) and the basis mapping
            by_part: dict[str, list[_Block]] = {}
            for block in blocks[top]:
                by_part.setdefault(next(iter(block.data)), []).append(block)
            for part, part_blocks in by_part.items():
                emit(f"  {part}:", None)
                for block in part_blocks:
                    emit(f"    # {block.comment}", None)
                    if part == "basis":
                        ((name, value),) = block.data["basis"].items()
                        emit(f"    {_dump(name)}: {_dump(value)}", block.origin[("basis", name)])
                    else:
                        write(block.data[part][0], (part,), 4, block, "- ")
            continue
        for block in blocks[top]:
            emit(f"  # {block.comment}", None)
            write(block.data, (), 2, block, "- ")
    return "\n".join(lines) + "\n", origin


def import_workbook(file: Path, folder: Path) -> tuple[Path, int]:
    """Import a filled survey form into ``folder/data/survey.yml``; returns the file and the
    number of entries. Raises :class:`ReportErrors` (each error naming sheet, row and column)
    and writes nothing if any cell or the report computed with it is not valid."""
    file, folder = Path(file), Path(folder)
    if folder.is_file():
        folder = folder.parent
    try:
        workbook = load_workbook(file, data_only=True)
    except (OSError, ValueError, KeyError) as err:
        raise SurveyError(
            f"无法读取调查表：{err}",
            "请提供 tanping survey 生成并填好的 .xlsx 文件",
            Location(str(file)),
        ) from err
    from tanping.calc.loader import read_report

    data, _ = read_report(folder)
    kind = str(data.get("kind"))
    if kind not in SHEETS:
        raise SurveyError(
            f"报告类型 “{kind}” 没有调查表",
            "kind 应为 project 或 park",
            Location(str(folder / "report.yml")),
        )
    context = _context(folder, kind)
    entries, errors = read_entries(workbook, kind, file.name, context)
    if errors:
        raise ReportErrors(errors)
    text, origin = render_yaml(_blocks(entries, kind), file.name)
    _validate(folder, text, origin, file.name)
    target = folder / SURVEY_FILE
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return target, len(entries)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, target)
    return target, len(entries)


def _validate(
    folder: Path, text: str, origin: dict[int, tuple[str, int, int | None]], source: str
) -> None:
    """Compute the report with the imported YAML in a copy of its folder; each error is given
    the sheet, row and column of its YAML line."""
    from tanping.calc.pipeline import compute

    with tempfile.TemporaryDirectory(prefix="tanping-import-") as tmp:
        copy = Path(tmp) / folder.name
        shutil.copytree(
            folder,
            copy,
            ignore=shutil.ignore_patterns("*.md", "*.pdf", "*.docx", "*.xlsx"),
            symlinks=True,
        )
        (copy / SURVEY_FILE).parent.mkdir(parents=True, exist_ok=True)
        (copy / SURVEY_FILE).write_text(text, encoding="utf-8")
        try:
            compute(copy)
        except ReportErrors as err:
            raise ReportErrors(
                [_located(e, origin, source, folder, copy) for e in err.errors]
            ) from None
        except InputError as err:
            raise ReportErrors([_located(err, origin, source, folder, copy)]) from None


def _located(
    error: InputError,
    origin: dict[int, tuple[str, int, int | None]],
    source: str,
    folder: Path,
    copy: Path,
) -> InputError:
    location = error.location
    if location is None:
        return error
    file = location.file.replace(str(copy), str(folder))
    if location.file.endswith(SURVEY_FILE.split("/")[-1]) and location.line in origin:
        sheet, row, column = origin[location.line]
        cell = f"，{get_column_letter(column)} 列" if column else ""
        where = Location(
            source,
            None,
            f"工作表“{sheet}” 第 {row} 行{cell}"
            f"（导入后为 {SURVEY_FILE} 第 {location.line} 行 {location.path}）",
        )
        return SurveyError(error.problem, error.hint, where)
    return (
        type(error)(error.problem, error.hint, Location(file, location.line, location.path))
        if isinstance(error, SurveyError)
        else InputError(error.problem, error.hint, Location(file, location.line, location.path))
    )

"""The construction-project pipeline (Beijing guideline): report model -> tables B.1–B.3, the level
analysis of clause 8 and the ledger.

Stages: :func:`resolve_fuels` fills the parameters a fuel row leaves out from the report's factor
set (recording each default with its source), :func:`account` evaluates table B.1 row by row,
:func:`retired_within_existing` refuses a “以新带老” reduction larger than the existing project, and
:func:`summarise` builds B.2, B.3 and the level analysis. Every figure goes into the ledger with
its derivation; ``{key}`` in a derivation stands for another ledger figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pint

from tanping.calc import equations as eq
from tanping.calc.catalogues import IndustryRow, closest, industry_units
from tanping.calc.errors import FactorError, InputError, Location, ReportErrors
from tanping.calc.factors import FactorLibrary, require_fuel_set
from tanping.calc.ledger import Derivation, FactorUse, Ledger
from tanping.calc.loader import Key
from tanping.calc.models.project import (
    ElectricityRow,
    FuelRow,
    HeatRow,
    Phase,
    ProcessRow,
    ProjectReport,
)
from tanping.calc.plausibility import implausible_values, intensity_slip
from tanping.units import Amount, Quantity, UnitError, annual, conversion_factor, dimensionality

Locate = Callable[[Sequence[Key]], Location]

PHASES = {"existing": "现有工程", "proposed": "拟建工程", "retired": "“以新带老”削减"}
CATEGORIES = {
    "fuel": "燃料燃烧",
    "process": "工业生产过程与产品使用",
    "electricity": "消耗外部电力",
    "heat": "消耗外部热力",
}
LEVEL_ORDER = ("考核目标", "行业先进值", "国内外先进值")  # clause 8.2
MONEY = dimensionality("万元")
REPORTED = "报告给出"


@dataclass(frozen=True, slots=True)
class Parameter:
    """One indicator line of table B.1 (消耗量, 低位发热量 …) with its value and origin."""

    label: str
    value: Amount
    origin: FactorUse | None = None  # where a factor comes from (None: activity data)


@dataclass(frozen=True, slots=True)
class B1Row:
    phase: str
    category: str
    name: str
    parameters: tuple[Parameter, ...]
    emission: float  # tCO2/a, unrounded
    key: str
    formula: str
    substituted: str
    source: Location | None = None


@dataclass(frozen=True, slots=True)
class IntensityCheck:
    """An intensity compared with a target or advanced value (clause 8.2)."""

    control: str
    level: str
    basis: str
    phase: str
    intensity: float
    target: float
    unit: str
    meets: bool


@dataclass
class ProjectResult:
    report: ProjectReport
    industry: IndustryRow
    ledger: Ledger
    rows: dict[str, list[B1Row]] = field(default_factory=dict)
    basis_units: dict[str, str] = field(default_factory=dict)
    checks: list[IntensityCheck] = field(default_factory=list)

    @property
    def phases(self) -> list[str]:
        return list(self.report.phases())


def _factor_use(parameter: str, value: Amount, origin: Any | None) -> FactorUse:
    if origin is None:
        return FactorUse(parameter, value.text, REPORTED)
    return FactorUse(parameter, value.text, origin.citation(), origin.grade, default=True)


FUEL_PARAMETERS = (
    ("lhv", "低位发热量"),
    ("carbon_content", "单位热值含碳量"),
    ("oxidation", "碳氧化率"),
)


def resolve_fuels(
    row: FuelRow,
    library: FactorLibrary,
    set_name: str,
    where: Sequence[Key],
    locate: Locate,
) -> tuple[dict[str, Amount], dict[str, FactorUse]]:
    """The row's lhv, carbon content and oxidation, each from the row or the factor set."""
    values: dict[str, Amount] = {}
    uses: dict[str, FactorUse] = {}
    for name, label in FUEL_PARAMETERS:
        given = getattr(row, name)
        if given is not None:
            values[name] = given
            uses[name] = _factor_use(label, given, None)
            continue
        factor = library.find(set_name, row.fuel, name)
        if factor is None:
            known = library.items(set_name, name)
            near = closest(row.fuel, known)
            raise FactorError(
                f"燃料 “{row.fuel}” 在因子集 {set_name} 中没有{label}（{name}），而本行也未给出",
                f"在本行写明 {name}"
                + (f"；或检查燃料名称，是否为 {'、'.join(near)}？" if near else "")
                + f"（{set_name} 收录：{'、'.join(known[:12])}…）",
                locate((*where, "fuel")),
            )
        if not factor.verified:
            raise FactorError(
                f"因子集 {set_name} 中 “{row.fuel}” 的{label}未经核实（UNVERIFIED），"
                "不能作为缺省值",
                f"请在本行给出 {name} 并注明来源",
                locate((*where, name)),
            )
        values[name] = factor.value
        uses[name] = _factor_use(label, factor.value, factor)
    heat_dim = dimensionality(row.consumption.unit) * dimensionality(values["lhv"].unit)
    if heat_dim != dimensionality("GJ"):
        raise InputError(
            f"消耗量 “{row.consumption.text}” 与低位发热量 “{values['lhv'].text}”"
            f"（{uses['lhv'].citation}）的单位不配套",
            "气体燃料的消耗量请以 万Nm3 计，固体和液体燃料以 t 计；或在本行给出相应单位的 lhv",
            locate((*where, "consumption")),
        )
    return values, uses


def _q(amount: Amount) -> pint.Quantity[Any]:
    return amount.quantity


def account(
    report: ProjectReport, library: FactorLibrary, locate: Locate
) -> tuple[dict[str, list[B1Row]], list[InputError]]:
    """Table B.1 for every phase: one row per source, with its parameters and its CO2."""
    rows: dict[str, list[B1Row]] = {}
    errors: list[InputError] = []
    set_name = report.factors
    for phase_key, phase in report.phases().items():
        phase_rows: list[B1Row] = []
        for index, fuel in enumerate(phase.fuels):
            where: tuple[Key, ...] = (phase_key, "fuels", index)
            try:
                values, uses = resolve_fuels(fuel, library, set_name, where, locate)
            except InputError as err:
                errors.append(err)
                continue
            co2 = eq.fuel_combustion_co2(
                _q(fuel.consumption),
                _q(values["lhv"]),
                _q(values["carbon_content"]),
                _q(values["oxidation"]),
            )
            parameters = (
                Parameter("消耗量", fuel.consumption),
                *(Parameter(label, values[name], uses[name]) for name, label in FUEL_PARAMETERS),
            )
            substituted = " × ".join(
                [fuel.consumption.text, *(values[name].text for name, _ in FUEL_PARAMETERS)]
            )
            phase_rows.append(
                B1Row(
                    phase_key,
                    "fuel",
                    fuel.name,
                    parameters,
                    float(co2.to("tCO2").magnitude),
                    f"b1.{phase_key}.{fuel.name}",
                    "消耗量 × 低位发热量 × 单位热值含碳量 × 碳氧化率 × 44/12",
                    substituted + " × 44/12",
                    locate(where),
                )
            )
        phase_rows += _simple_rows(phase_key, phase, locate)
        rows[phase_key] = phase_rows
    return rows, errors


def _simple_rows(phase_key: str, phase: Phase, locate: Locate) -> list[B1Row]:
    out: list[B1Row] = []
    specs: list[tuple[str, list[Any], Callable[..., Any], str, str]] = [
        ("process", phase.processes, eq.process_co2, "活动水平", "排放因子"),
        (
            "electricity",
            phase.electricity,
            eq.purchased_electricity_co2,
            "外部电力消耗量",
            "电网年平均供电排放因子",
        ),
        ("heat", phase.heat, eq.purchased_heat_co2, "外部热力消耗量", "热力供应排放因子"),
    ]
    for category, items, function, amount_label, factor_label in specs:
        field_name = {"process": "processes"}.get(category, category)
        for index, row in enumerate(items):
            amount = row.activity if isinstance(row, ProcessRow) else row.consumption
            assert isinstance(row, ProcessRow | ElectricityRow | HeatRow)
            co2 = function(_q(amount), _q(row.factor))
            out.append(
                B1Row(
                    phase_key,
                    category,
                    row.name,
                    (
                        Parameter(amount_label, amount),
                        Parameter(
                            factor_label, row.factor, _factor_use(factor_label, row.factor, None)
                        ),
                    ),
                    float(co2.to("tCO2").magnitude),
                    f"b1.{phase_key}.{row.name}",
                    f"{amount_label} × {factor_label}",
                    f"{amount.text} × {row.factor.text}",
                    locate((phase_key, field_name, index)),
                )
            )
    return out


def retired_within_existing(
    report: ProjectReport, rows: dict[str, list[B1Row]], locate: Locate
) -> list[InputError]:
    """The “以新带老” reduction R is the emissions of existing sources the project shuts or
    replaces (table B.2, clause 7.5.2): a part of the existing project, so R ≤ E. Net new
    emissions P − R may be negative (a project replacing more than it adds); R > E may not,
    it would retire sources that do not exist and put 总体工程 below the proposed project."""
    retired = rows.get("retired", [])
    offset = sum(row.emission for row in retired)
    existing = sum(row.emission for row in rows.get("existing", []))
    if not retired or offset <= existing * (1 + 1e-12) + 1e-9:
        return []
    largest = max(range(len(retired)), key=lambda i: retired[i].emission)
    listed = "、".join(f"{row.name} {row.emission:,.2f}" for row in retired)
    where = (
        f"现有工程排放量 E = {existing:,.2f} tCO2/a"
        if report.existing is not None
        else "报告未给出现有工程（existing）"
    )
    source = retired[largest].source
    return [
        InputError(
            f"“以新带老”削减量 R = {offset:,.2f} tCO2/a（{listed}）大于现有工程排放量：{where}",
            "“以新带老”削减的是现有工程中随本项目关停或替代的排放源，其排放量不能超过现有工程"
            "（表 B.2）；请核对 retired 各行的数值与单位，或在 existing 中写全现有工程的排放源",
            source if source is not None else locate(("retired",)),
        )
    ]


def _basis_unit(amount: Amount) -> str:
    """The unit an intensity is expressed per: 万元 for money, else the basis unit as written."""
    return "万元" if dimensionality(amount.unit) == MONEY else amount.unit


def check_industry(report: ProjectReport, locate: Locate) -> tuple[IndustryRow, list[InputError]]:
    """The table A.1 row of the report's industry, and whether each basis fits its units."""
    table = industry_units()
    if report.industry not in table:
        near = closest(report.industry, list(table))
        raise InputError(
            f"行业 “{report.industry}” 不在表 A.1（行业碳排放强度单位参考表）中",
            (f"是否为 {'、'.join(near)}？" if near else "")
            + "industry 须为表 A.1 的行业名称，它决定碳排放强度的单位",
            locate(("industry",)),
        )
    row = table[report.industry]
    errors: list[InputError] = []
    machine = [u.unit for u in row.units]
    if None in machine:
        return row, errors  # a unit that is not physical (综合业务量 …): nothing to check
    denominators = [dimensionality(u.partition("/")[2]) for u in machine if u]
    for phase_key, phase in report.phases().items():
        for name, amount in phase.basis.items():
            if dimensionality(amount.unit) not in denominators:
                labels = "、".join(u.label for u in row.units)
                errors.append(
                    InputError(
                        f"核算基准 “{name}: {amount.text}” 与行业 “{row.name}” 的碳排放强度单位"
                        f"（{labels}）不相符",
                        f"表 A.1 规定该行业的强度单位为 {labels}；基准应以其分母的单位计"
                        f"（{_denominator_examples(machine)}）",
                        locate((phase_key, "basis", name)),
                    )
                )
    return row, errors


def _denominator_examples(units: list[str | None]) -> str:
    """``kgCO2/GJ`` -> ``如 … GJ``: what a basis of the industry is written in."""
    denominators = [u.partition("/")[2] for u in units if u]
    return "如 " + "、".join(f"“<数值> {d}”" for d in denominators)


def summarise(
    report: ProjectReport, rows: dict[str, list[B1Row]], ledger: Ledger, locate: Locate
) -> tuple[dict[str, str], list[IntensityCheck], list[InputError]]:
    """B.1 figures, B.2, B.3 and the level analysis into the ledger."""
    errors: list[InputError] = []
    phase_totals: dict[str, float] = {}
    written = {
        f"b1.{key}.{row.name}": row
        for key, phase in report.phases().items()
        for row in phase.rows()
    }
    for phase_key, phase_rows in rows.items():
        for row in phase_rows:
            factors = tuple(p.origin for p in row.parameters if p.origin is not None)
            model = written.get(row.key)
            notes = (
                f"因子来源：{model.source}" if model is not None and model.source else "",
                f"超出常见范围，经确认：{model.confirm}"
                if model is not None and model.confirm
                else "",
            )
            ledger.add(
                row.key,
                row.emission,
                "tCO2/a",
                f"{PHASES[phase_key]} {row.name} 碳排放量",
                Derivation(
                    row.formula,
                    row.substituted,
                    factors,
                    (str(row.source),) if row.source else (),
                    note="；".join(note for note in notes if note),
                ),
            )
        phase_totals[phase_key] = sum(row.emission for row in phase_rows)
    for phase_key in PHASES:
        if phase_key in rows:
            continue
        phase_totals[phase_key] = 0.0
    for category in CATEGORIES:
        for phase_key, phase_rows in rows.items():
            parts = [r for r in phase_rows if r.category == category]
            ledger.add(
                f"structure.{phase_key}.{category}",
                sum(r.emission for r in parts),
                "tCO2/a",
                f"{PHASES[phase_key]} {CATEGORIES[category]} 碳排放量",
                Derivation(
                    " + ".join(f"{{{r.key}}}" for r in parts) or "0",
                    parts=tuple(r.key for r in parts),
                ),
            )

    def phase_sum(phase_key: str) -> Derivation:
        keys = tuple(r.key for r in rows.get(phase_key, []))
        return Derivation(
            " + ".join(f"{{{k}}}" for k in keys) or "0",
            parts=keys,
            note="" if keys else "该工程无排放源",
        )

    existing, proposed, offset = (phase_totals[k] for k in ("existing", "proposed", "retired"))
    t = "tCO2/a"
    ledger.add("b2.existing", existing, t, "现有工程碳排放量", phase_sum("existing"))
    ledger.add("b2.proposed", proposed, t, "拟建工程碳排放量", phase_sum("proposed"))
    ledger.add("b2.offset", offset, t, "“以新带老”碳减排量", phase_sum("retired"))
    q = {k: Quantity(v, "tCO2") for k, v in phase_totals.items()}
    overall = eq.overall_emissions(q["existing"], q["proposed"], q["retired"])
    net_new = eq.net_new_emissions(q["proposed"], q["retired"])
    ledger.add(
        "b2.overall",
        float(overall.to("tCO2").magnitude),
        t,
        "总体工程碳排放量",
        Derivation(
            "{b2.existing} + {b2.proposed} − {b2.offset}",
            parts=("b2.existing", "b2.proposed", "b2.offset"),
        ),
    )
    ledger.add(
        "b2.net_new",
        float(net_new.to("tCO2").magnitude),
        t,
        "净新增碳排放量",
        Derivation("{b2.proposed} − {b2.offset}", parts=("b2.proposed", "b2.offset")),
    )

    basis_units = _intensities(report, ledger, q, overall)
    _shares(report, ledger, net_new)
    checks, check_errors = _intensity_checks(report, ledger, basis_units, locate)
    errors += check_errors
    return basis_units, checks, errors


def _intensities(
    report: ProjectReport,
    ledger: Ledger,
    totals: dict[str, pint.Quantity[Any]],
    overall: pint.Quantity[Any],
) -> dict[str, str]:
    phases = report.phases()
    names: list[str] = []
    for phase in phases.values():
        names += [n for n in phase.basis if n not in names]
    basis_units: dict[str, str] = {}
    for name in names:
        first = next(p.basis[name] for p in phases.values() if name in p.basis)
        per = _basis_unit(first)
        basis_units[name] = per
        unit = f"kgCO2/{per}"
        amounts: dict[str, pint.Quantity[Any]] = {}
        for phase_key, phase_model in phases.items():
            if name in phase_model.basis:
                amounts[phase_key] = Quantity(phase_model.basis[name].to(per), per)
        for phase_key in ("existing", "proposed"):
            if phase_key not in amounts or amounts[phase_key].magnitude == 0:
                continue
            value = eq.emission_intensity(totals[phase_key], amounts[phase_key])
            basis_text = phases[phase_key].basis[name].text
            ledger.add(
                f"b3.{name}.{phase_key}",
                float(value.to(unit).magnitude),
                unit,
                f"{PHASES[phase_key]}碳排放强度（以{name}计）",
                Derivation(
                    f"{{b2.{phase_key}}} ÷ {name}",
                    f"{{b2.{phase_key}}} ÷ {basis_text}",
                    parts=(f"b2.{phase_key}",),
                ),
            )
        zero = Quantity(0.0, per)
        overall_basis = (
            amounts.get("existing", zero)
            + amounts.get("proposed", zero)
            - amounts.get("retired", zero)
        )
        if overall_basis.magnitude > 0:
            value = eq.emission_intensity(overall, overall_basis)
            written = " + ".join(
                phases[k].basis[name].text for k in ("existing", "proposed") if k in amounts
            )
            if "retired" in amounts:
                written += f" − {phases['retired'].basis[name].text}"
            ledger.add(
                f"b3.{name}.overall",
                float(value.to(unit).magnitude),
                unit,
                f"总体工程碳排放强度（以{name}计）",
                Derivation(
                    f"{{b2.overall}} ÷ 总体{name}（现有 + 拟建 − 以新带老）",
                    f"{{b2.overall}} ÷ ({written})",
                    parts=("b2.overall",),
                ),
            )
    return basis_units


def _shares(report: ProjectReport, ledger: Ledger, net_new: pint.Quantity[Any]) -> None:
    targets = (
        ("district", report.controls.district_total, "区级碳排放总量目标", report.district),
        ("park", report.controls.park_total, "产业园区碳排放总量目标", report.park),
    )
    for key, target, label, where in targets:
        if target is None:
            continue
        target_q = Quantity(annual(target, "tCO2"), "tCO2")
        share = eq.share_of_target(net_new, target_q)
        ledger.add(
            f"level.{key}_share_pct",
            float(share.to("percent").magnitude),
            "%",
            f"净新增碳排放量占{where or ''}{label}的比例",
            Derivation(
                f"{{b2.net_new}} ÷ {label} × 100 %",
                f"{{b2.net_new}} ÷ {target.text} × 100 %",
                parts=("b2.net_new",),
            ),
        )


def _intensity_checks(
    report: ProjectReport, ledger: Ledger, basis_units: dict[str, str], locate: Locate
) -> tuple[list[IntensityCheck], list[InputError]]:
    checks: list[IntensityCheck] = []
    errors: list[InputError] = []
    ordered = sorted(
        enumerate(report.controls.intensity), key=lambda item: LEVEL_ORDER.index(item[1].level)
    )
    for index, control in ordered:
        where = ("controls", "intensity", index)
        if control.basis not in basis_units:
            near = closest(control.basis, list(basis_units))
            errors.append(
                InputError(
                    f"强度目标 “{control.name}” 的基准 “{control.basis}”"
                    "未在任何工程的 basis 中给出",
                    (f"是否为 {'、'.join(near)}？" if near else "")
                    + "basis 须为各工程 basis 下的名称，如 工业总产值",
                    locate((*where, "basis")),
                )
            )
            continue
        unit = f"kgCO2/{basis_units[control.basis]}"
        try:
            target = control.value.to(unit)
        except UnitError as err:
            errors.append(
                InputError(
                    f"强度目标 “{control.value.text}” 不能换算为 {unit}",
                    err.hint or f"请以 {unit} 或可换算的单位给出",
                    locate((*where, "value")),
                )
            )
            continue
        for phase_key in ("proposed", "overall"):
            key = f"b3.{control.basis}.{phase_key}"
            if key not in ledger:
                continue
            intensity = ledger.value(key)
            slip = intensity_slip(intensity, target, unit, control.value.text, ledger[key].label)
            if slip is not None and control.confirm is None:
                errors.append(InputError(*slip, locate((*where, "value"))))
                break
            checks.append(
                IntensityCheck(
                    control.name,
                    control.level,
                    control.basis,
                    phase_key,
                    intensity,
                    target,
                    unit,
                    intensity <= target,
                )
            )
    return checks, errors


def compute(report: ProjectReport, library: FactorLibrary, locate: Locate) -> ProjectResult:
    """Run the whole pipeline; :class:`ReportErrors` with every problem found otherwise."""
    require_fuel_set(library, report.factors, lambda: locate(("factors",)))
    errors: list[InputError] = []
    industry, industry_errors = check_industry(report, locate)
    errors += industry_errors
    rows, row_errors = account(report, library, locate)
    errors += row_errors
    errors += implausible_values(report, library, locate)
    if errors:
        raise ReportErrors(errors)
    errors += retired_within_existing(report, rows, locate)
    if errors:
        raise ReportErrors(errors)
    ledger = Ledger()
    basis_units, checks, level_errors = summarise(report, rows, ledger, locate)
    if level_errors:
        raise ReportErrors(level_errors)
    return ProjectResult(report, industry, ledger, rows, basis_units, checks)


__all__ = ["B1Row", "IntensityCheck", "ProjectResult", "compute", "conversion_factor"]

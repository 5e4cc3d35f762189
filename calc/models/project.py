"""Input model of a construction-project assessment (kind ``project``, Beijing guideline).

Field names and meanings are fixed by ``spec/README.md`` §3; each cross-field rule is one named
validator. Parameters a fuel row leaves out are filled later from the report's factor set.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import field_validator, model_validator

from tanping.calc.models.common import (
    CarbonContent,
    Confirm,
    Fact,
    GridFactor,
    HeatFactor,
    HeatingValue,
    HostNumbering,
    Line,
    Name,
    OxidationRate,
    Paragraph,
    Strict,
    Year,
    factor_sources_keys,
    quantity,
)
from tanping.units import Amount, UnitError, dimensionality

Text = Name

ENERGY = dimensionality("GJ")


class FuelRow(Strict):
    """A row of table B.1, 燃料燃烧:
    CO2 = consumption × lhv × carbon_content × oxidation × 44/12."""

    name: Text
    fuel: Text
    consumption: Annotated[Amount, quantity("t", "万Nm3")]
    lhv: HeatingValue | None = None
    carbon_content: CarbonContent | None = None
    oxidation: OxidationRate | None = None
    # extensions: where the row's own factors come from; why an outlier is right
    source: Paragraph = ""
    confirm: Confirm | None = None

    @model_validator(mode="after")
    def consumption_times_lhv_is_energy(self) -> FuelRow:
        if self.lhv is not None:
            product = dimensionality(self.consumption.unit) * dimensionality(self.lhv.unit)
            if product != ENERGY:
                raise UnitError(
                    f"消耗量 “{self.consumption.text}” 与低位发热量 “{self.lhv.text}” 的单位不配套"
                    "（二者相乘应得到热量）",
                    "固体、液体燃料的消耗量用 t、低位发热量用 GJ/t；气体燃料用 万Nm3 与 GJ/万Nm3",
                    field="consumption",
                )
        return self


class ProcessRow(Strict):
    """A row of table B.1, 工业生产过程与产品使用: CO2 = activity × factor."""

    name: Text
    activity: Annotated[Amount, quantity()]
    factor: Annotated[Amount, quantity()]
    # extensions: where the row's own factors come from; why an outlier is right
    source: Paragraph = ""
    confirm: Confirm | None = None

    @model_validator(mode="after")
    def activity_times_factor_is_co2(self) -> ProcessRow:
        product = dimensionality(self.activity.unit) * dimensionality(self.factor.unit)
        if product != dimensionality("tCO2"):
            raise UnitError(
                f"活动水平 “{self.activity.text}” 乘以排放因子 “{self.factor.text}”"
                "得不到 CO2 的质量",
                "排放因子的单位应为 tCO2/<活动水平的单位>，例如活动水平 2.4 t 配 1 tCO2/t；"
                "表 B.1 只核算 CO2，其他气体不能写在这里",
                field="factor",
            )
        return self


class ElectricityRow(Strict):
    """A row of table B.1, 消耗外部电力: CO2 = consumption × factor."""

    name: Text
    consumption: Annotated[Amount, quantity("MWh")]
    factor: GridFactor
    # extensions: where the row's own factors come from; why an outlier is right
    source: Paragraph = ""
    confirm: Confirm | None = None


class HeatRow(Strict):
    """A row of table B.1, 消耗外部热力: CO2 = consumption × factor."""

    name: Text
    consumption: Annotated[Amount, quantity("GJ")]
    factor: HeatFactor
    # extensions: where the row's own factors come from; why an outlier is right
    source: Paragraph = ""
    confirm: Confirm | None = None


#: The fields of a B.1 row that hold a factor, and the row kinds a ``factor_sources`` key may
#: name (``electricity.factor``).
PROJECT_FACTOR_FIELDS = ("lhv", "carbon_content", "oxidation", "factor")
PROJECT_ROW_TYPES = ("fuels", "processes", "electricity", "heat")


class Phase(Strict):
    """现有工程, 拟建工程 or the sources retired by the project (“以新带老”)."""

    fuels: list[FuelRow] = []
    processes: list[ProcessRow] = []
    electricity: list[ElectricityRow] = []
    heat: list[HeatRow] = []
    basis: dict[Text, Annotated[Amount, quantity()]] = {}

    @field_validator("basis")
    @classmethod
    def basis_is_positive(cls, basis: dict[str, Amount]) -> dict[str, Amount]:
        for name, amount in basis.items():
            if amount.magnitude <= 0:
                raise UnitError(
                    f"核算基准 “{name}: {amount.text}” 须大于 0",
                    "碳排放强度以该基准为分母；没有该基准时删去这一项",
                )
        return basis

    @model_validator(mode="after")
    def row_names_are_unique(self) -> Phase:
        seen: set[str] = set()
        for row in self.rows():
            if row.name in seen:
                raise ValueError(
                    f"同一工程中名称 “{row.name}” 出现了两次；名称是核算表的行，也是台账的键。"
                    "请改为不同的名称"
                )
            seen.add(row.name)
        return self

    def rows(self) -> list[FuelRow | ProcessRow | ElectricityRow | HeatRow]:
        return [*self.fuels, *self.processes, *self.electricity, *self.heat]


Level = Literal["考核目标", "行业先进值", "国内外先进值"]


class IntensityControl(Strict):
    """An intensity target or advanced value of clause 6.2, compared in the order of clause 8.2."""

    name: Text
    level: Level
    basis: Text
    value: Annotated[Amount, quantity()]
    confirm: Confirm | None = None  # an intensity 10× from this value is right after all


class Controls(Strict):
    """碳排放管控要求 (clauses 6.1, 6.2)."""

    district_total: Annotated[Amount, quantity("tCO2", "tCO2/a")] | None = None
    park_total: Annotated[Amount, quantity("tCO2", "tCO2/a")] | None = None
    intensity: list[IntensityControl] = []

    @field_validator("district_total", "park_total")
    @classmethod
    def total_target_is_positive(cls, target: Amount | None) -> Amount | None:
        if target is not None and target.magnitude <= 0:
            raise UnitError(
                f"总量目标 “{target.text}” 须大于 0",
                "没有总量管控目标时删去该字段，第 8.1 节将注明未作定量分析",
            )
        return target


class Measure(Strict):
    """A row of table C.1 (碳减排措施表)."""

    category: Literal["源头防控", "过程控制", "工程治理"]
    name: Text
    process: Paragraph = ""
    scale: Line = ""
    investment: Annotated[Amount, quantity("万元")]
    reduction: Annotated[Amount, quantity("tCO2/a", "tCO2")]


class Synergy(Strict):
    """A row of table C.2 (协同减排措施分析表)."""

    measure: Text
    process: Paragraph = ""
    scale: Line = ""
    investment: Annotated[Amount, quantity("万元")]
    pollution_effect: Paragraph = ""
    carbon_effect: Paragraph = ""


class ProjectReport(Strict):
    """A construction-project carbon assessment (Beijing draft guideline)."""

    kind: Literal["project"]
    title: Text
    district: Text
    park: Line = ""
    industry: Text
    year: Year
    factors: Text = "cn-default"
    existing: Phase | None = None
    proposed: Phase
    retired: Phase | None = None
    controls: Controls = Controls()
    measures: list[Measure] = []
    synergies: list[Synergy] = []
    # extensions: the cover of the filed document
    client: Line = ""
    assessor: Line = ""
    date: Line = ""
    factor_sources: dict[Text, Paragraph] = {}
    facts: dict[Text, Fact] = {}
    numbering: HostNumbering | None = None  # where it sits in the host EIA document

    @field_validator("factor_sources")
    @classmethod
    def factor_sources_name_factors(cls, given: dict[str, str]) -> dict[str, str]:
        return factor_sources_keys(given, PROJECT_FACTOR_FIELDS, PROJECT_ROW_TYPES)

    @field_validator("year")
    @classmethod
    def year_is_plausible(cls, year: int) -> int:
        if not 1990 <= year <= 2100:
            raise ValueError(f"年份 {year} 不合理；请写作四位年份，如 2026")
        return year

    def phases(self) -> dict[str, Phase]:
        """The phases present, in the order of table B.2."""
        named = {"existing": self.existing, "proposed": self.proposed, "retired": self.retired}
        return {key: phase for key, phase in named.items() if phase is not None}

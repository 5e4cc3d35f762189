"""Input model of an industrial-park plan GHG assessment (kind ``park``, Chongqing guideline).

Field names and meanings are fixed by ``spec/README.md`` §4. A source row names its period, its
scenario (planning years only), an enterprise or an industry, and exactly one source type; each
type is one model whose docstring gives the equation of guideline App. A it stands for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from tanping.calc.models.common import (
    CarbonContent,
    Co2PerHeat,
    Confirm,
    Count,
    Fact,
    FileName,
    FiniteFloat,
    Fraction,
    GridFactor,
    HeatingValue,
    HostNumbering,
    Line,
    Name,
    OxidationRate,
    Paragraph,
    Percentage,
    Strict,
    Year,
    factor_sources_keys,
    quantity,
)
from tanping.units import Amount, UnitError, dimensionality

Text = Name
Sector = Literal["energy_industry", "industry", "transport", "services", "residential"]
Group = Literal["power", "steel", "building_materials", "nonferrous", "chemicals", "other"]

Mass = Annotated[Amount, quantity("t")]
FuelAmount = Annotated[Amount, quantity("t", "万Nm3", "GJ")]
ENERGY = dimensionality("GJ")


class _FuelUse(Strict):
    """Shared rule of the fuel-based source types: amount × lhv is heat (TJ)."""

    fuel: Text
    amount: FuelAmount
    lhv: HeatingValue | None = None

    @model_validator(mode="after")
    def amount_times_lhv_is_energy(self) -> _FuelUse:
        amount_dim = dimensionality(self.amount.unit)
        if self.lhv is None:
            return self
        if amount_dim == ENERGY:
            raise UnitError(
                f"amount “{self.amount.text}” 已是热量，不应再给低位发热量",
                "删去 lhv，或把 amount 写成实物量（t、万Nm3）",
                field="lhv",
            )
        if amount_dim * dimensionality(self.lhv.unit) != ENERGY:
            raise UnitError(
                f"amount “{self.amount.text}” 与 lhv “{self.lhv.text}” 的单位不配套"
                "（二者相乘应得到热量）",
                "固体、液体燃料用 t 与 GJ/t；气体燃料用 万Nm3 与 GJ/万Nm3",
                field="amount",
            )
        return self


class Combustion(_FuelUse):
    """Fossil fuel combustion CO2 (A.2): CO2 = amount × lhv × ef_co2, or with carbon content
    CO2 = amount × lhv × carbon_content × oxidation × 44/12."""

    sector: Sector
    ef_co2: Co2PerHeat | None = None
    carbon_content: CarbonContent | None = None
    oxidation: OxidationRate | None = None

    @model_validator(mode="after")
    def one_way_to_the_co2_factor(self) -> Combustion:
        if self.ef_co2 is not None and (
            self.carbon_content is not None or self.oxidation is not None
        ):
            raise ValueError(
                "ef_co2 与 carbon_content/oxidation 只能二选一；请只保留 ef_co2，"
                "或只保留 carbon_content 和 oxidation"
            )
        return self


class BoilerN2O(_FuelUse):
    """Power-plant boiler N2O (A.2): N2O = amount × lhv × ef_n2o."""

    boiler: Literal["燃煤", "燃油", "燃气"]
    ef_n2o: Annotated[Amount, quantity("kgN2O/TJ")]
    sector: Sector = "energy_industry"


class Mobile(_FuelUse):
    """Mobile-source CH4 and N2O (A.2): CH4 = amount × lhv × ef_ch4, N2O = amount × lhv × ef_n2o.

    The CO2 of the same fuel is a ``combustion`` row with sector ``transport``."""

    mode: Literal["road", "rail", "water", "aviation"]
    ef_ch4: Annotated[Amount, quantity("kgCH4/TJ")]
    ef_n2o: Annotated[Amount, quantity("kgN2O/TJ")]


class Biomass(_FuelUse):
    """Biomass burning CH4 and N2O (A.2); biogenic CO2 is not counted."""

    sector: Sector
    ef_ch4: Annotated[Amount, quantity("kgCH4/TJ")]
    ef_n2o: Annotated[Amount, quantity("kgN2O/TJ")]


class GasFugitive(Strict):
    """Natural-gas system fugitive CH4 (A.2): transport (stations and valves × factor each)
    plus consumption × factor."""

    boosting_stations: Count | None = None
    ef_boosting: Annotated[Amount, quantity("tCH4")] | None = None
    metering_stations: Count | None = None
    ef_metering: Annotated[Amount, quantity("tCH4")] | None = None
    check_valves: Count | None = None
    ef_check_valve: Annotated[Amount, quantity("tCH4")] | None = None
    consumption: Annotated[Amount, quantity("万Nm3")] | None = None
    ef_consumption: Annotated[Amount, quantity("tCH4/万Nm3")] | None = None

    @model_validator(mode="after")
    def counts_come_with_factors(self) -> GasFugitive:
        pairs = (
            ("boosting_stations", "ef_boosting"),
            ("metering_stations", "ef_metering"),
            ("check_valves", "ef_check_valve"),
            ("consumption", "ef_consumption"),
        )
        given = 0
        for count, factor in pairs:
            has_count = getattr(self, count) is not None
            if has_count != (getattr(self, factor) is not None):
                missing = factor if has_count else count
                raise ValueError(f"{count} 与 {factor} 须同时给出；缺少 {missing}")
            given += has_count
        if not given:
            raise ValueError(
                "天然气系统逃逸至少需要一组数量与排放因子，如 consumption 与 ef_consumption"
            )
        return self


class Electricity(Strict):
    """Electricity imported and exported (A.2): CO2 = (import − export) × factor."""

    imported: Annotated[Amount, quantity("MWh")] = Field(alias="import")
    exported: Annotated[Amount, quantity("MWh")] = Field(
        default=Amount(0.0, "MWh", "0 MWh"), alias="export"
    )
    factor: GridFactor


class Wastewater(Strict):
    """Wastewater treatment CH4 (A.4): CH4 = (tow − sludge) × ef − recovered, ef = bo × mcf."""

    tow: Annotated[Amount, quantity("tCOD")]
    sludge: Annotated[Amount, quantity("tCOD")] = Amount(0.0, "tCOD", "0 tCOD")
    ef: Annotated[Amount, quantity("kgCH4/kgCOD")] | None = None
    bo: Annotated[Amount, quantity("kgCH4/kgCOD")] | None = None
    mcf: Fraction | None = None
    recovered: Annotated[Amount, quantity("tCH4")] = Amount(0.0, "tCH4", "0 tCH4")

    @model_validator(mode="after")
    def ef_or_bo_and_mcf(self) -> Wastewater:
        if self.ef is not None and (self.bo is not None or self.mcf is not None):
            raise ValueError("ef 与 bo/mcf 只能二选一；ef = bo × mcf")
        if self.ef is None and (self.bo is None or self.mcf is None):
            raise ValueError("请给出排放因子 ef（kgCH4/kgCOD），或同时给出 bo 与 mcf")
        if self.sludge.to("tCOD") > self.tow.to("tCOD"):
            raise UnitError(
                f"污泥去除的 COD（{self.sludge.text}）大于废水 COD 总量（{self.tow.text}）",
                "sludge 是随污泥去除的 COD，不能超过 tow；检查两者的数值与单位",
                field="sludge",
            )
        return self


class Reduction(Strict):
    """A reduction AE削减 (A.1), subtracted from the total: amount, or electricity × factor."""

    kind: Literal["CCUS", "副产气回收", "绿电", "自建光伏", "其他"]
    amount: Annotated[Amount, quantity("tCO2e", "tCO2")] | None = None
    electricity: Annotated[Amount, quantity("MWh")] | None = None
    factor: GridFactor | None = None

    @model_validator(mode="after")
    def amount_or_electricity_times_factor(self) -> Reduction:
        by_power = self.electricity is not None or self.factor is not None
        if self.amount is not None and by_power:
            raise ValueError("amount 与 electricity × factor 只能二选一")
        if self.amount is None and (self.electricity is None or self.factor is None):
            raise ValueError("请给出减排量 amount（tCO2e），或同时给出 electricity 与 factor")
        return self


# ---- industrial processes (A.3) -----------------------------------------------------------------


class Cement(Strict):
    """Cement (A.3): CO2 = (clinker − carbide_slag_clinker) × ef."""

    type: Literal["cement"]
    clinker: Mass
    carbide_slag_clinker: Mass = Amount(0.0, "t", "0 t")
    ef: Annotated[Amount, quantity("tCO2/t")]

    @model_validator(mode="after")
    def carbide_slag_clinker_within_clinker(self) -> Cement:
        if self.carbide_slag_clinker.to("t") > self.clinker.to("t"):
            raise ValueError("电石渣生产的熟料产量大于熟料总产量")
        return self


class Lime(Strict):
    """Lime (A.3): CO2 = production × ef."""

    type: Literal["lime"]
    production: Mass
    ef: Annotated[Amount, quantity("tCO2/t")]


class CalciumCarbide(Strict):
    """Calcium carbide (A.3): CO2 = production × ef."""

    type: Literal["calcium_carbide"]
    production: Mass
    ef: Annotated[Amount, quantity("tCO2/t")]


class Steel(Strict):
    """Steel (A.3): CO2 = limestone × ef_limestone + dolomite × ef_dolomite
    + (pig_iron × pig_iron_carbon − crude_steel × crude_steel_carbon) × 44/12."""

    type: Literal["steel"]
    limestone: Mass = Amount(0.0, "t", "0 t")
    ef_limestone: Annotated[Amount, quantity("tCO2/t")] = Amount(0.0, "tCO2/t", "0 tCO2/t")
    dolomite: Mass = Amount(0.0, "t", "0 t")
    ef_dolomite: Annotated[Amount, quantity("tCO2/t")] = Amount(0.0, "tCO2/t", "0 tCO2/t")
    pig_iron: Mass = Amount(0.0, "t", "0 t")
    pig_iron_carbon: Fraction = Amount(0.0, "", "0")
    crude_steel: Mass = Amount(0.0, "t", "0 t")
    crude_steel_carbon: Fraction = Amount(0.0, "", "0")


class AdipicAcid(Strict):
    """Adipic acid (A.3): N2O = production × ef."""

    type: Literal["adipic_acid"]
    production: Mass
    ef: Annotated[Amount, quantity("tN2O/t")]


NitricTechnology = Literal[
    "高压法（无NSCR）", "高压法（有NSCR）", "中压法", "常压法", "双加压法", "综合法", "低压法"
]
AluminiumTechnology = Literal["点式下料预焙槽", "侧插阳极棒自焙槽"]
MagnesiumProcess = Literal["原镁生产", "镁加工"]


def _same_keys(
    production: Mapping[Any, Amount], factors: Mapping[str, Mapping[Any, Amount]]
) -> None:
    for name, factor in factors.items():
        if set(factor) != set(production):
            missing = sorted(set(production) - set(factor))
            extra = sorted(set(factor) - set(production))
            detail = f"缺少 {'、'.join(missing)}" if missing else f"多出 {'、'.join(extra)}"
            raise ValueError(f"{name} 的技术类型须与 production 一一对应：{detail}")


class NitricAcid(Strict):
    """Nitric acid (A.3): N2O = Σ_technology production × ef."""

    type: Literal["nitric_acid"]
    production: dict[NitricTechnology, Mass] = Field(min_length=1)
    ef: dict[NitricTechnology, Annotated[Amount, quantity("tN2O/t")]]

    @model_validator(mode="after")
    def technologies_match(self) -> NitricAcid:
        _same_keys(self.production, {"ef": self.ef})
        return self


class Hcfc22(Strict):
    """HCFC-22 production (A.3): HFC-23 = production × ef."""

    type: Literal["hcfc22"]
    production: Mass
    ef: Annotated[Amount, quantity("tHFC23/t")]


class Aluminium(Strict):
    """Primary aluminium (A.3): CF4 = Σ production × ef_cf4, C2F6 = Σ production × ef_c2f6."""

    type: Literal["aluminium"]
    production: dict[AluminiumTechnology, Mass] = Field(min_length=1)
    ef_cf4: dict[AluminiumTechnology, Annotated[Amount, quantity("kgCF4/t")]]
    ef_c2f6: dict[AluminiumTechnology, Annotated[Amount, quantity("kgC2F6/t")]]

    @model_validator(mode="after")
    def technologies_match(self) -> Aluminium:
        _same_keys(self.production, {"ef_cf4": self.ef_cf4, "ef_c2f6": self.ef_c2f6})
        return self


class Magnesium(Strict):
    """Magnesium (A.3): SF6 = Σ production × ef."""

    type: Literal["magnesium"]
    production: dict[MagnesiumProcess, Mass] = Field(min_length=1)
    ef: dict[MagnesiumProcess, Annotated[Amount, quantity("kgSF6/t")]]

    @model_validator(mode="after")
    def processes_match(self) -> Magnesium:
        _same_keys(self.production, {"ef": self.ef})
        return self


GasMass = Annotated[Amount, quantity("t")]


class ElectricalEquipment(Strict):
    """Electrical equipment (A.3): SF6 = sf6_use × ef."""

    type: Literal["electrical_equipment"]
    sf6_use: Annotated[Amount, quantity("t", "tSF6")]
    ef: Fraction


class GasUse(Strict):
    use: Annotated[Amount, quantity("t", "tCF4", "tHFC23", "tC2F6", "tSF6", "tNF3")]
    ef: Fraction


class Semiconductor(Strict):
    """Semiconductor manufacture (A.3): gas emitted = use × ef, for each gas."""

    type: Literal["semiconductor"]
    gases: dict[Literal["CF4", "CHF3", "C2F6", "SF6", "NF3"], GasUse] = Field(min_length=1)


HfcName = Literal[
    "HFC-32", "HFC-125", "HFC-134a", "HFC-143a", "HFC-152a", "HFC-227ea", "HFC-236fa", "HFC-245fa"
]


class HfcOutput(Strict):
    production: Annotated[Amount, quantity()]
    ef: Fraction

    @field_validator("production")
    @classmethod
    def production_is_a_mass(cls, production: Amount) -> Amount:
        dim = dimensionality(production.unit)
        if dim != dimensionality("t") and not any(k.startswith("[HFC") for k in dim):
            raise UnitError(f"“{production.text}” 不是质量", "请写作 “<数值> t”")
        return production


class HfcProduction(Strict):
    """HFC production (A.3): gas emitted = production × ef, for each HFC."""

    type: Literal["hfc_production"]
    gases: dict[HfcName, HfcOutput] = Field(min_length=1)


class Carbonate(Strict):
    mass: Mass
    ef: Annotated[Amount, quantity("tCO2/t")]
    calcination: Fraction


class FlatGlass(Strict):
    """Flat glass (A.3): CO2 = Σ_carbonate mass × ef × calcination."""

    type: Literal["flat_glass"]
    carbonates: dict[Text, Carbonate] = Field(min_length=1)


Process = Annotated[
    Cement
    | Lime
    | CalciumCarbide
    | Steel
    | AdipicAcid
    | NitricAcid
    | Hcfc22
    | Aluminium
    | Magnesium
    | ElectricalEquipment
    | Semiconductor
    | HfcProduction
    | FlatGlass,
    Field(discriminator="type"),
]

SOURCE_TYPES = (
    "combustion",
    "boiler_n2o",
    "mobile",
    "biomass",
    "gas_fugitive",
    "electricity",
    "process",
    "wastewater",
    "reduction",
)


#: The fields of a source row that hold a factor (what ``factor_sources`` and a row's
#: ``source`` cite): a ``factor_sources`` key is one of them, or ``<type>.<field>``.
PARK_FACTOR_FIELDS = (
    "lhv",
    "ef_co2",
    "carbon_content",
    "oxidation",
    "ef_n2o",
    "ef_ch4",
    "ef_boosting",
    "ef_metering",
    "ef_check_valve",
    "ef_consumption",
    "factor",
    "ef",
    "bo",
    "mcf",
    "ef_cf4",
    "ef_c2f6",
    "ef_limestone",
    "ef_dolomite",
    "pig_iron_carbon",
    "crude_steel_carbon",
    "calcination",
)
PROCESS_TYPES = (
    "cement",
    "lime",
    "calcium_carbide",
    "steel",
    "adipic_acid",
    "nitric_acid",
    "hcfc22",
    "aluminium",
    "magnesium",
    "electrical_equipment",
    "semiconductor",
    "hfc_production",
    "flat_glass",
)
PARK_ROW_TYPES = (*SOURCE_TYPES, *PROCESS_TYPES)


class Source(Strict):
    """One emission source (or reduction) of one period, enterprise or industry."""

    period: Year
    scenario: Line | None = None
    enterprise: Line | None = None
    industry: Line | None = None
    combustion: Combustion | None = None
    boiler_n2o: BoilerN2O | None = None
    mobile: Mobile | None = None
    biomass: Biomass | None = None
    gas_fugitive: GasFugitive | None = None
    electricity: Electricity | None = None
    process: Process | None = None
    wastewater: Wastewater | None = None
    reduction: Reduction | None = None
    note: Paragraph = ""
    # extensions: where the row's own factors come from; why an outlier is right
    source: Paragraph = ""
    confirm: Confirm | None = None

    @model_validator(mode="after")
    def exactly_one_source_type(self) -> Source:
        given = [name for name in SOURCE_TYPES if getattr(self, name) is not None]
        if len(given) != 1:
            listed = "、".join(SOURCE_TYPES)
            if given:
                raise ValueError(
                    f"一行排放源只能有一种类型，这里有 {len(given)} 种：{'、'.join(given)}；"
                    "请拆成多行"
                )
            raise ValueError(f"缺少排放源类型；请给出以下之一：{listed}")
        return self

    @model_validator(mode="after")
    def enterprise_or_industry(self) -> Source:
        if (self.enterprise is None) == (self.industry is None):
            raise ValueError("排放源须且只须指明 enterprise（企业）或 industry（行业）之一")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in SOURCE_TYPES if getattr(self, name) is not None)


class Exit(Strict):
    """Why an industry or enterprise of the base year has no rows from a planning year on
    (extension): closure, relocation … ``scenarios`` limits it to some scenarios (a closure
    that is a measure of the control scenario); empty means every scenario."""

    year: Year
    reason: Text
    scenarios: list[Line] = []


class Industry(Strict):
    name: Text
    group: Group
    exit: Exit | None = None


class Enterprise(Strict):
    name: Text
    industry: Text
    location: tuple[FiniteFloat, FiniteFloat]
    key: bool = False
    trading: bool | Line = False
    exit: Exit | None = None

    @field_validator("location")
    @classmethod
    def location_is_lon_lat(cls, location: tuple[float, float]) -> tuple[float, float]:
        lon, lat = location
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"坐标 {list(location)} 无效；应为 [经度, 纬度]，如 [106.52, 29.61]")
        return location


class EconomyRow(Strict):
    period: Year
    scenario: Line | None = None
    industry: Text
    output_value: Annotated[Amount, quantity("万元")] | None = None
    value_added: Annotated[Amount, quantity("万元")] | None = None
    energy_use: Annotated[Amount, quantity("tce")] | None = None
    product: Annotated[Amount, quantity()] | None = None


class Target(Strict):
    """An indicator target declared by the report (extension, App. B)."""

    industry: Line | None = None
    indicator: Literal["output_value", "value_added", "energy", "product"]
    period: Year
    scenario: Line | None = None
    decline_pct: Percentage | None = None
    value: Annotated[Amount, quantity()] | None = None
    source: Paragraph = ""
    confirm: Confirm | None = None  # a value 10× from the computed intensity is right after all

    @model_validator(mode="after")
    def decline_or_value(self) -> Target:
        if (self.decline_pct is None) == (self.value is None):
            raise ValueError("目标须且只须给出 decline_pct（下降率，%）或 value（强度限值）之一")
        return self


class MeasureChoice(Strict):
    """A measure of the catalogue chosen by id, or one of the report's own (extension)."""

    id: Line | None = None
    domain: Line | None = None
    direction: Line | None = None
    text: Paragraph | None = None
    note: Paragraph = ""

    @model_validator(mode="after")
    def id_or_own_text(self) -> MeasureChoice:
        if self.id is None and (self.text is None or self.domain is None):
            raise ValueError("措施须给出目录编号 id，或自行给出 domain、direction 与 text")
        return self


class ParkReport(Strict):
    """An industrial-park plan GHG assessment (Chongqing guideline)."""

    kind: Literal["park"]
    title: Text
    district: Line = ""
    gwp: Literal["SAR", "AR4", "AR5", "AR6"]
    factors: Text = "cn-default"
    history: list[Year] = Field(min_length=1)
    planning: list[Year] = []
    scenarios: dict[Text, Text] = {}
    industries: list[Industry] = Field(min_length=1)
    enterprises: list[Enterprise] = []
    economy: list[EconomyRow] = []
    sources: list[Source] = []
    # extensions
    boundary: FileName | None = None
    targets: list[Target] = []
    measures: list[MeasureChoice] = []
    client: Line = ""
    assessor: Line = ""
    date: Line = ""
    factor_sources: dict[Text, Paragraph] = {}
    facts: dict[Text, Fact] = {}
    numbering: HostNumbering | None = None  # where it sits in the host EIA document

    @field_validator("factor_sources")
    @classmethod
    def factor_sources_name_factors(cls, given: dict[str, str]) -> dict[str, str]:
        return factor_sources_keys(given, PARK_FACTOR_FIELDS, PARK_ROW_TYPES)

    @field_validator("history", "planning")
    @classmethod
    def years_ascend(cls, years: list[int]) -> list[int]:
        if years != sorted(set(years)):
            raise ValueError(f"年份 {years} 须按时间先后排列且不重复")
        return years

    @model_validator(mode="after")
    def scenarios_for_planning(self) -> ParkReport:
        if self.planning and len(self.scenarios) < 2:
            raise ValueError(
                "规划年须至少有两个情景：一个基准情景和至少一个对照情景（指南 8.3），"
                "如 scenarios: {baseline: 基准情景, control: 对照情景}"
            )
        overlap = set(self.history) & set(self.planning)
        if overlap:
            raise ValueError(f"年份 {sorted(overlap)} 同时出现在 history 与 planning 中")
        return self

    @property
    def baseline(self) -> str | None:
        """The baseline scenario: the id ``baseline`` if present, else the first listed; None for
        a report without planning scenarios."""
        if "baseline" in self.scenarios:
            return "baseline"
        return next(iter(self.scenarios), None)

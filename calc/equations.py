"""One function per equation of the two guidelines.

Every function takes and returns pint quantities of the tanping registry (scalars or NumPy arrays,
so that a pipeline can evaluate thousands of rows of one unit signature in one call). Units are
carried through; a wrong unit raises ``pint.DimensionalityError`` (or ``units.UnitError`` where
a gas species is involved) rather than giving a number.
The only literal constants are definitions (44/12, in ``units.carbon_to_co2``).

References
----------
- Beijing: 北京市《建设项目环境影响评价技术指南 碳排放》（征求意见稿）, 附录 B 表 B.1–B.3, 第 8 章.
- Chongqing: 重庆市产业园区规划温室气体排放环境影响评价技术指南, 附录 A (A.1–A.4), formulas as
  restored in ``spec/README.md`` §4 from the provincial inventory method.
"""

from __future__ import annotations

from typing import Any, cast

import pint

from tanping.units import as_gas, carbon_to_co2, gas_of

Q = pint.Quantity[Any]


def _as(quantity: Any, unit: str) -> Q:
    """``quantity`` expressed in ``unit``. pint's operators are untyped; the type is fixed here."""
    return cast(Q, quantity.to(unit))


# ---- Beijing guideline, table B.1 ---------------------------------------------------------------


def fuel_combustion_co2(consumption: Q, lhv: Q, carbon_content: Q, oxidation: Q) -> Q:
    """CO2 of a fuel burnt (Beijing table B.1, 燃料燃烧).

    ``E = FC × NCV × CC × OF × 44/12``

    Parameters: ``consumption`` FC in t or 万Nm3; ``lhv`` NCV in GJ/t or GJ/万Nm3;
    ``carbon_content`` CC in tC/GJ; ``oxidation`` OF, a fraction. Returns tCO2.
    """
    heat = consumption * lhv
    carbon = heat * carbon_content * oxidation
    return _as(carbon_to_co2(carbon), "tCO2")


def process_co2(activity: Q, factor: Q) -> Q:
    """CO2 of an industrial process or product use (Beijing table B.1): ``E = AD × EF``."""
    return _as(activity * factor, "tCO2")


def purchased_electricity_co2(consumption: Q, factor: Q) -> Q:
    """CO2 of purchased electricity (Beijing table B.1, 消耗外部电力): MWh × tCO2/MWh."""
    return _as(consumption * factor, "tCO2")


def purchased_heat_co2(consumption: Q, factor: Q) -> Q:
    """CO2 of purchased heat (Beijing table B.1, 消耗外部热力): GJ × tCO2/GJ."""
    return _as(consumption * factor, "tCO2")


# ---- Beijing guideline, tables B.2, B.3 and clause 8 ---------------------------------------------


def overall_emissions(existing: Q, proposed: Q, offset: Q) -> Q:
    """总体工程 of table B.2: existing + proposed − the “以新带老” reduction."""
    return cast(Q, existing + proposed - offset)


def net_new_emissions(proposed: Q, offset: Q) -> Q:
    """净新增 of table B.2: proposed − the “以新带老” reduction."""
    return cast(Q, proposed - offset)


def emission_intensity(emissions: Q, basis: Q) -> Q:
    """碳排放强度 of table B.3: emissions per unit of the basis (output value, area, heat …)."""
    return cast(Q, emissions / basis)


def share_of_target(emissions: Q, target: Q) -> Q:
    """Contribution to a total-emission target (clause 8.1), in percent."""
    return _as(emissions / target, "percent")


# ---- Chongqing guideline, A.1 -------------------------------------------------------------------


def total_emissions(energy: Q, process: Q, waste: Q, reductions: Q) -> Q:
    """AE总 = AE能源活动 + AE工业生产过程 + AE废弃物处理 − AE削减 (Chongqing A.1), tCO2e."""
    return cast(Q, energy + process + waste - reductions)


# ---- Chongqing guideline, A.2 energy activities ---------------------------------------------


def fuel_heat(amount: Q, lhv: Q | None) -> Q:
    """Activity in TJ of a fuel (A.2): physical amount × low heating value, or the heat itself."""
    heat = amount if lhv is None else amount * lhv
    return _as(heat, "TJ")


def fossil_fuel_co2(amount: Q, lhv: Q | None, ef_co2: Q) -> Q:
    """Fossil fuel combustion CO2 (Chongqing A.2): ``E = Σ Activity[TJ] × EF[kgCO2/TJ]``."""
    return _as(fuel_heat(amount, lhv) * ef_co2, "tCO2")


def co2_factor_from_carbon(carbon_content: Q, oxidation: Q) -> Q:
    """A CO2 factor per heat from carbon content and oxidation: ``EF = CC × OF × 44/12``."""
    return _as(carbon_to_co2(carbon_content * oxidation), "kgCO2/TJ")


def boiler_n2o(amount: Q, lhv: Q | None, ef_n2o: Q) -> Q:
    """Power-plant boiler N2O (Chongqing A.2): ``N2O = Σ Activity[TJ] × EF[kgN2O/TJ]``."""
    return _as(fuel_heat(amount, lhv) * ef_n2o, "tN2O")


def mobile_ch4(amount: Q, lhv: Q | None, ef_ch4: Q) -> Q:
    """Mobile-source CH4 (Chongqing A.2), by mode and fuel: ``Activity[TJ] × EF[kgCH4/TJ]``."""
    return _as(fuel_heat(amount, lhv) * ef_ch4, "tCH4")


def mobile_n2o(amount: Q, lhv: Q | None, ef_n2o: Q) -> Q:
    """Mobile-source N2O (Chongqing A.2), by mode and fuel: ``Activity[TJ] × EF[kgN2O/TJ]``."""
    return _as(fuel_heat(amount, lhv) * ef_n2o, "tN2O")


def biomass_ch4(amount: Q, lhv: Q | None, ef_ch4: Q) -> Q:
    """Biomass burning CH4 (Chongqing A.2): ``Activity[TJ] × EF[kgCH4/TJ]``."""
    return _as(fuel_heat(amount, lhv) * ef_ch4, "tCH4")


def biomass_n2o(amount: Q, lhv: Q | None, ef_n2o: Q) -> Q:
    """Biomass burning N2O (Chongqing A.2): ``Activity[TJ] × EF[kgN2O/TJ]``."""
    return _as(fuel_heat(amount, lhv) * ef_n2o, "tN2O")


def gas_system_fugitive_ch4(
    boosting_stations: Q,
    ef_boosting: Q,
    metering_stations: Q,
    ef_metering: Q,
    check_valves: Q,
    ef_check_valve: Q,
    consumption: Q,
    ef_consumption: Q,
) -> Q:
    """Natural-gas system fugitive CH4 (Chongqing A.2).

    transport = boosting stations × EF + metering stations × EF + check valves × EF;
    consumption leakage = gas consumed × EF; total = transport + consumption.
    """
    transport = (
        boosting_stations * ef_boosting
        + metering_stations * ef_metering
        + check_valves * ef_check_valve
    )
    leakage = consumption * ef_consumption
    return _as(transport + leakage, "tCH4")


def electricity_indirect_co2(imported: Q, exported: Q, factor: Q) -> Q:
    """Indirect CO2 of electricity imported net of export (Chongqing A.2):
    ``(import − export) × regional grid factor``."""
    return _as((imported - exported) * factor, "tCO2")


def reduction_from_electricity(electricity: Q, factor: Q) -> Q:
    """A reduction (AE削减, A.1) from green or self-generated electricity: MWh × tCO2/MWh."""
    return _as(electricity * factor, "tCO2")


# ---- Chongqing guideline, A.3 industrial processes ----------------------------------------------


def cement_co2(clinker: Q, carbide_slag_clinker: Q, ef: Q) -> Q:
    """Cement (A.3): ``E = (AD总 − AD电石) × EF``; carbide-slag clinker emits no process CO2."""
    return _as((clinker - carbide_slag_clinker) * ef, "tCO2")


def production_co2(production: Q, ef: Q) -> Q:
    """Lime and calcium carbide (A.3): ``E = production × EF``."""
    return _as(production * ef, "tCO2")


def steel_co2(
    limestone: Q,
    ef_limestone: Q,
    dolomite: Q,
    ef_dolomite: Q,
    pig_iron: Q,
    pig_iron_carbon: Q,
    crude_steel: Q,
    crude_steel_carbon: Q,
) -> Q:
    """Steel (A.3): flux calcination plus the carbon lost between pig iron and crude steel.

    ``E = limestone × EF + dolomite × EF + (pig_iron × C_iron − crude_steel × C_steel) × 44/12``
    """
    flux = limestone * ef_limestone + dolomite * ef_dolomite
    carbon = as_gas(pig_iron * pig_iron_carbon - crude_steel * crude_steel_carbon, "C")
    return _as(flux + carbon_to_co2(carbon), "tCO2")


def production_emission(production: Q, ef: Q) -> Q:
    """A gas emitted per unit of production (A.3): adipic and nitric acid N2O, HCFC-22 HFC-23,
    aluminium CF4 and C2F6, magnesium SF6: ``E = Σ production × EF``, per technology."""
    emitted = cast(Q, (production * ef).to_reduced_units())
    gas_of(emitted)  # raises UnitError unless production × EF is the mass of a gas
    return emitted


def gas_use_emission(use: Q, ef: Q, gas: str) -> Q:
    """A gas used and partly emitted (A.3, electrical equipment SF6, semiconductor fluorinated
    gases, HFC production losses): ``E = use × EF``, EF a fraction."""
    return cast(Q, as_gas(use, gas) * ef.to(""))


def flat_glass_co2(mass: Q, ef: Q, calcination: Q) -> Q:
    """Flat glass (A.3): ``E = Σ carbonate mass × EF × calcination fraction``."""
    return _as(mass * ef * calcination, "tCO2")


# ---- Chongqing guideline, A.4 waste -------------------------------------------------------------


def wastewater_ef(bo: Q, mcf: Q) -> Q:
    """Wastewater CH4 factor (A.4): ``EF = B0 × MCF`` in kgCH4/kgCOD."""
    return _as(bo * mcf, "kgCH4/kgCOD")


def wastewater_ch4(tow: Q, sludge: Q, ef: Q, recovered: Q) -> Q:
    """Industrial wastewater CH4 (A.4): ``E = (TOW − S) × EF − R``."""
    return _as((tow - sludge) * ef - recovered, "tCH4")

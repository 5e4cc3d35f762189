"""calc.equations, one function per guideline equation, against published worked examples.

The source rows come first, each test named after its source; our own hand-computed examples and
the unit-error cases follow, apart. All comparisons are pint-aware: the result is converted to the
unit the source states, then compared.

Sources:
- factors.md §5 E1–E4: pzacademy exam Q&A, https://pzacademy.com/qa/179111 (tCO2, 2 decimals).
- factors.md §5 E5 (×10): the book118 reference sheet "各种能源折标准煤与碳排放参考系数" (§1a),
  NCV × CC × OF × 44/12 in kgCO2/kg (natural gas kgCO2/m3), 4 decimals.
- factors.md §5 E7: IPCC 2006 Vol. 2 Ch. 1 Table 1.2/1.4, EF = CC × 44/12 × 1000 rounded to
  3 significant figures (§1b).
- factors.md §5 "derived reference values": natural gas 21.622 / 21.650 tCO2/10^4 Nm3.
- spec/README.md §4 and park-example.yml 2024 rows (Chongqing A.2–A.4).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pint
import pytest

from tanping.calc import equations as eq
from tanping.units import Quantity, UnitError


def q(value: str | float | np.ndarray, unit: str | None = None) -> Any:
    """``q("28 万t")``, or ``q(0.2, "")`` / ``q(array, "万t")`` for a number and a unit."""
    if unit is None:
        return Quantity(value)
    return Quantity(float(value) if isinstance(value, str) else value, unit)


def value_in(quantity: Any, unit: str) -> float:
    """The magnitude in ``unit``; raises if the dimension differs (pint-aware comparison)."""
    return float(quantity.to(unit).magnitude)


def sig(x: float, figures: int = 3) -> float:
    return float(f"{x:.{figures}g}")


# ==== the source's rows ==========================================================================

# ---- factors.md §5 E1–E4, pzacademy exam answer ------------------------------------------------


@pytest.mark.parametrize(
    ("example", "consumption", "lhv", "carbon_content", "oxidation", "published"),
    [
        ("E1 coal", "1000 t", "20 GJ/t", "27.49e-3 tC/GJ", "94 %", 1894.98),
        ("E2 LPG", "5 t", "41.87 GJ/t", "17.2e-3 tC/GJ", "98 %", 12.94),
        ("E4 diesel", "2 t", "43 GJ/t", "20.2e-3 tC/GJ", "98 %", 6.24),
    ],
)
def test_pzacademy_fuel_combustion(
    example: str,
    consumption: str,
    lhv: str,
    carbon_content: str,
    oxidation: str,
    published: float,
) -> None:
    co2 = eq.fuel_combustion_co2(q(consumption), q(lhv), q(carbon_content), q(oxidation))
    assert round(value_in(co2, "tCO2"), 2) == published, example


def test_pzacademy_E1_unrounded() -> None:
    """E1 recomputed in factors.md: 1894.977 (to 3 decimals)."""
    co2 = eq.fuel_combustion_co2(q("1000 t"), q("20 GJ/t"), q("27.49e-3 tC/GJ"), q("94 %"))
    assert value_in(co2, "tCO2") == pytest.approx(1894.977, abs=5e-4)


def test_pzacademy_E3_purchased_electricity() -> None:
    """E3: 5000 MWh × 0.5568 tCO2/MWh (2021 national grid factor) = 2784 tCO2."""
    co2 = eq.purchased_electricity_co2(q("5000 MWh"), q("0.5568 tCO2/MWh"))
    assert value_in(co2, "tCO2") == pytest.approx(2784, rel=1e-12)


# ---- factors.md §5 E5, book118 reference sheet ---------------------------------------------------

BOOK118 = [
    # fuel, NCV (kJ per kg or m3), CC (tC/TJ), OF, published kgCO2 per kg (m3)
    ("原煤", "20908 kJ/kg", 26.37, 0.94, 1.9003),
    ("焦炭", "28435 kJ/kg", 29.5, 0.93, 2.8604),
    ("原油", "41816 kJ/kg", 20.1, 0.98, 3.0202),
    ("燃料油", "41816 kJ/kg", 21.1, 0.98, 3.1705),
    ("汽油", "43070 kJ/kg", 18.9, 0.98, 2.9251),
    ("煤油", "43070 kJ/kg", 19.5, 0.98, 3.0179),
    ("柴油", "42652 kJ/kg", 20.2, 0.98, 3.0959),
    ("LPG", "50179 kJ/kg", 17.2, 0.98, 3.1013),
    ("炼厂干气", "46055 kJ/kg", 18.2, 0.98, 3.0119),
    ("天然气", "38931 kJ/Nm3", 15.3, 0.99, 2.1622),
]


@pytest.mark.parametrize(("fuel", "ncv", "cc", "of", "published"), BOOK118)
def test_book118_per_unit_factor(fuel: str, ncv: str, cc: float, of: float, published: float):
    one = q("1 Nm3") if "Nm3" in ncv else q("1 kg")
    co2 = eq.fuel_combustion_co2(one, q(ncv), q(cc, "tC/TJ"), q(of, ""))
    assert round(value_in(co2, "kgCO2"), 4) == published, fuel


# ---- factors.md §5 derived natural-gas values ----------------------------------------------------


@pytest.mark.parametrize(("carbon_content", "per_10k_nm3"), [(15.3e-3, 21.622), (15.32e-3, 21.650)])
def test_factors_md_natural_gas_per_10k_nm3(carbon_content: float, per_10k_nm3: float) -> None:
    """389.31 GJ/10^4 Nm3 × CC × 0.99 × 44/12, to 3 decimals (not the mock 2.1622 t/10^4 Nm3)."""
    co2 = eq.fuel_combustion_co2(
        q("1 万Nm3"), q("389.31 GJ/万Nm3"), q(carbon_content, "tC/GJ"), q("99 %")
    )
    assert round(value_in(co2, "tCO2"), 3) == per_10k_nm3


# ---- factors.md §5 E7, IPCC 2006 CO2 factors from carbon content ---------------------------------

IPCC_2006 = [
    # fuel, CC kgC/GJ, published kgCO2/TJ (3 significant figures)
    ("Anthracite", 26.8, 98300),
    ("Other bituminous coal", 25.8, 94600),
    ("Sub-bituminous coal", 26.2, 96100),
    ("Lignite", 27.6, 101000),
    ("Coke oven coke", 29.2, 107000),
    ("Crude oil", 20.0, 73300),
    ("Motor gasoline", 18.9, 69300),
    ("Other kerosene", 19.6, 71900),
    ("Gas/diesel oil", 20.2, 74100),
    ("Residual fuel oil", 21.1, 77400),
    ("LPG", 17.2, 63100),
    ("Refinery gas", 15.7, 57600),
    ("Naphtha", 20.0, 73300),
    ("Petroleum coke", 26.6, 97500),
    ("Natural gas", 15.3, 56100),
    ("Coke oven gas", 12.1, 44400),
    ("Blast furnace gas", 70.8, 260000),
    ("Oxygen steel furnace gas", 49.6, 182000),
    ("Coal tar", 22.0, 80700),
]


@pytest.mark.parametrize(("fuel", "carbon_content", "published"), IPCC_2006)
def test_ipcc2006_co2_factor_from_carbon(fuel: str, carbon_content: float, published: int):
    ef = eq.co2_factor_from_carbon(q(carbon_content, "kgC/GJ"), q("100 %"))
    assert sig(value_in(ef, "kgCO2/TJ")) == published, fuel


# ---- spec/README.md §4 and park-example.yml (Chongqing A.2–A.4) ----------------------------------


def test_chongqing_a2_fossil_fuel_co2_ipcc_form() -> None:
    """park-example 2024 甲水泥: 28 万t × 19.570 GJ/t × 94600 kgCO2/TJ = 518370.16 tCO2."""
    co2 = eq.fossil_fuel_co2(q("28 万t"), q("19.570 GJ/t"), q("94600 kgCO2/TJ"))
    assert value_in(co2, "tCO2") == pytest.approx(518370.16, rel=1e-12)


def test_chongqing_a2_fossil_fuel_co2_from_heat() -> None:
    """The amount may be the heat itself (lhv None): 5479.6 TJ × 94600 kgCO2/TJ."""
    co2 = eq.fossil_fuel_co2(q("5479.6 TJ"), None, q("94600 kgCO2/TJ"))
    assert value_in(co2, "tCO2") == pytest.approx(518370.16, rel=1e-12)


def test_chongqing_a2_electricity_and_solar_reduction() -> None:
    """park-example 2024: 230000 MWh × 0.5271 tCO2/MWh; 自建光伏 12000 MWh × 0.5271 = 6325.2."""
    imported = eq.electricity_indirect_co2(q("230000 MWh"), q("0 MWh"), q("0.5271 tCO2/MWh"))
    assert value_in(imported, "tCO2") == pytest.approx(121233, rel=1e-12)
    solar = eq.reduction_from_electricity(q("12000 MWh"), q("0.5271 tCO2/MWh"))
    assert value_in(solar, "tCO2") == pytest.approx(6325.2, rel=1e-12)


def test_chongqing_a3_cement() -> None:
    """park-example 2024 甲水泥: (150 万t − 6 万t) × 0.538 tCO2/t = 774720 tCO2."""
    co2 = eq.cement_co2(q("150 万t"), q("6 万t"), q("0.538 tCO2/t"))
    assert value_in(co2, "tCO2") == pytest.approx(774720, rel=1e-12)


def test_chongqing_a3_nitric_acid() -> None:
    """park-example 2024 乙化工 双加压法: 12 万t × 0.0080 tN2O/t = 960 tN2O."""
    n2o = eq.production_emission(q("12 万t"), q("0.0080 tN2O/t"))
    assert value_in(n2o, "tN2O") == pytest.approx(960, rel=1e-12)


def test_chongqing_a3_semiconductor_nf3() -> None:
    """park-example 2024 丙电子: NF3 3.0 t used × 0.2 emitted = 0.6 tNF3 (a plain mass of NF3)."""
    nf3 = eq.gas_use_emission(q("3.0 t"), q("0.2", ""), "NF3")
    assert value_in(nf3, "tNF3") == pytest.approx(0.6, rel=1e-12)
    with pytest.raises(pint.DimensionalityError):
        nf3.to("t")  # it is NF3, not a plain mass any more


def test_chongqing_a4_wastewater() -> None:
    """park-example 2024 丙电子: (1800 − 300) tCOD × 0.075 kgCH4/kgCOD − 20 tCH4 = 92.5 tCH4."""
    ch4 = eq.wastewater_ch4(q("1800 tCOD"), q("300 tCOD"), q("0.075 kgCH4/kgCOD"), q("20 tCH4"))
    assert value_in(ch4, "tCH4") == pytest.approx(92.5, rel=1e-12)


def test_chongqing_a4_wastewater_ef_from_bo_and_mcf() -> None:
    """EF = B0 × MCF: IPCC B0 0.25 kgCH4/kgCOD × MCF 0.3 (aerobic, not well managed) = 0.075."""
    ef = eq.wastewater_ef(q("0.25 kgCH4/kgCOD"), q("0.3", ""))
    assert value_in(ef, "kgCH4/kgCOD") == pytest.approx(0.075, rel=1e-12)


# ==== our own examples (hand-computed) ===========================================================


def test_steel_hand_example() -> None:
    """100 t limestone × 0.440 + 50 t dolomite × 0.471 (steel-guide factors, factors.md §4)
    + (1000 t pig iron × 4 % C − 900 t crude steel × 0.2 % C) × 44/12
    = 44 + 23.55 + 38.2 × 44/12 = 207.616666… tCO2."""
    co2 = eq.steel_co2(
        q("100 t"),
        q("0.440 tCO2/t"),
        q("50 t"),
        q("0.471 tCO2/t"),
        q("1000 t"),
        q("4 %"),
        q("900 t"),
        q("0.2 %"),
    )
    assert value_in(co2, "tCO2") == pytest.approx(44 + 23.55 + 38.2 * 44 / 12, rel=1e-12)
    assert value_in(co2, "tCO2") == pytest.approx(207.6166667, rel=1e-9)


def test_gas_system_fugitive_hand_example() -> None:
    """2 boosting stations × 0.5 tCH4 + 3 metering × 0.1 + 10 valves × 0.01
    + 100 万Nm3 × 0.02 tCH4/万Nm3 = 1 + 0.3 + 0.1 + 2 = 3.4 tCH4."""
    ch4 = eq.gas_system_fugitive_ch4(
        q("2", ""),
        q("0.5 tCH4"),
        q("3", ""),
        q("0.1 tCH4"),
        q("10", ""),
        q("0.01 tCH4"),
        q("100 万Nm3"),
        q("0.02 tCH4/万Nm3"),
    )
    assert value_in(ch4, "tCH4") == pytest.approx(3.4, rel=1e-12)


def test_non_co2_combustion_hand_examples() -> None:
    """1 万t × 20 GJ/t = 200 TJ; × 1.5 kgN2O/TJ = 0.3 tN2O; × 10 kgCH4/TJ = 2 tCH4."""
    amount, lhv = q("1 万t"), q("20 GJ/t")
    assert value_in(eq.fuel_heat(amount, lhv), "TJ") == pytest.approx(200)
    assert value_in(eq.boiler_n2o(amount, lhv, q("1.5 kgN2O/TJ")), "tN2O") == pytest.approx(0.3)
    assert value_in(eq.mobile_ch4(amount, lhv, q("10 kgCH4/TJ")), "tCH4") == pytest.approx(2)
    assert value_in(eq.mobile_n2o(amount, lhv, q("1.5 kgN2O/TJ")), "tN2O") == pytest.approx(0.3)
    assert value_in(eq.biomass_ch4(amount, lhv, q("10 kgCH4/TJ")), "tCH4") == pytest.approx(2)
    assert value_in(eq.biomass_n2o(amount, lhv, q("1.5 kgN2O/TJ")), "tN2O") == pytest.approx(0.3)


def test_other_process_hand_examples() -> None:
    # lime 1 万t × 0.683 tCO2/t
    assert value_in(eq.production_co2(q("1 万t"), q("0.683 tCO2/t")), "tCO2") == pytest.approx(6830)
    # flat glass: 1000 t calcite × 0.43971 tCO2/t × 100 % calcined
    glass = eq.flat_glass_co2(q("1000 t"), q("0.43971 tCO2/t"), q("100 %"))
    assert value_in(glass, "tCO2") == pytest.approx(439.71)
    # project-example 焊接保护气 2.4 t × 1 tCO2/t; 外购蒸汽 15000 GJ × 0.11 tCO2/GJ
    assert value_in(eq.process_co2(q("2.4 t"), q("1 tCO2/t")), "tCO2") == pytest.approx(2.4)
    heat = eq.purchased_heat_co2(q("15000 GJ"), q("0.11 tCO2/GJ"))
    assert value_in(heat, "tCO2") == pytest.approx(1650)
    # aluminium CF4: 10 万t × 0.4 kgCF4/t (IPCC CWPB) = 40 tCF4
    cf4 = eq.production_emission(q("10 万t"), q("0.4 kgCF4/t"))
    assert value_in(cf4, "tCF4") == pytest.approx(40)


def test_aggregates_hand_examples() -> None:
    e, p, r = q("100 tCO2"), q("80 tCO2"), q("30 tCO2")
    assert value_in(eq.overall_emissions(e, p, r), "tCO2") == pytest.approx(150)
    assert value_in(eq.net_new_emissions(p, r), "tCO2") == pytest.approx(50)
    intensity = eq.emission_intensity(q("8395.57 tCO2"), q("36000 万元"))
    assert value_in(intensity, "kgCO2/万元") == pytest.approx(233.2103, rel=1e-6)
    share = eq.share_of_target(q("7962.57 tCO2"), q("1850 万tCO2"))
    assert value_in(share, "percent") == pytest.approx(0.043040919, rel=1e-6)
    total = eq.total_emissions(q("10 tCO2e"), q("5 tCO2e"), q("2 tCO2e"), q("4 tCO2e"))
    assert value_in(total, "tCO2e") == pytest.approx(13)


def test_equations_take_arrays() -> None:
    """A pipeline evaluates many rows of one unit signature at once: same as row by row."""
    amounts = np.array([27.0, 28.0, 31.0, 25.0])
    together = eq.fossil_fuel_co2(q(amounts, "万t"), q("19.570 GJ/t"), q("94600 kgCO2/TJ"))
    one_by_one = [
        value_in(eq.fossil_fuel_co2(q(a, "万t"), q("19.570 GJ/t"), q("94600 kgCO2/TJ")), "tCO2")
        for a in amounts
    ]
    np.testing.assert_allclose(together.to("tCO2").magnitude, one_by_one, rtol=1e-12)


# ---- a wrong unit is a DimensionalityError, never a number ---------------------------------------

WRONG_UNIT_CALLS = {
    "fuel_combustion_co2: consumption in MWh": lambda: eq.fuel_combustion_co2(
        q("1000 MWh"), q("20 GJ/t"), q("0.02749 tC/GJ"), q("94 %")
    ),
    "fuel_combustion_co2: gas in t with GJ/万Nm3": lambda: eq.fuel_combustion_co2(
        q("85 t"), q("389.31 GJ/万Nm3"), q("0.01532 tC/GJ"), q("99 %")
    ),
    "fuel_combustion_co2: carbon content as CO2": lambda: eq.fuel_combustion_co2(
        q("1000 t"), q("20 GJ/t"), q("0.1 tCO2/GJ"), q("94 %")
    ),
    "process_co2: factor in tCH4/t": lambda: eq.process_co2(q("2.4 t"), q("1 tCH4/t")),
    "purchased_electricity_co2: consumption in t": lambda: eq.purchased_electricity_co2(
        q("5000 t"), q("0.5568 tCO2/MWh")
    ),
    "purchased_electricity_co2: factor without species": lambda: eq.purchased_electricity_co2(
        q("5000 MWh"), q("0.5568 t/MWh")
    ),
    "purchased_heat_co2: consumption in t": lambda: eq.purchased_heat_co2(
        q("15000 t"), q("0.11 tCO2/GJ")
    ),
    "overall_emissions: a plain mass": lambda: eq.overall_emissions(
        q("1 tCO2"), q("1 t"), q("1 tCO2")
    ),
    "net_new_emissions: CH4": lambda: eq.net_new_emissions(q("1 tCO2"), q("1 tCH4")),
    "share_of_target: target in t": lambda: eq.share_of_target(q("1 tCO2"), q("1850 万t")),
    "total_emissions: CH4 added to CO2e": lambda: eq.total_emissions(
        q("1 tCO2e"), q("1 tCO2e"), q("1 tCH4"), q("1 tCO2e")
    ),
    "fuel_heat: a mass without lhv": lambda: eq.fuel_heat(q("28 万t"), None),
    "fossil_fuel_co2: ef in tC/TJ": lambda: eq.fossil_fuel_co2(
        q("28 万t"), q("19.570 GJ/t"), q("26.18 tC/TJ")
    ),
    "fossil_fuel_co2: amount in MWh with GJ/t": lambda: eq.fossil_fuel_co2(
        q("28 MWh"), q("19.570 GJ/t"), q("94600 kgCO2/TJ")
    ),
    "co2_factor_from_carbon: CO2 given": lambda: eq.co2_factor_from_carbon(
        q("56.1 kgCO2/GJ"), q("100 %")
    ),
    "boiler_n2o: ef in kgCH4/TJ": lambda: eq.boiler_n2o(
        q("1 万t"), q("20 GJ/t"), q("1.5 kgCH4/TJ")
    ),
    "mobile_ch4: ef in kgN2O/TJ": lambda: eq.mobile_ch4(q("1 万t"), q("20 GJ/t"), q("3 kgN2O/TJ")),
    "mobile_n2o: ef in kgCH4/TJ": lambda: eq.mobile_n2o(q("1 万t"), q("20 GJ/t"), q("3 kgCH4/TJ")),
    "biomass_ch4: amount in MWh": lambda: eq.biomass_ch4(
        q("1 MWh"), q("11.8 GJ/t"), q("30 kgCH4/TJ")
    ),
    "biomass_n2o: ef per t": lambda: eq.biomass_n2o(q("1 万t"), q("11.8 GJ/t"), q("4 kgN2O/t")),
    "gas_system_fugitive_ch4: consumption in t": lambda: eq.gas_system_fugitive_ch4(
        q("2", ""),
        q("0.5 tCH4"),
        q("3", ""),
        q("0.1 tCH4"),
        q("10", ""),
        q("0.01 tCH4"),
        q("100 t"),
        q("0.02 tCH4/万Nm3"),
    ),
    "electricity_indirect_co2: export in t": lambda: eq.electricity_indirect_co2(
        q("230000 MWh"), q("1 t"), q("0.5271 tCO2/MWh")
    ),
    "reduction_from_electricity: electricity in t": lambda: eq.reduction_from_electricity(
        q("12000 t"), q("0.5271 tCO2/MWh")
    ),
    "cement_co2: clinker in MWh": lambda: eq.cement_co2(
        q("150 MWh"), q("6 万t"), q("0.538 tCO2/t")
    ),
    "production_co2: ef in tN2O/t": lambda: eq.production_co2(q("1 万t"), q("0.683 tN2O/t")),
    "steel_co2: limestone in MWh": lambda: eq.steel_co2(
        q("100 MWh"),
        q("0.440 tCO2/t"),
        q("50 t"),
        q("0.471 tCO2/t"),
        q("1000 t"),
        q("4 %"),
        q("900 t"),
        q("0.2 %"),
    ),
    "steel_co2: pig iron in MWh, crude steel in t": lambda: eq.steel_co2(
        q("100 t"),
        q("0.440 tCO2/t"),
        q("50 t"),
        q("0.471 tCO2/t"),
        q("1000 MWh"),
        q("4 %"),
        q("900 t"),
        q("0.2 %"),
    ),
    "gas_use_emission: ef as a mass": lambda: eq.gas_use_emission(q("3 t"), q("0.2 t"), "NF3"),
    "flat_glass_co2: calcination in t": lambda: eq.flat_glass_co2(
        q("1000 t"), q("0.43971 tCO2/t"), q("1 t")
    ),
    "wastewater_ef: mcf in kg": lambda: eq.wastewater_ef(q("0.25 kgCH4/kgCOD"), q("0.3 kg")),
    "wastewater_ch4: tow in t": lambda: eq.wastewater_ch4(
        q("1800 t"), q("300 tCOD"), q("0.075 kgCH4/kgCOD"), q("20 tCH4")
    ),
    "wastewater_ch4: recovered as CO2e": lambda: eq.wastewater_ch4(
        q("1800 tCOD"), q("300 tCOD"), q("0.075 kgCH4/kgCOD"), q("20 tCO2e")
    ),
}

#: Equations whose wrong unit shows in a gas species: they raise units.UnitError (the module
#: docstring: "pint.DimensionalityError, or units.UnitError where a gas species is involved").
SPECIES_CALLS = {
    "production_emission: production in MWh": lambda: eq.production_emission(
        q("120000 MWh"), q("0.0080 tN2O/t")
    ),
    "steel_co2: pig iron and crude steel in MWh": lambda: eq.steel_co2(
        q("100 t"),
        q("0.440 tCO2/t"),
        q("50 t"),
        q("0.471 tCO2/t"),
        q("1000 MWh"),
        q("4 %"),
        q("900 MWh"),
        q("0.2 %"),
    ),
    "gas_use_emission: use in MWh": lambda: eq.gas_use_emission(q("3 MWh"), q("0.2", ""), "NF3"),
}


def test_every_equation_has_a_wrong_unit_case() -> None:
    covered = {name.partition(":")[0] for name in (*WRONG_UNIT_CALLS, *SPECIES_CALLS)}
    public = {
        name
        for name, obj in vars(eq).items()
        if callable(obj)
        and not name.startswith("_")
        and getattr(obj, "__module__", "") == eq.__name__
    }
    # emission_intensity is a ratio of any two quantities: no unit is wrong for it
    assert public - covered == {"emission_intensity"}


@pytest.mark.parametrize("case", list(WRONG_UNIT_CALLS))
def test_wrong_unit_raises_dimensionality_error(case: str) -> None:
    with pytest.raises(pint.DimensionalityError):
        result = WRONG_UNIT_CALLS[case]()
        raise AssertionError(f"{case} gave a number: {result}")


@pytest.mark.parametrize("case", list(SPECIES_CALLS))
def test_wrong_unit_of_a_gas_raises_unit_error(case: str) -> None:
    with pytest.raises(UnitError):
        result = SPECIES_CALLS[case]()
        raise AssertionError(f"{case} gave a number: {result}")

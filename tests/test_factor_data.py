"""The factor library's data (calc/factors/*.csv) against its source, factors.md.

Reference tests are named after the section or worked example of
``calc/factors/SOURCES.md`` they copy (E5, E7, E8, §3 …); the published numbers are kept
in this file as the oracle, apart from the data they check. Our own edge cases (malformed rows,
vocabulary, dimensions) come after them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tanping import units
from tanping.calc.factors import (
    ALIASES,
    COLUMNS,
    DATA_DIR,
    GRADES,
    Factor,
    FactorLibrary,
    load_csv,
)

CSV_FILES = sorted(DATA_DIR.glob("*.csv"))


@pytest.fixture(scope="module")
def library() -> FactorLibrary:
    return FactorLibrary.default()


def carbon_as_co2(lib: FactorLibrary, set_id: str, item: str, unit: str) -> float:
    """NCV × CC × OF × 44/12 from the set's rows, in ``unit`` (pint does every unit step)."""
    carbon = (
        value(lib, set_id, item, "lhv").quantity
        * value(lib, set_id, item, "carbon_content").quantity
        * value(lib, set_id, item, "oxidation").quantity
    )
    return float(units.carbon_to_co2(carbon).to(units.parse_unit(unit)).magnitude)


def value(
    lib: FactorLibrary, set_id: str, item: str, parameter: str, qualifier: str = ""
) -> units.Amount:
    factor = lib.find(set_id, item, parameter, qualifier)
    assert factor is not None, f"no row {(set_id, item, parameter, qualifier)}"
    return factor.value


def three_significant_figures(number: float) -> float:
    return float(f"{number:.3g}")


# ---- every row of every CSV ---------------------------------------------------------------------


def test_the_expected_csv_files_are_shipped() -> None:
    names = {path.name for path in CSV_FILES}
    assert {"fuels.csv", "grid.csv", "heat.csv", "gwp.csv", "process.csv", "waste.csv"} <= names


@pytest.mark.parametrize("path", CSV_FILES, ids=lambda p: p.name)
def test_every_row_parses_with_a_grade_of_the_vocabulary(path: Path) -> None:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(COLUMNS)
    factors = load_csv(path)
    assert factors
    for factor in factors:
        assert factor.grade in GRADES
        assert factor.source and factor.year
        again = units.parse_amount(
            f"{factor.value.magnitude} {factor.value.unit}", bare_number=True
        )
        assert again.quantity == factor.value.quantity


def test_keys_are_unique_across_all_files() -> None:
    keys = Counter(factor.key for path in CSV_FILES for factor in load_csv(path))
    assert [key for key, count in keys.items() if count > 1] == []
    FactorLibrary(factor for path in CSV_FILES for factor in load_csv(path))


def test_unverified_rows_say_why_in_the_note(library: FactorLibrary) -> None:
    for factor in library.rows():
        if not factor.verified:
            assert factor.note, factor.key


# ---- factors.md §5 E5: the book118 reference sheet ----------------------------------------------

#: factors.md §5 E5: the sheet's published per-unit factors (kgCO2/kg; natural gas kgCO2/m3).
E5_PUBLISHED = {
    "原煤": ("1.9003", "kgCO2/kg"),
    "焦炭": ("2.8604", "kgCO2/kg"),
    "原油": ("3.0202", "kgCO2/kg"),
    "燃料油": ("3.1705", "kgCO2/kg"),
    "汽油": ("2.9251", "kgCO2/kg"),
    "一般煤油": ("3.0179", "kgCO2/kg"),
    "柴油": ("3.0959", "kgCO2/kg"),
    "液化石油气": ("3.1013", "kgCO2/kg"),
    "炼厂干气": ("3.0119", "kgCO2/kg"),
    "天然气": ("2.1622", "kgCO2/Nm3"),
}
#: The E5 fuels whose NCV, CC and OF appear unchanged in a shipped national set.
E5_IN_GBT32151 = ("焦炭", "原油", "燃料油", "汽油", "柴油", "液化石油气", "天然气")
E5_IN_INDUSTRY24 = ("原油", "燃料油", "汽油", "柴油", "液化石油气", "天然气")


@pytest.mark.parametrize("item", E5_PUBLISHED)
def test_factors_md_E5_book118_sheet_recomputes(library: FactorLibrary, item: str) -> None:
    published, unit = E5_PUBLISHED[item]
    assert f"{carbon_as_co2(library, 'book118-reference', item, unit):.4f}" == published


@pytest.mark.parametrize("item", E5_PUBLISHED)
def test_factors_md_E5_book118_sheet_factor_as_shipped(library: FactorLibrary, item: str) -> None:
    published, unit = E5_PUBLISHED[item]
    assert f"{value(library, 'book118-reference', item, 'ef_co2').to(unit):.4f}" == published


@pytest.mark.parametrize(
    ("set_id", "item"),
    [("gbt32151-2024", item) for item in E5_IN_GBT32151]
    + [("industry24-2013", item) for item in E5_IN_INDUSTRY24],
)
def test_factors_md_E5_recomputes_from_national_set(
    library: FactorLibrary, set_id: str, item: str
) -> None:
    for parameter in ("lhv", "carbon_content", "oxidation"):
        sheet = value(library, "book118-reference", item, parameter).quantity
        shipped = value(library, set_id, item, parameter).quantity
        assert shipped.to(sheet.units).magnitude == pytest.approx(sheet.magnitude, rel=1e-12)
    published, unit = E5_PUBLISHED[item]
    assert f"{carbon_as_co2(library, set_id, item, unit):.4f}" == published


# ---- factors.md §5 E7: IPCC CO2 EF = CC × 44/12 × 1000, rounded to 3 significant figures ------


def test_ipcc2006_E7_co2_factor_from_carbon_content(library: FactorLibrary) -> None:
    fuels = library.items("ipcc2006", "carbon_content")
    assert len(fuels) == 20
    assert set(fuels) <= set(library.items("ipcc2006", "ef_co2"))
    for item in fuels:
        carbon_content = value(library, "ipcc2006", item, "carbon_content").quantity
        co2 = units.carbon_to_co2(carbon_content).to(units.parse_unit("kgCO2/TJ")).magnitude
        shipped = value(library, "ipcc2006", item, "ef_co2").to("kgCO2/TJ")
        assert three_significant_figures(co2) == shipped, item


def test_ipcc2006_natural_gas_n2o_is_0_1_not_ghgpy_1_5(library: FactorLibrary) -> None:
    """factors.md §1b: ghgpy has 1.5 kg/TJ for energy industries and manufacturing; IPCC 0.1."""
    for sector in ("energy_industry", "industry", "services", "residential"):
        assert value(library, "ipcc2006", "天然气", "ef_n2o", sector).to("kgN2O/TJ") == 0.1


# ---- factors.md §5 derived values and E8 ------------------------------------------------------


def test_factors_md_derived_natural_gas_set_ii_21_622(library: FactorLibrary) -> None:
    """389.31 GJ/10^4 Nm3 × 15.3e-3 tC/GJ × 0.99 × 44/12 = 21.622 tCO2/10^4 Nm3."""
    co2 = carbon_as_co2(library, "gbt32151-2024", "天然气", "tCO2/万Nm3")
    assert round(co2, 3) == 21.622
    assert carbon_as_co2(library, "cn-default", "天然气", "tCO2/万Nm3") == co2


def test_factors_md_E8_ipcc_cement_clinker(library: FactorLibrary) -> None:
    """0.65 × 44.01/56.08 × 1.02 = 0.5203, published as 0.52 tCO2/t clinker."""
    co2_per_cao = 44.01 / 56.08  # molar masses of CO2 and CaO, a definition
    cao = value(library, "ipcc2006", "cement", "cao_content").to("")
    ckd = value(library, "ipcc2006", "cement", "ckd_correction").to("")
    recomputed = cao * co2_per_cao * ckd
    assert f"{recomputed:.4f}" == "0.5203"
    assert round(recomputed, 2) == value(library, "ipcc2006", "cement", "ef_co2").to("tCO2/t")


# ---- factors.md §5 E3 and E6: grid factors -------------------------------------------------------


def test_factors_md_E3_purchased_electricity(library: FactorLibrary) -> None:
    """pzacademy exam answer: 5000 MWh × 0.5568 (2021 national) = 2784 tCO2."""
    electricity = units.parse_amount("5000 MWh").quantity
    factor = value(library, "mee-nbs", "全国", "ef_co2", "2021").quantity
    assert (electricity * factor).to(units.parse_unit("tCO2")).magnitude == pytest.approx(2784)


#: factors.md §5 E6: year-on-year changes published with the MEE/NBS notices (percent).
E6_PUBLISHED_CHANGES = [
    ("全国", "2021", "2022", -3.6),
    ("全国化石能源电力", "2021", "2022", -1.2),
    ("全国", "2022", "2023", -1.1),
    ("华北", "2022", "2023", -6.1),
    ("东北", "2022", "2023", -8.0),  # E6f: recomputes as −7.94, MEE used unrounded factors
    ("华东", "2022", "2023", -2.1),
    ("华中", "2022", "2023", -2.3),
    ("西北", "2022", "2023", -5.4),
    ("南方", "2022", "2023", 4.5),
    ("西南", "2022", "2023", 9.0),
]


@pytest.mark.parametrize(("item", "before", "after", "published"), E6_PUBLISHED_CHANGES)
def test_factors_md_E6_year_on_year_changes(
    library: FactorLibrary, item: str, before: str, after: str, published: float
) -> None:
    """factors.md §5 E6: published percentages, ±0.1 pt (they come from unrounded factors)."""
    old = value(library, "mee-nbs", item, "ef_co2", before).to("tCO2/MWh")
    new = value(library, "mee-nbs", item, "ef_co2", after).to("tCO2/MWh")
    assert 100 * (new - old) / old == pytest.approx(published, abs=0.1 + 1e-9)


def test_factors_md_E6_absolute_changes_and_yunnan_hebei_ratio(library: FactorLibrary) -> None:
    """factors.md §5 E6: national −0.0202, fossil −0.0101 (2021→2022); 云南/河北 2022 = 14.8 %."""

    def grid(item: str, year: str) -> float:
        return value(library, "mee-nbs", item, "ef_co2", year).to("tCO2/MWh")

    assert round(grid("全国", "2021") - grid("全国", "2022"), 4) == 0.0202
    assert round(grid("全国化石能源电力", "2021") - grid("全国化石能源电力", "2022"), 4) == 0.0101
    assert round(100 * grid("云南", "2022") / grid("河北", "2022"), 1) == 14.8


# ---- factors.md §3: GWP sets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("set_id", "gas", "gwp"),
    [("AR5", "CH4", 28), ("SAR", "N2O", 310), ("AR6", "SF6", 25200), ("AR6", "CH4", 27.9)],
)
def test_globalwarmingpotentials_csv_spot_values(
    library: FactorLibrary, set_id: str, gas: str, gwp: float
) -> None:
    amount = value(library, set_id, gas, "gwp100")
    assert amount.to(f"tCO2e/{units.GASES[gas]}") == gwp


def test_globalwarmingpotentials_csv_gases_missing_from_sar(library: FactorLibrary) -> None:
    for gas in ("NF3", "HFC-245fa"):
        assert library.find("SAR", gas, "gwp100") is None
        for set_id in ("AR4", "AR5", "AR6"):
            assert library.find(set_id, gas, "gwp100") is not None


def test_gwp_items_are_units_gases_with_their_species(library: FactorLibrary) -> None:
    for set_id in ("SAR", "AR4", "AR5", "AR6"):
        rows = library.rows(set_id)
        assert {factor.parameter for factor in rows} == {"gwp100"}
        for factor in rows:
            assert factor.item in units.GASES and factor.item != "CHF3"
            assert factor.value.unit == f"tCO2e/{units.GASES[factor.item]}"
        expected = len(set(units.GASES) - {"CHF3"}) - (2 if set_id == "SAR" else 0)
        assert len(rows) == expected


# ---- cn-default never supplies an unverified fuel value ----------------------------------------


def test_cn_default_is_gbt32151_2024(library: FactorLibrary) -> None:
    assert ALIASES["cn-default"] == "gbt32151-2024"
    assert library.find("cn-default", "烟煤", "lhv") is library.find("gbt32151-2024", "烟煤", "lhv")
    assert library.rows("cn-default") == library.rows("gbt32151-2024")
    assert "cn-default" not in library.sets()


def test_no_unverified_fuel_parameter_in_gbt32151_2024(library: FactorLibrary) -> None:
    rows = [
        factor
        for factor in library.rows("gbt32151-2024")
        if factor.parameter in ("lhv", "carbon_content", "oxidation")
    ]
    assert len(rows) == 24 * 3
    assert [factor.key for factor in rows if not factor.verified] == []


def test_gbt32151_2024_washed_coal_sic_value_kept(library: FactorLibrary) -> None:
    """factors.md §1a: the transcription gives 26.334 (sic); table (i) gives 26.344."""
    washed = library.find("gbt32151-2024", "洗精煤", "lhv")
    assert washed is not None and washed.value.to("GJ/t") == 26.334
    assert "sic" in washed.note
    assert value(library, "industry24-2013", "洗精煤", "lhv").to("GJ/t") == 26.344


# ---- vocabulary and dimensions (our checks, not from a source table) -----------------------------

FUELS = (
    "无烟煤 烟煤 褐煤 洗精煤 其他洗煤 型煤 焦炭 石油焦 原油 燃料油 汽油 柴油 一般煤油 液化天然气 "
    "液化石油气 石脑油 焦油 粗苯 炼厂干气 天然气 焦炉煤气 高炉煤气 转炉煤气 其他煤气"
).split()
NITRIC_ACID_TECHNOLOGIES = (
    "高压法（无NSCR）",
    "高压法（有NSCR）",
    "中压法",
    "常压法",
    "双加压法",
    "综合法",
    "低压法",
)
IPCC_SECTORS = {"energy_industry", "industry", "services", "residential", "road_transport"}


def test_chinese_fuel_tables_use_the_fuel_vocabulary(library: FactorLibrary) -> None:
    assert library.items("gbt32151-2024", "lhv") == FUELS
    assert set(library.items("industry24-2013", "lhv")) == set(FUELS) - {"石油焦", "石脑油"}
    ipcc_extra = set(library.items("ipcc2006", "lhv")) - set(FUELS)
    assert ipcc_extra == {"次烟煤", "其他原生固体生物质"}


def test_ipcc_combustion_qualifiers_are_sectors(library: FactorLibrary) -> None:
    for factor in library.rows("ipcc2006"):
        if factor.parameter in ("ef_ch4", "ef_n2o") and factor.item in library.items(
            "ipcc2006", "lhv"
        ):
            assert factor.qualifier in IPCC_SECTORS, factor.key


def test_nitric_acid_technologies(library: FactorLibrary) -> None:
    qualifiers = {
        factor.qualifier
        for factor in library.rows("provincial-2011")
        if factor.item == "nitric_acid" and factor.parameter == "ef_n2o"
    }
    assert qualifiers == set(NITRIC_ACID_TECHNOLOGIES)


def test_grid_rows_are_tco2_per_mwh_keyed_by_year(library: FactorLibrary) -> None:
    rows = library.rows("mee-nbs")
    assert rows
    for factor in rows:
        assert factor.parameter == "ef_co2" and factor.value.unit == "tCO2/MWh"
        assert 0 < factor.value.magnitude < 1
    years = {factor.qualifier for factor in rows if factor.qualifier.isdigit()}
    assert years == {"2015", "2021", "2022", "2023"}
    assert value(library, "mee-nbs", "全国", "ef_co2", "2021").to("kgCO2/kWh") == 0.5568


#: The dimension each parameter must have (any one of the units listed).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "lhv": ("GJ/t", "GJ/万Nm3"),
    "carbon_content": ("tC/GJ",),
    "oxidation": ("",),
    "gwp100": tuple(f"tCO2e/{unit}" for unit in units.GASES.values()),
    "ef_ch4": ("kgCH4/TJ", "kgCH4/kgCOD"),
    "ef_n2o": ("kgN2O/TJ", "tN2O/t"),
    "mcf": ("",),
    "bo": ("kgCH4/kgCOD",),
}


def test_parameters_have_their_dimension(library: FactorLibrary) -> None:
    for factor in library.rows():
        expected = DIMENSIONS.get(factor.parameter)
        if expected is not None:
            units.check_dimension(factor.value, expected)
        if factor.parameter in ("oxidation", "mcf"):
            assert 0 <= factor.value.to("") <= 1, factor.key


def test_fuel_co2_factors_are_co2_per_energy_or_per_unit(library: FactorLibrary) -> None:
    for factor in library.rows():
        if factor.parameter == "ef_co2" and factor.item in FUELS:
            units.check_dimension(factor.value, ("kgCO2/TJ", "tCO2/t", "tCO2/万Nm3"))


def test_citation_is_a_chinese_one_liner(library: FactorLibrary) -> None:
    anthracite = library.find("cn-default", "无烟煤", "lhv")
    assert anthracite is not None
    assert anthracite.citation() == "GB/T 32151.22-2024 附录C 表C.1（2024，等级 C）"
    beijing = library.find("mee-nbs", "北京", "ef_co2", "北京市生态环境局-2024")
    assert beijing is not None and not beijing.verified
    assert beijing.citation().endswith("（2024，未经核实）")


# ---- malformed files are rejected with file and line -------------------------------------------

GOOD_ROW = "s,烟煤,lhv,,19.570,GJ/t,doc,表1,2024,C,"


def write_csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "broken.csv"
    path.write_text("\n".join([",".join(COLUMNS), *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("s,烟煤,lhv,,19.570,GJ/吨,doc,表1,2024,C,", "value/unit"),
        ("s,烟煤,lhv,,abc,GJ/t,doc,表1,2024,C,", "value/unit"),
        ("s,烟煤,lhv,,19.570,GJ/t,doc,表1,2024,D,", "unknown grade"),
        ("s,烟煤,lhv,,19.570,GJ/t,doc,表1,2024,C", "10 columns"),
        ("s,烟煤,lhv,,19.570,GJ/t,doc,表1,2024,C,,extra", "12 columns"),
        ("s,烟煤,lhv,,,GJ/t,doc,表1,2024,C,", "empty 'value'"),
        (GOOD_ROW, "duplicate"),
    ],
)
def test_malformed_row_names_file_and_line(tmp_path: Path, bad_row: str, message: str) -> None:
    path = write_csv(tmp_path, GOOD_ROW, bad_row)
    with pytest.raises(ValueError, match=message) as caught:
        load_csv(path)
    assert str(caught.value).startswith("broken.csv, line 3: ")


def test_wrong_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("set,item,value\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.csv, line 1: header"):
        load_csv(path)


def test_library_rejects_duplicate_keys_and_alias_set_ids() -> None:
    factor = Factor(
        "s", "烟煤", "lhv", "", units.parse_amount("19.570 GJ/t"), "doc", "", "2024", "C", ""
    )
    with pytest.raises(ValueError, match="duplicate"):
        FactorLibrary([factor, factor])
    aliased = Factor("cn-default", "烟煤", "lhv", "", factor.value, "doc", "", "2024", "C", "")
    with pytest.raises(ValueError, match="alias"):
        FactorLibrary([aliased])

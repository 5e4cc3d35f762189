"""The unit registry (units/definitions.txt) and the parsing of "<number> <unit>" strings.

Sources of the reference values:
- spec/README.md §2: gases are separate dimensions; tC becomes tCO2 only through 44/12.
- GB/T 2589 (as commented in units/definitions.txt): 1 tce = 29.3076 GJ.
- factors.md §5 "observed pitfalls": kg/m3 vs t/10^4 Nm3, tC/TJ vs tC/GJ, 94 vs 0.94.
"""

from __future__ import annotations

import re

import pint
import pytest

from tanping import units
from tanping.units import Quantity, UnitError, carbon_to_co2, check_dimension, parse_amount

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_quantity(actual: pint.Quantity, expected: str | pint.Quantity, rel: float = 1e-12):
    """pint-aware comparison: same dimension, same value in the expected unit."""
    wanted = Quantity(expected) if isinstance(expected, str) else expected
    assert actual.to(wanted.units).magnitude == pytest.approx(wanted.magnitude, rel=rel)


# ---- spec §2: every gas is its own dimension ----------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("1 tC", "1 tCO2"),  # carbon is not CO2 (needs 44/12)
        ("1 t", "1 tCO2"),  # a tonne of coal is not a tonne of CO2
        ("1 tCH4", "1 tCO2e"),  # CH4 becomes CO2e only through a GWP set
        ("1 tN2O", "1 tCO2e"),
        ("1 tCO2", "1 tCO2e"),
        ("1 kgNF3", "1 kgCF4"),
        ("1 tCOD", "1 t"),
    ],
)
def test_gases_are_separate_dimensions(left: str, right: str) -> None:
    with pytest.raises(pint.DimensionalityError):
        Quantity(left) + Quantity(right)
    with pytest.raises(pint.DimensionalityError):
        Quantity(left).to(Quantity(right).units)


def test_carbon_to_co2_is_44_over_12() -> None:
    """12 t of carbon burn to 44 t of CO2 (molar masses 12 and 44)."""
    co2 = carbon_to_co2(Quantity(12, "tC"))
    assert co2.dimensionality == Quantity("1 tCO2").dimensionality
    assert_quantity(co2, "44 tCO2")
    assert_quantity(carbon_to_co2(Quantity(3, "kgC")), "11 kgCO2")


def test_carbon_to_co2_refuses_co2() -> None:
    """Applying 44/12 twice is a dimension error, not a bigger number."""
    with pytest.raises(pint.DimensionalityError):
        carbon_to_co2(Quantity(1, "tCO2")).to("tCO2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("85 万Nm3", "850000 Nm3"),
        ("1 亿元", "10000 万元"),
        ("18 亿元", "180000 万元"),
        ("1 万tce", "293076 GJ"),  # GB/T 2589: 1 tce = 29.3076 GJ
        ("32 万tce", "9378432 GJ"),
        ("28 万t", "280000 t"),
        ("12000 MWh", "43200 GJ"),
        ("94600 kgCO2/TJ", "0.0946 tCO2/GJ"),
        ("0.01532 tC/GJ", "15.32 tC/TJ"),
        ("1850 万tCO2", "18500000 tCO2"),
        ("1 kgCH4/kgCOD", "1 tCH4/tCOD"),
        ("150 kgCO2/万元", "0.015 kgCO2/元"),
        ("12 万辆", "120000 辆"),
    ],
)
def test_chinese_prefixes_and_conversions(text: str, expected: str) -> None:
    assert_quantity(parse_amount(text).quantity, expected)


def test_geometric_m3_is_not_normal_m3() -> None:
    with pytest.raises(pint.DimensionalityError):
        Quantity("1 m3").to("Nm3")
    with pytest.raises(pint.DimensionalityError):
        Quantity("1 万m3").to("万Nm3")


def test_money_and_counted_products_are_their_own_dimensions() -> None:
    for left, right in [("1 万元", "1 t"), ("1 辆", "1 台"), ("1 片", "1"), ("1 件", "1 t")]:
        with pytest.raises(pint.DimensionalityError):
            Quantity(left).to(Quantity(right).units)


# ---- parse_amount --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "magnitude", "unit"),
    [
        ("85 万Nm3", 85.0, "万Nm3"),
        ("389.31 GJ/万Nm3", 389.31, "GJ/万Nm3"),
        ("0.01532 tC/GJ", 0.01532, "tC/GJ"),
        ("12000MWh", 12000.0, "MWh"),
        ("1,850 万tCO2", 1850.0, "万tCO2"),
        ("  0.0080 tN2O/t  ", 0.008, "tN2O/t"),
        ("94600 kgCO2 / TJ", 94600.0, "kgCO2/TJ"),
        ("1e3 t", 1000.0, "t"),
    ],
)
def test_parse_amount_reads_number_and_unit(text: str, magnitude: float, unit: str) -> None:
    amount = parse_amount(text)
    assert amount.magnitude == pytest.approx(magnitude)
    assert amount.unit == unit
    assert amount.text == text.strip()


def test_percent_is_a_fraction() -> None:
    amount = parse_amount("99 %")
    assert amount.to("") == pytest.approx(0.99)
    assert amount.quantity.to("").magnitude == pytest.approx(0.99)
    assert parse_amount("99 ％").to("") == pytest.approx(0.99)  # full-width percent sign


def test_bare_number_only_where_allowed() -> None:
    assert parse_amount("0.2", bare_number=True).to("") == pytest.approx(0.2)
    assert parse_amount(0.2, bare_number=True).to("") == pytest.approx(0.2)
    with pytest.raises(UnitError):
        parse_amount("0.2")


def _assert_chinese_error(err: UnitError, *, hint: bool = True) -> None:
    assert CJK.search(err.problem), err.problem
    if hint:
        assert CJK.search(err.hint), f"no Chinese hint: {err.hint!r}"


@pytest.mark.parametrize("value", ["85", 85, 85.0, "12000"])
def test_parse_amount_missing_unit(value: object) -> None:
    with pytest.raises(UnitError) as info:
        parse_amount(value)
    _assert_chinese_error(info.value)
    assert "单位" in info.value.problem


def test_parse_amount_unknown_unit_dun_hints_t() -> None:
    """吨 is the Chinese word for tonne: the hint names t."""
    with pytest.raises(UnitError) as info:
        parse_amount("85 吨")
    _assert_chinese_error(info.value)
    assert "吨" in info.value.problem
    assert re.search(r"(?<![A-Za-z])t(?![A-Za-z0-9])", info.value.hint), info.value.hint


def test_parse_amount_lowercase_tco2_hints_tCO2() -> None:
    with pytest.raises(UnitError) as info:
        parse_amount("1 tco2")
    _assert_chinese_error(info.value)
    assert "tCO2" in info.value.hint


@pytest.mark.parametrize("value", ["abc", "t 85", "八十五 t", "", "   ", None, [1, 2], True])
def test_parse_amount_garbage(value: object) -> None:
    with pytest.raises(UnitError) as info:
        parse_amount(value)
    _assert_chinese_error(info.value)


@pytest.mark.parametrize("value", ["1e999 t", "-1e999 MWh", "nan t", "inf t"])
def test_parse_amount_non_finite_is_refused(value: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_amount(value)
    _assert_chinese_error(info.value, hint=False)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_parse_amount_non_finite_bare_number_is_refused(value: float) -> None:
    with pytest.raises(UnitError) as info:
        parse_amount(value, bare_number=True)
    _assert_chinese_error(info.value, hint=False)


def test_parse_amount_non_finite_has_a_hint() -> None:
    with pytest.raises(UnitError) as info:
        parse_amount("1e999 t")
    _assert_chinese_error(info.value)


# ---- check_dimension: the pitfalls of factors.md §5 get a hint that names the fix ---------------


def _dimension_error(text: str, *expected: str) -> UnitError:
    with pytest.raises(UnitError) as info:
        check_dimension(parse_amount(text), expected)
    _assert_chinese_error(info.value)
    return info.value


def test_hint_co2_factor_without_species() -> None:
    err = _dimension_error("0.5703 t/MWh", "tCO2/MWh")
    assert "tCO2" in err.hint


def test_hint_carbon_where_co2_expected_mentions_44_12() -> None:
    err = _dimension_error("26.18 tC/TJ", "kgCO2/TJ")
    assert "44/12" in err.hint


def test_hint_ch4_where_co2e_expected_mentions_gwp() -> None:
    err = _dimension_error("100 tCH4", "tCO2e")
    assert "GWP" in err.hint


def test_hint_geometric_volume_where_nm3_expected() -> None:
    err = _dimension_error("85 万m3", "万Nm3")
    assert "Nm3" in err.hint


def test_check_dimension_accepts_any_unit_of_the_dimension() -> None:
    check_dimension(parse_amount("15.32 tC/TJ"), ("tC/GJ",))
    check_dimension(parse_amount("19.570 MJ/kg"), ("GJ/t", "GJ/万Nm3"))
    check_dimension(parse_amount("850000 Nm3"), ("t", "万Nm3"))
    check_dimension(parse_amount("0.5703 kgCO2/kWh"), ("tCO2/MWh",))


def test_hint_for_a_fraction_gives_an_example() -> None:
    err = _dimension_error("0.99 tC", "")
    assert not err.hint.rstrip().endswith("例如"), err.hint
    assert "%" in err.hint


def test_as_gas_reads_a_plain_mass_as_the_named_gas() -> None:
    assert_quantity(units.as_gas(Quantity(3, "t"), "NF3"), "3 tNF3")
    assert_quantity(units.as_gas(Quantity(800, "kg"), "SF6"), "0.8 tSF6")
    with pytest.raises(UnitError):
        units.as_gas(Quantity(3, "tCF4"), "NF3")

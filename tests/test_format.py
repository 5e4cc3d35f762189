"""units.format: the one place numbers are rounded and units labelled for print."""

import pytest

from tanping.units.format import fixed, label, percent, significant


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (2.675, 2, "2.68"),  # half up, as Chinese reports round (Python's format gives 2.67)
        (0.125, 2, "0.13"),
        (16646.43423141733, 2, "16,646.43"),
        (-0.004, 2, "0.00"),  # no "-0.00"
        (-2204.565, 2, "-2,204.57"),
        (1363747.94 * 1e-4, 2, "136.37"),
    ],
)
def test_fixed_rounds_half_up_with_separators(value: float, decimals: int, shown: str) -> None:
    assert fixed(value, decimals) == shown


def test_fixed_refuses_non_finite() -> None:
    with pytest.raises(ValueError):
        fixed(float("nan"))


def test_small_share_is_never_printed_as_zero() -> None:
    # spec §7: level.district_share_pct = 0.0430409260095
    assert significant(0.0430409260095) == "0.0430"
    assert percent(0.0430409260095) == "0.0430%"
    assert significant(12.3456) == "12.35"


@pytest.mark.parametrize(
    ("unit", "printed"),
    [
        ("万tCO2e", "万tCO₂e"),
        ("Nm3", "Nm³"),
        ("GJ/万Nm3", "GJ/万Nm³"),
        ("kgCO2/m2", "kgCO₂/m²"),
        ("tN2O/t", "tN₂O/t"),
        ("kgC2F6/t", "kgC₂F₆/t"),
        ("%", "%"),
    ],
)
def test_label_prints_chinese_report_units(unit: str, printed: str) -> None:
    assert label(unit) == printed

"""CO2-equivalent through a named GWP set: the only way from a gas mass to tCO2e."""

from __future__ import annotations

from typing import Any

import pint

from tanping.calc.errors import GwpError
from tanping.calc.factors import Factor, FactorLibrary
from tanping.units import GASES

GWP_SETS = ("SAR", "AR4", "AR5", "AR6")


def gwp_factor(gas: str, gwp_set: str, library: FactorLibrary) -> Factor:
    """The 100-year GWP of ``gas`` in ``gwp_set`` (``tCO2e/t<gas>``); :class:`GwpError` if the set
    has no value for it (NF3 and HFC-245fa are not in SAR)."""
    name = "HFC-23" if gas == "CHF3" else gas
    factor = library.find(gwp_set, name, "gwp100")
    if factor is None:
        raise GwpError(
            f"GWP 集 {gwp_set} 中没有 {name} 的全球增温潜势",
            f"{name} 在 {gwp_set} 中无取值（SAR 不含 NF3、HFC-245fa）；"
            "请把 gwp 改为 AR4、AR5 或 AR6",
        )
    return factor


def to_co2e(mass: pint.Quantity[Any], gas: str, gwp_set: str, library: FactorLibrary) -> Any:
    """``mass`` of ``gas`` in tCO2e under ``gwp_set``: mass × GWP (a scalar or an array)."""
    if gas == "CO2e":
        return mass.to("tCO2e")
    unit = GASES[gas]
    factor = gwp_factor(gas, gwp_set, library)
    return (mass.to(unit) * factor.value.quantity).to("tCO2e")

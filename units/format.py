"""Formatting for reports: Chinese unit labels, separators and fixed decimals.

The calculation layer returns unrounded numbers; this module is the only place they are rounded
(for display). Every template formats through it.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["fixed", "label", "number", "percent", "significant"]

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_FORMULAS = re.compile(r"(CO2e|CO2|CH4|N2O|SF6|NF3|CF4|C2F6|CHF3)")
_POWERS = re.compile(r"(?<=m)([23])(?![0-9])")


def label(unit: str) -> str:
    """A unit as printed in a Chinese report: ``万tCO2e`` -> ``万tCO₂e``, ``Nm3`` -> ``Nm³``,
    ``%`` unchanged, ``tCO2/a`` -> ``tCO₂/a``."""
    text = _FORMULAS.sub(lambda m: m.group(1).translate(_SUBSCRIPTS), unit)
    return _POWERS.sub(lambda m: "²" if m.group(1) == "2" else "³", text)


def fixed(value: float, decimals: int = 2, *, separator: bool = True) -> str:
    """``value`` rounded half up (四舍五入, as Chinese reports round) to exactly ``decimals``
    decimals, with thousands separators (``1,234.50``).

    The float is first taken at 10 decimals, so that 2.675 (stored as 2.67499…) rounds to 2.68
    as a reader of the number expects. A value that rounds to zero prints without a minus sign.
    """
    if not math.isfinite(value):
        raise ValueError(f"cannot format {value!r}")
    exact = Decimal(repr(round(float(value), 10))).quantize(
        Decimal(1).scaleb(-decimals), ROUND_HALF_UP
    )
    text = f"{exact:,.{decimals}f}" if separator else f"{exact:.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")
    return text


def significant(value: float, digits: int = 3) -> str:
    """``value`` with at least ``digits`` significant digits and at least 2 decimals, so a small
    share is never printed as 0.00 (``0.0430409`` -> ``0.0430``)."""
    if value == 0:
        return "0.00"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(2, digits - 1 - magnitude)
    return fixed(value, decimals)


def percent(value: float, *, digits: int = 3) -> str:
    """A percentage that is never shown as zero when it is not: ``0.0430 %``."""
    return f"{significant(value, digits)}%"


def number(value: float, decimals: int = 2) -> str:
    """The default table number: fixed decimals with separators."""
    return fixed(value, decimals)

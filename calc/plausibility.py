"""Plausibility of the fuel parameters and energy factors a report writes (refused at any time).

A value of the right dimension can still be 10× or 1000× off: natural gas LHV ``38.931 GJ/万Nm3``
(for 389.31), a grid factor ``0.558 kgCO2/MWh`` (for tCO2/MWh). Each written value is compared
with the band of ``calc/factors/bands.yml``: a fuel parameter (``lhv``, ``carbon_content``,
``oxidation``, ``ef_co2``) with the library's own value for that fuel (``fuel_bands``), a grid or
heat factor with an absolute band (``fixed_bands``). A row that carries a ``confirm:`` reason is
not refused: the reason is shown in the figure's derivation (:func:`confirmations`).

Process factors have their own bands (``bands:``, :func:`tanping.calc.park.implausible_factors`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tanping.calc.errors import InputError, Location
from tanping.calc.factors import FactorLibrary, ValueBand, load_value_bands
from tanping.calc.loader import Key
from tanping.calc.models.park import ParkReport
from tanping.calc.models.project import ProjectReport
from tanping.units import Amount, UnitError

Locate = Callable[[Sequence[Key]], Location]

#: The fuel parameters a row may write, by field name (the band of ``fuel_bands``).
FUEL_FIELDS = ("lhv", "carbon_content", "oxidation", "ef_co2")
#: Park source types whose ``fuel`` names a library fuel.
FUEL_KINDS = ("combustion", "boiler_n2o", "mobile", "biomass")


def _times(ratio: float) -> str:
    return f"1/{1 / ratio:.3g}" if 0 < ratio < 1 else f"{ratio:.3g} 倍"


def _written(
    report: ProjectReport | ParkReport,
) -> Iterator[tuple[tuple[Key, ...], str, str, Amount, Any]]:
    """Every banded value written: (field path, band kind, fuel or "", value, its row)."""
    if isinstance(report, ProjectReport):
        for phase_key, phase in report.phases().items():
            for index, fuel in enumerate(phase.fuels):
                for name in FUEL_FIELDS:
                    value = getattr(fuel, name, None)
                    if value is not None:
                        yield (phase_key, "fuels", index, name), name, fuel.fuel, value, fuel
            for index, power in enumerate(phase.electricity):
                yield (phase_key, "electricity", index, "factor"), "grid", "", power.factor, power
            for index, heat in enumerate(phase.heat):
                yield (phase_key, "heat", index, "factor"), "heat", "", heat.factor, heat
        return
    for index, source in enumerate(report.sources):
        kind = source.kind
        body = getattr(source, kind)
        if kind in FUEL_KINDS:
            for name in FUEL_FIELDS:
                value = getattr(body, name, None)
                if value is not None:
                    yield ("sources", index, kind, name), name, body.fuel, value, source
        elif kind in ("electricity", "reduction") and body.factor is not None:
            yield ("sources", index, kind, "factor"), "grid", "", body.factor, source


def _fuel_error(
    band: ValueBand, library: FactorLibrary, set_name: str, fuel: str, value: Amount
) -> tuple[str, str] | None:
    reference = band.reference(library, set_name, fuel, value.unit)
    if reference is None:
        return None
    unit = reference.value.unit
    try:
        written = value.to(unit)
    except UnitError:
        return None
    ratio = written / reference.value.to(unit)
    if band.low <= ratio <= band.high:
        return None
    return (
        f"{fuel}的{band.label} “{value.text}” 是因子库同类值 {reference.value.text} 的 "
        f"{_times(ratio)}，超出合理范围（其 {band.low:g}–{band.high:g} 倍），多半是单位或数值写错",
        f"核对数值与单位（万Nm3 与 千Nm3、GJ 与 MJ、tC/TJ 与 tC/GJ 常被混淆）；因子库值出自 "
        f"{reference.citation()}。若该值确实如此（实测值等），在本行写 confirm: <理由>",
    )


def _fixed_error(band: ValueBand, value: Amount) -> tuple[str, str] | None:
    try:
        written = value.to(band.unit)
    except UnitError:
        return None
    if band.low <= written <= band.high:
        return None
    return (
        f"{band.label} “{value.text}” 即 {written:.4g} {band.unit}，超出常见范围 "
        f"{band.low:g}–{band.high:g} {band.unit}，多半是单位写错",
        f"核对数值、小数点与单位（kg 与 t、kWh 与 MWh、MJ 与 GJ 相差 1000 倍），应以 "
        f"{band.unit} 计；若该值确实如此，在本行写 confirm: <理由>（理由会写入计算过程）",
    )


def implausible_values(
    report: ProjectReport | ParkReport, library: FactorLibrary, locate: Locate
) -> list[InputError]:
    """Written fuel parameters and grid/heat factors outside their band, each located; rows
    with a ``confirm:`` reason are accepted."""
    fuel_bands, fixed_bands = load_value_bands()
    errors: list[InputError] = []
    for path, kind, fuel, value, row in _written(report):
        if row.confirm:
            continue
        if kind in fixed_bands:
            found = _fixed_error(fixed_bands[kind], value)
        else:
            found = _fuel_error(fuel_bands[kind], library, report.factors, fuel, value)
        if found is not None:
            errors.append(InputError(*found, locate(path)))
    return errors


def confirmations(report: ProjectReport | ParkReport) -> dict[tuple[Key, ...], str]:
    """The ``confirm:`` reason of every row that has one, by the row's path (``("sources", 3)``,
    ``("proposed", "electricity", 0)``), for the derivations."""
    found: dict[tuple[Key, ...], str] = {}
    if isinstance(report, ProjectReport):
        for phase_key, phase in report.phases().items():
            for group in ("fuels", "processes", "electricity", "heat"):
                for index, row in enumerate(getattr(phase, group)):
                    if row.confirm:
                        found[(phase_key, group, index)] = row.confirm
        return found
    for index, source in enumerate(report.sources):
        if source.confirm:
            found[("sources", index)] = source.confirm
    return found


#: An intensity this many times above or below the report's own target or advanced value is a
#: probable unit slip (kWh for MWh, 元 for 万元), not a project.
INTENSITY_SLIP = 10


def intensity_slip(
    intensity: float, target: float, unit: str, written: str, what: str
) -> tuple[str, str] | None:
    """problem and hint when ``intensity`` (in ``unit``) is more than :data:`INTENSITY_SLIP`
    times away from ``target``; None otherwise (or when either is not positive)."""
    if intensity <= 0 or target <= 0:
        return None
    ratio = intensity / target
    if 1 / INTENSITY_SLIP <= ratio <= INTENSITY_SLIP:
        return None
    times = f"{ratio:.3g} 倍" if ratio > 1 else f"1/{1 / ratio:.3g}"
    return (
        f"{what}为 {intensity:.4g} {unit}，是本报告目标值 {written} 的 {times}，"
        f"相差 {INTENSITY_SLIP} 倍以上，多半是单位写错",
        "核对消耗量（MWh 与 kWh、万Nm3 与 Nm3）、核算基准（万元 与 元）和目标值的单位；"
        "若相差确实如此，在该目标下写 confirm: <理由>（理由会写入计算过程）",
    )

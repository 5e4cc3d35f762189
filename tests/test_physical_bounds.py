"""Physically impossible results are refused, never published (issue 9 item 5).

The rules (calc/park.py: implausible_factors, negative_releases, excessive_reductions,
negative_totals; calc/project.py: retired_within_existing) and the bands of process factors
(calc/factors/bands.yml). The oracle of each case is arithmetic on the spec examples' own rows;
the one-defect cases through the real command line are in tests/bad_inputs/.
"""

from __future__ import annotations

import copy
import typing
from typing import Any

import pytest
import yaml

from tanping.calc import park, project
from tanping.calc.errors import InputError, Location, ReportErrors
from tanping.calc.factors import FactorLibrary, load_bands
from tanping.calc.models import park as park_models
from tanping.calc.validate import validate_report
from tanping.units import dimensionality
from tests.conftest import PARK_EXAMPLE, PROJECT_EXAMPLE, spec_example

LIBRARY = FactorLibrary.default()


def locate(loc: Any) -> Location:
    return Location("report.yml", None, ".".join(str(k) for k in loc))


def example(name: str) -> dict[str, Any]:
    data = yaml.safe_load(spec_example(name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def compute(data: dict[str, Any]) -> Any:
    report = validate_report(copy.deepcopy(data))
    if data["kind"] == "project":
        return project.compute(report, LIBRARY, locate)  # type: ignore[arg-type]
    return park.compute(report, LIBRARY, locate)  # type: ignore[arg-type]


def refusal(data: dict[str, Any]) -> list[InputError]:
    with pytest.raises(ReportErrors) as caught:
        compute(data)
    return caught.value.errors


# ---- the bands of bands.yml against the library and the models ----------------------------------


def _map_keys(process_type: str, field: str) -> list[str | None]:
    """The keys a map field of a process model takes (technologies, cell classes), or [None]."""
    model = next(
        m
        for m in typing.get_args(typing.get_args(park_models.Process)[0])
        if m.model_fields["type"].annotation == typing.Literal[process_type]
    )
    annotation = model.model_fields[field.partition(".")[0]].annotation
    if typing.get_origin(annotation) is dict:
        key = typing.get_args(annotation)[0]
        if typing.get_origin(key) is typing.Literal:
            return list(typing.get_args(key))
    return [None]


@pytest.mark.parametrize("band", load_bands(), ids=lambda b: f"{b.process}.{b.field}")
def test_every_band_has_a_library_reference_of_the_fields_dimension(band: Any) -> None:
    """Every key of a banded field finds its library value (or a generic band), of the same
    dimension as the model's field, and the band contains that value."""
    for key in _map_keys(band.process, band.field):
        reference = band.reference(LIBRARY, key)
        if band.field == "carbonates.ef":  # free carbonate names: the library's or generic
            assert band.reference(LIBRARY, "石灰石") is not None
            assert band.generic is not None
            continue
        assert reference is not None, (band.process, band.field, key)
        assert band.low is None or band.low < 1
        assert band.high is None or band.high > 1
        assert band.why


def test_bands_name_process_types_and_fields_of_the_model() -> None:
    types = {
        typing.get_args(m.model_fields["type"].annotation)[0]: m
        for m in typing.get_args(typing.get_args(park_models.Process)[0])
    }
    for band in load_bands():
        assert band.process in types, band.process
        assert band.field.partition(".")[0] in types[band.process].model_fields


def test_band_reference_units_match_the_process_fields() -> None:
    """The cement reference is per tonne of clinker, as the model's ef (tCO2/t)."""
    cement = next(b for b in load_bands() if b.process == "cement")
    reference = cement.reference(LIBRARY, None)
    assert reference is not None
    assert dimensionality(reference.value.unit) == dimensionality("tCO2/t")
    assert reference.value.text == "0.52 tCO2/t"  # IPCC 2006 Tier 1 (process.csv)


# ---- park: factors, releases, reductions, totals ------------------------------------------------


def test_spec_park_passes_every_bound() -> None:
    result = compute(example(PARK_EXAMPLE))
    assert result.ledger.value("c1.2030.control.park.total") == pytest.approx(1219830.5)


def test_cement_factor_in_kg_is_refused_and_names_the_library_value() -> None:
    data = example(PARK_EXAMPLE)
    data["sources"][4]["process"]["ef"] = "0.538 kgCO2/t"
    [error] = refusal(data)
    assert error.location is not None and error.location.path == "sources.4.process.ef"
    assert "0.52 tCO2/t" in error.hint and "IPCC" in error.hint
    assert "“0.538 tCO2/t”" in error.hint  # the slip undone lies in the band


def test_aluminium_pfc_band_accepts_controlled_anode_effects() -> None:
    """cq-park's 0.025 kgCF4/t (1/16 of the Tier 1 0.4) is a real smelter; 25 kgCF4/t written
    as 0.025 tCF4/t (62.5× of the reference) is accepted by the 100× high side, 1000× is not."""
    data = example(PARK_EXAMPLE)
    process = {
        "type": "aluminium",
        "production": {"点式下料预焙槽": "8 万t"},
        "ef_cf4": {"点式下料预焙槽": "0.025 kgCF4/t"},
        "ef_c2f6": {"点式下料预焙槽": "0.0025 kgC2F6/t"},
    }
    data["sources"].append({"period": 2024, "enterprise": "乙化工有限公司", "process": process})
    compute(data)
    process["ef_cf4"] = {"点式下料预焙槽": "0.4 tCF4/t"}
    [error] = refusal(data)
    assert error.location is not None
    assert (
        error.location.path == f"sources.{len(data['sources']) - 1}.process.ef_cf4.点式下料预焙槽"
    )


def test_unnamed_carbonate_gets_the_generic_band() -> None:
    data = example(PARK_EXAMPLE)
    glass = {
        "type": "flat_glass",
        "carbonates": {"碳酸钡": {"mass": "1000 t", "ef": "0.223 tCO2/t", "calcination": 1}},
    }
    data["sources"].append({"period": 2024, "enterprise": "乙化工有限公司", "process": glass})
    compute(data)
    glass["carbonates"]["碳酸钡"]["ef"] = "0.223 kgCO2/t"
    [error] = refusal(data)
    assert "0.05 tCO2/t" in error.problem


def test_steel_without_pig_iron_is_a_negative_balance() -> None:
    """Scrap-only steel (pig_iron 0, crude steel with carbon) leaves the balance negative."""
    data = example(PARK_EXAMPLE)
    steel = {"type": "steel", "crude_steel": "10 万t", "crude_steel_carbon": "0.2 %"}
    data["sources"].append({"period": 2024, "enterprise": "乙化工有限公司", "process": steel})
    [error] = refusal(data)
    assert "粗钢含碳" in error.problem and "生铁含碳" in error.problem


def test_reduction_equal_to_the_enterprise_emissions_is_accepted() -> None:
    """A capture of everything (net zero) is the limit, not beyond it."""
    data = example(PARK_EXAMPLE)
    result = compute(data)
    gross = sum(
        s.co2e
        for s in result.sources
        if s.period == "2030.control" and s.enterprise == "甲水泥有限公司" and s.kind != "reduction"
    )
    data["sources"][16]["reduction"]["amount"] = f"{gross!r} tCO2"
    assert compute(data).ledger.value("ent.2030.control.甲水泥有限公司") == pytest.approx(
        0, abs=1e-6
    )
    data["sources"][16]["reduction"]["amount"] = f"{gross * 1.001!r} tCO2"
    [error] = refusal(data)
    assert error.location is not None and error.location.path == "sources.16.reduction.amount"


def test_industry_reduction_is_bounded_by_the_industry_including_its_enterprises() -> None:
    data = example(PARK_EXAMPLE)
    data["sources"].append(
        {
            "period": 2024,
            "industry": "电子器件制造",
            "reduction": {"kind": "绿电", "amount": "100000 tCO2e"},
        }
    )
    compute(data)  # 电子器件制造 2024: 121,233 + 2,527 + 13,244.5 tCO2e before reductions
    data["sources"][-1]["reduction"]["amount"] = "200000 tCO2e"
    [error] = refusal(data)
    assert "行业“电子器件制造”" in error.problem


def test_net_export_below_zero_names_the_period_and_the_export_row() -> None:
    data = example(PARK_EXAMPLE)
    data["sources"][8]["electricity"]["export"] = "800000 MWh"  # 2024, industry 电子器件制造
    [error] = refusal(data)
    assert error.problem.startswith("2024年的排放量为负")
    assert "电子器件制造" in error.problem and "调入（出）电力" in error.problem
    assert error.location is not None and error.location.path == "sources.8.electricity"


def test_net_export_of_a_row_is_allowed_while_totals_stay_positive() -> None:
    """The C.2 electricity row is net of export and may be negative on its own."""
    data = example(PARK_EXAMPLE)
    data["sources"][8]["electricity"]["export"] = "240000 MWh"  # net −10,000 MWh
    ledger = compute(data).ledger
    assert ledger.value("c2.2024.energy.electricity") < 0
    assert ledger.value("c2.2024.total") > 0


def test_zero_base_intensity_gives_no_decline_and_says_why() -> None:
    """An industry with no emissions in the base year: its decline rate is not computable, so a
    decline target is 无法评价 with the reason, never a rate from a zero base."""
    data = example(PARK_EXAMPLE)
    data["industries"].append({"name": "仓储", "group": "other"})
    data["economy"] += [
        {"period": 2024, "industry": "仓储", "output_value": "1 亿元"},
        {"period": 2030, "industry": "仓储", "output_value": "2 亿元"},
    ]
    data["sources"].append(
        {
            "period": 2030,
            "scenario": "control",
            "industry": "仓储",
            "electricity": {"import": "1000 MWh", "factor": "0.5271 tCO2/MWh"},
        }
    )
    data["targets"] = [
        {
            "industry": "仓储",
            "indicator": "output_value",
            "period": 2030,
            "scenario": "control",
            "decline_pct": "10 %",
        }
    ]
    from tanping.calc.park_analysis import target_checks

    result = compute(data)
    assert result.ledger.value("perf.2024.仓储.output_value") == 0
    assert "perf.2030.control.仓储.output_value.decline_pct" not in result.ledger
    [check] = target_checks(result)
    assert check.verdict == "无法评价"
    assert "基准年排放强度为 0" in check.reason


# ---- project: “以新带老” within the existing project --------------------------------------------


def test_project_net_new_may_be_negative() -> None:
    """A project replacing more than it adds: P − R < 0 is allowed (B.2), R ≤ E holds."""
    data = example(PROJECT_EXAMPLE)
    data["retired"]["fuels"][0]["consumption"] = "35 万Nm3"  # 757.8 t: below P and E
    data["proposed"] = {"fuels": [data["proposed"]["fuels"][0]]}
    data["proposed"]["fuels"][0]["consumption"] = "10 万Nm3"  # 216.5 t < R
    data["controls"].pop("intensity")
    ledger = compute(data).ledger
    assert ledger.value("b2.net_new") < 0
    assert ledger.value("b2.overall") > 0


def test_project_retired_without_existing_is_refused() -> None:
    data = example(PROJECT_EXAMPLE)
    data.pop("existing")
    [error] = refusal(data)
    assert "未给出现有工程" in error.problem

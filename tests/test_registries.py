"""The park vocabulary is one registry: the models, the data files and the code name the same
source types and process types, and every parameter a derivation prints has a Chinese label.

A type added to the models without its record in ``calc/data/park_sources.yml`` and its term
builder in ``calc.park``, or a parameter without a label, fails here, never in a filed PDF.
"""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from tanping.calc import park, park_vocabulary
from tanping.calc.models import park as models
from tanping.calc.pipeline import compute
from tests.bench.ledger_bench import ParkGenerator
from tests.conftest import REPO


def _process_classes() -> list[type]:
    union = typing.get_args(models.Process)[0]  # Annotated[Union, Field] -> Union
    return list(typing.get_args(union))


def _process_type(cls: type) -> str:
    (literal,) = typing.get_args(cls.model_fields["type"].annotation)  # type: ignore[attr-defined]
    return str(literal)


def test_every_source_type_has_one_record_and_one_builder() -> None:
    assert set(models.SOURCE_TYPES) == set(park_vocabulary.source_kinds())
    assert set(models.SOURCE_TYPES) == set(park.SOURCE_BUILDERS)
    assert set(models.SOURCE_TYPES) == set(models.Source.model_fields) & set(models.SOURCE_TYPES)


def test_every_process_type_has_one_record_and_one_builder() -> None:
    types = {_process_type(cls) for cls in _process_classes()}
    assert len(types) == len(_process_classes()) == 13
    assert types == set(park_vocabulary.process_types())
    assert types == set(park.PROCESS_BUILDERS)


def test_records_are_complete() -> None:
    for kind in park_vocabulary.source_kinds().values():
        assert kind.label and kind.domain in ("energy", "process", "waste", "reductions")
        assert kind.c2(sector="industry", group="steel")  # the template formats
    for process in park_vocabulary.process_types().values():
        assert process.label and process.parameters
    groups = park_vocabulary.groups()
    assert list(groups)[-1] == "other" and sum(g.key for g in groups.values()) == 5
    assert len({g.colour for g in groups.values()}) == len(groups)
    assert set(park_vocabulary.indicators()) == set(park.INDICATORS)


@pytest.fixture(scope="module")
def every_type(tmp_path_factory: pytest.TempPathFactory) -> list[park.ParkResult]:
    """Reports whose rows cover every source and process type: the worked example and a
    generated park (the benchmark's generator)."""
    folder = tmp_path_factory.mktemp("generated")
    ParkGenerator(40, 7).write(folder)
    results = [compute(folder), compute(REPO / "content" / "cq-park")]
    seen = {
        (s.kind, s.process.type if s.process else None) for r in results for s in r.report.sources
    }
    expected = {(k, None) for k in models.SOURCE_TYPES if k != "process"}
    expected |= {("process", _process_type(cls)) for cls in _process_classes()}
    assert seen == expected, expected - seen
    return [r for r in results if isinstance(r, park.ParkResult)]


def test_every_term_parameter_has_a_chinese_label(every_type: list[park.ParkResult]) -> None:
    """Every parameter of every equation term of every type is labelled (no `ef_metering` in
    the 计算过程 appendix)."""
    for result in every_type:
        for index, row in enumerate(result.report.sources):
            process = row.process.type if row.process is not None else None
            for term in result.source(index).terms:
                for name, _ in term.amounts:
                    label = park_vocabulary.parameter_label(row.kind, name, process)
                    assert label and not label.isascii(), (row.kind, process, name)
            detail = park.describe_source(result, index)
            assert all("_" not in values for _, values in detail.terms), detail.terms


def test_a_removed_entry_fails_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The coverage tests above can fail: without one builder they do."""
    builders = dict(park.PROCESS_BUILDERS)
    del builders["flat_glass"]
    monkeypatch.setattr(park, "PROCESS_BUILDERS", builders)
    with pytest.raises(AssertionError):
        test_every_process_type_has_one_record_and_one_builder()


def test_vocabulary_files_are_the_only_copy() -> None:
    """No module writes a vocabulary out again: the group and sector labels live in data."""
    for path in [*(REPO / "calc").glob("*.py"), *(REPO / "templates").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for label in ("有色金属行业", "化工和石化行业", "能源工业", "居民生活", "熔剂、炼钢降碳"):
            assert f'"{label}"' not in text, (Path(path).name, label)

"""The vocabulary of a park inventory, read from data (Chongqing guideline App. A–C).

Each vocabulary is one data file in ``calc/data``, and the code loops over its records:

- ``park_sources.yml``: the source types (label, C.1 domain, C.2 row, parameter labels) and the
  industrial process types (label, parameter labels);
- ``park_groups.yml``: the industry groups (label, short name, App. B row, chart colour);
- ``park_sectors.yml``: the combustion sectors, mobile modes and C.1 domains;
- ``park_indicators.yml``: the performance indicators (label, App. B wording, unit, denominator).

The equations each source or process type stands for are code (``calc.park``), registered under
the same type names; ``tests/test_registries.py`` proves that the models, the data and the code
name the same types and that every parameter has a Chinese label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import yaml

from tanping.calc.catalogues import DATA


def _load(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class SourceKind:
    """One source type of ``sources[]`` (``combustion``, ``process`` …)."""

    id: str
    label: str
    domain: str  # energy | process | waste | reductions
    c2_row: str  # template: {sector}, {group}
    parameters: Mapping[str, str]
    c2_label: str  # the row's own label in table C.2, where it has one

    def c2(self, *, sector: str | None = None, group: str = "other") -> str:
        """The row of table C.2 a source of this type adds to."""
        return self.c2_row.format(sector=sector, group=group)


@dataclass(frozen=True)
class ProcessType:
    """One industrial process type (``process.type``)."""

    id: str
    label: str
    parameters: Mapping[str, str]


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    short: str
    appendix_b: str
    colour: str
    key: bool


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    appendix_b: str
    short: str
    unit: str | None
    economy: str  # the field of economy[] that is the denominator
    park: bool  # also computed for the park as a whole


@cache
def source_kinds() -> Mapping[str, SourceKind]:
    data = _load("park_sources.yml")["source_kinds"]
    return MappingProxyType(
        {
            kind: SourceKind(
                kind,
                row["label"],
                row["domain"],
                row["c2_row"],
                MappingProxyType(dict(row.get("parameters") or {})),
                row.get("c2_label", row["label"]),
            )
            for kind, row in data.items()
        }
    )


@cache
def process_types() -> Mapping[str, ProcessType]:
    data = _load("park_sources.yml")["process_types"]
    return MappingProxyType(
        {
            kind: ProcessType(kind, row["label"], MappingProxyType(dict(row["parameters"])))
            for kind, row in data.items()
        }
    )


@cache
def groups() -> Mapping[str, Group]:
    return MappingProxyType({row["id"]: Group(**row) for row in _load("park_groups.yml")["groups"]})


def _labels(section: str) -> Mapping[str, str]:
    return MappingProxyType({row["id"]: row["label"] for row in _load("park_sectors.yml")[section]})


@cache
def sectors() -> Mapping[str, str]:
    """Combustion sector -> its C.2 row label, in the table's order."""
    return _labels("sectors")


@cache
def modes() -> Mapping[str, str]:
    return _labels("modes")


@cache
def domains() -> Mapping[str, str]:
    """C.1 domain -> label (能源活动, 工业生产过程, 废弃物处理)."""
    return _labels("domains")


@cache
def indicators() -> Mapping[str, Indicator]:
    rows = _load("park_indicators.yml")["indicators"]
    return MappingProxyType({row["id"]: Indicator(**row) for row in rows})


def parameter_label(kind: str, name: str, process_type: str | None = None) -> str:
    """The Chinese label of one equation parameter of a source row (``KeyError`` if the data
    has none: the registry test makes that a test failure, never a printed identifier)."""
    if process_type is not None:
        return process_types()[process_type].parameters[name]
    return source_kinds()[kind].parameters[name]

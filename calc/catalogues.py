"""The guidelines' own tables as data: Beijing A.1 (intensity units by industry), Chongqing App. B
(indicator system) and App. D (measure catalogue). Files live in ``calc/data``."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).with_name("data")


def _load(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class IntensityUnit:
    label: str
    unit: str | None  # machine form for the unit registry; None where it is not a physical unit


@dataclass(frozen=True, slots=True)
class IndustryRow:
    number: int
    name: str
    units: tuple[IntensityUnit, ...]


@cache
def industry_units() -> dict[str, IndustryRow]:
    """Beijing table A.1: industry name -> its intensity unit(s)."""
    data = _load("industry_units_bj.yml")
    rows = {}
    for row in data["industries"]:
        units = tuple(IntensityUnit(u["label"], u.get("unit")) for u in row["units"])
        rows[row["name"]] = IndustryRow(int(row["no"]), row["name"], units)
    return rows


@cache
def measure_catalogue() -> dict[str, dict[str, str]]:
    """Chongqing App. D: measure id -> {domain, direction, path, text}."""
    data = _load("measures_cq.yml")
    return {m["id"]: m for m in data["measures"]}


@cache
def indicator_system() -> Any:
    """Chongqing App. B as loaded from ``indicators_cq.yml``."""
    return _load("indicators_cq.yml")


def closest(name: str, choices: list[str], n: int = 3) -> list[str]:
    """Names among ``choices`` nearest to ``name`` (for "did you mean" hints)."""
    return difflib.get_close_matches(name, choices, n=n, cutoff=0.3)

"""The ledger: every computed figure of a report under a stable key, with its derivation.

Values are unrounded, in the canonical unit of spec §6. A :class:`Derivation` says how a figure
was made: the formula in words, the formula with the values substituted (as the report wrote
them), the factors used with their sources and grades, the report lines it came from, and the
ledger keys it adds up. Templates render it; nothing here rounds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FactorUse:
    """A factor used in a figure: what it is, its value as used, where it comes from."""

    parameter: str
    value: str
    citation: str
    grade: str = ""
    default: bool = False  # supplied by the factor set because the report left it out


@dataclass(frozen=True, slots=True)
class Derivation:
    formula: str
    substituted: str = ""
    factors: tuple[FactorUse, ...] = ()
    inputs: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    note: str = ""
    sources: tuple[int, ...] = ()  # indices of the report's source rows a sum adds up (park)


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    value: float
    unit: str
    label: str
    derivation: Derivation | None = None


@dataclass
class Ledger:
    """An ordered collection of figures, keyed as spec §6 fixes."""

    figures: dict[str, Figure] = field(default_factory=dict)

    def add(
        self,
        key: str,
        value: float,
        unit: str,
        label: str,
        derivation: Derivation | None = None,
    ) -> Figure:
        if key in self.figures:
            raise KeyError(f"ledger key {key!r} computed twice")
        if not math.isfinite(value):
            raise ValueError(f"ledger figure {key!r} is not finite: {value!r}")
        figure = Figure(key, float(value), unit, label, derivation)
        self.figures[key] = figure
        return figure

    def __getitem__(self, key: str) -> Figure:
        return self.figures[key]

    def __contains__(self, key: object) -> bool:
        return key in self.figures

    def __iter__(self) -> Iterator[Figure]:
        return iter(self.figures.values())

    def __len__(self) -> int:
        return len(self.figures)

    def value(self, key: str) -> float:
        return self.figures[key].value

    def to_dict(self) -> dict[str, Any]:
        return {
            "figures": {f.key: {"value": f.value, "unit": f.unit, "label": f.label} for f in self}
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

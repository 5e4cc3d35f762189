"""The grammar of ledger keys (spec/README.md §6), written once.

A key is dot-separated parts. Park keys are indexed by a period: a history year (``2024``) or a
planning year under a scenario (``2030.baseline``). :class:`Period` is that index as a value;
``str(period)`` is its key form and :meth:`Period.label` the Chinese a person reads
(``2030年基准情景``). Builders (:func:`c1`, :func:`c2`, :func:`ent` …) write the keys the
spec fixes; :func:`period_of` reads the period back out of a park key, so that nothing splits
a key string by hand.

Names (rows, enterprises, industries) may contain dots; they are always the last part but one
or the last part of a key, so a key is never split by name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:\.(?P<scenario>[^.]+))?$")
#: Park key families indexed by a period (spec §6, and tanping's extensions).
PERIOD_FAMILIES = ("c1", "c2", "ent", "ind", "perf", "gas", "grp", "ghg", "structure", "trend")


@dataclass(frozen=True, order=True)
class Period:
    """A history year (``scenario`` None) or a planning year under a scenario."""

    year: int
    scenario: str | None = None

    def __str__(self) -> str:
        return str(self.year) if self.scenario is None else f"{self.year}.{self.scenario}"

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"2024"`` or ``"2030.baseline"`` back to a period (``ValueError`` otherwise)."""
        match = _PERIOD.match(text)
        if match is None:
            raise ValueError(f"not a period key: {text!r}")
        return cls(int(match["year"]), match["scenario"])

    def label(self, scenarios: Mapping[str, str]) -> str:
        """What a reader sees: ``2024年``, ``2030年基准情景`` (the report's scenario name)."""
        if self.scenario is None:
            return f"{self.year}年"
        return f"{self.year}年{scenarios.get(self.scenario, self.scenario)}"


def period_key(year: int, scenario: str | None) -> str:
    """The key form of a period: ``2024`` or ``2030.baseline``."""
    return str(Period(year, scenario))


def period_label(period: str, scenarios: Mapping[str, str]) -> str:
    """The Chinese of a period key (``2030.control`` -> ``2030年对照情景``)."""
    return Period.parse(period).label(scenarios)


def key(*parts: object) -> str:
    """A ledger key from its parts."""
    return ".".join(str(part) for part in parts)


def c1(period: object, row: str, column: str) -> str:
    """Table C.1: ``c1.<period>.<key|other|park>.<energy|process|waste|subtotal|…>``."""
    return key("c1", period, row, column)


def c2(period: object, *path: str) -> str:
    """Table C.2: ``c2.<period>.energy.fossil.industry``, ``c2.<period>.total`` …"""
    return key("c2", period, *path)


def ent(period: object, enterprise: str) -> str:
    """An enterprise's emissions net of its own reductions."""
    return key("ent", period, enterprise)


def perf(period: object, industry: str, indicator: str, *, decline: bool = False) -> str:
    """A performance indicator, or its decline rate against the base year."""
    parts: tuple[object, ...] = ("perf", period, industry, indicator)
    return key(*parts, "decline_pct") if decline else key(*parts)


def period_of(figure_key: str, scenarios: Collection[str]) -> Period | None:
    """The period a park key is indexed by (``c1.2030.baseline.park.total`` -> 2030, baseline),
    given the report's scenario ids; None for a key without one."""
    family, _, rest = figure_key.partition(".")
    if family not in PERIOD_FAMILIES:
        return None
    year, _, rest = rest.partition(".")
    if not (len(year) == 4 and year.isdigit()):
        return None
    scenario, _, _ = rest.partition(".")
    return Period(int(year), scenario if scenario in scenarios else None)

"""Coverage of a park's periods: who has rows where, and which comparisons it allows.

Two rules (Chongqing guideline 8.3, 8.4):

- :func:`empty_periods` (refused at any time): every scenario declared has rows in every planning
  year; an empty scenario would give a park total of 0 and a "100 % decline".
- :func:`missing_owners` (the filing gate): an industry or enterprise with rows in the base year
  (the last history year) has rows in every planning period, or the report says why it has none
  (``exit: {year, reason}`` on the industry or enterprise: closure, relocation …).

:func:`comparable` says whether two periods cover the same industries and enterprises (exits
taken into account); declines, changes and potentials are computed only between comparable
periods (:mod:`tanping.calc.park_analysis`), and :func:`coverage_gaps` says why for the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tanping.calc.errors import InputError, Location
from tanping.calc.loader import Key
from tanping.calc.models.park import Enterprise, Industry, ParkReport

Locate = Callable[[Sequence[Key]], Location]


def empty_periods(report: ParkReport, locate: Locate) -> list[InputError]:
    """A scenario without rows in a planning year: one error per scenario, at its declaration,
    naming the years it lacks."""
    have = {(s.period, s.scenario) for s in report.sources}
    errors = []
    for scenario, name in report.scenarios.items():
        missing = [year for year in report.planning if (year, scenario) not in have]
        if not missing:
            continue
        years = "、".join(str(year) for year in missing)
        errors.append(
            InputError(
                f"{years} 年{name}（{scenario}）没有任何排放源数据",
                f"在 sources 中为 period: {missing[0]}、scenario: {scenario} 给出各企业、行业的"
                "排放源；由空数据算出的总量为 0、下降率为 100 %，不能印出。不需要该情景时从 "
                "scenarios 中删去",
                locate(("scenarios", scenario)),
            )
        )
    return errors


@dataclass(frozen=True)
class Owner:
    """An industry or enterprise as coverage sees it."""

    kind: str  # 企业 | 行业
    name: str
    path: tuple[Key, ...]  # its declaration in report.yml
    model: Industry | Enterprise

    def exits(self, year: int, scenario: str | None) -> bool:
        """Whether the report states that it has no rows in ``year`` under ``scenario``."""
        exit_ = self.model.exit
        if exit_ is None or scenario is None or year < exit_.year:
            return False
        return not exit_.scenarios or scenario in exit_.scenarios


def _owners(report: ParkReport) -> dict[tuple[str, str], Owner]:
    found = {
        ("行业", i.name): Owner("行业", i.name, ("industries", n), i)
        for n, i in enumerate(report.industries)
    }
    found.update(
        {
            ("企业", e.name): Owner("企业", e.name, ("enterprises", n), e)
            for n, e in enumerate(report.enterprises)
        }
    )
    return found


def _present(report: ParkReport, year: int, scenario: str | None) -> set[tuple[str, str]]:
    """The industries and enterprises with rows in a period (an enterprise's row counts for its
    industry too)."""
    industry_of = {e.name: e.industry for e in report.enterprises}
    present: set[tuple[str, str]] = set()
    for source in report.sources:
        if source.period != year or source.scenario != scenario:
            continue
        if source.enterprise is not None:
            present.add(("企业", source.enterprise))
            present.add(("行业", industry_of.get(source.enterprise, "")))
        elif source.industry is not None:
            present.add(("行业", source.industry))
    return present


def _explained(
    report: ParkReport, owner: Owner, owners: dict[tuple[str, str], Owner], year: int, scenario: str
) -> bool:
    """Whether the report states why ``owner`` has no rows in the period: its own exit, or, for
    an industry whose base-year rows are all its enterprises', the exit of each of them."""
    if owner.exits(year, scenario):
        return True
    if owner.kind != "行业":
        return False
    base_year = report.history[-1]
    own_rows = any(
        s.period == base_year and s.scenario is None and s.industry == owner.name
        for s in report.sources
    )
    members = [
        owners[("企业", e.name)]
        for e in report.enterprises
        if e.industry == owner.name and ("企业", e.name) in _present(report, base_year, None)
    ]
    return not own_rows and bool(members) and all(m.exits(year, scenario) for m in members)


def _period(key: str) -> tuple[int, str | None]:
    year, _, scenario = key.partition(".")
    return int(year), scenario or None


def coverage_gaps(report: ParkReport, period: str) -> list[Owner]:
    """The industries and enterprises of the base year that ``period`` lacks without a stated
    exit (none for a history year)."""
    year, scenario = _period(period)
    if scenario is None:
        return []
    base = _present(report, report.history[-1], None)
    here = _present(report, year, scenario)
    owners = _owners(report)
    return [
        owners[who]
        for who in sorted(base - here)
        if who in owners and not _explained(report, owners[who], owners, year, scenario)
    ]


def comparable(report: ParkReport, period: str, other: str) -> bool:
    """Whether a decline, change or potential between ``period`` and ``other`` compares the same
    coverage: both lack the same industries and enterprises of the base year (none, for a
    comparison with the base year itself), exits stated taken into account."""
    gaps = {(g.kind, g.name) for g in coverage_gaps(report, period)}
    return gaps == {(g.kind, g.name) for g in coverage_gaps(report, other)}


def gap_text(report: ParkReport, period: str) -> str:
    """Why ``period`` is not compared, for the text ("" when it is)."""
    gaps = coverage_gaps(report, period)
    if not gaps:
        return ""
    industries = [g.name for g in gaps if g.kind == "行业"]
    enterprises = [g.name for g in gaps if g.kind == "企业"]
    named = "、".join(industries or enterprises)
    return (
        f"缺少基准年（{report.history[-1]} 年）有排放的{'行业' if industries else '企业'}"
        f"{named}的数据，统计范围与基准年不同"
    )


def missing_owners(report: ParkReport, locate: Locate) -> list[InputError]:
    """Filing rule: every industry and enterprise with rows in the base year has rows in every
    planning period, or an ``exit:`` saying why not; one error per owner, at its declaration."""
    errors = []
    owners = _owners(report)
    periods = [(y, s) for y in report.planning for s in report.scenarios]
    base = _present(report, report.history[-1], None)
    for who in sorted(base):
        if who not in owners:
            continue
        owner = owners[who]
        lacking = [
            f"{y} 年{report.scenarios[s]}"
            for y, s in periods
            if who not in _present(report, y, s) and not _explained(report, owner, owners, y, s)
        ]
        if not lacking:
            continue
        errors.append(
            InputError(
                f"{owner.kind}“{owner.name}”{report.history[-1]} 年有排放，"
                f"但 {'、'.join(lacking)} 没有其排放源数据",
                f"为其补上规划年各情景的排放源；若其将关停或迁出，在该{owner.kind}下写明 "
                f"exit: {{year: <年份>, reason: 关停}}（仅某些情景时加 scenarios: [...]），"
                "正文用 {{ coverage_note() }} 说明；否则规划年的总量、下降率与减排潜力"
                "比较的是不同的统计范围",
                locate(owner.path),
            )
        )
    return errors

"""Report folder -> validated model -> computed result, the one entry point of the calc layer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from calc import park, project
from calc.errors import Location
from calc.factors import FactorLibrary
from calc.loader import Key, SourceMap, read_report
from calc.models.park import ParkReport
from calc.park_analysis import analyse
from calc.validate import validate_report

Result = project.ProjectResult | park.ParkResult


def compute(
    folder: Path | str, library: FactorLibrary | None = None, *, derive: bool = True
) -> Result:
    """Read, validate and compute a report folder.

    Raises :class:`calc.errors.TanpingError` (with file, line and field of each problem) for any
    input that cannot be used. ``derive=False`` skips building per-source derivations where that
    is optional (the ledger alone).
    """
    data, sources = read_report(Path(folder))
    report = validate_report(data, sources)
    library = library or FactorLibrary.default()

    def locate(loc: Sequence[Key]) -> Location:
        return sources.locate(loc)

    if isinstance(report, ParkReport):
        result = park.compute(report, library, locate, sources=sources, derive=derive)
        result.analysis = analyse(result, library, Path(folder))
        return result
    return project.compute(report, library, locate)


def source_map(folder: Path | str) -> SourceMap:
    return read_report(Path(folder))[1]

"""Report folder -> validated model -> computed result, the one entry point of the calc layer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tanping.calc import park, project
from tanping.calc.errors import Location
from tanping.calc.factors import FactorLibrary
from tanping.calc.loader import Key, paused_gc, read_report
from tanping.calc.models.park import ParkReport
from tanping.calc.park_analysis import analyse
from tanping.calc.validate import validate_report

Result = project.ProjectResult | park.ParkResult


def compute(folder: Path | str, library: FactorLibrary | None = None) -> Result:
    """Read, validate and compute a report folder.

    Raises :class:`calc.errors.TanpingError` (with file, line and field of each problem) for any
    input that cannot be used.
    """
    with paused_gc():  # tens of thousands of small acyclic objects: no full collections meanwhile
        return _compute(Path(folder), library)


def _compute(folder: Path, library: FactorLibrary | None) -> Result:
    if folder.is_file():  # the path of report.yml itself
        folder = folder.parent
    data, sources = read_report(folder)
    report = validate_report(data, sources)
    library = library or FactorLibrary.default()

    def locate(loc: Sequence[Key]) -> Location:
        return sources.locate(loc)

    if isinstance(report, ParkReport):
        result = park.compute(report, library, locate)
        result.analysis = analyse(result, library, folder)
        return result
    return project.compute(report, library, locate)

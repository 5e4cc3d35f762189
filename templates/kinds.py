"""The report kinds: one record per guideline, and the only place that tells them apart.

A kind names its input model, the renderer whose macros its chapters call, its scaffold, the
structure its guideline requires (``calc/data/structure_*.yml``) and what its cover and index
say. A third guideline (say Shanghai's) is one more record here plus its own model, calculation
and renderer modules; nothing else dispatches on the kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tanping.calc.models.park import ParkReport
from tanping.calc.models.project import ProjectReport
from tanping.templates.render import ReportRenderer

SCAFFOLDS = Path(__file__).parent / "scaffold"


@dataclass(frozen=True)
class ReportKind:
    id: str  # the `kind:` of report.yml
    model: type[Any]
    name: str  # what the report assesses, in an index: 建设项目 / 产业园区规划
    subtitle: str  # under the cover title
    client_label: str  # the cover's first party
    structure: str  # the required-structure file in calc/data

    @property
    def scaffold(self) -> Path:
        return SCAFFOLDS / self.id

    def renderer(self) -> type[ReportRenderer]:
        """The renderer class of this kind (imported late: the renderers import this layer)."""
        return _renderers()[self.id]


KINDS: dict[str, ReportKind] = {
    "project": ReportKind(
        "project",
        ProjectReport,
        name="建设项目",
        subtitle="碳排放评价专章",
        client_label="建设单位",
        structure="structure_bj.yml",
    ),
    "park": ReportKind(
        "park",
        ParkReport,
        name="产业园区规划",
        subtitle="温室气体排放评价专章",
        client_label="规划编制单位",
        structure="structure_cq.yml",
    ),
}


@cache
def _renderers() -> dict[str, type[ReportRenderer]]:
    from tanping.templates.park import ParkRenderer
    from tanping.templates.project import ProjectRenderer

    return {"project": ProjectRenderer, "park": ParkRenderer}


def kind_of(report: Any) -> ReportKind:
    """The kind record of a validated report (by its ``kind`` field)."""
    return KINDS[report.kind]

"""Chapters render in Jinja's immutable sandbox with only tanping's macros exposed.

A chapter is a template the report's author writes; it may call the registered macros and read
the report's data and the ledger's figures, and nothing else: no Python internals (``__class__``,
``__globals__``, a bound method's ``__self__``), no Jinja helpers that lead to them (``lipsum``,
``cycler``), no pydantic API of the report model, no renderer internals, no changing the ledger.
Each attempt is a :class:`RenderError` naming the chapter file and line, never execution.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tanping.templates.park import ParkRenderer
from tanping.templates.project import ProjectRenderer
from tanping.templates.publish import renderer
from tanping.templates.render import RenderError, ReportRenderer
from tests.conftest import REPO

PROJECT = REPO / "content" / "spec-project"
PARK = REPO / "content" / "spec-park"

ESCAPES = [
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ lipsum }}",
    "{{ cycler }}",
    "{{ joiner }}",
    "{{ report.__class__.__mro__ }}",
    "{{ report.__class__ }}",
    "{{ ledger.__init__.__globals__ }}",
    "{{ ledger.__class__ }}",
    "{{ fig.__self__ }}",
    "{{ fig.__self__.result }}",
    "{{ fig.__func__.__globals__ }}",
    "{{ report.model_dump() }}",
    "{{ report.model_copy(update={'title': 'x'}) }}",
    "{{ report.model_config }}",
    "{{ report.proposed.fuels[0].consumption.quantity }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ '{0.__class__}'.format(report) }}",
    "{{ render_chapter }}",
    "{{ render_source }}",
    "{{ collect }}",
    "{{ context }}",
    "{{ macros }}",
    "{{ source_lines }}",
    "{{ figure }}",
    "{{ ledger.add('x', 1, 't', 'x') }}",
    "{% set _ = report.controls.intensity.append(1) %}",
    "{{ config }}",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> ReportRenderer:
    folder = tmp_path_factory.mktemp("sandbox") / "spec-project"
    shutil.copytree(PROJECT, folder)
    return renderer(folder)


@pytest.mark.parametrize("source", ESCAPES)
def test_a_chapter_cannot_reach_python(project: ReportRenderer, source: str) -> None:
    chapter = project.folder / "09-attack.md"
    text = f"# 攻击\n\n第三行\n{source}\n"
    with pytest.raises(RenderError) as caught:
        project.render_source(text, chapter)
    error = caught.value
    assert error.file == chapter
    assert error.line == 4, str(error)
    assert "uid=" not in str(error)


def test_the_build_process_runs_nothing_from_a_chapter(project: ReportRenderer) -> None:
    marker = project.folder / "pwned"
    source = (
        "{{ lipsum.__globals__['os'].popen('touch " + str(marker) + "').read() }}"
        "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"
    )
    with pytest.raises(RenderError):
        project.render_source(source, project.folder / "09-attack.md")
    assert not marker.exists()


def test_data_and_jinja_language_still_work(project: ReportRenderer) -> None:
    source = (
        "{{ report.title.strip() }}|{{ report.controls.intensity[0].name }}|"
        "{% for p in report.phases() %}{{ p }};{% endfor %}|{{ ledger['b2.net_new'].value > 0 }}|"
        "{{ 'b2.net_new' in ledger }}|{% for i in range(2) %}{{ i }}{% endfor %}|"
        "{% set ns = namespace(n=0) %}{% set ns.n = ns.n + 1 %}{{ ns.n }}|{{ dict(a=1).a }}|"
        "{{ report.proposed.fuels[0].consumption.text }}|"
        "{{ report.district | replace('北京市', '') }}"
    )
    out = project.render_source(source, project.folder / "09-ok.md")
    assert out.split("|") == [
        "北京某生物医药产业基地扩建项目碳排放评价",
        "北京市医药制造业碳排放强度先进值",
        "existing;proposed;retired;",
        "True",
        "True",
        "01",
        "1",
        "1",
        "60 万Nm3",
        "大兴区",
    ]


@pytest.mark.parametrize("cls", [ProjectRenderer, ParkRenderer])
def test_macros_are_registered_explicitly(cls: type[ReportRenderer]) -> None:
    names = cls.macro_names()
    assert {"fig", "ref", "value", "fmt", "derivations", "has"} <= set(names)
    internals = {"collect", "render_chapter", "render_source", "macros", "macro_names"}
    internals |= {"context", "figure", "page_url", "source_lines"}
    assert not internals & set(names)
    assert all(not n.startswith("_") for n in names)
    # every registered macro is a method of the class, nothing else reaches the chapter
    assert all(callable(getattr(cls, n)) for n in names)


def test_every_macro_a_chapter_uses_is_registered() -> None:
    for folder in (PROJECT, PARK, REPO / "content" / "bj-heating", REPO / "content" / "cq-park"):
        renderer(folder)  # the first pass renders every chapter: an unregistered macro fails


def test_an_unregistered_method_is_not_a_macro(project: ReportRenderer) -> None:
    assert callable(project.page_url)
    with pytest.raises(RenderError, match="page_url"):
        project.render_source("{{ page_url('x') }}", project.folder / "09-x.md")


def test_scaffolds_render_in_the_sandbox(tmp_path: Path) -> None:
    from tanping.scaffold import new_report

    for kind, example in (("project", PROJECT), ("park", PARK)):
        folder = tmp_path / kind
        new_report(kind, folder)
        shutil.copyfile(example / "report.yml", folder / "report.yml")
        renderer(folder)

"""Every free-text field of both report kinds carries an attacker's strings and stays text.

The fields are generated from the input models (``calc/models/project.py``,
``calc/models/park.py``): every field typed ``str`` (also ``str | None``, ``bool | str``,
dictionary keys typed as text), in
nested models, lists of models and the members of the process union. A test checks that the walk
over the spec examples reaches every such field of the models, so a new text field is covered
the day it is added. Into a copy of the spec example (Beijing project, Chongqing park) one field
at a time gets each of :data:`PAYLOADS`: a Markdown link to ``javascript:``, a link that breaks
out of an
attribute, remote and ``file:`` images, a newline followed by a heading and a list, raw HTML, a
template, autolinks, table, quote, list and rule syntax. Its chapters are rendered the way the
site renders them (:func:`render_page`, then Python-Markdown with the site's extensions) together
with the 计算过程 page, and the HTML is checked: no link, image, script, event handler, heading,
list item, quote, table, code or emphasis came from the data, and the text is visible.

A field the models refuse (an identifier: a fuel, an industry, a scenario id) is safe too, if the
refusal is a located message with exit code 2 (``tanping check``), not a traceback.

Then the whole thing for real: ``tanping build`` of a report carrying several payloads opened in
Chromium (no dialog on hover or click, no ``javascript:`` link, no request leaving the site, the
injected heading is not a heading), and its PDF (the ``file:`` image is not embedded).
"""

from __future__ import annotations

import copy
import re
import shutil
import types
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import markdown
import pytest
import yaml
from pydantic import BaseModel

from tanping.calc.errors import TanpingError
from tanping.calc.models.park import ParkReport
from tanping.calc.models.project import ProjectReport
from tanping.templates.publish import (
    MARKDOWN_EXTENSIONS,
    derivations_page,
    render_page,
    renderer,
)
from tanping.templates.render import APPENDIX_PAGE, RenderError, chapter_files
from tests.conftest import REPO, CliResult

PROJECT = REPO / "content" / "spec-project"
PARK = REPO / "content" / "spec-park"
#: MkDocs adds these to the extensions of mkdocs.yml (its built-ins)
SITE_EXTENSIONS = [*MARKDOWN_EXTENSIONS, "fenced_code"]

SECRET = "secret-tanping-test.svg"
#: The attacks, each under the models' 200-character limit of a text field, with what of it must
#: stay visible (whitespace aside). Line-start constructs open a string and follow newlines.
PAYLOADS = {
    "blocks": (
        "# 注入标题\n\n- 注入列表项\n\n> 注入引用\n\n1. 注入序号\n\n| 注入 | 表格 |\n|---|---|\n"
        "| a | b |\n\n***\n\n    注入代码块\n\n!!! note 注入提示\n\n注入标题\n===\n\n"
        "```\n注入\n```",
        "#注入标题-注入列表项",
    ),
    "links": (
        "[点我](javascript:alert(1)) [x](onmouseover=alert(document.domain)//)"
        " ![x](http://evil.example/x.png) ![y](file:///tmp/" + SECRET + ")",
        "[点我](javascript:alert(1))",
    ),
    "html": (
        "<img src=x onerror=alert(1)> <script>alert(1)</script> {{ 7*7 }}"
        " <javascript:alert(1)> <http://evil.example/a> http://evil.example/b",
        "<script>alert(1)</script>{{7*7}}",
    ),
    "inline": (
        "- *注入强调* __注入粗体__ `注入代码` {: onclick=alert(1) } [^1] [TOC] \\[x\\](y) a  \nb",
        "*注入强调*__注入粗体__`注入代码`{:onclick=alert(1)}",
    ),
}


# ---- the fields, from the models ----------------------------------------------------------------
KEY = "<key>"  # a step: the first key of a dictionary (renamed to the payload)


def _members(annotation: Any) -> list[Any]:
    """The types an annotation admits: Annotated and unions unwrapped, None dropped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [m for a in get_args(annotation) for m in _members(a)]
    return [] if annotation is type(None) else [annotation]


def _is_text(annotation: Any) -> bool:
    return str in _members(annotation)


def _models(annotation: Any) -> list[type[BaseModel]]:
    return [m for m in _members(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]


def model_text_fields(model: type[BaseModel], seen: set[type] | None = None) -> Iterator[str]:
    """Every text field of ``model`` and the models it holds, as ``Model.field`` (``{}`` for
    the keys of a dictionary), walking the types only."""
    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        yield from _type_fields(info.annotation, f"{model.__name__}.{info.alias or name}", seen)


def _type_fields(annotation: Any, field: str, seen: set[type]) -> Iterator[str]:
    if _is_text(annotation):
        yield field
    for m in _models(annotation):
        yield from model_text_fields(m, seen)
    for member in _members(annotation):
        origin, args = get_origin(member), get_args(member)
        if origin is list:
            yield from _type_fields(args[0], field, seen)
        elif origin is dict:
            if _is_text(args[0]):
                yield field + "{}"
            yield from _type_fields(args[1], field, seen)


def _discriminated(models: list[type[BaseModel]], value: Any) -> type[BaseModel] | None:
    if len(models) == 1:
        return models[0]
    for m in models:
        field = m.model_fields.get("type")
        if field is not None and get_origin(field.annotation) is Literal:
            if isinstance(value, dict) and value.get("type") in get_args(field.annotation):
                return m
    return None


Found = tuple[str, str, tuple[Any, ...]]  # place (``sources[].process<Cement>.ef``), field, steps


def data_text_fields(
    model: type[BaseModel], data: dict[str, Any], steps: tuple[Any, ...] = (), place: str = ""
) -> Iterator[Found]:
    """Every text field reachable in ``data``: present fields, and optional text fields a row
    may add. ``field`` is ``Model.field`` as :func:`model_text_fields` names it."""
    for name, info in model.model_fields.items():
        key = info.alias or name
        field = f"{model.__name__}.{key}"
        where = f"{place}.{key}".lstrip(".")
        yield from _data_fields(info.annotation, data.get(key), (*steps, key), where, field)


def _data_fields(
    annotation: Any, value: Any, steps: tuple[Any, ...], place: str, field: str
) -> Iterator[Found]:
    if _is_text(annotation):
        yield place, field, steps
    if value is None:
        return
    models = _models(annotation)
    if models and isinstance(value, dict):
        chosen = _discriminated(models, value)
        if chosen is not None:
            suffix = f"<{chosen.__name__}>" if len(models) > 1 else ""
            yield from data_text_fields(chosen, value, steps, place + suffix)
    for member in _members(annotation):
        origin, args = get_origin(member), get_args(member)
        if origin is list and isinstance(value, list):
            for index, item in enumerate(value):
                yield from _data_fields(args[0], item, (*steps, index), place + "[]", field)
        elif origin is dict and isinstance(value, dict) and value:
            if _is_text(args[0]):
                yield place + "{}", field + "{}", (*steps, KEY)
            for item_key, item in value.items():
                yield from _data_fields(args[1], item, (*steps, item_key), place + "{*}", field)


def first_of_each(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Found]:
    """The first occurrence of every place (the first fuel row of each phase, …)."""
    found: dict[str, Found] = {}
    for place, field, steps in data_text_fields(model, data):
        found.setdefault(place, (place, field, steps))
    return found


def put(data: dict[str, Any], steps: tuple[Any, ...], text: str) -> dict[str, Any]:
    """A copy of ``data`` with ``text`` at ``steps`` (a key step renames the first key)."""
    out = copy.deepcopy(data)
    node: Any = out
    for step in steps[:-1]:
        node = node[step]
    last = steps[-1]
    if last == KEY:
        first = next(iter(node))
        node[text] = node.pop(first)
    else:
        node[last] = text
    return out


# ---- the examples, with rows for the parts a spec example leaves out ---------------------------
def project_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PROJECT / "report.yml").read_text(encoding="utf-8"))
    data["factor_sources"] = {"lhv": "GB/T 32151.22-2024 附录C 表C.1"}
    data["facts"] = {"锅炉台数": "5 台"}
    data["numbering"] = {  # the report as chapter 9 of its host EIA document
        "chapters": {p.name: f"9.{n}" for n, p in enumerate(chapter_files(PROJECT), 1)}
    }
    return data


def park_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PARK / "report.yml").read_text(encoding="utf-8"))
    data["targets"] = [
        {"indicator": "output_value", "period": 2030, "decline_pct": "30 %", "source": "规划目标"}
    ]
    data["factor_sources"] = {"lhv": "GB/T 32151.22-2024 附录C 表C.1"}
    data["facts"] = {"园区类型": "省级产业园区"}
    data["numbering"] = {"chapters": {p.name: str(n) for n, p in enumerate(chapter_files(PARK), 4)}}
    scenario = list(data["scenarios"])[-1]
    data["enterprises"][-1]["exit"] = {"year": 2035, "reason": "关停", "scenarios": [scenario]}
    data["measures"] = [
        {"id": "D-power-structure-3", "note": "说明"},
        {"domain": "能源", "direction": "结构调整", "text": "自定措施"},
    ]
    row = {"period": 2024, "enterprise": "甲水泥有限公司"}
    fuel = {"amount": "100 t", "lhv": "42.652 GJ/t"}
    data["sources"] += [
        {**row, "boiler_n2o": {"fuel": "柴油", **fuel, "boiler": "燃油", "ef_n2o": "0.6 kgN2O/TJ"}},
        {
            **row,
            "mobile": {"fuel": "柴油", **fuel, "mode": "road"}
            | {"ef_ch4": "3.9 kgCH4/TJ", "ef_n2o": "3.9 kgN2O/TJ"},
        },
        {
            **row,
            "biomass": {"fuel": "秸秆", "amount": "100 t", "lhv": "14.4 GJ/t", "sector": "industry"}
            | {"ef_ch4": "30 kgCH4/TJ", "ef_n2o": "4 kgN2O/TJ"},
        },
    ]
    data["sources"].append(
        {
            "period": 2024,
            "enterprise": "甲水泥有限公司",
            "process": {
                "type": "flat_glass",
                "carbonates": {"石灰石": {"mass": "1 t", "ef": "0.44 tCO2/t", "calcination": 1}},
            },
        }
    )
    return data


KINDS: dict[str, tuple[type[BaseModel], Path, Callable[[], dict[str, Any]]]] = {
    "project": (ProjectReport, PROJECT, project_data),
    "park": (ParkReport, PARK, park_data),
}


def _cases() -> list[Any]:
    cases = []
    for kind, (model, _, data) in KINDS.items():
        for place, _, steps in first_of_each(model, data()).values():
            for attack in PAYLOADS:
                cases.append(pytest.param(kind, steps, attack, id=f"{kind}:{place}:{attack}"))
    return cases


@pytest.mark.parametrize("kind", KINDS)
def test_every_text_field_of_the_models_is_covered(kind: str) -> None:
    model, _, data = KINDS[kind]
    declared = set(model_text_fields(model))
    reached = {field for _, field, _ in first_of_each(model, data()).values()}
    assert declared - reached == set(), "text fields the hostile tests do not reach"
    assert len(declared) > 15


def test_the_example_with_its_added_rows_is_valid(tmp_path: Path) -> None:
    for kind, (_, example, data) in KINDS.items():
        folder = _report(tmp_path / kind, example, data())
        renderer(folder)


# ---- rendering and looking at the HTML -----------------------------------------------------------
def _report(folder: Path, example: Path, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True)
    for chapter in chapter_files(example):
        shutil.copyfile(chapter, folder / chapter.name)
    (folder / "report.yml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return folder


def site_pages(folder: Path) -> dict[str, str]:
    """Every page of the report as the site renders it (chapters and 计算过程), as HTML."""
    report = renderer(folder, mode="site")
    sources = {p.name: render_page(report, p) for p in chapter_files(folder)}
    appendix = folder / f"{APPENDIX_PAGE}.md"
    sources[appendix.name] = render_page(report, appendix, derivations_page())
    return {
        name: markdown.markdown(text, extensions=SITE_EXTENSIONS) for name, text in sources.items()
    }


class Elements(HTMLParser):
    """Every element with its attributes and the text inside it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self.open: list[list[str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        texts: list[str] = []
        self.elements.append((tag, {k: v or "" for k, v in attrs}, texts))
        if tag not in ("img", "br", "hr", "input", "meta", "link"):
            self.open.append(texts)

    def handle_endtag(self, tag: str) -> None:
        if self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for texts in self.open:
            texts.append(data)


#: Elements a data string could create; their number on a page must not change.
STRUCTURE = (
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "ul", "ol", "blockquote", "table", "tr",
    "td", "th", "pre", "code", "em", "strong", "hr", "img", "a", "sup", "div", "br",
)  # fmt: skip


def _count(elements: list[tuple[str, dict[str, str], list[str]]]) -> dict[str, int]:
    return {tag: sum(1 for e in elements if e[0] == tag) for tag in STRUCTURE}


def assert_inert(pages: dict[str, str], baseline: dict[str, str]) -> str:
    """No element or attribute built from the payload: each page has the elements it has with
    plain text in the same field (``baseline``); returns the visible text of all pages."""
    shown = []
    assert pages.keys() == baseline.keys()
    for name, page in pages.items():
        parser, before = Elements(), Elements()
        parser.feed(page)
        before.feed(baseline[name])
        for tag, attrs, texts in parser.elements:
            where = f"{name}: <{tag} {attrs}>{''.join(texts)[:80]}"
            assert tag not in ("script", "iframe", "object", "embed", "image"), where
            assert not [a for a in attrs if a.startswith("on")], where
            for attr in ("href", "src", "action", "formaction", "xlink:href", "srcset"):
                value = attrs.get(attr, "").lower()
                assert not any(m in value for m in ("javascript", "evil", "file:", "onmouse")), (
                    where
                )
        counts, expected = _count(parser.elements), _count(before.elements)
        changed = {t: (expected[t], counts[t]) for t in STRUCTURE if counts[t] != expected[t]}
        assert not changed, f"{name}: elements from data (before, after): {changed}"
        shown.append("".join(parser.text))
    return re.sub(r"\s+", "", "".join(shown))


#: Plain text of the same length class, for the baseline of a field.
PLAIN = "普通名称"


#: Text fields no chapter of the spec examples prints (the PDF cover, not-yet-used extensions);
#: they are checked for inertness like the others, but not for being shown.
NOT_SHOWN = {  # fields no chapter prints (numbering: file names, refused when not one)
    # controls.intensity.confirm: only lets an implied-intensity outlier through, not printed
    "project": {
        "client",
        "assessor",
        "date",
        "factor_sources",
        "facts",
        "numbering",
        "controls.intensity.confirm",
    },
    "park": {  # the spec example's four chapters print neither title nor district
        "title",
        "district",
        "client",
        "assessor",
        "date",
        "boundary",
        "targets",
        "measures",
        "sources.note",
        "enterprises.trading",
        "economy.scenario",
        "factor_sources",
        "facts",
        "numbering",
    },
}


@pytest.mark.parametrize(("kind", "steps", "attack"), _cases())
def test_a_hostile_string_in_a_text_field_is_text(
    kind: str,
    steps: tuple[Any, ...],
    attack: str,
    tmp_path: Path,
    cli: Callable[[list[Any]], CliResult],
) -> None:
    _, example, data = KINDS[kind]
    payload, visible = PAYLOADS[attack]
    folder = _report(tmp_path / "hostile", example, put(data(), steps, payload))
    try:
        pages = site_pages(folder)
    except RenderError:
        raise
    except TanpingError:
        result = cli(["check", folder])  # refused: an identifier, a reference, a file name
        assert result.code == 2, result.stderr
        assert "Traceback" not in result.stderr and "report.yml" in result.stderr, result.stderr
        return
    baseline = site_pages(_report(tmp_path / "plain", example, put(data(), steps, PLAIN)))
    shown = assert_inert(pages, baseline)
    field = ".".join(s for s in steps if isinstance(s, str) and s != KEY)
    if field not in NOT_SHOWN[kind] and not any(field.startswith(f) for f in NOT_SHOWN[kind]):
        assert visible in shown, f"{field}: the text is not shown"


# ---- end to end: a real build, a real browser, the real PDF --------------------------------------
E2E_REPORT = "spec-project"
SECRET_SIZE = (37, 23)  # a PNG of this size must not be embedded in the PDF


def _e2e_payloads(secret: Path) -> dict[tuple[Any, ...], str]:
    return {
        ("proposed", "fuels", 1, "name"): "[点我](javascript:alert(1))",
        ("park",): "[x](onmouseover=alert(document.domain)//)",
        ("controls", "intensity", 0, "name"): "![x](http://evil.example/x.png)北京市先进值",
        ("measures", 0, "name"): f"![y]({secret.as_uri()})屋顶光伏",
        ("synergies", 0, "pollution_effect"): "注入前\n\n# 注入标题\n\n- 注入列表项",
        ("district",): "<img src=x onerror=alert(1)>北京市大兴区",
    }


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The Beijing example carrying the payloads above, built by ``tanping build`` with its PDF;
    returns the site and the secret image outside the report."""
    from PIL import Image

    from tests.test_build import build, make_project

    root = tmp_path_factory.mktemp("e2e") / "project"
    folder = make_project(root, E2E_REPORT)
    secret = root.parent / "secret.png"
    Image.new("RGB", SECRET_SIZE, (255, 0, 0)).save(secret)
    data = yaml.safe_load((folder / "report.yml").read_text(encoding="utf-8"))
    for steps, text in _e2e_payloads(secret).items():
        data = put(data, steps, text)
    (folder / "report.yml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    result = build(root)
    assert result.code == 0, result.stderr
    return root / "site", secret


@pytest.mark.slow
def test_the_pdf_embeds_no_file_from_outside_the_report(hostile_site: tuple[Path, Path]) -> None:
    from pypdf import PdfReader

    site, _ = hostile_site
    (pdf,) = sorted((site / E2E_REPORT).glob("*.pdf"))
    sizes = []
    for page in PdfReader(pdf).pages:
        resources = page.get("/Resources") or {}
        for obj in (resources.get("/XObject") or {}).values():
            xobject = obj.get_object()
            if xobject.get("/Subtype") == "/Image":
                sizes.append((int(xobject["/Width"]), int(xobject["/Height"])))
    assert SECRET_SIZE not in sizes, sizes
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert "屋顶光伏" in text and "![y](file:" in text  # the payload is printed as text


@pytest.mark.slow
@pytest.mark.browser
def test_the_built_site_in_chromium_runs_no_data(hostile_site: tuple[Path, Path]) -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.browser import ARGS, CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed")
    site, _ = hostile_site
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    dialogs: list[str] = []
    leaving: list[str] = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()

            def route(request_route: Any) -> None:
                url = request_route.request.url
                if url.startswith((base, "data:", "blob:")):
                    request_route.continue_()
                else:
                    leaving.append(url)
                    request_route.abort()

            page.route("**/*", route)
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            report = site / E2E_REPORT
            pages = sorted([*report.glob("*.html"), *report.glob("*/index.html")])
            assert pages
            for path in pages:
                url = base + path.relative_to(site).as_posix()
                page.goto(url)
                page.wait_for_load_state("networkidle")
                links = page.eval_on_selector_all(
                    "a[href]", "els => els.map(e => e.getAttribute('href'))"
                )
                bad = [h for h in links if re.match(r"\s*(javascript|onmouse|\w+://)", h, re.I)]
                assert not bad, (path, bad)
                headings = page.eval_on_selector_all(
                    "h1,h2,h3,h4,h5,h6,li", "els => els.map(e => e.textContent)"
                )
                assert not [h for h in headings if h.strip().startswith("注入")], path
                assert (
                    page.locator("img[src='x'], img[src*='evil'], img[src^='file:']").count() == 0
                )
                figures = page.locator("a.fig")
                for index in range(min(figures.count(), 40)):
                    page.keyboard.press("Escape")  # the open card would cover the next figure
                    page.mouse.move(0, 0)
                    figures.nth(index).hover()
                for text in ("点我", "onmouseover", "屋顶光伏", "北京市大兴区"):
                    found = page.get_by_text(text, exact=False)
                    for index in range(min(found.count(), 3)):
                        page.keyboard.press("Escape")
                        page.mouse.move(0, 0)
                        found.nth(index).hover()
                        found.nth(index).click(no_wait_after=True)
                        if page.url != url:
                            page.goto(url)
            context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert dialogs == [], dialogs
    assert leaving == [], leaving

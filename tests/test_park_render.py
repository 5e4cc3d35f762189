"""templates/park.py and the park chapters: the rendered tables C.1 and C.2 of the spec example
(spec §7 figures in 万tCO₂e), C.1 总计 = C.2 总排放量 on the page, snapshots, the gas table, the
key-enterprise map with and without a boundary, the worked example and the ``tanping new --kind
park`` scaffold built with a strict MkDocs build.

Snapshots live in ``tests/snapshots/park/``; refresh them with ``UPDATE_SNAPSHOTS=1``. Volatile
parts (the derivation numbers and hover cards of the figures) are normalised away.
"""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tanping.calc.errors import InputError
from tanping.templates.park import ParkRenderer
from tanping.templates.publish import chapter_html, renderer
from tanping.templates.render import chapter_files
from tests.conftest import REPO, CliResult, WriteReport

SNAPSHOTS = Path(__file__).parent / "snapshots" / "park"
SCAFFOLD = REPO / "templates" / "scaffold" / "park"
PLACEHOLDER = "【待填写】"


# ---- reading rendered HTML -----------------------------------------------------------------------


class _Tables(HTMLParser):
    """Every ``<figure class="table" id=…>`` of a page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.captions: dict[str, str] = {}
        self._id: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "figure" and "table" in (a.get("class") or "").split():
            self._id = a.get("id") or ""
            self.tables[self._id] = []
        elif self._id is None:
            return
        elif tag == "figcaption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._id is None:
            return
        if tag == "figcaption" and self._caption is not None:
            self.captions[self._id] = "".join(self._caption).strip()
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._id].append(self._row)
            self._row = None
        elif tag == "figure":
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)


def tables_of(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def row_value(table: list[list[str]], label: str) -> str:
    """The last cell (the value) of the row whose label cell is ``label``."""
    for row in table:
        if label in row[:-1]:
            return row[-1]
    raise AssertionError(f"no row {label!r} in {table}")


def rendered(folder: Path, mode: str = "site") -> tuple[ParkRenderer, dict[str, str]]:
    """The renderer of a report folder and the HTML of each chapter (second pass)."""
    page = renderer(folder, mode=mode)
    assert isinstance(page, ParkRenderer)
    return page, {path.stem: chapter_html(page, path) for path in chapter_files(folder)}


@pytest.fixture
def spec_site(park_folder: Path) -> tuple[ParkRenderer, dict[str, str]]:
    """spec/park-example.yml (unchanged) with the chapters of content/spec-park."""
    for chapter in chapter_files(REPO / "content" / "spec-park"):
        shutil.copyfile(chapter, park_folder / chapter.name)
    return rendered(park_folder)


@pytest.fixture(scope="module")
def cq_site() -> tuple[ParkRenderer, dict[str, str]]:
    return rendered(REPO / "content" / "cq-park")


# ---- C.1 and C.2 of the spec example -------------------------------------------------------------

#: spec/README.md §7 figures as the tables must show them: 万tCO₂e, 2 decimals.
SPEC_CELLS = [
    ("c1-2023", "总计", "136.37"),  # c1.2023.park.total 1363747.94
    ("c2-2024", "总排放量", "171.09"),  # c2.2024.total 1710931.30706
    ("c2-2024", "化工和石化行业", "25.44"),  # c2.2024.process.chemicals 254400
    ("c2-2024", "其他行业", "1.07"),  # c2.2024.process.other 10654.5
    ("c2-2024", "废水处理", "0.26"),  # c2.2024.waste.wastewater 2590
    ("c2-2024", "减排量（AE削减）", "0.63"),  # c2.2024.reductions 6325.2
    ("c1-2030.control", "总计", "121.98"),  # c1.2030.control.park.total 1219830.5
]


@pytest.mark.parametrize(("table", "label", "shown"), SPEC_CELLS)
def test_spec_figures_in_wan_tonnes_with_two_decimals(
    spec_site: tuple[ParkRenderer, dict[str, str]], table: str, label: str, shown: str
) -> None:
    _, pages = spec_site
    found = tables_of("".join(pages.values())).tables
    assert row_value(found[table], label) == shown


def test_spec_fossil_subtotal(spec_site: tuple[ParkRenderer, dict[str, str]]) -> None:
    _, pages = spec_site
    c2 = tables_of("".join(pages.values())).tables["c2-2024"]
    fossil = [row for row in c2 if "小计" in row and "化石燃料" not in row]
    assert fossil[0][-1] == "55.37"  # c2.2024.energy.fossil.subtotal 553659.00706


def test_c_tables_state_unit_and_decimals(spec_site: tuple[ParkRenderer, dict[str, str]]) -> None:
    _, pages = spec_site
    html = pages["06-status"]
    assert "（万tCO₂e）" in html
    assert "单位万tCO₂e，保留 2 位小数" in html


def _totals_on_page(pages: dict[str, str], periods: Sequence[str]) -> list[tuple[str, str, str]]:
    found = tables_of("".join(pages.values())).tables
    return [
        (p, row_value(found[f"c1-{p}"], "总计"), row_value(found[f"c2-{p}"], "总排放量"))
        for p in periods
    ]


def test_c1_total_equals_c2_total_on_the_page_for_every_period(
    spec_site: tuple[ParkRenderer, dict[str, str]],
    cq_site: tuple[ParkRenderer, dict[str, str]],
) -> None:
    for page, pages in (spec_site, cq_site):
        totals = _totals_on_page(pages, page.periods())
        assert len(totals) == len(page.result.periods)
        for period, c1, c2 in totals:
            assert c1 == c2, period


def test_every_period_has_its_c_tables(spec_site: tuple[ParkRenderer, dict[str, str]]) -> None:
    page, pages = spec_site
    captions = tables_of("".join(pages.values())).captions
    assert page.periods() == ["2023", "2024", "2030.baseline", "2030.control"]
    for p in page.periods():
        assert "产业园区分行业温室气体清单" in captions[f"c1-{p}"]
        assert "产业园区分领域温室气体清单" in captions[f"c2-{p}"]
    assert captions["c1-2030.control"].endswith("2030年 对照情景产业园区分行业温室气体清单")
    assert captions["c1-2023"].startswith("表 6-1")


# ---- snapshots -----------------------------------------------------------------------------------


def normalise(html: str) -> str:
    """Drop the volatile parts of rendered figures: hover cards and derivation numbers."""
    html = re.sub(r'(<a class="fig" data-key="[^"]*")[^>]*>', r"\1>", html)
    html = re.sub(r"〔\d+〕", "〔n〕", html)
    html = re.sub(r'href="#d-\d+"', 'href="#d-n"', html)
    return html.strip() + "\n"


def check_snapshot(name: str, html: str) -> None:
    path = SNAPSHOTS / name
    text = normalise(html)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if os.environ.get("CI") and not path.exists():
            pytest.fail(f"snapshot {path} missing; run with UPDATE_SNAPSHOTS=1 and commit it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"


@pytest.mark.parametrize("table", ["c1", "c2", "gases"])
def test_snapshot_of_2024_tables(park_folder: Path, table: str) -> None:
    page = renderer(park_folder, mode="site")
    assert isinstance(page, ParkRenderer)
    macro = {"c1": page.table_c1, "c2": page.table_c2, "gases": page.table_gases}[table]
    check_snapshot(f"spec-{table}-2024.html", str(macro("2024")))


# ---- the gas table -------------------------------------------------------------------------------


def test_gas_table_states_the_gwp_set_and_lists_family_members(
    cq_site: tuple[ParkRenderer, dict[str, str]],
) -> None:
    _, pages = cq_site
    parsed = tables_of(pages["06-status"])
    gases = parsed.tables["gases-2024"]
    assert "GWP（AR5，100 年）" in gases[0]
    labels = [cell for row in gases for cell in row]
    for gas in ("CO₂", "CH₄", "N₂O", "HFC-23（CHF₃）", "CF₄", "C₂F₆", "SF₆", "NF₃"):
        assert gas in labels, gas
    assert "6,630" in labels and "11,100" in labels and "16,100" in labels  # AR5 CF4, C2F6, NF3
    assert "IPCC 第五次评估报告（AR5）" in pages["06-status"]
    assert row_value(gases, "合计") == "100.00"


# ---- the map -------------------------------------------------------------------------------------


def _svg_of(markup: str) -> ET.Element:
    svg = markup[markup.index("<svg") : markup.index("</svg>") + len("</svg>")]
    return ET.fromstring(svg)


def test_map_without_boundary(spec_site: tuple[ParkRenderer, dict[str, str]]) -> None:
    page, _ = spec_site
    markup = str(page.map_enterprises())
    root = _svg_of(markup)
    assert 'class="boundary"' not in markup and "园区边界" not in markup
    names = {e.get("data-name") for e in root.iter("{http://www.w3.org/2000/svg}circle")}
    assert {"甲水泥有限公司", "乙化工有限公司", "丙电子有限公司"} <= names
    assert "重点企业分布图" in markup


def test_map_with_boundary_legend_scale_bar_and_north_arrow(
    cq_site: tuple[ParkRenderer, dict[str, str]],
) -> None:
    page, _ = cq_site
    markup = str(page.map_enterprises())
    _svg_of(markup)  # well-formed
    assert 'class="boundary"' in markup and "园区边界" in markup
    assert 'class="scale-bar"' in markup and 'class="north-arrow"' in markup
    assert 'class="key-ring"' in markup and "重点企业" in markup
    for group in ("电力行业", "建材行业", "有色金属行业", "化工和石化行业", "其他行业"):
        assert group in markup
    assert "临江铝业有限公司" in markup
    assert "<image" not in markup and "http" not in markup.replace("http://www.w3.org", "")


def test_broken_boundary_stops_the_renderer_naming_the_file(
    park_text: str, write_report: WriteReport
) -> None:
    folder = write_report(park_text + "boundary: park.geojson\n")
    (folder / "park.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"park\.geojson"):
        renderer(folder)


# ---- the worked example --------------------------------------------------------------------------


def test_worked_example_is_complete(cq_site: tuple[ParkRenderer, dict[str, str]]) -> None:
    page, pages = cq_site
    assert sorted(pages) == [
        "05-planning",
        "06-status",
        "07-identification",
        "08-prediction",
        "09-optimisation",
        "10-measures",
        "11-tracking",
        "12-access",
        "13-conclusions",
    ]
    text = "".join(pages.values())
    assert PLACEHOLDER not in text
    report = page.report
    assert len(report.history) == 3 and report.planning == [2030, 2035]
    groups = {i.group for i in report.industries}
    assert {"power", "building_materials", "nonferrous", "chemicals", "other"} <= groups
    kinds = {s.kind for s in report.sources}
    assert kinds == {
        "combustion",
        "boiler_n2o",
        "mobile",
        "biomass",
        "gas_fugitive",
        "electricity",
        "process",
        "wastewater",
        "reduction",
    }
    for table in ("targets", "measures", "indicators", "appendix-b", "sources", "enterprises"):
        assert f'id="{table}"' in text
    verdicts = tables_of(pages["08-prediction"]).tables["targets"]
    assert {row[-1] for row in verdicts[1:]} == {"达标", "未达标"}


def test_measures_table_groups_by_domain(cq_site: tuple[ParkRenderer, dict[str, str]]) -> None:
    _, pages = cq_site
    table = tables_of(pages["10-measures"]).tables["measures"]
    first_cells = [row[0] for row in table[1:]]
    assert first_cells[0] == "产业发展低碳化"
    assert "本评价提出" in [cell for row in table for cell in row]


# ---- the scaffold --------------------------------------------------------------------------------


def test_scaffold_has_one_chapter_per_guideline_section() -> None:
    names = [p.name for p in chapter_files(SCAFFOLD)]
    assert [int(n[:2]) for n in names] == list(range(5, 14))


def test_scaffold_placeholders_only_in_text_fields() -> None:
    data = yaml.safe_load((SCAFFOLD / "report.yml").read_text(encoding="utf-8"))
    text_fields = {"title", "district", "client", "assessor", "date", "source", "note", "text"}
    found: list[str] = []

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and PLACEHOLDER in node:
            found.append(key)

    walk(data)
    assert found and set(found) <= text_fields


def _site_config(root: Path) -> Path:
    """A copy of the project's mkdocs.yml for a content folder under ``root``."""
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("- templates/site.py", f"- {REPO / 'templates' / 'site.py'}")
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    shutil.copytree(REPO / "content" / "assets", root / "content" / "assets")
    shutil.copyfile(REPO / "content" / "index.md", root / "content" / "index.md")
    return root / "mkdocs.yml"


def _strict_build(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tanping.templates.publish import build_site

    config = _site_config(root)
    monkeypatch.setenv("TANPING_PDF", "0")
    monkeypatch.chdir(root)
    return build_site(config)


@pytest.mark.slow
def test_tanping_new_park_builds_strict(
    tmp_path: Path, cli: Callable[[Sequence[str]], CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "content" / "new-park"
    result = cli(["new", "--kind", "park", folder])
    assert result.code == 0, result.stderr
    assert (folder / "boundary.geojson").is_file()
    assert cli(["check", folder]).code == 0
    site = _strict_build(tmp_path, monkeypatch)
    pages = sorted(p.name for p in (site / "new-park").glob("*.html"))
    assert "06-status.html" in pages and "13-conclusions.html" in pages
    status = (site / "new-park" / "06-status.html").read_text(encoding="utf-8")
    assert "表 6-1" in status and "重点企业分布图" in status and 'class="boundary"' in status
    assert PLACEHOLDER in status


@pytest.mark.slow
def test_scaffold_builds_with_the_spec_example_as_report(
    tmp_path: Path,
    cli: Callable[[Sequence[str]], CliResult],
    park_text: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "content" / "spec-in-scaffold"
    assert cli(["new", "--kind", "park", folder]).code == 0
    (folder / "report.yml").write_text(park_text, encoding="utf-8")
    site = _strict_build(tmp_path, monkeypatch)
    prediction = (site / "spec-in-scaffold" / "08-prediction.html").read_text(encoding="utf-8")
    assert "报告未设定温室气体减排指标目标" in prediction
    measures = (site / "spec-in-scaffold" / "10-measures.html").read_text(encoding="utf-8")
    assert "报告未选用措施" in measures

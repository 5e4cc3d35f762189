"""The construction-project chapter (Beijing guideline) as rendered output.

Sources of the reference values:

- spec/README.md §7 (project-example.yml): B.2 = 8,683.86 | 8,395.57 | 433.00 | 16,646.43 |
  7,962.57 tCO₂/a and B.3 (工业总产值) = 233.21 (拟建工程) and 198.17 (总体工程) kgCO₂/万元, here
  rounded to 2 decimals as the tables print them;
- the guideline's tables B.1, B.2, B.3, C.1 (column and row layout) and clause 8.2 (the order
  考核目标 → 行业先进值 → 国内外先进值).

The rendered B.1, B.2 and B.3 tables of the spec example are snapshot-tested against
``tests/snapshots/project/*.html``. After an intended change of the output, rewrite them with::

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_project_render.py

and review the diff. Table and derivation numbers are normalised (``表 N``, ``#d-N``, ``〔N〕``), so
adding a table or figure elsewhere in the chapters does not break the snapshots; the derivation
texts of the hover titles are kept.
"""

from __future__ import annotations

import html as html_module
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from tanping.templates.publish import chapter_html, renderer
from tanping.templates.render import ReportRenderer, chapter_files
from tests.conftest import REPO, spec_example

SNAPSHOTS = Path(__file__).parent / "snapshots" / "project"
SCAFFOLD = REPO / "templates" / "scaffold" / "project"
HEATING = REPO / "content" / "bj-heating"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"

# spec/README.md §7, rounded to 2 decimals as the tables print them
SPEC_B2 = {
    "现有工程": "8,683.86",
    "拟建工程": "8,395.57",
    "“以新带老”碳减排量": "433.00",
    "总体工程": "16,646.43",
    "净新增": "7,962.57",
}
SPEC_B3 = {"拟建工程": "233.21", "总体工程": "198.17"}


# ---- helpers ------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """The rows of every ``<table>`` as lists of cell texts (spans are not expanded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, list[list[str]]]] = []
        self._part = "body"
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"head": [], "body": []})
        elif tag in ("thead", "tbody"):
            self._part = "head" if tag == "thead" else "body"
        elif tag == "tr" and self.tables:
            self.tables[-1][self._part].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][self._part][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> list[dict[str, list[list[str]]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def figure_html(html: str, figure_id: str) -> str:
    """The ``<figure …id="figure_id">…</figure>`` element of a rendered page."""
    match = re.search(
        rf'<figure class="[^"]*" id="{re.escape(figure_id)}">.*?</figure>', html, re.S
    )
    assert match, f"no figure {figure_id!r} in the page"
    return match.group(0)


def normalise(html: str) -> str:
    """Drop the numbers that depend on the rest of the document (tables, derivations)."""
    html = re.sub(r"表 \d+-\d+", "表 N", html)
    html = re.sub(r"图 \d+-\d+", "图 N", html)
    html = re.sub(r"#d-\d+", "#d-N", html)
    html = re.sub(r"&#34;n&#34;:\d+", "&#34;n&#34;:N", html)  # the number inside a hover card
    return re.sub(r"〔\d+〕", "〔N〕", html)


def text_of(html: str) -> str:
    text = re.sub(r"<(svg|table)\b.*?</\1>", "", html, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\s+", " ", text)


def make_report(folder: Path, text: str | None = None) -> Path:
    """A report folder: the scaffold chapters with ``text`` (default: the spec example) as
    report.yml, the way ``tanping new`` followed by replacing report.yml makes it."""
    from tanping.scaffold import new_report

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.yml").write_text(
        text if text is not None else spec_example("project-example.yml").read_text("utf-8"),
        encoding="utf-8",
    )
    new_report("project", folder, force=True)  # adds the chapters, keeps report.yml
    return folder


def chapter(page: ReportRenderer, stem: str) -> str:
    path = next(p for p in chapter_files(page.folder) if p.stem.startswith(stem))
    return chapter_html(page, path)


def spec_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(spec_example("project-example.yml").read_text("utf-8"))
    return data


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.fixture
def spec_folder(tmp_path: Path) -> Path:
    return make_report(tmp_path / "content" / "bj-biomed-expansion")


@pytest.fixture
def spec_page(spec_folder: Path) -> ReportRenderer:
    return renderer(spec_folder, mode="site")


# ---- snapshots of B.1, B.2, B.3 (spec example) --------------------------------------------------


@pytest.mark.parametrize("table_id", ["b1-existing", "b1-proposed", "b1-retired", "b2", "b3"])
def test_snapshot_of_table(spec_page: ReportRenderer, table_id: str) -> None:
    html = normalise(figure_html(chapter(spec_page, "02"), table_id)) + "\n"
    snapshot = SNAPSHOTS / f"{table_id}.html"
    if UPDATE or not snapshot.exists():
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(html, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"snapshot {snapshot.name} was missing and has been written; rerun")
    assert html == snapshot.read_text(encoding="utf-8"), (
        f"{table_id} differs from {snapshot}; if intended, rerun with UPDATE_SNAPSHOTS=1"
    )


# ---- the spec §7 figures in their rows and columns ----------------------------------------------


def test_b2_shows_the_spec_figures_in_the_guideline_columns(spec_page: ReportRenderer) -> None:
    (table,) = tables_of(figure_html(chapter(spec_page, "02"), "b2"))
    head = table["head"][0]
    assert head == ["", *SPEC_B2]  # the columns of table B.2, in its order
    (row,) = table["body"]
    assert row[0] == "碳排放量 (tCO₂/a)"
    assert dict(zip(head[1:], row[1:], strict=True)) == SPEC_B2


def test_b3_shows_the_spec_intensities_with_their_formulas(spec_page: ReportRenderer) -> None:
    (table,) = tables_of(figure_html(chapter(spec_page, "02"), "b3"))
    assert [c for c in table["head"][0] if c != "核算基准"] == ["现有工程", "拟建工程", "总体工程"]
    assert table["head"][1] == ["碳排放强度", "计算公式"] * 3
    (row,) = table["body"]
    assert row[0] == "工业总产值（kgCO₂/万元）"
    cells = dict(
        zip(
            ["现有工程", "拟建工程", "总体工程"],
            zip(row[1::2], row[2::2], strict=True),
            strict=True,
        )
    )
    assert cells["拟建工程"][0] == SPEC_B3["拟建工程"]
    assert cells["总体工程"][0] == SPEC_B3["总体工程"]
    # 计算公式 with the substituted values: B.2 totals over the basis, t -> kg written out
    assert "8,395.57 tCO₂/a × 1000 kg/t ÷ 36,000 万元" in cells["拟建工程"][1]
    assert "16,646.43 tCO₂/a × 1000 kg/t ÷ (48,000 万元 + 36,000 万元)" in cells["总体工程"][1]


def test_b1_has_every_parameter_row_and_the_guideline_columns(spec_page: ReportRenderer) -> None:
    (table,) = tables_of(figure_html(chapter(spec_page, "02"), "b1-proposed"))
    assert table["head"][0] == [
        "类别",
        "序号",
        "名称",
        "指标",
        "单位",
        "数值",
        "核算公式",
        "碳排放量(tCO₂/a)",
    ]
    cells = [c for row in table["body"] for c in row]
    for indicator in ("消耗量", "低位发热量", "单位热值含碳量", "碳氧化率"):
        assert cells.count(indicator) == 2  # 新建燃气锅炉 and 应急柴油发电机
    for indicator in ("活动水平", "排放因子", "外部电力消耗量", "电网年平均供电排放因子"):
        assert indicator in cells
    assert "外部热力消耗量" in cells and "热力供应排放因子" in cells
    for category in ("燃料燃烧", "工业生产过程与产品使用", "消耗外部电力", "消耗外部热力"):
        assert category in cells
    assert "26.32" in cells  # b1.proposed.应急柴油发电机 = 26.3152319173 (spec §7)
    assert any(c.startswith("消耗量 × 低位发热量") and "8.5 t × 42.652 GJ/t" in c for c in cells)
    assert table["body"][-1] == ["合计", "8,395.57"]


def test_b1_of_a_phase_without_some_categories_keeps_the_guideline_rows(
    spec_page: ReportRenderer,
) -> None:
    (table,) = tables_of(figure_html(chapter(spec_page, "02"), "b1-retired"))
    rows = table["body"]
    assert ["工业生产过程与产品使用", "—", "本工程无此类排放源", "—"] in rows
    assert "1,840.26" in figure_html(chapter(spec_page, "02"), "b1-existing")  # spec §7


# ---- rounding notes -----------------------------------------------------------------------------


def test_rounding_note_only_where_shown_parts_do_not_add_up(
    spec_page: ReportRenderer, tmp_path: Path
) -> None:
    note = "分项之和与合计可能略有出入"
    spec = chapter(spec_page, "02")
    assert note not in figure_html(spec, "b2")  # 8,683.86 + 8,395.57 − 433.00 = 16,646.43
    heating = renderer(HEATING, mode="site")
    page = chapter(heating, "02")
    # 50,403.74 + 18,744.83 − 20,949.40 = 48,199.17, shown total 48,199.18 (from unrounded parts)
    assert note in figure_html(page, "b2")
    # 27,692.35 + 20,071.58 + 2,639.82 = 50,403.75, shown total 50,403.74
    assert note in figure_html(page, "b1-existing")
    assert note not in figure_html(page, "b1-retired")


# ---- clause 8: verdicts follow the data ---------------------------------------------------------


def _level_text(folder: Path) -> str:
    return text_of(chapter(renderer(folder, mode="review"), "03"))


def test_changing_a_target_flips_the_verdict_sentence(tmp_path: Path) -> None:
    before = _level_text(make_report(tmp_path / "a" / "report"))
    sentence = "拟建工程碳排放强度为 233.21 kgCO₂/万元〔{n}〕，高于该值，不满足要求"
    assert re.search(re.escape(sentence).replace(r"\{n\}", r"\d+"), before)
    data = spec_data()
    data["controls"]["intensity"][0]["value"] = "250 kgCO2/万元"
    after = _level_text(make_report(tmp_path / "b" / "report", dump(data)))
    assert "以北京市医药制造业碳排放强度先进值（行业先进值，250 kgCO₂/万元）为评价基准" in after
    assert re.search(r"拟建工程碳排放强度为 233\.21 kgCO₂/万元〔\d+〕，低于该值，满足要求", after)
    assert "不满足" not in after


def test_levels_follow_the_order_of_clause_8_2(tmp_path: Path) -> None:
    text = _level_text(HEATING)
    # 3.2.1 考核目标 is the benchmark; 3.2.2 compares 行业先进值, then 国内外先进值, as references
    first = text.index("考核目标，58 kgCO₂/GJ）为评价基准")
    second = text.index("行业先进值，52 kgCO₂/GJ）为对标参考")
    third = text.index("国内外先进值，40 kgCO₂/GJ）为对标参考")
    assert first < second < third
    data = yaml.safe_load((HEATING / "report.yml").read_text("utf-8"))
    data["controls"]["intensity"] = [
        c for c in data["controls"]["intensity"] if c["level"] != "考核目标"
    ]
    folder = tmp_path / "bj-heating"
    shutil.copytree(HEATING, folder)
    (folder / "report.yml").write_text(dump(data), encoding="utf-8")
    text = _level_text(folder)
    assert "按指南 8.2.2 以所属行业碳排放强度先进值为基准进行评价" in text
    assert "行业先进值，52 kgCO₂/GJ）为评价基准" in text


def test_conclusion_of_the_worked_example_follows_the_target(tmp_path: Path) -> None:
    folder = tmp_path / "bj-heating"
    shutil.copytree(HEATING, folder)
    conclusion = text_of(chapter(renderer(folder, mode="review"), "06"))
    assert "拟建工程碳排放强度满足通州区新建集中供热项目碳排放强度控制目标要求" in conclusion
    assert "项目建设可行" in conclusion
    data = yaml.safe_load((folder / "report.yml").read_text("utf-8"))
    data["controls"]["intensity"][0]["value"] = "45 kgCO2/GJ"
    (folder / "report.yml").write_text(dump(data), encoding="utf-8")
    conclusion = text_of(chapter(renderer(folder, mode="review"), "06"))
    assert "拟建工程碳排放强度不满足通州区新建集中供热项目碳排放强度控制目标要求" in conclusion
    assert "项目建设可行" not in conclusion


def test_shares_have_significant_digits(spec_page: ReportRenderer) -> None:
    text = text_of(chapter(spec_page, "03"))
    # level.district_share_pct = 0.0430409260095 (spec §7): never printed as 0.00
    assert "占北京市大兴区碳排放总量目标（1850 万tCO₂）的 0.0430%" in text
    assert "占北京大兴生物医药产业基地碳排放总量目标（42 万tCO₂）的 1.90%" in text


# ---- a new project ------------------------------------------------------------------------------


def test_new_project_renders_without_existing_and_retired(tmp_path: Path) -> None:
    data = spec_data()
    del data["existing"], data["retired"]
    folder = make_report(tmp_path / "content" / "new-plant", dump(data))
    page = renderer(folder, mode="site")
    html = chapter(page, "02")
    assert 'id="b1-existing"' not in html and 'id="b1-retired"' not in html
    (b2,) = tables_of(figure_html(html, "b2"))
    row = dict(zip(b2["head"][0][1:], b2["body"][0][1:], strict=True))
    assert row == {
        "现有工程": "—",
        "拟建工程": "8,395.57",
        "“以新带老”碳减排量": "—",
        "总体工程": "8,395.57",
        "净新增": "8,395.57",
    }
    assert "本项目为新建项目" in figure_html(html, "b2")
    (b3,) = tables_of(figure_html(html, "b3"))
    assert b3["body"][0][1:3] == ["—", "—"]  # 现有工程: not applicable
    assert b3["body"][0][3] == "233.21"
    assert "总体工程" not in figure_html(html, "structure").split("<figcaption>")[0]
    level = text_of(chapter(page, "03"))
    assert "本项目为新建项目，碳排放量（即净新增碳排放量）为 8,395.57 tCO₂/a" in level
    overview = text_of(chapter(page, "01"))
    assert "本项目为新建项目，无现有工程" in overview


def test_expansion_without_retired_sources_shows_zero_offset(tmp_path: Path) -> None:
    data = spec_data()
    del data["retired"]
    page = renderer(make_report(tmp_path / "content" / "x", dump(data)), mode="site")
    (b2,) = tables_of(figure_html(chapter(page, "02"), "b2"))
    row = dict(zip(b2["head"][0][1:], b2["body"][0][1:], strict=True))
    assert row["“以新带老”碳减排量"] == "0.00"
    assert row["总体工程"] == "17,079.44"  # 8,683.86 + 8,395.57 (unrounded parts)


# ---- factors: source, year and grade ------------------------------------------------------------


def test_factor_table_lists_source_year_and_grade(spec_page: ReportRenderer) -> None:
    (table,) = tables_of(figure_html(chapter(spec_page, "02"), "factors"))
    assert table["head"][0][-3:] == ["来源", "年份", "等级"]
    rows = {(r[1], r[2]): r for r in table["body"]}
    grid = rows[("电力", "电网年平均供电排放因子")]
    assert grid[3] == "0.5703 tCO₂/MWh" and grid[-1] == "C"  # matched in the library (mee-nbs)
    assert rows[("热力", "热力供应排放因子")][-2:] == ["2019", "B"]
    assert rows[("天然气", "单位热值含碳量")][-3:] == ["报告给出", "—", "—"]  # 0.01532: not found
    heating = renderer(HEATING, mode="site")
    (table,) = tables_of(figure_html(chapter(heating, "02"), "factors"))
    rows = {(r[1], r[2]): r for r in table["body"]}
    grid = rows[("电力", "电网年平均供电排放因子")]
    assert "华北，2023年数据" in grid[5] and grid[-1] == "B"
    carbon = rows[("天然气", "单位热值含碳量")]
    assert carbon[3] == "0.0153 tC/GJ（15.3 tC/TJ，缺省值）"
    assert carbon[5].startswith("GB/T 32151.22-2024") and carbon[-2:] == ["2024", "C"]


# ---- derivations: hover in the site, numbered appendix in print ---------------------------------


def test_every_computed_number_hovers_its_derivation(spec_page: ReportRenderer) -> None:
    for stem in ("01", "02", "03", "04", "06"):
        html = chapter(spec_page, stem)
        figures = re.findall(r'<a class="fig"[^>]*>', html)
        # the derivation travels with the figure: a hover card (data-card) or a title
        assert all(re.search(r'(data-card|title)="[^"]+"', f) for f in figures)
        for cell in re.findall(r'<td class="num">(.*?)</td>', html, re.S):
            assert cell == "—" or 'class="fig"' in cell or ' title="' in cell, (stem, cell)
    b2 = html_module.unescape(figure_html(chapter(spec_page, "02"), "b2"))
    # 总体工程 is derived from its parts, with the shown (rounded) values substituted
    assert "8,683.86 tCO₂/a + 8,395.57 tCO₂/a − 433.00 tCO₂/a" in b2


@pytest.mark.parametrize("mode", ["print", "review"])
def test_print_refers_to_the_numbered_derivation_appendix(spec_folder: Path, mode: str) -> None:
    page = renderer(spec_folder, mode=mode)
    html = "".join(chapter_html(page, p) for p in chapter_files(spec_folder))
    appendix = str(page.derivations())
    refs = set(re.findall(r'href="#d-(\d+)">〔(\d+)〕', html))
    assert refs and all(a == b for a, b in refs)
    ids = set(re.findall(r'<(?:li|tr) id="d-(\d+)"', appendix))
    assert {a for a, _ in refs} == ids  # every marker has its entry, every entry a marker
    assert ' title="' not in html  # no hover titles in print


# ---- chart --------------------------------------------------------------------------------------


def test_structure_chart_is_numbered_and_captioned_below(spec_page: ReportRenderer) -> None:
    chart = figure_html(chapter(spec_page, "02"), "structure")
    assert chart.index("<svg") < chart.index("<figcaption>图 2-1　各工程碳排放结构</figcaption>")
    for text in ("现有工程", "拟建工程", "总体工程", "化石燃料燃烧", "外购电力"):
        assert f">{text}<" in chart


# ---- escaping -----------------------------------------------------------------------------------


def test_data_is_escaped_and_never_evaluated(tmp_path: Path) -> None:
    data = spec_data()
    data["title"] = "{{ 7*7 }}项目碳排放评价"
    data["proposed"]["fuels"][0]["name"] = "<script>alert(1)</script>"
    page = renderer(make_report(tmp_path / "content" / "x", dump(data)), mode="site")
    overview, accounting = chapter(page, "01"), chapter(page, "02")
    shown = html_module.unescape(overview)
    assert "{{ 7*7 }}项目位于" in shown and "49项目" not in shown
    for html in (overview, accounting):
        assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in accounting


# ---- the A.1 unit check -------------------------------------------------------------------------


def test_basis_not_fitting_the_industry_unit_is_an_error_with_a_hint(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    data = yaml.safe_load((HEATING / "report.yml").read_text("utf-8"))
    data["proposed"]["basis"]["供热面积"] = "1330000 m2"
    folder = tmp_path / "content" / "x"
    folder.mkdir(parents=True)
    (folder / "report.yml").write_text(dump(data), encoding="utf-8")
    result = cli(["check", folder])
    assert result.code == 2
    assert "proposed.basis.供热面积" in result.stderr
    assert "与行业 “电力、热力生产和供应业” 的碳排放强度单位（kgCO₂/GJ、kgCO₂/MWh）不相符" in (
        result.stderr
    )
    assert "修改建议" in result.stderr


# ---- tanping new, then a strict MkDocs build ----------------------------------------------------


def _site(tmp_path: Path) -> Path:
    """A self-contained MkDocs project: the repo's mkdocs.yml with its hook, an empty content."""
    content = tmp_path / "content"
    content.mkdir(exist_ok=True)
    shutil.copytree(REPO / "content" / "assets", content / "assets")
    (content / "index.md").write_text("# 碳评\n", encoding="utf-8")
    config = (REPO / "mkdocs.yml").read_text("utf-8")
    config = config.replace("  - templates/site.py", f"  - {REPO / 'templates' / 'site.py'}")
    (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")
    return tmp_path / "mkdocs.yml"


def _mkdocs_build(config: Path, *, pdf: bool) -> subprocess.CompletedProcess[str]:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    env = {**os.environ, "TANPING_PDF": "1" if pdf else "0", "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [str(mkdocs), "build", "--strict", "-f", str(config)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize(
    "variant", ["scaffold", "spec-example", "new-project", "worked-example", "hostile-data"]
)
def test_tanping_new_then_strict_mkdocs_build(
    tmp_path: Path, tanping: Callable[..., Any], variant: str
) -> None:
    config = _site(tmp_path)
    folder = tmp_path / "content" / "my-report"
    created = tanping(["new", "--kind", "project", folder])
    assert created.code == 0, created.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in SCAFFOLD.iterdir())
    data = spec_data()
    if variant == "spec-example":
        shutil.copyfile(spec_example("project-example.yml"), folder / "report.yml")
    elif variant == "new-project":
        del data["existing"], data["retired"], data["park"], data["controls"]["park_total"]
        (folder / "report.yml").write_text(dump(data), encoding="utf-8")
    elif variant == "worked-example":
        shutil.copyfile(HEATING / "report.yml", folder / "report.yml")
    elif variant == "hostile-data":
        data["title"] = "{{ 7*7 }}项目碳排放评价"
        data["proposed"]["fuels"][0]["name"] = "<script>alert(1)</script>"
        (folder / "report.yml").write_text(dump(data), encoding="utf-8")
    built = _mkdocs_build(config, pdf=variant == "spec-example")
    assert built.returncode == 0, built.stdout + built.stderr
    site = tmp_path / "site" / "my-report"
    accounting = (site / "02-accounting.html").read_text("utf-8")  # offline: no directory URLs
    assert 'id="b2"' in accounting and "<svg" in accounting
    if variant == "spec-example":
        # the scaffold's chapters keep their 【待填写】: a draft, named so
        assert (site / "my-report-草稿.pdf").stat().st_size > 10_000
    if variant == "hostile-data":
        assert "<script>alert(1)</script>" not in accounting
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in accounting


def test_worked_example_has_no_placeholders() -> None:
    for path in chapter_files(HEATING):
        assert "待填写" not in path.read_text("utf-8"), path.name
    assert "待填写" not in (HEATING / "report.yml").read_text("utf-8")


def test_spec_report_yml_is_the_spec_example() -> None:
    assert (REPO / "content" / "spec-project" / "report.yml").read_bytes() == spec_example(
        "project-example.yml"
    ).read_bytes()

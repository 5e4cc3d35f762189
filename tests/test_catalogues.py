"""The guideline catalogues in calc/data are faithful transcriptions of their source tables.

- measures_cq.yml      重庆 附录D 表D 减污降碳协同管控措施
- indicators_cq.yml    重庆 附录B 温室气体排放环境影响评价参考指标
- industry_units_bj.yml 北京 附录A 表A.1 行业碳排放强度单位参考表

The tests against the seed texts (the guidelines as extracted text) are skipped where the seeds are
not available; the structural tests always run.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tanping import units

DATA = Path(__file__).resolve().parents[1] / "calc" / "data"
SEEDS = DATA / "guidelines"  # the guideline texts, vendored
SEED_CQ = SEEDS / "chongqing-park-ghg-guideline.txt"
SEED_BJ = SEEDS / "beijing-project-carbon-guideline.txt"

CATALOGUES = ["measures_cq.yml", "indicators_cq.yml", "industry_units_bj.yml"]


def _load(name: str) -> Any:
    with (DATA / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _seed(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _section(text: str, start: str, end: str | None = None) -> list[str]:
    """The stripped, non-empty lines after the line starting with ``start`` (up to ``end``)."""
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    out: list[str] = []
    for line in lines[first + 1 :]:
        if end is not None and line.strip() == end:
            break
        if line.strip():
            out.append(line.strip())
    return out


@pytest.fixture(scope="module")
def measures() -> list[dict[str, Any]]:
    data = _load("measures_cq.yml")
    assert isinstance(data["measures"], list)
    return data["measures"]


@pytest.fixture(scope="module")
def groups() -> list[dict[str, Any]]:
    data = _load("indicators_cq.yml")
    assert isinstance(data["groups"], list)
    return data["groups"]


@pytest.fixture(scope="module")
def industries() -> list[dict[str, Any]]:
    data = _load("industry_units_bj.yml")
    assert isinstance(data["industries"], list)
    return data["industries"]


# ---- all catalogues ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CATALOGUES)
def test_catalogue_loads_and_names_its_source(name: str) -> None:
    data = _load(name)
    assert isinstance(data, dict)
    assert isinstance(data["source"], str) and data["source"].strip()


# ---- 重庆 附录D: measures ----------------------------------------------------------------------

MEASURE_SPOT_CHECKS = [
    "严控新增煤电项目",
    "推动煤电节能降碳改造、灵活性改造、供热改造“三改联动”",
    "鼓励实施“以氢代碳”",
    "鼓励增加废钢利用",
    "推动钢化联产，依托钢铁企业副产煤气富含的大量氢气和一氧化碳资源，生产高附加值化工产品。",
    "不再新增独立的水泥粉磨产能",
    "引导水泥企业通过利用磷钛氟石膏、矿钢镁渣、粉煤灰等非碳酸盐原料实现原料替代",
    "探索惰性阳极技术",
    "推动二氧化碳资源化利用路径研究，探索“以化固碳”产业路径",
    "鼓励开展近零碳园区建设",
    "结合余热品位，提高余热余压利用量。",
    "鼓励物流用车采用新能源汽车",
    "在具有地形条件的地区，利用尾水排放进行能量回收。",
]

MEASURES_PER_DOMAIN = {
    "产业发展低碳化": 33,
    "能源利用低碳化": 5,
    "交通运输低碳化": 3,
    "基础设施低碳化": 5,
}


def test_measure_fields(measures: list[dict[str, Any]]) -> None:
    for m in measures:
        assert set(m) == {"id", "domain", "direction", "path", "text"}, m
        for key in ("domain", "direction", "text"):
            assert isinstance(m[key], str) and m[key], (m["id"], key)
            assert m[key] == m[key].strip() and not re.search(r"\s", m[key]), (m["id"], key)
        assert isinstance(m["path"], str)


def test_measure_ids_unique_ascii_stable(measures: list[dict[str, Any]]) -> None:
    ids = [m["id"] for m in measures]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for mid in ids:
        assert re.fullmatch(r"D(-[a-z]+(?:-[a-z]+)*)+-[1-9]\d*", mid), mid
        assert mid.isascii()


def test_measure_counts_per_domain(measures: list[dict[str, Any]]) -> None:
    assert Counter(m["domain"] for m in measures) == MEASURES_PER_DOMAIN
    assert len(measures) == sum(MEASURES_PER_DOMAIN.values())


def test_measure_spot_checks_in_catalogue(measures: list[dict[str, Any]]) -> None:
    texts = {m["text"] for m in measures}
    missing = [t for t in MEASURE_SPOT_CHECKS if t not in texts]
    assert not missing


def test_measure_spot_checks_in_seed() -> None:
    seed = _seed(SEED_CQ)
    assert len(MEASURE_SPOT_CHECKS) >= 8
    for text in MEASURE_SPOT_CHECKS:
        assert text in seed, text


def test_every_measure_is_verbatim_in_seed(measures: list[dict[str, Any]]) -> None:
    seed = _seed(SEED_CQ)
    appendix_d = seed[seed.index("表D减污降碳协同管控措施") :]
    for m in measures:
        assert m["text"] in appendix_d, m["id"]


def test_every_cell_of_table_d_is_in_catalogue_in_order(measures: list[dict[str, Any]]) -> None:
    """Every line of 表D is a header, a domain/direction/path label or a measure, in order."""
    lines = _section(_seed(SEED_CQ), "表D减污降碳协同管控措施")
    assert lines[:3] == ["协同减排领域", "协同减排方向", "协同减排路径"]
    labels = {m[key] for m in measures for key in ("domain", "direction", "path")}
    assert [line for line in lines[3:] if line not in labels] == [m["text"] for m in measures]
    # and the labels carry the row structure of the source
    for m in measures:
        assert m["domain"] in lines and m["direction"] in lines
        assert m["path"] == "" or m["path"] in lines


def test_measures_without_path(measures: list[dict[str, Any]]) -> None:
    no_path = {m["direction"] for m in measures if m["path"] == ""}
    assert no_path == {
        "其他领域",
        "清洁能源替代",
        "能源效率提升",
        "集中供热设施",
        "优化运输结构",
        "废物低碳化处置",
        "新能源开发",
    }


# ---- 重庆 附录B: indicators --------------------------------------------------------------------

COMPUTES = {"output_value", "value_added", "product", "energy", "raw_material", None}
GROUP_IDS = [
    "power",
    "steel",
    "building_materials",
    "nonferrous",
    "chemicals",
    "other",
    "energy",
    "transport",
    "infrastructure",
    "ghg_management",
]


def _indicators(groups: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(kind, ind) for g in groups for kind in ("performance", "optional") for ind in g[kind]]


def test_indicator_groups(groups: list[dict[str, Any]]) -> None:
    assert [g["id"] for g in groups] == GROUP_IDS
    for g in groups:
        assert set(g) == {"id", "level1", "group", "performance", "optional"}, g["id"]
        assert isinstance(g["performance"], list) and isinstance(g["optional"], list)
        assert g["optional"], g["id"]
    industry = [g for g in groups if g["level1"] == "产业发展低碳化"]
    assert [g["group"] for g in industry] == [
        "重点行业（电力）",
        "重点行业（钢铁）",
        "重点行业（建材）",
        "重点行业（有色金属）",
        "重点行业（化工）",
        "其他",
    ]
    assert all(g["group"] is None for g in groups if g["level1"] != "产业发展低碳化")
    # a printed “/” in the performance column
    assert [g["id"] for g in groups if not g["performance"]] == GROUP_IDS[5:]


def test_indicator_counts(groups: list[dict[str, Any]]) -> None:
    kinds = Counter(kind for kind, _ in _indicators(groups))
    assert kinds == {"performance": 16, "optional": 29}


def test_indicator_computes(groups: list[dict[str, Any]]) -> None:
    prefixes = {
        "单位工业总产值二氧化碳排放量": "output_value",
        "单位工业增加值二氧化碳排放量": "value_added",
        "单位产品二氧化碳排放量": "product",
        "单位原料二氧化碳排放量": "raw_material",
    }
    for kind, ind in _indicators(groups):
        assert set(ind) <= {"text", "computes", "note"}, ind
        assert "computes" in ind, ind["text"]
        assert ind["computes"] in COMPUTES, ind
        expected = next((v for p, v in prefixes.items() if ind["text"].startswith(p)), None)
        assert ind["computes"] == expected, ind["text"]
        if kind == "performance":
            assert expected is not None, ind["text"]
    energy = next(g for g in groups if g["id"] == "energy")
    assert all(ind["computes"] is None for ind in energy["optional"])


def test_indicator_typos_are_kept_with_note(groups: list[dict[str, Any]]) -> None:
    typo = [ind for _, ind in _indicators(groups) if "铺集" in ind["text"]]
    assert len(typo) == 4
    assert all("捕集" in ind["note"] for ind in typo)
    assert not any("捕集" in ind["text"] for _, ind in _indicators(groups))


def test_every_indicator_is_verbatim_in_appendix_b(groups: list[dict[str, Any]]) -> None:
    lines = _section(_seed(SEED_CQ), "温室气体排放环境影响评价参考指标", "附录C")
    assert lines[:4] == ["一级指标", "二级指标", "温室气体排放绩效参考指标", "其他可选参考指标"]
    labels = {g["level1"] for g in groups} | {g["group"] for g in groups} | {"/"}
    assert [line for line in lines[4:] if line not in labels] == [
        ind["text"] for _, ind in _indicators(groups)
    ]


# ---- 北京 表A.1: industry units ----------------------------------------------------------------

MACHINE_UNITS = {
    "kgCO2/万元",
    "kgCO2/辆",
    "kgCO2/GJ",
    "kgCO2/MWh",
    "kgCO2/万Nm3",
    "kgCO2/m3",
    "kgCO2/t",
    "kgCO2/m2",
    "kgCO2/km",
}


def _units(industries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [u for row in industries for u in row["units"]]


def test_a1_rows_numbered_in_order(industries: list[dict[str, Any]]) -> None:
    assert [row["no"] for row in industries] == list(range(1, 29))
    assert industries[0]["name"] == "农副食品加工业"
    assert industries[-1]["name"] == "交通运输业、管道运输业"
    for row in industries:
        assert set(row) == {"no", "name", "units"}, row
        assert row["units"], row["no"]


def test_a1_rows_match_seed(industries: list[dict[str, Any]]) -> None:
    text = _seed(SEED_BJ)
    table = text[text.index("表 A.1 行业碳排放强度单位参考表") : text.index("附录 B\n")]
    rows = re.findall(r"^(\d+)\t([^\t\n]+)\t([^\n]+)$", table, flags=re.MULTILINE)
    assert len(rows) == 28
    for row, (no, name, cell) in zip(industries, rows, strict=True):
        assert row["no"] == int(no)
        assert row["name"] == name.strip()
        printed = [re.sub(r"\s", "", part) for part in cell.split("、")]
        assert [re.sub(r"\s", "", u["label"]) for u in row["units"]] == printed, no


def test_a1_units_parse(industries: list[dict[str, Any]]) -> None:
    for u in _units(industries):
        assert set(u) <= {"label", "unit", "note"}, u
        if u["unit"] is None:
            assert u.get("note"), u["label"]
            continue
        assert u["unit"] in MACHINE_UNITS, u
        units.parse_unit(u["unit"])  # raises UnitError if the registry cannot read it


def test_a1_unit_mapping(industries: list[dict[str, Any]]) -> None:
    by_no = {row["no"]: row for row in industries}
    assert [u["unit"] for u in by_no[14]["units"]] == ["kgCO2/万元", "kgCO2/辆"]
    assert [u["unit"] for u in by_no[19]["units"]] == ["kgCO2/GJ", "kgCO2/MWh"]
    assert [u["unit"] for u in by_no[20]["units"]] == ["kgCO2/万Nm3"]
    assert by_no[20]["units"][0]["note"]
    assert [u["unit"] for u in by_no[21]["units"]] == ["kgCO2/m3", "kgCO2/t"]
    assert [u["unit"] for u in by_no[25]["units"]] == ["kgCO2/m2", None]
    assert [u["unit"] for u in by_no[28]["units"]] == ["kgCO2/m2", None, "kgCO2/km", None, None]
    # the gas volume is a volume at reference conditions, not a geometric volume
    assert units.describe_unit("kgCO2/万Nm3") != units.describe_unit("kgCO2/万m3")
    # labels keep the printed subscripts and superscripts
    assert by_no[1]["units"][0]["label"] == "kgCO₂/万元"
    assert by_no[20]["units"][0]["label"] == "kgCO₂/万m³"
    assert by_no[22]["units"][0]["label"] == "kgCO₂/m²"

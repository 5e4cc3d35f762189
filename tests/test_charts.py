"""The SVG charts and the enterprise map: well-formed, escaped, deterministic, honest geometry."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from tanping.templates.charts import (
    FONT_FAMILY,
    GROUP_COLOURS,
    MapPoint,
    donut,
    enterprise_map,
    grouped_bars,
    line_chart,
    palette,
    stacked_bars,
)

NS = "{http://www.w3.org/2000/svg}"
U = "万tCO₂e"
HOSTILE = "<script>alert(1)</script>"
KM_PER_DEG = 6371.0088 * math.pi / 180  # computed here, not imported: the test checks the module

PHASES = ["现有工程", "拟建工程", "“以新带老”", "总体工程"]
SOURCES = [
    ("化石燃料燃烧", [85.42, 36.18, 0.0, 121.6]),
    ("工业生产过程", [12.3, 8.75, 0.0, 21.05]),
    ("外购电力", [6.84, 4.12, 0.0, 10.96]),
    ("以新带老削减量", [0.0, 0.0, -9.86, -9.86]),
]

BOUNDARY = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "核心区"},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    [
                        [[106.54, 38.05], [106.79, 38.05], [106.79, 38.16], [106.54, 38.14]],
                        [[106.66, 38.10], [106.67, 38.10], [106.67, 38.11], [106.66, 38.10]],
                    ],
                    [[[106.80, 38.06], [106.83, 38.06], [106.83, 38.09], [106.80, 38.06]]],
                ],
            },
        }
    ],
}


def _points() -> list[MapPoint]:
    return [
        MapPoint("第一热电厂", 106.612, 38.135, 3_850_000, "power", "电力", key=True),
        MapPoint("煤制油分公司", 106.705, 38.071, 4_620_000, "chemicals", "化工", key=True),
        MapPoint("甲醇厂", 106.640, 38.060, 920_000, "chemicals", "化工"),
        MapPoint("特钢公司", 106.560, 38.115, 1_240_000, "steel", "钢铁"),
        MapPoint("水泥熟料厂", 106.740, 38.125, 680_000, "building_materials", "建材"),
        MapPoint("电解铝厂", 106.760, 38.095, 2_150_000, "nonferrous", "有色"),
        MapPoint("物流园", 106.700, 38.120, 5_500, "other", "其他"),
    ]


def _all_charts() -> dict[str, Callable[[], str]]:
    return {
        "stacked": lambda: stacked_bars(PHASES, SOURCES, unit=U),
        "grouped": lambda: grouped_bars(
            ["2025年", "2030年", "2035年"],
            [("基准情景", [1250.6, 1586.3, 1802.4]), ("控制情景", [1180.2, 1320.9, 1295.7])],
            unit=U,
        ),
        "line": lambda: line_chart(
            ["2019", "2020", "2021", "2022", "2023"],
            [("园区排放", [812.3, 845.1, None, 950.2, 978.4]), ("强度", [6.1, 5.9, 5.8, 5.6, 5.5])],
            unit=U,
        ),
        "donut": lambda: donut(
            [("化石燃料燃烧", 121.6), ("工业生产过程", 21.05), ("外购电力", 10.96)], unit=U
        ),
        "map": lambda: enterprise_map(_points(), boundary=BOUNDARY, title="园区重点企业分布"),
        "map_plain": lambda: enterprise_map(_points()),
    }


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def ticks(root: ET.Element) -> list[float]:
    (axis,) = by_class(root, "y-axis")
    return [float((t.text or "").replace(",", "")) for t in axis.iter(f"{NS}text")]


def is_round(v: float) -> bool:
    """1, 2, 2.5 or 5 × 10^k."""
    exp = math.floor(math.log10(v))
    mantissa = v / 10**exp
    return any(math.isclose(mantissa, m, rel_tol=1e-9) for m in (1, 2, 2.5, 5, 10))


# --------------------------------------------------------------------------------------------
# every chart


@pytest.mark.parametrize("name", list(_all_charts()))
def test_well_formed_accessible_and_sized(name: str) -> None:
    svg = _all_charts()[name]()
    root = parse(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("font-family") == FONT_FAMILY
    w, h = root.get("width"), root.get("height")
    assert w and h and root.get("viewBox") == f"0 0 {w} {h}"
    children = list(root)
    assert children[0].tag == f"{NS}title" and children[0].text
    assert children[1].tag == f"{NS}desc" and children[1].text
    assert " id=" not in svg  # several charts share one page
    assert "<script" not in svg and "nan" not in svg and "inf" not in svg
    assert "\n\n" not in svg  # a blank line would end an HTML block in Markdown


@pytest.mark.parametrize("name", list(_all_charts()))
def test_deterministic(name: str) -> None:
    make = _all_charts()[name]
    assert make() == make()


@pytest.mark.parametrize("name", list(_all_charts()))
def test_coordinates_have_at_most_two_decimals(name: str) -> None:
    svg = _all_charts()[name]()
    root = parse(svg)
    geometry = ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "d")
    for el in root.iter():
        for attr in geometry:
            value = el.get(attr)
            if value:
                assert not re.search(r"\d\.\d{3}", value), (el.tag, attr, value)


def test_chinese_text_is_kept() -> None:
    root = parse(stacked_bars(PHASES, SOURCES, unit=U))
    shown = texts(root)
    for label in [*PHASES, "化石燃料燃烧", "以新带老削减量", f"单位：{U}"]:
        assert label in shown


# --------------------------------------------------------------------------------------------
# escaping


def test_hostile_labels_come_out_as_text() -> None:
    outputs = [
        stacked_bars([HOSTILE, "a&b"], [(HOSTILE, [1.0, 2.0])], unit=HOSTILE, title=HOSTILE),
        grouped_bars([HOSTILE], [(HOSTILE, [1.0]), ('"quoted"', [2.0])], unit=HOSTILE),
        line_chart([HOSTILE, "b"], [(HOSTILE, [1.0, 2.0])], unit=HOSTILE),
        donut([(HOSTILE, 1.0), ("b", 2.0)], unit=HOSTILE),
        enterprise_map(
            [MapPoint(HOSTILE, 117.2, 39.1, 10.0, '"><g onload="x', HOSTILE, key=True)],
            title=HOSTILE,
        ),
    ]
    for svg in outputs:
        assert "<script>" not in svg
        root = parse(svg)
        assert not [e for e in root.iter() if e.tag.endswith("script")]
        assert all(not k.startswith("on") for e in root.iter() for k in e.attrib)
        shown = texts(root)
        assert any(HOSTILE in t for t in shown)
        assert HOSTILE in (root.find(f"{NS}desc").text or "")  # type: ignore[union-attr]


def test_characters_forbidden_in_xml_are_dropped() -> None:
    root = parse(stacked_bars(["a\x00b\x1f"], [("c\x0bd", [1.0])], unit="t\x08"))
    assert "ab" in texts(root)


# --------------------------------------------------------------------------------------------
# bars


def test_stacked_negative_part_goes_below_zero_and_total_is_net() -> None:
    root = parse(stacked_bars(PHASES, SOURCES, unit=U))
    (zero,) = by_class(root, "zero-line")
    y0 = float(zero.get("y1", "nan"))
    reduction = palette([name for name, _ in SOURCES])["以新带老削减量"]
    (bars,) = by_class(root, "bars")
    rects = [r for r in bars if r.get("fill") == reduction]
    assert len(rects) == 2  # "以新带老" and 总体工程
    for r in rects:
        assert math.isclose(float(r.get("y", "nan")), y0, abs_tol=0.01)
        assert float(r.get("height", "0")) > 0
    assert min(ticks(root)) < 0 <= max(ticks(root))
    totals = [t.text for t in by_class(root, "total")]
    assert totals == ["104.6", "49.1", "-9.9", "143.8"]  # 1 decimal above 100, half up
    root = parse(stacked_bars(PHASES, SOURCES, unit=U, decimals=2))
    assert [t.text for t in by_class(root, "total")] == ["104.56", "49.05", "-9.86", "143.75"]


def test_stacked_all_negative_label_below_bar() -> None:
    root = parse(stacked_bars(["2021年", "2022年"], [("削减量", [-3.2, -5.1])], unit=U))
    (zero,) = by_class(root, "zero-line")
    y0 = float(zero.get("y1", "nan"))
    labels = by_class(root, "total")
    assert [t.text for t in labels] == ["-3.20", "-5.10"]
    assert all(float(t.get("y", "nan")) > y0 for t in labels)
    assert max(ticks(root)) == 0


@pytest.mark.parametrize("make", [stacked_bars, grouped_bars])
def test_bars_with_all_zero_data(make: Callable[..., str]) -> None:
    svg = make(["A", "B"], [("化石燃料燃烧", [0.0, 0.0]), ("外购电力", [0.0, 0.0])], unit=U)
    root = parse(svg)
    tick_values = ticks(root)
    assert tick_values[0] == 0 and tick_values[-1] > 0
    assert "nan" not in svg


def test_ticks_are_round_and_cover_the_data() -> None:
    for data in ([0.0, 3.3, 7.77], [1250.6, 1802.4], [0.012, 0.034], [-9.86, 155.0], [0.0, 1e6]):
        root = parse(grouped_bars([str(i) for i in range(len(data))], [("s", data)], unit=U))
        values = ticks(root)
        steps = {round(b - a, 9) for a, b in itertools.pairwise(values)}
        assert len(steps) == 1
        assert is_round(steps.pop())
        assert values[0] <= min(0.0, *data) and values[-1] >= max(data)


def test_grouped_negative_bar_hangs_from_zero() -> None:
    root = parse(grouped_bars(["2030年"], [("基准", [5.0]), ("控制", [-2.0])], unit=U))
    (zero,) = by_class(root, "zero-line")
    y0 = float(zero.get("y1", "nan"))
    bars = list(by_class(root, "bars")[0])
    up, down = bars
    assert math.isclose(float(up.get("y", "0")) + float(up.get("height", "0")), y0, abs_tol=0.02)
    assert math.isclose(float(down.get("y", "0")), y0, abs_tol=0.02)
    assert by_class(root, "value")  # labels fit one category comfortably


def test_series_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError):
        stacked_bars(["a", "b"], [("s", [1.0])], unit=U)
    with pytest.raises(ValueError):
        grouped_bars([], [("s", [])], unit=U)
    with pytest.raises(ValueError):
        stacked_bars(["a"], [("s", [math.nan])], unit=U)


# --------------------------------------------------------------------------------------------
# line and donut


def test_line_gap_splits_the_line() -> None:
    root = parse(line_chart(list("abcde"), [("s", [1.0, 2.0, None, 3.0, 4.0])], unit=U))
    (series,) = by_class(root, "series")
    paths = [p for p in series.iter(f"{NS}path") if p.get("fill") == "none"]
    assert len(paths) == 2
    markers = [e for e in series if e.tag != f"{NS}path" or e.get("fill") != "none"]
    assert len(markers) == 4


def test_line_all_gaps_and_single_point() -> None:
    parse(line_chart(["2020", "2021"], [("s", [None, None])], unit=U))
    parse(line_chart(["2020"], [("s", [3.0])], unit=U))


def test_donut_shares_add_up_and_all_zero() -> None:
    root = parse(donut([("甲", 1.0), ("乙", 1.0), ("丙", 1.0)], unit=U))
    shares = [t for t in texts(root) if t.endswith("%")]
    assert sum(float(s[:-1]) for s in shares) == pytest.approx(100.0)
    root = parse(donut([("甲", 0.0), ("乙", 0.0)], unit=U))
    assert "—" in texts(root)
    parse(donut([("only", 5.0)], unit=U))
    with pytest.raises(ValueError):
        donut([("甲", -1.0)], unit=U)


# --------------------------------------------------------------------------------------------
# colours


def test_palette_fixed_groups_and_consistency() -> None:
    assert set(GROUP_COLOURS) == {
        "power",
        "steel",
        "building_materials",
        "nonferrous",
        "chemicals",
        "other",
    }
    assert len(set(GROUP_COLOURS.values())) == 6
    one = palette(["chemicals", "power", "xyz"])
    two = palette(["abc", "power", "chemicals"])
    assert one["power"] == two["power"] == GROUP_COLOURS["power"]
    assert one["chemicals"] == two["chemicals"] == GROUP_COLOURS["chemicals"]
    assert palette(["电力"])["电力"] == GROUP_COLOURS["power"]
    many = palette([f"k{i}" for i in range(8)])
    assert len(set(many.values())) == 8


def test_same_series_same_colour_in_every_chart() -> None:
    stacked = parse(stacked_bars(["a"], [("外购电力", [1.0]), ("化石燃料燃烧", [2.0])], unit=U))
    grouped = parse(grouped_bars(["a"], [("化石燃料燃烧", [2.0]), ("x", [1.0])], unit=U))

    def fill_of(root: ET.Element) -> str:
        (bars,) = by_class(root, "bars")
        colours = {r.get("fill") for r in bars}
        return next(c for c in colours if c == palette(["化石燃料燃烧"])["化石燃料燃烧"])

    assert fill_of(stacked) == fill_of(grouped)


# --------------------------------------------------------------------------------------------
# map


def circles(root: ET.Element) -> dict[str, tuple[float, float, float]]:
    return {
        c.get("data-name", ""): (
            float(c.get("cx", "nan")),
            float(c.get("cy", "nan")),
            float(c.get("r", "nan")),
        )
        for c in by_class(root, "enterprise")
    }


def test_map_with_boundary_draws_it_with_holes() -> None:
    root = parse(enterprise_map(_points(), boundary=BOUNDARY))
    (path,) = by_class(root, "boundary")
    assert path.get("fill-rule") == "evenodd"
    assert path.get("d", "").count("M") == 3  # outer ring, hole, second polygon
    assert "园区边界" in texts(root)
    assert len(by_class(root, "key-ring")) == 2
    assert by_class(root, "north-arrow") and by_class(root, "neatline")
    for label in ("电力", "钢铁", "建材", "有色", "化工", "其他", "重点企业"):
        assert label in texts(root)


def test_map_without_boundary_and_boundary_alone() -> None:
    root = parse(enterprise_map(_points()))
    assert not by_class(root, "boundary")
    assert "园区边界" not in texts(root)
    root = parse(enterprise_map([], boundary=BOUNDARY["features"][0]["geometry"]))  # type: ignore[index]
    assert by_class(root, "boundary")
    with pytest.raises(ValueError):
        enterprise_map([])
    with pytest.raises(ValueError):
        enterprise_map(_points(), boundary={"type": "LineString", "coordinates": [[0, 0], [1, 1]]})


def test_map_all_points_inside_the_frame() -> None:
    root = parse(enterprise_map(_points(), boundary=BOUNDARY))
    (frame,) = by_class(root, "neatline")
    x0, y0 = float(frame.get("x", "0")), float(frame.get("y", "0"))
    x1, y1 = x0 + float(frame.get("width", "0")), y0 + float(frame.get("height", "0"))
    for cx, cy, r in circles(root).values():
        assert x0 <= cx - r and cx + r <= x1 and y0 <= cy - r and cy + r <= y1


def test_map_single_point() -> None:
    root = parse(enterprise_map([MapPoint("唯一企业", 117.2, 39.1, 1234.0, "steel", "钢铁")]))
    ((_, _, r),) = circles(root).values()
    assert r > 0
    (bar,) = by_class(root, "scale-bar")
    assert is_round(float(bar.get("data-km", "nan")))


def test_map_identical_points_get_distinct_label_positions() -> None:
    pts = [
        MapPoint(f"企业{i}", 117.2, 39.1, 1000.0 * (i + 1), g, g)
        for i, g in enumerate(["power", "steel", "chemicals", "other"])
    ]
    root = parse(enterprise_map(pts))
    assert len({(c[0], c[1]) for c in circles(root).values()}) == 1
    names = [t for t in by_class(root, "name") if t.get("aria-hidden") != "true"]
    positions = {(t.get("x"), t.get("y"), t.get("text-anchor")) for t in names}
    assert len(positions) == 4


def test_map_projection_has_cos_latitude_correction() -> None:
    pts = [
        MapPoint("西", 117.0, 40.0, 10.0, "power", "电力"),
        MapPoint("东", 117.1, 40.0, 10.0, "power", "电力"),
        MapPoint("北", 117.0, 40.1, 10.0, "power", "电力"),
    ]
    c = circles(parse(enterprise_map(pts)))
    dx = c["东"][0] - c["西"][0]
    dy = c["西"][1] - c["北"][1]  # north is up
    assert dx > 0 and dy > 0
    lat0 = 40.05  # centre of the extent
    assert dx / dy == pytest.approx(math.cos(math.radians(lat0)), rel=2e-3)


@pytest.mark.parametrize(
    "pts",
    [
        _points(),
        [
            MapPoint("甲", 117.0, 39.0, 10.0, "power", "电力"),
            MapPoint("乙", 117.01, 39.0, 10.0, "steel", "钢铁"),
        ],
        [
            MapPoint("甲", 100.0, 30.0, 10.0, "power", "电力"),
            MapPoint("乙", 101.5, 30.0, 10.0, "steel", "钢铁"),
        ],
    ],
)
def test_scale_bar_is_round_and_matches_projection(pts: list[MapPoint]) -> None:
    root = parse(enterprise_map(pts))
    c = circles(root)
    # px per km from two points on (about) the same parallel, projected by hand
    west = min(pts, key=lambda p: p.lon)
    east = max(pts, key=lambda p: p.lon)
    lats = [p.lat for p in pts]
    lat0 = (min(lats) + max(lats)) / 2
    km_ew = (east.lon - west.lon) * KM_PER_DEG * math.cos(math.radians(lat0))
    px_per_km = (c[east.name][0] - c[west.name][0]) / km_ew
    (bar,) = by_class(root, "scale-bar")
    bar_px = sum(float(r.get("width", "0")) for r in bar.iter(f"{NS}rect"))
    km = float(bar.get("data-km", "nan"))
    assert is_round(km)
    assert bar_px / px_per_km == pytest.approx(km, rel=5e-3)
    labels = [t.text for t in bar.iter(f"{NS}text")]
    assert labels[0] == "0" and float(labels[1] or "nan") == km and labels[2] == "km"


def test_circle_area_is_proportional_to_value() -> None:
    pts = [
        MapPoint("小", 117.00, 39.00, 100.0, "power", "电力"),
        MapPoint("中", 117.02, 39.01, 400.0, "steel", "钢铁"),
        MapPoint("大", 117.04, 39.02, 2500.0, "chemicals", "化工"),
    ]
    c = circles(parse(enterprise_map(pts)))
    area = {name: r**2 for name, (_, _, r) in c.items()}
    assert area["中"] / area["小"] == pytest.approx(4.0, rel=2e-3)
    assert area["大"] / area["小"] == pytest.approx(25.0, rel=2e-3)


def test_size_legend_values_are_round() -> None:
    root = parse(enterprise_map(_points()))
    (legend,) = by_class(root, "size-legend")
    values = [float((t.text or "").replace(",", "")) for t in legend.iter(f"{NS}text")]
    assert 2 <= len(values) <= 3
    assert all(is_round(v) for v in values)
    assert values == sorted(values, reverse=True)


def test_map_rejects_bad_points() -> None:
    with pytest.raises(ValueError):
        enterprise_map([MapPoint("负值", 117.0, 39.0, -1.0, "power", "电力")])
    with pytest.raises(ValueError):
        enterprise_map([MapPoint("坏坐标", 217.0, 39.0, 1.0, "power", "电力")])


def test_line_chart_value_axis_starts_at_zero_and_years_are_proportional() -> None:
    """Issue 11: a value axis from 120 exaggerates a change, and 2024→2025 drawn as wide as
    2025→2030 misstates the pace. Data from 120 to 140 get an axis from 0; the x positions of
    2024, 2025 and 2030 are in the ratio of their intervals (1 : 5)."""
    from tanping.templates.charts import line_chart

    svg = line_chart(
        ["2024年", "2025年", "2030年"], [("排放总量", [120.0, 130.0, 140.0])], unit="万t"
    )
    path = re.search(r'<g class="series"[^>]*><path d="M([^"]+)"', svg)
    assert path is not None
    points = [tuple(map(float, p.split())) for p in path.group(1).split("L")]
    (x0, _), (x1, _), (x2, _) = points
    assert (x2 - x1) == pytest.approx(5 * (x1 - x0), rel=1e-3)
    ticks = re.findall(r'<g class="y-axis">(.*?)</g>', svg)[0]
    assert re.search(r">0</text>", ticks), "the value axis starts at zero"

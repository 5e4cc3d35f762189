"""Pure-Python SVG charts and the key-enterprise map of a carbon chapter.

Every function returns one self-contained ``<svg>`` string built with the standard library only:
no ids (several charts share one HTML page), no scripts, no external fonts, tiles or stylesheets.
The output is deterministic (same input, same string; coordinates rounded to 2 decimals) and is
rendered alike by Chromium (the site) and WeasyPrint (the PDF), which needs the explicit
``width``/``height`` and ``viewBox`` set on the root element.

All text comes from data and is escaped by the one escaping path of data strings
(:func:`tanping.templates.escape.inert_text`: XML/HTML-escaped, and inert for Markdown, which may
see the SVG when a chart is placed inside a paragraph); characters that XML 1.0 forbids are
dropped. Text uses ``Noto Sans CJK SC`` (set once on the root ``<svg>``). The charts carry no
caption: the caller writes "图 2-1 …" below them. ``<title>`` and ``<desc>`` give screen readers
the chart's name and its numbers.

Colours come from :func:`palette`: the park industry groups (``power``, ``steel``,
``building_materials``, ``nonferrous``, ``chemicals``, ``other``) and the emission sources
(``fossil_fuel``, ``industrial_process``, ``purchased_electricity``, ``purchased_heat``) have fixed
colours, also under their usual Chinese names ("电力", "化石燃料燃烧", …), so one group looks the
same in every chart. Other keys get the remaining colours of a restrained sequence in the order
they are passed. The colours differ in lightness as well as hue so a greyscale print still tells
them apart; lines also differ by dash pattern and marker shape.

Numbers come in already in the display unit; ``unit`` is only a label ("万tCO₂e", "tCO₂/a").
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tanping.calc import park_vocabulary as vocabulary
from tanping.templates.escape import inert_text
from tanping.units.format import fixed

__all__ = [
    "EMISSION_SOURCE_COLOURS",
    "FONT_FAMILY",
    "GROUP_COLOURS",
    "GROUP_ORDER",
    "KM_PER_DEGREE",
    "MapPoint",
    "donut",
    "enterprise_map",
    "grouped_bars",
    "line_chart",
    "palette",
    "stacked_bars",
]

FONT_FAMILY = "Noto Sans CJK SC, sans-serif"

#: Fixed colours of the park industry groups, from their data (calc/data/park_groups.yml):
#: CIE L* 24 … 83, so they stay apart in a greyscale print.
GROUP_COLOURS: dict[str, str] = {g.id: g.colour for g in vocabulary.groups().values()}

#: Legend order of the park industry groups (the order of the data file).
GROUP_ORDER: tuple[str, ...] = tuple(vocabulary.groups())

#: Fixed colours of the emission sources; in the usual stacking order the neighbours differ by
#: at least 20 L* units.
EMISSION_SOURCE_COLOURS: dict[str, str] = {
    "fossil_fuel": "#23395b",
    "industrial_process": "#5a7592",
    "purchased_electricity": "#d6a95e",
    "purchased_heat": "#8e3830",
}

#: Chinese names (and common variants) of the fixed keys.
KEY_ALIASES: dict[str, str] = {
    "电力": "power",
    "电力热力": "power",
    "热电": "power",
    "钢铁": "steel",
    "建材": "building_materials",
    "建筑材料": "building_materials",
    "有色": "nonferrous",
    "有色金属": "nonferrous",
    "化工": "chemicals",
    "石化化工": "chemicals",
    "石化": "chemicals",
    "其他": "other",
    "其它": "other",
    "化石燃料燃烧": "fossil_fuel",
    "燃料燃烧": "fossil_fuel",
    "工业生产过程": "industrial_process",
    "生产过程": "industrial_process",
    "外购电力": "purchased_electricity",
    "净购入电力": "purchased_electricity",
    "净调入电力": "purchased_electricity",
    "外购热力": "purchased_heat",
    "净购入热力": "purchased_heat",
    "净调入热力": "purchased_heat",
}

#: Colours for keys without a fixed colour, in order of use: the first ones are far apart in
#: lightness (L* 24, 72, 48, 78, 36 …).
FALLBACK_COLOURS: tuple[str, ...] = (
    "#23395b",  # navy
    "#d6a95e",  # ochre
    "#5a7592",  # slate blue
    "#a8c4d8",  # pale blue
    "#8e3830",  # brick
    "#5ba596",  # teal
    "#7a5c8e",  # plum
    "#6b8e3e",  # olive
    "#d0d0cb",  # light grey
    "#8c6d46",  # brown
)

#: Kilometres per degree of latitude (mean Earth radius 6371.0088 km).
KM_PER_DEGREE = 6371.0088 * math.pi / 180.0

_TEXT = "#262626"
_MUTED = "#595959"
_GRID = "#d9d9d9"
_AXIS = "#595959"
_NO_DATA = "#e0e0e0"
_FONT_SIZE = 12.0
_PAD = 10.0
_R_MIN = 2.0  # smallest circle drawn on the map (below it, area is no longer proportional)

_DASHES: tuple[str | None, ...] = (None, "7 3", "2 2.5", "9 3 2 3", "4 4")
_MARKERS: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "triangle-down")


# --------------------------------------------------------------------------------------------
# colours


def _fixed_colour(key: str) -> str | None:
    canonical = KEY_ALIASES.get(key.strip(), key.strip())
    return GROUP_COLOURS.get(canonical) or EMISSION_SOURCE_COLOURS.get(canonical)


def palette(keys: list[str]) -> dict[str, str]:
    """Map each key to a colour: fixed colours first, then the fallback sequence in key order.

    Two keys of one call never share a colour while fewer than ten keys need a fallback colour.
    """
    result: dict[str, str] = {}
    used: set[str] = set()
    unique = list(dict.fromkeys(keys))
    for key in unique:
        colour = _fixed_colour(key)
        if colour is not None and colour not in used:
            result[key] = colour
            used.add(colour)
    free = [c for c in FALLBACK_COLOURS if c not in used]
    i = 0
    for key in unique:
        if key in result:
            continue
        if free:
            result[key] = free.pop(0)
        else:
            result[key] = FALLBACK_COLOURS[i % len(FALLBACK_COLOURS)]
            i += 1
    return {key: result[key] for key in unique}


# --------------------------------------------------------------------------------------------
# low-level SVG writing

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", str(text))


def _n(x: float) -> str:
    """A coordinate: at most 2 decimals, no trailing zeros, no negative zero."""
    r = round(float(x), 2)
    if r == 0:
        return "0"
    return f"{r:.2f}".rstrip("0").rstrip(".")


def _el(tag: str, attrs: dict[str, Any], text: str | None = None) -> str:
    parts = [tag]
    for name, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, float | int) and not isinstance(value, bool):
            value = _n(value)
        parts.append(f'{name}="{inert_text(_clean(str(value)), line_start=False)}"')
    head = "<" + " ".join(parts)
    if text is None:
        return head + "/>"
    return f"{head}>{inert_text(_clean(text))}</{tag}>"


def _text(
    x: float,
    y: float,
    s: str,
    *,
    anchor: str = "start",
    size: float | None = None,
    fill: str = _TEXT,
    weight: str | None = None,
    cls: str | None = None,
    halo: bool = False,
) -> str:
    attrs: dict[str, Any] = {"x": x, "y": y}
    if anchor != "start":
        attrs["text-anchor"] = anchor
    if size is not None and size != _FONT_SIZE:
        attrs["font-size"] = size
    if weight:
        attrs["font-weight"] = weight
    if cls:
        attrs["class"] = cls
    out = ""
    if halo:
        back = dict(attrs, fill="#ffffff", stroke="#ffffff")
        back["stroke-width"] = 3
        back["stroke-linejoin"] = "round"
        back["aria-hidden"] = "true"
        out = _el("text", back, s)
    return out + _el("text", dict(attrs, fill=fill), s)


def _text_width(s: str, size: float = _FONT_SIZE) -> float:
    """Estimated advance width of ``s`` in Noto Sans CJK SC (generous rather than tight)."""
    w = 0.0
    for ch in s:
        if unicodedata.east_asian_width(ch) in "WFA":
            w += 1.0
        elif ch == " ":
            w += 0.25
        elif ch in ".,:;'!|il()[]":
            w += 0.3
        elif ch.isdigit():
            w += 0.56
        elif ch.isupper() or ch in "mw%":
            w += 0.7
        else:
            w += 0.55
    return w * size


_NO_LINE_START = frozenset("）)]】》〉」』”’、，。；：！？%·…")


def _wrap(s: str, max_w: float, size: float) -> list[str]:
    """Split ``s`` into lines of at most ``max_w`` pixels (by character; spaces preferred)."""
    if _text_width(s, size) <= max_w or len(s) <= 1:
        return [s]
    lines: list[str] = []
    cur = ""
    for ch in s:
        if cur and _text_width(cur + ch, size) > max_w:
            cut = cur.rfind(" ")
            if cut > 0:
                lines.append(cur[:cut])
                cur = cur[cut + 1 :] + ch
            elif ch in _NO_LINE_START and len(cur) > 1:  # no line starts with ）、，。 etc.
                lines.append(cur[:-1])
                cur = cur[-1] + ch
            else:
                lines.append(cur)
                cur = ch.lstrip()
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def _svg(width: float, height: float, title: str, desc: str, body: Iterable[str]) -> str:
    root = _el(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": round(width),
            "height": round(height),
            "viewBox": f"0 0 {round(width)} {round(height)}",
            "role": "img",
            "font-family": FONT_FAMILY,
            "font-size": _FONT_SIZE,
        },
    )[:-2]
    return (
        root
        + ">\n"
        + _el("title", {}, title)
        + "\n"
        + _el("desc", {}, desc)
        + "\n"
        + "\n".join(body)
        + "\n</svg>"
    )


# --------------------------------------------------------------------------------------------
# numbers


def _check_finite(values: Iterable[float | None], what: str) -> None:
    for v in values:
        if v is not None and not math.isfinite(v):
            raise ValueError(f"{what}: 数值必须是有限数，得到 {v!r}")


def _auto_decimals(values: Iterable[float | None]) -> int:
    m = max((abs(v) for v in values if v is not None), default=0.0)
    if m == 0:
        return 0
    if m >= 1000:
        return 0
    if m >= 100:
        return 1
    if m >= 1:
        return 2
    return 3


def _fmt(v: float, decimals: int) -> str:
    """``v`` as printed in reports: rounded half up, thousands separators (``units.format``)."""
    return fixed(v, decimals)


def _nice_step(raw: float) -> float:
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    exp = math.floor(math.log10(raw))
    frac = raw / 10.0**exp
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if frac <= m * (1 + 1e-9):
            return m * 10.0**exp
    return 10.0 * 10.0**exp  # pragma: no cover


def _nice_floor(v: float) -> float:
    """The largest number 1, 2 or 5 × 10^k not above ``v`` (``v`` > 0)."""
    exp = math.floor(math.log10(v))
    for m in (5.0, 2.0, 1.0):
        cand = m * 10.0**exp
        if cand <= v * (1 + 1e-9):
            return cand
    return 10.0 ** (exp - 1) * 5  # pragma: no cover


def _decimals_of(step: float) -> int:
    for d in range(0, 12):
        if abs(round(step, d) - step) <= 1e-9 * abs(step):
            return d
    return 12


def _ticks(lo: float, hi: float, target: int) -> list[float]:
    """Round tick values covering [lo, hi] (which need not be ordered round)."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        if lo == 0:
            return [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    step = _nice_step((hi - lo) / max(target, 1))
    k0 = math.floor(lo / step + 1e-9)
    k1 = math.ceil(hi / step - 1e-9)
    return [round(k * step, 12) for k in range(k0, k1 + 1)]


def _share_tenths(values: Sequence[float]) -> list[int]:
    """Shares in tenths of a percent that add up to exactly 1000 (largest remainder)."""
    total = sum(values)
    if total <= 0:
        return [0 for _ in values]
    raw = [v / total * 1000 for v in values]
    base = [math.floor(r) for r in raw]
    rest = 1000 - sum(base)
    order = sorted(range(len(values)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return base


# --------------------------------------------------------------------------------------------
# shared pieces of the cartesian charts


def _marker(shape: str, x: float, y: float, colour: str, r: float = 3.4) -> str:
    common = {"fill": colour, "stroke": "#ffffff", "stroke-width": 0.8}
    if shape == "circle":
        return _el("circle", {"cx": x, "cy": y, "r": r, **common})
    if shape == "square":
        s = r * 0.9
        return _el("rect", {"x": x - s, "y": y - s, "width": 2 * s, "height": 2 * s, **common})
    if shape == "triangle":
        d = f"M{_n(x)} {_n(y - r * 1.2)}L{_n(x + r * 1.1)} {_n(y + r * 0.8)}"
        d += f"L{_n(x - r * 1.1)} {_n(y + r * 0.8)}Z"
        return _el("path", {"d": d, **common})
    if shape == "triangle-down":
        d = f"M{_n(x)} {_n(y + r * 1.2)}L{_n(x + r * 1.1)} {_n(y - r * 0.8)}"
        d += f"L{_n(x - r * 1.1)} {_n(y - r * 0.8)}Z"
        return _el("path", {"d": d, **common})
    d = f"M{_n(x)} {_n(y - r * 1.25)}L{_n(x + r * 1.1)} {_n(y)}L{_n(x)} {_n(y + r * 1.25)}"
    d += f"L{_n(x - r * 1.1)} {_n(y)}Z"
    return _el("path", {"d": d, **common})


@dataclass(frozen=True)
class _LegendItem:
    label: str
    colour: str
    line: int | None = None  # series index of a line chart: dash pattern and marker


def _legend(items: Sequence[_LegendItem], x0: float, y0: float, max_w: float) -> tuple[str, float]:
    """A horizontal legend that wraps into rows; returns the SVG and its height."""
    if not items:
        return "", 0.0
    size = 11.5
    row_h = 18.0
    sw = 22.0 if any(it.line is not None for it in items) else 12.0
    out: list[str] = []
    x, y = x0, y0
    rows = 1
    for it in items:
        w = sw + 5 + _text_width(it.label, size)
        if x > x0 and x + w > x0 + max_w:
            x = x0
            y += row_h
            rows += 1
        cy = y + row_h / 2
        if it.line is None:
            out.append(
                _el(
                    "rect",
                    {"x": x, "y": cy - 6, "width": 12, "height": 12, "fill": it.colour},
                )
            )
        else:
            dash = _DASHES[it.line % len(_DASHES)]
            out.append(
                _el(
                    "line",
                    {
                        "x1": x,
                        "y1": cy,
                        "x2": x + sw,
                        "y2": cy,
                        "stroke": it.colour,
                        "stroke-width": 2,
                        "stroke-dasharray": dash,
                    },
                )
            )
            out.append(_marker(_MARKERS[it.line % len(_MARKERS)], x + sw / 2, cy, it.colour))
        out.append(_text(x + sw + 5, cy + size * 0.36, it.label, size=size))
        x += w + 16
    return '<g class="legend">' + "".join(out) + "</g>", rows * row_h


@dataclass
class _Frame:
    """Geometry of a cartesian chart: plot rectangle and the value → y mapping."""

    left: float
    top: float
    right: float
    bottom: float
    lo: float
    hi: float

    def y(self, v: float) -> float:
        if self.hi == self.lo:
            return self.bottom
        return self.bottom - (v - self.lo) / (self.hi - self.lo) * (self.bottom - self.top)


def _check_series(
    n: int, series: Sequence[tuple[str, Sequence[float | None]]], *, allow_none: bool
) -> None:
    if n == 0:
        raise ValueError("图表至少需要一个类别")
    if not series:
        raise ValueError("图表至少需要一个数据系列")
    for name, values in series:
        if len(values) != n:
            raise ValueError(f"系列“{name}”有 {len(values)} 个数值，类别有 {n} 个")
        if not allow_none and any(v is None for v in values):
            raise ValueError(f"系列“{name}”含空值")
        _check_finite(values, f"系列“{name}”")


def _cartesian(
    *,
    width: float,
    height: float,
    unit: str,
    legend_items: Sequence[_LegendItem],
    lo: float,
    hi: float,
    n_cat: int,
    cat_labels: Sequence[str] | None,
    head_room: float,
    foot_room: float,
    band_labels: bool,
) -> tuple[list[str], _Frame, list[float]]:
    """Legend, unit, y grid with tick labels and x labels; returns body, frame and ticks."""
    body: list[str] = []
    legend_svg, legend_h = _legend(legend_items, _PAD, _PAD, width - 2 * _PAD)
    body.append(legend_svg)
    unit_size = 11.0
    unit_y = _PAD + legend_h + (8 if legend_h else 0) + unit_size
    top = unit_y + 6 + head_room
    approx_plot_h = max(height - top - 40 - foot_room, 40.0)
    ticks = _ticks(lo, hi, max(3, min(8, int(approx_plot_h / 45))))
    decimals = _decimals_of(ticks[1] - ticks[0]) if len(ticks) > 1 else 0
    tick_labels = [_fmt(t, decimals) for t in ticks]
    tick_size = 11.0
    label_w = max(_text_width(s, tick_size) for s in tick_labels)
    left = _PAD + label_w + 8
    right = width - _PAD - 4
    # x labels: wrap to the band width, then size the bottom margin
    cat_size = 11.5
    lines: list[list[str]] = []
    if cat_labels is not None:
        band = (right - left) / max(n_cat, 1)
        max_w = band * 0.96 if band_labels else max(band * 0.96, 30.0)
        lines = [_wrap(s, max_w, cat_size) for s in cat_labels]
    n_lines = max((len(ls) for ls in lines), default=1)
    bottom = height - _PAD - n_lines * (cat_size + 3) - 4 - foot_room
    frame = _Frame(left, top, right, bottom, ticks[0], ticks[-1])
    if unit:
        body.append(_text(_PAD, unit_y, f"单位：{unit}", size=unit_size, fill=_MUTED, cls="unit"))
    grid: list[str] = []
    for t, s in zip(ticks, tick_labels, strict=True):
        y = frame.y(t)
        if t != 0:
            grid.append(
                _el(
                    "line",
                    {
                        "x1": left,
                        "y1": y,
                        "x2": right,
                        "y2": y,
                        "stroke": _GRID,
                        "stroke-width": 0.6,
                    },
                )
            )
        grid.append(_text(left - 6, y + tick_size * 0.36, s, anchor="end", size=tick_size))
    body.append('<g class="y-axis">' + "".join(grid) + "</g>")
    if lines:
        xs: list[str] = []
        base = bottom + foot_room + cat_size + 4
        band = (right - left) / n_cat
        for i, ls in enumerate(lines):
            cx = left + band * (i + 0.5)
            for j, line in enumerate(ls):
                xs.append(
                    _text(cx, base + j * (cat_size + 3), line, anchor="middle", size=cat_size)
                )
        body.append('<g class="x-axis">' + "".join(xs) + "</g>")
    return body, frame, ticks


def _zero_line(frame: _Frame) -> str:
    y = frame.y(0.0) if frame.lo <= 0 <= frame.hi else frame.bottom
    return _el(
        "line",
        {
            "x1": frame.left,
            "y1": y,
            "x2": frame.right,
            "y2": y,
            "stroke": _AXIS,
            "stroke-width": 1,
            "class": "zero-line",
        },
    )


def _describe_table(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str,
    decimals: int,
    *,
    totals: bool,
) -> str:
    parts = []
    for i, cat in enumerate(categories):
        vals = []
        for name, values in series:
            v = values[i]
            vals.append(f"{name} {'无数据' if v is None else _fmt(v, decimals)}")
        text = f"{cat}：" + "，".join(vals)
        if totals:
            total = sum(v for _, values in series if (v := values[i]) is not None)
            text += f"，合计 {_fmt(total, decimals)}"
        parts.append(text)
    return f"单位：{unit}。" + "；".join(parts) + "。"


# --------------------------------------------------------------------------------------------
# bar charts


def stacked_bars(
    categories: list[str],
    series: list[tuple[str, list[float]]],
    *,
    unit: str,
    width: int = 640,
    height: int = 360,
    title: str = "",
    decimals: int | None = None,
) -> str:
    """One bar per category, stacked by series, with each bar's total on top.

    Positive parts stack upwards from zero, negative parts (a reduction) downwards. The label is
    the net total of the bar, above its positive part (below the bar if nothing is positive).
    """
    _check_series(len(categories), series, allow_none=False)
    n = len(categories)
    colours = palette([name for name, _ in series])
    pos = [sum(max(vals[i], 0.0) for _, vals in series) for i in range(n)]
    neg = [sum(min(vals[i], 0.0) for _, vals in series) for i in range(n)]
    totals = [sum(vals[i] for _, vals in series) for i in range(n)]
    dec = _auto_decimals(totals + [v for _, vals in series for v in vals])
    dec = dec if decimals is None else decimals
    below = any(pos[i] == 0 and neg[i] < 0 for i in range(n))
    body, frame, _ = _cartesian(
        width=width,
        height=height,
        unit=unit,
        legend_items=[_LegendItem(name, colours[name]) for name, _ in series],
        lo=min([0.0, *neg]),
        hi=max([0.0, *pos]),
        n_cat=n,
        cat_labels=categories,
        head_room=16,
        foot_room=16 if below else 0,
        band_labels=True,
    )
    band = (frame.right - frame.left) / n
    bar_w = min(band * 0.56, 72.0)
    bars: list[str] = []
    labels: list[str] = []
    for i in range(n):
        x = frame.left + band * (i + 0.5) - bar_w / 2
        up = down = 0.0
        for name, vals in series:
            v = vals[i]
            if v > 0:
                y0, y1 = frame.y(up + v), frame.y(up)
                up += v
            elif v < 0:
                y0, y1 = frame.y(down), frame.y(down + v)
                down += v
            else:
                continue
            bars.append(
                _el(
                    "rect",
                    {
                        "x": x,
                        "y": y0,
                        "width": bar_w,
                        "height": max(y1 - y0, 0.0),
                        "fill": colours[name],
                        "stroke": "#ffffff",
                        "stroke-width": 0.6,
                    },
                )
            )
        label = _fmt(totals[i], dec)
        size = 11.0 if _text_width(label, 11.0) <= band * 0.98 else 9.0
        cx = x + bar_w / 2
        if pos[i] == 0 and neg[i] < 0:
            ly = frame.y(neg[i]) + size + 3
        else:
            ly = frame.y(pos[i]) - 4
        labels.append(_text(cx, ly, label, anchor="middle", size=size, cls="total"))
    body.append('<g class="bars">' + "".join(bars) + "</g>")
    body.append(_zero_line(frame))
    body.append('<g class="totals">' + "".join(labels) + "</g>")
    desc = "堆积柱状图。" + _describe_table(categories, series, unit, dec, totals=True)
    return _svg(width, height, title or f"堆积柱状图（单位：{unit}）", desc, body)


def grouped_bars(
    categories: list[str],
    series: list[tuple[str, list[float]]],
    *,
    unit: str,
    width: int = 640,
    height: int = 360,
    title: str = "",
    decimals: int | None = None,
) -> str:
    """Bars side by side per category, one per series (e.g. baseline vs control scenario).

    Value labels are drawn on every bar when all of them fit their bar, otherwise on none.
    """
    _check_series(len(categories), series, allow_none=False)
    n = len(categories)
    colours = palette([name for name, _ in series])
    values = [v for _, vals in series for v in vals]
    dec = _auto_decimals(values) if decimals is None else decimals
    below = any(v < 0 for v in values)
    body, frame, _ = _cartesian(
        width=width,
        height=height,
        unit=unit,
        legend_items=[_LegendItem(name, colours[name]) for name, _ in series],
        lo=min([0.0, *values]),
        hi=max([0.0, *values]),
        n_cat=n,
        cat_labels=categories,
        head_room=16,
        foot_room=16 if below else 0,
        band_labels=True,
    )
    band = (frame.right - frame.left) / n
    k = len(series)
    gap = 2.0
    pitch = min(band * 0.8 / k, 48.0)
    bar_w = pitch - gap
    widest = max(_text_width(_fmt(v, dec), 1.0) for v in values)
    size = next((sz for sz in (10.5, 9.5, 9.0) if widest * sz <= pitch - 1), 0.0)
    show = size > 0
    bars: list[str] = []
    labels: list[str] = []
    zero = frame.y(0.0)
    for i in range(n):
        x0 = frame.left + band * (i + 0.5) - pitch * k / 2 + gap / 2
        for j, (name, vals) in enumerate(series):
            v = vals[i]
            x = x0 + j * pitch
            yv = frame.y(v)
            bars.append(
                _el(
                    "rect",
                    {
                        "x": x,
                        "y": min(yv, zero),
                        "width": bar_w,
                        "height": abs(zero - yv),
                        "fill": colours[name],
                    },
                )
            )
            if show:
                ly = yv + size + 3 if v < 0 else yv - 4
                labels.append(
                    _text(x + bar_w / 2, ly, _fmt(v, dec), anchor="middle", size=size, cls="value")
                )
    body.append('<g class="bars">' + "".join(bars) + "</g>")
    body.append(_zero_line(frame))
    if labels:
        body.append('<g class="values">' + "".join(labels) + "</g>")
    desc = "簇状柱状图。" + _describe_table(categories, series, unit, dec, totals=False)
    return _svg(width, height, title or f"簇状柱状图（单位：{unit}）", desc, body)


# --------------------------------------------------------------------------------------------
# line chart


def line_chart(
    x_labels: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    unit: str,
    width: int = 640,
    height: int = 320,
    title: str = "",
    decimals: int | None = None,
    positions: Sequence[float] | None = None,
) -> str:
    """A trend: one line per series, ``None`` leaves a gap; markers and dashes differ by series.

    The y axis starts at zero (a value axis that starts elsewhere exaggerates a change); only
    negative values take it below. The x axis is proportional to ``positions`` (years): labels
    that are years (``2024年``, ``2030``) are placed by their year unless ``positions`` is given,
    so that a 6-year interval is six times a 1-year one; other labels are evenly spaced.
    """
    _check_series(len(x_labels), series, allow_none=True)
    n = len(x_labels)
    colours = palette([name for name, _ in series])
    values = [v for _, vals in series for v in vals if v is not None]
    dec = _auto_decimals(values) if decimals is None else decimals
    if values:
        lo, hi = min([0.0, *values]), max([0.0, *values])
    else:
        lo, hi = 0.0, 0.0
    if positions is None:
        years = [re.fullmatch(r"\s*(\d{4})\s*年?\s*", s) for s in x_labels]
        if all(years):
            positions = [float(m.group(1)) for m in years if m]
    if positions is not None and len(positions) != n:
        raise ValueError(f"positions 有 {len(positions)} 个，类别有 {n} 个")
    if positions is not None and not all(a < b for a, b in itertools.pairwise(positions)):
        raise ValueError("positions 须严格递增")
    # x labels are thinned, so they are laid out here rather than per band
    body, frame, _ = _cartesian(
        width=width,
        height=height,
        unit=unit,
        legend_items=[
            _LegendItem(name, colours[name], line=j) for j, (name, _) in enumerate(series)
        ],
        lo=lo,
        hi=hi,
        n_cat=n,
        cat_labels=None,
        head_room=10,
        foot_room=0,
        band_labels=False,
    )
    cat_size = 11.5
    if frame.lo <= 0 <= frame.hi:
        body.append(_zero_line(frame))
    inset = 16.0
    span = frame.right - frame.left - 2 * inset

    def px(i: int) -> float:
        if n == 1:
            return (frame.left + frame.right) / 2
        if positions is not None:
            first, last = positions[0], positions[-1]
            return frame.left + inset + span * (positions[i] - first) / (last - first)
        return frame.left + inset + span * i / (n - 1)

    widest = max(_text_width(s, cat_size) for s in x_labels)
    if positions is None:  # evenly spaced: every step-th label
        spacing = span / (n - 1) if n > 1 else span
        step = max(1, math.ceil((widest + 10) / max(spacing, 1e-9)))
        shown = {i for i in range(n) if i % step == 0}
    else:  # proportional: the last label, then each earlier one with room from its right
        shown, right_edge = set(), math.inf
        for i in reversed(range(n)):
            if px(i) + widest / 2 + 10 <= right_edge:
                shown.add(i)
                right_edge = px(i) - widest / 2
    xs = []
    for i, s in enumerate(x_labels):
        tick_y = frame.bottom
        xs.append(
            _el(
                "line",
                {"x1": px(i), "y1": tick_y, "x2": px(i), "y2": tick_y + 4, "stroke": _AXIS},
            )
        )
        if i in shown:
            xs.append(_text(px(i), tick_y + 6 + cat_size, s, anchor="middle", size=cat_size))
    body.append('<g class="x-axis">' + "".join(xs) + "</g>")
    lines: list[str] = []
    for j, (name, vals) in enumerate(series):
        colour = colours[name]
        dash = _DASHES[j % len(_DASHES)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(vals):
            if v is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((px(i), frame.y(v)))
        parts = []
        for run in runs:
            if len(run) >= 2:
                d = "M" + "L".join(f"{_n(x)} {_n(y)}" for x, y in run)
                parts.append(
                    _el(
                        "path",
                        {
                            "d": d,
                            "fill": "none",
                            "stroke": colour,
                            "stroke-width": 2,
                            "stroke-linejoin": "round",
                            "stroke-dasharray": dash,
                        },
                    )
                )
        shape = _MARKERS[j % len(_MARKERS)]
        for run in runs:
            for x, y in run:
                parts.append(_marker(shape, x, y, colour))
        lines.append(_el("g", {"class": "series", "data-series": name})[:-2] + ">")
        lines.append("".join(parts) + "</g>")
    body.append("".join(lines))
    desc = "折线图。" + _describe_table(x_labels, series, unit, dec, totals=False)
    return _svg(width, height, title or f"折线图（单位：{unit}）", desc, body)


# --------------------------------------------------------------------------------------------
# donut


def _polar(cx: float, cy: float, r: float, a: float) -> tuple[float, float]:
    return cx + r * math.sin(a), cy - r * math.cos(a)


def _ring_path(cx: float, cy: float, r_out: float, r_in: float) -> str:
    return (
        f"M{_n(cx - r_out)} {_n(cy)}A{_n(r_out)} {_n(r_out)} 0 1 1 {_n(cx + r_out)} {_n(cy)}"
        f"A{_n(r_out)} {_n(r_out)} 0 1 1 {_n(cx - r_out)} {_n(cy)}Z"
        f"M{_n(cx - r_in)} {_n(cy)}A{_n(r_in)} {_n(r_in)} 0 1 0 {_n(cx + r_in)} {_n(cy)}"
        f"A{_n(r_in)} {_n(r_in)} 0 1 0 {_n(cx - r_in)} {_n(cy)}Z"
    )


def _sector_path(cx: float, cy: float, r_out: float, r_in: float, a0: float, a1: float) -> str:
    large = 1 if a1 - a0 > math.pi else 0
    x0, y0 = _polar(cx, cy, r_out, a0)
    x1, y1 = _polar(cx, cy, r_out, a1)
    x2, y2 = _polar(cx, cy, r_in, a1)
    x3, y3 = _polar(cx, cy, r_in, a0)
    return (
        f"M{_n(x0)} {_n(y0)}A{_n(r_out)} {_n(r_out)} 0 {large} 1 {_n(x1)} {_n(y1)}"
        f"L{_n(x2)} {_n(y2)}A{_n(r_in)} {_n(r_in)} 0 {large} 0 {_n(x3)} {_n(y3)}Z"
    )


def donut(
    parts: list[tuple[str, float]],
    *,
    unit: str,
    width: int = 420,
    height: int = 300,
    title: str = "",
    decimals: int | None = None,
) -> str:
    """Shares of a whole as a ring (clockwise from 12 o'clock), total in the centre.

    The legend gives each part's value and its share; shares are rounded to 0.1 % so that they
    add up to exactly 100.0 %. Parts must not be negative; all-zero data draw an empty grey ring.
    """
    if not parts:
        raise ValueError("环形图至少需要一个组成部分")
    _check_finite([v for _, v in parts], "环形图")
    for name, v in parts:
        if v < 0:
            raise ValueError(f"环形图的组成部分“{name}”为负值 {v}，占比无从谈起")
    values = [v for _, v in parts]
    total = sum(values)
    dec = _auto_decimals([*values, total]) if decimals is None else decimals
    colours = palette([name for name, _ in parts])
    tenths = _share_tenths(values)
    shares = [f"{t / 10:.1f}%" if total > 0 else "—" for t in tenths]
    vals = [_fmt(v, dec) for v in values]
    # layout: ring on the left, legend (label, value, share) on the right; labels too long for
    # the room left wrap, and the font shrinks until the legend fits the height
    r_out = min((height - 2 * _PAD) / 2, (width - 2 * _PAD) * 0.3)
    header = f"单位：{unit}"
    fitted: tuple[float, float, list[list[str]], float, float, float, float] | None = None
    for size in (11.5, 10.5, 9.5):
        w_label = max(_text_width(name, size) for name, _ in parts)
        w_val = max(_text_width(v, size) for v in vals)
        w_share = max(_text_width(s, size) for s in [*shares, "占比"])
        fixed = 18 + 12 + w_val + 10 + w_share
        r = r_out
        room = width - _PAD - (_PAD + 4 + 2 * r + 22) - fixed
        if room < w_label:
            r = max(min(r, 75.0), r - (w_label - room) / 2)
            room = width - _PAD - (_PAD + 4 + 2 * r + 22) - fixed
        room = max(room, 4 * size)
        lines = [_wrap(name, room, size) for name, _ in parts]
        w_label = max(_text_width(line, size) for ls in lines for line in ls)
        w_label = max(w_label, _text_width(header, 10.5) - w_val - 12)
        line_h = size * 1.3
        legend_h = 18 + sum(len(ls) * line_h + 6 for ls in lines)
        fitted = (size, r, lines, w_label, w_val, w_share, legend_h)
        if legend_h <= height - 2 * _PAD:
            break
    assert fitted is not None
    size, r_out, lines, w_label, w_val, w_share, legend_h = fitted
    if legend_h > height - 2 * _PAD or r_out < 30:
        raise ValueError("环形图尺寸不足以容纳圆环和图例，请加大 width 或 height")
    r_in = r_out * 0.6
    cx, cy = _PAD + r_out + 4, height / 2
    body: list[str] = []
    seg: list[str] = []
    if total <= 0:
        seg.append(_el("path", {"d": _ring_path(cx, cy, r_out, r_in), "fill": _NO_DATA}))
    else:
        a = 0.0
        nonzero = [i for i, v in enumerate(values) if v > 0]
        for i in nonzero:
            frac = values[i] / total
            colour = colours[parts[i][0]]
            if len(nonzero) == 1:
                d = _ring_path(cx, cy, r_out, r_in)
                seg.append(_el("path", {"d": d, "fill": colour, "fill-rule": "evenodd"}))
                break
            a1 = a + frac * 2 * math.pi
            seg.append(
                _el(
                    "path",
                    {
                        "d": _sector_path(cx, cy, r_out, r_in, a, a1),
                        "fill": colour,
                        "stroke": "#ffffff",
                        "stroke-width": 1,
                        "stroke-linejoin": "round",
                    },
                )
            )
            a = a1
    body.append('<g class="sectors">' + "".join(seg) + "</g>")
    centre_total = _fmt(total, dec)
    big = 16.0
    while _text_width(centre_total, big) > r_in * 1.7 and big > 9:
        big -= 1
    body.append(
        '<g class="centre">'
        + _text(cx, cy - big * 0.55 - 2, "合计", anchor="middle", size=11, fill=_MUTED)
        + _text(cx, cy + big * 0.36 + 2, centre_total, anchor="middle", size=big, weight="bold")
        + _text(cx, cy + big * 0.36 + 18, unit, anchor="middle", size=10.5, fill=_MUTED)
        + "</g>"
    )
    lx, ly = cx + r_out + 22, (height - legend_h) / 2
    col_val = lx + 18 + w_label + 12 + w_val
    col_share = col_val + 10 + w_share
    leg: list[str] = [
        _text(lx + 18, ly + 11, header, size=10.5, fill=_MUTED),
        _text(col_share, ly + 11, "占比", anchor="end", size=10.5, fill=_MUTED),
    ]
    line_h = size * 1.3
    y = ly + 18 + 3
    for i, (name, _) in enumerate(parts):
        base = y + line_h / 2 + size * 0.36
        leg.append(
            _el(
                "rect",
                {
                    "x": lx,
                    "y": y + line_h / 2 - 6,
                    "width": 12,
                    "height": 12,
                    "fill": colours[name],
                },
            )
        )
        for j, line in enumerate(lines[i]):
            leg.append(_text(lx + 18, base + j * line_h, line, size=size))
        leg.append(_text(col_val, base, vals[i], anchor="end", size=size))
        leg.append(_text(col_share, base, shares[i], anchor="end", size=size))
        y += len(lines[i]) * line_h + 6
    body.append('<g class="legend">' + "".join(leg) + "</g>")
    desc = (
        f"环形图，合计 {centre_total} {unit}。"
        + "；".join(f"{name} {vals[i]}，占 {shares[i]}" for i, (name, _) in enumerate(parts))
        + "。"
    )
    return _svg(width, height, title or f"构成环形图（单位：{unit}）", desc, body)


# --------------------------------------------------------------------------------------------
# key-enterprise map


@dataclass(frozen=True)
class MapPoint:
    """One enterprise: position (WGS-84 degrees), emissions in the map's unit, industry group."""

    name: str
    lon: float
    lat: float
    value: float
    group: str
    group_label: str
    key: bool = False


def _geo_rings(geo: dict[str, Any] | None) -> list[list[list[tuple[float, float]]]]:
    """Polygons (lists of rings of (lon, lat)) of a GeoJSON object."""
    if geo is None:
        return []
    kind = geo.get("type")
    if kind == "FeatureCollection":
        out: list[list[list[tuple[float, float]]]] = []
        for feature in geo.get("features") or []:
            out += _geo_rings(feature)
        return out
    if kind == "Feature":
        return _geo_rings(geo.get("geometry"))
    if kind == "GeometryCollection":
        out = []
        for g in geo.get("geometries") or []:
            out += _geo_rings(g)
        return out
    if kind == "Polygon":
        polys = [geo["coordinates"]]
    elif kind == "MultiPolygon":
        polys = list(geo["coordinates"])
    else:
        raise ValueError(
            f"园区边界只支持 Polygon/MultiPolygon 及其 Feature(Collection)，得到 {kind!r}"
        )
    result = []
    for poly in polys:
        rings = []
        for ring in poly:
            pts = [(float(c[0]), float(c[1])) for c in ring]
            _check_finite([v for p in pts for v in p], "园区边界坐标")
            if len(pts) >= 3:
                rings.append(pts)
        if rings:
            result.append(rings)
    return result


def _project(lon: float, lat: float, lon0: float, lat0: float) -> tuple[float, float]:
    """Equirectangular projection around (lon0, lat0): kilometres east and north."""
    return (
        (lon - lon0) * KM_PER_DEGREE * math.cos(math.radians(lat0)),
        (lat - lat0) * KM_PER_DEGREE,
    )


def _boxes_overlap(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


class _BoxGrid:
    """Boxes ``(x0, y0, x1, y1)`` in a uniform grid of square cells: :meth:`near` gives the
    indexes of the boxes sharing a cell with a box (every box it can overlap), in the order they
    were added, so that sums over them equal the sums over all boxes, bit for bit (the others
    overlap by 0.0). Label placement is then linear in the number of labels, not quadratic."""

    CELL = 24.0  # px: about a short label's width

    def __init__(self, boxes: list[tuple[float, float, float, float]]) -> None:
        self.cells: dict[tuple[int, int], list[int]] = {}
        self.count = 0
        for box in boxes:
            self.add(box)

    def _cells(self, box: tuple[float, float, float, float]) -> list[tuple[int, int]]:
        c = self.CELL
        x0, y0 = math.floor(box[0] / c), math.floor(box[1] / c)
        x1, y1 = math.floor(box[2] / c), math.floor(box[3] / c)
        return [(cx, cy) for cx in range(x0, x1 + 1) for cy in range(y0, y1 + 1)]

    def add(self, box: tuple[float, float, float, float]) -> None:
        for cell in self._cells(box):
            self.cells.setdefault(cell, []).append(self.count)
        self.count += 1

    def near(self, box: tuple[float, float, float, float]) -> list[int]:
        found: set[int] = set()
        for cell in self._cells(box):
            found.update(self.cells.get(cell, ()))
        return sorted(found)


def _fmt_km(km: float) -> str:
    return _fmt(km, _decimals_of(km))


def enterprise_map(
    points: list[MapPoint],
    *,
    boundary: dict[str, Any] | None = None,
    width: int = 640,
    height: int = 520,
    title: str = "",
    unit: str = "tCO₂e",
) -> str:
    """Enterprises as circles (area ∝ value) coloured by industry group, on the park boundary.

    Equirectangular projection around the centre of the extent, with the cos(latitude) correction
    (fine for a park of tens of kilometres). The legend panel on the right holds the north arrow,
    the group colours, the key-enterprise ring, the boundary, 2–3 reference circles and a scale
    bar of a round length in km. Names are placed next to their circle at the first of eight
    positions that stays inside the frame and clear of other names and circles.

    The largest value gets a radius of about 5.5 % of the map's shorter side (8–26 px); circles
    are never drawn smaller than 2 px, the only place where the area is not proportional. The
    extent spans at least 2 km, so one point or identical points still get a sensible scale.
    ``boundary`` is GeoJSON in (lon, lat) order: a FeatureCollection, Feature, GeometryCollection,
    Polygon or MultiPolygon (holes are kept).
    """
    rings = _geo_rings(boundary)
    if not points and not rings:
        raise ValueError("企业分布图既无企业点位也无园区边界")
    for p in points:
        _check_finite([p.lon, p.lat, p.value], f"企业“{p.name}”")
        if p.value < 0:
            raise ValueError(f"企业“{p.name}”排放量为负值 {p.value}")
        if not (-180 <= p.lon <= 180 and -90 <= p.lat <= 90):
            raise ValueError(f"企业“{p.name}”坐标超出经纬度范围：{p.lon}, {p.lat}")

    # groups in fixed order first, then by appearance
    group_labels: dict[str, str] = {}
    for p in points:
        group_labels.setdefault(p.group, p.group_label)
    groups = sorted(
        group_labels,
        key=lambda g: GROUP_ORDER.index(g) if g in GROUP_ORDER else len(GROUP_ORDER),
    )
    colours = palette(groups)

    # extent and projection
    lons = [p.lon for p in points] + [c[0] for poly in rings for ring in poly for c in ring]
    lats = [p.lat for p in points] + [c[1] for poly in rings for ring in poly for c in ring]
    lon0 = (min(lons) + max(lons)) / 2
    lat0 = (min(lats) + max(lats)) / 2
    xy = [_project(lo, la, lon0, lat0) for lo, la in zip(lons, lats, strict=True)]
    x_min, x_max = min(x for x, _ in xy), max(x for x, _ in xy)
    y_min, y_max = min(y for _, y in xy), max(y for _, y in xy)
    min_span = 2.0
    if x_max - x_min < min_span:
        c = (x_min + x_max) / 2
        x_min, x_max = c - min_span / 2, c + min_span / 2
    if y_max - y_min < min_span:
        c = (y_min + y_max) / 2
        y_min, y_max = c - min_span / 2, c + min_span / 2
    margin = 0.06 * max(x_max - x_min, y_max - y_min)
    x_min, x_max, y_min, y_max = x_min - margin, x_max + margin, y_min - margin, y_max + margin

    # layout: map on the left, legend panel on the right
    leg_size = 11.0
    v_max = max((p.value for p in points), default=0.0)
    refs: list[float] = []
    if v_max > 0:  # reference values of the size legend: round, about 1, 1/4 and 1/16 of max
        for div in (1.0, 4.0, 16.0):
            v = _nice_floor(_nice_floor(v_max) / div)
            if v not in refs:
                refs.append(v)
    ref_dec = max((_decimals_of(v) for v in refs), default=0)
    ref_w = max((_text_width(_fmt(v, ref_dec), 10.0) for v in refs), default=0.0)
    texts = [group_labels[g] for g in groups] + ["重点企业", "园区边界", f"排放量（{unit}）"]
    panel_w = max(max(_text_width(t, leg_size) for t in texts) + 44, 2 * 26 + 30 + ref_w, 128.0)
    panel_w = min(panel_w, width * 0.4)
    map_l, map_t = _PAD, _PAD
    map_r, map_b = width - _PAD - panel_w - 8, height - _PAD
    panel_l = map_r + 8
    map_w, map_h = map_r - map_l, map_b - map_t
    r_max = max(8.0, min(26.0, min(map_w, map_h) * 0.055))
    inner = r_max + 6
    scale = min(
        (map_w - 2 * inner) / (x_max - x_min),
        (map_h - 2 * inner) / (y_max - y_min),
    )  # px per km
    ox = (map_l + map_r) / 2 - scale * (x_min + x_max) / 2
    oy = (map_t + map_b) / 2 + scale * (y_min + y_max) / 2

    def to_px(lon: float, lat: float) -> tuple[float, float]:
        x, y = _project(lon, lat, lon0, lat0)
        return ox + scale * x, oy - scale * y

    def radius(v: float) -> float:
        if v_max <= 0 or v <= 0:
            return _R_MIN
        return max(r_max * math.sqrt(v / v_max), _R_MIN)

    body: list[str] = [
        _el(
            "rect",
            {
                "x": map_l,
                "y": map_t,
                "width": map_w,
                "height": map_h,
                "fill": "#ffffff",
                "stroke": "none",
            },
        )
    ]
    if rings:
        d = ""
        for poly in rings:
            for ring in poly:
                pts = [to_px(lo, la) for lo, la in ring]
                d += "M" + "L".join(f"{_n(x)} {_n(y)}" for x, y in pts) + "Z"
        body.append(
            _el(
                "path",
                {
                    "class": "boundary",
                    "d": d,
                    "fill": "#eef1ec",
                    "fill-rule": "evenodd",
                    "stroke": "#4d4d4d",
                    "stroke-width": 1.2,
                    "stroke-dasharray": "6 2 1.5 2",
                    "stroke-linejoin": "round",
                },
            )
        )

    # circles, largest first so that small ones stay visible
    placed = [(p, *to_px(p.lon, p.lat), radius(p.value)) for p in points]
    draw_order = sorted(range(len(placed)), key=lambda i: (-placed[i][0].value, i))
    circles: list[str] = []
    for i in draw_order:
        p, x, y, r = placed[i]
        circles.append(
            _el(
                "circle",
                {
                    "class": "enterprise",
                    "cx": x,
                    "cy": y,
                    "r": r,
                    "fill": colours[p.group],
                    "fill-opacity": 0.85,
                    "stroke": "#404040",
                    "stroke-width": 0.5,
                    "data-name": p.name,
                    "data-value": repr(float(p.value)),
                },
            )
        )
        if p.key:
            circles.append(
                _el(
                    "circle",
                    {
                        "class": "key-ring",
                        "cx": x,
                        "cy": y,
                        "r": r + 2.5,
                        "fill": "none",
                        "stroke": "#1a1a1a",
                        "stroke-width": 1.2,
                    },
                )
            )
    body.append('<g class="enterprises">' + "".join(circles) + "</g>")

    # labels: greedy placement, key enterprises and big emitters first
    lab_size = 10.5
    obstacles = [(x - r, y - r, x + r, y + r) for _, x, y, r in placed]
    taken: list[tuple[float, float, float, float]] = []
    obstacle_grid = _BoxGrid(obstacles)  # spatial indexes: no test of every pair of boxes
    taken_grid = _BoxGrid([])
    order = sorted(range(len(placed)), key=lambda i: (not placed[i][0].key, -placed[i][0].value, i))
    labels: list[str] = []
    for i in order:
        p, x, y, r = placed[i]
        tw = _text_width(p.name, lab_size)
        asc, desc_h = lab_size * 0.88, lab_size * 0.28
        # circles drawn on the same spot (identical coordinates) push the name further out
        r_eff = max(rj for _, xj, yj, rj in placed if abs(xj - x) < 1 and abs(yj - y) < 1)
        key_here = any(q.key for q, xj, yj, _ in placed if abs(xj - x) < 1 and abs(yj - y) < 1)
        gap = r_eff + (5.5 if key_here else 3.0)
        d45 = gap * 0.72
        cands = [
            (x + gap, y + lab_size * 0.36, "start"),
            (x - gap, y + lab_size * 0.36, "end"),
            (x, y - gap - desc_h, "middle"),
            (x, y + gap + asc, "middle"),
            (x + d45, y - d45 - desc_h, "start"),
            (x + d45, y + d45 + asc, "start"),
            (x - d45, y - d45 - desc_h, "end"),
            (x - d45, y + d45 + asc, "end"),
        ]
        if i % 2:  # alternate the first choice between right and left
            cands[0], cands[1] = cands[1], cands[0]
        # crowded spots: one line further out, joined to the circle by a leader line
        step = lab_size * 1.25
        far = gap + step
        cands += [
            (x + gap, y + lab_size * 0.36 - step, "start"),
            (x + gap, y + lab_size * 0.36 + step, "start"),
            (x - gap, y + lab_size * 0.36 - step, "end"),
            (x - gap, y + lab_size * 0.36 + step, "end"),
            (x, y - far - desc_h, "middle"),
            (x, y + far + asc, "middle"),
            (x + far, y + lab_size * 0.36, "start"),
            (x - far, y + lab_size * 0.36, "end"),
        ]
        best: tuple[float, int, tuple[float, float, str], tuple[float, float, float, float]]
        best = (math.inf, 0, cands[0], (0.0, 0.0, 0.0, 0.0))
        for rank, (tx, ty, anchor) in enumerate(cands):
            bx0 = tx if anchor == "start" else tx - tw if anchor == "end" else tx - tw / 2
            box = (bx0, ty - asc, bx0 + tw, ty + desc_h)
            score = 0.0
            if box[0] < map_l + 2 or box[2] > map_r - 2 or box[1] < map_t + 2 or box[3] > map_b - 2:
                score += 1e6
            score += sum(3 * _boxes_overlap(box, taken[j]) for j in taken_grid.near(box))
            score += sum(
                _boxes_overlap(box, obstacles[j]) for j in obstacle_grid.near(box) if j != i
            )
            if score < best[0]:
                best = (score, rank, (tx, ty, anchor), box)
            if score == 0:
                break
        tx, ty, anchor = best[2]
        box = best[3]
        taken.append(box)
        taken_grid.add(box)
        if best[1] >= 8:
            nx = min(max(x, box[0]), box[2])
            ny = min(max(y, box[1]), box[3])
            dist = math.hypot(nx - x, ny - y)
            if dist > r + 3:
                labels.append(
                    _el(
                        "line",
                        {
                            "x1": x + (nx - x) * r / dist,
                            "y1": y + (ny - y) * r / dist,
                            "x2": nx,
                            "y2": ny,
                            "stroke": "#7f7f7f",
                            "stroke-width": 0.6,
                        },
                    )
                )
        labels.append(
            _text(
                tx,
                ty,
                p.name,
                anchor=anchor,
                size=lab_size,
                weight="bold" if p.key else None,
                cls="name",
                halo=True,
            )
        )
    body.append('<g class="names">' + "".join(labels) + "</g>")
    body.append(
        _el(
            "rect",
            {
                "class": "neatline",
                "x": map_l,
                "y": map_t,
                "width": map_w,
                "height": map_h,
                "fill": "none",
                "stroke": "#333333",
                "stroke-width": 0.8,
            },
        )
    )

    # legend panel
    leg: list[str] = []
    px0 = panel_l + 10
    # north arrow
    nx, ny = panel_l + panel_w / 2, map_t + 8
    leg.append(
        '<g class="north-arrow">'
        + _text(nx, ny + 11, "N", anchor="middle", size=12, weight="bold")
        + _el(
            "path",
            {
                "d": f"M{_n(nx)} {_n(ny + 15)}L{_n(nx + 7)} {_n(ny + 39)}L{_n(nx)} {_n(ny + 33)}Z",
                "fill": "#262626",
            },
        )
        + _el(
            "path",
            {
                "d": f"M{_n(nx)} {_n(ny + 15)}L{_n(nx - 7)} {_n(ny + 39)}L{_n(nx)} {_n(ny + 33)}Z",
                "fill": "#ffffff",
                "stroke": "#262626",
                "stroke-width": 0.8,
                "stroke-linejoin": "round",
            },
        )
        + "</g>"
    )
    y = ny + 58
    leg.append(_text(px0, y, "图例", size=11.5, weight="bold"))
    y += 8
    row = 17.0
    for g in groups:
        cy = y + row / 2
        leg.append(
            _el(
                "circle",
                {
                    "cx": px0 + 6,
                    "cy": cy,
                    "r": 5.5,
                    "fill": colours[g],
                    "fill-opacity": 0.85,
                    "stroke": "#404040",
                    "stroke-width": 0.5,
                },
            )
        )
        leg.append(_text(px0 + 18, cy + leg_size * 0.36, group_labels[g], size=leg_size))
        y += row
    if any(p.key for p in points):
        cy = y + row / 2
        leg.append(_el("circle", {"cx": px0 + 6, "cy": cy, "r": 4, "fill": "#9e9e9e"}))
        leg.append(
            _el(
                "circle",
                {"cx": px0 + 6, "cy": cy, "r": 6.5, "fill": "none", "stroke": "#1a1a1a"},
            )
        )
        leg.append(_text(px0 + 18, cy + leg_size * 0.36, "重点企业", size=leg_size))
        y += row
    if rings:
        cy = y + row / 2
        leg.append(
            _el(
                "rect",
                {
                    "x": px0,
                    "y": cy - 5,
                    "width": 12,
                    "height": 10,
                    "fill": "#eef1ec",
                    "stroke": "#4d4d4d",
                    "stroke-width": 1.2,
                    "stroke-dasharray": "6 2 1.5 2",
                },
            )
        )
        leg.append(_text(px0 + 18, cy + leg_size * 0.36, "园区边界", size=leg_size))
        y += row
    # reference circles
    refs = [v for v in refs if radius(v) >= 3]
    if refs:
        y += 12
        leg.append(_text(px0, y, f"排放量（{unit}）", size=leg_size))
        r_big = radius(refs[0])
        base = y + 8 + 2 * r_big
        ccx = px0 + r_big
        ref_svg: list[str] = []
        prev_y = -math.inf
        for v in refs:
            rr = radius(v)
            ref_svg.append(
                _el(
                    "circle",
                    {
                        "cx": ccx,
                        "cy": base - rr,
                        "r": rr,
                        "fill": "none",
                        "stroke": "#595959",
                        "stroke-width": 0.8,
                    },
                )
            )
            ty = base - 2 * rr
            lx = ccx + r_big + 6
            ref_svg.append(
                _el(
                    "line",
                    {
                        "x1": ccx,
                        "y1": ty,
                        "x2": lx,
                        "y2": ty,
                        "stroke": "#8c8c8c",
                        "stroke-width": 0.6,
                        "stroke-dasharray": "2 1.5",
                    },
                )
            )
            # labels would collide when circles are close in size: keep ≥ 11 px between them
            label_y = max(ty + 3.5, prev_y + 11)
            prev_y = label_y
            ref_svg.append(_text(lx + 3, label_y, _fmt(v, ref_dec), size=10))
        leg.append('<g class="size-legend">' + "".join(ref_svg) + "</g>")
        y = max(base, prev_y) + 6
    # scale bar: the longest round length that fits the panel
    km_w = _text_width(" km", 10.0)
    max_px = panel_w - 20 - km_w - _text_width("0.25", 10.0) / 2
    km = _nice_floor(max_px / scale)
    bar_px = km * scale
    sy = max(y + 22, map_b - 26)
    half = bar_px / 2
    leg.append(
        _el("g", {"class": "scale-bar", "data-km": _fmt_km(km)})[:-2]
        + ">"
        + _el(
            "rect",
            {
                "x": px0,
                "y": sy,
                "width": half,
                "height": 4,
                "fill": "#262626",
                "stroke": "#262626",
                "stroke-width": 0.6,
            },
        )
        + _el(
            "rect",
            {
                "x": px0 + half,
                "y": sy,
                "width": half,
                "height": 4,
                "fill": "#ffffff",
                "stroke": "#262626",
                "stroke-width": 0.6,
            },
        )
        + _text(px0, sy - 4, "0", anchor="middle", size=10)
        + _text(px0 + bar_px, sy - 4, _fmt_km(km), anchor="middle", size=10)
        + _text(px0 + bar_px + _text_width(_fmt_km(km), 10.0) / 2 + 2, sy - 4, "km", size=10)
        + "</g>"
    )
    body.append('<g class="legend">' + "".join(leg) + "</g>")

    total = sum(p.value for p in points)
    keys = [p.name for p in points if p.key]
    desc = (
        f"企业分布图，共 {len(points)} 家企业，排放量合计 {_fmt(total, _auto_decimals([total]))}"
        f" {unit}；圆面积与排放量成正比。"
        + ("重点企业：" + "、".join(keys) + "。" if keys else "")
        + "；".join(
            f"{p.name}（{p.group_label}）{_fmt(p.value, _auto_decimals([p.value]))} {unit}"
            for p in points
        )
        + (f"。比例尺 {_fmt_km(km)} km。" if points else "")
    )
    return _svg(width, height, title or "企业分布图", desc, body)

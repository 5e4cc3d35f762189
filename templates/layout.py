"""Tables that always fit the printed page (issue 11).

A table's columns get widths from their content, estimated in em of the table's font: a column
is at least as wide as its longest unbreakable run (a number, an ASCII word, a unit; a short
Chinese cell such as a verdict 未达标 whole; the key column's names up to :data:`KEY_HOLD`
characters), and shares what is left in proportion to its longest line. When even the narrowest
columns do not fit the text block, the table is set smaller, then on a landscape page, then split
by columns with its key columns repeated in every part; it is never cut at the page edge.

:func:`fit` returns the parts to print (one table, or several ``（续）`` parts), each with its
column widths (:attr:`Table.widths`) and size (:attr:`Table.size`); the Word and Excel writers may
read the same fields. Estimates are conservative (a digit counted 0.6 em, a Chinese character
1 em), so that a fixed-layout table never overflows its columns.
"""

from __future__ import annotations

import dataclasses
import html
import re
import unicodedata
from collections.abc import Iterable

from tanping.templates.render import Cell, Table

#: The text block of an A4 page (print.css: margins 30 mm left, 25 mm right), in mm.
TEXT_WIDTH_MM = 210 - 30 - 25
LANDSCAPE_WIDTH_MM = 297 - 25 - 25
PT_MM = 25.4 / 72
#: Font sizes (pt) of a table: normal, smaller, and on a landscape page.
SIZES = {"": 9.0, "small": 7.5, "landscape": 7.5}
#: Cell padding left + right (print.css: 1.5 mm each side), in mm.
PADDING_MM = 3.0
#: A Chinese cell of at most this many characters is never broken (a verdict, a short name).
SHORT = 6
#: The key column holds names of up to this many characters on one line.
KEY_HOLD = 9
#: Added to each column's narrowest width: rounding of the widths must not break a run.
SAFETY_EM = 0.5
#: Where a longer Chinese text may break: every this many characters at the least.
CJK_MIN = 3

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>", re.I)
_ASCII_RUN = re.compile(r"[\x21-\x7e\u00b2\u00b3\u2080-\u2089\u00b7%‰~～]+")


def _char_em(char: str) -> float:
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if char == " ":
        return 0.3
    if char.isupper() or char in "%‰@mMwW":
        return 0.75
    return 0.6


def text_em(text: str) -> float:
    """The width of ``text`` in em (conservative)."""
    return sum(_char_em(c) for c in text)


def _lines(cell: Cell) -> list[str]:
    text = str(cell.content)
    parts = _BREAK.split(text)
    return [" ".join(html.unescape(_TAG.sub("", part)).split()) for part in parts]


def _min_em(cell: Cell, *, key: bool) -> float:
    """The narrowest the cell can be without breaking a run it must keep whole."""
    widest = 0.0
    for line in _lines(cell):
        if cell.num:
            widest = max(widest, text_em(line))
            continue
        runs = [text_em(run) for run in _ASCII_RUN.findall(line)]
        cjk = [c for c in line if unicodedata.east_asian_width(c) in ("W", "F")]
        hold = KEY_HOLD if key else (len(line) if len(line) <= SHORT else CJK_MIN)
        widest = max(widest, *runs, min(len(cjk), hold) if cjk else 0.0)
    return widest


def _max_em(cell: Cell) -> float:
    return max((text_em(line) for line in _lines(cell)), default=0.0)


@dataclasses.dataclass
class _Placed:
    cell: Cell
    row: int
    column: int


def grid(rows: list[list[Cell]]) -> tuple[list[list[_Placed]], int]:
    """Each cell of ``rows`` with its column (rowspans from rows above taken into account), and
    the number of columns."""
    taken: dict[tuple[int, int], bool] = {}
    placed: list[list[_Placed]] = []
    columns = 0
    for r, row in enumerate(rows):
        c = 0
        line = []
        for cell in row:
            while taken.get((r, c)):
                c += 1
            line.append(_Placed(cell, r, c))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken[r + dr, c + dc] = True
            c += cell.colspan
        columns = max(columns, c, *(cc + 1 for (rr, cc) in taken if rr == r))
        placed.append(line)
    return placed, columns


def column_needs(table: Table) -> tuple[list[float], list[float]]:
    """(narrowest, widest) width of each column in em, padding excluded."""
    placed, columns = grid([*table.head, *table.body])
    low = [0.0] * columns
    high = [0.0] * columns
    spanned: list[_Placed] = []
    for line in placed:
        for p in line:
            if p.cell.colspan > 1:
                spanned.append(p)
                continue
            key = p.column < table.key_columns and p.row >= len(table.head)
            low[p.column] = max(low[p.column], _min_em(p.cell, key=key))
            high[p.column] = max(high[p.column], _max_em(p.cell))
    for p in spanned:  # a spanning cell widens the last of its columns if they are too narrow
        span = range(p.column, min(p.column + p.cell.colspan, columns))
        need = _min_em(p.cell, key=False) - sum(low[c] for c in span)
        if need > 0 and span:
            low[span[-1]] += need
    low = [lo + SAFETY_EM if lo else 0.0 for lo in low]  # a run exactly as wide would break
    high = [max(h, lo) for h, lo in zip(high, low, strict=True)]
    return low, high


def _available_em(size: str) -> float:
    width = LANDSCAPE_WIDTH_MM if size == "landscape" else TEXT_WIDTH_MM
    return width / (SIZES[size] * PT_MM)


def _padding_em(size: str) -> float:
    return PADDING_MM / (SIZES[size] * PT_MM)


def widths(low: list[float], high: list[float], size: str) -> list[float] | None:
    """Column widths in percent of the table for ``size``, or ``None`` if it does not fit."""
    pad = _padding_em(size)
    room = _available_em(size) - pad * len(low)
    if sum(low) > room:
        return None
    if sum(high) <= room:
        shares = [h + (room - sum(high)) * h / (sum(high) or 1) for h in high]
    else:
        spare = room - sum(low)
        extra = [h - lo for h, lo in zip(high, low, strict=True)]
        shares = [lo + spare * e / (sum(extra) or 1) for lo, e in zip(low, extra, strict=True)]
    total = sum(s + pad for s in shares)
    return [round(100 * (s + pad) / total, 2) for s in shares]


def _columns(rows: list[list[Cell]], keep: set[int]) -> list[list[Cell]]:
    """The rows cut down to the columns ``keep``; a spanning cell keeps the columns it still
    covers; a row left without cells keeps none."""
    placed, _ = grid(rows)
    out = []
    for line in placed:
        cells = []
        for p in line:
            covered = [c for c in range(p.column, p.column + p.cell.colspan) if c in keep]
            if covered:
                cells.append(dataclasses.replace(p.cell, colspan=len(covered)))
        out.append(cells)
    return out


def _units(table: Table, key: int, columns: int) -> list[list[int]]:
    """The non-key columns in units a split may not cut: the columns under one spanning head
    cell (a scenario over 排放量 and 占比) stay together."""
    placed, _ = grid(table.head)
    joined: set[int] = set()  # c: no cut between column c - 1 and c
    for line in placed:
        for p in line:
            joined.update(range(p.column + 1, p.column + p.cell.colspan))
    units: list[list[int]] = []
    for c in range(key, columns):
        if units and c in joined:
            units[-1].append(c)
        else:
            units.append([c])
    return units


def _chunks(units: list[list[int]], low: list[float], key: int, size: str) -> list[list[int]]:
    """Groups of units that fit beside the key columns, as even as the fewest groups allow."""
    pad = _padding_em(size)
    room = _available_em(size) - sum(low[:key]) - pad * key
    need = [sum(low[c] + pad for c in unit) for unit in units]

    def fill(limit: float) -> list[list[int]]:
        chunks: list[list[int]] = [[]]
        used = 0.0
        for unit, width in zip(units, need, strict=True):
            if chunks[-1] and used + width > limit:
                chunks.append([])
                used = 0.0
            chunks[-1] += unit
            used += width
        return chunks

    fewest = fill(room)
    even = fill(max(max(need), sum(need) / len(fewest)) * 1.001)
    return even if len(even) == len(fewest) else fewest


def fit(table: Table) -> list[Table]:
    """The parts of ``table`` to print, each with its widths and size (see module doc)."""
    low, high = column_needs(table)
    if not low:
        return [table]
    for size in ("", "small", "landscape"):
        shares = widths(low, high, size)
        if shares is not None:
            return [dataclasses.replace(table, widths=shares, size=size)]
    key = max(1, min(table.key_columns, len(low) - 1))
    parts = []
    units = _units(table, key, len(low))
    chunks = _chunks(units, low, key, "landscape")
    for n, chunk in enumerate(chunks):
        keep = set(range(key)) | set(chunk)
        order = sorted(keep)
        part_low = [low[c] for c in order]
        part_high = [high[c] for c in order]
        shares = widths(part_low, part_high, "landscape") or [100 / len(order)] * len(order)
        parts.append(
            dataclasses.replace(
                table,
                head=_columns(table.head, keep),
                body=_columns(table.body, keep),
                notes=table.notes if n == len(chunks) - 1 else [],
                widths=shares,
                size="landscape",
                part=n + 1,
            )
        )
    return parts


def groups(body: list[list[Cell]]) -> Iterable[list[list[Cell]]]:
    """The body's rows in groups held together by a rowspan of the first column (a group
    label): a page break falls between groups, so no label is left behind its rows."""
    row = 0
    while row < len(body):
        first = body[row][0] if body[row] else None
        span = first.rowspan if first is not None and first.rowspan > 1 else 1
        yield body[row : row + span]
        row += span

"""A fix to Material's Chinese query segmentation, applied to the built site's search worker.

Material for MkDocs 9.8.1 (MIT licence, so it may be patched) segments the Chinese runs of a
query in its search worker (``Search.search`` and ``segment()``, from
``src/templates/assets/javascripts/integrations/search/{_,query/segment}/index.ts``): for every
position ``i`` it finds the longest slice ``query.slice(i, j)`` that is a term of the search
index, then splits the run greedily along those terms. Its loops stop one character short::

    for (let j = i + 1; j < query.length; j++)      // never tries a slice up to the end
    if (wordcuts[q] && q < query.length - 1)        // never continues at the last character

so a whole typed term is never found. 以新带老 (one term of the index, kept whole by the jieba
user dictionary) is searched as ``以*``, matching 以上, 以下 and 以供; 减污降碳 as ``减污* 降*``,
matching 降低 and 降温; and a result's link highlights only ``?h=以`` on the opened page. Once
a query splits into several terms, a third slip shows: the segments are joined with ``"* "`` and
every term then gets a ``*``, so all but the last become ``净新增**``, which never counts as a
term found (left out of ``?h=``, listed as 缺少).

:func:`fix_query_segmenter` makes the three edits (``<=``; ``< query.length``; ``join(" ")``) in
the worker the build wrote (``assets/javascripts/workers/search.*.min.js``; the same file runs in
the file:// iframe shim), after the build. The code is matched by its shape, minified names left
free; when it is not found exactly once, and is not already fixed, the build stops: a Material
upgrade must be looked at, never silently left unfixed. The bundle gets two characters shorter,
so its source map is off by a column or two after these lines (developer tools only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tanping.calc.errors import TanpingError

WORKERS = "assets/javascripts/workers"
_N = r"[A-Za-z_$][\w$]*"  # a (minified) JavaScript name


@dataclass(frozen=True)
class _Edit:
    """One replacement in the minified worker: the code ``shape`` (a regular expression in which
    ``@`` stands for the part to change) must hold ``old`` exactly once, or (a worker fixed
    before) ``new`` exactly once."""

    why: str
    shape: str
    old: str
    new: str

    def pattern(self, part: str) -> re.Pattern[str]:
        return re.compile(self.shape.replace("@", f"(?P<part>{re.escape(part)})"))


_EDITS = (
    _Edit(  # for (let j = i + 1; j < query.length; j++) if (query.slice(i, j) in index) ...
        "segment() never looks up a term that ends with the query",
        rf"for\(let (?P<j>{_N})=(?P<i>{_N})\+1;(?P=j)@(?P<q>{_N})\.length;(?P=j)\+\+\)"
        rf"(?P=q)\.slice\((?P=i),(?P=j)\)in {_N}&&\({_N}\[(?P=i)\]=(?P=j)-(?P=i)\)",
        "<",
        "<=",
    ),
    _Edit(  # const q = p + wordcuts[p]; if (wordcuts[q] && q < query.length - 1) stack.push(q)
        "segment() never continues at the query's last character",
        rf"let (?P<at>{_N})=(?P<p>{_N})\+(?P<cuts>{_N})\[(?P=p)\];(?P=cuts)\[(?P=at)\]&&"
        rf"(?P=at)<{_N}\.length@\({_N}\[{_N}\+\+\]=(?P=at)\)",
        "-1&&",
        "&&",
    ),
    _Edit(  # [...segment(value, this.index.invertedIndex)].join("* "), then a "*" after each
        "search() gives every segment but the last two wildcards (以新带老**), so it is never "
        "credited as a found term (no ?h=, listed as missing)",
        rf"\[\.\.\.{_N}\({_N},this\.index\.invertedIndex\)\]\.@",
        'join("* ")',
        'join(" ")',
    ),
)


class SearchWorkerError(TanpingError, RuntimeError):
    """The theme's search worker is not the one this fix was written for."""


def fixed_worker(source: str) -> str:
    """``source`` (Material's minified search worker) with the Chinese query segmentation fixed;
    unchanged if it was fixed before. Raises ``ValueError`` naming the code not found."""
    for edit in _EDITS:
        old = list(edit.pattern(edit.old).finditer(source))
        if len(old) == 1:
            start, end = old[0].span("part")
            source = source[:start] + edit.new + source[end:]
        elif old or len(list(edit.pattern(edit.new).finditer(source))) != 1:
            raise ValueError(f"{edit.why}: the code is found {len(old)} times, not once")
    return source


def fix_query_segmenter(site: Path) -> Path:
    """Fix the Chinese query segmenter in the search worker of the built ``site``; returns the
    worker's path. Raises :class:`SearchWorkerError` if there is not exactly one worker or its
    code is not the one expected."""
    workers = sorted((site / WORKERS).glob("search.*.min.js"))
    hint = (
        "Material for MkDocs 的搜索脚本已变：核对其 segment() 是否仍有差一错误，"
        "再更新 templates/search.py（或在上游已修复时删去此修正）"
    )
    if len(workers) != 1:
        names = [p.name for p in workers]
        raise SearchWorkerError(
            f"站点搜索：{site / WORKERS} 中应有一个搜索脚本，实有 {names}", hint
        )
    worker = workers[0]
    source = worker.read_text(encoding="utf-8")
    try:
        text = fixed_worker(source)
    except ValueError as err:
        raise SearchWorkerError(f"站点搜索：{worker} 无法修正中文查询切分：{err}", hint) from err
    if text != source:
        worker.write_text(text, encoding="utf-8")
    return worker

"""The one escaping path of every data string that reaches a page: text, never syntax.

A data string (a row name, a district, a scenario's display name …) ends up in Markdown that
Python-Markdown converts, in HTML attributes (the hover cards), in SVG text and in the PDF. Escaping
it for HTML alone is not enough: ``[x](javascript:…)``, ``![x](file:///…)``, a newline followed by
``# 标题`` or ``{: onclick=…}`` are Markdown, and Python-Markdown acts on them even inside an HTML
attribute of inline HTML (its link pattern runs before inline HTML is set aside).

:func:`inert` turns a data string into text that is inert for both:

- ASCII whitespace runs (newlines, tabs included) become one space, so data is one line and can
  start no block (heading, list, quote, table row, code, setext underline);
- ``& < > " '`` become character references (HTML and attribute escaping);
- the characters that start inline Markdown anywhere in a line become numeric character
  references: ``\\`` (escapes), `````` ` `````` (code), ``* _`` (emphasis), ``[ ]`` (links, images,
  references, footnotes, ``[TOC]``), ``{ }`` (attribute lists), ``|`` (table cells), ``~``;
- the mark that could open a line construct at the start of the string (after at most one
  space: ``# = ! : + -``, or the dot of a list number ``1.``) is also referenced, since a string
  may be printed at the start of a line.

Character references read the same in the browser, in the search index and in WeasyPrint, so
normal text (``CO2（燃料）``, ``1.5 %``, ``2 台 10 t/h``) shows unchanged and without backslashes;
Markdown sees no syntax in them. Numbers and Chinese text need no reference at all.

:class:`Markup` is ``markupsafe.Markup`` with this escaping: every ``Markup("…").format(data)``,
``join`` and ``+`` of the templates passes data through :func:`inert`. :class:`Data` tags a string
read by a chapter (from the report, a figure or a macro) so that Jinja's own escaping (``~``,
``join``) uses :func:`inert` too.
"""

from __future__ import annotations

import re
from typing import Any, Self

import markupsafe

_WHITESPACE = re.compile(r"[ \t\n\r\f\v\x85\u2028\u2029]+")
#: HTML's five as markupsafe writes them, then Markdown's inline marks as numeric references.
_ANYWHERE = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"} | {
    c: f"&#{ord(c)};" for c in "\\`*_[]{}|~"
}
_TABLE = str.maketrans(_ANYWHERE)
#: What a line may start with to be a block construct (beyond the characters always referenced).
_LINE_START = re.compile(r"^ ?(?:(?P<mark>[#=!:]|[+-](?!\d))|\d+(?P<mark_>[.)])(?= |$))")


def inert_text(text: str, *, line_start: bool = True) -> str:
    """``text`` as Markdown-inert, HTML-escaped markup (a plain ``str``); see the module.

    ``line_start=False`` for an attribute value (inside a tag, it never starts a line): then a
    leading ``#`` (a colour) or ``-`` stays as it is."""
    flat = _WHITESPACE.sub(" ", text)
    start = _LINE_START.match(flat) if line_start else None
    if start is None:
        return flat.translate(_TABLE)
    cut = start.start("mark") if start.group("mark") else start.start("mark_")
    return flat[:cut].translate(_TABLE) + f"&#{ord(flat[cut])};" + flat[cut + 1 :].translate(_TABLE)


def inert(value: Any) -> markupsafe.Markup:
    """A data value as inert text; markup made by tanping (anything with ``__html__`` that is not
    :class:`Data`) passes unchanged."""
    if hasattr(value, "__html__") and not isinstance(value, Data):
        return markupsafe.Markup(value.__html__())
    return markupsafe.Markup(inert_text(str(value)))


class Markup(markupsafe.Markup):
    """Tanping's own markup: arguments of ``format``, ``join``, ``+`` and ``%`` are data and go
    through :func:`inert` (``markupsafe.Markup`` escapes them for HTML only)."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any, /) -> Self:
        return cls(inert(s))


class Data(str):
    """A string a chapter read from the report, the ledger or a macro: printed, joined or
    concatenated with markup, it is escaped by :func:`inert`."""

    __slots__ = ()

    def __html__(self) -> str:
        return inert_text(str.__str__(self))


def url(value: str) -> markupsafe.Markup:
    """A URL tanping builds from its own names (report folders, chapter files, anchors): escaped
    for the attribute only. Never for data."""
    return markupsafe.Markup(markupsafe.escape(value))

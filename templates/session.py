"""One build's knowledge of its reports: each report computed once, its site pages rendered once
(or taken from the build cache), shared by the site and the per-report outputs.

A :class:`Session` is what the MkDocs hook (:mod:`templates.site`) asks for a report's pages and
navigation title, and what :func:`templates.publish.build_site` asks for the report's PDF (and,
later, its Word and Excel copies). ``tanping build`` and ``tanping serve`` open one per build
(:func:`opened`); a plain ``mkdocs build`` or ``mkdocs serve`` gets one per engine build from
:func:`for_engine`.

- :meth:`Session.result` computes a report folder (:func:`calc.pipeline.compute`) once.
- :meth:`Session.renderer` is the report's renderer of a mode (``site`` or ``print``), with its
  numbering collected, built on that one result.
- :meth:`Session.pages` is every page the site publishes of a report as rendered Markdown, with
  the report's summary (title, kind, district, draft), from the cache when the report's key
  (:func:`templates.cache.report_key`) is known there.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tanping.calc.pipeline import Result, compute
from tanping.templates import cache
from tanping.templates.kinds import kind_of
from tanping.templates.render import ReportRenderer, chapter_files

#: The file name of the generated 计算过程 page in every report folder of the site.
DERIVATIONS_PAGE = "derivations.md"


@dataclass(frozen=True)
class Summary:
    """What the home page and the navigation show of a report."""

    slug: str
    title: str
    kind: str
    district: str
    first: str  # the stem of the first page
    draft: bool
    fixture: str = ""  # what a contract fixture says it is (fixture.yml), "" for a report


@dataclass
class SitePages:
    """Every page the site publishes of one report, as rendered Markdown (file name -> text)."""

    summary: Summary
    pages: dict[str, str]
    cached: bool = False

    def to_json(self) -> bytes:
        data = {"summary": asdict(self.summary), "pages": self.pages}
        return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> SitePages:
        parsed = json.loads(data.decode("utf-8"))
        return cls(Summary(**parsed["summary"]), dict(parsed["pages"]), cached=True)


@dataclass(frozen=True)
class Written:
    """One output of one report a build wrote (or took from the cache), for the summary."""

    slug: str
    output: str  # "pdf" (later "docx", "xlsx"), or "site" for a report's pages
    files: list[str]
    pages: int | None = None
    seconds: float = 0.0
    cached: bool = False


class BuildEvents:
    """What a build tells its progress display: the stage it is in (for a report, or ``""``
    for the whole site) and each output written. This one shows nothing."""

    def stage(self, report: str, what: str) -> None:
        """The build started ``what`` for ``report``."""

    def written(self, record: Written) -> None:
        """An output is done."""


@dataclass
class Session:
    """The reports of one build (see the module's docstring). ``only``: the report folders the
    build publishes (``None``: every one); ``outputs``: whether the engine's own build writes the
    per-report outputs (a plain ``mkdocs build``), rather than tanping's build (which writes them
    in parallel, from the cache when it can) or the preview (which writes none)."""

    store: cache.Store = field(default_factory=cache.Store)
    only: frozenset[Path] | None = None
    outputs: bool = False
    results: dict[Path, Result] = field(default_factory=dict)
    renderers: dict[tuple[Path, str], ReportRenderer] = field(default_factory=dict)
    site: dict[Path, SitePages] = field(default_factory=dict)
    computed: list[Path] = field(default_factory=list)  # in the order computed (tests, progress)
    events: BuildEvents = field(default_factory=BuildEvents)

    def selected(self, folder: Path) -> bool:
        return self.only is None or Path(folder).resolve() in self.only

    def result(self, folder: Path) -> Result:
        folder = Path(folder).resolve()
        if folder not in self.results:
            self.events.stage(folder.name, "计算")
            self.results[folder] = compute(folder)
            self.computed.append(folder)
        return self.results[folder]

    def renderer(self, folder: Path, mode: str = "site") -> ReportRenderer:
        """The renderer of ``folder`` in ``mode``, numbering collected (first pass done)."""
        from tanping.templates.publish import check_chapter

        folder = Path(folder).resolve()
        if (folder, mode) not in self.renderers:
            result = self.result(folder)
            chapters = chapter_files(folder)
            for path in chapters:
                check_chapter(folder, path)
            cls = kind_of(result.report).renderer()
            instance = cls(folder, result, mode=mode)
            instance.collect(chapters)
            self.renderers[folder, mode] = instance
        return self.renderers[folder, mode]

    def site_key(self, folder: Path, *, directory_urls: bool) -> str:
        return cache.report_key(
            "report-site", folder, path=str(Path(folder).resolve()), directory_urls=directory_urls
        )

    def pages(self, folder: Path, *, directory_urls: bool = True) -> SitePages:
        """Every page of ``folder`` for the site (see :class:`SitePages`)."""
        folder = Path(folder).resolve()
        if folder in self.site:
            return self.site[folder]
        key = self.site_key(folder, directory_urls=directory_urls)
        data = self.store.read("report-site", key, "pages.json")
        pages: SitePages | None = None
        if data is not None:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                pages = SitePages.from_json(data)
        if pages is None:
            started = time.perf_counter()
            pages = self._render(folder, directory_urls=directory_urls)
            self.store.put_bytes("report-site", key, {"pages.json": pages.to_json()}, {})
            seconds = time.perf_counter() - started
        else:
            seconds = 0.0
        self.events.written(
            Written(folder.name, "site", sorted(pages.pages), None, seconds, pages.cached)
        )
        self.site[folder] = pages
        return pages

    def _render(self, folder: Path, *, directory_urls: bool) -> SitePages:
        from tanping.templates import publish

        report = self.renderer(folder, "site")
        self.events.stage(folder.name, "站点页面")
        report.directory_urls = directory_urls
        rendered = {path.name: publish.render_page(report, path) for path in chapter_files(folder)}
        generated = folder / DERIVATIONS_PAGE
        rendered[DERIVATIONS_PAGE] = publish.render_page(
            report, generated, publish.derivations_page()
        )
        return SitePages(publish.summary(report), rendered)

    def forget(self, folders: Iterable[Path]) -> None:
        """Drop what is known of ``folders`` (the preview, after they changed)."""
        gone = {Path(f).resolve() for f in folders}
        self.results = {k: v for k, v in self.results.items() if k not in gone}
        self.renderers = {k: v for k, v in self.renderers.items() if k[0] not in gone}
        self.site = {k: v for k, v in self.site.items() if k not in gone}


_ACTIVE: list[Session] = []


@contextlib.contextmanager
def opened(session: Session) -> Iterator[Session]:
    """Make ``session`` the one the hook uses for the engine runs inside the block."""
    _ACTIVE.append(session)
    try:
        yield session
    finally:
        _ACTIVE.remove(session)


def for_engine(command: str | None = None) -> Session:
    """The session of an engine build: the one tanping opened, else a fresh one for a plain
    ``mkdocs build`` (which writes the per-report outputs itself) or ``mkdocs serve`` (which
    writes none: a preview never builds PDFs)."""
    if _ACTIVE:
        return _ACTIVE[-1]
    return Session(outputs=command != "serve")


def engine_command(value: Any = None) -> str | None:
    """Remembers the engine's command (``build``, ``serve``, ``gh-deploy``) from its startup
    event; returns the last one seen."""
    if value is not None:
        _COMMAND[:] = [str(value)]
    return _COMMAND[0] if _COMMAND else None


_COMMAND: list[str] = []

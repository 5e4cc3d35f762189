"""The build's progress display: the stage and report being worked on, then a summary table.

On a terminal it is a live ``rich`` status line; in CI logs (``CI=true``) or when stderr is not
a terminal, nothing is printed while the build runs and the summary is plain text, so that logs
stay short and readable.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from types import TracebackType
from typing import IO, Any

from tanping.templates.session import BuildEvents, Written

OUTPUT_NAMES = {"site": "站点页面", "pdf": "PDF", "office": "Word 与 Excel"}


def quiet_environment() -> bool:
    """Whether the build runs where a live display is noise: CI, or no terminal."""
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    return ci or not sys.stderr.isatty()


class Progress(BuildEvents):
    """Build events shown on ``stream`` (stderr) and collected for :meth:`summary`."""

    def __init__(self, stream: IO[str] | None = None, *, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = (not quiet_environment()) if live is None else live
        self.records: list[Written] = []
        self.started = time.perf_counter()
        self._lock = threading.Lock()
        self._status: Any = None
        self._stages: dict[str, str] = {}

    def __enter__(self) -> Progress:
        if self.live:
            from rich.console import Console

            console = Console(file=self.stream)
            self._status = console.status("tanping build：准备…", spinner="dots")
            self._status.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _show(self) -> None:
        if self._status is None:
            return
        shown = "；".join(f"{r or '站点'}：{s}" for r, s in self._stages.items())
        done = len(self.records)
        self._status.update(
            f"tanping build（{time.perf_counter() - self.started:.0f} s，{done} 项完成）{shown}"
        )

    def stage(self, report: str, what: str) -> None:
        with self._lock:
            self._stages[report] = what
            self._show()

    def written(self, record: Written) -> None:
        with self._lock:
            self.records.append(record)
            self._stages.pop(record.slug, None)
            self._show()

    def summary(self) -> str:
        """The table of outputs: report, output, pages, time (or 缓存 when reused)."""
        rows = sorted(
            {(r.slug, r.output): r for r in self.records}.values(),
            key=lambda r: (r.slug, r.output != "site", r.output),
        )
        total = time.perf_counter() - self.started
        reused = sum(1 for r in rows if r.cached)
        if not self.live:
            lines = ["报告\t输出\t页数\t用时"]
            for r in rows:
                pages = "" if r.pages is None else str(r.pages)
                took = "缓存" if r.cached else f"{r.seconds:.1f} s"
                lines.append(f"{r.slug}\t{OUTPUT_NAMES.get(r.output, r.output)}\t{pages}\t{took}")
            lines.append(f"共 {len(rows)} 项输出，{reused} 项取自缓存，总用时 {total:.1f} s")
            return "\n".join(lines)
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"构建完成：{total:.1f} s（{reused}/{len(rows)} 项取自缓存）")
        for name, justify in (
            ("报告", "left"),
            ("输出", "left"),
            ("页数", "right"),
            ("用时", "right"),
        ):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for r in rows:
            table.add_row(
                r.slug,
                OUTPUT_NAMES.get(r.output, r.output),
                "" if r.pages is None else str(r.pages),
                "缓存" if r.cached else f"{r.seconds:.1f} s",
            )
        console = Console(file=self.stream, record=False)
        with console.capture() as captured:
            console.print(table)
        return captured.get()

"""Build benchmark (``make bench``): ratios measured in one run, written to bench/README.md.

Every ratio compares two things timed in the same run on the same machine (``perf_counter``,
best of the runs made), so that a busy machine slows both sides alike:

1. the ledger of the generated 1,000-enterprise park against parsing its YAML with PyYAML's C
   loader (tests/bench/ledger_bench.py; target ≤ 0.75×);
2. the site of the repository's reports (``tanping build --no-pdf``, build cache off) against a
   plain MkDocs build of the same pages already rendered (the same theme, plugins and assets,
   no hook; target ≤ 1.2×);
3. each report's PDF (``publish.export_pdf`` on the build's computed report) against WeasyPrint
   alone on the same HTML and stylesheet (target ≤ 1.05×);
4. a rebuild with no change against the full build (site and every output, empty cache;
   target ≤ 0.1×);
5. the preview's edit-to-page latency: a number in bj-heating's report.yml saved, until the
   served page shows the new figure (target ≤ 1 s);
6. the 1,000-enterprise park end to end (``tanping build`` of that one report, site and PDF, in
   a subprocess with a time limit), with its peak memory (target: within CI's limits, < 2 GB).

    python -m tests.bench.build_bench [--skip-park] [--park-timeout 1200] [--out bench/README.md]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
Row = tuple[str, str, str, str, str]  # what, measured, against, ratio, target


def _best(run: Callable[[], Any], times: int = 2) -> float:
    found = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        found.append(time.perf_counter() - started)
    return min(found)


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _workspace(root: Path, reports: list[str]) -> Path:
    """A buildable copy of the repository's site with the given reports; returns mkdocs.yml."""
    from tests.test_build import make_project

    make_project(root, reports[0])
    for name in reports[1:]:
        shutil.copytree(REPO / "content" / name, root / "content" / name)
    return root / "mkdocs.yml"


def _verdict(ratio: float, target: float) -> str:
    return "✓" if ratio <= target else "✗"


# ---- 1. ledger ----
def ledger_ratio(tmp: Path) -> Row:
    from tanping.calc.pipeline import compute
    from tests.bench.ledger_bench import ParkGenerator, _clear_caches

    folder = tmp / "park"
    folder.mkdir()
    text = ParkGenerator(1000, 20240611).write(folder).read_text(encoding="utf-8")
    ParkGenerator(40, 1).write(tmp)
    compute(tmp)  # warm-up: imports, registry, factor library

    def ledger() -> None:
        _clear_caches()
        compute(folder).ledger.to_json()

    floor = _best(lambda: yaml.load(text, Loader=yaml.CSafeLoader))
    took = _best(ledger)
    ratio = took / floor
    return (
        "台账 / 解析其 YAML（1,000 家企业）",
        f"{took:.2f} s",
        f"{floor:.2f} s",
        f"{ratio:.2f}× {_verdict(ratio, 0.75)}",
        "≤ 0.75×",
    )


# ---- 2. site against plain MkDocs ----
def site_ratio(tmp: Path, reports: list[str]) -> Row:
    from tanping.templates import cache
    from tanping.templates.publish import build_site, report_folders
    from tanping.templates.session import DERIVATIONS_PAGE, Session

    config = _workspace(tmp / "ws", reports)
    with _env(TANPING_BUILD_CACHE="0"):
        build_site(config, tmp / "warm", outputs=False)  # font cache and imports warm
        site = _best(lambda: build_site(config, tmp / "site", outputs=False))
    # the same pages, rendered, as a plain MkDocs project: no hook, the same theme and plugins
    plain = tmp / "plain"
    shutil.copytree(tmp / "ws" / "content" / "assets", plain / "content" / "assets")
    session = Session(store=cache.Store(active=False))
    from tanping.templates import publish

    summaries = []
    for folder in report_folders(tmp / "ws" / "content"):
        pages = session.pages(folder, directory_urls=False)
        summaries.append(pages.summary)
        out = plain / "content" / folder.name
        out.mkdir(parents=True)
        for name, text in pages.pages.items():
            (out / name).write_text(text, encoding="utf-8")
        for extra in folder.iterdir():
            if extra.suffix not in (".md", ".yml", ".geojson") and extra.is_file():
                shutil.copyfile(extra, out / extra.name)
    index = (tmp / "ws" / "content" / "index.md").read_text(encoding="utf-8")
    listing = publish.reports_index(summaries, directory_urls=False)
    (plain / "content" / "index.md").write_text(
        index.replace(publish.REPORTS_MARKER, listing), encoding="utf-8"
    )
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings.pop("hooks", None)
    settings["strict"] = False
    dumped = yaml.safe_dump(settings, allow_unicode=True)
    (plain / "mkdocs.yml").write_text(dumped, "utf-8")
    del DERIVATIONS_PAGE

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    def engine() -> None:
        with contextlib.chdir(plain):
            build(load_config(str(plain / "mkdocs.yml"), site_dir=str(tmp / "plain-site")))

    engine()
    floor = _best(engine)
    ratio = site / floor
    return (
        f"站点（{len(reports)} 份报告，不含 PDF）/ 纯 MkDocs（预渲染页面）",
        f"{site:.2f} s",
        f"{floor:.2f} s",
        f"{ratio:.2f}× {_verdict(ratio, 1.2)}",
        "≤ 1.2×",
    )


# ---- 3. each PDF against WeasyPrint alone ----
def pdf_ratios(tmp: Path, reports: list[str]) -> list[Row]:
    import weasyprint

    from tanping.templates import pdf as pdf_module
    from tanping.templates.publish import export_pdf
    from tanping.templates.session import Session

    rows = []
    captured: list[tuple[str, str | None]] = []
    original = pdf_module.weasyprint.HTML

    def recording(*args: Any, **kwargs: Any) -> Any:
        captured.append((kwargs["string"], kwargs.get("base_url")))
        return original(*args, **kwargs)

    css = weasyprint.CSS(
        string=(pdf_module.PRINT_DIR / "print.css").read_text(encoding="utf-8"),
        base_url=pdf_module.PRINT_DIR.as_uri() + "/",
    )
    for name in reports:
        folder = REPO / "content" / name
        session = Session()
        page = session.renderer(folder, "print")
        pdf_module.weasyprint.HTML = recording  # type: ignore[misc]
        try:
            took = _best(functools.partial(export_pdf, folder, tmp / f"{name}.pdf", page=page), 1)
        finally:
            pdf_module.weasyprint.HTML = original  # type: ignore[misc]
        source, base = captured[-1]

        def alone(source: str = source, base: str | None = base) -> None:
            weasyprint.HTML(string=source, base_url=base).write_pdf(
                stylesheets=[css], presentational_hints=True
            )

        floor = _best(alone, 1)
        ratio = took / floor
        rows.append(
            (
                f"PDF {name} / WeasyPrint 单独处理同一 HTML",
                f"{took:.2f} s",
                f"{floor:.2f} s",
                f"{ratio:.2f}× {_verdict(ratio, 1.05)}",
                "≤ 1.05×",
            )
        )
    return rows


# ---- 4. no-change rebuild ----
def rebuild_ratio(tmp: Path, reports: list[str]) -> Row:
    from tanping.templates import cache
    from tanping.templates.publish import build_site

    config = _workspace(tmp / "ws", reports)
    store = cache.Store(tmp / "cache", active=True)
    started = time.perf_counter()
    build_site(config, store=store, outputs=True)
    full = time.perf_counter() - started
    again = _best(lambda: build_site(config, store=store, outputs=True))
    ratio = again / full
    return (
        f"无改动重建 / 完整构建（{len(reports)} 份报告，站点 + PDF + Word/Excel）",
        f"{again:.2f} s",
        f"{full:.2f} s",
        f"{ratio:.3f}× {_verdict(ratio, 0.1)}",
        "≤ 0.1×",
    )


# ---- 5. preview latency ----
def preview_latency(tmp: Path) -> Row:
    import http.server
    import threading

    from tanping.serve import Preview, _handler

    config = _workspace(tmp / "ws", ["bj-heating"])
    report = tmp / "ws" / "content" / "bj-heating" / "report.yml"
    with _env(TANPING_WEBFONTS="0", TANPING_CACHE=str(tmp / "cache")):
        preview = Preview(config, tmp / "out")
        preview.out.mkdir()
        preview.build_all()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(preview))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/bj-heating/02-accounting.html"
        text = report.read_text(encoding="utf-8")
        with urllib.request.urlopen(url, timeout=10) as response:
            shown = response.read().decode("utf-8")
        found = []
        for amount in (1490, 1590, 1690):
            report.write_text(
                text.replace("consumption: 1290 万Nm3", f"consumption: {amount} 万Nm3"),
                "utf-8",
            )
            started = time.perf_counter()
            preview.changed([report])
            with urllib.request.urlopen(url, timeout=10) as response:
                page = response.read().decode("utf-8")
            found.append(time.perf_counter() - started)
            assert page != shown, "the page shows the new figures"
            shown = page
        server.shutdown()
    best = min(found)
    return (
        "预览：保存 bj-heating 的 report.yml 到页面更新（重算、渲染、取回页面）",
        f"{best:.2f} s",
        "—",
        f"{'✓' if best <= 1 else '✗'}",
        "≤ 1 s（浏览器测试含刷新实测另见 tests/test_serve.py）",
    )


# ---- 6. the 1,000-enterprise park ---------------------------------------------------------------
def park_end_to_end(tmp: Path, timeout: float) -> Row:
    from tests.bench.ledger_bench import ParkGenerator
    from tests.test_build import make_project

    root = tmp / "park-ws"
    make_project(root)
    shutil.rmtree(root / "content" / "spec-project")
    folder = root / "content" / "park-1000"
    folder.mkdir()
    ParkGenerator(1000, 20240611).write(folder)
    for chapter in (REPO / "templates" / "scaffold" / "park").glob("*.md"):
        shutil.copyfile(chapter, folder / chapter.name)  # the scaffold's chapters (tanping new)
    env = {**os.environ, "TANPING_CACHE": str(tmp / "park-cache"), "CI": "true"}
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tanping", "build", "--config", str(root / "mkdocs.yml")],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=root,
        )
        took = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if proc.returncode != 0:
            lines = [line for line in proc.stderr.splitlines() if line.startswith("tanping:")]
            tail = (lines or proc.stderr.strip().splitlines() or ["?"])[-1][:160]
            measured = f"失败（{took:.0f} s）：{tail}"
        else:
            pages = next(
                (row.split("\t")[2] for row in proc.stdout.splitlines() if "\tPDF\t" in row),
                "?",
            )
            measured = f"{took:.0f} s，PDF {pages} 页，峰值内存 {peak:.0f} MB"
    except subprocess.TimeoutExpired:
        measured = f"未在 {timeout:.0f} s 内完成"
    return (
        "1,000 家企业园区端到端（站点 + PDF + Word/Excel）",
        measured,
        "—",
        "—",
        "CI 时限内，< 2 GB",
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}，{os.cpu_count()} 核，{memory:.0f} GB 内存；{platform.system()} "
        f"{platform.release()}；Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-park", action="store_true")
    parser.add_argument("--only", nargs="*", help="run only these steps (ledger site pdf …)")
    parser.add_argument("--park-timeout", type=float, default=1200)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "README.md")
    args = parser.parse_args(argv)
    reports = ["bj-heating", "cq-park", "spec-park", "spec-project"]
    started = time.perf_counter()
    rows: list[Row] = []
    steps: list[tuple[str, Callable[[Path], Row | list[Row]]]] = [
        ("ledger", ledger_ratio),
        ("site", lambda t: site_ratio(t, reports)),
        ("pdf", lambda t: pdf_ratios(t, reports)),
        ("rebuild", lambda t: rebuild_ratio(t, reports)),
        ("preview", preview_latency),
    ]
    if not args.skip_park:
        steps.append(("park", lambda t: park_end_to_end(t, args.park_timeout)))
    steps = [(n, s) for n, s in steps if not args.only or n in args.only]
    for name, step in steps:
        with tempfile.TemporaryDirectory(prefix=f"tanping-bench-{name}-") as tmp:
            print(f"bench: {name} …", file=sys.stderr, flush=True)
            got = step(Path(tmp))
            rows += got if isinstance(got, list) else [got]
            for row in got if isinstance(got, list) else [got]:
                print("  " + " | ".join(row), file=sys.stderr, flush=True)
    table = [
        "| 测量 | 实测 | 对照 | 比值 | 目标 |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]
    text = "\n".join(
        [
            "# 构建基准（`make bench`）",
            "",
            "由 `tests/bench/build_bench.py` 生成：每个比值的两边在同一次运行、同一台机器上测得"
            "（`perf_counter`，取所做各次中的最短），机器繁忙时两边同样变慢。",
            "",
            f"机器：{machine()}",
            f"日期：{time.strftime('%Y-%m-%d %H:%M')}；"
            f"本次基准用时 {time.perf_counter() - started:.0f} s",
            "",
            *table,
            "",
        ]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``tanping serve``: the writer's live preview (the site only, never a PDF).

The site is built once into a temporary folder (through the engine, with the MkDocs hook and a
:class:`templates.session.Session` that writes no per-report outputs; report pages come from the
build cache when they can). The folder is served on 127.0.0.1 with a small script added to every
page. The docs folder is watched (watchdog, MkDocs' own watcher library); when files of one
report change, only that report is recomputed and only its pages (and the home page) are
rendered again through the engine's page builder, then the open page reloads. A change outside
any report folder, a chapter added or removed, or a changed report title rebuilds the whole site.

An edit that breaks the report (a YAML error, an undefined name in a chapter) is printed on the
terminal with its file and line, and shown in a banner on the open page, while the last good pages
stay served; the next good save removes it. The site search index is the one of the first build.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tanping.calc.errors import TanpingError
from tanping.templates import publish
from tanping.templates.session import Session, opened

POLL = "/__tanping/poll"
#: Added before ``</body>`` of every served page: waits for the next version (long poll), then
#: reloads; shows the located error of a bad edit in a banner (as text, never markup).
CLIENT = """<script>(function(){var v=%d,e=%d,box=null;
function show(t){if(!t){if(box){box.remove();box=null;}return;}
if(!box){box=document.createElement('pre');box.id='tanping-error';box.style.cssText=
'position:fixed;z-index:9999;left:0;right:0;top:0;margin:0;padding:12px 16px;max-height:50vh;'+
'overflow:auto;background:#fff1f0;color:#a8071a;border-bottom:3px solid #a8071a;'+
'font:14px/1.5 monospace;white-space:pre-wrap';document.body.appendChild(box);}
box.textContent='预览未更新（仍显示上次的正确内容）：\\n'+t;}
function poll(){fetch('%s?v='+v+'&e='+e,{cache:'no-store'}).then(function(r){return r.json();})
.then(function(s){if(s.version!==v){location.reload();return;}e=s.eid;show(s.error);poll();})
.catch(function(){setTimeout(poll,1000);});}
poll();})();</script>"""


class _State:
    """The served version and the current error, with a condition the long polls wait on."""

    def __init__(self) -> None:
        self.version = 1
        self.error = ""
        self.eid = 0
        self.changed = threading.Condition()

    def publish(self, *, error: str = "") -> None:
        with self.changed:
            if error:
                self.error, self.eid = error, self.eid + 1
            else:
                self.version += 1
                self.error, self.eid = "", self.eid + 1
            self.changed.notify_all()

    def wait(self, version: int, eid: int, timeout: float = 25.0) -> dict[str, Any]:
        with self.changed:
            self.changed.wait_for(
                lambda: self.version != version or self.eid != eid, timeout=timeout
            )
            return {"version": self.version, "eid": self.eid, "error": self.error}


class Preview:
    """The site of ``config_file`` built into ``out`` and kept up to date report by report."""

    def __init__(self, config_file: Path, out: Path) -> None:
        self.config_file = Path(config_file).resolve()
        self.out = Path(out)
        self.session = Session(outputs=False)
        self.state = _State()
        self.lock = threading.Lock()
        self.docs = Path()
        self._engine: dict[str, Any] = {}
        self._chapters: dict[Path, set[str]] = {}
        self._titles: dict[Path, str] = {}

    # ---- builds ------------------------------------------------------------------------------
    def build_all(self) -> None:
        """The whole site, through the engine's own steps, keeping what a page rebuild needs."""
        from mkdocs.commands import build as engine
        from mkdocs.config import load_config
        from mkdocs.structure.files import get_files, set_exclusions
        from mkdocs.structure.nav import get_navigation
        from mkdocs.structure.pages import Page

        with contextlib.chdir(self.config_file.parent), opened(self.session):
            config = load_config(str(self.config_file), site_dir=str(self.out))
            config = config.plugins.on_config(config)
            config.plugins.on_pre_build(config=config)
            self.docs = Path(config["docs_dir"]).resolve()
            files = get_files(config)
            env = config.theme.get_env()
            files.add_files_from_theme(env, config)
            files = config.plugins.on_files(files, config=config)
            set_exclusions(files, config)
            nav = get_navigation(files, config)
            nav = config.plugins.on_nav(nav, config=config, files=files)
            for file in files.documentation_pages():
                if file.page is None:
                    Page(None, file, config)
                assert file.page is not None
                engine._populate_page(file.page, config, files)
            env = config.plugins.on_env(env, config=config, files=files)
            files.copy_static_files()
            for template in config.theme.static_templates:
                engine._build_theme_template(template, env, files, config, nav)
            doc_files = files.documentation_pages()
            for file in doc_files:
                assert file.page is not None
                engine._build_page(file.page, config, doc_files, nav, env)
            config.plugins.on_post_build(config=config)
        self._engine = {"config": config, "files": files, "nav": nav, "env": env}
        for folder in publish.report_folders(self.docs):
            self._chapters[folder.resolve()] = self._chapter_names(folder)
            pages = self.session.site.get(folder.resolve())
            if pages is not None:
                self._titles[folder.resolve()] = pages.summary.title

    def _chapter_names(self, folder: Path) -> set[str]:
        return {p.name for p in Path(folder).glob("*.md")}

    def update(self, folders: Iterable[Path]) -> None:
        """Recompute and re-render the reports ``folders`` (only their pages and the home page);
        the whole site if the set of pages or a title changed."""
        from mkdocs.commands import build as engine

        folders = sorted({Path(f).resolve() for f in folders})
        for folder in folders:
            if self._chapter_names(folder) != self._chapters.get(folder):
                return self.rebuild()
        self.session.forget(folders)
        config, files = self._engine["config"], self._engine["files"]
        urls = bool(config["use_directory_urls"])
        for folder in folders:  # compute and render first: a bad edit changes nothing served
            pages = self.session.pages(folder, directory_urls=urls)
            if pages.summary.title != self._titles.get(folder):
                return self.rebuild()
        names = {f.name for f in folders}
        doc_files = files.documentation_pages()
        chosen = [
            f for f in doc_files if f.src_uri.split("/")[0] in names or f.src_uri == "index.md"
        ]
        with contextlib.chdir(self.config_file.parent), opened(self.session):
            for file in chosen:
                engine._populate_page(file.page, config, files)
            for file in chosen:
                engine._build_page(
                    file.page, config, doc_files, self._engine["nav"], self._engine["env"]
                )
        return None

    def rebuild(self) -> None:
        self.session = Session(outputs=False)
        staging = Path(tempfile.mkdtemp(prefix="tanping-serve-", dir=self.out.parent))
        previous, self.out = self.out, staging
        try:
            self.build_all()
        except BaseException:
            self.out = previous
            shutil.rmtree(staging, ignore_errors=True)
            raise
        shutil.rmtree(previous, ignore_errors=True)

    def changed(self, paths: Iterable[Path]) -> None:
        """Files changed: update the reports they belong to, or everything; publish the new
        version, or the located error (the last good pages stay)."""
        reports: set[Path] = set()
        everything = False
        for path in paths:
            try:
                relative = Path(path).resolve().relative_to(self.docs)
            except ValueError:
                everything = True
                continue
            top = self.docs / relative.parts[0]
            if len(relative.parts) > 1 and (top / "report.yml").is_file():
                reports.add(top)
            else:
                everything = True
        started = time.perf_counter()
        with self.lock:
            try:
                if everything:
                    self.rebuild()
                else:
                    self.update(reports)
            except Exception as err:
                message = _message(err)
                print(f"tanping serve: {message}", file=sys.stderr, flush=True)
                self.state.publish(error=message)
                return
        took = time.perf_counter() - started
        what = "全部页面" if everything else "、".join(sorted(r.name for r in reports))
        print(f"tanping serve: 已更新 {what}（{took:.2f} s）", file=sys.stderr, flush=True)
        self.state.publish()


def _message(err: BaseException) -> str:
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, TanpingError):
            return seen.render()
        seen = seen.__cause__ or seen.__context__
    return f"{type(err).__name__}: {err}"


def _handler(preview: Preview) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            from urllib.parse import unquote, urlsplit

            parts = [p for p in unquote(urlsplit(path).path).split("/") if p not in ("", ".")]
            if ".." in parts:
                return str(preview.out / "__refused__")
            return str(preview.out.joinpath(*parts))

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def do_GET(self) -> None:
            if self.path.startswith(POLL):
                from urllib.parse import parse_qs, urlparse

                query = parse_qs(urlparse(self.path).query)
                version = int(query.get("v", ["0"])[0])
                eid = int(query.get("e", ["0"])[0])
                body = json.dumps(preview.state.wait(version, eid), ensure_ascii=False).encode()
                self._send(body, "application/json; charset=utf-8")
                return
            path = Path(self.translate_path(self.path.split("?")[0]))
            if path.is_dir():
                if not self.path.split("?")[0].endswith("/"):
                    super().do_GET()  # the redirect to the folder's URL
                    return
                path = path / "index.html"
            if path.suffix == ".html" and path.is_file():
                with preview.state.changed:
                    version, eid = preview.state.version, preview.state.eid
                text = path.read_text(encoding="utf-8")
                script = CLIENT % (version, eid, POLL)
                text = text.replace("</body>", script + "</body>", 1)
                self._send(text.encode("utf-8"), "text/html; charset=utf-8")
                return
            super().do_GET()

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _watch(preview: Preview, roots: list[Path], events: queue.Queue[Path]) -> Any:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class Changes(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            for name in (event.src_path, getattr(event, "dest_path", "")):
                path = Path(os.fsdecode(name)) if name else None
                if path is not None and not path.name.startswith((".", "#")):
                    if not path.name.endswith(("~", ".swp", ".tmp")):
                        events.put(path)

    observer = Observer()
    for root in roots:
        observer.schedule(Changes(), str(root), recursive=True)
    observer.start()
    return observer


def serve(
    config_file: Path, *, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False
) -> int:
    """Build, serve and watch until interrupted (Ctrl-C); see the module's docstring."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        host = "127.0.0.1"  # a preview is for the writer's own machine
    os.environ.setdefault("TANPING_WEBFONTS", "0")  # the CSS falls back to installed fonts
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    out = Path(tempfile.mkdtemp(prefix="tanping-serve-"))
    preview = Preview(config_file, out / "site")
    preview.out.mkdir()
    started = time.perf_counter()
    preview.build_all()
    server = http.server.ThreadingHTTPServer((host, port), _handler(preview))
    server.daemon_threads = True
    url = f"http://{host}:{server.server_address[1]}/"
    print(
        f"tanping serve: {url}（{time.perf_counter() - started:.1f} s；Ctrl-C 退出）",
        file=sys.stderr,
        flush=True,
    )
    changes: queue.Queue[Path] = queue.Queue()
    observer = _watch(preview, [preview.docs], changes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if open_browser:
        webbrowser.open(url)
    try:
        while True:
            first = changes.get()
            batch = {first}
            deadline = time.monotonic() + 0.03  # an editor's save is several events
            while (left := deadline - time.monotonic()) > 0:
                with contextlib.suppress(queue.Empty):
                    batch.add(changes.get(timeout=left))
            preview.changed(batch)
    except KeyboardInterrupt:
        return 0
    finally:
        observer.stop()
        server.shutdown()
        shutil.rmtree(out, ignore_errors=True)

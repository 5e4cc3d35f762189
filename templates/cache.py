"""The build cache: outputs of a report kept under the content hash of everything they depend on.

An entry is a folder ``<root>/build/<kind>/<key[:2]>/<key>/`` holding the output files and a
``manifest.json`` that lists each file with its SHA-256. The key is a digest of every input of the
output (:func:`report_key`): the report folder's files (names and bytes), tanping's own code,
templates, vocabularies and factor library (:func:`code_digest`), the versions of the libraries
that shape the output (WeasyPrint, MkDocs or ProperDocs, Material, Markdown, fontTools …) and the
options of the output. Nothing is keyed by time stamps, so that an output is reused exactly when
it would come out the same.

The root is ``$TANPING_CACHE`` if set, else ``$XDG_CACHE_HOME/tanping`` or ``~/.cache/tanping``:
never inside the site. A missing, partial or corrupt entry (a file whose hash does not match its
manifest, a manifest that does not parse) is ignored and removed, never served; entries are
written into a temporary folder and renamed into place, so a killed build leaves no half entry.
Set ``TANPING_BUILD_CACHE=0`` to build everything afresh (nothing read, nothing written).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

#: Bumped when the layout of an entry or the meaning of a key changes.
CACHE_FORMAT = "tanping-build-cache 1"
#: The distributions whose version shapes an output.
DISTRIBUTIONS = (
    "weasyprint",
    "pydyf",
    "tinycss2",
    "mkdocs",
    "properdocs",
    "mkdocs-material",
    "Markdown",
    "Jinja2",
    "fonttools",
    "pint",
    "pydantic",
    "PyYAML",
    "jieba",
    "numpy",
)
#: Entries kept per kind; older ones (least recently used) are removed after a build writes.
KEEP = {"site": 6, "report-site": 24, "report-pdf": 24}
KEEP_OTHER = 24


def cache_root() -> Path:
    """The cache folder: ``$TANPING_CACHE``, else ``$XDG_CACHE_HOME/tanping``, else
    ``~/.cache/tanping`` (shared with the web fonts' cache)."""
    own = os.environ.get("TANPING_CACHE")
    if own:
        return Path(own)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "tanping"


def enabled() -> bool:
    return os.environ.get("TANPING_BUILD_CACHE", "1") != "0"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tree_files(root: Path) -> list[tuple[str, Path]]:
    """Every regular file under ``root`` (links followed only to files), sorted by path, without
    byte-code and editor or tool droppings."""
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__",) and d[0] != ".")
        here = Path(dirpath)
        for name in filenames:
            if name.endswith((".pyc", ".pyo", "~", ".swp")) or name.startswith(".#"):
                continue
            path = here / name
            if path.is_file():
                found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def tree_digest(root: Path, *, skip: Iterable[str] = ()) -> str:
    """The digest of every file under ``root``: relative names and bytes. Sub-folders named in
    ``skip`` (relative paths) are left out (another report's folder inside ``content/``)."""
    skipped = tuple(f"{s.rstrip('/')}/" for s in skip)
    digest = hashlib.sha256()
    for name, path in _tree_files(Path(root)):
        if name.startswith(skipped):
            continue
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(_sha(path.read_bytes()).encode() + b"\n")
    return digest.hexdigest()


def _versions() -> str:
    found = []
    for name in DISTRIBUTIONS:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} absent")
    return ";".join(found)


@functools.cache
def code_digest() -> str:
    """tanping's own code and data (the command line, units, calc with its factor library and
    guideline data, templates with their HTML, print and scaffold files), the Python version and
    the versions of :data:`DISTRIBUTIONS`. Computed once per process."""
    import tanping
    from tanping import calc, templates, units

    package = Path(tanping.__file__).resolve().parent
    parts = [CACHE_FORMAT, sys.version, _versions()]
    for module in (units, calc, templates):
        parts.append(tree_digest(Path(module.__file__ or "").resolve().parent))
    parts.append(
        hashlib.sha256(
            b"".join(p.read_bytes() for p in sorted(package.glob("*.py")) if p.is_file())
        ).hexdigest()
    )
    return _sha("\n".join(parts).encode())


def report_key(kind: str, folder: Path, **options: Any) -> str:
    """The key of output ``kind`` of the report in ``folder``: its files, the code, ``options``
    (JSON-serialisable: the URL style, the PDF's date …)."""
    parts = {
        "kind": kind,
        "folder": Path(folder).name,
        "files": tree_digest(Path(folder)),
        "code": code_digest(),
        "options": options,
    }
    return _sha(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode())


def key_of(*parts: Any) -> str:
    """A key from JSON-serialisable parts (the site's key from the reports' keys …)."""
    return _sha(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode())


class Store:
    """Entries of the build cache under ``root/build`` (see the module's docstring)."""

    def __init__(self, root: Path | None = None, *, active: bool | None = None) -> None:
        self.root = (root or cache_root()) / "build"
        self.active = enabled() if active is None else active

    def _entry(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / key

    def has(self, kind: str, key: str) -> bool:
        return self.active and (self._entry(kind, key) / "manifest.json").is_file()

    def get(self, kind: str, key: str, into: Path) -> dict[str, Any] | None:
        """Copy the files of entry ``key`` into the folder ``into``; returns the entry's meta,
        or ``None`` (nothing copied that is not removed again) if the entry is missing or fails
        its manifest."""
        if not self.active:
            return None
        entry = self._entry(kind, key)
        try:
            manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
            files: Mapping[str, str] = manifest["files"]
            meta: dict[str, Any] = manifest.get("meta", {})
            if manifest.get("format") != CACHE_FORMAT or manifest.get("key") != key:
                raise ValueError("not this entry")
        except (OSError, ValueError, KeyError, TypeError):
            if entry.exists():
                self._discard(entry)
            return None
        written: list[Path] = []
        try:
            for name, sha in files.items():
                source = entry / "files" / name
                target = Path(into) / name
                if ".." in Path(name).parts or Path(name).is_absolute():
                    raise ValueError(name)
                data = source.read_bytes()
                if _sha(data) != sha:
                    raise ValueError(f"{name}: hash mismatch")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                written.append(target)
        except (OSError, ValueError):
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink()
            self._discard(entry)
            return None
        with contextlib.suppress(OSError):
            os.utime(entry / "manifest.json")  # recently used
        return meta

    def read(self, kind: str, key: str, name: str) -> bytes | None:
        """One file of an entry, checked against the manifest; ``None`` if missing or corrupt."""
        if not self.active:
            return None
        entry = self._entry(kind, key)
        try:
            manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
            data = (entry / "files" / name).read_bytes()
            if manifest.get("key") != key or _sha(data) != manifest["files"][name]:
                raise ValueError("corrupt")
        except (OSError, ValueError, KeyError, TypeError):
            if entry.exists():
                self._discard(entry)
            return None
        with contextlib.suppress(OSError):
            os.utime(entry / "manifest.json")
        return data

    def put(
        self, kind: str, key: str, source: Path, names: Iterable[str], meta: Mapping[str, Any]
    ) -> None:
        """Store the files ``names`` (relative to ``source``) as entry ``key``. A failure to write
        the cache never fails the build: the entry is simply not there next time."""
        if not self.active:
            return
        entry = self._entry(kind, key)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=entry.parent))
            files: dict[str, str] = {}
            for name in sorted(names):
                data = (Path(source) / name).read_bytes()
                target = tmp / "files" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                files[name] = _sha(data)
            manifest = {"format": CACHE_FORMAT, "key": key, "files": files, "meta": dict(meta)}
            (tmp / "manifest.json").write_text(
                json.dumps(manifest, ensure_ascii=False, sort_keys=True), encoding="utf-8"
            )
            if entry.exists():
                self._discard(entry)
            tmp.rename(entry)
        except OSError:
            with contextlib.suppress(NameError):
                shutil.rmtree(tmp, ignore_errors=True)
            return
        self._prune(kind)

    def put_bytes(
        self, kind: str, key: str, files: Mapping[str, bytes], meta: Mapping[str, Any]
    ) -> None:
        """Store in-memory files as entry ``key`` (see :meth:`put`)."""
        if not self.active:
            return
        with tempfile.TemporaryDirectory(prefix="tanping-cache-") as tmp:
            for name, data in files.items():
                path = Path(tmp) / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            self.put(kind, key, Path(tmp), files.keys(), meta)

    def _discard(self, entry: Path) -> None:
        trash = entry.with_name(f".{entry.name}-discarded-{os.getpid()}")
        try:
            entry.rename(trash)
        except OSError:
            trash = entry
        shutil.rmtree(trash, ignore_errors=True)

    def _prune(self, kind: str) -> None:
        keep = KEEP.get(kind, KEEP_OTHER)
        entries = []
        for manifest in (self.root / kind).glob("*/*/manifest.json"):
            with contextlib.suppress(OSError):
                entries.append((manifest.stat().st_mtime_ns, manifest.parent))
        for _, entry in sorted(entries, reverse=True)[keep:]:
            self._discard(entry)

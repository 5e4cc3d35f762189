"""``tanping new``: copy a report scaffold (chapters with placeholders, a valid report.yml)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tanping import templates
from tanping.calc.errors import InputError, Location

SCAFFOLDS = Path(templates.__file__).parent / "scaffold"


def new_report(kind: str, folder: Path, *, force: bool = False) -> Path:
    """Create ``folder`` from the scaffold of ``kind``; never overwrites an existing file."""
    source = SCAFFOLDS / kind
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()) and not force:
        raise InputError(
            f"目录 {folder} 已存在且不为空",
            "换一个新目录名，或加 --force 只补齐缺少的文件",
            Location(str(folder)),
        )
    for path in sorted(source.rglob("*")):
        target = folder / path.relative_to(source)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return folder

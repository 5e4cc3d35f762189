"""The files a report may read: only those inside its own folder.

A report folder is the unit a user hands over (and a reviewer reads): everything it reads must
be in it. :func:`inside` is the one containment rule, used for ``report.yml``, ``data/*.yml``,
every file a report field names (``boundary:``) and, on the publishing side, the chapters and
images; :func:`check_relative` is its part that needs no folder (for the input models).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from tanping.calc.errors import InputError, Location

__all__ = ["check_relative", "inside"]


def check_relative(name: str | Path) -> None:
    """Refuse a file name that could leave the report folder by its spelling alone: an absolute
    path (``/etc/passwd``, ``C:\\x``, ``~/x``) or one with a ``..`` part.

    Raises ``ValueError`` with ``"problem；hint"`` in Chinese (the form the input models use).
    """
    text = str(name)
    if not text.strip():
        raise ValueError("文件名为空；填写相对于 report.yml 所在目录的文件名，如 boundary.geojson")
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or text.startswith("~"):
        raise ValueError(
            f"“{text}” 是绝对路径，报告只能读取其目录内的文件；"
            "请把文件复制到报告目录中，并填写相对于 report.yml 所在目录的路径，如 boundary.geojson"
        )
    if ".." in posix.parts or ".." in windows.parts:
        raise ValueError(
            f"“{text}” 含有 “..”，指向报告目录之外；"
            "请把文件复制到报告目录中，并填写相对于 report.yml 所在目录的路径"
        )


def inside(
    folder: Path | str,
    name: str | Path,
    *,
    what: str = "文件",
    location: Location | None = None,
) -> Path:
    """The file ``name`` of the report folder ``folder``, resolved, if it stays inside the folder.

    ``name`` is relative to the folder (``report.yml``, ``data/2024.yml``, ``boundary.geojson``,
    ``01-overview.md``, ``flow.svg``). It is refused, as an :class:`InputError` at ``location``
    (the field that named the file; by default the file itself) with a Chinese hint, when it is
    absolute or has a ``..`` part, or when it or a folder on its way is a symbolic link whose
    target lies outside the report folder. A symbolic link to another file of the folder is
    allowed. Whether the file exists is left to the caller; the path returned has every link
    resolved, so the caller reads what was checked.
    """
    where = location or Location(str(Path(folder) / name))
    try:
        check_relative(name)
    except ValueError as err:
        problem, _, hint = str(err).partition("；")
        raise InputError(f"{what}{problem}", hint, where) from None
    root = Path(folder).resolve()
    target = (root / name).resolve()
    if target != root and root not in target.parents:
        raise InputError(
            f"{what} {name} 是指向报告目录之外（{target}）的符号链接，"
            "tanping 不读取报告目录之外的文件",
            "请把文件本身（而不是链接）放进报告目录",
            where,
        )
    return target

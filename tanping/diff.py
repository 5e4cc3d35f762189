"""``tanping diff``: which ledger figures changed between two revisions, for review in git.

For every report folder under ``content/`` (in either revision) the ledger is computed at each
revision, and every figure whose value or unit changed is listed (key, label, old, new, change,
%), with figures added and removed. The input files that changed in the report folder are named
(``git diff --name-only``), and a figure that changed although the report's inputs
(``report.yml``, ``data/**``) did not is called out: then the factor library or the calculation
code changed, and the files that did are named too.

Each revision is computed with *its own* calculation code and factor library: the revision is
exported with ``git archive`` into a temporary folder and computed there in a subprocess of this
Python (so the dependencies are those installed now). A repository without its own ``calc``
package (a folder of reports only) is computed with the installed tanping. The working tree is
computed in place.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tanping.calc.errors import TanpingError
from tanping.units.format import label as unit_label

WORKTREE = None  # a revision of None is the working tree
INPUT_NAMES = ("report.yml",)
INPUT_DIRS = ("data",)
#: Outside the report folders, what can change a figure: calculation code and factor library.
CODE_PATHS = ("calc", "units")
NO_INPUT_CHANGE = "输入未变，但数值变化：因子库或计算代码变更"
REL_TOL = 1e-12
INPUT_ROWS = 30  # input values listed per report; the rest are counted
FOLD_ROWS = 40  # longer tables are folded (<details>) in the Markdown of a pull request


class DiffError(TanpingError):
    """A revision or repository that cannot be read (exit code 2)."""


# ---- data ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FigureValue:
    value: float
    unit: str
    label: str


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    old: FigureValue | None  # None: added
    new: FigureValue | None  # None: removed

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed"

    @property
    def delta(self) -> float | None:
        if self.old is None or self.new is None or self.old.unit != self.new.unit:
            return None
        return self.new.value - self.old.value

    @property
    def percent(self) -> float | None:
        delta = self.delta
        if delta is None or self.old is None or self.old.value == 0:
            return None
        return delta / abs(self.old.value) * 100


@dataclass(frozen=True)
class InputChange:
    """One input value (a leaf of the merged report data) that differs between two revisions."""

    path: str  # field path, list rows named by their ``name`` where it is unique
    old: str | None  # as written; None: added
    new: str | None  # None: removed


@dataclass
class ReportDiff:
    folder: str  # path relative to the repository root, e.g. content/spec-project
    title: str
    changes: list[Change] = field(default_factory=list)
    inputs_changed: list[str] = field(default_factory=list)  # report.yml, data/** changed
    others_changed: list[str] = field(default_factory=list)  # other files of the folder
    code_changed: list[str] = field(default_factory=list)  # calc/, units/ changed
    error_a: str = ""
    error_b: str = ""
    present_a: bool = True
    present_b: bool = True
    input_values: list[InputChange] = field(default_factory=list)

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "changed"]

    @property
    def added(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "added"]

    @property
    def removed(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "removed"]

    @property
    def unexplained(self) -> bool:
        """Figures changed although the report's inputs did not."""
        both = self.present_a and self.present_b and not (self.error_a or self.error_b)
        return both and bool(self.changes) and not self.inputs_changed


@dataclass
class Diff:
    rev_a: str
    rev_b: str
    reports: list[ReportDiff]

    @property
    def broken(self) -> list[ReportDiff]:
        """Reports whose new revision cannot be computed: the diff cannot judge them (exit 2)."""
        return [r for r in self.reports if r.present_b and r.error_b]


# ---- git -----------------------------------------------------------------------------------------
def _git(root: Path, *args: str, binary: bool = False) -> Any:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, check=False, timeout=120
        )
    except OSError as err:
        raise DiffError(f"无法运行 git：{err}") from err
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise DiffError(f"git {' '.join(args)} 失败：{message}")
    return proc.stdout if binary else proc.stdout.decode("utf-8")


def repository_root(start: Path) -> Path:
    return Path(_git(start, "rev-parse", "--show-toplevel").strip())


def resolve(root: Path, rev: str) -> str:
    """The full commit id of ``rev``; a clear error if it is not a commit."""
    try:
        return str(_git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip())
    except DiffError:
        raise DiffError(f"“{rev}” 不是本仓库中的修订（提交、分支或标签）") from None


def _short(root: Path, commit: str | None) -> str:
    if commit is None:
        return "工作区"
    return str(_git(root, "rev-parse", "--short", commit).strip())


def report_folders_at(root: Path, commit: str | None, content: str) -> list[str]:
    """Report folders (``content/<slug>``) at a revision, relative to the repository root."""
    if commit is None:
        base = root / content
        return sorted(p.parent.relative_to(root).as_posix() for p in base.glob("*/report.yml"))
    names = _git(root, "ls-tree", "-r", "--name-only", commit, "--", content).splitlines()
    folders = []
    for name in names:
        path = PurePosixPath(name)
        if path.name == "report.yml" and len(path.parts) == len(PurePosixPath(content).parts) + 2:
            folders.append(path.parent.as_posix())
    return sorted(folders)


def changed_files(root: Path, a: str, b: str | None, paths: Sequence[str]) -> list[str]:
    """Files under ``paths`` that differ between ``a`` and ``b`` (``None``: the working tree,
    untracked files included)."""
    if not paths:
        return []
    revs = [a] if b is None else [a, b]
    files = set(_git(root, "diff", "--name-only", *revs, "--", *paths).splitlines())
    if b is None:
        untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", *paths)
        files.update(untracked.splitlines())
    return sorted(f for f in files if f)


def export(root: Path, commit: str, into: Path) -> Path:
    """The tree of ``commit`` written into ``into`` (``git archive``); returns ``into``."""
    data = _git(root, "archive", "--format=tar", commit, binary=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            tar.extractall(into, filter="data")
        else:  # our own repository's archive; still refuse paths outside ``into``
            for member in tar.getmembers():
                if member.name.startswith("/") or ".." in PurePosixPath(member.name).parts:
                    raise DiffError(f"git archive 中的路径不安全：{member.name}")
            tar.extractall(into)
    return into


# ---- computing ledgers ---------------------------------------------------------------------------
PIPELINE = "tanping.calc.pipeline"
_COMPUTE = r"""
import json, sys
import importlib
code, module, folders = sys.argv[1], sys.argv[2], sys.argv[3:]
if code:
    sys.path.insert(0, code)
pipeline = importlib.import_module(module)
if code and not pipeline.__file__.startswith(code):
    raise SystemExit(f"{module} imported from {pipeline.__file__}, not {code}")
compute = pipeline.compute
out = {}
for folder in folders:
    try:
        result = compute(folder)
        figures = {f.key: [f.value, f.unit, f.label] for f in result.ledger}
        out[folder] = {"title": getattr(result.report, "title", ""), "figures": figures}
    except Exception as err:
        render = getattr(err, "render", None)
        out[folder] = {"error": render() if callable(render) else f"{type(err).__name__}: {err}"}
sys.stdout.write(json.dumps(out, ensure_ascii=False))
"""


@dataclass
class Ledgers:
    title: dict[str, str] = field(default_factory=dict)
    figures: dict[str, dict[str, FigureValue]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def compute_ledgers(tree: Path, folders: Sequence[str]) -> Ledgers:
    """The ledger of each report folder of ``tree`` (a checkout), computed with the ``calc`` of
    ``tree`` when it has one, else with the installed tanping."""
    ledgers = Ledgers()
    if not folders:
        return ledgers
    code, module = "", PIPELINE
    if (tree / "tanping" / "calc" / "pipeline.py").is_file():
        code = str(tree)
    elif (tree / "calc" / "pipeline.py").is_file():  # revisions before the tanping.* names
        code, module = str(tree), "calc.pipeline"
    proc = subprocess.run(
        [sys.executable, "-c", _COMPUTE, code, module, *folders],
        cwd=tree,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=600,
    )
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        for folder in folders:
            ledgers.errors[folder] = f"计算代码无法运行：{message[0]}"
        return ledgers
    for folder, result in json.loads(proc.stdout).items():
        if "error" in result:
            ledgers.errors[folder] = result["error"]
            continue
        ledgers.title[folder] = result["title"]
        ledgers.figures[folder] = {
            key: FigureValue(float(v), str(u), str(lbl))
            for key, (v, u, lbl) in result["figures"].items()
        }
    return ledgers


def _same(a: FigureValue, b: FigureValue) -> bool:
    return a.unit == b.unit and math.isclose(a.value, b.value, rel_tol=REL_TOL, abs_tol=REL_TOL)


def compare(old: dict[str, FigureValue], new: dict[str, FigureValue]) -> list[Change]:
    """Changed, added and removed figures, in the order of the new ledger (removed last)."""
    changes = []
    for key, value in new.items():
        before = old.get(key)
        if before is None:
            changes.append(Change(key, value.label, None, value))
        elif not _same(before, value):
            changes.append(Change(key, value.label, before, value))
    changes.extend(Change(key, v.label, v, None) for key, v in old.items() if key not in new)
    return changes


def diff(
    start: Path, rev_a: str = "HEAD", rev_b: str | None = WORKTREE, *, content: str = "content"
) -> Diff:
    """Compare every report's ledger between ``rev_a`` and ``rev_b`` (``None``: working tree)."""
    root = repository_root(start)
    commit_a = resolve(root, rev_a)
    commit_b = resolve(root, rev_b) if rev_b is not None else None
    folders_a = report_folders_at(root, commit_a, content)
    folders_b = report_folders_at(root, commit_b, content)
    with tempfile.TemporaryDirectory(prefix="tanping-diff-") as tmp:
        tree_a = export(root, commit_a, Path(tmp) / "a")
        ledgers_a = compute_ledgers(tree_a, folders_a)
        tree_b = root if commit_b is None else export(root, commit_b, Path(tmp) / "b")
        ledgers_b = compute_ledgers(tree_b, folders_b)
        inputs_a = {folder: read_inputs(tree_a / folder) for folder in folders_a}
        inputs_b = {folder: read_inputs(tree_b / folder) for folder in folders_b}
    code_changed = changed_files(root, commit_a, commit_b, CODE_PATHS)
    reports = []
    for folder in sorted(set(folders_a) | set(folders_b)):
        changed = changed_files(root, commit_a, commit_b, [folder])
        inputs, others = _split_inputs(folder, changed)
        report = ReportDiff(
            folder=folder,
            title=ledgers_b.title.get(folder) or ledgers_a.title.get(folder) or folder,
            inputs_changed=inputs,
            others_changed=others,
            code_changed=code_changed,
            error_a=ledgers_a.errors.get(folder, ""),
            error_b=ledgers_b.errors.get(folder, ""),
            present_a=folder in folders_a,
            present_b=folder in folders_b,
        )
        if not (report.error_a or report.error_b):  # a broken side has no figures to compare
            report.changes = compare(
                ledgers_a.figures.get(folder, {}), ledgers_b.figures.get(folder, {})
            )
        if inputs:
            report.input_values = input_changes(inputs_a.get(folder), inputs_b.get(folder))
        reports.append(report)
    return Diff(_short(root, commit_a), _short(root, commit_b), reports)


# ---- input values --------------------------------------------------------------------------------
def read_inputs(folder: Path) -> dict[str, str] | None:
    """The leaves of a report's merged data (report.yml + data/*.yml) by field path, as written;
    ``None`` when the files cannot be read (the ledger error says why)."""
    from tanping.calc.errors import TanpingError
    from tanping.calc.loader import read_report

    try:
        data, _ = read_report(folder)
    except (TanpingError, OSError):
        return None
    leaves: dict[str, str] = {}
    _flatten(data, "", leaves)
    return leaves


def _flatten(value: Any, path: str, into: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else str(key), into)
    elif isinstance(value, list):
        names = [item.get("name") if isinstance(item, dict) else None for item in value]
        unique = len({n for n in names if isinstance(n, str)}) == len(value)
        for index, item in enumerate(value):
            name = names[index]
            step = f"[{name}]" if unique and isinstance(name, str) else f"[{index}]"
            _flatten(item, path + step, into)
    else:
        into[path] = "null" if value is None else str(value)


def input_changes(old: dict[str, str] | None, new: dict[str, str] | None) -> list[InputChange]:
    """Input values changed, added and removed, in the order of the new data (removed last)."""
    if old is None or new is None:
        return []
    changes = [InputChange(p, old.get(p), v) for p, v in new.items() if old.get(p) != v]
    changes += [InputChange(p, v, None) for p, v in old.items() if p not in new]
    return changes


def _split_inputs(folder: str, files: list[str]) -> tuple[list[str], list[str]]:
    inputs: list[str] = []
    others: list[str] = []
    for name in files:
        rel = PurePosixPath(name).relative_to(folder)
        is_input = rel.as_posix() in INPUT_NAMES or (
            len(rel.parts) > 1 and rel.parts[0] in INPUT_DIRS and rel.suffix in (".yml", ".yaml")
        )
        (inputs if is_input else others).append(name)
    return inputs, others


# ---- output --------------------------------------------------------------------------------------
def number(value: float) -> str:
    """A ledger value for review: up to 8 significant digits, thousands separated."""
    if value == 0:
        return "0"
    if abs(value) >= 1e7:
        return f"{value:,.2f}"
    if abs(value) < 1e-3:  # no exponent: 0.000070125042
        decimals = min(15, 7 - math.floor(math.log10(abs(value))))
        return f"{value:.{decimals}f}".rstrip("0")
    return format(value, ",.8g")


def signed(value: float) -> str:
    text = number(value)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def _cells(change: Change) -> tuple[str, str, str, str]:
    def shown(v: FigureValue | None) -> str:
        return "—" if v is None else f"{number(v.value)} {unit_label(v.unit)}"

    delta, pct = change.delta, change.percent
    delta_text = "—" if delta is None else signed(delta)
    if pct is not None:
        pct_text = f"{pct:+.2f}%"
    elif change.kind == "changed" and change.old is not None and change.new is not None:
        pct_text = "单位变化" if change.old.unit != change.new.unit else "—（原值为 0）"
    else:
        pct_text = "—"
    return shown(change.old), shown(change.new), delta_text, pct_text


def _input_cells(change: InputChange) -> str:
    if change.old is None:
        return f"（新增）{change.new}"
    if change.new is None:
        return f"{change.old}（删除）"
    return f"{change.old} → {change.new}"


def _status(report: ReportDiff, diff_: Diff) -> list[str]:
    lines = []
    if not report.present_a:
        lines.append(f"新增的报告（{diff_.rev_a} 中没有）")
    if not report.present_b:
        lines.append(f"删除的报告（{diff_.rev_b} 中没有）")
    if report.error_a:
        lines.append(f"{diff_.rev_a} 无法计算：{report.error_a}")
    if report.error_b:
        lines.append(f"{diff_.rev_b} 无法计算：{report.error_b}")
    return lines


def format_text(d: Diff) -> str:
    out = [f"tanping diff {d.rev_a} → {d.rev_b}"]
    if not d.reports:
        out.append("没有报告目录（content/*/report.yml）")
    for r in d.reports:
        out.append("")
        out.append(f"== {r.title}（{r.folder}）")
        out.extend(f"   {line}" for line in _status(r, d))
        out.append("   输入变更：" + ("、".join(r.inputs_changed) if r.inputs_changed else "无"))
        for change in r.input_values[:INPUT_ROWS]:
            out.append(f"     {change.path}：{_input_cells(change)}")
        if len(r.input_values) > INPUT_ROWS:
            out.append(f"     …… 另有 {len(r.input_values) - INPUT_ROWS} 项输入变更")
        if r.others_changed:
            out.append("   其他文件变更：" + "、".join(r.others_changed))
        if r.unexplained:
            code = "、".join(r.code_changed) if r.code_changed else "（本仓库中未见变更文件）"
            out.append(f"   ！{NO_INPUT_CHANGE}：{code}")
        if r.error_a or r.error_b:
            out.append("   数值未比较：一方无法计算")
            continue
        if not r.changes:
            out.append("   数值无变化")
            continue
        counts = f"变化 {len(r.changed)} 项，新增 {len(r.added)} 项，删除 {len(r.removed)} 项"
        out.append(f"   {counts}")
        for c in r.changes:
            old, new, delta, pct = _cells(c)
            tag = {"changed": " ", "added": "+", "removed": "-"}[c.kind]
            out.append(f" {tag} {c.key}  {c.label}：{old} → {new}  （{delta}，{pct}）")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def format_markdown(d: Diff) -> str:
    out = [f"## tanping diff：`{d.rev_a}` → `{d.rev_b}`", ""]
    if not d.reports:
        out.append("没有报告目录（`content/*/report.yml`）。")
    for r in d.reports:
        out.append(f"### {_md(r.title)}（`{r.folder}`）")
        out.append("")
        out.extend(f"- {_md(line)}" for line in _status(r, d))
        inputs = "、".join(f"`{f}`" for f in r.inputs_changed) or "无"
        out.append(f"- 输入变更：{inputs}")
        for change in r.input_values[:INPUT_ROWS]:
            out.append(f"  - `{_md(change.path)}`：{_md(_input_cells(change))}")
        if len(r.input_values) > INPUT_ROWS:
            out.append(f"  - …… 另有 {len(r.input_values) - INPUT_ROWS} 项输入变更")
        if r.others_changed:
            out.append("- 其他文件变更：" + "、".join(f"`{f}`" for f in r.others_changed))
        if r.unexplained:
            code = "、".join(f"`{f}`" for f in r.code_changed) or "本仓库中未见变更文件"
            out.append("")
            out.append(f"> [!WARNING]\n> **{NO_INPUT_CHANGE}**（{code}）")
        out.append("")
        if r.error_a or r.error_b:
            out.append("数值未比较：一方无法计算。")
            out.append("")
            continue
        if not r.changes:
            out.append("数值无变化。")
            out.append("")
            continue
        counts = f"变化 {len(r.changed)} 项，新增 {len(r.added)} 项，删除 {len(r.removed)} 项"
        folded = len(r.changes) > FOLD_ROWS
        out.append(f"<details><summary>{counts}</summary>\n" if folded else f"{counts}。")
        out.append("")
        out.append("| 键 | 名称 | 原值 | 新值 | 变化 | 变化率 |")
        out.append("|---|---|--:|--:|--:|--:|")
        for c in r.changes:
            old, new, delta, pct = _cells(c)
            mark = {"changed": "", "added": "（新增）", "removed": "（删除）"}[c.kind]
            out.append(
                f"| `{_md(c.key)}` | {_md(c.label)}{mark} | {old} | {new} | {delta} | {pct} |"
            )
        out.append("")
        if folded:
            out.append("</details>")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"

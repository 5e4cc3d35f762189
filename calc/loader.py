"""Reading a report folder's YAML, and finding the line of any field path afterwards.

A report is ``report.yml`` plus, optionally, every ``data/**/*.yml`` beside it (sorted by path),
merged: mappings merge key by key, lists are concatenated, and a scalar given twice is an error.

Parsing uses PyYAML's C parser with duplicate keys refused. Line numbers are not kept on the happy
path (that would cost as much as the parse); :class:`SourceMap` composes a file's node tree only
when an error has to be located, and maps a field path of the merged data back to the file, the
line and the path within that file.
"""

from __future__ import annotations

import gc
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import yaml

from tanping.calc.errors import InputError, Location, YamlSyntaxError

REPORT_FILE = "report.yml"
DATA_DIR = "data"

Key = str | int
Path_ = tuple[Key, ...]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a large acyclic structure.

    A report of 50,000 rows is a million small objects; each full collection meanwhile walks
    every one of them again, which costs more than building them. Reference counting still frees
    everything at once; cycles made meanwhile are collected once the collector is back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
#: Scalar tags whose constructor is a plain function returning an immutable value.
_ATOMS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float"))


class _UniqueKeyLoader(yaml.CSafeLoader):
    """PyYAML's C loader, refusing a key given twice in one mapping.

    The C parser composes the node tree; the data is then built from it by :meth:`_build`, a
    direct walk that gives what PyYAML's generic constructor gives (same resolution, same
    constructors, same errors) at a fraction of its per-node cost. Anything unusual (merge keys,
    explicit tags, non-string keys, recursive aliases) goes through the generic constructor.
    Scalars are resolved once per distinct text (a report repeats its keys and factors).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._atoms: dict[tuple[str, str], Any] = {}
        if not self.yaml_path_resolvers:
            # Without path resolvers a tag depends on the node kind and text alone: resolve each
            # distinct text once (the C parser calls ``resolve`` for every node it composes).
            self.__dict__["resolve"] = lru_cache(maxsize=None)(super().resolve)

    def dispose(self) -> None:
        self.__dict__.pop("resolve", None)  # the cache refers back to the loader
        super().dispose()

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        try:
            return self._build(node)
        except RecursionError:
            # a recursive alias (or absurd nesting): the generic constructor says what it says
            self.constructed_objects = {}
            self.recursive_objects = {}
            self.state_generators = []
            self.deep_construct = False
            return self.construct_document(node)
        finally:
            self.constructed_objects = {}
            self.recursive_objects = {}

    def _build(self, node: yaml.Node) -> Any:
        tag = node.tag
        kind = node.__class__
        if kind is yaml.ScalarNode:
            if tag == _STR:
                return node.value
            if tag in _ATOMS:
                key = (tag, node.value)
                try:
                    return self._atoms[key]
                except KeyError:
                    value = self._atoms[key] = self.yaml_constructors[tag](self, node)
                    return value
        elif kind is yaml.MappingNode and tag == _MAP:
            return self._build_mapping(cast(yaml.MappingNode, node))
        elif kind is yaml.SequenceNode and tag == _SEQ:
            return [self._build(child) for child in node.value]
        return self.construct_object(node, deep=True)

    def _build_mapping(self, node: yaml.MappingNode) -> dict[Any, Any]:
        pairs = node.value
        for key_node, _ in pairs:
            if key_node.tag != _STR or key_node.__class__ is not yaml.ScalarNode:
                return _construct_mapping(self, node)  # merge keys, numbers, tags: the general way
        mapping: dict[Any, Any] = {}
        for key_node, value_node in pairs:
            key = key_node.value
            if key in mapping:
                raise _duplicate(key, key_node)
            if value_node.__class__ is yaml.ScalarNode and value_node.tag == _STR:
                mapping[key] = value_node.value
            else:
                mapping[key] = self._build(value_node)
        return mapping


def _duplicate(key: Any, key_node: yaml.Node) -> InputError:
    return InputError(
        f"键 “{key}” 在同一映射中出现了两次",
        "删除或合并重复的键；YAML 只会保留最后一个，tanping 拒绝这种歧义",
        Location(str(key_node.start_mark.name), key_node.start_mark.line + 1),
    )


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise InputError(
                "映射的键不能是列表或映射",
                "键应为简单的名称或数字",
                Location(str(key_node.start_mark.name), key_node.start_mark.line + 1),
            )
        if key in mapping:
            raise _duplicate(key, key_node)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent)) if root.parent != path else str(path)
    except ValueError:
        return str(path)


def parse_yaml_file(path: Path, *, display: str | None = None) -> Any:
    """Parse one YAML file; a syntax error becomes an :class:`InputError` with its line."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InputError(f"找不到文件 {name}", "检查路径；报告目录中应有 report.yml") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{name} 不是 UTF-8 编码", "请把文件另存为 UTF-8") from err
    try:
        loader = _UniqueKeyLoader(text)
        try:
            with paused_gc():
                return loader.get_single_data()
        finally:
            loader.dispose()
    except InputError as err:  # a duplicate key: the C parser's marks do not carry the file name
        line = err.location.line if err.location else None
        raise InputError(err.problem, err.hint, Location(name, line)) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = err.problem or err.context or "无法解析"
        raise YamlSyntaxError(
            f"YAML 语法错误：{problem}",
            "检查这一行及上一行的缩进、冒号后的空格、引号与括号是否成对；含冒号或 # 的文字请加引号",
            Location(name, line),
        ) from err
    except yaml.YAMLError as err:
        raise YamlSyntaxError(f"YAML 语法错误：{err}", "", Location(name)) from err


@dataclass
class _Segment:
    file: str
    start: int
    count: int


@dataclass
class SourceMap:
    """Maps field paths of the merged report data back to files and lines."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)
    owners: dict[Path_, str] = field(default_factory=dict)
    segments: dict[Path_, list[_Segment]] = field(default_factory=dict)
    _nodes: dict[str, yaml.Node | None] = field(default_factory=dict)

    @property
    def main(self) -> str:
        return next(iter(self.files))

    def _node(self, name: str) -> yaml.Node | None:
        if name not in self._nodes:
            text = self.files[name].read_text(encoding="utf-8")
            self._nodes[name] = yaml.compose(text, Loader=yaml.CSafeLoader)
        return self._nodes[name]

    def resolve(self, loc: Sequence[Key]) -> tuple[str, list[Key]]:
        """The file that holds ``loc`` and the path within that file."""
        file = self.main
        local: list[Key] = []
        prefix: tuple[Key, ...] = ()
        for key in loc:
            if isinstance(key, int) and prefix in self.segments:
                for segment in self.segments[prefix]:
                    if segment.start <= key < segment.start + segment.count:
                        file = segment.file
                        local = list(prefix)
                        key = key - segment.start
                        break
            prefix = (*prefix, key)
            local.append(key)
            if prefix in self.owners:
                file = self.owners[prefix]
        return file, local

    def line_in(self, file: str, path: Sequence[Key]) -> int | None:
        """The line of ``path`` within one file (the nearest existing parent if it is absent)."""
        node = self._node(file)
        line = None
        for key in path:
            if node is None:
                break
            node, key_line = _child(node, key)
            line = key_line if key_line is not None else line
        return line

    def locate(self, loc: Sequence[Key]) -> Location:
        """File, line and readable path of a field path of the merged data."""
        file, local = self.resolve(loc)
        node = self._node(file)
        line = node.start_mark.line + 1 if node is not None else None
        shown: list[Key] = []
        pending = list(local)
        while pending and node is not None:
            key = pending.pop(0)
            child, key_line = _child(node, key)
            if child is None:
                if isinstance(node, yaml.MappingNode) and pending:
                    continue  # a validator-only path element (a union tag): skip it
                if key_line is not None:
                    line = key_line
                if isinstance(key, str) and not key.startswith(("function-", "[")):
                    shown.append(key)
                break
            shown.append(key)
            node = child
            line = key_line if key_line is not None else child.start_mark.line + 1
        return Location(file, line, _format_path(shown))


def _child(node: yaml.Node, key: Key) -> tuple[yaml.Node | None, int | None]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if str(key_node.value) == str(key):
                return value_node, key_node.start_mark.line + 1
        return None, None
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int):
        if 0 <= key < len(node.value):
            item = node.value[key]
            return item, item.start_mark.line + 1
    return None, None


def _format_path(path: Sequence[Key]) -> str:
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text


def _merge(
    into: dict[Any, Any], data: dict[Any, Any], file: str, prefix: Path_, sources: SourceMap
) -> None:
    for key, value in data.items():
        path = (*prefix, key)
        if key not in into:
            into[key] = value
            sources.owners[path] = file
        elif isinstance(into[key], dict) and isinstance(value, dict):
            _merge(into[key], value, file, path, sources)
        elif isinstance(into[key], list) and isinstance(value, list):
            segments = sources.segments.setdefault(
                path, [_Segment(sources.owners.get(path, sources.main), 0, len(into[key]))]
            )
            segments.append(_Segment(file, len(into[key]), len(value)))
            into[key] = into[key] + value
        else:
            raise InputError(
                f"“{_format_path(path)}” 在 {file} 中再次给出，与已读入的值冲突",
                "同一个标量字段只能在一个文件中给出；列表和映射会被合并",
                Location(file, sources.line_in(file, path), _format_path(path)),
            )


def read_report(folder: Path) -> tuple[dict[str, Any], SourceMap]:
    """The merged data of a report folder and the map back to its files."""
    folder = Path(folder)
    if folder.is_file() and folder.name == REPORT_FILE:  # `tanping check DIR/report.yml`
        folder = folder.parent
    report = folder / REPORT_FILE
    if not report.is_file():
        raise InputError(
            f"{folder} 中没有 {REPORT_FILE}",
            "报告目录须包含 report.yml；可用 `tanping new --kind project|park DIR` 生成",
            Location(str(folder)),
        )
    sources = SourceMap(folder)
    main = _display(report, folder)
    sources.files[main] = report
    data = parse_yaml_file(report, display=main)
    if not isinstance(data, dict):
        raise InputError(
            "report.yml 的顶层应为映射（键: 值）",
            "第一行通常是 `kind: project` 或 `kind: park`",
            Location(main, 1),
        )
    extra = sorted((folder / DATA_DIR).glob("**/*.yml")) if (folder / DATA_DIR).is_dir() else []
    for path in extra:
        name = _display(path, folder)
        sources.files[name] = path
        part = parse_yaml_file(path, display=name)
        if part is None:
            continue
        if not isinstance(part, dict):
            raise InputError(
                f"{name} 的顶层应为映射",
                "数据文件与 report.yml 的结构相同，例如 `sources:` 下的列表",
                Location(name, 1),
            )
        _merge(data, part, name, (), sources)
    return data, sources

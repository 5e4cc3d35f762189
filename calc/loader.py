"""Reading a report folder's YAML, and finding the line of any field path afterwards.

A report is ``report.yml`` plus, optionally, every ``data/**/*.yml`` beside it (sorted by path),
merged: mappings merge key by key, lists are concatenated, and a scalar given twice is an error.

Parsing uses PyYAML's C parser with duplicate keys refused. The node tree the data is built from
is kept: :class:`SourceMap` maps a field path of the merged data back to the file, the line and
the path within that file from its marks, so a file is parsed once (a report's derivations cite
the line of every source row they add up).
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import yaml

from tanping.calc.errors import InputError, Location, YamlSyntaxError
from tanping.calc.files import inside

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

# ---- budgets: no report file can cost unbounded memory or time ----------------------------------

#: Largest report file, and largest sum of the files of one report (the 1,000-enterprise
#: benchmark park of tests/bench is 10 MB).
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_REPORT_BYTES = 64 * 1024 * 1024
#: Deepest nesting of lists and mappings (a report needs about 7: sources → process → gases → …).
MAX_DEPTH = 64
#: Most nodes (scalars, lists, mappings) one file may write.
MAX_NODES = 4_000_000
#: Most nodes that aliases (``*name``) may add to a file by repeating an anchored node: an alias
#: is shared in the node tree, but everything after the loader (merging, validation) walks it
#: once per use, so that a "billion laughs" would cost a billion walks.
MAX_ALIAS_NODES = 200_000

#: Characters YAML does not allow in a document (PyYAML's reader refuses them in English).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def _mark_location(name: str, mark: Any) -> Location:
    return Location(name, mark.line + 1 if mark is not None else None)


class _Composer:
    """Composes the node tree of one document from the C parser's events, within the budgets.

    PyYAML's C composer recurses in C once per nesting level (100,000 nested ``[`` crash the
    interpreter) and counts nothing; this one is a loop over the events with an explicit stack,
    refusing, at the line where it happens, nesting deeper than :data:`MAX_DEPTH`, more than
    :data:`MAX_NODES` nodes, aliases that would add more than :data:`MAX_ALIAS_NODES` nodes when
    expanded (the size of every anchored node is known when its alias is met; nothing is
    expanded here), and recursive aliases. It gives the node tree PyYAML's composer gives.
    """

    def __init__(self, loader: _UniqueKeyLoader, name: str) -> None:
        self.loader = loader
        self.name = name

    def _refuse(self, problem: str, hint: str, mark: Any) -> InputError:
        return InputError(problem, hint, _mark_location(self.name, mark))

    def compose(self) -> yaml.Node | None:
        loader = self.loader
        get: Callable[[], Any] = loader.get_event  # the events of the C parser
        resolve: Callable[..., str] = loader.resolve
        get()  # StreamStartEvent
        if loader.check_event(yaml.StreamEndEvent):
            get()
            return None
        get()  # DocumentStartEvent
        anchors: dict[str, yaml.Node] = {}
        sizes: dict[int, int] = {}  # id of a finished anchored node -> its size, aliases expanded
        # open collections: [node, its size so far, pending key node (mappings), anchor]
        stack: list[list[Any]] = []
        nodes = 0
        added = 0
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        seq_start, map_start = yaml.SequenceStartEvent, yaml.MappingStartEvent
        while True:
            event = get()
            kind = event.__class__
            node: yaml.Node
            if kind is scalar_event:
                tag = event.tag
                if tag is None or tag == "!":
                    tag = resolve(yaml.ScalarNode, event.value, event.implicit)
                node = yaml.ScalarNode(
                    tag, event.value, event.start_mark, event.end_mark, style=event.style
                )
                size = 1
                nodes += 1
                if event.anchor is not None:
                    self._anchor(anchors, event.anchor, node, event)
                    sizes[id(node)] = 1
            elif kind is alias_event:
                if event.anchor not in anchors:
                    raise self._refuse(
                        f"别名 *{event.anchor} 之前没有定义锚点 &{event.anchor}",
                        "先用 &名称 定义锚点，再用 *名称 引用；或直接写出内容",
                        event.start_mark,
                    )
                node = anchors[event.anchor]
                if id(node) not in sizes:
                    raise self._refuse(
                        f"别名 *{event.anchor} 引用了包含它自身的节点（递归别名）",
                        "报告数据不能自我引用；请直接写出内容",
                        event.start_mark,
                    )
                size = sizes[id(node)]
                added += size
                if added > MAX_ALIAS_NODES:
                    raise self._refuse(
                        f"别名（*{event.anchor}）展开后的内容过多："
                        f"本文件的别名合计展开超过 {MAX_ALIAS_NODES:,} 个节点",
                        "别名（*名称）用于少量重复的内容；"
                        "请直接写出数据，或拆分为 data/ 下的多个文件",
                        event.start_mark,
                    )
            elif kind is seq_start or kind is map_start:
                if len(stack) >= MAX_DEPTH:
                    raise self._refuse(
                        f"列表与映射嵌套超过 {MAX_DEPTH} 层",
                        "报告的结构不需要这么深的嵌套；检查是否多写了 “[”、“{” 或 “- ”",
                        event.start_mark,
                    )
                nodes += 1
                is_seq = kind is seq_start
                node_class = yaml.SequenceNode if is_seq else yaml.MappingNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = resolve(node_class, None, event.implicit)
                node = node_class(tag, [], event.start_mark, None, flow_style=event.flow_style)
                if event.anchor is not None:
                    self._anchor(anchors, event.anchor, node, event)
                stack.append([node, 1, None, event.anchor])
                continue
            else:  # SequenceEndEvent or MappingEndEvent
                frame = stack.pop()
                node, size = frame[0], frame[1]
                node.end_mark = event.end_mark
                if frame[3] is not None:
                    sizes[id(node)] = size
            if nodes > MAX_NODES:
                raise self._refuse(
                    f"文件中的数据项过多（超过 {MAX_NODES:,} 个）",
                    "请把数据拆分为 data/ 下的多个文件",
                    event.start_mark,
                )
            if not stack:
                break
            parent = stack[-1]
            parent[1] += size
            container = parent[0]
            if container.__class__ is yaml.SequenceNode:
                container.value.append(node)
            elif parent[2] is None:
                parent[2] = node
            else:
                container.value.append((parent[2], node))
                parent[2] = None
        get()  # DocumentEndEvent
        if not loader.check_event(yaml.StreamEndEvent):
            event = get()
            raise self._refuse(
                "文件中有多个 YAML 文档（“---” 分隔）",
                "报告文件只能有一个文档；删去多余的 “---” 及其后的内容，或移到 data/ 下的另一文件",
                event.start_mark,
            )
        get()  # StreamEndEvent
        return node

    def _anchor(
        self, anchors: dict[str, yaml.Node], anchor: str, node: yaml.Node, event: Any
    ) -> None:
        if anchor in anchors:
            raise self._refuse(
                f"锚点 &{anchor} 定义了两次",
                "每个锚点名只能定义一次；请改用不同的名称",
                event.start_mark,
            )
        anchors[anchor] = node


class _UniqueKeyLoader(yaml.CSafeLoader):
    """PyYAML's C parser, composed within budgets, refusing a key given twice in one mapping.

    The C parser reads the events; :class:`_Composer` composes the node tree from them. The
    data is then built from it by :meth:`_build`, a direct walk that gives what PyYAML's generic
    constructor gives (same resolution, same constructors, same errors) at a fraction of its
    per-node cost. Anything unusual (merge keys, explicit tags, non-string keys) goes through the
    generic constructor. Scalars are resolved once per distinct text (a report repeats its keys
    and factors).
    """

    def __init__(self, stream: str, name: str = "<report>") -> None:
        super().__init__(stream)
        self._name = name
        self.root: yaml.Node | None = None
        self._atoms: dict[tuple[str, str], Any] = {}
        if not self.yaml_path_resolvers:
            # Without path resolvers a tag depends on the node kind and text alone: resolve each
            # distinct text once (the composer calls ``resolve`` for every node).
            self.__dict__["resolve"] = lru_cache(maxsize=None)(super().resolve)

    def dispose(self) -> None:
        self.__dict__.pop("resolve", None)  # the cache refers back to the loader
        super().dispose()

    def get_single_node(self) -> yaml.Node | None:
        return _Composer(self, self._name).compose()

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        self.root = node
        if node is None:
            return None
        try:
            return self._build(node)
        finally:
            self.constructed_objects = {}
            self.recursive_objects = {}

    def _construct(self, node: yaml.Node) -> Any:
        """PyYAML's constructor for one node; a value it cannot build (a date 2024-13-45, an
        integer of ten thousand digits) is refused at its line rather than raised as is."""
        try:
            return self.yaml_constructors[node.tag](self, node)
        except (ValueError, OverflowError, TypeError) as err:
            if isinstance(err, InputError):
                raise
            raise InputError(
                f"无法读取取值 “{_clip(str(node.value))}”（{type(err).__name__}）",
                "数量请写作 “<数值> <单位>”；日期写作 2026-05-01；其他文字可加引号",
                _mark_location(self._name, node.start_mark),
            ) from None

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
                    value = self._atoms[key] = self._construct(node)
                    return value
        elif kind is yaml.MappingNode and tag == _MAP:
            return self._build_mapping(cast(yaml.MappingNode, node))
        elif kind is yaml.SequenceNode and tag == _SEQ:
            return [self._build(child) for child in node.value]
        try:
            return self.construct_object(node, deep=True)
        except (ValueError, OverflowError, TypeError) as err:
            if isinstance(err, InputError):
                raise
            raise InputError(
                f"无法读取这一项（{type(err).__name__}）",
                "检查该处的标签（!!…）与取值；日期写作 2026-05-01，其他文字可加引号",
                _mark_location(self._name, node.start_mark),
            ) from None

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


def _clip(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[:length] + "…"


def _duplicate(key: Any, key_node: yaml.Node) -> InputError:
    return InputError(
        f"键 “{_clip(str(key))}” 在同一映射中出现了两次",
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

#: Plain scalars read as YAML numbers: decimal only. YAML 1.1 also reads ``0x1F``, ``0o17``,
#: ``017`` (octal 15), ``1_000`` and ``1:30`` (sexagesimal 90) as numbers; here they stay text,
#: so that a text field keeps what was written and a number field reads them by the one number
#: grammar of :func:`tanping.units.parse_amount` (which refuses them with a hint).
_DECIMAL_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_DECIMAL_FLOAT = re.compile(
    r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [
        (
            tag,
            _DECIMAL_INT
            if tag == "tag:yaml.org,2002:int"
            else _DECIMAL_FLOAT
            if tag == "tag:yaml.org,2002:float"
            else pattern,
        )
        for tag, pattern in rules
    ]
    for first, rules in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent)) if root.parent != path else str(path)
    except ValueError:
        return str(path)


def _line_and_column(data: bytes | str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``data`` (bytes: the column counts bytes)."""
    newline: Any = b"\n" if isinstance(data, bytes) else "\n"
    line = data.count(newline, 0, offset) + 1
    column = offset - (data.rfind(newline, 0, offset) + 1) + 1
    return line, column


def read_text(path: Path, name: str, *, limit: int = MAX_FILE_BYTES) -> str:
    """The text of a report file: UTF-8, at most ``limit`` bytes, no characters YAML forbids.

    Each refusal is an :class:`InputError` naming the file and, where it applies, the line and
    column of the first offending byte, in Chinese.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError as err:
        raise InputError(f"找不到文件 {name}", "检查路径；报告目录中应有 report.yml") from err
    except IsADirectoryError as err:
        raise InputError(f"{name} 是目录，不是文件", "报告文件应为 .yml 文本文件") from err
    except OSError as err:
        raise InputError(
            f"无法读取文件 {name}（{err.strerror}）", "检查文件权限", Location(name)
        ) from err
    if len(data) > limit:
        raise InputError(
            f"文件 {name} 超过 {limit // (1024 * 1024)} MB",
            "报告数据过大；请把数据拆分为 data/ 下的多个文件，或检查是否误放了其他文件",
            Location(name),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line, column = _line_and_column(data, err.start)
        raise InputError(
            f"{name} 不是 UTF-8 编码：第 {line} 行第 {column} 个字节 "
            f"0x{data[err.start]:02X} 无法解码（常见于 GBK/GB2312 编码的文件）",
            "请用文本编辑器把文件另存为 UTF-8（如记事本“另存为”中选择 UTF-8）",
            Location(name, line),
        ) from None
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        line, column = _line_and_column(text, bad.start())
        char = bad.group()
        shown = "NUL 空字符" if char == "\0" else "控制字符"
        raise InputError(
            f"第 {line} 行第 {column} 列有不可见的 {shown}（U+{ord(char):04X}），"
            "YAML 文件中不允许出现",
            "删去该字符；它常来自从其他软件复制的文字或损坏的文件",
            Location(name, line),
        )
    return text


def _compose(text: str, name: str) -> yaml.Node | None:
    loader = _UniqueKeyLoader(text, name)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def parse_yaml_file(path: Path, *, display: str | None = None) -> Any:
    """Parse one YAML file; a syntax error or a budget exceeded becomes an :class:`InputError`
    with its line."""
    name = display or str(path)
    text = read_text(path, name)
    return parse_yaml_text(text, name)


def parse_yaml_text(text: str, name: str) -> Any:
    """Parse the text of one YAML file named ``name`` (see :func:`parse_yaml_file`)."""
    return _parse(text, name)[0]


def _parse(text: str, name: str) -> tuple[Any, yaml.Node | None]:
    """The data of one YAML file and its node tree (whose marks give every line, so that a
    :class:`SourceMap` never parses the file a second time)."""
    try:
        loader = _UniqueKeyLoader(text, name)
        try:
            with paused_gc():
                data = loader.get_single_data()
            return data, loader.root
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
            self._nodes[name] = _compose(read_text(self.files[name], name), name)
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


def _data_files(folder: Path) -> list[Path]:
    """Every ``data/**/*.yml`` of a report folder, sorted by path, each checked to lie inside it
    (a linked folder is followed only when it stays inside the report folder, and only once)."""
    root = folder / DATA_DIR
    if not root.is_dir():
        if root.is_symlink():
            inside(folder, DATA_DIR, what="数据目录")
        return []
    inside(folder, DATA_DIR, what="数据目录")
    found: list[Path] = []
    seen: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        real = here.resolve()
        if real in seen:  # a link back to a folder already read
            dirnames[:] = []
            continue
        seen.add(real)
        for sub in dirnames:
            inside(folder, (here / sub).relative_to(folder), what="数据目录")
        found += [here / file for file in filenames if file.endswith(".yml")]
    return sorted(found)


def read_report(folder: Path) -> tuple[dict[str, Any], SourceMap]:
    """The merged data of a report folder and the map back to its files.

    Only files inside the folder are read (:func:`calc.files.inside`); each file and their sum
    are limited in size, and each is parsed within the budgets of :class:`_Composer`.
    """
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
    report = inside(folder, REPORT_FILE, location=Location(main))
    sources.files[main] = report
    text = read_text(report, main)
    budget = MAX_REPORT_BYTES - len(text)
    data, sources._nodes[main] = _parse(text, main)
    if not isinstance(data, dict):
        raise InputError(
            "report.yml 的顶层应为映射（键: 值）",
            "第一行通常是 `kind: project` 或 `kind: park`",
            Location(main, 1),
        )
    for path in _data_files(folder):
        name = _display(path, folder)
        path = inside(folder, path.relative_to(folder), location=Location(name))
        sources.files[name] = path
        if budget <= 0:
            raise InputError(
                f"报告的数据文件合计超过 {MAX_REPORT_BYTES // (1024 * 1024)} MB",
                "报告数据过大；请检查 data/ 下是否误放了其他文件",
                Location(name),
            )
        text = read_text(path, name, limit=min(MAX_FILE_BYTES, budget))
        budget -= len(text)
        part, sources._nodes[name] = _parse(text, name)
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

"""From raw YAML data to a validated report model, with every problem located and explained.

pydantic's errors are translated into :class:`~calc.errors.InputError` with the file, line and
field path (through :class:`~calc.loader.SourceMap`), a Chinese statement of what is wrong, and a
hint on how to fix it (for an unknown field: the allowed ones, nearest first).
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tanping.calc.errors import InputError, Location, ReportErrors
from tanping.calc.loader import Key, SourceMap, paused_gc
from tanping.calc.models.park import ParkReport
from tanping.calc.models.project import ProjectReport
from tanping.units import UnitError

MODELS: dict[str, type[ProjectReport] | type[ParkReport]] = {
    "project": ProjectReport,
    "park": ParkReport,
}


def split_message(message: str) -> tuple[str, str]:
    """A validator message ``"problem；hint"`` split in two."""
    problem, _, hint = message.partition("；")
    return problem, hint


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, list, dict, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(annotation) for c in _unwrap(arg)]
    if origin in (list, tuple):
        return [c for arg in typing.get_args(annotation) for c in _unwrap(arg)]
    if origin is dict:
        return _unwrap(typing.get_args(annotation)[1])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _model_at(root: type[BaseModel], loc: Sequence[Key]) -> list[type[BaseModel]]:
    """The candidate model classes at a field path (for listing allowed fields)."""
    current: list[type[BaseModel]] = [root]
    for key in loc:
        if isinstance(key, int):
            continue
        nxt: list[type[BaseModel]] = []
        for model in current:
            for name, info in model.model_fields.items():
                if key in (name, info.alias):
                    nxt += _unwrap(info.annotation)
        if not nxt:
            tagged = [m for m in current if _tag(m) == key]
            nxt = tagged if tagged else current
        current = nxt
    return current


def _tag(model: type[BaseModel]) -> str | None:
    info = model.model_fields.get("type")
    if info is None:
        return None
    args = typing.get_args(info.annotation)
    return str(args[0]) if args else None


def _allowed_fields(root: type[BaseModel], parent: Sequence[Key]) -> list[str]:
    names: list[str] = []
    for model in _model_at(root, parent):
        for name, info in model.model_fields.items():
            shown = info.alias or name
            if shown not in names:
                names.append(shown)
    return names


def translate(error: ErrorDetails, root: type[BaseModel]) -> tuple[str, str]:
    """problem and hint, in Chinese, for one pydantic error."""
    kind = error["type"]
    loc = error["loc"]
    ctx = error.get("ctx", {})
    given = error.get("input")
    field = str(loc[-1]) if loc else ""
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        if isinstance(cause, UnitError):
            return cause.problem, cause.hint
        return split_message(str(cause) if cause is not None else error["msg"])
    if kind == "extra_forbidden":
        allowed = _allowed_fields(root, loc[:-1])
        close = difflib.get_close_matches(field, allowed, n=1, cutoff=0.5)
        hint = f"是否应为 “{close[0]}”？" if close else ""
        return f"未知字段 “{field}”", hint + f"此处允许的字段：{'、'.join(allowed)}"
    if kind == "missing" and loc and isinstance(loc[-1], int):
        coordinates = "location" in loc
        return (
            f"列表缺少第 {loc[-1] + 1} 项",
            "坐标写作 [经度, 纬度]，如 [106.52, 29.61]" if coordinates else "请补全该列表",
        )
    if kind == "missing":
        return f"缺少必填字段 “{field}”", "请补上该字段（字段含义见 spec/README.md）"
    if kind == "literal_error":
        return f"取值 “{given}” 无效", f"可选：{ctx.get('expected', '')}"
    if kind == "union_tag_invalid":
        return (
            f"类型 “{ctx.get('tag')}” 无效",
            f"可选：{ctx.get('expected_tags', '')}",
        )
    if kind == "union_tag_not_found":
        return "缺少 type 字段", "工业生产过程须写明 type，如 type: cement"
    messages = {
        "int_type": ("应为整数（如年份 2024）", ""),
        "int_parsing": ("应为整数（如年份 2024）", ""),
        "int_from_float": ("应为整数", ""),
        "float_type": ("应为数字", ""),
        "float_parsing": ("应为数字", ""),
        "string_type": ("应为文字", "如含特殊字符请加引号"),
        "list_type": ("应为列表", "每一项以 “- ” 开头，或写作 [a, b]"),
        "dict_type": ("应为映射（键: 值）", ""),
        "model_type": ("应为映射（键: 值）", ""),
        "model_attributes_type": ("应为映射（键: 值）", ""),
        "bool_type": ("应为 true 或 false", ""),
        "bool_parsing": ("应为 true 或 false", ""),
        "tuple_type": ("应为列表", "坐标写作 [经度, 纬度]"),
        "too_short": (f"至少需要 {ctx.get('min_length', 1)} 项", ""),
        "too_long": (f"最多 {ctx.get('max_length', '')} 项", "坐标写作 [经度, 纬度]"),
        "string_too_short": ("不能为空", ""),
    }
    problem, hint = messages.get(kind, (error["msg"], ""))
    if given is not None and not isinstance(given, dict | list):
        problem += f"，实际为 “{given}”"
    return problem, hint


def locate(sources: SourceMap | None, loc: Sequence[Key]) -> Location:
    if sources is None:
        return Location("report.yml", None, ".".join(str(k) for k in loc))
    return sources.locate(loc)


def validate_report(data: Any, sources: SourceMap | None = None) -> ProjectReport | ParkReport:
    """The validated report model; :class:`ReportErrors` listing every problem otherwise."""
    if not isinstance(data, dict):
        raise InputError("报告的顶层应为映射", "", locate(sources, ()))
    kind = data.get("kind")
    if kind not in MODELS:
        raise InputError(
            f"kind 应为 project 或 park，实际为 “{kind}”" if kind else "缺少 kind 字段",
            "建设项目写 kind: project（北京指南）；产业园区规划写 kind: park（重庆指南）",
            locate(sources, ("kind",)),
        )
    model = MODELS[kind]
    try:
        with paused_gc():  # a model per row, tens of thousands of rows
            return model.model_validate(data)
    except ValidationError as err:
        errors = []
        for detail in err.errors():
            problem, hint = translate(detail, model)
            loc = tuple(detail["loc"])
            cause = detail.get("ctx", {}).get("error")
            field = getattr(cause, "field", None)
            if field:  # a rule across fields names the field to fix
                loc = (*loc, field)
            errors.append(InputError(problem, hint, locate(sources, loc)))
        raise ReportErrors(errors) from None

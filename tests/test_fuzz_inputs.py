"""Generated hostile YAML through ``tanping check`` and ``tanping ledger`` (issue 9).

Whatever the input (random structures with anchors and aliases, numbers in every notation,
unicode, NUL, very long strings, deep nesting), the command answers exit 0, or exit 2 with a
Chinese message; never a traceback. Two kinds of documents: whole random documents, and the two
spec examples with one value replaced at a random path. Most examples run in-process (fast); a
few run the installed ``tanping`` in a subprocess under a 1 GB address-space limit (with a
timeout as a hang guard). Examples are derandomised so that CI is reproducible.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CONTENT_COPIES, PARK_EXAMPLE, PROJECT_EXAMPLE, CliResult, run_inprocess
from tests.test_hostile_inputs import run_limited

CJK = re.compile(r"[\u4e00-\u9fff]")

#: Numbers as people (and attackers) write them.
NUMBER_TEXTS = [
    "1e5", "1E-5", "0x1F", "0o17", "017", "1_000", ".5", "5.", "-0", "+3", "∞", "-∞", "１２",
    "1,234", "12,000.5", "8,5", "1,2,0,0,0", "nan", "NaN", "inf", "-inf", ".nan", ".inf",
    "1e308", "1e-400", "9" * 400, "1:30", "0b101", "٣", "1.2.3", "",
]  # fmt: skip
UNITS = [
    "",
    " t",
    " 万t",
    " MWh",
    " tCO2/MWh",
    " %",
    " GJ/万Nm3",
    " kgCO2/TJ",
    " 万元",
    " 辆",
    " x",
]

number_text = st.builds(lambda n, u: n + u, st.sampled_from(NUMBER_TEXTS), st.sampled_from(UNITS))
odd_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\0", "a\0b", "\x07", "\u2028", "line\nbreak", "碳" * 5000, "x" * 300]),
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    number_text,
    odd_text,
)


def values(depth: int = 3) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalar,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4),
        ),
        max_leaves=12,
    )


# ---- whole random documents ------------------------------------------------------------------


@st.composite
def raw_documents(draw: st.DrawFn) -> str:
    """YAML text written by hand: anchors and aliases, plain numbers, flow and block nesting."""
    kind = draw(st.sampled_from(["project", "park", "other"]))
    lines = [f"kind: {kind}"]
    anchors: list[str] = []
    for index in range(draw(st.integers(1, 6))):
        key = draw(st.sampled_from(["title", "year", "proposed", "sources", "x", "history", "gwp"]))
        key = f"{key}{index}" if draw(st.booleans()) else key
        choice = draw(st.integers(0, 5))
        if choice == 0 and anchors:
            used = draw(st.lists(st.sampled_from(anchors), min_size=1, max_size=9))
            lines.append(f"{key}: [{', '.join(f'*{name}' for name in used)}]")
        elif choice == 1:
            depth = draw(st.integers(1, 200))
            lines.append(f"{key}: " + "[" * depth + "1" + "]" * depth)
        elif choice == 2:
            name = f"a{index}"
            anchors.append(name)
            items = ", ".join(draw(st.lists(st.sampled_from(NUMBER_TEXTS), max_size=5)) or ["1"])
            lines.append(f"{key}: &{name} [{items}]")
        elif choice == 3:
            lines.append(f"{key}: {draw(number_text)}")
        else:
            lines.append(f"{key}: {json.dumps(draw(odd_text), ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


# ---- one value replaced in a spec example ------------------------------------------------------


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


EXAMPLES = {
    name: yaml.safe_load(CONTENT_COPIES[name].read_text(encoding="utf-8"))
    for name in (PROJECT_EXAMPLE, PARK_EXAMPLE)
}
PATHS = {name: [p for p in _paths(data) if p] for name, data in EXAMPLES.items()}


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replace(data[path[0]], path[1:], value)  # type: ignore[index]
    return copy


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    path = draw(st.sampled_from(PATHS[name]))
    value = draw(st.one_of(scalar, values()))
    data = _replace(EXAMPLES[name], path, value)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# ---- the property ------------------------------------------------------------------------------


def assert_answered(result: CliResult) -> None:
    assert result.code in (0, 2), (result.code, result.stdout[-500:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    if result.code == 2:
        assert CJK.search(result.stderr), result.stderr[-3000:]
        assert "修改建议" in result.stderr or "：" in result.stderr, result.stderr[-3000:]


FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(text=st.one_of(raw_documents(), mutated_examples()))
def test_generated_documents_are_answered(tmp_path_factory: Any, text: str) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    folder = tmp / "report"
    folder.mkdir()
    (folder / "report.yml").write_text(text, encoding="utf-8", errors="surrogatepass")
    assert_answered(run_inprocess(["check", folder]))
    assert_answered(run_inprocess(["ledger", folder, "--json"]))


@settings(max_examples=6, deadline=None, derandomize=True)
@given(text=st.one_of(raw_documents(), mutated_examples()))
def test_generated_documents_in_a_limited_process(tmp_path_factory: Any, text: str) -> None:
    tmp = tmp_path_factory.mktemp("fuzz-limited")
    folder = tmp / "report"
    folder.mkdir()
    (folder / "report.yml").write_text(text, encoding="utf-8", errors="surrogatepass")
    assert_answered(run_limited(["ledger", folder, "--json"]))

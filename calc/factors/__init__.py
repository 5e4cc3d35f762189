"""The cited factor library: default factors as data, one row per value, with source and grade.

Every value lives in a CSV file of this folder (``fuels.csv``, ``grid.csv``, ``heat.csv``,
``gwp.csv``, ``process.csv``, ``waste.csv``) with exactly the columns :data:`COLUMNS`::

    set,item,parameter,qualifier,value,unit,source,clause,year,grade,note

``set`` is a named, versioned factor set (``gbt32151-2024``, ``ipcc2006``, ``mee-nbs``, ``AR5`` …),
``item`` the fuel, region, gas or process as the report names it, ``parameter`` what the value
is (``lhv``, ``carbon_content``, ``oxidation``, ``ef_co2``, ``gwp100`` …) and ``qualifier`` what
tells rows of the same parameter apart (IPCC sector, data year, technology), empty otherwise.
Values are stored in the unit the source states them in; conversion is the calculation layer's
job, through :mod:`units`. The source of every value is ``calc/factors/SOURCES.md``;
``grade`` is the grade it gives (:data:`GRADES`).

``cn-default`` is an alias of ``gbt32151-2024``: the fuel table of GB/T 32151.22-2024 附录C
表C.1 is the most recent national-standard table of the two Chinese tables found, it covers the
most fuels (it has 石油焦 and 石脑油, which the 2013 24-industry table lacks) and it states the
gas reference state (0 °C, 101.325 kPa). It is a grade C third-party transcription: check its
rows against the standard before release (see ``README.md``). No row of that set used for
``lhv``, ``carbon_content`` or ``oxidation`` is UNVERIFIED, so the alias never supplies an
unverified fuel value silently.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tanping import units
from tanping.calc.errors import InputError, Location

__all__ = [
    "ALIASES",
    "BANDS_FILE",
    "COLUMNS",
    "DATA_DIR",
    "GRADES",
    "Factor",
    "FactorLibrary",
    "ProcessBand",
    "load_bands",
    "load_csv",
]

#: The grades of factors.md, best first. UNVERIFIED: not seen in any source (e.g. from memory).
GRADES = ("A", "A-", "B", "B/C", "C", "UNVERIFIED")

#: Names a report may use for a set, and the set they stand for (see the module docstring).
ALIASES = {"cn-default": "gbt32151-2024"}

#: The columns of every factor CSV, in this order.
COLUMNS = (
    "set",
    "item",
    "parameter",
    "qualifier",
    "value",
    "unit",
    "source",
    "clause",
    "year",
    "grade",
    "note",
)
_REQUIRED = ("set", "item", "parameter", "value", "source", "year", "grade")

DATA_DIR = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class Factor:
    """One cited value: ``value`` (an :class:`units.Amount`) with where it comes from."""

    set: str
    item: str
    parameter: str
    qualifier: str
    value: units.Amount
    source: str
    clause: str
    year: str
    grade: str
    note: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        """``(set, item, parameter, qualifier)``, unique in a library."""
        return (self.set, self.item, self.parameter, self.qualifier)

    @property
    def verified(self) -> bool:
        """Whether the value was seen in some source (grade is not ``UNVERIFIED``)."""
        return self.grade != "UNVERIFIED"

    def citation(self) -> str:
        """A Chinese one-liner citing the value: ``GB/T 32151.22-2024 附录C 表C.1（2024，等级 C）``.

        An unverified value says so: ``…（2011，未经核实）``.
        """
        document = f"{self.source} {self.clause}" if self.clause else self.source
        standing = f"等级 {self.grade}" if self.verified else "未经核实"
        return f"{document}（{self.year}，{standing}）"


def _row_error(path: Path, line: int, problem: str) -> ValueError:
    return ValueError(f"{path.name}, line {line}: {problem}")


def load_csv(path: Path) -> list[Factor]:
    """The factors of one CSV file.

    Raises ``ValueError`` naming the file and line for a wrong header, a wrong column count, an
    empty required field, a unit or value that :func:`units.parse_amount` rejects, a grade
    outside :data:`GRADES`, or a ``(set, item, parameter, qualifier)`` repeated in the file.
    """
    factors: list[Factor] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(header) != COLUMNS:
            raise _row_error(path, 1, f"header must be {','.join(COLUMNS)}, found {header}")
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(COLUMNS):
                raise _row_error(
                    path,
                    line,
                    f"{len(cells)} columns, expected {len(COLUMNS)} ({','.join(COLUMNS)})",
                )
            row = dict(zip(COLUMNS, (cell.strip() for cell in cells), strict=True))
            for name in _REQUIRED:
                if not row[name]:
                    raise _row_error(path, line, f"empty {name!r}")
            if row["grade"] not in GRADES:
                raise _row_error(
                    path, line, f"unknown grade {row['grade']!r}, expected one of {GRADES}"
                )
            try:
                value = units.parse_amount(f"{row['value']} {row['unit']}", bare_number=True)
            except units.UnitError as err:
                raise _row_error(path, line, f"value/unit not readable: {err}") from err
            factor = Factor(
                set=row["set"],
                item=row["item"],
                parameter=row["parameter"],
                qualifier=row["qualifier"],
                value=value,
                source=row["source"],
                clause=row["clause"],
                year=row["year"],
                grade=row["grade"],
                note=row["note"],
            )
            if factor.key in seen:
                raise _row_error(
                    path, line, f"duplicate {factor.key}, first at line {seen[factor.key]}"
                )
            seen[factor.key] = line
            factors.append(factor)
    return factors


class FactorLibrary:
    """Factors indexed by ``(set, item, parameter, qualifier)``; set aliases resolved on lookup."""

    def __init__(self, rows: Iterable[Factor]) -> None:
        self._rows: list[Factor] = []
        self._index: dict[tuple[str, str, str, str], Factor] = {}
        for factor in rows:
            if factor.key in self._index:
                raise ValueError(f"duplicate factor {factor.key}")
            if factor.set in ALIASES:
                raise ValueError(f"set id {factor.set!r} is reserved as an alias")
            self._index[factor.key] = factor
            self._rows.append(factor)

    @classmethod
    def default(cls) -> FactorLibrary:
        """The library of all CSV files of this folder, loaded once."""
        return _default_library()

    @staticmethod
    def resolve(set: str) -> str:
        """The set id behind an alias (``cn-default`` -> ``gbt32151-2024``), else ``set``."""
        return ALIASES.get(set, set)

    def find(self, set: str, item: str, parameter: str, qualifier: str = "") -> Factor | None:
        """The factor with this key, or ``None``; ``set`` may be an alias."""
        return self._index.get((self.resolve(set), item, parameter, qualifier))

    def sets(self) -> list[str]:
        """The set ids present, sorted (aliases not included)."""
        return sorted({factor.set for factor in self._rows})

    def fuel_sets(self) -> list[str]:
        """The sets a report's ``factors:`` may name: those with fuel parameters (lhv)."""
        return sorted({f.set for f in self._rows if f.parameter == "lhv"})

    def rows(self, set: str | None = None) -> list[Factor]:
        """All factors in file order, or those of one set (``set`` may be an alias)."""
        if set is None:
            return list(self._rows)
        wanted = self.resolve(set)
        return [factor for factor in self._rows if factor.set == wanted]

    def items(self, set: str, parameter: str) -> list[str]:
        """The items of a set that carry ``parameter``, in file order, each once."""
        wanted = self.resolve(set)
        found = (f.item for f in self._rows if f.set == wanted and f.parameter == parameter)
        return list(dict.fromkeys(found))


@cache
def _default_library() -> FactorLibrary:
    rows: list[Factor] = []
    for path in sorted(DATA_DIR.glob("*.csv")):
        rows.extend(load_csv(path))
    return FactorLibrary(rows)


def require_fuel_set(library: FactorLibrary, name: str, where: Callable[[], Location]) -> None:
    """Refuse a report's ``factors:`` that names no set of fuel parameters. ``where`` is called
    only then (locating a field composes the whole YAML file)."""
    if library.resolve(name) in library.fuel_sets():
        return
    raise InputError(
        f"因子集 “{name}” 不存在",
        f"可选：cn-default（即 {library.resolve('cn-default')}）、{'、'.join(library.fuel_sets())}",
        where(),
    )


# ---- plausibility bands of process factors (bands.yml) -----------------------------------------

BANDS_FILE = DATA_DIR / "bands.yml"


@dataclass(frozen=True, slots=True)
class ProcessBand:
    """How far a process factor may lie from the library's value for its item (``bands.yml``).

    ``field`` is the factor's path in the process model (``ef``, ``ef_cf4``, ``carbonates.ef``);
    ``low`` and ``high`` multiply the reference value (None: that side open); ``generic`` is an
    absolute ``(low, high)`` band used where the library has no reference for a key.
    """

    process: str
    field: str
    label: str
    item: str
    parameter: str
    qualifier: str | dict[str, str]
    sets: tuple[str, ...]
    low: float | None
    high: float | None
    generic: tuple[units.Amount, units.Amount] | None
    why: str

    def reference(self, library: FactorLibrary, key: str | None) -> Factor | None:
        """The library factor the band is centred on, for the map key ``key`` (technology,
        carbonate) where the field is a map; None where the library has none."""
        if isinstance(self.qualifier, dict):
            qualifier = self.qualifier.get(key or "")
            if qualifier is None:
                return None
        else:
            qualifier = self.qualifier.replace("{key}", key or "")
        for set_id in self.sets:
            factor = library.find(set_id, self.item, self.parameter, qualifier)
            if factor is not None:
                return factor
        return None


def _band(name: str, spec: dict[str, object]) -> ProcessBand:
    process, _, field = name.partition(".")
    generic = spec.get("generic")
    bounds: tuple[units.Amount, units.Amount] | None = None
    if isinstance(generic, dict):
        unit = str(generic["unit"])
        bounds = (
            units.parse_amount(f"{generic['low']} {unit}"),
            units.parse_amount(f"{generic['high']} {unit}"),
        )
    qualifier = spec.get("qualifier", "")
    sets = spec["sets"]
    low, high = spec.get("low"), spec.get("high")
    if not isinstance(sets, list) or not field:
        raise ValueError(
            f"{BANDS_FILE.name}: band {name!r} needs <type>.<field> and a list of sets"
        )
    return ProcessBand(
        process=process,
        field=field,
        label=str(spec["label"]),
        item=str(spec["item"]),
        parameter=str(spec["parameter"]),
        qualifier=(
            {str(k): str(v) for k, v in qualifier.items()}
            if isinstance(qualifier, dict)
            else str(qualifier or "")
        ),
        sets=tuple(str(s) for s in sets),
        low=None if low is None else float(str(low)),
        high=None if high is None else float(str(high)),
        generic=bounds,
        why=str(spec.get("why", "")),
    )


@cache
def load_bands() -> tuple[ProcessBand, ...]:
    """The bands of ``bands.yml``, loaded once (its grammar is stated at the top of the file)."""
    import yaml

    data = yaml.safe_load(BANDS_FILE.read_text(encoding="utf-8"))
    return tuple(_band(name, spec) for name, spec in data["bands"].items())


@dataclass(frozen=True, slots=True)
class ValueBand:
    """How far a fuel parameter (``fuel_bands``) or an energy factor (``fixed_bands``) written in
    a report may lie: ``low``/``high`` multiply the library's value for the fuel (``sets`` searched
    in order), or, with ``unit``, bound the value in that unit."""

    name: str
    label: str
    low: float
    high: float
    sets: tuple[str, ...] = ()
    unit: str = ""
    why: str = ""

    def reference(
        self, library: FactorLibrary, set_name: str, item: str, unit: str
    ) -> Factor | None:
        """The library's value of this parameter for ``item`` whose unit has the dimension of
        ``unit``: the report's set first, then :attr:`sets`."""
        for set_id in dict.fromkeys((library.resolve(set_name), *self.sets)):
            factor = library.find(set_id, item, self.name)
            if factor is None or factor.value.magnitude <= 0:
                continue
            if units.dimensionality(factor.value.unit) == units.dimensionality(unit):
                return factor
        return None


@cache
def load_value_bands() -> tuple[dict[str, ValueBand], dict[str, ValueBand]]:
    """``(fuel_bands, fixed_bands)`` of ``bands.yml``, by parameter / factor kind."""
    import yaml

    data = yaml.safe_load(BANDS_FILE.read_text(encoding="utf-8"))
    fuel = {
        name: ValueBand(
            name,
            str(spec["label"]),
            float(spec["low"]),
            float(spec["high"]),
            tuple(spec["sets"]),
            why=str(spec.get("why", "")),
        )
        for name, spec in data["fuel_bands"].items()
    }
    fixed = {
        name: ValueBand(
            name,
            str(spec["label"]),
            float(spec["low"]),
            float(spec["high"]),
            unit=str(spec["unit"]),
            why=str(spec.get("why", "")),
        )
        for name, spec in data["fixed_bands"].items()
    }
    return fuel, fixed

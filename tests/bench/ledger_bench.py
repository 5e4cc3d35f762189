"""Ledger benchmark of a large park (``make bench``): a report, not a test.

A deterministic generator writes a realistic industrial-park report (spec §4) to a temporary
folder: 20 industries across all six groups, 1,000 enterprises with locations, 3 history years +
1 planning year × 2 scenarios = 5 periods, about 10 sources per enterprise and period mixing every
source type (mostly combustion of varied fuels and sectors, electricity, the process types of the
industries, some boiler N2O, mobile, biomass, fugitive, wastewater and reduction rows), random
magnitudes in the units users write (so that most quantity strings are distinct, as in real
data, while tabulated factors such as ``19.570 GJ/t`` recur), and economy rows per industry and
period.

It then times, in one process, best of N (``time.perf_counter``, ``gc.collect()`` before each
run; floor and ledger runs alternate so that a busy machine slows both alike; at least 2 runs
each, more while within ``--budget`` seconds, at most ``--repeat``):

- the floor: ``yaml.load(text, Loader=yaml.CSafeLoader)`` of the same file text;
- the ledger: ``calc.pipeline.compute(folder)`` then ``result.ledger.to_json()``
  (what ``tanping ledger --json`` does), each run with the calc layer's memo caches cleared, as
  in a fresh process,

and prints both, their ratio against the target of 2×, the number of ledger figures and the peak
memory of the ledger (tracemalloc, in a separate run). It exits 0 whatever the ratio.

    python -m tests.bench.ledger_bench [--enterprises 1000] [--repeat 5] [--budget 15]
        [--stages] [--profile] [--no-memory] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TARGET_RATIO = 2.0
SEED = 20240611
HISTORY = (2022, 2023, 2024)
PLANNING = (2030,)
SCENARIOS = {"baseline": "基准情景", "control": "对照情景"}
PERIODS: tuple[tuple[int, str | None], ...] = (
    *((y, None) for y in HISTORY),
    *((y, s) for y in PLANNING for s in SCENARIOS),
)

# ---- what the park is made of -------------------------------------------------------------------


@dataclass(frozen=True)
class Fuel:
    name: str
    state: str  # solid (t, 万t), liquid (t), gas (万Nm3)
    lhv: float  # the standard value as the tables print it
    lhv_digits: int
    ef_co2: int  # kgCO2/TJ
    carbon: float  # tC/TJ (written as tC/GJ)
    oxidation: int  # %


FUELS = {
    f.name: f
    for f in (
        Fuel("烟煤", "solid", 19.570, 3, 94600, 26.1, 93),
        Fuel("无烟煤", "solid", 26.7, 1, 98300, 27.4, 94),
        Fuel("褐煤", "solid", 11.9, 1, 101000, 28.0, 96),
        Fuel("洗精煤", "solid", 26.334, 3, 94600, 25.41, 90),
        Fuel("焦炭", "solid", 28.435, 3, 107000, 29.5, 93),
        Fuel("石油焦", "solid", 32.5, 1, 97500, 27.5, 98),
        Fuel("燃料油", "liquid", 41.816, 3, 77400, 21.1, 98),
        Fuel("柴油", "liquid", 42.652, 3, 74100, 20.2, 98),
        Fuel("汽油", "liquid", 43.070, 3, 69300, 18.9, 98),
        Fuel("一般煤油", "liquid", 43.070, 3, 71900, 19.6, 98),
        Fuel("液化石油气", "liquid", 50.179, 3, 63100, 17.2, 98),
        Fuel("液化天然气", "liquid", 51.498, 3, 64200, 15.3, 98),
        Fuel("石脑油", "liquid", 44.5, 1, 73300, 20.0, 98),
        Fuel("炼厂干气", "liquid", 45.998, 3, 57600, 18.2, 99),
        Fuel("天然气", "gas", 389.31, 2, 56100, 15.3, 99),
        Fuel("焦炉煤气", "gas", 179.81, 2, 44400, 13.58, 99),
        Fuel("高炉煤气", "gas", 33.00, 2, 260000, 70.8, 99),
        Fuel("转炉煤气", "gas", 84.00, 2, 182000, 49.6, 99),
    )
}


@dataclass(frozen=True)
class IndustryKind:
    name: str
    group: str
    suffix: str  # of enterprise names
    weight: int  # share of the park's enterprises
    fuels: tuple[str, ...]  # fuels burnt on site, most used first
    processes: tuple[str, ...] = ()  # process types (A.3)
    product: str | None = None  # unit of the product indicator
    scale: float = 1.0  # energy use relative to a typical enterprise
    extras: dict[str, float] = field(default_factory=dict)  # source kind -> probability


INDUSTRIES = (
    IndustryKind(
        "火力发电",
        "power",
        "发电有限公司",
        8,
        ("烟煤", "天然气", "柴油"),
        product="MWh",
        scale=40,
        extras={"boiler_n2o": 0.9, "gas_fugitive": 0.1},
    ),
    IndustryKind(
        "热电联产",
        "power",
        "热电有限公司",
        10,
        ("烟煤", "天然气", "褐煤", "柴油"),
        product="GJ",
        scale=15,
        extras={"boiler_n2o": 0.8, "biomass": 0.2},
    ),
    IndustryKind(
        "炼钢",
        "steel",
        "钢铁有限公司",
        12,
        ("焦炭", "高炉煤气", "转炉煤气", "焦炉煤气", "天然气", "洗精煤"),
        processes=("steel",),
        product="万t",
        scale=25,
    ),
    IndustryKind(
        "钢压延加工",
        "steel",
        "金属制品有限公司",
        30,
        ("天然气", "焦炉煤气", "柴油"),
        product="万t",
        scale=3,
    ),
    IndustryKind(
        "水泥制造",
        "building_materials",
        "水泥有限公司",
        20,
        ("烟煤", "石油焦", "柴油"),
        processes=("cement",),
        product="万t",
        scale=12,
    ),
    IndustryKind(
        "石灰和石膏制造",
        "building_materials",
        "建材有限公司",
        20,
        ("烟煤", "无烟煤", "天然气"),
        processes=("lime",),
        product="万t",
        scale=4,
    ),
    IndustryKind(
        "平板玻璃制造",
        "building_materials",
        "玻璃有限公司",
        12,
        ("天然气", "石油焦", "燃料油"),
        processes=("flat_glass",),
        product="万t",
        scale=6,
    ),
    IndustryKind(
        "铝冶炼",
        "nonferrous",
        "铝业有限公司",
        10,
        ("天然气", "石油焦", "柴油"),
        processes=("aluminium",),
        product="万t",
        scale=8,
    ),
    IndustryKind(
        "镁冶炼",
        "nonferrous",
        "镁业有限公司",
        6,
        ("无烟煤", "焦炉煤气", "天然气"),
        processes=("magnesium",),
        product="t",
        scale=5,
    ),
    IndustryKind(
        "硝酸制造",
        "chemicals",
        "化工有限公司",
        10,
        ("天然气", "烟煤"),
        processes=("nitric_acid",),
        product="万t",
        scale=4,
    ),
    IndustryKind(
        "己二酸制造",
        "chemicals",
        "化学有限公司",
        5,
        ("天然气", "烟煤"),
        processes=("adipic_acid",),
        product="万t",
        scale=5,
    ),
    IndustryKind(
        "电石制造",
        "chemicals",
        "电石有限公司",
        8,
        ("焦炭", "无烟煤", "天然气"),
        processes=("calcium_carbide",),
        product="万t",
        scale=6,
    ),
    IndustryKind(
        "氟化工",
        "chemicals",
        "氟化工有限公司",
        8,
        ("天然气", "烟煤"),
        processes=("hcfc22", "hfc_production"),
        product="t",
        scale=4,
    ),
    IndustryKind(
        "石油化工",
        "chemicals",
        "石化有限公司",
        10,
        ("炼厂干气", "天然气", "燃料油", "石脑油", "液化石油气"),
        product="万t",
        scale=20,
        extras={"gas_fugitive": 0.3},
    ),
    IndustryKind(
        "电子器件制造",
        "other",
        "电子科技有限公司",
        180,
        ("天然气", "柴油", "液化石油气"),
        processes=("semiconductor",),
        product="万片",
        scale=1.5,
    ),
    IndustryKind(
        "输配电设备制造",
        "other",
        "电气有限公司",
        90,
        ("天然气", "柴油", "汽油"),
        processes=("electrical_equipment",),
        product="万台",
        scale=0.8,
    ),
    IndustryKind(
        "汽车制造",
        "other",
        "汽车有限公司",
        120,
        ("天然气", "柴油", "汽油", "液化石油气"),
        product="万辆",
        scale=1.2,
    ),
    IndustryKind(
        "食品制造",
        "other",
        "食品有限公司",
        160,
        ("天然气", "烟煤", "柴油", "液化石油气"),
        product="万t",
        scale=0.6,
        extras={"biomass": 0.15},
    ),
    IndustryKind(
        "纺织服装",
        "other",
        "纺织有限公司",
        130,
        ("天然气", "烟煤", "柴油"),
        product="万件",
        scale=0.5,
    ),
    IndustryKind(
        "通用设备制造",
        "other",
        "机械有限公司",
        141,
        ("天然气", "柴油", "汽油", "一般煤油"),
        product="万台",
        scale=0.7,
    ),
)

PLACES = "两江 渝北 江北 长寿 涪陵 璧山 永川 綦江 万州 合川 江津 南岸 巴南 大足 荣昌 铜梁".split()
TRADE = "华鑫恒泰盛达锦宏嘉源川瑞丰通昌隆德安远宇博新力天信诚兴宝利和金永海明光"
NITRIC = (
    "双加压法",
    "中压法",
    "常压法",
    "高压法（无NSCR）",
    "高压法（有NSCR）",
    "综合法",
    "低压法",
)
SEMI_GASES = ("CF4", "CHF3", "C2F6", "SF6", "NF3")
HFCS = ("HFC-32", "HFC-125", "HFC-134a", "HFC-143a", "HFC-152a", "HFC-227ea")
CARBONATES = (("石灰石", 0.440), ("白云石", 0.471), ("纯碱", 0.415))


def fmt(x: float, sig: int = 5) -> str:
    """``x`` with about ``sig`` significant digits, in fixed notation (as people type numbers)."""
    if x == 0:
        return "0"
    decimals = max(0, sig - 1 - math.floor(math.log10(abs(x))))
    return f"{x:.{decimals}f}"


# ---- the generator ------------------------------------------------------------------------------


@dataclass
class _Enterprise:
    name: str
    kind: IndustryKind
    size: float
    templates: list[Callable[[random.Random, float], str]]


class ParkGenerator:
    """Writes a park report as people write one (flow mappings for simple rows, blocks for maps)."""

    def __init__(self, enterprises: int = 1000, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.n = enterprises
        self.counts: Counter[str] = Counter()

    # -- one source row's body (the text after "<type>:"), for a period factor g -------------

    def _amount(self, fuel: Fuel, heat_tj: float) -> tuple[str, float]:
        """A physical amount written in the unit people use, and the heat it stands for."""
        r = self.rng
        if fuel.state == "gas":
            amount = heat_tj * 1000 / fuel.lhv  # 万Nm3
            return f"{fmt(amount, 6)} 万Nm3", amount
        tonnes = heat_tj * 1000 / fuel.lhv
        if tonnes >= 10000 and r.random() < 0.8:
            return f"{fmt(tonnes / 1e4, 6)} 万t", tonnes
        return f"{fmt(tonnes, 6)} t", tonnes

    def _lhv(self, fuel: Fuel) -> str:
        """The tabulated value most of the time, a measured one otherwise."""
        r = self.rng
        unit = "GJ/万Nm3" if fuel.state == "gas" else "GJ/t"
        if r.random() < 0.55:
            return f"{fuel.lhv:.{fuel.lhv_digits}f} {unit}"
        return f"{fuel.lhv * r.uniform(0.92, 1.08):.3f} {unit}"

    def combustion(self, fuel_name: str, sector: str, share: float) -> Callable[..., str]:
        fuel = FUELS[fuel_name]
        style = self.rng.choices(
            ("ef", "carbon", "defaults", "lhv_only", "heat"), (55, 20, 12, 8, 5)
        )[0]
        if fuel.state == "gas" and style == "heat":
            style = "ef"

        def body(r: random.Random, size: float) -> str:
            heat = size * share * r.uniform(0.7, 1.3) * 1000  # TJ
            amount, _ = self._amount(fuel, heat)
            head = f"fuel: {fuel.name}, sector: {sector}, amount: {amount}"
            if style == "heat":
                return (
                    f"{{fuel: {fuel.name}, sector: {sector}, amount: {fmt(heat * 1000, 5)} GJ, "
                    f"ef_co2: {fuel.ef_co2} kgCO2/TJ}}"
                )
            if style == "defaults":
                return f"{{{head}}}"
            if style == "lhv_only":
                return f"{{{head}, lhv: {self._lhv(fuel)}}}"
            if style == "carbon":
                oxidation = (
                    f"{fuel.oxidation} %" if r.random() < 0.7 else f"{fuel.oxidation / 100:.2f}"
                )
                carbon = fuel.carbon * (1 if r.random() < 0.6 else r.uniform(0.95, 1.05))
                return (
                    f"{{{head}, lhv: {self._lhv(fuel)}, carbon_content: "
                    f"{carbon / 1000:.5f} tC/GJ, oxidation: {oxidation}}}"
                )
            return f"{{{head}, lhv: {self._lhv(fuel)}, ef_co2: {fuel.ef_co2} kgCO2/TJ}}"

        return body

    @staticmethod
    def electricity(r: random.Random, size: float) -> str:
        imported = size * r.uniform(3e3, 3e4)
        exported = imported * r.uniform(0.01, 0.2) if r.random() < 0.15 else 0.0
        factor = "0.5271" if r.random() < 0.7 else f"{r.uniform(0.50, 0.60):.4f}"
        return (
            f"{{import: {fmt(imported, 5)} MWh, export: {fmt(exported, 4)} MWh, "
            f"factor: {factor} tCO2/MWh}}"
        )

    @staticmethod
    def boiler_n2o(r: random.Random, size: float) -> str:
        tonnes = size * r.uniform(1.5e4, 3e4)
        return (
            f"{{boiler: 燃煤, fuel: 烟煤, amount: {fmt(tonnes / 1e4)} 万t, "
            f"lhv: {19.57 * r.uniform(0.95, 1.05):.3f} GJ/t, ef_n2o: 1.4 kgN2O/TJ}}"
        )

    @staticmethod
    def mobile(r: random.Random, size: float) -> str:
        fuel, lhv = ("柴油", 42.652) if r.random() < 0.7 else ("汽油", 43.070)
        ef_ch4, ef_n2o = ("3.9", "3.9") if fuel == "柴油" else ("25", "8.0")
        return (
            f"{{mode: road, fuel: {fuel}, amount: {fmt(size * r.uniform(50, 400))} t, "
            f"lhv: {lhv:.3f} GJ/t, ef_ch4: {ef_ch4} kgCH4/TJ, ef_n2o: {ef_n2o} kgN2O/TJ}}"
        )

    @staticmethod
    def biomass(r: random.Random, size: float) -> str:
        fuel = r.choice(("生物质成型燃料", "秸秆", "木屑"))
        return (
            f"{{fuel: {fuel}, sector: industry, amount: {fmt(size * r.uniform(200, 2000))} t, "
            f"lhv: {r.uniform(14, 17):.2f} GJ/t, ef_ch4: 30 kgCH4/TJ, ef_n2o: 4 kgN2O/TJ}}"
        )

    @staticmethod
    def gas_fugitive(r: random.Random, size: float) -> str:
        return (
            f"{{metering_stations: {r.randint(1, 4)}, ef_metering: 0.3 tCH4, "
            f"check_valves: {r.randint(2, 30)}, ef_check_valve: 0.01 tCH4, "
            f"consumption: {fmt(size * r.uniform(50, 500))} 万Nm3, "
            f"ef_consumption: 0.0014 tCH4/万Nm3}}"
        )

    @staticmethod
    def wastewater(r: random.Random, size: float) -> str:
        tow = size * r.uniform(50, 600)
        sludge = tow * r.uniform(0.05, 0.3)
        if r.random() < 0.6:
            factor = f"ef: {r.choice(('0.075', '0.05', '0.1'))} kgCH4/kgCOD"
        else:
            factor = f"bo: 0.25 kgCH4/kgCOD, mcf: {r.choice(('30 %', '0.2', '10 %'))}"
        recovered = (tow - sludge) * 0.05 * r.uniform(0, 0.5) if r.random() < 0.3 else 0
        return (
            f"{{tow: {fmt(tow)} tCOD, sludge: {fmt(sludge)} tCOD, {factor}, "
            f"recovered: {fmt(recovered, 3)} tCH4}}"
        )

    @staticmethod
    def reduction(r: random.Random, size: float) -> str:
        kind = r.choice(("自建光伏", "绿电", "自建光伏", "副产气回收", "CCUS", "其他"))
        if kind in ("自建光伏", "绿电"):
            return (
                f"{{kind: {kind}, electricity: {fmt(size * r.uniform(200, 3000))} MWh, "
                f"factor: 0.5271 tCO2/MWh}}"
            )
        return f"{{kind: {kind}, amount: {fmt(size * r.uniform(100, 2000))} tCO2}}"

    def process(self, kind: str) -> Callable[[random.Random, float], str]:
        """A process row: a flow mapping, or a block (indented under ``process:``) for maps."""
        technology = self.rng.choice(NITRIC)
        gases = self.rng.sample(SEMI_GASES, self.rng.randint(2, 4))
        hfcs = self.rng.sample(HFCS, self.rng.randint(1, 3))
        carbonates = CARBONATES[: self.rng.randint(1, 3)]
        pad = "\n" + " " * 6

        def body(r: random.Random, size: float) -> str:
            if kind == "cement":
                clinker = size * r.uniform(3, 8)
                slag = f"{fmt(clinker * r.uniform(0, 0.1))} 万t" if r.random() < 0.4 else "0 t"
                ef = "0.538" if r.random() < 0.6 else f"{r.uniform(0.51, 0.55):.4f}"
                return (
                    f"{{type: cement, clinker: {fmt(clinker)} 万t, "
                    f"carbide_slag_clinker: {slag}, ef: {ef} tCO2/t}}"
                )
            if kind == "lime":
                ef = "0.683" if r.random() < 0.5 else f"{r.uniform(0.68, 0.79):.3f}"
                production = fmt(size * r.uniform(1, 3))
                return f"{{type: lime, production: {production} 万t, ef: {ef} tCO2/t}}"
            if kind == "calcium_carbide":
                return (
                    f"{{type: calcium_carbide, production: {fmt(size * r.uniform(0.8, 2))} 万t, "
                    f"ef: 1.154 tCO2/t}}"
                )
            if kind == "adipic_acid":
                return (
                    f"{{type: adipic_acid, production: {fmt(size * r.uniform(3000, 8000))} t, "
                    f"ef: {r.choice(('0.30', '0.03', '0.009'))} tN2O/t}}"
                )
            if kind == "hcfc22":
                return (
                    f"{{type: hcfc22, production: {fmt(size * r.uniform(1000, 5000))} t, "
                    f"ef: 0.0292 tHFC23/t}}"
                )
            if kind == "steel":
                pig = size * r.uniform(2e4, 5e4)
                crude = pig * r.uniform(1.0, 1.1)
                return (
                    f"{{type: steel, limestone: {fmt(size * r.uniform(2e3, 8e3))} t, "
                    f"ef_limestone: 0.440 tCO2/t, dolomite: {fmt(size * r.uniform(1e3, 4e3))} t, "
                    f"ef_dolomite: 0.471 tCO2/t, pig_iron: {fmt(pig / 1e4)} 万t, "
                    f"pig_iron_carbon: 4.1 %, crude_steel: {fmt(crude / 1e4)} 万t, "
                    f"crude_steel_carbon: 0.248 %}}"
                )
            if kind == "electrical_equipment":
                return (
                    f"{{type: electrical_equipment, sf6_use: {fmt(size * r.uniform(50, 500))} kg, "
                    f"ef: {r.choice(('2 %', '0.02', '1.5 %'))}}}"
                )
            if kind == "nitric_acid":
                return (
                    f"{pad}type: nitric_acid"
                    f"{pad}production: {{{technology}: {fmt(size * r.uniform(2, 5))} 万t}}"
                    f"{pad}ef: {{{technology}: {r.choice(('0.0080', '0.0076', '0.0095'))} tN2O/t}}"
                )
            if kind == "aluminium":
                production = fmt(size * r.uniform(1, 3))
                return (
                    f"{pad}type: aluminium"
                    f"{pad}production: {{点式下料预焙槽: {production} 万t}}"
                    f"{pad}ef_cf4: {{点式下料预焙槽: 0.034 kgCF4/t}}"
                    f"{pad}ef_c2f6: {{点式下料预焙槽: 0.0017 kgC2F6/t}}"
                )
            if kind == "magnesium":
                return (
                    f"{pad}type: magnesium"
                    f"{pad}production: {{原镁生产: {fmt(size * r.uniform(2000, 6000))} t}}"
                    f"{pad}ef: {{原镁生产: 0.0012 kgSF6/t}}"
                )
            if kind == "semiconductor":
                lines = "".join(
                    f"{pad}  {g}: {{use: {fmt(size * r.uniform(0.1, 2), 3)} t, "
                    f"ef: {r.choice(('0.2', '0.1', '30 %', '0.05'))}}}"
                    for g in gases
                )
                return f"{pad}type: semiconductor{pad}gases:{lines}"
            if kind == "hfc_production":
                lines = "".join(
                    f"{pad}  {g}: {{production: {fmt(size * r.uniform(500, 3000))} t, "
                    f"ef: {r.choice(('0.5 %', '0.005', '1 %'))}}}"
                    for g in hfcs
                )
                return f"{pad}type: hfc_production{pad}gases:{lines}"
            if kind == "flat_glass":
                lines = "".join(
                    f"{pad}  {name}: {{mass: {fmt(size * r.uniform(1e3, 8e3))} t, "
                    f"ef: {ef:.3f} tCO2/t, calcination: {r.choice(('100 %', '1', '98 %'))}}}"
                    for name, ef in carbonates
                )
                return f"{pad}type: flat_glass{pad}carbonates:{lines}"
            raise ValueError(kind)

        return body

    # -- the park ---------------------------------------------------------------------------

    def _enterprise(self, kind: IndustryKind, names: set[str]) -> _Enterprise:
        r = self.rng
        while True:
            name = f"重庆{r.choice(PLACES)}{''.join(r.sample(TRADE, 2))}{kind.suffix}"
            if name not in names:
                names.add(name)
                break
        size = kind.scale * r.lognormvariate(0, 0.6)
        templates: list[tuple[str, Callable[[random.Random, float], str]]] = []
        # fuels: the industry's main fuel always, then others; diesel and petrol for vehicles
        fuels = list(kind.fuels)
        shares = [0.6, 0.25, 0.1, 0.05, 0.04, 0.03][: len(fuels)]
        for fuel, share in zip(fuels, shares, strict=False):
            sector = "energy_industry" if kind.group == "power" and share > 0.2 else "industry"
            templates.append(("combustion", self.combustion(fuel, sector, share)))
        templates.append(("combustion", self.combustion("天然气", "services", 0.01)))  # canteen
        if r.random() < 0.5:
            templates.append(("combustion", self.combustion("液化石油气", "residential", 0.005)))
        vehicle_fuel = "柴油" if r.random() < 0.7 else "汽油"
        templates.append(("combustion", self.combustion(vehicle_fuel, "transport", 0.02)))
        if r.random() < 0.4:
            templates.append(("mobile", self.mobile))
        templates.append(("electricity", self.electricity))
        for process in kind.processes:
            templates.append(("process", self.process(process)))
        for extra, p in kind.extras.items():
            if r.random() < p:
                templates.append((extra, getattr(self, extra)))
        if r.random() < 0.35:
            templates.append(("wastewater", self.wastewater))
        if r.random() < 0.3:
            templates.append(("reduction", self.reduction))
        while len(templates) < 10:  # small firms: more small combustion rows (boilers, kilns)
            fuel = r.choice(fuels)
            templates.append(("combustion", self.combustion(fuel, "industry", 0.05)))
        tagged = [self._tag(k, t) for k, t in templates]
        return _Enterprise(name, kind, size, tagged)

    def _tag(self, kind: str, body: Callable[[random.Random, float], str]) -> Any:
        def row(r: random.Random, size: float) -> str:
            self.counts[kind] += 1
            return f"    {kind}: {body(r, size)}"

        return row

    def write(self, folder: Path) -> Path:
        r = self.rng
        weights = [k.weight for k in INDUSTRIES]
        kinds = [*INDUSTRIES, *r.choices(INDUSTRIES, weights, k=max(0, self.n - len(INDUSTRIES)))]
        kinds = kinds[: self.n]
        names: set[str] = set()
        enterprises = [self._enterprise(k, names) for k in kinds]
        out = [
            "# Benchmark park (tests/bench/ledger_bench.py): generated, deterministic.",
            "kind: park",
            "title: 重庆某大型产业园区总体规划（2025—2035年）温室气体排放评价（基准测试）",
            "district: 重庆市某区",
            "gwp: AR5",
            "factors: cn-default",
            f"history: [{', '.join(map(str, HISTORY))}]",
            f"planning: [{', '.join(map(str, PLANNING))}]",
            "scenarios:",
            *(f"  {k}: {v}" for k, v in SCENARIOS.items()),
            "",
            "industries:",
            *(f"  - {{name: {k.name}, group: {k.group}}}" for k in INDUSTRIES),
            "",
            "enterprises:",
        ]
        for e in enterprises:
            flags = ""
            if e.size > 8:
                flags += ", key: true"
            if e.size > 15:
                flags += ", trading: 全国碳市场" if r.random() < 0.5 else ", trading: true"
            lon, lat = r.uniform(106.35, 106.75), r.uniform(29.45, 29.80)
            out.append(
                f"  - {{name: {e.name}, industry: {e.kind.name}, "
                f"location: [{lon:.4f}, {lat:.4f}]{flags}}}"
            )
        out += ["", "economy:"]
        size_of = Counter[str]()
        for e in enterprises:
            size_of[e.kind.name] += int(e.size * 1000)
        for year, scenario in PERIODS:
            g = 1 + (year - HISTORY[0]) * 0.04
            for k in INDUSTRIES:
                size = size_of[k.name] / 1000 * g * r.uniform(0.95, 1.05)
                if scenario == "control":
                    size *= 0.97
                where = f"period: {year}" + (f", scenario: {scenario}" if scenario else "")
                output = size * r.uniform(0.3, 0.6) * (40 / max(k.scale, 0.5)) ** 0.5
                row = (
                    f"  - {{{where}, industry: {k.name}, output_value: {fmt(output)} 亿元, "
                    f"value_added: {fmt(output * r.uniform(0.2, 0.35) * 1e4)} 万元, "
                    f"energy_use: {fmt(size * r.uniform(0.8, 1.2))} 万tce"
                )
                if k.product:
                    row += f", product: {fmt(size * r.uniform(5, 20))} {k.product}"
                out.append(row + "}")
        out += ["", "sources:"]
        for year, scenario in PERIODS:
            out.append(f"  # ---- {year}{'' if scenario is None else ', ' + scenario} ----")
            head = f"  - period: {year}" + (
                "" if scenario is None else f"\n    scenario: {scenario}"
            )
            g = (1 + (year - HISTORY[0]) * 0.03) * (0.85 if scenario == "control" else 1.0)
            for e in enterprises:
                for template in e.templates:
                    out.append(f"{head}\n    enterprise: {e.name}")
                    out.append(template(r, e.size * g * r.uniform(0.9, 1.1)))
            for k in INDUSTRIES:
                # park-level rows kept by industry (shared facilities, not one enterprise's)
                out.append(f"{head}\n    industry: {k.name}")
                out.append(f"    electricity: {self.electricity(r, 5 * g)}")
                self.counts["electricity"] += 1
        path = folder / "report.yml"
        path.write_text("\n".join(out) + "\n", encoding="utf-8")
        return path


# ---- the measurement --------------------------------------------------------------------------


def _clear_caches() -> None:
    """Forget every memoised parse and check, as a fresh ``tanping ledger`` process starts."""
    from tanping import units
    from tanping.calc.models import common

    for owner in (units, common, type(units.ureg)):
        for value in list(vars(owner).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def _peak(run: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _stages(folder: Path) -> str:
    """Where the ledger's time goes, stage by stage (one run, perf_counter)."""
    from tanping.calc import park
    from tanping.calc.factors import FactorLibrary
    from tanping.calc.loader import read_report
    from tanping.calc.models.park import ParkReport
    from tanping.calc.park_analysis import analyse
    from tanping.calc.validate import validate_report

    _clear_caches()
    gc.collect()
    marks = [time.perf_counter()]
    data, sources = read_report(folder)
    marks.append(time.perf_counter())
    report = validate_report(data, sources)
    assert isinstance(report, ParkReport)
    marks.append(time.perf_counter())
    library = FactorLibrary.default()
    result = park.compute(report, library, sources.locate)
    marks.append(time.perf_counter())
    result.analysis = analyse(result, library, folder)
    marks.append(time.perf_counter())
    result.ledger.to_json()
    marks.append(time.perf_counter())
    names = ("read", "validate", "park", "analysis", "to_json")
    return ", ".join(
        f"{n} {b - a:.2f}" for n, a, b in zip(names, marks[:-1], marks[1:], strict=True)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="best of at most N (default 5)")
    parser.add_argument(
        "--budget", type=float, default=15.0, help="seconds of timed runs (at least 2 each)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--keep", type=Path, help="write the report into this folder and keep it")
    parser.add_argument("--stages", action="store_true", help="time each stage of one run")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    args = parser.parse_args(argv)

    from tanping.calc.pipeline import (
        compute,  # imported here: the generator alone needs no calc layer
    )

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="tanping-bench-"))
    folder = args.keep or tmp / "park"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        generator = ParkGenerator(args.enterprises, args.seed)
        path = generator.write(folder)
        text = path.read_text(encoding="utf-8")
        n_sources = sum(generator.counts.values())
        per_row = n_sources / args.enterprises / len(PERIODS)
        print(f"park: {path} ({len(text.encode()) / 1e6:.2f} MB, {text.count(chr(10))} lines)")
        print(
            f"  {len(INDUSTRIES)} industries, {args.enterprises} enterprises, {len(PERIODS)} "
            f"periods, {n_sources} sources ({per_row:.1f} per enterprise and period)"
        )
        print("  " + ", ".join(f"{k} {v}" for k, v in generator.counts.most_common()))

        def floor() -> Any:
            return yaml.load(text, Loader=yaml.CSafeLoader)

        def ledger() -> tuple[int, int]:
            result = compute(folder)
            return len(result.ledger), len(result.ledger.to_json())

        # warm-up on a small park: imports, factor library, unit registry
        ParkGenerator(40, args.seed + 1).write(tmp)
        compute(tmp).ledger.to_json()

        if args.profile:
            import cProfile
            import pstats

            _clear_caches()
            profiler = cProfile.Profile()
            profiler.runcall(ledger)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)

        # floor and ledger alternate, so that a busy machine slows both alike; the ledger starts
        # with cold caches each time, as a fresh `tanping ledger` process would
        floor_times: list[float] = []
        ledger_times: list[float] = []
        figures = json_chars = 0
        timing = time.perf_counter()
        for run in range(args.repeat):
            floor_times.append(_timed(floor)[0])
            _clear_caches()
            elapsed, (figures, json_chars) = _timed(ledger)
            ledger_times.append(elapsed)
            if run >= 1 and time.perf_counter() - timing > args.budget:
                break
        floor_best, ledger_best = min(floor_times), min(ledger_times)
        ratio = ledger_best / floor_best

        def shown(times: list[float]) -> str:
            return ", ".join(f"{t:.2f}" for t in times)

        print(f"best of {len(floor_times)} (perf_counter, gc.collect() before each run):")
        floor_name, ledger_name = "yaml.load(text, CSafeLoader)", "compute() + to_json"
        print(f"  floor   {floor_name:32} {floor_best:6.3f} s  [{shown(floor_times)}]")
        print(f"  ledger  {ledger_name:32} {ledger_best:6.3f} s  [{shown(ledger_times)}]")
        print(f"  {figures} ledger figures, JSON {json_chars / 1e6:.2f} M characters")
        if args.stages:
            print(f"  stages of one ledger run (s): {_stages(folder)}")
        if not args.no_memory:
            _clear_caches()
            peak = _peak(ledger)
            print(f"peak memory of the ledger (tracemalloc, separate run): {peak / 1e6:.0f} MB")
        verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
        print(f"ratio ledger / floor = {ratio:.2f}× (target ≤ {TARGET_RATIO:g}×): {verdict}")
        print(f"(bench took {time.perf_counter() - started:.0f} s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

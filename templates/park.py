"""Macros of an industrial-park chapter (Chongqing guideline): inventory tables C.1 and C.2 for
every period, gases, trend, enterprises, scenarios, indicators, measures, charts and the map."""

from __future__ import annotations

from markupsafe import Markup

from calc.park import (
    DOMAIN_LABELS,
    DOMAINS,
    ENERGY_ROWS,
    GROUP_LABELS,
    GROUPS,
    SECTOR_LABELS,
    SECTORS,
    ParkResult,
)
from templates.render import Cell, ReportRenderer, Table
from units.format import fixed

WAN = 1e-4  # tCO2e -> 万tCO2e, for display only


def _num(text: str | Markup) -> Cell:
    return Cell(text, num=True)


class ParkRenderer(ReportRenderer):
    kind = "park"
    result: ParkResult

    # ---- periods ---------------------------------------------------------------------------------
    def periods(self) -> list[str]:
        return list(self.result.periods)

    def period_label(self, period: str) -> str:
        """``2024`` -> ``2024年（现状）``; ``2030.control`` -> ``2030年 对照情景``."""
        year, _, scenario = period.partition(".")
        if not scenario:
            return f"{year}年"
        return f"{year}年 {self.report.scenarios.get(scenario, scenario)}"

    def _wan(self, key: str, decimals: int = 2) -> Markup:
        figure = self.ledger[key]
        return self._figure_markup(figure, fixed(figure.value * WAN, decimals))

    # ---- C.1 -----------------------------------------------------------------------------------
    def table_c1(self, period: str, decimals: int = 2) -> Markup:
        """产业园区分行业温室气体清单 (table C.1) of one period, in 万tCO₂e."""
        head = [
            [Cell("行业"), Cell("领域"), Cell(Markup("温室气体排放量（以当量计）<br>（万tCO₂e）"))]
        ]
        body: list[list[Cell]] = []
        rows = (
            ("key", "重点行业（电力、钢铁、建材、有色、石化和化工）", "小计"),
            ("other", "其他行业", "小计"),
        )
        for row, name, closing in rows:
            for n, domain in enumerate(DOMAINS):
                cells = [Cell(name, rowspan=4, head=True)] if n == 0 else []
                cells += [
                    Cell(DOMAIN_LABELS[domain]),
                    _num(self._wan(f"c1.{period}.{row}.{domain}", decimals)),
                ]
                body.append(cells)
            body.append([Cell(closing), _num(self._wan(f"c1.{period}.{row}.subtotal", decimals))])
        for n, domain in enumerate(DOMAINS):
            cells = [Cell("产业园区", rowspan=5, head=True)] if n == 0 else []
            cells += [
                Cell(DOMAIN_LABELS[domain]),
                _num(self._wan(f"c1.{period}.park.{domain}", decimals)),
            ]
            body.append(cells)
        body.append(
            [Cell("减排量（AE削减）"), _num(self._wan(f"c1.{period}.park.reductions", decimals))]
        )
        body.append(
            [Cell("总计", css="total"), _num(self._wan(f"c1.{period}.park.total", decimals))]
        )
        notes = ["注：总计 = 能源活动 + 工业生产过程 + 废弃物处理 − 减排量（附录 A 式 A.1）。"]
        shown = [fixed(self.ledger[f"c1.{period}.park.{d}"].value * WAN, decimals) for d in DOMAINS]
        shown.append("-" + fixed(self.ledger[f"c1.{period}.park.reductions"].value * WAN, decimals))
        note = self._sum_note(
            shown, fixed(self.ledger[f"c1.{period}.park.total"].value * WAN, decimals)
        )
        if note:
            notes.append(note)
        return self._table(
            Table(
                f"c1-{period}",
                f"{self.period_label(period)}产业园区分行业温室气体清单",
                head,
                body,
                notes,
                css="c1",
            )
        )

    # ---- C.2 -----------------------------------------------------------------------------------
    def table_c2(self, period: str, decimals: int = 2) -> Markup:
        """产业园区分领域温室气体清单 (table C.2) of one period, in 万tCO₂e."""
        head = [
            [
                Cell("领域"),
                Cell("部门", colspan=2),
                Cell(Markup("温室气体排放量（以当量计）<br>（万tCO₂e）")),
            ]
        ]
        body: list[list[Cell]] = []
        energy_span = len(SECTORS) + 1 + len(ENERGY_ROWS)
        for n, sector in enumerate(SECTORS):
            cells = [Cell("能源活动", rowspan=energy_span, head=True)] if n == 0 else []
            if n == 0:
                cells.append(Cell("化石燃料", rowspan=len(SECTORS) + 1))
            cells += [
                Cell(SECTOR_LABELS[sector]),
                _num(self._wan(f"c2.{period}.energy.fossil.{sector}", decimals)),
            ]
            body.append(cells)
        body.append(
            [Cell("小计"), _num(self._wan(f"c2.{period}.energy.fossil.subtotal", decimals))]
        )
        for row, label in ENERGY_ROWS.items():
            body.append(
                [Cell(label, colspan=2), _num(self._wan(f"c2.{period}.energy.{row}", decimals))]
            )
        for n, group in enumerate(GROUPS):
            cells = [Cell("工业生产过程", rowspan=len(GROUPS) + 1, head=True)] if n == 0 else []
            cells += [
                Cell(GROUP_LABELS[group], colspan=2),
                _num(self._wan(f"c2.{period}.process.{group}", decimals)),
            ]
            body.append(cells)
        body.append(
            [Cell("小计", colspan=2), _num(self._wan(f"c2.{period}.process.subtotal", decimals))]
        )
        body.append(
            [
                Cell("废弃物处理", head=True),
                Cell("废水处理", colspan=2),
                _num(self._wan(f"c2.{period}.waste.wastewater", decimals)),
            ]
        )
        body.append(
            [
                Cell("减排量（AE削减）", colspan=3),
                _num(self._wan(f"c2.{period}.reductions", decimals)),
            ]
        )
        body.append(
            [
                Cell("总排放量", colspan=3, css="total"),
                _num(self._wan(f"c2.{period}.total", decimals)),
            ]
        )
        notes = [
            "注：总排放量 = 能源活动 + 工业生产过程 + 废弃物处理 − 减排量，与表 C.1 总计一致。"
        ]
        return self._table(
            Table(
                f"c2-{period}",
                f"{self.period_label(period)}产业园区分领域温室气体清单",
                head,
                body,
                notes,
                css="c2",
            )
        )

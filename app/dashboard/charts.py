"""Geometry of the trend charts, drawn by the templates as inline SVG (no script, no library).

Coordinates are in the SVG's own units (``WIDTH`` by ``HEIGHT``); the page scales the SVG to
its width. Colours come from the stylesheet's status classes, never from inline styles.
"""

from dataclasses import dataclass

from app.core.vocab import ItemStatus
from app.reporting.trend import TrendPoint

WIDTH = 640
HEIGHT = 260
LEFT = 44
RIGHT = 12
TOP = 12
BOTTOM = 36
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Tick:
    """A labelled position on an axis."""

    at: float
    label: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Block:
    """One status's part of one point's column."""

    status: ItemStatus
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class TrendChart:
    """The in-place share as a line, and the statuses as stacked columns, per point."""

    points: list[TrendPoint]
    line: str
    dots: list[Dot]
    blocks: list[Block]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM
    right_edge: int = WIDTH - RIGHT


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    step = span / count
    return round(LEFT + step * index + step / 2, 2)


def _y(fraction: float) -> float:
    return round(TOP + (1 - fraction) * (HEIGHT - TOP - BOTTOM), 2)


def _columns(points: list[TrendPoint]) -> list[Block]:
    count = len(points)
    width = round((WIDTH - LEFT - RIGHT) / count * 0.6, 2)
    blocks = []
    for index, point in enumerate(points):
        below = 0
        for status in ItemStatus:
            value = point.by_status[status]
            if not value or not point.items_total:
                continue
            top = _y((below + value) / point.items_total)
            bottom = _y(below / point.items_total)
            x = round(_x(index, count) - width / 2, 2)
            blocks.append(Block(status, x, top, width, round(bottom - top, 2)))
            below += value
    return blocks


def trend_chart(points: list[TrendPoint], day_format: str = "%Y-%m") -> TrendChart | None:
    """The chart of ``points`` (oldest first), or None when there is nothing to draw; the
    days on its axis are written with ``day_format``."""
    if not points:
        return None
    count = len(points)
    dots = [
        Dot(_x(i, count), _y(p.in_place_share), f"{round(p.in_place_share * 100)}%")
        for i, p in enumerate(points)
    ]
    every = max(1, -(-count // MAX_X_LABELS))
    x_ticks = [
        Tick(_x(i, count), p.day.strftime(day_format))
        for i, p in enumerate(points)
        if (count - 1 - i) % every == 0
    ]
    y_ticks = [Tick(_y(share / 100), f"{share}%") for share in (0, 25, 50, 75, 100)]
    return TrendChart(
        points=points,
        line=" ".join(f"{dot.x},{dot.y}" for dot in dots),
        dots=dots,
        blocks=_columns(points),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
    )

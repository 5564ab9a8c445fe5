"""Server-drawn SVG line charts: no chart script to vendor, nothing for the CSP to allow,
and the chart updates with the same HTMX swap as the status it sits beside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 560, 220, 34
MAX_POINTS = 400


@dataclass
class Series:
    label: str
    css: str
    points: list[tuple[float, float]]


@dataclass
class Chart:
    title: str
    series: list[Series]
    x_max: float
    y_min: float
    y_max: float
    polylines: list[tuple[Series, str]]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS:
        return points
    stride = len(points) / MAX_POINTS
    return [points[int(i * stride)] for i in range(MAX_POINTS)] + [points[-1]]


def line_chart(title: str, series: Sequence[Series]) -> Chart:
    series = [Series(s.label, s.css, _thin(s.points)) for s in series]
    xs = [x for s in series for x, _ in s.points] or [1.0]
    ys = [y for s in series for _, y in s.points] or [0.0, 1.0]
    x_max = max(xs) or 1.0
    y_min, y_max = min(ys), max(ys)
    if y_max - y_min < 1e-9:
        y_max = y_min + 1.0

    def sx(x: float) -> float:
        return PAD + (WIDTH - 2 * PAD) * x / x_max

    def sy(y: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (y - y_min) / (y_max - y_min)

    polylines = [(s, " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s.points)) for s in series]
    y_ticks = [
        (sy(y_min + (y_max - y_min) * i / 4), f"{y_min + (y_max - y_min) * i / 4:.3g}")
        for i in range(5)
    ]
    x_ticks = [(sx(x_max * i / 4), f"{x_max * i / 4:.0f}") for i in range(5)]
    return Chart(title, series, x_max, y_min, y_max, polylines, y_ticks, x_ticks)

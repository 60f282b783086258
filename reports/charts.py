"""PNG charts for answers: line charts for trends, bar charts for comparisons and rankings.

Sized for a phone screen (800 px wide), labels in Indonesian number format,
and the source printed under the plot so a forwarded picture still says where it came from.
Uses matplotlib's object API (no pyplot global state), so charts can render concurrently.
matplotlib is imported when a chart is drawn, not when this module is: most processes (every
CLI command, a worker answering text) never draw one, and the import costs about a second.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from texts.formatting import number

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

WIDTH, DPI = 8.0, 100
PRIMARY, MUTED, HIGHLIGHT = "#1f6fb2", "#9bb7d4", "#d9822b"
PALETTE = ("#1f6fb2", "#d9822b", "#3c9d5d", "#b23a48", "#7a5195", "#5f6b73")


@dataclass(frozen=True)
class Line:
    label: str
    points: Sequence[tuple[str, float]]  # (period, value), oldest first


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    highlight: bool = False


@dataclass(frozen=True)
class LineChart:
    """A trend: one line per series or region, periods along the bottom."""

    filename: str
    lines: Sequence[Line]
    title: str
    unit: str
    source: str
    decimals: int

    def render(self) -> bytes:
        from matplotlib.figure import Figure  # drawn only when sent: every CLI start skips it

        figure = Figure(figsize=(WIDTH, 4.8), dpi=DPI)
        axes = figure.add_axes(_frame(figure, left=0.9, bottom=0.55))
        periods = sorted({period for line in self.lines for period, _ in line.points})
        position = {period: i for i, period in enumerate(periods)}
        for index, line in enumerate(self.lines):
            xs = [position[p] for p, _ in line.points]
            ys = [v for _, v in line.points]
            color = PALETTE[index % len(PALETTE)]
            axes.plot(xs, ys, marker="o", linewidth=2.2, color=color, label=line.label)
            if len(self.lines) == 1:
                for x, y in zip(xs, ys, strict=True):
                    axes.annotate(
                        number(y, self.decimals),
                        (x, y),
                        textcoords="offset points",
                        xytext=(0, 7),
                        ha="center",
                        fontsize=8,
                        color="#333333",
                    )
        step = max(1, len(periods) // 10)
        axes.set_xticks(range(0, len(periods), step), periods[::step])
        axes.yaxis.set_major_formatter(_ticks(self.decimals))
        axes.set_ylabel(self.unit)
        axes.grid(axis="y", alpha=0.3)
        if len(self.lines) > 1:
            axes.legend(fontsize=8, frameon=False)
        return _finish(figure, self.title, self.source)


@dataclass(frozen=True)
class BarChart:
    """A comparison or ranking: horizontal bars, highest at the top; grows with the regions."""

    filename: str
    bars: Sequence[Bar]
    title: str
    unit: str
    source: str
    decimals: int
    scale_max: float | None = None  # a fixed end of the value axis, e.g. 100 for percentages

    def render(self) -> bytes:
        height = min(12.0, max(3.2, 0.28 * len(self.bars) + 1.6))
        from matplotlib.figure import Figure

        figure = Figure(figsize=(WIDTH, height), dpi=DPI)
        labels = [short_region(b.label) for b in self.bars]
        fontsize = 8 if len(self.bars) <= 20 else 7
        label_width = 0.075 * fontsize / 8 * max(map(len, labels), default=0) + 0.25
        axes = figure.add_axes(_frame(figure, left=label_width, bottom=0.65))
        crowded = len(self.bars) > 10
        # Labels and values are plain texts: tick objects cost several times more to draw.
        axes.set_yticks([])
        axes.set_ylim(len(self.bars) - 0.4, -0.6)  # first bar at the top
        colors = [HIGHLIGHT if b.highlight else MUTED if crowded else PRIMARY for b in self.bars]
        axes.barh(range(len(self.bars)), [b.value for b in self.bars], color=colors)
        names = axes.get_yaxis_transform()
        for index, (bar, label) in enumerate(zip(self.bars, labels, strict=True)):
            axes.text(
                -0.01,
                index,
                label,
                transform=names,
                ha="right",
                va="center",
                fontsize=fontsize,
                fontweight="bold" if bar.highlight else "normal",
            )
            axes.text(
                bar.value,
                index,
                " " + number(bar.value, self.decimals),
                va="center",
                fontsize=fontsize,
            )
        axes.xaxis.set_major_formatter(_ticks(self.decimals))
        axes.set_xlabel(self.unit)
        axes.grid(axis="x", alpha=0.3)
        axes.margins(x=0.12)
        if self.scale_max is not None:
            axes.set_xlim(0, self.scale_max * 1.1)
        return _finish(figure, self.title, self.source)


def short_region(name: str) -> str:
    """Kabupaten Pasuruan → Kab. Pasuruan: shorter labels read better on a phone."""
    for long, short in (("Kabupaten ", "Kab. "), ("Provinsi ", "Prov. ")):
        if name.startswith(long):
            return short + name[len(long) :]
    return name


def _ticks(decimals: int) -> FuncFormatter:
    """Axis labels drop decimals that only add noise (20,00 → 20) but keep needed ones."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(
        lambda v, _: number(v, 0) if float(v).is_integer() else number(v, min(decimals, 2))
    )


def _frame(figure: Figure, *, left: float, bottom: float) -> tuple[float, float, float, float]:
    """The plot's rectangle, from margins in inches: room for labels, title and source line.

    Fixed margins instead of matplotlib's tight layout, which costs a whole extra drawing.
    """
    width, height = figure.get_size_inches()
    top, right = 0.55, 0.45
    return (left / width, bottom / height, 1 - (left + right) / width, 1 - (top + bottom) / height)


def _finish(figure: Figure, title: str, source: str) -> bytes:
    height = figure.get_size_inches()[1]
    figure.text(0.02, 1 - 0.15 / height, title, fontsize=12, fontweight="bold", ha="left", va="top")
    figure.text(0.02, 0.08 / height, source, fontsize=7, color="#555555", ha="left", va="bottom")
    from matplotlib import rc_context

    buffer = io.BytesIO()
    # Unhinted glyphs draw about a quarter faster and look the same at this size.
    with rc_context({"text.hinting": "no_hinting"}):
        figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()

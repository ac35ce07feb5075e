"""Chart geometry for the reports page, drawn as inline SVG by templates/supervisor/charts/*.html (no JS, no CDN).

Functions here only turn numbers into coordinates; the templates escape every label.
"""

import math
from dataclasses import dataclass, field

ROW_H = 26
BAR_H = 16
LABEL_W = 150
PLOT_W = 420
VALUE_W = 110


def text_width(text: str, size: int = 12) -> float:
    """Rough width of a label in pixels: CJK characters are square, Latin ones about half as wide."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.58 for ch in text)


def fit(text: str, width: float = LABEL_W - 10, size: int = 12) -> str:
    """The label, cut with an ellipsis to fit the label column (the full text stays in the tooltip)."""
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def _nice(value: float) -> float:
    """The axis end: the value rounded up to 1, 2 or 5 times a power of ten (37 → 50, 8 → 10)."""
    step = 10 ** math.floor(math.log10(value)) if value > 0 else 1
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f}%"
    return f"{value:g}{unit}"


@dataclass
class HBar:
    y: float
    label: str
    short: str
    width: float
    text: str
    previous_width: float | None = None
    previous_text: str = ""
    title: str = ""


@dataclass
class HBarChart:
    bars: list[HBar]
    height: float
    label_w: float = LABEL_W
    plot_w: float = PLOT_W
    value_x: float = LABEL_W + PLOT_W + 8
    width: float = LABEL_W + PLOT_W + VALUE_W
    bar_h: float = BAR_H
    compare: bool = False


def hbars(
    rows: list[tuple[str, float | None, float | None]], *, unit: str = "%", scale: float | None = None
) -> HBarChart:
    """Horizontal bars (label, value, previous value): this period thick, the period before as a thin bar under it."""
    top = scale or _nice(max([v or 0 for _l, v, p in rows] + [p or 0 for _l, v, p in rows] + [1]))
    compare = any(p is not None for _l, _v, p in rows)
    bars = []
    for i, (label, value, previous) in enumerate(rows):
        y = i * ROW_H + 4
        bars.append(
            HBar(
                y=y,
                label=label,
                short=fit(label),
                width=round(PLOT_W * (value or 0) / top, 1),
                text=_fmt(value, unit),
                previous_width=round(PLOT_W * (previous or 0) / top, 1) if compare else None,
                previous_text=_fmt(previous, unit),
                title=f"{label}: {_fmt(value, unit)}" + (f" ({_fmt(previous, unit)})" if compare else ""),
            )
        )
    return HBarChart(bars=bars, height=len(rows) * ROW_H + 8, compare=compare)


@dataclass
class Column:
    x: float
    y: float
    w: float
    h: float
    label: str
    text: str
    show_label: bool
    empty: bool


@dataclass
class ColumnChart:
    columns: list[Column]
    width: float
    height: float
    plot_top: float
    plot_h: float
    left: float
    grid: list[tuple[float, str]] = field(default_factory=list)
    target_y: float | None = None
    target_text: str = ""


def columns(
    points: list[tuple[str, float | None]],
    *,
    unit: str = "%",
    scale: float | None = None,
    target: float | None = None,
    height: float = 160,
) -> ColumnChart:
    """Vertical columns (label, value) on a 0–scale axis; a value of None draws an empty slot (no data that day)."""
    left, top_pad, bottom_pad = 40, 10, 22
    width = max(360, min(900, 28 * len(points) + left + 10))
    plot_h = height - top_pad - bottom_pad
    top = scale or max([v or 0 for _l, v in points] + [1])
    slot = (width - left - 10) / max(len(points), 1)
    bar_w = max(2, min(22, slot * 0.7))
    # Every n-th label under the axis, so that the widest ones do not overlap (a year's week ranges need every 5th).
    widest = max((text_width(label) for label, _v in points), default=0) + 6
    every = max(1, math.ceil(len(points) * widest / (width - left - 10)))
    cols = []
    for i, (label, value) in enumerate(points):
        h = plot_h * (value or 0) / top
        x = left + slot * i + (slot - bar_w) / 2
        cols.append(
            Column(
                x=round(x, 1),
                y=round(top_pad + plot_h - h, 1),
                w=round(bar_w, 1),
                h=round(h, 1),
                label=label,
                text=_fmt(value, unit),
                show_label=i % every == 0,
                empty=value is None,
            )
        )
    grid = [(round(top_pad + plot_h * (1 - f), 1), _fmt(top * f, unit if unit != "%" else "%")) for f in (0, 0.5, 1)]
    grid = [(y, text.replace(".0%", "%")) for y, text in grid]
    target_y = round(top_pad + plot_h * (1 - target / top), 1) if target is not None and target <= top else None
    return ColumnChart(
        columns=cols,
        width=width,
        height=height,
        plot_top=top_pad,
        plot_h=plot_h,
        left=left,
        grid=grid,
        target_y=target_y,
        target_text=_fmt(target, unit) if target is not None else "",
    )


@dataclass
class Segment:
    x: float
    w: float
    series: int
    title: str


@dataclass
class StackedRow:
    y: float
    label: str
    short: str
    segments: list[Segment]
    total_text: str


@dataclass
class StackedChart:
    rows: list[StackedRow]
    legend: list[tuple[int, str]]
    height: float
    label_w: float = LABEL_W
    plot_w: float = PLOT_W
    value_x: float = LABEL_W + PLOT_W + 8
    width: float = LABEL_W + PLOT_W + VALUE_W
    bar_h: float = BAR_H


def stacked(rows: list[tuple[str, list[int]]], series: list[str], *, max_series: int = 7) -> StackedChart:
    """Horizontal stacked bars: each row's counts per series, scaled to the largest row total.

    Series past `max_series` share the last colour; each segment's title names it with its count.
    """
    top = max([sum(counts) for _label, counts in rows] + [1])
    out = []
    for i, (label, counts) in enumerate(rows):
        x = float(LABEL_W)
        segments = []
        total = sum(counts)
        for s, count in enumerate(counts):
            if not count:
                continue
            w = PLOT_W * count / top
            share = 100 * count / total if total else 0
            segments.append(
                Segment(round(x, 1), round(w, 1), min(s, max_series), f"{series[s]}: {count} ({share:.0f}%)")
            )
            x += w
        out.append(StackedRow(y=i * ROW_H + 4, label=label, short=fit(label), segments=segments, total_text=str(total)))
    legend = [(min(s, max_series), name) for s, name in enumerate(series[: max_series + 1])]
    return StackedChart(rows=out, legend=legend, height=len(rows) * ROW_H + 8)

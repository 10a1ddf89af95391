"""Lines over shared labels (people housed and beds, month by month), one per series, with a
legend; each series told apart by dash pattern and marker as well as colour."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from web.charts.layout import (
    PLOT_HEIGHT,
    CategoryAxis,
    Legend,
    Plot,
    Scale,
    SeriesStyle,
    left_margin,
    right_margin,
    value_axis,
)
from web.charts.svg import (
    WIDTH,
    joined,
    svg_element,
    svg_group,
    svg_opening,
    tooltip,
    unique_id,
    units,
)


@dataclass(frozen=True)
class Series:
    """One line of a line chart: its name (for the legend) and a value per label."""

    name: str
    values: Sequence[int | Decimal | None]
    """None: no value at that label (a gap in the line)."""


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    format_value: Callable[[int | Decimal], str] = str,
) -> Markup:
    """One line per series over the same labels (e.g. people housed and beds, month by
    month), with a legend; each series drawn with its own dash pattern as well as colour.

    Raises ValueError when a series does not have one value per label."""
    for line in series:
        if len(line.values) != len(labels):
            raise ValueError(
                f"series {line.name!r} has {len(line.values)} values for {len(labels)} labels"
            )
    values = [value for line in series for value in line.values if value is not None]
    if not labels or not values:
        return Markup("")
    scale = Scale.covering(values)
    tick_texts = [format_value(tick) for tick in scale.ticks]

    left = left_margin(tick_texts, labels)
    right = right_margin(labels)
    legend = Legend.laid_out([line.name for line in series], left=left)
    band = (WIDTH - left - right) / len(labels)
    axis = CategoryAxis.laid_out(labels, band)
    plot = Plot(
        left=left,
        top=legend.height + 10,
        width=WIDTH - left - right,
        height=PLOT_HEIGHT,
        scale=scale,
    )

    chart_id = unique_id("lines", title, description)
    parts = [
        svg_opening(chart_id, "chart chart-lines", plot.bottom + axis.height, title, description)
    ]
    parts.append(legend.render())
    parts.append(value_axis(plot, tick_texts))
    parts.append(axis.render(plot, band))

    for number, line in enumerate(series):
        style = SeriesStyle(number)
        points = [
            (left + (index + 0.5) * band, plot.y(value), label, value)
            if value is not None
            else None
            for index, (label, value) in enumerate(zip(labels, line.values, strict=True))
        ]
        drawn: list[Markup] = []
        path = _line_path([(point[0], point[1]) if point else None for point in points])
        if path:
            drawn.append(
                svg_element(
                    "path",
                    {
                        "class": f"chart-line {style.css_class}",
                        "d": path,
                        "fill": "none",
                        "stroke": style.colour,
                        "stroke-width": "2.5",
                        "stroke-dasharray": style.dashes,
                        "stroke-linejoin": "round",
                    },
                )
            )
        for point in points:
            if point is None:
                continue
            x, y, label, value = point
            drawn.append(
                style.marker(
                    x,
                    y,
                    {
                        "class": f"chart-point {style.css_class}",
                        "data-series": line.name,
                        "data-label": label,
                        "data-value": str(value),
                    },
                    tooltip(f"{line.name}, {label}: {format_value(value)}"),
                )
            )
        parts.append(svg_group(f"chart-marks {style.css_class}", joined(drawn)))
    parts.append(Markup("</svg>"))
    return joined(parts)


def _line_path(points: Sequence[tuple[float, float] | None]) -> str:
    """The path through the points, lifting the pen at each None (a gap in the data)."""
    commands = []
    pen_down = False
    for point in points:
        if point is None:
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{units(point[0])} {units(point[1])}")
        pen_down = True
    return "".join(commands)

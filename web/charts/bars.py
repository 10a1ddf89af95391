"""Vertical bars, one per label (intakes per month): web.charts.layout's axes, each bar with
its value above it when there is room."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from markupsafe import Markup

from web.charts.layout import (
    PLOT_HEIGHT,
    CategoryAxis,
    Plot,
    Scale,
    left_margin,
    right_margin,
    value_axis,
)
from web.charts.svg import (
    FONT_SIZE,
    WIDTH,
    joined,
    svg_element,
    svg_group,
    svg_opening,
    svg_text,
    tooltip,
    unique_id,
    units,
    width_of,
)

BAR_COLOUR = "#0066cc"


def bar_chart(
    bars: Sequence[tuple[str, int | Decimal]],
    *,
    title: str,
    description: str,
    format_value: Callable[[int | Decimal], str] = str,
) -> Markup:
    """Vertical bars, one per (label, value), in the given order (e.g. intakes per month);
    labels are slanted, or thinned out, when there are too many to read level. Each bar has
    its value written above it when there is room, and in its tooltip always."""
    if not bars:
        return Markup("")
    labels = [label for label, _ in bars]
    values = [value for _, value in bars]
    scale = Scale.covering(values)
    tick_texts = [format_value(tick) for tick in scale.ticks]
    value_texts = [format_value(value) for value in values]

    left = left_margin(tick_texts, labels)
    right = right_margin(labels)
    band = (WIDTH - left - right) / len(bars)
    labels_fit_on_bars = max(width_of(text) for text in value_texts) <= band - 2
    top = 10 + (FONT_SIZE + 4 if labels_fit_on_bars else 0)
    axis = CategoryAxis.laid_out(labels, band)
    plot = Plot(left=left, top=top, width=WIDTH - left - right, height=PLOT_HEIGHT, scale=scale)

    chart_id = unique_id("bars", title, description)
    parts = [
        svg_opening(chart_id, "chart chart-bars", plot.bottom + axis.height, title, description)
    ]
    parts.append(value_axis(plot, tick_texts))
    parts.append(axis.render(plot, band))

    bar_width = band * 0.7
    marks: list[Markup] = []
    for index, (label, value) in enumerate(bars):
        value_y, zero_y = plot.y(value), plot.y(0)
        x = left + index * band + (band - bar_width) / 2
        marks.append(
            svg_element(
                "rect",
                {
                    "class": "chart-bar",
                    "x": units(x),
                    "y": units(min(value_y, zero_y)),
                    "width": units(bar_width),
                    "height": units(abs(zero_y - value_y)),
                    "fill": BAR_COLOUR,
                    "data-label": label,
                    "data-value": str(value),
                },
                tooltip(f"{label}: {value_texts[index]}"),
            )
        )
        if labels_fit_on_bars:
            above = value >= 0
            marks.append(
                svg_text(
                    value_texts[index],
                    x=x + bar_width / 2,
                    y=value_y - 4 if above else value_y + FONT_SIZE + 2,
                    anchor="middle",
                    css_class="chart-value",
                )
            )
    parts.append(svg_group("chart-marks", joined(marks)))
    parts.append(Markup("</svg>"))
    return joined(parts)

"""Progress bars, one per row (claimed against allocated per sub-action): what is available
outlined, what is used filled, over the limit marked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup

from web.charts.layout import Formatter, Number
from web.charts.svg import (
    FONT_SIZE,
    TEXT_COLOUR,
    WIDTH,
    joined,
    shortened,
    svg_element,
    svg_opening,
    svg_text,
    tooltip,
    unique_id,
    units,
    width_of,
)

USED_COLOUR = "#0066cc"
OVER_LIMIT_COLOUR = "#b3392f"
AVAILABLE_OUTLINE = "#5c6f82"


def progress_bars(
    rows: Sequence[tuple[str, Decimal, Decimal]],
    *,
    title: str,
    description: str,
    format_value: Callable[[int | Decimal], str] = str,
) -> Markup:
    """Horizontal bars, one per (label, used, available) (e.g. claimed against allocated per
    sub-action): the available amount as an outlined bar, the used part filled, over 100%
    marked as such.

    Each row is drawn to its own scale (the longer of used and available fills the width), so
    the bars compare shares, and ends with "used / available (percentage)". An available of
    zero means no limit to compare with: the row shows the used amount alone, never over the
    limit."""
    if not rows:
        return Markup("")
    end_texts = [_progress_text(used, available, format_value) for _, used, available in rows]
    text_width = max(width_of(text) for text in end_texts)
    bar_width = max(WIDTH * 0.35, WIDTH - text_width - 14)
    bar_height = 16
    row_height = FONT_SIZE + 6 + bar_height + 14

    chart_id = unique_id("progress", title, description)
    hatch_id = f"{chart_id}-available"
    parts = [
        svg_opening(chart_id, "chart chart-progress", len(rows) * row_height, title, description)
    ]
    parts.append(
        Markup("<defs>")
        + svg_element(
            "pattern",
            {
                "id": hatch_id,
                "width": "6",
                "height": "6",
                "patternUnits": "userSpaceOnUse",
                "patternTransform": "rotate(45)",
            },
            svg_element(
                "rect",
                {"class": "chart-hatch-ground", "width": "6", "height": "6", "fill": "#ffffff"},
            )
            + svg_element(
                "line",
                {
                    "class": "chart-hatch-line",
                    "x1": "0",
                    "y1": "0",
                    "x2": "0",
                    "y2": "6",
                    "stroke": AVAILABLE_OUTLINE,
                    "stroke-width": "1.5",
                },
            ),
        )
        + Markup("</defs>")
    )
    for index, ((label, used, available), end_text) in enumerate(zip(rows, end_texts, strict=True)):
        top = index * row_height
        bar_top = top + FONT_SIZE + 6
        over_limit = available > 0 and used > available
        full = max(used, available)
        drawn = [svg_text(shortened(label, WIDTH), x=0, y=top + FONT_SIZE, css_class="chart-label")]
        if available > 0:
            drawn.append(
                svg_element(
                    "rect",
                    {
                        "class": "chart-available",
                        "x": "0",
                        "y": units(bar_top),
                        "width": units(bar_width * float(available / full)),
                        "height": units(bar_height),
                        "fill": f"url(#{hatch_id})",
                        "stroke": AVAILABLE_OUTLINE,
                        "stroke-width": "1.5",
                    },
                )
            )
        if used > 0:
            drawn.append(
                svg_element(
                    "rect",
                    {
                        "class": "chart-used",
                        "x": "0",
                        "y": units(bar_top + 3),
                        "width": units(bar_width * float(used / full)),
                        "height": units(bar_height - 6),
                        "fill": OVER_LIMIT_COLOUR if over_limit else USED_COLOUR,
                    },
                )
            )
        if over_limit:
            limit_x = bar_width * float(available / full)
            drawn.append(
                svg_element(
                    "line",
                    {
                        "class": "chart-limit",
                        "x1": units(limit_x),
                        "y1": units(bar_top - 4),
                        "x2": units(limit_x),
                        "y2": units(bar_top + bar_height + 4),
                        "stroke": TEXT_COLOUR,
                        "stroke-width": "2",
                    },
                )
            )
        drawn.append(
            svg_text(
                end_text,
                x=bar_width + 10,
                y=bar_top + bar_height - 3,
                css_class="chart-amounts",
            )
        )
        parts.append(
            svg_element(
                "g",
                {
                    "class": "chart-row chart-over-limit" if over_limit else "chart-row",
                    "data-label": label,
                    "data-value": str(used),
                    "data-available": str(available),
                },
                tooltip(f"{label}: {end_text}") + joined(drawn),
            )
        )
    parts.append(Markup("</svg>"))
    return joined(parts)


def _progress_text(used: Number, available: Number, format_value: Formatter) -> str:
    if available <= 0:
        return format_value(used)
    percentage = (Decimal(used) * 100 / Decimal(available)).quantize(Decimal(1), ROUND_HALF_UP)
    return f"{format_value(used)} / {format_value(available)} ({percentage}%)"

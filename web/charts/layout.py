"""Laying out a chart with axes: the value scale (a few round ticks from zero), the plot area,
the value axis with its grid, the category axis (labels level, slanted or thinned out), the
legend, each series' colour, dash pattern and marker, and the margins that keep labels in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from markupsafe import Markup

from web.charts.svg import (
    FONT_SIZE,
    TEXT_COLOUR,
    WIDTH,
    joined,
    shortened,
    svg_element,
    svg_group,
    svg_text,
    units,
    width_of,
)

Number = int | Decimal
Formatter = Callable[[Number], str]

PLOT_HEIGHT = 220
GRID_COLOUR = "#d6d9dc"
# Series colours, each paired with a dash pattern and a marker shape so that lines stay apart in
# black and white and for readers who do not tell the colours apart.
SERIES_COLOURS = ("#0066cc", "#b3392f", "#00805a", "#995c00", "#5c2d91", "#1a1a1a")
SERIES_DASHES = ("none", "9 4", "2 3", "10 3 2 3", "14 5", "4 4")
NICE_MANTISSAS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))
FEWEST_INTERVALS = 3
MOST_INTERVALS = 5


@dataclass(frozen=True)
class Scale:
    """The value axis: 4 to 6 round ticks (steps of 1, 2, 2.5 or 5 times a power of ten) from
    zero, or below zero, to at least the largest value."""

    ticks: tuple[Number, ...]

    @classmethod
    def covering(cls, values: Iterable[Number]) -> Scale:
        values = list(values)
        # Counts get whole ticks only: "2.5 people" on an axis reads as a mistake.
        whole = all(isinstance(value, int) for value in values)
        low = min(Decimal(0), *(Decimal(value) for value in values))
        high = max(Decimal(0), *(Decimal(value) for value in values))
        span = high - low if high > low else Decimal(1)
        exponent = (span / MOST_INTERVALS).adjusted()
        while True:
            for mantissa in NICE_MANTISSAS:
                step = mantissa.scaleb(exponent)
                if whole and step != step.to_integral_value():
                    continue
                first = (low / step).to_integral_value(rounding=ROUND_FLOOR)
                last = (high / step).to_integral_value(rounding=ROUND_CEILING)
                if last - first <= MOST_INTERVALS:
                    last = max(last, first + FEWEST_INTERVALS)
                    ticks = (
                        _plain(step * count, whole) for count in range(int(first), int(last) + 1)
                    )
                    return cls(tuple(ticks))
            exponent += 1

    @property
    def low(self) -> Decimal:
        return Decimal(self.ticks[0])

    @property
    def high(self) -> Decimal:
        return Decimal(self.ticks[-1])

    def fraction(self, value: Number) -> float:
        return float((Decimal(value) - self.low) / (self.high - self.low))


@dataclass(frozen=True)
class Plot:
    """Where the data is drawn, in chart units: y grows downwards, as in SVG."""

    left: float
    top: float
    width: float
    height: float
    scale: Scale

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def y(self, value: Number) -> float:
        return self.bottom - self.height * self.scale.fraction(value)


@dataclass(frozen=True)
class CategoryAxis:
    """The labels under the plot: all of them, level or else slanted, when they fit; otherwise
    every so many (always the first and the last)."""

    labels: tuple[str, ...]
    shown: tuple[int, ...]
    slanted: bool
    height: float

    @classmethod
    def laid_out(cls, labels: Sequence[str], band: float) -> CategoryAxis:
        texts = tuple(shortened(label) for label in labels)
        widest = max(width_of(text) for text in texts)
        every_level = max(1, _ceil((widest + FONT_SIZE / 2) / band))
        # Neighbouring slanted labels need only a line's height between them.
        every_slanted = max(1, _ceil(1.8 * FONT_SIZE / band))
        # Every label, slanted if need be, rather than some level ones: a bar without a label
        # (a city) cannot be told from its neighbours. Thinned out when slanting is not enough
        # (thirty months): then the missing labels are plain from those around them.
        slanted = every_level > 1 and (every_slanted == 1 or every_level > 4)
        if slanted:
            return cls(
                texts, _thinned(len(texts), every_slanted), True, 12 + widest * 0.71 + FONT_SIZE
            )
        return cls(texts, _thinned(len(texts), every_level), False, 12 + FONT_SIZE + 8)

    def render(self, plot: Plot, band: float) -> Markup:
        drawn: list[Markup] = []
        for index in self.shown:
            x = plot.left + (index + 0.5) * band
            drawn.append(
                svg_element(
                    "line",
                    {
                        "x1": units(x),
                        "y1": units(plot.bottom),
                        "x2": units(x),
                        "y2": units(plot.bottom + 5),
                        "stroke": TEXT_COLOUR,
                        "class": "chart-tick",
                    },
                )
            )
            y = plot.bottom + 8 + FONT_SIZE
            if self.slanted:
                drawn.append(
                    svg_text(
                        self.labels[index],
                        x=x,
                        y=y,
                        anchor="end",
                        css_class="chart-label",
                        rotate=-45,
                    )
                )
            else:
                drawn.append(
                    svg_text(self.labels[index], x=x, y=y, anchor="middle", css_class="chart-label")
                )
        return svg_group("chart-axis chart-axis-x", joined(drawn))


@dataclass(frozen=True)
class Legend:
    """The series names above a line chart, each after a sample of its line and marker,
    wrapping onto more rows when they do not fit on one."""

    entries: tuple[tuple[str, float, float], ...]
    height: float

    SAMPLE = 34

    @classmethod
    def laid_out(cls, names: Sequence[str], *, left: float) -> Legend:
        entries = []
        x, y = left, 0.0
        for name in names:
            width = cls.SAMPLE + 6 + width_of(name)
            if x > left and x + width > WIDTH:
                x, y = left, y + FONT_SIZE + 10
            entries.append((name, x, y))
            x += width + 20
        return cls(tuple(entries), y + FONT_SIZE + 10)

    def render(self) -> Markup:
        drawn: list[Markup] = []
        for number, (name, x, y) in enumerate(self.entries):
            style = SeriesStyle(number)
            middle = y + 4 + FONT_SIZE / 2
            sample = svg_element(
                "line",
                {
                    "class": f"chart-line {style.css_class}",
                    "x1": units(x),
                    "y1": units(middle),
                    "x2": units(x + self.SAMPLE),
                    "y2": units(middle),
                    "stroke": style.colour,
                    "stroke-width": "2.5",
                    "stroke-dasharray": style.dashes,
                },
            )
            marker = style.marker(x + self.SAMPLE / 2, middle, {"class": style.css_class})
            label = svg_text(
                name,
                x=x + self.SAMPLE + 6,
                y=middle,
                css_class="chart-label",
                centred_vertically=True,
            )
            drawn.append(svg_element("g", {"class": "chart-legend-entry"}, sample + marker + label))
        return svg_group("chart-legend", joined(drawn))


@dataclass(frozen=True)
class SeriesStyle:
    """What tells a series apart: colour, dash pattern and marker shape, all three."""

    number: int

    @property
    def css_class(self) -> str:
        return f"chart-series-{self.number}"

    @property
    def colour(self) -> str:
        return SERIES_COLOURS[self.number % len(SERIES_COLOURS)]

    @property
    def dashes(self) -> str:
        return SERIES_DASHES[self.number % len(SERIES_DASHES)]

    def marker(
        self, x: float, y: float, attributes: dict[str, str], content: Markup | None = None
    ) -> Markup:
        painted = {**attributes, "fill": self.colour, "stroke": "#ffffff", "stroke-width": "1"}
        match self.number % 3:
            case 0:
                return svg_element(
                    "circle", {"cx": units(x), "cy": units(y), "r": "4", **painted}, content
                )
            case 1:
                return svg_element(
                    "rect",
                    {
                        "x": units(x - 3.5),
                        "y": units(y - 3.5),
                        "width": "7",
                        "height": "7",
                        **painted,
                    },
                    content,
                )
            case _:
                top, right, left = (x, y - 5), (x + 4.5, y + 3.5), (x - 4.5, y + 3.5)
                triangle = "M{} {}L{} {}L{} {}Z".format(*map(units, (*top, *right, *left)))
                return svg_element("path", {"d": triangle, **painted}, content)


def value_axis(plot: Plot, tick_texts: Sequence[str]) -> Markup:
    drawn: list[Markup] = []
    for tick, text in zip(plot.scale.ticks, tick_texts, strict=True):
        y = plot.y(tick)
        drawn.append(
            svg_element(
                "line",
                {
                    "class": "chart-baseline" if tick == 0 else "chart-grid",
                    "x1": units(plot.left),
                    "y1": units(y),
                    "x2": units(plot.left + plot.width),
                    "y2": units(y),
                    "stroke": TEXT_COLOUR if tick == 0 else GRID_COLOUR,
                    "stroke-width": "1.5" if tick == 0 else "1",
                },
            )
        )
        drawn.append(
            svg_text(
                text,
                x=plot.left - 6,
                y=y,
                anchor="end",
                css_class="chart-label",
                centred_vertically=True,
            )
        )
    return svg_group("chart-axis chart-axis-y", joined(drawn))


def _thinned(count: int, every: int) -> tuple[int, ...]:
    """Every `every`-th index from the first, with the last one in place of the one before it
    when the two would be closer than `every`."""
    shown = list(range(0, count, every))
    last = count - 1
    if shown[-1] != last:
        if len(shown) > 1:
            shown[-1] = last
        elif last >= every:
            shown.append(last)
    return tuple(shown)


def left_margin(tick_texts: Sequence[str], labels: Sequence[str]) -> float:
    """Room for the widest tick label, and for the first category label, whether centred on
    its bar or slanted down to the left of it."""
    first_label = width_of(shortened(labels[0]))
    widest_tick = max(width_of(text) for text in tick_texts)
    return max(widest_tick + 10, first_label / 2, first_label * 0.71 - 8, 24)


def right_margin(labels: Sequence[str]) -> float:
    return max(width_of(shortened(labels[-1])) / 2, 12)


def _plain(value: Decimal, whole: bool) -> Number:
    """A tick as the data's own kind of number, without an exponent or trailing zeros
    (250000, never 2.5E+5 or 250000.0)."""
    if whole:
        return int(value)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _ceil(value: float) -> int:
    return int(-(-value // 1))

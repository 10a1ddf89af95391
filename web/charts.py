"""Charts drawn on the server as inline SVG: readable without JavaScript, legible when printed
(black text, patterns as well as colours, a caption and a data table beside each chart in the
templates), and the same for every browser. Pure functions of already-translated labels and
values; each returns markup ready for a Jinja2 template.

Every chart is an `<svg role="img">` with a `<title>` and a `<desc>` (for screen readers), a
`viewBox` so it scales with the page, and `data-` attributes on each mark (`data-label`,
`data-value`) so tests, and anyone reading the markup, can check what is drawn.

With nothing to draw (no bars, no labels or no values, no rows) a function returns an empty
`Markup("")`: the template tests for it and says there is no data in a sentence instead.

The page's Content-Security-Policy forbids `style=""` attributes and `<style>` elements, so
the looks come from SVG presentation attributes (a sensible default when the stylesheet is
missing) and from the classes styled in web/static/css/charts.css (which win over them)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Series:
    """One line of a line chart: its name (for the legend) and a value per label."""

    name: str
    values: Sequence[int | Decimal | None]
    """None: no value at that label (a gap in the line)."""


Number = int | Decimal
Formatter = Callable[[Number], str]

# The coordinate system: 700 units wide, drawn at 100% of the content column (about 700 px on
# a desktop), so a font size of 13 units reads as about 13 px.
WIDTH = 700
FONT_SIZE = 13
PLOT_HEIGHT = 220
# An average character of Titillium Web is narrower than this: estimating wide keeps labels
# from overlapping.
CHARACTER_WIDTH = 0.6 * FONT_SIZE
LONGEST_AXIS_LABEL = 18

TEXT_COLOUR = "#1a1a1a"
GRID_COLOUR = "#d6d9dc"
BAR_COLOUR = "#0066cc"
# Series colours, each paired with a dash pattern and a marker shape so that lines stay apart in
# black and white and for readers who do not tell the colours apart.
SERIES_COLOURS = ("#0066cc", "#b3392f", "#00805a", "#995c00", "#5c2d91", "#1a1a1a")
SERIES_DASHES = ("none", "9 4", "2 3", "10 3 2 3", "14 5", "4 4")
USED_COLOUR = "#0066cc"
OVER_LIMIT_COLOUR = "#b3392f"
AVAILABLE_OUTLINE = "#5c6f82"

NICE_MANTISSAS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))
FEWEST_INTERVALS = 3
MOST_INTERVALS = 5


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
    scale = _Scale.covering(values)
    tick_texts = [format_value(tick) for tick in scale.ticks]
    value_texts = [format_value(value) for value in values]

    left = _left_margin(tick_texts, labels)
    right = _right_margin(labels)
    band = (WIDTH - left - right) / len(bars)
    labels_fit_on_bars = max(_text_width(text) for text in value_texts) <= band - 2
    top = 10 + (FONT_SIZE + 4 if labels_fit_on_bars else 0)
    axis = _CategoryAxis.laid_out(labels, band)
    plot = _Plot(left=left, top=top, width=WIDTH - left - right, height=PLOT_HEIGHT, scale=scale)

    chart_id = _chart_id("bars", title, description)
    parts = [_opening(chart_id, "chart chart-bars", plot.bottom + axis.height, title, description)]
    parts.append(_value_axis(plot, tick_texts))
    parts.append(axis.render(plot, band))

    bar_width = band * 0.7
    marks: list[Markup] = []
    for index, (label, value) in enumerate(bars):
        value_y, zero_y = plot.y(value), plot.y(0)
        x = left + index * band + (band - bar_width) / 2
        marks.append(
            _element(
                "rect",
                {
                    "class": "chart-bar",
                    "x": _n(x),
                    "y": _n(min(value_y, zero_y)),
                    "width": _n(bar_width),
                    "height": _n(abs(zero_y - value_y)),
                    "fill": BAR_COLOUR,
                    "data-label": label,
                    "data-value": str(value),
                },
                _tooltip(f"{label}: {value_texts[index]}"),
            )
        )
        if labels_fit_on_bars:
            above = value >= 0
            marks.append(
                _text(
                    value_texts[index],
                    x=x + bar_width / 2,
                    y=value_y - 4 if above else value_y + FONT_SIZE + 2,
                    anchor="middle",
                    css_class="chart-value",
                )
            )
    parts.append(_group("chart-marks", _joined(marks)))
    parts.append(Markup("</svg>"))
    return _joined(parts)


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
    scale = _Scale.covering(values)
    tick_texts = [format_value(tick) for tick in scale.ticks]

    left = _left_margin(tick_texts, labels)
    right = _right_margin(labels)
    legend = _Legend.laid_out([line.name for line in series], left=left)
    band = (WIDTH - left - right) / len(labels)
    axis = _CategoryAxis.laid_out(labels, band)
    plot = _Plot(
        left=left,
        top=legend.height + 10,
        width=WIDTH - left - right,
        height=PLOT_HEIGHT,
        scale=scale,
    )

    chart_id = _chart_id("lines", title, description)
    parts = [_opening(chart_id, "chart chart-lines", plot.bottom + axis.height, title, description)]
    parts.append(legend.render())
    parts.append(_value_axis(plot, tick_texts))
    parts.append(axis.render(plot, band))

    for number, line in enumerate(series):
        style = _SeriesStyle(number)
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
                _element(
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
                    _tooltip(f"{line.name}, {label}: {format_value(value)}"),
                )
            )
        parts.append(_group(f"chart-marks {style.css_class}", _joined(drawn)))
    parts.append(Markup("</svg>"))
    return _joined(parts)


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
    text_width = max(_text_width(text) for text in end_texts)
    bar_width = max(WIDTH * 0.35, WIDTH - text_width - 14)
    bar_height = 16
    row_height = FONT_SIZE + 6 + bar_height + 14

    chart_id = _chart_id("progress", title, description)
    hatch_id = f"{chart_id}-available"
    parts = [_opening(chart_id, "chart chart-progress", len(rows) * row_height, title, description)]
    parts.append(
        Markup("<defs>")
        + _element(
            "pattern",
            {
                "id": hatch_id,
                "width": "6",
                "height": "6",
                "patternUnits": "userSpaceOnUse",
                "patternTransform": "rotate(45)",
            },
            _element(
                "rect",
                {"class": "chart-hatch-ground", "width": "6", "height": "6", "fill": "#ffffff"},
            )
            + _element(
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
        drawn = [_text(_shortened(label, WIDTH), x=0, y=top + FONT_SIZE, css_class="chart-label")]
        if available > 0:
            drawn.append(
                _element(
                    "rect",
                    {
                        "class": "chart-available",
                        "x": "0",
                        "y": _n(bar_top),
                        "width": _n(bar_width * float(available / full)),
                        "height": _n(bar_height),
                        "fill": f"url(#{hatch_id})",
                        "stroke": AVAILABLE_OUTLINE,
                        "stroke-width": "1.5",
                    },
                )
            )
        if used > 0:
            drawn.append(
                _element(
                    "rect",
                    {
                        "class": "chart-used",
                        "x": "0",
                        "y": _n(bar_top + 3),
                        "width": _n(bar_width * float(used / full)),
                        "height": _n(bar_height - 6),
                        "fill": OVER_LIMIT_COLOUR if over_limit else USED_COLOUR,
                    },
                )
            )
        if over_limit:
            limit_x = bar_width * float(available / full)
            drawn.append(
                _element(
                    "line",
                    {
                        "class": "chart-limit",
                        "x1": _n(limit_x),
                        "y1": _n(bar_top - 4),
                        "x2": _n(limit_x),
                        "y2": _n(bar_top + bar_height + 4),
                        "stroke": TEXT_COLOUR,
                        "stroke-width": "2",
                    },
                )
            )
        drawn.append(
            _text(
                end_text,
                x=bar_width + 10,
                y=bar_top + bar_height - 3,
                css_class="chart-amounts",
            )
        )
        parts.append(
            _element(
                "g",
                {
                    "class": "chart-row chart-over-limit" if over_limit else "chart-row",
                    "data-label": label,
                    "data-value": str(used),
                    "data-available": str(available),
                },
                _tooltip(f"{label}: {end_text}") + _joined(drawn),
            )
        )
    parts.append(Markup("</svg>"))
    return _joined(parts)


@dataclass(frozen=True)
class _Scale:
    """The value axis: 4 to 6 round ticks (steps of 1, 2, 2.5 or 5 times a power of ten) from
    zero, or below zero, to at least the largest value."""

    ticks: tuple[Number, ...]

    @classmethod
    def covering(cls, values: Iterable[Number]) -> _Scale:
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
class _Plot:
    """Where the data is drawn, in chart units: y grows downwards, as in SVG."""

    left: float
    top: float
    width: float
    height: float
    scale: _Scale

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def y(self, value: Number) -> float:
        return self.bottom - self.height * self.scale.fraction(value)


@dataclass(frozen=True)
class _CategoryAxis:
    """The labels under the plot: all of them, level or else slanted, when they fit; otherwise
    every so many (always the first and the last)."""

    labels: tuple[str, ...]
    shown: tuple[int, ...]
    slanted: bool
    height: float

    @classmethod
    def laid_out(cls, labels: Sequence[str], band: float) -> _CategoryAxis:
        texts = tuple(_shortened(label) for label in labels)
        widest = max(_text_width(text) for text in texts)
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

    def render(self, plot: _Plot, band: float) -> Markup:
        drawn: list[Markup] = []
        for index in self.shown:
            x = plot.left + (index + 0.5) * band
            drawn.append(
                _element(
                    "line",
                    {
                        "x1": _n(x),
                        "y1": _n(plot.bottom),
                        "x2": _n(x),
                        "y2": _n(plot.bottom + 5),
                        "stroke": TEXT_COLOUR,
                        "class": "chart-tick",
                    },
                )
            )
            y = plot.bottom + 8 + FONT_SIZE
            if self.slanted:
                drawn.append(
                    _text(
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
                    _text(self.labels[index], x=x, y=y, anchor="middle", css_class="chart-label")
                )
        return _group("chart-axis chart-axis-x", _joined(drawn))


@dataclass(frozen=True)
class _Legend:
    """The series names above a line chart, each after a sample of its line and marker,
    wrapping onto more rows when they do not fit on one."""

    entries: tuple[tuple[str, float, float], ...]
    height: float

    SAMPLE = 34

    @classmethod
    def laid_out(cls, names: Sequence[str], *, left: float) -> _Legend:
        entries = []
        x, y = left, 0.0
        for name in names:
            width = cls.SAMPLE + 6 + _text_width(name)
            if x > left and x + width > WIDTH:
                x, y = left, y + FONT_SIZE + 10
            entries.append((name, x, y))
            x += width + 20
        return cls(tuple(entries), y + FONT_SIZE + 10)

    def render(self) -> Markup:
        drawn: list[Markup] = []
        for number, (name, x, y) in enumerate(self.entries):
            style = _SeriesStyle(number)
            middle = y + 4 + FONT_SIZE / 2
            sample = _element(
                "line",
                {
                    "class": f"chart-line {style.css_class}",
                    "x1": _n(x),
                    "y1": _n(middle),
                    "x2": _n(x + self.SAMPLE),
                    "y2": _n(middle),
                    "stroke": style.colour,
                    "stroke-width": "2.5",
                    "stroke-dasharray": style.dashes,
                },
            )
            marker = style.marker(x + self.SAMPLE / 2, middle, {"class": style.css_class})
            label = _text(
                name,
                x=x + self.SAMPLE + 6,
                y=middle,
                css_class="chart-label",
                centred_vertically=True,
            )
            drawn.append(_element("g", {"class": "chart-legend-entry"}, sample + marker + label))
        return _group("chart-legend", _joined(drawn))


@dataclass(frozen=True)
class _SeriesStyle:
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
                return _element("circle", {"cx": _n(x), "cy": _n(y), "r": "4", **painted}, content)
            case 1:
                return _element(
                    "rect",
                    {"x": _n(x - 3.5), "y": _n(y - 3.5), "width": "7", "height": "7", **painted},
                    content,
                )
            case _:
                triangle = (
                    f"M{_n(x)} {_n(y - 5)}L{_n(x + 4.5)} {_n(y + 3.5)}L{_n(x - 4.5)} {_n(y + 3.5)}Z"
                )
                return _element("path", {"d": triangle, **painted}, content)


def _opening(chart_id: str, css_class: str, height: float, title: str, description: str) -> Markup:
    return (
        _start(
            "svg",
            {
                "xmlns": "http://www.w3.org/2000/svg",
                "class": css_class,
                "id": chart_id,
                "role": "img",
                "aria-labelledby": f"{chart_id}-title",
                "aria-describedby": f"{chart_id}-desc",
                "viewBox": f"0 0 {WIDTH} {_n(height)}",
                "width": "100%",
                "font-family": "'Titillium Web', Geneva, Tahoma, sans-serif",
                "font-size": str(FONT_SIZE),
            },
        )
        + _element("title", {"id": f"{chart_id}-title"}, escape(title))
        + _element("desc", {"id": f"{chart_id}-desc"}, escape(description))
    )


def _value_axis(plot: _Plot, tick_texts: Sequence[str]) -> Markup:
    drawn: list[Markup] = []
    for tick, text in zip(plot.scale.ticks, tick_texts, strict=True):
        y = plot.y(tick)
        drawn.append(
            _element(
                "line",
                {
                    "class": "chart-baseline" if tick == 0 else "chart-grid",
                    "x1": _n(plot.left),
                    "y1": _n(y),
                    "x2": _n(plot.left + plot.width),
                    "y2": _n(y),
                    "stroke": TEXT_COLOUR if tick == 0 else GRID_COLOUR,
                    "stroke-width": "1.5" if tick == 0 else "1",
                },
            )
        )
        drawn.append(
            _text(
                text,
                x=plot.left - 6,
                y=y,
                anchor="end",
                css_class="chart-label",
                centred_vertically=True,
            )
        )
    return _group("chart-axis chart-axis-y", _joined(drawn))


def _line_path(points: Sequence[tuple[float, float] | None]) -> str:
    """The path through the points, lifting the pen at each None (a gap in the data)."""
    commands = []
    pen_down = False
    for point in points:
        if point is None:
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{_n(point[0])} {_n(point[1])}")
        pen_down = True
    return "".join(commands)


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


def _progress_text(used: Number, available: Number, format_value: Formatter) -> str:
    if available <= 0:
        return format_value(used)
    percentage = (Decimal(used) * 100 / Decimal(available)).quantize(Decimal(1), ROUND_HALF_UP)
    return f"{format_value(used)} / {format_value(available)} ({percentage}%)"


def _left_margin(tick_texts: Sequence[str], labels: Sequence[str]) -> float:
    """Room for the widest tick label, and for the first category label, whether centred on
    its bar or slanted down to the left of it."""
    first_label = _text_width(_shortened(labels[0]))
    widest_tick = max(_text_width(text) for text in tick_texts)
    return max(widest_tick + 10, first_label / 2, first_label * 0.71 - 8, 24)


def _right_margin(labels: Sequence[str]) -> float:
    return max(_text_width(_shortened(labels[-1])) / 2, 12)


def _chart_id(kind: str, title: str, description: str) -> str:
    """The same on every rendering of the same chart (pages stay byte-for-byte comparable),
    different for different charts on one page."""
    digest = hashlib.sha256(f"{kind}\n{title}\n{description}".encode()).hexdigest()
    return f"chart-{digest[:12]}"


def _text(
    content: str,
    *,
    x: float,
    y: float,
    css_class: str,
    anchor: str = "start",
    rotate: int = 0,
    centred_vertically: bool = False,
) -> Markup:
    attributes = {"class": css_class, "x": _n(x), "y": _n(y), "fill": TEXT_COLOUR}
    if anchor != "start":
        attributes["text-anchor"] = anchor
    if centred_vertically:
        attributes["dy"] = "0.35em"
    if rotate:
        attributes["transform"] = f"rotate({rotate} {_n(x)} {_n(y)})"
    return _element("text", attributes, escape(content))


def _tooltip(content: str) -> Markup:
    return _element("title", {}, escape(content))


def _group(css_class: str, content: Markup) -> Markup:
    return _element("g", {"class": css_class}, content)


def _start(name: str, attributes: dict[str, str]) -> Markup:
    rendered = _joined(Markup(' {}="{}"').format(key, value) for key, value in attributes.items())
    return Markup("<{}{}>").format(name, rendered)


def _element(name: str, attributes: dict[str, str], content: Markup | None = None) -> Markup:
    """An element, every attribute value escaped; `content` is escaped too unless markup."""
    if not content:
        return _start(name, attributes)[:-1] + Markup("/>")
    return _start(name, attributes) + Markup("{}</{}>").format(content, name)


def _joined(parts: Iterable[Markup]) -> Markup:
    """The parts one after another: a plain string among them would be escaped, not trusted."""
    return Markup().join(parts)


def _shortened(label: str, room: float = LONGEST_AXIS_LABEL * CHARACTER_WIDTH) -> str:
    """The label cut with an ellipsis when wider than `room` (the whole label stays in the
    mark's data-label and tooltip)."""
    most = max(4, int(room / CHARACTER_WIDTH))
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def _text_width(text: str) -> float:
    return len(text) * CHARACTER_WIDTH


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


def _n(coordinate: float) -> str:
    """A coordinate with at most two decimals: small markup, same text on every run."""
    text = f"{coordinate:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text

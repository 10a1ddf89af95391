"""The server-side SVG charts, read back as XML: what is drawn matches the data (bar heights,
round axis ticks, gaps in lines, shares of an allocation), every label stays text, and the
markup keeps to the page's Content-Security-Policy and reads without colour."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest
from markupsafe import Markup

from web.areas.dashboards.dashboard import occupancy_chart
from web.charts.bars import bar_chart
from web.charts.lines import Series, line_chart
from web.charts.progress import progress_bars
from web.kit.i18n import Catalogues

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [f"{month:02d}/{year}" for year in (2019, 2020, 2021) for month in range(1, 13)][6:]


def parsed(chart: Markup) -> ET.Element:
    return ET.fromstring(str(chart))  # noqa: S314  (our own markup, not untrusted input)


def marks(root: ET.Element, tag: str) -> list[ET.Element]:
    return [element for element in root.iter(SVG + tag) if "data-value" in element.attrib]


def texts_in(root: ET.Element, css_class: str) -> list[str]:
    return [
        "".join(group.itertext())
        for axis in root.iter(SVG + "g")
        if css_class in axis.get("class", "").split()
        for group in axis.iter(SVG + "text")
    ]


def height(bar: ET.Element) -> float:
    return float(bar.attrib["height"])


def width(bar: ET.Element | None) -> float:
    assert bar is not None
    return float(bar.attrib["width"])


def all_three_charts() -> list[Markup]:
    return [
        bar_chart([("Milano", 3), ("Roma", 5)], title="Intakes", description="By city"),
        line_chart(
            ["07/2019", "08/2019"],
            [Series("Housed", [1, 2]), Series("Beds", [3, None])],
            title="Occupancy",
            description="Month by month",
        ),
        progress_bars(
            [("1.1", Decimal(5), Decimal(10))], title="Expenditure", description="By sub-action"
        ),
    ]


def test_bar_heights_are_proportional_to_values_from_a_zero_baseline() -> None:
    root = parsed(bar_chart([("a", 5), ("b", 10), ("c", 0)], title="T", description="D"))

    five, ten, zero = marks(root, "rect")
    assert height(ten) == pytest.approx(2 * height(five), abs=0.02)
    assert height(zero) == 0
    baseline = next(
        line for line in root.iter(SVG + "line") if line.get("class") == "chart-baseline"
    )
    for bar in (five, ten, zero):
        assert float(bar.attrib["y"]) + height(bar) == pytest.approx(float(baseline.attrib["y1"]))


def test_the_tallest_of_thirty_monthly_bars_fits_within_the_plot() -> None:
    values = [(index * 7) % 23 for index in range(len(MONTHS))]
    root = parsed(bar_chart(list(zip(MONTHS, values, strict=True)), title="T", description="D"))

    bars = marks(root, "rect")
    assert [bar.attrib["data-label"] for bar in bars] == MONTHS
    assert [bar.attrib["data-value"] for bar in bars] == [str(value) for value in values]
    grid_tops = [
        float(line.attrib["y1"])
        for line in root.iter(SVG + "line")
        if line.get("class") == "chart-grid"
    ]
    tallest = max(bars, key=height)
    assert float(tallest.attrib["y"]) >= min(grid_tops) - 0.01
    assert float(tallest.attrib["y"]) > 0
    _, _, view_width, _ = map(float, root.attrib["viewBox"].split())
    assert max(float(bar.attrib["x"]) + width(bar) for bar in bars) <= view_width


def test_thirty_month_labels_are_thinned_keeping_the_first_and_the_last() -> None:
    root = parsed(bar_chart([(month, 1) for month in MONTHS], title="T", description="D"))

    shown = texts_in(root, "chart-axis-x")
    assert shown[0] == MONTHS[0]
    assert shown[-1] == MONTHS[-1]
    assert 6 <= len(shown) <= 12
    assert shown[:3] == [MONTHS[0], MONTHS[3], MONTHS[6]]


def test_nineteen_city_labels_are_all_shown_slanted_rather_than_thinned_out() -> None:
    cities = [f"City number {number}" for number in range(19)]
    root = parsed(bar_chart([(city, 1) for city in cities], title="T", description="D"))

    assert texts_in(root, "chart-axis-x") == cities
    labels = [
        text
        for axis in root.iter(SVG + "g")
        if "chart-axis-x" in axis.get("class", "")
        for text in axis.iter(SVG + "text")
    ]
    assert all(text.attrib["transform"].startswith("rotate(-45 ") for text in labels)


def test_long_labels_are_shortened_on_the_axis_but_kept_whole_on_the_mark() -> None:
    long_name = "Reggio di Calabria, Città metropolitana"
    root = parsed(bar_chart([(long_name, 1), ("Bari", 2)], title="T", description="D"))

    assert marks(root, "rect")[0].attrib["data-label"] == long_name
    shortened = texts_in(root, "chart-axis-x")[0]
    assert shortened.endswith("…")
    assert long_name.startswith(shortened[:-1])


@pytest.mark.parametrize(
    "largest",
    [1, 3, 7, 13, 99, 100, 101, 2_345, Decimal("0.3"), Decimal("346000.00"), Decimal("1234567.89")],
)
def test_value_ticks_are_four_to_six_round_numbers_from_zero_covering_the_largest(
    largest: int | Decimal,
) -> None:
    root = parsed(bar_chart([("a", largest), ("b", largest * 0)], title="T", description="D"))

    ticks = [Decimal(text) for text in texts_in(root, "chart-axis-y")]
    assert 4 <= len(ticks) <= 6
    assert ticks[0] == 0
    assert ticks[-1] >= largest
    # No more room above the largest value than needed to reach four ticks.
    assert ticks[-2] < largest or len(ticks) == 4
    step = ticks[1] - ticks[0]
    assert all(later - earlier == step for earlier, later in itertools.pairwise(ticks))
    mantissa = step.scaleb(-step.adjusted())
    assert mantissa in {1, 2, Decimal("2.5"), 5}
    if isinstance(largest, int):
        assert all(tick == tick.to_integral_value() for tick in ticks)


def test_axis_and_bar_values_are_written_by_the_given_formatter() -> None:
    def euros(value: int | Decimal) -> str:
        return f"€ {Decimal(value):,.2f}"

    root = parsed(
        bar_chart(
            [("1.1", Decimal("12.50")), ("1.2", Decimal("25.00"))],
            title="T",
            description="D",
            format_value=euros,
        )
    )

    small, large = marks(root, "rect")
    assert (small.attrib["data-value"], large.attrib["data-value"]) == ("12.50", "25.00")
    assert height(large) == pytest.approx(2 * height(small), abs=0.02)
    assert texts_in(root, "chart-axis-y")[0] == "€ 0.00"
    assert "€ 12.50" in texts_in(root, "chart-marks")


def test_labels_and_titles_from_user_data_stay_text() -> None:
    hostile = '<script>alert("x")</script>'
    chart = bar_chart(
        [("<script>", 1), ('a"b', 2)], title="Cities & <b>towns</b>", description=hostile
    )

    root = parsed(chart)
    assert not [element for element in root.iter() if element.tag.endswith("script")]
    assert [bar.attrib["data-label"] for bar in marks(root, "rect")] == ["<script>", 'a"b']
    assert "<script>" in texts_in(root, "chart-axis-x")
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    assert title is not None and desc is not None
    assert title.text == "Cities & <b>towns</b>"
    assert desc.text == hostile
    assert "<script>" not in str(chart)


def test_series_names_and_progress_labels_stay_text() -> None:
    lines = line_chart(["<i>"], [Series("<b>x</b>", [1])], title="T", description="D")
    bars = progress_bars([("<u>", Decimal(1), Decimal(2))], title="T", description="D")

    for chart in (lines, bars):
        root = parsed(chart)
        assert {element.tag for element in root.iter()} <= {
            SVG + tag
            for tag in (
                "svg",
                "title",
                "desc",
                "g",
                "text",
                "line",
                "rect",
                "circle",
                "path",
                "defs",
                "pattern",
            )
        }
    assert "<b>x</b>" in texts_in(parsed(lines), "chart-legend")


def test_every_chart_is_an_image_with_a_title_and_description_for_screen_readers() -> None:
    for chart in all_three_charts():
        root = parsed(chart)
        title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
        assert title is not None and desc is not None
        assert root.attrib["role"] == "img"
        assert root.attrib["aria-labelledby"] == title.attrib["id"]
        assert root.attrib["aria-describedby"] == desc.attrib["id"]
        assert title.text and desc.text
        assert root.attrib["width"] == "100%"
        assert root.attrib["viewBox"].startswith("0 0 700 ")
        assert float(root.attrib["font-size"]) >= 11
        assert not [text for text in root.iter(SVG + "text") if "font-size" in text.attrib]


def test_chart_ids_are_the_same_on_every_rendering_and_differ_between_charts() -> None:
    first = bar_chart([("a", 1)], title="Intakes per month", description="D")
    again = bar_chart([("a", 1)], title="Intakes per month", description="D")
    other = bar_chart([("a", 1)], title="Intakes per city", description="D")

    assert first == again
    assert parsed(first).attrib["id"] != parsed(other).attrib["id"]


def test_no_chart_needs_inline_styles_forbidden_by_the_content_security_policy() -> None:
    for chart in all_three_charts():
        root = parsed(chart)
        assert not [element for element in root.iter() if "style" in element.attrib]
        assert root.find(f".//{SVG}style") is None
        assert "<script" not in str(chart)


def test_empty_input_gives_empty_markup_for_the_page_to_say_there_is_no_data() -> None:
    assert bar_chart([], title="T", description="D") == Markup("")
    assert line_chart([], [], title="T", description="D") == Markup("")
    assert line_chart(["a", "b"], [Series("s", [None, None])], title="T", description="D") == ""
    assert progress_bars([], title="T", description="D") == Markup("")


def test_a_line_breaks_where_a_value_is_missing() -> None:
    labels = ["07/2019", "08/2019", "09/2019", "10/2019", "11/2019"]
    root = parsed(
        line_chart(
            labels,
            [Series("Housed", [1, 2, None, 4, 5]), Series("Beds", [6, 6, 6, 6, 6])],
            title="T",
            description="D",
        )
    )

    housed, beds = [
        path for path in root.iter(SVG + "path") if "chart-line" in path.get("class", "")
    ]
    assert len(re.findall("M", housed.attrib["d"])) == 2
    assert len(re.findall("M", beds.attrib["d"])) == 1
    points = [point for point in root.iter() if point.get("data-series") == "Housed"]
    assert [point.attrib["data-label"] for point in points] == [
        "07/2019",
        "08/2019",
        "10/2019",
        "11/2019",
    ]
    assert [point.attrib["data-value"] for point in points] == ["1", "2", "4", "5"]


def test_each_line_has_its_own_class_dash_pattern_and_legend_entry() -> None:
    root = parsed(
        line_chart(
            ["a", "b"],
            [Series("Housed", [1, 2]), Series("Beds", [3, 3]), Series("Free", [2, 1])],
            title="T",
            description="D",
        )
    )

    lines = [path for path in root.iter(SVG + "path") if "chart-line" in path.get("class", "")]
    assert [path.attrib["class"] for path in lines] == [
        "chart-line chart-series-0",
        "chart-line chart-series-1",
        "chart-line chart-series-2",
    ]
    assert len({path.attrib["stroke-dasharray"] for path in lines}) == 3
    assert texts_in(root, "chart-legend") == ["Housed", "Beds", "Free"]
    marker_shapes = {
        point.get("data-series"): point.tag for point in root.iter() if point.get("data-series")
    }
    assert len(set(marker_shapes.values())) == 3


def test_a_line_series_must_have_a_value_per_label() -> None:
    with pytest.raises(ValueError, match="Housed"):
        line_chart(["a", "b"], [Series("Housed", [1])], title="T", description="D")


def test_progress_bars_show_the_used_share_of_what_is_available() -> None:
    root = parsed(
        progress_bars(
            [
                ("1.1", Decimal("12500.00"), Decimal("50000.00")),
                ("2.1", Decimal("60000.00"), Decimal("50000.00")),
                ("3.1", Decimal("100.00"), Decimal("0")),
            ],
            title="T",
            description="D",
        )
    )

    within, over, unlimited = [
        row for row in root.iter(SVG + "g") if "chart-row" in row.get("class", "")
    ]

    def part(row: ET.Element, css_class: str) -> ET.Element | None:
        return next(
            (rect for rect in row.iter(SVG + "rect") if rect.get("class") == css_class), None
        )

    assert within.attrib["class"] == "chart-row"
    assert (within.attrib["data-value"], within.attrib["data-available"]) == (
        "12500.00",
        "50000.00",
    )
    assert width(part(within, "chart-used")) == pytest.approx(
        width(part(within, "chart-available")) / 4, abs=0.02
    )
    assert "12500.00 / 50000.00 (25%)" in texts_in(root, "chart-row")

    assert over.attrib["class"] == "chart-row chart-over-limit"
    assert width(part(over, "chart-used")) > width(part(over, "chart-available"))
    assert over.find(f"{SVG}line[@class='chart-limit']") is not None
    assert "60000.00 / 50000.00 (120%)" in texts_in(root, "chart-row")

    assert unlimited.attrib["class"] == "chart-row"
    assert part(unlimited, "chart-available") is None
    assert part(unlimited, "chart-used") is not None
    assert "100.00" in texts_in(root, "chart-row")


def test_available_amounts_are_hatched_and_outlined_so_they_print_in_black_and_white() -> None:
    root = parsed(progress_bars([("1.1", Decimal(1), Decimal(4))], title="T", description="D"))

    pattern = root.find(f".//{SVG}pattern")
    assert pattern is not None
    available = next(
        rect for rect in root.iter(SVG + "rect") if rect.get("class") == "chart-available"
    )
    assert available.attrib["fill"] == f"url(#{pattern.attrib['id']})"
    assert available.attrib["stroke"]
    assert pattern.find(f"{SVG}line") is not None


def test_the_occupancy_chart_is_drawn_once_for_the_same_months_and_language() -> None:
    """Issue 15: after an event of a case the housing figures are the same; the chart (a tenth
    of the ministry's dashboard) is not drawn again, and other months or another language get
    a chart of their own."""
    italian, english = Catalogues().translator("it"), Catalogues().translator("en")
    months = ((date(2020, 1, 1), 3, 5), (date(2020, 2, 1), 4, 5))
    chart = occupancy_chart(months, italian)
    assert chart is not None and "Occupazione" in chart and "gen 20" in chart
    assert occupancy_chart(tuple(months), italian) is chart
    other = occupancy_chart(((date(2020, 1, 1), 3, 5), (date(2020, 2, 1), 5, 5)), italian)
    assert other is not None and other != chart
    english_chart = occupancy_chart(months, english)
    assert english_chart is not None and "Occupancy over time" in english_chart
    assert occupancy_chart((), italian) is None

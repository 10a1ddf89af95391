"""Writing a chart's SVG: the drawing's units (700 wide, fonts of 13) and text colour, the
opening `<svg role="img">` with its title and description, elements with every attribute
escaped, text, tooltips and groups, coordinates written short and the same on every run, and
the estimated width of a text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from markupsafe import Markup, escape

# The coordinate system: 700 units wide, drawn at 100% of the content column (about 700 px on
# a desktop), so a font size of 13 units reads as about 13 px.
WIDTH = 700
FONT_SIZE = 13
# An average character of Titillium Web is narrower than this: estimating wide keeps labels
# from overlapping.
CHARACTER_WIDTH = 0.6 * FONT_SIZE
LONGEST_AXIS_LABEL = 18
TEXT_COLOUR = "#1a1a1a"


def svg_opening(
    chart_id: str, css_class: str, height: float, title: str, description: str
) -> Markup:
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
                "viewBox": f"0 0 {WIDTH} {units(height)}",
                "width": "100%",
                "font-family": "'Titillium Web', Geneva, Tahoma, sans-serif",
                "font-size": str(FONT_SIZE),
            },
        )
        + svg_element("title", {"id": f"{chart_id}-title"}, escape(title))
        + svg_element("desc", {"id": f"{chart_id}-desc"}, escape(description))
    )


def unique_id(kind: str, title: str, description: str) -> str:
    """The same on every rendering of the same chart (pages stay byte-for-byte comparable),
    different for different charts on one page."""
    digest = hashlib.sha256(f"{kind}\n{title}\n{description}".encode()).hexdigest()
    return f"chart-{digest[:12]}"


def svg_text(
    content: str,
    *,
    x: float,
    y: float,
    css_class: str,
    anchor: str = "start",
    rotate: int = 0,
    centred_vertically: bool = False,
) -> Markup:
    attributes = {"class": css_class, "x": units(x), "y": units(y), "fill": TEXT_COLOUR}
    if anchor != "start":
        attributes["text-anchor"] = anchor
    if centred_vertically:
        attributes["dy"] = "0.35em"
    if rotate:
        attributes["transform"] = f"rotate({rotate} {units(x)} {units(y)})"
    return svg_element("text", attributes, escape(content))


def tooltip(content: str) -> Markup:
    return svg_element("title", {}, escape(content))


def svg_group(css_class: str, content: Markup) -> Markup:
    return svg_element("g", {"class": css_class}, content)


def _start(name: str, attributes: dict[str, str]) -> Markup:
    rendered = joined(Markup(' {}="{}"').format(key, value) for key, value in attributes.items())
    return Markup("<{}{}>").format(name, rendered)


def svg_element(name: str, attributes: dict[str, str], content: Markup | None = None) -> Markup:
    """An element, every attribute value escaped; `content` is escaped too unless markup."""
    if not content:
        return _start(name, attributes)[:-1] + Markup("/>")
    return _start(name, attributes) + Markup("{}</{}>").format(content, name)


def joined(parts: Iterable[Markup]) -> Markup:
    """The parts one after another: a plain string among them would be escaped, not trusted."""
    return Markup().join(parts)


def shortened(label: str, room: float = LONGEST_AXIS_LABEL * CHARACTER_WIDTH) -> str:
    """The label cut with an ellipsis when wider than `room` (the whole label stays in the
    mark's data-label and tooltip)."""
    most = max(4, int(room / CHARACTER_WIDTH))
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def width_of(text: str) -> float:
    return len(text) * CHARACTER_WIDTH


def units(coordinate: float) -> str:
    """A coordinate with at most two decimals: small markup, same text on every run."""
    text = f"{coordinate:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text

"""Charts drawn on the server as inline SVG: readable without JavaScript, legible when printed
(black text, patterns as well as colours, a caption and a data table beside each chart in the
templates), and the same for every browser. One module per kind of chart (bars, lines,
progress), laid out by `layout` (scale, axes, legend, series styles) and written by `svg`.
Pure functions of already-translated labels and values; each returns markup ready for a Jinja2
template.

Every chart is an `<svg role="img">` with a `<title>` and a `<desc>` (for screen readers), a
`viewBox` so it scales with the page, and `data-` attributes on each mark (`data-label`,
`data-value`) so tests, and anyone reading the markup, can check what is drawn.

With nothing to draw (no bars, no labels or no values, no rows) a function returns an empty
`Markup("")`: the template tests for it and says there is no data in a sentence instead.

The page's Content-Security-Policy forbids `style=""` attributes and `<style>` elements, so
the looks come from SVG presentation attributes (a sensible default when the stylesheet is
missing) and from the classes styled in web/static/css/charts.css (which win over them)."""

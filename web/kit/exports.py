"""Every table the pages show can be downloaded as CSV, as CSV for Italian spreadsheets and as
XLSX (`openpyxl`), stamped with
the moment it reflects (now, or the as-of moment chosen by an auditor or the ministry) and the
event position of the read models it was read from, so the same export can be reproduced
later (`lgnet replay --as-of`, or the as-of picker, at that moment).

An export route is named after its page's, plus `_export`, with a `{fmt}` path parameter
(`csv`, `csv-it` or `xlsx`). It calls `start_export` first (the format and the table checked,
the stamp taken), reads the same query its page renders, and answers with
`ExportRequest.respond`. The
`export_links` macro (templates/macros/exports.html) puts the three links beside the table.

File layout (docs/exports.md): CSV (UTF-8 with BOM, so spreadsheets read accents; lines end
CRLF) starts with `Table,<title>`, `As of,<ISO 8601 moment>`, `Event position,<n>` and one
`Filter,<name>,<value>` line per filter the page had, then an empty line, then the header and
the rows: dates ISO 8601, amounts with a `.` decimal separator. The Italian CSV (`csv-it`) is
the same with `;` between fields and a decimal comma, as Excel and LibreOffice set to Italian
read it (a comma-separated file opens there as one column). XLSX has the table on its first
sheet from A1 (header row bold and frozen, an autofilter), real numbers and dates, and a second
sheet `About` with the same facts. The stamps' keys follow the reader's language (`Tabella`,
`Situazione al`, ... in Italian; `Table`, `As of`, ... in English), like the title, the headings
and the filters.

Text comes from what people typed (notes, reasons, document references, names), and the files
are opened in spreadsheets: no text may become a formula there (CSV injection). In CSV a text
beginning with one of FORMULA_TRIGGERS gets a leading `'` (OWASP's advice), and so does every
part of it that follows a separator a spreadsheet may split on (`,`, `;`, a tab, a line break):
a file is not always opened with the separator it was written with (issue 18: `Casa
Test;=1+1;` in a comma-separated file ran as a formula in Italian Excel). A text holding a
separator, a quote or a line break is quoted. In XLSX every text
is written as a string cell (openpyxl would write one beginning with `=` as a formula, and
`#N/A` as an error), those beginning with a trigger with Excel's quote prefix too. Numbers,
amounts and dates are not text and stay numbers, negative ones included."""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from web.kit.errors import ResourceNotFound
from web.kit.i18n import DISPLAY_TIMEZONE, N_, Translator
from web.services import WebServices

ExportFormat = Literal["csv", "csv-it", "xlsx"]
ColumnKind = Literal["text", "int", "decimal", "money", "percent", "date", "datetime"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "csv-it", "xlsx")
# An export is a download of what a page shows, not a dump: the longest tables (the auditors'
# event browser) stop here, and their title says so.
MAX_EXPORT_ROWS = 10_000
# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet may start a new cell inside a text: the separators of both CSV variants,
# the tab, and line breaks.
SEPARATORS = (",", ";", "\t", "\r", "\n")
_AFTER_A_SEPARATOR = re.compile(r"([,;\t\r\n])(?=[ ]*[=+\-@\t\r])")
_NEEDS_QUOTES = re.compile(r'[,;\t\r\n"]')

_MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "csv-it": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_NUMBER_FORMATS = {
    "int": "#,##0",
    "decimal": "#,##0.00",
    "money": "#,##0.00",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
_SUFFIXES = {"csv": ".csv", "csv-it": "-it.csv", "xlsx": ".xlsx"}
_CENTS = Decimal("0.01")
_NUMERIC_KINDS = frozenset({"int", "decimal", "money", "percent"})
# The stamps' keys, in the reader's language.
_STAMP_KEYS = (N_("Table"), N_("As of"), N_("Event position"), N_("Filter applied"))
_ENGLISH_KEYS = ("Table", "As of", "Event position", "Filter")
_NOT_IN_XLSX: re.Pattern[str] = ILLEGAL_CHARACTERS_RE
_MIN_WIDTH, _MAX_WIDTH = 8, 60


@dataclass(frozen=True)
class Column:
    heading: str
    """Translated, as on the page."""
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Table:
    name: str
    """The file name without extension, e.g. `cases-milano`."""
    title: str
    """Translated, as the page's caption."""
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    """Values as the query returns them: str, int, Decimal, date, datetime, None."""
    as_of: datetime
    position: int
    filters: Sequence[tuple[str, str]] = ()
    """The page's filters, as (translated name, value as shown); none for an unfiltered page."""


class UnknownExport(ResourceNotFound):
    """Raised when an export's path names a format or a table the page does not offer."""

    code = "unknown_export"

    def explain(self, translator: Translator) -> str:
        return translator.gettext(
            N_("There is no such download: tables download as %(formats)s."),
            formats=", ".join(format_.upper() for format_ in EXPORT_FORMATS))


def export_format(fmt: str) -> ExportFormat:
    """The format a route's `{fmt}` names; raises UnknownExport (404) for any other."""
    for known in EXPORT_FORMATS:
        if fmt == known:
            return known
    raise UnknownExport(fmt)


def table_stamp(services: WebServices) -> tuple[datetime, int]:
    """What an export of a table read from `services` reflects: the as-of moment (services seen
    as of a past moment carry it as `moment`) or now, and the read models' event position."""
    moment: datetime | None = getattr(services, "moment", None)
    return (moment or services.now(), services.indicators.position())


@dataclass(frozen=True)
class ExportRequest:
    """A download under way: the format asked for, and the stamp its table will carry."""

    format: ExportFormat
    as_of: datetime
    position: int
    translator: Translator | None = None
    """The reader's: the stamps' keys in their language (English without one)."""

    def respond(
        self, *, name: str, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
        filters: Sequence[tuple[str, str | None]] = (),
    ) -> Response:
        """The table as a download; a filter whose value is None or empty (not set on the page)
        is left out."""
        return export_response(Table(
            name=name, title=title, columns=columns, rows=rows, as_of=self.as_of,
            position=self.position, filters=[(n, v) for n, v in filters if v],
        ), self.format, self.translator)


def start_export(
    services: WebServices, fmt: str, table: str | None = None, offered: Collection[str] = (),
    translator: Translator | None = None,
) -> ExportRequest:
    """What an export route calls before reading its query: raises UnknownExport (404) for a
    format other than CSV and XLSX or, when the page has several tables, a `table` not among
    those `offered`. The stamp is taken before the query, so the table reflects at least the
    events up to its position."""
    chosen = export_format(fmt)
    if table is not None and table not in offered:
        raise UnknownExport(table)
    return ExportRequest(chosen, *table_stamp(services), translator)


def export_response(
    table: Table, fmt: ExportFormat, translator: Translator | None = None
) -> Response:
    """The file, as a download (Content-Disposition: attachment); its stamps in the language of
    `translator` (the reader's), in English without one."""
    if fmt == "xlsx":
        content = to_xlsx(table, translator)
    else:
        content = to_csv(table, translator, italian=fmt == "csv-it")
    day = table.as_of.astimezone(DISPLAY_TIMEZONE).date().isoformat()
    return Response(content, media_type=_MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{table.name}-{day}{_SUFFIXES[fmt]}"',
        # The same rule as the pages': special-category data is never kept by a cache.
        "Cache-Control": "no-store",
    })


def _stamps(table: Table, translator: Translator | None = None) -> list[list[Any]]:
    keys = [translator.gettext(key) for key in _STAMP_KEYS] if translator else _ENGLISH_KEYS
    return [
        [keys[0], table.title],
        [keys[1], table.as_of.astimezone(DISPLAY_TIMEZONE).isoformat()],
        [keys[2], table.position],
        *([keys[3], name, value] for name, value in table.filters),
    ]


def to_csv(table: Table, translator: Translator | None = None, *, italian: bool = False) -> bytes:
    """The table as CSV: comma-separated with a decimal point, or (`italian`) `;`-separated
    with a decimal comma."""
    delimiter = ";" if italian else ","
    lines: list[list[str]] = [
        # The title and the filters' values may hold typed text too (a shelter's name, say).
        [_text_field(value) if isinstance(value, str) else str(value) for value in line]
        for line in _stamps(table, translator)]
    lines += [[], [_text_field(column.heading) for column in table.columns]]
    for row in table.rows:
        lines.append([
            _text_field(value) if isinstance(value, str)
            else _written(value, column.kind, italian)
            for value, column in zip(row, table.columns, strict=True)])
    text = "".join(delimiter.join(line) + "\r\n" for line in lines)
    return text.encode("utf-8-sig")


def _text_field(text: str) -> str:
    """A text as a CSV field: inert, and quoted when it holds a separator of either variant, a
    quote or a line break (a quote inside doubled), as Python's csv reader and spreadsheets
    read it back. Numbers and dates are never quoted: `1234,50` is a number to Italian Excel."""
    inert = _inert(text)
    return '"' + inert.replace('"', '""') + '"' if _NEEDS_QUOTES.search(inert) else inert


def _inert(text: str) -> str:
    """Text a spreadsheet shows as it is, never runs as a formula, whichever separator it
    splits the line on: a `'` before the text when it begins like a formula, and after every
    separator followed by what begins one."""
    text = _AFTER_A_SEPARATOR.sub(r"\1'", text)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def _written(value: Any, kind: ColumnKind, italian: bool) -> str:
    """A value as the CSV variant writes it: the Italian one with a decimal comma."""
    plain = _plain(value, kind)
    return plain.replace(".", ",") if italian and kind in _NUMERIC_KINDS else plain


def _plain(value: Any, kind: ColumnKind) -> str:
    """The value written out: numbers with a `.`, amounts with two decimals, ISO 8601 dates."""
    if value is None:
        return ""
    if kind == "money" and isinstance(value, Decimal):
        return str(value.quantize(_CENTS))
    if isinstance(value, datetime):
        return value.astimezone(DISPLAY_TIMEZONE).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_xlsx(table: Table, translator: Translator | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    # Excel allows 31 characters and none of []:*?/\ in a sheet's name.
    sheet.title = "".join(c for c in _xml_text(table.title) if c not in "[]:*?/\\")[:31] or "Table"
    sheet.append([column.heading for column in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(column.heading) for column in table.columns]
    for row in table.rows:
        _append_row(sheet, row)
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(_plain(value, "text")))
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(max(widths[index - 1] + 2, _MIN_WIDTH),
                                                    _MAX_WIDTH)
        number_format = _NUMBER_FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    if table.columns:
        sheet.auto_filter.ref = (
            f"A1:{get_column_letter(len(table.columns))}{max(len(table.rows) + 1, 2)}")
    about = workbook.create_sheet("About")
    for line in _stamps(table, translator):
        _append_row(about, line)
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = min(max(len(table.title), 30), _MAX_WIDTH)
    for (cell,) in about.iter_rows(max_col=1):
        cell.font = Font(bold=True)
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


def _append_row(sheet: Worksheet, values: Sequence[Any]) -> None:
    sheet.append([_xlsx_cell(sheet, value) for value in values])


def _xlsx_cell(sheet: Worksheet, value: Any) -> Cell:
    cell = Cell(sheet, value=_xlsx_value(value))
    if isinstance(cell.value, str):
        # Never a formula (openpyxl makes one of any text beginning with "="), nor an error
        # value ("#N/A"): text is text.
        cell.data_type = "s"
        if cell.value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True  # Excel's own mark of text, kept when the cell is edited
    return cell


def _xlsx_value(value: Any) -> Any:
    """Spreadsheets keep no time zone: a moment becomes Rome's wall-clock time, as the pages
    show it."""
    if isinstance(value, datetime):
        return value.astimezone(DISPLAY_TIMEZONE).replace(tzinfo=None)
    if isinstance(value, str):
        return _xml_text(value)
    return value


def _xml_text(text: str) -> str:
    """`text` without the control characters an XLSX file cannot hold (openpyxl refuses them):
    a vertical tab pasted into a note, say."""
    return _NOT_IN_XLSX.sub("", text)

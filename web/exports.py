"""Every table the pages show can be downloaded as CSV and as XLSX (`openpyxl`), stamped with
the moment it reflects (now, or the as-of moment chosen by an auditor or the ministry) and the
event position of the read models it was read from, so the same export can be reproduced
later (`lgnet replay --as-of`, or the as-of picker, at that moment).

A page module builds a `Table` from the same query its page renders, and answers with
`export_response(table, fmt)`; its export route is named after the page's, plus `_export`, with a
`{fmt}` path parameter (`csv` or `xlsx`). The `export_links` macro
(templates/macros/exports.html) puts the two links beside the table.

File layout (docs/exports.md): CSV (UTF-8 with BOM, so spreadsheets read accents; lines end
CRLF) starts with `Table,<title>`, `As of,<ISO 8601 moment>`, `Event position,<n>` and one
`Filter,<name>,<value>` line per filter the page had, then an empty line, then the header and
the rows: dates ISO 8601, amounts with a `.` decimal separator. XLSX has the table on its first
sheet from A1 (header row bold and frozen, an autofilter), real numbers and dates, and a second
sheet `About` with the same facts. The stamps' keys are fixed English words (a file format that
programs read); the title, the headings and the filters are in the reader's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from web.errors import ResourceNotFound
from web.i18n import DISPLAY_TIMEZONE, N_, Translator
from web.services import WebServices

ExportFormat = Literal["csv", "xlsx"]
ColumnKind = Literal["text", "int", "decimal", "money", "percent", "date", "datetime"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx")
# An export is a download of what a page shows, not a dump: the longest tables (the auditors'
# event browser) stop here, and their title says so.
MAX_EXPORT_ROWS = 10_000

_MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
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
_CENTS = Decimal("0.01")
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


def export_response(table: Table, fmt: ExportFormat) -> Response:
    """The file, as a download (Content-Disposition: attachment)."""
    content = to_csv(table) if fmt == "csv" else to_xlsx(table)
    day = table.as_of.astimezone(DISPLAY_TIMEZONE).date().isoformat()
    return Response(content, media_type=_MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{table.name}-{day}.{fmt}"',
        # The same rule as the pages': special-category data is never kept by a cache.
        "Cache-Control": "no-store",
    })


def _stamps(table: Table) -> list[list[Any]]:
    return [
        ["Table", table.title],
        ["As of", table.as_of.astimezone(DISPLAY_TIMEZONE).isoformat()],
        ["Event position", table.position],
        *(["Filter", name, value] for name, value in table.filters),
    ]


def to_csv(table: Table) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows(_stamps(table))
    writer.writerow([])
    writer.writerow([column.heading for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(value, column.kind)
                         for value, column in zip(row, table.columns, strict=True)])
    return text.getvalue().encode("utf-8-sig")


def _csv_value(value: Any, kind: ColumnKind) -> str:
    if value is None:
        return ""
    if kind == "money" and isinstance(value, Decimal):
        return str(value.quantize(_CENTS))
    if isinstance(value, datetime):
        return value.astimezone(DISPLAY_TIMEZONE).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_xlsx(table: Table) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    # Excel allows 31 characters and none of []:*?/\ in a sheet's name.
    sheet.title = "".join(c for c in table.title if c not in "[]:*?/\\")[:31] or "Table"
    sheet.append([column.heading for column in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(column.heading) for column in table.columns]
    for row in table.rows:
        values = [_xlsx_value(value) for value in row]
        sheet.append(values)
        for index, value in enumerate(values):
            widths[index] = max(widths[index], len(_csv_value(value, "text")))
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
    for line in _stamps(table):
        about.append(line)
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = min(max(len(table.title), 30), _MAX_WIDTH)
    for (cell,) in about.iter_rows(max_col=1):
        cell.font = Font(bold=True)
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


def _xlsx_value(value: Any) -> Any:
    """Spreadsheets keep no time zone: a moment becomes Rome's wall-clock time, as the pages
    show it."""
    if isinstance(value, datetime):
        return value.astimezone(DISPLAY_TIMEZONE).replace(tzinfo=None)
    return value

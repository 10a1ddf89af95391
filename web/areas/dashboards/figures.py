"""What a dashboard shows, ready for its templates and its exports: cells (a value, its text in
the request's language, and the link to the records behind it), rows, tables, headline figures,
and the charts, drawn when a template first shows them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from web.kit.exports import Column, Table, table_stamp
from web.services import WebServices


@dataclass(frozen=True)
class Cell:
    value: Any
    """As exported: int, Decimal, str, date or None."""
    text: str
    """As shown, in the request's language."""
    href: str | None = None
    """The records behind the figure, where the viewer may open them."""
    counts: bool = False
    """A number of records (cases, referrals...): the list behind it has as many."""


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class SortHeader:
    href: str
    direction: str | None
    """"ascending" or "descending" on the column the table is sorted by (aria-sort)."""


@dataclass(frozen=True)
class ColumnGroup:
    """A heading over `span` columns of a table (a `<colgroup>`); None over a column whose
    own heading spans both rows."""

    heading: str | None
    span: int = 1


@dataclass(frozen=True)
class FigureTable:
    """One table of a dashboard: shown with a link per figure, exported with the values."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    totals: tuple[Row, ...] = ()
    note: str | None = None
    sorting: tuple[SortHeader, ...] = ()
    groups: tuple[ColumnGroup, ...] = ()
    """Headings over runs of columns, in order, covering every column; none: one row of
    headings."""
    short_headings: tuple[str | None, ...] = ()
    """Per column, a shorter heading shown in its place, the full one in its `<abbr title>`
    (the export keeps the full one); None: the full heading."""

    def export(self, file_name: str, services: WebServices,
               filters: Sequence[tuple[str, str]] = ()) -> Table:
        as_of, position = table_stamp(services)
        return Table(
            name=file_name, title=self.title, columns=self.columns,
            rows=[[cell.value for cell in row.cells] for row in (*self.rows, *self.totals)],
            as_of=as_of, position=position, filters=filters,
        )


@dataclass(frozen=True)
class Figure:
    """A headline figure."""

    key: str
    label: str
    text: str
    href: str | None
    note: str | None = None
    count: int | None = None
    """The number of records the figure counts, if it counts records."""


@dataclass(frozen=True)
class DashboardView:
    position: int
    figures: tuple[Figure, ...]
    tables: dict[str, FigureTable]
    charts: Mapping[str, Markup | None] = field(default_factory=dict)


class DrawnWhenShown(Mapping[str, Markup | None]):
    """A dashboard's charts, each drawn the first time a template shows it: a section reloaded
    by itself (`?part=`, at every projected event on every open dashboard) draws only its own,
    and drawing is most of what is left of a section's cost."""

    def __init__(self, draw: dict[str, Callable[[], Markup | None]]) -> None:
        self._draw = draw
        self._drawn: dict[str, Markup | None] = {}

    def __getitem__(self, name: str) -> Markup | None:
        if name not in self._drawn:
            self._drawn[name] = self._draw[name]()
        return self._drawn[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._draw)

    def __len__(self) -> int:
        return len(self._draw)


def file_name(table: str, where: str) -> str:
    return f"dashboard-{where}-{table.replace('_', '-')}"

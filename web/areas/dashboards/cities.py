"""The ministry's table of the 19 cities side by side, sortable by any of its columns, each figure
leading to the records behind it and each city's name to its dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fastapi import Request

from domain.access import Principal
from projections.indicators.figures import CityRow, NetworkDashboard
from web.areas.dashboards.dashboard import Dashboard
from web.areas.dashboards.figures import Cell, ColumnGroup, FigureTable, Row, SortHeader
from web.areas.dashboards.links import DrillDown, city_path
from web.kit.exports import Column
from web.kit.labels import Labels
from web.kit.templating import path_with_query

# The columns of the ministry's table of cities (CityRow's fields), each sortable.
CITY_COLUMNS = (
    "city", "taken_in", "open", "vulnerable", "referrals", "median_response_hours",
    "housed_now", "beds", "occupancy_rate", "activities", "participants", "hours", "allocated",
    "claimed", "approved",
)


_CENT = Decimal("0.01")


def sorted_cities(rows: Sequence[CityRow], column: str, order: str,
                  labels: Labels) -> list[CityRow]:
    """The rows sorted by `column`; a figure that cannot be computed (no answered referral, no
    bed) comes last either way; ties keep the cities' alphabetical order."""
    def key(row: CityRow) -> Any:
        return labels.city(row.city).casefold() if column == "city" else getattr(row, column)

    present = [row for row in rows if key(row) is not None]
    missing = [row for row in rows if key(row) is None]
    present.sort(key=key, reverse=order == "desc")
    return present + missing


def cities_table(
    dashboard: NetworkDashboard, figures: Dashboard, request: Request, principal: Principal,
    column: str, order: str,
) -> FigureTable:
    """The table of cities, sorted by `column`; `figures` (the network's) writes its cells."""
    _, labels = figures.translator.gettext, figures.labels
    columns = (
        Column(_("City")), Column(_("Cases taken in"), "int"), Column(_("Open cases"), "int"),
        Column(_("Vulnerable cases"), "int"), Column(_("Referrals"), "int"),
        Column(_("Median response time (hours)"), "decimal"), Column(_("Housed now"), "int"),
        Column(_("Beds"), "int"), Column(_("Occupancy rate"), "percent"),
        Column(_("Activities"), "int"), Column(_("Participants (cases)"), "int"),
        Column(_("Hours of attendance"), "decimal"), Column(_("Allocated"), "money"),
        Column(_("Claimed"), "money"), Column(_("Approved"), "money"),
    )  # in the order of CITY_COLUMNS
    sorting = tuple(SortHeader(
        href=path_with_query(request, sort=name, part=None, order=(
            ("desc" if order == "asc" else "asc") if name == column
            else ("asc" if name == "city" else "desc"))) + "#part-cities",
        direction=("ascending" if order == "asc" else "descending") if name == column else None,
    ) for name in CITY_COLUMNS)
    rows = []
    for row in sorted_cities(dashboard.cities, column, order, labels):
        city_dashboard = city_path(request.app, "city_dashboard", row.city)
        links = DrillDown(request, principal, row.city)
        rows.append(Row(row.city, (
            Cell(row.city, labels.city(row.city), city_dashboard),
            figures.count(row.taken_in, links.cases()),
            figures.count(row.open, links.cases(status="open")),
            figures.count(row.vulnerable, links.cases(vulnerability="any")),
            figures.count(row.referrals, links.referrals()),
            figures.measure(row.median_response_hours, links.referrals(answered="true")),
            figures.count(row.housed_now, links.placements(housed="true")),
            figures.count(row.beds, links.housing()),
            figures.share(row.occupancy_rate, links.housing()),
            figures.count(row.activities, links.activities()),
            figures.count(row.participants, links.activities()),
            figures.measure(row.hours, links.activities()),
            figures.money(row.allocated, links.finance()),
            figures.money(row.claimed, links.finance()),
            figures.money(row.approved, links.finance()),
        )))
    every = dashboard.cities
    housed, beds = sum(r.housed_now for r in every), sum(r.beds for r in every)
    totals = Row("network", (
        figures.text(_("Network total")),
        *(figures.count(sum(getattr(r, name) for r in every))
          for name in ("taken_in", "open", "vulnerable", "referrals")),
        # A median cannot be summed: the network's, over all its answered referrals.
        figures.measure(dashboard.network.referrals.response_time.median),
        figures.count(housed), figures.count(beds),
        figures.share((Decimal(housed) / Decimal(beds)).quantize(_CENT, ROUND_HALF_UP)
                      if beds else None),
        *(figures.count(sum(getattr(r, name) for r in every))
          for name in ("activities", "participants")),
        figures.measure(sum((r.hours for r in every), Decimal(0))),
        *(figures.money(sum((getattr(r, name) for r in every), Decimal(0)))
          for name in ("allocated", "claimed", "approved")),
    ))
    return FigureTable(
        name="cities", title=_("The 19 cities side by side"),
        columns=columns,
        rows=tuple(rows), totals=(totals,), sorting=sorting,
        # Fifteen columns fit a laptop's screen under five headings, each column named
        # shortly (its full name in the abbreviation's title, and in the exports).
        groups=(ColumnGroup(None), ColumnGroup(_("Cases"), 3), ColumnGroup(_("Referrals"), 2),
                ColumnGroup(_("Housing"), 3), ColumnGroup(_("Community activities"), 3),
                ColumnGroup(_("Budget"), 3)),
        short_headings=(
            None, _("Taken in"), _("Still open"), _("Vulnerable people"), _("Requested"),
            _("Median time (h)"), None, None, _("Occup."), None, _("Particip."), _("Hours"),
            None, None, None,
        ),
        note=_("Sort by any column with its heading. A city's name opens its dashboard; a "
               "figure, the records behind it."),
    )

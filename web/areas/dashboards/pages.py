"""The dashboards: the ministry's (19 cities side by side, sortable, drill-down to a city) and
each city's, with the programme's indicators by sub-action, charts, drill-down lists and
exports.

Every figure a city's dashboard shows links to the records behind it, where the viewer may open
them: a case figure to the city's case list with the filters that give exactly that many cases,
a referral figure to the list of those referrals (`indicator_referrals`), a housing figure to
the list of those placements (`indicator_placements`), an activity figure to the activity
register, an expenditure figure to the city's budget page. The pages read the indicators once
(projections.indicators) and shape them here into figures and tables: the page, its htmx
fragments, its exports and the API all show the same numbers.

Live: while the record is viewed as it is now, each section of a dashboard reloads itself
(htmx, `?part=<section>` with the HX-Request header) when the live stream (web.kit.live)
says the read models moved on. Viewing the past, nothing moves."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Annotated, Any, Protocol, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from domain.access import Permission, Principal, may
from domain.housing.model import HousingStage
from domain.network import City
from domain.referrals.rules import ReferralStatus
from events.housing import MoveOutOutcome
from events.referrals import CityService
from projections.finance import BudgetLine
from projections.housing import PlacementRow
from projections.indicators import (
    OTHER_NATIONALITIES,
    ActivityLine,
    Breakdown,
    CityRow,
    Indicators,
    NetworkDashboard,
)
from projections.referrals import ReferralRow
from web.areas.dashboards.vocabulary import (
    CASE_BREAKDOWNS,
    NO_FIGURE,
    key_label,
    money_in_words,
    number_in_words,
    share_in_words,
)
from web.charts import Series, bar_chart, line_chart, progress_bars
from web.kit.as_of import viewing_as_of
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import Problem
from web.kit.exports import (
    Column,
    Table,
    UnknownExport,
    export_format,
    export_response,
    table_stamp,
)
from web.kit.i18n import N_, Translator
from web.kit.labels import Labels
from web.kit.principal import CityToView, NetworkViewer, SignedIn
from web.kit.templating import Pages, is_htmx_fragment_request, path_with_query
from web.kit.vocabulary.housing import PLACEMENT_STATUSES
from web.services import WebServices

router = APIRouter(include_in_schema=False)

# The sections of a dashboard that reload by themselves (`?part=`), in the order shown.
CITY_PARTS = ("headline", "cases", "referrals", "housing", "activities", "expenditure")
MINISTRY_PARTS = (*CITY_PARTS, "cities")
# The tables of a dashboard, each downloadable (`/dashboard/<table>/export.<fmt>`).
CASE_TABLES = tuple(CASE_BREAKDOWNS)
CITY_TABLES = (
    *CASE_TABLES, "intakes", "referral_destinations", "referral_outcomes", "referral_figures",
    "housing_figures", "exits", "occupancy", "activities", "expenditure",
)
MINISTRY_TABLES = ("cities", *CITY_TABLES)
# The columns of the ministry's table of cities (CityRow's fields), each sortable.
CITY_COLUMNS = (
    "city", "taken_in", "open", "vulnerable", "referrals", "median_response_hours",
    "housed_now", "beds", "occupancy_rate", "activities", "participants", "hours", "allocated",
    "claimed", "approved",
)
SORT_ORDERS = ("asc", "desc")
# What the drill-down lists are narrowed by: the contracts' own values.
REFERRAL_DESTINATIONS = (*get_args(CityService), "partner", "transfer")
REFERRAL_STATUSES = tuple(status.value for status in ReferralStatus)
EXIT_OUTCOMES = get_args(MoveOutOutcome)
YES_NO = ("true", "false")
_MAX_PARAMETER = 60
_CENT = Decimal("0.01")


# --- refusing a parameter -----------------------------------------------------------------------


class UnknownChoice(ValueError):
    """Raised when a dashboard's query parameter names a value the page does not offer."""

    code = "unknown_choice"

    def __init__(self, parameter: str, value: str, allowed: Sequence[str]) -> None:
        super().__init__(f"{parameter}={value!r}")
        self.parameter = parameter
        self.value = value
        self.allowed = allowed

    def problem(self, translator: Translator) -> Problem:
        return Problem(field=self.parameter, code=self.code, message=translator.gettext(
            N_('"%(value)s" is not a value of "%(parameter)s" this page knows: use one of '
               '%(allowed)s.'),
            value=self.value, parameter=self.parameter, allowed=", ".join(self.allowed)))


def choice(parameter: str, value: str | None, allowed: Sequence[str]) -> str | None:
    """`value`, if it is one of `allowed`; None if not given (or empty: a form's "all")."""
    if value is None or value == "":
        return None
    if value not in allowed:
        raise UnknownChoice(parameter, value, allowed)
    return value


def yes_or_no(parameter: str, value: str | None) -> bool | None:
    chosen = choice(parameter, value, YES_NO)
    return None if chosen is None else chosen == "true"


def _refuse(request: Request, pages: Pages, translator: Translator,
            refused: UnknownChoice) -> HTMLResponse:
    problem = refused.problem(translator)
    return pages.render(request, "error.html", {
        "status_code": 422, "message": problem.message, "problems": [problem],
    }, status_code=422)


Parameter = Annotated[str | None, Query(max_length=_MAX_PARAMETER)]


# --- what a page shows --------------------------------------------------------------------------


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
class FigureTable:
    """One table of a dashboard: shown with a link per figure, exported with the values."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    totals: tuple[Row, ...] = ()
    note: str | None = None
    sorting: tuple[SortHeader, ...] = ()

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


@lru_cache(maxsize=512)
def city_path(app: FastAPI, route: str, city: str) -> str:
    """The path of a city's page. A dashboard links each of its figures (the ministry's: about a
    thousand), and Starlette finds a route's path by trying every route of the app in turn:
    most of a dashboard's rendering time before these were kept."""
    return str(app.url_path_for(route, city=city))


class DrillDown:
    """Where a figure of one city leads (None: nowhere the viewer may go, or no city)."""

    def __init__(self, request: Request, principal: Principal, city: str | None) -> None:
        self._request = request
        self._principal = principal
        self.city = city

    def _url(self, route: str, permission: Permission, **query: str) -> str | None:
        if self.city is None or not may(self._principal, permission, City(self.city)):
            return None
        path = city_path(self._request.app, route, self.city)
        return path + ("?" + urlencode(query) if query else "")

    def cases(self, **filters: str) -> str | None:
        return self._url("case_list", Permission.LIST_CASES, **filters)

    def referrals(self, **filters: str) -> str | None:
        return self._url("indicator_referrals", Permission.VIEW_CITY, **filters)

    def placements(self, **filters: str) -> str | None:
        return self._url("indicator_placements", Permission.VIEW_CITY, **filters)

    def housing(self) -> str | None:
        return self._url("city_housing", Permission.VIEW_CITY)

    def activities(self, sub_action: str | None = None) -> str | None:
        if sub_action is None:
            return self._url("activity_register", Permission.VIEW_CITY)
        return self._url("activity_register", Permission.VIEW_CITY, sub_action=sub_action)

    def finance(self) -> str | None:
        return self._url("city_finance", Permission.VIEW_CITY)


class Dashboard:
    """The indicators of a city (or of the network) as figures, tables and charts."""

    def __init__(self, indicators: Indicators, links: DrillDown, translator: Translator,
                 network_links: Callable[[str], str] | None = None) -> None:
        self.indicators = indicators
        self.links = links
        self.translator = translator
        self.labels = Labels(translator)
        # On the ministry's dashboard a headline figure leads to the cities sorted by it.
        self.network_links = network_links
        self._ = translator.gettext

    # Cells, in the request's language.

    def count(self, value: int, href: str | None = None) -> Cell:
        return Cell(value, number_in_words(value, self.translator), href, counts=True)

    def measure(self, value: int | Decimal | None, href: str | None = None) -> Cell:
        return Cell(value, number_in_words(value, self.translator), href)

    def share(self, value: Decimal | None, href: str | None = None) -> Cell:
        return Cell(value, share_in_words(value, self.translator), href)

    def money(self, value: Decimal, href: str | None = None) -> Cell:
        return Cell(value, money_in_words(value, self.translator), href)

    def text(self, value: str) -> Cell:
        return Cell(value, value)

    def sub_action(self, code: str) -> Cell:
        return self.text(self.labels.numbered_sub_action(code))

    def view(self) -> DashboardView:
        tables = [*self.case_tables(), *self.referral_tables(), *self.housing_tables(),
                  self.activity_table(), self.expenditure_table()]
        return DashboardView(
            position=self.indicators.position,
            figures=self.headline(),
            tables={table.name: table for table in tables},
            charts=DrawnWhenShown({"intakes": self.intakes_chart,
                                   "occupancy": self.occupancy_chart,
                                   "expenditure": self.expenditure_chart}),
        )

    # The headline.

    def headline(self) -> tuple[Figure, ...]:
        ind, links, _ = self.indicators, self.links, self._
        housing, spent = ind.housing, ind.expenditure.total

        def figure(key: str, label: str, text: str, href: str | None,
                   note: str | None = None, count: int | None = None) -> Figure:
            if self.network_links is not None:
                href = self.network_links(key)
            return Figure(key, label, text, href, note, count)

        def counted(key: str, label: str, count: int, href: str | None) -> Figure:
            return figure(key, label, number_in_words(count, self.translator), href,
                          count=count)

        return (
            counted("taken_in", _("Cases taken in"), ind.cases.taken_in, links.cases()),
            counted("open", _("Open cases"), ind.cases.open, links.cases(status="open")),
            counted("vulnerable", _("Vulnerable cases"), ind.cases.vulnerable,
                    links.cases(vulnerability="any")),
            counted("referrals", _("Referrals requested"), ind.referrals.requested,
                    links.referrals()),
            counted("housed_now", _("Housed now"), housing.housed_now,
                    links.placements(housed="true")),
            figure("occupancy_rate", _("Occupancy rate"),
                   share_in_words(housing.occupancy_rate, self.translator), links.housing(),
                   _("of %(beds)s beds", beds=number_in_words(housing.beds, self.translator))),
            figure("participants", _("Activity participants"),
                   number_in_words(ind.activities.total.participants, self.translator),
                   links.activities()),
            figure("claimed", _("Expenditure claimed"),
                   money_in_words(spent.claimed, self.translator), links.finance(),
                   _("of %(allocated)s allocated",
                     allocated=money_in_words(spent.allocated, self.translator))),
        )

    # Sub-Action 3: the cases taken in.

    def case_tables(self) -> list[FigureTable]:
        cases, links, _ = self.indicators.cases, self.links, self._
        breakdowns: dict[str, tuple[Breakdown, str, str | None]] = {
            # dimension: (breakdown, its total's label, the total's drill-down)
            "protection_status": (cases.by_protection_status, _("All cases"), links.cases()),
            "sex": (cases.by_sex, _("All cases"), links.cases()),
            "age_band": (cases.by_age_band, _("All cases"), links.cases()),
            "nationality": (cases.by_nationality, _("All cases"), links.cases()),
            "vulnerability": (cases.by_vulnerability, _("Vulnerable cases"),
                              links.cases(vulnerability="any")),
            "outcome": (cases.by_outcome, _("Closed cases"), links.cases(status="closed")),
        }
        tables = []
        for dimension, (breakdown, total_label, total_href) in breakdowns.items():
            title, heading = CASE_BREAKDOWNS[dimension]
            tables.append(self.breakdown_table(
                dimension, _(title), _(heading), _("Cases"), breakdown, dimension,
                self.case_link(dimension),
                total_label, total_href,
                note=_("A case in several categories counts in each; the total counts each "
                       "vulnerable case once.") if dimension == "vulnerability" else None))
        tables.append(FigureTable(
            name="intakes", title=_("Intakes per month"),
            columns=(Column(_("Month")), Column(_("Cases taken in"), "int")),
            rows=tuple(Row(month.month.strftime("%Y-%m"), (
                Cell(month.month.strftime("%Y-%m"), self.month(month.month)),
                self.count(month.value,
                           links.cases(intake_month=month.month.strftime("%Y-%m"))),
            )) for month in cases.intakes_per_month),
        ))
        return tables

    def case_link(self, dimension: str) -> Callable[[str], str | None]:
        """The cases of one key of a breakdown: the case list filtered by it (none for the
        nationalities summed as "other", which no filter gives)."""
        def href(key: str) -> str | None:
            if key == OTHER_NATIONALITIES:
                return None
            return self.links.cases(**{dimension: key})

        return href

    def breakdown_table(
        self, name: str, title: str, heading: str, counted: str, breakdown: Breakdown,
        dimension: str, href_of: Callable[[str], str | None], total_label: str,
        total_href: str | None, note: str | None = None,
    ) -> FigureTable:
        return FigureTable(
            name=name, title=title, columns=(Column(heading), Column(counted, "int")),
            rows=tuple(Row(item.key, (
                self.text(key_label(dimension, item.key, self.labels, self.translator)),
                self.count(item.count, href_of(item.key)),
            )) for item in breakdown.counts),
            totals=(Row("total", (self.text(total_label),
                                  self.count(breakdown.total, total_href))),),
            note=note,
        )

    def month(self, month: date) -> str:
        return self.translator.date(month, "LLLL yyyy")

    # Referrals.

    def referral_tables(self) -> list[FigureTable]:
        referrals, links, _ = self.indicators.referrals, self.links, self._
        times = referrals.response_time
        answered = links.referrals(answered="true")
        return [
            self.breakdown_table(
                "referral_destinations", _("Referrals by destination"), _("Referred to"),
                _("Referrals"), referrals.by_destination, "destination",
                lambda key: links.referrals(destination=key), _("All referrals"),
                links.referrals()),
            self.breakdown_table(
                "referral_outcomes", _("Referrals by outcome"), _("Status"), _("Referrals"),
                referrals.by_outcome, "referral_status",
                lambda key: links.referrals(status=key), _("All referrals"),
                links.referrals()),
            FigureTable(
                name="referral_figures", title=_("How fast referrals were answered"),
                columns=(Column(_("Figure")), Column(_("Value"), "decimal")),
                rows=(
                    Row("requested", (self.text(_("Referrals requested")),
                                      self.count(referrals.requested, links.referrals()))),
                    Row("answered", (self.text(_("Answered (accepted or declined)")),
                                     self.count(times.count, answered))),
                    Row("median_hours", (self.text(_("Median response time (hours)")),
                                         self.measure(times.median, answered))),
                    Row("p90_hours", (self.text(_("90th percentile of the response time "
                                                  "(hours)")),
                                      self.measure(times.p90, answered))),
                    Row("answered_in_time", (
                        self.text(_("Answered before the answer was due")),
                        self.count(referrals.answered_in_time,
                                   links.referrals(in_time="true")))),
                ),
            ),
        ]

    # Sub-Action 4: fast-track housing.

    def housing_tables(self) -> list[FigureTable]:
        housing, links, _ = self.indicators.housing, self.links, self._
        days = housing.days_to_move_in
        moved_in = links.placements(moved_in="true")
        return [
            FigureTable(
                name="housing_figures", title=_("Placements and occupancy"),
                columns=(Column(_("Figure")), Column(_("Value"), "decimal")),
                rows=(
                    Row("placements", (self.text(_("Bed offers made (placements)")),
                                       self.count(housing.placements, links.placements()))),
                    Row("moved_in", (self.text(_("Placements that reached move-in")),
                                     self.count(housing.moved_in, moved_in))),
                    Row("housed_now", (self.text(_("Housed now")),
                                       self.count(housing.housed_now,
                                                  links.placements(housed="true")))),
                    Row("beds", (self.text(_("Beds in the open shelters")),
                                 self.count(housing.beds, links.housing()))),
                    Row("occupancy_rate", (self.text(_("Occupancy rate")),
                                           self.share(housing.occupancy_rate, links.housing()))),
                    Row("median_days", (self.text(_("Days from intake to move-in, median")),
                                        self.measure(days.median, moved_in))),
                    Row("p90_days", (self.text(_("Days from intake to move-in, 90th "
                                                 "percentile")),
                                     self.measure(days.p90, moved_in))),
                ),
            ),
            self.breakdown_table(
                "exits", _("Move-outs by outcome"), _("Outcome"), _("Move-outs"),
                housing.exits_by_outcome, "exit_outcome",
                lambda key: links.placements(outcome=key), _("All move-outs"),
                links.placements(moved_out="true")),
            FigureTable(
                name="occupancy", title=_("Occupancy over time"),
                columns=(Column(_("Month")), Column(_("People housed"), "int"),
                         Column(_("Beds"), "int")),
                rows=tuple(Row(month.strftime("%Y-%m"), (
                    Cell(month.strftime("%Y-%m"), self.month(month)),
                    self.count(housed), self.count(beds),
                )) for month, housed, beds in housing.occupancy_per_month),
                note=_("People housed and beds on the last day of each month."),
            ),
        ]

    # Community activities (Sub-Actions 2, 3, 5, 6).

    def activity_table(self) -> FigureTable:
        activities, _ = self.indicators.activities, self._

        def row(line: ActivityLine, key: str, label: Cell) -> Row:
            href = self.links.activities(line.sub_action)
            return Row(key, (label, *(self.count(value, href) for value in (
                line.activities, line.completed, line.cancelled, line.sessions,
                line.participants, line.residents)), self.measure(line.hours, href)))

        return FigureTable(
            name="activities", title=_("Community activities per sub-action"),
            columns=(Column(_("Sub-action")), Column(_("Activities"), "int"),
                     Column(_("Completed"), "int"), Column(_("Cancelled"), "int"),
                     Column(_("Sessions"), "int"), Column(_("Participants (cases)"), "int"),
                     Column(_("Resident participants"), "int"),
                     Column(_("Hours of attendance"), "decimal")),
            rows=tuple(row(line, line.sub_action or "", self.sub_action(line.sub_action or ""))
                       for line in activities.lines),
            totals=(row(activities.total, "total", self.text(_("All activities"))),),
            note=_("Residents are counted once per session they attended; hours are summed "
                   "over the participants."),
        )

    # Expenditure (Sub-Actions 1-6).

    def expenditure_table(self) -> FigureTable:
        spent, _ = self.indicators.expenditure, self._
        href = self.links.finance()

        def row(line: BudgetLine, key: str, label: Cell) -> Row:
            return Row(key, (label, *(self.money(value, href) for value in (
                line.allocated, line.claimed, line.approved, line.remaining))))

        return FigureTable(
            name="expenditure", title=_("Expenditure per sub-action"),
            columns=(Column(_("Sub-action")), Column(_("Allocated"), "money"),
                     Column(_("Claimed"), "money"), Column(_("Approved"), "money"),
                     Column(_("Remaining"), "money")),
            rows=tuple(row(line, line.sub_action or "", self.sub_action(line.sub_action or ""))
                       for line in spent.lines),
            totals=(row(spent.total, "total", self.text(_("All sub-actions"))),),
            note=_("Claimed: awaiting the ministry's check or approved. Remaining: allocated "
                   "less claimed."),
        )

    # Charts (each beside its data as a table).

    def intakes_chart(self) -> Markup | None:
        months = self.indicators.cases.intakes_per_month
        if not months:
            return None
        return bar_chart(
            [(self.translator.date(m.month, "LLL yy"), m.value) for m in months],
            title=self._("Intakes per month"),
            description=self._("Cases taken in each month, by intake date, from July 2019."),
            format_value=lambda value: number_in_words(value, self.translator),
        )

    def occupancy_chart(self) -> Markup | None:
        months = self.indicators.housing.occupancy_per_month
        if not months:
            return None
        return line_chart(
            [self.translator.date(month, "LLL yy") for month, _housed, _beds in months],
            [Series(self._("People housed"), [housed for _month, housed, _beds in months]),
             Series(self._("Beds"), [beds for _month, _housed, beds in months])],
            title=self._("Occupancy over time"),
            description=self._("People housed and beds in the shelters on the last day of "
                               "each month."),
            format_value=lambda value: number_in_words(value, self.translator),
        )

    def expenditure_chart(self) -> Markup | None:
        lines = [line for line in self.indicators.expenditure.lines if line.allocated]
        if not lines:
            return None
        return progress_bars(
            [(self._("Sub-Action %(number)s", number=line.sub_action or ""), line.claimed,
              line.allocated) for line in lines],
            title=self._("Expenditure against allocation"),
            description=self._("For each sub-action with an allocation: what was claimed "
                               "(awaiting the check or approved) against what was allocated."),
            format_value=lambda value: money_in_words(Decimal(value), self.translator),
        )


# --- the ministry's table of cities -------------------------------------------------------------


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
        note=_("Sort by any column with its heading. A city's name opens its dashboard; a "
               "figure, the records behind it."),
    )


# --- the pages ----------------------------------------------------------------------------------


def live_stream_url(request: Request, since: int) -> str:
    """The live stream, told which position the page's figures show: it announces nothing until
    the read models move past it (so a page just loaded does not reload its sections)."""
    return f"{request.app.url_path_for('live_stream')}?{urlencode({'since': since})}"


def _dashboard_context(request: Request, services: WebServices, view: DashboardView,
                       parts: Sequence[str], **extra: Any) -> dict[str, Any]:
    as_of_moment = viewing_as_of(request)
    return {
        "view": view,
        "as_of_moment": as_of_moment,
        "now": services.now(),
        # Viewing the past, nothing moves: no stream to follow.
        "live": as_of_moment is None,
        "live_url": live_stream_url(request, view.position),
        "part_url": {part: path_with_query(request, part=part) for part in parts},
        **extra,
    }


def _city_view(request: Request, services: WebServices, principal: Principal, city: City,
               translator: Translator) -> DashboardView:
    indicators = services.indicators.indicators(city.value)
    return Dashboard(indicators, DrillDown(request, principal, city.value), translator).view()


@router.get("/cities/{city}/dashboard", name="city_dashboard")
def city_dashboard(
    request: Request, city: CityToView, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator, part: Parameter = None,
) -> HTMLResponse:
    try:
        section = choice("part", part, CITY_PARTS)
    except UnknownChoice as refused:
        return _refuse(request, pages, translator, refused)
    view = _city_view(request, services, principal, city, translator)
    context = _dashboard_context(request, services, view, CITY_PARTS, city=city.value,
                                 export_route="city_dashboard_export",
                                 export_params={"city": city.value})
    if section is not None and is_htmx_fragment_request(request):
        return pages.render(request, "dashboards/layout.html", context, block=f"part_{section}")
    return pages.render(request, "dashboards/city.html", context)


def _city_columns(sort: str | None, order: str | None) -> tuple[str, str]:
    """The column the table of cities is sorted by, and the direction; raises UnknownChoice."""
    return (choice("sort", sort, CITY_COLUMNS) or "city",
            choice("order", order, SORT_ORDERS) or "asc")


@router.get("/ministry/dashboard", name="ministry_dashboard")
def ministry_dashboard(
    request: Request, pages: PageRenderer, services: Services, viewer: NetworkViewer,
    translator: CurrentTranslator, part: Parameter = None, sort: Parameter = None,
    order: Parameter = None,
) -> HTMLResponse:
    try:
        section = choice("part", part, MINISTRY_PARTS)
        column, direction = _city_columns(sort, order)
    except UnknownChoice as refused:
        return _refuse(request, pages, translator, refused)
    view = _ministry_view(request, services, viewer, translator, column, direction)
    context = _dashboard_context(request, services, view, MINISTRY_PARTS, city=None,
                                 export_route="ministry_dashboard_export", export_params={},
                                 sort_query=urlencode({"sort": column, "order": direction}))
    if section is not None and is_htmx_fragment_request(request):
        # The table of cities is the ministry page's own block; the others, the layout's.
        template = "dashboards/ministry.html" if section == "cities" else "dashboards/layout.html"
        return pages.render(request, template, context, block=f"part_{section}")
    return pages.render(request, "dashboards/ministry.html", context)


def _ministry_view(request: Request, services: WebServices, principal: Principal,
                   translator: Translator, column: str, order: str) -> DashboardView:
    dashboard = services.indicators.network_dashboard()
    cities_path = str(request.app.url_path_for("ministry_dashboard"))

    def sorted_by(key: str) -> str:
        return f"{cities_path}?{urlencode({'sort': key, 'order': 'desc'})}#part-cities"

    network = Dashboard(dashboard.network, DrillDown(request, principal, None), translator,
                        network_links=sorted_by)
    view = network.view()
    table = cities_table(dashboard, network, request, principal, column, order)
    return DashboardView(position=dashboard.position, figures=view.figures,
                         tables={"cities": table, **view.tables}, charts=view.charts)


# --- drill-down: the records behind a figure ----------------------------------------------------


class DrillDownFilters(Protocol):
    """What narrows a drill-down list to the records one figure counts."""

    def table(self, services: WebServices, city: str, request: Request, labels: Labels,
              translator: Translator) -> FigureTable:
        """The records, as the list shows them and its export downloads them."""
        ...

    def described(self, labels: Labels, translator: Translator) -> list[tuple[str, str]]:
        """The filters given, in words: (name, value)."""
        ...


def _records_behind(
    request: Request, pages: Pages, services: WebServices, translator: Translator, city: City,
    kind: str, parse: Callable[[], DrillDownFilters], fmt: str | None = None,
) -> Response:
    """A drill-down list (`dashboards/<kind>.html`), or its download in `fmt`: one reading of
    the query parameters and one table for both."""
    chosen = None if fmt is None else export_format(fmt)
    try:
        filters = parse()
    except UnknownChoice as refused:
        return _refuse(request, pages, translator, refused)
    labels = Labels(translator)
    table = filters.table(services, city.value, request, labels, translator)
    described = filters.described(labels, translator)
    if chosen is not None:
        return export_response(
            table.export(_file_name(kind, city.value), services, described), chosen)
    return pages.render(request, f"dashboards/{kind}.html", {
        "city": city.value, "table": table, "export_route": f"indicator_{kind}_export",
        "filters": described,
    })


def _words(text: str) -> Cell:
    """A cell exported as it is shown (a label in the reader's language)."""
    return Cell(text, text)


def _yes_no(translator: Translator, value: bool | None) -> str | None:
    _ = translator.gettext
    return None if value is None else _("yes") if value else _("no")


# The referrals behind a figure.


@dataclass(frozen=True)
class ReferralFilters:
    destination: str | None
    status: str | None
    answered: bool | None
    in_time: bool | None

    @classmethod
    def parse(cls, destination: str | None, status: str | None, answered: str | None,
              in_time: str | None) -> ReferralFilters:
        return cls(
            destination=choice("destination", destination, REFERRAL_DESTINATIONS),
            status=choice("status", status, REFERRAL_STATUSES),
            answered=yes_or_no("answered", answered),
            in_time=yes_or_no("in_time", in_time),
        )

    def rows(self, services: WebServices, city: str) -> list[ReferralRow]:
        rows = services.indicators.referrals(city, self.destination, self.status)
        if self.answered is not None:
            rows = [r for r in rows if (r.response_seconds is not None) == self.answered]
        if self.in_time is not None:
            # As `ReferralIndicators.answered_in_time` counts them: answered by the due time.
            rows = [r for r in rows if bool(r.answered_in_time) == self.in_time]
        return rows

    def table(self, services: WebServices, city: str, request: Request, labels: Labels,
              translator: Translator) -> FigureTable:
        return _referral_table(self.rows(services, city), request, labels, translator)

    def described(self, labels: Labels, translator: Translator) -> list[tuple[str, str]]:
        _ = translator.gettext
        return [(name, value) for name, value in (
            (_("Referred to"), key_label("destination", self.destination, labels, translator)
             if self.destination else None),
            (_("Status"), key_label("referral_status", self.status, labels, translator)
             if self.status else None),
            (_("Answered"), _yes_no(translator, self.answered)),
            (_("Answered before the answer was due"), _yes_no(translator, self.in_time)),
        ) if value is not None]


def _referral_table(rows: Sequence[ReferralRow], request: Request, labels: Labels,
                    translator: Translator) -> FigureTable:
    _ = translator.gettext
    table_rows = []
    for referral in rows:
        href = str(request.app.url_path_for("referral_page",
                                            referral_id=str(referral.referral_id)))
        destination = referral.service if referral.destination_kind == "city_service" else (
            referral.destination_kind)
        hours = (None if referral.response_seconds is None
                 else (Decimal(referral.response_seconds) / 3600).quantize(Decimal("0.1")))
        table_rows.append(Row(str(referral.referral_id), (
            Cell(referral.case_code, referral.case_code, href),
            _words(key_label("destination", destination or "", labels, translator)),
            Cell(referral.requested_at, translator.datetime(referral.requested_at, "short")),
            Cell(referral.due_at, translator.datetime(referral.due_at, "short")),
            Cell(referral.answered_at, translator.datetime(referral.answered_at, "short")
                 if referral.answered_at else NO_FIGURE),
            Cell(hours, number_in_words(hours, translator)),
            _words(key_label("referral_status", referral.status, labels, translator)),
        )))
    return FigureTable(
        name="referrals", title=_("Referrals behind the figure"),
        columns=(Column(_("Case code")), Column(_("Referred to")),
                 Column(_("Requested on"), "datetime"), Column(_("Answer due by"), "datetime"),
                 Column(_("Answered on"), "datetime"),
                 Column(_("Response time (hours)"), "decimal"), Column(_("Status"))),
        rows=tuple(table_rows),
    )


@router.get("/cities/{city}/dashboard/referrals", name="indicator_referrals")
def indicator_referrals(
    request: Request, city: CityToView, pages: PageRenderer, services: Services,
    translator: CurrentTranslator, destination: Parameter = None, status: Parameter = None,
    answered: Parameter = None, in_time: Parameter = None,
) -> Response:
    return _records_behind(request, pages, services, translator, city, "referrals", lambda: (
        ReferralFilters.parse(destination, status, answered, in_time)))


@router.get("/cities/{city}/dashboard/referrals/export.{fmt}",
            name="indicator_referrals_export")
def indicator_referrals_export(
    request: Request, fmt: str, city: CityToView, pages: PageRenderer, services: Services,
    translator: CurrentTranslator, destination: Parameter = None, status: Parameter = None,
    answered: Parameter = None, in_time: Parameter = None,
) -> Response:
    return _records_behind(request, pages, services, translator, city, "referrals", lambda: (
        ReferralFilters.parse(destination, status, answered, in_time)), fmt)


# The placements behind a figure.


@dataclass(frozen=True)
class PlacementFilters:
    outcome: str | None
    moved_in: bool | None
    housed: bool | None
    moved_out: bool | None

    @classmethod
    def parse(cls, outcome: str | None, moved_in: str | None, housed: str | None,
              moved_out: str | None) -> PlacementFilters:
        return cls(
            outcome=choice("outcome", outcome, EXIT_OUTCOMES),
            moved_in=yes_or_no("moved_in", moved_in),
            housed=yes_or_no("housed", housed),
            moved_out=yes_or_no("moved_out", moved_out),
        )

    def rows(self, services: WebServices, city: str) -> list[PlacementRow]:
        rows = services.indicators.placements(city, self.outcome, self.moved_in)
        if self.housed is not None:
            rows = [r for r in rows if (r.status == HousingStage.HOUSED) == self.housed]
        if self.moved_out is not None:
            rows = [r for r in rows if moved_out(r) == self.moved_out]
        return rows

    def table(self, services: WebServices, city: str, request: Request, labels: Labels,
              translator: Translator) -> FigureTable:
        return _placement_table(self.rows(services, city), request, labels, translator)

    def described(self, labels: Labels, translator: Translator) -> list[tuple[str, str]]:
        _ = translator.gettext
        return [(name, value) for name, value in (
            (_("Outcome"), key_label("exit_outcome", self.outcome, labels, translator)
             if self.outcome else None),
            (_("Moved in"), _yes_no(translator, self.moved_in)),
            (_("Housed now"), _yes_no(translator, self.housed)),
            (_("Moved out"), _yes_no(translator, self.moved_out)),
        ) if value is not None]


def moved_out(placement: PlacementRow) -> bool:
    """As `HousingIndicators.exits_by_outcome` counts them: moved out, with an outcome."""
    return placement.status == HousingStage.MOVED_OUT and placement.outcome is not None


def _placement_table(rows: Sequence[PlacementRow], request: Request, labels: Labels,
                     translator: Translator) -> FigureTable:
    _ = translator.gettext

    def day(value: date | None) -> Cell:
        return Cell(value, translator.date(value) if value else NO_FIGURE)

    table_rows = []
    for placement in rows:
        case_href = str(request.app.url_path_for("case_page", case_id=str(placement.case_id)))
        shelter_href = str(request.app.url_path_for("shelter_page",
                                                     shelter_id=str(placement.shelter_id)))
        status = labels.label(PLACEMENT_STATUSES, placement.status)
        outcome = (key_label("exit_outcome", placement.outcome, labels, translator)
                   if placement.outcome else "")
        table_rows.append(Row(f"{placement.case_id}-{placement.offered_on}", (
            Cell(placement.case_code, placement.case_code, case_href),
            Cell(placement.shelter_name, placement.shelter_name, shelter_href),
            Cell(placement.bed, number_in_words(placement.bed, translator)),
            day(placement.offered_on), _words(status), day(placement.intake_date),
            day(placement.moved_in_on),
            Cell(placement.days_to_move_in, number_in_words(placement.days_to_move_in,
                                                            translator)),
            day(placement.moved_out_on), Cell(outcome or None, outcome or NO_FIGURE),
        )))
    return FigureTable(
        name="placements", title=_("Placements behind the figure"),
        columns=(Column(_("Case code")), Column(_("Shelter")), Column(_("Bed"), "int"),
                 Column(_("Bed offered on"), "date"), Column(_("Status")),
                 Column(_("Intake date"), "date"), Column(_("Moved in on"), "date"),
                 Column(_("Days from intake to move-in"), "int"),
                 Column(_("Moved out on"), "date"), Column(_("Outcome"))),
        rows=tuple(table_rows),
    )


@router.get("/cities/{city}/dashboard/placements", name="indicator_placements")
def indicator_placements(
    request: Request, city: CityToView, pages: PageRenderer, services: Services,
    translator: CurrentTranslator, outcome: Parameter = None, moved_in: Parameter = None,
    housed: Parameter = None, moved_out: Parameter = None,
) -> Response:
    return _records_behind(request, pages, services, translator, city, "placements", lambda: (
        PlacementFilters.parse(outcome, moved_in, housed, moved_out)))


@router.get("/cities/{city}/dashboard/placements/export.{fmt}",
            name="indicator_placements_export")
def indicator_placements_export(
    request: Request, fmt: str, city: CityToView, pages: PageRenderer, services: Services,
    translator: CurrentTranslator, outcome: Parameter = None, moved_in: Parameter = None,
    housed: Parameter = None, moved_out: Parameter = None,
) -> Response:
    return _records_behind(request, pages, services, translator, city, "placements", lambda: (
        PlacementFilters.parse(outcome, moved_in, housed, moved_out)), fmt)


# --- exports of the dashboards' tables (after the drill-downs': their paths are more specific) --


def _file_name(table: str, where: str) -> str:
    return f"dashboard-{where}-{table.replace('_', '-')}"


@router.get("/cities/{city}/dashboard/{table}/export.{fmt}",
            name="city_dashboard_export")
def city_dashboard_export(
    request: Request, table: str, fmt: str, city: CityToView, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    chosen = export_format(fmt)
    if table not in CITY_TABLES:
        raise UnknownExport(table)
    view = _city_view(request, services, principal, city, translator)
    return export_response(view.tables[table].export(
        _file_name(table, city.value), services), chosen)


@router.get("/ministry/dashboard/{table}/export.{fmt}",
            name="ministry_dashboard_export")
def ministry_dashboard_export(
    request: Request, table: str, fmt: str, services: Services,
    viewer: NetworkViewer, pages: PageRenderer, translator: CurrentTranslator,
    sort: Parameter = None, order: Parameter = None,
) -> Response:
    chosen = export_format(fmt)
    if table not in MINISTRY_TABLES:
        raise UnknownExport(table)
    try:
        column, direction = _city_columns(sort, order)
    except UnknownChoice as refused:
        return _refuse(request, pages, translator, refused)
    view = _ministry_view(request, services, viewer, translator, column, direction)
    return export_response(view.tables[table].export(
        _file_name(table, "network"), services), chosen)

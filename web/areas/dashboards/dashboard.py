"""The indicators of a city (or of the network) as a dashboard: the headline figures, a table per
breakdown (cases; referrals; housing; activities; expenditure), and the charts, each beside its
data as a table. Read once from projections.indicators and shaped here, so that the page, its
htmx fragments, its exports and the API show the same numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache

from markupsafe import Markup

from projections.finance import BudgetLine
from projections.indicators.figures import (
    OTHER_CITIZENSHIPS,
    ActivityLine,
    Breakdown,
    DeliveryLine,
    Indicators,
)
from web.areas.dashboards.figures import (
    Cell,
    DashboardView,
    DrawnWhenShown,
    Figure,
    FigureTable,
    Row,
)
from web.areas.dashboards.links import DrillDown
from web.areas.dashboards.vocabulary import (
    CASE_BREAKDOWNS,
    key_label,
    money_in_words,
    number_in_words,
    share_in_words,
)
from web.charts.bars import bar_chart
from web.charts.lines import Series, line_chart
from web.charts.progress import progress_bars
from web.kit.exports import Column
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.vocabulary.deliveries import DELIVERY_KINDS, quantity_in_words


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
                  self.activity_table(), self.expenditure_table(), self.delivery_table()]
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
            figure("taken_in", _("Cases taken in"),
                   number_in_words(ind.cases.taken_in, self.translator), links.cases(),
                   _("People, each counted once: %(people)s",
                     people=number_in_words(ind.cases.people, self.translator)),
                   count=ind.cases.taken_in),
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
            "citizenship": (cases.by_citizenship, _("All cases"), links.cases()),
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
        citizenships summed as "other", which no filter gives)."""
        def href(key: str) -> str | None:
            if key == OTHER_CITIZENSHIPS:
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

    # Services delivered to people (Sub-Actions 2, 3, 4).

    def delivery_table(self) -> FigureTable:
        deliveries, _ = self.indicators.deliveries, self._

        def row(line: DeliveryLine) -> Row:
            href = self.links.deliveries(line.sub_action, line.kind)
            return Row(f"{line.sub_action}-{line.kind}", (
                self.sub_action(line.sub_action),
                self.text(self.labels.label(DELIVERY_KINDS, line.kind)),
                self.count(line.deliveries, href), self.count(line.people, href),
                Cell(line.quantity, quantity_in_words(line.quantity, line.unit,
                                                      self.translator), href),
            ))

        return FigureTable(
            name="deliveries", title=_("Services delivered per sub-action and kind"),
            columns=(Column(_("Sub-action")), Column(_("Service delivered")),
                     Column(_("Deliveries"), "int"), Column(_("People served"), "int"),
                     Column(_("Quantity"), "decimal")),
            rows=tuple(row(line) for line in deliveries.lines),
            totals=(Row("total", (
                self.text(_("All services")), self.text(""),
                self.count(deliveries.deliveries, self.links.deliveries()),
                self.count(deliveries.people, self.links.deliveries()),
                self.money(deliveries.cash, self.links.deliveries(kind="cash_support")),
            )),),
            note=_("Quantities in each service's unit; the total is the cash support paid, in "
                   "euros. Voided deliveries are not counted; a person served in two cities "
                   "counts in each."),
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
        return occupancy_chart(self.indicators.housing.occupancy_per_month, self.translator)

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


@lru_cache(maxsize=64)
def occupancy_chart(months: tuple[tuple[date, int, int], ...],
                    translator: Translator) -> Markup | None:
    """The occupancy chart, drawn once for the same months in the same language: an event of a
    case leaves the housing figures as they were (kept per read model, issue 15), and drawing
    the chart was a tenth of the ministry's dashboard after it."""
    if not months:
        return None
    _ = translator.gettext
    return line_chart(
        [translator.date(month, "LLL yy") for month, _housed, _beds in months],
        [Series(_("People housed"), [housed for _month, housed, _beds in months]),
         Series(_("Beds"), [beds for _month, _housed, beds in months])],
        title=_("Occupancy over time"),
        description=_("People housed and beds in the shelters on the last day of each month."),
        format_value=lambda value: number_in_words(value, translator),
    )

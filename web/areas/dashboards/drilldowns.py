"""The records behind a figure: the referrals or the placements one figure of a city's dashboard
counts, as a list (`dashboards/<kind>.html`) and its download, narrowed by the same filters
the figure is counted under. The two drill-downs differ only in their filters and their table:
one reading of the query parameters (web.areas.dashboards.parameters) and one table serve the
list and its export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Protocol, get_args

from fastapi import Depends, Request
from fastapi.responses import Response

from domain.housing.model import HousingStage
from domain.programme import City
from domain.referrals.rules import ReferralStatus
from events.housing import MoveOutOutcome
from events.referrals import CityService
from projections.housing import PlacementRow
from projections.referrals import ReferralRow
from web.areas.dashboards.figures import Cell, FigureTable, Row, file_name
from web.areas.dashboards.parameters import (
    Parameter,
    UnknownChoice,
    choice,
    refuse_choice,
    yes_or_no,
)
from web.areas.dashboards.vocabulary import NO_FIGURE, key_label, number_in_words
from web.kit.exports import Column, export_format, export_response
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.templating import Pages
from web.kit.vocabulary.housing import PLACEMENT_STATUSES
from web.services import WebServices

# What the drill-down lists are narrowed by: the contracts' own values.
REFERRAL_DESTINATIONS = (*get_args(CityService), "partner", "transfer")
REFERRAL_STATUSES = tuple(status.value for status in ReferralStatus)
EXIT_OUTCOMES = get_args(MoveOutOutcome)


class DrillDownFilters(Protocol):
    """What narrows a drill-down list to the records one figure counts."""

    def table(self, services: WebServices, city: str, request: Request, labels: Labels,
              translator: Translator) -> FigureTable:
        """The records, as the list shows them and its export downloads them."""
        ...

    def described(self, labels: Labels, translator: Translator) -> list[tuple[str, str]]:
        """The filters given, in words: (name, value)."""
        ...


def records_behind(
    request: Request, pages: Pages, services: WebServices, translator: Translator, city: City,
    kind: str, parse: Callable[[], DrillDownFilters], fmt: str | None = None,
) -> Response:
    """A drill-down list (`dashboards/<kind>.html`), or its download in `fmt`: one reading of
    the query parameters and one table for both."""
    chosen = None if fmt is None else export_format(fmt)
    try:
        filters = parse()
    except UnknownChoice as refused:
        return refuse_choice(request, pages, translator, refused)
    labels = Labels(translator)
    table = filters.table(services, city.value, request, labels, translator)
    described = filters.described(labels, translator)
    if chosen is not None:
        return export_response(
            table.export(file_name(kind, city.value), services, described), chosen, translator)
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


# --- the query parameters of each drill-down, for its routes ------------------------------------


def referrals_asked(
    destination: Parameter = None, status: Parameter = None, answered: Parameter = None,
    in_time: Parameter = None,
) -> Callable[[], ReferralFilters]:
    """The referral drill-down's query parameters, to parse when its route calls back: after
    it checked an export's format, so that an unknown format is answered (404) first."""
    return lambda: ReferralFilters.parse(destination, status, answered, in_time)


def placements_asked(
    outcome: Parameter = None, moved_in: Parameter = None, housed: Parameter = None,
    moved_out: Parameter = None,
) -> Callable[[], PlacementFilters]:
    """The placement drill-down's query parameters, as `referrals_asked`."""
    return lambda: PlacementFilters.parse(outcome, moved_in, housed, moved_out)


ReferralsAsked = Annotated[Callable[[], ReferralFilters], Depends(referrals_asked)]
PlacementsAsked = Annotated[Callable[[], PlacementFilters], Depends(placements_asked)]

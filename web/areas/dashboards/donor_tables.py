"""The donor's indicators as tables: the report (one row per indicator, each figure a link to the
records behind it) and the lists of those records (people by their case codes, or activities),
shown on the pages and downloaded by their exports from the same table."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from fastapi import Request

from projections.donor_indicators import (
    CIVIC,
    EVENTS,
    HOUSED,
    MINORS,
    PEOPLE,
    TRAINING,
    VULNERABLE,
    WOMEN,
    ActivityCounted,
    DonorReport,
    PersonCounted,
)
from web.areas.dashboards.figures import Cell, FigureTable, Row
from web.areas.dashboards.vocabulary import NO_FIGURE, number_in_words
from web.kit.exports import Column
from web.kit.i18n import N_, Translator
from web.kit.labels import Labels
from web.kit.vocabulary.activities import ACTIVITY_KINDS, ACTIVITY_STATUSES

# What each drill-down list is called (its page's title and its file's).
RECORD_TITLES = {
    PEOPLE: N_("People reached"),
    VULNERABLE: N_("Vulnerable people reached"),
    MINORS: N_("Minors reached"),
    WOMEN: N_("Women and girls reached"),
    HOUSED: N_("People housed"),
    CIVIC: N_("People who took part in civic engagement"),
    TRAINING: N_("Training of municipal staff held"),
    EVENTS: N_("Communication events held"),
}


def report_table(report: DonorReport, translator: Translator,
                 records_href: Callable[[str], str]) -> FigureTable:
    """One row per indicator: its name, its figure (a link to the records behind it), and the
    sub-action it reports on."""
    _ = translator.gettext

    def row(key: str, label: str, sub_action: str, value: int | Decimal | None,
            records: str | None, counts: bool = False) -> Row:
        href = records_href(records) if records else None
        return Row(key, (Cell(label, label), Cell(sub_action, sub_action),
                         Cell(value, number_in_words(value, translator), href, counts)))

    days = report.days_to_housing
    rows = (
        row("people_reached", _("People reached, each counted once"), "3", report.reached,
            PEOPLE, counts=True),
        row("vulnerable", _("of whom vulnerable"), "3", report.vulnerable, VULNERABLE, True),
        row("minors", _("of whom minors"), "3", report.minors, MINORS, True),
        row("women", _("of whom women and girls"), "3", report.women, WOMEN, True),
        row("people_housed", _("People housed"), "4", len(report.housed), HOUSED, True),
        row("days_to_housing_median", _("Days from intake to housing: median"), "4",
            days.median, HOUSED),
        row("days_to_housing_p90", _("Days from intake to housing: 90th percentile"), "4",
            days.p90, HOUSED),
        row("civic_participants", _("People who took part in civic engagement"), "2",
            len(report.civic_engagement), CIVIC, True),
        row("civic_residents", _("Residents counted at civic engagement sessions"), "2",
            report.civic_residents, None),
        row("training_activities", _("Training activities held for municipal staff"), "5",
            len(report.trainings), TRAINING, True),
        row("staff_trained", _("Municipal staff trained"), "5",
            report.staff_trained, TRAINING),
        row("staff_attendances", _("Attendances of municipal staff at training sessions"), "5",
            report.staff_attendances, TRAINING),
        row("communication_events", _("Communication events held"), "6",
            report.communication_events, EVENTS),
        row("communication_reach", _("People reached by communication events"), "6",
            report.communication_reach, EVENTS),
    )
    return FigureTable(
        name="donor_indicators", title=_("Indicators for the donor"),
        columns=(Column(_("Indicator")), Column(_("Sub-Action")),
                 Column(_("Value"), "decimal")),
        rows=rows,
        note=_("Days are medians and 90th percentiles, never means. Definitions: see below."),
    )


def records_table(report: DonorReport, records: str, translator: Translator, labels: Labels,
                  request: Request) -> FigureTable:
    """The records one indicator counts: people (by their case codes) or activities."""
    if records in (TRAINING, EVENTS):
        return _activity_table(report.activities_in(records), records, translator, labels,
                               request)
    return _people_table(report.people_in(records), records, translator, labels)


def _people_table(people: tuple[PersonCounted, ...], records: str, translator: Translator,
                  labels: Labels) -> FigureTable:
    _ = translator.gettext

    def extra(person: PersonCounted) -> tuple[Cell, ...]:
        if records == HOUSED:
            return (Cell(person.moved_in_on, translator.date(person.moved_in_on)
                         if person.moved_in_on else NO_FIGURE),
                    Cell(person.days_to_housing,
                         number_in_words(person.days_to_housing, translator)))
        if records == CIVIC:
            return (Cell(person.activities, number_in_words(person.activities, translator)),
                    Cell(person.hours, number_in_words(person.hours, translator)))
        return (_answer(translator, person.vulnerable), _answer(translator, person.minor),
                _answer(translator, person.woman))

    extra_columns: tuple[Column, ...]
    if records == HOUSED:
        extra_columns = (Column(_("First move-in"), "date"),
                         Column(_("Days from intake to move-in"), "int"))
    elif records == CIVIC:
        extra_columns = (Column(_("Activities attended"), "int"),
                         Column(_("Hours attended"), "decimal"))
    else:
        extra_columns = (Column(_("Vulnerable")), Column(_("Minor")),
                         Column(_("Woman or girl")))
    rows = []
    for person in people:
        codes = ", ".join(person.case_codes)
        cities = ", ".join(labels.city(city) for city in person.cities)
        rows.append(Row(person.first_case_code, (
            Cell(codes, codes), Cell(cities, cities), *extra(person))))
    return FigureTable(
        name=records, title=_(RECORD_TITLES[records]),
        columns=(Column(_("Case codes")), Column(_("Cities")), *extra_columns),
        rows=tuple(rows),
        note=_("One row per person: the codes of their cases that count here (a person taken "
               "in by two cities has two)."),
    )


def _activity_table(activities: tuple[ActivityCounted, ...], records: str,
                    translator: Translator, labels: Labels, request: Request) -> FigureTable:
    _ = translator.gettext
    trainings = records == TRAINING
    rows = []
    for activity in activities:
        href = str(request.app.url_path_for("activity_page",
                                            activity_id=str(activity.activity_id)))
        city = labels.city(activity.city)
        kind = labels.label(ACTIVITY_KINDS, activity.kind)
        status = labels.label(ACTIVITY_STATUSES, activity.status)
        rows.append(Row(str(activity.activity_id), (
            Cell(activity.title, activity.title, href), Cell(city, city), Cell(kind, kind),
            Cell(status, status),
            Cell(activity.sessions, number_in_words(activity.sessions, translator)),
            Cell(activity.hours, number_in_words(activity.hours, translator)),
            Cell(activity.attendances, number_in_words(activity.attendances, translator)),
            Cell(activity.largest_session,
                 number_in_words(activity.largest_session, translator)),
            *((Cell(activity.trained, number_in_words(activity.trained, translator)),
               _answer(translator, activity.counted is not None)) if trainings else ()),
        )))
    return FigureTable(
        name=records, title=_(RECORD_TITLES[records]),
        columns=(Column(_("Activity")), Column(_("City")), Column(_("Kind")),
                 Column(_("Status")), Column(_("Sessions held"), "int"),
                 Column(_("Hours"), "decimal"), Column(_("People counted, summed"), "int"),
                 Column(_("Most people at one session"), "int"),
                 *((Column(_("Municipal staff trained"), "int"),
                    Column(_("Counted from the attendance sheets"))) if trainings else ())),
        rows=tuple(rows),
        note=_("Staff trained: as counted from the attendance sheets, or else at least the "
               "largest session's count.") if trainings else None,
    )


def _answer(translator: Translator, value: bool) -> Cell:
    text = translator.gettext("yes") if value else translator.gettext("no")
    return Cell(text, text)

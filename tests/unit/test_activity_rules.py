"""The rules of community activities, on the aggregates alone: planning, enrolment (Sub-Action 2
for asylum seekers only, the activity's city only, open cases only), sessions, completion and
cancellation. A refused command records nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.activities.model import (
    Activity,
    ActivityEnded,
    ActivityKind,
    ActivityPlan,
    ActivityStatus,
    AlreadyEnrolled,
    CivicEngagementReserved,
    InvalidActivity,
    InvalidCancellation,
    InvalidSession,
    NoEnrolmentInSubAction,
    NoSessionHeld,
    NotACaseOfTheCity,
    NotEligibleForSubAction,
)
from domain.cases.model import Case, CaseClosed, ReceptionHistory
from domain.cases.rules import (
    CaseOutcome,
    CorrectableField,
    ReceptionCentreKind,
    ReceptionSituation,
)
from domain.programme import CARD_TERMS, City, DomainError, ProtectionStatus, SubAction
from tests.builders import NOW, a_coordinator, a_reason, an_intake

LATER = NOW + timedelta(days=30)  # 2021-04-09


def a_plan(**overrides: Any) -> ActivityPlan:
    plan = ActivityPlan(
        city=City.FIRENZE, sub_action=SubAction.EMERGENCY_TAKE_IN,
        kind=ActivityKind.NEIGHBOURHOOD_MEDIATION, title="Mediazione di quartiere",
        neighbourhood="Novoli", starts_on=date(2021, 3, 1), ends_on=date(2021, 6, 30),
        organiser="Ufficio Immigrazione",
    )
    return replace(plan, **overrides)


def an_activity(**overrides: Any) -> Activity:
    return Activity.plan(uuid4(), a_plan(**overrides), a_coordinator(), NOW)


def a_case(city: City = City.FIRENZE, number: int = 1, **facts: Any) -> Case:
    return Case.take_in(uuid4(), f"{CARD_TERMS.province_code(city)}-2021-{number:05d}",
                        an_intake(city, **facts), a_coordinator(city), NOW)


def an_asylum_seeker(**facts: Any) -> Case:
    return a_case(protection_status=ProtectionStatus.ASYLUM_SEEKER, **facts)


def refuses(error: type[DomainError], activity: Activity, command: Any, *args: Any) -> DomainError:
    """The command raises `error` and leaves the activity as it was, with no event pending."""
    version = activity.version
    with pytest.raises(error) as raised:
        command(*args)
    assert activity.version == version
    assert activity.collect_events() == []
    return raised.value


def test_a_planned_activity_records_its_facts_trimmed() -> None:
    activity = an_activity(title="  Mediazione  ", organiser=" Cooperativa Alfa ")

    (planned,) = activity.collect_events()
    assert isinstance(planned, Activity.Planned)
    assert (planned.title, planned.organiser, planned.sub_action) == (
        "Mediazione", "Cooperativa Alfa", "3")
    assert activity.status is ActivityStatus.PLANNED


@pytest.mark.parametrize(("overrides", "field"), [
    ({"sub_action": SubAction.FAST_TRACK_HOUSING}, "sub_action"),
    ({"sub_action": SubAction.COORDINATION}, "sub_action"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"neighbourhood": ""}, "neighbourhood"),
    ({"organiser": "o" * 121}, "organiser"),
    ({"starts_on": date(2021, 7, 1), "ends_on": date(2021, 6, 30)}, "ends_on"),
])
def test_an_activity_outside_the_rules_is_not_planned(overrides: dict[str, Any],
                                                      field: str) -> None:
    with pytest.raises(InvalidActivity) as raised:
        an_activity(**overrides)
    assert raised.value.params["field"] == field


def test_civic_engagement_takes_an_asylum_seeker_and_refuses_a_refugee_with_the_law() -> None:
    activity = an_activity(sub_action=SubAction.CIVIC_ENGAGEMENT,
                           kind=ActivityKind.CIVIC_ENGAGEMENT_INITIATIVE)
    activity.collect_events()
    refugee = a_case(protection_status=ProtectionStatus.REFUGEE)

    error = refuses(CivicEngagementReserved, activity, activity.enrol, refugee, a_coordinator(),
                    NOW)
    assert "art. 8 of law 46/2017" in error.message
    activity.enrol(an_asylum_seeker(number=2), a_coordinator(), NOW)

    (enrolled,) = activity.collect_events()
    assert isinstance(enrolled, Activity.ParticipantEnrolled)
    assert enrolled.case_code == "FI-2021-00002"


def test_civic_engagement_judges_the_current_protection_status_after_a_correction() -> None:
    activity = an_activity(sub_action=SubAction.CIVIC_ENGAGEMENT)
    activity.collect_events()
    case = an_asylum_seeker()
    case.correct_intake({CorrectableField.PROTECTION_STATUS: "refugee"}, a_reason(),
                        a_coordinator(), NOW)

    refuses(CivicEngagementReserved, activity, activity.enrol, case, a_coordinator(), NOW)


@pytest.mark.parametrize("sub_action", [SubAction.EMERGENCY_TAKE_IN])
def test_other_sub_actions_take_anyone_outside_reception(sub_action: SubAction) -> None:
    activity = an_activity(sub_action=sub_action)
    activity.enrol(a_case(protection_status=ProtectionStatus.REFUGEE), a_coordinator(), NOW)
    assert len(activity.participants) == 1


def test_sub_action_3_takes_a_person_leaving_reception_but_not_one_staying_in_it() -> None:
    """The card: Sub-Action 3 serves people who left the reception system or are not in it,
    and "persone in uscita dai centri"; an applicant still hosted in a CAS is taken in for
    Sub-Action 2 only (issue 12 item 2), so enrolment in a Sub-Action 3 activity is refused."""
    activity = an_activity(sub_action=SubAction.EMERGENCY_TAKE_IN)
    activity.collect_events()
    in_cas = an_asylum_seeker(reception=ReceptionHistory(
        ReceptionSituation.IN_RECEPTION, centre_kind=ReceptionCentreKind.CAS))
    refuses(NotEligibleForSubAction, activity, activity.enrol, in_cas, a_coordinator(), NOW)
    leaving = an_asylum_seeker(number=2, reception=ReceptionHistory(
        ReceptionSituation.LEAVING_RECEPTION, centre_kind=ReceptionCentreKind.CAS,
        planned_exit_on=date(2021, 4, 30)))
    activity.enrol(leaving, a_coordinator(), NOW)
    (event,) = activity.collect_events()
    assert isinstance(event, Activity.ParticipantEnrolled)
    assert (event.case_id, event.case_code, event.sub_action) == (
        leaving.id, "FI-2021-00002", "3")


@pytest.mark.parametrize("sub_action", [SubAction.ADMINISTRATION_EMPOWERMENT,
                                        SubAction.COMMUNICATION])
def test_nobody_taken_in_is_enrolled_in_sub_actions_5_and_6(sub_action: SubAction) -> None:
    """Sub-Action 6 is cross-cutting (card: "due Sub-Azioni trasversali (Sub-Azione 1 ... e
    Sub-Azione 6 ...)"); Sub-Action 5 is central but its participants are municipal staff
    (card: "sostegno e affiancamento mirate a favorire l'empowerment organizzativo-operativo
    delle Amministrazioni locali"): neither enrols a final recipient."""
    activity = an_activity(sub_action=sub_action, kind=ActivityKind.STAFF_TRAINING)
    activity.collect_events()
    refuses(NoEnrolmentInSubAction, activity, activity.enrol, a_case(), a_coordinator(), NOW)


def test_only_open_cases_of_the_activity_s_city_are_enrolled_and_only_once() -> None:
    activity = an_activity()
    activity.collect_events()
    closed = a_case(number=3)
    closed.close(CaseOutcome.AUTONOMY, date(2021, 3, 10), a_reason(), a_coordinator(), NOW)

    refuses(NotACaseOfTheCity, activity, activity.enrol, a_case(City.MILANO), a_coordinator(),
            NOW)
    refuses(CaseClosed, activity, activity.enrol, closed, a_coordinator(), NOW)
    case = a_case()
    activity.enrol(case, a_coordinator(), NOW)
    activity.collect_events()
    refuses(AlreadyEnrolled, activity, activity.enrol, case, a_coordinator(), NOW)


def enrolled_activity() -> tuple[Activity, Case, Case]:
    activity = an_activity()
    first, second = a_case(number=1), a_case(number=2)
    activity.enrol(first, a_coordinator(), NOW)
    activity.enrol(second, a_coordinator(), NOW)
    activity.collect_events()
    return activity, first, second


def test_a_session_credits_its_hours_to_who_attended() -> None:
    activity, _, second = enrolled_activity()

    activity.record_session(date(2021, 3, 5), Decimal("1.5"), frozenset({second.id}), 7,
                            a_coordinator(), NOW)

    (held,) = activity.collect_events()
    assert isinstance(held, Activity.SessionHeld)
    assert (held.session_number, held.hours, held.case_ids, held.residents) == (
        1, Decimal("1.50"), [second.id], 7)


@pytest.mark.parametrize(("held_on", "hours", "residents", "field"), [
    (date(2021, 2, 28), "2", 0, "held_on"),      # before the activity
    (date(2021, 3, 11), "2", 0, "held_on"),      # after today (NOW is 2021-03-10)
    (date(2021, 3, 5), "0", 0, "hours"),
    (date(2021, 3, 5), "12.01", 0, "hours"),
    (date(2021, 3, 5), "1.255", 0, "hours"),
    (date(2021, 3, 5), "NaN", 0, "hours"),
    (date(2021, 3, 5), "2", -1, "residents"),
])
def test_a_session_outside_the_rules_is_not_recorded(
    held_on: date, hours: str, residents: int, field: str
) -> None:
    activity, first, _ = enrolled_activity()
    error = refuses(InvalidSession, activity, activity.record_session, held_on, Decimal(hours),
                    frozenset({first.id}), residents, a_coordinator(), NOW)
    assert error.params["field"] == field


def test_only_enrolled_participants_attend_and_someone_must() -> None:
    activity, first, _ = enrolled_activity()
    stranger: UUID = uuid4()
    for attended, residents in (({first.id, stranger}, 3), (set(), 0)):
        error = refuses(InvalidSession, activity, activity.record_session, date(2021, 3, 5),
                        Decimal(2), frozenset(attended), residents, a_coordinator(), NOW)
        assert error.params["field"] == "attended"


def test_completion_needs_a_session_and_then_nothing_more_is_recorded() -> None:
    activity, first, _ = enrolled_activity()
    refuses(NoSessionHeld, activity, activity.complete, a_coordinator(), NOW)
    activity.record_session(date(2021, 3, 5), Decimal(2), frozenset(), 4, a_coordinator(), NOW)
    activity.complete(a_coordinator(), LATER)
    activity.collect_events()

    assert activity.status is ActivityStatus.COMPLETED
    refuses(ActivityEnded, activity, activity.record_session, date(2021, 3, 6), Decimal(2),
            frozenset({first.id}), 0, a_coordinator(), LATER)
    refuses(ActivityEnded, activity, activity.cancel, "Too late", a_coordinator(), LATER)
    refuses(ActivityEnded, activity, activity.enrol, a_case(number=9), a_coordinator(), LATER)


def test_a_cancellation_says_why_and_ends_the_activity() -> None:
    activity, _, _ = enrolled_activity()
    for reason in ("  ", "r" * 501):
        refuses(InvalidCancellation, activity, activity.cancel, reason, a_coordinator(), NOW)
    activity.cancel(" The venue was closed ", a_coordinator(), NOW)

    (cancelled,) = activity.collect_events()
    assert isinstance(cancelled, Activity.Cancelled)
    assert cancelled.reason == "The venue was closed"
    refuses(ActivityEnded, activity, activity.complete, a_coordinator(), NOW)

"""Community activities at their edges (issue 20): every refusal's class, `code`, message and
parameters where the rule is broken, each limit at the limit and one past it, and every event a
command records field by field. A mutation run (docs/testing.md, "Other domain modules") showed
the messages, the limits and most event fields were never checked.

DOMAIN.md, "Community activity": "planned, held, attended by enrolled beneficiaries and counted
residents, with hours"; "Sub-Action 2 (civic engagement) is only for asylum seekers ... per art. 8
of law 46/2017 amending d.lgs. 142/2015. The platform must refuse to enrol anyone else in a
civic-engagement activity, with a clear reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.activities.model import (
    ACTIVITY_SUB_ACTIONS,
    MAX_NEIGHBOURHOOD,
    MAX_ORGANISER,
    MAX_REASON,
    MAX_RESIDENTS,
    MAX_SESSION_HOURS,
    MAX_TITLE,
    SUB_ACTIONS_WITHOUT_ENROLMENT,
    Activity,
    ActivityError,
    ActivityKind,
    ActivityStatus,
    Participant,
)
from domain.cases.model import ReceptionHistory
from domain.cases.rules import ReceptionCentreKind, ReceptionSituation
from domain.programme import City, ProtectionStatus, SubAction
from tests.builders import NOW, a_coordinator, recorded, refusal
from tests.unit.test_activity_rules import a_case, a_plan, an_activity, an_asylum_seeker
from tests.unit.test_programme_terms import withdrawn

ACTOR = a_coordinator()
LATER = NOW + timedelta(days=30)  # 2021-04-09, after the default plan's first sessions
ENDED = "The activity is completed or cancelled: nothing more can be recorded on it."


def planned() -> Activity:
    activity = an_activity()
    activity.collect_events()
    return activity


def test_the_limits_and_the_sub_actions_are_those_of_the_rules() -> None:
    assert (MAX_TITLE, MAX_NEIGHBOURHOOD, MAX_ORGANISER, MAX_REASON, MAX_RESIDENTS) == (
        120,
        80,
        120,
        500,
        10_000,
    )
    assert MAX_SESSION_HOURS == Decimal(12)
    assert ACTIVITY_SUB_ACTIONS == (
        SubAction.CIVIC_ENGAGEMENT,
        SubAction.EMERGENCY_TAKE_IN,
        SubAction.ADMINISTRATION_EMPOWERMENT,
        SubAction.COMMUNICATION,
    )
    # DOMAIN.md: 6 is cross-cutting; 5, though central, trains municipal staff.
    assert SUB_ACTIONS_WITHOUT_ENROLMENT == (
        SubAction.ADMINISTRATION_EMPOWERMENT,
        SubAction.COMMUNICATION,
    )
    assert ActivityError.code == "activity_error"


def test_planning_records_every_fact_and_starts_an_empty_activity() -> None:
    activity = an_activity(
        kind=ActivityKind.COMMUNITY_BUILDING, starts_on=date(2021, 3, 10), ends_on=date(2021, 3, 10)
    )

    assert recorded(activity) == [
        (
            "Planned",
            {
                "timestamp": NOW,
                "city": "firenze",
                "sub_action": "3",
                "kind": "community_building",
                "title": "Mediazione di quartiere",
                "neighbourhood": "Novoli",
                "starts_on": date(2021, 3, 10),
                "ends_on": date(2021, 3, 10),
                "organiser": "Ufficio Immigrazione",
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert activity.city == City.FIRENZE and isinstance(activity.city, City)
    assert activity.sub_action is SubAction.EMERGENCY_TAKE_IN
    assert activity.kind is ActivityKind.COMMUNITY_BUILDING
    assert (activity.title, activity.neighbourhood, activity.organiser) == (
        "Mediazione di quartiere",
        "Novoli",
        "Ufficio Immigrazione",
    )
    assert (activity.starts_on, activity.ends_on) == (date(2021, 3, 10), date(2021, 3, 10))
    assert activity.status is ActivityStatus.PLANNED and not activity.has_ended
    assert (
        activity.participants,
        activity.sessions_held,
        activity.people_counted,
        activity.largest_session,
    ) == ({}, 0, 0, 0)


@pytest.mark.parametrize("sub_action", [SubAction.COORDINATION, SubAction.FAST_TRACK_HOUSING])
def test_an_activity_of_sub_action_1_or_4_is_refused_with_why(sub_action: SubAction) -> None:
    assert refusal(lambda: an_activity(sub_action=sub_action)) == (
        "invalid_activity",
        "Community activities belong to Sub-Action 2, 3, 5 or 6.",
        {"field": "sub_action"},
    )


@pytest.mark.parametrize(
    ("field", "limit"), [("title", 120), ("neighbourhood", 80), ("organiser", 120)]
)
def test_each_text_is_kept_stripped_at_its_limit_and_refused_one_past(
    field: str, limit: int
) -> None:
    kept = an_activity(**{field: " " + "x" * limit + " "})
    assert getattr(kept, field) == "x" * limit
    expected = (
        "invalid_activity",
        f"Give the {field}, in up to {limit} characters.",
        {"field": field, "max_length": limit},
    )
    assert refusal(lambda: an_activity(**{field: "x" * (limit + 1)})) == expected
    assert refusal(lambda: an_activity(**{field: "  "})) == expected
    assert refusal(lambda: an_activity(**{field: None})) == expected


def test_an_activity_ends_on_or_after_its_start() -> None:
    assert an_activity(starts_on=date(2021, 5, 1), ends_on=date(2021, 5, 1)).ends_on == date(
        2021, 5, 1
    )
    assert refusal(lambda: an_activity(starts_on=date(2021, 5, 2), ends_on=date(2021, 5, 1))) == (
        "invalid_activity",
        "The activity must end on or after its start.",
        {"field": "ends_on"},
    )


def test_an_activity_past_the_period_is_refused_on_its_end() -> None:
    code, _, params = refusal(
        lambda: an_activity(starts_on=date(2021, 12, 31), ends_on=date(2022, 1, 1))
    )
    assert (code, params["field"]) == ("outside_programme_period", "ends_on")


def test_an_activity_of_a_city_that_withdrew_is_refused_on_the_day_it_breaks() -> None:
    terms = withdrawn(City.FIRENZE, date(2021, 6, 1))
    for starts_on, ends_on, field in (
        (date(2021, 5, 1), date(2021, 6, 1), "ends_on"),
        (date(2021, 6, 1), date(2021, 6, 2), "starts_on"),
    ):
        plan = a_plan(starts_on=starts_on, ends_on=ends_on)
        code, _, params = refusal(
            lambda plan=plan: Activity.plan(  # type: ignore[misc]
                UUID(int=1), plan, ACTOR, NOW, terms
            )
        )
        assert (code, params["field"]) == ("not_a_partner_city", field)


def test_an_enrolment_records_the_case_and_makes_it_a_participant() -> None:
    activity = planned()
    case = a_case(number=4)

    activity.enrol(case, ACTOR, LATER)

    assert recorded(activity) == [
        (
            "ParticipantEnrolled",
            {
                "timestamp": LATER,
                "city": "firenze",
                "sub_action": "3",
                "kind": "neighbourhood_mediation",
                "case_id": case.id,
                "case_code": "FI-2021-00004",
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert activity.participants == {case.id: Participant(case.id, "FI-2021-00004")}


@pytest.mark.parametrize(
    ("sub_action", "kind"),
    [
        (SubAction.ADMINISTRATION_EMPOWERMENT, ActivityKind.STAFF_TRAINING),
        (SubAction.COMMUNICATION, ActivityKind.INFORMATION_EVENT),
    ],
)
def test_no_enrolment_in_sub_actions_5_and_6_says_to_count_instead(
    sub_action: SubAction, kind: ActivityKind
) -> None:
    activity = an_activity(sub_action=sub_action, kind=kind)
    assert refusal(lambda: activity.enrol(a_case(), ACTOR, NOW)) == (
        "no_enrolment_in_sub_action",
        "Sub-Action 5 trains municipal staff and Sub-Action 6 is communication: no case is "
        "enrolled in their activities; count the participants at each session instead.",
        {"field": "case"},
    )


def test_each_refused_enrolment_says_why_on_the_case() -> None:
    activity = planned()
    assert refusal(lambda: activity.enrol(a_case(City.MILANO), ACTOR, NOW)) == (
        "not_a_case_of_the_city",
        "No case of the activity's city has this id or code.",
        {"field": "case"},
    )
    in_cas = an_asylum_seeker(
        reception=ReceptionHistory(
            ReceptionSituation.IN_RECEPTION, centre_kind=ReceptionCentreKind.CAS
        )
    )
    assert refusal(lambda: activity.enrol(in_cas, ACTOR, NOW)) == (
        "not_eligible_for_sub_action",
        "The person is hosted in a reception centre and not about to leave it: Sub-Actions 3 "
        "and 4 are for people who left the reception system or were never in it, and for "
        "people about to leave a centre (the project card).",
        {"field": "case"},
    )
    case = a_case()
    activity.enrol(case, ACTOR, NOW)
    activity.collect_events()
    assert refusal(lambda: activity.enrol(case, ACTOR, NOW)) == (
        "already_enrolled",
        "The case is already enrolled in this activity.",
        {"field": "case"},
    )
    assert activity.collect_events() == []


def test_civic_engagement_refuses_anyone_but_an_asylum_seeker_citing_the_law() -> None:
    """DOMAIN.md: Sub-Action 2 is only for asylum seekers (art. 8 of law 46/2017)."""
    activity = an_activity(sub_action=SubAction.CIVIC_ENGAGEMENT)
    holder = a_case(protection_status=ProtectionStatus.SUBSIDIARY_PROTECTION)
    assert refusal(lambda: activity.enrol(holder, ACTOR, NOW)) == (
        "civic_engagement_reserved",
        "Sub-Action 2 is reserved for applicants for international protection (art. 8 of law "
        "46/2017, amending d.lgs. 142/2015), and the person is not an asylum seeker.",
        {"field": "case"},
    )


def test_enrolment_judges_eligibility_on_the_day_in_italy() -> None:
    """The case is taken in on 2021-03-10: at 23:30 UTC the day before it is already the 10th in
    Italy, so the person is eligible; at 22:30 UTC (23:30 in Italy) not yet."""
    activity = planned()
    case = a_case()
    code, _, _ = refusal(
        lambda: activity.enrol(case, ACTOR, datetime(2021, 3, 9, 22, 30, tzinfo=UTC))
    )
    assert code == "not_eligible_for_sub_action"
    activity.enrol(case, ACTOR, datetime(2021, 3, 9, 23, 30, tzinfo=UTC))
    assert list(activity.participants) == [case.id]


def enrolled() -> tuple[Activity, UUID, UUID]:
    activity = an_activity()
    first, second = a_case(number=1), a_case(number=2)
    activity.enrol(first, ACTOR, NOW)
    activity.enrol(second, ACTOR, NOW)
    activity.collect_events()
    return activity, first.id, second.id


def test_a_session_records_its_facts_and_credits_who_attended_in_enrolment_order() -> None:
    activity, first, second = enrolled()

    activity.record_session(
        date(2021, 3, 5), Decimal("2"), frozenset({second, first}), 3, ACTOR, LATER
    )
    activity.record_session(date(2021, 3, 6), Decimal("0.01"), frozenset({second}), 0, ACTOR, LATER)

    assert recorded(activity) == [
        (
            "SessionHeld",
            {
                "timestamp": LATER,
                "city": "firenze",
                "sub_action": "3",
                "session_number": 1,
                "held_on": date(2021, 3, 5),
                "hours": Decimal("2.00"),
                "case_ids": [first, second],
                "residents": 3,
                "actor": ACTOR.as_record(),
            },
        ),
        (
            "SessionHeld",
            {
                "timestamp": LATER,
                "city": "firenze",
                "sub_action": "3",
                "session_number": 2,
                "held_on": date(2021, 3, 6),
                "hours": Decimal("0.01"),
                "case_ids": [second],
                "residents": 0,
                "actor": ACTOR.as_record(),
            },
        ),
    ]
    assert (activity.sessions_held, activity.people_counted, activity.largest_session) == (2, 3, 3)


def test_the_people_counted_are_summed_and_the_largest_session_kept() -> None:
    activity = an_activity()
    for day, residents in ((1, 4), (2, 9), (3, 6)):
        activity.record_session(
            date(2021, 3, day), Decimal(1), frozenset(), residents, ACTOR, LATER
        )
    assert (activity.sessions_held, activity.people_counted, activity.largest_session) == (3, 19, 9)


def test_a_session_is_held_from_the_first_day_to_the_last_and_never_after_today() -> None:
    activity = an_activity(starts_on=date(2021, 3, 1), ends_on=date(2021, 3, 10))
    outside = (
        "invalid_session",
        "The session must fall within the activity's dates.",
        {"field": "held_on"},
    )
    for day in (date(2021, 2, 28), date(2021, 3, 11)):
        assert (
            refusal(
                lambda day=day: activity.record_session(  # type: ignore[misc]
                    day, Decimal(1), frozenset(), 1, ACTOR, LATER
                )
            )
            == outside
        )
    # NOW is 2021-03-10 09:30 UTC: the 11th, even at the activity's dates, is tomorrow.
    wide = an_activity()
    assert refusal(
        lambda: wide.record_session(date(2021, 3, 11), Decimal(1), frozenset(), 1, ACTOR, NOW)
    ) == (
        "invalid_session",
        "A session cannot be recorded before it is held.",
        {"field": "held_on"},
    )
    # 23:30 UTC on the 10th is already the 11th in Italy.
    wide.record_session(
        date(2021, 3, 11),
        Decimal(1),
        frozenset(),
        1,
        ACTOR,
        datetime(2021, 3, 10, 23, 30, tzinfo=UTC),
    )
    for day in (date(2021, 3, 1), date(2021, 3, 10)):
        activity.record_session(day, Decimal(1), frozenset(), 1, ACTOR, LATER)
    assert activity.sessions_held == 2


@pytest.mark.parametrize("hours", ["0", "-1", "12.01", "13", "1.255", "NaN", "Infinity"])
def test_a_session_of_no_time_too_long_or_too_precise_is_refused(hours: str) -> None:
    activity = an_activity()
    assert refusal(
        lambda: activity.record_session(
            date(2021, 3, 5), Decimal(hours), frozenset(), 1, ACTOR, LATER
        )
    ) == (
        "invalid_session",
        "A session lasts more than 0 and at most 12 hours, in hundredths at most.",
        {"field": "hours"},
    )


@pytest.mark.parametrize("hours", ["0.01", "12", "12.00", "7.5"])
def test_a_session_of_a_hundredth_to_twelve_hours_is_recorded(hours: str) -> None:
    activity = an_activity()
    activity.record_session(date(2021, 3, 5), Decimal(hours), frozenset(), 1, ACTOR, LATER)
    assert activity.pending_events[-1].hours == Decimal(hours)  # type: ignore[attr-defined]


def test_the_residents_are_counted_from_0_to_10000() -> None:
    activity, first, _ = enrolled()
    for residents in (-1, 10_001):
        assert refusal(
            lambda residents=residents: activity.record_session(  # type: ignore[misc]
                date(2021, 3, 5), Decimal(1), frozenset({first}), residents, ACTOR, LATER
            )
        ) == (
            "invalid_session",
            "The residents who took part are counted from 0 to 10,000.",
            {"field": "residents"},
        )
    activity.record_session(date(2021, 3, 5), Decimal(1), frozenset({first}), 0, ACTOR, LATER)
    activity.record_session(date(2021, 3, 6), Decimal(1), frozenset(), 10_000, ACTOR, LATER)
    assert activity.people_counted == 10_000


def test_attendance_is_of_participants_and_somebody_takes_part() -> None:
    activity, first, _ = enrolled()
    assert refusal(
        lambda: activity.record_session(
            date(2021, 3, 5), Decimal(1), frozenset({first, UUID(int=7)}), 5, ACTOR, LATER
        )
    ) == (
        "invalid_session",
        "Only participants enrolled in the activity can be marked present.",
        {"field": "attended"},
    )
    assert refusal(
        lambda: activity.record_session(date(2021, 3, 5), Decimal(1), frozenset(), 0, ACTOR, LATER)
    ) == (
        "invalid_session",
        "Nobody took part: mark the participants present, or count the residents.",
        {"field": "attended"},
    )
    activity.record_session(date(2021, 3, 5), Decimal(1), frozenset(), 1, ACTOR, LATER)
    assert activity.sessions_held == 1


def test_completion_records_the_day_in_italy_and_the_sessions_held() -> None:
    activity = an_activity()
    assert refusal(lambda: activity.complete(ACTOR, LATER)) == (
        "no_session_held",
        "No session has been recorded: record the sessions held, or cancel the activity.",
        {"field": "activity"},
    )
    for day in (1, 2):
        activity.record_session(date(2021, 3, day), Decimal(1), frozenset(), 1, ACTOR, LATER)
    activity.collect_events()
    at = datetime(2021, 4, 9, 22, 30, tzinfo=UTC)  # 00:30 on 10 April in Italy

    activity.complete(ACTOR, at)

    assert recorded(activity) == [
        (
            "Completed",
            {
                "timestamp": at,
                "city": "firenze",
                "sub_action": "3",
                "completed_on": date(2021, 4, 10),
                "sessions": 2,
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert activity.status is ActivityStatus.COMPLETED and activity.has_ended
    for command in (
        lambda: activity.complete(ACTOR, at),
        lambda: activity.enrol(a_case(number=5), ACTOR, at),
        lambda: activity.cancel("Late", ACTOR, at),
    ):
        assert refusal(command) == ("activity_ended", ENDED, {"field": "activity"})


def test_a_cancellation_keeps_a_reason_of_500_characters_and_refuses_501() -> None:
    activity = an_activity()
    message = (
        "invalid_cancellation",
        "Say why the activity is cancelled, in up to 500 characters.",
        {"field": "reason"},
    )
    for reason in ("", " ", "r" * 501):
        assert (
            refusal(
                lambda reason=reason: activity.cancel(  # type: ignore[misc]
                    reason, ACTOR, LATER
                )
            )
            == message
        )
    activity.collect_events()

    activity.cancel(" " + "r" * 500 + " ", ACTOR, LATER)

    assert recorded(activity) == [
        (
            "Cancelled",
            {
                "timestamp": LATER,
                "city": "firenze",
                "sub_action": "3",
                "reason": "r" * 500,
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert activity.status is ActivityStatus.CANCELLED and activity.has_ended
    assert refusal(
        lambda: activity.record_session(date(2021, 3, 5), Decimal(1), frozenset(), 1, ACTOR, LATER)
    ) == ("activity_ended", ENDED, {"field": "activity"})


def a_training(*counts: int) -> Activity:
    training = an_activity(
        sub_action=SubAction.ADMINISTRATION_EMPOWERMENT, kind=ActivityKind.STAFF_TRAINING
    )
    for day, count in enumerate(counts, start=1):
        training.record_session(date(2021, 3, day), Decimal(2), frozenset(), count, ACTOR, LATER)
    training.collect_events()
    return training


def test_staff_trained_are_counted_on_a_training_only_with_why() -> None:
    other = an_activity(sub_action=SubAction.COMMUNICATION)
    other.cancel("Venue closed", ACTOR, NOW)
    assert refusal(lambda: other.count_staff_trained(1, ACTOR, LATER)) == (
        "not_a_staff_training",
        "Only a Sub-Action 5 activity trains municipal staff.",
        {"field": "staff_trained"},
    )
    cancelled = a_training()
    cancelled.cancel("Venue closed", ACTOR, NOW)
    assert refusal(lambda: cancelled.count_staff_trained(1, ACTOR, LATER)) == (
        "activity_ended",
        "The activity is cancelled: nothing more can be recorded on it.",
        {"field": "activity"},
    )
    assert refusal(lambda: a_training().count_staff_trained(1, ACTOR, LATER)) == (
        "no_session_held",
        "No session has been recorded: record the sessions held first.",
        {"field": "staff_trained"},
    )


def test_staff_trained_lie_between_the_largest_session_and_the_sum_said_with_both() -> None:
    training = a_training(4, 6)
    for count in (5, 11):
        assert refusal(
            lambda count=count: training.count_staff_trained(  # type: ignore[misc]
                count, ACTOR, LATER
            )
        ) == (
            "invalid_staff_count",
            "The staff trained are at least the largest session's count (6) and at most the "
            "sessions' counts summed (10).",
            {"field": "staff_trained", "least": 6, "most": 10},
        )
    training.count_staff_trained(6, ACTOR, LATER)
    training.count_staff_trained(10, ACTOR, LATER)
    assert recorded(training) == [
        (
            "StaffTrainedCounted",
            {
                "timestamp": LATER,
                "city": "firenze",
                "sub_action": "5",
                "staff_trained": count,
                "actor": ACTOR.as_record(),
            },
        )
        for count in (6, 10)
    ]

"""Priority (issue 12, item 9) and referral answer times (item 11): the ministry's configuration,
recorded as its decisions, read by the rules that order waitlists and referral boards and that
set a referral's due time.

The card: "in via primaria, i titolari di protezione internazionale"; the vulnerable categories
(art. 17 c.1 d.lgs. 142/2015) "saranno prese in considerazione in tutte le Sub-Azioni"; then
the time waited."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.amendments.model import (
    MAX_ANSWER_HOURS,
    InvalidAnswerTimes,
    InvalidPriorityWeights,
    ProgrammeTerms,
)
from domain.cases.model import Case
from domain.cases.rules import Vulnerability
from domain.housing.priority import in_waitlist_order
from domain.programme import (
    CARD_PRIORITY_WEIGHTS,
    CARD_TERMS,
    STARTING_ANSWER_TIMES,
    Actor,
    ActorKind,
    AnswerTimes,
    City,
    PriorityFactor,
    PriorityPoints,
    PriorityWeights,
    Role,
)
from domain.referrals.model import Referral
from domain.referrals.rules import CityService, Destination, Urgency, in_referral_priority_order
from tests.builders import NOW, a_coordinator, an_intake

MINISTRY = Actor(ActorKind.USER, "ministero", Role.MINISTRY).as_record()
DECIDED = date(2021, 3, 1)


def established() -> ProgrammeTerms:
    terms = ProgrammeTerms.establish(MINISTRY, NOW)
    terms.collect_events()
    return terms


# --- answer times ------------------------------------------------------------------------------


def hours(immediate: float, urgent: float, ordinary: float) -> AnswerTimes:
    return AnswerTimes(timedelta(hours=immediate), timedelta(hours=urgent),
                       timedelta(hours=ordinary))


def test_until_the_ministry_decides_the_answer_times_are_the_platform_s_starting_ones() -> None:
    """Issue 12, item 11: 24 h / 72 h / 15 days are not on the card; they hold until the
    ministry sets its own."""
    assert CARD_TERMS.answer_times == STARTING_ANSWER_TIMES == hours(24, 72, 15 * 24)
    referral = a_referral(Urgency.ORDINARY)
    assert referral.due_at == NOW + timedelta(days=15)


def test_the_ministry_sets_the_answer_times_field_by_field() -> None:
    terms = established()
    terms.set_answer_times(hours(12, 48, 240), DECIDED, "Circ. 5/2021", MINISTRY, NOW)

    (event,) = terms.collect_events()
    assert isinstance(event, ProgrammeTerms.AnswerTimesSet)
    assert (event.immediate_answer_hours, event.urgent_answer_hours,
            event.ordinary_answer_hours) == (12, 48, 240)
    assert (event.decided_on, event.act_reference, event.actor) == (
        DECIDED, "Circ. 5/2021", MINISTRY)
    assert terms.in_force.answer_times == hours(12, 48, 240)


@pytest.mark.parametrize("times", [
    hours(0, 72, 360), hours(24, 72, MAX_ANSWER_HOURS + 1), hours(72, 72, 360),
    hours(24, 360, 72), hours(1.5, 72, 360),
])
def test_answer_times_are_whole_hours_each_urgency_shorter_than_the_next(
    times: AnswerTimes,
) -> None:
    terms = established()
    with pytest.raises(InvalidAnswerTimes) as refused:
        terms.set_answer_times(times, DECIDED, "Circ. 5/2021", MINISTRY, NOW)
    assert refused.value.params["field"] == "answer_times"
    assert terms.collect_events() == []


def test_answer_times_at_their_limits_are_set() -> None:
    terms = established()
    terms.set_answer_times(hours(1, 2, MAX_ANSWER_HOURS), DECIDED, "Circ. 5", MINISTRY, NOW)
    assert terms.in_force.answer_times == hours(1, 2, 90 * 24)


def a_case(vulnerable: bool = False) -> Case:
    facts = an_intake(City.MILANO, vulnerabilities=frozenset(
        {Vulnerability.PREGNANCY} if vulnerable else set()))
    return Case.take_in(uuid4(), "MI-2021-00001", facts, a_coordinator(City.MILANO), NOW)


def a_referral(urgency: Urgency | None, answer_times: AnswerTimes = STARTING_ANSWER_TIMES,
               case: Case | None = None) -> Referral:
    terms = replace(CARD_TERMS, answer_times=answer_times)
    return Referral.request(uuid4(), case or a_case(), Destination.city_service(
        CityService.HEALTH), urgency, None, a_coordinator(City.MILANO), NOW, terms=terms)


@pytest.mark.parametrize(("urgency", "due_in"), [
    (Urgency.IMMEDIATE, timedelta(hours=12)), (Urgency.WITHIN_72_HOURS, timedelta(hours=48)),
    (Urgency.ORDINARY, timedelta(hours=240)),
])
def test_a_referral_is_due_after_the_answer_time_in_force_for_its_urgency(
    urgency: Urgency, due_in: timedelta,
) -> None:
    referral = a_referral(urgency, hours(12, 48, 240))
    (requested,) = referral.collect_events()
    assert requested.due_at == NOW + due_in  # type: ignore[attr-defined]
    assert referral.due_at == NOW + due_in


def test_a_vulnerable_person_is_urgent_by_default_under_whatever_answer_time_is_in_force() -> None:
    """docs/workflows/referrals.md: a vulnerable person is answered urgently by default."""
    referral = a_referral(None, hours(12, 48, 240), a_case(vulnerable=True))
    assert referral.urgency is Urgency.WITHIN_72_HOURS
    assert referral.due_at == NOW + timedelta(hours=48)


# --- priority weights --------------------------------------------------------------------------


def test_the_card_s_weights_are_one_configuration_that_orders_as_the_card_says() -> None:
    assert CARD_TERMS.priority_weights == CARD_PRIORITY_WEIGHTS == PriorityWeights(
        international_protection=2000, vulnerability=1000, per_day_waiting=1,
        waiting_days_counted=999)
    # The longest anyone can wait within the period counts less than vulnerability.
    span = (CARD_TERMS.period.ends_on - CARD_TERMS.period.starts_on).days
    assert span * CARD_PRIORITY_WEIGHTS.per_day_waiting < CARD_PRIORITY_WEIGHTS.vulnerability


def test_a_priority_shows_each_factor_s_points() -> None:
    """Issue 12, item 9: "each factor visible in the page ('why is this person first')"."""
    priority = CARD_PRIORITY_WEIGHTS.priority(
        international_protection=True, vulnerable=False, days_waiting=45)
    assert priority.factors == (
        PriorityPoints(PriorityFactor.INTERNATIONAL_PROTECTION, 2000),
        PriorityPoints(PriorityFactor.VULNERABILITY, 0),
        PriorityPoints(PriorityFactor.WAITING_TIME, 45, days=45),
    )
    assert priority.total == 2045
    capped = CARD_PRIORITY_WEIGHTS.priority(
        international_protection=False, vulnerable=True, days_waiting=1500)
    assert capped.factors[2] == PriorityPoints(PriorityFactor.WAITING_TIME, 999, days=1500)
    assert capped.total == 1999


@dataclass(frozen=True)
class Waiting:
    """A waitlist row as the housing read model gives it."""

    case_code: str
    priority_group: str
    vulnerable: bool
    waitlisted_at: datetime


IP, OTHER = "international_protection", "other_outside_reception"
NOON = datetime(2021, 6, 1, 12, tzinfo=UTC)


def test_the_waitlist_puts_protection_first_then_vulnerability_then_waiting_time() -> None:
    """Issue 12, item 9: "holders of international protection first, then vulnerability, then
    waiting time — in the housing waitlist"."""
    entries = [
        Waiting("FI-2021-00001", OTHER, False, NOON - timedelta(days=400)),
        Waiting("FI-2021-00002", OTHER, True, NOON - timedelta(days=300)),
        Waiting("FI-2021-00003", IP, False, NOON - timedelta(days=1)),
        Waiting("FI-2021-00004", IP, True, NOON),
        Waiting("FI-2021-00005", OTHER, False, NOON - timedelta(days=500)),
    ]
    ordered = in_waitlist_order(entries, CARD_PRIORITY_WEIGHTS, NOON)
    assert [entry.case_code[-1] for entry, _priority in ordered] == ["4", "3", "2", "5", "1"]
    assert [priority.total for _entry, priority in ordered] == [3000, 2001, 1300, 500, 400]


def test_equal_priorities_go_to_the_longest_waiting_then_by_case_code() -> None:
    morning, evening = NOON - timedelta(hours=3), NOON + timedelta(hours=3)
    entries = [Waiting("FI-2021-00009", IP, False, evening),
               Waiting("FI-2021-00002", IP, False, evening),
               Waiting("FI-2021-00005", IP, False, morning)]
    ordered = in_waitlist_order(entries, CARD_PRIORITY_WEIGHTS, NOON + timedelta(days=2))
    assert [entry.case_code for entry, _p in ordered] == [
        "FI-2021-00005", "FI-2021-00002", "FI-2021-00009"]


def test_the_ministry_may_let_a_long_wait_outweigh_vulnerability_but_not_protection() -> None:
    """The weights are the ministry's configuration: here a year's wait counts as much as
    vulnerability, while protection still comes first."""
    weights = PriorityWeights(international_protection=5000, vulnerability=365,
                              per_day_waiting=1, waiting_days_counted=999)
    entries = [Waiting("FI-2021-00001", OTHER, True, NOON),
               Waiting("FI-2021-00002", OTHER, False, NOON - timedelta(days=400)),
               Waiting("FI-2021-00003", IP, False, NOON)]
    ordered = in_waitlist_order(entries, weights, NOON)
    assert [entry.case_code[-1] for entry, _p in ordered] == ["3", "2", "1"]


def test_the_ministry_sets_the_priority_weights_field_by_field() -> None:
    terms = established()
    weights = PriorityWeights(5000, 365, 1, 999)
    terms.set_priority_weights(weights, DECIDED, "DM 44/2021", MINISTRY, NOW)

    (event,) = terms.collect_events()
    assert isinstance(event, ProgrammeTerms.PriorityWeightsSet)
    assert (event.international_protection_points, event.vulnerability_points,
            event.points_per_day_waiting, event.waiting_days_counted) == (5000, 365, 1, 999)
    assert (event.decided_on, event.act_reference) == (DECIDED, "DM 44/2021")
    assert terms.in_force.priority_weights == weights


@pytest.mark.parametrize(("weights", "field"), [
    (PriorityWeights(1000, 1000, 1, 999), "international_protection"),  # protection not first
    (PriorityWeights(999, 1000, 1, 999), "international_protection"),
    (PriorityWeights(2000, 0, 1, 999), "priority_weights"),  # vulnerability ignored
    (PriorityWeights(2000, 1000, 0, 999), "priority_weights"),  # waiting ignored
    (PriorityWeights(2000, 1000, 1, 0), "priority_weights"),
    (PriorityWeights(2000, 1000, 1, 3651), "priority_weights"),
    (PriorityWeights(1_000_001, 1000, 1, 999), "priority_weights"),
])
def test_weights_keep_the_card_s_order_and_count_every_factor(
    weights: PriorityWeights, field: str,
) -> None:
    terms = established()
    with pytest.raises(InvalidPriorityWeights) as refused:
        terms.set_priority_weights(weights, DECIDED, "DM 44/2021", MINISTRY, NOW)
    assert refused.value.params["field"] == field
    assert terms.collect_events() == []


def test_weights_at_their_limits_are_set() -> None:
    terms = established()
    terms.set_priority_weights(PriorityWeights(1_000_000, 999_999, 1, 3650), DECIDED, "DM 1",
                               MINISTRY, NOW)
    terms.set_priority_weights(PriorityWeights(2, 1, 1, 1), DECIDED, "DM 2", MINISTRY, NOW)
    assert len(terms.collect_events()) == 2


@dataclass(frozen=True)
class Pending:
    """A pending referral as the referral board holds it, with its case's facts of now."""

    case_code: str
    requested_at: datetime
    international_protection: bool
    vulnerable: bool


def test_a_city_s_pending_referrals_come_in_the_card_s_order_of_the_people_they_serve() -> None:
    """Issue 12, item 9: the same order "in ... the referral urgency": protection first, then
    vulnerability, then the longest waiting for an answer."""
    pending = [
        Pending("MI-2021-00001", NOON - timedelta(days=10), False, False),
        Pending("MI-2021-00002", NOON - timedelta(days=1), False, True),
        Pending("MI-2021-00003", NOON, True, False),
        Pending("MI-2021-00004", NOON - timedelta(days=3), False, False),
    ]
    ordered = in_referral_priority_order(pending, CARD_PRIORITY_WEIGHTS, NOON)
    assert [p.case_code[-1] for p, _priority in ordered] == ["3", "2", "1", "4"]
    assert ordered[2][1].factors[2] == PriorityPoints(PriorityFactor.WAITING_TIME, 10, days=10)


def test_pending_referrals_equal_in_priority_and_waiting_come_by_case_code() -> None:
    """Left by the whole-tree mutation run of 7 December 2026: no test had two referrals alike
    but for their case code, given out of code order."""
    pending = [
        Pending("MI-2021-00009", NOON - timedelta(days=2), False, True),
        Pending("MI-2021-00005", NOON - timedelta(days=2), False, True),
        Pending("MI-2021-00007", NOON - timedelta(days=2), False, True),
    ]
    ordered = in_referral_priority_order(pending, CARD_PRIORITY_WEIGHTS, NOON)
    assert [p.case_code[-1] for p, _priority in ordered] == ["5", "7", "9"]

"""The programme terms' service at its edges (issue 20): each decision's position and what it
passes on (every decision as the service lists it back, field by field), the terms as of a moment
on the moment and a second before, the as-of view that decides nothing, who may decide (each
refusal's code, message and permission), and a decision decided again after a rival saved first.
Over the real in-memory record.

DOMAIN.md, "Programme terms": only the ministry amends the programme (its period, its partner
cities, its answer times, its priority weights), each decision resting on an act."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.access import AccessDenied
from domain.amendments.model import AmendmentKind, ProgrammeTerms
from domain.amendments.service import ProgrammeTermsService
from domain.programme import (
    CARD_TERMS,
    Actor,
    ActorKind,
    AnswerTimes,
    City,
    PriorityWeights,
    Role,
)
from domain.record import ProgrammeRecord

MINISTRY = Actor(ActorKind.USER, "ministero", Role.MINISTRY)
MINISTRY_RECORD = {"kind": "user", "id": "ministero", "role": "ministry", "city": None}
DECIDED_AT = datetime(2021, 11, 15, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)
VERONA = City("verona")


@pytest.fixture
def terms() -> ProgrammeTermsService:
    return ProgrammeTermsService(ProgrammeRecord())


def listed(terms: ProgrammeTermsService, moment: datetime | None = None) -> list[tuple[Any, ...]]:
    return [(a.kind, a.recorded_at, a.decided_on, a.act_reference, a.values, a.actor)
            for a in terms.amendments(moment)]


def test_each_decision_returns_its_position_and_passes_its_facts_on(
    terms: ProgrammeTermsService,
) -> None:
    weights = PriorityWeights(international_protection=5, vulnerability=3, per_day_waiting=2,
                              waiting_days_counted=90)
    positions = [
        terms.extend_period(date(2022, 6, 30), date(2021, 11, 10), "DM 1/2021", MINISTRY,
                            DECIDED_AT),
        terms.withdraw_city(City.MILANO, date(2022, 1, 1), date(2021, 11, 11), "DM 2/2021",
                            MINISTRY, DECIDED_AT + HOUR),
        terms.admit_city(VERONA, date(2022, 2, 1), date(2021, 11, 12), "DM 3/2021", MINISTRY,
                         DECIDED_AT + 2 * HOUR, name="Verona", province_code="VR"),
        terms.set_answer_times(
            AnswerTimes(timedelta(hours=12), timedelta(hours=48), timedelta(days=10)),
            date(2021, 11, 13), "DM 4/2021", MINISTRY, DECIDED_AT + 3 * HOUR),
        terms.set_priority_weights(weights, date(2021, 11, 14), "DM 5/2021", MINISTRY,
                                   DECIDED_AT + 4 * HOUR),
    ]
    # The establishment is saved with the first decision: positions 1 and 2.
    assert positions == [2, 3, 4, 5, 6]
    assert positions[-1] == terms.record.recorder.max_notification_id()
    established, *decided = listed(terms)
    assert established == (AmendmentKind.ESTABLISHED, DECIDED_AT, None, None, {},
                           MINISTRY_RECORD)
    assert decided[:4] == [
        (AmendmentKind.PERIOD_EXTENDED, DECIDED_AT, date(2021, 11, 10), "DM 1/2021",
         {"ends_on": date(2022, 6, 30), "previous_ends_on": date(2021, 12, 31)},
         MINISTRY_RECORD),
        (AmendmentKind.CITY_WITHDRAWN, DECIDED_AT + HOUR, date(2021, 11, 11), "DM 2/2021",
         {"withdrawing_city": "milano", "leaves_on": date(2022, 1, 1)}, MINISTRY_RECORD),
        (AmendmentKind.CITY_JOINED, DECIDED_AT + 2 * HOUR, date(2021, 11, 12), "DM 3/2021",
         {"joining_city": "verona", "joins_on": date(2022, 2, 1), "name": "Verona",
          "province_code": "VR"}, MINISTRY_RECORD),
        (AmendmentKind.ANSWER_TIMES_SET, DECIDED_AT + 3 * HOUR, date(2021, 11, 13), "DM 4/2021",
         {"immediate_answer_hours": 12, "urgent_answer_hours": 48,
          "ordinary_answer_hours": 240}, MINISTRY_RECORD),
    ]
    kind, recorded_at, decided_on, act, _values, actor = decided[4]
    assert (kind, recorded_at, decided_on, act, actor) == (
        AmendmentKind.PRIORITY_WEIGHTS_SET, DECIDED_AT + 4 * HOUR, date(2021, 11, 14),
        "DM 5/2021", MINISTRY_RECORD)
    in_force = terms.terms_in_force()
    assert in_force.period.ends_on == date(2022, 6, 30)
    assert in_force.priority_weights == weights
    assert in_force.answer_times.urgent == timedelta(hours=48)
    assert not in_force.is_partner(City.MILANO, date(2022, 1, 1))
    assert in_force.is_partner(VERONA, date(2022, 2, 1))
    assert in_force.province_code(VERONA) == "VR"


def test_the_terms_and_decisions_as_of_a_moment_count_a_decision_recorded_at_it(
    terms: ProgrammeTermsService,
) -> None:
    assert terms.terms_in_force() is CARD_TERMS and terms.amendments() == []
    assert terms.terms_at(DECIDED_AT) is CARD_TERMS
    terms.extend_period(date(2022, 6, 30), date(2021, 11, 10), "DM 1/2021", MINISTRY,
                        DECIDED_AT)
    terms.extend_period(date(2022, 12, 31), date(2021, 11, 15), "DM 9/2021", MINISTRY,
                        DECIDED_AT + HOUR)
    before = DECIDED_AT - timedelta(seconds=1)
    assert terms.terms_at(before) is CARD_TERMS
    assert terms.terms_at(DECIDED_AT).period.ends_on == date(2022, 6, 30)
    assert terms.terms_at(DECIDED_AT + HOUR).period.ends_on == date(2022, 12, 31)
    assert terms.amendments(before) == []
    assert [a.act_reference for a in terms.amendments(DECIDED_AT)] == [None, "DM 1/2021"]
    assert len(terms.amendments(DECIDED_AT + HOUR)) == 3 == len(terms.amendments())

    as_of = ProgrammeTermsService(terms.record, as_of=DECIDED_AT)
    assert as_of.terms_in_force().period.ends_on == date(2022, 6, 30)
    assert [a.act_reference for a in as_of.amendments()] == [None, "DM 1/2021"]
    assert len(as_of.amendments(DECIDED_AT + HOUR)) == 3  # a moment given wins over as_of
    assert ProgrammeTermsService(terms.record, as_of=before).terms_in_force() is CARD_TERMS


def test_a_view_as_of_a_past_moment_decides_nothing(terms: ProgrammeTermsService) -> None:
    view = ProgrammeTermsService(terms.record, as_of=DECIDED_AT)
    with pytest.raises(RuntimeError) as refused:
        view.extend_period(date(2022, 6, 30), date(2021, 11, 10), "DM 1/2021", MINISTRY,
                           DECIDED_AT)
    assert refused.value.args == ("A view of the terms as of a past moment decides nothing.",)
    assert terms.record.recorder.max_notification_id() in (None, 0)


@pytest.mark.parametrize(
    ("actor", "role"),
    [
        (Actor(ActorKind.USER, "coordinator-1", Role.CITY_COORDINATOR, City.ROMA),
         "city_coordinator"),
        (Actor(ActorKind.USER, "auditor-1", Role.AUDITOR), "auditor"),
        (Actor(ActorKind.SYSTEM, "import", Role.SYSTEM), "system"),
        # A city role without a city is no principal at all: refused, never let through.
        (Actor(ActorKind.USER, "coordinator-1", Role.CITY_COORDINATOR, None), "city_coordinator"),
        # Nor is a ministry actor that names a city (the ministry serves the whole network):
        # the principal is judged with the actor's city, not without it.
        (Actor(ActorKind.USER, "ministero", Role.MINISTRY, City.ROMA), "ministry"),
    ],
)
def test_only_the_ministry_decides(
    terms: ProgrammeTermsService, actor: Actor, role: str,
) -> None:
    with pytest.raises(AccessDenied) as refused:
        terms.withdraw_city(City.MILANO, date(2022, 1, 1), date(2021, 11, 11), "DM 2/2021",
                            actor, DECIDED_AT)
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "access_denied", f"A {role} may not amend_programme_terms",
        {"permission": "amend_programme_terms"})
    assert terms.record.recorder.max_notification_id() in (None, 0)


class RivalDecides(ProgrammeTermsService):
    """The service, while another ministry official records a decision just after the service
    first read the terms: its save loses, and it decides again on the newer terms."""

    raced = False

    def _terms(self) -> ProgrammeTerms | None:
        found = super()._terms()
        if not self.raced:
            self.raced = True
            ProgrammeTermsService(self.record).extend_period(
                date(2022, 3, 31), date(2021, 11, 9), "DM 0/2021", MINISTRY, DECIDED_AT)
        return found


def test_a_decision_lost_to_a_rival_is_decided_again_on_the_newer_terms(
    terms: ProgrammeTermsService,
) -> None:
    racing = RivalDecides(terms.record)
    position = racing.extend_period(date(2022, 6, 30), date(2021, 11, 10), "DM 1/2021",
                                    MINISTRY, DECIDED_AT + HOUR)
    assert position == terms.record.recorder.max_notification_id() == 3
    assert [(a.act_reference, a.values.get("previous_ends_on")) for a in terms.amendments()] == [
        (None, None), ("DM 0/2021", date(2021, 12, 31)), ("DM 1/2021", date(2022, 3, 31))]


FIRST_DECISIONS = {
    "extend_period": lambda terms, at: terms.extend_period(
        date(2022, 6, 30), date(2021, 11, 10), "DM 1/2021", MINISTRY, at),
    "admit_city": lambda terms, at: terms.admit_city(
        VERONA, date(2021, 12, 1), date(2021, 11, 12), "DM 3/2021", MINISTRY, at,
        name="Verona", province_code="VR"),
    "withdraw_city": lambda terms, at: terms.withdraw_city(
        City.MILANO, date(2021, 12, 1), date(2021, 11, 11), "DM 2/2021", MINISTRY, at),
    "set_answer_times": lambda terms, at: terms.set_answer_times(
        AnswerTimes(timedelta(hours=12), timedelta(hours=48), timedelta(days=10)),
        date(2021, 11, 13), "DM 4/2021", MINISTRY, at),
    "set_priority_weights": lambda terms, at: terms.set_priority_weights(
        PriorityWeights(international_protection=5, vulnerability=3, per_day_waiting=2,
                        waiting_days_counted=90), date(2021, 11, 14), "DM 5/2021", MINISTRY, at),
}


@pytest.mark.parametrize("command", sorted(FIRST_DECISIONS))
def test_the_first_decision_of_any_kind_establishes_the_terms_at_its_own_moment(
    terms: ProgrammeTermsService, command: str,
) -> None:
    FIRST_DECISIONS[command](terms, DECIDED_AT + HOUR)
    established, decided = terms.amendments()
    assert (established.kind, established.recorded_at, established.actor) == (
        AmendmentKind.ESTABLISHED, DECIDED_AT + HOUR, MINISTRY_RECORD)
    assert decided.recorded_at == DECIDED_AT + HOUR
    assert terms.amendments(DECIDED_AT) == []

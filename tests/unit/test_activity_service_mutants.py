"""The community activities service's own answers (issue 20): the position each command returns,
the facts each passes on to the activity (every stored event field by field), its refusals with
their codes, messages and fields where the service raises them, the terms it passes on, and an
enrolment decided again after a rival saved first. Over the real in-memory record and the cases
context's service.

DOMAIN.md, "Community activity": planned, held, attended by enrolled beneficiaries and counted
residents, with hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from domain.activities.model import Activity
from domain.activities.service import ActivityNotFound, ActivityService
from domain.cases.service import CaseService
from domain.programme import City, DomainError, SubAction
from tests.builders import NOW, a_coordinator, field_refusal, last_position, stored
from tests.unit.test_activity_rules import a_plan
from tests.unit.test_plan_rules import a_case, cases, vault
from tests.unit.test_programme_terms import withdrawn

__all__ = ["cases", "vault"]  # the fixtures, as fixtures of this module too
ACTOR = a_coordinator()
LATER = NOW + timedelta(days=30)  # 2021-04-09


@pytest.fixture
def activities(cases: CaseService) -> ActivityService:
    return ActivityService(cases.record, cases)


def test_each_command_returns_its_position_and_passes_its_facts_on(
    cases: CaseService,
    activities: ActivityService,
) -> None:
    activity_id, case_id = uuid4(), a_case(cases)
    case_code = cases.get(case_id).case_code
    positions = [
        activities.plan_activity(activity_id, a_plan(), ACTOR, NOW),
        activities.enrol(activity_id, case_id, ACTOR, NOW + timedelta(hours=1)),
        activities.record_session(activity_id, date(2021, 3, 12), Decimal("2.50"),
                                  frozenset({case_id}), 7, ACTOR, NOW + timedelta(days=2)),
        activities.complete(activity_id, ACTOR, LATER),
    ]
    first = positions[0]
    assert positions == [first, first + 1, first + 2, first + 3]
    assert positions[-1] == last_position(activities.record)
    actor = ACTOR.as_record()
    common = {"city": "firenze", "sub_action": "3"}
    assert stored(activities.record, activity_id)[1:] == [
        ("ParticipantEnrolled", {**common, "kind": "neighbourhood_mediation",
                                 "case_id": case_id, "case_code": case_code, "actor": actor,
                                 "timestamp": NOW + timedelta(hours=1)}),
        ("SessionHeld", {**common, "session_number": 1, "held_on": date(2021, 3, 12),
                         "hours": Decimal("2.50"), "case_ids": [case_id], "residents": 7,
                         "actor": actor, "timestamp": NOW + timedelta(days=2)}),
        ("Completed", {**common, "completed_on": LATER.date(), "sessions": 1, "actor": actor,
                       "timestamp": LATER}),
    ]
    assert activities.get(activity_id).id == activity_id


def test_a_cancellation_and_a_staff_count_pass_their_facts_on(
    activities: ActivityService,
) -> None:
    cancelled, training = uuid4(), uuid4()
    activities.plan_activity(cancelled, a_plan(), ACTOR, NOW)
    position = activities.cancel(cancelled, "  Sala non disponibile ", ACTOR, LATER)
    assert position == last_position(activities.record)
    assert stored(activities.record, cancelled)[-1] == ("Cancelled", {
        "city": "firenze", "sub_action": "3", "reason": "Sala non disponibile",
        "actor": ACTOR.as_record(), "timestamp": LATER})

    activities.plan_activity(training, a_plan(
        sub_action=SubAction.ADMINISTRATION_EMPOWERMENT), ACTOR, NOW)
    activities.record_session(training, date(2021, 3, 12), Decimal(3), frozenset(), 9, ACTOR,
                              NOW + timedelta(days=2))
    position = activities.count_staff_trained(training, 9, ACTOR, LATER)
    assert position == last_position(activities.record)
    assert stored(activities.record, training)[-1] == ("StaffTrainedCounted", {
        "city": "firenze", "sub_action": "5", "staff_trained": 9,
        "actor": ACTOR.as_record(), "timestamp": LATER})


def test_an_unknown_case_is_refused_as_another_city_s_would_be(
    activities: ActivityService,
) -> None:
    activity_id = uuid4()
    activities.plan_activity(activity_id, a_plan(), ACTOR, NOW)
    written = last_position(activities.record)
    with pytest.raises(DomainError) as refused:
        activities.enrol(activity_id, uuid4(), ACTOR, LATER)
    assert field_refusal(refused) == (
        "not_a_case_of_the_city", "No case of the activity's city has this id or code.", "case")
    assert refused.value.__suppress_context__
    assert last_position(activities.record) == written


def test_an_unknown_id_or_another_aggregate_s_is_no_activity(
    cases: CaseService,
    activities: ActivityService,
) -> None:
    unknown = uuid4()
    with pytest.raises(ActivityNotFound) as not_found:
        activities.get(unknown)
    assert not_found.value.args == (unknown,)
    assert not_found.value.__suppress_context__
    case_id = a_case(cases)
    with pytest.raises(ActivityNotFound) as not_an_activity:
        activities.get(case_id)
    assert not_an_activity.value.args == (case_id,)
    with pytest.raises(ActivityNotFound):
        activities.complete(unknown, ACTOR, LATER)


class Withdrawn:
    """The terms in force after an amendment withdrew Florence on 31 March 2021."""

    def terms_in_force(self) -> object:
        return withdrawn(City.FIRENZE, date(2021, 3, 31))


def test_the_service_plans_under_the_terms_it_is_given(cases: CaseService) -> None:
    """DOMAIN.md, "Partner cities": no new activity for a city while it is not a partner."""
    activities = ActivityService(cases.record, cases, Withdrawn())  # type: ignore[arg-type]
    with pytest.raises(DomainError) as refused:
        activities.plan_activity(uuid4(), a_plan(), ACTOR, NOW)
    assert refused.value.code == "not_a_partner_city"
    activity_id = uuid4()
    activities.plan_activity(activity_id, a_plan(ends_on=date(2021, 3, 30)), ACTOR, NOW)
    assert activities.get(activity_id).ends_on == date(2021, 3, 30)
    # Without a source, the card's terms: the same plan is a partner's all along.
    card = ActivityService(cases.record, cases)
    card.plan_activity(uuid4(), a_plan(), ACTOR, NOW)


class RivalEnrols(ActivityService):
    """The service, while a colleague enrols another case just after the service first read the
    activity: the service's save loses, and it decides again on the newer activity."""

    rival_case: UUID | None = None

    def get(self, activity_id: UUID) -> Activity:
        activity = super().get(activity_id)
        if self.rival_case is not None:
            rival, self.rival_case = self.rival_case, None
            ActivityService(self.record, self.cases).enrol(activity_id, rival, ACTOR, NOW)
        return activity


def test_an_enrolment_lost_to_a_rival_is_decided_again(cases: CaseService) -> None:
    racing = RivalEnrols(cases.record, cases)
    activity_id, mine, theirs = uuid4(), a_case(cases), a_case(cases)
    racing.plan_activity(activity_id, a_plan(), ACTOR, NOW)
    racing.rival_case = theirs
    position = racing.enrol(activity_id, mine, ACTOR, LATER)
    assert position == last_position(racing.record)
    assert list(racing.get(activity_id).participants) == [theirs, mine]


def test_a_plan_reaches_the_activity_as_given(activities: ActivityService) -> None:
    activity_id = uuid4()
    plan = replace(a_plan(), title="Orto condiviso", neighbourhood="Isolotto")
    activities.plan_activity(activity_id, plan, ACTOR, NOW)
    (name, planned), = stored(activities.record, activity_id)
    assert (name, planned["title"], planned["neighbourhood"], planned["timestamp"]) == (
        "Planned", "Orto condiviso", "Isolotto", NOW)

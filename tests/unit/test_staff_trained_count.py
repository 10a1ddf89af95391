"""Counting the municipal staff a Sub-Action 5 training trained (issue 13 item 6): its sessions
count people, not who they are (DOMAIN.md, "Community activity": "attended by enrolled
beneficiaries and counted residents"), so the coordinator counts the different people from the
attendance sheets, between the largest session's count and the sessions' counts summed. A
refused count records nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.activities.model import (
    Activity,
    ActivityEnded,
    ActivityKind,
    InvalidStaffCount,
    NoSessionHeld,
    NotAStaffTraining,
)
from domain.programme import SubAction
from tests.builders import NOW, a_coordinator
from tests.unit.test_activity_rules import an_activity

LATER = NOW + timedelta(days=30)


def a_training() -> Activity:
    return an_activity(sub_action=SubAction.ADMINISTRATION_EMPOWERMENT,
                       kind=ActivityKind.STAFF_TRAINING)


def with_sessions(activity: Activity, *counts: int) -> Activity:
    for number, staff in enumerate(counts, start=1):
        activity.record_session(date(2021, 3, number), Decimal("2"), frozenset(), staff,
                                a_coordinator(), NOW)
    return activity


def test_the_count_lies_between_the_largest_session_and_the_sessions_summed() -> None:
    training = with_sessions(a_training(), 12, 15, 10)
    already = len(training.pending_events)
    for refused in (14, 38):  # one under the largest session (15), one over the sum (37)
        with pytest.raises(InvalidStaffCount) as raised:
            training.count_staff_trained(refused, a_coordinator(), LATER)
        assert (raised.value.params["least"], raised.value.params["most"]) == (15, 37)
    assert len(training.pending_events) == already
    for limit in (15, 37):
        training.count_staff_trained(limit, a_coordinator(), LATER)
        event = training.pending_events[-1]
        assert isinstance(event, Activity.StaffTrainedCounted)
        assert (event.city, event.sub_action, event.staff_trained, event.actor) == (
            "firenze", "5", limit, a_coordinator().as_record())


def test_a_completed_training_is_counted_but_a_cancelled_one_is_not() -> None:
    completed = with_sessions(a_training(), 8)
    completed.complete(a_coordinator(), NOW)
    completed.count_staff_trained(8, a_coordinator(), LATER)
    cancelled = with_sessions(a_training(), 8)
    cancelled.cancel("Aula non disponibile", a_coordinator(), NOW)
    with pytest.raises(ActivityEnded):
        cancelled.count_staff_trained(8, a_coordinator(), LATER)


def test_only_a_sub_action_5_activity_with_sessions_is_counted() -> None:
    with pytest.raises(NoSessionHeld):
        a_training().count_staff_trained(1, a_coordinator(), LATER)
    communication = with_sessions(an_activity(sub_action=SubAction.COMMUNICATION,
                                              kind=ActivityKind.INFORMATION_EVENT), 40)
    with pytest.raises(NotAStaffTraining):
        communication.count_staff_trained(40, a_coordinator(), LATER)

"""The housing waitlist's order (domain/housing/priority.py, issue 20): each entry's priority
factor by factor (which group counts as international protection, vulnerability, the days
waited from the waitlisting), and equals told apart by the case code.

DOMAIN.md, "Placement": a waitlist ordered by priority (vulnerability, waiting time); the card
puts holders of international protection first."""

from __future__ import annotations

from datetime import timedelta

from domain.housing.priority import INTERNATIONAL_PROTECTION_GROUP, in_waitlist_order
from domain.programme import Priority, PriorityFactor, PriorityPoints, PriorityWeights
from tests.builders import NOW
from tests.unit.test_priority_and_answer_times import Waiting

WEIGHTS = PriorityWeights(international_protection=300, vulnerability=20, per_day_waiting=1,
                          waiting_days_counted=999)


def priority(protection: int, vulnerability: int, days: int) -> Priority:
    return Priority((PriorityPoints(PriorityFactor.INTERNATIONAL_PROTECTION, protection),
                     PriorityPoints(PriorityFactor.VULNERABILITY, vulnerability),
                     PriorityPoints(PriorityFactor.WAITING_TIME, days, days)))


def test_each_entry_comes_with_its_points_factor_by_factor() -> None:
    assert INTERNATIONAL_PROTECTION_GROUP == "international_protection"
    refugee = Waiting("MI-2021-00001", "international_protection", False, NOW)
    mother = Waiting("MI-2021-00002", "other_outside_reception", True,
                     NOW - timedelta(days=3))
    other = Waiting("MI-2021-00003", "other_outside_reception", False,
                    NOW - timedelta(days=5, seconds=1))
    assert in_waitlist_order([other, mother, refugee], WEIGHTS, NOW + timedelta(days=1)) == [
        (refugee, priority(300, 0, 1)), (mother, priority(0, 20, 4)), (other, priority(0, 0, 6))]


def test_equals_waiting_since_the_same_second_go_by_case_code() -> None:
    ninth, second = (Waiting(f"MI-2021-0000{n}", "other_outside_reception", False, NOW)
                      for n in (9, 2))
    assert [entry for entry, _ in in_waitlist_order([ninth, second], WEIGHTS, NOW)] == [
        second, ninth]

"""The order of a city's housing waitlist: who is offered the next free bed.

The card's order (docs/domain.md): "in via primaria, i titolari di protezione internazionale";
then the vulnerable categories of art. 17 c.1 d.lgs. 142/2015; then the time waited, counted from
when the case was put on the waitlist (declining a bed costs no place). How much each factor
weighs is the ministry's decision (`PriorityWeights`, in the terms in force); every entry comes
with its points per factor, so a page shows why a case comes first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

from domain.programme import Priority, PriorityFacts, PriorityWeights, in_priority_order

# The priority group the cases context records for refugees and subsidiary protection.
INTERNATIONAL_PROTECTION_GROUP = "international_protection"


class WaitingCase(Protocol):
    """A case on the waitlist as a read model holds it (housing's WaitlistEntry is one)."""

    @property
    def case_code(self) -> str: ...

    @property
    def priority_group(self) -> str: ...

    @property
    def vulnerable(self) -> bool: ...

    @property
    def waitlisted_at(self) -> datetime: ...


_W = TypeVar("_W", bound=WaitingCase)


def in_waitlist_order(
    entries: Iterable[_W], weights: PriorityWeights, now: datetime
) -> list[tuple[_W, Priority]]:
    """The waitlist, first to be offered a bed first, each case with its priority."""
    return in_priority_order(entries, weights, now, lambda entry: PriorityFacts(
        international_protection=entry.priority_group == INTERNATIONAL_PROTECTION_GROUP,
        vulnerable=entry.vulnerable, waiting_since=entry.waitlisted_at,
        tiebreak=entry.case_code,
    ))

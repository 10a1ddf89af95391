"""The households service's own answers (issue 20): the position each command returns, what it
reads back (a case's household, a household's members), its refusals with their codes, messages
and fields, and a join decided again after a rival saved first. Over the real in-memory record
and the cases context's service; the rival is a second writer saving in between."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.cases.model import CaseClosed
from domain.cases.rules import CaseOutcome
from domain.cases.service import CaseService
from domain.households.model import DepartureReason, Household, Membership, Relationship
from domain.households.service import (
    _SAVE_ATTEMPTS,
    CaseToLink,
    HouseholdMembers,
    HouseholdNotFound,
    HouseholdService,
    NoHouseholdWithMember,
    NotInAHousehold,
)
from domain.programme import City, DomainError
from tests.builders import NOW, a_coordinator, field_refusal, last_position
from tests.unit.test_plan_rules import a_case, cases, vault

__all__ = ["cases", "vault"]  # the fixtures, as fixtures of this module too
ACTOR = a_coordinator()
TODAY = NOW.date()
FORMED_ON = date(2021, 3, 10)


@pytest.fixture
def households(cases: CaseService) -> HouseholdService:
    return HouseholdService(cases.record, cases)


def test_each_command_returns_the_position_of_what_it_saved(
    cases: CaseService,
    households: HouseholdService,
) -> None:
    head, child = a_case(cases), a_case(cases)
    household_id = uuid4()
    positions = [
        households.form_household(household_id, head, FORMED_ON, ACTOR, NOW),
        households.join_household(household_id, child, Relationship.CHILD, FORMED_ON, ACTOR, NOW),
        households.make_head(child, Relationship.PARENT, TODAY, ACTOR, NOW),
        households.leave_household(head, DepartureReason.MOVED_AWAY, TODAY, ACTOR, NOW),
    ]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert positions[-1] == last_position(households.record)
    assert households.household_id_of(head) is None
    assert households.household_id_of(child) == household_id
    assert households.members_of(household_id) == HouseholdMembers(
        household_id, City.FIRENZE, (child,)
    )
    assert isinstance(households.members_of(household_id).city, City)


def test_a_case_never_in_a_household_is_in_none_and_says_so(
    cases: CaseService,
    households: HouseholdService,
) -> None:
    case_id = a_case(cases)
    assert households.household_id_of(case_id) is None
    commands: tuple[Callable[[], int], ...] = (
        lambda: households.leave_household(case_id, DepartureReason.OTHER, TODAY, ACTOR, NOW),
        lambda: households.make_head(case_id, Relationship.PARENT, TODAY, ACTOR, NOW),
    )
    for command in commands:
        with pytest.raises(DomainError) as refused:
            command()
        assert field_refusal(refused) == (
            "not_in_a_household",
            "The case is not a member of any household.",
            "case",
        )
    assert (NotInAHousehold.code, NoHouseholdWithMember.code) == (
        "not_in_a_household",
        "no_household_with_member",
    )


def test_an_unknown_household_is_not_found(
    cases: CaseService,
    households: HouseholdService,
) -> None:
    unknown = UUID(int=0x404)
    with pytest.raises(HouseholdNotFound):
        households.get(unknown)
    with pytest.raises(HouseholdNotFound):
        households.members_of(unknown)
    with pytest.raises(HouseholdNotFound):
        households.join_household(unknown, a_case(cases), Relationship.CHILD, TODAY, ACTOR, NOW)
    case_id = a_case(cases)
    # Not a household: a membership's id is no household's.
    households.form_household(uuid4(), case_id, FORMED_ON, ACTOR, NOW)
    with pytest.raises(HouseholdNotFound):
        households.get(Membership.id_for(case_id))


def test_a_closed_case_neither_forms_nor_joins_nor_heads_but_leaves(
    cases: CaseService,
    households: HouseholdService,
) -> None:
    head, child = a_case(cases), a_case(cases)
    household_id = uuid4()
    households.form_household(household_id, head, FORMED_ON, ACTOR, NOW)
    households.join_household(household_id, child, Relationship.CHILD, FORMED_ON, ACTOR, NOW)
    cases.close(child, CaseOutcome.AUTONOMY, TODAY, "Autonomia", ACTOR, NOW)
    with pytest.raises(CaseClosed):
        households.make_head(child, Relationship.PARENT, TODAY, ACTOR, NOW)
    households.leave_household(child, DepartureReason.MOVED_AWAY, TODAY, ACTOR, NOW)
    assert households.members_of(household_id).case_ids == (head,)
    with pytest.raises(CaseClosed):
        households.join_household(household_id, child, Relationship.CHILD, TODAY, ACTOR, NOW)
    closed = a_case(cases)
    cases.close(closed, CaseOutcome.AUTONOMY, TODAY, "Autonomia", ACTOR, NOW)
    with pytest.raises(CaseClosed):
        households.form_household(uuid4(), closed, FORMED_ON, ACTOR, NOW)


class RivalJoins:
    """The cases as the service reads them, while a rival joins the same case to another
    household the first time the service reads it: the service's save loses, and it decides
    again on what it then finds."""

    def __init__(self, cases: CaseService, households: HouseholdService, other: UUID) -> None:
        self.cases, self.households, self.other = cases, households, other
        self.raced = False

    def get(self, case_id: UUID) -> CaseToLink:
        case = self.cases.get(case_id)
        if not self.raced:
            self.raced = True
            rival = HouseholdService(self.households.record, self.cases)
            rival.join_household(self.other, case_id, Relationship.SIBLING, FORMED_ON, ACTOR, NOW)
        return case


def test_a_join_lost_to_a_rival_is_decided_again_and_refused(
    cases: CaseService,
    households: HouseholdService,
) -> None:
    first, second, case_id = a_case(cases), a_case(cases), a_case(cases)
    mine, theirs = uuid4(), uuid4()
    households.form_household(mine, first, FORMED_ON, ACTOR, NOW)
    households.form_household(theirs, second, FORMED_ON, ACTOR, NOW)
    racing = HouseholdService(households.record, RivalJoins(cases, households, theirs))
    with pytest.raises(DomainError) as refused:
        racing.join_household(mine, case_id, Relationship.CHILD, FORMED_ON, ACTOR, NOW)
    assert field_refusal(refused) == (
        "already_in_a_household",
        "The case is already a member of a household.",
        "case",
    )
    assert households.household_id_of(case_id) == theirs
    assert households.members_of(mine).case_ids == (first,)
    assert _SAVE_ATTEMPTS == 16


def test_a_membership_that_lost_its_household_is_not_a_member_of_it(
    cases: CaseService,
    households: HouseholdService,
) -> None:
    """A membership pointing at a household that no longer lists the case (written by an older
    version, or by hand) is refused as not a member, never acted on."""
    head, case_id = a_case(cases), a_case(cases)
    household_id = uuid4()
    households.form_household(household_id, head, FORMED_ON, ACTOR, NOW)
    membership = Membership.start(case_id, NOW)
    membership.join(household_id, NOW)
    households.record.save(membership)
    with pytest.raises(DomainError) as refused:
        households.leave_household(case_id, DepartureReason.OTHER, TODAY, ACTOR, NOW)
    assert field_refusal(refused) == (
        "not_a_household_member",
        "The case is not a member of this household.",
        "case",
    )
    household = households.get(household_id)
    assert isinstance(household, Household) and household.member_ids == [head]

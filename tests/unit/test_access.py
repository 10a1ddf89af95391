"""Who may do what, where: every role against every permission, in the principal's own city,
in another city, and beyond any one city. The expected matrix is written out here, not derived
from the policy, so a change to the policy has to be made twice: once on purpose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.access import (
    CASE_INTAKE_EVENTS,
    AccessDenied,
    AccessGrant,
    PartnerAgreement,
    Permission,
    Principal,
    may,
    may_be_granted,
    require,
)
from domain.programme import FOUNDING_CITIES, Actor, ActorKind, City, Role

P = Permission
NOW = datetime(2021, 3, 10, 9, 30, tzinfo=UTC)
OWN, FOREIGN = City.FIRENZE, City.MILANO

FIRENZE_OPERATOR = Principal("fi.op", Role.CITY_OPERATOR, City.FIRENZE)
FIRENZE_COORDINATOR = Principal("fi.coord", Role.CITY_COORDINATOR, City.FIRENZE)
MINISTRY = Principal("ministero", Role.MINISTRY)
AUDITOR = Principal("revisore", Role.AUDITOR)
FIRENZE_PARTNER = Principal(
    "NGO", Role.PARTNER,
    agreement=PartnerAgreement(frozenset({City.FIRENZE}), frozenset({CASE_INTAKE_EVENTS})),
)

CITY_WORK = {P.VIEW_CITY, P.LIST_CASES, P.VIEW_CASE, P.VIEW_SPECIAL_CATEGORIES,
             P.VIEW_PERSONAL_IDENTIFIERS, P.RECORD_INTAKE, P.RECORD_CASE_WORK, P.READ_EVENTS,
             P.VIEW_CASE_NOTES, P.READ_NOTE_TEXTS,
             # Only a city's staff, only in their city: the ministry and auditors search codes.
             P.SEARCH_BY_IDENTIFIERS}
# Oversight sees that notes exist (kind, date, length), never their text (issue 16 item 4).
OVERSIGHT = {P.VIEW_NETWORK_OVERVIEW, P.VIEW_CITY, P.LIST_CASES, P.VIEW_CASE,
             P.VIEW_SPECIAL_CATEGORIES, P.READ_EVENTS, P.VIEW_CASE_NOTES}


def everywhere(
    allowed: set[Permission],
) -> tuple[set[Permission], set[Permission], set[Permission]]:
    """The same permissions in Firenze, in Milano and beyond any one city."""
    return allowed, allowed, allowed


# principal: (allowed in Firenze, allowed in Milano, allowed beyond any one city)
EXPECTED: dict[str, tuple[Principal, set[Permission], set[Permission], set[Permission]]] = {
    "Florence operator": (FIRENZE_OPERATOR, CITY_WORK, set(), set()),
    "Florence coordinator": (
        FIRENZE_COORDINATOR,
        CITY_WORK | {P.REQUEST_ERASURE, P.MANAGE_CITY_STAFF, P.MANAGE_FACILITIES,
                     P.CORRECT_CASE_RECORD, P.SHARE_ON_OTHER_LEGAL_BASIS, P.DECIDE_TRANSFER,
                     P.ASSIGN_CASES, P.RECORD_EXPENDITURE, P.LINK_SAME_PERSON,
                     P.MANAGE_PARTNER_ORGANISATIONS},
        set(), set()),
    "ministry": (MINISTRY, *everywhere(OVERSIGHT | {P.APPROVE_EXPENDITURE, P.VIEW_AUDIT_LOG,
                                                    P.GRANT_IDENTIFIER_ACCESS,
                                                    P.SET_ALLOCATIONS, P.AMEND_PROGRAMME_TERMS,
                                                    P.RECORD_PARTNER_EXPENDITURE})),
    "auditor": (AUDITOR, *everywhere(OVERSIGHT | {P.VIEW_AUDIT_LOG})),
    "Florence partner": (FIRENZE_PARTNER, {P.LIST_CASES, P.VIEW_CASE}, set(), set()),
}


def allowed(principal: Principal, city: City | None) -> set[Permission]:
    return {permission for permission in Permission if may(principal, permission, city)}


@pytest.mark.parametrize("name", EXPECTED)
def test_each_role_holds_exactly_its_permissions_in_its_own_city_elsewhere_and_network_wide(
    name: str,
) -> None:
    principal, own_city, other_city, network = EXPECTED[name]

    assert allowed(principal, OWN) == own_city
    assert allowed(principal, FOREIGN) == other_city
    assert allowed(principal, None) == network


@pytest.mark.parametrize("role", [Role.CITY_OPERATOR, Role.CITY_COORDINATOR])
def test_city_staff_never_reach_another_city_whichever_the_cities(role: Role) -> None:
    for home in FOUNDING_CITIES:
        staff = Principal("someone", role, home)
        for elsewhere in FOUNDING_CITIES:
            if elsewhere != home:
                assert allowed(staff, elsewhere) == set(), (home, elsewhere)


def test_only_the_city_s_own_staff_record_intakes_or_see_identifiers_there() -> None:
    everyone = [MINISTRY, AUDITOR, FIRENZE_PARTNER,
                *(Principal("x", role, city) for role in (Role.CITY_OPERATOR,
                  Role.CITY_COORDINATOR) for city in FOUNDING_CITIES)]
    for city in FOUNDING_CITIES:
        for permission in (P.RECORD_INTAKE, P.VIEW_PERSONAL_IDENTIFIERS):
            permitted = {(p.role, p.city) for p in everyone if may(p, permission, city, at=NOW)}
            assert permitted == {(Role.CITY_OPERATOR, city), (Role.CITY_COORDINATOR, city)}


def test_a_partner_reads_only_the_event_kinds_and_cities_of_its_agreement() -> None:
    assert may(FIRENZE_PARTNER, P.READ_EVENTS, OWN, event_kind=CASE_INTAKE_EVENTS)
    assert not may(FIRENZE_PARTNER, P.READ_EVENTS, OWN, event_kind="referral.accepted")
    assert not may(FIRENZE_PARTNER, P.READ_EVENTS, OWN)
    assert not may(FIRENZE_PARTNER, P.READ_EVENTS, FOREIGN, event_kind=CASE_INTAKE_EVENTS)


def test_a_partner_whose_agreement_leaves_out_intakes_cannot_list_cases() -> None:
    referrals_only = Principal("NGO", Role.PARTNER, agreement=PartnerAgreement(
        frozenset({City.FIRENZE}), frozenset({"referral.accepted"})))

    assert not may(referrals_only, P.LIST_CASES, OWN)
    assert not may(referrals_only, P.VIEW_CASE, OWN)
    assert may(referrals_only, P.READ_EVENTS, OWN, event_kind="referral.accepted")


def test_an_agreement_over_several_cities_covers_each_of_them_only() -> None:
    partner = Principal("NGO", Role.PARTNER, agreement=PartnerAgreement(
        frozenset({City.FIRENZE, City.ROMA}), frozenset({CASE_INTAKE_EVENTS})))

    assert {city for city in FOUNDING_CITIES if may(partner, P.LIST_CASES, city)} == {City.FIRENZE,
                                                                            City.ROMA}


def test_an_auditor_reads_identifiers_only_under_an_unexpired_grant_for_the_city() -> None:
    grant = AccessGrant(P.VIEW_PERSONAL_IDENTIFIERS, reason="Audit 2021/7: case FI-2021-00042",
                        expires_at=NOW + timedelta(hours=1), city=City.FIRENZE)
    granted = Principal("revisore", Role.AUDITOR, grants=(grant,))

    assert may(granted, P.VIEW_PERSONAL_IDENTIFIERS, City.FIRENZE, at=NOW)
    assert not may(granted, P.VIEW_PERSONAL_IDENTIFIERS, City.MILANO, at=NOW)
    assert not may(granted, P.VIEW_PERSONAL_IDENTIFIERS, City.FIRENZE,
                   at=NOW + timedelta(hours=1))
    assert not may(granted, P.VIEW_PERSONAL_IDENTIFIERS, City.FIRENZE)  # no time, no grant
    assert not may(AUDITOR, P.VIEW_PERSONAL_IDENTIFIERS, City.FIRENZE, at=NOW)


def test_only_an_auditor_may_be_granted_identifiers_and_nothing_else_is_granted() -> None:
    granted = {(role, permission) for role in Role for permission in Permission
               if may_be_granted(role, permission)}

    assert granted == {(Role.AUDITOR, P.VIEW_PERSONAL_IDENTIFIERS)}


def test_a_grant_extends_only_a_permission_the_role_may_be_granted() -> None:
    grant = AccessGrant(P.RECORD_INTAKE, reason="none", expires_at=NOW + timedelta(hours=1))
    ministry = Principal("ministero", Role.MINISTRY, grants=(grant,))

    assert not may(ministry, P.RECORD_INTAKE, City.FIRENZE, at=NOW)


def test_require_refuses_with_access_denied_and_lets_the_allowed_through() -> None:
    require(FIRENZE_OPERATOR, P.RECORD_INTAKE, OWN)

    with pytest.raises(AccessDenied) as refused:
        require(FIRENZE_OPERATOR, P.RECORD_INTAKE, FOREIGN)

    assert refused.value.code == "access_denied"
    assert refused.value.params == {"permission": "record_intake"}


def test_the_actor_of_events_is_the_signed_in_principal() -> None:
    assert FIRENZE_COORDINATOR.actor == Actor(ActorKind.USER, "fi.coord",
                                              Role.CITY_COORDINATOR, City.FIRENZE)
    assert MINISTRY.actor == Actor(ActorKind.USER, "ministero", Role.MINISTRY, None)
    assert FIRENZE_PARTNER.actor.kind is ActorKind.SYSTEM


@pytest.mark.parametrize("make", [
    lambda: Principal("x", Role.CITY_OPERATOR),
    lambda: Principal("x", Role.MINISTRY, City.ROMA),
    lambda: Principal("x", Role.PARTNER),
    lambda: Principal("x", Role.AUDITOR, agreement=FIRENZE_PARTNER.agreement),
    lambda: PartnerAgreement(frozenset(), frozenset({CASE_INTAKE_EVENTS})),
    lambda: PartnerAgreement(frozenset({City.ROMA}), frozenset()),
], ids=["city staff without a city", "ministry with a city", "partner without agreement",
        "non-partner with an agreement", "agreement without city", "agreement without kinds"])
def test_principals_that_make_no_sense_cannot_be_made(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_the_intake_event_kind_is_the_one_the_published_contract_names() -> None:
    from events.contracts import CaseIntakeRecordedV1

    contract_kind = f"{CaseIntakeRecordedV1.aggregate}.{CaseIntakeRecordedV1.event}"
    assert contract_kind == CASE_INTAKE_EVENTS
    assert CaseIntakeRecordedV1.subject("firenze").endswith("." + CASE_INTAKE_EVENTS)

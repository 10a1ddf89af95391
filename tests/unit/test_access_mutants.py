"""The access policy's edges (issue 20): the codes a permission and a reach are known by, the
limits of grants, a grant at its expiry and for every city, a partner's reading of one kind of
event, and the refusals' messages. A mutation run (docs/testing.md, "Other domain modules")
showed these texts and codes were never checked; the role-by-permission matrix is in
test_access.py.

DOMAIN.md, "Data protection": personal identifiers are needed by the city that serves the person
and by nobody else; auditors "replay any case's or city's history"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.access import (
    CASE_INTAKE_EVENTS,
    CITY_ROLES,
    MAX_GRANT_DURATION,
    MAX_GRANT_REASON_LENGTH,
    POLICY,
    USER_ROLES,
    AccessDenied,
    AccessGrant,
    GrantRefused,
    PartnerAgreement,
    PartnerTokenExpired,
    PasswordChangeRefused,
    Permission,
    Principal,
    Reach,
    SecondFactorNeeded,
    SecondFactorRefused,
    SignInRefused,
    SignInThrottled,
    may,
    require,
)
from domain.programme import City, Role
from tests.unit.test_access import AUDITOR, FIRENZE_OPERATOR, MINISTRY, NOW

P = Permission


def test_each_permission_and_reach_is_known_by_its_name_in_lower_case() -> None:
    assert [p.value for p in Permission] == [name.lower() for name in Permission.__members__]
    assert [r.value for r in Reach] == [name.lower() for name in Reach.__members__]
    assert len(Permission) == 28


def test_the_limits_and_role_sets_of_the_policy() -> None:
    assert (MAX_GRANT_DURATION, MAX_GRANT_REASON_LENGTH) == (timedelta(hours=72), 200)
    assert CITY_ROLES == {Role.CITY_COORDINATOR, Role.CITY_OPERATOR}
    assert USER_ROLES == {Role.MINISTRY, Role.CITY_COORDINATOR, Role.CITY_OPERATOR, Role.AUDITOR}
    assert CASE_INTAKE_EVENTS == "case.intake_recorded"
    assert [
        error.code
        for error in (
            AccessDenied,
            GrantRefused,
            SignInRefused,
            SignInThrottled,
            PasswordChangeRefused,
            SecondFactorNeeded,
            SecondFactorRefused,
            PartnerTokenExpired,
        )
    ] == [
        "access_denied",
        "grant_refused",
        "sign_in_refused",
        "sign_in_throttled",
        "password_change_refused",
        "second_factor_needed",
        "second_factor_refused",
        "partner_token_expired",
    ]


def test_a_refusal_names_the_role_the_permission_and_the_city() -> None:
    with pytest.raises(AccessDenied) as in_city:
        require(FIRENZE_OPERATOR, P.RECORD_INTAKE, City.MILANO)
    assert (in_city.value.message, in_city.value.params) == (
        "A city_operator may not record_intake in milano",
        {"permission": "record_intake"},
    )
    with pytest.raises(AccessDenied) as beyond:
        require(FIRENZE_OPERATOR, P.VIEW_NETWORK_OVERVIEW)
    assert beyond.value.message == "A city_operator may not view_network_overview"
    require(MINISTRY, P.VIEW_NETWORK_OVERVIEW)


def test_own_city_reach_needs_a_city() -> None:
    assert not may(FIRENZE_OPERATOR, P.VIEW_CITY, None)
    assert may(FIRENZE_OPERATOR, P.VIEW_CITY, City.FIRENZE)


def test_a_grant_covers_its_permission_until_just_before_it_expires_in_its_city_or_all() -> None:
    expires = NOW + timedelta(hours=1)
    everywhere = AccessGrant(P.VIEW_PERSONAL_IDENTIFIERS, "Audit 2021/7", expires)
    assert everywhere.city is None
    assert everywhere.covers(
        P.VIEW_PERSONAL_IDENTIFIERS, City.ROMA, expires - timedelta(microseconds=1)
    )
    assert not everywhere.covers(P.VIEW_PERSONAL_IDENTIFIERS, City.ROMA, expires)
    assert not everywhere.covers(P.VIEW_CASE, City.ROMA, NOW)
    in_rome = AccessGrant(P.VIEW_PERSONAL_IDENTIFIERS, "Audit 2021/7", expires, City.ROMA)
    assert in_rome.covers(P.VIEW_PERSONAL_IDENTIFIERS, City.ROMA, NOW)
    assert not in_rome.covers(P.VIEW_PERSONAL_IDENTIFIERS, City.BARI, NOW)
    auditor = Principal(
        "revisore", Role.AUDITOR, grants=(AccessGrant(P.VIEW_CASE, "other", expires), in_rome)
    )
    assert may(auditor, P.VIEW_PERSONAL_IDENTIFIERS, City.ROMA, at=NOW)
    assert not may(AUDITOR, P.VIEW_PERSONAL_IDENTIFIERS, City.ROMA, at=NOW)


def test_a_partner_reads_the_events_of_the_kinds_and_cities_of_its_agreement() -> None:
    partner = Principal(
        "NGO",
        Role.PARTNER,
        agreement=PartnerAgreement(frozenset({City.FIRENZE}), frozenset({"referral.requested"})),
    )
    assert may(partner, P.READ_EVENTS, City.FIRENZE, event_kind="referral.requested")
    assert not may(partner, P.READ_EVENTS, City.FIRENZE, event_kind="case.intake_recorded")
    assert not may(partner, P.READ_EVENTS, City.ROMA, event_kind="referral.requested")
    assert not may(partner, P.READ_EVENTS, City.FIRENZE)
    # Listing cases reads intakes, whatever kind is asked.
    assert not may(partner, P.LIST_CASES, City.FIRENZE, event_kind="referral.requested")
    assert partner.display_name == "NGO"


def test_the_principals_that_make_no_sense_are_refused_saying_why() -> None:
    with pytest.raises(ValueError) as staff:
        Principal("x", Role.CITY_OPERATOR)
    assert str(staff.value) == "A city_operator works for one city: city is None"
    with pytest.raises(ValueError) as ministry:
        Principal("x", Role.MINISTRY, City.ROMA)
    assert str(ministry.value) == "A ministry works for one city: city is roma"
    with pytest.raises(ValueError) as partner:
        Principal("x", Role.PARTNER)
    assert str(partner.value) == "Partners, and only partners, act under an agreement"
    with pytest.raises(ValueError) as agreement:
        PartnerAgreement(frozenset({City.ROMA}), frozenset())
    assert str(agreement.value) == (
        "A partner agreement covers at least one city and one event kind"
    )


def test_a_principal_is_shown_by_name_or_else_by_id() -> None:
    assert Principal("fi.op", Role.CITY_OPERATOR, City.FIRENZE, name="Anna").display_name == (
        "Anna"
    )
    assert FIRENZE_OPERATOR.display_name == "fi.op"
    assert FIRENZE_OPERATOR.grants == () and FIRENZE_OPERATOR.agreement is None


def test_require_judges_with_the_event_kind_and_the_time_it_is_given() -> None:
    """A partner reading one kind of event, an auditor under a grant: `require` passes both on
    to `may` (a mutation run found it could drop them unnoticed)."""
    partner = Principal(
        "NGO",
        Role.PARTNER,
        agreement=PartnerAgreement(frozenset({City.FIRENZE}), frozenset({"referral.requested"})),
    )
    require(partner, P.READ_EVENTS, City.FIRENZE, event_kind="referral.requested")
    with pytest.raises(AccessDenied):
        require(partner, P.READ_EVENTS, City.FIRENZE, event_kind="case.closed")
    grant = AccessGrant(P.VIEW_PERSONAL_IDENTIFIERS, "Audit", NOW + timedelta(hours=1))
    auditor = Principal("revisore", Role.AUDITOR, grants=(grant,))
    require(auditor, P.VIEW_PERSONAL_IDENTIFIERS, City.ROMA, at=NOW)
    with pytest.raises(AccessDenied):
        require(auditor, P.VIEW_PERSONAL_IDENTIFIERS, City.ROMA)


@pytest.mark.parametrize(
    ("principal", "permission"),
    [
        (AUDITOR, P.RECORD_INTAKE),
        (FIRENZE_OPERATOR, P.AMEND_PROGRAMME_TERMS),
        (MINISTRY, P.RECORD_CASE_WORK),
    ],
)
def test_a_permission_the_role_does_not_hold_is_refused_with_false(
    principal: Principal, permission: Permission,
) -> None:
    """`may` answers a bool, also for a permission the role's policy does not list at all: the
    API hands the answer on as a bool field (`texts_shown` of a case's notes), which refuses
    anything else (a mutation run of the whole tree found `None` would pass the unit tests)."""
    assert permission not in POLICY[principal.role]
    assert may(principal, permission, City.FIRENZE) is False
    assert may(principal, permission) is False

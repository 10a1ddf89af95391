"""Who may do what, and where: the one place that decides.

Every page, API route, export and event subscription asks `may` (or `require`) here, with the
principal making the request, what they want to do, and the city it concerns. The answer comes
from one table (`POLICY`): for each role, each permission it holds and how far that permission
reaches (the whole network, the principal's own city, the cities of a partner's agreement, or
only under a time-limited grant). Anything the table does not list is refused.

Access is role x city: a city's staff never reach another city's cases, and nobody but the
city that serves a person sees that person's identifiers (the auditor only under a grant).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from domain.programme import Actor, ActorKind, City, DomainError, Role

# A city's case list and a case's facts are what its intake event recorded: a partner reads them
# only where its agreement covers that kind of event (`<aggregate>.<event>`, as in the subject).
CASE_INTAKE_EVENTS = "case.intake_recorded"


class Permission(StrEnum):
    VIEW_NETWORK_OVERVIEW = "view_network_overview"
    """Every city's figures at a glance."""
    VIEW_CITY = "view_city"
    """A city's page and figures."""
    LIST_CASES = "list_cases"
    """A city's case list: pseudonymous case codes and the facts of each intake."""
    VIEW_CASE = "view_case"
    """One case, with its history."""
    VIEW_SPECIAL_CATEGORIES = "view_special_categories"
    """Vulnerabilities and what follows from them (GDPR art. 9 data), on pseudonymous cases."""
    VIEW_PERSONAL_IDENTIFIERS = "view_personal_identifiers"
    """Names, documents, contacts and birth dates, from the personal-data vault."""
    RECORD_INTAKE = "record_intake"
    SEARCH_BY_IDENTIFIERS = "search_by_identifiers"
    """Find the city's cases by a person's identifiers, through the duplicate check's blind
    index: a reading of identifiers, logged like one. Never across cities, never for the
    ministry or auditors (who search by case code)."""
    LINK_SAME_PERSON = "link_same_person"
    """Confirm or rule out that a case noted as a possible same person is one with another
    case (of any city): decided by the city of the case the match was noted on."""
    RECORD_CASE_WORK = "record_case_work"
    """The everyday work on a city's cases: referrals and their answers, waitlist places, bed
    offers, move-ins and move-outs, enrolments and attendance, closing a case."""
    MANAGE_FACILITIES = "manage_facilities"
    """A city's shelters and their beds, and its community activities."""
    CORRECT_CASE_RECORD = "correct_case_record"
    """Correct intake facts and reopen a closed case: each a new event with its reason."""
    SHARE_ON_OTHER_LEGAL_BASIS = "share_on_other_legal_basis"
    """Refer a case to an external partner without the person's consent to it, on another legal
    basis (GDPR art. 6(1)(c)-(e)) that is recorded with the referral."""
    ASSIGN_CASES = "assign_cases"
    """Give a case of the city to one of its operators or coordinators, and take it back."""
    DECIDE_TRANSFER = "decide_transfer"
    """Accept or decline a case another city asks to transfer to this one."""
    REQUEST_ERASURE = "request_erasure"
    MANAGE_CITY_STAFF = "manage_city_staff"
    VIEW_AUDIT_LOG = "view_audit_log"
    """The record's verification and who read which identifiers, when and why."""
    GRANT_IDENTIFIER_ACCESS = "grant_identifier_access"
    """Give an auditor time-limited access to one city's personal identifiers."""
    READ_EVENTS = "read_events"
    """Subscribe to the published events of a city, one kind of event at a time."""
    APPROVE_EXPENDITURE = "approve_expenditure"
    RECORD_EXPENDITURE = "record_expenditure"
    """Claim a city's costs against its allocations, each with its supporting document."""
    RECORD_PARTNER_EXPENDITURE = "record_partner_expenditure"
    """Claim the lead partner's and the national partners' costs (co-beneficiaries that are no
    city), each with its invoice and proof of payment: the ministry's finance office."""
    SET_ALLOCATIONS = "set_allocations"
    """Set or revise what each city is allocated per sub-action."""
    VIEW_CASE_NOTES = "view_case_notes"
    """That a case has notes of contacts, with their kind, date, length, author and follow-up:
    never their text."""
    READ_NOTE_TEXTS = "read_note_texts"
    """The text of a case's notes (free text, personal data: in the vault), and writing notes."""
    MANAGE_PARTNER_ORGANISATIONS = "manage_partner_organisations"
    """Register the organisations (NGOs, associations, services) a city refers people to, and
    retire them."""
    AMEND_PROGRAMME_TERMS = "amend_programme_terms"
    """Record the lead partner's decisions on the programme's terms: extending the period,
    admitting or withdrawing a city, referral answer times, priority weights."""


class Reach(StrEnum):
    """How far a permission held by a role extends."""

    NETWORK = "network"
    """Every city, and what belongs to no city."""
    OWN_CITY = "own_city"
    """Only the principal's own city."""
    AGREEMENT = "agreement"
    """Only the cities, and kinds of events, that a partner's agreement covers."""
    GRANT = "grant"
    """Only under an unexpired grant naming the permission (and the city, if it names one)."""


_CITY_OPERATOR: Mapping[Permission, Reach] = {
    Permission.VIEW_CITY: Reach.OWN_CITY,
    Permission.LIST_CASES: Reach.OWN_CITY,
    Permission.VIEW_CASE: Reach.OWN_CITY,
    Permission.VIEW_SPECIAL_CATEGORIES: Reach.OWN_CITY,
    Permission.VIEW_PERSONAL_IDENTIFIERS: Reach.OWN_CITY,
    Permission.RECORD_INTAKE: Reach.OWN_CITY,
    Permission.RECORD_CASE_WORK: Reach.OWN_CITY,
    Permission.READ_EVENTS: Reach.OWN_CITY,
    Permission.VIEW_CASE_NOTES: Reach.OWN_CITY,
    Permission.READ_NOTE_TEXTS: Reach.OWN_CITY,
    Permission.SEARCH_BY_IDENTIFIERS: Reach.OWN_CITY,
}

# The programme's access policy. The ministry and the auditors see every city's pseudonymous
# cases (vulnerabilities included: the ministry steers the programme by them), never a person's
# identifiers; partners read minimised data of their agreement only; nobody writes outside the
# city they work for.
POLICY: Mapping[Role, Mapping[Permission, Reach]] = {
    Role.CITY_OPERATOR: _CITY_OPERATOR,
    Role.CITY_COORDINATOR: {
        **_CITY_OPERATOR,
        Permission.REQUEST_ERASURE: Reach.OWN_CITY,
        Permission.MANAGE_CITY_STAFF: Reach.OWN_CITY,
        Permission.MANAGE_FACILITIES: Reach.OWN_CITY,
        Permission.CORRECT_CASE_RECORD: Reach.OWN_CITY,
        Permission.SHARE_ON_OTHER_LEGAL_BASIS: Reach.OWN_CITY,
        Permission.DECIDE_TRANSFER: Reach.OWN_CITY,
        Permission.ASSIGN_CASES: Reach.OWN_CITY,
        Permission.RECORD_EXPENDITURE: Reach.OWN_CITY,
        Permission.LINK_SAME_PERSON: Reach.OWN_CITY,
        Permission.MANAGE_PARTNER_ORGANISATIONS: Reach.OWN_CITY,
    },
    Role.MINISTRY: {
        Permission.VIEW_NETWORK_OVERVIEW: Reach.NETWORK,
        Permission.VIEW_CITY: Reach.NETWORK,
        Permission.LIST_CASES: Reach.NETWORK,
        Permission.VIEW_CASE: Reach.NETWORK,
        Permission.VIEW_SPECIAL_CATEGORIES: Reach.NETWORK,
        Permission.READ_EVENTS: Reach.NETWORK,
        # That notes exist and their kind and date (the work done), never their text.
        Permission.VIEW_CASE_NOTES: Reach.NETWORK,
        Permission.APPROVE_EXPENDITURE: Reach.NETWORK,
        Permission.RECORD_PARTNER_EXPENDITURE: Reach.NETWORK,
        Permission.SET_ALLOCATIONS: Reach.NETWORK,
        Permission.AMEND_PROGRAMME_TERMS: Reach.NETWORK,
        # As the programme's data controller, the ministry answers for who read identifiers:
        # it reads the log, and it is who lets an auditor read them, for a while.
        Permission.VIEW_AUDIT_LOG: Reach.NETWORK,
        Permission.GRANT_IDENTIFIER_ACCESS: Reach.NETWORK,
    },
    Role.AUDITOR: {
        Permission.VIEW_NETWORK_OVERVIEW: Reach.NETWORK,
        Permission.VIEW_CITY: Reach.NETWORK,
        Permission.LIST_CASES: Reach.NETWORK,
        Permission.VIEW_CASE: Reach.NETWORK,
        Permission.VIEW_SPECIAL_CATEGORIES: Reach.NETWORK,
        Permission.READ_EVENTS: Reach.NETWORK,
        Permission.VIEW_AUDIT_LOG: Reach.NETWORK,
        Permission.VIEW_CASE_NOTES: Reach.NETWORK,
        Permission.VIEW_PERSONAL_IDENTIFIERS: Reach.GRANT,
    },
    Role.PARTNER: {
        Permission.LIST_CASES: Reach.AGREEMENT,
        Permission.VIEW_CASE: Reach.AGREEMENT,
        Permission.READ_EVENTS: Reach.AGREEMENT,
    },
    # System processes act through the application services, never through a request.
    Role.SYSTEM: {},
}

# What a partner reads through a permission is the content of these events.
_EVENTS_BEHIND: Mapping[Permission, str] = {
    Permission.LIST_CASES: CASE_INTAKE_EVENTS,
    Permission.VIEW_CASE: CASE_INTAKE_EVENTS,
}

CITY_ROLES = frozenset({Role.CITY_COORDINATOR, Role.CITY_OPERATOR})
# The longest a grant lasts: an audit that needs more asks again, with a reason again.
MAX_GRANT_DURATION = timedelta(hours=72)
MAX_GRANT_REASON_LENGTH = 200
# The roles a person signing in with a password can hold; partners hold API tokens instead.
USER_ROLES = frozenset({Role.MINISTRY, Role.CITY_COORDINATOR, Role.CITY_OPERATOR, Role.AUDITOR})


@dataclass(frozen=True)
class PartnerAgreement:
    """What a partner system's agreement covers: the cities and the kinds of events
    (`case.intake_recorded`, ...) whose minimised data it may read."""

    cities: frozenset[City]
    event_kinds: frozenset[str]

    def __post_init__(self) -> None:
        if not self.cities or not self.event_kinds:
            raise ValueError("A partner agreement covers at least one city and one event kind")


@dataclass(frozen=True)
class AccessGrant:
    """A time-limited permission given to one principal for a stated reason (an auditor reading
    a person's identifiers, for instance). `city` None means every city."""

    permission: Permission
    reason: str
    expires_at: datetime
    city: City | None = None

    def covers(self, permission: Permission, city: City | None, at: datetime) -> bool:
        return (
            self.permission is permission
            and at < self.expires_at
            and (self.city is None or self.city == city)
        )


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in person (`id` is their username) or a partner system (`id` is
    the partner's name), with the role they act in, their city (city staff only), their
    partner agreement (partners only) and any grants they hold."""

    id: str
    role: Role
    city: City | None = None
    name: str = ""
    agreement: PartnerAgreement | None = None
    grants: tuple[AccessGrant, ...] = field(default=())

    def __post_init__(self) -> None:
        if (self.role in CITY_ROLES) != (self.city is not None):
            raise ValueError(f"A {self.role.value} works for one city: city is {self.city}")
        if (self.role is Role.PARTNER) != (self.agreement is not None):
            raise ValueError("Partners, and only partners, act under an agreement")

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def actor(self) -> Actor:
        """Who the events this principal causes name."""
        kind = ActorKind.SYSTEM if self.role is Role.PARTNER else ActorKind.USER
        return Actor(kind, self.id, self.role, self.city)


class AccessDenied(DomainError):
    """Raised when a principal asks for something their role, city or agreement does not
    cover."""

    code = "access_denied"


class GrantRefused(DomainError):
    """Raised when a grant would go to someone who may not hold it, or comes from someone who
    may not give it, lacks its stated reason or city, or outlasts MAX_GRANT_DURATION."""

    code = "grant_refused"


class SignInRefused(DomainError):
    """Raised when a username and password open no session: an unknown user, a wrong password
    and a disabled account are refused alike, so that a refusal tells nothing about accounts."""

    code = "sign_in_refused"


class SignInThrottled(DomainError):
    """Raised when too many sign-ins failed lately, for the username or from the address; the
    `until` parameter says when trying is allowed again."""

    code = "sign_in_throttled"


class PasswordChangeRefused(DomainError):
    """Raised when a password change is refused: the current password wrong
    (field="current_password"), the new one too short, too long or the same
    (field="new_password"), or its confirmation different (field="confirmation")."""

    code = "password_change_refused"


class SecondFactorNeeded(DomainError):
    """Raised when an enrolled person's password was right: the session opens only with a code
    of their second factor; `ticket` names the sign-in awaiting it."""

    code = "second_factor_needed"


class SecondFactorRefused(DomainError):
    """Raised when a second factor's code is wrong or already used (field="code"), an
    enrolment's secret is not one the platform made (field="secret"), a person enrols twice
    (no field), or a pending sign-in has expired (field="ticket")."""

    code = "second_factor_refused"


class PartnerTokenExpired(DomainError):
    """Raised when a partner's API token was right but has passed its expiry (`expired_at`):
    the partner needs the new token of a rotation (lgnet tokens rotate)."""

    code = "partner_token_expired"


def may(
    principal: Principal,
    permission: Permission,
    city: City | None = None,
    *,
    event_kind: str | None = None,
    at: datetime | None = None,
) -> bool:
    """True when `principal` may do `permission` in `city` (None: something of no one city,
    such as the network overview). `event_kind` narrows READ_EVENTS to one kind of event; `at`
    is the time grants are judged at (without it, no grant counts)."""
    reach = POLICY[principal.role].get(permission)
    match reach:
        case None:
            return False
        case Reach.NETWORK:
            return True
        case Reach.OWN_CITY:
            return city is not None and city == principal.city
        case Reach.AGREEMENT:
            return _agreement_covers(principal.agreement, permission, city, event_kind)
        case Reach.GRANT:
            return at is not None and any(
                grant.covers(permission, city, at) for grant in principal.grants
            )


def may_be_granted(role: Role, permission: Permission) -> bool:
    """True when a principal of `role` can hold `permission` through a grant (and only so)."""
    return POLICY[role].get(permission) is Reach.GRANT


def _agreement_covers(
    agreement: PartnerAgreement | None,
    permission: Permission,
    city: City | None,
    event_kind: str | None,
) -> bool:
    if agreement is None or city not in agreement.cities:
        return False
    kind = _EVENTS_BEHIND.get(permission, event_kind)
    return kind in agreement.event_kinds


def require(
    principal: Principal,
    permission: Permission,
    city: City | None = None,
    *,
    event_kind: str | None = None,
    at: datetime | None = None,
) -> None:
    """Raise AccessDenied unless `may` says yes."""
    if not may(principal, permission, city, event_kind=event_kind, at=at):
        raise AccessDenied(
            f"A {principal.role.value} may not {permission.value}"
            + (f" in {city.value}" if city else ""),
            permission=permission.value,
        )

"""What every context of the programme shares: the network it runs in (its cities, the roles
people hold, who acted), its sub-actions and who may join them, the people it serves (their
protection status), what "today" means, the terms in force (the
period, the partner cities, referral answer times, priority weights: the ministry amends them,
see `TermsInForce`), and the base of every domain error. The vocabulary comes from the project
card and the law it cites (see docs/domain.md)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import ClassVar, Protocol, TypeVar
from zoneinfo import ZoneInfo

# The card's period ("Inizio progetto: 01/07/2019", "Fine progetto: 31/12/2021"), also the
# expenditure-eligibility window (docs/workflows/finance.md). The ministry may extend the end:
# the rules read `TermsInForce.period`, these are only its value before any amendment.
PROGRAMME_START = date(2019, 7, 1)
PROGRAMME_END = date(2021, 12, 31)
# "Today" is the date in Italy, where every intake happens, not the UTC date.
PROGRAMME_TIMEZONE = ZoneInfo("Europe/Rome")


def programme_today(now: datetime) -> date:
    """The date in Italy at `now`: what "today" means for every rule of the programme."""
    return now.astimezone(PROGRAMME_TIMEZONE).date()


# A city's slug: lowercase words joined by "-" ("reggio-emilia"), the form used in subjects,
# URLs and events. Which slugs are partners, and when, is data (see `TermsInForce`).
CITY_SLUG = re.compile(r"[a-z]+(?:-[a-z]+)*")
CITY_SLUG_LENGTH = range(2, 41)
# Events about the whole network take `network` where a city would be (lgnet.network.<...>).
RESERVED_SLUGS = frozenset({"network"})
# The province code (targa) that prefixes a city's case codes: two capital letters.
PROVINCE_CODE = re.compile(r"[A-Z]{2}")


class City(str):
    """A partner municipality, by its stable slug. Not a closed list: the ministry admits a new
    city by an amendment (`ProgrammeTerms.admit_city`, with its name and province code), so the
    partners at any date are `TermsInForce.partners_on(day)`. The 19 founding partners of the
    project card are named constants (`City.ROMA`, `FOUNDING_CITIES`) for code and tests."""

    __slots__ = ()

    AGRIGENTO: ClassVar[City]
    BARI: ClassVar[City]
    BOLOGNA: ClassVar[City]
    BOLZANO: ClassVar[City]
    CASERTA: ClassVar[City]
    CATANIA: ClassVar[City]
    FIRENZE: ClassVar[City]
    GENOVA: ClassVar[City]
    LATINA: ClassVar[City]
    MILANO: ClassVar[City]
    NAPOLI: ClassVar[City]
    PALERMO: ClassVar[City]
    PERUGIA: ClassVar[City]
    POTENZA: ClassVar[City]
    ROMA: ClassVar[City]
    SASSARI: ClassVar[City]
    TARANTO: ClassVar[City]
    TORINO: ClassVar[City]
    TRIESTE: ClassVar[City]

    def __new__(cls, slug: str) -> City:
        if isinstance(slug, City):
            return slug
        if (not isinstance(slug, str) or len(slug) not in CITY_SLUG_LENGTH
                or not CITY_SLUG.fullmatch(slug) or slug in RESERVED_SLUGS):
            raise ValueError(
                f"{slug!r} is not a city's slug: 2 to 40 lowercase letters, words joined by '-'"
                f" (not {', '.join(sorted(RESERVED_SLUGS))}).")
        return super().__new__(cls, slug)

    def __repr__(self) -> str:
        return f"City({str.__repr__(self)})"

    @property
    def value(self) -> str:
        """The slug as plain text (the name kept from when cities were an enumeration)."""
        return str.__str__(self)

    @property
    def display_name(self) -> str:
        """The name in messages: "Reggio Emilia" for `reggio-emilia`. Pages show the name the
        ministry recorded when the city joined (`TermsInForce.names`)."""
        return " ".join(word.capitalize() for word in self.split("-"))


def is_city_slug(text: str) -> bool:
    try:
        City(text)
    except ValueError:
        return False
    return True


# The project card's partners, all partners from the programme's start, with their province codes.
_FOUNDING_PROVINCE_CODES = {
    "agrigento": "AG", "bari": "BA", "bologna": "BO", "bolzano": "BZ", "caserta": "CE",
    "catania": "CT", "firenze": "FI", "genova": "GE", "latina": "LT", "milano": "MI",
    "napoli": "NA", "palermo": "PA", "perugia": "PG", "potenza": "PZ", "roma": "RM",
    "sassari": "SS", "taranto": "TA", "torino": "TO", "trieste": "TS",
}
FOUNDING_CITIES: tuple[City, ...] = tuple(City(slug) for slug in _FOUNDING_PROVINCE_CODES)
for _city in FOUNDING_CITIES:
    setattr(City, _city.value.upper(), _city)
FOUNDING_PROVINCE_CODES: Mapping[City, str] = {
    City(slug): code for slug, code in _FOUNDING_PROVINCE_CODES.items()}


class Role(StrEnum):
    MINISTRY = "ministry"
    CITY_COORDINATOR = "city_coordinator"
    CITY_OPERATOR = "city_operator"
    AUDITOR = "auditor"
    PARTNER = "partner"
    SYSTEM = "system"


class ActorKind(StrEnum):
    USER = "user"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a person signed in with a role (in a city, for city staff) or a
    system process. Every event records one, flattened into primitives (see `as_record`)."""

    kind: ActorKind
    id: str
    role: Role
    city: City | None = None

    def as_record(self) -> dict[str, str | None]:
        return {
            "kind": self.kind.value,
            "id": self.id,
            "role": self.role.value,
            "city": self.city.value if self.city else None,
        }

    @classmethod
    def from_record(cls, record: dict[str, str | None]) -> Actor:
        city = record.get("city")
        return cls(
            kind=ActorKind(str(record["kind"])),
            id=str(record["id"]),
            role=Role(str(record["role"])),
            city=City(city) if city else None,
        )


class DomainError(Exception):
    """Base of every rule the domain refuses to break. `code` names the rule for translation;
    `params` fill the translated message."""

    code: str = "domain_error"

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class DomainErrors(DomainError):
    """Raised when a command breaks several rules that are checked independently of each other:
    all of them at once, so that a form can be put right in one go (issue 14). Each problem
    keeps its own `code` and `field`; `raise_all` raises a lone problem as itself."""

    code = "several_problems"

    def __init__(self, problems: Sequence[DomainError]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = tuple(problems)

    @staticmethod
    def raise_all(problems: Sequence[DomainError]) -> None:
        """Nothing for no problem, the problem itself for one, DomainErrors for several."""
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise DomainErrors(problems)


class ProtectionStatus(StrEnum):
    """A person's protection status or residence permit (docs/domain.md, "Protection status").
    A status is held from a dated decision until the next one (`Case.StatusChanged`); most come
    with a permit whose expiry is recorded beside them."""

    REFUGEE = "refugee"
    """Refugee status (d.lgs. 251/2007)."""
    SUBSIDIARY_PROTECTION = "subsidiary_protection"
    """Subsidiary protection (d.lgs. 251/2007)."""
    ASYLUM_SEEKER = "asylum_seeker"
    """Applicant for international protection at first instance (d.lgs. 25/2008)."""
    APPELLANT = "appellant"
    """Applicant appealing a refusal, awaiting the court's decision (ricorrente)."""
    HUMANITARIAN_PROTECTION = "humanitarian_protection"
    """Art. 5 c.6 TUI: permits issued before 5 Oct 2018, valid until they expire (abolished by
    d.l. 113/2018)."""
    SPECIAL_CASES = "special_cases"
    """"Casi speciali": the transitional permits of d.l. 113/2018 art. 1 c.9."""
    SPECIAL_PROTECTION = "special_protection"
    """Special protection (art. 32 c.3 d.lgs. 25/2008 as amended by d.l. 113/2018, widened by
    d.l. 130/2020). Version 1 of the intake used this code for "special or humanitarian"."""
    PERMIT_ART_18 = "permit_art_18"
    """Art. 18 TUI: victims of trafficking or serious exploitation."""
    PERMIT_ART_18_BIS = "permit_art_18_bis"
    """Art. 18-bis TUI: victims of domestic violence."""
    PERMIT_ART_19_C2_D_BIS = "permit_art_19_c2_d_bis"
    """Art. 19 c.2 d-bis TUI: medical treatment."""
    PERMIT_ART_20_BIS = "permit_art_20_bis"
    """Art. 20-bis TUI: disaster in the country of origin."""
    PERMIT_ART_22_C12_QUATER = "permit_art_22_c12_quater"
    """Art. 22 c.12-quater TUI: victims of labour exploitation."""
    PERMIT_ART_42_BIS = "permit_art_42_bis"
    """Art. 42-bis TUI: acts of civil valour."""
    STATELESS = "stateless"
    """Recognised stateless person (1954 New York Convention): no citizenship."""
    NO_VALID_PERMIT = "no_valid_permit"
    """No valid permit: refused, or expired and not renewed."""
    OTHER_RESIDENCE_PERMIT = "other_residence_permit"
    """Any other residence permit (work, family, study, ...). Version 1's "other"."""

    @property
    def is_international_protection(self) -> bool:
        return self in (ProtectionStatus.REFUGEE, ProtectionStatus.SUBSIDIARY_PROTECTION)

    @property
    def is_applicant(self) -> bool:
        """An applicant for international protection, at first instance or appealing."""
        return self in (ProtectionStatus.ASYLUM_SEEKER, ProtectionStatus.APPELLANT)

    @property
    def has_permit(self) -> bool:
        """Whether the status comes with a residence permit (whose expiry may be recorded)."""
        return self is not ProtectionStatus.NO_VALID_PERMIT

    @property
    def group(self) -> ProtectionStatusGroup:
        """The kind of status, for figures that cannot show sixteen columns."""
        if self.is_international_protection:
            return ProtectionStatusGroup.INTERNATIONAL_PROTECTION
        if self.is_applicant:
            return ProtectionStatusGroup.APPLICANT
        if self in _NATIONAL_PROTECTION:
            return ProtectionStatusGroup.NATIONAL_PROTECTION
        if self is ProtectionStatus.NO_VALID_PERMIT:
            return ProtectionStatusGroup.NO_VALID_PERMIT
        return ProtectionStatusGroup.OTHER_STATUS


class ProtectionStatusGroup(StrEnum):
    """The statuses in five kinds (docs/domain.md, "Protection status"): international
    protection (d.lgs. 251/2007); applicants (d.lgs. 25/2008); the national forms of protection
    and the special permits of the TUI (humanitarian, casi speciali, special protection, art.
    18, 18-bis, 19 c.2 d-bis, 20-bis, 22 c.12-quater, 42-bis); other statuses (stateless, any
    other permit); no valid permit."""

    INTERNATIONAL_PROTECTION = "international_protection"
    APPLICANT = "applicant"
    NATIONAL_PROTECTION = "national_protection"
    OTHER_STATUS = "other_status"
    NO_VALID_PERMIT = "no_valid_permit"


_NATIONAL_PROTECTION = frozenset({
    ProtectionStatus.HUMANITARIAN_PROTECTION, ProtectionStatus.SPECIAL_CASES,
    ProtectionStatus.SPECIAL_PROTECTION, ProtectionStatus.PERMIT_ART_18,
    ProtectionStatus.PERMIT_ART_18_BIS, ProtectionStatus.PERMIT_ART_19_C2_D_BIS,
    ProtectionStatus.PERMIT_ART_20_BIS, ProtectionStatus.PERMIT_ART_22_C12_QUATER,
    ProtectionStatus.PERMIT_ART_42_BIS,
})


class SubAction(StrEnum):
    """The six sub-actions. The card: "due Sub-Azioni trasversali (Sub-Azione 1 ... e Sub-Azione
    6 ...) e quattro distinte Sub-Azioni centrali": 1 (management and coordination) and 6
    (communication and dissemination) are cross-cutting; 2, 3, 4 and 5 are central. A separate
    notion: the people taken in (final recipients) are enrolled only in 2, 3 and 4
    (`enrols_final_recipients`), since 5, though central, trains municipal staff."""

    COORDINATION = "1"
    CIVIC_ENGAGEMENT = "2"
    EMERGENCY_TAKE_IN = "3"
    FAST_TRACK_HOUSING = "4"
    ADMINISTRATION_EMPOWERMENT = "5"
    COMMUNICATION = "6"

    def is_open_to(self, protection_status: ProtectionStatus) -> bool:
        """Sub-Action 2 (civic engagement) is open only to applicants for international
        protection, at first instance or appealing (art. 8 of law 46/2017, amending d.lgs.
        142/2015); the others to anyone the programme serves. Intake eligibility and enrolment
        in an activity both ask here."""
        return self is not SubAction.CIVIC_ENGAGEMENT or protection_status.is_applicant

    @property
    def is_cross_cutting(self) -> bool:
        """Sub-Actions 1 and 6 only (the card's "due Sub-Azioni trasversali")."""
        return self in CROSS_CUTTING_SUB_ACTIONS

    @property
    def enrols_final_recipients(self) -> bool:
        """Whether people taken in are enrolled in it: 2, 3 and 4. Not 1 and 6 (cross-cutting),
        nor 5 (central, but its participants are municipal staff)."""
        return self in PERSON_SUB_ACTIONS


CROSS_CUTTING_SUB_ACTIONS = (SubAction.COORDINATION, SubAction.COMMUNICATION)
CENTRAL_SUB_ACTIONS = (
    SubAction.CIVIC_ENGAGEMENT,
    SubAction.EMERGENCY_TAKE_IN,
    SubAction.FAST_TRACK_HOUSING,
    SubAction.ADMINISTRATION_EMPOWERMENT,
)
# The sub-actions that enrol final recipients (people taken in): eligibility is per these.
PERSON_SUB_ACTIONS = (
    SubAction.CIVIC_ENGAGEMENT,
    SubAction.EMERGENCY_TAKE_IN,
    SubAction.FAST_TRACK_HOUSING,
)


# --- the terms in force ----------------------------------------------------------------------
# The programme's period, its partner cities, how fast a referral must be answered and how the
# waitlists are ordered are the ministry's decisions, recorded as events of the amendments
# context (domain/amendments): data, not constants. Every context checks its commands against
# the `TermsInForce` its service passes in; `CARD_TERMS` are the terms before any amendment.


class TermsError(DomainError):
    """Raised when a command falls outside the programme's terms in force."""

    code = "terms_error"


class OutsideProgrammePeriod(TermsError):
    """Raised when an intake, a referral, a placement or an activity is dated outside the
    programme's period (as amended)."""

    code = "outside_programme_period"


class NotAPartnerCity(TermsError):
    """Raised when new work is recorded for a city on a day it is not a partner of the
    programme (it withdrew, or joins later)."""

    code = "not_a_partner_city"


@dataclass(frozen=True)
class ProgrammePeriod:
    """The days the programme runs, both ends included."""

    starts_on: date
    ends_on: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Membership:
    """A stretch of days a city is a partner: from `joins_on`, up to the day before `leaves_on`
    (None: until the programme ends)."""

    joins_on: date
    leaves_on: date | None = None

    def covers(self, day: date) -> bool:
        return self.joins_on <= day and (self.leaves_on is None or day < self.leaves_on)


@dataclass(frozen=True)
class AnswerTimes:
    """How long a referral's destination has to answer, per urgency (immediate, urgent, i.e.
    the code `within_72_hours`, and ordinary)."""

    immediate: timedelta
    urgent: timedelta
    ordinary: timedelta


class PriorityFactor(StrEnum):
    """What puts a person ahead, in the card's order: "in via primaria, i titolari di protezione
    internazionale"; then the vulnerable categories of art. 17 c.1 d.lgs. 142/2015, "prese in
    considerazione in tutte le Sub-Azioni"; then the time waited."""

    INTERNATIONAL_PROTECTION = "international_protection"
    VULNERABILITY = "vulnerability"
    WAITING_TIME = "waiting_time"


@dataclass(frozen=True)
class PriorityPoints:
    """One factor's share of a priority: its points, and for the waiting time the days."""

    factor: PriorityFactor
    points: int
    days: int | None = None


@dataclass(frozen=True)
class Priority:
    """A person's priority, factor by factor: what a page shows to say why someone is first."""

    factors: tuple[PriorityPoints, ...]

    @property
    def total(self) -> int:
        return sum(factor.points for factor in self.factors)


@dataclass(frozen=True)
class PriorityWeights:
    """Points per factor. A holder of international protection gets `international_protection`,
    a vulnerable person `vulnerability`, and each full day waited `per_day_waiting`, up to
    `waiting_days_counted` days. With the card's weights (2000, 1000, 1 a day up to 999 days,
    longer than the programme) the order is exactly the card's: protection first, then
    vulnerability, then waiting time."""

    international_protection: int
    vulnerability: int
    per_day_waiting: int
    waiting_days_counted: int

    def priority(
        self, *, international_protection: bool, vulnerable: bool, days_waiting: int
    ) -> Priority:
        days = max(0, days_waiting)
        return Priority((
            PriorityPoints(PriorityFactor.INTERNATIONAL_PROTECTION,
                           self.international_protection if international_protection else 0),
            PriorityPoints(PriorityFactor.VULNERABILITY, self.vulnerability if vulnerable else 0),
            PriorityPoints(PriorityFactor.WAITING_TIME,
                           self.per_day_waiting * min(days, self.waiting_days_counted), days),
        ))


@dataclass(frozen=True)
class PriorityFacts:
    """What a person's priority is computed from; `tiebreak` orders equals waiting as long."""

    international_protection: bool
    vulnerable: bool
    waiting_since: datetime
    tiebreak: str


_T = TypeVar("_T")


def in_priority_order(
    items: Iterable[_T], weights: PriorityWeights, now: datetime,
    facts: Callable[[_T], PriorityFacts],
) -> list[tuple[_T, Priority]]:
    """`items` highest priority first, each with its priority. Equal totals: the longest waiting
    first (to the second, not only the day), then by `tiebreak` (a case code), so the order
    never depends on how the items were read."""
    scored = []
    for item in items:
        known = facts(item)
        days = (now - known.waiting_since) // timedelta(days=1)
        priority = weights.priority(
            international_protection=known.international_protection,
            vulnerable=known.vulnerable, days_waiting=days)
        scored.append((item, priority, known))
    scored.sort(key=lambda entry: (-entry[1].total, entry[2].waiting_since, entry[2].tiebreak))
    return [(item, priority) for item, priority, _known in scored]


@dataclass(frozen=True)
class TermsInForce:
    """The programme's terms at one moment: its period, which cities are partners when, the
    referral answer times and the priority weights."""

    period: ProgrammePeriod
    memberships: Mapping[City, tuple[Membership, ...]]
    answer_times: AnswerTimes
    priority_weights: PriorityWeights
    # Every city that was ever a partner: its province code (the prefix of its case codes) and,
    # for a city admitted by an amendment, the name the ministry recorded.
    province_codes: Mapping[City, str] = field(
        default_factory=lambda: dict(FOUNDING_PROVINCE_CODES))
    names: Mapping[City, str] = field(default_factory=dict)

    @property
    def known_cities(self) -> tuple[City, ...]:
        """Every city that was ever a partner, in alphabetical order of slug."""
        return tuple(sorted(self.memberships))

    def is_known(self, city: str) -> bool:
        return city in self.memberships

    def name_of(self, city: City) -> str:
        return self.names.get(city) or city.display_name

    def province_code(self, city: City) -> str:
        """The prefix of the city's case codes (`RM-2020-00001`)."""
        return self.province_codes[city]

    def require_in_period(self, day: date, field: str | None) -> None:
        """Refuse work dated outside the period: intakes, referrals, placements, activities."""
        if day not in self.period:
            raise OutsideProgrammePeriod(
                f"The date must fall within the programme's period ({self.period.starts_on} "
                f"to {self.period.ends_on}).",
                field=field, starts_on=self.period.starts_on, ends_on=self.period.ends_on,
            )

    def is_partner(self, city: City, on: date) -> bool:
        return any(m.covers(on) for m in self.memberships.get(city, ()))

    def require_partner(self, city: City, on: date, field: str | None) -> None:
        """Refuse new work for a city on a day it is not a partner (withdrawn, or not yet in)."""
        if not self.is_partner(city, on):
            raise NotAPartnerCity(
                f"{city.display_name} is not a partner of the programme on {on}.",
                field=field, city=city.value, on=on,
            )

    def partners_on(self, day: date) -> tuple[City, ...]:
        return tuple(city for city in self.known_cities if self.is_partner(city, day))


# Not on the card: the platform's starting answer times, until the ministry sets its own.
STARTING_ANSWER_TIMES = AnswerTimes(
    immediate=timedelta(hours=24), urgent=timedelta(hours=72), ordinary=timedelta(days=15))
# The card's order (see PriorityWeights), as points.
CARD_PRIORITY_WEIGHTS = PriorityWeights(
    international_protection=2000, vulnerability=1000, per_day_waiting=1,
    waiting_days_counted=999)
CARD_TERMS = TermsInForce(
    period=ProgrammePeriod(PROGRAMME_START, PROGRAMME_END),
    memberships={city: (Membership(PROGRAMME_START),) for city in FOUNDING_CITIES},
    answer_times=STARTING_ANSWER_TIMES,
    priority_weights=CARD_PRIORITY_WEIGHTS,
)


class TermsSource(Protocol):
    """Where a service reads the terms in force (the amendments context's service, passed in
    by the composition root)."""

    def terms_in_force(self) -> TermsInForce:
        """The terms as the ministry's amendments left them."""
        ...


class CardTermsSource:
    """The terms before any amendment: what a service reads when no source is passed in."""

    def terms_in_force(self) -> TermsInForce:
        return CARD_TERMS

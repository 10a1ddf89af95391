"""The referrals vocabulary: where a case can be sent, how urgently, and why a referral is
declined; and the rules that follow from it (the due time of an answer, the default urgency,
the order a city's pending referrals are dealt with).

The programme exists for rapid response (see docs/workflows/referrals.md): every referral has a
due time for its answer, earlier for vulnerable people, and the time each answer took is kept
for the programme's indicators. How long each urgency allows is the ministry's decision (the
terms in force, `AnswerTimes`), not a constant of the code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar
from uuid import UUID

from domain.programme import (
    STARTING_ANSWER_TIMES,
    AnswerTimes,
    City,
    Priority,
    PriorityFacts,
    PriorityWeights,
    in_priority_order,
)

MAX_PARTNER_NAME = 120
MAX_NOTE = 500
MAX_REASON = 500


class DestinationKind(StrEnum):
    CITY_SERVICE = "city_service"
    """A service of the referring city itself."""
    PARTNER = "partner"
    """An external organisation (an NGO, a health authority, a trade union desk, ...)."""
    TRANSFER = "transfer"
    """Another city of the network, which takes the case over if it accepts."""


class CityService(StrEnum):
    HEALTH = "health"
    LEGAL_AID = "legal_aid"
    EMPLOYMENT = "employment"
    HOUSING = "housing"
    PSYCHOLOGICAL_SUPPORT = "psychological_support"
    MEDIATION = "mediation"
    EDUCATION = "education"
    SOCIAL_SERVICES = "social_services"
    OTHER = "other"


class Urgency(StrEnum):
    """How soon the destination must answer. The middle level's code, `within_72_hours`, is the
    name it was stored under when 72 hours was fixed in the code: it means "urgent", whatever
    answer time the ministry sets for it."""

    IMMEDIATE = "immediate"
    WITHIN_72_HOURS = "within_72_hours"
    ORDINARY = "ordinary"

    def answer_within(self, times: AnswerTimes) -> timedelta:
        """How long the destination has to answer, under the answer times in force."""
        match self:
            case Urgency.IMMEDIATE:
                return times.immediate
            case Urgency.WITHIN_72_HOURS:
                return times.urgent
            case Urgency.ORDINARY:
                return times.ordinary


class ReferralStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class DeclineReason(StrEnum):
    NO_CAPACITY = "no_capacity"
    NOT_ELIGIBLE = "not_eligible"
    PERSON_DECLINED = "person_declined"
    UNREACHABLE = "unreachable"
    DUPLICATE = "duplicate"
    OTHER = "other"


NOT_RECORDED = "not_recorded"
"""The legal basis of a referral recorded before version 2 on a coordinator's override of
consent: the basis was not asked for (its reason was)."""


def default_urgency(is_vulnerable: bool) -> Urgency:
    """Vulnerable people are answered urgently unless the coordinator says otherwise."""
    return Urgency.WITHIN_72_HOURS if is_vulnerable else Urgency.ORDINARY


def due_at(
    requested_at: datetime, urgency: Urgency, times: AnswerTimes = STARTING_ANSWER_TIMES
) -> datetime:
    """When the answer is due: set once, at the request, by the answer times then in force."""
    return requested_at + urgency.answer_within(times)


@dataclass(frozen=True)
class Destination:
    """Where a referral goes: a city service, a registered partner organisation, or another
    city. `partner_name` is a partner as referrals named it before organisations were
    registered (free text, version 3 and before): read, never written since."""

    kind: DestinationKind
    service: CityService | None = None
    partner_name: str | None = None
    to_city: City | None = None
    organisation_id: UUID | None = None

    @classmethod
    def city_service(cls, service: CityService) -> Destination:
        return cls(DestinationKind.CITY_SERVICE, service=service)

    @classmethod
    def partner(cls, organisation_id: UUID) -> Destination:
        """A registered partner organisation (domain.organisations)."""
        return cls(DestinationKind.PARTNER, organisation_id=organisation_id)

    @classmethod
    def legacy_partner(cls, name: str) -> Destination:
        """A partner named by free text, as referrals before version 4 did."""
        return cls(DestinationKind.PARTNER, partner_name=name)

    @classmethod
    def transfer(cls, city: City) -> Destination:
        return cls(DestinationKind.TRANSFER, to_city=city)

    @property
    def key(self) -> str:
        """What makes two destinations the same one: a registered organisation by its id; a
        legacy partner by name, whatever the case or spacing it was typed with."""
        match self.kind:
            case DestinationKind.CITY_SERVICE:
                return f"service:{self.service}"
            case DestinationKind.PARTNER if self.organisation_id is not None:
                return f"organisation:{self.organisation_id}"
            case DestinationKind.PARTNER:
                return "partner:" + " ".join((self.partner_name or "").split()).casefold()
            case DestinationKind.TRANSFER:
                return f"transfer:{self.to_city}"


class PendingReferral(Protocol):
    """What orders a city's pending referrals: the case's priority facts as they are now (a
    corrected status counts), when the referral was requested, and its case code."""

    @property
    def case_code(self) -> str: ...

    @property
    def requested_at(self) -> datetime: ...

    @property
    def international_protection(self) -> bool: ...

    @property
    def vulnerable(self) -> bool: ...


_R = TypeVar("_R", bound=PendingReferral)


def in_referral_priority_order(
    referrals: Iterable[_R], weights: PriorityWeights, now: datetime
) -> list[tuple[_R, Priority]]:
    """Pending referrals in the order the card sets for the people they serve: holders of
    international protection first ("in via primaria"), then the vulnerable, then the longest
    waiting for an answer (from the request); each with the points of each factor, so a page
    can say why a referral comes first."""
    return in_priority_order(referrals, weights, now, lambda referral: PriorityFacts(
        international_protection=referral.international_protection,
        vulnerable=referral.vulnerable, waiting_since=referral.requested_at,
        tiebreak=referral.case_code,
    ))

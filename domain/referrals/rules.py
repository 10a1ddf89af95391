"""The referrals vocabulary: where a case can be sent, how urgently, and why a referral is
declined; and the rules that follow from it (the due time of an answer, the default urgency).

The programme exists for rapid response (see docs/workflows/referrals.md): every referral has a
due time for its answer, earlier for vulnerable people, and the time each answer took is kept
for the programme's indicators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.programme import City

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
    IMMEDIATE = "immediate"
    WITHIN_72_HOURS = "within_72_hours"
    ORDINARY = "ordinary"

    @property
    def answer_within(self) -> timedelta:
        """How long the destination has to answer."""
        return _ANSWER_WITHIN[self]


_ANSWER_WITHIN = {
    Urgency.IMMEDIATE: timedelta(hours=24),
    Urgency.WITHIN_72_HOURS: timedelta(hours=72),
    Urgency.ORDINARY: timedelta(days=15),
}


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
    """Vulnerable people are answered within 72 hours unless the coordinator says otherwise."""
    return Urgency.WITHIN_72_HOURS if is_vulnerable else Urgency.ORDINARY


def due_at(requested_at: datetime, urgency: Urgency) -> datetime:
    return requested_at + urgency.answer_within


@dataclass(frozen=True)
class Destination:
    """Where a referral goes: a city service, a named partner, or another city."""

    kind: DestinationKind
    service: CityService | None = None
    partner_name: str | None = None
    to_city: City | None = None

    @classmethod
    def city_service(cls, service: CityService) -> Destination:
        return cls(DestinationKind.CITY_SERVICE, service=service)

    @classmethod
    def partner(cls, name: str) -> Destination:
        return cls(DestinationKind.PARTNER, partner_name=name)

    @classmethod
    def transfer(cls, city: City) -> Destination:
        return cls(DestinationKind.TRANSFER, to_city=city)

    @property
    def key(self) -> str:
        """What makes two destinations the same one: partners by name, whatever the case or
        spacing it was typed with."""
        match self.kind:
            case DestinationKind.CITY_SERVICE:
                return f"service:{self.service}"
            case DestinationKind.PARTNER:
                return "partner:" + " ".join((self.partner_name or "").split()).casefold()
            case DestinationKind.TRANSFER:
                return f"transfer:{self.to_city}"

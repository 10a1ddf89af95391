"""Partner organisations: the NGOs, associations and services a city refers people to, registered
by the city's coordinators as data (issue 12, item 5). A referral to a partner names one of them,
and the person's consent to share their case names the organisations it covers (GDPR art. 6(1)(a),
art. 7(3)): a consent to "a partner" that names nobody is no consent to any of them.

An organisation belongs to one city (the city that refers people to it; the same association in
two cities is registered by each). Its name is an organisation's, not a person's: it is not
personal data, and it travels in `organisation.registered` (the referral and consent events
carry only the organisation's id). Its id derives from the city and the name (whatever the case
or spacing it was typed with), so a name is registered once per city: a second registration,
even racing the first, finds it taken. A retired organisation stays readable (past referrals
and consents name it) but takes no new referral or consent; it is not registered again."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.programme import Actor, City, DomainError, programme_today

MAX_ORGANISATION_NAME = 120
_NAMESPACE = UUID("9d3f6a1e-4c2b-4e8a-b7d5-2f1c0e9a8b64")


class OrganisationError(DomainError):
    """Raised when a command on a partner organisation breaks a rule of the programme."""

    code = "organisation_error"


class InvalidOrganisationName(OrganisationError):
    """Raised when the name is blank or longer than MAX_ORGANISATION_NAME characters."""

    code = "invalid_organisation_name"


class OrganisationAlreadyRegistered(OrganisationError):
    """Raised when the city has registered an organisation of that name already (retired or
    not)."""

    code = "organisation_already_registered"


class OrganisationRetired(OrganisationError):
    """Raised when a retired organisation is retired again, or named by a new referral or
    consent."""

    code = "organisation_retired"


class OrganisationKind(StrEnum):
    """What kind of body the organisation is."""

    NGO = "ngo"
    ASSOCIATION = "association"
    SOCIAL_COOPERATIVE = "social_cooperative"
    PUBLIC_SERVICE = "public_service"
    """A public body other than the city's own services (a health authority, a job centre)."""
    TRADE_UNION = "trade_union"
    RELIGIOUS_BODY = "religious_body"
    OTHER = "other"


def tidy_name(name: str) -> str:
    """The name as registered: inner spacing collapsed, refused when blank or too long."""
    tidy = " ".join((name or "").split())
    if not tidy or len(tidy) > MAX_ORGANISATION_NAME:
        raise InvalidOrganisationName(
            f"Name the organisation, in up to {MAX_ORGANISATION_NAME} characters.",
            field="name", max_length=MAX_ORGANISATION_NAME,
        )
    return tidy


def organisation_id_for(city: City, name: str) -> UUID:
    """The id of the organisation of `city` with this name (case and spacing aside)."""
    return uuid5(_NAMESPACE, f"{city.value}/{tidy_name(name).casefold()}")


class Organisation(Aggregate):
    """An organisation a city refers people to, from its registration until it is retired."""

    class Registered(Aggregate.Created):
        city: str
        name: str
        kind: str
        registered_on: date
        actor: dict[str, str | None]

    class Retired(Aggregate.Event):
        city: str
        retired_on: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Organisation)
            aggregate.retired_on = self.retired_on

    def __init__(
        self, city: str, name: str, kind: str, registered_on: date,
        actor: dict[str, str | None],
    ) -> None:
        self.city = City(city)
        self.name = name
        self.kind = OrganisationKind(kind)
        self.registered_on = registered_on
        self.retired_on: date | None = None

    @property
    def is_retired(self) -> bool:
        return self.retired_on is not None

    @classmethod
    def register(
        cls, city: City, name: str, kind: OrganisationKind, actor: Actor, now: datetime
    ) -> Organisation:
        """Register an organisation of `city`, from today. The caller checked that the name is
        not taken (`organisation_id_for`); a rival registering it at the same moment loses the
        save."""
        tidy = tidy_name(name)
        return cls._create(
            cls.Registered, id=organisation_id_for(city, tidy), timestamp=now, city=city.value,
            name=tidy, kind=OrganisationKind(kind).value, registered_on=programme_today(now),
            actor=actor.as_record(),
        )

    def require_active(self) -> None:
        if self.retired_on is not None:
            raise OrganisationRetired(
                f"{self.name} was retired on {self.retired_on.isoformat()}: it takes no new "
                "referral or consent.",
                field="organisation_id", organisation_name=self.name,
                retired_on=self.retired_on,
            )

    def retire(self, actor: Actor, now: datetime) -> None:
        """Retire the organisation from today: the city no longer refers people to it."""
        self.require_active()
        self.trigger_event(
            self.Retired, timestamp=now, city=self.city.value, retired_on=programme_today(now),
            actor=actor.as_record(),
        )

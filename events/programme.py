"""Event contracts of the programme's terms: the ministry's decisions on the period, the partner
cities, referral answer times and priority weights (see docs/domain.md, "The programme's terms").

They belong to the whole network, not to a city: their NATS subjects are
`lgnet.network.programme.<event>`, their CloudEvents source `/lgnet/network` and their
CloudEvents subject `programme-terms`. They are published on the internal stream, so they are in
the audit chain like every other fact; partners get no copy (their agreements cover case events
of their cities, and the ministry publishes its acts anyway). Each decision names the act it
rests on by its reference (a protocol number, never free text) and the day it was taken."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.contracts import City, EventContract

_ACT_REFERENCE = Field(
    min_length=1, max_length=60,
    description="The reference (protocol number) of the ministry's act the decision rests on",
)


class _ProgrammeEvent(EventContract):
    aggregate: ClassVar[str] = "programme"
    version: ClassVar[int] = 1

    terms_id: UUID = Field(description="The programme's terms (one for the whole platform)")
    city: Literal["network"] = Field(
        default="network", description="Not a city: the terms cover the whole network"
    )


class ProgrammeEstablishedV1(_ProgrammeEvent):
    """The programme's terms before any amendment, recorded just before the ministry's first
    decision: the card's period and partner cities, the platform's starting referral answer
    times, and the card's priority order as points (protection, vulnerability, waiting)."""

    event: ClassVar[str] = "established"

    starts_on: date = Field(description="The card's start, 2019-07-01")
    ends_on: date = Field(description="The card's end, 2021-12-31")
    cities: list[City] = Field(min_length=1, description="The partner cities from the start")
    immediate_answer_hours: int = Field(ge=1)
    urgent_answer_hours: int = Field(ge=1, description="For the urgency `within_72_hours`")
    ordinary_answer_hours: int = Field(ge=1)
    international_protection_points: int = Field(ge=1)
    vulnerability_points: int = Field(ge=1)
    points_per_day_waiting: int = Field(ge=1)
    waiting_days_counted: int = Field(ge=1)


class _ProgrammeDecision(_ProgrammeEvent):
    decided_on: date = Field(description="The day the ministry took the decision")
    act_reference: str = _ACT_REFERENCE


class ProgrammePeriodExtendedV1(_ProgrammeDecision):
    """The ministry extended the programme's period: from now on intakes, referrals,
    placements, activities and costs up to `ends_on` are the programme's."""

    event: ClassVar[str] = "period_extended"

    ends_on: date = Field(description="The new last day of the period")
    previous_ends_on: date = Field(description="The last day before this decision")


class ProgrammeCityJoinedV1(_ProgrammeDecision):
    """A city became a partner of the programme (again, after a withdrawal) from `joins_on`."""

    event: ClassVar[str] = "city_joined"

    joining_city: City
    joins_on: date


class ProgrammeCityJoinedV2(_ProgrammeDecision):
    """A city became a partner of the programme from `joins_on`: a city that was never one with
    its name and province code (the prefix of its case codes, e.g. `VR-2021-00001`); a city
    rejoining after a withdrawal, or one of the card's, with neither."""

    event: ClassVar[str] = "city_joined"
    version: ClassVar[int] = 2

    joining_city: City
    joins_on: date
    name: str | None = Field(
        min_length=2, max_length=60,
        description="The Comune's name as the act writes it (a public body, not a person); "
                    "null when the city was a partner before or is one of the card's")
    province_code: str | None = Field(
        pattern="^[A-Z]{2}$",
        description="The province code (targa) that prefixes the city's case codes; null as "
                    "`name`")

    @classmethod
    def from_v1(cls, v1: ProgrammeCityJoinedV1) -> ProgrammeCityJoinedV2:
        """Version 1 could admit only the card's cities, whose names and codes are known."""
        return cls(**v1.model_dump(), name=None, province_code=None)


class ProgrammeCityWithdrawnV1(_ProgrammeDecision):
    """A city stopped being a partner: from `leaves_on` it takes on no new intake, placement,
    activity or cost, and no case is transferred to it."""

    event: ClassVar[str] = "city_withdrawn"

    withdrawing_city: City
    leaves_on: date = Field(description="The first day the city is no longer a partner")


class ProgrammeAnswerTimesSetV1(_ProgrammeDecision):
    """The ministry set how long a referral's destination has to answer, per urgency. Referrals
    requested from now on are due accordingly; those requested before keep their due time."""

    event: ClassVar[str] = "answer_times_set"

    immediate_answer_hours: int = Field(ge=1)
    urgent_answer_hours: int = Field(ge=1, description="For the urgency `within_72_hours`")
    ordinary_answer_hours: int = Field(ge=1)


class ProgrammePriorityWeightsSetV1(_ProgrammeDecision):
    """The ministry set the points of each priority factor, which order the housing waitlists
    and the referral boards: holders of international protection, vulnerable people, each day
    waited (up to `waiting_days_counted` days)."""

    event: ClassVar[str] = "priority_weights_set"

    international_protection_points: int = Field(ge=1)
    vulnerability_points: int = Field(ge=1)
    points_per_day_waiting: int = Field(ge=1)
    waiting_days_counted: int = Field(ge=1)


PROGRAMME_CONTRACTS: tuple[type[EventContract], ...] = (
    ProgrammeEstablishedV1, ProgrammePeriodExtendedV1, ProgrammeCityJoinedV1,
    ProgrammeCityJoinedV2, ProgrammeCityWithdrawnV1, ProgrammeAnswerTimesSetV1,
    ProgrammePriorityWeightsSetV1,
)

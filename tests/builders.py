"""Test data: a valid intake, a person, a coordinator; any field can be overridden by keyword.
Shared by every test suite, so the defaults stay plain: an adult refugee taken in by Firenze on
2021-03-10 after leaving a CAS centre, with an identity document, given the information notice in
Tigrinya that day, and no consent asked (nothing she was asked about rests on consent).
Also what a command did, as a test compares it: the events recorded or saved, field by field,
and what a command is refused with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from domain.cases.model import InformationNotice, IntakeFacts, ReceptionHistory
from domain.cases.rules import ReceptionCentreKind, ReceptionSituation, Sex
from domain.organisations.model import Organisation, OrganisationKind
from domain.programme import Actor, ActorKind, City, DomainError, ProtectionStatus, Role
from domain.record import ProgrammeRecord
from domain.vault import PersonalData, TextReference

INTAKE_DATE = date(2021, 3, 10)
# Eurostat's 18-34 and 35-64 (issue 12) each span two of partner intake v1's bands, so an intake
# copied to partners as v1 (docs/events.md) needs a person v1 can say: here, one of 65 and over.
BORN_IN_A_PARTNER_V1_BAND = date(1950, 5, 17)
# "Now" is the morning of the intake, so tests do not depend on the day they run.
NOW = datetime(2021, 3, 10, 9, 30, tzinfo=UTC)


def an_intake(city: City = City.FIRENZE, **overrides: Any) -> IntakeFacts:
    facts = IntakeFacts(
        city=city,
        intake_date=INTAKE_DATE,
        protection_status=ProtectionStatus.REFUGEE,
        permit_expires_on=None,
        reception=ReceptionHistory(
            situation=ReceptionSituation.LEFT_RECEPTION,
            left_on=date(2021, 1, 15),
            centre_kind=ReceptionCentreKind.CAS,
        ),
        sex=Sex.FEMALE,
        birth_date=date(1990, 5, 17),
        citizenship="ER",
        has_identity_document=True,
        household_size=1,
        vulnerabilities=frozenset(),
        information_notice=InformationNotice(given_on=INTAKE_DATE, language="ti"),
        consents=frozenset(),
    )
    if "intake_date" in overrides and "information_notice" not in overrides:
        overrides["information_notice"] = InformationNotice(overrides["intake_date"], "ti")
    return replace(facts, **overrides)


def a_person(**overrides: Any) -> PersonalData:
    person = PersonalData(
        given_name="Amina",
        family_name="Tesfaye",
        birth_date=date(1990, 5, 17),
        document_number="YA1234567",
        phone="+39 333 000 0000",
        email="amina.tesfaye@example.org",
    )
    return replace(person, **overrides)


def a_coordinator(city: City = City.FIRENZE, **overrides: Any) -> Actor:
    actor = Actor(kind=ActorKind.USER, id="coordinator-1", role=Role.CITY_COORDINATOR, city=city)
    return replace(actor, **overrides)


A_REASON = TextReference(UUID(int=0x5EA5), "5" * 64)


def a_reason() -> TextReference:
    """A reason (of a closure, a reopening, a correction) as the aggregate takes it: already
    kept in the vault, by its id and digest (the service keeps it; see CaseService)."""
    return A_REASON


def an_organisation(
    city: City = City.FIRENZE, name: str = "Caritas", kind: str = "ngo"
) -> Organisation:
    """A partner organisation registered by `city`'s coordinator (issue 12, item 5)."""
    organisation = Organisation.register(
        city, name, OrganisationKind(kind), a_coordinator(city), NOW)
    organisation.collect_events()
    return organisation


# What the event-sourcing library sets on every event: no command decides them, so a test leaves
# them out of what it compares.
LIBRARY_FIELDS = ("originator_id", "originator_version", "originator_topic")


def named_fields(event: Any) -> tuple[str, dict[str, Any]]:
    """`event` as its class name and every field but those the library sets."""
    return (type(event).__name__,
            {name: value for name, value in vars(event).items() if name not in LIBRARY_FIELDS})


def recorded(aggregate: Any) -> list[tuple[str, dict[str, Any]]]:
    """The events `aggregate` recorded since they were last collected, each as its class name and
    every field but those the library sets (originator id, version and topic): a test compares what
    a command recorded, field by field, in one assertion."""
    return [named_fields(event) for event in aggregate.collect_events()]


def stored(record: ProgrammeRecord, aggregate_id: UUID) -> list[tuple[str, dict[str, Any]]]:
    """The events saved in `record` for one aggregate, oldest first, as `recorded` gives them:
    what a service saved, compared field by field."""
    return [named_fields(event) for event in record.events.get(aggregate_id)]


def refusal(command: Callable[[], object]) -> tuple[str, str, dict[str, Any]]:
    """What `command` is refused with: its code, its message and its parameters."""
    with pytest.raises(DomainError) as refused:
        command()
    return refused.value.code, refused.value.message, refused.value.params


class CityStaffList:
    """The CityStaff port (domain/assignment) over a fixed list: each user name and the city it
    is an enabled operator or coordinator of (in the platform, the accounts say it)."""

    def __init__(self, cities: dict[str, City]) -> None:
        self.cities = cities

    def is_city_staff(self, username: str, city: City) -> bool:
        return self.cities.get(username) == city


def text_ids() -> Callable[[], UUID]:
    """A service's `new_id` that names the texts it keeps 1, 2, 3…: a test can tell which text
    went where."""
    numbers = iter(range(1, 100))
    return lambda: UUID(int=next(numbers))


def last_position(record: ProgrammeRecord) -> int:
    """The position of the last event saved in `record` (0 before any): what a command returns."""
    return record.recorder.max_notification_id() or 0


def field_refusal(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, str, object]:
    """A refusal already caught (`pytest.raises`), as a form shows it: its code, its message and
    the field it names (None when it names none)."""
    return error.value.code, error.value.message, error.value.params.get("field")

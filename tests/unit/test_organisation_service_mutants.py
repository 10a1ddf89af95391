"""The partner organisations service's own answers (issue 20): the id and position each command
returns, the organisation it saves (its name tidied), its refusals with their codes, messages,
fields and parameters, who may register and retire, and a registration decided again after a
rival registered the same name first. Over the real in-memory record.

DOMAIN.md, "Roles": a city's coordinators manage the partner organisations of their own city."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from domain.access import AccessDenied
from domain.assignment.model import CaseAssignment
from domain.organisations.model import Organisation, OrganisationKind, organisation_id_for
from domain.organisations.service import OrganisationNotFound, OrganisationService
from domain.programme import Actor, ActorKind, City, DomainError, Role
from domain.record import ProgrammeRecord
from tests.builders import NOW, a_coordinator, last_position, recorded

MILANO_COORDINATOR = a_coordinator(City.MILANO)
LATER = NOW + timedelta(days=30)


def refusal(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, str, dict[str, object]]:
    return error.value.code, error.value.message, error.value.params


@pytest.fixture
def organisations() -> OrganisationService:
    return OrganisationService(ProgrammeRecord())


def test_a_registration_returns_the_id_of_the_tidy_name_and_the_position_of_its_event(
    organisations: OrganisationService,
) -> None:
    organisation_id, position = organisations.register(
        City.MILANO, "  Caritas   Ambrosiana ", OrganisationKind.NGO, MILANO_COORDINATOR, NOW)
    assert organisation_id == organisation_id_for(City.MILANO, "Caritas Ambrosiana")
    assert position == last_position(organisations.record) == 1
    organisation = organisations.get(organisation_id)
    assert (organisation.name, organisation.city, organisation.kind) == (
        "Caritas Ambrosiana", City.MILANO, OrganisationKind.NGO)
    retired_at = organisations.retire(organisation_id, MILANO_COORDINATOR, LATER)
    assert retired_at == position + 1 == last_position(organisations.record)
    retired = organisations.get(organisation_id)
    assert retired.retired_on == LATER.date()
    assert recorded(retired) == []  # saved, nothing left pending


def test_a_name_registered_already_is_refused_naming_the_registered_organisation(
    organisations: OrganisationService,
) -> None:
    organisations.register(
        City.MILANO, "Caritas Ambrosiana", OrganisationKind.NGO, MILANO_COORDINATOR, NOW)
    written = last_position(organisations.record)
    with pytest.raises(DomainError) as refused:
        organisations.register(City.MILANO, "caritas  AMBROSIANA", OrganisationKind.ASSOCIATION,
                               MILANO_COORDINATOR, LATER)
    assert refusal(refused) == (
        "organisation_already_registered", "Caritas Ambrosiana is registered already.",
        {"field": "name", "organisation_name": "Caritas Ambrosiana"})
    assert last_position(organisations.record) == written
    # The same name in another city is another organisation.
    roma_id, _position = organisations.register(
        City.ROMA, "Caritas Ambrosiana", OrganisationKind.NGO, a_coordinator(City.ROMA), NOW)
    assert organisations.get(roma_id).city == City.ROMA


@pytest.mark.parametrize(
    ("actor", "role"),
    [
        (a_coordinator(City.MILANO, id="operator-1", role=Role.CITY_OPERATOR), "city_operator"),
        (a_coordinator(City.ROMA), "city_coordinator"),
        (Actor(ActorKind.USER, "ministry-1", Role.MINISTRY, None), "ministry"),
        (Actor(kind=ActorKind.SYSTEM, id="relay", role=Role.SYSTEM, city=City.MILANO), "system"),
        # A coordinator without a city is no principal at all: refused, never let through.
        (Actor(ActorKind.USER, "coordinator-1", Role.CITY_COORDINATOR, None), "city_coordinator"),
    ],
)
def test_only_the_city_s_coordinators_register_and_retire(
    organisations: OrganisationService, actor: Actor, role: str,
) -> None:
    organisation_id, _position = organisations.register(
        City.MILANO, "Emergency", OrganisationKind.NGO, MILANO_COORDINATOR, NOW)
    written = last_position(organisations.record)
    denied = (
        "access_denied",
        f"A {role} may not manage_partner_organisations in milano",
        {"permission": "manage_partner_organisations"},
    )
    with pytest.raises(AccessDenied) as registering:
        organisations.register(City.MILANO, "Sportello", OrganisationKind.NGO, actor, NOW)
    assert refusal(registering) == denied
    with pytest.raises(AccessDenied) as retiring:
        organisations.retire(organisation_id, actor, NOW)
    assert refusal(retiring) == denied
    assert last_position(organisations.record) == written
    assert organisations.get(organisation_id).retired_on is None


def test_an_unknown_id_or_another_aggregate_s_is_no_organisation(
    organisations: OrganisationService,
) -> None:
    unknown = uuid4()
    with pytest.raises(OrganisationNotFound) as not_found:
        organisations.get(unknown)
    assert not_found.value.args == (unknown,)
    assert not_found.value.__suppress_context__
    with pytest.raises(OrganisationNotFound) as retiring:
        organisations.retire(unknown, MILANO_COORDINATOR, NOW)
    assert retiring.value.args == (unknown,)

    other = CaseAssignment.open(uuid4(), City.MILANO, None, NOW, NOW)  # no organisation
    organisations.record.save(other)
    with pytest.raises(OrganisationNotFound) as not_one:
        organisations.get(other.id)
    assert not_one.value.args == (other.id,)


def test_a_retired_organisation_is_not_retired_again(organisations: OrganisationService) -> None:
    organisation_id, _position = organisations.register(
        City.MILANO, "Sportello", OrganisationKind.NGO, MILANO_COORDINATOR, NOW)
    organisations.retire(organisation_id, MILANO_COORDINATOR, NOW)
    written = last_position(organisations.record)
    with pytest.raises(DomainError) as again:
        organisations.retire(organisation_id, MILANO_COORDINATOR, LATER)
    assert again.value.code == "organisation_retired"
    assert last_position(organisations.record) == written
    assert organisations.get(organisation_id).retired_on == NOW.date()


class RivalRegisters(OrganisationService):
    """The service, while a rival coordinator registers the same name just after the service
    found none: the service's save loses, and it decides again on what it then finds."""

    raced = False

    def get(self, organisation_id: UUID) -> Organisation:
        if not self.raced:
            self.raced = True
            OrganisationService(self.record).register(
                City.MILANO, "Sportello Lavoro", OrganisationKind.ASSOCIATION,
                MILANO_COORDINATOR, NOW)
            raise OrganisationNotFound(organisation_id)
        return super().get(organisation_id)


def test_a_registration_lost_to_a_rival_is_decided_again_and_refused() -> None:
    racing = RivalRegisters(ProgrammeRecord())
    with pytest.raises(DomainError) as refused:
        racing.register(City.MILANO, "sportello lavoro", OrganisationKind.NGO,
                        MILANO_COORDINATOR, NOW)
    assert refusal(refused)[:2] == (
        "organisation_already_registered", "Sportello Lavoro is registered already.")
    organisation = racing.get(organisation_id_for(City.MILANO, "Sportello Lavoro"))
    assert organisation.kind is OrganisationKind.ASSOCIATION

"""Issue 12, item 5: consent to share with a partner names the partner. A city's coordinators
register the organisations the city refers people to (domain.organisations); the person's
consent to share their case with a partner names the organisations it covers (GDPR art.
6(1)(a), and art. 4(11): consent is "specific"), and is withdrawable per organisation (art.
7(3)); a referral names a registered organisation of its city. Events are asserted field by
field; events the code wrote before the change read honestly (docs/events.md, "Versioning")."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, Literal, cast
from uuid import UUID, uuid4

import pytest

from domain.access import AccessDenied
from domain.cases.model import Case, ConsentNotTheBasis, InvalidConsentChange
from domain.cases.service import CaseService
from domain.organisations.model import (
    MAX_ORGANISATION_NAME,
    InvalidOrganisationName,
    Organisation,
    OrganisationAlreadyRegistered,
    OrganisationKind,
    OrganisationRetired,
    organisation_id_for,
)
from domain.organisations.service import OrganisationNotFound, OrganisationService
from domain.privacy import (
    LegalBasis,
    OrganisationOfAnotherCity,
    ProcessingPurpose,
    UnknownOrganisation,
)
from domain.programme import Actor, City, DomainError, Role
from domain.record import ProgrammeRecord
from domain.referrals.model import ConsentRequired, Referral
from domain.referrals.rules import Destination
from domain.referrals.service import ReferralService
from domain.vault import PersonalDataVault
from events.contracts import (
    CaseConsentGivenV1,
    CaseConsentGivenV2,
    CaseConsentWithdrawnV1,
    CaseConsentWithdrawnV2,
)
from events.organisations import OrganisationRegisteredV1, OrganisationRetiredV1
from events.referrals import ReferralRequestedV3, ReferralRequestedV4
from events.upcasting import latest
from infra.publishing.event_mapping.catalogue import PUBLIC_EVENTS
from tests.builders import (
    INTAKE_DATE,
    NOW,
    a_coordinator,
    an_intake,
    an_organisation,
)
from tests.v1_store import store_v1, v1_referral

PARTNER = ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER
PURPOSE: Literal["referral_to_named_partner"] = "referral_to_named_partner"  # as contracts say
LATER = NOW + timedelta(days=30)
MILANO_COORDINATOR = a_coordinator(City.MILANO)


def an_operator(city: City) -> Actor:
    return a_coordinator(city, id="operator-1", role=Role.CITY_OPERATOR)


def events_of(aggregate: Any) -> list[Any]:
    return list(aggregate.collect_events())


def a_case(**overrides: Any) -> Case:
    case = Case.take_in(uuid4(), "MI-2021-00001", an_intake(City.MILANO, **overrides),
                        MILANO_COORDINATOR, NOW)
    case.collect_events()
    return case


def published(event: Any) -> Any:
    """The contract the relay publishes for a domain event."""
    return PUBLIC_EVENTS[f"{type(event).__module__}:{type(event).__qualname__}"].contract_of(event)


# --- the registry ------------------------------------------------------------------------------


def test_a_coordinator_registers_an_organisation_of_the_city() -> None:
    organisation = Organisation.register(
        City.MILANO, "  Caritas   Ambrosiana ", OrganisationKind.NGO, MILANO_COORDINATOR, NOW)
    (event,) = events_of(organisation)
    assert isinstance(event, Organisation.Registered)
    assert (event.originator_id, event.city, event.name, event.kind, event.registered_on,
            event.actor, event.timestamp) == (
        organisation_id_for(City.MILANO, "caritas ambrosiana"), "milano", "Caritas Ambrosiana",
        "ngo", NOW.date(), MILANO_COORDINATOR.as_record(), NOW)
    message = published(event)
    assert message == OrganisationRegisteredV1(
        organisation_id=organisation.id, city="milano", name="Caritas Ambrosiana", kind="ngo",
        registered_on=NOW.date())
    # The same name in another city is another organisation.
    assert organisation_id_for(City.ROMA, "Caritas Ambrosiana") != organisation.id


@pytest.mark.parametrize("name", ["", "   ", "x" * (MAX_ORGANISATION_NAME + 1)])
def test_an_organisation_is_named_in_1_to_120_characters(name: str) -> None:
    with pytest.raises(InvalidOrganisationName) as refused:
        Organisation.register(City.MILANO, name, OrganisationKind.NGO, MILANO_COORDINATOR, NOW)
    assert refused.value.params["field"] == "name"
    at_the_limit = "x" * MAX_ORGANISATION_NAME
    assert Organisation.register(City.MILANO, at_the_limit, OrganisationKind.OTHER,
                                 MILANO_COORDINATOR, NOW).name == at_the_limit


def test_a_retired_organisation_is_retired_once() -> None:
    organisation = an_organisation(City.MILANO, "Sportello")
    organisation.retire(MILANO_COORDINATOR, LATER)
    (event,) = events_of(organisation)
    assert isinstance(event, Organisation.Retired)
    assert (event.city, event.retired_on, event.actor) == (
        "milano", LATER.date(), MILANO_COORDINATOR.as_record())
    assert published(event) == OrganisationRetiredV1(
        organisation_id=organisation.id, city="milano", retired_on=LATER.date())
    assert organisation.is_retired
    with pytest.raises(OrganisationRetired) as refused:
        organisation.retire(MILANO_COORDINATOR, LATER)
    assert refused.value.params["organisation_name"] == "Sportello"


def test_the_service_registers_a_name_once_per_city_and_only_for_the_city_s_coordinators(
) -> None:
    record = ProgrammeRecord()
    service = OrganisationService(record)
    organisation_id, _position = service.register(
        City.MILANO, "Caritas Ambrosiana", OrganisationKind.NGO, MILANO_COORDINATOR, NOW)
    assert service.get(organisation_id).name == "Caritas Ambrosiana"
    written = record.recorder.max_notification_id()
    with pytest.raises(OrganisationAlreadyRegistered) as refused:
        service.register(City.MILANO, " CARITAS ambrosiana", OrganisationKind.ASSOCIATION,
                         MILANO_COORDINATOR, NOW)
    assert refused.value.params["organisation_name"] == "Caritas Ambrosiana"
    for actor in (an_operator(City.MILANO), a_coordinator(City.ROMA)):
        with pytest.raises(AccessDenied):
            service.register(City.MILANO, "Emergency", OrganisationKind.NGO, actor, NOW)
        with pytest.raises(AccessDenied):
            service.retire(organisation_id, actor, NOW)
    assert record.recorder.max_notification_id() == written
    service.retire(organisation_id, MILANO_COORDINATOR, LATER)
    assert service.get(organisation_id).retired_on == LATER.date()
    with pytest.raises(OrganisationNotFound):
        service.get(uuid4())


# --- consent per organisation (GDPR art. 6(1)(a), art. 7(3)) ------------------------------------


def test_a_consent_to_share_with_partners_names_the_organisations_it_covers() -> None:
    """GDPR art. 6(1)(a) with art. 4(11): consent is given to a specific processing; sharing
    with a named partner rests on consent to THAT partner (DOMAIN.md, "Legal notes")."""
    caritas, emergency = an_organisation(City.MILANO, "Caritas"), an_organisation(
        City.MILANO, "Emergency")
    case = a_case()
    case.give_consent(PARTNER, date(2021, 3, 12), MILANO_COORDINATOR, LATER,
                      organisations=[caritas, emergency])
    (event,) = events_of(case)
    assert isinstance(event, Case.ConsentGiven)
    assert (event.case_code, event.city, event.purpose, event.given_on, event.organisation_ids,
            event.actor) == (
        "MI-2021-00001", "milano", "referral_to_named_partner", date(2021, 3, 12),
        [str(caritas.id), str(emergency.id)], MILANO_COORDINATOR.as_record())
    assert published(event) == CaseConsentGivenV2(
        case_id=case.id, case_code="MI-2021-00001", city="milano", purpose=PURPOSE,
        given_on=date(2021, 3, 12), organisation_ids=[caritas.id, emergency.id])
    assert case.has_consent_to_share_with(caritas.id)
    assert case.has_consent_to_share_with(emergency.id)
    assert not case.has_consent_to(PARTNER)  # no consent to partners as a whole
    assert set(case.consented_organisations) == {caritas.id, emergency.id}


def test_a_consent_to_share_with_partners_without_an_organisation_is_refused() -> None:
    with pytest.raises(InvalidConsentChange) as refused:
        a_case().give_consent(PARTNER, INTAKE_DATE, MILANO_COORDINATOR, LATER)
    assert refused.value.params["field"] == "organisation_ids"


def test_only_a_consent_to_share_with_partners_names_organisations() -> None:
    with pytest.raises(InvalidConsentChange) as refused:
        a_case().give_consent(ProcessingPurpose.PHOTOGRAPHS, INTAKE_DATE, MILANO_COORDINATOR,
                              LATER, organisations=[an_organisation(City.MILANO)])
    assert refused.value.params["field"] == "organisation_ids"
    with pytest.raises(ConsentNotTheBasis):
        a_case().give_consent(ProcessingPurpose.STATISTICS, INTAKE_DATE, MILANO_COORDINATOR,
                              LATER, organisations=[an_organisation(City.MILANO)])


def test_a_consent_to_an_organisation_is_given_once_and_only_for_the_city_s_own() -> None:
    caritas = an_organisation(City.MILANO, "Caritas")
    case = a_case()
    case.give_consent(PARTNER, INTAKE_DATE, MILANO_COORDINATOR, LATER, organisations=[caritas])
    with pytest.raises(InvalidConsentChange) as refused:
        case.give_consent(PARTNER, LATER.date(), MILANO_COORDINATOR, LATER,
                          organisations=[caritas])
    assert refused.value.params["organisation_name"] == "Caritas"
    with pytest.raises(OrganisationOfAnotherCity):
        case.give_consent(PARTNER, LATER.date(), MILANO_COORDINATOR, LATER,
                          organisations=[an_organisation(City.ROMA, "Caritas")])


def test_a_consent_is_withdrawn_per_organisation_and_may_be_given_again() -> None:
    """GDPR art. 7(3): "The data subject shall have the right to withdraw his or her consent at
    any time": from one organisation, the others keeping theirs."""
    caritas, emergency = an_organisation(City.MILANO, "Caritas"), an_organisation(
        City.MILANO, "Emergency")
    case = a_case()
    case.give_consent(PARTNER, date(2021, 3, 12), MILANO_COORDINATOR, LATER,
                      organisations=[caritas, emergency])
    case.collect_events()
    with pytest.raises(InvalidConsentChange) as refused:
        case.withdraw_consent(PARTNER, date(2021, 3, 11), MILANO_COORDINATOR, LATER,
                              organisation_ids=[caritas.id])
    assert refused.value.params["field"] == "withdrawn_on"
    case.withdraw_consent(PARTNER, date(2021, 3, 20), MILANO_COORDINATOR, LATER,
                          organisation_ids=[caritas.id])
    (event,) = events_of(case)
    assert isinstance(event, Case.ConsentWithdrawn)
    assert (event.purpose, event.withdrawn_on, event.organisation_ids, event.city) == (
        "referral_to_named_partner", date(2021, 3, 20), [str(caritas.id)], "milano")
    assert published(event) == CaseConsentWithdrawnV2(
        case_id=case.id, case_code="MI-2021-00001", city="milano", purpose=PURPOSE,
        withdrawn_on=date(2021, 3, 20), organisation_ids=[caritas.id])
    assert not case.has_consent_to_share_with(caritas.id)
    assert case.has_consent_to_share_with(emergency.id)
    with pytest.raises(InvalidConsentChange) as refused:
        case.withdraw_consent(PARTNER, date(2021, 3, 21), MILANO_COORDINATOR, LATER,
                              organisation_ids=[caritas.id])
    assert refused.value.params["field"] == "organisation_ids"
    with pytest.raises(InvalidConsentChange):  # before the withdrawal
        case.give_consent(PARTNER, date(2021, 3, 19), MILANO_COORDINATOR, LATER,
                          organisations=[caritas])
    case.give_consent(PARTNER, date(2021, 3, 20), MILANO_COORDINATOR, LATER,
                      organisations=[caritas])
    assert case.has_consent_to_share_with(caritas.id)


def test_a_consent_to_a_retired_organisation_can_still_be_withdrawn() -> None:
    """Art. 7(3): withdrawing is always possible, whatever became of the organisation."""
    caritas = an_organisation(City.MILANO, "Caritas")
    case = a_case()
    case.give_consent(PARTNER, INTAKE_DATE, MILANO_COORDINATOR, LATER, organisations=[caritas])
    caritas.retire(MILANO_COORDINATOR, LATER)
    case.withdraw_consent(PARTNER, LATER.date(), MILANO_COORDINATOR, LATER,
                          organisation_ids=[caritas.id])
    assert not case.has_consent_to_share_with(caritas.id)


# --- the services: nothing written when an organisation is refused -----------------------------


class _Vault:
    """The vault a referral without a note never reaches but for the erasure check."""

    def store_text(self, *_args: object) -> str:
        raise AssertionError("no text is kept")

    def discard_text(self, *_args: object) -> None:
        raise AssertionError("no text is kept")


def services() -> tuple[ProgrammeRecord, OrganisationService, CaseService, ReferralService]:
    record = ProgrammeRecord()
    organisations = OrganisationService(record)
    vault = cast(PersonalDataVault, _Vault())
    cases = CaseService(record, vault, organisations=organisations.get)
    referrals = ReferralService(record, cast(Any, SimpleNamespace(vault=vault, get=cases.get)),
                                organisations=organisations.get)
    return record, organisations, cases, referrals


def saved_case(record: ProgrammeRecord) -> Case:
    case = Case.take_in(uuid4(), "MI-2021-00001", an_intake(City.MILANO), MILANO_COORDINATOR,
                        NOW)
    record.save(case)
    return case


def register(organisations: OrganisationService, city: City, name: str) -> UUID:
    return organisations.register(city, name, OrganisationKind.NGO, a_coordinator(city), NOW)[0]


def test_a_consent_or_a_referral_naming_an_unknown_another_city_s_or_a_retired_organisation_is_refused_with_nothing_written(  # noqa: E501
) -> None:
    record, organisations, cases, referrals = services()
    case = saved_case(record)
    roman = register(organisations, City.ROMA, "Caritas di Roma")
    retired = register(organisations, City.MILANO, "Sportello chiuso")
    organisations.retire(retired, MILANO_COORDINATOR, NOW)
    written = record.recorder.max_notification_id()
    refusals: list[tuple[UUID, type[DomainError]]] = [
        (uuid4(), UnknownOrganisation), (roman, OrganisationOfAnotherCity),
        (retired, OrganisationRetired)]
    for organisation_id, refusal in refusals:
        with pytest.raises(refusal) as refused:
            cases.give_consent(case.id, PARTNER, INTAKE_DATE, MILANO_COORDINATOR, LATER,
                               organisation_ids=[organisation_id])
        assert refused.value.params["field"] in ("organisation_ids", "organisation_id")
        with pytest.raises(refusal):
            referrals.request(uuid4(), case.id, Destination.partner(organisation_id), None, None,
                              MILANO_COORDINATOR, LATER,
                              other_legal_basis=LegalBasis.VITAL_INTERESTS)
    assert record.recorder.max_notification_id() == written


def test_the_referral_gate_checks_consent_to_that_organisation_and_names_it() -> None:
    """GDPR art. 6(1)(a): a referral to a partner rests on the person's consent to that
    organisation; without it, on another basis a coordinator names (art. 6(1)(c)-(e)),
    recorded; refused otherwise, naming the organisation."""
    record, organisations, cases, referrals = services()
    case = saved_case(record)
    caritas = register(organisations, City.MILANO, "Caritas Ambrosiana")
    emergency = register(organisations, City.MILANO, "Emergency")
    cases.give_consent(case.id, PARTNER, INTAKE_DATE, MILANO_COORDINATOR, LATER,
                       organisation_ids=[caritas])
    with pytest.raises(ConsentRequired) as refused:
        referrals.request(uuid4(), case.id, Destination.partner(emergency), None, None,
                          an_operator(City.MILANO), LATER)
    assert refused.value.params["organisation_name"] == "Emergency"
    consented = uuid4()
    referrals.request(consented, case.id, Destination.partner(caritas), None, None,
                      an_operator(City.MILANO), LATER)
    assert referrals.get(consented).legal_basis is LegalBasis.CONSENT
    other = uuid4()
    referrals.request(other, case.id, Destination.partner(emergency), None, None,
                      MILANO_COORDINATOR, LATER, other_legal_basis=LegalBasis.VITAL_INTERESTS)
    assert referrals.get(other).legal_basis is LegalBasis.VITAL_INTERESTS
    assert referrals.get(other).destination.organisation_id == emergency


# --- what was written before reads honestly ---------------------------------------------------


def test_a_consent_stored_before_it_named_organisations_covers_no_registered_one() -> None:
    """A v1 consent to share with partners named nobody: it reads as a consent to the purpose
    as a whole, covering the referrals recorded under the old free-text names and no registered
    organisation (docs/domain.md, "Legal basis")."""
    record = ProgrammeRecord()
    case = saved_case(record)
    v1 = {"timestamp": NOW, "originator_topic": None, "case_code": "MI-2021-00001",
          "city": "milano", "purpose": "referral_to_named_partner", "given_on": INTAKE_DATE,
          "actor": MILANO_COORDINATOR.as_record()}
    v1.pop("originator_topic")
    store_v1(record, case.id, 2, Case.ConsentGiven, v1)
    loaded: object = record.repository.get(case.id)
    assert isinstance(loaded, Case)
    assert loaded.has_consent_to(PARTNER)
    assert loaded.consented_organisations == []
    assert not loaded.has_consent_to_share_with(an_organisation(City.MILANO).id)
    stored = next(n for n in record.recorder.select_notifications(1, 10)
                  if n.originator_version == 2)
    now = PUBLIC_EVENTS[stored.topic].contract_of(record.mapper.to_domain_event(stored))
    old = CaseConsentGivenV1(case_id=case.id, case_code="MI-2021-00001", city="milano",
                             purpose=PURPOSE, given_on=INTAKE_DATE)
    assert now == latest(old) == CaseConsentGivenV2(
        case_id=case.id, case_code="MI-2021-00001", city="milano", purpose=PURPOSE,
        given_on=INTAKE_DATE, organisation_ids=[])
    withdrawn = CaseConsentWithdrawnV1(case_id=case.id, case_code="MI-2021-00001",
                                       city="milano", purpose=PURPOSE, withdrawn_on=INTAKE_DATE)
    assert latest(withdrawn) == CaseConsentWithdrawnV2(
        **withdrawn.model_dump(), organisation_ids=[])


def test_a_referral_stored_with_a_free_text_partner_keeps_its_name() -> None:
    """A v3 referral named its partner by free text: it reads with that name and no
    organisation, from the store and from the stream."""
    record = ProgrammeRecord()
    referral_id = uuid4()
    case_id = UUID(int=9)
    state = v1_referral(case_id, consent_basis="consent") | {"class_version": 3}
    for field in ("consent_basis", "consent_override_reason", "note"):
        state.pop(field)
    state |= {"legal_basis": "consent", "note_id": None, "note_digest": None,
              "legacy_texts": None}
    store_v1(record, referral_id, 1, Referral.Requested, state)
    referral: object = record.repository.get(referral_id)
    assert isinstance(referral, Referral)
    assert (referral.destination.partner_name, referral.destination.organisation_id) == (
        "Caritas", None)
    assert referral.destination.key == "partner:caritas"
    stored = next(iter(record.recorder.select_notifications(1, 10)))
    now = PUBLIC_EVENTS[stored.topic].contract_of(record.mapper.to_domain_event(stored))
    assert isinstance(now, ReferralRequestedV4)
    assert (now.partner_name, now.organisation_id, now.legal_basis) == (
        "Caritas", None, "consent")
    old = ReferralRequestedV3(**{name: value for name, value in (
        now.model_dump() | {"partner_name": "Caritas"}).items() if name != "organisation_id"})
    assert latest(old) == now


def test_a_consent_given_at_intake_to_partners_as_a_whole_does_not_open_the_gate() -> None:
    """Consent is specific (GDPR art. 4(11)): the intake's consent to share "with partners"
    names nobody, so a registered organisation still needs its own."""
    case = a_case(consents=frozenset({PARTNER}))
    caritas = an_organisation(City.MILANO, "Caritas")
    with pytest.raises(ConsentRequired):
        Referral.request(uuid4(), case, Destination.partner(caritas.id), None, None,
                         MILANO_COORDINATOR, LATER, organisation=caritas)

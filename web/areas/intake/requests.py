"""An intake as the web receives it, from the form or the API, and how it is handed to the domain.

The request model checks only the shape of the input (types, dates, known codes). The programme's
rules (reception situation and centre names by date, statuses and permits, the information notice,
consents, minors) are the domain's, which checks them all before writing anything and explains a
refusal with a DomainError."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from domain.access import AccessDenied, Permission, Principal, may
from domain.cases.model import InformationNotice, IntakeFacts, ReceptionHistory
from domain.cases.rules import ReceptionCentreKind, ReceptionSituation, Sex, Vulnerability
from domain.cases.service import IntakeReceipt
from domain.identity.keys import TAX_CODE_PATTERN
from domain.identity.service import NotesOfMatches
from domain.privacy import ProcessingPurpose
from domain.programme import Actor, City, ProtectionStatus
from domain.vault import PersonalData
from web.kit.i18n import is_country_code, is_language_code
from web.kit.inputs import Day
from web.services import WebServices

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ./()-]{4,28}[0-9]$")


def _an_email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.match(value):
        raise PydanticCustomError("email_format", "not an e-mail address")
    return value


def _a_phone_number(value: str | None) -> str | None:
    if value is not None and not _PHONE.match(value):
        raise PydanticCustomError("phone_format", "not a phone number")
    return value


# What the form posts for a person without citizenship (the API sends null).
NO_CITIZENSHIP = "none"


def _a_citizenship(value: str | None) -> str | None:
    if value is None or value == NO_CITIZENSHIP:
        return None
    if not is_country_code(value):
        raise PydanticCustomError("country_code", "not an ISO 3166-1 alpha-2 country code")
    return value


def _a_language_code(value: str) -> str:
    if not is_language_code(value):
        raise PydanticCustomError("language_code", "not an ISO 639-1 language code")
    return value


Name = Annotated[str, Field(min_length=1, max_length=100)]

EXAMPLE_INTAKE: dict[str, Any] = {
    "given_name": "Amanuel",
    "family_name": "Tesfaye",
    "birth_date": "1994-05-02",
    "has_identity_document": True,
    "document_number": "PS1234567",
    "phone": "+39 333 1234567",
    "email": None,
    "intake_date": "2021-03-10",
    "protection_status": "refugee",
    "permit_expires_on": "2025-11-30",
    "reception_situation": "left_reception",
    "left_reception_on": "2021-01-20",
    "reception_centre_kind": "sai",
    "sex": "female",
    "citizenship": "ER",
    "household_size": 1,
    "vulnerabilities": ["single_parent_with_minors"],
    "information_notice_given_on": "2021-03-10",
    "information_notice_language": "ti",
    "consents": ["photographs"],
}


class IntakeRequest(BaseModel):
    """A person taken in by a city. The identifiers (names, birth date, document, contacts) go to
    the encrypted personal-data vault only; everything else becomes the case's intake event."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [EXAMPLE_INTAKE]},
    )

    given_name: Name = Field(description="Vault only")
    family_name: Name = Field(description="Vault only")
    birth_date: Day = Field(description="Vault only; the case keeps the age band")
    has_identity_document: bool = Field(
        description="Whether the person has any identity document; a person without one is "
        "taken in all the same"
    )
    document_number: str | None = Field(
        default=None, max_length=50,
        description="Vault only; only for a person with a document, and optional then",
    )
    phone: Annotated[str | None, AfterValidator(_a_phone_number)] = Field(
        default=None, max_length=30, description="Vault only"
    )
    email: Annotated[str | None, AfterValidator(_an_email)] = Field(
        default=None, max_length=254, description="Vault only"
    )
    tax_code: str | None = Field(
        default=None, pattern=TAX_CODE_PATTERN,
        description="Vault only: the tax code (codice fiscale) or the CUI, when known; with "
        "the names, birth date and document number it is what the duplicate check looks for "
        "(as a keyed hash)",
    )
    new_case_despite_possible_match: bool = Field(
        default=False,
        description="The duplicate check found the person among the cases already taken in "
        "(the intake was answered 409 with their codes), and it is someone else, or a new "
        "case is wanted all the same: record it, linked to them as a possible same person",
    )
    intake_date: Day
    protection_status: ProtectionStatus = Field(description="The status held on the intake date")
    permit_expires_on: Day | None = Field(
        default=None, description="The residence permit's expiry, where there is one"
    )
    reception_situation: ReceptionSituation = Field(
        description="A person hosted in reception is taken in too: eligibility per sub-action "
        "says what they may receive (Sub-Action 2 for applicants wherever they live)"
    )
    left_reception_on: Day | None = Field(
        default=None, description="Required when the person has left reception, else empty"
    )
    planned_exit_on: Day | None = Field(
        default=None, description="Required when the person is leaving reception, else empty"
    )
    reception_centre_kind: ReceptionCentreKind | None = Field(
        default=None,
        description="The centre the person is in, is leaving or left, by its name on the date "
        "(SPRAR until 4 Oct 2018, SIPROIMI from 5 Oct 2018, SAI from 22 Oct 2020); empty for "
        "a person never in reception",
    )
    sex: Sex = Field(description="As the documents state it, or not_stated")
    citizenship: Annotated[str | None, AfterValidator(_a_citizenship)] = Field(
        description="ISO 3166-1 alpha-2 country code, upper case; null (or \"none\") for no "
        "citizenship", examples=["ER"],
    )
    household_size: int = Field(description="People in the household, the person included")
    vulnerabilities: list[Vulnerability] = Field(
        default_factory=list,
        description="Categories of d.lgs. 142/2015 art. 17 c.1; 'minor' is added from the "
        "birth date",
    )
    other_vulnerability_description: str | None = Field(
        default=None,
        description="For an 'other' vulnerability only: what it is. Free text, personal data: "
        "kept encrypted in the vault with the person's identifiers, never in an event",
    )
    assignee: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$",
        description="The city's coordinators only: the username of the operator (or "
        "coordinator) of the city who is to hold the case, when not whoever records the intake "
        "(recorded with the intake, in the same save)",
    )
    information_notice_given_on: Day = Field(
        description="When the information notice (GDPR art. 13) was given: at the latest on the "
        "intake date"
    )
    information_notice_language: Annotated[str, AfterValidator(_a_language_code)] = Field(
        description="ISO 639-1 code of the notice's language", examples=["ti"],
    )
    consents: list[ProcessingPurpose] = Field(
        default_factory=list,
        description="Purposes resting on consent that the person agreed to (by default "
        "referral_to_named_partner, photographs); case management needs none. A consent to "
        "share with partners given here names no organisation and so covers none of the "
        "registered ones: record it with POST /cases/{id}/consents, naming them",
    )

    def facts(self, city: City) -> IntakeFacts:
        return IntakeFacts(
            city=city,
            intake_date=self.intake_date,
            protection_status=self.protection_status,
            permit_expires_on=self.permit_expires_on,
            reception=ReceptionHistory(
                self.reception_situation, self.left_reception_on, self.reception_centre_kind,
                self.planned_exit_on,
            ),
            sex=self.sex,
            birth_date=self.birth_date,
            citizenship=self.citizenship,
            has_identity_document=self.has_identity_document,
            household_size=self.household_size,
            vulnerabilities=frozenset(self.vulnerabilities),
            information_notice=InformationNotice(
                self.information_notice_given_on, self.information_notice_language),
            consents=frozenset(self.consents),
        )

    def personal_data(self) -> PersonalData:
        return PersonalData(
            given_name=self.given_name,
            family_name=self.family_name,
            birth_date=self.birth_date,
            document_number=self.document_number or None,
            phone=self.phone,
            email=self.email,
            tax_code=self.tax_code or None,
        )


async def take_in(
    services: WebServices, city: City, intake: IntakeRequest, actor: Actor,
    command_key: str | None = None,
) -> IntakeReceipt:
    """Record the intake, then wait (at most the read-your-writes timeout) until the read models
    show it, so that the page or client that follows reads its own write. Past the timeout it
    returns all the same: what reads the case next tells whether it is there yet. Choosing who
    holds the case (`assignee`) is the city's coordinators' (ASSIGN_CASES). `command_key`
    (web.kit.idempotency's): an intake sent again after its process died between the save and
    the answer gets its case back, before the duplicate check would take it for another one."""
    if intake.assignee is not None and not may(
            Principal(actor.id, actor.role, actor.city), Permission.ASSIGN_CASES, city):
        raise AccessDenied("Only the city's coordinators choose who holds a case",
                           field="assignee")
    recorded_before = await run_in_threadpool(services.cases.intake_by_key, command_key)
    if recorded_before is not None:
        await services.wait_for_position(recorded_before.position,
                                         services.read_your_writes_timeout)
        return recorded_before
    case_id, now, person = services.new_id(), services.now(), intake.personal_data()

    def record(notes: NotesOfMatches) -> IntakeReceipt:
        return services.cases.record_intake(
            case_id, intake.facts(city), person, actor, now,
            intake.other_vulnerability_description or None, services.new_id,
            assignee=intake.assignee, command_key=command_key, saved_with_case=notes)

    # The duplicate check first: PossibleSamePerson, with nothing written, unless told to go on.
    checked = await run_in_threadpool(
        services.identity.take_in, case_id, city, person,
        intake.new_case_despite_possible_match, record, actor, now)
    await services.wait_for_position(checked.position, services.read_your_writes_timeout)
    return checked.receipt

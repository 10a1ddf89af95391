"""An intake as the web receives it, from the form or the API, and how it is handed to the domain.

The request model checks only the shape of the input (types, dates, known codes). The programme's
rules (reception situation, dates, consent, minors) are the domain's, which checks them all before
writing anything and explains a refusal with a DomainError."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from domain.cases.model import Consent, IntakeFacts, ReceptionHistory
from domain.cases.rules import ReceptionCentreKind, ReceptionSituation, Sex, Vulnerability
from domain.cases.service import IntakeReceipt
from domain.programme import Actor, City, ConsentScope, ProtectionStatus
from domain.vault import PersonalData
from web.kit.i18n import is_country_code
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


def _a_country_code(value: str) -> str:
    if not is_country_code(value):
        raise PydanticCustomError("country_code", "not an ISO 3166-1 alpha-2 country code")
    return value


Name = Annotated[str, Field(min_length=1, max_length=100)]

EXAMPLE_INTAKE: dict[str, Any] = {
    "given_name": "Amanuel",
    "family_name": "Tesfaye",
    "birth_date": "1994-05-02",
    "document_number": "PS1234567",
    "phone": "+39 333 1234567",
    "email": None,
    "intake_date": "2021-03-10",
    "protection_status": "refugee",
    "reception_situation": "left_reception",
    "left_reception_on": "2021-01-20",
    "reception_centre_kind": "cas",
    "sex": "female",
    "nationality": "ER",
    "household_size": 1,
    "vulnerabilities": ["single_parent_with_minors"],
    "consent_given_on": "2021-03-10",
    "consent_scopes": ["case_management", "statistics"],
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
    birth_date: date = Field(description="Vault only; the case keeps the age band")
    document_number: str | None = Field(default=None, max_length=50, description="Vault only")
    phone: Annotated[str | None, AfterValidator(_a_phone_number)] = Field(
        default=None, max_length=30, description="Vault only"
    )
    email: Annotated[str | None, AfterValidator(_an_email)] = Field(
        default=None, max_length=254, description="Vault only"
    )
    intake_date: date
    protection_status: ProtectionStatus
    reception_situation: ReceptionSituation = Field(
        description="People still in reception are refused: the programme serves those outside it"
    )
    left_reception_on: date | None = Field(
        default=None, description="Required when the person has left reception, else empty"
    )
    reception_centre_kind: ReceptionCentreKind | None = Field(
        default=None, description="Required when the person has left reception, else empty"
    )
    sex: Sex
    nationality: Annotated[str, AfterValidator(_a_country_code)] = Field(
        description="ISO 3166-1 alpha-2 country code, upper case", examples=["ER"]
    )
    household_size: int = Field(description="People in the household, the person included")
    vulnerabilities: list[Vulnerability] = Field(
        default_factory=list,
        description="Categories of d.lgs. 142/2015 art. 17 c.1; 'minor' is added from the "
        "birth date",
    )
    consent_given_on: date
    consent_scopes: list[ConsentScope] = Field(
        default_factory=list, description="Must include case_management"
    )

    def facts(self, city: City) -> IntakeFacts:
        return IntakeFacts(
            city=city,
            intake_date=self.intake_date,
            protection_status=self.protection_status,
            reception=ReceptionHistory(
                self.reception_situation, self.left_reception_on, self.reception_centre_kind
            ),
            sex=self.sex,
            birth_date=self.birth_date,
            nationality=self.nationality,
            household_size=self.household_size,
            vulnerabilities=frozenset(self.vulnerabilities),
            consent=Consent(self.consent_given_on, frozenset(self.consent_scopes)),
        )

    def personal_data(self) -> PersonalData:
        return PersonalData(
            given_name=self.given_name,
            family_name=self.family_name,
            birth_date=self.birth_date,
            document_number=self.document_number or None,
            phone=self.phone,
            email=self.email,
        )


async def take_in(
    services: WebServices, city: City, intake: IntakeRequest, actor: Actor
) -> IntakeReceipt:
    """Record the intake, then wait (at most the read-your-writes timeout) until the read models
    show it, so that the page or client that follows reads its own write. Past the timeout it
    returns all the same: what reads the case next tells whether it is there yet."""
    receipt = await run_in_threadpool(
        services.cases.record_intake,
        services.new_id(),
        intake.facts(city),
        intake.personal_data(),
        actor,
        services.now(),
    )
    await services.wait_for_position(receipt.position, services.read_your_writes_timeout)
    return receipt

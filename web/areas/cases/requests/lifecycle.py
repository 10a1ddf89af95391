"""Closing a case, reopening it, correcting the facts recorded at its intake, recording a decision
on the person's protection status, and a consent given or withdrawn. Each is a new event;
nothing recorded before is changed. Closing, status decisions and consents are for the case's
city staff (operators and coordinators); reopening and corrections for its coordinators. The
domain refuses (DomainError) before anything is written.

The request bodies and the commands here serve the case page's forms
(web.areas.cases.pages.lifecycle) and the API (web.areas.cases.api.lifecycle) alike."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from domain.cases.model import MAX_HOUSEHOLD_SIZE, MAX_REASON
from domain.cases.rules import CaseOutcome, CorrectableField, Sex, Vulnerability
from domain.privacy import ProcessingPurpose
from domain.programme import Actor, ProtectionStatus
from projections.case_list import CaseRow
from web.kit.commands import carry_out
from web.kit.i18n import NO_CITIZENSHIP, is_country_code
from web.kit.inputs import Day
from web.services import WebServices

_REASON = (
    f"Why, in up to {MAX_REASON} characters; published with the event, so never a personal "
    "identifier"
)


def _a_country_code(value: str) -> str:
    if value != NO_CITIZENSHIP and not is_country_code(value):
        raise PydanticCustomError("country_code", "not an ISO 3166-1 alpha-2 country code")
    return value


class ClosureRequest(BaseModel):
    """How the case ended, when, and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"outcome": "autonomy", "closed_on": "2021-06-30",
                      "reason": "Rents a flat and works full time since June."}]
    })

    outcome: CaseOutcome
    closed_on: Day = Field(description="Between the intake date and today")
    # Presence and length are the domain's rules, so the refusal is the domain's message.
    reason: str = Field(description=_REASON)


class ReopeningRequest(BaseModel):
    """When a closed case was opened again, and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"reopened_on": "2021-09-01", "reason": "Lost the job and the flat."}]
    })

    reopened_on: Day = Field(description="Between the closing date and today")
    reason: str = Field(description=_REASON)


class CorrectionRequest(BaseModel):
    """New values for facts that were typed wrong, and why. Give only the facts to correct; a
    value equal to the recorded one is no correction. The status and the permit's expiry are
    those of the latest decision (or of the intake): a new decision is a status change, not a
    correction. The other intake facts cannot be corrected: the age band follows from the birth
    date in the vault, the city, code and intake date name the case, and consents have events
    of their own."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"protection_status": "asylum_seeker",
                      "reason": "The residence permit shows a pending application."}]
    })

    protection_status: ProtectionStatus | None = None
    permit_expires_on: Day | None = None
    sex: Sex | None = None
    citizenship: Annotated[str, AfterValidator(_a_country_code)] | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2 country code, upper case; \"none\": no citizenship",
        examples=["ER"],
    )
    household_size: int | None = Field(default=None, ge=1, le=MAX_HOUSEHOLD_SIZE)
    vulnerabilities: list[Vulnerability] | None = Field(
        default=None,
        description="The whole list as it should be (replacing the recorded one); a minor "
        "stays recorded as a minor",
    )
    reason: str = Field(description=_REASON)

    def corrections(self) -> dict[CorrectableField, Any]:
        given: dict[CorrectableField, Any] = {}
        for name in CorrectableField:
            value = getattr(self, name.value)
            if value is None:
                continue
            if name is CorrectableField.CITIZENSHIP and value == NO_CITIZENSHIP:
                given[name] = None
            else:
                given[name] = value.value if isinstance(value, ProtectionStatus | Sex) else (
                    [v.value for v in value] if isinstance(value, list) else value)
        return given


class StatusChangeRequest(BaseModel):
    """A decision on the person's protection status (a territorial commission's, a court's, a
    new or renewed permit): from its date, the new status and its permit's expiry. Not a
    correction: the status recorded before stays true up to that date."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"decided_on": "2021-05-20", "protection_status": "refugee",
                      "permit_expires_on": "2026-05-19"}]
    })

    decided_on: Day = Field(description="Between the date of the status it follows and today")
    protection_status: ProtectionStatus
    permit_expires_on: Day | None = Field(
        default=None, description="The permit's expiry, after the decision; none without one")


def _as_list(value: Any) -> Any:
    """A page's select posts one value (a blank: none); JSON clients send a list."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    return value


class ConsentRequest(BaseModel):
    """A consent the person gave, to one purpose that rests on consent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"purpose": "referral_to_named_partner", "given_on": "2021-04-02",
                      "organisation_ids": ["6f1c2a4e-8b3d-5e7f-9a1b-2c3d4e5f6a7b"]},
                     {"purpose": "photographs", "given_on": "2021-04-02"}]
    })

    purpose: ProcessingPurpose
    given_on: Day = Field(description="Between the intake (or the last withdrawal) and today")
    organisation_ids: list[UUID] = Field(default_factory=list, description=(
        "For referral_to_named_partner, required: the registered organisations of the case's "
        "city (none retired) the person consents to share their case with (GDPR art. 6(1)(a)); "
        "for every other purpose, none"))

    _one_or_many = field_validator("organisation_ids", mode="before")(_as_list)


class ConsentWithdrawalRequest(BaseModel):
    """The person withdrew a consent (GDPR art. 7(3)): possible at any time."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"purpose": "photographs", "withdrawn_on": "2021-06-01"}]
    })

    purpose: ProcessingPurpose
    withdrawn_on: Day = Field(description="Between the day the consent was given and today")
    organisation_ids: list[UUID] = Field(default_factory=list, description=(
        "For referral_to_named_partner: the organisations the consent is withdrawn from (each "
        "consented to now); none: the consent to sharing with partners as a whole, given at "
        "intake or before consents named organisations"))

    _one_or_many = field_validator("organisation_ids", mode="before")(_as_list)


async def close(services: WebServices, case: CaseRow, request: ClosureRequest,
                actor: Actor) -> int:
    """Record the closure and wait (at most the read-your-writes timeout) for the read models.
    The domain refuses (DomainError) before anything is written."""
    position = await carry_out(services, lambda: services.cases.close(
        case.case_id, request.outcome, request.closed_on, request.reason, actor, services.now()))
    return position


async def reopen(services: WebServices, case: CaseRow, request: ReopeningRequest,
                 actor: Actor) -> int:
    position = await carry_out(services, lambda: services.cases.reopen(
        case.case_id, request.reopened_on, request.reason, actor, services.now()))
    return position


async def correct(services: WebServices, case: CaseRow, request: CorrectionRequest,
                  actor: Actor) -> int:
    position = await carry_out(services, lambda: services.cases.correct_intake(
        case.case_id, request.corrections(), request.reason, actor, services.now()))
    return position




async def change_status(services: WebServices, case: CaseRow, request: StatusChangeRequest,
                        actor: Actor) -> int:
    position = await carry_out(services, lambda: services.cases.change_status(
        case.case_id, request.decided_on, request.protection_status, request.permit_expires_on,
        actor, services.now()))
    return position


async def give_consent(services: WebServices, case: CaseRow, request: ConsentRequest,
                       actor: Actor) -> int:
    position = await carry_out(services, lambda: services.cases.give_consent(
        case.case_id, request.purpose, request.given_on, actor, services.now(),
        organisation_ids=request.organisation_ids))
    return position


async def withdraw_consent(services: WebServices, case: CaseRow,
                           request: ConsentWithdrawalRequest, actor: Actor) -> int:
    position = await carry_out(services, lambda: services.cases.withdraw_consent(
        case.case_id, request.purpose, request.withdrawn_on, actor, services.now(),
        organisation_ids=request.organisation_ids))
    return position

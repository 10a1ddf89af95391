"""What the grant's pages receive (issue 13): the claim a path names and who may reach it, the
forms (a claim with its evidence, a check, a transfer) and the commands they carry out.

A claim of a city whose cases the principal may not see is unknown to them (404), exactly as an
unknown one, so a city never learns of another's claims; a national partner's claim is the
oversight's only. Whoever sees it but may not act on it is refused (403). Amounts are parsed as
the other finance forms parse them (ASCII digits only, at most two decimals)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from domain.access import Permission, Principal, may, require
from domain.finance.claims import (
    ClaimEvidence,
    Disallowance,
    DisallowanceReason,
    VatTreatment,
)
from domain.finance.grant import CostHeading, LineKey, PaymentKind, TransferReason
from domain.programme import Actor, City, SubAction
from projections.grant_finance import GrantClaimRow
from web.areas.finance.requests import parse_amount
from web.kit.commands import carry_out
from web.kit.dependencies import Services
from web.kit.errors import UnknownClaim
from web.kit.inputs import Day
from web.kit.principal import SignedIn
from web.services import WebServices

NETWORK = "network"


def _grant_claim(claim_id: str, principal: Principal, services: WebServices) -> GrantClaimRow:
    try:
        claim = services.grant_views.claim(UUID(claim_id))
    except ValueError:
        raise UnknownClaim(claim_id) from None
    if claim is None:
        raise UnknownClaim(claim_id)
    if claim.city == NETWORK:
        # A national partner's claim: the oversight's, unknown to the cities.
        if not may(principal, Permission.VIEW_NETWORK_OVERVIEW):
            raise UnknownClaim(claim_id)
        return claim
    if not may(principal, Permission.VIEW_CASE, City(claim.city)):
        raise UnknownClaim(claim_id)
    require(principal, Permission.VIEW_CITY, City(claim.city))
    return claim


# FastAPI reads a path parameter's name from the signature: one dependency per parameter, whose
# name says which state the route expects the claim in (a draft, a submitted claim, ...).
_UUID_PATH = Path(json_schema_extra={"format": "uuid"})


def _grant_claim_in_path(grant_claim_id: Annotated[str, _UUID_PATH], principal: SignedIn,
                         services: Services) -> GrantClaimRow:
    return _grant_claim(grant_claim_id, principal, services)


def _draft_in_path(draft_claim_id: Annotated[str, _UUID_PATH], principal: SignedIn,
                   services: Services) -> GrantClaimRow:
    return _grant_claim(draft_claim_id, principal, services)


def _submitted_in_path(submitted_claim_id: Annotated[str, _UUID_PATH], principal: SignedIn,
                       services: Services) -> GrantClaimRow:
    return _grant_claim(submitted_claim_id, principal, services)


def _awaiting_in_path(awaiting_claim_id: Annotated[str, _UUID_PATH], principal: SignedIn,
                      services: Services) -> GrantClaimRow:
    return _grant_claim(awaiting_claim_id, principal, services)


_IN_PATH: dict[str, Callable[..., GrantClaimRow]] = {
    "grant_claim_id": _grant_claim_in_path, "draft_claim_id": _draft_in_path,
    "submitted_claim_id": _submitted_in_path, "awaiting_claim_id": _awaiting_in_path}


def _claim_param(name: str) -> Callable[..., GrantClaimRow]:
    return _IN_PATH[name]


def _permitted(name: str, permission: Permission,
               for_partners: Permission | None = None) -> Callable[..., GrantClaimRow]:
    """The claim in the path once `principal` holds `permission` for its city (for a national
    partner's claim: `for_partners`, or else `permission`, network-wide)."""
    # The dependency as a default value: an annotation naming `name` would be read as a string
    # (postponed annotations), where the closure's variable is out of reach.
    in_path = Depends(_claim_param(name))

    def permitted(principal: SignedIn, claim: GrantClaimRow = in_path) -> GrantClaimRow:
        if claim.city == NETWORK:
            require(principal, for_partners or permission)
        else:
            require(principal, permission, City(claim.city))
        return claim

    return permitted


ViewableGrantClaim = Annotated[GrantClaimRow, Depends(_claim_param("grant_claim_id"))]
DraftToSubmit = Annotated[GrantClaimRow, Depends(_permitted(
    "draft_claim_id", Permission.RECORD_EXPENDITURE, Permission.RECORD_PARTNER_EXPENDITURE))]
SubmittedToCheck = Annotated[GrantClaimRow, Depends(_permitted(
    "submitted_claim_id", Permission.APPROVE_EXPENDITURE))]
AdmissionToConfirm = Annotated[GrantClaimRow, Depends(_permitted(
    "awaiting_claim_id", Permission.APPROVE_EXPENDITURE))]


# --- the forms --------------------------------------------------------------------------------


class GrantClaimRequest(BaseModel):
    """A cost claimed with its evidence. The supplier and the document number stay in the
    record; they are never published."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sub_action: SubAction
    heading: CostHeading
    supplier: str = Field(min_length=1, max_length=120)
    document_number: str = Field(min_length=1, max_length=40)
    document_date: Day
    gross_amount: str = Field(min_length=1, max_length=20)
    eligible_amount: str = Field(min_length=1, max_length=20)
    vat_treatment: VatTreatment
    payment_date: Day
    cup: str = Field(min_length=1, max_length=15)
    cig: str | None = Field(default=None, max_length=10)
    corrects: UUID | None = None

    def evidence(self, co_beneficiary: str) -> ClaimEvidence:
        return ClaimEvidence(
            co_beneficiary=co_beneficiary, sub_action=self.sub_action, heading=self.heading,
            supplier=self.supplier, document_number=self.document_number,
            document_date=self.document_date,
            gross_amount=parse_amount(self.gross_amount, "gross_amount"),
            eligible_amount=parse_amount(self.eligible_amount, "eligible_amount"),
            vat_treatment=self.vat_treatment, payment_date=self.payment_date, cup=self.cup,
            cig=self.cig or None)


class AdmissionRequest(BaseModel):
    """A check that admits: fully with no part, partly with up to three disallowed parts."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    part_1_amount: str | None = Field(default=None, max_length=20)
    part_1_reason: DisallowanceReason | None = None
    part_2_amount: str | None = Field(default=None, max_length=20)
    part_2_reason: DisallowanceReason | None = None
    part_3_amount: str | None = Field(default=None, max_length=20)
    part_3_reason: DisallowanceReason | None = None

    def parts(self) -> list[Disallowance]:
        chosen = []
        for number in (1, 2, 3):
            amount = getattr(self, f"part_{number}_amount")
            reason = getattr(self, f"part_{number}_reason")
            if amount:
                chosen.append(Disallowance(
                    parse_amount(amount, f"part_{number}_amount"),
                    reason or DisallowanceReason.OTHER))
        return chosen


class GrantRejectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: DisallowanceReason


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    co_beneficiary: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_-]+$")
    from_sub_action: SubAction
    from_heading: CostHeading
    to_sub_action: SubAction
    to_heading: CostHeading
    amount: str = Field(min_length=1, max_length=20)
    reason: TransferReason
    act_reference: str = Field(min_length=1, max_length=60)
    approved_on: Day


class PaymentRequest(BaseModel):
    """The ministry's payment to a co-beneficiary: no free text, a payment order's number."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    co_beneficiary: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_-]+$")
    kind: PaymentKind
    amount: str = Field(min_length=1, max_length=20)
    value_date: Day
    reference: str = Field(min_length=1, max_length=40)


# --- the commands -------------------------------------------------------------------------------


async def draft_claim(services: WebServices, co_beneficiary: str, request: GrantClaimRequest,
                      actor: Actor) -> UUID:
    """Draft a claim of `co_beneficiary`: a city's slug, or a national partner's code."""
    evidence = request.evidence(co_beneficiary)
    claim_id = services.new_id()
    await carry_out(services, lambda: services.grants.draft_claim(
        claim_id, evidence, actor, services.now(), request.corrects))
    return claim_id


async def submit(services: WebServices, claim: GrantClaimRow, actor: Actor) -> int:
    documents = [row.document_id for row in services.document_views.of_owner(claim.claim_id)]
    return await carry_out(services, lambda: services.grants.submit_claim(
        claim.claim_id, documents, actor, services.now()))


async def admit(services: WebServices, claim: GrantClaimRow, request: AdmissionRequest,
                actor: Actor) -> int:
    parts = request.parts()
    return await carry_out(services, lambda: services.grants.admit_claim(
        claim.claim_id, parts, actor, services.now()))


async def reject(services: WebServices, claim: GrantClaimRow, request: GrantRejectionRequest,
                 actor: Actor) -> int:
    return await carry_out(services, lambda: services.grants.reject_claim(
        claim.claim_id, request.reason, actor, services.now()))


async def confirm(services: WebServices, claim: GrantClaimRow, actor: Actor) -> int:
    return await carry_out(services, lambda: services.grants.confirm_admission(
        claim.claim_id, actor, services.now()))


async def transfer(services: WebServices, request: TransferRequest, actor: Actor) -> int:
    amount = parse_amount(request.amount)
    source = LineKey(request.co_beneficiary, request.from_sub_action, request.from_heading)
    target = LineKey(request.co_beneficiary, request.to_sub_action, request.to_heading)
    return await carry_out(services, lambda: services.grants.transfer(
        source, target, amount, request.reason, request.act_reference, request.approved_on,
        actor, services.now()))



async def record_payment(services: WebServices, request: PaymentRequest, actor: Actor) -> int:
    amount = parse_amount(request.amount)
    return await carry_out(services, lambda: services.grants.pay(
        request.co_beneficiary, amount, request.value_date, request.kind, request.reference,
        actor, services.now()))

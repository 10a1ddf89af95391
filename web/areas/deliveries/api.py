"""Services delivered as JSON: a case's deliveries, a city's register with its totals per
sub-action and kind, and the commands that record and void a delivery (their request models,
access and commands are web.areas.deliveries.requests, shared with the pages). Partner systems
have no access."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from domain.deliveries.model import DeliveryKind
from domain.programme import SubAction
from projections.deliveries import DeliveryRegister, DeliveryRow, DeliveryTotal
from web.areas.deliveries.requests import (
    CaseToView,
    DeliveryReceipt,
    DeliveryRequest,
    DeliveryToVoid,
    VoidRequest,
    record,
    void,
)
from web.kit.dependencies import Services
from web.kit.principal import ActingPrincipal, CaseToWorkOn, CityToView
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["deliveries"])


class DeliveryOut(BaseModel):
    delivery_id: UUID
    city: str
    case_id: UUID
    case_code: str
    sub_action: str
    kind: str
    unit: str = Field(description="meals, items, tickets, hours or eur")
    quantity: Decimal = Field(description="In `unit` (a decimal string)")
    delivered_on: date
    recorded_at: datetime
    voided_reason: str | None = Field(description="null unless the delivery was voided")

    @classmethod
    def of(cls, row: DeliveryRow) -> DeliveryOut:
        return cls(
            delivery_id=row.delivery_id, city=row.city, case_id=row.case_id,
            case_code=row.case_code, sub_action=row.sub_action, kind=row.kind, unit=row.unit,
            quantity=row.quantity, delivered_on=row.delivered_on, recorded_at=row.recorded_at,
            voided_reason=row.voided_reason,
        )


class DeliveryTotalOut(BaseModel):
    sub_action: str
    kind: str
    unit: str
    deliveries: int
    people: int = Field(description="Distinct cases served")
    quantity: Decimal = Field(description="Summed, in `unit` (euros for cash support)")

    @classmethod
    def of(cls, total: DeliveryTotal) -> DeliveryTotalOut:
        return cls(sub_action=total.sub_action, kind=total.kind, unit=total.unit,
                   deliveries=total.deliveries, people=total.people, quantity=total.quantity)


class DeliveryRegisterOut(BaseModel):
    city: str
    people: int = Field(description="Distinct cases served by the deliveries counted")
    cash: Decimal = Field(description="Cash support paid, in euros")
    totals: list[DeliveryTotalOut] = Field(description="Per sub-action and kind, voided excluded")
    items: list[DeliveryOut] = Field(description="The latest deliveries first (at most 500)")

    @classmethod
    def of(cls, register: DeliveryRegister) -> DeliveryRegisterOut:
        return cls(city=register.city, people=register.people, cash=register.cash,
                   totals=[DeliveryTotalOut.of(t) for t in register.totals],
                   items=[DeliveryOut.of(d) for d in register.deliveries])


@router.get(
    "/cases/{case_id}/deliveries", response_model=list[DeliveryOut],
    name="api_case_deliveries", summary="The services delivered to a case's person",
)
def case_deliveries(case: CaseToView, services: Services) -> list[DeliveryOut]:
    return [DeliveryOut.of(row) for row in services.delivery_register.of_case(case.case_id)]


@router.post(
    "/cases/{case_id}/deliveries", status_code=status.HTTP_201_CREATED,
    response_model=DeliveryReceipt, name="api_record_delivery",
    summary="Record a service delivered (under a sub-action the person is eligible for)",
)
async def record_delivery(
    case: CaseToWorkOn, body: DeliveryRequest, services: Services, actor: ActingPrincipal,
) -> DeliveryReceipt:
    return await record(services, case, body, actor)


@router.post(
    "/deliveries/{delivery_id}/void", response_model=DeliveryReceipt,
    name="api_void_delivery", summary="Void a delivery (it leaves the figures)",
)
async def void_delivery(
    delivery: DeliveryToVoid, body: VoidRequest, services: Services, actor: ActingPrincipal,
) -> DeliveryReceipt:
    return await void(services, delivery, body, actor)


@router.get(
    "/cities/{city}/deliveries", response_model=DeliveryRegisterOut,
    name="api_delivery_register",
    summary="A city's services delivered, with totals per sub-action and kind",
)
def delivery_register(
    city: CityToView,
    services: Services,
    sub_action: Annotated[
        SubAction | None, Query(description="Only the deliveries under this sub-action")
    ] = None,
    kind: Annotated[DeliveryKind | None, Query(description="Only this kind")] = None,
) -> DeliveryRegisterOut:
    return DeliveryRegisterOut.of(services.delivery_register.register(
        city.value, sub_action.value if sub_action else None, kind.value if kind else None))

"""What the delivery pages and the deliveries API both receive and carry out: the delivery named
in a path and who may reach it, the request models, and the commands that record and void a
delivery. A delivery of a city whose cases the principal may not see is unknown to them (404);
one they may see but not act on is refused (403). Partner systems have no access."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, may, require
from domain.deliveries.model import DeliveryKind, DeliveryOrder, VoidReason
from domain.programme import Actor, City, SubAction
from projections.case_list import CaseRow
from projections.deliveries import DeliveryRow
from web.kit.dependencies import Services
from web.kit.errors import UnknownDelivery
from web.kit.inputs import AsciiDecimal, Day
from web.kit.principal import SignedIn, case_where
from web.services import WebServices


def delivery_id_in_path(
    delivery_id: Annotated[
        str, Path(description="The delivery's id", json_schema_extra={"format": "uuid"})
    ],
) -> UUID:
    """One that is not even a UUID names no delivery: 404, not 422."""
    try:
        return UUID(delivery_id)
    except ValueError:
        raise UnknownDelivery(delivery_id) from None


def viewable_delivery(
    delivery_id: Annotated[UUID, Depends(delivery_id_in_path)], principal: SignedIn,
    services: Services,
) -> DeliveryRow:
    row = services.delivery_register.delivery(delivery_id)
    # Whoever may not see the city's cases learns nothing of its deliveries.
    if row is None or not may(principal, Permission.VIEW_CASE, City(row.city)):
        raise UnknownDelivery(str(delivery_id))
    require(principal, Permission.VIEW_CITY, City(row.city))
    return row


def delivery_where(permission: Permission) -> Callable[..., DeliveryRow]:
    def permitted(
        delivery: Annotated[DeliveryRow, Depends(viewable_delivery)], principal: SignedIn,
        services: Services,
    ) -> DeliveryRow:
        require(principal, permission, City(delivery.city), at=services.now())
        return delivery

    return permitted


# A case's services are the city's business: its staff, the ministry and the auditors; not the
# partners, whose agreements cover intake events only.
CaseToView = Annotated[CaseRow, Depends(case_where(Permission.VIEW_CITY))]
DeliveryToVoid = Annotated[DeliveryRow, Depends(delivery_where(Permission.RECORD_CASE_WORK))]


class DeliveryRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "sub_action": "3", "kind": "cash_support", "quantity": "150.00",
            "delivered_on": "2021-03-15",
        }]},
    )

    sub_action: SubAction = Field(
        description="2, 3 or 4: one the person is eligible for on the day of the delivery")
    kind: DeliveryKind
    quantity: AsciiDecimal = Field(description=(
        "More than 0, in the kind's unit: meals, items (clothing) and tickets whole (at most "
        "90, 30, 60); hours (legal consultation, health accompaniment, language course) at most "
        "12 with two decimals; cash support in euros, at most 1000.00, two decimals. A string "
        "or a number"))
    delivered_on: Day = Field(
        description="Not in the future, not before the intake, within the programme's period")

    def order(self) -> DeliveryOrder:
        return DeliveryOrder(sub_action=self.sub_action, kind=self.kind,
                             quantity=self.quantity, delivered_on=self.delivered_on)


class VoidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: VoidReason


class DeliveryReceipt(BaseModel):
    delivery_id: UUID
    position: int = Field(description="The event's position in the event log")


async def record(
    services: WebServices, case: CaseRow, request: DeliveryRequest, actor: Actor
) -> DeliveryReceipt:
    delivery_id = services.new_id()
    position = await run_in_threadpool(
        services.deliveries.record_delivery, delivery_id, case.case_id, request.order(), actor,
        services.now())
    return await _written(services, delivery_id, position)


async def void(
    services: WebServices, delivery: DeliveryRow, request: VoidRequest, actor: Actor
) -> DeliveryReceipt:
    position = await run_in_threadpool(
        services.deliveries.void, delivery.delivery_id, request.reason, actor, services.now())
    return await _written(services, delivery.delivery_id, position)


async def _written(services: WebServices, delivery_id: UUID, position: int) -> DeliveryReceipt:
    await services.wait_for_position(position, services.read_your_writes_timeout)
    return DeliveryReceipt(delivery_id=delivery_id, position=position)


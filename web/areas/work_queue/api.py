"""The work queue as JSON: the signed-in person's queue (city staff: their city's, all of it or
`scope=mine`; the ministry: claims awaiting a decision and cities late with their reporting; an
auditor: their grants about to end), the overdue first, then by when each is due. Each line
says where it is acted on (`href`, a page of the platform). Partners have none."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from domain.access import AccessDenied
from projections.work_queue import SCOPE_ALL
from web.kit.dependencies import Services
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.work_queue import queue_for

router = APIRouter(route_class=AccessBeforeBody, tags=["work queue"])


class QueueLineOut(BaseModel):
    kind: str = Field(description="What is due: referral_answer_due, "
                      "transfer_awaiting_acceptance, bed_offer_awaiting_answer, "
                      "waitlist_waiting_long, case_inactive, permit_expiring, guardian_missing, "
                      "claim_awaiting_decision, reporting_late, grant_expiring, ...")
    city: str
    due: datetime
    overdue: bool
    case_id: UUID | None
    case_code: str | None
    subject_id: UUID | None = Field(description="What it is about: the referral, the case...")
    holder: str | None = Field(description="Who holds the case (None: nobody, or no case)")
    mine: bool
    href: str = Field(description="The page where it is acted on")


class QueueOut(BaseModel):
    audience: str = Field(description="city, ministry or auditor")
    scope: str = Field(description="mine or all")
    now: datetime
    total: int
    overdue: int
    mine: int
    lines: list[QueueLineOut]


@router.get("/work-queue", response_model=QueueOut, name="api_work_queue",
            summary="What needs the signed-in person's attention, the most urgent first")
def work_queue(request: Request, services: Services, principal: SignedIn,
               scope: Annotated[str, Query(pattern="^(mine|all)$")] = SCOPE_ALL) -> QueueOut:
    def url_for(name: str, /, **params: Any) -> str:
        return str(request.app.url_path_for(name, **params))

    queue = queue_for(services, principal, scope, url_for)
    if queue is None:
        raise AccessDenied("Partners have no work queue")
    return QueueOut(
        audience=queue.audience, scope=queue.scope, now=queue.now, total=queue.total,
        overdue=queue.overdue, mine=queue.mine,
        lines=[QueueLineOut(**asdict(line)) for line in queue.lines],
    )

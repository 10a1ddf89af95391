"""The signed-in person's work queue, as the pages (the work queue's, and the home page) and the
API show it: a city's staff get their
city's queue (projections.work_queue), all of it or only the lines of the cases they hold; the
ministry gets its own (claims awaiting a decision, cities late with their reporting); an auditor
the grants they hold that are about to end. Each line links to where it is acted on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from fastapi import Request

from domain.access import CITY_ROLES, Principal
from domain.programme import PROGRAMME_TIMEZONE, Role
from projections.projection import WorkItem
from projections.work_queue import (
    SCOPE_ALL,
    SCOPE_MINE,
    SCOPES,
    QueueLine,
    WorkQueue,
    sorted_lines,
)
from web.kit.vocabulary.casework import WORK_ITEM_KINDS
from web.services import WebServices

GRANT_EXPIRING = "grant_expiring"
CITY_QUEUE, MINISTRY_QUEUE, AUDITOR_QUEUE = "city", "ministry", "auditor"

UrlFor = Callable[..., str]


@dataclass(frozen=True)
class ShownLine:
    kind: str
    city: str
    due: datetime
    overdue: bool
    case_id: UUID | None
    case_code: str | None
    subject_id: UUID | None
    holder: str | None
    mine: bool
    href: str
    due_day: date | None
    """The day, for a line due by the end of a day (a follow-up, a review, an expiry): its
    time, 24:00 in Italy, says nothing and would read as the next day."""


@dataclass(frozen=True)
class QueueView:
    audience: str
    scope: str
    now: datetime
    lines: tuple[ShownLine, ...]
    total: int
    """Every line of the audience's queue (whatever the scope)."""
    overdue: int
    mine: int


def queue_for(services: WebServices, principal: Principal, scope: str,
              url_for: UrlFor) -> QueueView | None:
    """The principal's queue at the platform's now; None for a principal who has none (a
    partner)."""
    now = services.now()
    if principal.role in CITY_ROLES and principal.city is not None:
        queue = services.work_queues.queue(principal.city.value, now)
        audience = CITY_QUEUE
    elif principal.role is Role.MINISTRY:
        queue, audience = services.ministry_queue.queue(now), MINISTRY_QUEUE
    elif principal.role is Role.AUDITOR:
        queue, audience = _grants_expiring(services, principal, now), AUDITOR_QUEUE
    else:
        return None
    mine = tuple(line for line in queue.lines if line.holder == principal.id)
    shown = mine if scope == SCOPE_MINE and audience == CITY_QUEUE else queue.lines
    return QueueView(
        audience=audience, scope=scope if audience == CITY_QUEUE else SCOPE_ALL, now=now,
        lines=tuple(_shown(line, principal, url_for) for line in shown),
        total=len(queue.lines), overdue=queue.overdue, mine=len(mine),
    )


def queue_context(request: Request, services: WebServices, principal: Principal,
                  scope: str = SCOPE_ALL) -> dict[str, Any]:
    """What the queue's templates need (work_queue/_queue.html): the home page shows it too."""

    def url_for(name: str, /, **params: Any) -> str:
        return str(request.app.url_path_for(name, **params))

    queue = queue_for(services, principal, scope, url_for)
    return {"queue": queue, "scopes": SCOPES, "work_item_kinds": WORK_ITEM_KINDS}


def _grants_expiring(services: WebServices, principal: Principal, now: datetime) -> WorkQueue:
    """The auditor's live grants that end within the queue's horizon."""
    until = now + services.work_queues.horizon
    items = [
        WorkItem(GRANT_EXPIRING, grant.city.value, grant.expires_at, None, None, None)
        for grant in services.accounts.grants()
        if grant.grantee == principal.id and grant.is_live(now) and grant.expires_at <= until
    ]
    return WorkQueue(None, now, sorted_lines(items, {}, now))


def _shown(line: QueueLine, principal: Principal, url_for: UrlFor) -> ShownLine:
    item = line.item
    return ShownLine(
        kind=item.kind, city=item.city, due=item.due, overdue=line.overdue,
        case_id=item.case_id, case_code=item.case_code, subject_id=item.subject_id,
        holder=line.holder, mine=line.holder == principal.id,
        href=_where_acted_on(item, url_for), due_day=_whole_day(item.due),
    )


def _whole_day(due: datetime) -> date | None:
    """The day a deadline at the end of a day in Italy closes (the sources write it as
    23:59:59.999999 of the day or 00:00 of the next); None for a deadline at another time."""
    local = due.astimezone(PROGRAMME_TIMEZONE)
    if local.time() == time(0):
        return local.date() - timedelta(days=1)
    if local.time() >= time(23, 59, 59):
        return local.date()
    return None


def _where_acted_on(item: WorkItem, url_for: UrlFor) -> str:
    """The page where the item is acted on."""
    match item.kind:
        case "referral_answer_due" | "transfer_awaiting_acceptance" if item.subject_id:
            return url_for("referral_page", referral_id=str(item.subject_id))
        case "bed_offer_awaiting_answer" | "waitlist_waiting_long" if item.case_id:
            return url_for("case_housing", case_id=str(item.case_id))
        case "permit_expiring" if item.case_id:
            return url_for("case_page", case_id=str(item.case_id)) + "#status-history"
        case "guardian_missing" if item.case_id:
            return url_for("case_page", case_id=str(item.case_id)) + "#minors-and-vulnerabilities"
        case "claim_awaiting_decision":
            return url_for("ministry_finance")
        case "reporting_late":
            return url_for("city_finance", city=item.city)
        case "grant_expiring":
            return url_for("identifier_access_log")
        case "follow_up_due" if item.case_id:
            return url_for("case_page", case_id=str(item.case_id)) + "#notes"
        case "plan_review_due" | "goal_target_passed" if item.case_id:
            return url_for("plan_page", case_id=str(item.case_id))
        case "document_expiring" if item.case_id:
            return url_for("case_documents", case_id=str(item.case_id))
        case "possible_same_person_to_decide" if item.case_id:
            return url_for("case_page", case_id=str(item.case_id)) + "#possible-same-persons"
    if item.case_id is not None:
        return url_for("case_page", case_id=str(item.case_id))
    return url_for("city_home", city=item.city)

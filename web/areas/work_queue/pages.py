"""The work queue as pages: the whole page (`/queue`, also the top of the home page), its list
alone (the htmx fragment that reloads it when the read models move on: web.kit.live), and the
navigation bar's count. City staff choose "mine" (the lines of the cases they hold) or "all of
the city"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from projections.work_queue import SCOPE_ALL, SCOPES
from web.areas.work_queue.queue import QueueView, queue_for
from web.kit.dependencies import PageRenderer, Services
from web.kit.errors import ResourceNotFound
from web.kit.principal import SignedIn
from web.kit.vocabulary.casework import WORK_ITEM_KINDS
from web.services import WebServices

router = APIRouter(include_in_schema=False)

Scope = Annotated[str, Query(pattern="^(mine|all)$")]


def queue_context(request: Request, services: WebServices, principal: Any,
                  scope: str = SCOPE_ALL) -> dict[str, Any]:
    """What the queue's templates need (work_queue/_queue.html)."""

    def url_for(name: str, /, **params: Any) -> str:
        return str(request.app.url_path_for(name, **params))

    queue: QueueView | None = queue_for(services, principal, scope, url_for)
    return {"queue": queue, "scopes": SCOPES, "work_item_kinds": WORK_ITEM_KINDS}


@router.get("/queue", name="work_queue")
def work_queue(request: Request, pages: PageRenderer, services: Services,
               principal: SignedIn, scope: Scope = SCOPE_ALL) -> HTMLResponse:
    context = queue_context(request, services, principal, scope)
    if context["queue"] is None:
        raise ResourceNotFound()
    return pages.render(request, "work_queue/page.html", context)


@router.get("/queue/lines", name="work_queue_lines")
def work_queue_lines(request: Request, pages: PageRenderer, services: Services,
                     principal: SignedIn, scope: Scope = SCOPE_ALL) -> HTMLResponse:
    """The queue's list alone: what htmx swaps in when the read models move on."""
    context = queue_context(request, services, principal, scope)
    if context["queue"] is None:
        raise ResourceNotFound()
    return pages.render(request, "work_queue/_queue.html", context)


@router.get("/queue/count", name="work_queue_count")
def work_queue_count(request: Request, pages: PageRenderer, services: Services,
                     principal: SignedIn) -> HTMLResponse:
    """The navigation bar's badge: how many lines, how many overdue."""
    context = queue_context(request, services, principal)
    return pages.render(request, "work_queue/_count.html", context)

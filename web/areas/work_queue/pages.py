"""The work queue as pages: the whole page (`/queue`, also the top of the home page), its list
alone (the htmx fragment that reloads it when the read models move on: web.kit.live), and the
navigation bar's count. City staff choose "mine" (the lines of the cases they hold) or "all of
the city"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from projections.work_queue import SCOPE_ALL
from web.kit.dependencies import PageRenderer, Services
from web.kit.errors import ResourceNotFound
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.work_queue import queue_context

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

Scope = Annotated[str, Query(pattern="^(mine|all)$")]


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

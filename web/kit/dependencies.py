"""What routes receive, as `Annotated` aliases: the platform's services, the page renderer, the
request's translator, and the city or case named in the path (404 when there is none)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from domain.programme import CITY_SLUG, City
from web.kit.as_of import refuse_changes_while_viewing_the_past, viewing_as_of
from web.kit.errors import UnknownCase, UnknownCity
from web.kit.i18n import Translator, translator_of
from web.kit.templating import Pages
from web.services import WebServices

# The dependencies here are `async def` where they only compute (no store, no file): FastAPI
# runs a plain `def` dependency in a worker thread, and that hop (a thread woken, a future handed
# back to the event loop) cost more CPU than any of them: twelve hops for an intake, whose route
# solves its six twice (docs/benchmarks.md, issue 15 fourth pass). What reads a store still
# runs in a thread.


async def services_of(request: Request) -> WebServices:
    """The platform's services; as of a past moment for an auditor or the ministry who chose
    one (web.kit.as_of), who may then change nothing."""
    services: WebServices = request.app.state.services
    moment = viewing_as_of(request)
    if moment is None:
        return services
    refuse_changes_while_viewing_the_past(request)
    # Replays the record up to the moment: a thread's work.
    return await run_in_threadpool(services.as_of, moment)


async def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


async def city_in_path(
    request: Request,
    city: Annotated[
        str,
        Path(
            description="A city of the network (one that is or was a partner), by its slug: "
            "GET /api/v1/programme lists them",
            examples=["firenze"],
            json_schema_extra={"pattern": f"^{CITY_SLUG.pattern}$"},
        ),
    ],
) -> City:
    """The city named in the path. Not validated by FastAPI, which would answer 422: a city
    that was never a partner is a resource that does not exist, so 404. The cities are the
    programme's data (the ministry admits new ones), read from the terms in force."""
    known = await _known_cities(request)
    if city not in known:
        raise UnknownCity(city, [c.value for c in known])
    return City(city)


# Where a request keeps the cities it read from the terms: a route that takes a body solves
# its dependencies twice (web.kit.request_limits.AccessBeforeBody), and the terms are a read of
# the store; the request's two solves see the same cities.
_KNOWN_CITIES_KEY = "lgnet.known_cities"


async def _known_cities(request: Request) -> tuple[City, ...]:
    known: tuple[City, ...] | None = request.scope.get(_KNOWN_CITIES_KEY)
    if known is None:
        terms = await run_in_threadpool(
            request.app.state.services.programme_terms.terms_in_force)
        known = terms.known_cities
        request.scope[_KNOWN_CITIES_KEY] = known
    return known


async def case_id_in_path(
    case_id: Annotated[
        str, Path(description="The case's id", json_schema_extra={"format": "uuid"})
    ],
) -> UUID:
    """The case id in the path; one that is not even a UUID names no case either, so 404."""
    try:
        return UUID(case_id)
    except ValueError:
        raise UnknownCase(case_id) from None


async def current_translator(request: Request) -> Translator:
    return translator_of(request)


Services = Annotated[WebServices, Depends(services_of)]
PageRenderer = Annotated[Pages, Depends(pages_of)]
CurrentTranslator = Annotated[Translator, Depends(current_translator)]
PathCity = Annotated[City, Depends(city_in_path)]
PathCaseId = Annotated[UUID, Depends(case_id_in_path)]

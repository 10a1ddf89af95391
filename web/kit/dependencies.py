"""What routes receive, as `Annotated` aliases: the platform's services, the page renderer, the
request's translator, and the city or case named in the path (404 when there is none)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path, Request

from domain.programme import CITY_SLUG, City
from web.kit.as_of import refuse_changes_while_viewing_the_past, viewing_as_of
from web.kit.errors import UnknownCase, UnknownCity
from web.kit.i18n import Translator, translator_of
from web.kit.templating import Pages
from web.services import WebServices


def services_of(request: Request) -> WebServices:
    """The platform's services; as of a past moment for an auditor or the ministry who chose
    one (web.kit.as_of), who may then change nothing."""
    services: WebServices = request.app.state.services
    moment = viewing_as_of(request)
    if moment is None:
        return services
    refuse_changes_while_viewing_the_past(request)
    return services.as_of(moment)


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def city_in_path(
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
    known = request.app.state.services.programme_terms.terms_in_force().known_cities
    if city not in known:
        raise UnknownCity(city, [c.value for c in known])
    return City(city)


def case_id_in_path(
    case_id: Annotated[
        str, Path(description="The case's id", json_schema_extra={"format": "uuid"})
    ],
) -> UUID:
    """The case id in the path; one that is not even a UUID names no case either, so 404."""
    try:
        return UUID(case_id)
    except ValueError:
        raise UnknownCase(case_id) from None


Services = Annotated[WebServices, Depends(services_of)]
PageRenderer = Annotated[Pages, Depends(pages_of)]
CurrentTranslator = Annotated[Translator, Depends(translator_of)]
PathCity = Annotated[City, Depends(city_in_path)]
PathCaseId = Annotated[UUID, Depends(case_id_in_path)]

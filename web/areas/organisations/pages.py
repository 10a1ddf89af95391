"""The page of a city's partner organisations: the NGOs, associations and services the city
refers people to, each with its kind and since when (and, once retired, until when), with the
form a coordinator registers one with and the button that retires one. A refused form comes back
as the page, 422, with the message next to the form and nothing written; a recorded one leads
back to the page, which shows it (read-your-writes)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may
from domain.organisations.model import OrganisationKind
from domain.programme import City
from web.areas.organisations.requests import (
    CityToManage,
    CityToRead,
    ManagedOrganisation,
    OrganisationRegistration,
    register,
    retire,
)
from web.kit.commands import carry_out
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.principal import ActingPrincipal, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.kit.vocabulary.organisations import ORGANISATION_KINDS
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


@router.get("/cities/{city}/organisations", name="city_organisations")
def city_organisations(
    request: Request, city: CityToRead, pages: PageRenderer, services: Services,
    principal: SignedIn,
) -> HTMLResponse:
    return _render(request, pages, services, principal, city)


def _render(
    request: Request, pages: Pages, services: WebServices, principal: Principal, city: City,
    *, form: FormState | None = None, failed: str | None = None, status_code: int = 200,
) -> HTMLResponse:
    context = {
        "city": city.value,
        "organisations": services.organisation_views.city_organisations(city.value),
        "kinds": ORGANISATION_KINDS,
        "kind_choices": list(OrganisationKind),
        "may_manage": may(principal, Permission.MANAGE_PARTNER_ORGANISATIONS, city),
        "form": form or FormState(),
        "failed": failed,
    }
    return pages.render(request, "organisations/city.html", context, status_code=status_code)


@router.post("/cities/{city}/organisations", name="register_organisation")
async def register_organisation(
    request: Request, city: CityToManage, pages: PageRenderer, services: Services,
    principal: SignedIn, actor: ActingPrincipal, translator: CurrentTranslator,
) -> Response:
    posted = await PostedForm.read(request, OrganisationRegistration.model_fields)
    try:
        await posted.submit(OrganisationRegistration, lambda wanted: carry_out(
            services, lambda: register(services, city, wanted, actor)[1]), translator)
    except FormRefused as refused:
        return await run_in_threadpool(
            _render, request, pages, services, principal, city, form=refused.form,
            failed="register", status_code=422)
    return see_other(request, "city_organisations", city=city.value)


@router.post("/organisations/{organisation_id}/retirement", name="retire_organisation")
async def retire_organisation(
    request: Request, organisation: ManagedOrganisation, pages: PageRenderer,
    services: Services, principal: SignedIn, actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    city = City(organisation.city)
    try:
        await PostedForm({}).submit(None, lambda _nothing: carry_out(
            services, lambda: retire(services, organisation, actor)), translator)
    except FormRefused as refused:
        return await run_in_threadpool(
            _render, request, pages, services, principal, city, form=refused.form,
            failed="retire", status_code=422)
    return see_other(request, "city_organisations", city=city.value)

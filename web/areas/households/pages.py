"""Pages of households: a case's household (members now and before, each linked to their case,
with their relationship to the head), with the forms to form one, join one, leave it, become its
head and offer it beds of one shelter together; and a city's households with its figures by
household size. A refused form comes back as its page, 422, with the message next to the form
and nothing written; a recorded one leads back to the page, which shows it (read-your-writes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may
from domain.households.model import DepartureReason, Relationship
from domain.programme import PROGRAMME_TIMEZONE, City
from projections.case_list import CASE_STATUS_OPEN, CaseRow
from web.areas.households.requests import (
    CaseHouseholdView,
    CaseHouseholdWork,
    DepartureRequest,
    HeadRequest,
    HouseholdFormation,
    JoinRequest,
    ShelterForHousehold,
    form_household,
    join_household,
    leave_household,
    make_head,
    offer_beds,
)
from web.kit.cities import known_cities
from web.kit.commands import carry_out
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.principal import ActingPrincipal, CityToView, NetworkViewer, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.kit.vocabulary.households import DEPARTURE_REASONS, RELATIONSHIPS
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

_WORDS = {"relationships": RELATIONSHIPS, "departure_reasons": DEPARTURE_REASONS}


@router.get("/cases/{case_id}/household", name="case_household")
def case_household(
    request: Request, case: CaseHouseholdView, pages: PageRenderer, services: Services,
    principal: SignedIn,
) -> HTMLResponse:
    return _render_case(request, pages, services, principal, case)


def _render_case(
    request: Request, pages: Pages, services: WebServices, principal: Principal, case: CaseRow,
    *, failed: str | None = None, state: FormState | None = None,
) -> HTMLResponse:
    household = services.household_views.household_of_case(case.case_id)
    today = services.now().astimezone(PROGRAMME_TIMEZONE).date().isoformat()
    shelters = [s for s in services.housing_views.open_shelters_with_free_beds(case.city)
                if household is not None and s.free >= household.size]
    context = {
        "case": case,
        "household": household,
        "may_record": may(principal, Permission.RECORD_CASE_WORK, City(case.city)),
        "is_open": case.status == CASE_STATUS_OPEN,
        "is_head": household is not None and household.head is not None
        and household.head.case_id == case.case_id,
        "shelters": shelters,
        "joinable": [r.value for r in Relationship if r is not Relationship.HEAD],
        "relationship_codes": [r.value for r in Relationship if r is not Relationship.HEAD],
        "reason_codes": [r.value for r in DepartureReason],
        "today": today,
        "forms": {failed: state} if failed and state else {},
        **_WORDS,
    }
    return pages.render(request, "households/case.html", context,
                        status_code=422 if failed else 200)


def _case_command(
    form: str, model: type[BaseModel], run: Callable[[WebServices, CaseRow, Any, Any], int],
) -> Callable[..., Any]:
    """A POST route for one household command of the case's page."""

    async def route(
        request: Request, case: CaseHouseholdWork, pages: PageRenderer, services: Services,
        principal: SignedIn, actor: ActingPrincipal, translator: CurrentTranslator,
    ) -> Response:
        posted = await PostedForm.read(request, model.model_fields)
        try:
            await posted.submit(model, lambda wanted: carry_out(
                services, lambda: run(services, case, wanted, actor)), translator)
        except FormRefused as refused:
            return await run_in_threadpool(
                _render_case, request, pages, services, principal, case, failed=form,
                state=refused.form)
        return see_other(request, "case_household", case_id=str(case.case_id))

    return route


_COMMANDS: dict[str, tuple[str, type[BaseModel], Callable[..., int]]] = {
    "form_household": ("", HouseholdFormation, form_household),
    "join_household": ("/join", JoinRequest, join_household),
    "leave_household": ("/departure", DepartureRequest, leave_household),
    "make_household_head": ("/head", HeadRequest, make_head),
}
for _name, (_suffix, _model, _run) in _COMMANDS.items():
    router.add_api_route(f"/cases/{{case_id}}/household{_suffix}",
                         _case_command(_name, _model, _run), methods=["POST"], name=_name)


@router.post("/cases/{case_id}/household/offers/{shelter_id}", name="offer_household_beds")
async def offer_household_beds(
    request: Request, case: CaseHouseholdWork, shelter: ShelterForHousehold,
    pages: PageRenderer, services: Services, principal: SignedIn, actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    """Each shelter with enough free beds has its own button: the shelter chosen is the one in
    the path."""
    try:
        await PostedForm({}).submit(None, lambda _nothing: carry_out(
            services, lambda: offer_beds(services, case, shelter, actor)), translator)
    except FormRefused as refused:
        return await run_in_threadpool(
            _render_case, request, pages, services, principal, case, failed="offer",
            state=refused.form)
    return see_other(request, "case_household", case_id=str(case.case_id))


@router.get("/cities/{city}/households", name="city_households")
def city_households(
    request: Request, city: CityToView, pages: PageRenderer, services: Services
) -> HTMLResponse:
    context = {
        "city": city.value,
        "households": services.household_views.city_households(city.value),
        "sizes": services.household_sizes.household_sizes(city.value),
    }
    return pages.render(request, "households/city.html", context)


@router.get("/households", name="network_households")
def network_households(
    request: Request, viewer: NetworkViewer, pages: PageRenderer, services: Services
) -> HTMLResponse:
    """The network's figures by household size (the ministry's and the auditors')."""
    context = {
        "sizes": services.household_sizes.household_sizes(None),
        "cities": known_cities(services),
    }
    return pages.render(request, "households/network.html", context)

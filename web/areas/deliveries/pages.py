"""Services delivered, as pages: a case's deliveries with the form to record one (the case page
shows the latest ones and the same form, `cases/_deliveries.html`), voiding one, and a city's
register with its totals per sub-action and kind. A refused form is shown again on the case's
deliveries page with its errors and what was typed (422); a recorded one leads back to the case
page, which already shows it (303)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from domain.access import Permission, Principal, may
from domain.deliveries.model import DELIVERY_SUB_ACTIONS, DeliveryKind
from domain.programme import PROGRAMME_TIMEZONE, City
from projections.case_list import CASE_STATUS_OPEN, CaseRow
from web.areas.deliveries.requests import (
    CaseToView,
    DeliveryRequest,
    DeliveryToVoid,
    VoidRequest,
    record,
    void,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import UnknownCase
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.i18n import Translator
from web.kit.principal import ActingPrincipal, CaseToWorkOn, CityToView, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.kit.vocabulary.deliveries import delivery_words
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


@router.get("/cases/{case_id}/deliveries", name="case_deliveries")
def case_deliveries(
    request: Request,
    case: CaseToView,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
) -> HTMLResponse:
    return _render_case(request, pages, services, principal, translator, case, None)


@router.post("/cases/{case_id}/deliveries", name="record_delivery")
async def record_delivery(
    request: Request,
    case: CaseToWorkOn,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    posted = await PostedForm.read(request, DeliveryRequest.model_fields)
    form = PostedForm({**posted.values, "quantity": italian_decimal(
        posted.values.get("quantity", ""))}, posted.fields)
    try:
        await form.submit(DeliveryRequest, lambda body: record(services, case, body, actor),
                          translator, aliases={"case": "quantity"})
    except FormRefused as refused:
        return _render_case(request, pages, services, principal, translator, case,
                            refused.form, status_code=422)
    response = see_other(request, "case_page", case_id=str(case.case_id))
    response.headers["location"] += "#deliveries"
    return response


@router.post("/deliveries/{delivery_id}/void", name="void_delivery")
async def void_delivery(
    request: Request,
    delivery: DeliveryToVoid,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, VoidRequest.model_fields)
    case = services.case_list.get_case(delivery.case_id)
    if case is None:
        raise UnknownCase(str(delivery.case_id))
    try:
        await form.submit(VoidRequest, lambda body: void(services, delivery, body, actor),
                          translator)
    except FormRefused as refused:
        return _render_case(request, pages, services, principal, translator, case,
                            None, void_error=refused.form, status_code=422)
    return see_other(request, "case_deliveries", case_id=str(delivery.case_id))


def italian_decimal(typed: str) -> str:
    """150,50 or 1.500,00 as Italians write them, as a decimal (150.50, 1500.00); with no comma,
    the dot is the decimal mark. More decimals than the kind allows are the domain's refusal."""
    written = typed.strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    return written.replace(".", "").replace(",", ".") if "," in written else written


def _render_case(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, case: CaseRow, delivery_form: FormState | None,
    void_error: FormState | None = None, status_code: int = 200,
) -> HTMLResponse:
    now = services.now()
    may_work = case.status == CASE_STATUS_OPEN and may(
        principal, Permission.RECORD_CASE_WORK, City(case.city), at=now)
    today = now.astimezone(PROGRAMME_TIMEZONE).date().isoformat()
    context = {
        "case": case,
        "deliveries": services.delivery_register.of_case(case.case_id),
        "may_record_delivery": may_work,
        "delivery_form": delivery_form or FormState(values={"delivered_on": today}),
        "void_error": void_error,
        **delivery_words(translator),
    }
    return pages.render(request, "deliveries/case.html", context, status_code=status_code)


@router.get("/cities/{city}/deliveries", name="delivery_register")
def delivery_register(
    request: Request,
    city: CityToView,
    pages: PageRenderer,
    services: Services,
    translator: CurrentTranslator,
    sub_action: Annotated[str | None, Query()] = None,
    kind: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    words = delivery_words(translator)
    # An unknown filter shows everything rather than failing the page.
    sub_actions = {s.value for s in DELIVERY_SUB_ACTIONS}
    chosen_sub_action = sub_action if sub_action in sub_actions else None
    chosen_kind = kind if kind in {k.value for k in DeliveryKind} else None
    register = services.delivery_register.register(city.value, chosen_sub_action, chosen_kind)
    context = {
        "city": city.value,
        "register": register,
        "chosen_sub_action": chosen_sub_action,
        "chosen_kind": chosen_kind,
        **words,
    }
    return pages.render(request, "deliveries/register.html", context)

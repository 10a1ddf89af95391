"""What the case page's personal-data forms post: reading the person's identifiers (for a stated
reason, logged first, then shown on the case page the answer leads to, for a short while:
web.areas.cases.pages.revealed) and recording their erasure (GDPR art. 17).

Both are POSTs, so the identifiers never sit in a URL, a history entry or a server log, and
both carry the session's CSRF token like every form. A refusal comes back as the case page,
422, with the message next to the form and nothing written."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from domain.access import Principal
from projections.case_list import CaseRow
from web.areas.cases.pages.case_page import (
    ERASURE_FORM,
    IDENTIFIERS_FORM,
    refused_on_case_page,
)
from web.areas.cases.pages.revealed import SHOWN_PARAMETER, reader_of, revealed_identifiers
from web.areas.cases.requests.personal_data import (
    NO_STORE,
    ErasureRequest,
    IdentifiersRequest,
    PersonalDataView,
    erase,
    reveal,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import Problem
from web.kit.forms import FormRefused, PostedForm, see_other
from web.kit.i18n import N_
from web.kit.principal import CaseWithIdentifiers, ErasableCase, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

_ERASURE_FIELDS = ("requested_on", "request_reference", "confirm")
# The value the confirmation checkbox of the erasure form posts when ticked.
CONFIRMED = "yes"
_NOT_CONFIRMED = N_(
    "Tick the box to confirm that the person's identifiers are to be erased: it cannot be undone."
)


@router.post("/cases/{case_id}/identifiers", name="reveal_identifiers")
async def reveal_identifiers(
    request: Request,
    case: CaseWithIdentifiers,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, IdentifiersRequest.model_fields)
    try:
        personal_data = await form.submit(
            IdentifiersRequest, lambda wanted: reveal(services, case, wanted.reason, principal),
            translator)
    except FormRefused as refused:
        return await refused_on_case_page(request, pages, services, principal, translator, case,
                                          IDENTIFIERS_FORM, refused)
    return shown_on(request, "case_page", case, principal, services, personal_data,
                    "#personal-data")


def shown_on(
    request: Request, route: str, case: CaseRow, principal: Principal, services: WebServices,
    personal_data: PersonalDataView, fragment: str = "",
) -> Response:
    """Post/Redirect/Get: 303 to the page (`route`) that shows what was read, under a ticket
    (web.areas.cases.pages.revealed); a refresh of that page logs no second reading."""
    query = {}
    if personal_data.identifiers is not None:
        query[SHOWN_PARAMETER] = revealed_identifiers(request.app).hold(
            case.case_id, reader_of(request, principal), personal_data, services.now())
    response = see_other(request, route, query, case_id=str(case.case_id))
    response.headers["location"] += fragment
    response.headers.update(NO_STORE)
    return response


@router.post("/cases/{case_id}/erasure", name="erase_personal_data")
async def erase_personal_data(
    request: Request,
    case: ErasableCase,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, _ERASURE_FIELDS)
    unconfirmed = [] if form.values.get("confirm") == CONFIRMED else [Problem(
        field="confirm", code="erasure_not_confirmed",
        message=translator.gettext(_NOT_CONFIRMED))]
    try:
        # Blanks kept: an empty date is "not a date", an empty reference the domain's refusal.
        await form.submit(
            ErasureRequest, lambda erasure: erase(services, case, erasure, principal.actor),
            translator, keep_blanks=True, also=unconfirmed)
    except FormRefused as refused:
        return await refused_on_case_page(request, pages, services, principal, translator, case,
                                          ERASURE_FORM, refused)
    revealed_identifiers(request.app).forget(case.case_id)  # nothing read is shown any more
    return see_other(request, "case_page", case_id=str(case.case_id))

"""The intake form: errors are shown next to their fields, with what was typed kept; a recorded
intake leads to the city's case list, which already shows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from domain.cases.model import intake_field_problems
from domain.cases.service import IntakeReceipt
from domain.identity.model import MatchFound, PossibleSamePerson
from domain.privacy import LEGAL_BASES, ProcessingPurpose
from domain.programme import City, DomainError, programme_today
from web.areas.intake.requests import IntakeRequest, take_in
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.idempotency import command_key
from web.kit.principal import ActingPrincipal, CityToTakeIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.terms import terms_shown
from web.kit.vocabulary.identity import KEY_KINDS
from web.services import WebServices

# A consent to share the case with partners names each organisation it covers, which the case
# page asks for; offered here it would name none and so cover none of them (issue 12 item 5).
NAMED_ON_THE_CASE_PAGE = frozenset({ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER})

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

_MULTIPLE_CHOICE_FIELDS = ("vulnerabilities", "consents")


@router.get("/cities/{city}/intake", name="intake_form")
def intake_form(
    request: Request, city: CityToTakeIn, pages: PageRenderer, services: Services
) -> HTMLResponse:
    today = services.now().date().isoformat()
    values = {"intake_date": today, "information_notice_given_on": today,
              "information_notice_language": "it", "household_size": "1"}
    return _render_form(request, pages, services, city.value, FormState(values))


@router.post("/cities/{city}/intake", name="submit_intake")
async def submit_intake(
    request: Request,
    city: CityToTakeIn,
    pages: PageRenderer,
    services: Services,
    actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, IntakeRequest.model_fields,
                                 lists=_MULTIPLE_CHOICE_FIELDS)
    matches: list[MatchFound] = []

    async def check_and_take_in(intake: IntakeRequest) -> IntakeReceipt:
        try:
            return await take_in(services, city, intake, actor,
                                 command_key(request, "intake", city.value))
        except PossibleSamePerson as found:
            matches.extend(found.matches)  # shown with the choice to go on (intake/_matches)
            raise

    def dates_and_size(fields: Mapping[str, Any]) -> list[DomainError]:
        # With a field missing or unreadable, the rules on the others are told all the same.
        return intake_field_problems(
            today=programme_today(services.now()), intake_date=fields.get("intake_date"),
            birth_date=fields.get("birth_date"), household_size=fields.get("household_size"),
            notice_given_on=fields.get("information_notice_given_on"),
            terms=services.programme_terms.terms_in_force(), city=city)

    try:
        receipt = await form.submit(IntakeRequest, check_and_take_in, translator,
                                    partial=dates_and_size)
    except FormRefused as refused:
        return _render_form(request, pages, services, city.value, refused.form,
                            status_code=409 if matches else 422, matches=matches)
    # The list tells from its read model whether the new case is there yet, and says so.
    return see_other(request, "case_list", {"created": str(receipt.case_id)}, city=city.value)


def _render_form(
    request: Request, pages: PageRenderer, services: WebServices, city: str, form: FormState,
    status_code: int = 200, matches: Sequence[MatchFound] = (),
) -> HTMLResponse:
    return pages.render(
        request,
        "intake/form.html",
        {"city": city, "values": form.values, "errors": form.errors,
         "consent_purposes": sorted(LEGAL_BASES.resting_on_consent - NAMED_ON_THE_CASE_PAGE),
         "programme": terms_shown(services), "possible_matches": matches,
         "key_kinds": KEY_KINDS, "city_staff": services.accounts.city_staff(City(city))},
        status_code=status_code,
    )

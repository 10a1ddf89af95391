"""Pages of fast-track housing: a city's shelters, free beds and waitlist (its occupancy block
refreshed by htmx, so free beds show without a reload); a shelter with who holds each bed; a
case's housing path with the forms for its next steps. A refused form comes back as its page,
422, with the message next to the form and nothing written; a recorded one leads back to the
page, which shows it (read-your-writes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may
from domain.housing.model import HousingStage, MoveOutOutcome, ShelterClosureReason, ShelterKind
from domain.programme import PROGRAMME_TIMEZONE, City, PriorityFactor
from projections.case_list import CaseRow
from projections.housing import PlacementRow, ShelterRow
from web.areas.housing.requests import (
    BedChange,
    CaseToHouse,
    CaseToHouseView,
    CityToManage,
    ManagedShelter,
    MoveInRequest,
    MoveOutRequest,
    Reason,
    ShelterClosure,
    ShelterRegistration,
    ViewableShelter,
    move_in_days,
    ranked_waitlist,
)
from web.kit.commands import carry_out
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.exports import Column, start_export
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.principal import ActingPrincipal, CityToView, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages, is_htmx_fragment_request
from web.kit.terms import terms_shown
from web.kit.vocabulary.housing import (
    HOUSING_STAGES,
    MOVE_OUT_OUTCOMES,
    PLACEMENT_STATUSES,
    SHELTER_CLOSURE_REASONS,
    SHELTER_KINDS,
)
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

OCCUPANCY_BLOCK = "occupancy"


def _forms(failed: str | None, state: FormState | None) -> dict[str, FormState]:
    """Each form's state: the failed one as it was posted, the others empty."""
    return {failed: state} if failed and state else {}


# The label tables the templates read codes through.
_WORDS = {
    "shelter_kinds": SHELTER_KINDS,
    "stages": HOUSING_STAGES,
    "placement_statuses": PLACEMENT_STATUSES,
    "outcomes": MOVE_OUT_OUTCOMES,
    "closure_reasons": SHELTER_CLOSURE_REASONS,
}


# --- a city's housing --------------------------------------------------------------------------


@router.get("/cities/{city}/housing", name="city_housing")
def city_housing(
    request: Request, city: CityToView, pages: PageRenderer, services: Services
) -> HTMLResponse:
    context = _city_context(services, city)
    if is_htmx_fragment_request(request):
        return pages.render(request, "housing/city.html", context, block=OCCUPANCY_BLOCK)
    return pages.render(request, "housing/city.html", context)


def _city_context(services: WebServices, city: City) -> dict[str, Any]:
    housing = services.housing_views.city_housing(city.value)
    return {
        "city": city.value,
        "housing": housing,
        "move_in": move_in_days(housing.days_to_move_in),
        "move_in_by_shelter": {shelter.shelter_id: move_in_days(shelter.days_to_move_in)
                               for shelter in housing.shelters},
        "waitlist": ranked_waitlist(services, city.value, services.now()),
        "programme": terms_shown(services),
        "kinds": [kind.value for kind in ShelterKind],
        "forms": {},
        **_WORDS,
    }


CITY_HOUSING_TABLES = ("shelters", "waitlist")


@router.get("/cities/{city}/housing/{table}/export.{fmt}", name="city_housing_export")
def city_housing_export(
    table: str, fmt: str, city: CityToView, services: Services, translator: CurrentTranslator,
) -> Response:
    """The page's shelters, or its waitlist (`table`: one of CITY_HOUSING_TABLES)."""
    export = start_export(services, fmt, table, CITY_HOUSING_TABLES, translator=translator)
    labels, _ = Labels(translator), translator.gettext
    where = labels.city(city.value)
    if table == "shelters":
        shelters = services.housing_views.city_housing(city.value).shelters
        return export.respond(
            name=f"shelters-{city.value}",
            title=f"{_('Shelters and apartments')} – {where}",
            columns=[Column(_("Shelter")), Column(_("Kind of shelter")),
                     Column(_("Area (neighbourhood)")), Column(_("Beds"), "int"),
                     Column(_("Offered or occupied"), "int"), Column(_("Free beds"), "int"),
                     Column(_("Days to move-in (median)"), "decimal"),
                     Column(_("Days to move-in (90th percentile)"), "decimal"),
                     Column(_("Closed on"), "date")],
            rows=[[shelter.name, labels.label(SHELTER_KINDS, shelter.kind),
                   shelter.address_area, shelter.beds, shelter.occupied, shelter.free,
                   move_in_days(shelter.days_to_move_in).median,
                   move_in_days(shelter.days_to_move_in).p90, shelter.closed_on]
                  for shelter in shelters],
        )
    waitlist = ranked_waitlist(services, city.value, services.now())
    return export.respond(
        name=f"waitlist-{city.value}",
        title=f"{_('Waitlist')} – {where}",
        columns=[Column(_("Place in line"), "int"), Column(_("Case")), Column(_("Vulnerable")),
                 Column(_("Priority group")), Column(_("On the waitlist since"), "date"),
                 Column(_("Days waiting"), "int"), Column(_("Priority"), "int"),
                 *(Column(labels.priority_factor(factor), "int") for factor in PriorityFactor)],
        rows=[[place.rank, place.entry.case_code,
               _("Vulnerable") if place.entry.vulnerable else "",
               labels.priority_group(place.entry.priority_group),
               place.entry.waitlisted_at.date(), place.entry.days_waiting, place.priority.total,
               *(factor.points for factor in place.priority.factors)] for place in waitlist],
    )


@router.post("/cities/{city}/shelters", name="register_shelter")
async def register_shelter(
    request: Request, city: CityToManage, pages: PageRenderer, services: Services,
    actor: ActingPrincipal, translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, ShelterRegistration.model_fields)
    shelter_id = services.new_id()

    def command(registration: ShelterRegistration) -> int:
        return services.housing.register_shelter(
            shelter_id, city, registration.name, registration.kind, registration.address_area,
            registration.beds, actor, services.now())

    try:
        await _carry_out(services, translator, form, ShelterRegistration, command)
    except FormRefused as refused:
        context = await run_in_threadpool(_city_context, services, city)
        context["forms"] = _forms("register", refused.form)
        return pages.render(request, "housing/city.html", context, status_code=422)
    return see_other(request, "shelter_page", shelter_id=str(shelter_id))


# --- a shelter ----------------------------------------------------------------------------------


@router.get("/shelters/{shelter_id}", name="shelter_page")
def shelter_page(
    request: Request, shelter: ViewableShelter, pages: PageRenderer, services: Services
) -> HTMLResponse:
    return _render_shelter(request, pages, services, shelter)


SHELTER_TABLES = ("beds", "placements")


@router.get("/shelters/{shelter_id}/{table}/export.{fmt}", name="shelter_page_export")
def shelter_page_export(
    table: str, fmt: str, shelter: ViewableShelter, services: Services,
    translator: CurrentTranslator,
) -> Response:
    """Who holds each bed now, or the past placements (`table`: one of SHELTER_TABLES)."""
    export = start_export(services, fmt, table, SHELTER_TABLES, translator=translator)
    labels, _ = Labels(translator), translator.gettext
    shelter = services.housing_views.shelter(shelter.shelter_id) or shelter
    placements = services.housing_views.placements(shelter.shelter_id)
    if table == "beds":
        current = {p.bed: p for p in placements if p.status in ("offered", "housed")}
        beds = [(bed, current.get(bed)) for bed in shelter.bed_numbers]
        return export.respond(
            name=f"beds-{shelter.shelter_id}",
            title=f"{_('Beds')} – {shelter.name}",
            columns=[Column(_("Bed"), "int"), Column(_("Case")), Column(_("Status")),
                     Column(_("Since"), "date")],
            rows=[[bed, placement.case_code,
                   labels.label(PLACEMENT_STATUSES, placement.status),
                   placement.moved_in_on or placement.offered_on] if placement else
                  [bed, "", _("Free bed"), None] for bed, placement in beds],
        )
    return export.respond(
        name=f"placements-{shelter.shelter_id}",
        title=f"{_('Past placements')} – {shelter.name}",
        columns=[Column(_("Case")), Column(_("Bed"), "int"), Column(_("Status")),
                 Column(_("Moved in"), "date"), Column(_("Moved out"), "date"),
                 Column(_("Outcome"))],
        rows=[[p.case_code, p.bed, labels.label(PLACEMENT_STATUSES, p.status), p.moved_in_on,
               p.moved_out_on, labels.label(MOVE_OUT_OUTCOMES, p.outcome) if p.outcome else ""]
              for p in placements if p.status not in ("offered", "housed")],
    )


def _render_shelter(
    request: Request, pages: Pages, services: WebServices, shelter: ShelterRow, *,
    failed: str | None = None, state: FormState | None = None,
) -> HTMLResponse:
    placements = services.housing_views.placements(shelter.shelter_id)
    current = {p.bed: p for p in placements if p.status in ("offered", "housed")}
    shown = services.housing_views.shelter(shelter.shelter_id) or shelter
    context = {
        "shelter": shown,
        "move_in": move_in_days(shown.days_to_move_in),
        "current": current,
        "history": [p for p in placements if p.status not in ("offered", "housed")],
        "forms": _forms(failed, state),
        "closure_reason_codes": [reason.value for reason in ShelterClosureReason],
        **_WORDS,
    }
    return pages.render(request, "housing/shelter.html", context,
                        status_code=422 if failed else 200)


def _shelter_command(
    form: str, model: type[BaseModel], run: Callable[[WebServices, ShelterRow, Any, Any], int],
) -> Callable[..., Any]:
    """A POST route for one shelter command: its form, its request model, and how it runs."""

    async def route(
        request: Request, shelter: ManagedShelter, pages: PageRenderer, services: Services,
        actor: ActingPrincipal, translator: CurrentTranslator,
    ) -> Response:
        posted = await PostedForm.read(request, model.model_fields)
        try:
            await _carry_out(services, translator, posted, model,
                             lambda wanted: run(services, shelter, wanted, actor))
        except FormRefused as refused:
            return await run_in_threadpool(
                _render_shelter, request, pages, services, shelter, failed=form,
                state=refused.form)
        return see_other(request, "shelter_page", shelter_id=str(shelter.shelter_id))

    return route


router.add_api_route(
    "/shelters/{shelter_id}/beds", _shelter_command(
        "add_beds", BedChange, lambda services, shelter, wanted, actor:
        services.housing.add_beds(shelter.shelter_id, wanted.count, actor, services.now())),
    methods=["POST"], name="add_beds")
router.add_api_route(
    "/shelters/{shelter_id}/beds/removal", _shelter_command(
        "remove_beds", BedChange, lambda services, shelter, wanted, actor:
        services.housing.remove_beds(shelter.shelter_id, wanted.count, actor, services.now())),
    methods=["POST"], name="remove_beds")
router.add_api_route(
    "/shelters/{shelter_id}/closure", _shelter_command(
        "close", ShelterClosure, lambda services, shelter, wanted, actor:
        services.housing.close_shelter(shelter.shelter_id, wanted.reason, actor,
                                       services.now())),
    methods=["POST"], name="close_shelter")


# --- a case's housing ---------------------------------------------------------------------------


@router.get("/cases/{case_id}/housing", name="case_housing")
def case_housing(
    request: Request, case: CaseToHouseView, pages: PageRenderer, services: Services,
    principal: SignedIn,
) -> HTMLResponse:
    return _render_case(request, pages, services, principal, case)


@router.get("/cases/{case_id}/housing/export.{fmt}", name="case_housing_export")
def case_housing_export(
    fmt: str, case: CaseToHouseView, services: Services, translator: CurrentTranslator,
    principal: SignedIn,
) -> Response:
    """The beds offered to the case, and what came of each, as its housing page lists them."""
    export = start_export(services, fmt, translator=translator)
    labels, _ = Labels(translator), translator.gettext
    placements = services.housing_views.case_placements(case.case_id)
    texts = placement_texts(services, principal, case, placements)
    return export.respond(
        name=f"beds-offered-{case.case_code}",
        title=f"{_('Beds offered')} – {case.case_code}",
        columns=[Column(_("Shelter")), Column(_("Bed"), "int"), Column(_("Status")),
                 Column(_("Offered on"), "date"), Column(_("Moved in"), "date"),
                 Column(_("Moved out"), "date"), Column(_("Outcome"))],
        rows=[[p.shelter_name, p.bed, labels.label(PLACEMENT_STATUSES, p.status), p.offered_on,
               p.moved_in_on, p.moved_out_on,
               labels.label(MOVE_OUT_OUTCOMES, p.outcome) if p.outcome
               else texts.get(p.reason_id, "") if p.reason_id else ""]
              for p in placements],
    )


def _render_case(
    request: Request, pages: Pages, services: WebServices, principal: Principal, case: CaseRow,
    *, failed: str | None = None, state: FormState | None = None,
) -> HTMLResponse:
    views = services.housing_views
    path = views.housing_path(case.case_id)
    now = services.now()
    waitlist = ranked_waitlist(services, case.city, now)
    place = next((place for place in waitlist if place.entry.case_id == case.case_id), None)
    stage = HousingStage(path.stage) if path else HousingStage.NONE
    placements = views.case_placements(case.case_id)
    context = {
        "case": case,
        "housing_path": path,
        "stage": stage,
        "place": place,
        "waitlist_length": len(waitlist),
        "placements": placements,
        # The placements' free texts (reasons, move-out notes), from the vault, by id.
        "texts": placement_texts(services, principal, case, placements),
        "shelters_with_free_beds": views.open_shelters_with_free_beds(case.city)
        if stage is HousingStage.WAITLISTED else [],
        "may_record": may(principal, Permission.RECORD_CASE_WORK, City(case.city)),
        "programme": terms_shown(services),
        "outcome_codes": [outcome.value for outcome in MoveOutOutcome],
        "today": now.astimezone(PROGRAMME_TIMEZONE).date().isoformat(),
        "forms": _forms(failed, state),
        **_WORDS,
    }
    return pages.render(request, "housing/case.html", context,
                        status_code=422 if failed else 200)


def placement_texts(
    services: WebServices, principal: Principal, case: CaseRow,
    placements: Sequence[PlacementRow],
) -> dict[UUID, str]:
    """The placements' free texts by id, read from the vault, for the staff of the case's city
    only (free text is personal data). Blocking (the vault)."""
    if not may(principal, Permission.RECORD_CASE_WORK, City(case.city)):
        return {}
    texts = {}
    for placement in placements:
        for text_id in (placement.note_id, placement.reason_id):
            if text_id is not None:
                text = services.housing.placement_text(case.case_id, text_id)
                if text is not None:
                    texts[text_id] = text
    return texts


def _case_command(
    form: str, model: type[BaseModel] | None,
    run: Callable[[WebServices, CaseRow, Any, Any], int],
) -> Callable[..., Any]:
    """A POST route for one step of a case's housing path."""

    async def route(
        request: Request, case: CaseToHouse, pages: PageRenderer, services: Services,
        principal: SignedIn, actor: ActingPrincipal, translator: CurrentTranslator,
    ) -> Response:
        posted = await PostedForm.read(request, model.model_fields if model else ())
        try:
            await _carry_out(services, translator, posted, model,
                             lambda wanted: run(services, case, wanted, actor))
        except FormRefused as refused:
            return await run_in_threadpool(
                _render_case, request, pages, services, principal, case, failed=form,
                state=refused.form)
        return see_other(request, "case_housing", case_id=str(case.case_id))

    return route


_CASE_COMMANDS: Mapping[str, tuple[str, type[BaseModel] | None, Callable[..., int]]] = {
    "waitlist_case": ("/waitlist", None, lambda services, case, _wanted, actor:
                      services.housing.add_to_waitlist(case.case_id, actor, services.now())),
    "decline_offer": ("/decline", Reason, lambda services, case, wanted, actor:
                      services.housing.decline_offer(case.case_id, wanted.reason, actor,
                                                     services.now())),
    "move_in": ("/move-in", MoveInRequest, lambda services, case, wanted, actor:
                services.housing.move_in(case.case_id, wanted.moved_in_on, actor,
                                         services.now())),
    "move_out": ("/move-out", MoveOutRequest, lambda services, case, wanted, actor:
                 services.housing.move_out(case.case_id, wanted.outcome, wanted.moved_out_on,
                                           wanted.note, actor, services.now())),
    "leave_waitlist": ("/waitlist/leave", Reason, lambda services, case, wanted, actor:
                       services.housing.leave_waitlist(case.case_id, wanted.reason, actor,
                                                       services.now())),
}
for _name, (_suffix, _model, _run) in _CASE_COMMANDS.items():
    router.add_api_route(f"/cases/{{case_id}}/housing{_suffix}",
                         _case_command(_name, _model, _run), methods=["POST"], name=_name)


@router.post("/cases/{case_id}/housing/offers/{shelter_id}", name="offer_bed")
async def offer_bed(
    request: Request, case: CaseToHouse, shelter: ViewableShelter, pages: PageRenderer,
    services: Services, principal: SignedIn, actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    """Each shelter with a free bed has its own button on the case's page: the shelter chosen
    is the one in the path."""
    try:
        await _carry_out(services, translator, PostedForm({}), None, lambda _nothing:
                         services.housing.offer_bed(case.case_id, shelter.shelter_id, actor,
                                                    services.now()))
    except FormRefused as refused:
        return await run_in_threadpool(
            _render_case, request, pages, services, principal, case, failed="offer_bed",
            state=refused.form)
    return see_other(request, "case_housing", case_id=str(case.case_id))


# --- forms ---------------------------------------------------------------------------------------


async def _carry_out(
    services: WebServices, translator: Translator, form: PostedForm,
    model: type[BaseModel] | None, command: Callable[[Any], int],
) -> int:
    """Submit the form: the command (the housing service's, blocking) runs in a thread and is
    waited for, to be shown by the page the answer leads to."""
    return await form.submit(
        model, lambda wanted: carry_out(services, lambda: command(wanted)), translator)

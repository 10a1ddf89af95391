"""The notes of a case as a page of its own (the same section the case page shows), and what the
note form posts: a note, or a correction of one. A recorded note leads back to the case page's
notes (303); a refusal shows the notes page again, 422, with every problem of the form at once
and nothing written. Plain form posts, as the case page's other forms."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access import Principal
from domain.notes.model import FollowUpBeforeContact
from projections.case_list import CaseRow
from web.areas.notes.requests import (
    CaseToWriteNotesOn,
    CaseWithNotes,
    NoteRequest,
    write_note,
)
from web.kit.case_notes import notes_section
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import Problem, explain_domain_error
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.i18n import Translator
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


@router.get("/cases/{case_id}/notes", name="case_notes")
def case_notes(
    request: Request, case: CaseWithNotes, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> HTMLResponse:
    return render_notes_page(request, pages, services, principal, translator, case)


@router.post("/cases/{case_id}/notes", name="write_case_note")
async def write_case_note(
    request: Request, case: CaseToWriteNotesOn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    posted = await PostedForm.read(request, NoteRequest.model_fields, lists=("follow_ups_done",))
    try:
        await posted.submit(
            NoteRequest, lambda wanted: write_note(services, case, wanted, principal.actor),
            translator, also=_follow_up_problems(posted, translator))
    except FormRefused as refused:
        return await run_in_threadpool(
            render_notes_page, request, pages, services, principal, translator, case,
            refused.form, 422)
    answer = see_other(request, "case_page", case_id=str(case.case_id))
    return RedirectResponse(f"{answer.headers['location']}#notes", status_code=303)


def render_notes_page(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, case: CaseRow, form: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    notes = notes_section(services, principal, translator, case, form)
    return pages.render(request, "notes/page.html", {"case": case, "notes": notes},
                        status_code=status_code)


def _follow_up_problems(posted: PostedForm, translator: Translator) -> list[Problem]:
    """The follow-up dated before the contact, found with the other problems of the form (the
    domain checks it again when the note is recorded)."""
    try:
        contacted_on = date.fromisoformat(str(posted.values.get("contacted_on", "")))
        follow_up_on = date.fromisoformat(str(posted.values.get("follow_up_on", "")))
    except ValueError:
        return []
    if follow_up_on >= contacted_on:
        return []
    return [explain_domain_error(FollowUpBeforeContact(
        "The next follow-up cannot be dated before the contact.", field="follow_up_on"),
        translator)]

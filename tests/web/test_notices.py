"""Every command tells what happened, and irreversible ones ask first (issue 14 item 5).

A recorded form leads to a page that says in words what was done, in a live region screen
readers announce (role="status", aria-live="polite"), an htmx fragment included (out of band).
Approving a claim and marking an activity as ended cannot be undone: the button leads to a page
that asks, and only its own button (a second POST, confirm=1) carries the command out. No
JavaScript is needed for either."""

from __future__ import annotations

import html
import re
from uuid import UUID

from fastapi.routing import APIRoute

from infra.bootstrap import Platform
from tests.web.conftest import Clients, record_intake
from tests.web.test_access_matrix import a_pending_claim, an_activity_with_a_session
from web.app import PAGE_AREAS
from web.kit.notices import DONE_MESSAGES

# POST routes that lead to no page saying what was done, and why.
NO_DONE_MESSAGE = {
    "sign_in", "sign_out",  # the page signed in to, or the sign-in page saying so
    "submit_intake",  # the case list says "Intake recorded: the case code is ..."
    "reveal_identifiers", "case_summary_print_with_identifiers",  # the identifiers shown
    "search_by_identifiers", "download_case_document",  # answers, not commands
    "sign_in_code",  # the second sign-in step: the page signed in to
    "change_password",  # the password page itself says the password was changed
}


def live_region(page: str) -> str:
    """The text of the page's live region ('' when it is empty); it must be there."""
    match = re.search(r'<div id="live-notices" role="status" aria-live="polite" '
                      r'aria-atomic="true"[^>]*>(?:<div [^>]*>(.*?)</div>)?</div>', page, re.S)
    assert match, "no live region"
    return html.unescape(match.group(1) or "").strip()


def test_every_command_of_the_pages_has_its_message_in_both_languages() -> None:
    posted = {route.name for area in PAGE_AREAS for route in area.router.routes
              if isinstance(route, APIRoute) and "POST" in (route.methods or ())}

    assert set(DONE_MESSAGES) <= posted
    assert posted - set(DONE_MESSAGES) == NO_DONE_MESSAGE


def test_approving_a_claim_asks_first_then_says_it_was_approved(
    clients: Clients, platform: Platform,
) -> None:
    record_intake(clients, "milano")
    claim_id = a_pending_claim(clients, "")
    activity_id = an_activity_with_a_session(clients, "")
    ministry, coordinator = clients.ministry(), clients.coordinator("milano")
    approval = f"/ministry/finance/claims/{claim_id}/approval"
    before = platform.last_written_position()

    asked = ministry.post(approval, follow_redirects=False)

    assert asked.status_code == 200
    page = html.unescape(asked.text)
    assert "Approvare questa spesa?" in page and "€\u00a010,00" in page
    assert f'<form method="post" action="{approval}" class="confirm-form">' in page
    assert '<input type="hidden" name="confirm" value="1">' in page
    assert 'href="/ministry/finance"' in page  # the way back
    assert platform.last_written_position() == before  # nothing done yet
    assert "<script" not in page.split('class="confirm-form"')[1].split("</form>")[0]

    approved = ministry.post(approval, data={"confirm": "1"}, follow_redirects=False)
    assert approved.status_code == 303
    assert approved.headers["location"] == "/ministry/finance?done=approve_claim"
    assert live_region(ministry.get(approved.headers["location"]).text) == (
        "La spesa è stata approvata.")
    english = ministry.get(approved.headers["location"] + "&lang=en")
    assert live_region(english.text) == "The claim has been approved."
    ministry.get("/", params={"lang": "it"})  # back to Italian (the choice is remembered)
    assert platform.finance_views.claim(UUID(claim_id)).status == "approved"  # type: ignore[union-attr]

    # Marking an activity as ended asks too.
    completion = f"/activities/{activity_id}/completion"
    before = platform.last_written_position()
    asked = coordinator.post(completion, follow_redirects=False)
    assert asked.status_code == 200 and "Segnare l'attività come conclusa?" in html.unescape(
        asked.text)
    assert platform.last_written_position() == before
    ended = coordinator.post(completion, data={"confirm": "1"})
    assert ended.status_code == 200
    assert live_region(ended.text) == "L'attività è stata segnata come conclusa."

    # Any other command says what it did: a rejection, a note.
    rejected = ministry.post(f"/ministry/finance/claims/{a_pending_claim(clients, '')}/rejection",
                             data={"reason": "Fattura illeggibile"})
    assert live_region(rejected.text) == "La spesa è stata respinta."


def test_the_live_region_is_on_every_page_updated_by_fragments_and_ignores_made_up_names(
    clients: Clients,
) -> None:
    coordinator = clients.coordinator()

    quiet = coordinator.get("/cities/firenze/cases")
    made_up = coordinator.get("/cities/firenze/cases", params={"done": "<b>hacked</b>"})
    fragment = coordinator.get("/cities/firenze/cases", params={"done": "assign_case"},
                               headers={"HX-Request": "true"})

    assert live_region(quiet.text) == "" and live_region(made_up.text) == ""
    assert "<b>hacked" not in made_up.text
    assert 'hx-swap-oob="true"' in fragment.text
    assert live_region(fragment.text) == "Il caso è stato affidato."
    assert "<html" not in fragment.text

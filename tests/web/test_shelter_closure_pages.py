"""Closing a shelter through the page and the API: the reason is chosen from the list
(`ShelterClosureReason`), shown translated, Italian first; a text or a code not on the list is
refused, 422, with the message beside the form, and nothing is recorded. Free text never
travels on NATS (ARCHITECTURE.md rule 5; docs/events.md, "No free text in events")."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.housing.model import Shelter
from infra.bootstrap import Platform
from tests.builders import a_coordinator
from tests.web.conftest import Clients, follower_of
from tests.web.test_housing_pages import a_shelter, text_of

ITALIAN = {
    "agreement_ended": "Fine della convenzione con l'ente gestore",
    "premises_unfit": "Locali non idonei",
    "merged": "Accorpata in un'altra struttura",
    "funding_ended": "Fine del finanziamento",
    "other": "Altro motivo",
}
ENGLISH = {
    "agreement_ended": "End of the agreement with the managing body",
    "premises_unfit": "Premises unfit for use",
    "merged": "Merged into another shelter",
    "funding_ended": "End of the funding",
    "other": "Other reason",
}


def options(page: str) -> list[tuple[str, str]]:
    """The close form's select: (value, label) of each option, in order."""
    form = page[page.index('id="close-form"'):]
    select = form[form.index('<select id="close-reason"'):form.index("</select>")]
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def test_the_close_form_offers_the_list_of_reasons_in_italian_and_in_english(
    clients: Clients,
) -> None:
    coordinator = clients.coordinator("firenze")
    shelter_id = a_shelter(coordinator)
    italian = text_of(coordinator.get(f"/shelters/{shelter_id}"))
    assert options(italian) == [("", "Scegliere…"), *ITALIAN.items()]
    assert 'name="reason"' in italian and 'maxlength="500"' not in italian.split(
        'id="close-form"')[1]  # no text box for a reason any more
    english = text_of(coordinator.get(f"/shelters/{shelter_id}", params={"lang": "en"}))
    assert options(english) == [("", "Choose…"), *ENGLISH.items()]


@pytest.mark.parametrize("reason", ["The lease ended", "", "MERGED", "autonomous_housing"])
def test_a_reason_not_on_the_list_is_refused_in_the_page_and_nothing_is_recorded(
    clients: Clients, platform: Platform, reason: str,
) -> None:
    coordinator = clients.coordinator("firenze")
    shelter_id = a_shelter(coordinator)
    before = platform.last_written_position()

    refused = coordinator.post(f"/shelters/{shelter_id}/closure", data={"reason": reason},
                               follow_redirects=False)

    assert refused.status_code == 422
    page = text_of(refused)
    message = ("Campo obbligatorio." if not reason else "Scegliere una delle opzioni proposte.")
    assert f'<div class="invalid-feedback d-block" id="close-reason-error">{message}</div>' in page
    assert 'id="close-form"' in page  # the form is shown again, still open to a good reason
    assert platform.last_written_position() == before
    assert "Chiusa" not in text_of(coordinator.get(f"/shelters/{shelter_id}")).split("</h1>")[0]
    shelter = coordinator.get(f"/api/v1/shelters/{shelter_id}").json()
    assert shelter["closed_on"] is None


def test_the_api_refuses_a_text_for_a_reason_and_records_nothing(
    clients: Clients, platform: Platform,
) -> None:
    coordinator = clients.coordinator("firenze")
    shelter_id = a_shelter(coordinator)
    before = platform.last_written_position()
    for body in ({"reason": "The lease ended"}, {"reason": None}, {}):
        answer = coordinator.post(f"/api/v1/shelters/{shelter_id}/closure", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["problems"][0]["field"] == "reason"
    assert platform.last_written_position() == before


@pytest.mark.parametrize("reason", list(ITALIAN))
def test_a_closed_shelter_s_page_shows_its_reason_translated(
    clients: Clients, reason: str,
) -> None:
    coordinator = clients.coordinator("firenze")
    shelter_id = a_shelter(coordinator)
    closed = coordinator.post(f"/shelters/{shelter_id}/closure", data={"reason": reason},
                              follow_redirects=False)
    assert closed.status_code == 303
    assert closed.headers["location"] == f"/shelters/{shelter_id}?done=close_shelter"

    italian = text_of(coordinator.get(f"/shelters/{shelter_id}"))
    assert f'<dd id="closure-reason">{ITALIAN[reason]}</dd>' in italian
    assert 'id="close-form"' not in italian  # closed: nothing left to close
    english = text_of(coordinator.get(f"/shelters/{shelter_id}", params={"lang": "en"}))
    assert f'<dd id="closure-reason">{ENGLISH[reason]}</dd>' in english


def test_the_api_closes_with_a_code(clients: Clients) -> None:
    coordinator = clients.coordinator("firenze")
    shelter_id = a_shelter(coordinator)
    answer = coordinator.post(f"/api/v1/shelters/{shelter_id}/closure",
                              json={"reason": "funding_ended"})
    assert answer.status_code == 200, answer.text
    assert coordinator.get(f"/api/v1/shelters/{shelter_id}").json()["closed_on"] is not None
    page = text_of(coordinator.get(f"/shelters/{shelter_id}"))
    assert '<dd id="closure-reason">Fine del finanziamento</dd>' in page


def test_a_shelter_closed_before_the_list_shows_no_text_and_says_why(
    clients: Clients, platform: Platform,
) -> None:
    """A closure stored as v1 (its reason a text): the page says the reason was not recorded as
    one of the list, and never shows the old text (it stays in the event store only)."""
    coordinator = clients.coordinator("firenze")
    shelter_id = a_shelter(coordinator)
    legacy = "Old closure W1: the landlord sold the building"
    now = platform.now()
    platform.record.recorder.insert_events([StoredEvent(
        originator_id=UUID(shelter_id), originator_version=2, topic=get_topic(Shelter.Closed),
        state=platform.record.mapper.transcoder.encode({
            "timestamp": now, "city": "firenze", "closed_on": now.date(), "reason": legacy,
            "actor": a_coordinator().as_record()}))])
    follower_of(platform).catch_up()

    page = text_of(coordinator.get(f"/shelters/{shelter_id}"))
    assert ('<dd id="closure-reason">Non registrato: la struttura è stata chiusa prima che i '
            'motivi fossero un elenco</dd>') in page
    assert legacy not in page and 'id="close-form"' not in page
    english = text_of(coordinator.get(f"/shelters/{shelter_id}", params={"lang": "en"}))
    assert ('<dd id="closure-reason">Not recorded: the shelter closed before the reasons were '
            'a list</dd>') in english

"""Case notes and follow-ups on the pages and the API (issue 16 item 4): the case page's notes
section (the latest contact first; the text for the case's city staff only; the ministry and the
auditors see that there are notes, their kind and date, never the text), the form with every
problem at once and nothing written, corrections that supersede, follow-ups done by a later
contact, and the follow-ups due that the work queue takes (kind "follow_up_due")."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from infra.bootstrap import Platform
from projections.notes import FOLLOW_UP_DUE
from tests.web.conftest import TODAY_IN_ITALY, Clients, clock_of, record_intake

NOTE_TEXT = "Ha raccontato della sorella a Quortlemaine"


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def a_note(**overrides: Any) -> dict[str, Any]:
    return {"kind": "home_visit", "contacted_on": "2021-09-30", "contacted_time": "15:30",
            "duration_minutes": "45", "text": NOTE_TEXT, "follow_up_on": "2021-10-07",
            **overrides}


def test_a_note_written_on_the_case_page_is_shown_to_staff_and_only_its_facts_to_oversight(
    clients: Clients,
) -> None:
    case_id = record_intake(clients)["case_id"]
    operator = clients.operator("firenze")

    written = operator.post(f"/cases/{case_id}/notes", data=a_note(), follow_redirects=False)

    assert written.status_code == 303
    assert written.headers["location"] == f"/cases/{case_id}?done=write_case_note#notes"
    page = text_of(operator.get(f"/cases/{case_id}"))
    assert NOTE_TEXT in page
    assert "Visita domiciliare" in page and "45 minuti" in page and "firenze.operator" in page
    assert "Prossima verifica: 7 ott 2021." in page
    assert "Nota di un contatto scritta" in page  # the timeline, with the facts, not the text
    assert "Visita domiciliare del 30 set 2021, 45 minuti, di firenze.operator." in page
    for overseer in (clients.ministry(), clients.auditor()):
        seen = text_of(overseer.get(f"/cases/{case_id}"))
        assert "Visita domiciliare" in seen and "45 minuti" in seen
        assert NOTE_TEXT not in seen
        assert "Scrivere la nota di un contatto" not in seen
        api = overseer.get(f"/api/v1/cases/{case_id}/notes").json()
        assert api["texts_shown"] is False
        [note] = api["notes"]
        assert (note["kind"], note["text"], note["follow_up_on"]) == (
            "home_visit", None, "2021-10-07")
        assert NOTE_TEXT not in text_of(overseer.get(f"/cases/{case_id}/notes"))
    [note] = operator.get(f"/api/v1/cases/{case_id}/notes").json()["notes"]
    assert note["text"] == NOTE_TEXT
    assert note["contacted_at"].startswith("2021-09-30T15:30:00+02:00")


def test_the_form_shows_every_problem_at_once_and_writes_nothing(
    clients: Clients, platform: Platform,
) -> None:
    case_id = record_intake(clients)["case_id"]
    before = platform.last_written_position()

    refused = clients.operator("firenze").post(f"/cases/{case_id}/notes", data=a_note(
        duration_minutes="721", text="   ", follow_up_on="2021-09-29"))

    assert refused.status_code == 422
    page = text_of(refused)
    assert "Inserire un numero non superiore a 720." in page
    assert "Campo obbligatorio." in page  # the text, blank
    assert "La prossima verifica non può essere datata prima del contatto" in page
    assert page.count('class="invalid-feedback d-block"') == 3
    assert platform.last_written_position() == before
    assert platform.notes_views.notes_of(UUID(case_id)) == []


def test_the_limits_of_a_contact_s_length_at_the_limit_and_one_past(clients: Clients) -> None:
    case_id = record_intake(clients)["case_id"]
    api = clients.operator("firenze")
    at_the_limit = api.post(f"/api/v1/cases/{case_id}/notes",
                            json={**a_note(duration_minutes=720)})
    one_past = api.post(f"/api/v1/cases/{case_id}/notes", json={**a_note(duration_minutes=721)})
    assert at_the_limit.status_code == 201, at_the_limit.text
    assert one_past.status_code == 422
    assert one_past.json()["problems"][0]["field"] == "duration_minutes"


def test_a_correction_supersedes_the_note_and_both_are_shown(clients: Clients) -> None:
    case_id = record_intake(clients)["case_id"]
    operator = clients.operator("firenze")
    first = operator.post(f"/api/v1/cases/{case_id}/notes", json=a_note(text="Prima"))
    first_id = first.json()["note_id"]

    corrected = operator.post(f"/cases/{case_id}/notes", data={
        **a_note(text="Corretta"), "supersedes": first_id}, follow_redirects=False)

    assert corrected.status_code == 303
    notes = operator.get(f"/api/v1/cases/{case_id}/notes").json()["notes"]
    by_text = {n["text"]: n for n in notes}
    assert by_text["Prima"]["superseded_by"] == by_text["Corretta"]["note_id"]
    assert by_text["Corretta"]["supersedes"] == first_id
    assert by_text["Prima"]["follow_up_open"] is False
    page = text_of(operator.get(f"/cases/{case_id}"))
    assert "Sostituita dalla correzione del 30 set 2021" in page and "Prima" in page
    again = operator.post(f"/api/v1/cases/{case_id}/notes",
                          json={**a_note(), "supersedes": first_id})
    assert again.status_code == 422
    assert again.json()["problems"][0]["code"] == "note_already_superseded"


def test_follow_ups_due_today_or_overdue_are_work_items_until_a_later_contact_does_them(
    clients: Clients, platform: Platform,
) -> None:
    case = record_intake(clients)
    case_id = case["case_id"]
    api = clients.operator("firenze")
    overdue = api.post(f"/api/v1/cases/{case_id}/notes",
                       json=a_note(follow_up_on="2021-10-01")).json()["note_id"]
    due_today = api.post(f"/api/v1/cases/{case_id}/notes",
                         json=a_note(follow_up_on=TODAY_IN_ITALY)).json()["note_id"]
    api.post(f"/api/v1/cases/{case_id}/notes", json=a_note(follow_up_on="2021-10-20"))
    now = clock_of(platform).now

    items = platform.notes_views.work_items("firenze", now)

    assert [(i.kind, str(i.subject_id), i.case_code) for i in items] == [
        (FOLLOW_UP_DUE, overdue, case["case_code"]), (FOLLOW_UP_DUE, due_today, case["case_code"])]
    assert items[0].due.isoformat() == "2021-10-02T00:00:00+02:00"  # the end of its day
    assert platform.notes_views.work_items("milano", now) == []
    assert len(platform.notes_views.work_items("firenze", now + timedelta(days=16))) == 3

    done = api.post(f"/api/v1/cases/{case_id}/notes", json={
        **a_note(contacted_on=TODAY_IN_ITALY, contacted_time=None, follow_up_on=None),
        "follow_ups_done": [overdue]})
    assert done.status_code == 201, done.text
    assert [str(i.subject_id) for i in platform.notes_views.work_items("firenze", now)] == [
        due_today]
    assert platform.notes_views.next_follow_up(UUID(case_id)) == date(2021, 10, 4)


def test_no_note_on_an_erased_case_and_its_texts_are_gone(clients: Clients) -> None:
    case_id = record_intake(clients)["case_id"]
    coordinator = clients.coordinator("firenze")
    coordinator.post(f"/api/v1/cases/{case_id}/notes", json=a_note())
    erased = coordinator.post(f"/api/v1/cases/{case_id}/erasure",
                              json={"requested_on": "2021-10-01",
                                    "request_reference": "PG/2021/9"})
    assert erased.status_code == 200, erased.text

    page = text_of(coordinator.get(f"/cases/{case_id}"))
    assert NOTE_TEXT not in page and "Scrivere la nota di un contatto" not in page
    assert "i testi delle note sono stati cancellati" in page
    refused = coordinator.post(f"/api/v1/cases/{case_id}/notes", json=a_note())
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["code"] == "notes_closed"
    [note] = coordinator.get(f"/api/v1/cases/{case_id}/notes").json()["notes"]
    assert note["text"] is None and note["kind"] == "home_visit"


def test_a_closed_case_s_follow_ups_leave_the_queue_and_come_back_when_it_reopens(
    clients: Clients, platform: Platform,
) -> None:
    case_id = record_intake(clients)["case_id"]
    coordinator = clients.coordinator("firenze")
    coordinator.post(f"/api/v1/cases/{case_id}/notes", json=a_note(follow_up_on="2021-10-01"))
    now = clock_of(platform).now
    assert len(platform.notes_views.work_items("firenze", now)) == 1

    closed = coordinator.post(f"/api/v1/cases/{case_id}/closure", json={
        "outcome": "autonomy", "closed_on": "2021-10-02", "reason": "Autonoma"})
    assert closed.status_code == 200, closed.text
    assert platform.notes_views.work_items("firenze", now) == []
    refused = coordinator.post(f"/api/v1/cases/{case_id}/notes", json=a_note())
    assert refused.status_code == 422  # reopen it first

    reopened = coordinator.post(f"/api/v1/cases/{case_id}/reopening", json={
        "reopened_on": "2021-10-03", "reason": "Ritornata"})
    assert reopened.status_code == 200, reopened.text
    assert len(platform.notes_views.work_items("firenze", now)) == 1

"""Where the person stands: the summary that opens the case page (status and eligibility, housing
now or the waitlist place, open referrals with their due dates, current activities, services
delivered), and its print view ("Stampa scheda"): no forms, no buttons, no navigation, and the
person's identifiers only when read for a reason in that very request, the reading logged."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from domain.vault import AccessReason
from infra.bootstrap import Platform
from tests.web.conftest import Clients, record_intake

IDENTIFIERS = ("Amanuel", "Tesfaye", "PS1234567", "+39 333 1234567")


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def summary_part(page: str) -> str:
    start = page.index('id="summary"')
    return page[start:page.index("</section>", start)]


@pytest.fixture
def case(clients: Clients) -> dict[str, Any]:
    """A Florence refugee who left a CAS (conftest's intake), with a permit expiring within
    sixty days of the tests' today (2021-10-04)."""
    return record_intake(clients, "firenze", permit_expires_on="2021-11-20")


def test_the_case_page_opens_with_where_the_person_stands(
    clients: Clients, case: dict[str, Any]
) -> None:
    operator, case_id = clients.operator("firenze"), case["case_id"]
    assert operator.post(f"/api/v1/cases/{case_id}/housing/waitlist").status_code == 200
    referral = operator.post(f"/api/v1/cases/{case_id}/referrals",
                             json={"destination_kind": "city_service", "service": "health"})
    assert referral.status_code == 201, referral.text
    delivered = operator.post(f"/api/v1/cases/{case_id}/deliveries", json={
        "sub_action": "4", "kind": "cash_support", "quantity": "150", "delivered_on": "2021-09-30"})
    assert delivered.status_code == 201, delivered.text

    page = text_of(operator.get(f"/cases/{case_id}"))
    summary = summary_part(page)

    assert page.index('id="summary"') < page.index('id="history-title"')
    assert "In lista di attesa: posizione 1 su 1" in summary
    assert "Servizi sanitari: risposta attesa entro il " in summary
    assert f'href="/referrals/{referral.json()["referral_id"]}"' in summary
    assert "Sostegno economico: €\u00a0150,00 (Sub-Azione 4)" in summary
    assert "Nessuna iscrizione ad attività in corso." in summary
    assert re.search(r'class="text-danger[^"]*">\s*Status di rifugiato – permesso in scadenza',
                     summary)
    assert "Non idonea: Sub-Azione 2" in summary
    assert "Idonea: Sub-Azione 4" in summary


def test_a_housed_person_s_summary_names_the_shelter_and_bed(
    clients: Clients, case: dict[str, Any]
) -> None:
    coordinator, case_id = clients.coordinator("firenze"), case["case_id"]
    shelter = coordinator.post("/api/v1/cities/firenze/shelters", json={
        "name": "Casa Novoli", "kind": "temporary_shelter", "address_area": "Novoli", "beds": 2})
    assert shelter.status_code == 201, shelter.text
    assert coordinator.post(f"/api/v1/cases/{case_id}/housing/waitlist").status_code == 200
    offered = coordinator.post(
        f"/api/v1/cases/{case_id}/housing/offers/{shelter.json()['shelter_id']}")
    assert offered.status_code == 200, offered.text
    summary = summary_part(text_of(coordinator.get(f"/cases/{case_id}")))
    assert "Posto letto 1 offerto in Casa Novoli, in attesa di risposta" in summary


def test_the_print_view_has_no_form_no_button_no_navigation_and_no_identifiers(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    operator = clients.operator("firenze")
    page = operator.get(f"/cases/{case['case_id']}")
    assert f'href="/cases/{case["case_id"]}/summary"' in page.text
    assert "Stampa scheda" in page.text
    # Printing with identifiers is the identifiers form's second button: the same reasons.
    assert re.search(r'formaction="/cases/[^"]+/summary" formtarget="_blank"', page.text)

    printed = operator.get(f"/cases/{case['case_id']}/summary")

    assert printed.status_code == 200
    text = text_of(printed)
    assert f"Scheda del caso {case['case_code']}" in text
    assert "Situazione della persona" in text
    for element in ("<form", "<button", "<nav", "<input", "<select", "<script"):
        assert element not in printed.text.lower()
    assert not any(identifier in text for identifier in IDENTIFIERS)
    assert platform.vault.accesses() == []


def test_the_print_view_shows_identifiers_only_when_read_for_a_reason_and_logs_it(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    operator = clients.operator("firenze")
    printed = operator.post(f"/cases/{case['case_id']}/summary",
                            data={"reason": "identity_check"})

    assert printed.status_code == 200
    assert printed.headers["cache-control"] == "no-store"
    text = text_of(printed)
    assert all(identifier in text for identifier in IDENTIFIERS)
    for element in ("<form", "<button", "<nav", "<script"):
        assert element not in printed.text.lower()
    [access] = platform.vault.accesses()
    assert (access.actor_id, access.reason) == ("firenze.operator", AccessReason.IDENTITY_CHECK)
    # The next view of it, without a reason, shows none again.
    again = text_of(operator.get(f"/cases/{case['case_id']}/summary"))
    assert not any(identifier in again for identifier in IDENTIFIERS)


def test_printing_with_identifiers_without_a_reason_shows_none_and_logs_nothing(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    printed = clients.operator("firenze").post(f"/cases/{case['case_id']}/summary", data={})
    assert printed.status_code == 422
    assert not any(identifier in text_of(printed) for identifier in IDENTIFIERS)
    assert platform.vault.accesses() == []


def test_another_city_cannot_print_the_case(clients: Clients, case: dict[str, Any]) -> None:
    milano = clients.coordinator("milano")
    assert milano.get(f"/cases/{case['case_id']}/summary").status_code == 404
    assert milano.post(f"/cases/{case['case_id']}/summary",
                       data={"reason": "contact_person"}).status_code == 404


def test_the_summary_names_the_holder_the_plan_the_follow_up_the_household_and_documents(
    clients: Clients,
) -> None:
    """Issue 16 item 10: the operator holding the case, the plan's goals (area and status,
    never their words), the next follow-up, the household's other members and the documents
    that expire, each with its date, flagged when it is due."""
    operator = clients.operator("firenze")
    head = record_intake(clients, "firenze")
    child = record_intake(clients, "firenze", birth_date="2010-02-02")
    case_id = child["case_id"]
    assert operator.post(f"/api/v1/cases/{head['case_id']}/household",
                         json={"formed_on": "2021-09-01"}).status_code == 201
    joined = operator.post(f"/api/v1/cases/{case_id}/household/join", json={
        "household_of": head["case_code"], "relationship": "child", "joined_on": "2021-09-01"})
    assert joined.status_code == 200, joined.text
    assert operator.post(f"/api/v1/cases/{case_id}/plan", json={
        "started_on": "2021-09-15", "next_review_on": "2021-10-01"}).status_code == 201
    goal = operator.post(f"/api/v1/cases/{case_id}/plan/goals", json={
        "area": "language", "text": "Corso di italiano A2", "agreed_on": "2021-09-15",
        "target_date": "2021-12-20"})
    assert goal.status_code == 201, goal.text
    note = operator.post(f"/api/v1/cases/{case_id}/notes", json={
        "kind": "meeting", "contacted_on": "2021-10-01", "duration_minutes": 30,
        "text": "Colloquio", "follow_up_on": "2021-10-08"})
    assert note.status_code == 201, note.text
    permit = operator.post(
        f"/api/v1/cases/{case_id}/documents",
        data={"kind": "residence_permit", "expires_on": "2021-10-20"},
        files={"file": ("p.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert permit.status_code == 201, permit.text

    summary = summary_part(text_of(operator.get(f"/cases/{case_id}")))

    assert re.search(r'id="summary-assignment".*?firenze\.coordinator.*?dal ', summary, re.S)
    assert "Lingua italiana: Obiettivo aperto" in summary
    assert "Corso di italiano" not in summary  # the goal's words stay on the plan's page
    assert re.search(r'class="text-danger[^"]*">\s*(<a [^>]*>)?Prossima verifica del progetto',
                     summary)
    assert "Verifica con la persona" in summary and "8 ott 2021" in summary
    assert f'href="/cases/{head["case_id"]}"' in summary and head["case_code"] in summary
    assert re.search(r'class="text-danger[^"]*">\s*(<a [^>]*>)?Permesso di soggiorno', summary)

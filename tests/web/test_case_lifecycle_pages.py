"""Closing, reopening and correcting a case on its page and through the API; the "work on this
case" links; and what the old city sees of a case it transferred away."""

from __future__ import annotations

import html
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from domain.cases.model import Case
from domain.programme import Actor, ActorKind, City, Role
from infra.bootstrap import Platform
from tests.web.conftest import Clients, follower_of, record_intake

CLOSURE = {"outcome": "autonomy", "closed_on": "2021-06-30",
           "reason": "Rents a flat and works full time."}


def text_of(response: Any) -> str:
    return html.unescape(response.text)


@pytest.fixture
def case_id(clients: Clients) -> str:
    """A Florence case: an adult refugee taken in on 2021-03-10, no vulnerability."""
    return str(record_intake(clients, "firenze")["case_id"])


def close_through_the_api(clients: Clients, case_id: str, **overrides: str) -> Any:
    return clients.coordinator("firenze").post(
        f"/api/v1/cases/{case_id}/closure", json={**CLOSURE, **overrides})


# -- closing -------------------------------------------------------------------------------------


def test_an_operator_closes_a_case_and_the_page_shows_status_outcome_and_timeline(
    clients: Clients, case_id: str
) -> None:
    operator = clients.operator("firenze")
    page = text_of(operator.get(f"/cases/{case_id}"))
    assert f'action="/cases/{case_id}/closure"' in page
    assert "/reopening" not in page and "/corrections" not in page  # coordinators only

    response = operator.post(f"/cases/{case_id}/closure", data=CLOSURE, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{case_id}?done=close_case"
    page = text_of(operator.get(f"/cases/{case_id}"))
    assert 'class="badge bg-secondary align-middle fs-6" id="case-status">Chiuso</span>' in page
    assert "Chiuso il 30 giugno 2021 con l'esito: Autonomia: abitazione e reddito propri." in page
    assert "Caso chiuso" in page
    assert "Motivo indicato: Rents a flat and works full time." in page
    closure_entry = page[page.index("Caso chiuso"):]
    assert "Da: Operatore comunale, Firenze" in closure_entry
    assert f'action="/cases/{case_id}/closure"' not in page  # closed: nothing to close


def test_a_closed_case_is_listed_under_the_closed_status(clients: Clients, case_id: str) -> None:
    other = record_intake(clients, "firenze", intake_date="2021-03-11")
    assert close_through_the_api(clients, case_id).status_code == 200
    client = clients.coordinator("firenze")

    closed = client.get("/api/v1/cities/firenze/cases", params={"status": "closed"}).json()
    opened = client.get("/api/v1/cities/firenze/cases", params={"status": "open"}).json()
    page = text_of(client.get("/cities/firenze/cases"))

    assert [item["case_id"] for item in closed["items"]] == [case_id]
    assert closed["items"][0]["outcome"] == "autonomy"
    assert closed["items"][0]["closed_on"] == "2021-06-30"
    assert [item["case_id"] for item in opened["items"]] == [other["case_id"]]
    assert '<option value="closed"' in page and ">Chiuso</option>" in page


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({**CLOSURE, "closed_on": "2021-03-09"}, "closed_on",
         ("La data di chiusura deve essere compresa tra il giorno della presa in carico (o "
          "della riapertura, o del trasferimento al Comune attuale) e oggi.")),
        ({**CLOSURE, "closed_on": "2099-01-01"}, "closed_on",
         ("La data di chiusura deve essere compresa tra il giorno della presa in carico (o "
          "della riapertura, o del trasferimento al Comune attuale) e oggi.")),
        ({**CLOSURE, "reason": "   "}, "reason", "Campo obbligatorio."),
        ({**CLOSURE, "reason": "x" * 501}, "reason",
         "Indicare il motivo, in non più di 500 caratteri."),
        ({**CLOSURE, "outcome": "vanished"}, "outcome", "Scegliere una delle opzioni proposte."),
        ({**CLOSURE, "closed_on": "30/06/2021"}, "closed_on",
         "Inserire una data valida (giorno, mese e anno)."),
    ],
)
def test_a_refused_closure_shows_the_form_again_and_writes_nothing(
    client: TestClient, platform: Platform, case_id: str, form: dict[str, str],
    field: str, message: str,
) -> None:
    before = platform.last_written_position()

    response = client.post(f"/cases/{case_id}/closure", data=form)

    assert response.status_code == 422
    page = text_of(response)
    assert f'<div class="invalid-feedback d-block" id="closure-{field}-error">{message}</div>' in (
        page)
    assert '<details class="lifecycle-form mt-3" id="closure" open>' in page
    assert platform.last_written_position() == before
    assert client.get(f"/api/v1/cases/{case_id}").json()["status"] == "open"


def test_a_closed_case_cannot_be_closed_again(
    clients: Clients, platform: Platform, case_id: str
) -> None:
    assert close_through_the_api(clients, case_id).status_code == 200
    before = platform.last_written_position()

    response = close_through_the_api(clients, case_id, closed_on="2021-07-01")

    assert response.status_code == 422
    assert response.json()["problems"][0]["code"] == "case_closed"
    assert platform.last_written_position() == before


# -- reopening -----------------------------------------------------------------------------------


def test_a_coordinator_reopens_a_closed_case_on_its_page(
    clients: Clients, case_id: str
) -> None:
    close_through_the_api(clients, case_id)
    coordinator = clients.coordinator("firenze")
    assert "/reopening" not in clients.operator("firenze").get(f"/cases/{case_id}").text

    response = coordinator.post(
        f"/cases/{case_id}/reopening",
        data={"reopened_on": "2021-09-01", "reason": "Lost the flat."}, follow_redirects=False)

    assert response.status_code == 303
    page = text_of(coordinator.get(f"/cases/{case_id}"))
    assert 'id="case-status">Aperto</span>' in page
    assert "Caso riaperto" in page and "Riaperto il 1 set 2021." in page
    assert "Motivo indicato: Lost the flat." in page
    assert page.index("Caso chiuso") < page.index("Caso riaperto")
    assert coordinator.get(f"/api/v1/cases/{case_id}").json()["outcome"] is None


def test_a_refused_reopening_writes_nothing(
    clients: Clients, platform: Platform, case_id: str
) -> None:
    coordinator = clients.coordinator("firenze")
    before = platform.last_written_position()
    still_open = coordinator.post(f"/api/v1/cases/{case_id}/reopening",
                                  json={"reopened_on": "2021-09-01", "reason": "Why not"})
    close_through_the_api(clients, case_id)
    closed = platform.last_written_position()
    before_closure = coordinator.post(
        f"/cases/{case_id}/reopening", data={"reopened_on": "2021-06-29", "reason": "Back"})

    assert still_open.status_code == 422
    assert still_open.json()["problems"][0]["code"] == "case_not_closed"
    assert before_closure.status_code == 422
    assert ("La data di riapertura deve essere compresa tra la data di chiusura e oggi."
            in text_of(before_closure))
    assert closed == (before or 0) + 1
    assert platform.last_written_position() == closed


# -- corrections ---------------------------------------------------------------------------------


def a_correction(**changes: Any) -> dict[str, Any]:
    """The correction form as the page posts it: every fact, as recorded unless changed."""
    form: dict[str, Any] = {"protection_status": "refugee", "sex": "female",
                            "citizenship": "ER", "household_size": "1", "vulnerabilities": [],
                            "reason": "The residence permit says otherwise."}
    form.update(changes)
    return form


def test_a_coordinator_corrects_the_protection_status_and_eligibility_follows(
    client: TestClient, case_id: str
) -> None:
    page = text_of(client.get(f"/cases/{case_id}"))
    assert '<option value="refugee" selected>' in page  # the form starts from the record

    response = client.post(f"/cases/{case_id}/corrections",
                           data=a_correction(protection_status="asylum_seeker"),
                           follow_redirects=False)

    assert response.status_code == 303
    case = client.get(f"/api/v1/cases/{case_id}").json()
    assert case["protection_status"] == "asylum_seeker"
    assert {e["sub_action"]: e["eligible"] for e in case["eligibility"]}["2"] is True
    page = text_of(client.get(f"/cases/{case_id}"))
    assert "Dati della presa in carico corretti" in page
    assert (f"Status di protezione: Status di rifugiato → Richiedente protezione internazionale "
            f"(primo grado) (corregge l'evento "
            f"{case_id}.1).") in page
    assert "Motivo indicato: The residence permit says otherwise." in page


def test_a_second_correction_names_the_first_one(client: TestClient, case_id: str) -> None:
    client.post(f"/api/v1/cases/{case_id}/corrections",
                json={"household_size": 3, "reason": "Two children were not counted."})
    response = client.post(f"/api/v1/cases/{case_id}/corrections",
                           json={"household_size": 4, "reason": "A third child."})

    assert response.status_code == 200
    page = text_of(client.get(f"/cases/{case_id}", params={"lang": "en"}))
    assert f"Household size: 1 → 3 (corrects event {case_id}.1)." in page
    assert f"Household size: 3 → 4 (corrects event {case_id}.2)." in page


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({}, "", "La correzione non cambia nulla: indicare almeno un valore diverso da quello "
                 "registrato."),
        ({"vulnerabilities": ["unaccompanied_minor"]}, "vulnerabilities",
         "Un adulto non può essere registrato come minore, e un minore resta registrato come "
         "tale."),
        ({"citizenship": "ZZ"}, "citizenship", "Scegliere la cittadinanza fra i Paesi proposti"),
        ({"household_size": "31"}, "household_size", "Inserire un numero non superiore a 30."),
        ({"protection_status": "asylum_seeker", "reason": ""}, "reason",
         "Campo obbligatorio."),
    ],
)
def test_a_refused_correction_shows_the_form_again_and_writes_nothing(
    client: TestClient, platform: Platform, case_id: str, changes: dict[str, Any],
    field: str, message: str,
) -> None:
    before = platform.last_written_position()

    response = client.post(f"/cases/{case_id}/corrections", data=a_correction(**changes))

    assert response.status_code == 422
    page = text_of(response)
    where = f'id="correction-{field}-error">' if field else 'id="correction-error">'
    assert where + message in page
    assert platform.last_written_position() == before


def test_a_correction_is_allowed_on_a_closed_case(clients: Clients, case_id: str) -> None:
    close_through_the_api(clients, case_id)
    response = clients.coordinator("firenze").post(
        f"/api/v1/cases/{case_id}/corrections", json={"sex": "male", "reason": "Typo"})

    assert response.status_code == 200
    assert response.json()["status"] == "closed"


# -- who sees what -------------------------------------------------------------------------------


def test_the_work_links_are_for_the_city_s_staff_while_the_case_is_open(
    clients: Clients, case_id: str
) -> None:
    links = (f'href="/cases/{case_id}/referrals/new"', f'href="/cases/{case_id}/housing"',
             'href="/cities/firenze/activities"')
    operator_page = clients.operator("firenze").get(f"/cases/{case_id}").text
    ministry_page = clients.ministry().get(f"/cases/{case_id}").text
    close_through_the_api(clients, case_id)
    closed_page = clients.operator("firenze").get(f"/cases/{case_id}").text

    assert all(link in operator_page for link in links)
    assert 'id="case-work"' in operator_page
    assert not any(link in ministry_page for link in links)
    assert 'id="case-work"' not in closed_page and not any(
        link in closed_page for link in links)


def test_oversight_sees_the_status_but_no_lifecycle_form(clients: Clients, case_id: str) -> None:
    close_through_the_api(clients, case_id)
    for overseer in (clients.ministry(), clients.auditor()):
        page = text_of(overseer.get(f"/cases/{case_id}"))
        assert 'id="case-status">Chiuso</span>' in page
        assert 'id="case-lifecycle"' not in page
        # The reason is in the vault (issue 16): oversight sees the closure, not the reason.
        assert "Caso chiuso" in page
        assert "Rents a flat" not in page and "Motivo indicato" not in page
        history = overseer.get(f"/api/v1/cases/{case_id}").json()["history"]
        assert "Rents a flat" not in str(history)
    staff_history = clients.coordinator("firenze").get(f"/api/v1/cases/{case_id}").json()
    assert [e["type"] for e in staff_history["history"]][-1] == "it.lgnet.case.closed.v2"


def test_the_api_documents_the_lifecycle_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for action in ("closure", "reopening", "corrections"):
        operation = paths[f"/api/v1/cases/{{case_id}}/{action}"]["post"]
        assert "422" in operation["responses"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]


def test_the_api_refuses_unknown_fields_and_cases(
    client: TestClient, platform: Platform, case_id: str
) -> None:
    before = platform.last_written_position()
    extra = client.post(f"/api/v1/cases/{case_id}/corrections",
                        json={"intake_date": "2021-03-01", "reason": "Wrong date"})
    unknown = client.post(f"/api/v1/cases/{uuid4()}/closure", json=CLOSURE)

    assert extra.status_code == 422
    assert extra.json()["problems"][0]["field"] == "intake_date"
    assert unknown.status_code == 404
    assert platform.last_written_position() == before


# -- a transferred case --------------------------------------------------------------------------


def a_milan_coordinator() -> Actor:
    return Actor(ActorKind.USER, "milano.coordinator", Role.CITY_COORDINATOR, City.MILANO)


def test_the_old_city_sees_only_the_handover_and_the_history_up_to_the_transfer(
    clients: Clients, platform: Platform
) -> None:
    created = record_intake(clients, "firenze", vulnerabilities=["trafficking_victim"])
    case_id = UUID(created["case_id"])
    clients.coordinator("firenze").post(
        f"/api/v1/cases/{case_id}/corrections",
        json={"household_size": 2, "reason": "Her brother lives with her."})
    # Accepting a transfer referral moves the case, as the referrals service does it.
    case = platform.cases.get(case_id)
    assert isinstance(case, Case)
    case.transfer_to(City.MILANO, uuid4(), platform.now().date(), a_milan_coordinator(),
                     platform.now())
    platform.record.save(case)
    follower_of(platform).catch_up()
    milan = clients.coordinator("milano")
    before_the_transfer = milan.post(f"/cases/{case_id}/closure", data=CLOSURE)
    assert before_the_transfer.status_code == 422  # Milan had not got the case in June 2021
    assert milan.post(f"/cases/{case_id}/closure",
                      data={**CLOSURE, "closed_on": platform.now().date().isoformat(),
                            "reason": "Moved on to Switzerland"},
                      follow_redirects=False).status_code == 303

    new_city = text_of(milan.get(f"/cases/{case_id}"))
    old_city = clients.operator("firenze").get(f"/cases/{case_id}")
    old_page = text_of(old_city)

    assert "Caso trasferito a un altro Comune" in new_city
    assert "Trasferito da Firenze a Milano" in new_city
    assert "Moved on to Switzerland" in new_city
    assert "Vittime della tratta" in new_city  # the new city sees the facts

    assert old_city.status_code == 200
    assert created["case_code"] in old_page
    assert "Trasferito a Milano il" in old_page
    assert "Caso trasferito a un altro Comune" in old_page
    assert "Dati della presa in carico corretti" in old_page
    assert "Caso chiuso" not in old_page and "Switzerland" not in old_page
    assert "Vittime della tratta" not in old_page  # no facts as they are now
    assert 'action="/cases' not in old_page
    assert "Tesfaye" not in old_page and "Amanuel" not in old_page

    for outsider in (clients.operator("roma"), clients.coordinator("roma")):
        assert outsider.get(f"/cases/{case_id}").status_code == 404
    assert clients.coordinator("firenze").get(f"/api/v1/cases/{case_id}").status_code == 404
    assert clients.coordinator("firenze").post(
        f"/cases/{case_id}/reopening",
        data={"reopened_on": "2021-07-01", "reason": "x"}).status_code == 404
    listing = clients.operator("firenze").get("/api/v1/cities/firenze/cases").json()
    assert str(case_id) not in {item["case_id"] for item in listing["items"]}
    assert created["case_code"] not in clients.operator("firenze").get(
        "/cities/firenze/cases").text
    milan_list = milan.get("/api/v1/cities/milano/cases").json()
    assert [item["case_id"] for item in milan_list["items"]] == [str(case_id)]


def test_the_english_page_reads_the_lifecycle_in_english(clients: Clients, case_id: str) -> None:
    close_through_the_api(clients, case_id, outcome="lost_contact")
    page = text_of(clients.coordinator("firenze").get(f"/cases/{case_id}",
                                                      params={"lang": "en"}))

    assert "Closed on June 30, 2021 with the outcome: Contact lost." in page
    assert "Case closed" in page and "Reopen the case" in page
    assert "Reason given: Rents a flat and works full time." in page


def test_a_partner_sees_neither_the_status_nor_the_outcome(clients: Clients, case_id: str) -> None:
    """Its feed carries no closure (events.partner), so neither does its API (issue 18 item 12):
    the case as its intake copy says it."""
    close_through_the_api(clients, case_id, outcome="deceased")
    partner = clients.partner("firenze")

    case = partner.get(f"/api/v1/cases/{case_id}").json()
    closing = partner.post(f"/api/v1/cases/{case_id}/closure", json=CLOSURE)

    assert (case["status"], case["outcome"], case["closed_on"]) == (None, None, None)
    assert [entry["type"] for entry in case["history"]] == ["it.lgnet.case.intake_recorded.v2"]
    assert closing.status_code == 403


# -- status decisions ----------------------------------------------------------------------------


def test_a_decision_is_a_change_of_status_on_the_page_and_eligibility_follows_from_its_date(
    clients: Clients,
) -> None:
    """Issue 12 item 4: a territorial commission's decision is a StatusChanged of its own, not a
    correction; the history keeps the applicant status up to the decision's date."""
    applicant = record_intake(clients, "firenze", protection_status="asylum_seeker",
                              reception_situation="in_reception", left_reception_on=None,
                              reception_centre_kind="cas")
    case_id = applicant["case_id"]
    operator = clients.operator("firenze")
    page = text_of(operator.get(f"/cases/{case_id}"))
    assert f'action="/cases/{case_id}/status"' in page  # everyday work: operators too

    response = operator.post(f"/cases/{case_id}/status", follow_redirects=False, data={
        "decided_on": "2021-03-11", "protection_status": "refugee",
        "permit_expires_on": "2026-03-10"})

    assert response.status_code == 303
    case = operator.get(f"/api/v1/cases/{case_id}").json()
    assert (case["protection_status"], case["permit_expires_on"]) == ("refugee", "2026-03-10")
    assert {e["sub_action"]: e["eligible"] for e in case["eligibility"]}["2"] is False
    assert case["priority_group"] == "international_protection"
    assert [entry["type"] for entry in case["history"]] == [
        "it.lgnet.case.intake_recorded.v2", "it.lgnet.case.status_changed.v1"]
    page = text_of(operator.get(f"/cases/{case_id}"))
    history = page[page.index('id="status-history"'):page.index('id="legal-basis"')]
    assert "Richiedente protezione internazionale (primo grado)" in history
    assert "Status di rifugiato" in history and "10 mar 2026" in history
    assert "Cambio di status di protezione" in page
    assert "Dal 11 mar 2021: Status di rifugiato, permesso in scadenza il 10 mar 2026." in page


def test_a_decision_that_changes_nothing_is_refused_next_to_the_form_and_writes_nothing(
    clients: Clients, platform: Platform, case_id: str,
) -> None:
    before = platform.last_written_position()
    response = clients.operator("firenze").post(f"/cases/{case_id}/status", data={
        "decided_on": "2021-03-11", "protection_status": "refugee"})
    assert response.status_code == 422
    assert "La decisione non cambia nulla" in text_of(response)
    assert 'id="status" open' in response.text
    assert platform.last_written_position() == before

"""A person's identifiers on the case page and through the API: shown to the case's city staff
for a stated reason, logged first (who, when, which case, why: the audit page lists it), and to
an auditor only under a grant of the ministry that has not expired; refused to everyone else.
Erasure (GDPR art. 17) by the city's coordinator: the identifiers are gone, the case stays in
every list and figure; a refusal writes nothing."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.vault import AccessReason, IdentifierAccess
from infra.bootstrap import Platform
from tests.web.conftest import Clients, clock_of, record_intake, sign_in
from web.kit.authentication import CSRF_HEADER

IDENTIFIERS = ("Amanuel", "Tesfaye", "PS1234567", "+39 333 1234567")
SHOW_IDENTIFIERS = "Mostrare i dati identificativi"
ERASED = "Dati personali cancellati il"


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def shows_identifiers(response: Any) -> bool:
    return all(identifier in text_of(response) for identifier in IDENTIFIERS)


def shows_no_identifier(response: Any) -> bool:
    return not any(identifier in text_of(response) for identifier in IDENTIFIERS)


def reveal(client: TestClient, case_id: str, reason: str = "contact_person") -> Any:
    return client.post(f"/cases/{case_id}/identifiers", data={"reason": reason})


def reveal_api(client: TestClient, case_id: str, reason: str = "contact_person") -> Any:
    return client.post(f"/api/v1/cases/{case_id}/identifiers", json={"reason": reason})


def erasure_form(**overrides: str | None) -> dict[str, str]:
    form: dict[str, str | None] = {
        "requested_on": "2021-04-02", "request_reference": "PG/2021/0001234", "confirm": "yes"}
    form.update(overrides)
    return {name: value for name, value in form.items() if value is not None}


def grant(clients: Clients, **overrides: str) -> Any:
    form = {"grantee": "auditor", "city": "firenze", "hours": "2",
            "reason": "Verifica a campione 2021/7"}
    form.update(overrides)
    return clients.ministry().post("/audit/grants", data=form, follow_redirects=False)


def logged(platform: Platform) -> list[IdentifierAccess]:
    return platform.vault.accesses()


@pytest.fixture
def case(clients: Clients) -> dict[str, Any]:
    """A Florence case of Amanuel Tesfaye (conftest's intake)."""
    return record_intake(clients, "firenze")


# --- reading identifiers -----------------------------------------------------------------------


def test_the_city_s_staff_see_identifiers_for_a_reason_and_the_reading_is_logged_first(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    operator = clients.operator("firenze")
    page = operator.get(f"/cases/{case['case_id']}")

    shown = reveal(operator, case["case_id"], "referral_to_service")

    assert page.status_code == 200 and SHOW_IDENTIFIERS in text_of(page)
    assert shows_no_identifier(page)
    assert shown.status_code == 200
    assert shows_identifiers(shown)
    assert "2 maggio 1994" in text_of(shown)
    assert shown.headers["cache-control"] == "no-store"
    assert ("Questa consultazione è stata registrata con il nome dell'utente, l'ora e il motivo: "
            "Per inviare la persona a un servizio.") in text_of(shown)
    [access] = logged(platform)
    assert (access.actor_id, access.actor_role, access.actor_city) == (
        "firenze.operator", "city_operator", "firenze")
    assert (access.case_id, access.case_code) == (UUID(case["case_id"]), case["case_code"])
    assert access.reason is AccessReason.REFERRAL_TO_SERVICE
    assert access.at == platform.clock()


def test_the_audit_page_and_api_say_who_read_which_case_s_identifiers_when_and_why(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    reveal(clients.operator("firenze"), case["case_id"], "contact_person")
    clock_of(platform).advance(timedelta(minutes=5))
    api = reveal_api(clients.coordinator("firenze"), case["case_id"], "identity_check")

    page = clients.auditor().get("/audit/identifier-access")
    listed = clients.ministry().get("/api/v1/audit/identifier-access").json()

    assert api.status_code == 200
    assert api.headers["cache-control"] == "no-store"
    assert api.json()["identifiers"] == {
        "given_name": "Amanuel", "family_name": "Tesfaye", "birth_date": "1994-05-02",
        "document_number": "PS1234567", "phone": "+39 333 1234567", "email": None,
        "tax_code": None,
    }
    assert api.json()["reason"] == "identity_check"
    rows = re.findall(r'<tr class="access">(.*?)</tr>', page.text, re.S)
    assert len(rows) == 2
    newest = html.unescape(rows[0])
    assert "firenze.coordinator" in newest and "Coordinatore comunale, Firenze" in newest
    assert case["case_code"] in newest and "Per verificare l'identità della persona" in newest
    assert f'datetime="{platform.clock().isoformat()}"' in newest
    assert "firenze.operator" in rows[1] and "Per contattare la persona" in html.unescape(rows[1])
    assert shows_no_identifier(page)
    assert [(item["actor_id"], item["reason"], item["case_code"]) for item in listed["items"]] == [
        ("firenze.coordinator", "identity_check", case["case_code"]),
        ("firenze.operator", "contact_person", case["case_code"]),
    ]
    assert listed["has_next"] is False


def test_identifiers_are_refused_to_another_city_the_ministry_partners_and_an_auditor(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    case_id = case["case_id"]
    refusals = {
        "Milan coordinator": (clients.coordinator("milano"), 404, 404),
        "ministry": (clients.ministry(), 403, 403),
        "auditor without grant": (clients.auditor(), 403, 403),
    }
    for who, (client, page_status, api_status) in refusals.items():
        page, api = reveal(client, case_id), reveal_api(client, case_id)
        assert (page.status_code, api.status_code) == (page_status, api_status), who
        assert shows_no_identifier(page) and shows_no_identifier(api), who
        case_page = client.get(f"/cases/{case_id}")
        assert SHOW_IDENTIFIERS not in text_of(case_page), who
    florence_partner, milan_partner = clients.partner("firenze"), clients.partner("milano")
    assert reveal_api(florence_partner, case_id).status_code == 403
    assert reveal_api(milan_partner, case_id).status_code == 403  # partners only read (issue 18)
    page = florence_partner.post(f"/cases/{case_id}/identifiers",
                                 data={"reason": "contact_person"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
    assert logged(platform) == []


def test_a_reading_needs_a_reason_from_the_list_and_staff_may_not_claim_an_audit_grant(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    coordinator = clients.coordinator("firenze")

    missing = coordinator.post(f"/cases/{case['case_id']}/identifiers", data={})
    invented = reveal(coordinator, case["case_id"], "curiosity")
    claimed = reveal(coordinator, case["case_id"], "audit_grant")
    claimed_api = reveal_api(coordinator, case["case_id"], "audit_grant")

    assert missing.status_code == invented.status_code == claimed.status_code == 422
    assert "Campo obbligatorio." in text_of(missing)
    assert "Scegliere una delle opzioni proposte." in text_of(invented)
    assert "Scegliere una delle opzioni proposte." in text_of(claimed)
    assert claimed_api.status_code == 422
    assert claimed_api.json()["problems"][0]["field"] == "reason"
    for refused in (missing, invented, claimed, claimed_api):
        assert shows_no_identifier(refused)
    assert 'value="audit_grant"' not in coordinator.get(f"/cases/{case['case_id']}").text
    assert logged(platform) == []


def test_identifiers_are_only_posted_for_never_fetched_nor_put_in_a_url(
    client: TestClient, case: dict[str, Any]
) -> None:
    page = client.get(f"/cases/{case['case_id']}").text
    fetched = client.get(f"/cases/{case['case_id']}/identifiers")
    fetched_api = client.get(f"/api/v1/cases/{case['case_id']}/identifiers")

    [form] = re.findall(r'<form method="post" action="([^"]+)" class="identifiers-form', page)
    assert form == f"/cases/{case['case_id']}/identifiers"
    assert fetched.status_code == fetched_api.status_code == 405
    assert shows_no_identifier(fetched) and shows_no_identifier(fetched_api)


def test_reading_identifiers_needs_the_session_s_csrf_token(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    coordinator = sign_in(clients.anonymous(), "firenze.coordinator")
    token = coordinator.headers.pop(CSRF_HEADER)

    page = reveal(coordinator, case["case_id"])
    api = reveal_api(coordinator, case["case_id"])
    wrong = coordinator.post(f"/cases/{case['case_id']}/identifiers",
                             data={"reason": "contact_person", "csrf_token": "0" * 64})
    right = coordinator.post(f"/cases/{case['case_id']}/identifiers",
                             data={"reason": "contact_person", "csrf_token": token})

    assert page.status_code == api.status_code == wrong.status_code == 403
    for refused in (page, api, wrong):
        assert shows_no_identifier(refused)
    assert right.status_code == 200 and shows_identifiers(right)
    assert len(logged(platform)) == 1


# --- grants to auditors ------------------------------------------------------------------------


def test_an_auditor_reads_a_city_s_identifiers_under_a_grant_until_it_expires(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    auditor = clients.auditor()
    milan_case = record_intake(clients, "milano")

    given = grant(clients, hours="2")
    audit_page = text_of(auditor.get("/audit/identifier-access"))
    case_page = auditor.get(f"/cases/{case['case_id']}").text
    refused_reason = reveal(auditor, case["case_id"], "contact_person")
    shown = reveal(auditor, case["case_id"], "audit_grant")
    shown_api = reveal_api(auditor, case["case_id"], "audit_grant")
    other_city = reveal(auditor, milan_case["case_id"], "audit_grant")

    assert given.status_code == 303
    [row] = re.findall(r'<tr class="grant"[^>]*>(.*?)</tr>', audit_page, re.S)
    for shown_in_row in ("auditor", "Firenze", "Verifica a campione 2021/7", "ministry",
                         "Attiva"):
        assert shown_in_row in row
    assert re.findall(r'<option value="(\w+)"', case_page) == ["audit_grant"]
    assert refused_reason.status_code == 422 and shows_no_identifier(refused_reason)
    assert shown.status_code == 200 and shows_identifiers(shown)
    assert shown_api.status_code == 200 and shown_api.json()["identifiers"]["family_name"] == (
        "Tesfaye")
    assert other_city.status_code == 403
    assert [(a.actor_id, a.actor_role, a.reason) for a in logged(platform)] == [
        ("auditor", "auditor", AccessReason.AUDIT_GRANT)] * 2

    clock_of(platform).advance(timedelta(hours=2))
    auditor = sign_in(clients.anonymous(), "auditor")  # the old session idled out meanwhile
    expired = reveal(auditor, case["case_id"], "audit_grant")
    expired_api = reveal_api(auditor, case["case_id"], "audit_grant")

    assert expired.status_code == expired_api.status_code == 403
    assert shows_no_identifier(expired) and shows_no_identifier(expired_api)
    assert SHOW_IDENTIFIERS not in text_of(auditor.get(f"/cases/{case['case_id']}"))
    assert "Scaduta" in text_of(auditor.get("/audit/identifier-access"))
    assert len(logged(platform)) == 2


def test_the_ministry_revokes_a_grant_before_it_expires(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    auditor = clients.auditor()
    grant(clients, hours="72")
    [given] = platform.accounts.grants()

    revoked = clients.ministry().post(f"/audit/grants/{given.grant_id}/revoke",
                                      follow_redirects=False)
    again = clients.ministry().post(f"/audit/grants/{given.grant_id}/revoke")

    assert revoked.status_code == 303
    assert reveal(auditor, case["case_id"], "audit_grant").status_code == 403
    assert again.status_code == 404
    assert "Revocata da ministry il" in text_of(clients.ministry().get("/audit/identifier-access"))
    assert logged(platform) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": "73"}, "Inserire un numero non superiore a 72."),
        ({"hours": "0"}, "Inserire un numero"),
        ({"grantee": "firenze.operator"}, "Non esiste alcun revisore attivo con questo nome"),
        ({"grantee": "nobody"}, "Non esiste alcun revisore attivo con questo nome"),
        ({"reason": "  "}, "Campo obbligatorio."),
        ({"city": "atlantis"}, "Scegliere una delle opzioni proposte."),
    ],
)
def test_a_grant_that_breaks_a_rule_is_refused_in_words_and_not_given(
    clients: Clients, platform: Platform, change: dict[str, str], message: str
) -> None:
    clients.auditor()
    clients.operator("firenze")

    refused = grant(clients, **change)

    assert refused.status_code == 422
    assert message in text_of(refused)
    assert platform.accounts.grants() == []


def test_only_the_ministry_gives_grants(clients: Clients, platform: Platform) -> None:
    for giver in (clients.auditor(), clients.coordinator("firenze")):
        refused = giver.post("/audit/grants", data={
            "grantee": "auditor", "city": "firenze", "hours": "2", "reason": "Mine"})
        assert refused.status_code == 403
    assert platform.accounts.grants() == []


def test_the_access_log_is_paginated_newest_first(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    start = platform.clock()
    for minute in range(60):
        platform.vault.record_access(IdentifierAccess(
            at=start + timedelta(minutes=minute), actor_id=f"user{minute:02d}",
            actor_role="city_operator", actor_city="firenze", case_id=UUID(case["case_id"]),
            case_code=case["case_code"], reason=AccessReason.CONTACT_PERSON,
        ))
    auditor = clients.auditor()

    first, second = (auditor.get("/audit/identifier-access", params={"page": page}).text
                     for page in (1, 2))
    api = auditor.get("/api/v1/audit/identifier-access",
                      params={"page": 3, "page_size": 20}).json()

    assert first.count('<tr class="access">') == 50
    assert "user59" in first and "user10" in first and "user09" not in first
    assert 'href="/audit/identifier-access?page=2"' in first
    assert second.count('<tr class="access">') == 10 and "user09" in second
    assert 'href="/audit/identifier-access?page=1"' in second
    assert 'page=3' not in second
    assert [item["actor_id"] for item in api["items"]][:2] == ["user19", "user18"]
    assert len(api["items"]) == 20 and api["has_next"] is False


# --- erasure -----------------------------------------------------------------------------------


def test_a_coordinator_erases_the_personal_data_and_the_case_stays_in_lists_and_figures(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    other = record_intake(clients, "firenze")
    coordinator = clients.coordinator("firenze")
    case_id = case["case_id"]

    erased = coordinator.post(f"/cases/{case_id}/erasure", data=erasure_form(),
                              follow_redirects=False)
    page = coordinator.get(erased.headers["location"])

    assert erased.status_code == 303
    assert erased.headers["location"] == f"/cases/{case_id}?done=erase_personal_data"
    assert ERASED in text_of(page)
    assert "(richiesta PG/2021/0001234 del 2 apr 2021)" in text_of(page)
    assert SHOW_IDENTIFIERS not in text_of(page) and "erasure-form" not in page.text
    assert platform.vault.read(UUID(case_id)) is None
    assert platform.vault.read(UUID(other["case_id"])) is not None

    after = reveal(coordinator, case_id)
    after_api = reveal_api(coordinator, case_id).json()
    assert after.status_code == 200 and ERASED in text_of(after) and shows_no_identifier(after)
    assert after_api["identifiers"] is None
    assert after_api["erasure"]["request_reference"] == "PG/2021/0001234"
    assert logged(platform) == []  # nothing was left to read

    listed = coordinator.get("/api/v1/cities/firenze/cases").json()
    assert case["case_code"] in [item["case_code"] for item in listed["items"]]
    assert listed["total"] == 2
    assert case["case_code"] in coordinator.get("/cities/firenze/cases").text
    overview = clients.ministry().get("/ministry").text
    [firenze] = re.findall(r'<tr data-city="firenze">(.*?)</tr>', overview, re.S)
    assert re.findall(r'<td class="text-end">([\d.]+)</td>', firenze)[0] == "2"


def test_erasure_through_the_api_answers_the_erasure_and_a_second_one_is_refused(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    coordinator = clients.coordinator("firenze")
    body = {"requested_on": "2021-04-02", "request_reference": "PG/2021/0001234"}

    erased = coordinator.post(f"/api/v1/cases/{case['case_id']}/erasure", json=body)
    position = platform.last_written_position()
    again = coordinator.post(f"/api/v1/cases/{case['case_id']}/erasure", json=body)

    assert erased.status_code == 200
    assert erased.json()["case_code"] == case["case_code"]
    assert erased.json()["position"] == position
    assert erased.json()["erasure"]["requested_on"] == "2021-04-02"
    assert again.status_code == 422
    assert again.json()["problems"][0]["code"] == "personal_data_already_erased"
    assert again.json()["message"] == (
        "I dati identificativi della persona sono già stati cancellati: non resta nulla da "
        "cancellare.")
    assert platform.last_written_position() == position


def test_an_operator_may_not_erase(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    operator = clients.operator("firenze")
    before = platform.last_written_position()

    page = operator.post(f"/cases/{case['case_id']}/erasure", data=erasure_form())
    api = operator.post(f"/api/v1/cases/{case['case_id']}/erasure",
                        json={"requested_on": "2021-04-02", "request_reference": "PG/1"})

    assert page.status_code == api.status_code == 403
    assert "erasure-form" not in operator.get(f"/cases/{case['case_id']}").text
    assert platform.last_written_position() == before
    assert platform.vault.read(UUID(case["case_id"])) is not None


def test_erasure_by_another_city_s_coordinator_is_not_found(
    clients: Clients, platform: Platform, case: dict[str, Any]
) -> None:
    refused = clients.coordinator("milano").post(f"/cases/{case['case_id']}/erasure",
                                                  data=erasure_form())

    assert refused.status_code == 404
    assert platform.vault.read(UUID(case["case_id"])) is not None


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (erasure_form(request_reference=""), "Indicare il riferimento (numero di protocollo)"),
        (erasure_form(request_reference="x" * 61),
         "Indicare il riferimento (numero di protocollo)"),
        (erasure_form(requested_on="2030-01-01"),
         "La richiesta di cancellazione non può avere una data futura."),
        (erasure_form(requested_on=""), "Inserire una data valida"),
        (erasure_form(confirm=None), "Spuntare la casella per confermare la cancellazione"),
    ],
)
def test_an_erasure_refused_by_a_rule_is_explained_and_writes_nothing(
    clients: Clients, platform: Platform, case: dict[str, Any], form: dict[str, str],
    message: str,
) -> None:
    coordinator = clients.coordinator("firenze")
    before = platform.last_written_position()

    refused = coordinator.post(f"/cases/{case['case_id']}/erasure", data=form)

    assert refused.status_code == 422
    assert message in text_of(refused)
    assert "<details class=\"erasure mt-4\" open>" in refused.text
    assert platform.last_written_position() == before
    assert platform.vault.read(UUID(case["case_id"])) is not None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"requested_on": "2021-04-02", "request_reference": "  "}, "invalid_erasure_request"),
        ({"requested_on": "2030-01-01", "request_reference": "PG/1"}, "invalid_erasure_request"),
        ({"request_reference": "PG/1"}, "missing"),
    ],
)
def test_an_erasure_refused_through_the_api_writes_nothing(
    clients: Clients, platform: Platform, case: dict[str, Any], body: dict[str, str],
    code: str,
) -> None:
    before = platform.last_written_position()

    refused = clients.coordinator("firenze").post(f"/api/v1/cases/{case['case_id']}/erasure",
                                                   json=body)

    assert refused.status_code == 422
    assert refused.json()["problems"][0]["code"] == code
    assert platform.last_written_position() == before
    assert platform.vault.read(UUID(case["case_id"])) is not None

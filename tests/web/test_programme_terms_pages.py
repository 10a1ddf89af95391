"""The programme's terms on the pages (issue 12, items 9-11): the terms page for everyone signed
in, the answer times in force beside every referral, the refusals after the period's end in
words, and what a decision of the Ministry changes."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from domain.programme import Actor, ActorKind, AnswerTimes, City, Role
from infra.bootstrap import Platform
from tests.web.conftest import Clients, an_intake_payload, clock_of, record_intake, sign_in
from tests.web.test_as_of_pages import rome_time

MINISTRY = Actor(ActorKind.USER, "ministero", Role.MINISTRY)
HEALTH = {"destination_kind": "city_service", "service": "health"}


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def after_the_end(clients: Clients, platform: Platform) -> TestClient:
    """Move the clock into January 2022 and sign Milan's operator in again (sessions idle out
    meanwhile)."""
    clients.operator("milano")  # the user exists from here on
    clock_of(platform).advance(date(2022, 1, 10) - platform.clock().date())
    return sign_in(clients.anonymous(), "milano.operator")


def test_the_terms_page_shows_the_card_s_terms_before_any_decision(clients: Clients) -> None:
    """Card: "Inizio progetto: 01/07/2019", "Fine progetto: 31/12/2021", 19 Comuni; answer times
    that are not the card's say so."""
    for client in (clients.operator("milano"), clients.ministry(), clients.auditor()):
        page = client.get("/programme")
        assert page.status_code == 200
    page = text_of(clients.operator("milano").get("/programme"))
    assert "Dal 1 luglio 2019 al 31 dicembre 2021." in page
    assert page.count('data-city="') == 19 and "Partner oggi" in page
    assert "Immediata: 24 ore" in page and "Urgente: 72 ore" in page
    assert "Ordinaria: 15 giorni" in page and "Valori iniziali della piattaforma" in page
    assert "Protezione internazionale: 2.000" in page and "Vulnerabilità: 1.000" in page
    assert 'id="no-decisions"' in page and 'id="period-notice"' not in page


def test_after_the_period_s_end_new_work_is_refused_in_words_and_writes_nothing(
    clients: Clients, platform: Platform,
) -> None:
    """Issue 12, item 10: "intakes, referrals, placements, activities and claims are refused
    outside the programme's period ... unless an amendment extends it"."""
    case = record_intake(clients, "milano")
    operator = after_the_end(clients, platform)
    form = text_of(operator.get(f"/cases/{case['case_id']}/referrals/new"))
    assert 'id="period-notice"' in form
    before = platform.last_written_position()

    refused = operator.post(f"/cases/{case['case_id']}/referrals", data={**HEALTH, "urgency": ""})
    api = operator.post(f"/api/v1/cases/{case['case_id']}/referrals", json=HEALTH)
    intake = operator.post("/api/v1/cities/milano/intakes", json={
        **an_intake_payload(intake_date="2022-01-05")})
    waitlist = operator.post(f"/api/v1/cases/{case['case_id']}/housing/waitlist")

    assert refused.status_code == 422
    assert ("Oggi è fuori dal periodo del programma (dal 1 luglio 2019 al 31 dicembre 2021): "
            "non si possono registrare nuovi invii") in text_of(refused)
    assert api.status_code == 422
    assert api.json()["problems"][0]["code"] == "outside_programme_period"
    assert intake.status_code == 422
    assert intake.json()["problems"][0] | {"message": ""} == {
        "code": "outside_programme_period", "field": "intake_date", "message": ""}
    assert waitlist.status_code == 422
    assert waitlist.json()["problems"][0]["code"] == "outside_programme_period"
    assert platform.last_written_position() == before
    # What ends work is still recorded after the end: the case is closed.
    closed = operator.post(f"/api/v1/cases/{case['case_id']}/closure", json={
        "outcome": "autonomy", "closed_on": "2022-01-10", "reason": "Lavoro e casa"})
    assert closed.status_code == 200, closed.text


def test_a_decision_of_the_ministry_changes_what_the_pages_show_and_what_is_accepted(
    clients: Clients, platform: Platform,
) -> None:
    """Issue 12: the period and the answer times are the Ministry's decisions, recorded as
    events, shown on the pages, read by the rules."""
    case = record_intake(clients, "milano")
    operator = after_the_end(clients, platform)
    platform.programme_terms.extend_period(date(2022, 6, 30), date(2022, 1, 7), "DM 12/2022",
                                           MINISTRY, platform.now())
    platform.programme_terms.set_answer_times(
        AnswerTimes(timedelta(hours=12), timedelta(hours=48), timedelta(days=10)),
        date(2022, 1, 7), "Circ. 3/2022", MINISTRY, platform.now())

    page = text_of(operator.get("/programme"))
    assert "Dal 1 luglio 2019 al 30 giugno 2022." in page
    assert "Prorogato dal Ministero il 7 gennaio 2022 (atto DM 12/2022)." in page
    assert "Immediata: 12 ore" in page and "Urgente: 48 ore" in page
    assert "Ordinaria: 10 giorni" in page
    assert "Stabiliti dal Ministero il 7 gennaio 2022 (atto Circ. 3/2022)." in page
    assert page.count('data-kind="') == 3  # the card's terms, then the two decisions
    form = text_of(operator.get(f"/cases/{case['case_id']}/referrals/new"))
    assert 'id="period-notice"' not in form and "Urgente: 48 ore" in form

    created = operator.post(f"/api/v1/cases/{case['case_id']}/referrals",
                            json={**HEALTH, "urgency": "immediate"})
    assert created.status_code == 201, created.text
    referral = created.json()["referral"]
    due_in = (datetime.fromisoformat(referral["due_at"])
              - datetime.fromisoformat(referral["requested_at"]))
    assert due_in == timedelta(hours=12)


def test_a_withdrawn_city_takes_no_intake_from_its_withdrawal_and_its_page_says_so(
    clients: Clients, platform: Platform,
) -> None:
    """Issue 12: "a withdrawn city refuses new intakes from the withdrawal date"."""
    platform.programme_terms.withdraw_city(City.MILANO, date(2021, 10, 1), date(2021, 9, 30),
                                           "DM 9/2021", MINISTRY, platform.now())
    coordinator = clients.coordinator("milano")
    before = coordinator.post("/api/v1/cities/milano/intakes", json={
        **an_intake_payload(intake_date="2021-09-30")})
    after = coordinator.post("/api/v1/cities/milano/intakes", json={
        **an_intake_payload(intake_date="2021-10-01")})

    assert before.status_code == 201, before.text
    assert after.status_code == 422
    (problem,) = after.json()["problems"]
    assert (problem["code"], problem["field"]) == ("not_a_partner_city", "city")
    assert problem["message"].startswith("Il 1 ottobre 2021 Milano non è partner del programma")
    page = text_of(coordinator.get("/programme"))
    assert "Milano non è più partner dal 1 ottobre 2021." in page
    assert page.count('data-city="') == 19


def test_as_of_a_moment_the_pages_judge_by_the_terms_then_in_force(
    clients: Clients, platform: Platform,
) -> None:
    """As-of replay keeps working over a record holding the Ministry's decisions, and the terms
    page shows the terms as they were at the chosen moment."""
    record_intake(clients, "milano")
    before_the_decision = platform.now()
    clock_of(platform).advance(timedelta(minutes=5))
    platform.programme_terms.extend_period(date(2022, 6, 30), date(2021, 10, 4), "DM 12/2021",
                                           MINISTRY, platform.now())
    clock_of(platform).advance(timedelta(minutes=5))
    auditor = clients.auditor()

    def as_of(moment: datetime) -> str:
        chosen = auditor.get("/as-of", params={"moment": rome_time(moment), "next": "/"},
                             follow_redirects=False)
        assert chosen.status_code == 303, chosen.text
        return text_of(auditor.get("/programme"))

    assert "Dal 1 luglio 2019 al 31 dicembre 2021." in as_of(before_the_decision)
    assert 'id="no-decisions"' in as_of(before_the_decision)
    later = as_of(platform.now())
    assert "Dal 1 luglio 2019 al 30 giugno 2022." in later and "DM 12/2021" in later
    # The case list replayed over the same record, decisions included, still shows the case.
    assert "MI-2021-00001" in auditor.get("/cities/milano/cases").text

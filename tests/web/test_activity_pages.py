"""Community activities through the pages and the API: the register per city and sub-action,
an activity's participants, sessions and hours, and every refusal, which writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.cases.rules import CaseOutcome
from domain.programme import City
from infra.bootstrap import Platform
from tests.builders import a_coordinator
from tests.web.conftest import Clients, follower_of, record_intake

CIVIC_REFUSAL_IT = (
    "La Sub-Azione 2 è riservata esclusivamente ai richiedenti protezione internazionale (art. 8 "
    "della legge 46/2017, che modifica il d.lgs. 142/2015) e la persona non è richiedente "
    "protezione internazionale."
)
CIVIC_REFUSAL_EN = (
    "Sub-Action 2 is reserved for applicants for international protection (art. 8 of law "
    "46/2017, amending d.lgs. 142/2015), and the person is not an asylum seeker."
)


def an_activity_plan(**overrides: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "sub_action": "3",
        "kind": "neighbourhood_mediation",
        "title": "Mediazione dei conflitti di vicinato",
        "neighbourhood": "Quarto Oggiaro",
        "starts_on": "2021-03-01",
        "ends_on": "2021-06-30",
        "organiser": "Ufficio Mediazione Sociale",
    }
    plan.update(overrides)
    return plan


def plan_activity(clients: Clients, city: str = "milano", **overrides: Any) -> str:
    response = clients.coordinator(city).post(f"/api/v1/cities/{city}/activities",
                                              json=an_activity_plan(**overrides))
    assert response.status_code == 201, response.text
    activity_id: str = response.json()["activity_id"]
    assert response.headers["location"] == f"/api/v1/activities/{activity_id}"
    return activity_id


def enrol(client: TestClient, activity_id: str, **body: Any) -> Any:
    return client.post(f"/api/v1/activities/{activity_id}/participants", json=body)


def a_session(**overrides: Any) -> dict[str, Any]:
    session: dict[str, Any] = {"held_on": "2021-03-15", "hours": "2", "attended": [],
                               "residents": 0}
    session.update(overrides)
    return session


def test_civic_engagement_enrolment_is_refused_for_a_refugee_and_accepted_for_an_asylum_seeker(
    clients: Clients, platform: Platform
) -> None:
    """A Milan coordinator plans a civic-engagement path on the page, tries to enrol a refugee
    (refused, with the law that reserves Sub-Action 2 to asylum seekers, nothing written), then
    enrols an asylum seeker, whose case page tells of the enrolment."""
    coordinator = clients.coordinator("milano")
    refugee = record_intake(clients, "milano", protection_status="refugee")
    seeker = record_intake(clients, "milano", protection_status="asylum_seeker")

    planned = coordinator.post("/cities/milano/activities", data=an_activity_plan(
        sub_action="2", kind="civic_engagement_initiative", title="Orti condivisi"),
        follow_redirects=False)
    assert planned.status_code == 303
    page_path = planned.headers["location"].split("?")[0]
    page = coordinator.get(page_path)
    assert "Orti condivisi" in page.text
    assert "che modifica il d.lgs. 142/2015): si possono iscrivere solo loro" in page.text
    # Only asylum seekers are suggested for a civic-engagement path.
    assert f'value="{seeker["case_code"]}"' in page.text
    assert f'value="{refugee["case_code"]}"' not in page.text

    before = platform.last_written_position()
    refused = coordinator.post(f"{page_path}/participants",
                               data={"case_code": refugee["case_code"]})
    assert refused.status_code == 422
    assert CIVIC_REFUSAL_IT in refused.text
    assert platform.last_written_position() == before
    activity_id = page_path.rsplit("/", 1)[1]
    api_refusal = enrol(coordinator, activity_id, case_id=refugee["case_id"])
    assert api_refusal.status_code == 422
    assert api_refusal.json()["problems"][0]["code"] == "civic_engagement_reserved"
    english = coordinator.post(f"{page_path}/participants?lang=en",
                               data={"case_code": refugee["case_code"]})
    assert CIVIC_REFUSAL_EN in english.text
    assert platform.last_written_position() == before

    accepted = coordinator.post(f"{page_path}/participants",
                                data={"case_code": seeker["case_code"].lower()},
                                follow_redirects=False)
    assert accepted.status_code == 303
    assert before is not None and platform.last_written_position() == before + 1
    detail = coordinator.get(f"/api/v1/activities/{activity_id}").json()
    assert [p["case_code"] for p in detail["participant_list"]] == [seeker["case_code"]]
    assert detail["participants"] == 1
    case_page = coordinator.get(f"/cases/{seeker['case_id']}?lang=en").text
    assert "Enrolled in a community activity" in case_page
    assert "Sub-Action 2 – Civic engagement paths." in case_page
    again = coordinator.post(f"{page_path}/participants", data={"case_code": seeker["case_code"]})
    assert again.status_code == 422
    assert "already enrolled" in again.text


def test_sessions_give_each_participant_their_hours_and_the_register_its_totals(
    clients: Clients, platform: Platform
) -> None:
    operator = clients.operator("milano")
    first = record_intake(clients, "milano")
    second = record_intake(clients, "milano", protection_status="asylum_seeker")
    activity_id = plan_activity(clients)
    for case in (first, second):
        assert enrol(operator, activity_id, case_code=case["case_code"]).status_code == 201

    # The page takes hours as Italians write them; the API as a decimal string or number.
    on_page = operator.post(f"/activities/{activity_id}/sessions", data={
        "held_on": "2021-03-15", "hours": "1,5", "residents": "6", "attended": [first["case_id"]],
    }, follow_redirects=False)
    assert on_page.status_code == 303
    assert operator.post(f"/api/v1/activities/{activity_id}/sessions", json=a_session(
        held_on="2021-03-22", hours=0.1, attended=[first["case_id"], second["case_id"]],
        residents=4)).status_code == 201
    assert operator.post(f"/api/v1/activities/{activity_id}/sessions", json=a_session(
        held_on="2021-03-29", hours="0.2", attended=[second["case_id"]])).status_code == 201
    other = plan_activity(clients, sub_action="6", kind="information_event", title="Info day")
    assert operator.post(f"/api/v1/activities/{other}/sessions", json=a_session(
        residents=40, hours="3")).status_code == 201

    detail = operator.get(f"/api/v1/activities/{activity_id}").json()
    hours = {p["case_code"]: (p["sessions_attended"], p["hours"])
             for p in detail["participant_list"]}
    assert hours == {first["case_code"]: (2, "1.60"), second["case_code"]: (2, "0.30")}
    assert (detail["sessions"], detail["residents"], detail["hours"]) == (3, 10, "1.80")
    assert [s["attended"] for s in detail["session_list"]] == [
        [first["case_id"]], [first["case_id"], second["case_id"]], [second["case_id"]]]

    register = operator.get("/api/v1/cities/milano/activities").json()
    totals = {t["sub_action"]: t for t in register["totals"]}
    assert totals["3"] == {"sub_action": "3", "activities": 1, "beneficiaries": 2,
                           "residents": 10, "hours": "1.80", "participant_hours": "1.90"}
    assert totals[None]["activities"] == 2
    assert totals[None]["residents"] == 50
    assert totals[None]["hours"] == "4.80"
    only_six = operator.get("/api/v1/cities/milano/activities", params={"sub_action": "6"})
    assert [a["title"] for a in only_six.json()["items"]] == ["Info day"]

    page = operator.get(f"/activities/{activity_id}").text
    assert "1,6" in page and "0,3" in page  # each participant's hours, in Italian
    case_page = operator.get(f"/cases/{second['case_id']}?lang=en").text
    assert "Attended a session of a community activity" in case_page
    assert "Session 2, on Mar 22, 2021: 0.1 hours." in case_page


def test_the_register_filters_by_sub_action_through_htmx(clients: Clients) -> None:
    plan_activity(clients, title="Mediazione in via Padova")
    plan_activity(clients, sub_action="5", kind="staff_training", title="Formazione anagrafe")
    coordinator = clients.coordinator("milano")

    whole = coordinator.get("/cities/milano/activities")
    fragment = coordinator.get("/cities/milano/activities", params={"sub_action": "5"},
                               headers={"HX-Request": "true"})

    assert "Mediazione in via Padova" in whole.text and "Formazione anagrafe" in whole.text
    assert 'id="plan-title"' in whole.text  # coordinators may plan
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="activity-table"' in fragment.text
    assert "Formazione anagrafe" in fragment.text
    assert "Mediazione in via Padova" not in fragment.text
    assert "/cities/milano/activities" in coordinator.get("/cities/milano").text
    operator_page = clients.operator("milano").get("/cities/milano/activities").text
    assert 'id="plan-title"' not in operator_page


def test_completion_needs_a_session_and_then_nothing_more_is_recorded(
    clients: Clients, platform: Platform
) -> None:
    coordinator = clients.coordinator("milano")
    case = record_intake(clients, "milano")
    activity_id = plan_activity(clients)
    before = platform.last_written_position()

    early = coordinator.post(f"/activities/{activity_id}/completion", data={"confirm": "1"})
    assert early.status_code == 422
    assert "Non è ancora stato registrato alcun incontro" in early.text
    assert platform.last_written_position() == before

    coordinator.post(f"/api/v1/activities/{activity_id}/sessions", json=a_session(residents=3))
    done = coordinator.post(f"/activities/{activity_id}/completion", data={"confirm": "1"},
                            follow_redirects=False)
    assert done.status_code == 303
    page = coordinator.get(f"/activities/{activity_id}").text
    assert "Attività conclusa" in page
    assert 'class="enrolment-form' not in page and "session-form" not in page
    ended = platform.last_written_position()
    for path, body in (("participants", {"case_id": case["case_id"]}),
                       ("sessions", a_session(residents=1)),
                       ("cancellation", {"reason": "Too late"}), ("completion", None)):
        refused = coordinator.post(f"/api/v1/activities/{activity_id}/{path}", json=body)
        assert refused.status_code == 422, path
        assert refused.json()["problems"][0]["code"] == "activity_ended"
    assert platform.last_written_position() == ended


def test_a_cancelled_activity_shows_why(clients: Clients, platform: Platform) -> None:
    coordinator = clients.coordinator("milano")
    activity_id = plan_activity(clients)
    before = platform.last_written_position()

    blank = coordinator.post(f"/activities/{activity_id}/cancellation", data={"reason": "  "})
    assert blank.status_code == 422
    assert platform.last_written_position() == before
    cancelled = coordinator.post(f"/activities/{activity_id}/cancellation",
                                 data={"reason": "La sala non è più disponibile"},
                                 follow_redirects=False)
    assert cancelled.status_code == 303
    page = coordinator.get(f"/activities/{activity_id}").text
    assert "Attività annullata" in page and "La sala non è più disponibile" in page


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": ""}, "title"),
    ({"title": "t" * 121}, "title"),
    ({"starts_on": "2019-06-30"}, "starts_on"),
    ({"ends_on": "2021-02-28"}, "ends_on"),
    ({"ends_on": "2022-01-10"}, "ends_on"),
    ({"sub_action": "4"}, "sub_action"),
    ({"kind": "party"}, "kind"),
    ({"starts_on": "yesterday"}, "starts_on"),
])
def test_an_invalid_plan_is_refused_on_the_page_and_by_the_api_and_writes_nothing(
    clients: Clients, platform: Platform, overrides: dict[str, str], field: str
) -> None:
    coordinator = clients.coordinator("milano")
    before = platform.last_written_position()

    page = coordinator.post("/cities/milano/activities", data=an_activity_plan(**overrides))
    api = coordinator.post("/api/v1/cities/milano/activities",
                           json=an_activity_plan(**overrides))

    assert page.status_code == api.status_code == 422
    assert f'id="{field}-error"' in page.text
    assert "Non è stato possibile programmare l'attività" in page.text
    assert api.json()["problems"][0]["field"] == field
    assert platform.last_written_position() == before


@pytest.mark.parametrize(("session", "field"), [
    ({"held_on": "2021-02-27"}, "held_on"),
    ({"held_on": "2099-03-15"}, "held_on"),
    ({"hours": "0"}, "hours"),
    ({"hours": "12.5"}, "hours"),
    ({"hours": "1.234"}, "hours"),
    ({"hours": "a lot"}, "hours"),
    ({"residents": -2}, "residents"),
    ({"residents": 0, "attended": []}, "attended"),
    ({"attended": ["STRANGER"]}, "attended"),
])
def test_an_invalid_session_is_refused_and_writes_nothing(
    clients: Clients, platform: Platform, session: dict[str, Any], field: str
) -> None:
    operator = clients.operator("milano")
    enrolled = record_intake(clients, "milano")
    stranger = record_intake(clients, "milano")
    activity_id = plan_activity(clients)
    enrol(operator, activity_id, case_id=enrolled["case_id"])
    if session.get("attended") == ["STRANGER"]:
        session = {**session, "attended": [stranger["case_id"]]}
    before = platform.last_written_position()

    api = operator.post(f"/api/v1/activities/{activity_id}/sessions",
                        json=a_session(**{"residents": 2, **session}))
    form = {key: value for key, value in a_session(**{"residents": 2, **session}).items()}
    page = operator.post(f"/activities/{activity_id}/sessions", data=form)

    assert api.status_code == page.status_code == 422, api.text
    assert api.json()["problems"][0]["field"] == field
    assert f'id="{field}-error"' in page.text
    assert platform.last_written_position() == before


def test_only_the_city_s_open_cases_are_enrolled_and_the_refusal_tells_nothing_of_others(
    clients: Clients, platform: Platform
) -> None:
    coordinator = clients.coordinator("milano")
    florence = record_intake(clients, "firenze")
    closed = record_intake(clients, "milano")
    platform.cases.close(UUID(closed["case_id"]), CaseOutcome.AUTONOMY, date(2021, 3, 12),
                         "Found work and a flat", a_coordinator(City.MILANO), platform.now())
    follower_of(platform).catch_up()
    activity_id = plan_activity(clients)
    cross_cutting = plan_activity(clients, sub_action="6", kind="information_event")
    before = platform.last_written_position()

    other_city = enrol(coordinator, activity_id, case_id=florence["case_id"])
    unknown = enrol(coordinator, activity_id, case_id="5a0c1f9e-2a7d-4d0b-9e44-6a1d1c3b2f10")
    by_code = enrol(coordinator, activity_id, case_code=florence["case_code"])
    nothing = enrol(coordinator, activity_id)
    of_closed = enrol(coordinator, activity_id, case_id=closed["case_id"])
    in_six = enrol(coordinator, cross_cutting, case_code=closed["case_code"])
    page = coordinator.post(f"/activities/{activity_id}/participants", data={"case_code": ""})

    assert [r.status_code for r in (other_city, unknown, by_code, nothing, of_closed, in_six,
                                    page)] == [422] * 7
    assert other_city.json() == unknown.json()  # a Florence case is as unknown as no case
    assert by_code.json()["problems"][0]["code"] == "not_a_case_of_the_city"
    assert nothing.json()["problems"][0]["field"] == "case_code"
    assert of_closed.json()["problems"][0]["code"] == "case_closed"
    assert in_six.json()["problems"][0]["code"] == "no_enrolment_in_sub_action"
    assert 'id="case_code-error"' in page.text
    assert platform.last_written_position() == before


def test_another_city_s_activity_is_unknown_and_partners_have_no_access(
    clients: Clients
) -> None:
    activity_id = plan_activity(clients)
    florence = clients.coordinator("firenze")

    page = florence.get(f"/activities/{activity_id}")
    api = florence.get(f"/api/v1/activities/{activity_id}")
    unknown = florence.get("/api/v1/activities/5a0c1f9e-2a7d-4d0b-9e44-6a1d1c3b2f10")
    not_an_id = florence.get("/api/v1/activities/not-an-id")

    assert page.status_code == api.status_code == unknown.status_code == 404
    assert not_an_id.status_code == 404
    assert api.json()["problems"][0]["code"] == unknown.json()["problems"][0]["code"]
    assert "Mediazione" not in page.text
    assert florence.get("/cities/milano/activities").status_code == 403
    assert clients.ministry().get(f"/activities/{activity_id}").status_code == 200
    assert clients.ministry().post(f"/api/v1/activities/{activity_id}/sessions",
                                   json=a_session(residents=2)).status_code == 403
    assert clients.operator("milano").post(f"/api/v1/activities/{activity_id}/completion"
                                           ).status_code == 403
    partner = clients.partner("milano")
    assert partner.get(f"/api/v1/activities/{activity_id}").status_code == 403
    assert partner.get("/api/v1/cities/milano/activities").status_code == 403


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_pages_answer_in_both_languages_with_and_without_activities(
    clients: Clients, language: str
) -> None:
    empty = clients.ministry().get("/cities/trieste/activities", params={"lang": language})
    assert empty.status_code == 200
    assert "activity-list" not in empty.text
    activity_id = plan_activity(clients, sub_action="5", kind="staff_training")
    for viewer in (clients.operator("milano"), clients.ministry(), clients.auditor()):
        for headers in ({}, {"HX-Request": "true"}):
            for path in ("/cities/milano/activities", f"/activities/{activity_id}",
                         "/api/v1/cities/milano/activities", f"/api/v1/activities/{activity_id}"):
                response = viewer.get(path, params={"lang": language}, headers=headers)
                assert response.status_code == 200, (path, response.text[:300])
    overseer_page = clients.ministry().get(f"/activities/{activity_id}").text
    assert "csrf_token" not in overseer_page.split("<main", 1)[1].split("</main>", 1)[0]

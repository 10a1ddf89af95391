"""Issue 16 item 3 on the pages and the API: a case's individual plan (progetto
individualizzato), its goals, actions and reviews; the words written about the person shown to
the staff of the case's city only; the plan's due things offered to the work queue; the plan as
it was on any past day."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from infra.bootstrap import Platform
from projections.plans import GOAL_TARGET_PASSED, PLAN_REVIEW_DUE
from tests.web.conftest import TESTS_START, Clients, clock_of, record_intake

GOAL_TEXT = "Trovare un tirocinio in cucina con l'aiuto della signora Quortlemaine"
START = {"started_on": "2021-03-15", "next_review_on": "2021-06-15"}
GOAL = {"area": "work", "text": GOAL_TEXT, "agreed_on": "2021-03-15",
        "target_date": "2021-09-30"}


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def a_case(clients: Clients, city: str = "firenze") -> str:
    return str(record_intake(clients, city)["case_id"])


def a_plan_with_a_goal(clients: Clients, city: str = "firenze") -> tuple[str, str]:
    case_id = a_case(clients, city)
    coordinator = clients.coordinator(city)
    assert coordinator.post(f"/api/v1/cases/{case_id}/plan", json=START).status_code == 201
    agreed = coordinator.post(f"/api/v1/cases/{case_id}/plan/goals", json=GOAL)
    assert agreed.status_code == 201, agreed.text
    return case_id, str(agreed.json()["item_id"])


def test_an_operator_starts_a_plan_agrees_a_goal_and_sees_it_on_the_case_page(
    clients: Clients,
) -> None:
    case_id = a_case(clients)
    operator = clients.operator("firenze")
    assert "Il caso non ha ancora un progetto individualizzato." in text_of(
        operator.get(f"/cases/{case_id}/plan"))

    started = operator.post(f"/cases/{case_id}/plan", data=START, follow_redirects=False)
    assert started.status_code == 303
    assert started.headers["location"] == f"/cases/{case_id}/plan?done=start_plan"
    agreed = operator.post(f"/cases/{case_id}/plan/goals", data=GOAL, follow_redirects=False)
    assert agreed.status_code == 303

    plan_page = text_of(operator.get(f"/cases/{case_id}/plan"))
    assert "Lavoro e formazione" in plan_page and GOAL_TEXT in plan_page
    assert "Concordato il 15 mar 2021, da raggiungere entro il 30 set 2021." in plan_page
    assert "Data obiettivo superata" in plan_page  # today is 4 October 2021
    assert "Verifica da fare" in plan_page  # the review was due on 15 June
    case_page = text_of(operator.get(f"/cases/{case_id}"))
    assert 'id="case-plan"' in case_page and GOAL_TEXT in case_page
    # The timeline names the event and its codes, never the goal's words.
    timeline = case_page[case_page.index('id="case-plan"'):].split("</section>", 1)[1]
    assert "Obiettivo concordato" in timeline and GOAL_TEXT not in timeline


def test_a_goal_s_words_are_for_the_city_s_staff_only(clients: Clients) -> None:
    case_id, goal_id = a_plan_with_a_goal(clients)

    staff = clients.operator("firenze").get(f"/api/v1/cases/{case_id}/plan").json()
    assert staff["goals"][0]["goal_id"] == goal_id
    assert staff["goals"][0]["text"] == GOAL_TEXT
    for overseer in (clients.ministry(), clients.auditor()):
        api = overseer.get(f"/api/v1/cases/{case_id}/plan").json()
        assert (api["goals"][0]["area"], api["goals"][0]["text"]) == ("work", None)
        page = text_of(overseer.get(f"/cases/{case_id}/plan"))
        assert "Lavoro e formazione" in page and GOAL_TEXT not in page
        assert GOAL_TEXT not in text_of(overseer.get(f"/cases/{case_id}"))
    assert clients.operator("milano").get(f"/api/v1/cases/{case_id}/plan").status_code == 404


def test_a_refused_goal_shows_every_problem_at_once_and_writes_nothing(
    clients: Clients, platform: Platform,
) -> None:
    case_id = a_case(clients)
    operator = clients.operator("firenze")
    operator.post(f"/cases/{case_id}/plan", data=START)
    before = platform.last_written_position()

    response = operator.post(f"/cases/{case_id}/plan/goals", data={
        "area": "", "text": "  ", "agreed_on": "2021-03-20", "target_date": "2021-03-19"})

    assert response.status_code == 422
    page = text_of(response)
    assert 'id="goal-area-error"' in page and 'id="goal-text-error"' in page
    assert ("La data obiettivo non può essere precedente al giorno in cui l'obiettivo è "
            "concordato.") in page
    assert 'value="2021-03-20"' in page  # what was typed, shown again
    assert platform.last_written_position() == before


def test_goals_move_open_to_achieved_or_dropped_and_actions_only_under_open_ones(
    clients: Clients,
) -> None:
    case_id, goal_id = a_plan_with_a_goal(clients)
    api = clients.operator("firenze")
    action = api.post(f"/api/v1/cases/{case_id}/plan/goals/{goal_id}/actions", json={
        "text": "Iscrizione al centro per l'impiego", "owner": "operator",
        "assignee": "firenze.operatore", "due_on": "2021-04-15"})
    assert action.status_code == 201, action.text
    action_id = action.json()["item_id"]
    done = api.post(f"/api/v1/cases/{case_id}/plan/actions/{action_id}/done",
                    json={"done_on": "2021-04-10"})
    assert done.status_code == 200, done.text
    dropped = api.post(f"/api/v1/cases/{case_id}/plan/goals/{goal_id}/dropping",
                       json={"dropped_on": "2021-05-01", "reason": "person_declined"})
    assert dropped.status_code == 200, dropped.text

    refused = api.post(f"/api/v1/cases/{case_id}/plan/goals/{goal_id}/actions", json={
        "text": "Telefonare", "owner": "person", "due_on": "2021-06-01"})
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["code"] == "goal_not_open"
    plan = api.get(f"/api/v1/cases/{case_id}/plan").json()
    [goal] = plan["goals"]
    assert (goal["status"], goal["closed_on"], goal["drop_reason"]) == (
        "dropped", "2021-05-01", "person_declined")
    [only] = goal["actions"]
    assert (only["owner"], only["assignee"], only["done_on"], only["text"]) == (
        "operator", "firenze.operatore", "2021-04-10", "Iscrizione al centro per l'impiego")
    page = text_of(api.get(f"/cases/{case_id}/plan"))
    assert "Abbandonato il 1 mag 2021: La persona non lo desidera più." in page


def test_a_plan_is_started_once_and_needs_an_open_case(clients: Clients) -> None:
    case_id = a_case(clients)
    api = clients.coordinator("firenze")
    assert api.get(f"/api/v1/cases/{case_id}/plan").status_code == 404
    assert api.post(f"/api/v1/cases/{case_id}/plan", json=START).status_code == 201
    again = api.post(f"/api/v1/cases/{case_id}/plan", json=START)
    assert again.status_code == 422
    assert again.json()["problems"][0]["code"] == "plan_already_started"

    closed = a_case(clients)
    api.post(f"/api/v1/cases/{closed}/closure", json={
        "outcome": "autonomy", "closed_on": "2021-04-01", "reason": "Autonomia"})
    refused = api.post(f"/api/v1/cases/{closed}/plan", json=START)
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["code"] == "plan_case_not_workable"


def test_a_review_moves_the_next_review_and_the_work_queue_follows(
    clients: Clients, platform: Platform,
) -> None:
    case_id, goal_id = a_plan_with_a_goal(clients)
    other_city, _ = a_plan_with_a_goal(clients, "milano")
    now = TESTS_START

    due = platform.plan_views.work_items("firenze", now)
    assert [(i.kind, str(i.case_id), str(i.subject_id)) for i in due] == [
        (PLAN_REVIEW_DUE, case_id, str(platform.plan_views.plan(UUID(case_id)).plan_id)),  # type: ignore[union-attr]
        (GOAL_TARGET_PASSED, case_id, goal_id),
    ]
    assert due[0].due == datetime(2021, 6, 15, 22, 0, tzinfo=UTC)  # end of 15 June in Italy
    assert other_city not in {str(i.case_id) for i in due}

    reviewed = clients.operator("firenze").post(f"/cases/{case_id}/plan/reviews", data={
        "reviewed_on": "2021-10-04", "text": "Ha iniziato il corso A2",
        "next_review_on": "2021-10-05"}, follow_redirects=False)
    assert reviewed.status_code == 303

    assert [i.kind for i in platform.plan_views.work_items("firenze", now)] == [
        GOAL_TARGET_PASSED]
    # The next review falls due at the end of 5 October: included once `until` reaches it.
    assert [i.kind for i in platform.plan_views.work_items(
        "firenze", datetime(2021, 10, 5, 22, 0, tzinfo=UTC))] == [
        GOAL_TARGET_PASSED, PLAN_REVIEW_DUE]
    page = text_of(clients.operator("firenze").get(f"/cases/{case_id}/plan"))
    assert "Ha iniziato il corso A2" in page


def test_a_closed_case_s_plan_is_not_in_the_work_queue(
    clients: Clients, platform: Platform,
) -> None:
    case_id, _goal = a_plan_with_a_goal(clients)
    clients.coordinator("firenze").post(f"/api/v1/cases/{case_id}/closure", json={
        "outcome": "autonomy", "closed_on": "2021-04-01", "reason": "Autonomia"})
    assert platform.plan_views.work_items("firenze", TESTS_START) == []


def test_the_plan_as_it_was_on_a_past_day(clients: Clients, platform: Platform) -> None:
    case_id = a_case(clients)
    api = clients.coordinator("firenze")
    api.post(f"/api/v1/cases/{case_id}/plan", json=START)
    before_the_goal = clock_of(platform).now
    clock_of(platform).advance(timedelta(minutes=5))
    agreed = api.post(f"/api/v1/cases/{case_id}/plan/goals", json=GOAL)
    assert agreed.status_code == 201, agreed.text

    then = platform.as_of(before_the_goal).plan_views.plan(UUID(case_id))
    now = platform.plan_views.plan(UUID(case_id))
    assert then is not None and then.goals == ()
    assert now is not None and [g.area for g in now.goals] == ["work"]

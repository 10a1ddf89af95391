"""Assignment and the work queue (issue 16, items 1 and 2) through the pages and the API, in
Italian and English: a coordinator gives a case to an operator of its city (never to anyone
else: refused in words, nothing written), the case page shows who holds it and who held it
when, "my cases" lists an operator's cases; the work queue lists what is due, the overdue first,
each line linking to where it is acted on, and changes as the work is done. Each read model's
work items are checked at their due limit and one past it."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from domain.programme import City, Role
from infra.bootstrap import Platform
from projections.projection import WorkItem, WorkItemSource
from projections.work_queue import sorted_lines
from tests.web.conftest import (
    Clients,
    an_intake_form,
    an_intake_payload,
    clock_of,
    record_intake,
    sign_in,
)


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def later(clients: Clients, platform: Platform, delta: timedelta, username: str) -> TestClient:
    clock_of(platform).advance(delta)
    return sign_in(clients.anonymous(), username)


def operator_intake(clients: Clients, city: str = "firenze", **overrides: Any) -> dict[str, Any]:
    response = clients.operator(city).post(f"/api/v1/cities/{city}/intakes",
                                           json=an_intake_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# -- assignment ---------------------------------------------------------------------------------


def test_a_coordinator_reassigns_a_case_and_the_page_shows_who_held_it_when(
    clients: Clients, platform: Platform,
) -> None:
    case = operator_intake(clients)  # held by firenze.operator, who recorded it
    clients.add_user("firenze.second", Role.CITY_OPERATOR, City.FIRENZE)
    coordinator = clients.coordinator()
    page = text_of(coordinator.get(f"/cases/{case['case_id']}"))
    assert "Affidato a Test firenze.operator dal" in page
    assert "Affidare il caso a" in page  # the coordinator's form

    answer = coordinator.post(f"/cases/{case['case_id']}/assignment",
                              data={"assignee": "firenze.second"}, follow_redirects=False)
    assert answer.status_code == 303
    page = text_of(coordinator.get(f"/cases/{case['case_id']}?lang=en"))
    assert "Held by Test firenze.second since" in page
    assert "assigned by firenze.coordinator" in page and "recorded the intake" in page
    assert "Case assigned" in page  # on the timeline

    view = coordinator.get(f"/api/v1/cases/{case['case_id']}/assignment").json()
    assert view["holder"] == "firenze.second"
    assert [(h["holder"], h["assigned_by"]) for h in view["history"]] == [
        ("firenze.operator", None), ("firenze.second", "firenze.coordinator")]
    # The operator sees who holds it, and no form.
    operator_page = text_of(clients.operator().get(f"/cases/{case['case_id']}"))
    assert "Affidato a" in operator_page and "Affidare il caso a" not in operator_page


def test_assigning_to_someone_not_of_the_case_s_city_is_refused_in_words_and_writes_nothing(
    clients: Clients, platform: Platform,
) -> None:
    case = operator_intake(clients)
    clients.add_user("milano.operator", Role.CITY_OPERATOR, City.MILANO)
    coordinator = clients.coordinator()
    before = platform.last_written_position()

    page = coordinator.post(f"/cases/{case['case_id']}/assignment",
                            data={"assignee": "milano.operator"})
    assert page.status_code == 422
    assert ("Il caso può essere affidato solo a un operatore o a un coordinatore del Comune di "
            "Firenze.") in text_of(page)
    api = coordinator.post(f"/api/v1/cases/{case['case_id']}/assignment?lang=en",
                           json={"assignee": "milano.operator"})
    assert api.status_code == 422
    assert api.json()["problems"][0]["message"] == (
        "Only an operator or coordinator of Florence can be assigned this case.")
    bad = coordinator.post(f"/api/v1/cases/{case['case_id']}/assignment",
                           json={"assignee": "NOT A USERNAME"})
    assert bad.status_code == 422
    assert platform.last_written_position() == before
    # Operators do not assign; a foreign city's coordinator does not even see the case.
    assert clients.operator().post(f"/api/v1/cases/{case['case_id']}/assignment",
                                   json={"assignee": "firenze.operator"}).status_code == 403
    assert clients.coordinator("milano").post(
        f"/api/v1/cases/{case['case_id']}/assignment",
        json={"assignee": "milano.operator"}).status_code == 404


def test_my_cases_lists_the_cases_the_signed_in_operator_holds(
    clients: Clients, platform: Platform,
) -> None:
    mine = operator_intake(clients)
    theirs = record_intake(clients, "firenze")  # recorded (so held) by the coordinator
    operator = clients.operator()
    listed = operator.get("/api/v1/cities/firenze/cases", params={"holder": "mine"}).json()
    assert [row["case_code"] for row in listed["items"]] == [mine["case_code"]]
    everyone = operator.get("/api/v1/cities/firenze/cases").json()
    assert {row["case_code"] for row in everyone["items"]} == {
        mine["case_code"], theirs["case_code"]}
    page = text_of(operator.get("/cities/firenze/cases?holder=mine"))
    assert mine["case_code"] in page and theirs["case_code"] not in page
    assert "I miei casi" in page
    # The ministry holds no case: its "mine" is empty, not everyone's.
    assert clients.ministry().get("/api/v1/cities/firenze/cases",
                                  params={"holder": "mine"}).json()["items"] == []


# -- the work queue -------------------------------------------------------------------------------


def test_the_operator_s_queue_lists_the_overdue_referral_first_and_drops_it_once_answered(
    clients: Clients, platform: Platform,
) -> None:
    case = operator_intake(clients)
    operator = clients.operator()
    referred = operator.post(f"/api/v1/cases/{case['case_id']}/referrals", json={
        "destination_kind": "city_service", "service": "legal_aid", "urgency": "immediate"})
    assert referred.status_code == 201, referred.text
    referral_id = referred.json()["referral_id"]
    operator = later(clients, platform, timedelta(days=3), "firenze.operator")

    queue = operator.get("/api/v1/work-queue").json()
    assert queue["audience"] == "city" and queue["overdue"] >= 1
    first = queue["lines"][0]
    assert (first["kind"], first["overdue"], first["case_code"], first["mine"]) == (
        "referral_answer_due", True, case["case_code"], True)
    assert first["href"] == f"/referrals/{referral_id}"
    mine = operator.get("/api/v1/work-queue", params={"scope": "mine"}).json()
    assert [line["subject_id"] for line in mine["lines"]] == [referral_id]

    home = text_of(operator.get("/"))
    assert "Attività da svolgere" in home and "Invio in attesa di risposta" in home
    assert "Scaduta dal" in home and f'href="/referrals/{referral_id}"' in home
    english = text_of(operator.get("/queue?lang=en"))
    assert "Referral awaiting an answer" in english and "Overdue since" in english
    count = operator.get("/queue/count")
    assert 'work-queue-count' in count.text and "bg-danger" in count.text

    accepted = operator.post(f"/api/v1/referrals/{referral_id}/acceptance")
    assert accepted.status_code == 200, accepted.text
    after = operator.get("/api/v1/work-queue").json()
    assert referral_id not in [line["subject_id"] for line in after["lines"]]
    fragment = operator.get("/queue/lines", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text


def test_the_ministry_sees_claims_awaiting_a_decision_and_the_auditor_grants_ending(
    clients: Clients, platform: Platform,
) -> None:
    ministry = clients.ministry()
    allocated = ministry.post("/api/v1/finance/allocations", json={
        "city": "firenze", "sub_action": "3", "amount": "1000.00", "reason": "Queue test"})
    assert allocated.status_code == 200, allocated.text
    claimed = clients.coordinator().post("/api/v1/cities/firenze/finance/claims", json={
        "sub_action": "3", "category": "staff", "amount": "10.00", "spent_on": "2021-03-15",
        "document_reference": "PG/2021/0001"})
    assert claimed.status_code == 201, claimed.text
    queue = ministry.get("/api/v1/work-queue").json()
    assert queue["audience"] == "ministry"
    claims = [line for line in queue["lines"] if line["kind"] == "claim_awaiting_decision"]
    assert [line["subject_id"] for line in claims] == [claimed.json()["claim_id"]]
    assert claims[0]["href"] == "/ministry/finance"
    assert "Spesa rendicontata in attesa di decisione" in text_of(ministry.get("/queue"))

    clients.auditor()
    granted = platform.accounts.grant_access("ministry", "auditor", City.FIRENZE,
                                             timedelta(hours=4), "Queue test")
    auditor = clients.auditor()
    lines = auditor.get("/api/v1/work-queue").json()["lines"]
    assert [(line["kind"], datetime.fromisoformat(line["due"])) for line in lines] == [
        ("grant_expiring", granted.expires_at)]
    assert lines[0]["href"] == "/audit/identifier-access"


def test_partners_have_no_queue(clients: Clients) -> None:
    partner = clients.partner("firenze")
    assert partner.get("/api/v1/work-queue").status_code == 403


# -- each read model's work items at the limit and one past it ------------------------------------

TICK = timedelta(microseconds=1)


def _at_limit(source: WorkItemSource, city: str, kind: str, subject: UUID | None = None
              ) -> datetime:
    """The due of the source's item of `kind` (found with a far horizon); checks it is listed
    with `until` at its due and not one microsecond before."""
    far = datetime(2030, 1, 1, tzinfo=UTC)
    items = [i for i in source.work_items(city, far) if i.kind == kind
             and (subject is None or subject in (i.subject_id, i.case_id))]
    assert len(items) == 1, items
    due = items[0].due
    assert items[0] in source.work_items(city, due)
    assert items[0] not in source.work_items(city, due - TICK)
    return due


def test_each_source_s_items_are_due_at_their_limit_and_not_before(
    clients: Clients, platform: Platform,
) -> None:
    case = operator_intake(clients, vulnerabilities=["unaccompanied_minor"],
                           birth_date="2006-02-01", permit_expires_on="2021-12-31",
                           protection_status="asylum_seeker")
    case_id = UUID(case["case_id"])
    operator = clients.operator()
    referral = operator.post(f"/api/v1/cases/{case_id}/referrals", json={
        "destination_kind": "city_service", "service": "health", "urgency": "ordinary"}).json()
    referral_row = platform.referral_board.referral(UUID(referral["referral_id"]))
    assert referral_row is not None

    due = _at_limit(platform.referral_board, "firenze", "referral_answer_due",
                    UUID(referral["referral_id"]))
    assert due == referral_row.due_at
    due = _at_limit(platform.case_list, "firenze", "permit_expiring", case_id)
    assert due.isoformat() == "2021-11-01T23:59:59.999999+01:00"  # 60 days before 31 Dec
    _at_limit(platform.case_list, "firenze", "guardian_missing", case_id)
    row = platform.assignment_views.holder(case_id)
    assert row is not None
    due = _at_limit(platform.assignment_views, "firenze", "case_inactive", case_id)
    assert due == row.last_activity + timedelta(days=30)

    waitlisted = operator.post(f"/api/v1/cases/{case_id}/housing/waitlist")
    assert waitlisted.status_code == 200, waitlisted.text
    due = _at_limit(platform.housing_views, "firenze", "waitlist_waiting_long", case_id)
    assert due == platform.now() + timedelta(days=30)
    shelter = clients.coordinator().post("/api/v1/cities/firenze/shelters", json={
        "name": "Casa Coda", "kind": "temporary_shelter", "address_area": "Rifredi",
        "beds": 2})
    assert shelter.status_code == 201, shelter.text
    offered = operator.post(
        f"/api/v1/cases/{case_id}/housing/offers/{shelter.json()['shelter_id']}")
    assert offered.status_code == 200, offered.text
    due = _at_limit(platform.housing_views, "firenze", "bed_offer_awaiting_answer", case_id)
    assert due.isoformat() == "2021-10-05T23:59:59.999999+02:00"  # the end of the next day


def test_a_transfer_waits_on_the_receiving_city_s_queue(
    clients: Clients, platform: Platform,
) -> None:
    case = operator_intake(clients)
    asked = clients.operator().post(f"/api/v1/cases/{case['case_id']}/referrals", json={
        "destination_kind": "transfer", "to_city": "milano", "urgency": "ordinary"})
    assert asked.status_code == 201, asked.text
    referral_id = UUID(asked.json()["referral_id"])
    _at_limit(platform.referral_board, "milano", "transfer_awaiting_acceptance", referral_id)
    assert not [i for i in platform.referral_board.work_items("firenze", datetime(
        2030, 1, 1, tzinfo=platform.now().tzinfo)) if i.subject_id == referral_id]


def test_the_queue_is_sorted_overdue_first_then_by_due() -> None:
    now = datetime(2021, 10, 4, 12, tzinfo=UTC)
    items = [WorkItem("b", "firenze", now + timedelta(hours=2), None, "FI-2021-00002", None),
             WorkItem("a", "firenze", now - timedelta(days=2), None, "FI-2021-00001", None),
             WorkItem("c", "firenze", now - timedelta(hours=1), None, "FI-2021-00003", None)]
    lines = sorted_lines(items, {}, now)
    assert [(line.item.kind, line.overdue) for line in lines] == [
        ("a", True), ("c", True), ("b", False)]


def test_the_coordinator_chooses_who_holds_a_case_at_intake_or_the_recorder_holds_it(
    clients: Clients, platform: Platform,
) -> None:
    clients.add_user("firenze.operator", Role.CITY_OPERATOR, City.FIRENZE)
    clients.add_user("milano.operator", Role.CITY_OPERATOR, City.MILANO)
    coordinator = clients.coordinator()
    form = text_of(coordinator.get("/cities/firenze/intake"))
    assert "Operatore di riferimento del caso" in form and "firenze.operator" in form
    chosen = coordinator.post("/api/v1/cities/firenze/intakes",
                              json=an_intake_payload(assignee="firenze.operator"))
    assert chosen.status_code == 201, chosen.text
    view = coordinator.get(f"/api/v1/cases/{chosen.json()['case_id']}/assignment").json()
    assert view["holder"] == "firenze.operator"
    assert [(h["holder"], h["assigned_by"]) for h in view["history"]] == [
        ("firenze.coordinator", None), ("firenze.operator", "firenze.coordinator")]

    posted = coordinator.post("/cities/firenze/intake", data={
        **an_intake_form(), "assignee": ""}, follow_redirects=False)
    assert posted.status_code == 303  # nobody chosen: the recorder holds it

    before = platform.last_written_position()
    foreign = coordinator.post("/api/v1/cities/firenze/intakes",
                               json=an_intake_payload(assignee="milano.operator"))
    assert foreign.status_code == 422
    assert foreign.json()["problems"][0]["code"] == "assignee_not_city_staff"
    by_operator = clients.operator().post("/api/v1/cities/firenze/intakes",
                                          json=an_intake_payload(assignee="firenze.coordinator"))
    assert by_operator.status_code == 403
    assert platform.last_written_position() == before


def test_an_auditor_sees_who_held_a_case_as_of_a_past_moment(
    clients: Clients, platform: Platform,
) -> None:
    from domain.programme import PROGRAMME_TIMEZONE

    case = operator_intake(clients)
    between = platform.clock() + timedelta(minutes=5)
    clock_of(platform).advance(timedelta(minutes=10))
    answer = clients.coordinator().post(f"/api/v1/cases/{case['case_id']}/assignment",
                                        json={"assignee": "firenze.coordinator"})
    assert answer.status_code == 200, answer.text
    auditor = clients.auditor()
    assert "Held by Test firenze.coordinator" in text_of(
        auditor.get(f"/cases/{case['case_id']}?lang=en"))
    moment = between.astimezone(PROGRAMME_TIMEZONE).strftime("%Y-%m-%dT%H:%M:%S")
    chosen = auditor.get("/as-of", params={"moment": moment, "next": "/", "lang": "en"},
                         follow_redirects=False)
    assert chosen.status_code == 303
    past = text_of(auditor.get(f"/cases/{case['case_id']}?lang=en"))
    assert "Held by Test firenze.operator" in past and "firenze.coordinator since" not in past
    assert auditor.get(f"/api/v1/cases/{case['case_id']}/assignment").json()["holder"] == (
        "firenze.operator")

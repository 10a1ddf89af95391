"""Every route of the app, read from its route table (so a new route is covered the day it is
added), for every method, as every kind of principal: anonymous, each role, Milan's staff and a
foreign city's staff, partners of Milan and of Florence. The path names Milan and a real Milan
case. Who may use each route is written out in ACCESS; a route missing there fails the test
until someone decides who may use it.

Where access is refused the answer is 401 (API) or a redirect to sign in (pages) without
credentials, 404 for a case the principal may not see (so existence does not leak), 403
otherwise (a case they may see, but not its identifiers, say); and it carries no case data.

Erasing a person's data can be done once: each call of an erasure route names a Milan case of
its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from domain.programme import City, Role
from tests.web.conftest import (
    PASSWORD,
    TODAY_IN_ITALY,
    Clients,
    an_intake_form,
    an_intake_payload,
    record_intake,
    sign_in,
)
from web.kit.authentication import PUBLIC_ROUTES

ANONYMOUS = "anonymous"
FLORENCE_OPERATOR = "Florence operator"
FLORENCE_COORDINATOR = "Florence coordinator"
MILAN_OPERATOR = "Milan operator"
MILAN_COORDINATOR = "Milan coordinator"
MINISTRY = "ministry"
AUDITOR = "auditor"
MILAN_PARTNER = "Milan partner"
FLORENCE_PARTNER = "Florence partner"

PARTNERS = {MILAN_PARTNER, FLORENCE_PARTNER}
PEOPLE = {FLORENCE_OPERATOR, FLORENCE_COORDINATOR, MILAN_OPERATOR, MILAN_COORDINATOR, MINISTRY,
          AUDITOR}
EVERYONE = {ANONYMOUS, *PEOPLE, *PARTNERS}
MILAN_STAFF = {MILAN_OPERATOR, MILAN_COORDINATOR}
CITY_STAFF = {*MILAN_STAFF, FLORENCE_OPERATOR, FLORENCE_COORDINATOR}
OVERSIGHT = {MINISTRY, AUDITOR}
# An auditor who is not among the principals: the matrix's grants go to them, so that the
# auditor tried here never holds one.
OTHER_AUDITOR = "other.auditor"

# Who may use each route, with Milan in the path (and a Milan case).
ACCESS: dict[str, set[str]] = {
    "openapi": EVERYONE,
    "sign_in_page": EVERYONE,
    "sign_in": EVERYONE,
    "health": EVERYONE,
    "health_live": EVERYONE,
    "health_ready": EVERYONE,
    "event_schemas_page": EVERYONE,
    "api_event_schemas": EVERYONE,
    "api_partner_event_schemas": EVERYONE,
    "event_docs_page": EVERYONE,
    "event_asyncapi_json": EVERYONE,
    "event_asyncapi_yaml": EVERYONE,
    "audit_public_key": EVERYONE,
    "sign_out": PEOPLE,
    # -- one's own account (called with a body the rules refuse: see REFUSED_BY_THE_RULES)
    "password_page": PEOPLE,
    "change_password": PEOPLE,
    "api_change_password": PEOPLE,
    "second_factor_page": PEOPLE,
    "enrol_second_factor": PEOPLE,
    # The second step of an enrolled person's sign-in: public (no session yet); without a
    # pending sign-in it leads back to the sign-in page.
    "sign_in_code_page": EVERYONE,
    "sign_in_code": EVERYONE,
    "home": PEOPLE,
    "programme_terms": PEOPLE,
    "city_home": MILAN_STAFF | OVERSIGHT,
    "case_list": MILAN_STAFF | OVERSIGHT,
    "case_page": MILAN_STAFF | OVERSIGHT,
    "intake_form": MILAN_STAFF,
    "submit_intake": MILAN_STAFF,
    "reveal_identifiers": MILAN_STAFF,
    "erase_personal_data": {MILAN_COORDINATOR},
    "ministry_overview": OVERSIGHT,
    "identifier_access_log": OVERSIGHT,
    "grant_identifier_access": {MINISTRY},
    "revoke_identifier_access": {MINISTRY},
    "api_list_cases": MILAN_STAFF | OVERSIGHT | {MILAN_PARTNER},
    "api_get_case": MILAN_STAFF | OVERSIGHT | {MILAN_PARTNER},
    "api_record_intake": MILAN_STAFF,
    "api_reveal_identifiers": MILAN_STAFF,
    "api_erase_personal_data": {MILAN_COORDINATOR},
    "api_network_overview": OVERSIGHT,
    "api_identifier_access_log": OVERSIGHT,
    "api_identifier_access_grants": OVERSIGHT,
    "as_of_picker": OVERSIGHT,
    "audit_event_browser": OVERSIGHT,
    "api_audit_events": OVERSIGHT,
    # -- case lifecycle (closure, reopening, corrections) --
    "close_case": MILAN_STAFF,
    "reopen_case": {MILAN_COORDINATOR},
    "correct_case": {MILAN_COORDINATOR},
    "api_close_case": MILAN_STAFF,
    "api_reopen_case": {MILAN_COORDINATOR},
    "api_correct_case": {MILAN_COORDINATOR},
    # -- status decisions and consents: the case's everyday work --
    "change_case_status": MILAN_STAFF,
    "api_change_case_status": MILAN_STAFF,
    "give_case_consent": MILAN_STAFF,
    "api_give_case_consent": MILAN_STAFF,
    "withdraw_case_consent": MILAN_STAFF,
    # -- guardian, assessments, other vulnerability: the case's everyday work --
    "appoint_case_guardian": MILAN_STAFF,
    "assess_case_vulnerability": MILAN_STAFF,
    "describe_case_vulnerability": MILAN_STAFF,
    "api_appoint_case_guardian": MILAN_STAFF,
    "api_assess_case_vulnerability": MILAN_STAFF,
    "api_describe_case_vulnerability": MILAN_STAFF,
    # The description is personal data: only the staff who work with the person read it.
    "api_read_case_vulnerability_description": MILAN_STAFF,
    "api_withdraw_case_consent": MILAN_STAFF,
    # -- referrals --
    "referral_board": MILAN_STAFF | OVERSIGHT,
    "new_referral_form": MILAN_STAFF,
    "request_referral": MILAN_STAFF,
    "referral_page": MILAN_STAFF | OVERSIGHT,
    "accept_referral": MILAN_STAFF,
    "decline_referral": MILAN_STAFF,
    "complete_referral": MILAN_STAFF,
    "withdraw_referral": MILAN_STAFF,
    "api_request_referral": MILAN_STAFF,
    "api_referral_board": MILAN_STAFF | OVERSIGHT,
    "api_get_referral": MILAN_STAFF | OVERSIGHT,
    "api_accept_referral": MILAN_STAFF,
    "api_decline_referral": MILAN_STAFF,
    "api_complete_referral": MILAN_STAFF,
    "api_withdraw_referral": MILAN_STAFF,
    # -- housing --
    "city_housing": MILAN_STAFF | OVERSIGHT,
    "register_shelter": {MILAN_COORDINATOR},
    "shelter_page": MILAN_STAFF | OVERSIGHT,
    "add_beds": {MILAN_COORDINATOR},
    "remove_beds": {MILAN_COORDINATOR},
    "close_shelter": {MILAN_COORDINATOR},
    "case_housing": MILAN_STAFF | OVERSIGHT,
    "waitlist_case": MILAN_STAFF,
    "offer_bed": MILAN_STAFF,
    "decline_offer": MILAN_STAFF,
    "move_in": MILAN_STAFF,
    "move_out": MILAN_STAFF,
    "leave_waitlist": MILAN_STAFF,
    "api_city_shelters": MILAN_STAFF | OVERSIGHT,
    "api_register_shelter": {MILAN_COORDINATOR},
    "api_get_shelter": MILAN_STAFF | OVERSIGHT,
    "api_add_beds": {MILAN_COORDINATOR},
    "api_remove_beds": {MILAN_COORDINATOR},
    "api_close_shelter": {MILAN_COORDINATOR},
    "api_city_waitlist": MILAN_STAFF | OVERSIGHT,
    "api_case_housing": MILAN_STAFF | OVERSIGHT,
    "api_waitlist_case": MILAN_STAFF,
    "api_offer_bed": MILAN_STAFF,
    "api_decline_offer": MILAN_STAFF,
    "api_move_in": MILAN_STAFF,
    "api_move_out": MILAN_STAFF,
    "api_leave_waitlist": MILAN_STAFF,
    # -- activities --
    "activity_register": MILAN_STAFF | OVERSIGHT,
    "plan_activity": {MILAN_COORDINATOR},
    "activity_page": MILAN_STAFF | OVERSIGHT,
    "enrol_participant": MILAN_STAFF,
    "record_session": MILAN_STAFF,
    "complete_activity": {MILAN_COORDINATOR},
    "cancel_activity": {MILAN_COORDINATOR},
    "api_activity_register": MILAN_STAFF | OVERSIGHT,
    "api_plan_activity": {MILAN_COORDINATOR},
    "api_get_activity": MILAN_STAFF | OVERSIGHT,
    "api_enrol_participant": MILAN_STAFF,
    "api_record_session": MILAN_STAFF,
    "api_complete_activity": {MILAN_COORDINATOR},
    "api_cancel_activity": {MILAN_COORDINATOR},
    # Sub-Action 5 only: the matrix's activity (Sub-Action 3) is refused by the rule, 422.
    "count_staff_trained": {MILAN_COORDINATOR},
    "api_count_staff_trained": {MILAN_COORDINATOR},
    # -- finance --
    "city_finance": MILAN_STAFF | OVERSIGHT,
    "record_claim": {MILAN_COORDINATOR},
    "ministry_finance": OVERSIGHT,
    "set_allocation": {MINISTRY},
    "approve_claim": {MINISTRY},
    "reject_claim": {MINISTRY},
    "api_city_finance": MILAN_STAFF | OVERSIGHT,
    "api_record_claim": {MILAN_COORDINATOR},
    "api_network_finance": OVERSIGHT,
    "api_set_allocation": {MINISTRY},
    "api_approve_claim": {MINISTRY},
    "api_reject_claim": {MINISTRY},
    # -- the grant's budget, claims and statements (issue 13) --
    "grant_finance": OVERSIGHT,
    "grant_transfer": {MINISTRY},
    "grant_statement": OVERSIGHT,
    "grant_statement_export": OVERSIGHT,
    "grant_statement_pdf": OVERSIGHT,
    "city_grant": MILAN_STAFF | OVERSIGHT,
    "city_grant_statement_export": MILAN_STAFF | OVERSIGHT,
    "city_grant_statement_pdf": MILAN_STAFF | OVERSIGHT,
    "draft_grant_claim": {MILAN_COORDINATOR},
    "grant_claim_page": MILAN_STAFF | OVERSIGHT,
    "submit_grant_claim": {MILAN_COORDINATOR},
    "admit_grant_claim": {MINISTRY},
    "reject_grant_claim": {MINISTRY},
    "confirm_grant_claim": {MINISTRY},
    # the ministry's payments; the lead and national partners' claims (the ministry's finance
    # office drafts them, the oversight sees them; no city)
    "grant_payments": {MINISTRY},
    "record_grant_payment": {MINISTRY},
    "partner_grant": OVERSIGHT,
    "draft_partner_grant_claim": {MINISTRY},
    # -- dashboards and indicators --
    "city_dashboard": MILAN_STAFF | OVERSIGHT,
    "indicator_referrals": MILAN_STAFF | OVERSIGHT,
    "indicator_referrals_export": MILAN_STAFF | OVERSIGHT,
    "indicator_placements": MILAN_STAFF | OVERSIGHT,
    "indicator_placements_export": MILAN_STAFF | OVERSIGHT,
    "city_dashboard_export": MILAN_STAFF | OVERSIGHT,
    "ministry_dashboard": OVERSIGHT,
    "ministry_dashboard_export": OVERSIGHT,
    "api_city_indicators": MILAN_STAFF | OVERSIGHT,
    "api_network_indicators": OVERSIGHT,
    # -- indicators for the donor (issue 13 item 6): as the dashboards --
    "city_donor_report": MILAN_STAFF | OVERSIGHT,
    "city_donor_report_export": MILAN_STAFF | OVERSIGHT,
    "city_donor_records": MILAN_STAFF | OVERSIGHT,
    "city_donor_records_export": MILAN_STAFF | OVERSIGHT,
    "network_donor_report": OVERSIGHT,
    "network_donor_report_export": OVERSIGHT,
    "network_donor_records": OVERSIGHT,
    "network_donor_records_export": OVERSIGHT,
    # -- exports --
    "case_list_export": MILAN_STAFF | OVERSIGHT,
    "identifier_access_log_export": OVERSIGHT,
    "case_housing_export": MILAN_STAFF | OVERSIGHT,
    "referral_board_export": MILAN_STAFF | OVERSIGHT,
    "city_housing_export": MILAN_STAFF | OVERSIGHT,
    "shelter_page_export": MILAN_STAFF | OVERSIGHT,
    "activity_register_export": MILAN_STAFF | OVERSIGHT,
    "activity_page_export": MILAN_STAFF | OVERSIGHT,
    "city_finance_export": MILAN_STAFF | OVERSIGHT,
    "ministry_finance_export": OVERSIGHT,
    "ministry_overview_export": OVERSIGHT,
    "audit_event_browser_export": OVERSIGHT,
    # -- live updates --
    "live_stream": PEOPLE,
    # -- individual plans: the case's everyday work; the oversight reads them without texts --
    "plan_page": MILAN_STAFF | OVERSIGHT,
    "start_plan": MILAN_STAFF,
    "agree_plan_goal": MILAN_STAFF,
    "achieve_plan_goal": MILAN_STAFF,
    "drop_plan_goal": MILAN_STAFF,
    "plan_goal_action": MILAN_STAFF,
    "complete_plan_action": MILAN_STAFF,
    "review_plan": MILAN_STAFF,
    "api_get_plan": MILAN_STAFF | OVERSIGHT,
    "api_start_plan": MILAN_STAFF,
    "api_agree_plan_goal": MILAN_STAFF,
    "api_achieve_plan_goal": MILAN_STAFF,
    "api_drop_plan_goal": MILAN_STAFF,
    "api_plan_goal_action": MILAN_STAFF,
    "api_complete_plan_action": MILAN_STAFF,
    "api_review_plan": MILAN_STAFF,
    # -- documents: a case's files are its city staff's; a claim's are read by the oversight --
    "case_documents": MILAN_STAFF,
    "attach_case_document": MILAN_STAFF,
    "download_case_document": MILAN_STAFF,
    "api_case_documents": MILAN_STAFF,
    "api_attach_case_document": MILAN_STAFF,
    "api_download_case_document": MILAN_STAFF,
    "claim_documents": MILAN_STAFF | OVERSIGHT,
    "attach_claim_document": {MILAN_COORDINATOR},
    "download_claim_document": {MILAN_COORDINATOR} | OVERSIGHT,
    "api_claim_documents": MILAN_STAFF | OVERSIGHT,
    "api_attach_claim_document": {MILAN_COORDINATOR},
    "api_download_claim_document": {MILAN_COORDINATOR} | OVERSIGHT,
    # -- households --
    "case_household": MILAN_STAFF | OVERSIGHT,
    "form_household": MILAN_STAFF,
    "join_household": MILAN_STAFF,
    "leave_household": MILAN_STAFF,
    "make_household_head": MILAN_STAFF,
    "offer_household_beds": MILAN_STAFF,
    "city_households": MILAN_STAFF | OVERSIGHT,
    "network_households": OVERSIGHT,
    "api_case_household": MILAN_STAFF | OVERSIGHT,
    "api_form_household": MILAN_STAFF,
    "api_join_household": MILAN_STAFF,
    "api_leave_household": MILAN_STAFF,
    "api_make_household_head": MILAN_STAFF,
    "api_offer_household_beds": MILAN_STAFF,
    "api_city_household_sizes": MILAN_STAFF | OVERSIGHT,
    "api_network_household_sizes": OVERSIGHT,
    # -- partner organisations (issue 12 item 5) --
    "city_organisations": MILAN_STAFF | OVERSIGHT,
    "api_city_organisations": MILAN_STAFF | OVERSIGHT,
    "register_organisation": {MILAN_COORDINATOR},
    "api_register_organisation": {MILAN_COORDINATOR},
    "retire_organisation": {MILAN_COORDINATOR},
    "api_retire_organisation": {MILAN_COORDINATOR},
    # -- case notes: that notes exist for oversight, their texts and writing for the staff --
    "case_notes": MILAN_STAFF | OVERSIGHT,
    "write_case_note": MILAN_STAFF,
    "api_case_notes": MILAN_STAFF | OVERSIGHT,
    "api_write_case_note": MILAN_STAFF,
    # -- assignment and work queue (issue 16) --
    "assign_case": {MILAN_COORDINATOR},
    "api_assign_case": {MILAN_COORDINATOR},
    "api_case_assignment": MILAN_STAFF | OVERSIGHT,
    "work_queue": PEOPLE,
    "work_queue_lines": PEOPLE,
    "work_queue_count": PEOPLE,
    "api_work_queue": PEOPLE,
    # -- services delivered --
    "case_deliveries": MILAN_STAFF | OVERSIGHT,
    "record_delivery": MILAN_STAFF,
    "void_delivery": MILAN_STAFF,
    "delivery_register": MILAN_STAFF | OVERSIGHT,
    "api_case_deliveries": MILAN_STAFF | OVERSIGHT,
    "api_record_delivery": MILAN_STAFF,
    "api_void_delivery": MILAN_STAFF,
    "api_delivery_register": MILAN_STAFF | OVERSIGHT,
    # -- the case summary's print view --
    "case_summary_print": MILAN_STAFF | OVERSIGHT,
    "case_summary_print_with_identifiers": MILAN_STAFF,
    # -- search (by code where one lists cases; by identifiers, a city's staff in their city) --
    "search": PEOPLE,
    "api_search_cases": PEOPLE,
    "search_by_identifiers": CITY_STAFF,
    "api_search_by_identifiers": CITY_STAFF,
    # -- possible same persons (noted on a Milan case; decided by Milan's coordinators) --
    # Not partners: a match links cases across cities, outside any partner agreement.
    "api_case_person_matches": MILAN_STAFF | OVERSIGHT,
    "confirm_same_person": {MILAN_COORDINATOR},
    "rule_out_same_person": {MILAN_COORDINATOR},
    "api_confirm_same_person": {MILAN_COORDINATOR},
    "api_rule_out_same_person": {MILAN_COORDINATOR},
}
# Routes whose answer never ends (server-sent events): a call reads the answer up to its first
# event, then hangs up.
STREAMING_ROUTES = {"live_stream"}
# The `{table}` of an export route whose page shows several tables: one the page has.
EXPORTED_TABLE = {
    "city_housing_export": "waitlist",
    "shelter_page_export": "beds",
    "activity_register_export": "activities",
    "activity_page_export": "participants",
    "city_finance_export": "claims",
    "ministry_finance_export": "cities",
    "identifier_access_log_export": "readings",
    # -- dashboards and indicators --
    "city_dashboard_export": "activities",
    "ministry_dashboard_export": "cities",
}
# Routes called with a body their rules refuse (422), because carrying them out would end the
# sessions the rest of the matrix uses (a password change ends the person's other sessions):
# for those allowed, reaching the rule is what shows the access.
REFUSED_BY_THE_RULES = {"change_password", "api_change_password",
                        # (a transfer needs an adopted budget: the matrix's platform has none,
                        # so reaching the rule shows the access)
                        "grant_transfer", "record_grant_payment",
                        # (setting up a second factor would ask a code at every later sign-in)
                        "enrol_second_factor",
                        # (the matrix's activity is of Sub-Action 3: no staff to count there)
                        "count_staff_trained", "api_count_staff_trained"}
# Routes that change the session itself: each call gets a client of its own.
SESSION_ROUTES = {"sign_in", "sign_out"}
# Routes whose every call changes what it names (an erasure, a referral's answer, ...): each call
# gets resources of its own (a new Milan case, and whatever RESOURCES makes from it).
FRESH_ROUTES = {
    "erase_personal_data", "api_erase_personal_data",
    # -- case lifecycle --
    "close_case", "api_close_case", "reopen_case", "api_reopen_case", "correct_case",
    "api_correct_case", "change_case_status", "api_change_case_status", "give_case_consent",
    "api_give_case_consent", "withdraw_case_consent", "api_withdraw_case_consent",
    "appoint_case_guardian", "assess_case_vulnerability", "describe_case_vulnerability",
    "api_appoint_case_guardian", "api_assess_case_vulnerability",
    "api_describe_case_vulnerability",
    # -- referrals --
    "request_referral", "api_request_referral", "accept_referral", "api_accept_referral",
    "decline_referral", "api_decline_referral", "complete_referral", "api_complete_referral",
    "withdraw_referral", "api_withdraw_referral",
    # -- housing --
    "add_beds", "api_add_beds", "remove_beds", "api_remove_beds", "close_shelter",
    "api_close_shelter", "waitlist_case", "api_waitlist_case", "offer_bed", "api_offer_bed",
    "decline_offer", "api_decline_offer", "move_in", "api_move_in", "move_out", "api_move_out",
    "leave_waitlist", "api_leave_waitlist",
    # -- activities --
    "enrol_participant", "api_enrol_participant", "complete_activity", "api_complete_activity",
    "cancel_activity", "api_cancel_activity",
    # -- finance --
    "approve_claim", "api_approve_claim", "reject_claim", "api_reject_claim",
    "submit_grant_claim", "admit_grant_claim", "reject_grant_claim", "confirm_grant_claim",
    # -- individual plans --
    "start_plan", "api_start_plan", "achieve_plan_goal", "api_achieve_plan_goal",
    "drop_plan_goal", "api_drop_plan_goal", "complete_plan_action", "api_complete_plan_action",
    # -- households --
    "form_household", "api_form_household", "join_household", "api_join_household",
    "leave_household", "api_leave_household", "make_household_head", "api_make_household_head",
    "offer_household_beds", "api_offer_household_beds",
    # -- partner organisations: a retirement is once --
    "retire_organisation", "api_retire_organisation",
    # -- assignment: each call gives a fresh case (held by its recorder) to someone else --
    "assign_case", "api_assign_case",
    # -- services delivered --
    "void_delivery", "api_void_delivery",
    # -- possible same persons --
    "confirm_same_person", "api_confirm_same_person", "rule_out_same_person",
    "api_rule_out_same_person",
}
AN_ERASURE_REQUEST = {"requested_on": "2021-03-12", "request_reference": "PG/2021/0001"}
# -- activities --
AN_ACTIVITY_PLAN = {"sub_action": "3", "kind": "neighbourhood_mediation",
                    "title": "Access matrix", "neighbourhood": "Niguarda",
                    "starts_on": "2021-03-01", "ends_on": "2021-06-30",
                    "organiser": "Ufficio Mediazione"}
A_SESSION = {"held_on": "2021-03-15", "hours": "1.5", "residents": 3}


def an_activity_with_a_session(clients: Clients, case_id: str) -> str:
    """A Milan activity with a session held, so that it can be completed."""
    coordinator = clients.coordinator("milano")
    planned = coordinator.post("/api/v1/cities/milano/activities", json=AN_ACTIVITY_PLAN)
    assert planned.status_code == 201, planned.text
    activity_id: str = planned.json()["activity_id"]
    held = coordinator.post(f"/api/v1/activities/{activity_id}/sessions", json=A_SESSION)
    assert held.status_code == 201, held.text
    return activity_id


# -- case notes --
A_NOTE = {"kind": "phone_call", "contacted_on": "2021-03-11", "duration_minutes": 10,
          "text": "Access matrix", "follow_up_on": "2021-03-18"}

# -- finance --
AN_ALLOCATION = {"city": "milano", "sub_action": "3", "amount": "1000000.00",
                 "reason": "Access matrix"}
A_CLAIM = {"sub_action": "3", "category": "staff", "amount": "10.00",
           "spent_on": "2021-03-15", "document_reference": "PG/2021/0001"}


A_GRANT_CLAIM = {"sub_action": "3", "heading": "services", "supplier": "Access matrix srl",
                 "document_number": "FT 1/2021", "document_date": "2021-02-01",
                 "gross_amount": "60000,00", "eligible_amount": "60000,00",
                 "vat_treatment": "exempt", "payment_date": "2021-02-15",
                 "cup": "J41H19000010001"}
A_TRANSFER = {"co_beneficiary": "milano", "from_sub_action": "3", "from_heading": "staff",
              "to_sub_action": "3", "to_heading": "travel", "amount": "10,00",
              "reason": "savings", "act_reference": "PG/2021/0001",
              "approved_on": "2021-03-01"}


A_PAYMENT = {"co_beneficiary": "milano", "kind": "interim", "amount": "10,00",
             "value_date": "2021-03-01", "reference": "MP-2021/0001"}


def a_drafted_grant_claim(clients: Clients, _case_id: str) -> str:
    """A Milan claim of the grant's model, drafted with its invoice and proof of payment."""
    coordinator = clients.coordinator("milano")
    drafted = coordinator.post("/cities/milano/grant/claims", data=A_GRANT_CLAIM,
                               follow_redirects=False)
    assert drafted.status_code == 303, drafted.text[:500]
    claim_id: str = urlsplit(drafted.headers["location"]).path.rsplit("/", 1)[-1]
    for kind in ("invoice", "proof_of_payment"):
        attached = coordinator.post(f"/api/v1/claims/{claim_id}/documents", data={"kind": kind},
                                    files={"file": ("a.pdf", A_PDF, "application/pdf")})
        assert attached.status_code == 201, attached.text
    return claim_id


def a_submitted_grant_claim(clients: Clients, case_id: str) -> str:
    claim_id = a_drafted_grant_claim(clients, case_id)
    submitted = clients.coordinator("milano").post(f"/grant-claims/{claim_id}/submission",
                                                   follow_redirects=False)
    assert submitted.status_code == 303, submitted.text[:500]
    return claim_id


def an_admission_to_confirm(clients: Clients, case_id: str) -> str:
    """Admitted (EUR 60,000.00, above the threshold) by a ministry user other than the
    matrix's, who may then confirm it (four eyes)."""
    claim_id = a_submitted_grant_claim(clients, case_id)
    checked = clients.user("ministry.checker", Role.MINISTRY).post(
        f"/grant-claims/{claim_id}/admission", follow_redirects=False)
    assert checked.status_code == 303, checked.text[:500]
    return claim_id


def a_pending_claim(clients: Clients, case_id: str) -> str:
    """A pending Milan claim, against an allocation the ministry sets large enough for all."""
    allocated = clients.ministry().post("/api/v1/finance/allocations", json=AN_ALLOCATION)
    assert allocated.status_code == 200, allocated.text
    claimed = clients.coordinator("milano").post("/api/v1/cities/milano/finance/claims",
                                                 json=A_CLAIM)
    assert claimed.status_code == 201, claimed.text
    claim_id: str = claimed.json()["claim_id"]
    return claim_id


# -- individual plans --
A_PLAN_START = {"started_on": TODAY_IN_ITALY, "next_review_on": TODAY_IN_ITALY}
A_GOAL = {"area": "work", "text": "Matrice", "agreed_on": TODAY_IN_ITALY,
          "target_date": TODAY_IN_ITALY}
AN_ACTION = {"text": "Matrice", "owner": "person", "due_on": TODAY_IN_ITALY}
A_REVIEW = {"text": "Matrice", "reviewed_on": TODAY_IN_ITALY, "next_review_on": TODAY_IN_ITALY}


def a_goal(clients: Clients, case_id: str) -> str:
    """An open goal of the case's plan (started here when the case has none yet)."""
    coordinator = clients.coordinator("milano")
    started = coordinator.post(f"/api/v1/cases/{case_id}/plan", json=A_PLAN_START)
    assert started.status_code in (201, 422), started.text
    agreed = coordinator.post(f"/api/v1/cases/{case_id}/plan/goals", json=A_GOAL)
    assert agreed.status_code == 201, agreed.text
    goal_id: str = agreed.json()["item_id"]
    return goal_id


def an_action(clients: Clients, case_id: str) -> str:
    """An action not yet done, under a new goal of the case's plan."""
    goal_id = a_goal(clients, case_id)
    planned = clients.coordinator("milano").post(
        f"/api/v1/cases/{case_id}/plan/goals/{goal_id}/actions", json=AN_ACTION)
    assert planned.status_code == 201, planned.text
    action_id: str = planned.json()["item_id"]
    return action_id
# -- documents --
A_PDF = b"%PDF-1.4\n% Access matrix\n%%EOF\n"


def a_case_document(clients: Clients, case_id: str) -> str:
    """A file attached to the Milan case given."""
    attached = clients.coordinator("milano").post(
        f"/api/v1/cases/{case_id}/documents", data={"kind": "information_notice"},
        files={"file": ("a.pdf", A_PDF, "application/pdf")})
    assert attached.status_code == 201, attached.text
    document_id: str = attached.json()["document_id"]
    return document_id


def a_claim_document(clients: Clients, case_id: str) -> str:
    """An invoice attached to a pending Milan claim of its own."""
    claim_id = a_pending_claim(clients, case_id)
    attached = clients.coordinator("milano").post(
        f"/api/v1/claims/{claim_id}/documents", data={"kind": "invoice"},
        files={"file": ("a.pdf", A_PDF, "application/pdf")})
    assert attached.status_code == 201, attached.text
    document_id: str = attached.json()["document_id"]
    return document_id
# -- services delivered --
A_DELIVERY = {"sub_action": "3", "kind": "meals", "quantity": "14", "delivered_on": "2021-03-15"}


def a_delivery(clients: Clients, case_id: str) -> str:
    recorded = clients.coordinator("milano").post(f"/api/v1/cases/{case_id}/deliveries",
                                                  json=A_DELIVERY)
    assert recorded.status_code == 201, recorded.text
    delivery_id: str = recorded.json()["delivery_id"]
    return delivery_id


# -- case lifecycle --
A_CLOSURE = {"outcome": "autonomy", "closed_on": "2021-03-12", "reason": "Access matrix"}
A_REOPENING = {"reopened_on": "2021-03-13", "reason": "Access matrix"}


def closed(clients: Clients, case_id: str) -> None:
    response = clients.coordinator("milano").post(f"/api/v1/cases/{case_id}/closure",
                                                  json=A_CLOSURE)
    assert response.status_code == 200, response.text


# -- referrals --
A_REFERRAL = {"destination_kind": "city_service", "service": "health"}
# Another destination than A_REFERRAL's: the case of a fresh route already has that one.
ANOTHER_REFERRAL = {"destination_kind": "city_service", "service": "legal_aid"}


# Photographs: a consent to sharing with partners names an organisation (the matrix's
# organisation routes are below).
A_CONSENT = {"purpose": "photographs", "given_on": "2021-03-11"}


def consented(clients: Clients, case_id: str) -> None:
    answer = clients.coordinator("milano").post(f"/api/v1/cases/{case_id}/consents",
                                                json=A_CONSENT)
    assert answer.status_code == 200, answer.text


def a_referral(clients: Clients, case_id: str) -> str:
    """A Milan referral awaiting its answer: of the case given, or of a new Milan case when
    that one cannot be referred (a case closed for a route that reopens it)."""
    coordinator = clients.coordinator("milano")
    created = coordinator.post(f"/api/v1/cases/{case_id}/referrals", json=A_REFERRAL)
    if created.status_code == 422:
        other = record_intake(clients, "milano")["case_id"]
        created = coordinator.post(f"/api/v1/cases/{other}/referrals", json=A_REFERRAL)
    assert created.status_code == 201, created.text
    referral_id: str = created.json()["referral_id"]
    return referral_id


# -- housing --
A_SHELTER = {"name": "Casa Matrice", "kind": "temporary_shelter", "address_area": "Niguarda",
             "beds": 3}
# Moves are dated today (in Italy): the bed was offered today, and no move is in the future.
A_MOVE_OUT = {"outcome": "autonomous_housing", "moved_out_on": TODAY_IN_ITALY, "note": ""}


def a_shelter(clients: Clients, case_id: str) -> str:
    """A Milan shelter with free beds."""
    registered = clients.coordinator("milano").post("/api/v1/cities/milano/shelters",
                                                    json=A_SHELTER)
    assert registered.status_code == 201, registered.text
    shelter_id: str = registered.json()["shelter_id"]
    return shelter_id


def on_the_waitlist(clients: Clients, case_id: str) -> None:
    answer = clients.coordinator("milano").post(f"/api/v1/cases/{case_id}/housing/waitlist")
    assert answer.status_code == 200, answer.text


def offered_a_bed(clients: Clients, case_id: str) -> None:
    on_the_waitlist(clients, case_id)
    shelter_id = a_shelter(clients, case_id)
    answer = clients.coordinator("milano").post(
        f"/api/v1/cases/{case_id}/housing/offers/{shelter_id}")
    assert answer.status_code == 200, answer.text


def housed(clients: Clients, case_id: str) -> None:
    offered_a_bed(clients, case_id)
    answer = clients.coordinator("milano").post(f"/api/v1/cases/{case_id}/housing/move-in",
                                                json={"moved_in_on": TODAY_IN_ITALY})
    assert answer.status_code == 200, answer.text


# -- households --
# The matrix's first Milan case (the `milan` fixture's): fresh cases join its household.
FIRST_MILAN_CASE = "MI-2021-00001"
A_HOUSEHOLD = {"formed_on": TODAY_IN_ITALY}
A_JOINING = {"household_of": FIRST_MILAN_CASE, "relationship": "sibling",
             "joined_on": TODAY_IN_ITALY}


def in_a_household_of_its_own(clients: Clients, case_id: str) -> None:
    answer = clients.coordinator("milano").post(f"/api/v1/cases/{case_id}/household",
                                                json=A_HOUSEHOLD)
    assert answer.status_code == 201, answer.text


def the_first_case_in_a_household(clients: Clients, case_id: str) -> None:
    """The first Milan case has a household (formed on first use), for fresh cases to join."""
    coordinator = clients.coordinator("milano")
    first, page, pages = None, 1, 1
    while first is None and page <= pages:
        listed = coordinator.get("/api/v1/cities/milano/cases",
                                 params={"page_size": 100, "page": page}).json()
        first = next((c["case_id"] for c in listed["items"]
                      if c["case_code"] == FIRST_MILAN_CASE), None)
        page, pages = page + 1, listed["pages"]
    assert first is not None
    if coordinator.get(f"/api/v1/cases/{first}/household").json()["household"] is None:
        in_a_household_of_its_own(clients, first)


def in_the_first_case_s_household(clients: Clients, case_id: str) -> None:
    the_first_case_in_a_household(clients, case_id)
    answer = clients.coordinator("milano").post(f"/api/v1/cases/{case_id}/household/join",
                                                json=A_JOINING)
    assert answer.status_code == 200, answer.text


def a_waitlisted_household(clients: Clients, case_id: str) -> None:
    on_the_waitlist(clients, case_id)
    in_a_household_of_its_own(clients, case_id)


# What a fresh case goes through before a route can be used on it (a reopening needs a closed
# case): route name -> function(clients, the fresh Milan case's id).
PREPARED: dict[str, Callable[[Clients, str], None]] = {
    # -- case lifecycle --
    "reopen_case": closed,
    "api_reopen_case": closed,
    "withdraw_case_consent": consented,
    "api_withdraw_case_consent": consented,
    # -- referrals --
    # -- housing --
    "offer_bed": on_the_waitlist,
    "api_offer_bed": on_the_waitlist,
    "leave_waitlist": on_the_waitlist,
    "api_leave_waitlist": on_the_waitlist,
    "decline_offer": offered_a_bed,
    "api_decline_offer": offered_a_bed,
    "move_in": offered_a_bed,
    "api_move_in": offered_a_bed,
    "move_out": housed,
    "api_move_out": housed,
    # -- activities --
    # -- households --
    "join_household": the_first_case_in_a_household,
    "api_join_household": the_first_case_in_a_household,
    "leave_household": in_a_household_of_its_own,
    "api_leave_household": in_a_household_of_its_own,
    "make_household_head": in_the_first_case_s_household,
    "api_make_household_head": in_the_first_case_s_household,
    "offer_household_beds": a_waitlisted_household,
    "api_offer_household_beds": a_waitlisted_household,
}

# What an unsafe request sends.
BODIES: dict[str, dict[str, Any]] = {
    "sign_in": {"data": {"username": "milano.operator", "password": PASSWORD}},
    "sign_out": {},
    "enrol_second_factor": {"data": {"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                                     "code": "not a code"}},
    "sign_in_code": {"data": {"code": "123456"}},
    "change_password": {"data": {"current_password": PASSWORD, "new_password": PASSWORD,
                                 "confirmation": PASSWORD}},
    "api_change_password": {"json": {"current_password": PASSWORD, "new_password": PASSWORD}},
    "submit_intake": {"data": an_intake_form(intake_date="2021-03-11")},
    "api_record_intake": {"json": an_intake_payload(intake_date="2021-03-11")},
    "reveal_identifiers": {"data": {"reason": "contact_person"}},
    "api_reveal_identifiers": {"json": {"reason": "contact_person"}},
    "erase_personal_data": {"data": {**AN_ERASURE_REQUEST, "confirm": "yes"}},
    "api_erase_personal_data": {"json": AN_ERASURE_REQUEST},
    "grant_identifier_access": {"data": {"grantee": OTHER_AUDITOR, "city": "milano",
                                         "hours": "4", "reason": "Access matrix test"}},
    "revoke_identifier_access": {},
    # -- case lifecycle --
    "close_case": {"data": A_CLOSURE},
    "api_close_case": {"json": A_CLOSURE},
    "reopen_case": {"data": A_REOPENING},
    "api_reopen_case": {"json": A_REOPENING},
    "correct_case": {"data": {"protection_status": "asylum_seeker", "sex": "female",
                              "citizenship": "ER", "household_size": "1",
                              "vulnerabilities": ["trafficking_victim"], "reason": "Matrix"}},
    "api_correct_case": {"json": {"protection_status": "asylum_seeker", "reason": "Matrix"}},
    "change_case_status": {"data": {"decided_on": "2021-03-11",
                                    "protection_status": "subsidiary_protection"}},
    "api_change_case_status": {"json": {"decided_on": "2021-03-11",
                                        "protection_status": "subsidiary_protection"}},
    "give_case_consent": {"data": A_CONSENT},
    "api_give_case_consent": {"json": A_CONSENT},
    "withdraw_case_consent": {"data": {"purpose": "photographs",
                                       "withdrawn_on": "2021-03-11"}},
    "api_withdraw_case_consent": {"json": {"purpose": "photographs",
                                           "withdrawn_on": "2021-03-11"}},
    # On the fresh cases of FRESH_CASES (tests/web/test_vulnerability_pages.py: what is recorded).
    "appoint_case_guardian": {"data": {"appointed_on": "2021-03-11"}},
    "assess_case_vulnerability": {"data": {"vulnerability": "disability",
                                           "assessed_on": "2021-03-11",
                                           "assessed_by": "health_service"}},
    "describe_case_vulnerability": {"data": {"description": "Matrix"}},
    "api_appoint_case_guardian": {"json": {"appointed_on": "2021-03-11"}},
    "api_assess_case_vulnerability": {"json": {"vulnerability": "disability",
                                               "assessed_on": "2021-03-11",
                                               "assessed_by": "health_service"}},
    "api_describe_case_vulnerability": {"json": {"description": "Matrix"}},
    # -- referrals --
    "request_referral": {"data": ANOTHER_REFERRAL},
    "api_request_referral": {"json": ANOTHER_REFERRAL},
    "accept_referral": {"data": {}},
    "decline_referral": {"data": {"reason": "no_capacity"}},
    "api_decline_referral": {"json": {"reason": "no_capacity"}},
    "complete_referral": {"data": {"outcome_note": "Access matrix"}},
    "api_complete_referral": {"json": {"outcome_note": "Access matrix"}},
    "withdraw_referral": {"data": {"reason": "Access matrix"}},
    "api_withdraw_referral": {"json": {"reason": "Access matrix"}},
    # -- housing --
    "register_shelter": {"data": {**A_SHELTER, "beds": "3"}},
    "api_register_shelter": {"json": A_SHELTER},
    "add_beds": {"data": {"count": "1"}},
    "api_add_beds": {"json": {"count": 1}},
    "remove_beds": {"data": {"count": "1"}},
    "api_remove_beds": {"json": {"count": 1}},
    "close_shelter": {"data": {"reason": "other"}},
    "api_close_shelter": {"json": {"reason": "other"}},
    "waitlist_case": {"data": {}},
    "offer_bed": {"data": {}},
    "decline_offer": {"data": {"reason": "Access matrix"}},
    "api_decline_offer": {"json": {"reason": "Access matrix"}},
    "move_in": {"data": {"moved_in_on": TODAY_IN_ITALY}},
    "api_move_in": {"json": {"moved_in_on": TODAY_IN_ITALY}},
    "move_out": {"data": A_MOVE_OUT},
    "api_move_out": {"json": A_MOVE_OUT},
    "leave_waitlist": {"data": {"reason": "Access matrix"}},
    "api_leave_waitlist": {"json": {"reason": "Access matrix"}},
    # -- assignment --
    "assign_case": {"data": {"assignee": "milano.operator"}},
    "api_assign_case": {"json": {"assignee": "milano.operator"}},
    # -- activities --
    "plan_activity": {"data": AN_ACTIVITY_PLAN},
    "api_plan_activity": {"json": AN_ACTIVITY_PLAN},
    # Each call enrols the matrix's first Milan case (the `milan` fixture's) in a fresh activity.
    "enrol_participant": {"data": {"case_code": "MI-2021-00001"}},
    "api_enrol_participant": {"json": {"case_code": "MI-2021-00001"}},
    "record_session": {"data": {**A_SESSION, "hours": "1,5"}},
    "api_record_session": {"json": A_SESSION},
    "complete_activity": {"data": {"confirm": "1"}},  # asked first (issue 14)
    "api_complete_activity": {},
    "cancel_activity": {"data": {"reason": "Access matrix"}},
    "api_cancel_activity": {"json": {"reason": "Access matrix"}},
    # -- finance --
    "record_claim": {"data": A_CLAIM},
    "api_record_claim": {"json": A_CLAIM},
    "set_allocation": {"data": AN_ALLOCATION},
    "api_set_allocation": {"json": AN_ALLOCATION},
    "approve_claim": {"data": {"confirm": "1"}},  # asked first (issue 14)
    "api_approve_claim": {},
    "reject_claim": {"data": {"reason": "Access matrix"}},
    "api_reject_claim": {"json": {"reason": "Access matrix"}},
    "draft_grant_claim": {"data": A_GRANT_CLAIM},
    "grant_transfer": {"data": A_TRANSFER},
    "record_grant_payment": {"data": A_PAYMENT},
    "draft_partner_grant_claim": {"data": A_GRANT_CLAIM},
    "reject_grant_claim": {"data": {"reason": "no_proof"}},
    # -- individual plans --
    "start_plan": {"data": A_PLAN_START},
    "api_start_plan": {"json": A_PLAN_START},
    "agree_plan_goal": {"data": A_GOAL},
    "api_agree_plan_goal": {"json": A_GOAL},
    "achieve_plan_goal": {"data": {"achieved_on": TODAY_IN_ITALY}},
    "api_achieve_plan_goal": {"json": {"achieved_on": TODAY_IN_ITALY}},
    "drop_plan_goal": {"data": {"dropped_on": TODAY_IN_ITALY, "reason": "not_feasible"}},
    "api_drop_plan_goal": {"json": {"dropped_on": TODAY_IN_ITALY, "reason": "not_feasible"}},
    "plan_goal_action": {"data": AN_ACTION},
    "api_plan_goal_action": {"json": AN_ACTION},
    "complete_plan_action": {"data": {"done_on": TODAY_IN_ITALY}},
    "api_complete_plan_action": {"json": {"done_on": TODAY_IN_ITALY}},
    "review_plan": {"data": A_REVIEW},
    "api_review_plan": {"json": A_REVIEW},
    # -- documents --
    "attach_case_document": {"data": {"kind": "information_notice"},
                             "files": {"file": ("a.pdf", A_PDF, "application/pdf")}},
    "api_attach_case_document": {"data": {"kind": "information_notice"},
                                 "files": {"file": ("a.pdf", A_PDF, "application/pdf")}},
    "download_case_document": {"data": {"reason": "identity_check"}},
    "api_download_case_document": {"json": {"reason": "identity_check"}},
    "attach_claim_document": {"data": {"kind": "invoice"},
                              "files": {"file": ("a.pdf", A_PDF, "application/pdf")}},
    "api_attach_claim_document": {"data": {"kind": "invoice"},
                                  "files": {"file": ("a.pdf", A_PDF, "application/pdf")}},
    # -- households --
    "form_household": {"data": A_HOUSEHOLD},
    "api_form_household": {"json": A_HOUSEHOLD},
    "join_household": {"data": A_JOINING},
    "api_join_household": {"json": A_JOINING},
    "leave_household": {"data": {"reason": "moved_away", "left_on": TODAY_IN_ITALY}},
    "api_leave_household": {"json": {"reason": "moved_away", "left_on": TODAY_IN_ITALY}},
    "make_household_head": {"data": {"previous_head_relationship": "sibling",
                                     "changed_on": TODAY_IN_ITALY}},
    "api_make_household_head": {"json": {"previous_head_relationship": "sibling",
                                         "changed_on": TODAY_IN_ITALY}},
    "offer_household_beds": {"data": {}},
    "api_offer_household_beds": {},
    # -- partner organisations: a name is registered once per city, so each route its own --
    "register_organisation": {"data": {"name": "Matrice (pagina)", "kind": "association"}},
    "api_register_organisation": {"json": {"name": "Matrice (API)", "kind": "ngo"}},
    "retire_organisation": {"data": {}},
    "api_retire_organisation": {},
    # -- case notes --
    "write_case_note": {"data": A_NOTE},
    "api_write_case_note": {"json": A_NOTE},
    # -- services delivered --
    "record_delivery": {"data": A_DELIVERY},
    "api_record_delivery": {"json": A_DELIVERY},
    "void_delivery": {"data": {"reason": "duplicate"}},
    "api_void_delivery": {"json": {"reason": "duplicate"}},
    "case_summary_print_with_identifiers": {"data": {"reason": "contact_person"}},
    # -- search --
    "search_by_identifiers": {"data": {"document_number": "PS1234567",
                                       "reason": "identity_check"}},
    "api_search_by_identifiers": {"json": {"document_number": "PS1234567"}},
}

# -- partner organisations --
def an_organisation(clients: Clients, case_id: str) -> str:
    """A Milan partner organisation, registered under a name of its own."""
    registered = clients.coordinator("milano").post(
        "/api/v1/cities/milano/organisations",
        json={"name": f"Matrice {case_id} {uuid4()}", "kind": "ngo"})
    assert registered.status_code == 201, registered.text
    organisation_id: str = registered.json()["organisation"]["organisation_id"]
    return organisation_id


# -- possible same persons --
def a_possible_match(clients: Clients, case_id: str) -> str:
    """A possible match noted on a new Milan case with an earlier Milan case (the matrix's
    intakes are all of conftest's person, so the case given is one of those it may name)."""
    coordinator = clients.coordinator("milano")
    noted = record_intake(clients, "milano")
    matches = coordinator.get(f"/api/v1/cases/{noted['case_id']}/person-matches").json()
    match_id: str = next(m["match_id"] for m in matches if m["other_city"] == "milano")
    return match_id


# The other resources a path can name, each made in Milan for a Milan case (its id given) by
# Milan's coordinator: path parameter -> maker, returning the resource's id.
RESOURCES: dict[str, Callable[[Clients, str], str]] = {
    # -- referrals --
    "referral_id": a_referral,
    # -- housing --
    "shelter_id": a_shelter,
    # -- activities --
    "activity_id": an_activity_with_a_session,
    # -- finance --
    "claim_id": a_pending_claim,
    "grant_claim_id": a_drafted_grant_claim,
    "draft_claim_id": a_drafted_grant_claim,
    "submitted_claim_id": a_submitted_grant_claim,
    "awaiting_claim_id": an_admission_to_confirm,
    # -- individual plans (a goal's maker starts the case's plan) --
    "goal_id": a_goal,
    "action_id": an_action,
    # -- documents --
    "document_id": a_case_document,
    "claim_document_id": a_claim_document,
    # -- services delivered --
    "delivery_id": a_delivery,
    # -- possible same persons --
    "match_id": a_possible_match,
    # -- partner organisations --
    "organisation_id": an_organisation,
    # -- indicators for the donor: the list of the people reached --
    "records": lambda _clients, _case_id: "people",
}
# A path naming one of these is answered 404, like an unknown one, to whoever may not see it.
RESOURCE_PARAMETERS = ("case_id", "referral_id", "shelter_id", "activity_id", "claim_id",
                       "goal_id", "action_id", "document_id", "claim_document_id", "delivery_id",
                       "match_id", "organisation_id", "grant_claim_id", "draft_claim_id",
                       "submitted_claim_id", "awaiting_claim_id")


@dataclass(frozen=True)
class RouteUnderTest:
    name: str
    method: str
    path: str

    @property
    def is_api(self) -> bool:
        return self.path.startswith(("/api/", "/openapi.json", "/health"))

    @property
    def names_a_resource(self) -> bool:
        """A case, or a referral, shelter or activity of a city (not just a city)."""
        return any(f"{{{name}}}" in self.path for name in RESOURCE_PARAMETERS)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def routes_of(app: FastAPI) -> list[RouteUnderTest]:
    """Every route and method of the app, static files aside (tested as public elsewhere)."""
    routes = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            continue
        assert route.name and route.path and route.methods, route
        routes += [RouteUnderTest(route.name, method, route.path)
                   for method in sorted(route.methods)]
    return routes


@dataclass
class Milan:
    case_id: str
    case_code: str


def a_milan_case(clients: Clients) -> Milan:
    created = record_intake(clients, "milano", vulnerabilities=["trafficking_victim"])
    return Milan(created["case_id"], created["case_code"])


@pytest.fixture
def milan(clients: Clients) -> Milan:
    return a_milan_case(clients)


def a_milan_unaccompanied_minor(clients: Clients) -> Milan:
    created = record_intake(clients, "milano", birth_date="2005-01-01",
                            vulnerabilities=["unaccompanied_minor", "trafficking_victim"])
    return Milan(created["case_id"], created["case_code"])


def a_milan_case_with_another_vulnerability(clients: Clients) -> Milan:
    created = record_intake(clients, "milano", vulnerabilities=["other", "trafficking_victim"],
                            other_vulnerability_description="Matrix")
    return Milan(created["case_id"], created["case_code"])


# The routes whose fresh case must be of a kind (the guardian is for an unaccompanied minor).
FRESH_CASES: dict[str, Callable[[Clients], Milan]] = {
    "appoint_case_guardian": a_milan_unaccompanied_minor,
    "describe_case_vulnerability": a_milan_case_with_another_vulnerability,
    "api_appoint_case_guardian": a_milan_unaccompanied_minor,
    "api_describe_case_vulnerability": a_milan_case_with_another_vulnerability,
}


def milan_path_params(
    clients: Clients, case: Milan, grant_id: str, only_for: RouteUnderTest | None = None
) -> dict[str, str]:
    """The path parameters, naming Milan resources made for `case`: every kind, or only those
    the path of `only_for` names."""
    params = {"city": "milano", "case_id": case.case_id, "grant_id": grant_id, "fmt": "xlsx",
              "partner": "cittalia"}
    for name, make in RESOURCES.items():
        if only_for is None or f"{{{name}}}" in only_for.path:
            params[name] = make(clients, case.case_id)
    return params


@pytest.fixture
def grant_id(principals: Principals, clients: Clients) -> str:
    """A live grant (to OTHER_AUDITOR), for the route that revokes one."""
    clients.add_user(OTHER_AUDITOR, Role.AUDITOR)
    given = clients.platform.accounts.grant_access(
        USERS[MINISTRY][0], OTHER_AUDITOR, City.MILANO, timedelta(hours=1), "Matrix fixture")
    return given.grant_id


USERS = {
    FLORENCE_OPERATOR: ("firenze.operator", Role.CITY_OPERATOR, City.FIRENZE),
    FLORENCE_COORDINATOR: ("firenze.coordinator", Role.CITY_COORDINATOR, City.FIRENZE),
    MILAN_OPERATOR: ("milano.operator", Role.CITY_OPERATOR, City.MILANO),
    MILAN_COORDINATOR: ("milano.coordinator", Role.CITY_COORDINATOR, City.MILANO),
    MINISTRY: ("ministry", Role.MINISTRY, None),
    AUDITOR: ("auditor", Role.AUDITOR, None),
}


class Principals:
    """A client per principal; `fresh` makes a new one (a new session, a new token)."""

    def __init__(self, clients: Clients) -> None:
        self.clients = clients
        for username, role, city in USERS.values():
            clients.add_user(username, role, city)
        self._kept: dict[str, TestClient] = {}

    def client(self, principal: str, *, fresh: bool = False) -> TestClient:
        if fresh:
            return self._make(principal)
        if principal not in self._kept:
            self._kept[principal] = self._make(principal)
        return self._kept[principal]

    def _make(self, principal: str) -> TestClient:
        if principal == ANONYMOUS:
            return self.clients.anonymous()
        if principal == MILAN_PARTNER:
            return self.clients.partner("milano")
        if principal == FLORENCE_PARTNER:
            return self.clients.partner("firenze")
        return sign_in(self.clients.anonymous(), USERS[principal][0])


@pytest.fixture
def principals(clients: Clients) -> Principals:
    return Principals(clients)


def call(principals: Principals, principal: str, route: RouteUnderTest,
         path_params: dict[str, str], **query: str) -> Any:
    path_params = {**path_params, "table": EXPORTED_TABLE.get(route.name, "")}
    path = re.sub(r"\{(\w+)\}", lambda m: path_params[m.group(1)], route.path)
    unsafe = route.method not in ("GET", "HEAD")
    client = principals.client(principal, fresh=route.name in SESSION_ROUTES)
    if route.name in STREAMING_ROUTES:
        return up_to_the_first_event(client, route.method, path, params=query or None)
    return client.request(route.method, path, params=query or None, follow_redirects=False,
                          **BODIES.get(route.name, {}) if unsafe else {})


def up_to_the_first_event(client: TestClient, method: str, path: str, **options: Any) -> Any:
    """A stream's answer up to its first event (a refusal's whole answer)."""
    with client.stream(method, path, follow_redirects=False, **options) as streamed:
        if not streamed.headers.get("content-type", "").startswith("text/event-stream"):
            streamed.read()
            return streamed
        first = next(streamed.iter_bytes(), b"")
    return httpx.Response(streamed.status_code, headers=streamed.headers, content=first,
                          request=streamed.request)


def asked_to_sign_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith(
        "/sign-in?next=")


def expected_refusal(principal: str, route: RouteUnderTest) -> int:
    """The status a refused principal gets: 303 (to the sign-in page) or 401 without
    credentials (a partner's token opens no page), 404 for a case they may not see, 403
    otherwise."""
    without_credentials = principal == ANONYMOUS or (principal in PARTNERS and not route.is_api)
    if without_credentials:
        return 401 if route.is_api else 303
    if principal in PARTNERS and route.method not in ("GET", "HEAD"):
        return 403  # a partner only reads: refused before its body is read, whatever it names
    case_viewers = ACCESS["api_get_case" if route.is_api else "case_page"]
    return 404 if route.names_a_resource and principal not in case_viewers else 403


def test_every_route_is_declared_and_the_public_ones_are_exactly_the_published_ones(
    app: FastAPI,
) -> None:
    names = {route.name for route in routes_of(app)}

    assert names - ACCESS.keys() == set(), "declare who may use these routes in ACCESS"
    assert ACCESS.keys() - names == set(), "these routes are gone: drop them from ACCESS"
    assert {name for name, who in ACCESS.items() if ANONYMOUS in who} == PUBLIC_ROUTES


def test_every_route_answers_each_principal_as_declared_and_refusals_carry_no_case_data(
    app: FastAPI, principals: Principals, milan: Milan, clients: Clients, grant_id: str
) -> None:
    checked = 0
    shared = milan_path_params(clients, milan, grant_id)
    for route in routes_of(app):
        for principal in sorted(EVERYONE):
            case, params = milan, shared
            # A refusal comes before anything is written, so only a call that will change
            # something needs resources of its own.
            if route.name in FRESH_ROUTES and principal in ACCESS[route.name]:
                case = FRESH_CASES.get(route.name, a_milan_case)(clients)
                if route.name in PREPARED:
                    PREPARED[route.name](clients, case.case_id)
                params = milan_path_params(clients, case, grant_id, only_for=route)
            response = call(principals, principal, route, params)
            where = f"{principal}: {route} -> {response.status_code}"
            if principal in ACCESS[route.name] and route.name in REFUSED_BY_THE_RULES:
                assert response.status_code == 422, where
            elif principal in ACCESS[route.name]:
                assert response.status_code < 400 and not asked_to_sign_in(response), where
            else:
                assert response.status_code == expected_refusal(principal, route), where
                if response.status_code == 303:
                    assert asked_to_sign_in(response), where
                assert case.case_code not in response.text, where
                assert "trafficking" not in response.text, where
                assert "Tesfaye" not in response.text, where
                if route.is_api:
                    assert set(response.json()) == {"message", "problems"}, where
            checked += 1
    assert checked >= len(EVERYONE) * len(ACCESS)


def test_a_florence_operator_never_sees_a_milan_case_by_any_path(
    app: FastAPI, principals: Principals, milan: Milan, clients: Clients, grant_id: str
) -> None:
    record_intake(clients, "firenze")
    operator = FLORENCE_OPERATOR
    seen = []
    in_milan = milan_path_params(clients, milan, grant_id)
    for route in routes_of(app):
        for params in (in_milan, {**in_milan, "city": "firenze"}):
            for query in ({}, {"created": milan.case_id}, {"vulnerability": "trafficking_victim"},
                          {"lang": "en"}):
                seen.append(call(principals, operator, route, params, **query))
    htmx = principals.client(operator)
    seen.append(htmx.get("/cities/firenze/cases", headers={"HX-Request": "true"}))
    seen.append(htmx.get("/cities/milano/cases", headers={"HX-Request": "true"}))

    assert len(seen) > 100
    for response in seen:
        assert milan.case_code not in response.text, response.request.url
        assert f"/cases/{milan.case_id}\"" not in response.text, response.request.url
    case_page = principals.client(operator).get(f"/cases/{milan.case_id}")
    api_case = principals.client(operator).get(f"/api/v1/cases/{milan.case_id}")
    assert case_page.status_code == api_case.status_code == 404
    unknown = principals.client(operator).get("/api/v1/cases/5a0c1f9e-2a7d-4d0b-9e44-6a1d1c3b2f10")
    assert api_case.json()["problems"][0]["code"] == unknown.json()["problems"][0]["code"]


def test_florence_s_case_list_never_lists_milan_s_cases(
    principals: Principals, milan: Milan, clients: Clients
) -> None:
    florence = record_intake(clients, "firenze")

    listing = principals.client(FLORENCE_OPERATOR).get("/api/v1/cities/firenze/cases").json()

    assert [item["case_code"] for item in listing["items"]] == [florence["case_code"]]
    assert listing["total"] == 1


def test_the_ministry_and_the_auditor_see_milan_s_case_but_never_record_one(
    principals: Principals, milan: Milan
) -> None:
    for overseer in (MINISTRY, AUDITOR):
        client = principals.client(overseer)
        case = client.get(f"/api/v1/cases/{milan.case_id}").json()

        assert case["case_code"] == milan.case_code
        assert case["vulnerabilities"] == ["trafficking_victim"]
        assert milan.case_code in client.get("/cities/milano/cases").text
        assert client.post("/api/v1/cities/milano/intakes",
                           json=an_intake_payload()).status_code == 403
        assert client.get("/cities/milano/intake").status_code == 403


def test_a_refusal_says_why_in_words_and_shows_nothing_of_the_city(
    principals: Principals, milan: Milan
) -> None:
    page = principals.client(FLORENCE_OPERATOR).get("/cities/milano/cases")
    api = principals.client(FLORENCE_OPERATOR).get("/api/v1/cities/milano/cases",
                                                   params={"lang": "en"})

    assert page.status_code == 403
    assert "<h1>Accesso non consentito</h1>" in page.text
    assert "il ruolo, il Comune o l&#39;accordo dell&#39;utente non la prevedono" in page.text
    assert "case-table" not in page.text
    assert api.json()["message"] == (
        "You may not do this: your role, your city or your agreement does not cover it.")
    assert api.json()["problems"][0]["code"] == "access_denied"


def test_a_forbidden_principal_is_refused_before_its_body_is_validated(
    app: FastAPI, principals: Principals, milan: Milan, clients: Clients, grant_id: str
) -> None:
    """Issue 18 item 11: every unsafe route, sent a body that is wrong in every way by each
    principal it refuses, answers the refusal (401/303, 404, 403), never a 422 that would teach
    the schema to someone who may not use the route."""
    shared = milan_path_params(clients, milan, grant_id)
    checked, wrong = 0, []
    for route in routes_of(app):
        if route.method in ("GET", "HEAD") or route.name in SESSION_ROUTES:
            continue
        path_params = {**shared, "table": EXPORTED_TABLE.get(route.name, "")}
        path = route.path.format_map(path_params)
        for principal in sorted(EVERYONE - ACCESS[route.name]):
            client = principals.client(principal)
            bad = ({"json": {"unexpected": ["x"], "reason": 0}} if route.is_api
                   else {"data": {"unexpected": "x", "reason": ""}})
            response = client.request(route.method, path, follow_redirects=False, **bad)
            if response.status_code != expected_refusal(principal, route):
                wrong.append(f"{principal}: {route} -> {response.status_code}")
            checked += 1
    assert wrong == [], "\n".join(wrong)
    assert checked > 500

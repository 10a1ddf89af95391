"""Partners and intake v2 (docs/events.md, rule 5: partners keep reading v1 until they move).
An intake v1 can say truthfully is copied as partner v1, in v1's codes; one it cannot (a person
in or leaving reception, without citizenship, whose sex is not stated, or without a valid
permit) as partner v2, which partners accept from the start of the deprecation window."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import jsonschema
import pytest

from events.cloudevents import Actor, Envelope, event_id, source_for, to_headers
from events.contracts import CaseIntakeRecordedV2, Eligibility
from events.partner import (
    DATASCHEMA,
    PartnerCaseIntakeRecordedV1,
    PartnerCaseIntakeRecordedV2,
    partner_json_schemas,
    partner_message,
    read_partner_message,
)

V1 = "it.lgnet.case.intake_recorded.v1"
V2 = "it.lgnet.case.intake_recorded.v2"


def an_intake_v2(**overrides: Any) -> CaseIntakeRecordedV2:
    fields: dict[str, Any] = {
        "case_id": UUID(int=42), "case_code": "FI-2021-00042", "city": "firenze",
        "intake_date": date(2021, 3, 10), "protection_status": "appellant",
        "permit_expires_on": date(2021, 9, 1), "reception_situation": "left_reception",
        "left_reception_on": date(2020, 6, 1), "planned_exit_on": None,
        "reception_centre_kind": "siproimi", "sex": "male", "age_band": "25-34",
        "citizenship": "NG", "has_identity_document": True, "household_size": 1,
        "vulnerabilities": ["torture_or_serious_violence"],
        "information_notice_given_on": date(2021, 3, 10), "information_notice_language": "en",
        "legal_bases": [{"purpose": "case_management", "legal_basis": "public_task"}],
        "consents": [{"purpose": "referral_to_named_partner", "given_on": date(2021, 3, 10)}],
        "priority_group": "other_outside_reception",
        "eligibility": [
            Eligibility(sub_action="2", eligible=True, reason="asylum_seeker"),
            Eligibility(sub_action="3", eligible=True, reason="vulnerable"),
            Eligibility(sub_action="4", eligible=True, reason="outside_reception"),
        ],
    }
    return CaseIntakeRecordedV2(**fields | overrides)


def copied(event: CaseIntakeRecordedV2) -> tuple[dict[str, str], dict[str, Any]]:
    envelope = Envelope(
        id=event_id(str(event.case_id), 1), source=source_for("firenze"), type=event.ce_type(),
        subject=event.case_code, time=datetime(2021, 3, 10, 9, 30, tzinfo=UTC), position=7,
        actor=Actor(kind="user", id="coordinator-7", role="city_coordinator", city="firenze"),
        data=event,
    )
    message = partner_message(to_headers(envelope), event.model_dump_json().encode())
    assert message is not None and message.subject == "partner.firenze.case.intake_recorded"
    data = json.loads(message.body)
    jsonschema.validate(data, partner_json_schemas()[message.headers["ce-type"]])
    assert message.headers[DATASCHEMA] == partner_json_schemas()[message.headers["ce-type"]]["$id"]
    read_partner_message(message.headers, message.body)
    for word in ("vulnerab", "torture", "reason", "legal_bases", "information_notice",
                 "permit_expires_on", "has_identity_document"):
        assert word not in message.body.decode(), word
    return message.headers, data


def test_an_intake_v1_can_say_is_copied_as_partner_v1_in_its_codes() -> None:
    """v1's "asylum_seeker" was any applicant, its "sai" meant "SAI, formerly SPRAR/SIPROIMI",
    its consent scopes the purposes the data may be processed for."""
    headers, data = copied(an_intake_v2())
    assert headers["ce-type"] == V1
    assert data == {
        "case_id": str(UUID(int=42)), "case_code": "FI-2021-00042", "city": "firenze",
        "intake_date": "2021-03-10", "protection_status": "asylum_seeker",
        "reception_situation": "left_reception", "left_reception_on": "2020-06-01",
        "reception_centre_kind": "sai", "sex": "male", "age_band": "25-34",
        "nationality": "NG", "household_size": 1,
        "consent_scopes": ["case_management", "referral_to_partners", "statistics"],
        "priority_group": "other_outside_reception",
        "eligibility": [{"sub_action": "2", "eligible": True},
                        {"sub_action": "3", "eligible": True},
                        {"sub_action": "4", "eligible": True}],
    }
    assert set(data) == set(PartnerCaseIntakeRecordedV1.model_fields)


@pytest.mark.parametrize(("status", "in_v1"), [
    ("humanitarian_protection", "special_protection"), ("special_cases", "special_protection"),
    ("special_protection", "special_protection"), ("permit_art_18", "other"),
    ("permit_art_42_bis", "other"), ("other_residence_permit", "other"), ("refugee", "refugee"),
])
def test_statuses_are_said_in_v1_s_codes_of_the_same_meaning(status: str, in_v1: str) -> None:
    _headers, data = copied(an_intake_v2(protection_status=status))
    assert data["protection_status"] == in_v1


@pytest.mark.parametrize("overrides", [
    {"reception_situation": "in_reception", "left_reception_on": None,
     "reception_centre_kind": "cas"},
    {"reception_situation": "leaving_reception", "left_reception_on": None,
     "planned_exit_on": date(2021, 4, 1), "reception_centre_kind": "sai"},
    {"citizenship": None},
    {"protection_status": "stateless", "citizenship": None},
    {"sex": "not_stated"},
    {"protection_status": "no_valid_permit", "permit_expires_on": None},
])
def test_an_intake_v1_cannot_say_is_copied_as_partner_v2(overrides: dict[str, Any]) -> None:
    """Rather than a false v1 (v1 knew only people out of reception, each with a citizenship,
    and its third sex value meant something else)."""
    headers, data = copied(an_intake_v2(**overrides))
    assert headers["ce-type"] == V2
    assert set(data) == set(PartnerCaseIntakeRecordedV2.model_fields)
    assert data["consents"] == [{"purpose": "referral_to_named_partner"}]
    for name, value in overrides.items():
        if name in data:
            assert data[name] == (value.isoformat() if isinstance(value, date) else value)

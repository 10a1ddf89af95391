"""Events as the code before issue 12 stored them: version 1 of Case.IntakeRecorded,
Case.IntakeCorrected and Referral.Requested, state for state (the attributes of the event
classes on main before the change, with neither a class_version nor any field added since).
Tests write them straight into an event store to check that the new code reads a store the old
code wrote."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.cases.model import Case
from domain.record import ProgrammeRecord
from domain.referrals.model import Referral
from tests.builders import NOW, a_coordinator


def v1_intake(city: str = "firenze", code: str = "FI-2021-00001", **overrides: Any
              ) -> dict[str, Any]:
    """Case.IntakeRecorded version 1's state: an adult refugee who left a CAS."""
    state: dict[str, Any] = {
        "timestamp": NOW,
        "originator_topic": get_topic(Case),
        "case_code": code,
        "city": city,
        "intake_date": date(2021, 3, 10),
        "protection_status": "refugee",
        "reception_situation": "left_reception",
        "left_reception_on": date(2021, 1, 15),
        "reception_centre_kind": "cas",
        "sex": "female",
        "age_band": "25-34",
        "nationality": "ER",
        "household_size": 1,
        "vulnerabilities": [],
        "consent_given_on": date(2021, 3, 10),
        "consent_scopes": ["case_management", "statistics"],
        "priority_group": "international_protection",
        "eligibility": [
            {"sub_action": "2", "eligible": False, "reason": "not_asylum_seeker"},
            {"sub_action": "3", "eligible": True,
             "reason": "not_vulnerable_yet_outside_reception"},
            {"sub_action": "4", "eligible": True, "reason": "international_protection_first"},
        ],
        "actor": a_coordinator().as_record(),
    }
    return state | overrides


def v1_correction(code: str = "FI-2021-00001", city: str = "firenze",
                  changes: list[dict[str, Any]] | None = None, **overrides: Any
                  ) -> dict[str, Any]:
    """Case.IntakeCorrected version 1's state."""
    return {
        "timestamp": NOW,
        "case_code": code,
        "city": city,
        "changes": changes or [],
        "reason": "Typed wrong",
        "priority_group": "other_outside_reception",
        "eligibility": [
            {"sub_action": "2", "eligible": True, "reason": "asylum_seeker"},
            {"sub_action": "3", "eligible": True,
             "reason": "not_vulnerable_yet_outside_reception"},
            {"sub_action": "4", "eligible": True, "reason": "outside_reception"},
        ],
        "actor": a_coordinator().as_record(),
    } | overrides


def v1_referral(case_id: UUID, code: str = "FI-2021-00001", city: str = "firenze",
                at: datetime = NOW, **overrides: Any) -> dict[str, Any]:
    """Referral.Requested version 1's state: to a partner, on the person's consent."""
    return {
        "timestamp": at,
        "originator_topic": get_topic(Referral),
        "case_id": case_id,
        "case_code": code,
        "city": city,
        "destination_kind": "partner",
        "service": None,
        "partner_name": "Caritas",
        "to_city": None,
        "urgency": "ordinary",
        "due_at": datetime(2021, 3, 25, 9, 30, tzinfo=at.tzinfo),
        "note": None,
        "consent_basis": "consent",
        "consent_override_reason": None,
        "actor": a_coordinator().as_record(),
    } | overrides


def store_v1(record: ProgrammeRecord, originator_id: UUID, version: int, event_class: type,
             state: dict[str, Any]) -> None:
    """Write `state` as version 1 of `event_class` stored it: no class_version."""
    record.recorder.insert_events([StoredEvent(
        originator_id=originator_id,
        originator_version=version,
        topic=get_topic(event_class),
        state=record.mapper.transcoder.encode(state),
    )])

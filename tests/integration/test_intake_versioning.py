"""Issue 12's new versions over a history written before them (docs/events.md, "Versioning"):
a store written by the code before the change (its events as version 1 stored them) and
published by its relay (version 1 messages, chained by the audit chain) is read by the new code,
which adds version 2 events to it. Then:
- every case loads, and the stream's messages of both versions read as the newest;
- `lgnet audit verify` passes over the mixed history, from the event store and from NATS;
- replayed as of a date before the change, the figures are those the old code showed for that
  date (v1's "other" status now named other_residence_permit, its "other" sex not_stated);
  as of a later date, a status decision counts from its date."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from nats.js import JetStreamContext

from domain.cases.model import Case, ReceptionHistory
from domain.cases.rules import ReceptionCentreKind, ReceptionSituation
from domain.programme import ProtectionStatus
from domain.record import ProgrammeRecord
from domain.referrals.model import Referral
from events.cloudevents import from_message
from events.contracts import CaseIntakeCorrectedV3, CaseIntakeRecordedV2
from infra.nats.streams import read_stream
from infra.pipeline import outbox_reader
from infra.pipeline.replay import discard, read_models_as_of
from infra.publishing.messages import message_as_first_published, to_message
from projections.case_list import CaseFilters, CaseListQueries
from projections.indicators import IndicatorQueries
from projections.network_overview import NetworkOverviewQueries
from projections.registry import default_projections
from tests.builders import a_coordinator, an_intake
from tests.conftest import headers_of
from tests.integration.test_audit_chain import Platform, algnet, js, platform  # noqa: F401
from tests.v1_store import store_v1, v1_correction, v1_intake, v1_referral

pytestmark = pytest.mark.nats

REFUGEE_LEFT_IN_2019 = UUID(int=101)  # v1 "sai", left in 2019: SIPROIMI then
APPLICANT = UUID(int=102)  # v1 asylum seeker, sex "other", consented to partners
OTHER_PERMIT = UUID(int=103)  # v1 status "other", left a first-reception centre
REFERRAL = UUID(int=201)
JUNE = datetime(2021, 6, 15, 9, 0, tzinfo=UTC)
BEFORE_THE_CHANGE = datetime(2021, 3, 31, 18, 0, tzinfo=UTC)
AFTER_THE_CHANGE = datetime(2021, 6, 30, 18, 0, tzinfo=UTC)


def write_the_old_history(record: ProgrammeRecord) -> None:
    """What the code before issue 12 stored on 10 March 2021: three intakes, a correction of
    the applicant's nationality, and a referral of the applicant to a partner on consent."""
    store_v1(record, REFUGEE_LEFT_IN_2019, 1, Case.IntakeRecorded, v1_intake(
        code="FI-2021-00001", reception_centre_kind="sai", left_reception_on=date(2019, 9, 1)))
    store_v1(record, APPLICANT, 1, Case.IntakeRecorded, v1_intake(
        code="FI-2021-00002", protection_status="asylum_seeker", sex="other",
        reception_situation="never_in_reception", left_reception_on=None,
        reception_centre_kind=None, vulnerabilities=["pregnancy"],
        consent_scopes=["case_management", "referral_to_partners", "statistics"],
        priority_group="other_outside_reception",
        eligibility=[{"sub_action": "2", "eligible": True, "reason": "asylum_seeker"},
                     {"sub_action": "3", "eligible": True, "reason": "vulnerable"},
                     {"sub_action": "4", "eligible": True, "reason": "outside_reception"}]))
    store_v1(record, OTHER_PERMIT, 1, Case.IntakeRecorded, v1_intake(
        city="milano", code="MI-2021-00001", protection_status="other",
        reception_centre_kind="first_reception", priority_group="other_outside_reception",
        eligibility=[{"sub_action": "2", "eligible": False, "reason": "not_asylum_seeker"},
                     {"sub_action": "3", "eligible": True,
                      "reason": "not_vulnerable_yet_outside_reception"},
                     {"sub_action": "4", "eligible": True, "reason": "outside_reception"}]))
    store_v1(record, APPLICANT, 2, Case.IntakeCorrected, v1_correction(
        code="FI-2021-00002", changes=[{"field": "nationality", "before": "ER", "after": "ET",
                                        "corrects": f"{APPLICANT}.1"}],
        eligibility=[{"sub_action": "2", "eligible": True, "reason": "asylum_seeker"},
                     {"sub_action": "3", "eligible": True, "reason": "vulnerable"},
                     {"sub_action": "4", "eligible": True, "reason": "outside_reception"}]))
    store_v1(record, REFERRAL, 1, Referral.Requested, v1_referral(APPLICANT, code="FI-2021-00002"))


def as_the_old_relay_published(notification: Any, mapper: Any) -> Any:
    """The old relay's message: an event stored by version 1 in its version 1 contract."""
    return message_as_first_published(notification, mapper) or to_message(notification, mapper)


def figures_as_of(record: ProgrammeRecord, moment: datetime) -> dict[str, Any]:
    read_models = read_models_as_of(record, moment, default_projections())
    try:
        cases = IndicatorQueries(read_models).indicators(None).cases
        overview = NetworkOverviewQueries(read_models).overview()
        in_firenze = CaseListQueries(read_models)
        return {
            "taken_in": cases.taken_in,
            "vulnerable": cases.vulnerable,
            "by_protection_status": {c.key: c.count for c in cases.by_protection_status.counts
                                     if c.count},
            "by_sex": {c.key: c.count for c in cases.by_sex.counts if c.count},
            "by_city": {c.city: c.cases for c in overview.cities if c.cases},
            "eligible_for_2": sorted(
                row.case_code for city in ("firenze", "milano")
                for row in in_firenze.list_cases(city, CaseFilters(eligible_for="2")).rows),
        }
    finally:
        discard(read_models)


async def test_a_store_written_before_the_change_is_read_published_replayed_and_verified(
    platform: Platform, js: JetStreamContext, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    record = platform.record
    write_the_old_history(record)
    with monkeypatch.context() as old_code:
        # The relay reads what it publishes through the outbox reader (in this process
        # for a small backlog): the old relay's code goes there.
        old_code.setattr(outbox_reader, "to_message", as_the_old_relay_published)
        await platform.publish()

    # The new code takes a decision on the applicant and an applicant still hosted in a CAS.
    applicant: object = record.repository.get(APPLICANT)
    assert isinstance(applicant, Case)
    applicant.change_status(date(2021, 6, 1), ProtectionStatus.REFUGEE, date(2026, 5, 31),
                            a_coordinator(), JUNE)
    in_a_cas = Case.take_in(UUID(int=104), "FI-2021-00003", an_intake(
        protection_status=ProtectionStatus.ASYLUM_SEEKER, intake_date=date(2021, 6, 15),
        reception=ReceptionHistory(ReceptionSituation.IN_RECEPTION,
                                   centre_kind=ReceptionCentreKind.CAS)), a_coordinator(), JUNE)
    record.save(applicant, in_a_cas)
    await platform.publish()

    # Every case loads, in today's terms.
    refugee: object = record.repository.get(REFUGEE_LEFT_IN_2019)
    reloaded: object = record.repository.get(APPLICANT)
    assert isinstance(refugee, Case) and isinstance(reloaded, Case)
    assert refugee.reception_centre_kind is ReceptionCentreKind.SIPROIMI
    assert reloaded.citizenship == "ET" and reloaded.sex.value == "not_stated"
    assert [d.status for d in reloaded.status_history] == [
        ProtectionStatus.ASYLUM_SEEKER, ProtectionStatus.REFUGEE]

    # The stream holds both versions, each as published; every message reads as the newest.
    messages = [m for m in await read_stream(js) if not m.subject.endswith("checkpoint_signed")]
    assert [headers_of(m)["ce-type"].rsplit(".", 2)[-2:] for m in messages] == [
        ["intake_recorded", "v1"], ["intake_recorded", "v1"], ["intake_recorded", "v1"],
        ["intake_corrected", "v1"], ["requested", "v1"],
        ["status_changed", "v1"], ["intake_recorded", "v2"],
    ]
    read: list[Any] = [from_message(headers_of(m), m.data).data for m in messages]
    assert all(isinstance(data, CaseIntakeRecordedV2) for data in (read[0], read[1], read[2]))
    assert isinstance(read[3], CaseIntakeCorrectedV3)  # its reason read as a legacy text
    assert read[3].changes[0].field == "citizenship"
    assert json.loads(messages[0].data)["reception_centre_kind"] == "sai"  # as published then
    assert read[0].reception_centre_kind == "siproimi"  # as read now

    # The audit chain verifies over the mixed history, from the store and from NATS.
    code, output = await algnet(platform, "audit", "verify")
    assert code == 0, output
    code, output = await algnet(platform, "audit", "verify", "--nats", platform.nats_url)
    assert code == 0, output

    # As of a date before the change: the figures the old code showed then.
    assert figures_as_of(record, BEFORE_THE_CHANGE) == {
        "taken_in": 3,
        "vulnerable": 1,
        # The old code: refugee 1, asylum_seeker 1, other 1.
        "by_protection_status": {"refugee": 1, "asylum_seeker": 1, "other_residence_permit": 1},
        # The old code: female 2, other 1.
        "by_sex": {"female": 2, "not_stated": 1},
        "by_city": {"firenze": 2, "milano": 1},
        "eligible_for_2": ["FI-2021-00002"],
    }
    # As of a date after it: the applicant became a refugee on 1 June and left Sub-Action 2's
    # target group; the applicant hosted in a CAS is in it.
    assert figures_as_of(record, AFTER_THE_CHANGE) == {
        "taken_in": 4,
        "vulnerable": 1,
        "by_protection_status": {"refugee": 2, "asylum_seeker": 1, "other_residence_permit": 1},
        "by_sex": {"female": 3, "not_stated": 1},
        "by_city": {"firenze": 3, "milano": 1},
        "eligible_for_2": ["FI-2021-00003"],
    }


async def test_an_event_altered_after_the_change_is_still_found_by_the_verification(
    platform: Platform, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    """Reading an old event as it was first published admits no other message: an altered v1
    intake matches neither version and is reported altered."""
    write_the_old_history(platform.record)
    with monkeypatch.context() as old_code:
        old_code.setattr(outbox_reader, "to_message", as_the_old_relay_published)
        await platform.publish()
    with sqlite3.connect(platform.events_file) as connection:
        (state,) = connection.execute("SELECT state FROM stored_events WHERE rowid = 1"
                                      ).fetchone()
        connection.execute("UPDATE stored_events SET state = ? WHERE rowid = 1",
                           (bytes(state).replace(b'"ER"', b'"FR"'),))
    code, output = await algnet(platform, "audit", "verify")
    assert code == 1
    assert "ALTERED at position 1," in output

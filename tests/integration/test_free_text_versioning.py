"""Issue 16 item 4 over a history written before it (docs/events.md, "No free text in events"):
a store written by the code before the change, whose referral, housing and case lifecycle
events carried their notes and reasons as free text, and which its relay published so
(messages chained by the audit chain). The new code:
- loads every aggregate; the old texts read as *legacy* texts (the upcasters move them to
  `legacy_texts`: they cannot be written to the vault on the way, and the event store keeps them
  as written), shown by the referral's service as such;
- publishes the old events, when it (re)publishes them, in the new versions, which carry no text;
- reads the old messages of the stream as the new versions, without their text;
- verifies the audit chain over the mixed history, from the store and from NATS: what was
  published then is recomputed as it was (events.PUBLISHED_BEFORE)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from nats.js import JetStreamContext

from domain.cases.model import Case
from domain.cases.service import CaseService
from domain.housing.model import HousingPath, Shelter, ShelterKind
from domain.programme import City
from domain.record import ProgrammeRecord
from domain.referrals.model import Referral
from domain.referrals.service import ReferralService
from domain.vault import CaseText, TextReference
from events.cloudevents import from_message
from events.contracts import CaseClosedV2, CaseIntakeCorrectedV3, CaseReopenedV2
from events.housing import PlacementLeftWaitlistV2, ShelterClosedV2
from events.referrals import (
    ReferralCompletedV2,
    ReferralDeclinedV2,
    ReferralRequestedV4,
    ReferralWithdrawnV2,
)
from infra.nats.streams import read_stream
from infra.pipeline import outbox_reader
from infra.publishing.messages import message_as_first_published, to_message
from infra.store.vault import open_vault
from tests.builders import NOW, a_coordinator, a_person
from tests.conftest import headers_of
from tests.integration.test_audit_chain import Platform, algnet, js, platform  # noqa: F401
from tests.v1_store import store_v1, v1_correction, v1_intake, v1_referral

pytestmark = pytest.mark.nats

PERSON = UUID(int=301)
ASKED, DECLINED, COMPLETED, WITHDRAWN = (UUID(int=n) for n in (401, 402, 403, 404))
NOTE = "Old note L1: prefers a female doctor"
OVERRIDE = "Old override L2: life at risk"
DECLINE_NOTE = "Old decline L3: course full"
OUTCOME = "Old outcome L4: seen on Monday"
WITHDRAWAL = "Old withdrawal L5: moved away"
LEFT = "Old reason L6: found a room"
CORRECTION = "Old correction L7: children not counted"
CLOSURE = "Old closure L8: rents a flat"
REOPENING = "Old reopening L9: lost the flat"
SHELTER_CLOSURE = "Old shelter closure L10: the landlord sold it"
OLD_TEXTS = (NOTE, OVERRIDE, DECLINE_NOTE, OUTCOME, WITHDRAWAL, LEFT, CORRECTION, CLOSURE,
             REOPENING, SHELTER_CLOSURE)
SHELTER = UUID(int=501)


def v2_referral(**overrides: Any) -> dict[str, Any]:
    """Referral.Requested version 2's state (issue 12 to issue 16): the note and a v1
    override's reason in the event."""
    state = v1_referral(PERSON, code="FI-2021-00001") | overrides
    basis = state.pop("consent_basis")
    return state | {"class_version": 2,
                    "legal_basis": "consent" if basis == "consent" else "not_recorded"}


def answer(**fields: Any) -> dict[str, Any]:
    """An answer's state as version 1 of Declined, Completed, Withdrawn stored it."""
    return {"timestamp": NOW + timedelta(hours=1), "case_id": PERSON,
            "case_code": "FI-2021-00001", "city": "firenze",
            "actor": a_coordinator().as_record()} | fields


def store_old_housing(record: ProgrammeRecord) -> None:
    """A path to the waitlist and off it, the last event as version 1 stored it (the reason in
    the event)."""
    path = HousingPath.start(PERSON, "FI-2021-00001", City.FIRENZE, NOW)
    path.waitlist(City.FIRENZE, False, "international_protection", date(2021, 3, 10),
                  a_coordinator(), NOW)
    path.leave_waitlist(TextReference(UUID(int=0), "0" * 64), a_coordinator(), NOW)
    *current, left = path.collect_events()
    record.recorder.insert_events([record.mapper.to_stored_event(e) for e in current])
    state = record.mapper.transcoder.decode(record.mapper.to_stored_event(left).state)
    for new in ("class_version", "reason_id", "reason_digest", "legacy_texts"):
        state.pop(new)
    store_v1(record, path.id, left.originator_version, HousingPath.LeftWaitlist,
             state | {"reason": LEFT})


def store_old_lifecycle(record: ProgrammeRecord) -> None:
    """The case corrected (as version 2 stored it), closed and reopened (as version 1 did):
    their reasons in the events."""
    store_v1(record, PERSON, 2, Case.IntakeCorrected, v1_correction(
        changes=[{"field": "household_size", "before": 1, "after": 3,
                  "corrects": f"{PERSON}.1"}], reason=CORRECTION) | {"class_version": 2})
    common = {"timestamp": NOW + timedelta(hours=2), "case_code": "FI-2021-00001",
              "city": "firenze", "actor": a_coordinator().as_record()}
    store_v1(record, PERSON, 3, Case.Closed, common | {
        "closed_on": date(2021, 3, 11), "outcome": "autonomy", "reason": CLOSURE})
    store_v1(record, PERSON, 4, Case.Reopened, common | {
        "reopened_on": date(2021, 3, 12), "reason": REOPENING})


def store_old_shelter_closure(record: ProgrammeRecord) -> None:
    """A shelter registered, then closed as version 1 stored it: its reason a text (a code of a
    list since: docs/events.md, "A shelter's closure reason")."""
    shelter = Shelter.register(SHELTER, City.FIRENZE, "Casa Aurora", ShelterKind.APARTMENT,
                               "Rifredi", 2, a_coordinator(), NOW)
    record.recorder.insert_events([record.mapper.to_stored_event(e)
                                   for e in shelter.collect_events()])
    store_v1(record, SHELTER, 2, Shelter.Closed, {
        "timestamp": NOW + timedelta(hours=3), "city": "firenze", "closed_on": date(2021, 3, 10),
        "reason": SHELTER_CLOSURE, "actor": a_coordinator().as_record()})


def write_the_old_history(record: ProgrammeRecord) -> None:
    store_v1(record, PERSON, 1, Case.IntakeRecorded, v1_intake(code="FI-2021-00001"))
    store_old_lifecycle(record)
    store_v1(record, ASKED, 1, Referral.Requested, v2_referral(
        note=NOTE, consent_basis="override", consent_override_reason=OVERRIDE))
    store_v1(record, DECLINED, 1, Referral.Requested, v2_referral(partner_name="Emergency"))
    store_v1(record, DECLINED, 2, Referral.Declined, answer(
        to_city=None, reason="other", note=DECLINE_NOTE))
    store_v1(record, COMPLETED, 1, Referral.Requested, v2_referral(partner_name="Arci"))
    store_v1(record, COMPLETED, 2, Referral.Accepted, answer(to_city=None))
    store_v1(record, COMPLETED, 3, Referral.Completed, answer(outcome_note=OUTCOME))
    store_v1(record, WITHDRAWN, 1, Referral.Requested, v2_referral(partner_name="Cesvi"))
    store_v1(record, WITHDRAWN, 2, Referral.Withdrawn, answer(reason=WITHDRAWAL))
    store_old_housing(record)
    store_old_shelter_closure(record)


def as_the_old_relay_published(notification: Any, mapper: Any) -> Any:
    return message_as_first_published(notification, mapper) or to_message(notification, mapper)


async def test_old_free_texts_read_as_legacy_texts_and_the_chain_still_verifies(
    platform: Platform, js: JetStreamContext, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    record = platform.record
    write_the_old_history(record)
    with monkeypatch.context() as old_code:
        # The relay reads what it publishes through the outbox reader (in this process
        # for a small backlog): the old relay's code goes there.
        old_code.setattr(outbox_reader, "to_message", as_the_old_relay_published)
        await platform.publish()

    # The aggregates load; their old texts are legacy texts, shown as such.
    vault = open_vault(platform.settings)
    try:
        vault.store(PERSON, a_person())  # the person's identifiers (the old vault had them)
        referrals = ReferralService(record, CaseService(record, vault))
        assert referrals.texts(ASKED) == {"note": CaseText(NOTE, legacy=True),
                                          "consent_override_reason": CaseText(OVERRIDE, True)}
        assert referrals.texts(DECLINED) == {"decline_note": CaseText(DECLINE_NOTE, True)}
        assert referrals.texts(COMPLETED) == {"outcome_note": CaseText(OUTCOME, True)}
        assert referrals.texts(WITHDRAWN) == {"withdrawal_reason": CaseText(WITHDRAWAL, True)}
        asked = referrals.get(ASKED)
        assert asked.texts == {} and asked.legal_basis is None  # a v1 override's basis
    finally:
        vault.close()
    case: object = record.repository.get(PERSON)
    assert isinstance(case, Case) and not case.is_closed and case.household_size == 3
    lifecycle = [e for e in record.repository.event_store.get(PERSON) if e.originator_version > 1]
    assert [e.legacy_texts for e in lifecycle] == [  # type: ignore[attr-defined]
        {"reason": CORRECTION}, {"reason": CLOSURE}, {"reason": REOPENING}]
    assert [e.reason_id for e in lifecycle] == [None, None, None]  # type: ignore[attr-defined]
    path: object = record.repository.get(HousingPath.id_for(PERSON))
    assert isinstance(path, HousingPath) and path.stage.value == "left_waitlist"
    shelter: object = record.repository.get(SHELTER)
    assert isinstance(shelter, Shelter) and shelter.closed_on == date(2021, 3, 10)
    (_, closed) = record.repository.event_store.get(SHELTER)
    assert (closed.reason, closed.legacy_texts) == (  # type: ignore[attr-defined]
        None, {"reason": SHELTER_CLOSURE})

    # Republished by the new code, the old events carry no text.
    notifications = record.recorder.select_notifications(1, 1000)
    republished = b"".join(to_message(n, record.mapper).body for n in notifications
                           if n.topic.split(":")[1].startswith(
                               ("Referral.", "HousingPath.", "Case.", "Shelter."))
                           and not n.topic.endswith(("Started", "CaseReferrals")))
    assert [text for text in OLD_TEXTS if text.encode() in republished] == []

    # The stream keeps the messages as published then, texts included; read now, as the newest
    # versions, without them.
    messages = [m for m in await read_stream(js) if not m.subject.endswith("checkpoint_signed")]
    types = [headers_of(m)["ce-type"] for m in messages]
    assert "it.lgnet.referral.requested.v2" in types
    assert "it.lgnet.placement.left_waitlist.v1" in types
    assert "it.lgnet.shelter.closed.v1" in types
    assert {"it.lgnet.case.closed.v1", "it.lgnet.case.reopened.v1",
            "it.lgnet.case.intake_corrected.v2"} <= set(types)
    assert all(text.encode() in b"".join(m.data for m in messages) for text in OLD_TEXTS)
    read = [from_message(headers_of(m), m.data).data for m in messages]
    newest = {ReferralRequestedV4, ReferralDeclinedV2, ReferralCompletedV2, ReferralWithdrawnV2,
              PlacementLeftWaitlistV2, CaseClosedV2, CaseReopenedV2, CaseIntakeCorrectedV3,
              ShelterClosedV2}
    assert newest <= {type(data) for data in read}
    assert [text for text in OLD_TEXTS
            if any(text in data.model_dump_json() for data in read)] == []

    # The audit chain verifies over the old messages, from the store and from NATS.
    code, output = await algnet(platform, "audit", "verify")
    assert code == 0, output
    code, output = await algnet(platform, "audit", "verify", "--nats", platform.nats_url)
    assert code == 0, output

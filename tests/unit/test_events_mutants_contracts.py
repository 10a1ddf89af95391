"""The contracts' own functions (events/contracts.py, referrals.py, housing.py, programme.py,
audit.py, finance.py, upcasting.py, catalogue.py, cloudevents.py, partner_chain.py,
audit_keys.py) pinned where the mutation pass of issue 20 found them loose: each upcast field by
field, the CloudEvents headers a message carries, and the partner chain's hash by a known
vector."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal
from uuid import UUID

import pytest

from events.audit import AuditCheckpointSignedV1, AuditCheckpointSignedV2
from events.catalogue import CONTRACTS, UnknownEventType, contract_for, json_schemas
from events.cloudevents import (
    Actor,
    Envelope,
    event_id,
    from_message,
    source_for,
    to_headers,
)
from events.contracts import (
    CaseClosedV1,
    CaseConsentGivenV1,
    CaseConsentWithdrawnV1,
    CaseIntakeCorrectedV1,
    CaseIntakeRecordedV1,
    CasePersonalDataErasedV1,
    CaseReopenedV1,
    Eligibility,
    EventContract,
    FieldChangeV1,
)
from events.finance import _as_text
from events.housing import PlacementLeftWaitlistV1, PlacementMovedOutV1, PlacementOfferDeclinedV1
from events.partner_chain import GENESIS, head_statement, partner_message_hash
from events.programme import ProgrammeCityJoinedV1
from events.referrals import (
    ReferralCompletedV1,
    ReferralDeclinedV1,
    ReferralRequestedV1,
    ReferralWithdrawnV1,
)
from events.upcasting import _return_type, latest, latest_version_of

CASE: dict[str, Any] = {"case_id": UUID(int=42), "case_code": "FI-2021-00042", "city": "firenze"}
CASE_JSON: dict[str, Any] = {
    "case_id": str(UUID(int=42)),
    "case_code": "FI-2021-00042",
    "city": "firenze",
}
ELIGIBILITY = [Eligibility(sub_action="2", eligible=True, reason="asylum_seeker")]
ELIGIBILITY_JSON = [{"sub_action": "2", "eligible": True, "reason": "asylum_seeker"}]


def newest(event: EventContract) -> tuple[str, dict[str, Any]]:
    upcast = latest(event)
    return upcast.ce_type(), upcast.model_dump(mode="json")


def an_intake_v1(**changes: Any) -> CaseIntakeRecordedV1:
    values: dict[str, Any] = (
        CASE
        | {
            "intake_date": date(2021, 3, 10),
            "protection_status": "other",
            "reception_situation": "left_reception",
            "left_reception_on": date(2020, 10, 21),
            "reception_centre_kind": "sai",
            "sex": "other",
            "age_band": "25-34",
            "nationality": "ER",
            "household_size": 2,
            "vulnerabilities": ["pregnancy"],
            "consent_given_on": date(2021, 3, 9),
            "consent_scopes": ["case_management", "referral_to_partners", "statistics"],
            "priority_group": "other_outside_reception",
            "eligibility": ELIGIBILITY,
        }
        | changes
    )
    return CaseIntakeRecordedV1(**values)


def test_an_intake_v1_reads_as_v2_field_by_field() -> None:
    assert newest(an_intake_v1()) == (
        "it.lgnet.case.intake_recorded.v2",
        CASE_JSON
        | {
            "intake_date": "2021-03-10",
            "protection_status": "other_residence_permit",
            "permit_expires_on": None,
            "reception_situation": "left_reception",
            "left_reception_on": "2020-10-21",
            "planned_exit_on": None,
            "reception_centre_kind": "siproimi",
            "sex": "not_stated",
            "age_band": "25-34",
            "citizenship": "ER",
            "has_identity_document": None,
            "household_size": 2,
            "vulnerabilities": ["pregnancy"],
            "information_notice_given_on": None,
            "information_notice_language": None,
            "legal_bases": [],
            "consents": [
                {"purpose": "case_management", "given_on": "2021-03-09"},
                {"purpose": "referral_to_named_partner", "given_on": "2021-03-09"},
                {"purpose": "statistics", "given_on": "2021-03-09"},
            ],
            "priority_group": "other_outside_reception",
            "eligibility": ELIGIBILITY_JSON,
        },
    )


@pytest.mark.parametrize(
    ("left_on", "kind", "expected"),
    [
        (date(2018, 10, 4), "sai", "sprar"),
        (date(2018, 10, 5), "sai", "siproimi"),
        (date(2020, 10, 21), "sai", "siproimi"),
        (date(2020, 10, 22), "sai", "sai"),
        (date(2020, 1, 1), "first_reception", "government_first_reception"),
        (date(2020, 1, 1), "cas", "cas"),
        (date(2020, 1, 1), "other", "other"),
    ],
)
def test_v1_s_centre_is_the_network_s_name_on_the_day_left(
    left_on: date, kind: str, expected: str
) -> None:
    _, data = newest(an_intake_v1(left_reception_on=left_on, reception_centre_kind=kind))
    assert data["reception_centre_kind"] == expected


def test_a_v1_intake_never_in_reception_keeps_no_centre_and_its_codes() -> None:
    _, data = newest(
        an_intake_v1(
            reception_situation="never_in_reception",
            left_reception_on=None,
            reception_centre_kind=None,
            protection_status="refugee",
            sex="female",
        )
    )
    assert (data["reception_centre_kind"], data["protection_status"], data["sex"]) == (
        None,
        "refugee",
        "female",
    )
    _, sai = newest(an_intake_v1(left_reception_on=None))
    assert sai["reception_centre_kind"] == "sai"


def test_a_v1_correction_reads_as_v3_with_the_codes_recoded() -> None:
    correction = CaseIntakeCorrectedV1(
        **CASE,
        changes=[
            FieldChangeV1(field="protection_status", before="other", after="refugee", corrects="a"),
            FieldChangeV1(field="sex", before="male", after="other", corrects="b"),
            FieldChangeV1(field="nationality", before="ER", after="ET", corrects="c"),
            FieldChangeV1(field="household_size", before=1, after=2, corrects="d"),
            FieldChangeV1(field="vulnerabilities", before=[], after=["other"], corrects="e"),
        ],
        reason="typed wrong",
        priority_group="international_protection",
        eligibility=ELIGIBILITY,
    )
    assert newest(correction) == (
        "it.lgnet.case.intake_corrected.v3",
        CASE_JSON
        | {
            "changes": [
                {
                    "field": "protection_status",
                    "before": "other_residence_permit",
                    "after": "refugee",
                    "corrects": "a",
                },
                {"field": "sex", "before": "male", "after": "not_stated", "corrects": "b"},
                {"field": "citizenship", "before": "ER", "after": "ET", "corrects": "c"},
                {"field": "household_size", "before": 1, "after": 2, "corrects": "d"},
                {"field": "vulnerabilities", "before": [], "after": ["other"], "corrects": "e"},
            ],
            "reason_id": None,
            "reason_digest": None,
            "priority_group": "international_protection",
            "eligibility": ELIGIBILITY_JSON,
        },
    )


@pytest.mark.parametrize(
    ("event", "ce_type", "expected"),
    [
        (
            CasePersonalDataErasedV1(
                **CASE, requested_on=date(2021, 4, 2), request_reference="PG/1"
            ),
            "it.lgnet.case.personal_data_erased.v2",
            CASE_JSON
            | {
                "requested_on": "2021-04-02",
                "request_reference": "PG/1",
                "legal_basis": "not_recorded",
            },
        ),
        (
            CaseClosedV1(
                **CASE, closed_on=date(2021, 5, 1), outcome="autonomy", reason="free text"
            ),
            "it.lgnet.case.closed.v2",
            CASE_JSON
            | {
                "closed_on": "2021-05-01",
                "outcome": "autonomy",
                "reason_id": None,
                "reason_digest": None,
            },
        ),
        (
            CaseReopenedV1(**CASE, reopened_on=date(2021, 6, 1), reason="free text"),
            "it.lgnet.case.reopened.v2",
            CASE_JSON | {"reopened_on": "2021-06-01", "reason_id": None, "reason_digest": None},
        ),
        (
            CaseConsentGivenV1(**CASE, purpose="photographs", given_on=date(2021, 3, 9)),
            "it.lgnet.case.consent_given.v2",
            CASE_JSON
            | {"purpose": "photographs", "given_on": "2021-03-09", "organisation_ids": []},
        ),
        (
            CaseConsentWithdrawnV1(**CASE, purpose="photographs", withdrawn_on=date(2021, 3, 9)),
            "it.lgnet.case.consent_withdrawn.v2",
            CASE_JSON
            | {"purpose": "photographs", "withdrawn_on": "2021-03-09", "organisation_ids": []},
        ),
    ],
)
def test_each_case_upcast_field_by_field(
    event: EventContract, ce_type: str, expected: dict[str, Any]
) -> None:
    assert newest(event) == (ce_type, expected)


REFERRAL: dict[str, Any] = CASE | {"referral_id": UUID(int=3)}
REFERRAL_JSON = CASE_JSON | {"referral_id": str(UUID(int=3))}
PATH: dict[str, Any] = CASE | {"housing_path_id": UUID(int=7)}
PATH_JSON = CASE_JSON | {"housing_path_id": str(UUID(int=7))}


@pytest.mark.parametrize("basis", ["consent", "override"])
def test_a_v1_referral_reads_as_v4_with_its_basis(basis: Literal["consent", "override"]) -> None:
    requested = ReferralRequestedV1(
        **REFERRAL,
        destination_kind="partner",
        service=None,
        partner_name="Caritas",
        to_city=None,
        urgency="ordinary",
        due_at=datetime(2021, 3, 20, 12, tzinfo=UTC),
        note="a note",
        consent_basis=basis,
        consent_override_reason=None if basis == "consent" else "urgent",
    )
    ce_type, data = newest(requested)
    assert ce_type == "it.lgnet.referral.requested.v4"
    assert data == REFERRAL_JSON | {
        "destination_kind": "partner",
        "service": None,
        "organisation_id": None,
        "partner_name": "Caritas",
        "to_city": None,
        "urgency": "ordinary",
        "due_at": "2021-03-20T12:00:00Z",
        "note_id": None,
        "note_digest": None,
        "legal_basis": "consent" if basis == "consent" else "not_recorded",
    }


@pytest.mark.parametrize(
    ("event", "ce_type", "expected"),
    [
        (
            ReferralDeclinedV1(**REFERRAL, to_city="roma", reason="other", note="why"),
            "it.lgnet.referral.declined.v2",
            REFERRAL_JSON
            | {"to_city": "roma", "reason": "other", "note_id": None, "note_digest": None},
        ),
        (
            ReferralCompletedV1(**REFERRAL, outcome_note="done"),
            "it.lgnet.referral.completed.v2",
            REFERRAL_JSON | {"outcome_note_id": None, "outcome_note_digest": None},
        ),
        (
            ReferralWithdrawnV1(**REFERRAL, reason="why"),
            "it.lgnet.referral.withdrawn.v2",
            REFERRAL_JSON | {"reason_id": None, "reason_digest": None},
        ),
        (
            PlacementOfferDeclinedV1(**PATH, shelter_id=UUID(int=9), bed=2, reason="far"),
            "it.lgnet.placement.offer_declined.v2",
            PATH_JSON
            | {"shelter_id": str(UUID(int=9)), "bed": 2, "reason_id": None, "reason_digest": None},
        ),
        (
            PlacementMovedOutV1(
                **PATH,
                shelter_id=UUID(int=9),
                bed=2,
                moved_out_on=date(2021, 5, 1),
                outcome="other",
                note="n",
            ),
            "it.lgnet.placement.moved_out.v2",
            PATH_JSON
            | {
                "shelter_id": str(UUID(int=9)),
                "bed": 2,
                "moved_out_on": "2021-05-01",
                "outcome": "other",
                "note_id": None,
                "note_digest": None,
            },
        ),
        (
            PlacementLeftWaitlistV1(**PATH, reason="r"),
            "it.lgnet.placement.left_waitlist.v2",
            PATH_JSON | {"reason_id": None, "reason_digest": None},
        ),
    ],
)
def test_each_referral_and_placement_upcast_field_by_field(
    event: EventContract, ce_type: str, expected: dict[str, Any]
) -> None:
    assert newest(event) == (ce_type, expected)


def test_a_city_joined_v1_and_a_checkpoint_v1_read_as_v2() -> None:
    joined = ProgrammeCityJoinedV1(
        terms_id=UUID(int=1),
        decided_on=date(2021, 12, 1),
        act_reference="DM 1/2021",
        joining_city="roma",
        joins_on=date(2022, 1, 1),
    )
    assert newest(joined) == (
        "it.lgnet.programme.city_joined.v2",
        {
            "terms_id": str(UUID(int=1)),
            "city": "network",
            "decided_on": "2021-12-01",
            "act_reference": "DM 1/2021",
            "joining_city": "roma",
            "joins_on": "2022-01-01",
            "name": None,
            "province_code": None,
        },
    )
    checkpoint = AuditCheckpointSignedV1(
        checkpoint_id=UUID(int=1),
        chain_seq=4,
        chain_hash="ab" * 32,
        position=6,
        key_id="0123456789abcdef",
        signature="cd" * 64,
    )
    assert newest(checkpoint) == (
        "it.lgnet.audit.checkpoint_signed.v2",
        {
            "checkpoint_id": str(UUID(int=1)),
            "city": "network",
            "chain_seq": 4,
            "chain_hash": "ab" * 32,
            "position": 6,
            "key_id": "0123456789abcdef",
            "signature": "cd" * 64,
            "root_hash": None,
            "deployment_id": None,
            "signed_at": None,
        },
    )


def test_the_newest_version_of_each_class_and_a_step_that_is_not_a_classmethod() -> None:
    assert latest_version_of(CaseIntakeCorrectedV1).version == 3
    assert latest_version_of(ReferralRequestedV1).version == 4
    assert latest_version_of(AuditCheckpointSignedV2) is AuditCheckpointSignedV2
    assert _return_type(AuditCheckpointSignedV2.from_v1) is AuditCheckpointSignedV2

    def step(event: Any) -> EventContract:
        return event  # type: ignore[no-any-return]

    with pytest.raises(TypeError, match="an upcaster is a classmethod of the class it returns"):
        _return_type(step)
    with pytest.raises(TypeError, match="an upcaster is a classmethod"):
        _return_type(str.upper)  # type: ignore[arg-type]


def test_the_catalogue_names_each_type_and_its_schema() -> None:
    assert contract_for("it.lgnet.case.closed.v2").ce_type() == "it.lgnet.case.closed.v2"
    with pytest.raises(UnknownEventType) as unknown:
        contract_for("it.lgnet.case.nothing.v1")
    assert unknown.value.args == ("it.lgnet.case.nothing.v1",)
    assert unknown.value.__cause__ is None and unknown.value.__suppress_context__
    schemas = json_schemas()
    assert set(schemas) == set(CONTRACTS)
    closed = schemas["it.lgnet.case.closed.v1"]
    assert closed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert closed["$id"] == "urn:lgnet:schema:it.lgnet.case.closed.v1"
    assert closed["title"] == "CaseClosedV1"


class _ThingV3(EventContract):
    aggregate: ClassVar[str] = "thing"
    event: ClassVar[str] = "made_up"
    version: ClassVar[int] = 3


def test_a_contract_s_type_and_subject() -> None:
    assert _ThingV3.ce_type() == "it.lgnet.thing.made_up.v3"
    assert _ThingV3.subject("la-spezia") == "lgnet.la-spezia.thing.made_up"


def test_money_is_written_with_its_decimals_and_anything_else_is_left() -> None:
    assert _as_text(Decimal("1234.50")) == "1234.50"
    assert _as_text(Decimal("1E+2")) == "100"
    assert _as_text("7.00") == "7.00" and _as_text(7) == 7


# --- CloudEvents headers ----------------------------------------------------------------------


def an_envelope(city: str | None = "firenze") -> Envelope:
    return Envelope(
        id=event_id("agg", 3),
        source=source_for("firenze"),
        type="it.lgnet.case.closed.v1",
        subject="FI-2021-00042",
        time=datetime(2021, 5, 1, 9, 30, tzinfo=UTC),
        position=12,
        actor=Actor(kind="user", id="coordinator-7", role="city_coordinator", city=city),
        data=CaseClosedV1(**CASE, closed_on=date(2021, 5, 1), outcome="autonomy", reason="r"),
    )


def test_an_envelope_s_headers_and_reading_them_back() -> None:
    assert source_for("network") == "/lgnet/network"
    assert source_for("la-spezia") == "/lgnet/cities/la-spezia"
    assert event_id("agg", 3) == "agg.3"
    envelope = an_envelope()
    headers = to_headers(envelope)
    assert headers == {
        "ce-specversion": "1.0",
        "ce-id": "agg.3",
        "ce-source": "/lgnet/cities/firenze",
        "ce-type": "it.lgnet.case.closed.v1",
        "ce-subject": "FI-2021-00042",
        "ce-time": "2021-05-01T09:30:00+00:00",
        "ce-datacontenttype": "application/json",
        "ce-lgnetposition": "12",
        "ce-actorkind": "user",
        "ce-actorid": "coordinator-7",
        "ce-actorrole": "city_coordinator",
        "ce-actorcity": "firenze",
    }
    read = from_message(headers, envelope.data.model_dump_json().encode())
    assert (read.id, read.source, read.type, read.subject, read.time, read.position) == (
        "agg.3",
        "/lgnet/cities/firenze",
        "it.lgnet.case.closed.v1",
        "FI-2021-00042",
        datetime(2021, 5, 1, 9, 30, tzinfo=UTC),
        12,
    )
    assert read.actor == Actor(
        kind="user", id="coordinator-7", role="city_coordinator", city="firenze"
    )
    assert read.data.ce_type() == "it.lgnet.case.closed.v2"  # read as the newest version
    networked = to_headers(an_envelope(city=None))
    assert "ce-actorcity" not in networked
    assert from_message(networked, envelope.data.model_dump_json().encode()).actor.city is None


# --- the partner chain ------------------------------------------------------------------------


def test_the_partner_chain_hash_and_head_are_known_vectors() -> None:
    headers = {
        "ce-id": "a.1",
        "ce-type": "t",
        "ce-lgnetpartnersig": "ff",
        "ce-lgnetpartnerkey": "k",
        "Nats-Msg-Id": "x",
        "ce-x": "é",
    }
    body = b'{"a":1}'
    hashed = {
        "subject": "partner.roma.case.closed",
        "headers": {"ce-id": "a.1", "ce-type": "t", "ce-x": "é"},
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert "\\u00e9" in canonical
    digest = partner_message_hash("partner.roma.case.closed", headers, body)
    assert digest == hashlib.sha256(canonical.encode()).hexdigest()
    assert digest == "99258cea09790aa7ba8cf3062e7644a8db5ec9a4ee7026fccc5ecf90cd3e404c"
    assert head_statement("partner.roma.case.closed", 7, "ab") == (
        b"lgnet-partner-head-v1\npartner.roma.case.closed\n7\nab"
    )
    assert GENESIS == "0" * 64


# --- key rotations ----------------------------------------------------------------------------


def test_each_refused_rotation_says_why_in_full() -> None:
    from events.audit_keys import KeySchedule, key_fingerprint, raw_base64, rotation_statement
    from tests.unit.test_audit_keys import NEW, OLD, OLD_ID, rotation

    new_id = key_fingerprint(NEW.public_key())[:16]
    assert KeySchedule(OLD.public_key()).follow(rotation(old_key_id="0" * 16)) == (
        f"the key rotation names key 0000000000000000 as the one retired, but the key in force "
        f"is {OLD_ID}"
    )
    assert KeySchedule(OLD.public_key()).follow(rotation(signer=NEW)) == (
        f"the key rotation to key {new_id} is not signed by the key in force, {OLD_ID}"
    )
    assert KeySchedule(OLD.public_key()).follow(rotation(chain_seq=20)) == (
        "the key rotation claims the old key signed up to chain seq 20, not before the rotation "
        "itself"
    )
    other = raw_base64(OLD.public_key())
    assert KeySchedule(OLD.public_key()).follow(rotation(new_public_key=other)) == (
        "the key rotation's new public key is not the one its fingerprint names"
    )
    schedule = KeySchedule(OLD.public_key())
    assert (schedule.first, schedule.rotations) == (OLD.public_key(), 0)
    assert schedule.follow(rotation()) is None
    assert (schedule.first, schedule.rotations) == (OLD.public_key(), 1)
    assert schedule.key_for(0) == OLD.public_key() and schedule.key_for(20) == NEW.public_key()
    assert rotation_statement(
        chain_seq=1, old_key_id="o", new_key_fingerprint="f", deployment_id="d", signed_at="t"
    ) == (
        b'{"chain_seq":1,"context":"lgnet-key-rotation-v1","deployment_id":"d",'
        b'"new_key_fingerprint":"f","old_key_id":"o","signed_at":"t"}'
    )
    # UTF-8 as it is, like every canonical form here (docs/audit.md).
    assert (
        rotation_statement(
            chain_seq=1,
            old_key_id="o",
            new_key_fingerprint="f",
            deployment_id="città",
            signed_at="t",
        ).count("à".encode())
        == 1
    )
    assert rotation().statement() == rotation_statement(
        chain_seq=18,
        old_key_id=OLD_ID,
        new_key_fingerprint=key_fingerprint(NEW.public_key()),
        deployment_id="lgnet-test",
        signed_at="2026-12-06T13:00:00Z",
    )


def test_a_rotation_s_new_key_must_be_32_bytes_and_match_its_id() -> None:
    import base64

    from tests.unit.test_audit_keys import NEW, rotation

    assert rotation().new_key() == NEW.public_key()
    short = base64.b64encode(bytes(31) + b"\x01").decode()  # 32 bytes, another fingerprint
    assert rotation(new_public_key=short).new_key() is None
    body = rotation().body
    renamed = rotation().__class__(body.model_copy(update={"new_key_id": "0" * 16}), 20, 120)
    assert renamed.new_key() is None
    long = body.model_copy(update={"new_public_key": base64.b64encode(bytes(33)).decode()})
    assert rotation().__class__(long, 20, 120).new_key() is None

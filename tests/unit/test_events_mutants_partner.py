"""The partner copies (events/partner.py) pinned field by field where the mutation pass of issue
20 found them loose: what a partner receives of each kind, and what it must never receive
(special-category data, free text, which shelter and bed: ARCHITECTURE.md firm point 5)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from uuid import UUID

import pytest

from events import partner as partner_module
from events.contracts import CaseIntakeRecordedV1, CaseIntakeRecordedV2, EventContract
from events.housing import (
    PlacementBedOfferedV1,
    PlacementLeftWaitlistV1,
    PlacementLeftWaitlistV2,
    PlacementMovedInV1,
    PlacementMovedOutV1,
    PlacementMovedOutV2,
    PlacementOfferDeclinedV1,
    PlacementOfferDeclinedV2,
    PlacementWaitlistedV1,
)
from events.partner import (
    DATASCHEMA,
    PARTNER_KINDS,
    NotAPartnerMessage,
    PartnerCaseIntakeRecordedV1,
    PartnerCaseIntakeRecordedV2,
    PartnerCasePersonalDataErasedV1,
    PartnerKind,
    PartnerPlacementBedOfferedV1,
    PartnerPlacementLeftWaitlistV1,
    PartnerPlacementMovedInV1,
    PartnerPlacementMovedOutV1,
    PartnerPlacementOfferDeclinedV1,
    PartnerPlacementWaitlistedV1,
    _fields_of,
    _is_list,
    _model_in,
    dataschema_of,
    intake_in_v1_terms,
    partner_json_schemas,
    partner_kind_for,
    partner_kind_names,
    partner_message,
    partner_subject,
    read_partner_message,
)
from tests.unit.test_partner_contracts import internal_message
from tests.unit.test_partner_intake_v2 import an_intake_v2


@pytest.fixture(autouse=True)
def _fields_afresh() -> None:
    """Each test works out the partner contracts' fields itself, not from the process's cache."""
    _fields_of.cache_clear()


PATH = UUID(int=7)
CASE = UUID(int=42)
SHELTER = UUID(int=99)
TEXT = UUID(int=5)
DIGEST = "ab" * 32
PLACEMENT: dict[str, Any] = {
    "housing_path_id": PATH,
    "case_id": CASE,
    "case_code": "FI-2021-00042",
    "city": "firenze",
}
PLACEMENT_JSON = {
    "housing_path_id": str(PATH),
    "case_id": str(CASE),
    "case_code": "FI-2021-00042",
    "city": "firenze",
}
# Never in a placement copy: whether the person is vulnerable, the shelter and bed (a protected
# setting's place can reveal a history of violence), free texts and their vault references.
NEVER = ("vulnerable", "shelter", "bed", "address_area", "reason", "note", "digest")

PLACEMENTS: list[tuple[EventContract, dict[str, Any]]] = [
    (
        PlacementWaitlistedV1(
            **PLACEMENT,
            waitlisted_at=datetime(2021, 3, 11, 8, tzinfo=UTC),
            vulnerable=True,
            priority_group="international_protection",
            intake_date=date(2021, 3, 10),
        ),
        {
            "waitlisted_at": "2021-03-11T08:00:00Z",
            "priority_group": "international_protection",
            "intake_date": "2021-03-10",
        },
    ),
    (
        PlacementBedOfferedV1(
            **PLACEMENT,
            shelter_id=SHELTER,
            shelter_name="Casa Rifugio",
            address_area="Oltrarno",
            bed=3,
            offered_on=date(2021, 3, 12),
        ),
        {"offered_on": "2021-03-12"},
    ),
    (PlacementOfferDeclinedV1(**PLACEMENT, shelter_id=SHELTER, bed=3, reason="too far"), {}),
    (
        PlacementOfferDeclinedV2(
            **PLACEMENT, shelter_id=SHELTER, bed=3, reason_id=TEXT, reason_digest=DIGEST
        ),
        {},
    ),
    (
        PlacementMovedInV1(
            **PLACEMENT,
            shelter_id=SHELTER,
            bed=3,
            moved_in_on=date(2021, 3, 13),
            intake_date=date(2021, 3, 10),
        ),
        {"moved_in_on": "2021-03-13", "intake_date": "2021-03-10"},
    ),
    (
        PlacementMovedOutV1(
            **PLACEMENT,
            shelter_id=SHELTER,
            bed=3,
            moved_out_on=date(2021, 5, 1),
            outcome="autonomous_housing",
            note="a private note",
        ),
        {"moved_out_on": "2021-05-01", "outcome": "autonomous_housing"},
    ),
    (
        PlacementMovedOutV2(
            **PLACEMENT,
            shelter_id=SHELTER,
            bed=3,
            moved_out_on=date(2021, 5, 1),
            outcome="autonomous_housing",
            note_id=TEXT,
            note_digest=DIGEST,
        ),
        {"moved_out_on": "2021-05-01", "outcome": "autonomous_housing"},
    ),
    (PlacementLeftWaitlistV1(**PLACEMENT, reason="moved to another city"), {}),
    (PlacementLeftWaitlistV2(**PLACEMENT, reason_id=TEXT, reason_digest=DIGEST), {}),
]


@pytest.mark.parametrize(
    ("event", "own"), PLACEMENTS, ids=[event.ce_type() for event, _ in PLACEMENTS]
)
def test_a_placement_copy_is_the_path_and_case_and_its_own_dates_only(
    event: EventContract, own: dict[str, Any]
) -> None:
    message = partner_message(*internal_message(event))
    assert message is not None
    assert message.subject == f"partner.firenze.placement.{event.event}"
    partner_type = f"it.lgnet.placement.{event.event}.v1"
    assert message.headers["ce-type"] == partner_type
    assert message.headers[DATASCHEMA] == f"urn:lgnet:schema:partner:{partner_type}"
    data = json.loads(message.body)
    assert data == PLACEMENT_JSON | own
    for word in NEVER:
        assert word not in message.body.decode(), word
    assert read_partner_message(message.headers, message.body).model_dump(mode="json") == data


def test_the_headers_kept_are_the_whitelist_s_and_an_absent_one_stays_absent() -> None:
    event, _ = PLACEMENTS[1]
    headers, body = internal_message(event)
    message = partner_message(headers, body)
    assert message is not None
    assert message.headers == {
        "ce-specversion": "1.0",
        "ce-id": headers["ce-id"],
        "ce-source": "/lgnet/cities/firenze",
        "ce-type": "it.lgnet.placement.bed_offered.v1",
        "ce-subject": "FI-2021-00042",
        "ce-time": "2021-03-10T09:30:00+00:00",
        "ce-datacontenttype": "application/json",
        "ce-lgnetposition": "1234",
        "ce-actorkind": "user",
        "ce-actorrole": "city_coordinator",
        "ce-actorcity": "firenze",
        DATASCHEMA: "urn:lgnet:schema:partner:it.lgnet.placement.bed_offered.v1",
    }
    del headers["ce-actorcity"], headers["ce-time"]
    message = partner_message(headers | {"ce-lgnethash": "ff" * 32, "x-other": "1"}, body)
    assert message is not None
    assert "ce-actorcity" not in message.headers and "ce-time" not in message.headers
    assert set(message.headers) == {
        "ce-specversion",
        "ce-id",
        "ce-source",
        "ce-type",
        "ce-subject",
        "ce-datacontenttype",
        "ce-lgnetposition",
        "ce-actorkind",
        "ce-actorrole",
        DATASCHEMA,
    }
    assert partner_message({"ce-id": "x"}, body) is None  # no type: nothing for partners


def test_an_erasure_v2_is_copied_as_v1_without_its_ground_or_reference() -> None:
    from events.contracts import CasePersonalDataErasedV2

    erasure = CasePersonalDataErasedV2(
        case_id=CASE,
        case_code="FI-2021-00042",
        city="firenze",
        requested_on=date(2021, 4, 2),
        request_reference="PG/2021/0012345",
        legal_basis="art17_1a",
    )
    message = partner_message(*internal_message(erasure))
    assert message is not None
    assert message.subject == "partner.firenze.case.personal_data_erased"
    assert message.headers["ce-type"] == "it.lgnet.case.personal_data_erased.v1"
    assert json.loads(message.body) == {
        "case_id": str(CASE),
        "case_code": "FI-2021-00042",
        "city": "firenze",
        "requested_on": "2021-04-02",
    }


def test_every_partner_contract_has_its_partner_subject() -> None:
    assert partner_subject("la-spezia", "case", "closed") == "partner.la-spezia.case.closed"
    for contract in (
        PartnerCaseIntakeRecordedV1,
        PartnerCaseIntakeRecordedV2,
        PartnerCasePersonalDataErasedV1,
        PartnerPlacementWaitlistedV1,
        PartnerPlacementBedOfferedV1,
        PartnerPlacementOfferDeclinedV1,
        PartnerPlacementMovedInV1,
        PartnerPlacementMovedOutV1,
        PartnerPlacementLeftWaitlistV1,
    ):
        assert contract.subject("roma") == f"partner.roma.{contract.aggregate}.{contract.event}"


def test_the_kinds_partners_may_be_given() -> None:
    assert partner_kind_names() == {
        "case.intake_recorded",
        "case.personal_data_erased",
        "placement.waitlisted",
        "placement.bed_offered",
        "placement.offer_declined",
        "placement.moved_in",
        "placement.moved_out",
        "placement.left_waitlist",
    }
    assert partner_kind_for("it.lgnet.case.closed.v1") is None
    kind = partner_kind_for(CaseIntakeRecordedV2.ce_type())
    assert kind is not None
    assert kind.copied_as == (PartnerCaseIntakeRecordedV1, PartnerCaseIntakeRecordedV2)
    assert (kind.ce_type, kind.partner_ce_type, kind.name, kind.dataschema) == (
        "it.lgnet.case.intake_recorded.v2",
        "it.lgnet.case.intake_recorded.v1",
        "case.intake_recorded",
        "urn:lgnet:schema:partner:it.lgnet.case.intake_recorded.v1",
    )
    plain = PARTNER_KINDS[CaseIntakeRecordedV1.ce_type()]
    assert plain.copied_as == (PartnerCaseIntakeRecordedV1,)
    assert dataschema_of(PartnerPlacementMovedInV1) == (
        "urn:lgnet:schema:partner:it.lgnet.placement.moved_in.v1"
    )
    schemas = partner_json_schemas()
    assert sorted(schemas) == sorted(
        {c.ce_type() for k in PARTNER_KINDS.values() for c in k.copied_as}
    )
    for ce_type, schema in schemas.items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"urn:lgnet:schema:partner:{ce_type}"
        assert schema["title"]


def test_a_kind_that_would_change_the_type_or_half_says_it_is_refused() -> None:
    with pytest.raises(ValueError) as newer:
        PartnerKind(internal=CaseIntakeRecordedV1, partner=PartnerCaseIntakeRecordedV2)
    assert str(newer.value) == (
        "PartnerCaseIntakeRecordedV2 must keep the CloudEvents type of CaseIntakeRecordedV1 "
        "(it.lgnet.case.intake_recorded.v1), or be an older version of the same kind of event"
    )
    with pytest.raises(ValueError, match="must keep the CloudEvents type"):
        PartnerKind(internal=CaseIntakeRecordedV1, partner=PartnerCasePersonalDataErasedV1)
    with pytest.raises(ValueError, match="must keep the CloudEvents type"):  # the successor too
        PartnerKind(
            internal=CaseIntakeRecordedV1,
            partner=PartnerCaseIntakeRecordedV1,
            in_partner_terms=intake_in_v1_terms,
            successor=PartnerCaseIntakeRecordedV2,
        )
    with pytest.raises(ValueError) as half:
        PartnerKind(
            internal=CaseIntakeRecordedV2,
            partner=PartnerCaseIntakeRecordedV1,
            in_partner_terms=intake_in_v1_terms,
        )
    assert str(half.value) == "in_partner_terms and successor go together"
    with pytest.raises(ValueError, match=r"^in_partner_terms and successor go together$"):
        PartnerKind(
            internal=CaseIntakeRecordedV2,
            partner=PartnerCaseIntakeRecordedV1,
            successor=PartnerCaseIntakeRecordedV2,
        )
    same = PartnerKind(internal=CaseIntakeRecordedV2, partner=PartnerCaseIntakeRecordedV2)
    assert same.copied_as == (PartnerCaseIntakeRecordedV2,)


def test_an_intake_in_v1_terms_field_by_field() -> None:
    said = intake_in_v1_terms(
        an_intake_v2(
            protection_status="refugee",
            reception_centre_kind="hotspot",
            age_band="0-13",
            consents=[{"purpose": "photographs", "given_on": date(2021, 3, 10)}],
        )
    )
    assert said == {
        "case_id": str(CASE),
        "case_code": "FI-2021-00042",
        "city": "firenze",
        "intake_date": "2021-03-10",
        "protection_status": "refugee",
        "reception_situation": "left_reception",
        "left_reception_on": "2020-06-01",
        "reception_centre_kind": "first_reception",
        "sex": "male",
        "age_band": "0-17",
        "nationality": "NG",
        "household_size": 1,
        "consent_scopes": ["case_management", "statistics"],
        "priority_group": "other_outside_reception",
        "eligibility": [
            {"sub_action": "2", "eligible": True},
            {"sub_action": "3", "eligible": True},
            {"sub_action": "4", "eligible": True},
        ],
    }
    never = intake_in_v1_terms(
        an_intake_v2(
            reception_situation="never_in_reception",
            left_reception_on=None,
            reception_centre_kind=None,
            age_band="14-17",
        )
    )
    assert never is not None
    assert (never["reception_situation"], never["reception_centre_kind"], never["age_band"]) == (
        "never_in_reception",
        None,
        "0-17",
    )
    for kind in ("cas", "sai", "other"):
        said = intake_in_v1_terms(an_intake_v2(reception_centre_kind=kind))
        assert said is not None and said["reception_centre_kind"] == kind
    assert intake_in_v1_terms(an_intake_v2(reception_centre_kind="sprar")) is not None
    for band in ("18-34", "35-64"):  # Eurostat's classes that span two of v1's bands
        assert intake_in_v1_terms(an_intake_v2(age_band=band)) is None
    for band in ("65+", "50-64", "18-24"):
        said = intake_in_v1_terms(an_intake_v2(age_band=band))
        assert said is not None and said["age_band"] == band
    with pytest.raises(AssertionError):
        intake_in_v1_terms(
            CaseIntakeRecordedV1.model_validate(json.loads(internal_message_v1_body()))
        )


def internal_message_v1_body() -> bytes:
    from tests.unit.test_partner_contracts import a_vulnerable_intake

    return a_vulnerable_intake().model_dump_json().encode()


def test_an_intake_v2_in_an_age_band_v1_lacks_goes_as_partner_v2_field_by_field() -> None:
    event = an_intake_v2(
        age_band="18-34", citizenship=None, protection_status="stateless", consents=[]
    )
    message = partner_message(*internal_message(event))
    assert message is not None and message.headers["ce-type"] == CaseIntakeRecordedV2.ce_type()
    assert json.loads(message.body) == {
        "case_id": str(CASE),
        "case_code": "FI-2021-00042",
        "city": "firenze",
        "intake_date": "2021-03-10",
        "protection_status": "stateless",
        "reception_situation": "left_reception",
        "left_reception_on": "2020-06-01",
        "planned_exit_on": None,
        "reception_centre_kind": "siproimi",
        "sex": "male",
        "age_band": "18-34",
        "citizenship": None,
        "household_size": 1,
        "consents": [],
        "priority_group": "other_outside_reception",
        "eligibility": [
            {"sub_action": "2", "eligible": True},
            {"sub_action": "3", "eligible": True},
            {"sub_action": "4", "eligible": True},
        ],
    }


def test_reading_a_partner_message_names_what_is_wrong() -> None:
    event, _ = PLACEMENTS[0]
    message = partner_message(*internal_message(event))
    assert message is not None
    with pytest.raises(NotAPartnerMessage) as unknown:
        read_partner_message({"ce-type": "it.lgnet.case.closed.v1"}, message.body)
    assert str(unknown.value) == "ce-type 'it.lgnet.case.closed.v1' is not a partner kind"
    with pytest.raises(NotAPartnerMessage) as untyped:
        read_partner_message({}, message.body)
    assert str(untyped.value) == "ce-type None is not a partner kind"
    with pytest.raises(NotAPartnerMessage) as unschemed:
        read_partner_message({"ce-type": message.headers["ce-type"]}, message.body)
    assert str(unschemed.value) == (
        "ce-dataschema None is not 'urn:lgnet:schema:partner:it.lgnet.placement.waitlisted.v1'"
    )
    # Left by the whole-tree mutation run of 7 December 2026: the schema named is quoted.
    with pytest.raises(NotAPartnerMessage) as misnamed:
        read_partner_message({"ce-type": message.headers["ce-type"], "ce-dataschema": "urn:x"},
                             message.body)
    assert str(misnamed.value) == (
        "ce-dataschema 'urn:x' is not 'urn:lgnet:schema:partner:it.lgnet.placement.waitlisted.v1'"
    )


class _NowhereV1(EventContract):
    aggregate: ClassVar[str] = "nowhere"
    event: ClassVar[str] = "seen"
    version: ClassVar[int] = 1

    case_code: str


def test_a_partner_kind_without_a_city_cannot_be_given_a_subject(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kind = PartnerKind(internal=_NowhereV1, partner=_NowhereV1)
    monkeypatch.setitem(partner_module.PARTNER_KINDS, _NowhereV1.ce_type(), kind)
    with pytest.raises(TypeError) as refused:
        partner_message({"ce-type": _NowhereV1.ce_type()}, b'{"case_code": "x"}')
    assert str(refused.value) == "_NowhereV1 has no city: partner subjects need one"


def test_the_fields_kept_follow_nested_models_and_lists_of_them() -> None:
    assert _fields_of(PartnerCaseIntakeRecordedV2) == {
        "case_id": True,
        "case_code": True,
        "city": True,
        "intake_date": True,
        "protection_status": True,
        "reception_situation": True,
        "left_reception_on": True,
        "planned_exit_on": True,
        "reception_centre_kind": True,
        "sex": True,
        "age_band": True,
        "citizenship": True,
        "household_size": True,
        "consents": {"__all__": {"purpose": True}},
        "priority_group": True,
        "eligibility": {"__all__": {"sub_action": True, "eligible": True}},
    }
    from events.partner import PartnerEligibility

    assert _model_in(PartnerEligibility | None) is PartnerEligibility
    assert _model_in(list[PartnerEligibility] | None) is PartnerEligibility
    assert _model_in(int | None) is None and _model_in(int) is None
    assert _is_list(list[int] | None) and _is_list(list[int])
    assert not _is_list(PartnerEligibility | None) and not _is_list(int)

    class Holder(EventContract):
        aggregate: ClassVar[str] = "h"
        event: ClassVar[str] = "e"
        version: ClassVar[int] = 1
        one: PartnerEligibility | None
        many: list[PartnerEligibility] | None

    assert _fields_of(Holder) == {
        "one": {"sub_action": True, "eligible": True},
        "many": {"__all__": {"sub_action": True, "eligible": True}},
    }

"""No free text in events (issue 16 item 4, docs/events.md "No free text in events"): a text
typed by a person (a note, an outcome, a reason) is personal data, however it is labelled; it is
kept in the vault, encrypted with the person's key, and an event carries only its id and digest.

These tests walk every published contract (internal and partner) and every domain event of every
aggregate, and fail on a `str` field that is not a code: a code is a `Literal` or an enum (not a
`str` at all), or a `str` with a `pattern` (case codes, digests, country codes, months). A `str`
that is a code without a pattern, or a text not about a person served, is listed below with the
reason it may stay. A new `note: str` anywhere fails here (the last tests show it)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import types
import typing
from collections.abc import Iterator
from typing import Any, ClassVar
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from pydantic import BaseModel, Field

import domain
from domain.housing.model import Shelter, ShelterClosureReason
from events.catalogue import CONTRACTS
from events.contracts import EventContract
from events.housing import PlacementMovedOutV1, ShelterClosedV1, ShelterClosedV2
from events.partner import PARTNER_KINDS
from events.referrals import ReferralRequestedV2
from events.upcasting import UPCASTERS
from infra.publishing.event_mapping.catalogue import PUBLIC_EVENTS

# --- what may stay a str without a pattern, and why ---------------------------------------------

# "<aggregate>.<event>:<field path>" -> why it is not a person's free text.
CONTRACT_ALLOWED: dict[str, str] = {
    # Codes typed as str.
    "case.intake_recorded:eligibility.reason": "a reason code from docs/domain.md's list",
    "case.status_changed:eligibility.reason": "a reason code from docs/domain.md's list",
    "case.came_of_age:eligibility.reason": "a reason code from docs/domain.md's list",
    "case.vulnerability_assessed:eligibility.reason": "a reason code from docs/domain.md's list",
    "case.intake_corrected:eligibility.reason": "a reason code from docs/domain.md's list",
    "case.intake_corrected:changes.before": "the corrected field's former value: a code, a "
    "date or a number (domain.cases.rules.CorrectableField), never a text",
    "case.intake_corrected:changes.after": "the corrected field's new value: a code, a date "
    "or a number (CorrectableField), never a text",
    "case.intake_corrected:changes.corrects": "which correction this corrects: a field code",
    # References to acts, not prose; bounded at 60 characters.
    "case.personal_data_erased:request_reference": "the protocol number of the erasure "
    "request (at most 60 characters, checked as a reference). It cannot go to the vault: it is "
    "recorded as the person's key is destroyed, and it is what proves the erasure was asked",
    "budget.claim_recorded:document_reference": "the number of the invoice or act claimed: a "
    "city's expenditure, not a person's",
    "programme.period_extended:act_reference": "the ministry's act: not about a person",
    "programme.city_joined:act_reference": "the ministry's act: not about a person",
    "programme.city_joined:name": "a new partner Comune's name: a public body, not a person",
    "programme.city_withdrawn:act_reference": "the ministry's act: not about a person",
    "programme.answer_times_set:act_reference": "the ministry's act: not about a person",
    "programme.priority_weights_set:act_reference": "the ministry's act: not about a person",
    # Names and texts about organisations, places and activities, not the persons served:
    # there is no person whose key could hold them, and they identify nobody.
    "referral.requested:partner_name": "the partner organisation's name (an NGO, a service)",
    "organisation.registered:name": "a partner organisation's name (an NGO, an association, a "
    "public service): an organisation, not a person; referrals and consents carry its id only",
    "shelter.registered:name": "a shelter's name: a place of the city",
    "shelter.registered:address_area": "a shelter's area, never a street address (refused "
    "by domain.housing.model's address check): a place",
    "placement.bed_offered:shelter_name": "the shelter's name, copied from its registration",
    "placement.bed_offered:address_area": "the shelter's area, copied from its registration",
    "activity.planned:title": "a community activity's title: public, about no person",
    "activity.planned:neighbourhood": "where the activity takes place: a place",
    "activity.planned:organiser": "the organising body: an organisation",
    "activity.cancelled:reason": "why a community activity was cancelled: about the activity",
    "budget.allocation_set:reason": "why the ministry set a city's allocation: about money",
    "budget.claim_rejected:reason": "why the ministry rejected a city's claim: about money",
    "budget.grant_adopted:act_reference": "the ministry's act: not about a person",
    "budget.transfer_approved:act_reference": "the ministry's act: not about a person",
}

# Domain events' str fields that are not in their contract (or whose event is not published):
# "<Aggregate>.<Event>:<field>" -> why.
DOMAIN_ALLOWED: dict[str, str] = {
    "Referral.Requested:legacy_texts": "the note and override reason of a v1/v2 referral, "
    "moved here by the upcaster: kept as stored (the audit chain holds), never published, "
    "never written by new events",
    "Referral.Declined:legacy_texts": "a v1 decline's note, moved here by the upcaster",
    "Referral.Completed:legacy_texts": "a v1 completion's outcome, moved here by the upcaster",
    "Referral.Withdrawn:legacy_texts": "a v1 withdrawal's reason, moved here by the upcaster",
    "HousingPath.OfferDeclined:legacy_texts": "a v1 declined offer's reason, moved here by the "
    "upcaster",
    "HousingPath.MovedOut:legacy_texts": "a v1 move-out's note, moved here by the upcaster",
    "HousingPath.LeftWaitlist:legacy_texts": "a v1 reason for leaving the waitlist, moved here "
    "by the upcaster",
    "Shelter.Closed:legacy_texts": "a v1 shelter closure's reason (a text then, a code of a "
    "list now), moved here by the upcaster",
    "Case.Closed:legacy_texts": "a v1 closure's reason, moved here by the upcaster",
    "Case.Reopened:legacy_texts": "a v1 reopening's reason, moved here by the upcaster",
    "Case.IntakeCorrected:legacy_texts": "a v1/v2 correction's reason, moved here by the "
    "upcaster",
    "Case.AgeBandChanged:previous_age_band": "an age band code (Eurostat bands)",
    "Case.AgeBandChanged:reason": "a code: why the band changed (the calendar, a correction)",
    "Case.Transferred:from_city": "a city code",
    "ProgrammeTerms.CityJoined:joining_city": "a city code",
    "ProgrammeTerms.CityJoined:province_code": "a province code (two capitals)",
    "ProgrammeTerms.CityWithdrawn:withdrawing_city": "a city code",
    "ProgrammeTerms.Established:cities": "city codes",
    "ProgrammeTerms.Decided:act_reference": "the ministry's act (an internal base class)",
    "AuditCheckpoint.Signed:chain_hash": "a SHA-256 in hex",
    "AuditCheckpoint.Signed:key_id": "the signing key's id",
    "AuditCheckpoint.Signed:signature": "an Ed25519 signature in base64",
    "CaseRegister.Opened:city": "a city code (internal: the case-number register)",
    "HousingPath.Started:case_code": "the case code (internal: the path's start)",
    "HousingPath.Started:city": "a city code (internal)",
    "CaseNotes.Started:case_code": "the case code (internal: the notebook's start)",
    "CaseNotes.Started:city": "a city code (internal)",
    "CaseAssignment.Opened:city": "a city code (internal: the case's assignments start)",
    "CaseAssignment.Opened:recorded_by": "the staff username who recorded the intake (staff "
    "may travel in events)",
    "CaseReferrals.Waiting:destination": "a destination key: a service code, a city code or "
    "the partner organisation's name (internal: the pending-referrals index)",
    "CityBudget.Opened:city": "a city code (internal)",
    "ProgrammeBudget.AllocationCounted:city": "a city code (internal)",
    "ProgrammeBudget.AllocationCounted:sub_action": "a sub-action code (internal)",
    "ExpenditureClaim.Drafted:supplier": "the supplier of a claimed cost (a firm, or a sole "
    "trader): the co-beneficiary's accounting, kept in the event store for the audit and never "
    "published (issue 13)",
    "ExpenditureClaim.Drafted:document_number": "the invoice's number: accounting, never "
    "published (issue 13)",
}

_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


# --- the walk -----------------------------------------------------------------------------------


def _leaves(annotation: Any) -> Iterator[Any]:
    if typing.get_origin(annotation) is typing.Annotated and _has_pattern([
            inner for item in annotation.__metadata__
            for inner in (item, *getattr(item, "metadata", ()))]):
        return  # a str with a pattern (a city's slug inside an Optional): a code
    if typing.get_origin(annotation) in (
        typing.Union, types.UnionType, list, tuple, set, frozenset, dict, typing.Annotated,
    ):
        for argument in typing.get_args(annotation):
            yield from _leaves(argument)
    else:
        yield annotation


def _has_pattern(metadata: list[Any]) -> bool:
    return any(getattr(item, "pattern", None) for item in metadata)


def free_text_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """The paths of `model`'s fields (nested models included) that are a `str` without a
    pattern: free text, unless it is listed."""
    found = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        for leaf in _leaves(field.annotation):
            if leaf is str and not _has_pattern(field.metadata):
                found.append(path)
            elif isinstance(leaf, type) and issubclass(leaf, BaseModel):
                found.extend(free_text_fields(leaf, f"{path}."))
    return sorted(set(found))


def contract_violations(contract: type[EventContract]) -> list[str]:
    key = f"{contract.aggregate}.{contract.event}"
    return [f"{contract.ce_type()}:{path}" for path in free_text_fields(contract)
            if f"{key}:{path}" not in CONTRACT_ALLOWED]


def published_contracts() -> list[type[EventContract]]:
    """What is published now: every internal contract not superseded by a newer version
    (superseded ones stay in the catalogue for the messages the streams keep), and every
    partner contract."""
    internal = [c for c in CONTRACTS.values() if c not in UPCASTERS]
    partner = {kind.partner for kind in PARTNER_KINDS.values()} | {
        kind.successor for kind in PARTNER_KINDS.values() if kind.successor is not None}
    return [*internal, *sorted(partner, key=lambda c: c.ce_type())]


def domain_event_classes() -> list[type[Aggregate.Event]]:
    """Every event class of every aggregate in the domain, found by walking the package."""
    found: list[type[Aggregate.Event]] = []
    for module_info in pkgutil.walk_packages(domain.__path__, "domain."):
        module = importlib.import_module(module_info.name)
        for aggregate in vars(module).values():
            if not (inspect.isclass(aggregate) and issubclass(aggregate, Aggregate)
                    and aggregate.__module__ == module.__name__):
                continue
            for event in vars(aggregate).values():
                if (inspect.isclass(event) and issubclass(event, Aggregate.Event)
                        and event.__module__.startswith("domain")):
                    found.append(event)
    return found


def _annotations(event: type) -> dict[str, str]:
    """The event's own fields (the domain's, not the library's), as written (text)."""
    fields: dict[str, str] = {}
    for klass in reversed(event.__mro__):
        if not klass.__module__.startswith(("eventsourcing", "typing", "builtins")):
            fields.update({name: str(kind)
                           for name, kind in getattr(klass, "__annotations__", {}).items()
                           if not name.startswith("_") and kind != "ClassVar[int]"})
    return fields


def domain_violations(event: type) -> list[str]:
    """A domain event's `str` fields that are free text: judged by its contract when it is
    published (the same field there must be a code), by the list otherwise. `actor` is the
    staff member acting (a username, a role, a city: staff may travel in events)."""
    public = PUBLIC_EVENTS.get(f"{event.__module__}:{event.__qualname__}")
    contract_free = {violation.split(":", 1)[1].split(".")[0]
                     for violation in contract_violations(public.contract)} if public else set()
    contract_fields = set(public.contract.model_fields) if public else set()
    violations = []
    for name, kind in _annotations(event).items():
        if name in _BASE_FIELDS or name == "actor" or not re.search(r"\bstr\b", kind):
            continue
        key = f"{event.__qualname__}:{name}"
        if name in contract_fields and name not in contract_free:
            continue  # a code in the contract
        if key not in DOMAIN_ALLOWED:
            violations.append(key)
    return violations


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("contract", published_contracts(), ids=lambda c: c.ce_type())
def test_no_published_contract_carries_free_text(contract: type[EventContract]) -> None:
    assert contract_violations(contract) == []


def test_every_domain_event_carries_codes_ids_and_references_only() -> None:
    events = domain_event_classes()
    assert len(events) > 50  # the walk finds them all (each aggregate's, internal ones too)
    assert [v for event in events for v in domain_violations(event)] == []


def test_the_referral_and_housing_texts_left_their_events() -> None:
    """The texts issue 16 names: each newest contract has a reference and a digest instead."""
    newest = {c.ce_type(): c for c in published_contracts()}
    for ce_type, text in [
        ("it.lgnet.referral.requested.v4", "note"),
        ("it.lgnet.referral.declined.v2", "note"),
        ("it.lgnet.referral.completed.v2", "outcome_note"),
        ("it.lgnet.referral.withdrawn.v2", "reason"),
        ("it.lgnet.placement.offer_declined.v2", "reason"),
        ("it.lgnet.placement.moved_out.v2", "note"),
        ("it.lgnet.placement.left_waitlist.v2", "reason"),
    ]:
        fields = newest[ce_type].model_fields
        assert text not in fields and "consent_override_reason" not in fields
        assert fields[f"{text}_id"].annotation == UUID | None
        assert _has_pattern(fields[f"{text}_digest"].metadata)


def test_a_shelter_closure_says_why_by_a_code_of_the_list_only() -> None:
    """A shelter's closure reason was free text (v1); it is a code of the domain's list now,
    in the published contract (null only in a message upcast from v1) and in the domain event,
    and no exception lets a text through."""
    newest = {c.ce_type(): c for c in published_contracts()}
    assert "it.lgnet.shelter.closed.v1" not in newest
    closed = newest["it.lgnet.shelter.closed.v2"]
    assert closed is ShelterClosedV2
    (codes, none) = typing.get_args(closed.model_fields["reason"].annotation)
    assert none is type(None)
    assert set(typing.get_args(codes)) == {reason.value for reason in ShelterClosureReason}
    assert contract_violations(ShelterClosedV2) == []
    assert contract_violations(ShelterClosedV1) == ["it.lgnet.shelter.closed.v1:reason"]
    assert not [key for key in CONTRACT_ALLOWED if key.startswith("shelter.closed:")]
    assert domain_violations(Shelter.Closed) == []
    assert [key for key in DOMAIN_ALLOWED if key.startswith("Shelter.Closed:")] == [
        "Shelter.Closed:legacy_texts"]


def test_every_listed_exception_still_exists() -> None:
    """A stale entry would let a new field of the same name through unseen."""
    contract_paths = {f"{c.aggregate}.{c.event}:{path}"
                      for c in CONTRACTS.values() for path in free_text_fields(c)}
    assert set(CONTRACT_ALLOWED) - contract_paths == set()
    domain_fields = {f"{e.__qualname__}:{name}"
                     for e in domain_event_classes() for name in _annotations(e)}
    assert set(DOMAIN_ALLOWED) - domain_fields == set()


# --- the test of the tests: a note added to an event is caught ----------------------------------


class _ReferralWithANote(EventContract):
    aggregate: ClassVar[str] = "referral"
    event: ClassVar[str] = "requested"
    version: ClassVar[int] = 99

    note: str = Field(max_length=500)
    case_code: str = Field(pattern=r"^[A-Z]{2}-\d{4}-\d{5}$")


class _Nested(BaseModel):
    comment: str | None


class _WithANestedText(EventContract):
    aggregate: ClassVar[str] = "placement"
    event: ClassVar[str] = "moved_out"
    version: ClassVar[int] = 99

    details: list[_Nested]


def test_a_note_added_to_a_contract_fails_the_walk() -> None:
    assert contract_violations(_ReferralWithANote) == ["it.lgnet.referral.requested.v99:note"]
    # The versions superseded by issue 16 are what the walk would have caught.
    assert contract_violations(ReferralRequestedV2) == [
        "it.lgnet.referral.requested.v2:consent_override_reason",
        "it.lgnet.referral.requested.v2:note"]
    assert contract_violations(PlacementMovedOutV1) == ["it.lgnet.placement.moved_out.v1:note"]
    assert contract_violations(_WithANestedText) == [
        "it.lgnet.placement.moved_out.v99:details.comment"]


def test_a_note_added_to_a_domain_event_fails_the_walk() -> None:
    class Noted(Aggregate):
        class Remarked(Aggregate.Event):
            case_code: str
            note: str
            note_id: UUID

    assert domain_violations(Noted.Remarked) == [
        f"{Noted.Remarked.__qualname__}:case_code", f"{Noted.Remarked.__qualname__}:note"]

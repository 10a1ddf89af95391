"""Minimised event contracts for partner systems (ARCHITECTURE firm point 5).

Partners (other public bodies, NGOs running services) receive a copy of some public events on
their own subjects, `partner.<city>.<aggregate>.<event>` (JetStream stream LGNET_PARTNER), never
the internal `lgnet.>` ones. A partner copy keeps only what a partner needs to serve the person:
no special-category attribute (vulnerabilities, health) and nothing that reveals one, such as
the eligibility reason code `vulnerable`.

The copy keeps the internal event's CloudEvents type (`it.lgnet.<aggregate>.<event>.v<N>`): it is
the same fact. (Or an older version's, when partners need not follow a new internal version:
see PartnerKind.) What tells the two bodies apart is `ce-dataschema`, which names the partner
schema (`urn:lgnet:schema:partner:<type>`); the internal messages carry none.

Minimising is a whitelist: a partner contract lists its fields and the copy is the internal
event projected onto them, so a field added to an internal event never reaches partners unless
it is added to the partner contract too. Making one more kind of event visible to partners is
one entry in PARTNER_KINDS (and its partner contract, when the internal one has fields to drop).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.cloudevents import ACTOR_CITY, ACTOR_KIND, ACTOR_ROLE, POSITION
from events.contracts import (
    CASE_CODE_PATTERN,
    JSON_SCHEMA_DRAFT,
    AgeBand,
    AgeBandV1,
    CaseIntakeRecordedV1,
    CaseIntakeRecordedV2,
    CasePersonalDataErasedV1,
    CasePersonalDataErasedV2,
    City,
    ConsentScopeV1,
    EventContract,
    PersonSubAction,
    PriorityGroup,
    ProcessingPurpose,
    ProtectionStatus,
    ProtectionStatusV1,
    ReceptionCentreKind,
    ReceptionCentreKindV1,
    ReceptionSituation,
    ReceptionSituationV1,
    Sex,
    SexV1,
)
from events.housing import (
    MoveOutOutcome,
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

PARTNER_SUBJECT_ROOT = "partner"
PARTNER_SCHEMA_PREFIX = "urn:lgnet:schema:partner:"
DATASCHEMA = "ce-dataschema"

# The CloudEvents headers a partner copy keeps, in this order. Left out on purpose:
# `ce-actorid` (which staff member acted is personal data about them, and a partner has no use
# for it: role and city say who acted), any audit-chain or other internal header, and the
# source's Nats-* headers (the partner stream sets its own).
PARTNER_HEADERS = (
    "ce-specversion",
    "ce-id",
    "ce-source",
    "ce-type",
    "ce-subject",
    "ce-time",
    "ce-datacontenttype",
    POSITION,
    ACTOR_KIND,
    ACTOR_ROLE,
    ACTOR_CITY,
)


def partner_subject(city: str, aggregate: str, event: str) -> str:
    """`partner.<city>.<aggregate>.<event>`: the internal subject's scheme under its own root,
    so that permissions can give a partner its cities and kinds, and nothing of `lgnet.>`."""
    return f"{PARTNER_SUBJECT_ROOT}.{city}.{aggregate}.{event}"


# --- the partner contracts --------------------------------------------------------------------


class PartnerEligibility(BaseModel):
    """Eligibility for a sub-action without its reason: the reason can reveal a vulnerability
    (`vulnerable` for Sub-Action 3)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sub_action: PersonSubAction
    eligible: bool


class PartnerCaseIntakeRecordedV1(EventContract):
    """A city took a person into the programme, as a partner sees it: the internal
    it.lgnet.case.intake_recorded.v1 without the vulnerabilities, the eligibility reasons and the
    consent date. Whether the person consented to referral to partners is in `consent_scopes`."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "intake_recorded"
    version: ClassVar[int] = 1

    case_id: UUID = Field(description="The case's stable id, pseudonymous like the case code")
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    intake_date: date
    protection_status: ProtectionStatusV1
    reception_situation: ReceptionSituationV1
    left_reception_on: date | None
    reception_centre_kind: ReceptionCentreKindV1 | None
    sex: SexV1
    age_band: AgeBandV1
    nationality: str = Field(pattern=r"^[A-Z]{2}$")
    household_size: int = Field(ge=1, le=30)
    consent_scopes: list[ConsentScopeV1]
    priority_group: PriorityGroup
    eligibility: list[PartnerEligibility]

    @classmethod
    def subject(cls, city: str) -> str:
        return partner_subject(city, cls.aggregate, cls.event)


class PartnerPurposeConsent(BaseModel):
    """A purpose the person consented to, without the date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    purpose: ProcessingPurpose


class PartnerCaseIntakeRecordedV2(EventContract):
    """A city took a person into the programme, as a partner sees it: the internal
    it.lgnet.case.intake_recorded.v2 without the vulnerabilities, the eligibility reasons, the
    permit's expiry, whether a document exists, the information notice, the legal bases and the
    consents' dates. Whether the person consented to referral to a named partner is in
    `consents`. During the deprecation window partners receive this version only for intakes
    that v1 cannot express (a person in or leaving reception, without citizenship, whose sex is
    not stated, without a valid permit, or in an age band of Eurostat's that spans two of v1's);
    every other intake still comes as v1. `age_band` may be Eurostat's (0-13, 14-17, 18-34,
    35-64, 65+) or v1's: each code names its own bracket."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "intake_recorded"
    version: ClassVar[int] = 2

    case_id: UUID = Field(description="The case's stable id, pseudonymous like the case code")
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    intake_date: date
    protection_status: ProtectionStatus
    reception_situation: ReceptionSituation
    left_reception_on: date | None
    planned_exit_on: date | None
    reception_centre_kind: ReceptionCentreKind | None
    sex: Sex
    age_band: AgeBand
    citizenship: str | None = Field(
        pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2; null for a person with none"
    )
    household_size: int = Field(ge=1, le=30)
    consents: list[PartnerPurposeConsent]
    priority_group: PriorityGroup
    eligibility: list[PartnerEligibility]

    @classmethod
    def subject(cls, city: str) -> str:
        return partner_subject(city, cls.aggregate, cls.event)


# v2's codes in v1's terms, where v1 had a code of the same meaning: v1's "asylum_seeker" was any
# applicant (appeal included), its "special_protection" meant "special or humanitarian", its
# "other" any other residence status; its "sai" meant "SAI, formerly SPRAR/SIPROIMI", its
# "first_reception" every first-reception facility (hotspots included). A person without a valid
# permit has no v1 code (v1's "other" was a residence status), nor has a stateless person (v1
# needed a citizenship).
_STATUS_IN_V1 = {
    "appellant": "asylum_seeker",
    "humanitarian_protection": "special_protection",
    "special_cases": "special_protection",
    "permit_art_18": "other",
    "permit_art_18_bis": "other",
    "permit_art_19_c2_d_bis": "other",
    "permit_art_20_bis": "other",
    "permit_art_22_c12_quater": "other",
    "permit_art_42_bis": "other",
    "other_residence_permit": "other",
}
# Eurostat's classes (issue 12) in v1's bands, where one v1 band holds the whole class.
_AGE_BAND_IN_V1 = {"0-13": "0-17", "14-17": "0-17"}
_AGE_BANDS_V1 = typing.get_args(AgeBandV1)
_CENTRE_IN_V1 = {
    "sprar": "sai", "siproimi": "sai", "government_first_reception": "first_reception",
    "hotspot": "first_reception",
}


def intake_in_v1_terms(event: EventContract) -> dict[str, Any] | None:
    """An intake v2 as partner v1 says it, or None when v1 cannot say it truthfully: a person
    in or leaving reception (v1 knew only people who had left it or were never in it), without
    citizenship, whose sex is not stated (v1's third value meant something else), or without a
    valid permit, or whose age band (Eurostat's since issue 12: 18-34, 35-64) spans two of v1's.
    v1's `consent_scopes` are the purposes the data may be processed for: case
    management and statistics (now on the public task), and referral to partners when the
    person consented to it."""
    assert isinstance(event, CaseIntakeRecordedV2)
    if (event.reception_situation not in ("left_reception", "never_in_reception")
            or event.citizenship is None or event.sex == "not_stated"
            or event.protection_status == "no_valid_permit"):
        return None
    age_band = _AGE_BAND_IN_V1.get(event.age_band, event.age_band)
    if age_band not in _AGE_BANDS_V1:
        return None
    scopes = ["case_management", "statistics"]
    if any(c.purpose == "referral_to_named_partner" for c in event.consents):
        scopes.insert(1, "referral_to_partners")
    kind = event.reception_centre_kind
    return event.model_dump(mode="json", include=_fields_of(PartnerCaseIntakeRecordedV1)) | {
        "protection_status": _STATUS_IN_V1.get(event.protection_status,
                                               event.protection_status),
        "reception_centre_kind": _CENTRE_IN_V1.get(kind, kind) if kind else None,
        "nationality": event.citizenship,
        "age_band": age_band,
        "consent_scopes": scopes,
    }


class PartnerCasePersonalDataErasedV1(EventContract):
    """The person's identifiers were erased at their request (GDPR art. 17). Partners that
    received the case must be told (art. 19), so they can erase what they hold on it too. Without
    the request's protocol number, which is the city's business."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "personal_data_erased"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    requested_on: date

    @classmethod
    def subject(cls, city: str) -> str:
        return partner_subject(city, cls.aggregate, cls.event)


# Placements (events/housing.py): a partner following a case learns that it is waiting for a
# bed, was offered one, moved in or out (with the outcome). Left out of every placement copy:
# whether the person is vulnerable; which shelter and bed, and the shelter's name and area (a
# protected setting's location, and being placed in one, can reveal a trafficking or violence
# history and where the person is); and free-text reasons and notes, which can say anything.


class _PartnerPlacement(EventContract):
    aggregate: ClassVar[str] = "placement"
    version: ClassVar[int] = 1

    housing_path_id: UUID = Field(description="The case's path through fast-track housing")
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City

    @classmethod
    def subject(cls, city: str) -> str:
        return partner_subject(city, cls.aggregate, cls.event)


class PartnerPlacementWaitlistedV1(_PartnerPlacement):
    """A case was put on its city's housing waitlist, as a partner sees it: without whether the
    person is vulnerable (special-category data)."""

    event: ClassVar[str] = "waitlisted"

    waitlisted_at: AwareDatetime
    priority_group: PriorityGroup
    intake_date: date


class PartnerPlacementBedOfferedV1(_PartnerPlacement):
    """A bed was offered to a waitlisted case and is held for it; which shelter is left out."""

    event: ClassVar[str] = "bed_offered"

    offered_on: date


class PartnerPlacementOfferDeclinedV1(_PartnerPlacement):
    """The bed offered was declined; the case is back on the waitlist. Without the shelter and
    the reason."""

    event: ClassVar[str] = "offer_declined"


class PartnerPlacementMovedInV1(_PartnerPlacement):
    """The person moved into the bed offered; which shelter and bed is left out."""

    event: ClassVar[str] = "moved_in"

    moved_in_on: date
    intake_date: date = Field(description="The case's intake: days to move-in count from it")


class PartnerPlacementMovedOutV1(_PartnerPlacement):
    """The person left the bed, with the outcome; without the shelter, the bed and the note."""

    event: ClassVar[str] = "moved_out"

    moved_out_on: date
    outcome: MoveOutOutcome


class PartnerPlacementLeftWaitlistV1(_PartnerPlacement):
    """A case left the waitlist without a bed; without the reason."""

    event: ClassVar[str] = "left_waitlist"


# --- the registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerKind:
    """One kind of event partners may receive: its internal contract, its partner contract and
    how the one becomes the other (by default: keep the partner contract's fields).

    The partner contract is a version of the same kind of event: the internal one's, or an older
    one. When an internal event gets a new version that partners need not see (or not yet), its
    copies stay at the version partners read, projected onto that version's fields: partners go
    on reading vN until their own contract moves (docs/events.md, versioning)."""

    internal: type[EventContract]
    partner: type[EventContract]
    in_partner_terms: Callable[[EventContract], dict[str, Any] | None] | None = None
    """When the partner version's codes differ from the internal one's: the event's data in
    the partner version's terms, or None when that version cannot say it truthfully; the copy
    is then `successor`, the partner version that can (partners accept both from the start of
    the deprecation window, docs/events.md rule 5)."""
    successor: type[EventContract] | None = None

    def __post_init__(self) -> None:
        internal = self.internal
        for partner in self.copied_as:
            same_kind = (internal.aggregate, internal.event) == (partner.aggregate, partner.event)
            if not same_kind or partner.version > internal.version:
                raise ValueError(
                    f"{partner.__name__} must keep the CloudEvents type of {internal.__name__} "
                    f"({internal.ce_type()}), or be an older version of the same kind of event"
                )
        if (self.in_partner_terms is None) != (self.successor is None):
            raise ValueError("in_partner_terms and successor go together")

    @property
    def copied_as(self) -> tuple[type[EventContract], ...]:
        """Every partner contract its copies may have."""
        return (self.partner,) if self.successor is None else (self.partner, self.successor)

    @property
    def ce_type(self) -> str:
        """The CloudEvents type of the internal events this kind copies."""
        return self.internal.ce_type()

    @property
    def partner_ce_type(self) -> str:
        """The CloudEvents type of the copies: the internal one's, or an older version."""
        return self.partner.ce_type()

    @property
    def name(self) -> str:
        """`<aggregate>.<event>`, how partner agreements name a kind (e.g. case.intake_recorded)."""
        return f"{self.internal.aggregate}.{self.internal.event}"

    @property
    def dataschema(self) -> str:
        return dataschema_of(self.partner)

    def partner_copy(self, event: EventContract) -> EventContract:
        if self.in_partner_terms is not None:
            said = self.in_partner_terms(event)
            if said is not None:
                return self.partner.model_validate(said)
            assert self.successor is not None
            return self.successor.model_validate(
                event.model_dump(mode="json", include=_fields_of(self.successor)))
        kept = event.model_dump(mode="json", include=_fields_of(self.partner))
        return self.partner.model_validate(kept)


def dataschema_of(partner_contract: type[EventContract]) -> str:
    """The `ce-dataschema` of partner copies with this contract (its JSON Schema's `$id`)."""
    return PARTNER_SCHEMA_PREFIX + partner_contract.ce_type()


PARTNER_KINDS: dict[str, PartnerKind] = {
    kind.ce_type: kind
    for kind in (
        PartnerKind(internal=CaseIntakeRecordedV1, partner=PartnerCaseIntakeRecordedV1),
        # v2 (issue 12) is copied as v1 wherever v1 can say it, for the deprecation window;
        # as v2 where it cannot (a person in reception, stateless, ...), rather than falsely.
        PartnerKind(internal=CaseIntakeRecordedV2, partner=PartnerCaseIntakeRecordedV1,
                    in_partner_terms=intake_in_v1_terms, successor=PartnerCaseIntakeRecordedV2),
        PartnerKind(internal=CasePersonalDataErasedV1, partner=PartnerCasePersonalDataErasedV1),
        # v2 added the erasure's legal ground, which partners have no use for: their copies
        # stay v1 (a partner must erase what it holds on the case whatever the ground).
        PartnerKind(internal=CasePersonalDataErasedV2, partner=PartnerCasePersonalDataErasedV1),
        PartnerKind(internal=PlacementWaitlistedV1, partner=PartnerPlacementWaitlistedV1),
        PartnerKind(internal=PlacementBedOfferedV1, partner=PartnerPlacementBedOfferedV1),
        PartnerKind(internal=PlacementOfferDeclinedV1, partner=PartnerPlacementOfferDeclinedV1),
        PartnerKind(internal=PlacementMovedInV1, partner=PartnerPlacementMovedInV1),
        PartnerKind(internal=PlacementMovedOutV1, partner=PartnerPlacementMovedOutV1),
        PartnerKind(internal=PlacementLeftWaitlistV1, partner=PartnerPlacementLeftWaitlistV1),
        # v2 (issue 16) moved the free texts to the vault: partners never had them, nor get the
        # texts' ids and digests; their copies stay v1.
        PartnerKind(internal=PlacementOfferDeclinedV2, partner=PartnerPlacementOfferDeclinedV1),
        PartnerKind(internal=PlacementMovedOutV2, partner=PartnerPlacementMovedOutV1),
        PartnerKind(internal=PlacementLeftWaitlistV2, partner=PartnerPlacementLeftWaitlistV1),
    )
}


def partner_kind_for(ce_type: str) -> PartnerKind | None:
    """The partner kind of a CloudEvents type; None for an event partners never receive."""
    return PARTNER_KINDS.get(ce_type)


def partner_kind_names() -> set[str]:
    """Every kind partners may be given, as `<aggregate>.<event>`."""
    return {kind.name for kind in PARTNER_KINDS.values()}


# The partner contracts by the CloudEvents type partner messages carry.
_PARTNER_CONTRACTS: dict[str, type[EventContract]] = {
    contract.ce_type(): contract
    for kind in PARTNER_KINDS.values() for contract in kind.copied_as
}


def partner_json_schemas() -> dict[str, dict[str, Any]]:
    """Every partner contract's JSON Schema, keyed by the CloudEvents type of the partner
    messages; its `$id` is the value of their `ce-dataschema`."""
    return {
        ce_type: {"$schema": JSON_SCHEMA_DRAFT, "$id": dataschema_of(contract),
                  **contract.model_json_schema()}
        for ce_type, contract in _PARTNER_CONTRACTS.items()
    }


# --- messages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerMessage:
    """The partner copy of one internal message: where it goes, its CloudEvents headers, body."""

    subject: str
    headers: dict[str, str]
    body: bytes


def partner_message(headers: Mapping[str, str], body: bytes) -> PartnerMessage | None:
    """The partner copy of an internal CloudEvent (binary mode), or None when its type is not
    one partners receive. Validates the internal body first: a malformed event raises
    (pydantic's ValidationError) rather than being passed on half-minimised."""
    kind = partner_kind_for(headers.get("ce-type", ""))
    if kind is None:
        return None
    copy = kind.partner_copy(kind.internal.model_validate_json(body))
    city = getattr(copy, "city", None)
    if not isinstance(city, str):
        raise TypeError(f"{kind.partner.__name__} has no city: partner subjects need one")
    kept = {name: headers[name] for name in PARTNER_HEADERS if name in headers}
    kept["ce-type"] = copy.ce_type()
    kept[DATASCHEMA] = dataschema_of(type(copy))
    return PartnerMessage(
        subject=partner_subject(city, kind.internal.aggregate, kind.internal.event),
        headers=kept,
        body=copy.model_dump_json().encode(),
    )


class NotAPartnerMessage(ValueError):
    """Raised when a message is not a partner copy of a known kind."""


def read_partner_message(headers: Mapping[str, str], body: bytes) -> EventContract:
    """Validate a message a partner received (what a partner's own code would do): a known
    type, the partner schema named in `ce-dataschema`, and a body valid against it."""
    contract = _PARTNER_CONTRACTS.get(headers.get("ce-type", ""))
    if contract is None:
        raise NotAPartnerMessage(f"ce-type {headers.get('ce-type')!r} is not a partner kind")
    if headers.get(DATASCHEMA) != dataschema_of(contract):
        raise NotAPartnerMessage(
            f"ce-dataschema {headers.get(DATASCHEMA)!r} is not {dataschema_of(contract)!r}"
        )
    return contract.model_validate_json(body)


@cache
def _fields_of(model: type[BaseModel]) -> dict[str, Any]:
    """A pydantic `include` tree of a model's fields, nested models and lists of them included:
    what `model_dump` must keep to produce exactly this model's data. Cached: the partner feed
    asks for it for every event it copies (the tree is only read, never changed)."""
    tree: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        nested = _model_in(info.annotation)
        if nested is None:
            tree[name] = True
        elif _is_list(info.annotation):
            tree[name] = {"__all__": _fields_of(nested)}
        else:
            tree[name] = _fields_of(nested)
    return tree


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(argument) for argument in typing.get_args(annotation))
    return origin is list

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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.cloudevents import ACTOR_CITY, ACTOR_KIND, ACTOR_ROLE, POSITION
from events.contracts import (
    CASE_CODE_PATTERN,
    AgeBand,
    CaseIntakeRecordedV1,
    CasePersonalDataErasedV1,
    CasePersonalDataErasedV2,
    City,
    ConsentScope,
    EventContract,
    PersonSubAction,
    PriorityGroup,
    ProtectionStatus,
    ReceptionCentreKind,
    ReceptionSituation,
    Sex,
)
from events.housing import (
    MoveOutOutcome,
    PlacementBedOfferedV1,
    PlacementLeftWaitlistV1,
    PlacementMovedInV1,
    PlacementMovedOutV1,
    PlacementOfferDeclinedV1,
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
    protection_status: ProtectionStatus
    reception_situation: ReceptionSituation
    left_reception_on: date | None
    reception_centre_kind: ReceptionCentreKind | None
    sex: Sex
    age_band: AgeBand
    nationality: str = Field(pattern=r"^[A-Z]{2}$")
    household_size: int = Field(ge=1, le=30)
    consent_scopes: list[ConsentScope]
    priority_group: PriorityGroup
    eligibility: list[PartnerEligibility]

    @classmethod
    def subject(cls, city: str) -> str:
        return partner_subject(city, cls.aggregate, cls.event)


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

    def __post_init__(self) -> None:
        internal, partner = self.internal, self.partner
        same_kind = (internal.aggregate, internal.event) == (partner.aggregate, partner.event)
        if not same_kind or partner.version > internal.version:
            raise ValueError(
                f"{partner.__name__} must keep the CloudEvents type of {internal.__name__} "
                f"({internal.ce_type()}), or be an older version of the same kind of event"
            )

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
        return PARTNER_SCHEMA_PREFIX + self.partner_ce_type

    def partner_copy(self, event: EventContract) -> EventContract:
        kept = event.model_dump(mode="json", include=_fields_of(self.partner))
        return self.partner.model_validate(kept)


PARTNER_KINDS: dict[str, PartnerKind] = {
    kind.ce_type: kind
    for kind in (
        PartnerKind(internal=CaseIntakeRecordedV1, partner=PartnerCaseIntakeRecordedV1),
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
    )
}


def partner_kind_for(ce_type: str) -> PartnerKind | None:
    """The partner kind of a CloudEvents type; None for an event partners never receive."""
    return PARTNER_KINDS.get(ce_type)


def partner_kind_names() -> set[str]:
    """Every kind partners may be given, as `<aggregate>.<event>`."""
    return {kind.name for kind in PARTNER_KINDS.values()}


# The partner contracts by the CloudEvents type partner messages carry.
_PARTNER_CONTRACTS: dict[str, PartnerKind] = {
    kind.partner_ce_type: kind for kind in PARTNER_KINDS.values()
}


def partner_json_schemas() -> dict[str, dict[str, Any]]:
    """Every partner contract's JSON Schema, keyed by the CloudEvents type of the partner
    messages; its `$id` is the value of their `ce-dataschema`."""
    return {
        ce_type: {"$id": kind.dataschema, **kind.partner.model_json_schema()}
        for ce_type, kind in _PARTNER_CONTRACTS.items()
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
    kept["ce-type"] = kind.partner_ce_type
    kept[DATASCHEMA] = kind.dataschema
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
    kind = _PARTNER_CONTRACTS.get(headers.get("ce-type", ""))
    if kind is None:
        raise NotAPartnerMessage(f"ce-type {headers.get('ce-type')!r} is not a partner kind")
    if headers.get(DATASCHEMA) != kind.dataschema:
        raise NotAPartnerMessage(
            f"ce-dataschema {headers.get(DATASCHEMA)!r} is not {kind.dataschema!r}"
        )
    return kind.partner.model_validate_json(body)


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

"""Fast-track housing (Sub-Action 4): shelters with numbered beds, and each case's path through
housing (waitlist, bed offer, move-in, move-out).

Two aggregates, so that the invariants are each guarded by one version number:
- `Shelter` knows its beds and which housing path holds each of them. A bed is taken or freed
  only by an event of the shelter, so two offers racing for its last bed conflict on the
  shelter's version and one of them loses: a bed never holds two people, a shelter never holds
  more people than beds. The shelter keeps only who holds a bed NOW, never who did: its state
  stays small however many people it has housed, and snapshots keep its replay short.
- `HousingPath`, one per case (its id derives from the case's), holds at most one bed at a time:
  two offers for the same case conflict on the path's version, so a case is never in two beds.
A bed offer, a declined offer and a move-out change both, saved together in one transaction.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.programme import CARD_TERMS, Actor, City, DomainError, TermsInForce, programme_today
from domain.record import snapshotted_every
from domain.vault import TextReference

MAX_BEDS = 500
MAX_BED_CHANGE = 200
MAX_NAME = 120
MAX_AREA = 120
MAX_REASON = 500
MAX_NOTE = 500
_HOUSING_PATH_NAMESPACE = UUID("9d3c2a61-7f4e-4b8a-a1c5-3e0f6b2d7c94")
# What a street address looks like (a street kind first, or a house number after a comma or
# "n."): the area of a protected setting must never point at its door.
_STREET_ADDRESS = re.compile(
    r"^\s*(via|viale|v\.le|piazza|p\.za|piazzale|corso|c\.so|largo|vicolo|strada|lungomare|"
    r"lungotevere|lungarno|salita|contrada|street|road|avenue)\b"
    r"|,\s*\d+\s*[a-z]?\s*$|\bn\.?\s*\d+\b|\b\d+\s*/\s*[a-z]\b",
    re.IGNORECASE,
)


class HousingError(DomainError):
    """Raised when a command on a shelter or a housing path breaks a rule of the programme."""

    code = "housing_error"


class InvalidShelter(HousingError):
    """Raised when a shelter's name, kind, area or number of beds is missing or out of range."""

    code = "invalid_shelter"


class InvalidBedChange(HousingError):
    """Raised when beds are added or removed in a number outside 1..MAX_BED_CHANGE."""

    code = "invalid_bed_change"


class BedsOccupied(HousingError):
    """Raised when more beds would be removed than are free (offered or occupied beds stay)."""

    code = "beds_occupied"


class ShelterNotEmpty(HousingError):
    """Raised when a shelter with beds offered or occupied would be closed."""

    code = "shelter_not_empty"


class ShelterClosed(HousingError):
    """Raised when a closed shelter would take someone in, change its beds or close again."""

    code = "shelter_closed"


class NoFreeBed(HousingError):
    """Raised when a bed is offered in a shelter whose beds are all offered or occupied."""

    code = "no_free_bed"


class NotEnoughFreeBeds(HousingError):
    """Raised when a household is offered beds in a shelter with fewer free beds than it has
    members: a household is housed together or not at all."""

    code = "not_enough_free_beds"


class HouseholdMemberNotWaiting(HousingError):
    """Raised when a household is offered beds while one of its members is not waiting on the
    waitlist."""

    code = "household_member_not_waiting"


class EmptyHousehold(HousingError):
    """Raised when beds are offered to a household with no members left."""

    code = "empty_household"


class ShelterOfAnotherCity(HousingError):
    """Raised when a case would be offered a bed in a shelter of another city."""

    code = "shelter_of_another_city"


class NotEligibleForHousing(HousingError):
    """Raised when a case not eligible for Sub-Action 4 would be put on the waitlist."""

    code = "not_eligible_for_housing"


class AlreadyInHousing(HousingError):
    """Raised when a case already waitlisted, offered a bed or housed is waitlisted again."""

    code = "already_in_housing"


class NotOnWaitlist(HousingError):
    """Raised when a bed is offered to, or the waitlist left by, a case not waiting for one."""

    code = "not_on_waitlist"


class NoBedOffered(HousingError):
    """Raised when a move-in or a declined offer is recorded for a case with no bed offered."""

    code = "no_bed_offered"


class NotHoused(HousingError):
    """Raised when a move-out is recorded for a case that has not moved in."""

    code = "not_housed"


class InvalidHousingDate(HousingError):
    """Raised when a move-in or move-out date falls outside what the path allows (before the
    offer or the move-in, or in the future)."""

    code = "invalid_housing_date"


class InvalidClosureReason(HousingError):
    """Raised when a shelter would be closed without one of the closure reasons of the list
    (`ShelterClosureReason`): a closure says why by a code, never in free text."""

    code = "invalid_closure_reason"


class InvalidHousingReason(HousingError):
    """Raised when a reason or note is missing where required, or too long."""

    code = "invalid_housing_reason"


class HousingBusy(HousingError):
    """Raised when a command lost the race to other changes of the same shelter or case more
    times than it retries: trying again is safe."""

    code = "housing_busy"


class ShelterKind(StrEnum):
    TEMPORARY_SHELTER = "temporary_shelter"
    APARTMENT = "apartment"
    PROTECTED_SETTING = "protected_setting"
    """A protected setting (for victims of trafficking or violence): its address is never
    recorded, only its area."""


class HousingStage(StrEnum):
    NONE = "none"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    """A bed is held for the case until it moves in or declines."""
    HOUSED = "housed"
    MOVED_OUT = "moved_out"
    LEFT_WAITLIST = "left_waitlist"

    @property
    def holds_a_bed(self) -> bool:
        return self in (HousingStage.OFFERED, HousingStage.HOUSED)

    @property
    def may_be_waitlisted(self) -> bool:
        """A path that ended (or never began) may start a new episode."""
        return self in (HousingStage.NONE, HousingStage.MOVED_OUT, HousingStage.LEFT_WAITLIST)


class MoveOutOutcome(StrEnum):
    AUTONOMOUS_HOUSING = "autonomous_housing"
    OTHER_RECEPTION_PROGRAMME = "other_reception_programme"
    FAMILY_REUNIFICATION = "family_reunification"
    LEFT_WITHOUT_NOTICE = "left_without_notice"
    REMOVED_FOR_RULE_BREACH = "removed_for_rule_breach"
    OTHER = "other"


class ShelterClosureReason(StrEnum):
    """Why a shelter closed: a code from this list, never free text (events travel on NATS,
    where free text never goes)."""

    AGREEMENT_ENDED = "agreement_ended"
    """The agreement (convenzione) with the managing body ended."""
    PREMISES_UNFIT = "premises_unfit"
    """The premises are no longer fit to house anyone."""
    MERGED = "merged"
    """Merged into another shelter."""
    FUNDING_ENDED = "funding_ended"
    """The funding ended."""
    OTHER = "other"


def checked_closure_reason(reason: str) -> ShelterClosureReason:
    """The closure reason as a member of the list; refused when it is not one of its codes."""
    try:
        return ShelterClosureReason(reason)
    except ValueError:
        raise InvalidClosureReason(
            "Choose why the shelter closes, from the list of reasons.", field="reason",
        ) from None


def _text(value: str, limit: int, error: HousingError) -> str:
    text = value.strip()
    if not text or len(text) > limit:
        raise error
    return text


def _reason(value: str) -> str:
    return _text(value, MAX_REASON, InvalidHousingReason(
        "Give the reason, in up to 500 characters.", field="reason"))


def checked_reason(value: str) -> str:
    """A placement's reason (an offer declined, the waitlist left), stripped; refused when
    blank or too long. Free text: the service keeps it in the vault, the event its reference."""
    return _reason(value)


def checked_move_out_note(outcome: MoveOutOutcome, note: str | None) -> str | None:
    """A move-out's note, stripped; None when blank. Needed when the outcome is `other`."""
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidHousingReason("The note is at most 500 characters.", field="note")
    if outcome is MoveOutOutcome.OTHER and not text:
        raise InvalidHousingReason("Say what the outcome was, in the note.", field="note")
    return text or None


def _to_legacy(state: dict[str, Any], field: str) -> None:
    """Move the free text an event stored before free text left events (issue 16) to its
    `legacy_texts`: the event store keeps it as written (the audit chain holds), it is never
    published again, and nothing new is written there."""
    text = state.pop(field, None)
    state["legacy_texts"] = {field: text} if text else None


def _bed_key(bed: int) -> str:
    # Bed numbers are text keys: snapshots store the state as JSON, whose object keys are text.
    return str(bed)


# A shelter gains two events per person it houses: a snapshot every 10 keeps loading one that
# housed thousands at about a millisecond (measured: docs/workflows/housing.md).
@snapshotted_every(10)
class Shelter(Aggregate):
    """A shelter, apartment or protected setting of one city, with numbered beds."""

    class Registered(Aggregate.Created):
        city: str
        name: str
        kind: str
        address_area: str
        beds: int
        actor: dict[str, str | None]

    def __init__(
        self, city: str, name: str, kind: str, address_area: str, beds: int,
        actor: dict[str, str | None],
    ) -> None:
        # After a snapshot these come back as plain text (JSON knows no enums): code compares
        # them with ==, never `is`, and writes them with str().
        self.city = City(city)
        self.name = name
        self.kind = ShelterKind(kind)
        self.address_area = address_area
        self.bed_numbers: list[int] = list(range(1, beds + 1))
        # bed number (as text) -> the housing path holding it (offered or occupied)
        self.holders: dict[str, UUID] = {}
        self.closed_on: date | None = None

    @classmethod
    def register(
        cls, shelter_id: UUID, city: City, name: str, kind: ShelterKind, address_area: str,
        beds: int, actor: Actor, now: datetime,
    ) -> Shelter:
        name = _text(name, MAX_NAME, InvalidShelter(
            "Give the shelter's name, in up to 120 characters.", field="name"))
        area = _text(address_area, MAX_AREA, InvalidShelter(
            "Give the shelter's area, in up to 120 characters.", field="address_area"))
        if _STREET_ADDRESS.search(area):
            raise InvalidShelter(
                "Give the neighbourhood or area, never a street address.", field="address_area")
        if isinstance(beds, bool) or not 1 <= beds <= MAX_BEDS:
            raise InvalidShelter("A shelter has between 1 and 500 beds.", field="beds")
        return cls._create(
            cls.Registered, id=shelter_id, timestamp=now, city=city.value, name=name,
            kind=kind.value, address_area=area, beds=beds, actor=actor.as_record(),
        )

    # --- beds -----------------------------------------------------------------------------

    class BedsAdded(Aggregate.Event):
        city: str
        added: int
        bed_numbers: list[int]
        beds: int
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Shelter)
            aggregate.bed_numbers = sorted([*aggregate.bed_numbers, *self.bed_numbers])

    class BedsRemoved(Aggregate.Event):
        city: str
        removed: int
        bed_numbers: list[int]
        beds: int
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Shelter)
            gone = set(self.bed_numbers)
            aggregate.bed_numbers = [n for n in aggregate.bed_numbers if n not in gone]

    class Closed(Aggregate.Event):
        """Version 2: the reason is a code of `ShelterClosureReason`. A version 1 reason was
        free text: it reads as a legacy text, and the code as None (not recorded: the text
        does not say which code it would have been)."""

        class_version = 2

        city: str
        closed_on: date
        reason: str | None
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _to_legacy(state, "reason")
            state["reason"] = None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Shelter)
            aggregate.closed_on = self.closed_on

    class BedAssigned(Aggregate.Event):
        """Internal bookkeeping (not published): the placement's own event says it publicly."""

        bed: int
        housing_path_id: UUID

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Shelter)
            aggregate.holders[_bed_key(self.bed)] = self.housing_path_id

    class HouseholdBedsOffered(Aggregate.Event):
        """Published: beds of this shelter were offered, together, to every member of a
        household (each member's own BedOffered tells which bed is theirs)."""

        city: str
        household_id: UUID
        bed_numbers: list[int]
        offered_on: date
        actor: dict[str, str | None]

    class BedReleased(Aggregate.Event):
        """Internal bookkeeping (not published): the bed is free again."""

        bed: int
        housing_path_id: UUID

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Shelter)
            aggregate.holders.pop(_bed_key(self.bed), None)

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None

    @property
    def beds(self) -> int:
        return len(self.bed_numbers)

    @property
    def occupied(self) -> int:
        return len(self.holders)

    @property
    def free_beds(self) -> list[int]:
        return [n for n in self.bed_numbers if _bed_key(n) not in self.holders]

    def holder_of(self, bed: int) -> UUID | None:
        return self.holders.get(_bed_key(bed))

    def _require_open(self) -> None:
        if self.is_closed:
            raise ShelterClosed("The shelter is closed.", field="shelter_id")

    def add_beds(self, count: int, actor: Actor, now: datetime) -> None:
        self._require_open()
        _check_bed_change(count)
        if self.beds + count > MAX_BEDS:
            raise InvalidBedChange("A shelter has at most 500 beds.", field="count")
        taken = set(self.bed_numbers)
        new: list[int] = []
        number = 1
        while len(new) < count:  # the lowest numbers not in use, so numbering stays compact
            if number not in taken:
                new.append(number)
            number += 1
        self.trigger_event(
            self.BedsAdded, timestamp=now, city=str(self.city), added=count, bed_numbers=new,
            beds=self.beds + count, actor=actor.as_record(),
        )

    def remove_beds(self, count: int, actor: Actor, now: datetime) -> None:
        """Remove `count` free beds, the highest-numbered first; a bed offered or occupied is
        never removed."""
        self._require_open()
        _check_bed_change(count)
        free = self.free_beds
        if count > len(free):
            raise BedsOccupied(
                "Only free beds can be removed.", field="count", free=len(free))
        if count >= self.beds:
            raise InvalidBedChange("A shelter keeps at least one bed: close it instead.",
                                   field="count")
        removed = sorted(free[-count:])
        self.trigger_event(
            self.BedsRemoved, timestamp=now, city=str(self.city), removed=count,
            bed_numbers=removed, beds=self.beds - count, actor=actor.as_record(),
        )

    def close(self, reason: ShelterClosureReason, actor: Actor, now: datetime) -> None:
        """Close the empty shelter, for one of the reasons of the list."""
        self._require_open()
        if self.holders:
            raise ShelterNotEmpty(
                "The shelter still has beds offered or occupied.", field="shelter_id",
                occupied=self.occupied)
        code = checked_closure_reason(reason)
        self.trigger_event(
            self.Closed, timestamp=now, city=str(self.city), closed_on=programme_today(now),
            reason=code.value, actor=actor.as_record(), legacy_texts=None,
        )

    def assign_bed(self, housing_path_id: UUID, now: datetime) -> int:
        """Hold the lowest-numbered free bed for a housing path; returns its number."""
        self._require_open()
        free = self.free_beds
        if not free:
            raise NoFreeBed("There is no free bed in this shelter.", field="shelter_id")
        self.trigger_event(
            self.BedAssigned, timestamp=now, bed=free[0], housing_path_id=housing_path_id)
        return free[0]

    def assign_beds(
        self, housing_path_ids: list[UUID], household_id: UUID, actor: Actor, now: datetime,
    ) -> list[int]:
        """Hold one free bed for each housing path of a household, the lowest-numbered first,
        all or none: with fewer free beds than paths, nothing is held. Returns the numbers, in
        the order of the paths."""
        self._require_open()
        free = self.free_beds
        if len(free) < len(housing_path_ids):
            raise NotEnoughFreeBeds(
                "The shelter has fewer free beds than the household has members.",
                field="shelter_id", needed=len(housing_path_ids), free=len(free))
        beds = free[:len(housing_path_ids)]
        for bed, housing_path_id in zip(beds, housing_path_ids, strict=True):
            self.trigger_event(
                self.BedAssigned, timestamp=now, bed=bed, housing_path_id=housing_path_id)
        self.trigger_event(
            self.HouseholdBedsOffered, timestamp=now, city=str(self.city),
            household_id=household_id, bed_numbers=beds, offered_on=programme_today(now),
            actor=actor.as_record())
        return beds

    def release_bed(self, bed: int, housing_path_id: UUID, now: datetime) -> None:
        if self.holder_of(bed) != housing_path_id:
            # The two aggregates are saved together, so they cannot disagree unless the record
            # was tampered with: refuse rather than free someone else's bed.
            raise NoBedOffered("This bed is not held for this case.", field="bed")
        self.trigger_event(
            self.BedReleased, timestamp=now, bed=bed, housing_path_id=housing_path_id)


def _check_bed_change(count: int) -> None:
    if isinstance(count, bool) or not 1 <= count <= MAX_BED_CHANGE:
        raise InvalidBedChange("Add or remove between 1 and 200 beds.", field="count")


class HousingPath(Aggregate):
    """One case's path through fast-track housing, over as many episodes as it takes: waitlist,
    a bed offered, move-in, move-out (then, perhaps, the waitlist again)."""

    class Started(Aggregate.Created):
        """Internal (not published): the path exists; its first Waitlisted says so publicly."""

        case_id: UUID
        case_code: str
        city: str

    def __init__(self, case_id: UUID, case_code: str, city: str) -> None:
        self.case_id = case_id
        self.case_code = case_code
        self.city = City(city)
        self.stage = HousingStage.NONE
        self.episode = 0
        self.waitlisted_at: datetime | None = None
        self.intake_date: date | None = None
        self.shelter_id: UUID | None = None
        self.bed: int | None = None
        self.offered_on: date | None = None
        self.moved_in_on: date | None = None

    @staticmethod
    def id_for(case_id: UUID) -> UUID:
        return uuid5(_HOUSING_PATH_NAMESPACE, f"housing-path/{case_id}")

    @classmethod
    def start(cls, case_id: UUID, case_code: str, city: City, now: datetime) -> HousingPath:
        return cls._create(
            cls.Started, id=cls.id_for(case_id), timestamp=now, case_id=case_id,
            case_code=case_code, city=city.value,
        )

    class Waitlisted(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        waitlisted_at: datetime
        vulnerable: bool
        priority_group: str
        intake_date: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, HousingPath)
            aggregate.city = City(self.city)
            aggregate.stage = HousingStage.WAITLISTED
            aggregate.episode += 1
            aggregate.waitlisted_at = self.waitlisted_at
            aggregate.intake_date = self.intake_date
            aggregate.shelter_id = None
            aggregate.bed = None
            aggregate.moved_in_on = None

    class BedOffered(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        shelter_id: UUID
        shelter_name: str
        address_area: str
        bed: int
        offered_on: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, HousingPath)
            aggregate.stage = HousingStage.OFFERED
            aggregate.shelter_id = self.shelter_id
            aggregate.bed = self.bed
            aggregate.offered_on = self.offered_on

    class OfferDeclined(Aggregate.Event):
        """Version 2 (issue 16): the reason is in the vault, under the person's key; the event
        carries its id and digest. A version 1 reason reads as a legacy text."""

        class_version = 2

        case_id: UUID
        case_code: str
        city: str
        shelter_id: UUID
        bed: int
        reason_id: UUID | None
        reason_digest: str | None
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _to_legacy(state, "reason")
            state["reason_id"] = state["reason_digest"] = None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, HousingPath)
            # Back on the waitlist with the waiting time it had: declining costs no place.
            aggregate.stage = HousingStage.WAITLISTED
            aggregate.shelter_id = None
            aggregate.bed = None
            aggregate.offered_on = None

    class MovedIn(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        shelter_id: UUID
        bed: int
        moved_in_on: date
        intake_date: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, HousingPath)
            aggregate.stage = HousingStage.HOUSED
            aggregate.moved_in_on = self.moved_in_on

    class MovedOut(Aggregate.Event):
        """Version 2 (issue 16): the note, if any, is in the vault, under the person's key;
        the event carries its id and digest. A version 1 note reads as a legacy text."""

        class_version = 2

        case_id: UUID
        case_code: str
        city: str
        shelter_id: UUID
        bed: int
        moved_out_on: date
        outcome: str
        note_id: UUID | None
        note_digest: str | None
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _to_legacy(state, "note")
            state["note_id"] = state["note_digest"] = None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, HousingPath)
            aggregate.stage = HousingStage.MOVED_OUT
            aggregate.shelter_id = None
            aggregate.bed = None

    class LeftWaitlist(Aggregate.Event):
        """Version 2 (issue 16): the reason is in the vault, under the person's key; the event
        carries its id and digest. A version 1 reason reads as a legacy text."""

        class_version = 2

        case_id: UUID
        case_code: str
        city: str
        reason_id: UUID | None
        reason_digest: str | None
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _to_legacy(state, "reason")
            state["reason_id"] = state["reason_digest"] = None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, HousingPath)
            aggregate.stage = HousingStage.LEFT_WAITLIST

    def _case_fields(self, city: City) -> dict[str, object]:
        return {"case_id": self.case_id, "case_code": self.case_code, "city": str(city)}

    def waitlist(
        self, city: City, vulnerable: bool, priority_group: str, intake_date: date,
        actor: Actor, now: datetime, terms: TermsInForce = CARD_TERMS,
    ) -> None:
        """Put the case on its city's waitlist: within the programme's period, in a partner
        city."""
        today = programme_today(now)
        terms.require_in_period(today, field=None)
        terms.require_partner(city, today, field="case")
        if not self.stage.may_be_waitlisted:
            raise AlreadyInHousing(
                "The case is already on the waitlist, offered a bed or housed.", field="case",
                stage=self.stage.value)
        self.trigger_event(
            self.Waitlisted, timestamp=now, **self._case_fields(city), waitlisted_at=now,
            vulnerable=vulnerable, priority_group=priority_group, intake_date=intake_date,
            actor=actor.as_record(),
        )

    def require_waitlisted(self) -> None:
        if self.stage is not HousingStage.WAITLISTED:
            raise NotOnWaitlist("The case is not waiting on the waitlist.", field="case",
                                stage=self.stage.value)

    def offer(
        self, shelter: Shelter, bed: int, actor: Actor, now: datetime,
        terms: TermsInForce = CARD_TERMS,
    ) -> None:
        """Offer the bed (which the shelter holds for this path)."""
        self.require_offerable(City(shelter.city), now, terms)
        self.trigger_event(
            self.BedOffered, timestamp=now, **self._case_fields(shelter.city),
            shelter_id=shelter.id, shelter_name=shelter.name,
            address_area=shelter.address_area, bed=bed, offered_on=programme_today(now),
            actor=actor.as_record(),
        )

    def require_offerable(self, city: City, now: datetime, terms: TermsInForce) -> None:
        """A bed is offered to a waitlisted case, within the programme's period, in a city that
        is a partner today: a placement is new work."""
        self.require_waitlisted()
        today = programme_today(now)
        terms.require_in_period(today, field=None)
        terms.require_partner(city, today, field="shelter_id")

    def _require_offered(self) -> tuple[UUID, int]:
        if self.stage is not HousingStage.OFFERED or self.shelter_id is None or self.bed is None:
            raise NoBedOffered("No bed is offered to the case.", field="case",
                               stage=self.stage.value)
        return self.shelter_id, self.bed

    def decline(
        self, reason: TextReference, actor: Actor, now: datetime
    ) -> tuple[UUID, int]:
        """Record the refusal (its reason, `checked_reason`, kept in the vault); returns the
        shelter and bed it frees."""
        shelter_id, bed = self._require_offered()
        self.trigger_event(
            self.OfferDeclined, timestamp=now, **self._case_fields(self.city),
            shelter_id=shelter_id, bed=bed, reason_id=reason.text_id,
            reason_digest=reason.digest, actor=actor.as_record(), legacy_texts=None,
        )
        return shelter_id, bed

    def move_in(
        self, moved_in_on: date, actor: Actor, now: datetime, terms: TermsInForce = CARD_TERMS,
    ) -> None:
        """Record the move-in, dated from the offer to today and within the programme's
        period (a move-out, a declined offer, leaving the waitlist: always possible)."""
        shelter_id, bed = self._require_offered()
        assert self.offered_on is not None and self.intake_date is not None
        if not self.offered_on <= moved_in_on <= programme_today(now):
            raise InvalidHousingDate(
                "The move-in date must fall between the day the bed was offered and today.",
                field="moved_in_on")
        terms.require_in_period(moved_in_on, field="moved_in_on")
        self.trigger_event(
            self.MovedIn, timestamp=now, **self._case_fields(self.city), shelter_id=shelter_id,
            bed=bed, moved_in_on=moved_in_on, intake_date=self.intake_date,
            actor=actor.as_record(),
        )

    def move_out(
        self, outcome: MoveOutOutcome, moved_out_on: date, note: TextReference | None,
        actor: Actor, now: datetime,
    ) -> tuple[UUID, int]:
        """Record the move-out (its note, `checked_move_out_note`, kept in the vault); returns
        the shelter and bed it frees."""
        if self.stage is not HousingStage.HOUSED or self.shelter_id is None or self.bed is None:
            raise NotHoused("The case has not moved in anywhere.", field="case",
                            stage=self.stage.value)
        assert self.moved_in_on is not None
        if not self.moved_in_on <= moved_out_on <= programme_today(now):
            raise InvalidHousingDate(
                "The move-out date must fall between the move-in date and today.",
                field="moved_out_on")
        if outcome is MoveOutOutcome.OTHER and note is None:
            raise InvalidHousingReason("Say what the outcome was, in the note.", field="note")
        shelter_id, bed = self.shelter_id, self.bed
        self.trigger_event(
            self.MovedOut, timestamp=now, **self._case_fields(self.city), shelter_id=shelter_id,
            bed=bed, moved_out_on=moved_out_on, outcome=outcome.value,
            note_id=note.text_id if note else None, note_digest=note.digest if note else None,
            actor=actor.as_record(), legacy_texts=None,
        )
        return shelter_id, bed

    def leave_waitlist(self, reason: TextReference, actor: Actor, now: datetime) -> None:
        if self.stage is HousingStage.OFFERED:
            raise NotOnWaitlist(
                "A bed is offered to the case: record the move-in or the declined offer first.",
                field="case", stage=self.stage.value)
        self.require_waitlisted()
        self.trigger_event(
            self.LeftWaitlist, timestamp=now, **self._case_fields(self.city),
            reason_id=reason.text_id, reason_digest=reason.digest, actor=actor.as_record(),
            legacy_texts=None,
        )

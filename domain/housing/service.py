"""Application service of the housing context: shelters and their beds, and each case's path
from the waitlist to a bed and out again. Every command returns the position of what it saved.

Invariants are kept by optimistic concurrency, not by locks or views: a command that changes a
bed saves the shelter and the case's housing path together, so a rival command that saved
either of them first makes this save fail (IntegrityError) and nothing is written. The command
then loads both again and decides again: the loser of a race for the last bed finds no free bed
and is refused (NoFreeBed), never given the same bed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.housing.model import (
    EmptyHousehold,
    HouseholdMemberNotWaiting,
    HousingBusy,
    HousingError,
    HousingPath,
    HousingStage,
    InvalidHousingReason,
    MoveOutOutcome,
    NoBedOffered,
    NotEligibleForHousing,
    NotHoused,
    NotOnWaitlist,
    Shelter,
    ShelterClosureReason,
    ShelterKind,
    ShelterOfAnotherCity,
    checked_move_out_note,
    checked_reason,
)
from domain.programme import Actor, CardTermsSource, City, SubAction, TermsSource
from domain.record import ProgrammeRecord, position_of, save_decided
from domain.vault import PersonalDataVault, TextReference

# Enough for every rival of a crowded race to be told the outcome rather than "busy": each retry
# is a reload and a decision, a few milliseconds.
_SAVE_ATTEMPTS = 32

_A = TypeVar("_A", bound=Aggregate)
_NO_OFFER = "No bed is offered to the case."
_NOT_WAITING = "The case is not waiting on the waitlist."


def _replayed(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's projector, less its per-event runtime-protocol assertion, which costs
    more than applying the event (measured: nearly half of loading a shelter)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class ShelterNotFound(LookupError):
    """Raised when no shelter has the given id."""


class CaseToHouse(Protocol):
    """What housing needs of a case (the cases context's Case is one): whose it is, whether it
    is open and eligible for Sub-Action 4, and what orders the waitlist."""

    @property
    def case_code(self) -> str: ...

    @property
    def city(self) -> City: ...

    @property
    def intake_date(self) -> date: ...

    @property
    def priority_group(self) -> str: ...

    @property
    def is_vulnerable(self) -> bool: ...

    @property
    def eligibility(self) -> Sequence[Mapping[str, Any]]:
        """Per sub-action, as the case's events record it: sub_action, eligible, reason."""
        ...

    def require_open(self) -> None:
        """Refuse (the cases context's own error) when the case is closed."""


class CasesToHouse(Protocol):
    """Where the service finds the cases it houses: the cases context's CaseService, which the
    composition root passes in. Its vault keeps the placements' free texts (reasons, move-out
    notes) under the person's key, so that the person's erasure shreds them too."""

    @property
    def vault(self) -> PersonalDataVault: ...

    def get(self, case_id: UUID) -> CaseToHouse:
        """The case with this id; raises a LookupError (the cases context's) when there is
        none."""
        ...


class HouseholdToHouse(Protocol):
    """A household's members now (the households context's HouseholdMembers is one)."""

    @property
    def city(self) -> City: ...

    @property
    def case_ids(self) -> tuple[UUID, ...]: ...


class HouseholdsToHouse(Protocol):
    """Where the service finds a household's members: the households context's
    HouseholdService, which the composition root passes in."""

    def members_of(self, household_id: UUID) -> HouseholdToHouse:
        """The household's members now; raises a LookupError when there is no such
        household."""
        ...


class HousingService:
    def __init__(
        self, record: ProgrammeRecord, cases: CasesToHouse, terms: TermsSource | None = None,
        new_id: Callable[[], UUID] = uuid4,
        households: HouseholdsToHouse | None = None,
    ) -> None:
        self.record = record
        self.cases = cases
        # Names the free texts kept in the vault (random: a text id says nothing of the text).
        self.new_id = new_id
        # Households are another context's: only household offers need them.
        self.households = households
        # The programme's terms (period, partner cities): the card's unless a source is given.
        self.terms = terms or CardTermsSource()

    # --- shelters ------------------------------------------------------------------------------

    def register_shelter(
        self, shelter_id: UUID, city: City, name: str, kind: ShelterKind, address_area: str,
        beds: int, actor: Actor, now: datetime,
    ) -> int:
        shelter = Shelter.register(shelter_id, city, name, kind, address_area, beds, actor, now)
        return position_of(self.record.save(shelter))

    def add_beds(self, shelter_id: UUID, count: int, actor: Actor, now: datetime) -> int:
        return self._on_shelter(shelter_id, lambda shelter: shelter.add_beds(count, actor, now))

    def remove_beds(self, shelter_id: UUID, count: int, actor: Actor, now: datetime) -> int:
        return self._on_shelter(
            shelter_id, lambda shelter: shelter.remove_beds(count, actor, now))

    def close_shelter(
        self, shelter_id: UUID, reason: ShelterClosureReason, actor: Actor, now: datetime,
    ) -> int:
        """Close an empty shelter, for a reason of the list (a code: no free text)."""
        return self._on_shelter(shelter_id, lambda shelter: shelter.close(reason, actor, now))

    def get_shelter(self, shelter_id: UUID) -> Shelter:
        return self._get(shelter_id, Shelter, ShelterNotFound(shelter_id))

    # --- a case's path ----------------------------------------------------------------------

    def add_to_waitlist(self, case_id: UUID, actor: Actor, now: datetime) -> int:
        """Put an open case, eligible for Sub-Action 4, on its city's waitlist; its waiting time
        starts now. Refused outside the programme's period and in a city that is not a partner
        today."""
        terms = self.terms.terms_in_force()

        def decide() -> list[Aggregate]:
            case = self._open_case(case_id)
            if not any(e["sub_action"] == SubAction.FAST_TRACK_HOUSING.value and e["eligible"]
                       for e in case.eligibility):
                raise NotEligibleForHousing(
                    "The case is not eligible for fast-track housing.", field="case")
            path = self.housing_path(case_id) or HousingPath.start(
                case_id, case.case_code, City(case.city), now)
            path.waitlist(City(case.city), case.is_vulnerable, case.priority_group,
                          case.intake_date, actor, now, terms)
            return [path]

        return self._decide_and_save(decide)

    def offer_bed(self, case_id: UUID, shelter_id: UUID, actor: Actor, now: datetime) -> int:
        """Hold the shelter's lowest-numbered free bed for a waitlisted case of its city, within
        the programme's period."""
        terms = self.terms.terms_in_force()

        def decide() -> list[Aggregate]:
            case = self._open_case(case_id)
            shelter = self.get_shelter(shelter_id)
            path = self._path_of(case_id, NotOnWaitlist(_NOT_WAITING, field="case"))
            path.require_waitlisted()
            if City(shelter.city) != City(case.city):
                raise ShelterOfAnotherCity(
                    "The shelter is in another city than the case.", field="shelter_id")
            path.require_offerable(City(shelter.city), now, terms)
            bed = shelter.assign_bed(path.id, now)
            path.offer(shelter, bed, actor, now, terms)
            return [shelter, path]

        return self._decide_and_save(decide)

    def offer_beds_to_household(
        self, household_id: UUID, shelter_id: UUID, actor: Actor, now: datetime,
    ) -> int:
        """Hold one bed of the shelter for each member of the household, all or none: every
        member must be an open case waiting on the waitlist, and the shelter (of their city)
        must have a free bed for each. From then on each member's offer is their own: each
        moves in or declines as for a single offer."""
        terms = self.terms.terms_in_force()
        if self.households is None:
            raise RuntimeError("The housing service was built without the households")
        households = self.households

        def decide() -> list[Aggregate]:
            household = households.members_of(household_id)
            if not household.case_ids:
                raise EmptyHousehold("The household has no members.", field="household")
            shelter = self.get_shelter(shelter_id)
            if City(shelter.city) != City(household.city):
                raise ShelterOfAnotherCity(
                    "The shelter is in another city than the household.", field="shelter_id")
            paths: list[HousingPath] = []
            for case_id in household.case_ids:
                case = self._open_case(case_id)
                path = self.housing_path(case_id)
                if path is None or path.stage != HousingStage.WAITLISTED:
                    raise HouseholdMemberNotWaiting(
                        "A member of the household is not waiting on the waitlist.",
                        field="household", case_code=case.case_code)
                path.require_offerable(City(shelter.city), now, terms)
                paths.append(path)
            beds = shelter.assign_beds([path.id for path in paths], household_id, actor, now)
            for path, bed in zip(paths, beds, strict=True):
                path.offer(shelter, bed, actor, now, terms)
            return [shelter, *paths]

        return self._decide_and_save(decide)

    def decline_offer(
        self, case_id: UUID, reason: str, actor: Actor, now: datetime, *,
        new_id: Callable[[], UUID] | None = None,
    ) -> int:
        """The bed offered is refused: it is free again, and the case waits on, keeping its
        place (its waiting time counts from when it was first waitlisted). The reason goes to
        the vault."""
        text = checked_reason(reason)

        def decide(kept: TextReference | None) -> list[Aggregate]:
            assert kept is not None
            path = self._path_of(case_id, NoBedOffered(_NO_OFFER, field="case"))
            shelter_id, bed = path.decline(kept, actor, now)
            return [*self._released(shelter_id, bed, path, now), path]

        return self._save_with_text(case_id, "reason", text, decide, new_id)

    def move_in(self, case_id: UUID, moved_in_on: date, actor: Actor, now: datetime) -> int:
        terms = self.terms.terms_in_force()

        def decide() -> list[Aggregate]:
            self._open_case(case_id)
            path = self._path_of(case_id, NoBedOffered(_NO_OFFER, field="case"))
            path.move_in(moved_in_on, actor, now, terms)
            return [path]

        return self._decide_and_save(decide)

    def move_out(
        self, case_id: UUID, outcome: MoveOutOutcome, moved_out_on: date, note: str | None,
        actor: Actor, now: datetime, *, new_id: Callable[[], UUID] | None = None,
    ) -> int:
        """The person leaves the bed, with the outcome; the bed is free again. Recorded on a
        closed case too: whoever leaves a bed must be seen to have left it. The note, if any,
        goes to the vault."""
        text = checked_move_out_note(outcome, note)

        def decide(kept: TextReference | None) -> list[Aggregate]:
            path = self._path_of(
                case_id, NotHoused("The case has not moved in anywhere.", field="case"))
            shelter_id, bed = path.move_out(outcome, moved_out_on, kept, actor, now)
            return [*self._released(shelter_id, bed, path, now), path]

        return self._save_with_text(case_id, "note", text, decide, new_id)

    def leave_waitlist(
        self, case_id: UUID, reason: str, actor: Actor, now: datetime, *,
        new_id: Callable[[], UUID] | None = None,
    ) -> int:
        """The case leaves the waitlist without a bed; the reason goes to the vault."""
        text = checked_reason(reason)

        def decide(kept: TextReference | None) -> list[Aggregate]:
            assert kept is not None
            path = self._path_of(case_id, NotOnWaitlist(_NOT_WAITING, field="case"))
            path.leave_waitlist(kept, actor, now)
            return [path]

        return self._save_with_text(case_id, "reason", text, decide, new_id)

    def placement_text(self, case_id: UUID, text_id: UUID) -> str | None:
        """A placement's free text (a reason, a move-out note) from the vault; None when
        unknown or erased. Whether the reader may see it is the access policy's call."""
        return self.cases.vault.read_text(case_id, text_id)

    def housing_path(self, case_id: UUID) -> HousingPath | None:
        """The case's housing path; None before it was first waitlisted."""
        try:
            return self._get(HousingPath.id_for(case_id), HousingPath, LookupError())
        except LookupError:
            return None

    # --- the machinery ----------------------------------------------------------------------

    def _path_of(self, case_id: UUID, if_none: HousingError) -> HousingPath:
        """The case's path; `if_none` is raised for a case that never was on the waitlist."""
        path = self.housing_path(case_id)
        if path is None:
            self.cases.get(case_id)  # an unknown case is that, not a case with no path
            raise if_none
        return path

    def _open_case(self, case_id: UUID) -> CaseToHouse:
        case = self.cases.get(case_id)
        case.require_open()
        return case

    def _released(
        self, shelter_id: UUID, bed: int, path: HousingPath, now: datetime
    ) -> list[Aggregate]:
        shelter = self.get_shelter(shelter_id)
        shelter.release_bed(bed, path.id, now)
        return [shelter]

    def _on_shelter(self, shelter_id: UUID, command: Callable[[Shelter], None]) -> int:
        def decide() -> list[Aggregate]:
            shelter = self.get_shelter(shelter_id)
            command(shelter)
            return [shelter]

        return self._decide_and_save(decide)

    def _save_with_text(
        self, case_id: UUID, field: str, text: str | None,
        decide: Callable[[TextReference | None], list[Aggregate]],
        new_id: Callable[[], UUID] | None = None,
    ) -> int:
        """Keep the text in the vault under the person's key, then decide and save with its
        reference; when nothing is saved, the text is discarded. `new_id` names the text (the
        service's own by default; the demo's, drawn from its seed)."""
        if text is None:
            return self._decide_and_save(lambda: decide(None))
        self.cases.get(case_id)  # an unknown case is that, not a text refused
        vault = self.cases.vault
        text_id = (new_id or self.new_id)()
        try:
            kept = TextReference(text_id, vault.store_text(case_id, text_id, text))
        except LookupError:
            raise InvalidHousingReason(
                "This person's personal data has been erased: no new text is kept on them.",
                field=field) from None
        try:
            return self._decide_and_save(lambda: decide(kept))
        except BaseException:
            vault.discard_text(case_id, text_id)
            raise

    def _decide_and_save(self, decide: Callable[[], list[Aggregate]]) -> int:
        """Load, decide and save; when a rival saved one of the same aggregates first, load
        again and decide again (the rules may now refuse). A refusal raises before anything is
        saved."""
        return save_decided(self.record, decide, _SAVE_ATTEMPTS, lambda: HousingBusy(
            "Too many changes to this shelter or case at once: try again.", field=None))

    def _get(self, aggregate_id: UUID, kind: type[_A], missing: Exception) -> _A:
        try:
            aggregate: object = self.record.repository.get(
                aggregate_id, projector_func=_replayed)
        except AggregateNotFoundError:
            raise missing from None
        if not isinstance(aggregate, kind):
            raise missing
        return aggregate

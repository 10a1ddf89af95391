"""Community activities (Sub-Actions 2, 3, 5 and 6): planned by a city, attended by enrolled
beneficiaries and counted residents, session by session, until completed or cancelled.

Sub-Action 2 (civic engagement) is open only to asylum seekers (`SubAction.is_open_to`, the rule
intake eligibility applies too). No case is enrolled in Sub-Action 5 (central, but it trains
municipal staff) nor in Sub-Action 6 (cross-cutting: communication): their participants are only
counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.programme import (
    CARD_TERMS,
    Actor,
    City,
    DomainError,
    ProtectionStatus,
    SubAction,
    TermsInForce,
    programme_today,
)

MAX_TITLE = 120
MAX_NEIGHBOURHOOD = 80
MAX_ORGANISER = 120
MAX_REASON = 500
MAX_SESSION_HOURS = Decimal(12)
MAX_RESIDENTS = 10_000

ACTIVITY_SUB_ACTIONS = (
    SubAction.CIVIC_ENGAGEMENT,
    SubAction.EMERGENCY_TAKE_IN,
    SubAction.ADMINISTRATION_EMPOWERMENT,
    SubAction.COMMUNICATION,
)
# Sub-Actions 5 (training of municipal staff) and 6 (communication): they enrol no final
# recipient, so nobody is enrolled in their activities.
SUB_ACTIONS_WITHOUT_ENROLMENT = tuple(
    sub_action for sub_action in ACTIVITY_SUB_ACTIONS if not sub_action.enrols_final_recipients
)


class ActivityKind(StrEnum):
    CIVIC_ENGAGEMENT_INITIATIVE = "civic_engagement_initiative"
    COMMUNITY_BUILDING = "community_building"
    NEIGHBOURHOOD_MEDIATION = "neighbourhood_mediation"
    INFORMATION_EVENT = "information_event"
    STAFF_TRAINING = "staff_training"
    OTHER = "other"


class ActivityStatus(StrEnum):
    PLANNED = "planned"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ActivityError(DomainError):
    """Raised when a command on a community activity breaks a rule of the programme."""

    code = "activity_error"


class InvalidActivity(ActivityError):
    """Raised when an activity's title, place, organiser, sub-action or dates are not valid."""

    code = "invalid_activity"


class ActivityEnded(ActivityError):
    """Raised when anything is recorded on an activity that is completed or cancelled."""

    code = "activity_ended"


class NotACaseOfTheCity(ActivityError):
    """Raised when the case to enrol is unknown or belongs to another city than the activity."""

    code = "not_a_case_of_the_city"


class AlreadyEnrolled(ActivityError):
    """Raised when a case is enrolled in an activity it is already enrolled in."""

    code = "already_enrolled"


class CivicEngagementReserved(ActivityError):
    """Raised when someone who is not an asylum seeker would be enrolled in Sub-Action 2."""

    code = "civic_engagement_reserved"


class NotEligibleForSubAction(ActivityError):
    """Raised when a case would be enrolled in an activity of a sub-action it is not eligible
    for on the day: Sub-Actions 3 and 4 are for people out of reception or leaving it."""

    code = "not_eligible_for_sub_action"


class NoEnrolmentInSubAction(ActivityError):
    """Raised when a case would be enrolled in an activity of Sub-Action 5 (training of municipal
    staff) or 6 (communication), which enrol no final recipient."""

    code = "no_enrolment_in_sub_action"


class InvalidSession(ActivityError):
    """Raised when a session's date, hours, attendance or residents count is not valid."""

    code = "invalid_session"


class NoSessionHeld(ActivityError):
    """Raised when an activity with no session recorded is completed."""

    code = "no_session_held"


class NotAStaffTraining(ActivityError):
    """Raised when municipal staff trained are counted on an activity not of Sub-Action 5."""

    code = "not_a_staff_training"


class InvalidStaffCount(ActivityError):
    """Raised when the municipal staff a training trained are counted outside what its sessions
    counted: fewer than its largest session, or more than all of them summed."""

    code = "invalid_staff_count"


class InvalidCancellation(ActivityError):
    """Raised when a cancellation gives no reason, or one too long."""

    code = "invalid_cancellation"


@dataclass(frozen=True)
class ActivityPlan:
    """What a coordinator gives to plan an activity."""

    city: City
    sub_action: SubAction
    kind: ActivityKind
    title: str
    neighbourhood: str
    starts_on: date
    ends_on: date
    organiser: str


class CaseToEnrol(Protocol):
    """What enrolment needs of a case (the cases context's Case is one): whose it is, whether it
    is open, and the protection status Sub-Action 2 depends on."""

    @property
    def id(self) -> UUID: ...

    @property
    def case_code(self) -> str: ...

    @property
    def city(self) -> City: ...

    @property
    def protection_status(self) -> ProtectionStatus: ...

    def require_open(self) -> None:
        """Refuse (the cases context's own error) when the case is closed."""

    def is_eligible_for(self, sub_action: SubAction, day: date) -> bool:
        """Whether the person may receive what `sub_action` offers on `day`, from the status,
        reception situation and vulnerabilities held then."""


@dataclass(frozen=True)
class Participant:
    case_id: UUID
    case_code: str


class Activity(Aggregate):
    """One community activity of one city."""

    class Planned(Aggregate.Created):
        city: str
        sub_action: str
        kind: str
        title: str
        neighbourhood: str
        starts_on: date
        ends_on: date
        organiser: str
        actor: dict[str, str | None]

    def __init__(
        self, city: str, sub_action: str, kind: str, title: str, neighbourhood: str,
        starts_on: date, ends_on: date, organiser: str, actor: dict[str, str | None],
    ) -> None:
        self.city = City(city)
        self.sub_action = SubAction(sub_action)
        self.kind = ActivityKind(kind)
        self.title = title
        self.neighbourhood = neighbourhood
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.organiser = organiser
        self.status = ActivityStatus.PLANNED
        self.participants: dict[UUID, Participant] = {}
        self.sessions_held = 0
        # The people counted at the sessions: summed, and at the largest session.
        self.people_counted = 0
        self.largest_session = 0

    @classmethod
    def plan(
        cls, activity_id: UUID, plan: ActivityPlan, actor: Actor, now: datetime,
        terms: TermsInForce = CARD_TERMS,
    ) -> Activity:
        """Decide a new activity: every fact checked before anything is recorded. Its days lie
        within the programme's period (`terms`: as amended), while its city is a partner."""
        if plan.sub_action not in ACTIVITY_SUB_ACTIONS:
            raise InvalidActivity(
                "Community activities belong to Sub-Action 2, 3, 5 or 6.", field="sub_action"
            )
        title = _text(plan.title, MAX_TITLE, "title")
        neighbourhood = _text(plan.neighbourhood, MAX_NEIGHBOURHOOD, "neighbourhood")
        organiser = _text(plan.organiser, MAX_ORGANISER, "organiser")
        terms.require_in_period(plan.starts_on, field="starts_on")
        if plan.ends_on < plan.starts_on:
            raise InvalidActivity("The activity must end on or after its start.",
                                  field="ends_on")
        terms.require_in_period(plan.ends_on, field="ends_on")
        terms.require_partner(plan.city, plan.starts_on, field="starts_on")
        terms.require_partner(plan.city, plan.ends_on, field="ends_on")
        return cls._create(
            cls.Planned, id=activity_id, timestamp=now, city=plan.city.value,
            sub_action=plan.sub_action.value, kind=plan.kind.value, title=title,
            neighbourhood=neighbourhood, starts_on=plan.starts_on, ends_on=plan.ends_on,
            organiser=organiser, actor=actor.as_record(),
        )

    class ParticipantEnrolled(Aggregate.Event):
        city: str
        sub_action: str
        kind: str
        case_id: UUID
        case_code: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Activity)
            aggregate.participants[self.case_id] = Participant(self.case_id, self.case_code)

    def enrol(self, case: CaseToEnrol, actor: Actor, now: datetime) -> None:
        """Enrol a case of the activity's city. Eligibility is judged on the case's facts as
        they stand today: a corrected protection status counts, the one recorded at intake no
        longer; Sub-Actions 3 and 4 need a person out of reception or leaving it."""
        self._require_not_ended()
        if self.sub_action in SUB_ACTIONS_WITHOUT_ENROLMENT:
            raise NoEnrolmentInSubAction(
                "Sub-Action 5 trains municipal staff and Sub-Action 6 is communication: no "
                "case is enrolled in their activities; count the participants at each session "
                "instead.",
                field="case",
            )
        if case.city != self.city:
            raise NotACaseOfTheCity(
                "No case of the activity's city has this id or code.", field="case"
            )
        case.require_open()
        if not self.sub_action.is_open_to(case.protection_status):
            raise CivicEngagementReserved(
                "Sub-Action 2 is reserved for applicants for international protection (art. 8 "
                "of law 46/2017, amending d.lgs. 142/2015), and the person is not an asylum "
                "seeker.",
                field="case",
            )
        if not case.is_eligible_for(self.sub_action, programme_today(now)):
            raise NotEligibleForSubAction(
                "The person is hosted in a reception centre and not about to leave it: Sub-"
                "Actions 3 and 4 are for people who left the reception system or were never in "
                "it, and for people about to leave a centre (the project card).",
                field="case",
            )
        if case.id in self.participants:
            raise AlreadyEnrolled("The case is already enrolled in this activity.", field="case")
        self.trigger_event(
            self.ParticipantEnrolled, timestamp=now, city=self.city.value,
            sub_action=self.sub_action.value, kind=self.kind.value, case_id=case.id,
            case_code=case.case_code, actor=actor.as_record(),
        )

    class SessionHeld(Aggregate.Event):
        city: str
        sub_action: str
        session_number: int
        held_on: date
        hours: Decimal
        case_ids: list[UUID]
        residents: int
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Activity)
            aggregate.sessions_held = self.session_number
            aggregate.people_counted += self.residents
            aggregate.largest_session = max(aggregate.largest_session, self.residents)

    def record_session(
        self, held_on: date, hours: Decimal, attended: frozenset[UUID], residents: int,
        actor: Actor, now: datetime,
    ) -> None:
        """Record a session: when, how long, which enrolled participants attended, and how many
        residents (people not taken in by the programme) took part."""
        self._require_not_ended()
        if not self.starts_on <= held_on <= self.ends_on:
            raise InvalidSession(
                "The session must fall within the activity's dates.", field="held_on"
            )
        if held_on > programme_today(now):
            raise InvalidSession("A session cannot be recorded before it is held.",
                                 field="held_on")
        if not (
            hours.is_finite() and Decimal(0) < hours <= MAX_SESSION_HOURS
            and hours == hours.quantize(Decimal("0.01"))
        ):
            raise InvalidSession(
                "A session lasts more than 0 and at most 12 hours, in hundredths at most.",
                field="hours",
            )
        if not 0 <= residents <= MAX_RESIDENTS:
            raise InvalidSession(
                "The residents who took part are counted from 0 to 10,000.", field="residents"
            )
        strangers = attended - self.participants.keys()
        if strangers:
            raise InvalidSession(
                "Only participants enrolled in the activity can be marked present.",
                field="attended",
            )
        if not attended and residents == 0:
            raise InvalidSession(
                "Nobody took part: mark the participants present, or count the residents.",
                field="attended",
            )
        # In enrolment order, so the same session always records the same list.
        case_ids = [case_id for case_id in self.participants if case_id in attended]
        self.trigger_event(
            self.SessionHeld, timestamp=now, city=self.city.value,
            sub_action=self.sub_action.value, session_number=self.sessions_held + 1,
            held_on=held_on, hours=hours.quantize(Decimal("0.01")), case_ids=case_ids,
            residents=residents, actor=actor.as_record(),
        )

    class Completed(Aggregate.Event):
        city: str
        sub_action: str
        completed_on: date
        sessions: int
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Activity)
            aggregate.status = ActivityStatus.COMPLETED

    def complete(self, actor: Actor, now: datetime) -> None:
        self._require_not_ended()
        if self.sessions_held == 0:
            raise NoSessionHeld(
                "No session has been recorded: record the sessions held, or cancel the "
                "activity.",
                field="activity",
            )
        self.trigger_event(
            self.Completed, timestamp=now, city=self.city.value,
            sub_action=self.sub_action.value,
            completed_on=programme_today(now),
            sessions=self.sessions_held, actor=actor.as_record(),
        )

    class Cancelled(Aggregate.Event):
        city: str
        sub_action: str
        reason: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Activity)
            aggregate.status = ActivityStatus.CANCELLED

    def cancel(self, reason: str, actor: Actor, now: datetime) -> None:
        self._require_not_ended()
        text = reason.strip()
        if not text or len(text) > MAX_REASON:
            raise InvalidCancellation(
                "Say why the activity is cancelled, in up to 500 characters.", field="reason"
            )
        self.trigger_event(
            self.Cancelled, timestamp=now, city=self.city.value,
            sub_action=self.sub_action.value, reason=text, actor=actor.as_record(),
        )

    class StaffTrainedCounted(Aggregate.Event):
        city: str
        sub_action: str
        staff_trained: int
        actor: dict[str, str | None]

    def count_staff_trained(self, staff_trained: int, actor: Actor, now: datetime) -> None:
        """Record how many different municipal staff a Sub-Action 5 training trained, from its
        attendance sheets: the sessions count people, not who they are, so the same person at
        three sessions is three attendances. At least the largest session's count, at most all
        the sessions' counts summed. Counted again, the later count stands (a correction)."""
        if self.sub_action is not SubAction.ADMINISTRATION_EMPOWERMENT:
            raise NotAStaffTraining(
                "Only a Sub-Action 5 activity trains municipal staff.", field="staff_trained")
        if self.status is ActivityStatus.CANCELLED:
            raise ActivityEnded(
                "The activity is cancelled: nothing more can be recorded on it.",
                field="activity")
        if self.sessions_held == 0:
            raise NoSessionHeld(
                "No session has been recorded: record the sessions held first.",
                field="staff_trained")
        if not self.largest_session <= staff_trained <= self.people_counted:
            raise InvalidStaffCount(
                f"The staff trained are at least the largest session's count "
                f"({self.largest_session}) and at most the sessions' counts summed "
                f"({self.people_counted}).",
                field="staff_trained", least=self.largest_session, most=self.people_counted)
        self.trigger_event(
            self.StaffTrainedCounted, timestamp=now, city=self.city.value,
            sub_action=self.sub_action.value, staff_trained=staff_trained,
            actor=actor.as_record(),
        )

    @property
    def has_ended(self) -> bool:
        return self.status is not ActivityStatus.PLANNED

    def _require_not_ended(self) -> None:
        if self.has_ended:
            raise ActivityEnded(
                "The activity is completed or cancelled: nothing more can be recorded on it.",
                field="activity",
            )


def _text(value: Any, limit: int, field: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit:
        raise InvalidActivity(f"Give the {field}, in up to {limit} characters.", field=field,
                              max_length=limit)
    return text

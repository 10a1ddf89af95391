"""The programme's terms as the ministry decides them, and its amendments to them.

The period (the card's 2019-07-01..2021-12-31), the partner cities, how fast a referral must be
answered and how waitlists are ordered are decisions of the lead partner, not constants: one
aggregate, `ProgrammeTerms` (a fixed id: there is one programme), records them. Its first event,
`Established`, states the terms before any amendment (`CARD_TERMS`), and each decision of the
ministry after it is an event naming the act it rests on (its protocol number) and the day it
was decided. Before the first decision nothing is stored, and the terms are the card's.

An amendment never changes what was recorded before it: a city withdraws, or joins, from a day
not before the decision; the period is only ever extended. Every context reads the terms in force
(`TermsInForce`, which their services pass into their commands) and refuses work outside them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.programme import (
    CARD_TERMS,
    FOUNDING_PROVINCE_CODES,
    PROVINCE_CODE,
    AnswerTimes,
    City,
    DomainError,
    Membership,
    PriorityWeights,
    ProgrammePeriod,
    TermsInForce,
    programme_today,
)

# The terms are about the whole network, not one city: their subject is lgnet.network.<...>.
NETWORK_SCOPE = "network"
TERMS_SUBJECT = "programme-terms"
TERMS_ID = uuid5(UUID("3c0e5a8e-2b7d-4f19-8d64-9a1f0c7e2b35"), "programme-terms")
# A protocol number, not a free text: a free text could itself carry personal data.
MAX_ACT_REFERENCE = 60
# "Reggio nell'Emilia", "San Giovanni in Fiore": a Comune's official name is short.
MAX_CITY_NAME = 60
# The longest answer time the ministry may set: a referral waiting three months is no rapid
# response any more.
MAX_ANSWER_HOURS = 90 * 24
MAX_WEIGHT = 1_000_000
MAX_WAITING_DAYS_COUNTED = 3650


class AmendmentError(DomainError):
    """Raised when a decision on the programme's terms breaks a rule of the programme."""

    code = "amendment_error"


class InvalidAct(AmendmentError):
    """Raised when a decision lacks the reference of its act, or is dated before the programme
    or in the future."""

    code = "invalid_act"


class NotAnExtension(AmendmentError):
    """Raised when a new end of the period does not come after the end in force."""

    code = "not_an_extension"


class InvalidMembershipChange(AmendmentError):
    """Raised when a city joins while a partner or withdraws while not one, or on a day
    outside the period or before the decision."""

    code = "invalid_membership_change"


class InvalidCityName(AmendmentError):
    """Raised when a city that was never a partner is admitted without its name, or with one
    longer than MAX_CITY_NAME."""

    code = "invalid_city_name"


class InvalidProvinceCode(AmendmentError):
    """Raised when a new partner city's province code is not two capital letters, or is the
    code of another partner (case codes would collide)."""

    code = "invalid_province_code"


class InvalidAnswerTimes(AmendmentError):
    """Raised when referral answer times are not whole hours from 1 to MAX_ANSWER_HOURS with
    immediate < urgent < ordinary."""

    code = "invalid_answer_times"


class InvalidPriorityWeights(AmendmentError):
    """Raised when priority weights would not keep the card's order (international protection
    above vulnerability, every factor counting) or are out of range."""

    code = "invalid_priority_weights"


class AmendmentKind(StrEnum):
    ESTABLISHED = "established"
    PERIOD_EXTENDED = "period_extended"
    CITY_JOINED = "city_joined"
    CITY_WITHDRAWN = "city_withdrawn"
    ANSWER_TIMES_SET = "answer_times_set"
    PRIORITY_WEIGHTS_SET = "priority_weights_set"


@dataclass(frozen=True)
class Amendment:
    """One decision as a page lists it: what, when it was decided and recorded, on which act,
    and the values it set (by the event's field names)."""

    kind: AmendmentKind
    recorded_at: datetime
    decided_on: date | None
    act_reference: str | None
    values: dict[str, Any]
    actor: dict[str, str | None]


class ProgrammeTerms(Aggregate):
    """The programme's terms, as established and then amended by the ministry."""

    class Established(Aggregate.Created):
        """The terms before any amendment: the card's period and 19 cities, the platform's
        starting answer times, the card's priority order as weights."""

        city = NETWORK_SCOPE
        subject = TERMS_SUBJECT

        starts_on: date
        ends_on: date
        cities: list[str]
        immediate_answer_hours: int
        urgent_answer_hours: int
        ordinary_answer_hours: int
        international_protection_points: int
        vulnerability_points: int
        points_per_day_waiting: int
        waiting_days_counted: int
        actor: dict[str, str | None]

    def __init__(
        self, starts_on: date, ends_on: date, cities: list[str], immediate_answer_hours: int,
        urgent_answer_hours: int, ordinary_answer_hours: int,
        international_protection_points: int, vulnerability_points: int,
        points_per_day_waiting: int, waiting_days_counted: int, actor: dict[str, str | None],
    ) -> None:
        self.period = ProgrammePeriod(starts_on, ends_on)
        self.memberships: dict[City, tuple[Membership, ...]] = {
            City(city): (Membership(starts_on),) for city in cities
        }
        self.province_codes: dict[City, str] = {
            city: FOUNDING_PROVINCE_CODES[city] for city in self.memberships}
        self.names: dict[City, str] = {}
        self.answer_times = AnswerTimes(
            timedelta(hours=immediate_answer_hours), timedelta(hours=urgent_answer_hours),
            timedelta(hours=ordinary_answer_hours))
        self.priority_weights = PriorityWeights(
            international_protection_points, vulnerability_points, points_per_day_waiting,
            waiting_days_counted)
        self.history: list[Amendment] = [
            Amendment(AmendmentKind.ESTABLISHED, self.created_on, None, None, {}, actor)]

    @property
    def in_force(self) -> TermsInForce:
        return TermsInForce(
            period=self.period, memberships=dict(self.memberships),
            answer_times=self.answer_times, priority_weights=self.priority_weights,
            province_codes=dict(self.province_codes), names=dict(self.names),
        )

    @classmethod
    def establish(cls, actor: dict[str, str | None], now: datetime) -> ProgrammeTerms:
        """The card's terms, recorded as the first event before the first amendment."""
        terms = CARD_TERMS
        times, weights = terms.answer_times, terms.priority_weights
        return cls._create(
            cls.Established, id=TERMS_ID, timestamp=now,
            starts_on=terms.period.starts_on, ends_on=terms.period.ends_on,
            cities=[city.value for city in terms.partners_on(terms.period.starts_on)],
            immediate_answer_hours=_hours(times.immediate),
            urgent_answer_hours=_hours(times.urgent),
            ordinary_answer_hours=_hours(times.ordinary),
            international_protection_points=weights.international_protection,
            vulnerability_points=weights.vulnerability,
            points_per_day_waiting=weights.per_day_waiting,
            waiting_days_counted=weights.waiting_days_counted, actor=actor,
        )

    # --- the ministry's decisions ----------------------------------------------------------

    class Decided(Aggregate.Event):
        """Base of every decision: the act it rests on and the day it was taken."""

        city = NETWORK_SCOPE
        subject = TERMS_SUBJECT
        kind = AmendmentKind.ESTABLISHED

        decided_on: date
        act_reference: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ProgrammeTerms)
            self.amend(aggregate)
            values = {name: getattr(self, name) for name in self.__dataclass_fields__
                      if name not in _EVENT_BOOKKEEPING}
            aggregate.history.append(Amendment(
                self.kind, self.timestamp, self.decided_on, self.act_reference, values,
                self.actor))

        def amend(self, terms: ProgrammeTerms) -> None:
            raise NotImplementedError

    class PeriodExtended(Decided):
        kind = AmendmentKind.PERIOD_EXTENDED

        ends_on: date
        previous_ends_on: date

        def amend(self, terms: ProgrammeTerms) -> None:
            terms.period = ProgrammePeriod(terms.period.starts_on, self.ends_on)

    class CityJoined(Decided):
        """Version 2: a city that was never a partner joins with its name and province code
        (the prefix of its case codes); a city rejoining, or one of the card's, carries None.
        Version 1 events (only the card's cities could join) read with both None."""

        kind = AmendmentKind.CITY_JOINED
        class_version = 2

        joining_city: str
        joins_on: date
        name: str | None
        province_code: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["name"] = None
            state["province_code"] = None

        def amend(self, terms: ProgrammeTerms) -> None:
            city = City(self.joining_city)
            terms.memberships[city] = (*terms.memberships.get(city, ()), Membership(self.joins_on))
            if self.province_code is not None:
                terms.province_codes[city] = self.province_code
            if self.name is not None:
                terms.names[city] = self.name

    class CityWithdrawn(Decided):
        kind = AmendmentKind.CITY_WITHDRAWN

        withdrawing_city: str
        leaves_on: date

        def amend(self, terms: ProgrammeTerms) -> None:
            city = City(self.withdrawing_city)
            *before, current = terms.memberships[city]
            terms.memberships[city] = (*before, Membership(current.joins_on, self.leaves_on))

    class AnswerTimesSet(Decided):
        kind = AmendmentKind.ANSWER_TIMES_SET

        immediate_answer_hours: int
        urgent_answer_hours: int
        ordinary_answer_hours: int

        def amend(self, terms: ProgrammeTerms) -> None:
            terms.answer_times = AnswerTimes(
                timedelta(hours=self.immediate_answer_hours),
                timedelta(hours=self.urgent_answer_hours),
                timedelta(hours=self.ordinary_answer_hours))

    class PriorityWeightsSet(Decided):
        kind = AmendmentKind.PRIORITY_WEIGHTS_SET

        international_protection_points: int
        vulnerability_points: int
        points_per_day_waiting: int
        waiting_days_counted: int

        def amend(self, terms: ProgrammeTerms) -> None:
            terms.priority_weights = PriorityWeights(
                self.international_protection_points, self.vulnerability_points,
                self.points_per_day_waiting, self.waiting_days_counted)

    def extend_period(
        self, ends_on: date, decided_on: date, act_reference: str, actor: dict[str, str | None],
        now: datetime,
    ) -> None:
        """Move the end of the period later (the card's "Fine progetto", as amended)."""
        act = self._checked_act(decided_on, act_reference, now)
        if ends_on <= self.period.ends_on:
            raise NotAnExtension(
                f"The new end must come after the end in force ({self.period.ends_on}).",
                field="ends_on", ends_on=self.period.ends_on)
        self.trigger_event(
            self.PeriodExtended, timestamp=now, **act, ends_on=ends_on,
            previous_ends_on=self.period.ends_on, actor=actor)

    def admit_city(
        self, city: City, joins_on: date, decided_on: date, act_reference: str,
        actor: dict[str, str | None], now: datetime, *, name: str | None = None,
        province_code: str | None = None,
    ) -> None:
        """A city becomes a partner from `joins_on` (again, if it had withdrawn). A city that
        was never a partner comes with its name and its province code, which numbers its cases;
        a city known already keeps the ones it has."""
        act = self._checked_act(decided_on, act_reference, now)
        memberships = self.memberships.get(city, ())
        if memberships and memberships[-1].leaves_on is None:
            raise InvalidMembershipChange(
                f"{city.display_name} is a partner already.", field="city")
        if memberships:
            if name is not None or province_code is not None:
                raise InvalidMembershipChange(
                    f"{city.display_name} was a partner before: it keeps its name and province "
                    "code.", field="province_code" if province_code is not None else "name")
        else:
            name, province_code = self._checked_newcomer(name, province_code)
        self._check_effective_day(joins_on, decided_on, "joins_on")
        if memberships and joins_on < (memberships[-1].leaves_on or joins_on):
            raise InvalidMembershipChange(
                "A city rejoins from its withdrawal on, not before.", field="joins_on")
        self.trigger_event(
            self.CityJoined, timestamp=now, **act, joining_city=city.value, joins_on=joins_on,
            name=name, province_code=province_code, actor=actor)

    def _checked_newcomer(self, name: str | None, province_code: str | None) -> tuple[str, str]:
        """A new partner's name (the Comune's, as the act writes it) and its province code: two
        capital letters (the targa), not another partner's, since case codes must stay unique."""
        clean_name = " ".join((name or "").split())
        if not 2 <= len(clean_name) <= MAX_CITY_NAME:
            raise InvalidCityName(
                f"A new partner city needs its name, 2 to {MAX_CITY_NAME} characters.",
                field="name", max_length=MAX_CITY_NAME)
        code = province_code or ""
        if not PROVINCE_CODE.fullmatch(code):
            raise InvalidProvinceCode(
                "A new partner city needs its province code: two capital letters (e.g. VR).",
                field="province_code")
        taken = [city for city, known in self.province_codes.items() if known == code]
        if taken:
            raise InvalidProvinceCode(
                f"The province code {code} numbers the cases of {taken[0].display_name} "
                "already.", field="province_code", city=taken[0].value)
        return clean_name, code

    def withdraw_city(
        self, city: City, leaves_on: date, decided_on: date, act_reference: str,
        actor: dict[str, str | None], now: datetime,
    ) -> None:
        """A city stops being a partner: from `leaves_on` it takes on no new work."""
        act = self._checked_act(decided_on, act_reference, now)
        memberships = self.memberships.get(city, ())
        if not memberships or memberships[-1].leaves_on is not None:
            raise InvalidMembershipChange(
                f"{city.display_name} is not a partner.", field="city")
        self._check_effective_day(leaves_on, decided_on, "leaves_on")
        if leaves_on <= memberships[-1].joins_on:
            raise InvalidMembershipChange(
                "A city withdraws after the day it joined.", field="leaves_on")
        self.trigger_event(
            self.CityWithdrawn, timestamp=now, **act, withdrawing_city=city.value,
            leaves_on=leaves_on, actor=actor)

    def set_answer_times(
        self, times: AnswerTimes, decided_on: date, act_reference: str,
        actor: dict[str, str | None], now: datetime,
    ) -> None:
        """How long a referral's destination has to answer, per urgency, from now on: the due
        time of a referral already requested stays as it was set."""
        act = self._checked_act(decided_on, act_reference, now)
        hours = [times.immediate / timedelta(hours=1), times.urgent / timedelta(hours=1),
                 times.ordinary / timedelta(hours=1)]
        if not all(h.is_integer() and 1 <= h <= MAX_ANSWER_HOURS for h in hours) or not (
            hours[0] < hours[1] < hours[2]
        ):
            raise InvalidAnswerTimes(
                f"Answer times are whole hours from 1 to {MAX_ANSWER_HOURS}, immediate shorter "
                "than urgent, urgent shorter than ordinary.",
                field="answer_times", max_hours=MAX_ANSWER_HOURS)
        self.trigger_event(
            self.AnswerTimesSet, timestamp=now, **act, immediate_answer_hours=int(hours[0]),
            urgent_answer_hours=int(hours[1]), ordinary_answer_hours=int(hours[2]),
            actor=actor)

    def set_priority_weights(
        self, weights: PriorityWeights, decided_on: date, act_reference: str,
        actor: dict[str, str | None], now: datetime,
    ) -> None:
        """The points of each priority factor. The card's order is kept: international
        protection weighs more than vulnerability, and every factor counts; how much a long
        wait may weigh against them is the ministry's to set."""
        act = self._checked_act(decided_on, act_reference, now)
        values = (weights.international_protection, weights.vulnerability,
                  weights.per_day_waiting)
        if any(isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_WEIGHT
               for v in (*values, weights.waiting_days_counted)) or (
            weights.waiting_days_counted > MAX_WAITING_DAYS_COUNTED
        ):
            raise InvalidPriorityWeights(
                f"Weights are whole numbers from 1 to {MAX_WEIGHT}; waiting days are counted "
                f"up to 1 to {MAX_WAITING_DAYS_COUNTED} days.",
                field="priority_weights", max_weight=MAX_WEIGHT,
                max_days=MAX_WAITING_DAYS_COUNTED)
        if weights.international_protection <= weights.vulnerability:
            raise InvalidPriorityWeights(
                "Holders of international protection come first (the card: \"in via primaria, "
                "i titolari di protezione internazionale\"): their points must exceed those of "
                "vulnerability.",
                field="international_protection")
        self.trigger_event(
            self.PriorityWeightsSet, timestamp=now, **act,
            international_protection_points=weights.international_protection,
            vulnerability_points=weights.vulnerability,
            points_per_day_waiting=weights.per_day_waiting,
            waiting_days_counted=weights.waiting_days_counted, actor=actor)

    def _checked_act(self, decided_on: date, act_reference: str, now: datetime) -> dict[str, Any]:
        reference = act_reference.strip() if isinstance(act_reference, str) else ""
        if not reference or len(reference) > MAX_ACT_REFERENCE:
            raise InvalidAct(
                f"Give the reference (protocol number) of the ministry's act, in up to "
                f"{MAX_ACT_REFERENCE} characters.",
                field="act_reference", max_length=MAX_ACT_REFERENCE)
        if not self.period.starts_on <= decided_on <= programme_today(now):
            raise InvalidAct(
                "The decision is dated between the programme's start and today.",
                field="decided_on")
        return {"decided_on": decided_on, "act_reference": reference}

    def _check_effective_day(self, day: date, decided_on: date, field: str) -> None:
        """A change of partners takes effect within the period, from its decision on: what a
        city recorded before the decision stays as it was."""
        if day not in self.period or day < decided_on:
            raise InvalidMembershipChange(
                "The change takes effect on a day within the programme's period, not before "
                "the decision.",
                field=field)


# What every event has and an amendment's values leave out.
_EVENT_BOOKKEEPING = frozenset({
    "originator_id", "originator_version", "timestamp", "decided_on", "act_reference", "actor",
})


def _hours(duration: timedelta) -> int:
    return int(duration / timedelta(hours=1))

"""Application service of the programme's terms: what the terms in force are (now, or at a past
moment, for as-of pages), the ministry's decisions so far, and the commands that record a new
one. Every context's service reads the terms here (`terms_in_force`, the `TermsSource` of
domain.programme) and passes them into its commands.

Only the ministry decides (`Permission.AMEND_PROGRAMME_TERMS`): each command checks it, so the
CLI and any page calling it are held to the same rule. A decision saved while another command
is being decided is seen by the next command, not by that one: a rule reads the terms once, when
it decides."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.access import AccessDenied, Permission, Principal, may
from domain.amendments.model import TERMS_ID, Amendment, ProgrammeTerms
from domain.programme import (
    CARD_TERMS,
    Actor,
    AnswerTimes,
    City,
    PriorityWeights,
    TermsInForce,
)
from domain.record import ProgrammeRecord, save_decided

# Decisions are rare: a lost race (two ministry officials at once) is decided again a few times.
_SAVE_ATTEMPTS = 4


class ProgrammeTermsService:
    """`as_of`: a view of the terms as they were at that moment (for as-of pages), which
    decides nothing."""

    def __init__(self, record: ProgrammeRecord, as_of: datetime | None = None) -> None:
        self.record = record
        self.as_of = as_of

    # --- reading ----------------------------------------------------------------------------

    def terms_in_force(self) -> TermsInForce:
        """The terms as the latest decision (up to `as_of`) left them; the card's before any."""
        if self.as_of is not None:
            return self.terms_at(self.as_of)
        terms = self._terms()
        return CARD_TERMS if terms is None else terms.in_force

    def terms_at(self, moment: datetime) -> TermsInForce:
        """The terms in force at `moment` (decisions recorded up to it): what an as-of page
        shows and judges by."""
        terms = self._replayed(lambda event: event.timestamp <= moment)
        return CARD_TERMS if terms is None else terms.in_force

    def amendments(self, moment: datetime | None = None) -> list[Amendment]:
        """The decisions so far (up to `moment`, or `as_of`, if given), oldest first, the
        establishment of the card's terms included once there is any."""
        moment = moment or self.as_of
        terms = self._replayed(lambda event: moment is None or event.timestamp <= moment)
        return [] if terms is None else list(terms.history)

    # --- the ministry's decisions -----------------------------------------------------------

    def extend_period(
        self, ends_on: date, decided_on: date, act_reference: str, actor: Actor, now: datetime
    ) -> int:
        return self._decide(actor, now, lambda terms: terms.extend_period(
            ends_on, decided_on, act_reference, actor.as_record(), now))

    def admit_city(
        self, city: City, joins_on: date, decided_on: date, act_reference: str, actor: Actor,
        now: datetime, *, name: str | None = None, province_code: str | None = None,
    ) -> int:
        """`name` and `province_code` for a city that was never a partner (see
        ProgrammeTerms.admit_city)."""
        return self._decide(actor, now, lambda terms: terms.admit_city(
            city, joins_on, decided_on, act_reference, actor.as_record(), now, name=name,
            province_code=province_code))

    def withdraw_city(
        self, city: City, leaves_on: date, decided_on: date, act_reference: str, actor: Actor,
        now: datetime,
    ) -> int:
        return self._decide(actor, now, lambda terms: terms.withdraw_city(
            city, leaves_on, decided_on, act_reference, actor.as_record(), now))

    def set_answer_times(
        self, times: AnswerTimes, decided_on: date, act_reference: str, actor: Actor,
        now: datetime,
    ) -> int:
        return self._decide(actor, now, lambda terms: terms.set_answer_times(
            times, decided_on, act_reference, actor.as_record(), now))

    def set_priority_weights(
        self, weights: PriorityWeights, decided_on: date, act_reference: str, actor: Actor,
        now: datetime,
    ) -> int:
        return self._decide(actor, now, lambda terms: terms.set_priority_weights(
            weights, decided_on, act_reference, actor.as_record(), now))

    # --- the machinery ----------------------------------------------------------------------

    def _decide(
        self, actor: Actor, now: datetime, command: Callable[[ProgrammeTerms], None]
    ) -> int:
        """Check who decides, then load (or establish) the terms, decide, save; a lost race is
        decided again on the newer terms. Establishment and the first decision are saved
        together."""
        if self.as_of is not None:
            raise RuntimeError("A view of the terms as of a past moment decides nothing.")
        _require_ministry(actor)

        def decide() -> list[Aggregate]:
            terms = self._terms() or ProgrammeTerms.establish(actor.as_record(), now)
            command(terms)
            return [terms]

        return save_decided(self.record, decide, _SAVE_ATTEMPTS)

    def _terms(self) -> ProgrammeTerms | None:
        try:
            terms: object = self.record.repository.get(TERMS_ID)
        except AggregateNotFoundError:
            return None
        assert isinstance(terms, ProgrammeTerms)
        return terms

    def _replayed(self, keep: Callable[[Any], bool]) -> ProgrammeTerms | None:
        aggregate: Any = None
        for event in self._events():
            if not keep(event):
                break
            aggregate = event.mutate(aggregate)
        return aggregate if isinstance(aggregate, ProgrammeTerms) else None

    def _events(self) -> Iterator[Any]:
        return iter(self.record.repository.event_store.get(TERMS_ID))


def _require_ministry(actor: Actor) -> None:
    """Only the ministry, signed in as such, records a decision on the programme's terms."""
    try:
        allowed = may(Principal(actor.id, actor.role, actor.city),
                      Permission.AMEND_PROGRAMME_TERMS)
    except ValueError:  # not a principal at all (a city role without a city, ...)
        allowed = False
    if not allowed:
        raise AccessDenied(
            f"A {actor.role.value} may not {Permission.AMEND_PROGRAMME_TERMS.value}",
            permission=Permission.AMEND_PROGRAMME_TERMS.value,
        )

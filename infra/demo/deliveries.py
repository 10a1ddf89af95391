"""Services delivered: every fortnight each city's operators go through their open cases and
provide some of them what they need, under a sub-action the person is eligible for that day:
meals, clothing and transport tickets, a legal consultation, an accompaniment to health services
(more for vulnerable people), cash support (now and then, and for a deposit once housed),
Italian lessons (Sub-Action 2 for applicants, Sub-Action 3 for the others). During the lockdown
the rounds are weekly and mostly meals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from domain.deliveries.model import DeliveryKind, DeliveryOrder
from domain.programme import PROGRAMME_END, City, SubAction, programme_today
from infra.demo.known import KnownCase
from infra.demo.people import operator
from infra.demo.scale import LOCKDOWN
from infra.demo.scheduler import Area

_ROUND_EVERY_DAYS = 14
_LOCKDOWN_ROUND_EVERY_DAYS = 7
# The share of a city's open cases served in one round.
_SERVED_SHARE = 0.12
_HOURS = (Decimal("1.00"), Decimal("1.50"), Decimal("2.00"), Decimal("3.00"))
_CASH = (Decimal("50.00"), Decimal("80.00"), Decimal("100.00"), Decimal("150.00"),
         Decimal("200.00"), Decimal("250.00"))
_DEPOSIT = (Decimal("300.00"), Decimal("450.00"), Decimal("600.00"))


class DeliveryDesk(Area):
    """The cities' services delivered to the people they took in."""

    def plan_rounds(self, city: City) -> None:
        day = self.scale.start + timedelta(days=self.rng.randint(3, _ROUND_EVERY_DAYS))
        while day <= self.scale.end:
            self.at(self.working_time(day, 9, 16), partial(self.round, city))
            in_lockdown = LOCKDOWN[0] <= day <= LOCKDOWN[1]
            day += timedelta(days=_LOCKDOWN_ROUND_EVERY_DAYS if in_lockdown
                             else _ROUND_EVERY_DAYS)

    def round(self, city: City) -> None:
        rng = self.rng
        lockdown = LOCKDOWN[0] <= self.clock.date() <= LOCKDOWN[1]
        for case in list(self.cases_of[city]):
            if (not case.is_open or case.transfer_waiting or case.city != city
                    or rng.random() >= _SERVED_SHARE * (2 if lockdown else 1)):
                continue
            choice = self._what_for(case, lockdown)
            if choice is not None:
                self._deliver(case, *choice)

    def _what_for(
        self, case: KnownCase, lockdown: bool
    ) -> tuple[SubAction, DeliveryKind, Decimal] | None:
        """Something the person may receive now: only Sub-Action 2 for someone still hosted in
        reception (and only if an applicant), 3 or 4 for the others."""
        rng = self.rng
        applicant = case.status.is_applicant
        if case.in_reception:
            if not applicant:
                return None
            kind = rng.choice((DeliveryKind.LANGUAGE_COURSE, DeliveryKind.LANGUAGE_COURSE,
                               DeliveryKind.TRANSPORT_TICKETS))
            return SubAction.CIVIC_ENGAGEMENT, kind, self._quantity(kind)
        if case.housing == "housed" and rng.random() < 0.15:
            return SubAction.FAST_TRACK_HOUSING, DeliveryKind.CASH_SUPPORT, rng.choice(_DEPOSIT)
        if lockdown and rng.random() < 0.7:
            return SubAction.EMERGENCY_TAKE_IN, DeliveryKind.MEALS, self._quantity(
                DeliveryKind.MEALS)
        kinds = [DeliveryKind.MEALS, DeliveryKind.CLOTHING, DeliveryKind.TRANSPORT_TICKETS,
                 DeliveryKind.LEGAL_CONSULTATION, DeliveryKind.LANGUAGE_COURSE,
                 DeliveryKind.CASH_SUPPORT]
        if case.vulnerable:
            kinds += [DeliveryKind.HEALTH_ACCOMPANIMENT, DeliveryKind.HEALTH_ACCOMPANIMENT]
        kind = rng.choice(kinds)
        sub_action = (SubAction.CIVIC_ENGAGEMENT
                      if kind is DeliveryKind.LANGUAGE_COURSE and applicant
                      else SubAction.EMERGENCY_TAKE_IN)
        return sub_action, kind, self._quantity(kind)

    def _quantity(self, kind: DeliveryKind) -> Decimal:
        rng = self.rng
        match kind:
            case DeliveryKind.MEALS:
                return Decimal(rng.choice((7, 10, 14, 14, 21)))
            case DeliveryKind.CLOTHING:
                return Decimal(rng.randint(1, 6))
            case DeliveryKind.TRANSPORT_TICKETS:
                return Decimal(rng.choice((2, 4, 10, 20)))
            case DeliveryKind.CASH_SUPPORT:
                return rng.choice(_CASH)
            case _:
                return rng.choice(_HOURS)

    def _deliver(
        self, case: KnownCase, sub_action: SubAction, kind: DeliveryKind, quantity: Decimal
    ) -> None:
        city = case.city

        def record(now: datetime) -> None:
            order = DeliveryOrder(sub_action, kind, quantity, _day(now))
            self.services.deliveries.record_delivery(
                self.new_id(), case.id, order, operator(city), now)

        self.attempt("delivery", record)


def _day(now: datetime) -> date:
    """The day of the delivery: today, in Italy (within the programme)."""
    return min(programme_today(now), PROGRAMME_END)

"""The programme's terms as pages show them: the terms in force (as of the viewed moment, on
as-of pages), today's date in Italy, and the Ministry's decisions that set each term, so a page
can say whether a value is the Ministry's or the platform's starting one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field

from domain.amendments.model import Amendment, AmendmentKind
from domain.programme import Priority, TermsInForce, programme_today
from web.services import WebServices


@dataclass(frozen=True)
class TermsShown:
    terms: TermsInForce
    today: date
    amendments: tuple[Amendment, ...]

    def latest(self, kind: AmendmentKind) -> Amendment | None:
        """The latest decision of `kind`; None while the starting value holds."""
        return next((a for a in reversed(self.amendments) if a.kind is kind), None)

    @property
    def answer_times_decision(self) -> Amendment | None:
        return self.latest(AmendmentKind.ANSWER_TIMES_SET)

    @property
    def priority_weights_decision(self) -> Amendment | None:
        return self.latest(AmendmentKind.PRIORITY_WEIGHTS_SET)

    @property
    def period_decision(self) -> Amendment | None:
        return self.latest(AmendmentKind.PERIOD_EXTENDED)

    @property
    def today_in_period(self) -> bool:
        return self.today in self.terms.period


def terms_shown(services: WebServices) -> TermsShown:
    programme = services.programme_terms
    return TermsShown(
        terms=programme.terms_in_force(),
        today=programme_today(services.now()),
        amendments=tuple(programme.amendments()),
    )


class PriorityPointsOut(BaseModel):
    factor: str = Field(description="international_protection, vulnerability or waiting_time")
    points: int
    days: int | None = Field(description="For waiting_time: the full days waited")


class PriorityOut(BaseModel):
    """A person's priority as the card orders it, with the points of each factor (the Ministry
    sets the weights: GET /programme shows them)."""

    total: int
    factors: list[PriorityPointsOut]

    @classmethod
    def of(cls, priority: Priority) -> PriorityOut:
        return cls(total=priority.total, factors=[
            PriorityPointsOut(factor=f.factor.value, points=f.points, days=f.days)
            for f in priority.factors])

"""The indicators as JSON: one city's (its staff, the ministry, the auditors) and the network's
with the 19 cities side by side (the ministry, the auditors), the same figures the dashboards
show (web.areas.dashboards.pages). Partner systems are refused (403): their agreements cover
events of cases, not a city's figures.

Each answer says what it reflects: `position`, the event position the read models had reached,
and `as_of`, the moment (now, or the past moment an auditor or the ministry views the record
at). Money travels as strings with two decimals ("1234.50") and other measures (hours, days,
rates) as decimal strings ("12.5", "0.75"): JSON numbers lose precision in many clients."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from events.finance import Euros
from projections.indicators.figures import (
    ActivityLine,
    Breakdown,
    CityRow,
    Durations,
    Indicators,
    NetworkDashboard,
)
from web.kit.budget import BudgetLineOut
from web.kit.dependencies import Services
from web.kit.exports import table_stamp
from web.kit.principal import CityToView, NetworkViewer
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["indicators"])


def _as_text(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


DecimalText = Annotated[
    str,
    StringConstraints(pattern=r"^\d+(\.\d+)?$"),
    BeforeValidator(_as_text),
    Field(description='A decimal number as a string, such as "12.5"'),
]


class CountOut(BaseModel):
    key: str = Field(description="The value counted: a protection status, a citizenship, ...")
    count: int


class BreakdownOut(BaseModel):
    dimension: str
    total: int
    counts: list[CountOut] = Field(description="The largest first")

    @classmethod
    def of(cls, breakdown: Breakdown) -> BreakdownOut:
        return cls(dimension=breakdown.dimension, total=breakdown.total,
                   counts=[CountOut(key=c.key, count=c.count) for c in breakdown.counts])


class DurationsOut(BaseModel):
    count: int = Field(description="How many times it happened")
    median: DecimalText | None
    p90: DecimalText | None = Field(description="The 90th percentile (PERCENTILE.INC)")
    unit: str = Field(description="hours or days")

    @classmethod
    def of(cls, durations: Durations) -> DurationsOut:
        return cls.model_validate({"count": durations.count, "median": durations.median,
                                   "p90": durations.p90, "unit": durations.unit})


class MonthCountOut(BaseModel):
    month: date = Field(description="The month's first day")
    value: int


class CaseIndicatorsOut(BaseModel):
    taken_in: int
    people: int = Field(description="The people the cases are about, each once: cases linked "
                        "by a confirmed person id (the same person taken in by two cities) "
                        "count once")
    open: int
    closed: int
    vulnerable: int
    by_protection_status: BreakdownOut
    by_sex: BreakdownOut
    by_age_band: BreakdownOut
    by_citizenship: BreakdownOut = Field(description='The ten largest, then "other"')
    by_vulnerability: BreakdownOut
    by_outcome: BreakdownOut
    intakes_per_month: list[MonthCountOut]


class ReferralIndicatorsOut(BaseModel):
    requested: int
    by_destination: BreakdownOut
    by_outcome: BreakdownOut
    response_time: DurationsOut
    answered_in_time: int


class OccupancyMonthOut(BaseModel):
    month: date
    housed: int = Field(description="People housed on the month's last day")
    beds: int = Field(description="Beds on the month's last day")


class HousingIndicatorsOut(BaseModel):
    placements: int
    moved_in: int
    housed_now: int
    beds: int
    occupancy_rate: DecimalText | None = Field(description="housed_now / beds, 0 to 1")
    days_to_move_in: DurationsOut
    exits_by_outcome: BreakdownOut
    occupancy_per_month: list[OccupancyMonthOut]


class ActivityLineOut(BaseModel):
    sub_action: str | None = Field(description="null: every sub-action together")
    activities: int
    completed: int
    cancelled: int
    sessions: int
    participants: int
    residents: int
    hours: DecimalText

    @classmethod
    def of(cls, line: ActivityLine) -> ActivityLineOut:
        return cls.model_validate({
            "sub_action": line.sub_action, "activities": line.activities,
            "completed": line.completed, "cancelled": line.cancelled,
            "sessions": line.sessions, "participants": line.participants,
            "residents": line.residents, "hours": line.hours,
        })


class ActivityIndicatorsOut(BaseModel):
    lines: list[ActivityLineOut]
    total: ActivityLineOut


class DeliveryLineOut(BaseModel):
    sub_action: str
    kind: str
    unit: str = Field(description="meals, items, tickets, hours or eur")
    deliveries: int
    people: int = Field(description="Distinct cases served")
    quantity: DecimalText = Field(description="Summed, in `unit`")


class DeliveryIndicatorsOut(BaseModel):
    lines: list[DeliveryLineOut] = Field(description="Per sub-action and kind")
    deliveries: int
    people: int = Field(description="Distinct cases served by any delivery")
    cash: Euros = Field(description="Cash support paid")


class ClaimedMonthOut(BaseModel):
    month: date
    claimed: Euros = Field(description="Claimed up to the month's end, cumulative")


class ExpenditureIndicatorsOut(BaseModel):
    lines: list[BudgetLineOut]
    total: BudgetLineOut
    claimed_per_month: list[ClaimedMonthOut]


class IndicatorsOut(BaseModel):
    city: str | None = Field(description="null: the network")
    position: int = Field(description="The event position the figures reflect")
    as_of: datetime = Field(description="The moment the figures reflect")
    cases: CaseIndicatorsOut
    referrals: ReferralIndicatorsOut
    housing: HousingIndicatorsOut
    activities: ActivityIndicatorsOut
    expenditure: ExpenditureIndicatorsOut
    deliveries: DeliveryIndicatorsOut

    @classmethod
    def of(cls, figures: Indicators, as_of: datetime) -> IndicatorsOut:
        cases, referrals = figures.cases, figures.referrals
        housing, spent = figures.housing, figures.expenditure
        return cls(
            city=figures.city, position=figures.position, as_of=as_of,
            cases=CaseIndicatorsOut(
                taken_in=cases.taken_in, people=cases.people, open=cases.open,
                closed=cases.closed,
                vulnerable=cases.vulnerable,
                by_protection_status=BreakdownOut.of(cases.by_protection_status),
                by_sex=BreakdownOut.of(cases.by_sex),
                by_age_band=BreakdownOut.of(cases.by_age_band),
                by_citizenship=BreakdownOut.of(cases.by_citizenship),
                by_vulnerability=BreakdownOut.of(cases.by_vulnerability),
                by_outcome=BreakdownOut.of(cases.by_outcome),
                intakes_per_month=[MonthCountOut(month=m.month, value=m.value)
                                   for m in cases.intakes_per_month],
            ),
            referrals=ReferralIndicatorsOut(
                requested=referrals.requested,
                by_destination=BreakdownOut.of(referrals.by_destination),
                by_outcome=BreakdownOut.of(referrals.by_outcome),
                response_time=DurationsOut.of(referrals.response_time),
                answered_in_time=referrals.answered_in_time,
            ),
            housing=HousingIndicatorsOut.model_validate({
                "placements": housing.placements, "moved_in": housing.moved_in,
                "housed_now": housing.housed_now, "beds": housing.beds,
                "occupancy_rate": housing.occupancy_rate,
                "days_to_move_in": DurationsOut.of(housing.days_to_move_in),
                "exits_by_outcome": BreakdownOut.of(housing.exits_by_outcome),
                "occupancy_per_month": [
                    OccupancyMonthOut(month=month, housed=housed, beds=beds)
                    for month, housed, beds in housing.occupancy_per_month
                ],
            }),
            activities=ActivityIndicatorsOut(
                lines=[ActivityLineOut.of(line) for line in figures.activities.lines],
                total=ActivityLineOut.of(figures.activities.total),
            ),
            expenditure=ExpenditureIndicatorsOut(
                lines=[BudgetLineOut.of(line) for line in spent.lines],
                total=BudgetLineOut.of(spent.total),
                claimed_per_month=[
                    ClaimedMonthOut.model_validate({"month": month, "claimed": claimed})
                    for month, claimed in spent.claimed_per_month
                ],
            ),
            deliveries=DeliveryIndicatorsOut.model_validate({
                "lines": [DeliveryLineOut.model_validate(line.__dict__)
                          for line in figures.deliveries.lines],
                "deliveries": figures.deliveries.deliveries,
                "people": figures.deliveries.people, "cash": figures.deliveries.cash,
            }),
        )


class CityRowOut(BaseModel):
    city: str
    taken_in: int
    open: int
    vulnerable: int
    referrals: int
    median_response_hours: DecimalText | None
    housed_now: int
    beds: int
    occupancy_rate: DecimalText | None
    activities: int
    participants: int
    hours: DecimalText
    allocated: Euros
    claimed: Euros
    approved: Euros

    @classmethod
    def of(cls, row: CityRow) -> CityRowOut:
        return cls.model_validate({name: getattr(row, name) for name in cls.model_fields})


class NetworkIndicatorsOut(BaseModel):
    position: int = Field(description="The event position the figures reflect")
    as_of: datetime = Field(description="The moment the figures reflect")
    cities: list[CityRowOut] = Field(description="All 19 cities, in alphabetical order of slug")
    network: IndicatorsOut = Field(description="The network's indicators (city null)")

    @classmethod
    def of(cls, dashboard: NetworkDashboard, as_of: datetime) -> NetworkIndicatorsOut:
        return cls(position=dashboard.position, as_of=as_of,
                   cities=[CityRowOut.of(row) for row in dashboard.cities],
                   network=IndicatorsOut.of(dashboard.network, as_of))


@router.get(
    "/cities/{city}/indicators", response_model=IndicatorsOut, name="api_city_indicators",
    summary="A city's indicators: cases, referrals, housing, activities, expenditure",
)
def city_indicators(city: CityToView, services: Services) -> IndicatorsOut:
    as_of, _position = table_stamp(services)
    return IndicatorsOut.of(services.indicators.indicators(city.value), as_of)


@router.get(
    "/network/indicators", response_model=NetworkIndicatorsOut, name="api_network_indicators",
    summary="The network's indicators and the 19 cities' headline figures side by side",
)
def network_indicators(viewer: NetworkViewer, services: Services) -> NetworkIndicatorsOut:
    as_of, _position = table_stamp(services)
    return NetworkIndicatorsOut.of(services.indicators.network_dashboard(), as_of)

"""The network at a glance, for the ministry."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from domain.programme import ProtectionStatus
from projections.network_overview import CityFigures, NetworkOverview
from projections.person_links import PeopleCount
from web.kit.dependencies import Services
from web.kit.principal import NetworkViewer
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["network"])


def _by_status(counts: dict[str, int]) -> dict[str, int]:
    """Every protection status, with zeros where there are no cases."""
    return {status.value: 0 for status in ProtectionStatus} | counts


class CityFiguresOut(BaseModel):
    city: str
    cases: int
    people: int = Field(description="The people the city's cases are about: a person whose "
                        "cases a coordinator confirmed to be one counts once")
    vulnerable_cases: int
    by_protection_status: dict[str, int]

    @classmethod
    def of(cls, figures: CityFigures, people: PeopleCount) -> CityFiguresOut:
        return cls(
            city=figures.city,
            cases=figures.cases,
            people=people.people_by_city.get(figures.city, 0),
            vulnerable_cases=figures.vulnerable_cases,
            by_protection_status=_by_status(figures.by_protection_status),
        )


class NetworkTotals(BaseModel):
    cases: int
    people: int = Field(description="The people taken in, each counted once however many cases "
                        "(in however many cities) were confirmed to be them: unduplicated")
    vulnerable_cases: int
    by_protection_status: dict[str, int]


class NetworkOverviewOut(BaseModel):
    cities: list[CityFiguresOut] = Field(
        description="Every city of the network (the card's 19, and any that joined later), "
        "with zeros where no case is")
    totals: NetworkTotals

    @classmethod
    def of(cls, overview: NetworkOverview, people: PeopleCount) -> NetworkOverviewOut:
        return cls(
            cities=[CityFiguresOut.of(figures, people) for figures in overview.cities],
            totals=NetworkTotals(
                cases=overview.total_cases,
                people=people.people,
                vulnerable_cases=overview.total_vulnerable_cases,
                by_protection_status=_by_status(overview.by_protection_status()),
            ),
        )


@router.get(
    "/network/overview", response_model=NetworkOverviewOut, name="api_network_overview",
    summary="Cases per city and in the whole network",
)
def network_overview(services: Services, _viewer: NetworkViewer) -> NetworkOverviewOut:
    return NetworkOverviewOut.of(services.network.overview(), services.person_links.people())

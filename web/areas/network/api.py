"""The network at a glance, for the ministry."""

from __future__ import annotations

from fastapi import APIRouter

from web.areas.cases.models import NetworkOverviewOut
from web.kit.dependencies import Services
from web.kit.principal import NetworkViewer

router = APIRouter(tags=["network"])


@router.get(
    "/network/overview", response_model=NetworkOverviewOut, name="api_network_overview",
    summary="Cases per city and in the whole network",
)
def network_overview(services: Services, _viewer: NetworkViewer) -> NetworkOverviewOut:
    return NetworkOverviewOut.of(services.network.overview())

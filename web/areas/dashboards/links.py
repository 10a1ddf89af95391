"""Where a figure of a dashboard leads: the records behind it (the case list with the filters
that give exactly that many cases, a drill-down list, the housing, activity or budget page of
the city), where the viewer may open them."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from fastapi import FastAPI, Request

from domain.access import Permission, Principal, may
from domain.programme import City


@lru_cache(maxsize=512)
def city_path(app: FastAPI, route: str, city: str) -> str:
    """The path of a city's page. A dashboard links each of its figures (the ministry's: about a
    thousand), and Starlette finds a route's path by trying every route of the app in turn:
    most of a dashboard's rendering time before these were kept."""
    return str(app.url_path_for(route, city=city))


class DrillDown:
    """Where a figure of one city leads (None: nowhere the viewer may go, or no city)."""

    def __init__(self, request: Request, principal: Principal, city: str | None) -> None:
        self._request = request
        self._principal = principal
        self.city = city

    def _url(self, route: str, permission: Permission, **query: str) -> str | None:
        if self.city is None or not may(self._principal, permission, City(self.city)):
            return None
        path = city_path(self._request.app, route, self.city)
        return path + ("?" + urlencode(query) if query else "")

    def cases(self, **filters: str) -> str | None:
        return self._url("case_list", Permission.LIST_CASES, **filters)

    def referrals(self, **filters: str) -> str | None:
        return self._url("indicator_referrals", Permission.VIEW_CITY, **filters)

    def placements(self, **filters: str) -> str | None:
        return self._url("indicator_placements", Permission.VIEW_CITY, **filters)

    def housing(self) -> str | None:
        return self._url("city_housing", Permission.VIEW_CITY)

    def activities(self, sub_action: str | None = None) -> str | None:
        if sub_action is None:
            return self._url("activity_register", Permission.VIEW_CITY)
        return self._url("activity_register", Permission.VIEW_CITY, sub_action=sub_action)

    def deliveries(self, sub_action: str | None = None, kind: str | None = None) -> str | None:
        query = {name: value for name, value in (("sub_action", sub_action), ("kind", kind))
                 if value}
        return self._url("delivery_register", Permission.VIEW_CITY, **query)

    def finance(self) -> str | None:
        return self._url("city_finance", Permission.VIEW_CITY)

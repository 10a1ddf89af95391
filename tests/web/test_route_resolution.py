"""The shortcuts taken for speed in finding a request's route and solving its dependencies
(issue 15, fourth pass) give FastAPI's own answers: every route of the app, and paths near them,
resolve to the same route with the routers' path guards as without (web.kit.routes); a route
added after the guards were built is found; the cities a request reads from the terms are read
once for its two solves, and again by the next request (web.kit.dependencies)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import _IncludedRouter, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.convertors import (
    FloatConvertor,
    IntegerConvertor,
    PathConvertor,
    StringConvertor,
    UUIDConvertor,
)
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, replace_params

from domain.programme import City
from infra.bootstrap import Platform
from web.kit.dependencies import city_in_path
from web.kit.errors import UnknownCity
from web.kit.routes import _RouterPathGuard, guard_included_routers

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SAMPLES: dict[type, Any] = {
    StringConvertor: "x1", PathConvertor: "a/b.css", IntegerConvertor: 7, FloatConvertor: 1.5,
    UUIDConvertor: UUID("0b8e1c9e-4c0a-4f43-9a59-5c7d0e2a9f11"),
}


def sample_paths(app: FastAPI) -> list[str]:
    """A concrete path for every route of the app, each with and without a trailing slash, and
    paths no route has."""
    paths = ["/", "/nope", "/api/v1/nope", "/api/v1/cities/firenze/nope", "/static/app/x.css"]
    for context in iter_route_contexts(app.routes):
        if context.path_format is None or context.param_convertors is None:
            continue
        params: dict[str, Any] = {name: SAMPLES[type(convertor)]
                  for name, convertor in context.param_convertors.items()}
        path, _ = replace_params(context.path_format, context.param_convertors, params)
        paths += [path, path.rstrip("/") if path.endswith("/") else path + "/"]
    return paths


def resolved(routes: list[BaseRoute], path: str, method: str) -> tuple[Any, ...]:
    """What a request for `path` goes to, as Starlette's router decides it: the first route
    that matches fully, else the first that matches in part (405), followed down the included
    routers to the route itself."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "",
             "headers": [], "query_string": b""}
    partial = None
    for index, route in enumerate(routes):
        match, child_scope = route.matches(scope)
        if match == Match.FULL:
            return (index, *leaf(route, scope), child_scope.get("path_params"))
        if match == Match.PARTIAL and partial is None:
            partial = (index, *leaf(route, scope), "partial")
    return partial or ("not found",)


def leaf(route: BaseRoute, scope: dict[str, Any]) -> tuple[Any, ...]:
    while isinstance(route, _IncludedRouter):
        match, child_scope, found, _context = route._match(scope)
        assert match != Match.NONE and found is not None
        scope = {**scope, **child_scope}
        route = found
    return (getattr(route, "name", None), getattr(route, "path", None))


def unguarded(routes: list[Any]) -> int:
    """Take the guards off (FastAPI's own matching again); how many there were."""
    count = 0
    for route in routes:
        if isinstance(route, _IncludedRouter):
            if isinstance(route.matches, _RouterPathGuard):
                del route.matches
                count += 1
            count += unguarded(list(route.effective_candidates()))
    return count


def test_every_route_resolves_as_fastapi_resolves_it(app: FastAPI) -> None:
    paths = sample_paths(app)
    with_guards = {(path, method): resolved(app.router.routes, path, method)
                   for path in paths for method in METHODS}

    guards = unguarded(app.router.routes)

    assert guards > 30  # every area's router, and the API's areas inside the API's router
    assert len(paths) > 400
    found = 0
    for (path, method), answer in with_guards.items():
        assert answer == resolved(app.router.routes, path, method), (method, path)
        found += answer[-1] not in ("not found", "partial")
    assert found > 200  # the samples do reach routes


def test_a_request_goes_to_its_route_through_the_guards(clients: Any) -> None:
    api = clients.coordinator("firenze").get("/api/v1/cities/firenze/cases")
    unknown = clients.coordinator("firenze").get("/api/v1/nope")
    wrong_method = clients.coordinator("firenze").delete("/api/v1/cities/firenze/cases")

    assert api.status_code == 200 and "items" in api.json()
    assert unknown.status_code == 404
    assert wrong_method.status_code == 405


def test_a_route_added_after_the_guards_were_built_is_found() -> None:
    router = APIRouter(prefix="/area")

    @router.get("/first")
    def first() -> str:
        return "first"

    app = FastAPI()
    app.include_router(router)
    guard_included_routers(app)
    client = TestClient(app)
    assert client.get("/area/second").status_code == 404

    @router.get("/second")
    def second() -> str:
        return "second"

    assert client.get("/area/second").json() == "second"
    assert client.get("/area/first").json() == "first"


class CountedTerms:
    def __init__(self, platform: Platform) -> None:
        self.terms = platform.programme_terms
        self.reads = 0

    def terms_in_force(self) -> Any:
        self.reads += 1
        return self.terms.terms_in_force()


def a_request(app: Any) -> Request:
    return Request({"type": "http", "method": "POST", "path": "/", "headers": [],
                    "query_string": b"", "app": app})


class AppWithTerms:
    def __init__(self, terms: CountedTerms) -> None:
        self.state = type("State", (), {})()
        self.state.services = type("Services", (), {"programme_terms": terms})()


async def test_the_cities_are_read_once_a_request_and_afresh_by_the_next(
    platform: Platform,
) -> None:
    terms = CountedTerms(platform)
    app = AppWithTerms(terms)
    request = a_request(app)

    assert await city_in_path(request, "firenze") == City("firenze")
    assert await city_in_path(request, "milano") == City("milano")  # the request's second solve
    assert terms.reads == 1
    with pytest.raises(UnknownCity):
        await city_in_path(request, "atlantide")
    assert terms.reads == 1

    assert await city_in_path(a_request(app), "firenze") == City("firenze")
    assert terms.reads == 2

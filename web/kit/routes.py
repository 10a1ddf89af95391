"""Routes, faster than FastAPI finds them, with the same answers.

A route's path by its name, kept per app. Looking a route up by name walks every included
router of the app (each refusal an exception): a dashboard page asks for a few hundred paths
and each intake for its case's (issue 15: a third of the ministry dashboard's rendering, ~8% of
the event loop under a load of intakes).

Which route a request goes to: `guard_included_routers` lets FastAPI skip, at once, each
included router none of whose routes' patterns matches the path (`_RouterPathGuard`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, _IncludedRouter, iter_route_contexts
from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.routing import Host, Match, Mount, Route, WebSocketRoute
from starlette.types import Scope

# Per app, so a path outlives neither its app nor a test's; bounded, since the parameters (case
# ids...) are without number on a long-running server.
ROUTE_PATHS_KEPT = 4096

_Find = Callable[[str, tuple[tuple[str, Any], ...]], str]


def route_path(app: Starlette, name: str, /, **params: Any) -> str:
    """`app.url_path_for(name, **params)` as a string: the same name and parameters always give
    the same path."""
    find: _Find | None = getattr(app.state, "route_paths", None)
    if find is None:
        def look_up(name: str, params: tuple[tuple[str, Any], ...]) -> str:
            return str(app.url_path_for(name, **dict(params)))

        find = lru_cache(maxsize=ROUTE_PATHS_KEPT)(look_up)
        app.state.route_paths = find
    try:
        return find(name, tuple(sorted(params.items())))
    except TypeError:  # a parameter that cannot be a key: looked up afresh
        return str(app.url_path_for(name, **params))


class _RouterPathGuard:
    """An included router's `matches`, answering NONE at once for a path that none of its routes'
    patterns matches. FastAPI (0.165) matches an included router by walking each of its routes
    (and each nested router's), juggling scope keys for each: an API request walked every page
    router before the API's, ~0.3 ms of CPU a request (issue 15, fourth pass). Exact, because
    every route it guards answers NONE itself when its pattern does not match the path (plain
    HTTP routes only: a router holding a mount, host or websocket route is not guarded). Its
    routers' versions are compared at each call, so a route added later is seen."""

    def __init__(self, included: _IncludedRouter) -> None:
        self.included = included
        self.unguarded = included.matches
        self._build()

    def _build(self) -> None:
        self.routers = _routers_in(self.included.original_router)
        self.versions = list(map(_routes_version, self.routers))
        self.pattern = _union_of_paths(self.included)

    def __call__(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            if list(map(_routes_version, self.routers)) != self.versions:
                self._build()
            if self.pattern is not None and self.pattern.match(get_route_path(scope)) is None:
                return Match.NONE, {}
        return self.unguarded(scope)


_routes_version = attrgetter("_routes_version")


def guard_included_routers(app: FastAPI) -> None:
    """Give each router included in `app` (and each router included in those) a path guard;
    call it once the app's routers are included."""
    _guard_all(app.router.routes)


def _guard_all(routes: Sequence[Any]) -> None:
    for route in routes:
        if isinstance(route, _IncludedRouter):
            if not isinstance(route.matches, _RouterPathGuard):
                route.matches = _RouterPathGuard(route)  # type: ignore[method-assign]
            _guard_all(route.effective_candidates())


def _routers_in(router: APIRouter) -> list[APIRouter]:
    found = [router]
    for route in router.routes:
        if isinstance(route, _IncludedRouter):
            found += _routers_in(route.original_router)
    return found


_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")


def _union_of_paths(included: _IncludedRouter) -> re.Pattern[str] | None:
    """One pattern matching the paths any route of `included` matches; None when one of them
    is not a plain HTTP route (it may match on more than its path)."""
    patterns = []
    for context in iter_route_contexts([included]):
        route = context.original_route
        if isinstance(route, Mount | Host | WebSocketRoute | APIWebSocketRoute) or not (
            isinstance(route, APIRoute | Route) and context.path_regex is not None
        ):
            return None
        # The same parameter names recur across routes: alternatives without named groups.
        patterns.append(_NAMED_GROUP.sub("(?:", context.path_regex.pattern))
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))

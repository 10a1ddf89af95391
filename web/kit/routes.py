"""A route's path by its name, kept per app. Looking a route up by name walks every included
router of the app (each refusal an exception): a dashboard page asks for a few hundred paths
and each intake for its case's (issue 15: a third of the ministry dashboard's rendering, ~8% of
the event loop under a load of intakes)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from starlette.applications import Starlette

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

"""web.kit.routes: a route's path kept per app, the same as the app's own lookup."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from web.kit.routes import route_path


def an_app(prefix: str) -> FastAPI:
    router = APIRouter(prefix=prefix)

    @router.get("/cases/{case_id}", name="case")
    def case(case_id: str) -> str:
        return case_id

    app = FastAPI()
    app.include_router(router)
    return app


def test_a_path_is_the_apps_own_and_is_kept_for_that_app_only() -> None:
    first, second = an_app("/a"), an_app("/b")
    assert route_path(first, "case", case_id="7") == "/a/cases/7" \
        == str(first.url_path_for("case", case_id="7"))
    assert route_path(second, "case", case_id="7") == "/b/cases/7"  # not the first app's
    assert first.state.route_paths.cache_info().currsize == 1
    assert route_path(first, "case", case_id="7") == "/a/cases/7"
    assert first.state.route_paths.cache_info().hits == 1


def test_a_parameter_that_cannot_be_a_key_is_looked_up_afresh() -> None:
    app = an_app("/a")
    assert route_path(app, "case", case_id=["7"]) == "/a/cases/['7']"
    assert app.state.route_paths.cache_info().currsize == 0

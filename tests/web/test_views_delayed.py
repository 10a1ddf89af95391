"""Issue 17 item 3: while the read models cannot catch up, a command is answered at once and
says the views are delayed, instead of waiting the read-your-writes timeout every time; the
pages show a banner until they have caught up. And readiness (`/health/ready`) names what is
down, beside liveness (`/health/live`, `/health`). The platform here follows the projector, which
does not run: its views never move unless the test catches them up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.bootstrap import Follow, InProcessFollower, Platform, build_platform
from infra.nats.server import free_port
from tests.web.conftest import (
    CHEAP_HASHER,
    Clients,
    Clock,
    IssuedIds,
    an_intake_payload,
    settings_for_tests,
)
from web.kit.views_delay import VIEWS_DELAYED_HEADER

BANNER_WORDS = ("viste sono in ritardo", "Views are delayed")


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    settings = settings_for_tests(tmp_path).model_copy(update={"nats_port": free_port()})
    built = build_platform(settings, clock=Clock(), ids=IssuedIds(), follow=Follow.PROJECTOR,
                           password_hasher=CHEAP_HASHER)
    try:
        yield built
    finally:
        built.close()


def banner_on(page: str) -> bool:
    return any(words in page for words in BANNER_WORDS)


def test_once_a_wait_gave_up_the_next_commands_answer_at_once_saying_the_views_lag(
    clients: Clients, platform: Platform,
) -> None:
    coordinator = clients.coordinator()
    assert not banner_on(coordinator.get("/cities/firenze/cases").text)

    started = time.monotonic()
    first = coordinator.post("/api/v1/cities/firenze/intakes",
                             json=an_intake_payload(given_name="Uno"))
    assert time.monotonic() - started >= platform.read_your_writes_timeout
    assert first.status_code == 201, first.text
    assert first.json()["views_delayed"] is True
    assert first.headers[VIEWS_DELAYED_HEADER] == "true"

    started = time.monotonic()
    second = coordinator.post("/api/v1/cities/firenze/intakes",
                              json=an_intake_payload(given_name="Due"))
    assert time.monotonic() - started < platform.read_your_writes_timeout
    assert second.status_code == 201 and second.json()["views_delayed"] is True
    assert platform.views_delayed()
    assert banner_on(coordinator.get("/cities/firenze/cases").text)

    # The views catch up (as the projector would): the banner goes, answers stop saying it.
    InProcessFollower(platform.record, platform.read_models, platform.projections).catch_up()
    assert not platform.views_delayed()
    page = coordinator.get("/cities/firenze/cases")
    assert not banner_on(page.text)
    assert VIEWS_DELAYED_HEADER not in page.headers
    assert coordinator.get(f"/api/v1/cases/{second.json()['case_id']}").status_code == 200


def test_readiness_names_the_part_that_is_down_liveness_does_not_look(clients: Clients) -> None:
    anonymous = clients.anonymous()
    assert anonymous.get("/health/live").json() == {"status": "ok"}
    assert anonymous.get("/health").json() == {"status": "ok"}  # liveness, as it always was
    ready = anonymous.get("/health/ready")
    assert ready.status_code == 503  # no NATS listens on the settings' port
    assert ready.headers["Retry-After"] == "5"
    body = ready.json()
    assert body["status"] == "not_ready"
    parts = {part["name"]: part for part in body["parts"]}
    assert list(parts) == ["store", "vault", "nats", "relay", "projector"]
    assert parts["store"]["ok"] and parts["vault"]["ok"]
    assert not parts["nats"]["ok"] and "not reachable at nats://127.0.0.1:" in parts["nats"][
        "detail"]
    assert parts["relay"]["detail"] == "lag unknown: NATS is not reachable"

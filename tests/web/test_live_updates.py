"""Live dashboards (issue 6): the server-sent event stream that tells open dashboards the read
models have moved on. Tested over real HTTP, the app served by uvicorn as `lgnet run` serves it:
a signed-in person's stream says where it starts (unless the page already knows), then announces
a new intake; anyone else is sent to sign in; while viewing the past the stream stays quiet; a
stream ends when its client goes and after its lifetime; and a stopping server ends the open
streams instead of waiting for them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from domain.programme import PROGRAMME_START, Role
from infra.bootstrap import Platform
from tests.web.conftest import Clients, clock_of, record_intake, sign_in
from tests.web.test_browser import served
from web.kit import live
from web.kit.live import POLL_INTERVAL, PROJECTED_EVENT, RECONNECT_AFTER_MS

READ_TIMEOUT = 5.0
# Once a stream has had its update, any other stream would have had it within a poll.
QUIET_FOR = 2 * POLL_INTERVAL


@dataclass(frozen=True)
class Event:
    name: str
    data: str
    id: str | None = None


def events_of(stream: httpx.Response) -> Iterator[Event]:
    """The stream's events as an EventSource reads them, after checking that it opens with its
    reconnection hint; comments (keep-alives) skipped."""
    lines = stream.iter_lines()
    assert next(lines).startswith(":")
    assert next(lines) == f"retry: {RECONNECT_AFTER_MS}"
    assert next(lines) == ""
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "data" in fields:
                yield Event(fields.get("event", "message"), fields["data"], fields.get("id"))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


@contextmanager
def signed_in(base_url: str, clients: Clients, username: str, role: Role) -> Iterator[httpx.Client]:
    """An HTTP client signed in through the sign-in page, as `username`."""
    clients.add_user(username, role)
    with httpx.Client(base_url=base_url, timeout=READ_TIMEOUT) as person:
        sign_in(person, username)  # type: ignore[arg-type]  # a TestClient is an httpx.Client
        yield person


def test_a_stream_says_where_it_starts_then_announces_a_new_intake_to_those_viewing_now_only(
    app: FastAPI, clients: Clients, platform: Platform
) -> None:
    record_intake(clients, "milano")
    start = str(platform.projected_position())
    with (served(app) as (base_url, _server),
          httpx.Client(base_url=base_url) as anonymous,
          signed_in(base_url, clients, "ministry", Role.MINISTRY) as ministry,
          signed_in(base_url, clients, "auditor", Role.AUDITOR) as auditor):
        refused = anonymous.get("/live/stream", follow_redirects=False)
        assert refused.status_code == 303
        assert refused.headers["location"] == "/sign-in?next=%2Flive%2Fstream"
        assert ministry.get("/live/stream", params={"since": "-1"}).status_code == 422
        chosen = auditor.get("/as-of", follow_redirects=False,
                             params={"moment": PROGRAMME_START.isoformat(), "next": "/"})
        assert chosen.status_code == 303 and "as_of" in auditor.cookies

        with (ministry.stream("GET", "/live/stream") as now,
              ministry.stream("GET", "/live/stream", params={"since": start}) as page_at_start,
              ministry.stream("GET", "/live/stream", headers={"Last-Event-ID": start})
              as reconnected,
              auditor.stream("GET", "/live/stream", timeout=QUIET_FOR) as past):
            assert now.status_code == 200
            assert now.headers["content-type"].startswith("text/event-stream")
            assert now.headers["cache-control"] == "no-store"  # authenticated: issue 18 item 8
            assert now.headers["x-accel-buffering"] == "no"
            live = events_of(now)
            assert next(live) == Event(PROJECTED_EVENT, start, start)
            in_the_past = events_of(past)

            record_intake(clients, "firenze")  # another person, through the API
            recorded_at = time.monotonic()
            update = next(live)

            assert time.monotonic() - recorded_at < 3
            assert update.name == PROJECTED_EVENT
            assert int(update.data) == platform.projected_position() > int(start)
            # Those that knew where they started hear of the intake first, nothing before it.
            assert next(events_of(page_at_start)) == update
            assert next(events_of(reconnected)) == update
            with pytest.raises(httpx.ReadTimeout):
                next(in_the_past)


def test_a_stream_ends_when_its_client_goes_and_after_its_lifetime(
    app: FastAPI, clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (served(app) as (base_url, server),
          signed_in(base_url, clients, "ministry", Role.MINISTRY) as ministry):
        with ministry.stream("GET", "/live/stream") as stream:
            next(events_of(stream))
        gone_at = time.monotonic()
        while server.server_state.tasks and time.monotonic() - gone_at < 5:
            time.sleep(0.05)
        # The server's side ends at its next poll; the margin is for a machine busy with other
        # tests (the suite runs on two workers).
        assert not server.server_state.tasks
        assert time.monotonic() - gone_at < 2 * POLL_INTERVAL + 2

        monkeypatch.setattr(live, "STREAM_LIFETIME", 3 * POLL_INTERVAL)
        asked_at = time.monotonic()  # before the server's stream starts counting its lifetime
        with ministry.stream("GET", "/live/stream") as stream:
            events = events_of(stream)
            next(events)
            assert list(events) == []  # it ends by itself, the browser then reconnects
        assert 3 * POLL_INTERVAL <= time.monotonic() - asked_at < 5 * POLL_INTERVAL + 2


def test_a_stopping_server_ends_the_open_streams_at_once(app: FastAPI, clients: Clients) -> None:
    with served(app) as (base_url, server):
        with (signed_in(base_url, clients, "ministry", Role.MINISTRY) as ministry,
              ministry.stream("GET", "/live/stream") as stream):
            events = events_of(stream)
            next(events)
            server.should_exit = True
            asked_at = time.monotonic()
            assert list(events) == []
        stream_ended_after = time.monotonic() - asked_at
    stopped_after = time.monotonic() - asked_at

    assert stream_ended_after < 2 * POLL_INTERVAL + 2
    assert stopped_after < 5


def test_an_unattended_live_dashboard_does_not_keep_its_session_from_idling_out(
    clients: Clients, platform: Platform,
) -> None:
    ministry = clients.ministry()
    dashboard = ministry.get("/ministry/dashboard").text
    assert 'hx-headers=\'{"X-LGNet-Made-By-The-Page": "live"}\'' in dashboard
    made_by_the_page = {"HX-Request": "true", "X-LGNet-Made-By-The-Page": "live"}
    for minutes in (15, 10):  # sections reloading by themselves, nobody clicking
        clock_of(platform).advance(timedelta(minutes=minutes))
        reload = ministry.get("/ministry/dashboard", params={"part": "headline"},
                              headers=made_by_the_page)
        assert reload.status_code == 200, reload.text[:300]

    clock_of(platform).advance(timedelta(minutes=10))
    after = ministry.get("/ministry/dashboard", params={"part": "headline"},
                         headers=made_by_the_page)
    assert after.status_code == 401  # idle since the page was opened, 35 minutes ago
    assert after.headers["hx-redirect"].startswith("/sign-in?next=")

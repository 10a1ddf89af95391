"""Inputs the platform refuses in words rather than with a 500, and what every answer says to
caches and to HEAD (issue 18 items 6, 7, 8 and 11 of the penetration test; issue 14 item 13):

- every date of a route's input (query, form, JSON) is a `Day` (web.kit.inputs): ISO 8601 in
  ASCII digits, never a number read as a Unix time, within 1890-01-01..2099-12-31; the `as_of`
  cookie names a moment of the programme up to now (web.kit.as_of.CheckAsOfCookie);
- amounts and quantities are written with the digits 0-9 only;
- a body beyond 1 MB (beyond the largest file plus its form for a document's upload) is refused
  413 before anything parses it;
- every answer to an authenticated request says `Cache-Control: no-store`;
- HEAD is answered wherever GET is, with GET's status and headers and no body."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from infra.bootstrap import Platform
from tests.web.conftest import Clients, an_intake_payload, platform_for_tests, record_intake
from web.app import create_app
from web.kit.authentication import PUBLIC_ROUTES
from web.kit.inputs import (
    FIRST_DAY,
    LAST_DAY,
    _within_supported_days,
    _written_as_a_day,
)
from web.kit.request_limits import (
    DEFAULT_MAX_BODY_BYTES,
    UPLOAD_OVERHEAD_BYTES,
    AccessBeforeBody,
)

MB = 1024 * 1024


# One platform for the module: these tests write little (intakes, a document), each its own.
@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with platform_for_tests(tmp_path_factory.mktemp("inputs")) as built:
        yield built


@pytest.fixture(scope="module")
def app(platform: Platform) -> FastAPI:
    return create_app(platform)


@pytest.fixture(scope="module")
def clients(app: FastAPI, platform: Platform) -> Iterator[Clients]:
    made = Clients(app, platform)
    yield made
    made.close()


def refusal(response: Any, status: int = 422) -> dict[str, Any]:
    """The API's refusal, checked to be `status` with a message."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["message"] and body["problems"], body
    return body


# --- dates ---------------------------------------------------------------------------------------


def test_the_audit_events_refuse_a_day_beyond_the_supported_range_in_words(
    clients: Clients,
) -> None:
    auditor = clients.auditor()

    api = [auditor.get("/api/v1/audit/events", params={name: "9999-12-31", "lang": "en"})
           for name in ("until", "to", "from")]
    page = auditor.get("/audit/events", params={"to": "9999-12-31"})
    at_the_limit = auditor.get("/api/v1/audit/events", params={"to": LAST_DAY.isoformat()})
    first_day = auditor.get("/api/v1/audit/events", params={"from": FIRST_DAY.isoformat()})
    before_it = auditor.get("/api/v1/audit/events", params={"from": "1889-12-31"})

    for answer in api:
        assert refusal(answer)["message"] == "Enter a date from 1890-01-01 to 2099-12-31."
    assert page.status_code == 422
    assert "Inserire una data dal 1890-01-01 al 2099-12-31." in page.text
    assert at_the_limit.status_code == first_day.status_code == 200
    assert refusal(before_it)["problems"][0]["code"] == "day_out_of_range"


def test_an_as_of_cookie_naming_no_moment_of_the_programme_is_refused_and_cleared(
    clients: Clients,
) -> None:
    auditor = clients.auditor()
    refused = {}
    for cookie in ("9999-12-31T23:59:59+00:00",  # the penetration test's: a 500
                   "2019-06-30T23:59:59+02:00",  # before the programme
                   "2021-10-04T08:30:01+00:00",  # a second after the tests' now
                   "2020-06-30T12:00:00",        # no zone: never written by the picker
                   "yesterday"):
        auditor.cookies.set("as_of", cookie)
        refused[cookie] = (auditor.get("/api/v1/audit/events", params={"lang": "en"}),
                           auditor.get("/cities/milano/cases"))
        auditor.cookies.delete("as_of")

    for cookie, (api, page) in refused.items():
        problem = refusal(api)["problems"][0]
        assert problem["field"] == "as_of", cookie
        assert 'as_of=""' in api.headers["set-cookie"], cookie  # cleared
        assert page.status_code == 422, cookie
        assert "Max-Age=0" in page.headers["set-cookie"], cookie
    assert refused["9999-12-31T23:59:59+00:00"][0].json()["message"] == (
        "The record cannot be viewed as of a moment in the future: choose a date and time up "
        "to now.")
    assert "Il programma è iniziato" in refused["2019-06-30T23:59:59+02:00"][1].text


def test_the_last_moment_still_in_the_past_is_a_moment_to_view_the_record_at(
    clients: Clients,
) -> None:
    auditor = clients.auditor()
    auditor.cookies.set("as_of", "2021-10-04T08:30:00+00:00")  # the tests' now, exactly

    assert auditor.get("/api/v1/audit/events").status_code == 200


def test_a_date_is_written_as_a_date_never_as_a_number_nor_a_date_and_time(
    clients: Clients,
) -> None:
    coordinator = clients.coordinator("firenze")

    answers = {
        value: coordinator.post("/api/v1/cities/firenze/intakes",
                                json=an_intake_payload(birth_date=value), params={"lang": "en"})
        for value in (0, "0", 1_000_000_000, "1994-05-02T00:00:00", "1994-5-2", "２０２１-03-10",
                      "0001-01-01", "9999-12-31")
    }

    for value, answer in answers.items():
        problem = refusal(answer)["problems"][0]
        assert problem["field"] == "birth_date", value
        expected = "day_out_of_range" if value in ("0001-01-01", "9999-12-31") else "day_format"
        assert problem["code"] == expected, value


def test_a_form_s_date_is_bounded_too(clients: Clients) -> None:
    case = record_intake(clients, "firenze")
    coordinator = clients.coordinator("firenze")

    page = coordinator.post(f"/cases/{case['case_id']}/consents",
                            data={"purpose": "referral_to_named_partner",
                                  "given_on": "0001-01-01"})
    api = coordinator.post(f"/api/v1/cases/{case['case_id']}/consents",
                           json={"purpose": "referral_to_named_partner",
                                 "given_on": "0001-01-01"})

    assert page.status_code == 422
    assert refusal(api)["problems"][0]["code"] == "day_out_of_range"


def test_an_erasure_request_is_not_dated_before_the_intake(clients: Clients) -> None:
    """GDPR art. 17: a request to erase the data held; before the intake there was none."""
    case = record_intake(clients, "firenze")  # taken in on 2021-03-10
    coordinator = clients.coordinator("firenze")
    url = f"/api/v1/cases/{case['case_id']}/erasure"

    before = coordinator.post(url, json={"requested_on": "2021-03-09",
                                         "request_reference": "PG/2021/1"},
                              params={"lang": "en"})
    long_before = coordinator.post(url, json={"requested_on": "1900-01-01",
                                              "request_reference": "PG/2021/1"})
    on_the_day = coordinator.post(url, json={"requested_on": "2021-03-10",
                                             "request_reference": "PG/2021/1"})

    problem = refusal(before)["problems"][0]
    assert (problem["code"], problem["field"]) == ("erasure_request_before_intake",
                                                   "requested_on")
    assert "(March 10, 2021)" in problem["message"]
    assert refusal(long_before)["problems"][0]["code"] == "erasure_request_before_intake"
    assert on_the_day.status_code == 200, on_the_day.text


def _dates_in(annotation: Any, seen: set[type]) -> Iterator[str]:
    """The plain (unbounded) dates and moments an input annotation takes, by a path of names.
    (A time of day alone cannot go out of range.)"""
    if annotation in (date, datetime):
        yield annotation.__name__
        return
    if typing.get_origin(annotation) is typing.Annotated and _bounded(annotation.__metadata__):
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for name, field in annotation.model_fields.items():
            if field.annotation in (date, datetime) and _bounded(field.metadata):
                continue  # a Day: its validators are on the field
            for found in _dates_in(field.annotation, seen):
                yield f"{annotation.__name__}.{name}: {found}"
        return
    for argument in typing.get_args(annotation):
        yield from _dates_in(argument, seen)


def _bounded(metadata: Any) -> bool:
    """Whether a field's validators are a Day's."""
    return any(getattr(meta, "func", None) in (_written_as_a_day, _within_supported_days)
               for meta in metadata)


def _inputs_of(dependant: Dependant) -> Iterator[Any]:
    for param in (*dependant.query_params, *dependant.body_params, *dependant.cookie_params,
                  *dependant.header_params):
        if _bounded(param.field_info.metadata):
            continue
        yield param.field_info.annotation
    for sub in dependant.dependencies:
        yield from _inputs_of(sub)


def test_every_date_a_route_takes_is_a_bounded_day(app: FastAPI) -> None:
    """A new request model with a plain `date` fails here: use web.kit.inputs.Day."""
    unbounded = {
        f"{route.name}: {found}"
        for route in api_routes(app)
        for annotation in _inputs_of(route.dependant)
        for found in _dates_in(annotation, set())
    }

    assert unbounded == set()


# --- digits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["١٢٣", "１２３", "𝟗𝟗", "12٫5"])
def test_amounts_and_quantities_take_ascii_digits_only(
    clients: Clients, amount: str
) -> None:
    case = record_intake(clients, "firenze")
    coordinator = clients.coordinator("firenze")

    claim = coordinator.post("/api/v1/cities/firenze/finance/claims", json={
        "sub_action": "3", "category": "staff", "amount": amount, "spent_on": "2021-03-15",
        "document_reference": "PG/2021/0001"})
    delivery = coordinator.post(f"/api/v1/cases/{case['case_id']}/deliveries", json={
        "sub_action": "3", "kind": "meals", "quantity": amount, "delivered_on": "2021-03-15"})
    ascii_delivery = coordinator.post(f"/api/v1/cases/{case['case_id']}/deliveries", json={
        "sub_action": "3", "kind": "meals", "quantity": "14", "delivered_on": "2021-03-15"})

    assert refusal(claim)["problems"][0]["field"] == "amount"
    assert refusal(delivery)["problems"][0]["code"] == "decimal_digits"
    assert ascii_delivery.status_code == 201, ascii_delivery.text


# --- body size -----------------------------------------------------------------------------------


def _a_json_body_of(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    head, tail = b'{"reason": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_a_body_beyond_one_megabyte_is_refused_413_before_it_is_parsed(
    clients: Clients,
) -> None:
    coordinator = clients.coordinator("firenze")
    partner = clients.partner("firenze")
    url = "/api/v1/cities/firenze/intakes"
    headers = {"Content-Type": "application/json"}

    at_the_limit = coordinator.post(url, content=_a_json_body_of(DEFAULT_MAX_BODY_BYTES),
                                    headers=headers)
    past_it = coordinator.post(url, content=_a_json_body_of(DEFAULT_MAX_BODY_BYTES + 1),
                               headers={**headers, "Accept-Language": "en"},
                               params={"lang": "en"})
    from_a_partner = partner.post(url, content=_a_json_body_of(20 * MB), headers=headers)
    # Without a Content-Length (chunked): counted as it is read.
    chunked = coordinator.post(
        url, content=iter([b'{"reason": "', b"x" * DEFAULT_MAX_BODY_BYTES, b'"}']),
        headers=headers)
    a_page_s_form = coordinator.post("/cities/firenze/intake",
                                     data={"given_name": "x" * (2 * MB)})

    assert at_the_limit.status_code == 422  # read, and refused for what it says
    body = refusal(past_it, 413)
    assert body["problems"][0]["code"] == "body_too_large"
    assert body["message"] == "The request is too large: at most 1,024 KB are accepted here."
    assert refusal(from_a_partner, 413)
    assert refusal(chunked, 413)
    assert a_page_s_form.status_code == 413
    assert "troppo grande" in a_page_s_form.text


def test_a_signed_in_user_s_body_is_read_only_once_the_route_lets_them_in(
    clients: Clients,
) -> None:
    """Issue 18 item 7: Milan's coordinator posting an intake to Florence is refused before a
    byte of the body is read (the body is a generator: it runs only when the app reads it);
    Florence's own coordinator's body is read and recorded. Pages' forms sent the htmx way (the
    CSRF token in a header) are held to the same."""
    read_by: list[str] = []

    def body_of(who: str, payload: bytes) -> Iterator[bytes]:
        read_by.append(who)
        yield payload

    intake = json.dumps(an_intake_payload()).encode()
    json_headers = {"Content-Type": "application/json"}
    refused = clients.coordinator("milano").post(
        "/api/v1/cities/firenze/intakes", content=body_of("milano api", intake),
        headers=json_headers)
    not_even_json = clients.coordinator("milano").post(
        "/api/v1/cities/firenze/intakes", content=body_of("milano not json", b"{not json"),
        headers=json_headers)
    refused_form = clients.coordinator("milano").post(
        "/cities/firenze/intake", content=body_of("milano form", b"given_name=x"),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    let_in = clients.coordinator("firenze").post(
        "/api/v1/cities/firenze/intakes", content=body_of("firenze api", intake),
        headers=json_headers)

    assert refusal(refused, 403)["problems"][0]["code"] == "access_denied"
    assert refusal(not_even_json, 403)["problems"][0]["code"] == "access_denied"
    assert refused_form.status_code == 403
    assert let_in.status_code == 201, let_in.text
    assert read_by == ["firenze api"]


def test_every_route_checks_access_before_it_reads_a_body(app: FastAPI) -> None:
    """A router made without the platform's route class would read bodies first again."""
    plain = [route.path for route in iter_route_contexts(app.routes)
             if isinstance(route.original_route, APIRoute)
             and not isinstance(route.original_route, AccessBeforeBody)]
    assert plain == []


def test_a_document_s_upload_may_be_larger_up_to_the_largest_file_accepted(
    clients: Clients, platform: Platform,
) -> None:
    case = record_intake(clients, "firenze")
    coordinator = clients.coordinator("firenze")
    largest = platform.documents.rules.max_bytes
    assert largest > DEFAULT_MAX_BODY_BYTES
    pdf = b"%PDF-1.4\n" + b"%" * (largest - len(b"%PDF-1.4\n%%EOF\n")) + b"%%EOF\n"
    url = f"/api/v1/cases/{case['case_id']}/documents"

    uploaded = coordinator.post(url, data={"kind": "information_notice"},
                                files={"file": ("a.pdf", pdf, "application/pdf")})
    too_large = coordinator.post(
        url, content=b"x" * (largest + UPLOAD_OVERHEAD_BYTES + 1),
        headers={"Content-Type": "multipart/form-data; boundary=x"})

    assert uploaded.status_code == 201, uploaded.text[:300]
    assert refusal(too_large, 413)["problems"][0]["code"] == "body_too_large"


# --- caches --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    methods: frozenset[str]
    dependant: Dependant


def api_routes(app: FastAPI) -> list[Route]:
    """Every route of the app but the static files, each with its full path."""
    return [Route(route.name or "", route.path or "", frozenset(route.methods or ()),
                  route.dependant)
            for route in iter_route_contexts(app.routes)
            if isinstance(route.original_route, APIRoute)]


def _path_of(route: Route) -> str:
    values = {"city": "firenze", "fmt": "csv", "table": "x", "lang": "it"}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), str(uuid4())),
                  route.path)


def test_every_authenticated_answer_of_the_api_says_no_store(
    app: FastAPI, clients: Clients
) -> None:
    """Every API route, every method, as a city's coordinator and as a partner: whatever the
    answer (data, 404, 403, 422), it is not to be stored."""
    askers = {"coordinator": clients.coordinator("firenze"),
              "partner": clients.partner("firenze")}
    checked = 0
    for route in api_routes(app):
        if not route.path.startswith("/api/"):
            continue
        for method in sorted(route.methods):
            for who, client in askers.items():
                answer = client.request(method, _path_of(route), json={} if method == "POST"
                                        else None)
                assert answer.headers.get("cache-control") == "no-store", (
                    f"{who}: {method} {route.path} -> {answer.status_code}")
                checked += 1
    page = askers["coordinator"].get("/cities/firenze/cases")
    anonymous = clients.anonymous().get("/health")

    assert checked > 100
    assert page.headers["cache-control"] == "no-store"
    assert "cache-control" not in anonymous.headers


def test_the_answers_the_penetration_test_named_say_no_store(
    clients: Clients,
) -> None:
    case = record_intake(clients, "firenze")
    coordinator = clients.coordinator("firenze")

    for path in ("/api/v1/cities/firenze/cases", f"/api/v1/cases/{case['case_id']}",
                 "/api/v1/cities/firenze/indicators"):
        answer = coordinator.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path


# --- HEAD ----------------------------------------------------------------------------------------


def test_head_is_answered_wherever_get_is(app: FastAPI, clients: Clients) -> None:
    """Every GET route answers HEAD (never 405), without a body: the public ones anonymously,
    the others as the ministry (their data, or 404 for the made-up ids in the path). HEAD runs
    the GET it stands for (web.kit.request_limits.HeadAsGet), so a few are compared with GET."""
    anonymous, ministry = clients.anonymous(), clients.ministry()
    checked = 0
    for route in api_routes(app):
        if "GET" not in route.methods or route.name == "live_stream":
            continue  # the stream never ends: tested below
        asker = anonymous if route.name in PUBLIC_ROUTES else ministry
        head = asker.head(_path_of(route), follow_redirects=False)
        where = f"HEAD {route.path} -> {head.status_code}"
        assert head.status_code in (200, 303, 403, 404), where
        assert head.content == b"", where
        if head.status_code == 200:
            assert head.headers["content-type"], where
        checked += 1
    for path in ("/health", "/api/v1/cities/firenze/cases", "/cities/firenze/cases",
                 "/api/v1/cases/5a0c1f9e-2a7d-4d0b-9e44-6a1d1c3b2f10"):
        head, got = ministry.head(path), ministry.get(path)
        assert (head.status_code, head.headers["content-type"]) == (
            got.status_code, got.headers["content-type"]), path
        assert head.headers["content-length"] == str(len(got.content)), path
    refused = anonymous.head("/cities/firenze/cases", follow_redirects=False)

    assert checked > 90
    assert refused.status_code == 303


def test_head_health_answers_200_for_uptime_monitors(clients: Clients) -> None:
    anonymous = clients.anonymous()

    head = anonymous.head("/health")

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == anonymous.get("/health").headers["content-length"]


def test_head_of_the_live_stream_answers_without_hanging(clients: Clients) -> None:
    head = clients.ministry().head("/live/stream")

    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/event-stream")
    assert head.content == b""


def test_the_api_schema_still_lists_no_head(app: FastAPI) -> None:
    """HEAD is the middleware's (web.kit.request_limits.HeadAsGet): the OpenAPI schema and the
    access matrix keep listing the routes' own methods."""
    assert all("head" not in operations for operations in app.openapi()["paths"].values())

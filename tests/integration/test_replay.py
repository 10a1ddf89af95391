"""The record as of a past moment, replayed from a real SQLite event store through the live
projections; the CLI that prints it with the platform stopped; and the event browser's chain
hashes against what a real relay published to a real nats-server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from uuid import UUID, uuid4

import nats
import psycopg
import pytest
from nats.js import JetStreamContext
from typer.testing import CliRunner, Result

from domain.cases.model import Case
from domain.cases.rules import CaseOutcome, Vulnerability
from domain.programme import CARD_TERMS, City
from domain.record import ProgrammeRecord
from infra.audit.chain_store import AuditChainStore
from infra.audit.event_browser import EventBrowser
from infra.bootstrap import build_platform
from infra.cli.main import app
from infra.nats.server import EmbeddedNats
from infra.nats.streams import read_stream
from infra.pipeline.relay import Relay
from infra.pipeline.replay import ReplayCache, discard, read_models_as_of
from infra.settings import Settings, load_settings
from infra.store.eventstore import open_record
from projections.case_list import CaseListQueries
from projections.network_overview import NetworkOverviewQueries
from projections.registry import default_projections
from projections.storage.read_models import ReadModelDatabase
from tests.builders import a_coordinator, a_person, a_reason, an_intake
from tests.conftest import headers_of
from web.services import EventFilters

MARCH = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def record(tmp_path: Path) -> Iterator[ProgrammeRecord]:
    record = open_record(Settings(data_dir=tmp_path / "data"))
    yield record
    record.close()


def take_in(record: ProgrammeRecord, city: City, number: int, at: datetime,
            **overrides: object) -> Case:
    case = Case.take_in(uuid4(), f"{CARD_TERMS.province_code(city)}-2021-{number:05d}",
                        an_intake(city, **overrides), a_coordinator(city), at)
    record.save(case)
    return case


def cases_in(read_models: ReadModelDatabase, city: City) -> list[str]:
    return [row.case_code for row in CaseListQueries(read_models).list_cases(city.value).rows]


def test_replay_keeps_the_events_dated_up_to_the_moment_whatever_their_order_in_the_log(
    record: ProgrammeRecord, tmp_path: Path
) -> None:
    early = take_in(record, City.MILANO, 1, MARCH)
    late = take_in(record, City.MILANO, 2, MARCH + timedelta(hours=3))
    # Saved after the late one, dated before the moment: stopping at the first later event
    # would miss it.
    backdated = take_in(record, City.FIRENZE, 3, MARCH + timedelta(hours=1),
                        vulnerabilities=frozenset({Vulnerability.DISABILITY}))
    moment = MARCH + timedelta(hours=2)

    replayed = read_models_as_of(record, moment, default_projections(), tmp_path)
    try:
        overview = NetworkOverviewQueries(replayed).overview()
        assert cases_in(replayed, City.MILANO) == [early.case_code]
        assert cases_in(replayed, City.FIRENZE) == [backdated.case_code]
        assert overview.total_cases == 2 and overview.total_vulnerable_cases == 1
        assert late.case_code not in str(CaseListQueries(replayed).list_cases("milano"))
    finally:
        discard(replayed)
    assert list(tmp_path.glob("lgnet-as-of-*")) == []


def test_a_case_s_history_ends_at_the_moment(record: ProgrammeRecord, tmp_path: Path) -> None:
    case = take_in(record, City.MILANO, 1, MARCH)
    case.close(CaseOutcome.AUTONOMY, date(2021, 3, 20), a_reason(),
               a_coordinator(City.MILANO), MARCH + timedelta(days=10))
    record.save(case)

    before = read_models_as_of(record, MARCH + timedelta(days=1), default_projections(),
                               tmp_path)
    after = read_models_as_of(record, MARCH + timedelta(days=11), default_projections(),
                              tmp_path)
    try:
        row_before = CaseListQueries(before).get_case(case.id)
        row_after = CaseListQueries(after).get_case(case.id)
        assert row_before is not None and row_before.status == "open"
        assert row_after is not None and row_after.status == "closed"
        assert len(CaseListQueries(before).history(case.id)) == 1
        assert len(CaseListQueries(after).history(case.id)) == 2
    finally:
        discard(before)
        discard(after)


def test_the_cache_catches_up_with_events_saved_since_and_forgets_the_oldest_moments(
    record: ProgrammeRecord, tmp_path: Path
) -> None:
    take_in(record, City.MILANO, 1, MARCH)
    cache = ReplayCache(record, default_projections, capacity=2, directory=tmp_path)
    moment = MARCH + timedelta(hours=2)
    try:
        first = cache.read_models_as_of(moment)
        assert len(cases_in(first, City.MILANO)) == 1
        # Saved now, dated before the moment (a late save): the cached moment shows it too.
        take_in(record, City.MILANO, 2, MARCH + timedelta(hours=1))
        take_in(record, City.MILANO, 3, MARCH + timedelta(hours=5))
        again = cache.read_models_as_of(moment)
        assert again is first
        assert len(cases_in(again, City.MILANO)) == 2

        cache.read_models_as_of(MARCH + timedelta(hours=3))
        cache.read_models_as_of(MARCH + timedelta(hours=6))
        assert cache.moments() == [MARCH + timedelta(hours=3), MARCH + timedelta(hours=6)]
        assert len(list(tmp_path.glob("lgnet-as-of-*.sqlite"))) == 2
        latest = cache.read_models_as_of(MARCH + timedelta(hours=6))
        assert len(cases_in(latest, City.MILANO)) == 3
    finally:
        cache.close()
    assert list(tmp_path.glob("lgnet-as-of-*")) == []


def test_the_moment_must_name_its_zone(record: ProgrammeRecord, tmp_path: Path) -> None:
    cache = ReplayCache(record, default_projections, directory=tmp_path)
    try:
        with pytest.raises(ValueError, match="no timezone"):
            cache.read_models_as_of(datetime(2021, 3, 10, 12, 0))
    finally:
        cache.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stopped platform's data: two Milan intakes a day apart, the second closed later."""
    monkeypatch.setenv("LGNET_DATA_DIR", str(tmp_path / "var"))
    platform = build_platform(load_settings())
    try:
        coordinator = a_coordinator(City.MILANO)
        for day, case_id in ((1, UUID(int=1)), (3, UUID(int=2))):
            when = datetime(2020, 6, day * 10, 10, 0, tzinfo=UTC)
            facts = an_intake(
                City.MILANO, intake_date=when.date(),
                reception=replace(an_intake().reception, left_on=date(2020, 1, 15)),
            )
            platform.cases.record_intake(case_id, facts, a_person(), coordinator, when)
        platform.cases.close(UUID(int=2), CaseOutcome.OTHER_PROGRAMME, date(2020, 7, 15),
                             "Taken in by SAI", coordinator,
                             datetime(2020, 7, 15, 9, 0, tzinfo=UTC))
    finally:
        platform.close()
    return tmp_path / "var"


def said(result: Result) -> str:
    """The command's output as one line: typer wraps errors in a box."""
    return " ".join(result.output.replace("│", " ").split())


def test_the_cli_prints_the_network_a_city_and_a_case_as_they_were(data_dir: Path) -> None:
    runner = CliRunner()

    network = runner.invoke(app, ["replay", "--as-of", "2020-06-15"])
    later = runner.invoke(app, ["replay", "--as-of", "2020-07-01T12:00"])
    milan = runner.invoke(app, ["replay", "--as-of", "2020-07-01", "--city", "milano"])
    case_before = runner.invoke(app, ["replay", "--as-of", "2020-07-01", "--case",
                                      "MI-2020-00002"])
    case_after = runner.invoke(app, ["replay", "--as-of", "2020-07-16", "--case",
                                     "mi-2020-00002"])
    too_early = runner.invoke(app, ["replay", "--as-of", "2020-06-15", "--case",
                                    "MI-2020-00002"])

    assert network.exit_code == 0, network.output
    assert "The record as it was on 2020-06-15 23:59:59 CEST" in network.output
    assert "milano             1" in network.output
    assert "Network            1" in network.output
    assert "Network            2" in later.output
    assert milan.exit_code == 0 and "2 cases in milano" in milan.output
    assert "MI-2020-00001" in milan.output and "MI-2020-00002" in milan.output
    assert case_before.exit_code == 0, case_before.output
    assert "Case MI-2020-00002" in case_before.output and "open" in case_before.output
    assert "it.lgnet.case.closed.v2" not in case_before.output
    assert "closed on 2020-07-15: other_programme" in case_after.output
    assert "it.lgnet.case.closed.v2" in case_after.output
    assert too_early.exit_code != 0 and "there was no case" in said(too_early)
    assert list((data_dir / "replays").iterdir()) == []


def test_the_cli_refuses_moments_it_cannot_replay(data_dir: Path) -> None:
    runner = CliRunner()

    before = runner.invoke(app, ["replay", "--as-of", "2019-06-30"])
    future = runner.invoke(app, ["replay", "--as-of", "2999-01-01T00:00"])
    no_city = runner.invoke(app, ["replay", "--as-of", "2020-07-01", "--view", "cases"])

    assert before.exit_code != 0 and "The programme started on" in said(before)
    assert future.exit_code != 0 and "in the future" in said(future)
    assert no_city.exit_code != 0 and "give the city" in said(no_city)


@pytest.fixture
async def js(nats_server: EmbeddedNats) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(nats_server.url)
    yield connection.jetstream(timeout=2)
    await connection.close()


@pytest.mark.nats
async def test_the_browser_shows_the_chain_hash_each_event_was_published_with(
    record: ProgrammeRecord, nats_server: EmbeddedNats, js: JetStreamContext
) -> None:
    for number, city in enumerate((City.MILANO, City.FIRENZE, City.MILANO), start=1):
        take_in(record, city, number, MARCH + timedelta(minutes=number))
    async with Relay(record, nats_server.url) as relay:
        assert await relay.publish_pending() == 3
    published = {int(headers_of(m)["ce-lgnetposition"]): headers_of(m)
                 for m in await read_stream(js)}
    browser = EventBrowser(record, AuditChainStore(record).chain_hashes)

    shown = browser.events(EventFilters(oldest_first=True), page=1, page_size=10).events

    assert [e.position for e in shown] == sorted(published)
    for event in shown:
        headers = published[event.position]
        assert event.chain_hash == headers["ce-lgnethash"]
        assert event.chain_seq == int(headers["ce-lgnetchainseq"])
        assert event.id == headers["ce-id"] and event.subject == headers["ce-subject"]


@pytest.fixture(scope="module")
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A database of this module's own: its event log starts empty."""
    url = urlparse(postgres_database)
    name = f"{url.path.lstrip('/')}_replay"
    admin: dict[str, Any] = {"host": url.hostname, "port": url.port, "user": url.username,
                             "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(**admin) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_replay_and_the_browser_read_a_postgresql_event_store(
    postgres_url: str, tmp_path: Path
) -> None:
    record = open_record(Settings(data_dir=tmp_path, database_url=postgres_url))
    try:
        early = take_in(record, City.BARI, 1, MARCH)
        take_in(record, City.BARI, 2, MARCH + timedelta(hours=3))
        backdated = take_in(record, City.BARI, 3, MARCH + timedelta(hours=1))
        browser = EventBrowser(record, AuditChainStore(record).chain_hashes)

        replayed = read_models_as_of(record, MARCH + timedelta(hours=2), default_projections(),
                                     tmp_path)
        try:
            assert sorted(cases_in(replayed, City.BARI)) == [early.case_code,
                                                             backdated.case_code]
        finally:
            discard(replayed)
        followed = browser.events(EventFilters(case_code=early.case_code), 1, 10)
        assert [e.subject for e in followed.events] == [early.case_code]
        assert followed.events[0].chain_hash is None  # no relay has published it
    finally:
        record.close()

"""The bench generator (tests/bench/generate.py) and the two-process rebuild, on real stores:
the generator writes exactly the events asked for, each a domain event the record reads back,
every copy with ids and case codes of its own; the relay publishes them; and a rebuild in two
processes gives, on SQLite and on PostgreSQL, the read models the live projector built from the
same stream."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from nats.aio.msg import Msg
from nats.errors import NotJSMessageError

import tests.bench.generate as generate_module
from domain.programme import City
from events.cloudevents import from_message
from infra.demo.scale import DemoScale
from infra.nats.credentials import embedded_nats_if_needed, platform_nats_url
from infra.nats.server import free_port
from infra.pipeline.projector.rebuild import _sequence_and_pending, rebuild
from infra.publishing.messages import PUBLIC_TOPICS, to_message
from infra.settings import Settings
from infra.store.eventstore import open_record_read_only
from projections.network_overview import NetworkOverviewQueries
from projections.projection import Delivered, apply_batch_to_all, ensure_created
from projections.registry import default_projections
from projections.storage.read_models import (
    PostgresReadModels,
    ReadModelDatabase,
    SqliteReadModels,
)
from tests.bench.generate import TemplateEvent, _batches, publish, record_template, write_copies
from tests.integration.test_projections import projecting, until_applied

pytestmark = pytest.mark.nats

# A few weeks of two cities: every area of work, in seconds rather than the small demo's minutes.
TINY = DemoScale(
    "tiny",
    ((City.BARI, 6), (City.FIRENZE, 8)),
    start=date(2019, 7, 1),
    end=date(2019, 9, 30),
    activities_per_sub_action=1,
    claims_per_sub_action=1,
    session_every_days=14,
)
_CODE = re.compile(rb'"case_code":"([A-Z]{2}-\d{4}-\d{5})"')


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> list[TemplateEvent]:
    return record_template(tmp_path_factory.mktemp("bench") / "template", TINY)


def settings_for(tmp_path: Path, database_url: str | None = None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, nats_url=None, nats_port=free_port()
    )


def test_the_generator_writes_copies_of_the_demo_with_ids_and_case_codes_of_their_own(
    template: list[TemplateEvent], tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    asked = 3 * len(template) - 1  # three copies, the last event of the third cut off

    assert write_copies(settings, template, asked, progress=False) == (asked, 3)

    record = open_record_read_only(settings)
    try:
        stored = record.recorder.select_notifications(1, asked + 10)
        assert len(stored) == asked
        # Every one a domain event the record's mapper reads back.
        events = [record.mapper.to_domain_event(n) for n in stored]
    finally:
        record.close()
    assert [type(e).__qualname__ for e in events[:6]] == [template[0].topic.split(":")[1]] * 3 + [
        template[1].topic.split(":")[1]
    ] * 3
    # Copy 0 is the template; copy c of template event i is at position 3 i + c + 1.
    assert [(n.originator_id, n.state) for n in stored[::3]] == [
        (e.originator_id, e.state) for e in template
    ]
    ids_of_copy: dict[int, set[UUID | str]] = defaultdict(set)
    codes_of_case: dict[UUID | str, set[bytes]] = defaultdict(set)
    for index, notification in enumerate(stored):
        template_event = template[index // 3]
        assert (notification.originator_version, notification.topic) == (
            template_event.originator_version,
            template_event.topic,
        )
        ids_of_copy[index % 3].add(notification.originator_id)
        for code in _CODE.findall(notification.state):
            if notification.topic.endswith("Case.IntakeRecorded"):
                codes_of_case[notification.originator_id].add(code)
    assert not ids_of_copy[0] & ids_of_copy[1]
    assert not ids_of_copy[0] & ids_of_copy[2]
    assert not ids_of_copy[1] & ids_of_copy[2]
    intakes = sum(1 for e in template if e.topic.endswith("Case.IntakeRecorded"))
    assert intakes >= 14  # the scale's, and the duplicate desk's namesakes
    assert not template[-1].topic.endswith("Case.IntakeRecorded")
    assert len(codes_of_case) == 3 * intakes
    codes = [code for case_codes in codes_of_case.values() for code in case_codes]
    assert len(codes) == len(set(codes)) == 3 * intakes


def test_the_generator_refuses_a_store_that_holds_events(
    template: list[TemplateEvent], tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    write_copies(settings, template, 10, progress=False)
    with pytest.raises(ValueError, match="not empty"):
        write_copies(settings, template, 10, progress=False)


def test_counting_published_events_stops_at_that_many_public_ones(
    template: list[TemplateEvent], tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    public = sum(1 for e in template if e.topic in PUBLIC_TOPICS)
    written, copies = write_copies(settings, template, public + 1, published=True, progress=False)
    assert copies == 2
    record = open_record_read_only(settings)
    try:
        stored = record.recorder.select_notifications(1, written + 10)
    finally:
        record.close()
    assert len(stored) == written
    assert sum(1 for n in stored if n.topic in PUBLIC_TOPICS) == public + 1
    assert stored[-1].topic in PUBLIC_TOPICS


def every_table(database: ReadModelDatabase) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read-model table and of the tracking table, sorted."""
    with database.reading() as tx:
        if isinstance(database, SqliteReadModels):
            names = tx.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name LIKE 'rm\\_%' ESCAPE '\\'"
            )
        else:
            names = tx.fetchall(
                "SELECT table_name FROM information_schema.tables WHERE "
                "table_schema = current_schema() AND table_name LIKE 'rm\\_%'"
            )
        # Not rm_changes: the position of the batch each read model last changed in, which
        # depends on how the events were batched, not on what the read models hold.
        tables = sorted(name for (name,) in names if name != "rm_changes")
        return {table: sorted(tx.fetchall(f"SELECT * FROM {table}"), key=repr) for table in tables}


async def live_then_rebuilt(
    database: ReadModelDatabase, url: str, published: int
) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]]:
    projections = default_projections()
    async with projecting(database, projections, url) as projector:
        await until_applied(database, projections, published, projector, timeout=120)
    live = every_table(database)
    assert (
        await rebuild(database, default_projections(), url, progress=False, processes=2)
        == published
    )
    return live, every_table(database)


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_rebuild_in_two_processes_equals_the_live_projector_on_generated_events(
    template: list[TemplateEvent], tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    database_url = request.getfixturevalue("own_postgres_database") if store == "postgres" else None
    settings = settings_for(tmp_path, database_url)
    assert write_copies(settings, template, 3 * len(template), progress=False) == (
        3 * len(template),
        3,
    )
    published = publish(settings)
    assert published == 3 * sum(1 for e in template if e.topic in PUBLIC_TOPICS)

    database: ReadModelDatabase = (
        PostgresReadModels(database_url)
        if database_url
        else SqliteReadModels(tmp_path / "readmodels.sqlite")
    )
    try:
        with embedded_nats_if_needed(settings):
            live, rebuilt = asyncio.run(
                live_then_rebuilt(database, platform_nats_url(settings), published)
            )
        assert rebuilt == live
        assert len(rebuilt) > 20 and sum(map(len, rebuilt.values())) > 1000
        # Three programmes' worth of cases, each copy's own.
        overview = NetworkOverviewQueries(database).overview()
        intakes = sum(1 for e in template if e.topic.endswith("Case.IntakeRecorded"))
        assert overview.total_cases == 3 * intakes
    finally:
        database.close()


@pytest.mark.parametrize(
    "reply",
    [
        "$JS.ACK.LGNET.rebuild.1.123.5.1700000000000000000.77",
        "$JS.ACK.hub.ACCHASH.LGNET.rebuild.1.123.5.1700000000000000000.77",
        "$JS.ACK.hub.ACCHASH.LGNET.rebuild.1.123.5.1700000000000000000.77.token",
    ],
)
def test_the_rebuild_reads_sequence_and_pending_from_the_reply_as_nats_py_does(
    reply: str,
) -> None:
    delivery = Msg(None, reply=reply)  # type: ignore[arg-type]
    assert _sequence_and_pending(delivery) == (123, 77)
    assert _sequence_and_pending(delivery) == (
        delivery.metadata.sequence.stream,
        delivery.metadata.num_pending,
    )


def test_the_rebuild_refuses_a_delivery_that_is_no_jetstream_message() -> None:
    with pytest.raises(NotJSMessageError):
        _sequence_and_pending(Msg(None, reply="_INBOX.abc"))  # type: ignore[arg-type]


def test_batches_of_the_demo_mix_give_the_read_models_of_one_event_at_a_time(
    template: list[TemplateEvent], tmp_path: Path
) -> None:
    """Every read model's batch form against applying one event at a time, on three copies of
    the demo (every kind of event, in the order the services wrote them)."""
    settings = settings_for(tmp_path)
    write_copies(settings, template, 3 * len(template), progress=False)
    record = open_record_read_only(settings)
    try:
        notifications = record.recorder.select_notifications(
            1, 3 * len(template), topics=PUBLIC_TOPICS
        )
        messages = [to_message(n, record.mapper) for n in notifications]
    finally:
        record.close()
    delivered = [
        Delivered(seq, from_message(m.headers, m.body)) for seq, m in enumerate(messages, start=1)
    ]
    one_by_one, batched = (SqliteReadModels(tmp_path / f"{n}.sqlite") for n in ("one", "batch"))
    try:
        for database in (one_by_one, batched):
            for projection in default_projections():
                ensure_created(database, projection)
        projections = default_projections()
        for event in delivered:
            apply_batch_to_all(one_by_one, projections, [event])
        for start in range(0, len(delivered), 500):
            apply_batch_to_all(batched, projections, delivered[start : start + 500])
        assert every_table(batched) == every_table(one_by_one)
        with batched.reading() as tx:
            active = tx.fetchall("SELECT COUNT(*) FROM rm_case_holders WHERE last_activity > since")
        assert active[0][0] > 0  # activity after the intake moved last_activity
    finally:
        one_by_one.close()
        batched.close()


def test_a_write_batch_is_cut_short_once_it_holds_its_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """psycopg hung in the pipeline of a 6.7 MB batch (tests/bench/generate.py): a batch ends at
    its count or at WRITE_BATCH_BYTES of state, whichever comes first."""
    monkeypatch.setattr(generate_module, "WRITE_BATCH_BYTES", 100)

    def events(*sizes: int) -> list[StoredEvent]:
        return [StoredEvent(UUID(int=i + 1), 1, "topic", b"x" * size)
                for i, size in enumerate(sizes)]

    def sizes(batches: list[list[StoredEvent]]) -> list[list[int]]:
        return [[len(event.state) for event in batch] for batch in batches]

    # 99 bytes: under the limit, the count ends the batch; 100: the limit ends it.
    assert sizes(list(_batches(iter(events(50, 49, 1, 1)), 3))) == [[50, 49, 1], [1]]
    assert sizes(list(_batches(iter(events(50, 50, 1, 1)), 3))) == [[50, 50], [1, 1]]
    assert sizes(list(_batches(iter(events(250, 1)), 3))) == [[250], [1]]
    assert list(_batches(iter([]), 3)) == []

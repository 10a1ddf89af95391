"""The event store's reading for an as-of replay (`select_notifications_not_after`), on a real
SQLite file and a real PostgreSQL database: what it leaves in the database is only what is surely
after the moment, whatever offset a time was stored with; and the replay over it gives what the
whole log gives, its batches cut at any point."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from uuid import uuid4

import pytest

from domain.cases.model import Case
from domain.programme import CARD_TERMS, City
from domain.record import ProgrammeRecord
from infra.pipeline.replay import discard, fresh_read_models, replay_until
from infra.publishing.messages import PUBLIC_TOPICS
from infra.settings import Settings
from infra.store.eventstore import event_store_env, open_record, select_notifications_not_after
from projections.case_list import CaseListQueries
from projections.registry import default_projections
from tests.builders import a_coordinator, an_intake

MOMENT = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)
# Before every time the intakes are recorded at.
INTAKE_DATE = date(2021, 1, 20)
# Stored with the offsets furthest from UTC there are: the wall clock of the first is 14 hours
# after the moment, of the second 12 hours before it.
KIRITIMATI = timezone(timedelta(hours=14))
BAKER_ISLAND = timezone(timedelta(hours=-12))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "data")
    database: str = request.getfixturevalue("own_postgres_database")
    return Settings(data_dir=tmp_path / "data", database_url=database)


@pytest.fixture
def record(settings: Settings) -> Iterator[ProgrammeRecord]:
    record = open_record(settings)
    yield record
    record.close()


def take_in(record: ProgrammeRecord, number: int, at: datetime) -> Case:
    case = Case.take_in(uuid4(), f"{CARD_TERMS.province_code(City.MILANO)}-2021-{number:05d}",
                        an_intake(City.MILANO, intake_date=INTAKE_DATE),
                        a_coordinator(City.MILANO), at)
    record.save(case)
    return case


def intakes_read(record: ProgrammeRecord, moment: datetime, *, after: int = 0,
                 stop: int | None = None, limit: int = 100) -> list[int]:
    """The notification ids read for `moment`, of the cases' intakes only (a case's save also
    records its register's bookkeeping, which is not public)."""
    last = record.recorder.max_notification_id() or 0
    return [n.id for n in select_notifications_not_after(
        record, moment, after=after, stop=last if stop is None else stop, limit=limit,
        topics=PUBLIC_TOPICS)]


def position_of(record: ProgrammeRecord, case: Case) -> int:
    notifications = record.recorder.select_notifications(1, 1000, topics=PUBLIC_TOPICS)
    return next(n.id for n in notifications if n.originator_id == case.id)


def test_what_is_left_in_the_database_is_surely_after_the_moment(
    record: ProgrammeRecord,
) -> None:
    at_the_moment = take_in(record, 1, MOMENT)
    # 08:30 UTC: before the moment, though its wall clock (22:30) is after the moment's.
    far_east = take_in(record, 2, MOMENT.astimezone(KIRITIMATI) - timedelta(minutes=30))
    # 21:00 UTC, its wall clock 09:00, the moment's own: after the moment, but only the
    # replay's exact check can tell (kept by the database, as anything within a day).
    far_west = take_in(record, 3, (MOMENT + timedelta(hours=12)).astimezone(BAKER_ISLAND))
    # A day after the moment, to the second: still within the database's margin; a second
    # more, and it is left in the database.
    a_day_after = take_in(record, 4, MOMENT + timedelta(days=1))
    take_in(record, 5, MOMENT + timedelta(days=1, seconds=1))
    take_in(record, 6, MOMENT + timedelta(days=40))
    backdated = take_in(record, 7, MOMENT - timedelta(days=40))  # saved last, dated first

    read = [position_of(record, case)
            for case in (at_the_moment, far_east, far_west, a_day_after, backdated)]
    assert intakes_read(record, MOMENT) == read
    # The same moment, named in another zone.
    assert intakes_read(record, MOMENT.astimezone(BAKER_ISLAND)) == read


def test_the_end_of_time_leaves_nothing_out(record: ProgrammeRecord) -> None:
    cases = [take_in(record, 1, MOMENT), take_in(record, 2, MOMENT + timedelta(days=9000))]
    end_of_time = datetime.max.replace(tzinfo=UTC)
    assert intakes_read(record, end_of_time) == [position_of(record, case) for case in cases]
    assert intakes_read(record, end_of_time - timedelta(days=1)) == \
        [position_of(record, case) for case in cases]


def test_the_reading_starts_after_after_ends_at_stop_and_takes_at_most_limit(
    record: ProgrammeRecord,
) -> None:
    cases = [take_in(record, number, MOMENT - timedelta(hours=number)) for number in range(4)]
    positions = [position_of(record, case) for case in cases]

    assert intakes_read(record, MOMENT, after=positions[0], stop=positions[2]) == positions[1:3]
    assert intakes_read(record, MOMENT, after=positions[0] - 1, stop=positions[2] - 1) == \
        positions[:2]
    assert intakes_read(record, MOMENT, limit=3) == positions[:3]
    assert intakes_read(record, MOMENT, limit=4) == positions


def test_a_store_that_compresses_its_events_is_read_whole(tmp_path: Path) -> None:
    """Compressed, a state does not begin with its time: the database cannot date it, so it
    hands over every event and the replay dates each one itself."""
    env = event_store_env(Settings(data_dir=tmp_path / "data"))
    env["COMPRESSOR_TOPIC"] = "eventsourcing.compressor:ZlibCompressor"
    record = ProgrammeRecord(env=env)
    try:
        before = take_in(record, 1, MOMENT - timedelta(days=1))
        after = take_in(record, 2, MOMENT + timedelta(days=40))
        assert intakes_read(record, MOMENT) == [position_of(record, before),
                                                position_of(record, after)]
        replayed = fresh_read_models(default_projections(), tmp_path)
        try:
            replay_until(record, MOMENT, replayed, default_projections())
            codes = [row.case_code for row in
                     CaseListQueries(replayed).list_cases(City.MILANO.value).rows]
            assert codes == [before.case_code]
        finally:
            discard(replayed)
    finally:
        record.close()


@pytest.mark.parametrize("batch_size", [1, 2, 3, 1000])
def test_the_replay_reads_to_the_end_of_the_log_whatever_its_batches(
    record: ProgrammeRecord, tmp_path: Path, batch_size: int
) -> None:
    """Three intakes up to the moment, two after it at the end of the log: the replay applies
    the three and says it has read the whole log, so a later call reads only what comes next."""
    kept = [take_in(record, number, MOMENT - timedelta(hours=number)) for number in (1, 2, 3)]
    take_in(record, 4, MOMENT + timedelta(days=3))
    take_in(record, 5, MOMENT + timedelta(days=4))
    end = record.recorder.max_notification_id()
    projections = default_projections()
    replayed = fresh_read_models(projections, tmp_path)
    try:
        read_up_to = replay_until(record, MOMENT, replayed, projections, batch_size=batch_size)
        assert read_up_to == end
        later = take_in(record, 6, MOMENT - timedelta(hours=4))  # saved now, dated before
        assert replay_until(record, MOMENT, replayed, projections, after=read_up_to,
                            batch_size=batch_size) == record.recorder.max_notification_id()
        codes = {row.case_code for row in
                 CaseListQueries(replayed).list_cases(City.MILANO.value).rows}
        assert codes == {case.case_code for case in (*kept, later)}
    finally:
        discard(replayed)


def test_an_empty_log_is_read_at_once(record: ProgrammeRecord, tmp_path: Path) -> None:
    projections = default_projections()
    replayed = fresh_read_models(projections, tmp_path)
    try:
        assert replay_until(record, MOMENT, replayed, projections) == 0
    finally:
        discard(replayed)

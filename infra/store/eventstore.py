"""The event store: the programme record on a SQLite file in the data dir, or on PostgreSQL when
`database_url` is set. The persistence settings are handed to the Application as its env, so
nothing here reads or changes the process environment."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlparse

import psycopg
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from domain.record import ProgrammeRecord
from infra.settings import Settings

EVENTS_FILE_NAME = "events.sqlite"
# Hot aggregates (a city's case register, cases being worked on) load from memory and are only
# fast-forwarded over events saved since, instead of being replayed from the store each time.
AGGREGATE_CACHE_SIZE = 1000


def event_store_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing settings for this deployment's event store."""
    env = {"AGGREGATE_CACHE_MAXSIZE": str(AGGREGATE_CACHE_SIZE)}
    if settings.database_url is not None:
        env["PERSISTENCE_MODULE"] = "eventsourcing.postgres"
        env |= postgres_env(settings.database_url)
        # The database functions skip the table lock that makes commit order equal notification
        # order; the relay relies on that order, so they stay off even if the environment says
        # otherwise.
        env["POSTGRES_ENABLE_DB_FUNCTIONS"] = "n"
        # The pool checks a connection before handing it out: one the server ended is replaced.
        env["POSTGRES_PRE_PING"] = "y"
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        env |= {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.data_dir / EVENTS_FILE_NAME),
        }
    # The library looks up "<APP NAME>_<KEY>" before "<KEY>" and merges in os.environ: giving our
    # values under the prefixed name too means a stray variable cannot redirect the record.
    prefix = ProgrammeRecord.name.upper() + "_"
    return env | {prefix + key: value for key, value in env.items()}


class NoEventStore(RuntimeError):
    """Raised when a read-only opening finds no event store where the settings point."""


def open_record_read_only(settings: Settings) -> ProgrammeRecord:
    """The programme record opened to be checked: nothing is created or written (a SQLite file
    is opened with mode=ro; no table is created). NoEventStore when there is none."""
    env = event_store_env_read_only(settings)
    record = ProgrammeRecord(env=env)
    if settings.database_url is not None:
        datastore: Any = getattr(record.recorder, "datastore", None)
        table = getattr(record.recorder, "events_table_name", "stored_events")
        with datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT to_regclass(%s) AS found", (f"{datastore.schema}.{table}",))
            row = cursor.fetchone()
        if row is None or row["found"] is None:
            record.close()
            raise NoEventStore(f"no event store in the database at {_without_password(settings)}")
    return record


def event_store_env_read_only(settings: Settings) -> dict[str, str]:
    if settings.database_url is None:
        path = (settings.data_dir / EVENTS_FILE_NAME).absolute()
        if not path.is_file():
            raise NoEventStore(f"no event store at {path}")
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
               "SQLITE_DBNAME": f"file:{path}?mode=ro"}
    else:
        env = {"PERSISTENCE_MODULE": "eventsourcing.postgres",
               "POSTGRES_ENABLE_DB_FUNCTIONS": "n"} | postgres_env(settings.database_url)
    env["CREATE_TABLE"] = "n"
    prefix = ProgrammeRecord.name.upper() + "_"
    return env | {prefix + key: value for key, value in env.items()}


def _without_password(settings: Settings) -> str:
    url = urlparse(settings.database_url or "")
    return f"{url.hostname}:{url.port or 5432}{url.path}"


def postgres_env(database_url: str) -> dict[str, str]:
    """postgresql://user:password@host:port/dbname as the library's POSTGRES_* settings."""
    url = urlparse(database_url)
    return {
        "POSTGRES_DBNAME": unquote(url.path.lstrip("/")),
        "POSTGRES_HOST": url.hostname or "localhost",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or ""),
        # The library insists on a password setting; empty means trust/peer/.pgpass auth.
        "POSTGRES_PASSWORD": unquote(url.password or ""),
    }


# The key of the PostgreSQL advisory lock that serialises the store's schema statements.
SCHEMA_LOCK_KEY = 0x4C474E4554  # "LGNET"


@contextmanager
def schema_lock(database_url: str | None) -> Iterator[None]:
    """On PostgreSQL, one process at a time runs the store's schema statements: the library's
    CREATE OR REPLACE FUNCTION fails ("tuple concurrently updated") when the parts of a cluster
    start together and run it at the same moment (found by `lgnet cluster up`)."""
    if database_url is None:
        yield
        return
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


def open_record(settings: Settings) -> ProgrammeRecord:
    """The programme record on this deployment's event store (tables are created if missing)."""
    with schema_lock(settings.database_url):
        return ProgrammeRecord(env=event_store_env(settings))


# How eventsourcing's JSON transcoder begins an event's stored state: with its timestamp.
STORED_TIMESTAMP = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
# The stored time's date and wall-clock time to the second, before any fraction or offset.
_WALL_CLOCK = "%Y-%m-%dT%H:%M:%S"
_WALL_CLOCK_LENGTH = len("2019-07-01T00:00:00")
# A stored time's offset from UTC is less than a day (Python refuses any other).
_ANY_OFFSET = timedelta(days=1)


def select_notifications_not_after(
    record: ProgrammeRecord,
    moment: datetime,
    *,
    after: int,
    stop: int,
    limit: int,
    topics: Sequence[str],
) -> list[Notification]:
    """Up to `limit` notifications of `topics` after `after` and up to `stop`, in order, less the
    ones whose stored state dates them surely after `moment`: the database compares the stored
    time's wall clock, to the second, with `moment` in UTC plus a day, so an event at or before
    the moment is kept whatever its offset. The caller still checks each event's time exactly.
    A state that is not plain JSON (a cipher, a compressor) is always kept.

    Why not `select_notifications`: an as-of replay for an early date would read the whole log
    to keep a small part of it. Here the rest never leaves the database. The query is
    `select_notifications`' own (eventsourcing's tables, same columns) with that condition."""
    recorder: Any = record.recorder
    table = recorder.events_table_name
    bound = _latest_wall_clock(moment)
    first, length = len(STORED_TIMESTAMP), _WALL_CLOCK_LENGTH
    if isinstance(recorder, PostgresApplicationRecorder):
        datastore = recorder.datastore
        statement = SQL(
            "SELECT * FROM {schema}.{table} WHERE notification_id > %s AND notification_id <= %s"
            " AND topic = ANY(%s) AND NOT (substring(state from 1 for {prefix}) = %s"
            " AND substring(state from {first} for {length}) > %s)"
            " ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(datastore.schema), table=Identifier(table),
                 prefix=first, first=first + 1, length=length)
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (after, stop, list(topics), STORED_TIMESTAMP, bound, limit))
            return [
                Notification(id=row["notification_id"], originator_id=row["originator_id"],
                             originator_version=row["originator_version"], topic=row["topic"],
                             state=bytes(row["state"]))
                for row in cursor.fetchall()
            ]
    marks = ",".join("?" * len(topics))
    query = (
        f"SELECT rowid, * FROM {table} WHERE rowid > ? AND rowid <= ? AND topic IN ({marks})"
        f" AND NOT (substr(state, 1, {first}) = ? AND substr(state, {first + 1}, {length}) > ?)"
        " ORDER BY rowid LIMIT ?"
    )
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(query, (after, stop, *topics, STORED_TIMESTAMP, bound, limit))
        return [
            Notification(id=row["rowid"],
                         originator_id=recorder.convert_originator_id(row["originator_id"]),
                         originator_version=row["originator_version"], topic=row["topic"],
                         state=row["state"])
            for row in cursor.fetchall()
        ]


def _latest_wall_clock(moment: datetime) -> bytes:
    """The latest stored wall clock, to the second, of an event at or before `moment`."""
    try:
        latest = moment.astimezone(UTC) + _ANY_OFFSET
    except OverflowError:  # a moment at the end of time (the benches' catching up)
        latest = datetime.max
    return latest.strftime(_WALL_CLOCK).encode()

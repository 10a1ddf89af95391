"""The event store: the programme record on a SQLite file in the data dir, or on PostgreSQL when
`database_url` is set. The persistence settings are handed to the Application as its env, so
nothing here reads or changes the process environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlparse

import psycopg

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

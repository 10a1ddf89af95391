"""What counts as an outage (issue 17, items 2 and 5): a store (SQLite, PostgreSQL) or the
message bus (NATS) that cannot be reached, is read-only or has no room left. The web answers it
503 with Retry-After (web.kit.outages), and a write that was saved before it is still reported
saved (the followers, infra.bootstrap).

It is told by the driver's own exception, found anywhere along the chain of causes (the event
store wraps the drivers' errors): a connection lost or refused (PostgreSQL's AdminShutdown, a
pool's timeout), a busy, locked, read-only, full or failing SQLite file, a read-only PostgreSQL
transaction, a full or read-only disk, NATS gone. A SQL mistake is not an outage."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator

import nats.errors
import psycopg
import psycopg.errors
from eventsourcing import persistence

# SQLite's primary result codes that say the file, not the statement, is the trouble.
_SQLITE_OUTAGES = frozenset({
    5,   # SQLITE_BUSY
    6,   # SQLITE_LOCKED
    7,   # SQLITE_NOMEM
    8,   # SQLITE_READONLY
    10,  # SQLITE_IOERR
    13,  # SQLITE_FULL
    14,  # SQLITE_CANTOPEN
    15,  # SQLITE_PROTOCOL
})
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EIO, errno.EDQUOT})
_NATS_OUTAGES = (
    nats.errors.ConnectionClosedError, nats.errors.NoServersError, nats.errors.TimeoutError,
    nats.errors.StaleConnectionError, nats.errors.OutboundBufferLimitError,
    nats.errors.ConnectionReconnectingError,
)


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_outage(error: BaseException) -> bool:
    """Whether `error` says a store or the bus is unavailable, rather than a mistake in code."""
    wrapped = False
    for cause in _causes(error):
        match cause:
            case sqlite3.Error():
                code = getattr(cause, "sqlite_errorcode", None)
                return code is not None and code & 0xFF in _SQLITE_OUTAGES
            case psycopg.OperationalError() | psycopg.InterfaceError():
                return True
            case psycopg.errors.ReadOnlySqlTransaction():
                return True
            case psycopg.Error():
                return False
            case OSError() if cause.errno in _DISK_ERRNOS:
                return True
            case nats.errors.Error() if isinstance(cause, _NATS_OUTAGES):
                return True
            case persistence.OperationalError() | persistence.InterfaceError():
                wrapped = True  # the library's own; the driver's, when chained, decides
    return wrapped



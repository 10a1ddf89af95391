"""A large programme record, fast (issue 15: rebuild of 1,000,000 events; dashboards at 600k):
`python -m tests.bench generate --events N --store sqlite|postgres --data-dir DIR [--pg-dsn URL]`.

The demo's services (`infra.demo`, as `lgnet demo` runs them) record one programme, the
*template*, into a data dir of its own (kept with --template-dir and reused next time). Its
stored events are then written into the target event store as many times as needed, each copy
another set of cities' people: every aggregate id and every id an event refers to (uuid_hex
values, and UUIDs written out with dashes, such as organisation ids) is replaced by one of the
copy's own, and case numbers move up by the copy's offset (the register's `number` and the
`XX-YYYY-NNNNN` case codes), so no two copies share a case, a code or any other id. The copies
are interleaved event by event (template event 1 of every copy, then event 2 ...), so the times
along the log never go back, as in the demo; the last event's copies may be cut short to stop at
exactly N, which leaves every copy a consistent prefix of the demo's history.

What is written are the demo's own events, domain events the mapper reads back, through the
real recorder (`ProgrammeRecord.recorder.insert_events`: the same tables and notification log
the services write, many thousand events per transaction instead of one command's). The relay
then publishes them to stream LGNET (the real `Relay`, audit chain included) unless
--no-publish, so `lgnet projections rebuild` on the data dir reads them as in production.
Personal data: the copies have none in the vault (the projections never read it; a case page of
a copy shows what it shows after erasure). The target gets no vault entries from the template
either: the generator writes events only, and nothing personal is in them (the demo's events
carry digests and vault ids, never names or texts), so nothing personal goes on NATS.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent

from infra.audit.checkpoints import open_checkpointer
from infra.bootstrap import build_platform
from infra.demo.scale import SCALES, DemoScale
from infra.demo.simulation import load_demo
from infra.nats.credentials import embedded_nats_if_needed, platform_nats_url
from infra.nats.server import free_port
from infra.pipeline.relay import Relay
from infra.publishing.messages import PUBLIC_TOPICS
from infra.settings import Settings
from infra.store.eventstore import open_record, open_record_read_only

WRITE_BATCH = 5000
# psycopg (3.3.9) waited for ever in the pipeline of eventsourcing's `insert_events` (the server
# waiting for the rest of the statement) on a batch of 5,000 or 1,000 events holding the 129
# copies of the grant's 52 KB budget (6.7 MB); a batch is cut short at this much state.
WRITE_BATCH_BYTES = 1_000_000
_PAGE = 10_000
_NUMBER_ISSUED = "domain.cases.model:CaseRegister.NumberIssued"

_UUID_HEX = re.compile(rb'"_data_":"([0-9a-f]{32})"')
_UUID_DASHED = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CASE_CODE = re.compile(rb'"([A-Z]{2})-(\d{4})-(\d{5})"')
_NUMBER = re.compile(rb'"number":(\d+)')
# A copy's ids differ from the template's in every bit but the version and variant bits.
_KEEP_VERSION_AND_VARIANT = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)


@dataclass(frozen=True)
class TemplateEvent:
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


@dataclass
class Generated:
    stored: int
    published: int
    copies: int
    template_events: int
    write_seconds: float
    write_cpu_seconds: float
    publish_seconds: float


def record_template(template_dir: Path, scale: DemoScale) -> list[TemplateEvent]:
    """The demo recorded at `scale` by its services into `template_dir` (once: an existing one
    is reused), read back in notification order."""
    settings = Settings(data_dir=template_dir, database_url=None, nats_url=None)
    if not (template_dir / "events.sqlite").is_file():
        partial = template_dir.with_name(template_dir.name + ".partial")
        print(
            f"Recording the {scale.name} demo through its services into {template_dir} ...",
            flush=True,
        )
        platform = build_platform(settings.model_copy(update={"data_dir": partial}))
        try:
            report = load_demo(platform, scale)
        finally:
            platform.close()
        if report.refused:
            raise RuntimeError(f"the demo refused {len(report.refused)} commands")
        partial.rename(template_dir)
    record = open_record_read_only(settings)
    try:
        events: list[TemplateEvent] = []
        start = 1
        while page := record.recorder.select_notifications(start, _PAGE):
            events += [
                TemplateEvent(UUID(str(n.originator_id)), n.originator_version, n.topic, n.state)
                for n in page
            ]
            start = page[-1].id + 1
        return events
    finally:
        record.close()


class Copier:
    """Copy `copy` of the template: its own ids and case numbers (copy 0 is the template)."""

    def __init__(self, copy: int, number_offset: int) -> None:
        self.copy = copy
        self.mask = random.Random(copy).getrandbits(128) & _KEEP_VERSION_AND_VARIANT
        self.offset = copy * number_offset

    def uuid(self, value: UUID) -> UUID:
        return UUID(int=value.int ^ self.mask) if self.copy else value

    def _hex(self, match: re.Match[bytes]) -> bytes:
        new = UUID(int=int(match.group(1), 16) ^ self.mask).hex
        return b'"_data_":"' + new.encode() + b'"'

    def _dashed(self, match: re.Match[bytes]) -> bytes:
        return str(UUID(int=UUID(match.group(0).decode()).int ^ self.mask)).encode()

    def _code(self, match: re.Match[bytes]) -> bytes:
        number = int(match.group(3)) + self.offset
        return b'"%s-%s-%05d"' % (match.group(1), match.group(2), number)

    def _number(self, match: re.Match[bytes]) -> bytes:
        return b'"number":%d' % (int(match.group(1)) + self.offset)

    def event(self, event: TemplateEvent) -> StoredEvent:
        if not self.copy:
            return StoredEvent(
                event.originator_id, event.originator_version, event.topic, event.state
            )
        state = _UUID_HEX.sub(self._hex, event.state)
        if b"-" in state:
            state = _UUID_DASHED.sub(self._dashed, state)
            state = _CASE_CODE.sub(self._code, state)
        if event.topic == _NUMBER_ISSUED:
            state = _NUMBER.sub(self._number, state)
        return StoredEvent(
            self.uuid(event.originator_id), event.originator_version, event.topic, state
        )


def highest_case_number(template: list[TemplateEvent]) -> int:
    numbers = [
        int(m.group(1))
        for e in template
        if e.topic == _NUMBER_ISSUED
        for m in _NUMBER.finditer(e.state)
    ]
    return max(numbers, default=0)


def copies_needed(template: list[TemplateEvent], events: int, published: bool) -> int:
    public = set(PUBLIC_TOPICS)
    per_copy = sum(1 for e in template if e.topic in public) if published else len(template)
    return max(1, math.ceil(events / per_copy))


def interleaved(
    template: list[TemplateEvent], copiers: list[Copier], events: int, published: bool
) -> Iterator[StoredEvent]:
    """Every copy of template event 1, then of event 2 ..., until `events` are written (or, with
    `published`, until that many of them are of public topics)."""
    public = set(PUBLIC_TOPICS)
    counted = 0
    for event in template:
        counts = not published or event.topic in public
        for copier in copiers:
            if counted >= events:
                return
            yield copier.event(event)
            counted += counts


def _batches(stored: Iterator[StoredEvent], size: int) -> Iterator[list[StoredEvent]]:
    """Batches of `size` events, cut short once they hold WRITE_BATCH_BYTES of state."""
    batch: list[StoredEvent] = []
    held = 0
    for event in stored:
        batch.append(event)
        held += len(event.state)
        if len(batch) == size or held >= WRITE_BATCH_BYTES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def write_copies(
    settings: Settings,
    template: list[TemplateEvent],
    events: int,
    *,
    published: bool = False,
    progress: bool = True,
) -> tuple[int, int]:
    """Write the interleaved copies into the event store `settings` name, WRITE_BATCH events per
    transaction. Returns (events written, copies)."""
    copies = copies_needed(template, events, published)
    offset = highest_case_number(template)
    if copies * offset > 99_999 - offset:
        raise ValueError(
            f"{copies} copies of a template with case numbers up to {offset} "
            "would need case numbers beyond 99999: use a larger template"
        )
    copiers = [Copier(copy, offset) for copy in range(copies)]
    record = open_record(settings)
    written = 0
    try:
        if record.recorder.max_notification_id():
            raise ValueError("the event store is not empty: generate into an empty one")
        for batch in _batches(interleaved(template, copiers, events, published), WRITE_BATCH):
            record.recorder.insert_events(batch)
            if progress and (written + len(batch)) // 100_000 > written // 100_000:
                print(f"  {written + len(batch):,} events written", flush=True)
            written += len(batch)
    finally:
        record.close()
    return written, copies


async def _publish(settings: Settings) -> int:
    record = open_record(settings)
    relay = Relay(
        record, platform_nats_url(settings), checkpoints=open_checkpointer(settings, record)
    )
    try:
        published = 0
        while count := await relay.publish_pending():
            published += count
        return published
    finally:
        await relay.close()
        record.close()


def publish(settings: Settings) -> int:
    """The relay publishes the whole record to stream LGNET (the embedded server in the data dir,
    or LGNET_NATS_URL's)."""
    with embedded_nats_if_needed(settings):
        return asyncio.run(_publish(settings))


def ensure_database(dsn: str) -> None:
    """Create the PostgreSQL database `dsn` names if it is missing."""
    database = dsn.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(dsn.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if found is None:
            connection.execute(f'CREATE DATABASE "{database}"')


def generate(
    settings: Settings,
    events: int,
    template_dir: Path,
    *,
    scale: str = "small",
    published: bool = False,
    publish_to_nats: bool = True,
) -> Generated:
    template = record_template(template_dir, SCALES[scale])
    if settings.database_url is not None:
        ensure_database(settings.database_url)
    started, cpu = time.perf_counter(), time.process_time()
    written, copies = write_copies(settings, template, events, published=published)
    write_seconds, write_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    sent = publish(settings) if publish_to_nats else 0
    return Generated(
        written,
        sent,
        copies,
        len(template),
        write_seconds,
        write_cpu,
        time.perf_counter() - started,
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--events", type=int, required=True, help="events to write into the event store"
    )
    parser.add_argument(
        "--published",
        action="store_true",
        help="count only the events the relay publishes (what a rebuild applies)",
    )
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--data-dir",
        type=Path,
        required=True,
        help="the platform's data dir (SQLite files, NATS store, keys)",
    )
    parser.add_argument(
        "--pg-dsn",
        help="postgresql://... (--store postgres); the database is "
        "created if missing and must hold no events",
    )
    parser.add_argument(
        "--template-dir",
        type=Path,
        default=None,
        help="where the demo template is recorded once and reused (default: <data-dir>-template)",
    )
    parser.add_argument(
        "--scale", choices=sorted(SCALES), default="small", help="the template's demo scale"
    )
    parser.add_argument(
        "--nats-port",
        type=int,
        default=None,
        help="the embedded NATS server's port (default: a free one)",
    )
    parser.add_argument(
        "--no-publish", action="store_true", help="write the store only; the relay publishes later"
    )
    args = parser.parse_args(argv)
    if (args.store == "postgres") != (args.pg_dsn is not None):
        parser.error("--pg-dsn goes with --store postgres, and only with it")
    data_dir = args.data_dir.absolute()
    settings = Settings(
        data_dir=data_dir,
        database_url=args.pg_dsn,
        nats_url=None,
        nats_port=args.nats_port or free_port(),
    )
    template_dir = args.template_dir or data_dir.with_name(data_dir.name + "-template")
    result = generate(
        settings,
        args.events,
        template_dir.absolute(),
        scale=args.scale,
        published=args.published,
        publish_to_nats=not args.no_publish,
    )
    print(
        f"Wrote {result.stored:,} events ({result.copies} copies of the {args.scale} demo's "
        f"{result.template_events:,}) in {result.write_seconds:.1f} s "
        f"(CPU {result.write_cpu_seconds:.1f} s, "
        f"{result.write_cpu_seconds / max(1, result.stored) * 1e6:.0f} us/event); "
        f"the relay published {result.published:,} in {result.publish_seconds:.1f} s "
        f"into {data_dir}" + (f" and {args.pg_dsn}" if args.pg_dsn else "")
    )


if __name__ == "__main__":
    main(sys.argv[1:])

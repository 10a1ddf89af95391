"""The two JetStream streams, and what their publishers need to know about them.

Stream `LGNET` holds subjects `lgnet.>` on file storage, kept forever (it is the bus's history:
projections are rebuilt from it); the relay publishes to it. Stream `LGNET_PARTNER` holds the
minimised copies partners read, `partner.<city>.<aggregate>.<event>` (events/partner.py), in the
partners' NATS account (infra/nats/auth.py); the partner feed publishes to it. Each message of
either carries `Nats-Msg-Id: lgnet:<position>`, the position being the event's notification id
in the event store, so a stream's last message says how far its publisher has got."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy, StorageType, StreamConfig, StreamInfo
from nats.js.errors import NotFoundError

from events.partner import PARTNER_SUBJECT_ROOT

log = logging.getLogger(__name__)

STREAM_NAME = "LGNET"
STREAM_SUBJECTS = ("lgnet.>",)
PARTNER_STREAM_NAME = "LGNET_PARTNER"
PARTNER_STREAM_SUBJECTS = (f"{PARTNER_SUBJECT_ROOT}.>",)
# The audit chain's signed heads, one message per checkpoint (docs/audit.md, "Witnesses"): a
# witness outside the event store. Like LGNET, no message of it can be deleted nor purged.
AUDIT_STREAM_NAME = "LGNET_AUDIT"
AUDIT_STREAM_SUBJECTS = ("lgnet_audit.heads",)
# Streams LGNET and LGNET_AUDIT refuse deletes and purges (switched on for an existing stream at
# the next start; NATS never lets it be switched off). Tests of how readers step over holes left
# by deletions made before (older streams) turn it off for the stream they make.
DENY_REMOVAL = True
# Who publishes to each stream (named in errors about a stream's content).
_PUBLISHERS = {STREAM_NAME: "the relay", PARTNER_STREAM_NAME: "the partner feed",
               AUDIT_STREAM_NAME: "the relay"}
# Long enough to cover a relay restart or a NATS reconnect: a message republished within it is
# recognised as a duplicate by its Nats-Msg-Id and not stored twice.
DUPLICATE_WINDOW_SECONDS = 120.0
MSG_ID_PREFIX = "lgnet:"
MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence"


class StreamError(RuntimeError):
    """Raised when a stream cannot serve as its publisher's target (its storage, or a message
    that its publisher did not write)."""


def msg_id_for(position: int) -> str:
    return f"{MSG_ID_PREFIX}{position}"


def position_of_msg_id(msg_id: str) -> int:
    if not msg_id.startswith(MSG_ID_PREFIX) or not msg_id[len(MSG_ID_PREFIX) :].isdigit():
        raise StreamError(f"Message id {msg_id!r} is not one the relay publishes (lgnet:<n>)")
    return int(msg_id[len(MSG_ID_PREFIX) :])


def stream_config(
    *, replicas: int = 1, duplicate_window: float = DUPLICATE_WINDOW_SECONDS
) -> StreamConfig:
    return StreamConfig(
        name=STREAM_NAME,
        description="LGNetEA domain events as CloudEvents, in event-store order",
        subjects=list(STREAM_SUBJECTS),
        storage=StorageType.FILE,
        max_age=0,  # no expiry: the stream is the history projections are rebuilt from
        duplicate_window=duplicate_window,
        num_replicas=replicas,
        # Tamper evidence (docs/audit.md): nobody, not even the platform's own user, removes a
        # message through the API. The stream keeps everything, for ever (docs/operations.md).
        deny_delete=DENY_REMOVAL,
        deny_purge=DENY_REMOVAL,
    )


def audit_stream_config(
    *, replicas: int = 1, duplicate_window: float = DUPLICATE_WINDOW_SECONDS
) -> StreamConfig:
    return StreamConfig(
        name=AUDIT_STREAM_NAME,
        description="LGNetEA audit chain: every signed head (checkpoint), as a witness",
        subjects=list(AUDIT_STREAM_SUBJECTS),
        storage=StorageType.FILE,
        max_age=0,
        duplicate_window=duplicate_window,
        num_replicas=replicas,
        deny_delete=True,
        deny_purge=True,
    )


def partner_stream_config(
    *, replicas: int = 1, duplicate_window: float = DUPLICATE_WINDOW_SECONDS
) -> StreamConfig:
    return StreamConfig(
        name=PARTNER_STREAM_NAME,
        description="LGNetEA events for partner systems: minimised copies, in event-store order",
        subjects=list(PARTNER_STREAM_SUBJECTS),
        storage=StorageType.FILE,
        max_age=0,  # no expiry: a partner may replay from the start of the programme
        duplicate_window=duplicate_window,
        num_replicas=replicas,
    )


async def ensure_stream(
    js: JetStreamContext,
    *,
    replicas: int | None = None,
    duplicate_window: float = DUPLICATE_WINDOW_SECONDS,
) -> StreamInfo:
    """Create stream LGNET, or bring an existing one to our subjects, retention and duplicate
    window. `replicas` None keeps an existing stream's replica count (1 for a new one), so a
    relay started without it never shrinks a cluster's R3 stream."""
    wanted = stream_config(replicas=replicas or 1, duplicate_window=duplicate_window)
    return await _ensure(
        js, wanted, replicas,
        recreate="a stream's storage cannot be changed: recreate it and restart the relay",
    )


async def ensure_partner_stream(
    js: JetStreamContext,
    *,
    replicas: int | None = None,
    duplicate_window: float = DUPLICATE_WINDOW_SECONDS,
) -> StreamInfo:
    """Create stream LGNET_PARTNER, or bring an existing one back to our subjects, retention and
    duplicate window. `replicas` None keeps an existing stream's replica count."""
    wanted = partner_stream_config(replicas=replicas or 1, duplicate_window=duplicate_window)
    return await _ensure(
        js, wanted, replicas, recreate="recreate it: the feed refills it from LGNET"
    )


async def ensure_audit_stream(
    js: JetStreamContext,
    *,
    replicas: int | None = None,
    duplicate_window: float = DUPLICATE_WINDOW_SECONDS,
) -> StreamInfo:
    """Create stream LGNET_AUDIT (the signed heads' witness), or bring it to our settings."""
    wanted = audit_stream_config(replicas=replicas or 1, duplicate_window=duplicate_window)
    return await _ensure(js, wanted, replicas, recreate="recreate it: the relay refills it")


async def _ensure(
    js: JetStreamContext, wanted: StreamConfig, replicas: int | None, *, recreate: str
) -> StreamInfo:
    name = wanted.name
    assert name is not None and wanted.subjects is not None
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        log.info("Creating JetStream stream %s (%s)", name, ", ".join(wanted.subjects))
        return await js.add_stream(wanted)
    current = info.config
    if current.storage not in (None, StorageType.FILE):
        raise StreamError(
            f"Stream {name} uses {current.storage} storage; it must be file storage ({recreate})"
        )
    changes: dict[str, Any] = {
        "subjects": wanted.subjects,
        "max_age": 0.0,
        "duplicate_window": wanted.duplicate_window,
    }
    if replicas is not None:
        changes["num_replicas"] = replicas
    if wanted.deny_delete:  # switched on for an existing stream; never switched off
        changes |= {"deny_delete": True, "deny_purge": True}
    if all(_same(getattr(current, field), value) for field, value in changes.items()):
        return info
    log.info("Updating JetStream stream %s: %s", name, changes)
    return await js.update_stream(current.evolve(**changes))


def _same(current: object, wanted: object) -> bool:
    if isinstance(wanted, float):  # durations come back as float seconds, or None for 0
        return isinstance(current, int | float | None) and abs((current or 0) - wanted) < 1e-6
    return current == wanted


@dataclass(frozen=True)
class StreamTail:
    """A stream's last message: its sequence and the event-store position it carries."""

    stream_seq: int
    position: int


async def stream_tail(js: JetStreamContext, stream: str = STREAM_NAME) -> StreamTail | None:
    """The stream's last message, or None when the stream holds no message."""
    info = await js.stream_info(stream)
    if info.state.messages == 0:
        return None
    last = await js.get_msg(stream, seq=info.state.last_seq)
    msg_id = (last.headers or {}).get(MSG_ID)
    if msg_id is None:
        raise StreamError(
            f"The last message of stream {stream} (sequence {last.seq}, subject "
            f"{last.subject}) has no {MSG_ID}: something other than {_PUBLISHERS[stream]} "
            "publishes to it"
        )
    return StreamTail(stream_seq=info.state.last_seq, position=position_of_msg_id(msg_id))


async def stream_last_seq(js: JetStreamContext, stream: str = STREAM_NAME) -> int:
    """The stream's last sequence: 0 when it never held a message; more when all it held was
    removed, since a stream's sequences are never reused."""
    return int((await js.stream_info(stream)).state.last_seq or 0)


async def read_stream(
    js: JetStreamContext, *, start_seq: int = 1, timeout: float = 5.0
) -> list[Msg]:
    """Every message of the stream from `start_seq` to the last one stored when called, in order
    (an ordered push consumer: the fastest way to replay; used by audits and tests)."""
    info = await js.stream_info(STREAM_NAME)
    last_seq = info.state.last_seq
    if info.state.messages == 0 or last_seq < start_seq:
        return []
    subscription = await js.subscribe(
        STREAM_SUBJECTS[0],
        stream=STREAM_NAME,
        ordered_consumer=True,
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start_seq
        ),
    )
    messages: list[Msg] = []
    try:
        while True:
            try:
                message = await subscription.next_msg(timeout=timeout)
            except TimeoutError:
                raise StreamError(
                    f"Stream {STREAM_NAME} stopped delivering after {len(messages)} messages, "
                    f"before sequence {last_seq}"
                ) from None
            messages.append(message)
            if message.metadata.sequence.stream >= last_seq:
                return messages
    finally:
        await subscription.unsubscribe()

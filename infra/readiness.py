"""Readiness: can the platform take work now? The store and the vault answer a read (and every
store takes a scratch write: a read-only store or a full disk answers reads), NATS takes
a connection and has the stream, the relay has published all but at most
LGNET_READY_RELAY_LAG events and the projector applied all but LGNET_READY_PROJECTOR_LAG of
the published ones. `/health/ready` answers it (web.kit.health), `lgnet check` prints it.
Every probe has its own short timeout: readiness answers within a few seconds whatever is down,
one line per part."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol
from uuid import UUID

import nats

from domain.record import ProgrammeRecord
from domain.vault import PersonalDataVault
from infra.nats.credentials import platform_nats_url, url_without_credentials
from infra.nats.jetstream import person_waits_nats_options
from infra.nats.streams import STREAM_NAME, stream_tail
from infra.pipeline.status import PIPELINE
from infra.publishing.messages import PUBLIC_TOPICS
from infra.settings import Settings
from infra.store.keyless import KeylessVault
from infra.store.writable import unwritable_stores
from projections.projection import Projection
from projections.storage.read_models import ReadModelDatabase
from web.services import PartHealth


class Platform(Protocol):
    """What readiness looks at (infra.bootstrap.Platform has it)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def record(self) -> ProgrammeRecord: ...
    @property
    def vault(self) -> PersonalDataVault: ...
    @property
    def read_models(self) -> ReadModelDatabase: ...
    @property
    def projections(self) -> Sequence[Projection]: ...

# Each probe gives up after this many seconds: the whole check stays under five.
PROBE_TIMEOUT = 1.5
# Nobody made up an id: the vault's probe reads a case that cannot exist.
_NO_CASE = UUID(int=0)


async def check_readiness(platform: Platform, *, bus: bool = True) -> list[PartHealth]:
    """Every part's state; `bus=False`: a platform without NATS (its read models follow the
    record in-process), whose pipeline is not checked."""
    store, vault = await asyncio.gather(
        _probe("store", lambda: _store_state(platform)),
        _probe("vault", lambda: _vault_state(platform)),
    )
    if not bus:
        return [store, vault, PartHealth("nats", True, "none: the read models follow the record "
                                         "in this process")]
    return _with_parts_down([store, vault, *await _pipeline_state(platform)])


def _with_parts_down(parts: list[PartHealth]) -> list[PartHealth]:
    """A part of this process that died and waits to be started again (infra.runtime's
    supervision) is not ready, whatever its lag: its line says so (a part readiness does not
    list otherwise, the partner feed or the vault sweep, gets a line of its own)."""
    down = dict(PIPELINE.parts_down)
    if not down:
        return parts
    said = [PartHealth(part.name, False, f"down: {down.pop(part.name)}; `lgnet run` restarts "
                       "it") if part.name in down else part for part in parts]
    return [*said, *(PartHealth(name, False, f"down: {why}; `lgnet run` restarts it")
                     for name, why in sorted(down.items()))]


async def _probe(name: str, read: Callable[[], str]) -> PartHealth:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            return PartHealth(name, True, await asyncio.to_thread(read))
    except TimeoutError:
        return PartHealth(name, False, f"no answer within {PROBE_TIMEOUT} s")
    except NotReady as not_ready:
        return PartHealth(name, False, str(not_ready))
    except Exception as error:  # any failure of a probe is that part being down
        return PartHealth(name, False, _said(error))


def _said(error: BaseException) -> str:
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__


def _store_state(platform: Platform) -> str:
    last = platform.record.recorder.max_notification_id() or 0
    # A read-only store or a full disk still answers reads: a scratch row is written too
    # (infra/store/writable.py), so that readiness turns red while commands would fail.
    if refused := unwritable_stores(platform.settings):
        raise NotReady("; ".join(refused))
    return f"{last} events recorded, writes taken"


def _vault_state(platform: Platform) -> str:
    if isinstance(platform.vault, KeylessVault):
        return "not used by this part (it holds no vault key)"
    platform.vault.read(_NO_CASE)
    return "answers"


async def _pipeline_state(platform: Platform) -> list[PartHealth]:
    """NATS, and the relay's and the projector's lag, which need the stream's tail."""
    settings = platform.settings
    if PIPELINE.nats_down_since is not None:
        down = "the embedded nats-server is down; `lgnet run` is restarting it"
        return [PartHealth("nats", False, down), *_unknown_lags("NATS is down")]
    try:
        async with asyncio.timeout(PROBE_TIMEOUT * 2):
            connection = await nats.connect(servers=platform_nats_url(settings).split(","),
                                            **person_waits_nats_options())
            try:
                tail = await stream_tail(connection.jetstream())
            finally:
                await connection.close()
    except TimeoutError:
        return [PartHealth("nats", False, f"no answer within {PROBE_TIMEOUT * 2} s"),
                *_unknown_lags("NATS does not answer")]
    except nats.js.errors.NotFoundError:
        return [PartHealth("nats", False, f"no stream {STREAM_NAME} yet (the relay makes it)"),
                *_unknown_lags(f"no stream {STREAM_NAME}")]
    except Exception as error:  # unreachable, refused, wrong password: NATS is not usable
        where = url_without_credentials(settings.effective_nats_url)
        return [PartHealth("nats", False, f"not reachable at {where}: {_said(error)}"),
                *_unknown_lags("NATS is not reachable")]
    published_position = tail.position if tail else 0
    published_seq = tail.stream_seq if tail else 0
    relay, projector = await asyncio.gather(
        _probe("relay", lambda: _relay_lag(platform, published_position)),
        _probe("projector", lambda: _projector_lag(platform, published_seq)),
    )
    return [PartHealth("nats", True, f"stream {STREAM_NAME} at {published_seq}"), relay,
            projector]


def _unknown_lags(reason: str) -> list[PartHealth]:
    return [PartHealth("relay", False, f"lag unknown: {reason}"),
            PartHealth("projector", False, f"lag unknown: {reason}")]


class NotReady(RuntimeError):
    """A part answers, but cannot take work now: what it says is the reason."""


class Behind(NotReady):
    """A part is further behind than its readiness threshold."""


def _relay_lag(platform: Platform, published_position: int) -> str:
    limit = platform.settings.ready_relay_lag
    waiting = len(platform.record.recorder.select_notifications(
        published_position + 1, limit + 1, topics=PUBLIC_TOPICS))
    if PIPELINE.storage_full is not None:
        raise Behind(PIPELINE.storage_full)
    if waiting > limit:
        raise Behind(f"more than {limit} events wait to be published (LGNET_READY_RELAY_LAG)")
    return f"{waiting} events wait to be published"


def _projector_lag(platform: Platform, published_seq: int) -> str:
    limit = platform.settings.ready_projector_lag
    applied = min(platform.read_models.tracking(p.name).stream_seq
                  for p in platform.projections)
    waiting = max(0, published_seq - applied)
    if waiting > limit:
        raise Behind(f"{waiting} published events wait to be projected, more than {limit} "
                     "(LGNET_READY_PROJECTOR_LAG)")
    return f"{waiting} published events wait to be projected"

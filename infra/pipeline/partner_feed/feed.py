"""The partner feed's life: sessions one after the other, each resuming from the partner
stream's tail, with a growing pause after failures (`run`), or until caught up with LGNET
(`publish_pending`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import nats.errors

from infra.nats.auth import PartnerAccess
from infra.nats.consumer import ForeignDeliveries
from infra.nats.jetstream import retry_pause, server_list, wait_at_most
from infra.nats.streams import DUPLICATE_WINDOW_SECONDS, PARTNER_STREAM_NAME, StreamError
from infra.pipeline.partner_feed.chain import HeadSigner
from infra.pipeline.partner_feed.session import (
    MAX_ACK_PENDING,
    PartnerFeedError,
    Session,
    SessionInterrupted,
)

log = logging.getLogger(__name__)

DEFAULT_DURABLE = "lgnet-partner-feed"
DEFAULT_BATCH_SIZE = 1000
# publish_pending gives up after this many sessions in a row that stored nothing.
_MAX_SESSIONS_WITHOUT_PROGRESS = 5


class PartnerFeed:
    """Copies partner-visible events from LGNET to LGNET_PARTNER. `run` follows LGNET until
    stopped; `publish_pending` copies what LGNET holds now and returns."""

    def __init__(
        self,
        nats_url: str,
        *,
        partner_nats_url: str | None = None,
        durable: str = DEFAULT_DURABLE,
        batch_size: int = DEFAULT_BATCH_SIZE,
        ack_timeout: float = 5.0,
        replicas: int | None = None,
        duplicate_window: float = DUPLICATE_WINDOW_SECONDS,
        partners: Sequence[PartnerAccess] | None = None,
        signer: HeadSigner | None = None,
    ) -> None:
        """`nats_url`: the platform's account, where LGNET is. `partner_nats_url`: the feed user
        of the partners' account, where LGNET_PARTNER is; None for a server without accounts.
        `partners`: the agreements whose consumers each session makes as they say
        (infra/nats/partner_consumers.py); None leaves the consumers alone. `signer`: the audit
        checkpoint key, which signs the partner chains' heads (infra/pipeline/partner_feed/
        chain.py); None leaves them unsigned (the hash links are written all the same)."""
        if batch_size >= MAX_ACK_PENDING:
            raise ValueError(f"batch_size must be below {MAX_ACK_PENDING}")
        self.source_servers = server_list(nats_url)
        self.partner_servers = server_list(partner_nats_url or nats_url)
        self.durable = durable
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.replicas = replicas
        self.duplicate_window = duplicate_window
        self.partners = partners
        self.signer = signer
        # Deliveries from another consumer than ours, ignored (issue 18 item 1).
        self.foreign = ForeignDeliveries("partner feed")

    async def run(self, stop: asyncio.Event) -> None:
        """Copy events until `stop` is set. NATS errors end the session; the next one, after a
        growing pause (up to 5 s), resumes from the partner stream's tail. Nothing is skipped:
        an event that cannot be copied is retried, not passed over."""
        failures = 0
        while not stop.is_set():
            session = Session(self, stop)
            try:
                await session.run()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # A session that copied something before it ended is no cause to slow down.
                failures = 1 if session.stored else failures + 1
                pause = retry_pause(failures)
                log.warning(
                    "Partner feed interrupted (%s: %s); resuming in %.1f s",
                    type(error).__name__, error, pause,
                    exc_info=not isinstance(error, _EXPECTED_ERRORS),
                )
                await wait_at_most(stop, pause)
            else:
                failures = 0

    async def publish_pending(self) -> int:
        """Copy every partner-visible event LGNET holds now that the partner stream does not;
        return how many copies were stored."""
        stored = 0
        sessions_without_progress = 0
        while True:
            session = Session(self, asyncio.Event(), until_caught_up=True)
            try:
                await session.run()
            except SessionInterrupted as interruption:
                stored += session.stored
                sessions_without_progress = 0 if session.stored else sessions_without_progress + 1
                if sessions_without_progress >= _MAX_SESSIONS_WITHOUT_PROGRESS:
                    raise PartnerFeedError(
                        f"Stream {PARTNER_STREAM_NAME} refused the copies "
                        f"{sessions_without_progress} times: is another feed publishing?"
                    ) from interruption
                log.info("Partner feed session ended (%s); resuming", interruption)
                continue
            return stored + session.stored


_EXPECTED_ERRORS = (
    nats.errors.Error, OSError, TimeoutError, PartnerFeedError, StreamError, SessionInterrupted,
)

"""The vault's sweep: what an intake that died between the vault and the record left behind.

An intake stores the person in the vault (marked pending), saves the case, then confirms the
person (domain.cases.service). A process killed in between leaves a pending person: the sweep,
which the web process runs at start and every LGNET_VAULT_SWEEP_SECONDS, keeps them if their case
was saved and shreds them (erasure: key, ciphertext, texts, index entries) if it was not, once
they are older than LGNET_VAULT_PENDING_GRACE_SECONDS (an intake still under way in another
process is younger than that). Its log line carries counts, never a case."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from domain.cases.service import CaseService, UnfinishedIntakes
from infra.periodic import run_every

log = logging.getLogger("lgnet.vault")


def sweep_pending(cases: CaseService, now: datetime, grace: timedelta) -> UnfinishedIntakes:
    """One sweep; logs its counts when it found anything."""
    settled = cases.settle_unfinished_intakes(now, grace)
    if settled.kept or settled.shredded:
        log.warning("Vault sweep: %d unfinished intakes shredded (their case was never saved), "
                    "%d confirmed (their case was saved)", settled.shredded, settled.kept)
    return settled


async def run_vault_sweep(cases: CaseService, clock: Callable[[], datetime],
                          stop: asyncio.Event, *, every: timedelta, grace: timedelta) -> None:
    await run_every(lambda: sweep_pending(cases, clock(), grace), every, stop, "The vault sweep")

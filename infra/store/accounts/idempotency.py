"""The answers of commands sent with an Idempotency-Key (web.kit.idempotency), kept
`ANSWER_RETENTION` so that a client or a browser that sends a command again (its connection was
reset, the page was submitted twice) gets the first answer instead of a second record.

Why here, in the accounts' store: a key belongs to whoever sent it (a user, a partner's token),
like a session; the answers are operational data of the web layer that expire, not facts of the
programme (the event store keeps those, and an event must not carry a client's key: the one
note an intake saves with its case, domain.cases.model.IntakeByKey, is named by a digest of it and
carries only the case id); and the
accounts' store is already where the web layer writes on PostgreSQL and SQLite alike, synced on
every commit (its table: infra.store.accounts.storage). Only answers without personal data are
kept (web.kit.idempotency decides): no identifier or free text is copied out of the vault.

The key is stored hashed with its owner, so a copy of the table tells nobody's keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

from domain.idempotency import Claim, ClaimOutcome, KeptAnswer
from infra.store.accounts.storage import moment, sha256, timestamp
from projections.storage.transaction import Database

ANSWER_RETENTION = timedelta(hours=24)
# A claim with no answer after this long belongs to a request whose process died: it is taken
# over. A younger one is a request still under way (the same command sent twice at once).
ABANDONED_AFTER = timedelta(seconds=30)

class IdempotentAnswers:
    database: Database
    clock: Callable[[], datetime]

    def claim_idempotency_key(self, owner: str, key: str, fingerprint: str) -> Claim:
        now = self.clock()
        key_hash = sha256(key)
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM acc_idempotent_answers WHERE claimed_at < ?",
                       (timestamp(now - ANSWER_RETENTION),))
            if tx.execute(
                "INSERT INTO acc_idempotent_answers (owner, key_hash, fingerprint, claimed_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (owner, key_hash) DO NOTHING",
                (owner, key_hash, fingerprint, timestamp(now)),
            ):
                return Claim(ClaimOutcome.NEW)
            row = tx.fetchone(
                "SELECT fingerprint, claimed_at, status, headers, body FROM acc_idempotent_answers"
                " WHERE owner = ? AND key_hash = ?", (owner, key_hash))
            assert row is not None
            stored_fingerprint, claimed_at, status, headers, body = row
            if stored_fingerprint != fingerprint:
                return Claim(ClaimOutcome.OTHER_REQUEST)
            if status is not None:
                return Claim(ClaimOutcome.ANSWERED,
                             KeptAnswer(int(status), json.loads(headers), body))
            if now - moment(claimed_at) < ABANDONED_AFTER:
                return Claim(ClaimOutcome.IN_PROGRESS)
            tx.execute("UPDATE acc_idempotent_answers SET claimed_at = ?"
                       " WHERE owner = ? AND key_hash = ?", (timestamp(now), owner, key_hash))
            return Claim(ClaimOutcome.NEW)

    def keep_answer(self, owner: str, key: str, answer: KeptAnswer) -> None:
        with self.database.transaction() as tx:
            tx.execute(
                "UPDATE acc_idempotent_answers SET status = ?, headers = ?, body = ?"
                " WHERE owner = ? AND key_hash = ?",
                (answer.status, json.dumps(answer.headers), answer.body, owner, sha256(key)))

    def release_idempotency_key(self, owner: str, key: str) -> None:
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM acc_idempotent_answers WHERE owner = ? AND key_hash = ?"
                       " AND status IS NULL", (owner, sha256(key)))

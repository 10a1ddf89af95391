"""The partner feed's side of the partner chains (events/partner_chain.py): each copy is linked to
its subject's previous one, and the last copy of each subject in a published run (and every
SIGN_EVERY-th) carries a signed head, signed with the audit checkpoint key through its existing
API (infra/audit/checkpoints.py, `SigningKey.sign`).

The feed keeps no state: a session learns each subject's chain from the last message the partner
stream holds on that subject, the first time it copies to it. A run that is not stored ends the
session, and the next one learns the chains anew."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from events.partner import PartnerMessage
from events.partner_chain import (
    GENESIS,
    PARTNER_CHAIN_PREVIOUS,
    PARTNER_CHAIN_SEQ,
    PARTNER_HEAD_KEY,
    PARTNER_HEAD_SIGNATURE,
    SIGN_EVERY,
    head_statement,
    partner_message_hash,
)
from infra.nats.streams import PARTNER_STREAM_NAME

log = logging.getLogger(__name__)


class HeadSigner(Protocol):
    """The audit checkpoint key (infra.audit.checkpoints.SigningKey)."""

    @property
    def key_id(self) -> str: ...

    def sign(self, statement: bytes) -> str: ...


@dataclass
class _Tip:
    seq: int
    hash: str


class PartnerChains:
    """The chains' tips as one session of the feed knows them."""

    def __init__(self, js: JetStreamContext, signer: HeadSigner | None) -> None:
        self.js = js
        self.signer = signer
        self.tips: dict[str, _Tip] = {}

    async def link(self, copies: list[PartnerMessage]) -> list[PartnerMessage]:
        """The copies of one run with their chain headers, and a signed head on the last of
        each subject and on every SIGN_EVERY-th."""
        linked: list[PartnerMessage] = []
        last_of_subject: dict[str, int] = {}
        for copy in copies:
            tip = await self._tip(copy.subject)
            headers = {**copy.headers, PARTNER_CHAIN_SEQ: str(tip.seq + 1),
                       PARTNER_CHAIN_PREVIOUS: tip.hash}
            message_hash = partner_message_hash(copy.subject, headers, copy.body)
            self.tips[copy.subject] = _Tip(tip.seq + 1, message_hash)
            last_of_subject[copy.subject] = len(linked)
            linked.append(PartnerMessage(copy.subject, headers, copy.body))
        if self.signer is None:
            return linked
        for index, copy in enumerate(linked):
            seq = int(copy.headers[PARTNER_CHAIN_SEQ])
            if last_of_subject[copy.subject] == index or seq % SIGN_EVERY == 0:
                message_hash = partner_message_hash(copy.subject, copy.headers, copy.body)
                copy.headers[PARTNER_HEAD_SIGNATURE] = self.signer.sign(
                    head_statement(copy.subject, seq, message_hash))
                copy.headers[PARTNER_HEAD_KEY] = self.signer.key_id
        return linked

    async def _tip(self, subject: str) -> _Tip:
        tip = self.tips.get(subject)
        if tip is not None:
            return tip
        try:
            last = await self.js.get_last_msg(PARTNER_STREAM_NAME, subject)
        except NotFoundError:
            tip = _Tip(0, GENESIS)
        else:
            headers = dict(last.headers or {})
            if PARTNER_CHAIN_SEQ in headers:
                tip = _Tip(int(headers[PARTNER_CHAIN_SEQ]),
                           partner_message_hash(subject, headers, last.data or b""))
            else:
                log.info("Partner chain of %s starts after sequence %s (copies made before "
                         "partner chains)", subject, last.seq)
                tip = _Tip(0, GENESIS)
        self.tips[subject] = tip
        return tip

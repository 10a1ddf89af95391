"""Witnesses of the audit chain's signed heads, outside the rows an intruder on the database
would rewrite (docs/audit.md, "Witnesses"):

- the checkpoint events in the event store itself (read from the log directly, so deleting the
  chain table does not hide them);
- stream LGNET_AUDIT (deny_delete, deny_purge), one message per signed head, published by the
  relay as it publishes the checkpoint event;
- the append-only witness file `<data_dir>/audit/signed-heads.jsonl` (LGNET_AUDIT_WITNESS_FILE),
  one JSON head a line, that the ministry copies off the machine;
- a heads file the auditor kept from earlier (`lgnet audit verify --trust FILE`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext

from domain.audit.model import AuditCheckpoint
from domain.record import ProgrammeRecord
from events.audit_tree import SignedHead
from infra.nats.streams import AUDIT_STREAM_NAME, AUDIT_STREAM_SUBJECTS, MSG_ID
from infra.settings import Settings

log = logging.getLogger(__name__)
WITNESS_FILE_NAME = "signed-heads.jsonl"
DEPLOYMENT_ID_FILE_NAME = "deployment-id"
_CHECKPOINT_TOPIC = f"{AuditCheckpoint.Signed.__module__}:{AuditCheckpoint.Signed.__qualname__}"


class WitnessError(ValueError):
    """A heads file that cannot be read."""


@dataclass(frozen=True)
class Witnessed:
    """A signed head and where it was found (named in reports)."""

    head: SignedHead
    witness: str


def witness_file(settings: Settings) -> Path:
    return settings.audit_witness_file or settings.data_dir / "audit" / WITNESS_FILE_NAME


def deployment_id(settings: Settings) -> str:
    """The deployment's id, named in every signed head: the setting, else one made once in the
    data dir (so heads of two deployments cannot be mistaken for each other)."""
    if settings.deployment_id:
        return settings.deployment_id
    path = settings.data_dir / "audit" / DEPLOYMENT_ID_FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        temporary.write_text(f"lgnet-{secrets.token_hex(8)}\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_text().strip()


def append_head(path: Path, head: SignedHead) -> None:
    """Add a head to the witness file (created on first use), flushed to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(head.as_json(), sort_keys=True, separators=(",", ":")) + "\n"
    with path.open("a", encoding="utf-8") as file:
        file.write(line)
        file.flush()
        os.fsync(file.fileno())


def parse_heads(lines: Iterable[str], source: str) -> list[SignedHead]:
    heads = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            heads.append(SignedHead.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as error:
            raise WitnessError(f"{source}, line {number}: not a signed head ({error})") from None
    return heads


def read_heads_file(path: Path) -> list[SignedHead]:
    """The heads of a witness or trust file; WitnessError if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise WitnessError(f"cannot read {path}: {error}") from None
    return parse_heads(text.splitlines(), str(path))


def heads_in_store(record: ProgrammeRecord) -> list[SignedHead]:
    """Every checkpoint event of the log (the chain table is not consulted)."""
    heads: list[SignedHead] = []
    start = 1
    while True:
        page = record.recorder.select_notifications(start, 2000, topics=[_CHECKPOINT_TOPIC])
        if not page:
            return heads
        for notification in page:
            try:
                event: Any = record.mapper.to_domain_event(notification)
                heads.append(SignedHead(
                    event.chain_seq, event.chain_hash, event.position, event.key_id,
                    event.signature, event.root_hash, event.deployment_id, event.signed_at))
            except Exception:  # an unreadable checkpoint witnesses nothing; the chain says why
                log.warning("Checkpoint event %s cannot be read", notification.id)
                continue
        start = page[-1].id + 1


async def publish_head(js: JetStreamContext, head: SignedHead) -> None:
    """Publish a head to LGNET_AUDIT (once: its msg id is the tree size)."""
    body = json.dumps(head.as_json(), sort_keys=True, separators=(",", ":")).encode()
    await js.publish(AUDIT_STREAM_SUBJECTS[0], body, stream=AUDIT_STREAM_NAME,
                     headers={MSG_ID: f"lgnet-head:{head.chain_seq}"})


async def read_audit_stream(js: JetStreamContext) -> list[SignedHead]:
    """Every head stream LGNET_AUDIT holds (direct reads by sequence: no consumer, no wait)."""
    info = await js.stream_info(AUDIT_STREAM_NAME)
    heads: list[SignedHead] = []
    if info.state.messages == 0:
        return heads
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            message = await js.get_msg(AUDIT_STREAM_NAME, seq=seq)
        except Exception:  # a hole: nothing witnessed there
            log.warning("%s holds no message %s", AUDIT_STREAM_NAME, seq)
            continue
        heads.extend(parse_heads([(message.data or b"").decode()], f"{AUDIT_STREAM_NAME} #{seq}"))
    return heads

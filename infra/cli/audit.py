"""`lgnet audit ...`: verify the audit chain and its signed checkpoints (from the event store,
from the NATS stream, or from an evidence bundle), sign a checkpoint now, print the public key,
export an evidence bundle. See docs/audit.md."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

import nats
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.programme import City
from domain.record import ProgrammeRecord
from events.audit_chain import (
    GENESIS_HASH,
    ChainReport,
    chain_headers,
    key_id_of,
    load_public_key,
)
from events.audit_tree import (
    SignedHead,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
)
from infra.audit.chain_store import AuditChainStore
from infra.audit.checkpoints import (
    CheckpointKeyError,
    audit_dir,
    fingerprint_of,
    load_or_create_signing_key,
    open_checkpointer,
    read_first_public_key,
    rotate_key,
)
from infra.audit.evidence import (
    CHECKPOINTS_FILE,
    EVENTS_FILE,
    MANIFEST_FILE,
    PROOFS_FILE,
    PUBLIC_KEY_FILE,
    Selection,
    export_bundle,
    nats_options,
    read_stream_state,
    stored_events,
    unreachable,
    verify_bundle_dir,
)
from infra.audit.verification import (
    Conclusion,
    UnsignedRange,
    compare,
    cyclic_gc_paused,
    verify_store_record,
    verify_stream_record,
)
from infra.audit.witness import (
    Witnessed,
    WitnessError,
    heads_in_store,
    read_audit_stream,
    read_heads_file,
    witness_file,
)
from infra.cli.cities import city_slug
from infra.nats.auth import PLATFORM_USER
from infra.nats.credentials import (
    CREDENTIALS_FILE_NAME,
    url_with_credentials,
    url_without_credentials,
)
from infra.nats.streams import AUDIT_STREAM_NAME
from infra.settings import Settings, load_settings
from infra.store.eventstore import NoEventStore, open_record, open_record_read_only

# Where `lgnet audit verify --nats` takes the observer's password from (or --password-file).
PASSWORD_VARIABLE = "LGNET_AUDIT_NATS_PASSWORD"  # noqa: S105  (a variable's name)

audit_app = typer.Typer(help="Tamper evidence: the audit chain, its signed checkpoints, "
                        "evidence bundles", no_args_is_help=True)


EXIT_TAMPERED = 1  # something does not verify: the first problem is printed, by position
EXIT_CANNOT_CHECK = 3  # no event store, an unreadable input, a NATS server not reached
EXIT_UNSIGNED = 4  # --require-signed: events no signature covers yet
EXIT_KEY_UNCONFIRMED = 5  # --strict: the key is the data dir's, confirmed by no pin


def _cannot(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(EXIT_CANNOT_CHECK)


Result = TypeVar("Result")


@dataclass
class _Key:
    key: Ed25519PublicKey | None
    confirmed: bool
    problem: str | None = None


def _resolve_key(path: Path | None, settings: Settings) -> _Key:
    """The first key (verification follows the record's key rotations from it): the one given
    (confirmed), else the data dir's first, confirmed only by the pinned fingerprint
    (LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT)."""
    try:
        if path is not None:
            return _Key(load_public_key(path.read_bytes()), True)
        key = read_first_public_key(audit_dir(settings))
    except (OSError, ValueError, CheckpointKeyError) as error:
        raise _cannot(f"cannot read the public key: {error}") from None
    pinned = settings.audit_public_key_fingerprint
    if key is None or pinned is None:
        return _Key(key, False)
    if fingerprint_of(key) != pinned.lower():
        return _Key(key, False, f"the public key in {audit_dir(settings)} has fingerprint "
                    f"{fingerprint_of(key)}, not the pinned {pinned}: it was replaced")
    return _Key(key, True)


def _public_key(path: Path | None) -> Ed25519PublicKey | None:
    return _resolve_key(path, load_settings()).key


def _report(source: str, conclusion: Conclusion, *, pending: int = 0) -> bool:
    report = conclusion.report
    for note in conclusion.notes:
        typer.echo(f"{source}: {note}")
    problem = conclusion.first_problem
    if problem is not None:
        typer.echo(f"{source}: FAILED after {report.verified} verified events: "
                   f"{problem.describe()}")
        return False
    keys = sorted({c.statement.key_id for c in report.checkpoints})
    last = max((c.statement.chain_seq for c in report.checkpoints), default=None)
    typer.echo(
        f"{source}: OK, {report.verified} events verified"
        + (f" (chain head {report.head_hash})" if report.verified else "")
        + f"; {len(report.checkpoints)} checkpoints verified"
        + (f", the last at chain seq {last}, key {', '.join(keys)}" if last else "")
        + (f"; {pending} newer events not published yet (not covered)" if pending else "")
    )
    if report.keys is not None and report.keys.rotations:
        typer.echo(f"{source}: {report.keys.rotations} key rotation(s) followed, each signed by "
                   f"the key in force: {' -> '.join(report.keys.key_ids())}")
    if conclusion.unsigned is not None:
        typer.echo(f"{source}: {conclusion.unsigned.describe()}")
    return True


@audit_app.command("verify")
def verify(
    nats_url: Annotated[str | None, typer.Option(
        "--nats", help="Verify stream LGNET on this NATS server (nats://host:port) from its "
        "headers and bodies alone")] = None,
    user: Annotated[str | None, typer.Option(help="NATS user (e.g. observer)")] = None,
    password_file: Annotated[Path | None, typer.Option(
        help="A file holding the NATS password (or set LGNET_AUDIT_NATS_PASSWORD; never on the "
        "command line, where `ps` shows it)")] = None,
    creds: Annotated[Path | None, typer.Option(help="NATS credentials file")] = None,
    consumer_name: Annotated[str, typer.Option(
        help="Name of the ordered consumer (the observer user may only use its own name)")]
        = "observer",
    store: Annotated[bool | None, typer.Option(
        "--store/--no-store", help="Verify the event store the settings point to (the default "
        "without --nats or --bundle)")] = None,
    bundle: Annotated[Path | None, typer.Option(
        help="Verify the evidence bundle in this directory, offline")] = None,
    public_key: Annotated[Path | None, typer.Option(
        help="The platform's public key (PEM, from GET /audit/public-key); default: the one in "
        "the data dir, confirmed by LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT")] = None,
    trust: Annotated[list[Path] | None, typer.Option(
        help="A heads file obtained earlier (lgnet audit heads): the record must extend every "
        "head in it")] = None,
    require_signed: Annotated[bool, typer.Option(
        "--require-signed", help=f"Exit {EXIT_UNSIGNED} when events are not yet covered by a "
        "signature")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help=f"Exit {EXIT_KEY_UNCONFIRMED} when the key is the data dir's and no "
        "pin or --public-key confirms it")] = False,
) -> None:
    """Check the audit chain, the checkpoints' signatures and every witness of the signed heads
    it can reach (the store's checkpoints, stream LGNET_AUDIT, the witness file, --trust files).
    Exit 0: everything verifies; 1: tampering (the first problem, by position); 3: nothing to
    check or an input unreadable; 4: --require-signed and an unsigned tail; 5: --strict and an
    unconfirmed key."""
    password = nats_password(nats_url, password_file)
    settings = load_settings()
    key = _resolve_key(public_key, settings)
    if key.problem is not None:
        typer.echo(f"FAILED: {key.problem}")
        raise typer.Exit(EXIT_TAMPERED)
    if not key.confirmed and key.key is not None and bundle is None:
        typer.echo(f"WARNING: the public key {key_id_of(key.key)} is the one in the data dir "
                   "under audit, and no pinned fingerprint (LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT) "
                   "nor --public-key confirms it: a key replaced there would go unnoticed.")
    heads = _outside_witnesses(settings, nats_url, user, password, creds, trust or [],
                               consumer_name)
    results: list[bool] = []
    unsigned = False
    store_report: ChainReport | None = None
    if bundle is not None:
        bundle_key = key.key if public_key is not None else None
        checked = verify_bundle_dir(bundle, bundle_key)
        conclusion = Conclusion(checked.report)
        if checked.unsigned is not None:
            conclusion.unsigned = UnsignedRange(*checked.unsigned, None, None)
        results.append(_report(f"bundle {bundle}", conclusion))
        unsigned |= conclusion.unsigned is not None
    if store or (store is None and nats_url is None and bundle is None):
        conclusion = _verify_store(settings, key.key, heads)
        results.append(_report("event store", conclusion, pending=conclusion.pending))
        unsigned |= conclusion.unsigned is not None
        store_report = conclusion.report
    if nats_url is not None:
        conclusion = _verify_stream(nats_url, user, password, creds, consumer_name, key.key,
                                    heads)
        results.append(_report(f"NATS {url_without_credentials(nats_url)}", conclusion))
        unsigned |= conclusion.unsigned is not None
        if store_report is not None:
            difference = compare(store_report, conclusion.report)
            results.append(difference is None)
            if difference is not None:
                typer.echo(f"event store vs stream: FAILED: {difference.describe()}")
            else:
                typer.echo("event store vs stream: the same chain")
    if not all(results):
        raise typer.Exit(EXIT_TAMPERED)
    if require_signed and unsigned:
        raise typer.Exit(EXIT_UNSIGNED)
    if strict and not key.confirmed and bundle is None:
        typer.echo("--strict: the key is not confirmed by a pin or --public-key")
        raise typer.Exit(EXIT_KEY_UNCONFIRMED)
    raise typer.Exit(0)


def nats_password(nats_url: str | None, password_file: Path | None) -> str | None:
    """The observer's password from a file or the environment, never from the command line:
    a URL carrying one (nats://user:password@host) is refused."""
    if nats_url is not None and any(urlsplit(server.strip()).password
                                    for server in nats_url.split(",")):
        raise SystemExit("Error: a password in the --nats URL shows in `ps`: give it in "
                         "LGNET_AUDIT_NATS_PASSWORD or --password-file instead.")
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise SystemExit(f"Error: cannot read the password file: {error.strerror}") from None
    return os.environ.get(PASSWORD_VARIABLE) or None


def _outside_witnesses(
    settings: Settings, nats_url: str | None, user: str | None, password: str | None,
    creds: Path | None, trust: list[Path], consumer_name: str,
) -> list[Witnessed]:
    """The heads held outside the event store: the witness file, stream LGNET_AUDIT (on the
    --nats server, else the platform's when it can be reached), the --trust files."""
    heads: list[Witnessed] = []
    try:
        for path in trust:
            heads += [Witnessed(h, f"the trusted heads {path}") for h in read_heads_file(path)]
        path = witness_file(settings)
        if path.exists():
            heads += [Witnessed(h, f"the witness file {path}") for h in read_heads_file(path)]
    except WitnessError as error:
        raise _cannot(str(error)) from None
    url = nats_url or _platform_url_read_only(settings)
    if url is not None:
        try:
            found = _run_to_completion(lambda: _read_audit_stream(
                url, user if nats_url else None, password if nats_url else None,
                creds if nats_url else None, consumer_name))
            heads += [Witnessed(h, f"stream {AUDIT_STREAM_NAME}") for h in found]
        except Exception as error:
            typer.echo(f"Note: stream {AUDIT_STREAM_NAME} not consulted: "
                       f"{unreachable(url, error)}")
    return heads


def _run_to_completion(make: Callable[[], Coroutine[Any, Any, Result]]) -> Result:
    """`asyncio.run(make())`, also when the caller's thread already runs an event loop (the
    command called from async code, as the tests do): there asyncio.run refuses, so the
    coroutine runs on a loop of its own in another thread while the caller waits."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(lambda: asyncio.run(make())).result()


def _platform_url_read_only(settings: Settings) -> str | None:
    """The platform's NATS URL, without creating credentials (verify writes nothing)."""
    if not settings.embedded_nats:
        return settings.effective_nats_url
    path = settings.data_dir / CREDENTIALS_FILE_NAME
    if not path.exists():
        return None
    try:
        password = json.loads(path.read_text())[PLATFORM_USER]
    except (OSError, ValueError, KeyError):
        return None
    return url_with_credentials(f"nats://127.0.0.1:{settings.nats_port}", PLATFORM_USER,
                                password)


async def _read_audit_stream(url: str, user: str | None, password: str | None,
                             creds: Path | None, consumer_name: str) -> list[SignedHead]:
    options = nats_options(user, password, creds, consumer_name, connect_timeout=2)
    async with asyncio.timeout(10):  # a witness out of reach must not hold the verification
        connection = await nats.connect(servers=[s.strip() for s in url.split(",")], **options)
        try:
            return await read_audit_stream(connection.jetstream())
        finally:
            await connection.close()


def _verify_store(settings: Settings, key: Ed25519PublicKey | None,
                  outside: list[Witnessed]) -> Conclusion:
    try:
        record = open_record_read_only(settings)
    except NoEventStore as error:
        raise _cannot(str(error)) from None
    try:
        store = AuditChainStore(record, read_only=True)
        with cyclic_gc_paused():
            heads = outside + [Witnessed(h, "the event store's checkpoints")
                               for h in heads_in_store(record)]
            return verify_store_record(record, store, key, heads)
    finally:
        record.close()


def _verify_stream(
    nats_url: str, user: str | None, password: str | None, creds: Path | None,
    consumer_name: str, key: Ed25519PublicKey | None, heads: list[Witnessed],
) -> Conclusion:
    options = nats_options(user, password, creds, consumer_name)
    with cyclic_gc_paused():
        try:
            messages, state = _run_to_completion(lambda: read_stream_state(
                nats_url, options, consumer_name, 5.0))
        except Exception as error:
            raise _cannot(f"cannot read stream LGNET: {unreachable(nats_url, error)}") from None
        return verify_stream_record(messages, state, key, heads)


def _open_store() -> tuple[ProgrammeRecord, AuditChainStore]:
    record = open_record(load_settings())
    return record, AuditChainStore(record)


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Sign the chain's head now (as the relay does every LGNET_CHECKPOINT_INTERVAL events).
    The checkpoint is recorded in the event store and published by the relay."""
    settings = load_settings()
    record, store = _open_store()
    try:
        head = store.head()
        if head is None:
            raise SystemExit("Nothing has been published yet: there is no chain to sign.")
        checkpointer = open_checkpointer(settings, record)
        position = checkpointer.sign(head)
    finally:
        record.close()
    if position is None:
        typer.echo(f"The chain is already signed at its head, seq {head.chain_seq}.")
    else:
        key_id = checkpointer.key.key_id
        typer.echo(f"Signed the chain at seq {head.chain_seq} (position {head.position}, hash "
                   f"{head.chain_hash}) with key {key_id}; the checkpoint is event "
                   f"{position}, published by the relay.")


@audit_app.command("rotate-key")
def rotate_key_command() -> None:
    """Replace the checkpoint key, with the platform STOPPED (docs/audit.md, "Key rotation"):
    the old key signs the chain's head, then a key-rotation statement naming the new key, which
    is recorded as an event (published by the relay at its next start); the new key pair
    replaces the old one in the data dir, the old public key is kept for verifiers. The pin
    (LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT) keeps naming the first key."""
    settings = load_settings()
    record, _ = _open_store()
    try:
        rotation = rotate_key(settings, record)
    except CheckpointKeyError as error:
        raise SystemExit(f"Error: {error}") from None
    finally:
        record.close()
    typer.echo(f"Rotated the checkpoint key: {rotation.old_key_id} -> {rotation.new_key.key_id} "
               f"(new fingerprint {rotation.new_key.fingerprint}); the rotation is event "
               f"{rotation.position}, signed by the old key after it signed the chain up to seq "
               f"{rotation.chain_seq}. The old public key is kept in {rotation.retired_file}; "
               "the pin stays the first key's. Start the platform again.")


@audit_app.command("public-key")
def public_key_command(
    fingerprint: Annotated[bool, typer.Option(
        "--fingerprint", help="Print the first key's fingerprint instead (the value of "
        "LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT, unchanged by key rotations)")] = False,
) -> None:
    """Print the public key that checkpoints are signed with (PEM), as GET /audit/public-key
    serves it. Creates the key pair on first use."""
    key = load_or_create_signing_key(audit_dir(load_settings()))
    if fingerprint:
        first = read_first_public_key(audit_dir(load_settings()))
        typer.echo(fingerprint_of(first) if first is not None else key.fingerprint)
    else:
        typer.echo(key.public_pem, nl=False)


@audit_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="The directory to write the bundle to")],
    city: Annotated[City | None, typer.Option(
        parser=city_slug, help="Only this city's events")] = None,
    case: Annotated[str | None, typer.Option(help="Only this case's events (its case code)")]
        = None,
    since: Annotated[str | None, typer.Option("--from", help="From this date (YYYY-MM-DD)")]
        = None,
    until: Annotated[str | None, typer.Option("--to", help="To this date, included")] = None,
) -> None:
    """Write an evidence bundle: the selected events with their chain hashes, the checkpoints
    covering them, the public key and a README on verifying it (lgnet audit verify --bundle)."""
    selection = Selection(
        city=city.value if city else None, case_code=case,
        since=_date(since, "--from"), until=_date(until, "--to"),
    )
    settings = load_settings()
    record, store = _open_store()
    try:
        head = store.head()
        if head is None:
            raise SystemExit("Nothing has been published yet: there is no chain to export.")
        # The bundle is bound to a tree head covering everything published: sign one now if
        # the newest does not (the relay publishes the checkpoint as usual).
        checkpointer = open_checkpointer(settings, record)
        checkpointer.sign(head)
        signed = [h for h in heads_in_store(record) if h.root_hash is not None]
        newest = max(signed, key=lambda h: h.chain_seq)
        signing_key = checkpointer.key
        summary = export_bundle(record, store, signing_key, newest, selection, out,
                                bundle_readme, read_first_public_key(audit_dir(settings)))
    finally:
        record.close()
    key = signing_key.public_key
    if summary.events == 0:
        raise SystemExit("No published event matches: nothing exported.")
    typer.echo(f"Exported {summary.events} events and {summary.checkpoints} checkpoints to "
               f"{out} (key {key_id_of(key)}). Verify: lgnet audit verify --bundle {out}")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"Error: {option} {value!r} is not a date (YYYY-MM-DD).") from None


def bundle_readme(selection: Selection) -> str:
    chosen = ", ".join(
        f"{name} {value}"
        for name, value in (("city", selection.city), ("case", selection.case_code),
                            ("from", selection.since), ("to", selection.until))
        if value is not None
    ) or "every published event"
    return f"""# LGNetEA evidence bundle

Events selected: {chosen}.

Files:
- `{EVENTS_FILE}`: one JSON object a line, one published event each, in chain order:
  `chain_seq`, `hash` (hex SHA-256), `previous_hash` (the hash of the chain event before it),
  `headers` (the CloudEvents `ce-*` headers as published on NATS, the chain headers included)
  and `data` (the event's body, parsed).
- `{CHECKPOINTS_FILE}`: the signed checkpoints covering those events, in the same form (a
  checkpoint is itself an event of the chain; its `data` is the signed statement).
- `{MANIFEST_FILE}`: what binds the bundle to a signed tree head: the head (docs/audit.md,
  "Signed checkpoints"), the selection, the chain numbers of the events, the SHA-256 of
  `{EVENTS_FILE}` and `{CHECKPOINTS_FILE}`, and the platform's signature of all that (the
  canonical JSON of every member but `signature`, which holds `"context": "lgnet-bundle-v1"`).
- `{PROOFS_FILE}`: for a partial bundle, each event's inclusion proof in the head's tree (one
  JSON object a line: `chain_seq`, `proof`, hex nodes; RFC 9162 section 2.1.3). A complete
  bundle (events 1 to the head's size) has none: the root is computed from all the events.
- `{PUBLIC_KEY_FILE}`: the Ed25519 public key the platform signs checkpoints with. Compare it with
  the one the platform publishes (GET /audit/public-key) before trusting it.
- `key_rotations.jsonl` and `first_public_key.pem`, after a key rotation only: the rotation
  events (each signed by the key before it) that lead from the first key to `{PUBLIC_KEY_FILE}`;
  a checkpoint is checked with the key in force at its chain seq.

Verify with `lgnet audit verify --bundle <this directory> [--public-key key.pem]`, or by hand:
1. For each line: canonical = UTF-8 JSON, keys sorted, separators "," and ":", non-ASCII
   characters unescaped, of the object made of every header whose name starts with `ce-` except
   `ce-lgnetchainseq` and `ce-lgnethash`, named without the `ce-` prefix, plus
   `"lgnetchainseq": chain_seq` (a number) and `"data": data`. Check that
   SHA-256(bytes of previous_hash || canonical) is `hash`, and that the `ce-lgnetchainseq` and
   `ce-lgnethash` headers say the same.
2. Where two lines have consecutive chain_seq, the second's `previous_hash` is the first's `hash`.
3. For each checkpoint: its `data.key_id` is the first 16 hex digits of the SHA-256 of the raw
   32-byte public key; `data.signature` (hex) is a valid Ed25519 signature, by that key, of the
   canonical JSON of {{"chainseq": data.chain_seq, "hash": data.chain_hash, "key_id":
   data.key_id, "position": data.position}}; and where the bundle holds the event at
   `data.chain_seq`, its hash is `data.chain_hash`.
4. The manifest's signature, the head's signature, and each event's leaf
   SHA-256(0x00 || hash) in the head's tree (its proof, or the root of all the events); that
   the events are exactly those the manifest lists, and the files' SHA-256 are the signed ones.
Events after the head's size are reported as covered by no signature.
The full description is in the platform's docs/audit.md.
"""


# --- signed heads and proofs (docs/audit.md, "Proofs") -------------------------------------------


def _store_heads(record: ProgrammeRecord) -> list[SignedHead]:
    unique = {head.chain_seq: head for head in heads_in_store(record)}
    return [unique[seq] for seq in sorted(unique)]


def _read_only_store() -> tuple[ProgrammeRecord, AuditChainStore]:
    try:
        record = open_record_read_only(load_settings())
    except NoEventStore as error:
        raise _cannot(str(error)) from None
    return record, AuditChainStore(record, read_only=True)


def _json_line(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@audit_app.command("heads")
def heads_command(
    out: Annotated[Path | None, typer.Option(
        help="Also append the heads not yet in this file to it (keep it off the machine: "
        "lgnet audit verify --trust FILE)")] = None,
) -> None:
    """Print the signed heads (checkpoints) of the event store, one JSON object a line, oldest
    first: what the ministry keeps to check the record against later."""
    record, _ = _read_only_store()
    try:
        heads = _store_heads(record)
    finally:
        record.close()
    known: set[int] = set()
    if out is not None and out.exists():
        try:
            known = {head.chain_seq for head in read_heads_file(out)}
        except WitnessError as error:
            raise _cannot(str(error)) from None
    for head in heads:
        typer.echo(_json_line(head.as_json()))
    if out is not None:
        with out.open("a", encoding="utf-8") as file:
            for head in heads:
                if head.chain_seq not in known:
                    file.write(_json_line(head.as_json()) + "\n")


def _head_from(value: str, heads: list[SignedHead]) -> SignedHead:
    """A head given as a tree size (one of the store's heads) or as a file holding one head
    (its last line)."""
    if value.isdigit():
        for head in heads:
            if head.chain_seq == int(value) and head.root_hash is not None:
                return head
        raise _cannot(f"no signed tree head of size {value} in the event store")
    try:
        found = read_heads_file(Path(value))
    except WitnessError as error:
        raise _cannot(str(error)) from None
    if not found or found[-1].root_hash is None:
        raise _cannot(f"{value} holds no signed tree head")
    return found[-1]


@audit_app.command("prove")
def prove(
    event: Annotated[int, typer.Option("--event", help="The event's position (ce-lgnetposition)")],
    head: Annotated[str | None, typer.Option(
        help="The signed head to prove it against: a tree size, or a file with the head "
        "(default: the store's newest)")] = None,
) -> None:
    """Print (JSON) an inclusion proof of one event in a signed head: the event with its
    previous hash, its leaf index, the audit path and the head. An auditor checks it with the
    verifier in docs/audit.md, without the rest of the record."""
    record, store = _read_only_store()
    try:
        heads = _store_heads(record)
        signed = _head_from(head, heads) if head else next(
            (h for h in reversed(heads) if h.root_hash is not None), None)
        if signed is None:
            raise _cannot("the event store holds no signed tree head yet")
        found = next((e for e in stored_events(record, store) if e.position == event), None)
        if found is None or found.link is None or found.message is None:
            raise _cannot(f"no published event at position {event}")
        seq = found.link.chain_seq
        if seq > signed.chain_seq:
            raise _cannot(f"the event (chain seq {seq}) is after the head (size "
                          f"{signed.chain_seq}): wait for the next checkpoint")
        links = store.links(1, signed.chain_seq)
    finally:
        record.close()
    leaves = [leaf_hash(link.chain_hash) for link in links]
    previous = links[seq - 2].chain_hash if seq > 1 else GENESIS_HASH
    typer.echo(_json_line({
        "event": {"chain_seq": seq, "hash": found.link.chain_hash, "previous_hash": previous,
                  "headers": dict(found.message.headers) | chain_headers(seq,
                                                                        found.link.chain_hash),
                  "data": json.loads(found.message.body)},
        "leaf_index": seq - 1,
        "proof": [node.hex() for node in inclusion_proof(leaves, seq - 1)],
        "head": signed.as_json(),
    }))


@audit_app.command("consistency")
def consistency(
    old: Annotated[str, typer.Argument(help="The older head: a tree size or a heads file")],
    new: Annotated[str, typer.Argument(help="The newer head: a tree size or a heads file")],
) -> None:
    """Print (JSON) a consistency proof that the newer signed head extends the older one:
    nothing before the older head was rewritten (RFC 9162 section 2.1.4)."""
    record, store = _read_only_store()
    try:
        heads = _store_heads(record)
        first, second = _head_from(old, heads), _head_from(new, heads)
        if first.chain_seq > second.chain_seq:
            raise _cannot("the older head is larger than the newer one")
        links = store.links(1, second.chain_seq)
    finally:
        record.close()
    leaves = [leaf_hash(link.chain_hash) for link in links]
    if len(leaves) != second.chain_seq or \
            merkle_root(leaves).hex() != second.root_hash:
        typer.echo(f"FAILED: the event store's chain is not the tree of the head of size "
                   f"{second.chain_seq}")
        raise typer.Exit(EXIT_TAMPERED)
    typer.echo(_json_line({
        "old": first.as_json(), "new": second.as_json(),
        "proof": [node.hex() for node in consistency_proof(leaves, first.chain_seq)],
    }))

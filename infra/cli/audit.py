"""`lgnet audit ...`: verify the audit chain and its signed checkpoints (from the event store,
from the NATS stream, or from an evidence bundle), sign a checkpoint now, print the public key,
export an evidence bundle. See docs/audit.md."""

from __future__ import annotations

import asyncio
import os
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.programme import City
from domain.record import ProgrammeRecord
from events.audit_chain import ChainReport, key_id_of, load_public_key
from infra.audit.chain_store import AuditChainStore
from infra.audit.checkpoints import (
    CheckpointKeyError,
    audit_dir,
    load_or_create_signing_key,
    open_checkpointer,
    read_public_key,
)
from infra.audit.evidence import (
    CHECKPOINTS_FILE,
    EVENTS_FILE,
    PUBLIC_KEY_FILE,
    Selection,
    export_bundle,
    read_stream_as,
    unpublished_count,
    verify_bundle_dir,
    verify_messages,
    verify_store,
)
from infra.cli.cities import city_slug
from infra.nats.credentials import url_without_credentials
from infra.settings import load_settings
from infra.store.eventstore import open_record

# Where `lgnet audit verify --nats` takes the observer's password from (or --password-file).
PASSWORD_VARIABLE = "LGNET_AUDIT_NATS_PASSWORD"  # noqa: S105  (a variable's name)

audit_app = typer.Typer(help="Tamper evidence: the audit chain, its signed checkpoints, "
                        "evidence bundles", no_args_is_help=True)


def _public_key(path: Path | None) -> Ed25519PublicKey | None:
    """The key given, else the platform's own (None if it never made one)."""
    try:
        if path is not None:
            return load_public_key(path.read_bytes())
        return read_public_key(audit_dir(load_settings()))
    except (OSError, ValueError, CheckpointKeyError) as error:
        raise SystemExit(f"Error: cannot read the public key: {error}") from None


def _report(source: str, report: ChainReport, *, pending: int = 0) -> bool:
    if report.problem is not None:
        typer.echo(f"{source}: FAILED after {report.verified} verified events: "
                   f"{report.problem.describe()}")
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
        "the data dir")] = None,
) -> None:
    """Check the audit chain and the checkpoints' signatures. Exits 0 only when everything
    verifies; otherwise prints the first problem, by position, and exits 1."""
    password = nats_password(nats_url, password_file)
    results: list[bool] = []
    if bundle is not None:
        key = _public_key(public_key) if public_key is not None else None
        results.append(_report(f"bundle {bundle}", verify_bundle_dir(bundle, key)))
    if store or (store is None and nats_url is None and bundle is None):
        results.append(_verify_store(_public_key(public_key)))
    if nats_url is not None:
        key = _public_key(public_key)
        try:
            messages = asyncio.run(read_stream_as(
                nats_url, user=user, password=password, creds=creds,
                consumer_name=consumer_name,
            ))
        except Exception as error:
            raise SystemExit(f"Error: cannot read stream LGNET at "
                             f"{url_without_credentials(nats_url)}: {type(error).__name__}: "
                             f"{error}") from None
        results.append(_report(f"NATS {url_without_credentials(nats_url)}",
                               verify_messages(messages, key)))
    raise typer.Exit(0 if all(results) else 1)


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


def _verify_store(key: Ed25519PublicKey | None) -> bool:
    record, store = _open_store()
    try:
        report = verify_store(record, store, key)
        return _report("event store", report, pending=unpublished_count(record, store))
    finally:
        record.close()


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


@audit_app.command("public-key")
def public_key_command() -> None:
    """Print the public key that checkpoints are signed with (PEM), as GET /audit/public-key
    serves it. Creates the key pair on first use."""
    typer.echo(load_or_create_signing_key(audit_dir(load_settings())).public_pem, nl=False)


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
    key = load_or_create_signing_key(audit_dir(settings)).public_key
    record, store = _open_store()
    try:
        summary = export_bundle(record, store, key, selection, out, bundle_readme)
    finally:
        record.close()
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
- `{PUBLIC_KEY_FILE}`: the Ed25519 public key the platform signs checkpoints with. Compare it with
  the one the platform publishes (GET /audit/public-key) before trusting it.

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
A subset proves each event's content against its recorded hashes; to prove that the chain
between an event and a checkpoint is unbroken, export (or read from NATS) the whole stretch.
The full description is in the platform's docs/audit.md.
"""

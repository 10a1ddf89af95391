"""`lgnet run` (the whole platform), `lgnet web`, `relay`, `projector`, `partner-feed` (one part
each, as the compose services run them) and `lgnet check` (readiness)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from domain.record import ProgrammeRecord
from domain.vault import PersonalDataVault
from infra.bootstrap import Platform
from infra.cli.demo import load_demo_on_first_start
from infra.cli.platform import configure_logging, make_data_private, open_platform
from infra.nats.credentials import (
    embedded_nats_if_needed,
    nats_banner_lines,
    url_without_credentials,
)
from infra.nats.server import NatsServerError
from infra.readiness import check_readiness
from infra.runtime import run_partner_feed, run_parts
from infra.settings import Settings, load_settings
from infra.store.accounts.demo import (
    DEMO_CREDENTIALS_FILE_NAME,
    create_demo_accounts,
    read_demo_credentials,
)
from infra.store.eventstore import open_record
from infra.store.keyless import KeylessVault
from infra.store.vault import open_vault
from infra.store.writable import unwritable_stores
from projections.projection import Projection
from projections.registry import default_projections
from projections.storage.read_models import ReadModelDatabase, open_read_models
from web.services import PartHealth


def _create_demo_users_on_first_start(platform: Platform) -> None:
    """A platform with no user yet gets the demo users, so that `make run` can be tried at
    once; their credentials go to a private file the banner prints them from."""
    if platform.accounts.has_users():
        return
    create_demo_accounts(platform.accounts, _demo_credentials_file(platform.settings))


def _demo_credentials_file(settings: Settings) -> Path:
    return settings.data_dir / DEMO_CREDENTIALS_FILE_NAME


def _announce(settings: Settings) -> None:
    """The start banner: where to go, and where the secrets are, never a secret itself (the
    output of `lgnet run` ends up in terminals' scrollback and in service logs)."""
    web = f"http://{settings.http_host}:{settings.http_port}/"
    keys = settings.vault_key_path.resolve().parent
    where = ("INSIDE the data dir: move the keys out, docs/operations.md \"Keys\""
             if keys.is_relative_to(settings.data_dir.resolve())
             else "outside the data dir: back it up apart")
    print(
        "\nLGNetEA is running.\n"
        f"  Web:   {web}\n"
        f"  Data:  {settings.data_dir.resolve()}\n"
        f"  Keys:  {keys}  (the vault's master key; {where})",
        flush=True,
    )
    print("\n".join(nats_banner_lines(settings, with_passwords=False)) + "\n", flush=True)
    credentials = read_demo_credentials(_demo_credentials_file(settings))
    if credentials:
        print(f"DEMO users ({', '.join(username for username, *_ in credentials)}): invented "
              "users for trying the platform, never for real data. Their passwords are in "
              f"{_demo_credentials_file(settings)} (mode 0600): `lgnet users demo` prints "
              "them.\n")
    print("Press Ctrl-C to stop.\n", flush=True)


def run() -> None:
    """Run the whole platform: embedded NATS (unless LGNET_NATS_URL is set), relay, projector
    and web app. Loads demo data on first start, and creates demo users where there is none."""
    settings = load_settings()
    configure_logging()
    make_data_private(settings)  # before nats-server, which writes there too, starts
    try:
        with embedded_nats_if_needed(settings) as nats_server:
            platform = open_platform(settings)
            try:
                load_demo_on_first_start(platform)
                _create_demo_users_on_first_start(platform)
                asyncio.run(run_parts(platform, on_ready=lambda: _announce(settings),
                                      nats_server=nats_server))
            finally:
                platform.close()
    except NatsServerError as error:
        raise SystemExit(f"Cannot start NATS: {error}") from None
    print("LGNetEA stopped.")


def web() -> None:
    """Run the web app alone (relay and projector run elsewhere)."""
    _run_part(web=True)


def relay() -> None:
    """Run the outbox relay alone: event store -> JetStream stream LGNET."""
    _run_part(relay=True)


def projector() -> None:
    """Run the projections alone: JetStream -> read models."""
    _run_part(projector=True)


def deployed(settings: Settings) -> Settings:
    """The settings of a deployed part (`lgnet web`, `relay`, `projector`), where what is unset
    takes the safe default `lgnet run` does not: Secure cookies, and a second factor required
    of coordinators, ministry and auditors."""
    if settings.secure_cookies is None:
        # Outside `lgnet run` (a deployment), the session cookie is Secure unless told not to.
        settings = settings.model_copy(update={"secure_cookies": True})
    if settings.second_factor is None:
        # Outside `lgnet run`, coordinators, ministry and auditors must set up a second factor.
        settings = settings.model_copy(update={"second_factor": "required"})
    return settings


def _run_part(*, web: bool = False, relay: bool = False, projector: bool = False) -> None:
    settings = deployed(load_settings())
    # Only the web app reads persons' data: the relay and the projector get no vault key.
    platform = open_platform(settings, vault_keys=web)
    try:
        asyncio.run(run_parts(platform, web=web, relay=relay, projector=projector))
    finally:
        platform.close()


def partner_feed_command() -> None:
    """Run the partner feed alone: stream LGNET -> minimised copies in stream LGNET_PARTNER."""
    configure_logging()
    asyncio.run(run_partner_feed(load_settings()))


# `lgnet check` answers within this many seconds, ready or not (the compose healthcheck allows
# 10).
DEFAULT_CHECK_TIMEOUT = 5.0


def check(
    timeout: Annotated[float, typer.Option(
        help="Seconds to answer within, ready or not")] = DEFAULT_CHECK_TIMEOUT,
) -> None:
    """Readiness check (used by compose healthchecks): settings valid, every store takes a write,
    then store, vault, NATS, relay and projector lag as /health/ready sees them
    (infra/readiness.py). Prints one line per part; exits 0 when all are ready, 1 with one line
    per failing part otherwise, within `timeout` seconds whatever is down (never a
    traceback)."""
    settings = load_settings()
    outcome: list[list[PartHealth]] = []

    def probe() -> None:
        with contextlib.suppress(BaseException):
            # A read-only store or a full disk is found now, not at the first intake (issue 17
            # item 5): a scratch row written and deleted in each store, before readiness.
            if refused := unwritable_stores(settings):
                outcome.append([PartHealth("store", False, line) for line in refused])
                return
            outcome.append(asyncio.run(_readiness_of(settings)))

    # A daemon thread: a store that hangs (an unreachable PostgreSQL) must not hold the exit.
    prober = threading.Thread(target=probe, name="check", daemon=True)
    prober.start()
    prober.join(timeout)
    if not outcome:
        print(f"not ready: no answer within {timeout:g} s (is the store reachable? "
              f"{url_without_credentials(settings.database_url or str(settings.data_dir))})",
              file=sys.stderr, flush=True)
        os._exit(1)  # the daemon thread may still hang in a driver: leave without it
    failing = [part for part in outcome[0] if not part.ok]
    for part in outcome[0]:
        print(f"{part.name}: {'ok' if part.ok else 'NOT READY'}: {part.detail}",
              file=sys.stderr if not part.ok else sys.stdout)
    if failing:
        raise SystemExit(1)
    print("ok")


async def _readiness_of(settings: Settings) -> list[PartHealth]:
    try:
        parts = await asyncio.to_thread(_ReadinessParts.open, settings)
    except Exception as error:  # the store does not open: that is the answer
        return [PartHealth("store", False, f"{type(error).__name__}: "
                           f"{(str(error).splitlines() or [''])[0][:200]}")]
    try:
        return await check_readiness(parts)
    finally:
        parts.close()


@dataclass
class _ReadinessParts:
    """Only what readiness reads, opened without creating anything (not the whole platform:
    the check must answer in seconds)."""

    settings: Settings
    record: ProgrammeRecord
    vault: PersonalDataVault
    read_models: ReadModelDatabase
    projections: list[Projection]

    @classmethod
    def open(cls, settings: Settings) -> _ReadinessParts:
        record = open_record(settings)
        # A part started without the vault's key (relay, projector) checks without it.
        vault: PersonalDataVault = (open_vault(settings) if settings.vault_key_path.exists()
                                    else KeylessVault())
        read_models = open_read_models(settings.database_url,
                                       settings.data_dir / "readmodels.sqlite")
        return cls(settings, record, vault, read_models, default_projections())

    def close(self) -> None:
        close_vault = getattr(self.vault, "close", None)
        if close_vault is not None:
            close_vault()
        self.read_models.close()
        self.record.close()

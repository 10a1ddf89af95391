"""`lgnet run` (the whole platform), `lgnet web`, `relay`, `projector`, `partner-feed` (one part
each, as the compose services run them) and `lgnet check` (readiness)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from infra.bootstrap import Platform, build_platform
from infra.cli.demo import load_demo_on_first_start
from infra.cli.platform import configure_logging, make_data_private, open_platform
from infra.nats.credentials import nats_banner_lines, platform_nats_url, url_without_credentials
from infra.nats.server import NatsServerError
from infra.runtime import embedded_nats_if_needed, run_partner_feed, run_parts
from infra.settings import Settings, load_settings
from infra.store.accounts.demo import (
    DEMO_CREDENTIALS_FILE_NAME,
    create_demo_accounts,
    read_demo_credentials,
)
from infra.store.writable import unwritable_stores


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
        with embedded_nats_if_needed(settings):
            platform = open_platform(settings)
            try:
                load_demo_on_first_start(platform)
                _create_demo_users_on_first_start(platform)
                asyncio.run(run_parts(platform, on_ready=lambda: _announce(settings)))
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


def check() -> None:
    """Readiness check (used by compose healthchecks): settings valid, database and NATS
    reachable. Exits 0 when all are."""
    import nats

    settings = load_settings()
    # A read-only store or a full disk is found now, not at the first intake (and before the
    # platform is built, whose table creation would fail on it with a traceback).
    if unwritable := unwritable_stores(settings):
        raise SystemExit("\n".join(unwritable))
    platform = build_platform(settings, vault_keys=False)  # any service's check: no key needed
    try:
        platform.record.recorder.max_notification_id()
        platform.projected_position()
    finally:
        platform.close()

    async def reach_nats() -> None:
        connection = await nats.connect(
            servers=platform_nats_url(settings).split(","), connect_timeout=3,
            allow_reconnect=False,
        )
        await connection.close()

    try:
        asyncio.run(reach_nats())
    except Exception as error:
        raise SystemExit(
            f"NATS not reachable at {url_without_credentials(settings.effective_nats_url)}: "
            f"{type(error).__name__}"
        ) from None
    print("ok")


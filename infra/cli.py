"""The `lgnet` command line: run the platform or one of its parts, rebuild projections, print
the event contracts, load demo data, manage users, partner API tokens and auditors' grants."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from domain.access import MAX_GRANT_DURATION, GrantRefused
from domain.network import City, Role
from events.asyncapi import asyncapi_document
from events.catalogue import CONTRACTS, json_schemas
from infra.accounts import (
    DEMO_CREDENTIALS_FILE_NAME,
    AccountError,
    Accounts,
    create_demo_accounts,
    generate_password,
    open_accounts,
    read_demo_credentials,
)
from infra.bootstrap import Platform, build_platform
from infra.cli_audit import audit_app
from infra.cli_finance import finance_app
from infra.cli_nats import nats_app, partner_feed_command
from infra.cli_replay import replay_command
from infra.demo import SCALES, DemoReport, DemoScale, load_demo, simulated_days
from infra.nats_auth import nats_banner_lines, platform_nats_url, url_without_credentials
from infra.nats_server import NatsServerError
from infra.runtime import embedded_nats_if_needed, run_parts
from infra.settings import Settings, load_settings
from web.areas.event_docs.pages import asyncapi_yaml

app = typer.Typer(help="LGNetEA coordination platform", no_args_is_help=True)
events_app = typer.Typer(help="The published event contracts", no_args_is_help=True)
projections_app = typer.Typer(help="Read models built from the event stream", no_args_is_help=True)
users_app = typer.Typer(help="People who sign in to the web pages", no_args_is_help=True)
tokens_app = typer.Typer(help="Partner systems' API tokens", no_args_is_help=True)
grants_app = typer.Typer(help="Auditors' time-limited access to a city's identifiers",
                         no_args_is_help=True)
app.add_typer(events_app, name="events")
app.add_typer(nats_app, name="nats")
app.command("partner-feed")(partner_feed_command)
app.add_typer(projections_app, name="projections")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(grants_app, name="grants")
app.add_typer(audit_app, name="audit")
app.add_typer(finance_app, name="finance")
app.command("replay")(replay_command)

# What the first start loads: every city and every kind of work, in seconds.
FIRST_START_DEMO = "small"
DEMO_SEED = 2019
# Refusals listed at the end of a demo run; the rest are counted.
_REFUSALS_SHOWN = 10


class AsyncApiFormat(StrEnum):
    JSON = "json"
    YAML = "yaml"


def _platform(settings: Settings) -> Platform:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return build_platform(settings)


def _load_demo_on_first_start(platform: Platform) -> None:
    if platform.record.recorder.max_notification_id() is not None:
        return
    scale = SCALES[FIRST_START_DEMO]
    _report_demo(platform, scale, _generate_demo(platform, scale, DEMO_SEED))


def _generate_demo(platform: Platform, scale: DemoScale, seed: int) -> DemoReport:
    with tqdm(total=simulated_days(scale), desc=f"Generating the {scale.name} demo",
              unit="day") as bar:
        return load_demo(platform, scale, seed=seed, progress=lambda _day: bar.update())


def _report_demo(platform: Platform, scale: DemoScale, report: DemoReport) -> None:
    """Say what the demo wrote, and any command the domain refused: each is a bug of the
    generator, listed so that it gets fixed."""
    events = platform.record.recorder.max_notification_id() or 0
    minutes, seconds = divmod(round(report.seconds), 60)
    print(f"Demo data ({scale.name}): {events:,} events written in "
          f"{f'{minutes} min ' if minutes else ''}{seconds} s, from {report.commands:,} "
          f"commands ({len(report.refused)} refused).", flush=True)
    for refusal in report.refused[:_REFUSALS_SHOWN]:
        print(f"  refused: {refusal}", file=sys.stderr)
    if len(report.refused) > _REFUSALS_SHOWN:
        print(f"  ... and {len(report.refused) - _REFUSALS_SHOWN} more", file=sys.stderr)


def _create_demo_users_on_first_start(platform: Platform) -> None:
    """A platform with no user yet gets the demo users, so that `make run` can be tried at
    once; their credentials go to a private file the banner prints them from."""
    if platform.accounts.has_users():
        return
    create_demo_accounts(platform.accounts, _demo_credentials_file(platform.settings))


def _demo_credentials_file(settings: Settings) -> Path:
    return settings.data_dir / DEMO_CREDENTIALS_FILE_NAME


def _announce(settings: Settings) -> None:
    web = f"http://{settings.http_host}:{settings.http_port}/"
    print(
        "\nLGNetEA is running.\n"
        f"  Web:   {web}\n"
        f"  Data:  {settings.data_dir.resolve()}",
        flush=True,
    )
    print("\n".join(nats_banner_lines(settings)) + "\n", flush=True)
    credentials = read_demo_credentials(_demo_credentials_file(settings))
    if credentials:
        print("DEMO credentials (invented users for trying the platform; never use them for "
              f"real data; kept in {_demo_credentials_file(settings)}):")
        for username, password, role, city in credentials:
            print(f"  {username:22} {password:22} {role}{f' ({city})' if city else ''}")
        print()
    print("Press Ctrl-C to stop.\n", flush=True)


@app.command()
def run() -> None:
    """Run the whole platform: embedded NATS (unless LGNET_NATS_URL is set), relay, projector
    and web app. Loads demo data on first start, and creates demo users where there is none."""
    settings = load_settings()
    try:
        with embedded_nats_if_needed(settings):
            platform = _platform(settings)
            try:
                _load_demo_on_first_start(platform)
                _create_demo_users_on_first_start(platform)
                asyncio.run(run_parts(platform, on_ready=lambda: _announce(settings)))
            finally:
                platform.close()
    except NatsServerError as error:
        raise SystemExit(f"Cannot start NATS: {error}") from None
    print("LGNetEA stopped.")


@app.command()
def web() -> None:
    """Run the web app alone (relay and projector run elsewhere)."""
    _run_part(web=True)


@app.command()
def relay() -> None:
    """Run the outbox relay alone: event store -> JetStream stream LGNET."""
    _run_part(relay=True)


@app.command()
def projector() -> None:
    """Run the projections alone: JetStream -> read models."""
    _run_part(projector=True)


def _run_part(*, web: bool = False, relay: bool = False, projector: bool = False) -> None:
    settings = load_settings()
    platform = _platform(settings)
    try:
        asyncio.run(run_parts(platform, web=web, relay=relay, projector=projector))
    finally:
        platform.close()


@app.command()
def check() -> None:
    """Readiness check (used by compose healthchecks): settings valid, database and NATS
    reachable. Exits 0 when all are."""
    import nats

    settings = load_settings()
    platform = build_platform(settings)
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


class DemoScaleName(StrEnum):
    SMALL = "small"
    FULL = "full"


@app.command()
def demo(
    scale: Annotated[DemoScaleName, typer.Option(
        help="small: every city, about 260 intakes, seconds (what the first start loads); "
        "full: the whole programme, thousands of cases, minutes")] = DemoScaleName.SMALL,
    seed: Annotated[int, typer.Option(help="Same seed, same data")] = DEMO_SEED,
) -> None:
    """Invent a plausible run of the programme (all 19 cities, 2019-07 to 2021-12) through the
    application services. Only into an empty record: the record is append-only, so demo events
    could never be taken out of real ones. The platform publishes and projects them when it
    runs (lgnet run)."""
    settings = load_settings()
    platform = _platform(settings)
    try:
        held = platform.record.recorder.max_notification_id()
        if held is not None:
            # With PostgreSQL the record is the database's, whatever the data dir.
            elsewhere = ("an empty database (LGNET_DATABASE_URL)" if settings.uses_postgres
                         else "an empty data dir, e.g. LGNET_DATA_DIR=var-demo lgnet demo "
                         f"--scale {scale.value}")
            raise SystemExit(
                f"Refused: the record already holds {held:,} events, and demo data can never be "
                f"taken out of it again (it is append-only). Generate the demo into {elsewhere}.")
        chosen = SCALES[scale.value]
        report = _generate_demo(platform, chosen, seed)
        _report_demo(platform, chosen, report)
    finally:
        platform.close()
    if report.refused:
        raise SystemExit(1)


@events_app.command("schema")
def events_schema() -> None:
    """Print the JSON Schema of every event contract, keyed by CloudEvents type."""
    json.dump(json_schemas(), sys.stdout, indent=2)
    sys.stdout.write("\n")


@events_app.command("asyncapi")
def events_asyncapi(
    output_format: Annotated[AsyncApiFormat, typer.Option(
        "--format", help="json or yaml")] = AsyncApiFormat.JSON,
) -> None:
    """Print the AsyncAPI 3.0 document of every event on NATS (as served at /docs/events)."""
    if output_format is AsyncApiFormat.YAML:
        sys.stdout.write(asyncapi_yaml())
        return
    json.dump(asyncapi_document(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


@projections_app.command("rebuild")
def projections_rebuild() -> None:
    """Drop the read models and rebuild them from the JetStream stream, with a progress bar."""
    from infra.projector import rebuild

    settings = load_settings()
    with embedded_nats_if_needed(settings, reuse_running=True):
        platform = _platform(settings)
        try:
            applied = asyncio.run(
                rebuild(platform.read_models, platform.projections, platform_nats_url(settings))
            )
        finally:
            platform.close()
    print(f"Rebuilt {len(platform.projections)} projections from {applied} events.")


@contextmanager
def _accounts() -> Iterator[Accounts]:
    """The accounts alone: managing users needs neither the event store nor NATS. An account
    command that cannot be carried out stops with its reason."""
    settings = load_settings()
    accounts = open_accounts(settings.database_url, settings.data_dir, lambda: datetime.now(UTC))
    try:
        yield accounts
    except (AccountError, GrantRefused) as error:
        raise SystemExit(f"Error: {error}") from None
    finally:
        accounts.close()


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Lower-case letters, digits, '.', '_', '-'")],
    role: Annotated[Role, typer.Option(help="ministry, city_coordinator, city_operator or "
                                       "auditor")],
    city: Annotated[City | None, typer.Option(help="The city of a coordinator or operator")] = None,
    name: Annotated[str | None, typer.Option(help="The name shown on the pages")] = None,
    generate: Annotated[bool, typer.Option("--generate-password", help="Make up a password and "
                                           "print it, instead of asking for one")] = False,
) -> None:
    """Add a user who signs in with a password (asked for, or generated and printed once)."""
    if generate:
        password = generate_password()
    else:
        password = typer.prompt("Password (12 characters at least)", hide_input=True,
                                confirmation_prompt=True)
    with _accounts() as accounts:
        user = accounts.add_user(username, role, password, city=city, display_name=name)
    print(f"Added {user.username} ({user.role.value}"
          f"{', ' + user.city.value if user.city else ''}).")
    if generate:
        print(f"Password: {password}\n(shown once: hand it over safely; it is stored only hashed)")


@users_app.command("list")
def users_list() -> None:
    """List the users, disabled ones included."""
    with _accounts() as accounts:
        users = accounts.users()
    for user in users:
        print(f"{user.username:24} {user.role.value:17} {(user.city or '') :10} "
              f"{'DISABLED ' if user.disabled else ''}{user.display_name}")
    if not users:
        print("No users yet: lgnet users add USERNAME --role ROLE")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable a user: they cannot sign in any more, and their open sessions end at once."""
    with _accounts() as accounts:
        accounts.disable_user(username)
    print(f"Disabled {username}; their sessions are ended.")


def _published_event_kinds() -> set[str]:
    return {f"{contract.aggregate}.{contract.event}" for contract in CONTRACTS.values()}


@tokens_app.command("issue")
def tokens_issue(
    partner: Annotated[str, typer.Argument(help="The partner organisation's name")],
    city: Annotated[list[City], typer.Option(help="A city the agreement covers (repeat the "
                                             "option for several)")],
    kinds: Annotated[str, typer.Option(help="The event kinds the agreement covers, "
                                       "comma-separated, e.g. case.intake_recorded")],
) -> None:
    """Issue an API token for a partner system. The token is printed once and stored only
    hashed: hand it over safely."""
    event_kinds = {kind.strip() for kind in kinds.split(",") if kind.strip()}
    unknown = event_kinds - _published_event_kinds()
    if unknown:
        raise SystemExit(f"Error: unknown event kinds {', '.join(sorted(unknown))}; the "
                         f"published ones are {', '.join(sorted(_published_event_kinds()))}.")
    with _accounts() as accounts:
        issued = accounts.issue_token(partner, city, event_kinds)
    print(f"Token {issued.details.token_id} for {issued.details.partner}, cities "
          f"{', '.join(sorted(c.value for c in issued.details.agreement.cities))}, kinds "
          f"{', '.join(sorted(issued.details.agreement.event_kinds))}:\n{issued.token}\n"
          "(shown once: it cannot be read back; revoke it with lgnet tokens revoke "
          f"{issued.details.token_id})")


@tokens_app.command("list")
def tokens_list() -> None:
    """List the partner tokens issued (their ids, never the tokens)."""
    with _accounts() as accounts:
        tokens = accounts.tokens()
    for token in tokens:
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
        print(f"{token.token_id}  {token.partner:30} "
              f"{','.join(sorted(c.value for c in token.agreement.cities)):20} "
              f"{','.join(sorted(token.agreement.event_kinds)):30} {state}")
    if not tokens:
        print("No tokens yet: lgnet tokens issue PARTNER --city CITY --kinds KINDS")


@tokens_app.command("revoke")
def tokens_revoke(token_id: str) -> None:
    """Revoke a partner token: it is refused from the next request on."""
    with _accounts() as accounts:
        accounts.revoke_token(token_id)
    print(f"Revoked token {token_id}.")


@grants_app.command("give")
def grants_give(
    auditor: Annotated[str, typer.Argument(help="The auditor's username")],
    city: Annotated[City, typer.Option(help="The city whose identifiers the auditor may read")],
    hours: Annotated[int, typer.Option(
        min=1, max=MAX_GRANT_DURATION // timedelta(hours=1), help="For how many hours")],
    reason: Annotated[str, typer.Option(help="Why (the audit and its reference; never a "
                                        "person's name)")],
    by: Annotated[str, typer.Option(help="The ministry user who gives the grant")],
) -> None:
    """Let an auditor read one city's personal identifiers for a few hours (as the ministry's
    audit page does). Every reading under the grant is logged."""
    with _accounts() as accounts:
        given = accounts.grant_access(by, auditor, city, timedelta(hours=hours), reason)
    print(f"Grant {given.grant_id}: {given.grantee} may read the identifiers of "
          f"{given.city.value} until {given.expires_at:%Y-%m-%d %H:%M} UTC "
          f"(revoke it with lgnet grants revoke {given.grant_id} --by USER).")


@grants_app.command("list")
def grants_list() -> None:
    """List every grant, live or ended, the latest first."""
    now = datetime.now(UTC)
    with _accounts() as accounts:
        grants = accounts.grants()
    for grant in grants:
        if grant.revoked_at:
            state = f"revoked {grant.revoked_at:%Y-%m-%d %H:%M} by {grant.revoked_by}"
        else:
            state = "live" if grant.is_live(now) else "expired"
        print(f"{grant.grant_id}  {grant.grantee:20} {grant.city.value:10} "
              f"{grant.granted_at:%Y-%m-%d %H:%M} -> {grant.expires_at:%Y-%m-%d %H:%M} UTC  "
              f"by {grant.granted_by:15} {state:10}  {grant.reason}")
    if not grants:
        print("No grants yet: lgnet grants give AUDITOR --city CITY --hours N --reason WHY --by "
              "USER")


@grants_app.command("revoke")
def grants_revoke(
    grant_id: str,
    by: Annotated[str, typer.Option(help="The ministry user who revokes the grant")],
) -> None:
    """End a live grant now."""
    with _accounts() as accounts:
        if accounts.revoke_grant(grant_id, by) is None:
            raise AccountError(f"There is no live grant {grant_id}.")
    print(f"Revoked grant {grant_id}.")


def main() -> None:
    app()

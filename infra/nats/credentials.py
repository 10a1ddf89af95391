"""Who connects as whom: every NATS user's password, and the URL each part of the platform
connects with. For the embedded server (`lgnet run`), the passwords are generated once and kept
in the data dir, and its configuration (infra/nats/auth.py's accounts and permissions, with those
passwords) is written there at each start; with LGNET_NATS_URL the credentials are in the URLs
as configured (see compose.yaml)."""

from __future__ import annotations

import json
import os
import secrets
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from infra.nats.auth import (
    CLUSTER_PARTNERS_FILE,
    DEMO_PARTNER,
    INTERNAL_USERS,
    OBSERVER_USER,
    PARTNER_FEED_USER,
    PLATFORM_USER,
    PartnerAccess,
    load_partners,
    save_partners,
    server_config,
)
from infra.nats.server import EmbeddedNats, embedded_server_name, port_is_taken
from infra.nats.streams import PARTNER_STREAM_NAME
from infra.settings import Settings

# In the data dir, for the embedded server. The credentials and the configuration (which holds
# the passwords: nats-server knows no other hash than bcrypt) are readable by their owner only.
PARTNERS_FILE_NAME = "nats-partners.toml"
CREDENTIALS_FILE_NAME = "nats-credentials.json"
SERVER_CONFIG_FILE_NAME = "nats-server.conf"
EMBEDDED_STORE_DIR_NAME = "nats"
EMBEDDED_HOST = "127.0.0.1"


def embedded_partners(settings: Settings) -> list[PartnerAccess]:
    """The partner list in the data dir, created with the demo partner on first use."""
    path = settings.data_dir / PARTNERS_FILE_NAME
    if not path.exists():
        save_partners(path, [DEMO_PARTNER])
    return load_partners(path)


def platform_partners(settings: Settings) -> list[PartnerAccess]:
    """The partner agreements the NATS servers know: the embedded server's list, or the
    cluster's (infra/nats/partners.toml, which its configuration is rendered from)."""
    if settings.embedded_nats:
        return embedded_partners(settings)
    return load_partners(CLUSTER_PARTNERS_FILE)


def embedded_credentials(
    settings: Settings, partners: Sequence[PartnerAccess] | None = None
) -> dict[str, str]:
    """Every user's password for the embedded server: generated on first need, kept (mode 0600)
    in the data dir and reused on later starts. Partners no longer listed lose theirs."""
    if partners is None:
        partners = embedded_partners(settings)
    path = settings.data_dir / CREDENTIALS_FILE_NAME
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    users = [*INTERNAL_USERS, *(partner.name for partner in partners)]
    credentials = {user: stored.get(user) or generate_password() for user in users}
    if credentials != stored:
        _write_private(path, json.dumps(credentials, indent=2) + "\n")
    return credentials


def generate_password() -> str:
    # URL-safe, so it can stand in a nats://user:password@host URL as it is. It starts with a
    # letter: nats-server reads a $VARIABLE's value as a config value, so one starting with a
    # digit or a dash is taken for a number or a date and the server refuses its configuration.
    return "p" + secrets.token_urlsafe(24)


def write_embedded_server_config(settings: Settings) -> Path:
    """Write the embedded server's configuration (mode 0600) and return its path."""
    partners = embedded_partners(settings)
    credentials = embedded_credentials(settings, partners)
    path = settings.data_dir / SERVER_CONFIG_FILE_NAME
    _write_private(
        path,
        "# Written by LGNetEA at each start from nats-partners.toml and nats-credentials.json: "
        "edits are lost.\n"
        # As on EmbeddedNats's command line: a reload (SIGHUP) reads only this file, and takes a
        # server name missing from it for an attempt to change it.
        f"server_name: {json.dumps(embedded_server_name(settings.nats_port))}\n"
        # A fixed budget: left to itself the server takes 75% of the disk free at start, which
        # on a nearly full disk stays tiny after space is freed (docs/operations.md). The store
        # dir is on the command line (-sd); naming it here too is refused as a duplicate.
        f"jetstream: {{\n  max_file_store: {settings.nats_max_file_store}\n}}\n"
        + server_config(credentials, partners),
    )
    return path


def store_dir(settings: Settings) -> Path:
    """Where the embedded server keeps JetStream (and its log and pid file)."""
    return settings.data_dir / EMBEDDED_STORE_DIR_NAME


def embedded_nats_server(settings: Settings) -> EmbeddedNats:
    """The embedded server (not started), its configuration written: JetStream under
    <data_dir>/nats, the accounts and users above."""
    return EmbeddedNats(
        store_dir=store_dir(settings),
        port=settings.nats_port,
        host=EMBEDDED_HOST,
        config_file=write_embedded_server_config(settings),
    )


@contextmanager
def embedded_nats_if_needed(
    settings: Settings, *, reuse_running: bool = False
) -> Iterator[EmbeddedNats | None]:
    """Start the embedded NATS server when no LGNET_NATS_URL is set, with the accounts, users
    and permissions of infra/nats/auth.py (passwords generated once, kept in the data dir). A
    tool run beside a running platform (`reuse_running`) uses the server already listening on
    the embedded port."""
    # Here, not in infra.runtime: the tools that need only NATS (a rebuild) then load no web
    # application, which takes seconds to import.
    if not settings.embedded_nats or (reuse_running and port_is_taken(settings.nats_port)):
        yield None
        return
    server = embedded_nats_server(settings).start()
    try:
        yield server
    finally:
        server.stop()


def reload_embedded_server(settings: Settings) -> bool:
    """Rewrite the configuration and have a running embedded server reload it (SIGHUP), so a
    partner added or removed takes effect at once. False when no embedded server runs."""
    write_embedded_server_config(settings)
    pid_file = EmbeddedNats(
        store_dir=settings.data_dir / EMBEDDED_STORE_DIR_NAME, port=settings.nats_port
    ).pid_file
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return False
    if not _is_nats_server(pid):
        return False  # a stale pid file (the server was killed): never signal a stranger
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return False
    return True


def _is_nats_server(pid: int) -> bool:
    command_line = Path(f"/proc/{pid}/cmdline")
    try:
        return b"nats-server" in command_line.read_bytes()
    except FileNotFoundError:
        # No such process, or no /proc (macOS): then trust a live pid only.
        return Path("/proc").is_dir() is False and _process_exists(pid)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, replacing any earlier one in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
        # On disk before the rename: a crash (or a disk error, tests/faults) soon after the
        # first start must not leave an empty file that stops every later start.
        file.flush()
        os.fsync(file.fileno())
    os.chmod(temporary, 0o600)  # in case it existed with a wider mode
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def url_with_credentials(url: str, user: str, password: str) -> str:
    """Each server of a (comma-separated) NATS URL, with these credentials."""
    servers = []
    for server in url.split(","):
        parts = urlsplit(server.strip())
        host = parts.hostname or EMBEDDED_HOST
        netloc = f"{user}:{password}@{host}" + (f":{parts.port}" if parts.port else "")
        servers.append(urlunsplit((parts.scheme, netloc, parts.path, "", "")))
    return ",".join(servers)


def url_without_credentials(url: str) -> str:
    servers = []
    for server in url.split(","):
        parts = urlsplit(server.strip())
        netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        servers.append(urlunsplit((parts.scheme, netloc, parts.path, "", "")))
    return ",".join(servers)


def _embedded_url(settings: Settings) -> str:
    return f"nats://{EMBEDDED_HOST}:{settings.nats_port}"


def platform_nats_url(settings: Settings) -> str:
    """The URL every platform connection uses: the embedded server as `lgnet-platform`, or
    LGNET_NATS_URL as set (with the platform user's credentials in it, see compose.yaml)."""
    if not settings.embedded_nats:
        return settings.effective_nats_url
    password = embedded_credentials(settings)[PLATFORM_USER]
    return url_with_credentials(_embedded_url(settings), PLATFORM_USER, password)


def partner_feed_nats_url(settings: Settings) -> str:
    """The URL the partner feed publishes with, as the feed user of the partner account: the
    embedded server's, or LGNET_PARTNER_NATS_URL, or else LGNET_NATS_URL (a server without
    accounts)."""
    if not settings.embedded_nats:
        return settings.partner_nats_url or settings.effective_nats_url
    password = embedded_credentials(settings)[PARTNER_FEED_USER]
    return url_with_credentials(_embedded_url(settings), PARTNER_FEED_USER, password)


def public_nats_hosts(settings: Settings) -> tuple[str, str]:
    """The `host:port` of the platform's and of the partners' NATS, as the AsyncAPI document
    names its servers: LGNET_NATS_PUBLIC_HOST when set, else the first server of the URLs the
    platform and the partner feed connect with (credentials left out)."""
    if settings.nats_public_host:
        return settings.nats_public_host, settings.nats_public_host

    def host_of(url: str) -> str:
        first = urlsplit(url.split(",")[0].strip())
        return f"{first.hostname or EMBEDDED_HOST}:{first.port or 4222}"

    internal = host_of(settings.effective_nats_url)
    partner = host_of(settings.partner_nats_url) if settings.partner_nats_url else internal
    return internal, partner


def nats_banner_lines(settings: Settings, *, with_passwords: bool = True) -> list[str]:
    """What `lgnet nats urls` prints about NATS: for the embedded server, the observer's URL (any
    NATS client can watch `lgnet.>` with it) and the demo partner's, credentials included.
    `with_passwords=False`: what `lgnet run` prints, where its output may end up in a log: the
    file that holds the passwords and the command that prints them, never a password."""
    if not settings.embedded_nats:
        return [f"  NATS:  {url_without_credentials(settings.effective_nats_url)}  "
                "(users and passwords as configured on the NATS servers)"]
    if not with_passwords:
        return [
            f"  NATS:  {_embedded_url(settings)}  (users: observer, read-only; the demo partner; "
            f"their passwords are in {settings.data_dir / CREDENTIALS_FILE_NAME}, mode 0600: "
            "`lgnet nats urls` prints their URLs)",
        ]
    credentials = embedded_credentials(settings)
    url = _embedded_url(settings)
    observer = url_with_credentials(url, OBSERVER_USER, credentials[OBSERVER_USER])
    lines = [
        f"  NATS:  {url}  (users and passwords: {settings.data_dir / CREDENTIALS_FILE_NAME})",
        "    observer, read-only, every event as a CloudEvent:  subscribe to lgnet.> on",
        f"      {observer}",
    ]
    demo = next((p for p in embedded_partners(settings) if p.name == DEMO_PARTNER.name), None)
    if demo is not None:
        partner = url_with_credentials(url, demo.name, credentials[demo.name])
        kinds = "every partner kind" if demo.kinds == ("*",) else ", ".join(demo.kinds)
        lines += [
            f"    demo partner ({', '.join(demo.cities)}, {kinds}, minimised):"
            f"  subscribe to {', '.join(demo.subjects())} on",
            f"      {partner}",
            f"      (JetStream: stream {PARTNER_STREAM_NAME}, consumer {demo.consumer_name}, "
            f"inbox prefix {demo.inbox_prefix}; see docs/partners.md)",
        ]
    return lines

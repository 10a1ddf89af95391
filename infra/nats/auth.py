"""Who may do what on NATS: the nats-server configuration with its accounts, users and subject
permissions, for the embedded server (`lgnet run`) and for the compose cluster.

Two accounts, because a NATS account is the only wall nobody can talk through:
- LGNET, the platform's: stream LGNET (`lgnet.>`, every event with its special-category data).
  Users: `lgnet-platform` (relay, projector, web, partner feed: everything) and `observer`
  (auditors, and "any NATS client subscribes to lgnet.>"): core subscribe to `lgnet.>` and
  read-only JetStream on LGNET, publishing nothing.
- PARTNERS: stream LGNET_PARTNER (`partner.>`, minimised copies, see events/partner.py). Users:
  `lgnet-partner-feed` (the feed that fills the stream) and one user per partner agreement.
Why not one account with permissions only: a JetStream consumer delivers to whatever subject its
creator names in the request body, which subject permissions do not check. In one account a
partner could have its consumer deliver onto `lgnet.>` subjects, or an observer have LGNET's full
events delivered onto `partner.>` subjects a partner subscribes to. Across accounts a delivery
stays in the account of its stream.

A partner user (name, cities, kinds) may ONLY:
- core-subscribe to `partner.<city>.<aggregate>.<event>` for its cities and kinds (`<aggregate>.*`
  for every kind of an aggregate, present and future), and to its own inbox prefix
  `_INBOX_<name>.>`. Not `_INBOX.>`: every user of an account shares that namespace, so it would
  see the other partners' replies and deliveries. Its client must set `inbox_prefix`;
- create its consumer on LGNET_PARTNER only in the filtered form
  `$JS.API.CONSUMER.CREATE.LGNET_PARTNER.<name>.<filter>` with a filter among its subjects (the
  server refuses a request whose body names another filter than the subject); the unfiltered
  and legacy forms (`...CREATE.LGNET_PARTNER`, `...CREATE.LGNET_PARTNER.<name>`,
  `...DURABLE.CREATE...`) are not allowed;
- use only its own consumers, named as the user (`<name>`, and `<name>_2`... when the agreement
  has several subjects: a consumer filters on one), for info, delete, pull, acks and flow
  control: a consumer of any name would let it pull, ack or delete another partner's;
- read LGNET_PARTNER's stream info. Nothing else: no `$JS.API.STREAM.MSG.GET` or `DIRECT.GET`
  (they read any message), no stream or consumer listing, no publishing.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import tomllib
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from events.contracts import City
from events.partner import PARTNER_SUBJECT_ROOT, partner_kind_names
from infra.nats.server import EmbeddedNats, embedded_server_name
from infra.nats.streams import PARTNER_STREAM_NAME, STREAM_NAME, STREAM_SUBJECTS
from infra.settings import Settings

PLATFORM_ACCOUNT = "LGNET"
PARTNER_ACCOUNT = "PARTNERS"
PLATFORM_USER = "lgnet-platform"
OBSERVER_USER = "observer"
PARTNER_FEED_USER = "lgnet-partner-feed"
INTERNAL_USERS = (PLATFORM_USER, OBSERVER_USER, PARTNER_FEED_USER)

# In the data dir, for the embedded server. The credentials and the configuration (which holds
# the passwords: nats-server knows no other hash than bcrypt) are readable by their owner only.
PARTNERS_FILE_NAME = "nats-partners.toml"
CREDENTIALS_FILE_NAME = "nats-credentials.json"
SERVER_CONFIG_FILE_NAME = "nats-server.conf"
EMBEDDED_STORE_DIR_NAME = "nats"
EMBEDDED_HOST = "127.0.0.1"

# The compose cluster's configuration and partner list (rendered by `lgnet nats cluster-config`).
CLUSTER_DIR = Path(__file__).resolve().parent
CLUSTER_CONFIG_FILE = CLUSTER_DIR / "cluster.conf"
CLUSTER_PARTNERS_FILE = CLUSTER_DIR / "partners.toml"

_PARTNER_NAME = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
_CITIES = frozenset(typing.get_args(City))


class NatsAuthError(ValueError):
    """Raised for a partner list or agreement that cannot be turned into permissions."""


# --- partner agreements -----------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerAccess:
    """One partner system's NATS agreement. `name` is its NATS user, the name of its
    JetStream consumer(s) and the tail of its inbox prefix. `kinds` are `<aggregate>.<event>`
    (e.g. case.intake_recorded), `<aggregate>.*` for all of an aggregate's partner kinds, or `*`
    for every partner kind (present and future ones: each is minimised, see events/partner.py).
    A wildcard kind also lets one consumer receive several kinds in their order (an erasure
    after its intake): a consumer has one filter subject."""

    name: str
    cities: tuple[str, ...]
    kinds: tuple[str, ...]

    def __post_init__(self) -> None:
        if not _PARTNER_NAME.match(self.name) or self.name in INTERNAL_USERS:
            raise NatsAuthError(
                f"partner name {self.name!r}: 3 to 40 lower-case letters, digits and '-', "
                f"starting with a letter, and not one of {', '.join(INTERNAL_USERS)}"
            )
        if not self.cities or not self.kinds:
            raise NatsAuthError(f"partner {self.name}: give at least one city and one kind")
        unknown_cities = sorted(set(self.cities) - _CITIES)
        if unknown_cities:
            raise NatsAuthError(f"partner {self.name}: unknown cities {unknown_cities}")
        known = partner_kind_names()
        aggregates = {kind.split(".")[0] for kind in known}
        for kind in self.kinds:
            aggregate, _, event = kind.partition(".")
            if kind != "*" and kind not in known and not (event == "*" and aggregate in aggregates):
                raise NatsAuthError(
                    f"partner {self.name}: {kind!r} is not a kind partners may receive "
                    f"({', '.join(sorted(known))}, <aggregate>.* or *)"
                )

    @property
    def inbox_prefix(self) -> str:
        return f"_INBOX_{self.name}"

    @property
    def consumer_name(self) -> str:
        """Its first consumer's name (the only one when the agreement is one subject)."""
        return self.name

    def consumer_names(self) -> list[str]:
        """One consumer per subject of the agreement at most, since a consumer filters on one:
        `<name>`, `<name>_2`, ... The '_' cannot occur in a partner name, so these never
        collide with another partner's."""
        return [self.name] + [f"{self.name}_{n}" for n in range(2, len(self.subjects()) + 1)]

    def subjects(self) -> list[str]:
        """The partner subjects (or subject patterns) this agreement covers."""
        return [
            f"{PARTNER_SUBJECT_ROOT}.{city}.{'>' if kind == '*' else kind}"
            for city in self.cities
            for kind in self.kinds
        ]


# Every partner kind of Firenze: intakes, and the erasures a partner must act on.
DEMO_PARTNER = PartnerAccess(name="demo-firenze", cities=("firenze",), kinds=("*",))

_PARTNERS_FILE_HEADER = """\
# Partner systems that may read minimised events from NATS (stream LGNET_PARTNER, account
# PARTNERS). One [[partner]] per agreement: `name` is the NATS user (and its consumer name),
# `cities` the city slugs, `kinds` <aggregate>.<event>, <aggregate>.* or * (docs/partners.md).
"""


def load_partners(path: Path) -> list[PartnerAccess]:
    """The partner agreements of a TOML file (`[[partner]]` tables)."""
    try:
        document = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise NatsAuthError(f"{path}: {error}") from None
    partners = []
    for entry in document.get("partner", []):
        try:
            partners.append(PartnerAccess(
                name=entry["name"], cities=tuple(entry["cities"]), kinds=tuple(entry["kinds"])
            ))
        except (KeyError, TypeError) as error:
            raise NatsAuthError(
                f"{path}: each [[partner]] needs name, cities, kinds ({error})"
            ) from None
    names = [partner.name for partner in partners]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise NatsAuthError(f"{path}: partner names used twice: {', '.join(duplicates)}")
    return partners


def partners_toml(partners: Iterable[PartnerAccess]) -> str:
    blocks = [_PARTNERS_FILE_HEADER]
    for partner in partners:
        blocks.append(
            "[[partner]]\n"
            f"name = {json.dumps(partner.name)}\n"
            f"cities = {json.dumps(list(partner.cities))}\n"
            f"kinds = {json.dumps(list(partner.kinds))}\n"
        )
    return "\n".join(blocks)


def save_partners(path: Path, partners: Iterable[PartnerAccess]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(partners_toml(partners))


# --- permissions ------------------------------------------------------------------------------

_API = "$JS.API"


def observer_permissions() -> dict[str, Any]:
    """Read-only on LGNET. Its one consumer is named `observer` (durable, or ordered with that
    name): any other name could be the projector's or the partner feed's, and a create request
    naming an idle consumer takes it over. That includes the server-named form
    (`$JS.API.CONSUMER.CREATE.LGNET`), whose body may name one, so it is not allowed either."""
    stream, me = STREAM_NAME, OBSERVER_USER
    return {
        "publish": {"allow": [
            f"{_API}.INFO",
            f"{_API}.STREAM.NAMES",
            f"{_API}.STREAM.INFO.{stream}",
            f"{_API}.STREAM.MSG.GET.{stream}",
            f"{_API}.DIRECT.GET.{stream}",
            f"{_API}.DIRECT.GET.{stream}.>",
            f"{_API}.CONSUMER.NAMES.{stream}",
            f"{_API}.CONSUMER.LIST.{stream}",
            f"{_API}.CONSUMER.INFO.{stream}.*",
            f"{_API}.CONSUMER.CREATE.{stream}.{me}",
            f"{_API}.CONSUMER.CREATE.{stream}.{me}.>",
            f"{_API}.CONSUMER.DURABLE.CREATE.{stream}.{me}",
            f"{_API}.CONSUMER.DELETE.{stream}.{me}",
            f"{_API}.CONSUMER.MSG.NEXT.{stream}.{me}",
            f"$JS.ACK.{stream}.{me}.>",
            f"$JS.FC.{stream}.{me}.*",  # flow-control replies (ordered consumers)
        ]},
        "subscribe": {"allow": [STREAM_SUBJECTS[0], f"_INBOX_{me}.>"]},
    }


def partner_permissions(partner: PartnerAccess) -> dict[str, Any]:
    stream, subjects = PARTNER_STREAM_NAME, partner.subjects()
    allowed = [f"{_API}.STREAM.INFO.{stream}"]
    for me in partner.consumer_names():
        allowed += [
            *(f"{_API}.CONSUMER.CREATE.{stream}.{me}.{subject}" for subject in subjects),
            f"{_API}.CONSUMER.INFO.{stream}.{me}",
            f"{_API}.CONSUMER.DELETE.{stream}.{me}",
            f"{_API}.CONSUMER.MSG.NEXT.{stream}.{me}",
            f"$JS.ACK.{stream}.{me}.>",
            f"$JS.FC.{stream}.{me}.*",
        ]
    return {
        "publish": {"allow": allowed},
        "subscribe": {"allow": [*subjects, f"{partner.inbox_prefix}.>"]},
    }


# --- the configuration ------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvironmentVariable:
    """A value nats-server reads from its environment when it loads the configuration."""

    name: str


Password = str | EnvironmentVariable


def server_config(passwords: Mapping[str, Password], partners: Sequence[PartnerAccess]) -> str:
    """The accounts, users and permissions, as nats-server configuration text. `passwords`
    maps every user (internal ones and partners) to its password or an environment variable."""
    missing = [u for u in (*INTERNAL_USERS, *(p.name for p in partners)) if u not in passwords]
    if missing:
        raise NatsAuthError(f"no password for {', '.join(missing)}")
    accounts = {
        PLATFORM_ACCOUNT: {
            "jetstream": "enabled",
            "users": [
                {"user": PLATFORM_USER, "password": passwords[PLATFORM_USER]},
                {"user": OBSERVER_USER, "password": passwords[OBSERVER_USER],
                 "permissions": observer_permissions()},
            ],
        },
        PARTNER_ACCOUNT: {
            "jetstream": "enabled",
            "users": [
                {"user": PARTNER_FEED_USER, "password": passwords[PARTNER_FEED_USER]},
                *({"user": partner.name, "password": passwords[partner.name],
                   "permissions": partner_permissions(partner)} for partner in partners),
            ],
        },
    }
    return "accounts: " + _render(accounts, 0) + "\n"


def _render(value: Any, depth: int) -> str:
    indent, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, EnvironmentVariable):
        return f"${value.name}"
    if isinstance(value, str):
        return json.dumps(value)  # nats-server reads JSON string escapes
    if isinstance(value, dict):
        lines = [f"{inner}{key}: {_render(item, depth + 1)}" for key, item in value.items()]
        return "{\n" + "\n".join(lines) + f"\n{indent}}}"
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return "[\n" + ",\n".join(f"{inner}{json.dumps(item)}" for item in value) + (
                f"\n{indent}]"
            )
        return "[\n" + "\n".join(f"{inner}{_render(item, depth + 1)}" for item in value) + (
            f"\n{indent}]"
        )
    raise TypeError(f"cannot render {value!r}")


def password_variable(user: str) -> str:
    """The environment variable holding a user's password in the cluster configuration."""
    internal = {
        PLATFORM_USER: "LGNET_NATS_PLATFORM_PASSWORD",
        OBSERVER_USER: "LGNET_NATS_OBSERVER_PASSWORD",
        PARTNER_FEED_USER: "LGNET_NATS_FEED_PASSWORD",
    }
    if user in internal:
        return internal[user]
    # Partner names have no '_' (see PartnerAccess), so no two share a variable.
    return f"LGNET_NATS_PARTNER_{user.upper().replace('-', '_')}_PASSWORD"


def cluster_config(partners: Sequence[PartnerAccess]) -> str:
    """The configuration for the compose cluster: the same accounts and permissions, every
    password read from an environment variable (see password_variable)."""
    users = [*INTERNAL_USERS, *(partner.name for partner in partners)]
    passwords = {user: EnvironmentVariable(password_variable(user)) for user in users}
    variables = ", ".join(password_variable(user) for user in users)
    return (
        "# LGNetEA NATS accounts, users and permissions for the compose cluster.\n"
        "# Generated from infra/nats/partners.toml by `lgnet nats cluster-config`: do not edit.\n"
        f"# Passwords come from the environment: {variables}.\n"
        + server_config(passwords, partners)
    )


# --- the embedded server ----------------------------------------------------------------------


def embedded_partners(settings: Settings) -> list[PartnerAccess]:
    """The partner list in the data dir, created with the demo partner on first use."""
    path = settings.data_dir / PARTNERS_FILE_NAME
    if not path.exists():
        save_partners(path, [DEMO_PARTNER])
    return load_partners(path)


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
    # URL-safe, so it can stand in a nats://user:password@host URL as it is.
    return secrets.token_urlsafe(24)


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
        + server_config(credentials, partners),
    )
    return path


def embedded_nats_server(settings: Settings) -> EmbeddedNats:
    """The embedded server (not started), its configuration written: JetStream under
    <data_dir>/nats, the accounts and users above."""
    return EmbeddedNats(
        store_dir=settings.data_dir / EMBEDDED_STORE_DIR_NAME,
        port=settings.nats_port,
        host=EMBEDDED_HOST,
        config_file=write_embedded_server_config(settings),
    )


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
    os.chmod(temporary, 0o600)  # in case it existed with a wider mode
    os.replace(temporary, path)


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


def nats_banner_lines(settings: Settings) -> list[str]:
    """What `lgnet run` prints about NATS: for the embedded server, the observer's URL (any NATS
    client can watch `lgnet.>` with it) and the demo partner's, credentials included."""
    if not settings.embedded_nats:
        return [f"  NATS:  {url_without_credentials(settings.effective_nats_url)}  "
                "(users and passwords as configured on the NATS servers)"]
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

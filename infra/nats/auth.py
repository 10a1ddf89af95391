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
- pull from, acknowledge on and read the info of its one consumer on LGNET_PARTNER, named as the
  user: a durable PULL consumer that the platform makes with the agreement's subjects as its
  filters (infra/nats/partner_consumers.py). A partner creates, changes and deletes no consumer:
  a consumer it could create could push deliveries to any subject of the account (another
  partner's inbox or subjects), which no subject permission checks.
Nothing else: no stream info, no `$JS.API.STREAM.MSG.GET` or `DIRECT.GET` (they read any
message), no stream or consumer listing, no publishing.

The platform's own consumers on LGNET (projector, partner feed) deliver to inboxes under
`_INBOX_lgnet-platform.` (PLATFORM_INBOX_PREFIX) that the observer may neither publish to nor
subscribe to, and they file only deliveries whose reply subject names their own consumer
(infra/nats/consumer.py, from_own_consumer): the observer may create a push consumer named
`observer`, and its body could aim the deliveries at any subject of the account.

The passwords, the embedded server's files and the URLs each part connects with are in
infra/nats/credentials.py.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from events.contracts import CITY_SLUG_PATTERN
from events.partner import PARTNER_SUBJECT_ROOT, partner_kind_names
from infra.nats.streams import (
    AUDIT_STREAM_NAME,
    PARTNER_STREAM_NAME,
    STREAM_NAME,
    STREAM_SUBJECTS,
)

PLATFORM_ACCOUNT = "LGNET"
PARTNER_ACCOUNT = "PARTNERS"
PLATFORM_USER = "lgnet-platform"
OBSERVER_USER = "observer"
PARTNER_FEED_USER = "lgnet-partner-feed"
INTERNAL_USERS = (PLATFORM_USER, OBSERVER_USER, PARTNER_FEED_USER)
# Where the platform's push consumers on LGNET deliver (infra/nats/consumer.py): an inbox no
# other user of the account may publish or subscribe to.
PLATFORM_INBOX_PREFIX = f"_INBOX_{PLATFORM_USER}"

# The compose cluster's configuration and partner list (rendered by `lgnet nats cluster-config`).
CLUSTER_DIR = Path(__file__).resolve().parent
CLUSTER_CONFIG_FILE = CLUSTER_DIR / "cluster.conf"
CLUSTER_PARTNERS_FILE = CLUSTER_DIR / "partners.toml"

_PARTNER_NAME = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
# A partner's cities are slugs; which cities are partners is the programme's data, not config.
_CITY_SLUG = re.compile(CITY_SLUG_PATTERN)


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
        unknown_cities = sorted(city for city in self.cities if not _CITY_SLUG.match(city))
        if unknown_cities:
            raise NatsAuthError(f"partner {self.name}: not city slugs {unknown_cities}")
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
        """Its consumer's name: the platform makes one durable pull consumer per partner,
        filtered on the agreement's subjects (infra/nats/partner_consumers.py)."""
        return self.name

    def consumer_filters(self) -> list[str]:
        """The agreement's subjects less those another one covers (`partner.firenze.>` covers
        `partner.firenze.case.*`): a consumer's filters must not overlap."""
        subjects = list(dict.fromkeys(self.subjects()))
        return [
            subject for subject in subjects
            if not any(other != subject and subject_covers(other, subject) for other in subjects)
        ]

    def subjects(self) -> list[str]:
        """The partner subjects (or subject patterns) this agreement covers."""
        return [
            f"{PARTNER_SUBJECT_ROOT}.{city}.{'>' if kind == '*' else kind}"
            for city in self.cities
            for kind in self.kinds
        ]


def subject_covers(pattern: str, subject: str) -> bool:
    """Whether the NATS subject pattern `pattern` matches every subject `subject` (itself a
    subject or a pattern) matches: `*` stands for one token, a final `>` for one or more."""
    wanted, given = pattern.split("."), subject.split(".")
    for index, part in enumerate(wanted):
        if part == ">":
            return len(given) > index
        if index >= len(given) or given[index] == ">":
            return False
        if part not in ("*", given[index]):
            return False
    return len(given) == len(wanted)


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
    (`$JS.API.CONSUMER.CREATE.LGNET`), whose body may name one, so it is not allowed either.
    It reads no other consumer's info and lists none (CONSUMER.LIST shows each configuration,
    delivery inboxes included): only the names."""
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
            f"{_API}.CONSUMER.INFO.{stream}.{me}",
            f"{_API}.CONSUMER.CREATE.{stream}.{me}",
            f"{_API}.CONSUMER.CREATE.{stream}.{me}.>",
            f"{_API}.CONSUMER.DURABLE.CREATE.{stream}.{me}",
            f"{_API}.CONSUMER.DELETE.{stream}.{me}",
            f"{_API}.CONSUMER.MSG.NEXT.{stream}.{me}",
            f"$JS.ACK.{stream}.{me}.>",
            f"$JS.FC.{stream}.{me}.*",  # flow-control replies (ordered consumers)
            # The signed heads' witness stream (docs/audit.md), read message by message.
            f"{_API}.STREAM.INFO.{AUDIT_STREAM_NAME}",
            f"{_API}.STREAM.MSG.GET.{AUDIT_STREAM_NAME}",
        ]},
        "subscribe": {"allow": [STREAM_SUBJECTS[0], f"_INBOX_{me}.>"]},
    }


def partner_permissions(partner: PartnerAccess) -> dict[str, Any]:
    """Pull, ack and info on its own consumer, which the platform makes: nothing more."""
    stream, me = PARTNER_STREAM_NAME, partner.consumer_name
    return {
        "publish": {"allow": [
            f"{_API}.CONSUMER.INFO.{stream}.{me}",
            f"{_API}.CONSUMER.MSG.NEXT.{stream}.{me}",
            f"$JS.ACK.{stream}.{me}.>",
        ]},
        "subscribe": {"allow": [*partner.subjects(), f"{partner.inbox_prefix}.>"]},
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

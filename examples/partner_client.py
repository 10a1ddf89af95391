"""A partner system's client: print one city's placements (or another kind) as they arrive.

    python examples/partner_client.py nats://USER:PASSWORD@127.0.0.1:4333 firenze [placement]

Plain nats-py. The URL's user is the partner's NATS user (`lgnet nats urls` prints the demo
one's). The platform made its JetStream consumer: a durable pull consumer named as the user,
filtered on the agreement's subjects, on stream LGNET_PARTNER. The client binds to it (it may
not create one), so the next run resumes after the last event acknowledged; its replies come to
the inbox prefix `_INBOX_<user>`. The consumer delivers every event of the agreement in order:
this client prints those of the city and kind asked and acknowledges the others too (a real
client handles every kind it receives). See docs/partners.md.
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from partner_feed_check import FeedBroken, FeedChecker

STREAM = "LGNET_PARTNER"
# NATS answers nothing to a request the user may not make: the request times out.
REQUEST_TIMEOUT = 5.0


STATE_FILE: Path | None = None


def save_state(checker: FeedChecker) -> None:
    """Keep the chains' ends for the next run (written before the message is acknowledged)."""
    if STATE_FILE is not None:
        temporary = STATE_FILE.with_suffix(".tmp")
        temporary.write_text(json.dumps(checker.state()))
        temporary.replace(STATE_FILE)


class PartnerClientError(Exception):
    """Something the partner must fix (or ask the platform about): printed, exit status 2."""


def covers(pattern: str, subject: str) -> bool:
    """Whether the NATS filter `pattern` takes in every subject `subject` stands for."""
    wanted, given = pattern.split("."), subject.split(".")
    for index, part in enumerate(wanted):
        if part == ">":
            return len(given) > index
        if index >= len(given) or given[index] == ">" or part not in ("*", given[index]):
            return False
    return len(given) == len(wanted)


async def bind(connection: Client, user: str, city: str, aggregate: str) -> Any:
    """The partner's consumer, checked to cover `city` and `aggregate`."""
    js = connection.jetstream(timeout=REQUEST_TIMEOUT)
    try:
        info = await js.consumer_info(STREAM, user)
    except nats.errors.TimeoutError:
        raise PartnerClientError(
            f"no answer about consumer {user} on {STREAM} within {REQUEST_TIMEOUT:.0f} s: NATS "
            "drops a request the user may not make (a refused permission looks like this), or "
            "the server is not reachable. Check the user name and the inbox prefix."
        ) from None
    except nats.js.errors.NotFoundError:
        raise PartnerClientError(
            f"there is no consumer {user} on {STREAM}: the platform makes it for each partner "
            "agreement; ask the platform's operators"
        ) from None
    filters = info.config.filter_subjects or [info.config.filter_subject or ">"]
    asked = f"partner.{city}.{aggregate}.*"
    if not any(covers(pattern, asked) for pattern in filters):
        raise PartnerClientError(
            f"your agreement does not cover {asked}: your consumer receives "
            f"{', '.join(filters)}"
        )
    return await js.pull_subscribe_bind(user, stream=STREAM)


async def follow(
    url: str, city: str, aggregate: str, limit: int | None, checker: FeedChecker | None = None
) -> None:
    user = urlsplit(url).username
    if not user:
        raise PartnerClientError("the URL names no user: nats://USER:PASSWORD@HOST:PORT")

    async def report(error: Exception) -> None:
        # A refused permission comes here (`nats: permissions violation for publish to ...`),
        # asynchronously; the request it refused times out.
        if "permissions violation" in str(error).lower():
            print(f"NATS refused: {error}", file=sys.stderr)

    try:
        connection = await nats.connect(url, inbox_prefix=f"_INBOX_{user}", error_cb=report,
                                        allow_reconnect=False, connect_timeout=REQUEST_TIMEOUT)
    except (nats.errors.Error, OSError) as error:
        raise PartnerClientError(f"cannot connect as {user}: {error}") from None
    try:
        consumer = await bind(connection, user, city, aggregate)
        printed = 0
        asked = f"partner.{city}.{aggregate}.*"
        while limit is None or printed < limit:
            try:
                # No more than it may print: what it fetches, it handles.
                wanted = 10 if limit is None else min(10, limit - printed)
                messages = await consumer.fetch(wanted, timeout=5)
            except nats.errors.TimeoutError:
                continue  # nothing new yet
            for message in messages:
                if checker is not None:
                    try:
                        checker.check(message.subject, message.headers or {}, message.data)
                    except FeedBroken as broken:
                        # Not acknowledged: a next run gets it again, for someone to look at.
                        raise PartnerClientError(f"the feed does not verify: {broken}") from None
                    save_state(checker)
                if covers(asked, message.subject):
                    headers = message.headers or {}
                    event = json.loads(message.data)
                    print(headers.get("ce-time"), headers.get("ce-type"),
                          headers.get("ce-subject"), json.dumps(event, sort_keys=True),
                          flush=True)
                    printed += 1
                    await message.ack_sync()
                else:
                    await message.ack_sync()  # another city or kind of the agreement
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="nats://USER:PASSWORD@HOST:PORT")
    parser.add_argument("city", help="e.g. firenze")
    parser.add_argument("aggregate", nargs="?", default="placement",
                        help="the kind of events: placement (default), case, ...")
    parser.add_argument("--limit", type=int, help="stop after this many events")
    parser.add_argument("--public-key", help="check the feed's chains and signed heads with "
                        "the platform's public key (a PEM file: GET /audit/public-key)")
    parser.add_argument("--chain-state", help="with --public-key: the file where the chains' "
                        "ends are kept from one run to the next")
    arguments = parser.parse_args()
    if bool(arguments.public_key) != bool(arguments.chain_state):
        parser.error("--public-key and --chain-state go together")
    try:
        checker = None
        if arguments.public_key:
            global STATE_FILE
            STATE_FILE = Path(arguments.chain_state)
            state = json.loads(STATE_FILE.read_text()) if STATE_FILE.exists() else None
            checker = FeedChecker(Path(arguments.public_key).read_bytes(), state)
        asyncio.run(follow(arguments.url, arguments.city, arguments.aggregate, arguments.limit,
                           checker))
    except PartnerClientError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

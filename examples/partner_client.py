"""A partner system's client: print one city's placements (or another kind) as they arrive.

    python examples/partner_client.py nats://USER:PASSWORD@127.0.0.1:4333 firenze [placement]

Plain nats-py. The URL's user is the partner's NATS user (`lgnet run` prints the demo one's): its
JetStream consumer is named as the user, durable, so the next run resumes after the last event
acknowledged; its replies come to the inbox prefix `_INBOX_<user>`. See docs/partners.md.
"""

import argparse
import asyncio
import json
from urllib.parse import urlsplit

import nats
import nats.errors

STREAM = "LGNET_PARTNER"


async def follow(url: str, city: str, aggregate: str, limit: int | None) -> None:
    user = urlsplit(url).username
    connection = await nats.connect(url, inbox_prefix=f"_INBOX_{user}")
    try:
        consumer = await connection.jetstream().pull_subscribe(
            f"partner.{city}.{aggregate}.*", durable=user, stream=STREAM
        )
        printed = 0
        while limit is None or printed < limit:
            try:
                wanted = 10 if limit is None else min(10, limit - printed)
                messages = await consumer.fetch(wanted, timeout=5)
            except nats.errors.TimeoutError:
                continue  # nothing new yet
            for message in messages:
                headers = message.headers or {}
                event = json.loads(message.data)
                print(headers.get("ce-time"), headers.get("ce-type"), headers.get("ce-subject"),
                      json.dumps(event, sort_keys=True), flush=True)
                await message.ack()
                printed += 1
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="nats://USER:PASSWORD@HOST:PORT")
    parser.add_argument("city", help="e.g. firenze")
    parser.add_argument("aggregate", nargs="?", default="placement",
                        help="the kind of events: placement (default), case, ...")
    parser.add_argument("--limit", type=int, help="stop after this many events")
    arguments = parser.parse_args()
    asyncio.run(follow(arguments.url, arguments.city, arguments.aggregate, arguments.limit))


if __name__ == "__main__":
    main()

"""The partners' consumers on stream LGNET_PARTNER, made by the platform (issue 18 item 2).

A partner creates no consumer: a consumer delivers to whatever subject its creator names, and a
partner could aim one at another partner's inbox or subjects. So the platform (the feed user of
the partners' account) makes one durable PULL consumer per partner agreement, named as the
partner's NATS user and filtered on the agreement's subjects (PartnerAccess.consumer_filters),
and the partner's permissions allow only pulling from it (`MSG.NEXT`), acknowledging and reading
its info (infra/nats/auth.py).

`ensure_partner_consumers` is run by the partner feed at the start of each session and by
`lgnet nats partner-add`: it creates the missing consumers, brings a changed agreement's filters
up to date (an update keeps the partner's acknowledged position), replaces a push consumer left
from when partners made their own, and deletes those of partners no longer listed."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Sequence
from datetime import datetime

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy
from nats.js.errors import NotFoundError

from infra.nats.auth import PartnerAccess
from infra.nats.streams import PARTNER_STREAM_NAME

log = logging.getLogger(__name__)

# A partner acknowledges each message within this time, or it is delivered again.
PARTNER_ACK_WAIT_SECONDS = 30.0
# Messages a partner may hold unacknowledged at once.
PARTNER_MAX_ACK_PENDING = 1000
# Names of consumers partners once made themselves: `<name>`, `<name>_2`, ...
_PARTNER_MADE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9](_[0-9]+)?$")


def partner_consumer_config(partner: PartnerAccess) -> ConsumerConfig:
    """The durable pull consumer of a partner: every message of its agreement, from the first,
    acknowledged one by one."""
    filters = partner.consumer_filters()
    return ConsumerConfig(
        name=partner.consumer_name,
        durable_name=partner.consumer_name,
        description=f"LGNet partner {partner.name}: made by the platform (docs/partners.md)",
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=PARTNER_ACK_WAIT_SECONDS,
        max_ack_pending=PARTNER_MAX_ACK_PENDING,
        filter_subject=filters[0] if len(filters) == 1 else None,
        filter_subjects=filters if len(filters) > 1 else None,
    )


def _filters_of(info: ConsumerInfo) -> list[str]:
    config = info.config
    return list(config.filter_subjects or ([config.filter_subject] if config.filter_subject
                                           else []))


async def ensure_partner_consumers(
    js: JetStreamContext, partners: Sequence[PartnerAccess]
) -> None:
    """Make every partner's consumer as its agreement says (see the module's docstring)."""
    existing = {info.name: info for info in await js.consumers_info(PARTNER_STREAM_NAME)}
    wanted = {partner.consumer_name: partner for partner in partners}
    for name, info in list(existing.items()):
        # Not made by the platform (a partner made it, when partners could): its delivery
        # settings cannot all be changed by an update, so it is made anew.
        foreign = info.config.description != partner_consumer_config(
            wanted[name]).description if name in wanted else True
        if foreign and _PARTNER_MADE.match(name):
            log.info("Deleting consumer %s on %s: %s", name, PARTNER_STREAM_NAME,
                     "not made by the platform" if name in wanted else "no such agreement")
            await js.delete_consumer(PARTNER_STREAM_NAME, name)
            del existing[name]
    for name, partner in wanted.items():
        current = existing.get(name)
        if current is not None and _filters_of(current) == partner.consumer_filters():
            continue
        log.info("%s partner %s's consumer on %s: %s",
                 "Creating" if current is None else "Updating the filters of", name,
                 PARTNER_STREAM_NAME, ", ".join(partner.consumer_filters()))
        # An update keeps the consumer's acknowledged position.
        await js.add_consumer(PARTNER_STREAM_NAME, partner_consumer_config(partner))


async def replay_partner_consumer(
    js: JetStreamContext,
    partner: PartnerAccess,
    *,
    start_seq: int | None = None,
    start_time: datetime | None = None,
) -> ConsumerInfo:
    """Make a partner's consumer anew, delivering from stream sequence `start_seq`, from the
    messages stored since `start_time`, or (neither) from the first: what a partner asks for
    to replay its feed (`lgnet nats partner-replay`). Its acknowledged position is lost."""
    if start_seq is not None and start_time is not None:
        raise ValueError("give a start sequence or a start time, not both")
    config = partner_consumer_config(partner)
    if start_seq is not None:
        config = config.evolve(deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                               opt_start_seq=start_seq)
    elif start_time is not None:
        config = config.evolve(deliver_policy=DeliverPolicy.BY_START_TIME,
                               opt_start_time=start_time)
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(PARTNER_STREAM_NAME, partner.consumer_name)
    log.info("Replaying partner %s's consumer (%s)", partner.name, config.deliver_policy)
    return await js.add_consumer(PARTNER_STREAM_NAME, config)

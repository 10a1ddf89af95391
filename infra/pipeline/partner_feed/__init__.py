"""The partner feed: copies every partner-visible event of stream LGNET, minimised
(events/partner.py), to stream LGNET_PARTNER, exactly once and in order. `feed.PartnerFeed` runs
sessions one after the other (`session`), each resuming where the partner stream ends
(`positions` finds that place in LGNET).

Stream LGNET_PARTNER (infra/nats/streams.py) holds subjects `partner.<city>.<aggregate>.<event>`
on file storage, kept forever, and lives in the NATS account of the partners (infra/nats/auth.py),
apart from the platform's account where LGNET is: nothing a partner does there can reach an
internal subject.
So the feed holds two connections: one as the platform, to consume LGNET, and one as the feed
user of the partner account, to publish.

How "exactly once, in order" is kept, the way the relay keeps it for LGNET:
- each copy carries `Nats-Msg-Id: lgnet:<position>` (the event's position in the event store,
  read from its `ce-lgnetposition`), and is chained to its predecessor by
  `Nats-Expected-Last-Sequence` (the partner stream's last sequence when the session began, one
  more for each copy after the first; by sequence, not by msg id, for the reason given in
  infra/pipeline/relay.py). The stream refuses anything that does not follow, so it never holds
  a gap, a reordering or a copy twice, even with a whole batch pipelined (js.publish_async)
  before the first ack, or two feeds running;
- the feed keeps no state of its own: every session starts from the partner stream's last
  message, finds where that position is in LGNET (a binary search over LGNET's sequences, whose
  positions increase) and (re)creates its durable consumer on LGNET there. A refused publish, a
  lost ack, a disconnect: the session ends and the next one resumes from the partner stream's
  tail. Copies of positions at or below the tail are dropped, so a LGNET refilled by the relay
  after a NATS crash is not copied twice.

Consuming: a FastStream JetStream durable push consumer on LGNET, acknowledged explicitly (MANUAL:
FastStream's default would terminate a failed message), each source message acked only once its
copy is stored. Deliveries go to a buffer keyed by stream sequence; one worker publishes the next
run of consecutive sequences, so order holds even around redeliveries; a hole in the run (a
delivery lost in flight, or messages deleted from LGNET) is resolved by reading LGNET directly.
"""

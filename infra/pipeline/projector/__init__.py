"""The projector: keeps every read model up to date from the JetStream stream LGNET.

One durable push consumer (FastStream's JetStream subscriber, durable `lgnet-projector`) feeds
every projection. Its messages go into an in-memory buffer keyed by stream sequence; a single
applier takes the next run of consecutive messages, decodes it once and applies it to every
projection in ONE read-model transaction that also moves every projection's tracking position
(`apply_batch_to_all`, run in a worker thread because the database calls are synchronous), and
only then acknowledges the run's messages. One consumer rather than one per projection: the
transport (nats-py's message and header parsing, FastStream's per-message pipeline) is most of
the projector's cost, and it is paid once per message instead of once per message and projection.
The price is that a projection failing holds the others up too: a failed batch is retried for all.

Each projection keeps its own tracking row (the web waits on the lowest position). The consumer
starts after the lowest one, and each projection skips what its own tracking says it has
applied, so a projection added later, or rebuilt alone, is caught up from the stream while the
others carry on.

Acks are explicit, one per message, not one AckPolicy.ALL ack per batch: the server ignores an
ack-all whose delivery sequence is below that of an earlier ack, which is what the acks of
messages delivered before a redelivered batch, and applied after it, look like (seen with
nats-server 2.15: the ack floor stayed at the retried batch, everything after it pending). Those
messages would wait for their ack wait to expire, and with the pending limit reached the consumer
would stall that long. Explicit acks cost little (docs/benchmarks.md).

Order is kept even around failures:
- a batch that fails is rolled back and nak'ed, and nothing after it is applied until its first
  message has been redelivered and the batch applied;
- a message already applied (stream sequence below the next one expected) is acknowledged and
  dropped, so redeliveries and replays change nothing;
- a message missing from the buffer (lost in flight, e.g. across a reconnect, and so only to be
  redelivered after the ack wait) is fetched from the stream before anything after it is applied;
- at start the consumer is recreated after the lowest tracking position the read-model database
  holds, so the database, never the consumer's own state, says where to resume; read models built
  from another history of the stream (a wiped and refilled stream) are refused.

The parts: `feed` (the buffer and the in-order applier), `runner` (the consumer's life: start,
checks, shutdown; the set of projections), `rebuild` (drop and refill read models from the whole
stream with an ordered consumer)."""

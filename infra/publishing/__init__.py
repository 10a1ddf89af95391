"""From domain events to the messages on the bus: which domain events are public and under which
contract (`event_mapping`, one table per context), and the CloudEvent message each becomes
(`messages`). The relay, replay and the auditors' readers all map through here, so they all see
the same bytes."""

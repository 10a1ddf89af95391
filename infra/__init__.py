"""Infrastructure: settings, the composition root, the event store, NATS, the relay, the
projection runners, the personal-data vault and the `lgnet` command line."""

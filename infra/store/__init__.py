"""Where the platform keeps what it cannot rebuild from the stream: the event store (the system of
record), the personal-data vault and the user accounts."""

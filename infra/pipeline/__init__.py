"""How events travel: the relay (event store -> stream LGNET), the projector (LGNET -> read
models), the partner feed (LGNET -> minimised copies in LGNET_PARTNER), and replay (the event
store -> read models as they were at a past moment)."""

"""NATS itself: the embedded server, who may do what on it (accounts, users, permissions), the
streams, and the JetStream helpers that the relay, the projector and the partner feed share.
It knows nothing of what travels through it: it imports neither the pipeline nor the web."""

"""The projector: keeps every read model up to date from stream LGNET, and rebuilds them."""

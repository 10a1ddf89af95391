"""The demo data generator: a plausible, invented run of the whole programme."""

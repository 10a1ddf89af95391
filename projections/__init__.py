"""Read models built from published events only. Each projection applies events in stream order
inside the transaction that also moves its tracking position, so replays change nothing."""

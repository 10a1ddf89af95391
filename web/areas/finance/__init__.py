"""Budget and expenditure: allocations, claims and their decisions, per city and for the
ministry; as pages and as JSON."""

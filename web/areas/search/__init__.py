"""Search and open a case by its code, or (for a city's staff) by a person's identifiers."""

"""The case pages: a city's list, the case page with its history, and what the case page's
forms post (the lifecycle, the person's identifiers). Not part of the OpenAPI schema."""

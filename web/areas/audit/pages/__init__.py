"""The audit pages: the identifier-access log with the grants to auditors, and the event
browser. Not part of the OpenAPI schema."""

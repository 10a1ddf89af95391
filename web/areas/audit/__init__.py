"""Auditing the record: the identifier-access log and the grants to auditors, the event browser,
and the same as JSON."""

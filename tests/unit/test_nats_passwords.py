"""nats-server reads a $VARIABLE's value as a config value: a password starting with a digit or
a dash was taken for a number or a date ("All ISO8601 dates must be in full Zulu form.") and the
cluster's nodes refused to start, now and then (seen in make test-cluster)."""

from __future__ import annotations

import re

from infra.nats.credentials import generate_password


def test_a_generated_password_starts_with_a_letter_and_stays_url_safe() -> None:
    passwords = [generate_password() for _ in range(2000)]
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{32}", p) for p in passwords)
    assert len(set(passwords)) == len(passwords)

"""Tamper evidence: the audit chain as the relay recorded it, its signed checkpoints, reading
the chain back for verification and evidence bundles, and the auditors' event browser."""

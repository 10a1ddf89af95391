"""Documents: files attached to a case (information notice, residence permit, identity
document, medical certificate, ...) or to an expenditure claim (invoice, proof of payment). The
files live encrypted in the vault; the events say what kind of file, how large, its SHA-256 and
its expiry, never its content or the name a user gave it (docs/workflows/documents.md)."""

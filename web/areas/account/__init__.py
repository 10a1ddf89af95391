"""A signed-in person's own account: changing their password (every role that signs in)."""

"""Signing in and out: the sign-in page and what it posts."""

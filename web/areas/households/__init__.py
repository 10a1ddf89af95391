"""Households: who lives with whom, and beds offered to a household together."""

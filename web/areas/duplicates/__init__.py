"""Possible same persons: the matches noted at intake, confirmed or ruled out by a coordinator."""

"""API of the referrals area (being built)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

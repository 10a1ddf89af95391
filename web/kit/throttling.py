"""What a throttled sign-in (or password check) answers: when the next try may come."""

from __future__ import annotations

import math
from datetime import datetime

from fastapi.responses import Response

from domain.access import SignInThrottled


def with_retry_after(refusal: Response, error: SignInThrottled, now: datetime) -> Response:
    """A throttled try's answer, saying in Retry-After when the next may come."""
    until = error.params.get("until")
    if isinstance(until, datetime):
        wait = math.ceil((until - now).total_seconds())
        refusal.headers["Retry-After"] = str(max(wait, 1))
    return refusal

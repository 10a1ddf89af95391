"""Identifiers read on the case page, kept for the page that shows them (Post/Redirect/Get).

Reading a person's identifiers is a POST (logged, for a stated reason) answered 303 to the case
page (or its print view) with a `shown` ticket: the GET shows them for a short while
(SHOWN_FOR), to the session that read them only, never cached. A refresh shows them again
without a second reading in the log; past the while, the page says they are no longer shown and
offers to read them again (a new reading, logged).

The identifiers are held in this process's memory only, for at most SHOWN_FOR, at most
MAX_HELD readings at a time: never on disk, in a URL, a cookie or a log (the ticket is a random
name that says nothing of the person)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from uuid import UUID

from fastapi import FastAPI, Request

from domain.access import Principal

View = TypeVar("View")

SHOWN_FOR = timedelta(minutes=2)
MAX_HELD = 1000
# The query parameter of the page that shows what was read.
SHOWN_PARAMETER = "shown"


@dataclass(frozen=True)
class _Held(Generic[View]):
    case_id: UUID
    reader: tuple[str, str]
    view: View
    until: datetime


class RevealedIdentifiers(Generic[View]):
    """The readings of identifiers waiting to be shown, each under a random ticket."""

    def __init__(self) -> None:
        self._held: dict[str, _Held[View]] = {}
        self._lock = threading.Lock()

    def hold(self, case_id: UUID, reader: tuple[str, str], view: View, now: datetime) -> str:
        ticket = secrets.token_urlsafe(18)
        with self._lock:
            self._forget_expired(now)
            while len(self._held) >= MAX_HELD:  # the oldest goes first
                self._held.pop(next(iter(self._held)))
            self._held[ticket] = _Held(case_id, reader, view, now + SHOWN_FOR)
        return ticket

    def shown(
        self, ticket: str, case_id: UUID, reader: tuple[str, str], now: datetime
    ) -> View | None:
        """What was read under `ticket`, for this case and reader, while it may be shown."""
        with self._lock:
            self._forget_expired(now)
            held = self._held.get(ticket)
        if held is None or held.case_id != case_id or held.reader != reader:
            return None
        return held.view

    def forget(self, case_id: UUID) -> None:
        """Drop every reading of a case (its identifiers were erased)."""
        with self._lock:
            for ticket in [t for t, held in self._held.items() if held.case_id == case_id]:
                del self._held[ticket]

    def _forget_expired(self, now: datetime) -> None:
        for ticket in [t for t, held in self._held.items() if held.until <= now]:
            del self._held[ticket]


_MAKING = threading.Lock()


def revealed_identifiers(app: FastAPI) -> RevealedIdentifiers[object]:
    """The app's readings waiting to be shown (made on first use)."""
    with _MAKING:
        held: RevealedIdentifiers[object] | None = getattr(
            app.state, "revealed_identifiers", None)
        if held is None:
            held = RevealedIdentifiers()
            app.state.revealed_identifiers = held
        return held


def reader_of(request: Request, principal: Principal) -> tuple[str, str]:
    """Who may see a reading: the principal, in the session that made it."""
    session = getattr(request.state, "session", None)
    return (principal.id, getattr(session, "csrf_token", "") or "")

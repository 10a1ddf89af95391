"""Changing one's password, shared by the page and the API: only a person signed in with a
session (never a partner token), given the current password; the new one must differ. Every
other session of the person ends; the one asking stays signed in."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from domain.access import AccessDenied, PasswordChangeRefused
from web.services import SignedInSession, WebServices


def own_session(request: Request) -> SignedInSession:
    session: SignedInSession | None = getattr(request.state, "session", None)
    if session is None:
        raise AccessDenied("Only a person signed in may change their password.")
    return session


async def change_password(
    request: Request, services: WebServices, current: str, new: str, confirmation: str | None
) -> None:
    """Raises AccessDenied, PasswordChangeRefused or SignInThrottled (domain.access)."""
    session = own_session(request)
    if confirmation is not None and confirmation != new:
        raise PasswordChangeRefused("The new password and its confirmation differ.",
                                    field="confirmation")
    await run_in_threadpool(
        services.accounts.change_password, session.principal.id, current, new,
        client_address=request.client.host if request.client else None,
        keep_session=session.token)

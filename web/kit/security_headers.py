"""Security headers on every response the app sends, pages, API, static files and refusals.

The Content-Security-Policy allows scripts, styles, fonts and images from the app only (fonts
and images also as data: URIs, which Bootstrap Italia's CSS embeds): no inline script or style,
no eval. The pages live within it: htmx is configured (meta htmx-config in base.html) to inject
no styles and evaluate nothing, and video.js in Bootstrap Italia's bundle is told to inject no
styles (static/js/before-bootstrap-italia.js)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    # Not no-referrer: under it, browsers send `Origin: null` with a page's own form posts,
    # and the sign-in form's cross-site check relies on the real Origin.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


# Where cookies are Secure (web.kit.authentication.secure_cookies_for), the site is https-only:
# browsers are told to never try it over http again for a year.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


# What an authenticated answer says to caches, API answers included (issue 18 item 8): their
# contents (cases, vulnerabilities, figures) must not be kept by a browser or a proxy.
NOT_STORED = {"Cache-Control": "no-store"}


def authenticated(scope: Scope) -> bool:
    """Whether web.kit.authentication found a principal for the request (it keeps it in the
    request's state, which lives in the scope)."""
    state = scope.get("state")
    return state is not None and state.get("principal") is not None


class SecurityHeaders:
    """ASGI middleware setting SECURITY_HEADERS on every response, NOT_STORED on every response
    to an authenticated request, and Strict-Transport-Security where the platform serves over
    https (directly, or behind a proxy: LGNET_SECURE_COOKIES)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if _served_securely(scope):
                    headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
                if authenticated(scope):
                    for name, value in NOT_STORED.items():
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _served_securely(scope: Scope) -> bool:
    services = getattr(scope["app"].state, "services", None) if "app" in scope else None
    return scope.get("scheme") == "https" or bool(getattr(services, "secure_cookies", False))

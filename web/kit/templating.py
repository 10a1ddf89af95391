"""Page rendering: Jinja2 templates with gettext, as whole pages or as one named block (the
fragment an htmx request swaps in)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from uuid import uuid4

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from domain.access import Permission, Principal, may
from domain.programme import City, TermsInForce
from web.kit.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGE_QUERY_PARAMETER,
    SUPPORTED_LANGUAGES,
    Translator,
    requested_language,
    translator_of,
)
from web.kit.labels import Labels
from web.kit.notices import done_message
from web.kit.routes import route_path

TEMPLATES_DIR = Path(__file__).parents[1] / "templates"
_LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


@pass_context
def _gettext(context: Context, message: str) -> str:
    translator: Translator = context["translator"]
    return translator.translations.gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    translator: Translator = context["translator"]
    return translator.translations.ngettext(singular, plural, count)


def template_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """One environment for every request: the language is not installed in it but read from
    each render's context (`translator`), so concurrent requests in different languages never
    see each other's catalogue."""
    environment = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Multi-line {% trans %} blocks become one-line message ids, as the extractor sees them.
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    return environment


def is_htmx_fragment_request(request: Request) -> bool:
    """An htmx request asks for a fragment, except when htmx restores history: then it needs the
    whole page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def path_with_query(request: Request, **changes: str | int | None) -> str:
    """The current path and query, with some parameters replaced (None removes one)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    items += [(k, str(v)) for k, v in changes.items() if v is not None]
    return request.url.path + ("?" + urlencode(items) if items else "")


class Pages:
    """Renders the templates of every page area with the context they all share."""

    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self.environment = template_environment(templates_dir)

    def render(
        self,
        request: Request,
        template_name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        block: str | None = None,
    ) -> HTMLResponse:
        """The whole page, or only `block` of it (for an htmx swap)."""
        template = self.environment.get_template(template_name)
        full_context = {**self._shared_context(request), **(context or {})}
        if block is None:
            html = template.render(full_context)
        else:
            html = "".join(template.blocks[block](template.new_context(full_context)))
            if full_context["done_notice"]:
                # A fragment updates the page's live region out of band: announced too.
                html += self.environment.get_template("macros/notices.html").module.live_notices(  # type: ignore[attr-defined]
                    full_context["done_notice"], out_of_band=True)
        response = HTMLResponse(html, status_code=status_code)
        # One URL serves a page and its fragments, in two languages: caches must tell them apart.
        response.headers["Vary"] = "HX-Request, Cookie"
        # Pages show special-category data (vulnerabilities): never kept by browsers or proxies.
        response.headers["Cache-Control"] = "no-store"
        remember_language(request, response)
        return response

    @staticmethod
    def _shared_context(request: Request) -> dict[str, Any]:
        translator = translator_of(request)
        principal: Principal | None = getattr(request.state, "principal", None)
        session = getattr(request.state, "session", None)

        def url_for(name: str, /, **params: Any) -> str:
            return route_path(request.app, name, **params)

        def can(permission: Permission, city: str | None = None) -> bool:
            """Whether to offer a link or button: the route behind it checks again."""
            return principal is not None and may(
                principal, permission, City(city) if city else None
            )

        return {
            "request": request,
            "translator": translator,
            "labels": Labels(translator, _terms_of(request)),
            "url_for": url_for,
            "principal": principal,
            # Pages are for people signed in with a session; partners' tokens open the API only.
            "csrf_token": session.csrf_token if session is not None else None,
            # Each form's own key (web.kit.idempotency): sent twice, it is carried out once.
            "new_idempotency_key": lambda: uuid4().hex,
            "can": can,
            "Permission": Permission,
            # What the command that led here did (web.kit.notices), for the live region.
            "done_notice": done_message(request, translator),
            # The read models lag (NATS down, the projector behind): a banner says so.
            "views_delayed": _views_delayed(request),
            "language_links": [
                (language, path_with_query(request, **{LANGUAGE_QUERY_PARAMETER: language}))
                for language in SUPPORTED_LANGUAGES
            ],
        }


def _views_delayed(request: Request) -> bool:
    services = getattr(request.app.state, "services", None)
    delayed = getattr(services, "views_delayed", None)  # an as-of replay has no live views
    return bool(delayed()) if callable(delayed) else False


def _terms_of(request: Request) -> Callable[[], TermsInForce] | None:
    """The programme's terms, read when a page lists or names the cities (they are data: the
    ministry admits new ones)."""
    services = getattr(request.app.state, "services", None)
    return None if services is None else services.programme_terms.terms_in_force


def remember_language(request: Request, response: HTMLResponse) -> None:
    """A language picked with `?lang=` stays picked: it goes into the `lang` cookie."""
    language = requested_language(request)
    if language is not None and request.cookies.get(LANGUAGE_COOKIE) != language:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=_LANGUAGE_COOKIE_MAX_AGE, httponly=True,
            samesite="lax",
        )


def path_of_this_site(
    request: Request, next_path: str | None, *, refused: Callable[[str], bool]
) -> str:
    """`next_path` when it is a path of this site (never another site: an open redirect would
    lend the platform's name to phishing) and `refused` does not reject it; else the home page."""
    home = str(request.app.url_path_for("home"))
    if not next_path or not next_path.startswith("/") or next_path.startswith(("//", "/\\")):
        return home
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or refused(parts.path):
        return home
    return next_path


"""The web app factory: pages (Jinja2 + htmx, Bootstrap Italia), the JSON API under /api/v1,
translations, static files and the one place where errors become HTTP answers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from web.api import api_router
from web.areas.account import pages as account
from web.areas.activities import pages as activities
from web.areas.audit.pages import access_log as audit
from web.areas.audit.pages import event_browser as audit_events
from web.areas.cases.pages import assignment, case_list, case_page, case_summary, personal_data
from web.areas.cases.pages import lifecycle as case_lifecycle
from web.areas.dashboards import donor_pages as donor_report
from web.areas.dashboards import pages as dashboards
from web.areas.deliveries import pages as deliveries
from web.areas.documents import pages as documents
from web.areas.duplicates import pages as duplicates
from web.areas.event_docs import pages as event_docs
from web.areas.finance import grant_pages as grant_finance
from web.areas.finance import pages as finance
from web.areas.households import pages as households
from web.areas.housing import pages as housing
from web.areas.intake import pages as intake
from web.areas.network import pages as network
from web.areas.notes import pages as notes
from web.areas.organisations import pages as organisations
from web.areas.plans import pages as plans
from web.areas.programme import pages as programme
from web.areas.referrals import pages as referrals
from web.areas.search import pages as search
from web.areas.sign_in import pages as sign_in
from web.areas.work_queue import pages as work_queue
from web.kit import as_of, health, live
from web.kit.authentication import Authentication, public_paths_of
from web.kit.errors import install_error_handlers
from web.kit.i18n import Catalogues
from web.kit.idempotency import IdempotentCommands, document_idempotency_keys
from web.kit.outages import AnswerOutages
from web.kit.request_limits import (
    DEFAULT_MAX_BODY_BYTES,
    BodyLimit,
    HeadAsGet,
    ReadOnlyPartners,
)
from web.kit.routes import guard_included_routers
from web.kit.security_headers import SecurityHeaders
from web.kit.templating import Pages
from web.kit.views_delay import DelayedViewsInBody, MarkDelayedViews, document_views_delayed
from web.services import WebServices

STATIC_DIR = Path(__file__).parent / "static"
# Installed by `npm ci` from package.json + package-lock.json (the Makefile does it); served from
# there, never copied into the repository.
NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
VENDOR_PACKAGES = {
    # mount name: (URL path, directory under node_modules)
    "vendor_bootstrap_italia": ("/static/vendor/bootstrap-italia", "bootstrap-italia/dist"),
    "vendor_htmx": ("/static/vendor/htmx", "htmx.org/dist"),
    "vendor_htmx_sse": ("/static/vendor/htmx-ext-sse", "htmx-ext-sse/dist"),
}

API_DESCRIPTION = """\
The LGNetEA coordination platform's API: intakes, cases and the network overview.

Every operation needs credentials, except the event schemas and this document. Partner systems
send their API token as `Authorization: Bearer <token>` and read, in the cities and kinds of
events their agreement covers, a minimised view (no special-category data). Pages' scripts use
the session cookie, and send the session's CSRF token in `X-CSRF-Token` with every POST.

Errors (4xx) carry a translated `message` and the `problems`, each with its `field`. Answers are
in Italian unless `?lang=en` is given (or the `lang` cookie says `en`). Personal identifiers are
written to the encrypted vault and returned only by `POST /api/v1/cases/{case_id}/identifiers`,
to the case's city staff (and to an auditor under a grant of the ministry), for a stated reason
that is logged, with the reader, before they are returned; never to partner systems.

The published event contracts are listed at `/api/v1/events/schemas`; the events on NATS, their
subjects, headers and schemas, are described by the AsyncAPI document at
`/docs/events/asyncapi.json` (readable at `/docs/events`).

Every command (POST, PUT, PATCH, DELETE) takes an `Idempotency-Key` header: sent again with the
same key, it is carried out once and answers as the first time. When a store or the message bus
is out, any operation answers 503 with the same error body and `Retry-After`; a command already
saved answers 201 all the same.
"""


# The page routers, each module's, in the order their routes are matched.
PAGE_AREAS = (
    sign_in, network, intake, case_list, case_page, case_lifecycle, personal_data, referrals,
    housing, activities, audit, event_docs, as_of, audit_events, finance, dashboards, live,
    programme, plans, documents, households, notes, assignment, work_queue, deliveries,
    case_summary, search, duplicates,
    account,
    organisations,
    donor_report,
    grant_finance,
)


class FrontEndPackagesMissing(RuntimeError):
    """Raised when the npm packages the pages need are not installed."""


def create_app(services: WebServices, *, node_modules: Path = NODE_MODULES,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    app = FastAPI(
        title="LGNetEA",
        version="1",
        description=API_DESCRIPTION,
        # Swagger UI and ReDoc load scripts from a CDN and inline; /openapi.json documents the API.
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    app.state.catalogues = Catalogues()
    app.state.pages = Pages()
    install_error_handlers(app)
    as_of.install(app)
    _mount_static_files(app, node_modules)
    for area in PAGE_AREAS:
        app.include_router(area.router)
    app.include_router(api_router())
    app.include_router(health.router)
    # Once every router is in: a request then skips the routers that cannot hold its route.
    guard_included_routers(app)
    document_idempotency_keys(app)
    document_views_delayed(app)
    # The last added runs first: security headers go on everything, refusals of
    # authentication included.
    app.add_middleware(DelayedViewsInBody)  # inside the idempotency: kept with the answer
    app.add_middleware(IdempotentCommands)
    app.add_middleware(as_of.CheckAsOfCookie)
    app.add_middleware(ReadOnlyPartners)
    app.add_middleware(Authentication, public_paths=public_paths_of(app))
    # The services are looked up on the app answering, not kept by the middleware: the tests
    # build one app per worker and give it each test's services (tests/web/conftest.py).
    app.add_middleware(BodyLimit, max_body_bytes=max_body_bytes,
                       upload_limit=lambda scope: scope["app"].state.services.documents.rules
                       .max_bytes)
    app.add_middleware(HeadAsGet)
    app.add_middleware(AnswerOutages)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(MarkDelayedViews)
    return app


def _mount_static_files(app: FastAPI, node_modules: Path) -> None:
    app.mount("/static/app", StaticFiles(directory=STATIC_DIR), name="static")
    for name, (url_path, package_dir) in VENDOR_PACKAGES.items():
        directory = node_modules / package_dir
        if not directory.is_dir():
            raise FrontEndPackagesMissing(
                f"{directory} is missing: install the front-end packages with `npm ci` "
                "(make run and make test do it)."
            )
        app.mount(url_path, StaticFiles(directory=directory), name=name)

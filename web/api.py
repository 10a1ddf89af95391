"""The JSON API, version 1, under /api/v1: for partner systems and scripts. Documented by the
OpenAPI schema at /openapi.json."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.security import APIKeyCookie, HTTPBearer

from web.areas.account import api as account
from web.areas.activities import api as activities
from web.areas.audit import api as audit
from web.areas.cases.api import assignment, care, cases, personal_data
from web.areas.cases.api import lifecycle as case_lifecycle
from web.areas.dashboards import api as indicators
from web.areas.deliveries import api as deliveries
from web.areas.documents import api as documents
from web.areas.duplicates import api as duplicates
from web.areas.event_docs import api as event_schemas
from web.areas.finance import api as finance
from web.areas.households import api as households
from web.areas.housing import api as housing
from web.areas.intake import api as intakes
from web.areas.network import api as network
from web.areas.notes import api as notes
from web.areas.organisations import api as organisations
from web.areas.plans import api as plans
from web.areas.referrals import api as referrals
from web.areas.search import api as search
from web.areas.work_queue import api as work_queue
from web.kit.authentication import SESSION_COOKIE
from web.kit.errors import ErrorBody

API_V1_PREFIX = "/api/v1"
# The published contracts are public; everything else needs credentials.
PUBLIC_AREAS = (event_schemas,)
PROTECTED_AREAS = (
    intakes,
    cases,
    case_lifecycle,
    care,
    personal_data,
    referrals,
    housing,
    activities,
    network,
    audit,
    finance,
    indicators,
    plans,
    documents,
    households,
    notes,
    assignment,
    work_queue,
    deliveries,
    search,
    duplicates,
    account,
    organisations,
)
AREAS = (*PROTECTED_AREAS, *PUBLIC_AREAS)

# These only document the credentials in the OpenAPI schema: web.kit.authentication checks them,
# before any route runs.
_PARTNER_TOKEN = HTTPBearer(
    auto_error=False, scheme_name="partnerToken",
    description="A partner system's API token (lgnet tokens issue)",
)
_SESSION = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, scheme_name="session",
    description="A signed-in user's session; every POST must also send the session's CSRF "
    "token in the X-CSRF-Token header",
)


def api_router() -> APIRouter:
    router = APIRouter(
        prefix=API_V1_PREFIX,
        responses={
            400: {"model": ErrorBody, "description": "The body could not be read (not UTF-8)"},
            404: {"model": ErrorBody, "description": "Unknown city or case (a case of a city you "
                  "may not see is unknown to you)"},
            422: {"model": ErrorBody, "description": "Invalid input, or a rule of the programme "
                  "refused it; nothing was written"},
        },
    )
    for area in PROTECTED_AREAS:
        router.include_router(
            area.router,
            dependencies=[Depends(_PARTNER_TOKEN), Depends(_SESSION)],
            responses={
                401: {"model": ErrorBody, "description": "No credentials, an ended session, or "
                      "an unknown or revoked API token"},
                403: {"model": ErrorBody, "description": "The role, city or partner agreement "
                      "does not cover this; or, with a session, the X-CSRF-Token header is "
                      "missing"},
            },
        )
    for area in PUBLIC_AREAS:
        router.include_router(area.router)
    return router

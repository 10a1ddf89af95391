"""Refusals, in words a coordinator reads: domain errors, invalid input, unknown resources, missing
credentials and access the principal does not have are translated here and mapped to HTTP in one
place, as JSON under /api/ and as a page elsewhere (or, without credentials, a way to sign in).

Every refusal happens before anything is written: the domain checks all its rules before it
saves, input that does not parse never reaches it, and access is checked before either."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.access import AccessDenied
from domain.cases.model import MAX_HOUSEHOLD_SIZE
from domain.programme import DomainError, DomainErrors
from domain.record import ConcurrentChanges
from web.kit.i18n import N_, Translator, translator_of
from web.kit.labels import Labels
from web.kit.templating import Pages, is_htmx_fragment_request
from web.kit.vocabulary import AREAS

# Where a refusal is answered in JSON; everywhere else people read it on a page.
_JSON_PATHS = ("/api/", "/health", "/openapi.json")
JSON_PATHS = _JSON_PATHS


class Problem(BaseModel):
    """One thing wrong with a request."""

    field: str | None = Field(description="The offending field, when there is one")
    code: str = Field(description="What kind of problem: a domain rule's code, or an input check")
    message: str = Field(description="The explanation, in the request's language")


class ErrorBody(BaseModel):
    """The body of every 4xx answer of the API."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "message": "La rete di seconda accoglienza si chiamava SIPROIMI in quella data ...",
                "problems": [{
                    "field": "reception_centre_kind",
                    "code": "reception_name_out_of_period",
                    "message": "La rete di seconda accoglienza si chiamava SIPROIMI in quella "
                               "data ...",
                }],
            }]
        }
    )

    message: str
    problems: list[Problem]


class ResourceNotFound(Exception):
    """Raised when a path names a city, case or page that does not exist."""

    code = "not_found"

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_("There is no such page."))


class UnknownCity(ResourceNotFound):
    """Raised when a path names a city that was never a partner of the network."""

    code = "unknown_city"

    def __init__(self, city: str, cities: Sequence[str]) -> None:
        super().__init__(city)
        self.city = city
        self.cities = cities

    def explain(self, translator: Translator) -> str:
        return translator.gettext(
            N_('"%(city)s" is not a city of the network. The cities are: %(cities)s.'),
            city=self.city,
            cities=", ".join(self.cities),
        )


class UnknownCase(ResourceNotFound):
    """Raised when no case has the id in the path."""

    code = "unknown_case"

    def __init__(self, case_id: str) -> None:
        super().__init__(case_id)
        self.case_id = case_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_('There is no case "%(case_id)s".'), case_id=self.case_id)


class CaseNotYetRecorded(UnknownCase):
    """Raised when someone viewing the record as of a past moment names a case recorded after
    it: the case exists, but did not yet at that moment (issue 14 item 11)."""

    code = "case_not_yet_recorded"

    def __init__(self, case_id: str, case_code: str, moment: datetime) -> None:
        super().__init__(case_id)
        self.case_code = case_code
        self.moment = moment

    def explain(self, translator: Translator) -> str:
        return translator.gettext(
            N_("Case %(case_code)s did not exist yet on %(moment)s: it was recorded later. Go "
               "back to now to see it."),
            case_code=self.case_code, moment=translator.datetime(self.moment, "medium"))


class UnknownReferral(ResourceNotFound):
    """Raised when no referral has the id in the path (or none the principal may see)."""

    code = "unknown_referral"

    def __init__(self, referral_id: str) -> None:
        super().__init__(referral_id)
        self.referral_id = referral_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(
            N_('There is no referral "%(referral_id)s".'), referral_id=self.referral_id
        )


class UnknownActivity(ResourceNotFound):
    """Raised when no activity has the id in the path (or none the principal may see)."""

    code = "unknown_activity"

    def __init__(self, activity_id: str) -> None:
        super().__init__(activity_id)
        self.activity_id = activity_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(
            N_('There is no activity "%(activity_id)s".'), activity_id=self.activity_id
        )


class UnknownDelivery(ResourceNotFound):
    """Raised when no delivery has the id in the path (or none the principal may see)."""

    code = "unknown_delivery"

    def __init__(self, delivery_id: str) -> None:
        super().__init__(delivery_id)
        self.delivery_id = delivery_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(
            N_('There is no delivery "%(delivery_id)s".'), delivery_id=self.delivery_id
        )


class UnknownShelter(ResourceNotFound):
    """Raised when no shelter the principal may see has the id in the path."""

    code = "unknown_shelter"

    def __init__(self, shelter_id: str) -> None:
        super().__init__(shelter_id)
        self.shelter_id = shelter_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(
            N_('There is no shelter "%(shelter_id)s".'), shelter_id=self.shelter_id
        )


class UnknownClaim(ResourceNotFound):
    """Raised when no claim the principal may see has the id in the path (the finance and the
    documents areas name claims)."""

    code = "unknown_claim"

    def __init__(self, claim_id: str) -> None:
        super().__init__(claim_id)
        self.claim_id = claim_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_('There is no claim "%(claim_id)s".'),
                                  claim_id=self.claim_id)


class UnknownGrant(ResourceNotFound):
    """Raised when no live grant has the id in the path (unknown, expired or revoked)."""

    code = "unknown_grant"

    def __init__(self, grant_id: str) -> None:
        super().__init__(grant_id)
        self.grant_id = grant_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(
            N_('There is no live grant "%(grant_id)s": it has expired or been revoked.'),
            grant_id=self.grant_id,
        )


class NotSignedIn(Exception):
    """Raised when a request that needs a signed-in user or a partner token has neither: no
    credentials, a session that has ended, or an API token that is unknown or revoked."""

    def __init__(self, *, session_ended: bool = False, invalid_token: bool = False,
                 token_expired_at: datetime | None = None,
                 second_factor_pending: bool = False) -> None:
        super().__init__("not signed in")
        # The password was right; the second factor's code is still awaited (no session yet).
        self.second_factor_pending = second_factor_pending
        self.session_ended = session_ended
        self.invalid_token = invalid_token
        # When the token was right but expired (it is then invalid_token too).
        self.token_expired_at = token_expired_at

    @property
    def code(self) -> str:
        if self.token_expired_at is not None:
            return "token_expired"
        if self.invalid_token:
            return "invalid_token"
        if self.second_factor_pending:
            return "second_factor_code_required"
        return "session_ended" if self.session_ended else "not_signed_in"

    def explain(self, translator: Translator) -> str:
        if self.token_expired_at is not None:
            return translator.gettext(N_(
                "The API token expired on %(expired_at)s: use the new token the platform gave "
                "your organisation (lgnet tokens rotate), or ask for one."),
                expired_at=translator.datetime(self.token_expired_at))
        if self.invalid_token:
            return translator.gettext(N_("The API token is unknown or has been revoked."))
        if self.second_factor_pending:
            return translator.gettext(N_(
                "Enter the code of your second factor on the sign-in page to finish signing "
                "in."))
        if self.session_ended:
            return translator.gettext(N_(
                "Your session has ended (after a while without activity, or at sign-out): "
                "sign in again."))
        return translator.gettext(N_(
            "Sign in first (partner systems: send your API token as Authorization: Bearer)."))


class SecondFactorEnrolmentRequired(Exception):
    """Raised when a session must set up its person's second factor before anything else
    (LGNET_SECOND_FACTOR=required): pages lead to the enrolment page, the API answers 403."""

    code = "second_factor_enrolment_required"

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_(
            "Set up the second factor first, on the page Second factor (/account/second-factor):"
            " nothing else can be done until then."))


class CsrfRejected(Exception):
    """Raised when an unsafe request made with a session cookie lacks the session's CSRF token,
    or when a sign-in form is posted from another site."""

    code = "csrf_rejected"

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_(
            "This request did not carry the security token of your session, so it was not "
            "carried out: reload the page and try again."))


class RequestTooLarge(Exception):
    """Raised when a form is larger than any form of the platform can be."""

    code = "too_large"

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_("The request is too large."))


class BodyTooLarge(StarletteHTTPException):
    """Raised when a request's body is larger than its route accepts (web.kit.request_limits):
    `limit` bytes."""

    code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(413)
        self.limit = limit

    def explain(self, translator: Translator) -> str:
        kilobytes = -(-self.limit // 1024)
        return translator.gettext(
            N_("The request is too large: at most %(kilobytes)s KB are accepted here."),
            kilobytes=translator.number(kilobytes))


_NOT_A_COUNTRY = N_(
    "Choose the citizenship among the countries offered (an ISO 3166-1 two-letter code, such "
    "as ER for Eritrea), or no citizenship."
)

# The domain names each rule it refuses to break by a code; some codes cover several checks, told
# apart by the field the domain blames. (code, field) wins over (code, None).
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("several_problems", None): N_(
        "The request breaks several rules of the programme: see each field."),
    ("concurrent_changes", None): N_(
        "Others changed the same records at the same moment: nothing was saved. Try again."
    ),
    ("inconsistent_reception_history", None): N_(
        "The reception details do not fit the reception situation. For someone hosted in a "
        "centre give the kind of centre; for someone about to leave it, also the planned exit "
        "date, not before the intake date; for someone who has left it, the date they left, not "
        "after the intake date; for someone never in reception, none of these."
    ),
    ("reception_name_out_of_period", None): N_(
        "The centre did not have that name on that date: the second-line network was called "
        "SPRAR until 4 October 2018, SIPROIMI from 5 October 2018 (d.l. 113/2018) and SAI from "
        "22 October 2020 (d.l. 130/2020). Choose the name it had on the day the person left it "
        "(or on the intake date, if they are still there)."
    ),
    ("invalid_protection_status", "permit_expires_on"): N_(
        "The permit's expiry does not fit the status: a person without a valid permit has no "
        "expiry, and a humanitarian protection permit counts only until it expires (d.l. "
        "113/2018, art. 1 c.8), so give its expiry, which cannot have passed."
    ),
    ("invalid_protection_status", "citizenship"): N_(
        "A stateless person has no citizenship: choose \"No citizenship\"."
    ),
    ("invalid_protection_status", None): N_(
        "This status could not be granted on that date: humanitarian protection was abolished "
        "on 5 October 2018 (d.l. 113/2018), which introduced special protection, the special "
        "cases and the permits of art. 19 c.2 d-bis, 20-bis and 42-bis TUI."
    ),
    ("information_notice_missing", "information_notice_language"): N_(
        "Choose the language the information notice was given in."
    ),
    ("information_notice_missing", None): N_(
        "Record when the information notice (GDPR art. 13) was given to the person: at the "
        "latest on the intake date, when their data is collected."
    ),
    ("consent_not_the_basis", None): N_(
        "Consent is asked only for what rests on it (such as sharing the case with a named "
        "partner, or photographs): case management rests on the city's public task."
    ),
    ("invalid_intake", "intake_date"): N_("The intake date cannot be in the future."),
    ("invalid_intake", "birth_date"): N_("The birth date cannot come after the intake date."),
    ("implausible_birth_date", None): N_(
        "The birth date is more than 120 years before the intake date: check the year."
    ),
    ("invalid_intake", "household_size"): N_(
        "The household must count between 1 and %(max_household_size)s people."
    ),
    ("invalid_intake", "citizenship"): _NOT_A_COUNTRY,
    ("invalid_intake", "document_number"): N_(
        "The person is recorded as having no identity document: leave the document number "
        "empty, or say that they have one."
    ),
    ("invalid_intake", "vulnerabilities"): N_(
        "The person is an adult by birth date: they cannot be recorded as a minor or an "
        "unaccompanied minor."
    ),
    ("invalid_intake", None): N_("The intake's facts contradict each other."),
    ("personal_data_already_erased", None): N_(
        "The person's identifiers have already been erased: there is nothing left to erase."
    ),
    ("invalid_erasure_request", "requested_on"): N_(
        "The erasure request cannot be dated in the future."
    ),
    ("erasure_request_before_intake", None): N_(
        "The erasure request cannot be dated before the intake (%(intake_date)s): there was no "
        "data of the person's to erase yet."
    ),
    ("invalid_erasure_request", None): N_(
        "Give the reference (protocol number) of the erasure request, in at most 60 characters."
    ),
    ("grant_refused", "grantee"): N_(
        "There is no active auditor with this username: grants go to auditors only."
    ),
    ("grant_refused", "reason"): N_(
        "State why the auditor needs the identifiers, in at most %(max_length)s characters."
    ),
    ("grant_refused", "hours"): N_("A grant lasts from 1 to %(max_hours)s hours."),
    ("grant_refused", None): N_("You may not give or revoke grants."),
    ("access_denied", "vulnerability"): N_(
        "Vulnerabilities are special-category data that your agreement does not cover: you "
        "cannot filter by them."
    ),
    ("access_denied", None): N_(
        "You may not do this: your role, your city or your agreement does not cover it."
    ),
    ("sign_in_refused", None): N_(
        "Wrong username or password, or the account is disabled."
    ),
    ("password_change_refused", "current_password"): N_(
        "The current password is not right."),
    ("password_change_refused", "new_password"): N_(
        "A new password has at least %(min_length)s characters (at most %(max_length)s) and "
        "differs from the current one."),
    ("password_change_refused", "confirmation"): N_(
        "The new password and its confirmation differ."),
    ("second_factor_needed", None): N_(
        "Enter the code of your second factor on the sign-in page to finish signing in."),
    ("second_factor_refused", "code"): N_(
        "The code is not right, or it has already been used: enter the code the app shows now, "
        "or one of the recovery codes."),
    ("second_factor_refused", "secret"): N_(
        "The secret is not one the platform made: open the page again."),
    ("second_factor_refused", "ticket"): N_(
        "The sign-in has expired: enter the username and password again."),
    ("second_factor_refused", None): N_(
        "A second factor is already set up for this account."),
    ("partner_token_expired", None): N_(
        "The API token expired on %(expired_at)s: use the new token the platform gave "
        "your organisation (lgnet tokens rotate), or ask for one."),
    ("sign_in_throttled", None): N_(
        "Too many failed sign-ins for this account or from this address: signing in is locked "
        "until %(until)s. If you have forgotten your password, ask your coordinator."
    ),
    **{key: message for area in AREAS for key, message in area.DOMAIN_MESSAGES.items()},
}

_UNTRANSLATED_DOMAIN_ERROR = N_("This breaks a rule of the programme: %(detail)s")


def explain_domain_error(error: DomainError, translator: Translator) -> Problem:
    field = error.params.get("field")
    field = field if isinstance(field, str) else None
    message = DOMAIN_MESSAGES.get((error.code, field)) or DOMAIN_MESSAGES.get((error.code, None))
    if message is None:
        text = translator.gettext(_UNTRANSLATED_DOMAIN_ERROR, detail=error.message)
    else:
        text = translator.gettext(message, **_domain_message_params(error, translator))
    return Problem(field=field, code=error.code, message=text)


def explain_domain_errors(error: DomainError, translator: Translator) -> list[Problem]:
    """Each problem of a refusal: the several rules of a DomainErrors, or the one rule broken."""
    if isinstance(error, DomainErrors):
        return [explain_domain_error(problem, translator) for problem in error.problems]
    return [explain_domain_error(error, translator)]


def _domain_message_params(error: DomainError, translator: Translator) -> dict[str, object]:
    times = {name: translator.time(value) for name, value in error.params.items()
             if isinstance(value, datetime)}
    days = {name: translator.date(value, "long") for name, value in error.params.items()
            if isinstance(value, date) and not isinstance(value, datetime)}
    numbers = {name: value for name, value in error.params.items() if isinstance(value, int)}
    city = error.params.get("city")
    cities = {"city": Labels(translator).city(city)} if isinstance(city, str) else {}
    # Case codes are pseudonymous: a refusal may name the case it is about.
    codes = {name: value for name, value in error.params.items()
             if name.endswith("case_code") and isinstance(value, str)}
    # A partner organisation's name is an organisation's, not a person's: a refusal names it.
    organisations = {name: value for name, value in error.params.items()
                     if name.endswith("organisation_name") and isinstance(value, str)}
    return {
        "max_household_size": MAX_HOUSEHOLD_SIZE,
        **numbers,
        **times,
        **days,
        **cities,
        **codes,
        **organisations,
    }


_REQUIRED = N_("This field is required.")
_INVALID_DATE = N_("Enter a valid date (day, month and year).")
_WHOLE_NUMBER = N_("Enter a whole number.")
_NOT_AN_OPTION = N_("Choose one of the options offered.")
_NOT_AN_OBJECT = N_("The request body must be a JSON object.")
# Pydantic's error types, and the few custom ones our request models raise.
VALIDATION_MESSAGES: dict[str, str] = {
    "missing": _REQUIRED,
    # names and other texts are stripped and must keep at least one character
    "string_too_short": _REQUIRED,
    "string_too_long": N_("This is too long: at most %(max_length)s characters."),
    "string_type": N_("Enter text."),
    "date_type": _INVALID_DATE,
    "date_parsing": _INVALID_DATE,
    "date_from_datetime_parsing": _INVALID_DATE,
    "date_from_datetime_inexact": _INVALID_DATE,
    "int_type": _WHOLE_NUMBER,
    "int_parsing": _WHOLE_NUMBER,
    "int_from_float": _WHOLE_NUMBER,
    "greater_than_equal": N_("Enter a number of at least %(ge)s."),
    "less_than_equal": N_("Enter a number of at most %(le)s."),
    "enum": _NOT_AN_OPTION,
    "literal_error": _NOT_AN_OPTION,
    "city_slug": _NOT_AN_OPTION,
    "list_type": N_("Give a list of values."),
    "json_invalid": N_("The request body is not valid JSON."),
    "model_attributes_type": _NOT_AN_OBJECT,
    "dict_type": _NOT_AN_OBJECT,
    "model_type": _NOT_AN_OBJECT,
    "extra_forbidden": N_("This field is not part of the request."),
    "uuid_parsing": N_("This is not a valid identifier."),
    "email_format": N_("Enter a valid e-mail address, such as name@example.org."),
    "country_code": _NOT_A_COUNTRY,
    "language_code": N_("Choose the language the information notice was given in."),
    "month_format": N_("Give the month as year and month, YYYY-MM (such as 2021-03)."),
    "phone_format": N_(
        "Enter a valid phone number: digits and spaces, with an optional leading +."
    ),
    "renamed_parameter": N_("This parameter is now called %(new_name)s (docs/partners.md)."),
    "day_format": _INVALID_DATE,
    "day_out_of_range": N_("Enter a date from %(first)s to %(last)s."),
    "decimal_digits": N_("Enter a number with the digits 0-9 (such as 12.5)."),
}
_INVALID_VALUE = N_("This value is not valid.")
_REQUEST_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def explain_validation_errors(
    errors: Iterable[Any], translator: Translator
) -> list[Problem]:
    """Pydantic's errors (from a request or a form), one translated problem per field."""
    problems: dict[str | None, Problem] = {}
    for error in errors:
        field = _field_of(error.get("loc", ()))
        if field in problems:
            continue  # the first problem of a field is the one worth fixing first
        kind = str(error.get("type", ""))
        message = VALIDATION_MESSAGES.get(kind, _INVALID_VALUE)
        try:
            text = translator.gettext(message, **(error.get("ctx") or {}))
        except (KeyError, TypeError, ValueError):
            text = translator.gettext(_INVALID_VALUE)
        problems[field] = Problem(field=field, code=kind or "invalid", message=text)
    return list(problems.values())


def _field_of(location: Sequence[Any]) -> str | None:
    parts = list(location)
    if parts and parts[0] in _REQUEST_LOCATIONS:
        parts = parts[1:]
    return next((str(part) for part in parts if isinstance(part, str)), None)


def summary_of(problems: Sequence[Problem], translator: Translator) -> str:
    if len(problems) == 1:
        return problems[0].message
    return translator.gettext(
        N_("The request has %(count)s problems: see each field."), count=len(problems)
    )


async def refuse(request: Request, error: Exception) -> Response:
    """The one exception handler: every refusal, whatever raised it, becomes a 4xx answer with
    translated problems; JSON for the API, a page for people."""
    translator = translator_of(request)
    headers: dict[str, str] = {}
    match error:
        case NotSignedIn():
            return _ask_to_sign_in(request, error, translator)
        case AccessDenied():
            status_code, problems = 403, [explain_domain_error(error, translator)]
        case SecondFactorEnrolmentRequired():
            if not request.url.path.startswith(_JSON_PATHS):
                target = str(request.app.url_path_for("second_factor_page"))
                if is_htmx_fragment_request(request):
                    return Response(status_code=403, headers={"HX-Redirect": target})
                return RedirectResponse(target, status_code=303)
            status_code, problems = 403, [_problem(error.code, error.explain(translator))]
        case CsrfRejected():
            status_code, problems = 403, [_problem(error.code, error.explain(translator))]
        case RequestTooLarge():
            status_code, problems = 413, [_problem(error.code, error.explain(translator))]
        case BodyTooLarge():
            status_code, problems = 413, [_problem(error.code, error.explain(translator))]
        case ConcurrentChanges():
            # Others' changes won every attempt: nothing was saved, and the same command sent
            # again may well succeed (Retry-After also frees its Idempotency-Key for it).
            status_code, problems = 422, explain_domain_errors(error, translator)
            headers["Retry-After"] = str(CONCURRENT_CHANGES_RETRY_AFTER)
        case DomainError():
            status_code, problems = 422, explain_domain_errors(error, translator)
        case RequestValidationError():
            status_code, problems = 422, explain_validation_errors(error.errors(), translator)
        case ResourceNotFound():
            status_code, problems = 404, [_not_found(error, translator)]
        case StarletteHTTPException(status_code=404):
            status_code, problems = 404, [_not_found(ResourceNotFound(), translator)]
        case StarletteHTTPException(status_code=400):
            # What FastAPI answers when a body cannot even be decoded (not UTF-8, say).
            status_code, problems = 400, [_problem("unreadable_body", translator.gettext(N_(
                "The request body could not be read: it is not well-formed (the API takes JSON, "
                "in UTF-8).")))]
        case StarletteHTTPException():
            status_code, headers = error.status_code, dict(error.headers or {})
            problems = [Problem(field=None, code="http_error", message=translator.gettext(
                N_("The request could not be handled (HTTP %(status)s)."), status=status_code))]
        case _:
            raise error
    response = _answer(request, status_code, problems, translator)
    response.headers.update(headers)
    return response


def _not_found(error: ResourceNotFound, translator: Translator) -> Problem:
    return _problem(error.code, error.explain(translator))


def _problem(code: str, message: str) -> Problem:
    return Problem(field=None, code=code, message=message)


def sign_in_url(request: Request, *, next_path: str | None = None,
                notice: str | None = None) -> str:
    query = {name: value for name, value in (("next", next_path), ("notice", notice)) if value}
    path = str(request.app.url_path_for("sign_in_page"))
    return f"{path}?{urlencode(query)}" if query else path


def _ask_to_sign_in(request: Request, error: NotSignedIn, translator: Translator) -> Response:
    """The API answers 401; a page leads to the sign-in page and back, and so does an htmx
    request (whose 401 htmx would not show) through HX-Redirect."""
    if request.url.path.startswith(_JSON_PATHS):
        body = ErrorBody(message=error.explain(translator),
                         problems=[_problem(error.code, error.explain(translator))])
        challenge = 'Bearer realm="lgnet"' + (
            ', error="invalid_token"' if error.invalid_token else "")
        return JSONResponse(body.model_dump(), status_code=401,
                            headers={"WWW-Authenticate": challenge})
    back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = sign_in_url(request, next_path=back_to,
                         notice="session_ended" if error.session_ended else None)
    if is_htmx_fragment_request(request):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _answer(
    request: Request, status_code: int, problems: list[Problem], translator: Translator
) -> Response:
    message = summary_of(problems, translator)
    if request.url.path.startswith(_JSON_PATHS):
        body = ErrorBody(message=message, problems=problems)
        return JSONResponse(body.model_dump(), status_code=status_code)
    pages: Pages = request.app.state.pages
    return pages.render(
        request,
        "error.html",
        {"status_code": status_code, "message": message, "problems": problems},
        status_code=status_code,
    )


# Seconds a command refused for others' concurrent changes is best sent again after.
CONCURRENT_CHANGES_RETRY_AFTER = 1


def install_error_handlers(app: FastAPI) -> None:
    for refusal in (DomainError, RequestValidationError, ResourceNotFound,
                    StarletteHTTPException, NotSignedIn, CsrfRejected, RequestTooLarge):
        app.add_exception_handler(refusal, refuse)


def with_retry_after(refusal: Response, error: DomainError, now: datetime) -> Response:
    """A throttled try's answer, saying in Retry-After when the next may come."""
    until = error.params.get("until")
    if isinstance(until, datetime):
        wait = math.ceil((until - now).total_seconds())
        refusal.headers["Retry-After"] = str(max(wait, 1))
    return refusal

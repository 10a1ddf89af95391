"""The dashboards' query parameters: each names one of the values a page offers (a section, a
column to sort by, a drill-down's filter); another value is refused, 422, with the values the
page knows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from web.kit.errors import Problem
from web.kit.i18n import N_, Translator
from web.kit.templating import Pages

YES_NO = ("true", "false")
_MAX_PARAMETER = 60


class UnknownChoice(ValueError):
    """Raised when a dashboard's query parameter names a value the page does not offer."""

    code = "unknown_choice"

    def __init__(self, parameter: str, value: str, allowed: Sequence[str]) -> None:
        super().__init__(f"{parameter}={value!r}")
        self.parameter = parameter
        self.value = value
        self.allowed = allowed

    def problem(self, translator: Translator) -> Problem:
        return Problem(field=self.parameter, code=self.code, message=translator.gettext(
            N_('"%(value)s" is not a value of "%(parameter)s" this page knows: use one of '
               '%(allowed)s.'),
            value=self.value, parameter=self.parameter, allowed=", ".join(self.allowed)))


def choice(parameter: str, value: str | None, allowed: Sequence[str]) -> str | None:
    """`value`, if it is one of `allowed`; None if not given (or empty: a form's "all")."""
    if value is None or value == "":
        return None
    if value not in allowed:
        raise UnknownChoice(parameter, value, allowed)
    return value


def yes_or_no(parameter: str, value: str | None) -> bool | None:
    chosen = choice(parameter, value, YES_NO)
    return None if chosen is None else chosen == "true"


def refuse_choice(request: Request, pages: Pages, translator: Translator,
            refused: UnknownChoice) -> HTMLResponse:
    problem = refused.problem(translator)
    return pages.render(request, "error.html", {
        "status_code": 422, "message": problem.message, "problems": [problem],
    }, status_code=422)


Parameter = Annotated[str | None, Query(max_length=_MAX_PARAMETER)]

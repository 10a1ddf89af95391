"""The pages' forms, one way for all: validate what was posted, carry out the command it asks
for, explain a refusal, and show the form again.

A page reads what its form posted (`PostedForm.read`: each field as typed, to show it again)
and submits it (`PostedForm.submit`): the values are parsed into the request model the API
takes too, and the command runs. Whatever refuses it, the input (pydantic) or the programme's
rules (a DomainError, raised before anything is written), the answer is the same:
`FormRefused`, carrying the form as it is to be shown again (`FormState`: what was typed, and
each message under its field, or above the form when it names no field of the form). The page
renders itself with it, 422. A recorded form leads (303, `see_other`) to the page that shows
what was recorded. Access refused is not a form's problem: AccessDenied goes on to the one
exception handler (web.kit.errors), 403.

Blank fields: a browser posts an empty input as "", which to a request model is a value (an
empty string, an unreadable date). `without_blanks` drops them, so that the model sees a
missing value ("This field is required"). A model that takes blanks itself, because JSON
clients send them too, uses `blank_is_none` on its optional fields, and its form is submitted
with `keep_blanks=True`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload
from urllib.parse import urlencode

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, TypeAdapter, ValidationError

from domain.access import AccessDenied
from domain.programme import DomainError
from web.kit.errors import Problem, explain_domain_errors, explain_validation_errors
from web.kit.i18n import Translator
from web.kit.notices import DONE_PARAMETER, command_done

Model = TypeVar("Model", bound=BaseModel)
Result = TypeVar("Result")
# The programme's rules a form's readable fields can be checked against on their own.
PartialCheck = Callable[[Mapping[str, Any]], Sequence[DomainError]]


@dataclass(frozen=True)
class FormState:
    """A form of a page as it is shown again: what was typed, and what is wrong (by field; ""
    for what concerns the whole form). Every area's pages use this one."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class FormRefused(Exception):
    """Raised when a form's input, or the command it asks for, is refused: nothing was written,
    and `form` is the form to show again."""

    def __init__(self, form: FormState) -> None:
        super().__init__(form.errors)
        self.form = form


def without_blanks(values: Mapping[str, Any]) -> dict[str, Any]:
    """A form's empty input is a missing value, not an empty string."""
    return {name: value for name, value in values.items() if not (
        isinstance(value, str) and not value.strip()
    )}


def blank_is_none(value: Any) -> Any:
    """A field validator (mode "before") for a model that takes blanks itself: a blank text is
    no value."""
    return None if isinstance(value, str) and not value.strip() else value


@dataclass(frozen=True)
class PostedForm:
    """What one form of a page posted: `values` as typed (each of the form's `fields` that was
    posted), kept to show them again."""

    values: dict[str, Any]
    fields: tuple[str, ...] = ()

    @classmethod
    async def read(
        cls, request: Request, fields: Iterable[str], *, lists: Collection[str] = ()
    ) -> PostedForm:
        """The form's `fields` as posted: text as typed, and each of `lists` (checkboxes,
        multiple choices) as the list of its values, empty when none is ticked."""
        names = tuple(fields)
        form = await request.form()
        values: dict[str, Any] = {}
        for name in names:
            if name in lists:
                values[name] = [str(value) for value in form.getlist(name)]
            elif isinstance(form.get(name), str):
                values[name] = str(form.get(name))
        return cls(values, names)

    @overload
    async def submit(
        self, model: type[Model], command: Callable[[Model], Awaitable[Result]],
        translator: Translator, *, keep_blanks: bool = ..., also: Sequence[Problem] = ...,
        aliases: Mapping[str, str] = ..., partial: PartialCheck | None = ...,
    ) -> Result: ...

    @overload
    async def submit(
        self, model: None, command: Callable[[None], Awaitable[Result]],
        translator: Translator, *, keep_blanks: bool = ..., also: Sequence[Problem] = ...,
        aliases: Mapping[str, str] = ..., partial: PartialCheck | None = ...,
    ) -> Result: ...

    async def submit(
        self, model: type[Model] | None, command: Callable[[Any], Awaitable[Result]],
        translator: Translator, *, keep_blanks: bool = False, also: Sequence[Problem] = (),
        aliases: Mapping[str, str] | None = None, partial: PartialCheck | None = None,
    ) -> Result:
        """Parse the values into `model` (none: a command without a body) and carry out
        `command` with what was parsed; its result. Raises FormRefused with the problems, in
        the request's language, when the input is invalid, when the page found problems of
        its own (`also`, shown with the input's), or when the command is refused.

        `aliases` names the form's field for one the domain blames under another name (the
        domain says "case" where the form asks for a case code).

        `partial`: the programme's rules that can be checked on some fields alone (the intake's
        dates, say); when the input does not parse as a whole, they are run on the fields that
        do, so that the form shows every problem at once, not one more at each submit."""
        try:
            body = None if model is None else self._parsed(model, keep_blanks)
        except ValidationError as error:
            problems = explain_validation_errors(error.errors(), translator)
            if partial is not None and model is not None:
                readable = self._readable(model, {p.field for p in problems}, keep_blanks)
                problems += [problem for refusal in partial(readable)
                             for problem in explain_domain_errors(refusal, translator)]
            raise self.refused([*problems, *also], aliases) from None
        if also:
            raise self.refused(also, aliases)
        try:
            return await command(body)
        except AccessDenied:
            raise
        except (ValidationError, RequestValidationError) as error:
            problems = explain_validation_errors(error.errors(), translator)
        except DomainError as error:
            problems = explain_domain_errors(error, translator)
        raise self.refused(problems, aliases)

    def _parsed(self, model: type[Model], keep_blanks: bool) -> Model:
        given = {name: value for name, value in self.values.items() if name in model.model_fields}
        return model.model_validate(given if keep_blanks else without_blanks(given))

    def _readable(
        self, model: type[BaseModel], blamed: Collection[str | None], keep_blanks: bool,
    ) -> dict[str, Any]:
        """The posted fields that parse on their own (none of the input's problems is theirs),
        as the model would have them."""
        given = {name: value for name, value in self.values.items() if name in model.model_fields}
        readable: dict[str, Any] = {}
        for name, value in (given if keep_blanks else without_blanks(given)).items():
            if name in blamed:
                continue
            try:
                readable[name] = TypeAdapter(
                    model.model_fields[name].rebuild_annotation()).validate_python(value)
            except ValidationError:
                continue
        return readable

    def refused(
        self, problems: Iterable[Problem], aliases: Mapping[str, str] | None = None
    ) -> FormRefused:
        """The form shown again with `problems`: each under its field, the first of a field
        being the one worth fixing first; one that names no field of the form (the case, the
        claim, a rule about the whole) above the form."""
        errors: dict[str, str] = {}
        for problem in problems:
            name = (aliases or {}).get(problem.field or "", problem.field or "")
            errors.setdefault(name if name in self.fields else "", problem.message)
        return FormRefused(FormState(self.values, errors))


def see_other(
    request: Request, route: str, query: Mapping[str, str] | None = None, **params: str
) -> RedirectResponse:
    """The answer to a recorded form: 303 to the page (the route named `route`, with its path
    `params` and `query`) that shows what was recorded, and says what was done (the command
    named in `done`: web.kit.notices)."""
    path = str(request.app.url_path_for(route, **params))
    done = command_done(request)
    query = {**(query or {}), **({DONE_PARAMETER: done} if done else {})}
    return RedirectResponse(f"{path}?{urlencode(query)}" if query else path, status_code=303)

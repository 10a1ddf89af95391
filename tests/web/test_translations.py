"""The catalogues are complete: every message in the code and templates has its Italian
translation, every code a page can show has a label, every domain error a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

import domain.activities.model
import domain.cases.model
import domain.finance.model
import domain.housing.model
import domain.referrals.model  # noqa: F401
from domain.programme import DomainError
from web.areas.intake.requests import IntakeRequest
from web.kit.errors import DOMAIN_MESSAGES
from web.kit.i18n import catalogue_files, compile_catalogues
from web.kit.labels import INTAKE_FIELDS, all_label_tables

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
LOCALE_DIR = WEB_DIR / "locale"
# A message id is its text, or (singular, plural) for a message with plural forms.
MessageId = str | tuple[str, ...]
TEMPLATE_OPTIONS = {"extensions": "jinja2.ext.i18n,jinja2.ext.do", "trimmed": "true"}


def extracted_message_ids() -> set[MessageId]:
    messages = extract_from_dir(
        str(WEB_DIR),
        method_map=[("templates/**.html", "jinja2"), ("**.py", "python")],
        options_map={"templates/**.html": TEMPLATE_OPTIONS},
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
    )
    return {message_id if isinstance(message_id, str) else tuple(message_id)
            for _file, _line, message_id, _comments, _context in messages}


def catalogue_parts(language: str) -> list[Catalog]:
    parts = []
    for path in catalogue_files(language, LOCALE_DIR):
        with path.open("rb") as source:
            parts.append(read_po(source, locale=language, abort_invalid=True))
    return parts


def catalogue(language: str) -> Catalog:
    """A language's files as one catalogue (what the app compiles)."""
    merged = Catalog(locale=language)
    for part in catalogue_parts(language):
        for message in part:
            if message.id:
                merged[message.id] = message
    return merged


@pytest.mark.parametrize("language", ["it", "en"])
def test_no_message_is_in_two_files_of_a_language(language: str) -> None:
    seen: dict[object, int] = {}
    for part in catalogue_parts(language):
        for message in part:
            if message.id:
                key = message.id if isinstance(message.id, str) else tuple(message.id)
                seen[key] = seen.get(key, 0) + 1
    assert [message_id for message_id, count in seen.items() if count > 1] == []


def catalogue_ids(language: str) -> set[MessageId]:
    return {message.id if isinstance(message.id, str) else tuple(message.id)
            for message in catalogue(language) if message.id}


@pytest.fixture(scope="module")
def in_the_code() -> set[MessageId]:
    ids = extracted_message_ids()
    assert len(ids) > 150  # the extraction found the templates and the labels
    return ids


def test_every_message_has_an_italian_translation(in_the_code: set[MessageId]) -> None:
    italian = catalogue("it")
    untranslated = [
        message.id for message in italian
        if message.id and (message.fuzzy or not all(message.string if isinstance(
            message.string, tuple) else (message.string,)))
    ]
    assert in_the_code - catalogue_ids("it") == set(), "run pybabel update (see web/babel.cfg)"
    assert untranslated == []


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_catalogues_hold_no_message_the_code_no_longer_has(
    in_the_code: set[MessageId], language: str
) -> None:
    assert catalogue_ids(language) - in_the_code == set()


def test_the_english_catalogue_lists_every_message(in_the_code: set[MessageId]) -> None:
    assert in_the_code - catalogue_ids("en") == set()


@pytest.mark.parametrize("language", ["it", "en"])
def test_translations_keep_the_placeholders_of_their_message(language: str) -> None:
    problems = [(message.id, errors) for message, errors in catalogue(language).check()]
    assert problems == []


@pytest.mark.parametrize("language", ["it", "en"])
def test_every_file_declares_the_plural_forms_of_the_locked_babels_cldr_data(
    language: str,
) -> None:
    # CLDR 46+ gives Italian three categories: one, many (round millions: "1000000 di casi")
    # and other. A future CLDR change fails here, and only when someone refreshes uv.lock.
    expected = get_plural(language).plural_forms
    declared = [part.plural_forms for part in catalogue_parts(language)]
    assert declared == [expected] * len(catalogue_files(language, LOCALE_DIR))


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 caso"), (0, "0 casi"), (2, "2 casi"), (1_000_000, "1000000 di casi"),
     (2_000_000, "2000000 di casi"), (1_000_001, "1000001 casi")],
)
def test_italian_plurals_take_the_form_cldr_gives_each_count(count: int, expected: str) -> None:
    translations = compile_catalogues("it", LOCALE_DIR)
    message = translations.ngettext("%(count)s case", "%(count)s cases", count)
    assert message % {"count": count} == expected


def test_every_code_a_page_shows_has_a_label() -> None:
    for enum, table in all_label_tables().items():
        assert set(table) == {member.value for member in enum}, enum.__name__


def test_each_of_the_cards_cities_has_a_translated_name() -> None:
    """The card's 19 partners have names in each language; a city admitted later is shown by
    the name the ministry recorded when it joined."""
    from domain.programme import FOUNDING_CITIES
    from web.kit.labels import CITY_NAMES

    assert set(CITY_NAMES) == set(FOUNDING_CITIES)
    assert len(FOUNDING_CITIES) == 19


def test_every_intake_field_has_a_label() -> None:
    assert set(INTAKE_FIELDS) == set(IntakeRequest.model_fields)


def test_there_are_eleven_vulnerable_categories_and_other_each_with_its_label() -> None:
    """Art. 17 c.1 d.lgs. 142/2015 lists them with "quali": an illustrative list, so "other"."""
    from domain.cases.rules import Vulnerability

    assert len(all_label_tables()[Vulnerability]) == 12


def _concrete_domain_errors(base: type[DomainError]) -> list[type[DomainError]]:
    found = []
    for subclass in base.__subclasses__():
        found.extend(_concrete_domain_errors(subclass) or [subclass])
    return found


def test_every_domain_error_has_a_message_for_coordinators() -> None:
    # The platform's own errors: a test may define one of its own (test_intake_batches does).
    codes = {error.code for error in _concrete_domain_errors(DomainError)
             if error.__module__.startswith("domain.")}
    explained = {code for code, _field in DOMAIN_MESSAGES}
    assert codes - explained == set()

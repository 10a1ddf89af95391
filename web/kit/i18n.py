"""Translations: Italian first, English on request.

The catalogues are the `.po` files under `web/locale/`, compiled in memory when the app starts
(no `.mo` files, no build step). Message ids are the English texts: the English catalogue lists
them with empty translations (fill one in only to reword it), the Italian one translates every
message. A test checks both against the strings extracted from the code and templates.

The language of a request is `?lang=` if given, else the `lang` cookie, else Italian.
"""

from __future__ import annotations

import gettext
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, parse_pattern
from fastapi import Request

SUPPORTED_LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"
LANGUAGE_COOKIE = "lang"
LANGUAGE_QUERY_PARAMETER = "lang"
LOCALE_DIR = Path(__file__).parents[1] / "locale"
# The coordinators work in Italy: times are shown on Italian clocks whatever the language.
DISPLAY_TIMEZONE = ZoneInfo("Europe/Rome")

# Codes Babel lists among territories that are not countries a person can be a national of.
_NOT_COUNTRIES = frozenset({"AC", "CP", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA",
                            "XB", "ZZ"})


@cache  # a handful of patterns
def number_pattern(pattern: str) -> NumberPattern:
    """A number pattern, parsed once. Babel's `format_decimal`, `format_percent` and
    `format_currency` parse their pattern and look up their locale again on every call: a
    sixth of the ministry's dashboard at 10x scale went there (issue 15)."""
    return parse_pattern(pattern)


@cache  # the supported languages
def locale_of(language: str) -> Locale:
    return Locale.parse(language)


def number_as(value: int | float | Decimal, pattern: str, language: str,
              currency: str | None = None) -> str:
    """What Babel's `format_decimal(value, format=pattern, locale=language)` writes (and
    `format_percent`, and `format_currency(value, currency, format=pattern, ...)`): the same
    `NumberPattern.apply`, with the same defaults."""
    return str(number_pattern(pattern).apply(value, locale_of(language), currency=currency))


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where it is shown."""
    return message


def compile_catalogue(po_file: Path, language: str) -> gettext.GNUTranslations:
    """Read a `.po` file and compile it in memory. Invalid files fail the app start."""
    with po_file.open("rb") as source:
        catalogue = read_po(source, locale=language, abort_invalid=True)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class Translator:
    """Everything language-dependent for one request: messages, dates, numbers, countries."""

    language: str
    translations: gettext.NullTranslations

    def gettext(self, message: str, **params: object) -> str:
        text = self.translations.gettext(message)
        return text % params if params else text

    def date(self, value: date, style: str = "medium") -> str:
        return format_date(value, format=style, locale=self.language)

    # Before `datetime`: below it, the name `datetime` in this class means that method.
    def time(self, value: datetime, style: str = "short") -> str:
        return format_time(value, format=style, tzinfo=DISPLAY_TIMEZONE, locale=self.language)

    def datetime(self, value: datetime, style: str = "medium") -> str:
        return format_datetime(value, format=style, tzinfo=DISPLAY_TIMEZONE, locale=self.language)

    def number(self, value: int) -> str:
        locale = locale_of(self.language)
        return str(locale.decimal_formats[None].apply(value, locale))

    def decimal(self, value: float | Decimal, digits: int = 1) -> str:
        """A figure with up to `digits` decimals, as the language writes it: 9,4 and 1.234,5 in
        Italian (9.4 and 1,234.5 in English); a whole value without decimals (212)."""
        return number_as(value, "#,##0." + "#" * digits if digits else "#,##0", self.language)

    def money(self, value: Decimal) -> str:
        """Euros as Italian public administration writes them, the sign first: € 346.000,00
        (in English € 346,000.00)."""
        return number_as(value, "¤\u00a0#,##0.00", self.language, currency="EUR")

    def country(self, code: str) -> str:
        return str(locale_of(self.language).territories.get(code, code))

    def citizenship(self, code: str | None) -> str:
        """A citizenship's country, or "No citizenship" (None, or "none" in filters)."""
        if not code or code == NO_CITIZENSHIP:
            return self.gettext(N_("No citizenship"))
        return self.country(code)

    def countries(self) -> tuple[tuple[str, str], ...]:
        return _countries(self.language)

    def language_name(self, code: str) -> str:
        return str(Locale.parse(self.language).languages.get(code, code))

    def languages(self) -> tuple[tuple[str, str], ...]:
        """The languages an information notice may be given in (ISO 639-1), by name."""
        return _languages(self.language)


@cache
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    """(ISO 3166-1 alpha-2 code, name in the language), in alphabetical order of name.
    Kosovo's XK is kept: not yet in ISO 3166, but the code EU and UN bodies use."""
    names = Locale.parse(language).territories
    choices = [
        (code, str(name)) for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    return tuple(sorted(choices, key=lambda choice: _collation_key(choice[1])))


# How filters, figures and forms name "no citizenship" (a stateless person, or anyone without).
NO_CITIZENSHIP = "none"


def is_country_code(code: str) -> bool:
    """True for the codes the citizenship list offers (the same in every language)."""
    return code in _country_codes()


@cache
def _languages(language: str) -> tuple[tuple[str, str], ...]:
    """(ISO 639-1 code, name in the language), in alphabetical order of name."""
    names = Locale.parse(language).languages
    choices = [(code, str(name)) for code, name in names.items()
               if len(code) == 2 and code.isascii() and code.isalpha() and code.islower()]
    return tuple(sorted(choices, key=lambda choice: _collation_key(choice[1])))


def is_language_code(code: str) -> bool:
    """True for the codes the notice's language list offers (the same in every language)."""
    return code in _language_codes()


@cache
def _language_codes() -> frozenset[str]:
    return frozenset(code for code, _name in _languages(DEFAULT_LANGUAGE))


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in _countries(DEFAULT_LANGUAGE))


def _collation_key(name: str) -> str:
    """Sort "Åland" with the As and "Côte d'Ivoire" with the Cs, as a reader expects."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def catalogue_files(language: str, locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """A language's `.po` files: `messages.po` (the pages common to all), then one per area of
    the programme's work (`referrals.po`, `housing.po`, ...), so that each area's words sit
    beside each other. A message id belongs to one file only (a test checks)."""
    directory = locale_dir / language / "LC_MESSAGES"
    return sorted(directory.glob("*.po"), key=lambda path: (path.name != "messages.po", path.name))


def compile_catalogues(language: str, locale_dir: Path = LOCALE_DIR) -> gettext.NullTranslations:
    """All of a language's files as one catalogue."""
    first, *others = [compile_catalogue(path, language)
                      for path in catalogue_files(language, locale_dir)]
    for other in others:
        first.add_fallback(other)
    return first


class Catalogues:
    """The compiled catalogue of each supported language, loaded once per app."""

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self._translators = {
            language: Translator(language, compile_catalogues(language, locale_dir))
            for language in SUPPORTED_LANGUAGES
        }

    def translator(self, language: str) -> Translator:
        return self._translators[language]


def requested_language(request: Request) -> str | None:
    """The language asked for in the query string, when it is one we speak."""
    asked = request.query_params.get(LANGUAGE_QUERY_PARAMETER)
    return asked if asked in SUPPORTED_LANGUAGES else None


def language_of(request: Request) -> str:
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    return requested_language(request) or (
        cookie if cookie in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
    )


def translator_of(request: Request) -> Translator:
    catalogues: Catalogues = request.app.state.catalogues
    return catalogues.translator(language_of(request))

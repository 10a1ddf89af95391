"""Numbers as the pages write them (web/kit/i18n.py): the patterns parsed and the locales looked
up once (issue 15: Babel does both on every call) write exactly what Babel's own functions write,
in both languages, for counts, decimals, rates and euros, negative and rounded ones included;
and the forms the coordinators read (DOMAIN.md, "Italian first": 1.234,5 and € 346.000,00)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal, format_percent

from web.areas.dashboards.vocabulary import number_in_words, share_in_words
from web.kit.i18n import SUPPORTED_LANGUAGES, Catalogues, number_as

VALUES: list[int | float | Decimal] = [
    0, 1, 7, 999, 1000, 1234567, -1234, Decimal("0.05"), Decimal("0.25"), Decimal("9.45"),
    Decimal("9.44"), Decimal("1234.5"), Decimal("346000.00"), Decimal("-0.5"),
    Decimal("12.345678"), 2.5]
PATTERNS = ["#,##0.#", "#,##0.##", "#,##0", "#,##0.0"]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_numbers_are_babel_s_own(language: str) -> None:
    translator = Catalogues().translator(language)
    for value in VALUES:
        for pattern in PATTERNS:
            assert number_as(value, pattern, language) == format_decimal(
                value, format=pattern, locale=language)
        assert number_as(value, "#,##0%", language) == format_percent(
            value, format="#,##0%", locale=language)
        assert translator.money(Decimal(value)) == format_currency(
            Decimal(value), "EUR", format="¤\u00a0#,##0.00", locale=language)
        assert translator.number(int(value)) == format_decimal(int(value), locale=language)
        assert translator.decimal(value, 2) == format_decimal(
            value, format="#,##0.##", locale=language)
        assert number_in_words(Decimal(value), translator) == format_decimal(
            Decimal(value), format="#,##0.#", locale=language)
        assert share_in_words(Decimal(value), translator) == format_percent(
            Decimal(value), format="#,##0%", locale=language)


def test_italian_first() -> None:
    italian, english = Catalogues().translator("it"), Catalogues().translator("en")
    assert italian.decimal(Decimal("1234.5")) == "1.234,5"
    assert english.decimal(Decimal("1234.5")) == "1,234.5"
    assert italian.money(Decimal("346000")) == "€\u00a0346.000,00"
    assert english.money(Decimal("-12.5")) == "-€\u00a012.50"
    assert italian.number(1234567) == "1.234.567"
    assert share_in_words(Decimal("0.75"), italian) == "75%"
    assert number_in_words(None, italian) == number_in_words(None, english) != ""

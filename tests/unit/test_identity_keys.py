"""The duplicate check's keys (domain.identity.keys): the same person typed with other case,
accents, spacing, hyphens or apostrophes gives the same keys; another birth date does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from domain.identity.keys import (
    IdentityKey,
    KeyKind,
    identity_keys,
    normalise_code,
    normalise_name,
)
from tests.builders import a_person


def _name_key(**overrides: object) -> IdentityKey:
    return identity_keys(a_person(**overrides))[0]


@pytest.mark.parametrize(("typed", "normalised"), [
    ("Tesfaye", "tesfaye"),
    ("  TESFAYE ", "tesfaye"),
    ("Çelik", "celik"),
    ("Şahin-Öztürk", "sahinozturk"),
    ("D'Angelo", "dangelo"),
    ("D’ Angelo", "dangelo"),
    ("Abu  Bakr", "abubakr"),
    ("Abu-Bakr", "abubakr"),
    ("Strauß", "strauss"),
    ("Nguyễn", "nguyen"),
    ("Ｍｏｈａｍｍｅｄ", "mohammed"),  # full-width, as some keyboards type it (NFKD)
])
def test_names_are_case_folded_stripped_of_accents_and_separators(
    typed: str, normalised: str
) -> None:
    assert normalise_name(typed) == normalised


def test_the_same_person_typed_differently_has_the_same_name_key() -> None:
    first = _name_key(given_name="Amina", family_name="Tesfaye-Ghebré")
    assert _name_key(given_name="AMINA", family_name="tesfaye ghebre") == first
    assert _name_key(given_name=" amina ", family_name="Tesfaye  Ghébre") == first
    # Given and family name the other way round: a frequent error at a counter.
    assert _name_key(given_name="Tesfaye Ghebre", family_name="Amina") == first


def test_a_near_miss_is_another_key() -> None:
    first = _name_key()
    assert _name_key(birth_date=date(1990, 5, 18)) != first  # another birth date
    assert _name_key(given_name="Amna") != first  # another name
    assert first.kind is KeyKind.NAME_AND_BIRTH_DATE


def test_documents_and_tax_codes_are_keys_when_given() -> None:
    keys = identity_keys(a_person(document_number="ya 123-4567", tax_code="tsf mna 90e57 z315x"))
    assert keys[1:] == (IdentityKey(KeyKind.DOCUMENT_NUMBER, "YA1234567"),
                        IdentityKey(KeyKind.TAX_CODE, "TSFMNA90E57Z315X"))
    assert [key.kind for key in identity_keys(replace(
        a_person(), document_number=None, tax_code=" - "))] == [KeyKind.NAME_AND_BIRTH_DATE]


def test_codes_keep_letters_and_digits_only() -> None:
    assert normalise_code(" ab/12.34-c ") == "AB1234C"
    assert normalise_code("") == ""

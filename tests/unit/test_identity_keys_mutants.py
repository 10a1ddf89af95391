"""The duplicate check's keys (domain/identity/keys.py, issue 20): exactly what each key holds,
which identifiers make one and which do not (a name alone, a name that normalises to nothing,
a blank code), in a fixed order.

DOMAIN.md, "Intake": a city registers a person; the same person registered twice, typed with
other case, accents or spacing, must be found (the duplicate check), without the identifiers
ever leaving the vault in clear."""

from __future__ import annotations

from datetime import date

from domain.identity.keys import (
    IdentityKey,
    KeyKind,
    identity_keys,
    keys_of,
    normalise_code,
    normalise_name,
)
from tests.builders import a_person

BORN = date(1990, 5, 17)
NAME_KEY = IdentityKey(KeyKind.NAME_AND_BIRTH_DATE, "amina|tesfaye|1990-05-17")


def test_a_name_key_holds_both_names_in_sorted_order_and_the_birth_date() -> None:
    assert keys_of("Amina", "Tesfaye", BORN) == (NAME_KEY,)
    assert keys_of("Tesfaye", "Amina", BORN) == (NAME_KEY,)
    assert keys_of("Zara", "Abebe", BORN) == (
        IdentityKey(KeyKind.NAME_AND_BIRTH_DATE, "abebe|zara|1990-05-17"),)


def test_a_name_is_a_key_only_with_both_names_and_the_birth_date() -> None:
    for given, family, born in (("Amina", "Tesfaye", None), ("Amina", None, BORN),
                                (None, "Tesfaye", BORN), ("", "Tesfaye", BORN),
                                ("Amina", "", BORN)):
        assert keys_of(given, family, born) == ()
    # A name that normalises to nothing (only separators) is no name: no key of it.
    assert keys_of("-", "Tesfaye", BORN) == ()
    assert keys_of("Amina", " . ", BORN) == ()


def test_document_and_tax_code_are_keys_when_they_hold_a_letter_or_digit() -> None:
    assert keys_of(None, None, None, "ya 123", "tsf-mna") == (
        IdentityKey(KeyKind.DOCUMENT_NUMBER, "YA123"), IdentityKey(KeyKind.TAX_CODE, "TSFMNA"))
    assert keys_of(None, None, None, " - ", "/ .") == ()
    assert keys_of(None, None, None, None, "x") == (IdentityKey(KeyKind.TAX_CODE, "X"),)
    assert keys_of(None, None, None, "x") == (IdentityKey(KeyKind.DOCUMENT_NUMBER, "X"),)
    assert keys_of("Amina", "Tesfaye", BORN, "", "") == (NAME_KEY,)


def test_a_person_s_keys_are_made_of_every_identifier_the_vault_holds() -> None:
    person = a_person(document_number="YA1234567", tax_code="TSFMNA90E57Z315X")
    assert identity_keys(person) == (
        NAME_KEY, IdentityKey(KeyKind.DOCUMENT_NUMBER, "YA1234567"),
        IdentityKey(KeyKind.TAX_CODE, "TSFMNA90E57Z315X"))
    assert identity_keys(a_person(document_number=None)) == (NAME_KEY,)


def test_names_and_codes_normalise_to_the_same_text_however_typed() -> None:
    assert normalise_name("Ébé-Ñuñez") == "ebenunez"
    assert normalise_name("STRAUSS") == normalise_name("Strauß") == "strauss"
    assert normalise_name("") == ""
    assert normalise_code("ｙａ１２") == "YA12"  # full-width, decomposed first (NFKD)
    assert normalise_code("é1") == "E1"

"""What the duplicate check compares: a person's identifiers normalised into keys, so that the same
person typed twice with other case, accents or spacing gives the same keys.

A key is the normalised value of one kind of identifier. It never leaves the process as it is:
the blind index (`PersonIndex`) keeps only a keyed hash of it (HMAC-SHA256 under a server key,
infra.store.person_index), so the index cannot be read back, nor checked against guessed names
by anyone without the key.

Normalisation (names): Unicode NFKD, combining marks dropped (é -> e, ş -> s), case-folded
(ß -> ss), and every space, hyphen, apostrophe and dot removed (so "D'Angelo" = "dangelo",
"Abu-Bakr" = "abu bakr" = "abubakr"). Given and family name are taken as a set, in sorted order:
names from many of the countries people come from are written in either order, and a
transposition is the most common error at a counter. Documents and tax codes: upper case, every
character but letters and digits removed."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.vault import PersonalData

_NAME_SEPARATORS = re.compile(r"[|\s\-‐‑‒–—'’‘`´.]+")
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Z]+")
# A tax code (codice fiscale, 16 characters) or a CUI (codice unico identificativo of the
# police's fingerprint register, 7 or 8): letters and digits.
TAX_CODE_PATTERN = r"^[A-Za-z0-9 ]{7,16}$"


class KeyKind(StrEnum):
    """Which identifier a key is made of; a match says which ones matched."""

    NAME_AND_BIRTH_DATE = "name_and_birth_date"
    DOCUMENT_NUMBER = "document_number"
    TAX_CODE = "tax_code"


@dataclass(frozen=True)
class IdentityKey:
    kind: KeyKind
    value: str


def normalise_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NAME_SEPARATORS.sub("", bare.casefold())


def normalise_code(code: str) -> str:
    """A document number or tax code: letters and digits only, upper case."""
    decomposed = unicodedata.normalize("NFKD", code)
    return _NOT_ALPHANUMERIC.sub("", decomposed.upper())


def identity_keys(person: PersonalData) -> tuple[IdentityKey, ...]:
    """The keys a person is indexed and looked up by: names with birth date always; document
    number and tax code when given (and not blank once normalised)."""
    return keys_of(person.given_name, person.family_name, person.birth_date,
                   person.document_number, person.tax_code)


def keys_of(
    given_name: str | None, family_name: str | None, birth_date: date | None,
    document_number: str | None = None, tax_code: str | None = None,
) -> tuple[IdentityKey, ...]:
    """The keys of what is known of someone: names with birth date when all three are given
    (a name alone is no key: too many people share one), document number, tax code."""
    keys = []
    if given_name and family_name and birth_date:
        names = sorted((normalise_name(family_name), normalise_name(given_name)))
        if all(names):
            keys.append(IdentityKey(KeyKind.NAME_AND_BIRTH_DATE,
                                    f"{names[0]}|{names[1]}|{birth_date.isoformat()}"))
    if document_number and (document := normalise_code(document_number)):
        keys.append(IdentityKey(KeyKind.DOCUMENT_NUMBER, document))
    if tax_code and (tax := normalise_code(tax_code)):
        keys.append(IdentityKey(KeyKind.TAX_CODE, tax))
    return tuple(keys)

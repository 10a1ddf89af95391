"""The words of duplicate persons: which identifiers matched, what was decided on a possible
match, its events and its refusals."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.identity.keys import KeyKind
from events.identity import (
    PersonMatchCaseLinkedV1,
    PersonMatchConfirmedV1,
    PersonMatchNotedV1,
    PersonMatchRuledOutV1,
)
from web.kit.i18n import N_

KEY_KINDS: Mapping[str, str] = {
    KeyKind.NAME_AND_BIRTH_DATE: N_("names and birth date"),
    KeyKind.DOCUMENT_NUMBER: N_("document number"),
    KeyKind.TAX_CODE: N_("tax code or CUI"),
}

LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    KeyKind: KEY_KINDS,
}
EVENT_TYPES: Mapping[str, str] = {
    PersonMatchNotedV1.ce_type(): N_("Possible same person as another case"),
    PersonMatchConfirmedV1.ce_type(): N_("Confirmed: the same person as another case"),
    PersonMatchRuledOutV1.ce_type(): N_("Ruled out: not the same person as another case"),
    PersonMatchCaseLinkedV1.ce_type(): N_("Linked to a person with another case"),
}
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("possible_same_person", None): N_(
        "This person may already have been taken in: see the cases found below. Record a new "
        "case only if it is someone else, or if a new case is wanted all the same."
    ),
    ("identity_error", None): N_("The other case of this possible match is not in the record."),
    ("nothing_to_search_by", None): N_(
        "Give the names with the birth date, a document number or a tax code: a name alone "
        "is shared by too many people."
    ),
    ("match_already_decided", None): N_(
        "This possible match has already been confirmed or ruled out."
    ),
    ("different_persons_linked", None): N_(
        "These two cases are already linked to two different people: the two cities must "
        "look at them together first."
    ),
}

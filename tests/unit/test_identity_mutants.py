"""Possible duplicates across cities and the person a case is about, on the aggregates alone
(issue 20): each event field by field, the refusals' codes, messages and parameters, and the ids
derived from the cases'. A mutation run (docs/testing.md, "Other domain modules") found these
aggregates checked only through the intake service, and their events' fields and messages not at
all.

DOMAIN.md, "Data protection": personal identifiers are needed by the city that serves the person
and by nobody else — another city's case is shown by its code and city only."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid5

from domain.identity.keys import KeyKind
from domain.identity.model import (
    _CASE_PERSON_NAMESPACE,
    _MATCH_NAMESPACE,
    CasePerson,
    IdentityError,
    MatchFound,
    MatchStatus,
    PossibleMatch,
    PossibleSamePerson,
    case_person_id_for,
    match_id_for,
)
from domain.programme import City
from tests.builders import NOW, a_coordinator, recorded, refusal

ACTOR = a_coordinator()
CASE, OTHER, PERSON = UUID(int=0xA), UUID(int=0xB), UUID(int=0x9E)
LATER = datetime(2021, 3, 11, 9, 0, tzinfo=UTC)
FOUND = MatchFound(
    OTHER, "MI-2020-00042", City.MILANO, frozenset({KeyKind.TAX_CODE, KeyKind.DOCUMENT_NUMBER})
)


def noted() -> PossibleMatch:
    match = PossibleMatch.note(CASE, "FI-2021-00001", City.FIRENZE, FOUND, ACTOR, NOW)
    match.collect_events()
    return match


def test_the_ids_are_derived_from_the_cases_in_their_namespaces() -> None:
    assert _MATCH_NAMESPACE == UUID("6a0f3c8e-51d4-4e7a-9b0c-2f18d7c4e9a1")
    assert _CASE_PERSON_NAMESPACE == UUID("0d5b7e2a-8c61-4f3b-a4e9-71c2b8f05d36")
    assert match_id_for(CASE, OTHER) == uuid5(_MATCH_NAMESPACE, f"{CASE}/{OTHER}")
    assert match_id_for(CASE, OTHER) != match_id_for(OTHER, CASE)
    assert case_person_id_for(CASE) == uuid5(_CASE_PERSON_NAMESPACE, str(CASE))
    assert (MatchStatus.POSSIBLE, MatchStatus.CONFIRMED, MatchStatus.RULED_OUT) == (
        "possible",
        "confirmed",
        "ruled_out",
    )
    assert IdentityError.code == "identity_error"


def test_a_possible_match_names_the_other_case_by_code_and_city_only() -> None:
    second = MatchFound(
        UUID(int=0xC), "RM-2021-00007", City.ROMA, frozenset({KeyKind.NAME_AND_BIRTH_DATE})
    )
    error = PossibleSamePerson([FOUND, second])
    assert (error.code, error.message, error.params) == (
        "possible_same_person",
        "This person may already be case MI-2020-00042 (milano), RM-2021-00007 (roma): go on "
        "with a new case only if it is someone else, or ask that city for a transfer.",
        {"cases": "MI-2020-00042 (milano), RM-2021-00007 (roma)"},
    )
    assert error.matches == (FOUND, second)


def test_a_noted_match_records_both_cases_and_the_kinds_that_matched_in_order() -> None:
    match = PossibleMatch.note(CASE, "FI-2021-00001", City.FIRENZE, FOUND, ACTOR, NOW)

    assert match.id == match_id_for(CASE, OTHER)
    assert recorded(match) == [
        (
            "Noted",
            {
                "timestamp": NOW,
                "case_id": CASE,
                "case_code": "FI-2021-00001",
                "city": "firenze",
                "other_case_id": OTHER,
                "other_case_code": "MI-2020-00042",
                "other_city": "milano",
                "matched_on": ["document_number", "tax_code"],
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert (match.case_id, match.case_code, match.other_case_id, match.other_case_code) == (
        CASE,
        "FI-2021-00001",
        OTHER,
        "MI-2020-00042",
    )
    assert match.city == City.FIRENZE and isinstance(match.city, City)
    assert match.other_city == City.MILANO and isinstance(match.other_city, City)
    assert match.matched_on == (KeyKind.DOCUMENT_NUMBER, KeyKind.TAX_CODE)
    assert (match.status, match.person_id) == ("possible", None)


def test_a_confirmed_match_records_the_person_and_is_decided_once() -> None:
    match = noted()

    match.confirm(PERSON, ACTOR, LATER)

    assert recorded(match) == [
        (
            "Confirmed",
            {
                "timestamp": LATER,
                "case_id": CASE,
                "case_code": "FI-2021-00001",
                "city": "firenze",
                "other_case_id": OTHER,
                "other_case_code": "MI-2020-00042",
                "person_id": PERSON,
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert (match.status, match.person_id) == ("confirmed", PERSON)
    decided = (
        "match_already_decided",
        "This possible match was already confirmed.",
        {"status": "confirmed"},
    )
    assert refusal(lambda: match.confirm(PERSON, ACTOR, LATER)) == decided
    assert refusal(lambda: match.rule_out(ACTOR, LATER)) == decided


def test_a_match_ruled_out_is_recorded_and_decided_once() -> None:
    match = noted()

    match.rule_out(ACTOR, LATER)

    assert recorded(match) == [
        (
            "RuledOut",
            {
                "timestamp": LATER,
                "case_id": CASE,
                "case_code": "FI-2021-00001",
                "city": "firenze",
                "other_case_id": OTHER,
                "other_case_code": "MI-2020-00042",
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert (match.status, match.person_id) == ("ruled_out", None)
    decided = (
        "match_already_decided",
        "This possible match was already ruled out.",
        {"status": "ruled_out"},
    )
    assert refusal(lambda: match.rule_out(ACTOR, LATER)) == decided
    assert refusal(lambda: match.confirm(PERSON, ACTOR, LATER)) == decided


def test_a_case_linked_to_a_person_records_with_which_case() -> None:
    person = CasePerson.link(
        CASE, "FI-2021-00001", City.FIRENZE, PERSON, OTHER, "MI-2020-00042", ACTOR, NOW
    )

    assert person.id == case_person_id_for(CASE)
    assert recorded(person) == [
        (
            "Linked",
            {
                "timestamp": NOW,
                "case_id": CASE,
                "case_code": "FI-2021-00001",
                "city": "firenze",
                "person_id": PERSON,
                "linked_with_case_id": OTHER,
                "linked_with_case_code": "MI-2020-00042",
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert (person.case_id, person.case_code, person.person_id) == (CASE, "FI-2021-00001", PERSON)
    assert person.city == City.FIRENZE and isinstance(person.city, City)

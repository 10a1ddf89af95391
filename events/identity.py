"""Event contracts of the duplicate-persons context (docs/events.md, docs/workflows/duplicates.md).

A possible match names two cases by id and pseudonymous code, with their cities and the kinds of
identifiers that matched: never an identifier, nor the keyed hashes the match was found by. A
confirmed match gives both cases one pseudonymous person id: random (uuid4), never derived from
identifiers, so network figures can count people once beside cases. None of these events is
copied to partners (events/partner.py): a person id would let a partner follow one person's
history across cities, which no agreement covers (GDPR art. 5(1)(c), data minimisation)."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.contracts import CASE_CODE_PATTERN, City, EventContract

MatchedOn = Literal["name_and_birth_date", "document_number", "tax_code"]


class PersonMatchNotedV1(EventContract):
    """At intake the person's identifiers matched a case already taken in (in this city or
    another), and the operator went on with a new case: the new case may be the same person
    as the other. Its subject is the new case's code."""

    aggregate: ClassVar[str] = "person_match"
    event: ClassVar[str] = "noted"
    version: ClassVar[int] = 1

    match_id: UUID
    case_id: UUID = Field(description="The new case")
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    other_case_id: UUID = Field(description="The case taken in before")
    other_case_code: str = Field(pattern=CASE_CODE_PATTERN)
    other_city: City
    matched_on: list[MatchedOn] = Field(
        min_length=1, description="Which kinds of identifiers matched (their keyed hashes)")


class PersonMatchConfirmedV1(EventContract):
    """A coordinator of the new case's city confirmed that both cases are the same person,
    known from now on by `person_id` (each case's link is its own event,
    person_match.case_linked)."""

    aggregate: ClassVar[str] = "person_match"
    event: ClassVar[str] = "confirmed"
    version: ClassVar[int] = 1

    match_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    other_case_id: UUID
    other_case_code: str = Field(pattern=CASE_CODE_PATTERN)
    person_id: UUID = Field(description="Pseudonymous, random: never derived from identifiers")


class PersonMatchRuledOutV1(EventContract):
    """A coordinator of the new case's city found that the two cases are different people."""

    aggregate: ClassVar[str] = "person_match"
    event: ClassVar[str] = "ruled_out"
    version: ClassVar[int] = 1

    match_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    other_case_id: UUID
    other_case_code: str = Field(pattern=CASE_CODE_PATTERN)


class PersonMatchCaseLinkedV1(EventContract):
    """A case was linked to a pseudonymous person, by a confirmed match with another case. A case
    never linked is a person of its own. Published in the case's own city."""

    aggregate: ClassVar[str] = "person_match"
    event: ClassVar[str] = "case_linked"
    version: ClassVar[int] = 1

    link_id: UUID = Field(description="The link's id (one per case)")
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    person_id: UUID = Field(description="Pseudonymous, random: never derived from identifiers")
    linked_with_case_id: UUID
    linked_with_case_code: str = Field(pattern=CASE_CODE_PATTERN)


IDENTITY_CONTRACTS: tuple[type[EventContract], ...] = (
    PersonMatchNotedV1,
    PersonMatchConfirmedV1,
    PersonMatchRuledOutV1,
    PersonMatchCaseLinkedV1,
)

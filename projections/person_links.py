"""People and their cases: which cases a confirmed match made one person, the possible matches
noted at intake and what was decided on them, and the case codes the search box looks up.

A case never linked is a person of its own; a case linked (person_match.case_linked) counts as
its `person_id`. So the number of people is the number of distinct `person_id`s, a case that
has none counting itself: "persone" beside "casi" in the network's figures, people counted once
however many cities took them in (a donor's unduplicated count)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from events.cloudevents import Envelope
from events.contracts import FOUNDING_CITIES, CaseIntakeRecordedV2, CaseTransferredV1
from events.identity import (
    PersonMatchCaseLinkedV1,
    PersonMatchConfirmedV1,
    PersonMatchNotedV1,
    PersonMatchRuledOutV1,
)
from projections.projection import WorkItem
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

MATCH_POSSIBLE = "possible"
MATCH_CONFIRMED = "confirmed"
MATCH_RULED_OUT = "ruled_out"
# The most codes a search answers with: a prefix as short as "FI" is no search.
MAX_SEARCH_RESULTS = 50
# The work queue's kind for a possible match awaiting a coordinator's decision, and how long
# after it was noted it is due: the other city is asked first, and answers within days.
WORK_ITEM_KIND = "possible_same_person_to_decide"
DECISION_DUE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class CodeFound:
    case_id: UUID
    case_code: str
    city: str


@dataclass(frozen=True)
class PersonMatchRow:
    match_id: UUID
    case_id: UUID
    case_code: str
    city: str
    other_case_id: UUID
    other_case_code: str
    other_city: str
    matched_on: tuple[str, ...]
    status: str
    noted_at: datetime
    person_id: UUID | None


@dataclass(frozen=True)
class PeopleCount:
    """Cases and the people they are about, per city and across the network (a person taken in
    by two cities counts once in each city, and once in the network)."""

    cases_by_city: dict[str, int]
    people_by_city: dict[str, int]
    cases: int
    people: int


class PersonLinksProjection:
    name = "person_links"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_person_cases (case_id TEXT PRIMARY KEY,"
            " case_code TEXT NOT NULL, city TEXT NOT NULL, person_id TEXT)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_person_cases_code ON rm_person_cases (case_code)")
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_person_matches (match_id TEXT PRIMARY KEY,"
            " case_id TEXT NOT NULL, case_code TEXT NOT NULL, city TEXT NOT NULL,"
            " other_case_id TEXT NOT NULL, other_case_code TEXT NOT NULL,"
            " other_city TEXT NOT NULL, matched_on TEXT NOT NULL, status TEXT NOT NULL,"
            " noted_at TEXT NOT NULL, person_id TEXT)"
        )

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute("DROP TABLE IF EXISTS rm_person_cases")
        tx.execute("DROP TABLE IF EXISTS rm_person_matches")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        intakes: list[tuple[str, str, str, None]] = []
        for envelope in envelopes:
            data = envelope.data
            if isinstance(data, CaseIntakeRecordedV2):  # v1 messages arrive upcast
                intakes.append((str(data.case_id), data.case_code, data.city, None))
                continue
            if not isinstance(data, CaseTransferredV1 | PersonMatchNotedV1
                              | PersonMatchConfirmedV1 | PersonMatchRuledOutV1
                              | PersonMatchCaseLinkedV1):
                continue
            if intakes:  # what follows may concern them
                tx.insert_new("rm_person_cases", ("case_id", "case_code", "city", "person_id"),
                              ("case_id",), intakes)
                intakes = []
            _apply_one(tx, data, envelope.time)
        if intakes:
            tx.insert_new("rm_person_cases", ("case_id", "case_code", "city", "person_id"),
                          ("case_id",), intakes)


def _apply_one(
    tx: Transaction,
    data: CaseTransferredV1 | PersonMatchNotedV1 | PersonMatchConfirmedV1
    | PersonMatchRuledOutV1 | PersonMatchCaseLinkedV1,
    time: datetime,
) -> None:
    if isinstance(data, CaseTransferredV1):
        tx.execute("UPDATE rm_person_cases SET city = ? WHERE case_id = ?",
                   (data.city, str(data.case_id)))
    elif isinstance(data, PersonMatchNotedV1):
        tx.insert_new(
            "rm_person_matches",
            ("match_id", "case_id", "case_code", "city", "other_case_id", "other_case_code",
             "other_city", "matched_on", "status", "noted_at", "person_id"),
            ("match_id",),
            [(str(data.match_id), str(data.case_id), data.case_code, data.city,
              str(data.other_case_id), data.other_case_code, data.other_city,
              ",".join(data.matched_on), MATCH_POSSIBLE, time.isoformat(), None)],
        )
    elif isinstance(data, PersonMatchConfirmedV1):
        tx.execute("UPDATE rm_person_matches SET status = ?, person_id = ? WHERE match_id = ?",
                   (MATCH_CONFIRMED, str(data.person_id), str(data.match_id)))
    elif isinstance(data, PersonMatchRuledOutV1):
        tx.execute("UPDATE rm_person_matches SET status = ? WHERE match_id = ?",
                   (MATCH_RULED_OUT, str(data.match_id)))
    else:
        tx.execute("UPDATE rm_person_cases SET person_id = ? WHERE case_id = ?",
                   (str(data.person_id), str(data.case_id)))


_MATCH_COLUMNS = (
    "match_id, case_id, case_code, city, other_case_id, other_case_code, other_city,"
    " matched_on, status, noted_at, person_id"
)


def _match_row(row: tuple[object, ...]) -> PersonMatchRow:
    return PersonMatchRow(
        match_id=UUID(str(row[0])), case_id=UUID(str(row[1])), case_code=str(row[2]),
        city=str(row[3]), other_case_id=UUID(str(row[4])), other_case_code=str(row[5]),
        other_city=str(row[6]), matched_on=tuple(str(row[7]).split(",")), status=str(row[8]),
        noted_at=datetime.fromisoformat(str(row[9])),
        person_id=UUID(str(row[10])) if row[10] else None,
    )


def _escaped_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class PersonLinksQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def find_codes(self, code_or_prefix: str, city: str | None = None,
                   limit: int = MAX_SEARCH_RESULTS) -> list[CodeFound]:
        """Cases whose code starts with `code_or_prefix` (upper-cased), in `city` only when
        given, in code order; the exact code first when there is one."""
        prefix = code_or_prefix.strip().upper()
        if not prefix:
            return []
        sql = ("SELECT case_id, case_code, city FROM rm_person_cases"
               " WHERE case_code LIKE ? ESCAPE '\\'")
        params: list[object] = [_escaped_prefix(prefix)]
        if city is not None:
            sql += " AND city = ?"
            params.append(city)
        sql += " ORDER BY case_code LIMIT ?"
        params.append(limit)
        with self.database.reading() as tx:
            rows = tx.fetchall(sql, params)
        return [CodeFound(UUID(str(r[0])), str(r[1]), str(r[2])) for r in rows]

    def matches_of_case(self, case_id: UUID) -> list[PersonMatchRow]:
        """The possible matches noted on the case, or naming it as the case taken in before."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT {_MATCH_COLUMNS} FROM rm_person_matches"
                " WHERE case_id = ? OR other_case_id = ? ORDER BY noted_at, match_id",
                (str(case_id), str(case_id)))
        return [_match_row(r) for r in rows]

    def match(self, match_id: UUID) -> PersonMatchRow | None:
        with self.database.reading() as tx:
            row = tx.fetchone(
                f"SELECT {_MATCH_COLUMNS} FROM rm_person_matches WHERE match_id = ?",
                (str(match_id),))
        return None if row is None else _match_row(row)

    def open_matches(self, city: str) -> list[PersonMatchRow]:
        """The possible matches noted on the city's cases and not decided yet."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT {_MATCH_COLUMNS} FROM rm_person_matches"
                " WHERE city = ? AND status = ? ORDER BY noted_at, match_id",
                (city, MATCH_POSSIBLE))
        return [_match_row(r) for r in rows]

    def work_items(self, city: str, until: datetime) -> list[WorkItem]:
        """The work queue's items (projections.projection.WorkItemSource): the city's possible
        matches awaiting a coordinator's decision, due a week after they were noted."""
        return [
            WorkItem(kind=WORK_ITEM_KIND, city=city, due=match.noted_at + DECISION_DUE_AFTER,
                     case_id=match.case_id, case_code=match.case_code,
                     subject_id=match.match_id)
            for match in self.open_matches(city)
            if match.noted_at + DECISION_DUE_AFTER <= until
        ]

    def person_of(self, case_id: UUID) -> UUID | None:
        with self.database.reading() as tx:
            row = tx.fetchone("SELECT person_id FROM rm_person_cases WHERE case_id = ?",
                              (str(case_id),))
        return UUID(str(row[0])) if row is not None and row[0] else None

    def people(self) -> PeopleCount:
        """Cases and people, per city and in the network."""
        person = "COALESCE(person_id, case_id)"
        with self.database.reading() as tx:
            by_city = tx.fetchall(
                f"SELECT city, COUNT(*), COUNT(DISTINCT {person}) FROM rm_person_cases"
                " GROUP BY city")
            total = tx.fetchone(
                f"SELECT COUNT(*), COUNT(DISTINCT {person}) FROM rm_person_cases")
        cases = {city: 0 for city in FOUNDING_CITIES}
        people = {city: 0 for city in FOUNDING_CITIES}
        for city, n_cases, n_people in by_city:
            cases[str(city)] = int(n_cases)
            people[str(city)] = int(n_people)
        return PeopleCount(cases, people, int(total[0]) if total else 0,
                           int(total[1]) if total else 0)

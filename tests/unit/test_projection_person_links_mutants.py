"""People and their cases (projections/person_links.py) on SQLite, as the mutation pass of issue
20 holds it (docs/testing.md, "Projections pass, part 3"): the person index's row field by field
after an intake, a transfer and a link; each possible match field by field when noted, confirmed
and ruled out; intakes and the events about them in one batch; redeliveries changing nothing;
the code search (upper-cased prefix, LIKE's wildcards taken literally, a city, the limit and the
order, with letter case told apart as PostgreSQL's LIKE does); the matches of a case, one, and a
city's open ones in order; the work items a week after noting, at that moment and one
microsecond past; the cases and people per city and in the network; a reset.

Rule encoded (/work/shared/design/DOMAIN.md, "Who uses it": the ministry sees the whole network
at a glance, city by city; the project card counts the people the action reaches, and a person
taken in by two cities is one person, "persone" beside "casi"): a case never linked is a person
of its own, cases a confirmed match linked are one person, counted once in each city that holds
one of them and once in the network."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from events.cloudevents import Actor, Envelope, event_id, source_for
from events.contracts import (
    FOUNDING_CITIES,
    CaseClosedV2,
    CaseIntakeRecordedV2,
    CaseTransferredV1,
    EventContract,
    PurposeLegalBasis,
)
from events.identity import (
    PersonMatchCaseLinkedV1,
    PersonMatchConfirmedV1,
    PersonMatchNotedV1,
    PersonMatchRuledOutV1,
)
from projections.person_links import (
    MATCH_CONFIRMED,
    MATCH_POSSIBLE,
    MATCH_RULED_OUT,
    WORK_ITEM_KIND,
    CodeFound,
    PeopleCount,
    PersonLinksProjection,
    PersonLinksQueries,
    PersonMatchRow,
    _escaped_prefix,
)
from projections.projection import Delivered, WorkItem, apply_batch, ensure_created, reset
from projections.storage.read_models import SqliteReadModels

T0 = datetime(2021, 3, 10, 9, 30, tzinfo=UTC)
COORDINATOR = Actor(kind="user", id="firenze.coord", role="city_coordinator", city="firenze")
ALICE, BRUNO = UUID(int=7001), UUID(int=7002)
WEEK = timedelta(days=7)


def code(number: int, city: str = "firenze") -> str:
    return f"{city[:2].upper()}-2021-{number:05d}"


def intake(number: int, city: str = "firenze", case_code: str | None = None
           ) -> CaseIntakeRecordedV2:
    return CaseIntakeRecordedV2(
        case_id=UUID(int=number), case_code=case_code or code(number, city), city=city,
        intake_date=date(2021, 3, 10), protection_status="refugee",
        permit_expires_on=None, reception_situation="left_reception",
        left_reception_on=date(2021, 1, 15), planned_exit_on=None, reception_centre_kind=None,
        sex="male", age_band="25-34", citizenship=None, has_identity_document=True,
        household_size=1, vulnerabilities=[], information_notice_given_on=date(2021, 3, 10),
        information_notice_language="it",
        legal_bases=[PurposeLegalBasis(purpose="case_management", legal_basis="public_task")],
        consents=[], priority_group="other_outside_reception", eligibility=[])


def transfer(number: int, from_city: str, to_city: str) -> CaseTransferredV1:
    return CaseTransferredV1(case_id=UUID(int=number), case_code=code(number, from_city),
                             city=to_city, from_city=from_city,
                             referral_id=UUID(int=10_000 + number),
                             transferred_on=date(2021, 4, 1))


def noted(match: int, new: int, other: int, city: str = "firenze", other_city: str = "roma",
          matched_on: tuple[str, ...] = ("name_and_birth_date",)) -> PersonMatchNotedV1:
    return PersonMatchNotedV1(
        match_id=UUID(int=match), case_id=UUID(int=new), case_code=code(new, city), city=city,
        other_case_id=UUID(int=other), other_case_code=code(other, other_city),
        other_city=other_city, matched_on=list(matched_on))  # type: ignore[arg-type]


def confirmed(match: int, new: int, other: int, person: UUID) -> PersonMatchConfirmedV1:
    return PersonMatchConfirmedV1(
        match_id=UUID(int=match), case_id=UUID(int=new), case_code=code(new), city="firenze",
        other_case_id=UUID(int=other), other_case_code=code(other, "roma"), person_id=person)


def ruled_out(match: int, new: int, other: int) -> PersonMatchRuledOutV1:
    return PersonMatchRuledOutV1(
        match_id=UUID(int=match), case_id=UUID(int=new), case_code=code(new), city="firenze",
        other_case_id=UUID(int=other), other_case_code=code(other, "roma"))


def linked(number: int, person: UUID, city: str = "firenze", with_case: int = 99
           ) -> PersonMatchCaseLinkedV1:
    return PersonMatchCaseLinkedV1(
        link_id=UUID(int=20_000 + number), case_id=UUID(int=number),
        case_code=code(number, city), city=city, person_id=person,
        linked_with_case_id=UUID(int=with_case), linked_with_case_code=code(with_case, "roma"))


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SqliteReadModels]:
    db = SqliteReadModels(tmp_path / "readmodels.sqlite")
    ensure_created(db, PersonLinksProjection())
    yield db
    db.close()


class Feed:
    """Events applied one batch at a time, each a new stream message; (event, time) sets the
    event's time (T0 otherwise)."""

    def __init__(self, database: SqliteReadModels) -> None:
        self.database = database
        self.sequence = 0

    def envelope(self, data: EventContract, time: datetime = T0) -> Envelope:
        self.sequence += 1
        city = str(getattr(data, "city", "firenze"))
        return Envelope(
            id=event_id(str(getattr(data, "case_id", "x")), self.sequence),
            source=source_for(city), type=data.ce_type(),
            subject=str(getattr(data, "case_code", city)), time=time,
            position=self.sequence, actor=COORDINATOR, data=data)

    def __call__(self, *events: EventContract | tuple[EventContract, datetime]
                 ) -> list[Delivered]:
        batch = []
        for event in events:
            data, time = event if isinstance(event, tuple) else (event, T0)
            envelope = self.envelope(data, time)
            batch.append(Delivered(envelope.position, envelope))
        apply_batch(self.database, PersonLinksProjection(), batch)
        return batch


@pytest.fixture
def feed(database: SqliteReadModels) -> Feed:
    return Feed(database)


def index(database: SqliteReadModels) -> list[tuple[Any, ...]]:
    with database.reading() as tx:
        return tx.fetchall("SELECT case_id, case_code, city, person_id FROM rm_person_cases"
                           " ORDER BY case_code")


def the_match(**changes: Any) -> PersonMatchRow:
    row = PersonMatchRow(
        match_id=UUID(int=500), case_id=UUID(int=1), case_code="FI-2021-00001",
        city="firenze", other_case_id=UUID(int=2), other_case_code="RO-2021-00002",
        other_city="roma", matched_on=("name_and_birth_date",), status=MATCH_POSSIBLE,
        noted_at=T0, person_id=None)
    return PersonMatchRow(**row.__dict__ | changes)


# The person index --------------------------------------------------------------------------------


def test_an_intake_makes_the_cases_line_a_person_of_its_own(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(intake(1), intake(2, "roma"))
    # The same case again (a later message) keeps its first line.
    feed(intake(1, "milano"))

    assert index(database) == [(str(UUID(int=1)), "FI-2021-00001", "firenze", None),
                               (str(UUID(int=2)), "RO-2021-00002", "roma", None)]
    queries = PersonLinksQueries(database)
    assert queries.person_of(UUID(int=1)) is None
    assert queries.person_of(UUID(int=3)) is None


def test_a_transfer_moves_the_case_to_its_new_city(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(intake(1), intake(2))
    feed(transfer(1, "firenze", "roma"))

    assert index(database) == [(str(UUID(int=1)), "FI-2021-00001", "roma", None),
                               (str(UUID(int=2)), "FI-2021-00002", "firenze", None)]


def test_a_link_names_the_cases_person(database: SqliteReadModels, feed: Feed) -> None:
    feed(intake(1), intake(2, "roma"), intake(3))
    feed(linked(1, ALICE), linked(2, ALICE, "roma"))

    queries = PersonLinksQueries(database)
    assert (queries.person_of(UUID(int=1)), queries.person_of(UUID(int=2)),
            queries.person_of(UUID(int=3))) == (ALICE, ALICE, None)
    assert index(database) == [(str(UUID(int=1)), "FI-2021-00001", "firenze", str(ALICE)),
                               (str(UUID(int=3)), "FI-2021-00003", "firenze", None),
                               (str(UUID(int=2)), "RO-2021-00002", "roma", str(ALICE))]


def test_intakes_and_the_events_about_them_in_one_batch(
    database: SqliteReadModels, feed: Feed
) -> None:
    """Intakes are written in runs; a run is written before the event that follows it, which may
    concern one of its cases; events of other kinds in between change nothing; the intakes after
    the last event are written too."""
    closing = CaseClosedV2(case_id=UUID(int=1), case_code=code(1), city="firenze",
                           closed_on=date(2021, 5, 2), outcome="autonomy", reason_id=None,
                           reason_digest=None)
    feed(intake(1), intake(2), closing, linked(1, ALICE), intake(3), closing,
         transfer(3, "firenze", "bari"), linked(2, BRUNO), intake(4), intake(5))

    assert index(database) == [
        (str(UUID(int=1)), "FI-2021-00001", "firenze", str(ALICE)),
        (str(UUID(int=2)), "FI-2021-00002", "firenze", str(BRUNO)),
        (str(UUID(int=3)), "FI-2021-00003", "bari", None),
        (str(UUID(int=4)), "FI-2021-00004", "firenze", None),
        (str(UUID(int=5)), "FI-2021-00005", "firenze", None)]


def test_one_event_applied_alone(database: SqliteReadModels, feed: Feed) -> None:
    feed(intake(1))
    with database.transaction() as tx:
        PersonLinksProjection().apply(tx, feed.envelope(linked(1, ALICE)))
        PersonLinksProjection().apply(tx, feed.envelope(intake(2)))

    assert index(database) == [(str(UUID(int=1)), "FI-2021-00001", "firenze", str(ALICE)),
                               (str(UUID(int=2)), "FI-2021-00002", "firenze", None)]


def test_a_redelivered_batch_changes_nothing(database: SqliteReadModels, feed: Feed) -> None:
    batch = feed(intake(1), intake(2, "roma"), (noted(500, 1, 2), T0))
    feed((confirmed(500, 1, 2, ALICE), T0), linked(1, ALICE), transfer(2, "roma", "bari"))
    before = (index(database), PersonLinksQueries(database).match(UUID(int=500)))

    apply_batch(database, PersonLinksProjection(), batch)

    assert (index(database), PersonLinksQueries(database).match(UUID(int=500))) == before
    assert before[1] is not None and before[1].status == MATCH_CONFIRMED


def test_a_reset_empties_both_tables(database: SqliteReadModels, feed: Feed) -> None:
    feed(intake(1), intake(2, "roma"), noted(500, 1, 2))

    reset(database, PersonLinksProjection())

    with database.reading() as tx:
        for table in ("rm_person_cases", "rm_person_matches"):
            assert tx.fetchall(f"SELECT * FROM {table}") == []
    feed(intake(3))
    assert PersonLinksQueries(database).people().cases == 1


# Possible matches --------------------------------------------------------------------------------


def test_a_noted_match_field_by_field(database: SqliteReadModels, feed: Feed) -> None:
    feed((noted(500, 1, 2, matched_on=("name_and_birth_date", "tax_code")),
          datetime(2021, 3, 10, 10, 30, 15, 250, tzinfo=UTC)))
    # The same match noted again keeps the first.
    feed(noted(500, 1, 3))

    queries = PersonLinksQueries(database)
    row = the_match(matched_on=("name_and_birth_date", "tax_code"),
                    noted_at=datetime(2021, 3, 10, 10, 30, 15, 250, tzinfo=UTC))
    assert queries.match(UUID(int=500)) == row
    assert queries.match(UUID(int=501)) is None
    assert queries.matches_of_case(UUID(int=1)) == [row]
    # The case taken in before sees it too.
    assert queries.matches_of_case(UUID(int=2)) == [row]
    assert queries.matches_of_case(UUID(int=3)) == []
    with database.reading() as tx:
        assert tx.fetchone("SELECT matched_on, noted_at, person_id FROM rm_person_matches") == (
            "name_and_birth_date,tax_code", "2021-03-10T10:30:15.000250+00:00", None)


def test_a_confirmed_match_names_the_person_a_ruled_out_one_does_not(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(noted(500, 1, 2), noted(501, 3, 4), noted(502, 5, 6))
    feed(confirmed(500, 1, 2, ALICE), ruled_out(501, 3, 4))
    # Decisions on a match never noted change nothing.
    feed(confirmed(503, 7, 8, BRUNO), ruled_out(504, 7, 8))

    queries = PersonLinksQueries(database)
    assert queries.match(UUID(int=500)) == the_match(status=MATCH_CONFIRMED, person_id=ALICE)
    assert queries.match(UUID(int=501)) == the_match(
        match_id=UUID(int=501), case_id=UUID(int=3), case_code="FI-2021-00003",
        other_case_id=UUID(int=4), other_case_code="RO-2021-00004", status=MATCH_RULED_OUT)
    assert queries.match(UUID(int=502)) is not None
    assert queries.match(UUID(int=502)).status == MATCH_POSSIBLE  # type: ignore[union-attr]
    assert queries.match(UUID(int=503)) is None
    # Confirming names the person on the match only: each case's link is its own event.
    assert queries.person_of(UUID(int=1)) is None


def test_the_matches_of_a_case_in_the_order_they_were_noted(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed((noted(503, 1, 2), T0 + timedelta(hours=2)),
         (noted(502, 3, 1, other_city="firenze"), T0),
         (noted(501, 1, 4), T0),
         (noted(504, 5, 6), T0))

    matches = PersonLinksQueries(database).matches_of_case(UUID(int=1))

    assert [m.match_id.int for m in matches] == [501, 502, 503]
    assert matches[1].other_case_code == "FI-2021-00001"


def test_a_citys_open_matches_and_their_work_items_a_week_after_noting(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed((noted(503, 1, 2), T0 + timedelta(days=1)),
         (noted(502, 3, 4), T0),
         (noted(501, 5, 6), T0),
         (noted(504, 7, 8), T0),  # ruled out below
         (noted(505, 9, 10), T0),  # confirmed below
         (noted(506, 11, 12, city="roma", other_city="firenze"), T0))
    feed(ruled_out(504, 7, 8), confirmed(505, 9, 10, ALICE))
    queries = PersonLinksQueries(database)

    assert [m.match_id.int for m in queries.open_matches("firenze")] == [501, 502, 503]
    assert [m.match_id.int for m in queries.open_matches("roma")] == [506]
    assert queries.open_matches("milano") == []

    # Due a week after noting, at that moment included (as every work item: "due by"); a
    # microsecond before, not yet.
    assert queries.work_items("firenze", T0 + WEEK - timedelta(microseconds=1)) == []
    assert queries.work_items("firenze", T0 + WEEK) == [
        WorkItem(kind=WORK_ITEM_KIND, city="firenze", due=T0 + WEEK, case_id=UUID(int=5),
                 case_code="FI-2021-00005", subject_id=UUID(int=501)),
        WorkItem(kind=WORK_ITEM_KIND, city="firenze", due=T0 + WEEK, case_id=UUID(int=3),
                 case_code="FI-2021-00003", subject_id=UUID(int=502)),
    ]
    later = queries.work_items("firenze", T0 + timedelta(days=30))
    assert [(i.subject_id, i.due) for i in later] == [
        (UUID(int=501), T0 + WEEK), (UUID(int=502), T0 + WEEK),
        (UUID(int=503), T0 + timedelta(days=8))]
    assert [i.subject_id for i in queries.work_items("roma", T0 + timedelta(days=30))] == [
        UUID(int=506)]


# The code search ---------------------------------------------------------------------------------


def test_codes_are_found_by_an_upper_cased_prefix_in_code_order(
    database: SqliteReadModels, feed: Feed
) -> None:
    with database.transaction() as tx:
        tx.execute("PRAGMA case_sensitive_like = ON")  # as PostgreSQL's LIKE
    feed(intake(12), intake(3), intake(4, "roma"), intake(120), intake(5, "bari"))
    queries = PersonLinksQueries(database)

    assert queries.find_codes("  fi-2021-0001 ") == [
        CodeFound(UUID(int=12), "FI-2021-00012", "firenze")]
    assert [c.case_code for c in queries.find_codes(" fi ")] == [
        "FI-2021-00003", "FI-2021-00012", "FI-2021-00120"]
    assert [c.case_code for c in queries.find_codes("2021")] == []
    assert [c.case_code for c in queries.find_codes("FI-2021-00003")] == ["FI-2021-00003"]
    assert queries.find_codes("") == []
    assert queries.find_codes("   ") == []


def test_codes_in_a_city_and_up_to_the_limit(database: SqliteReadModels, feed: Feed) -> None:
    feed(*(intake(n) for n in range(1, 53)), intake(60, "roma", case_code="FI-2021-00060"))
    feed(transfer(2, "firenze", "roma"))
    queries = PersonLinksQueries(database)

    # 50 codes at most unless told otherwise.
    found = queries.find_codes("FI")
    assert len(found) == 50
    assert found[0] == CodeFound(UUID(int=1), "FI-2021-00001", "firenze")
    assert found[-1].case_code == "FI-2021-00050"
    assert [c.case_code for c in queries.find_codes("FI", limit=3)] == [
        "FI-2021-00001", "FI-2021-00002", "FI-2021-00003"]
    assert [(c.case_code, c.city) for c in queries.find_codes("FI", "roma")] == [
        ("FI-2021-00002", "roma"), ("FI-2021-00060", "roma")]
    assert len(queries.find_codes("FI", None, limit=100)) == 53


def test_likes_wildcards_in_a_search_are_taken_literally(
    database: SqliteReadModels, feed: Feed
) -> None:
    with database.transaction() as tx:
        tx.execute("PRAGMA case_sensitive_like = ON")
        tx.executemany("INSERT INTO rm_person_cases (case_id, case_code, city, person_id)"
                       " VALUES (?, ?, 'firenze', NULL)",
                       [(str(UUID(int=n)), case_code) for n, case_code in enumerate(
                           ["A%B", "AXB", "A_B", "AYB", "A\\B", "A\\\\B", "AB"], start=1)])
    queries = PersonLinksQueries(database)

    def found(prefix: str) -> list[str]:
        return [c.case_code for c in queries.find_codes(prefix)]

    assert found("A%") == ["A%B"]
    assert found("A_") == ["A_B"]
    assert found("A\\") == ["A\\B", "A\\\\B"]
    assert found("A\\\\") == ["A\\\\B"]
    assert found("A") == ["A%B", "AB", "AXB", "AYB", "A\\B", "A\\\\B", "A_B"]
    assert _escaped_prefix("a\\%_b") == "a\\\\\\%\\_b%"


# Cases and people --------------------------------------------------------------------------------


def test_cases_and_people_per_city_and_in_the_network(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(intake(1), intake(2, "roma"), intake(3), intake(4), intake(5, "ancona"))
    feed(linked(1, ALICE), linked(2, ALICE, "roma"), linked(3, BRUNO), linked(4, BRUNO))

    count = PersonLinksQueries(database).people()

    zero = {city: 0 for city in FOUNDING_CITIES}
    assert count == PeopleCount(
        cases_by_city=zero | {"firenze": 3, "roma": 1, "ancona": 1},
        people_by_city=zero | {"firenze": 2, "roma": 1, "ancona": 1},
        cases=5, people=3)


def test_cases_and_people_before_any_intake(database: SqliteReadModels) -> None:
    count = PersonLinksQueries(database).people()

    assert count == PeopleCount({city: 0 for city in FOUNDING_CITIES},
                                {city: 0 for city in FOUNDING_CITIES}, 0, 0)
    assert list(count.cases_by_city) == list(FOUNDING_CITIES)

"""`rm_changes`: the position of the batch in which each projection last wrote to its read model,
noted by `apply_batch_to_all` (issue 15: readers keep what they read of a read model until it
changes). A projection that ignores a batch's events, or whose statements change no row, is
not noted; a reset forgets it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.case_list import CaseListProjection
from projections.deliveries import DeliveryProjection
from projections.network_overview import NetworkOverviewProjection
from projections.projection import Delivered, WritesWatched, apply_batch_to_all, reset
from projections.storage.read_models import (
    PostgresReadModels,
    SqliteReadModels,
    changes_in,
    note_changes,
)
from tests.read_models import read_models_fixture
from tests.unit.test_projections import an_envelope, an_intake_recorded

database = read_models_fixture(CaseListProjection, NetworkOverviewProjection, DeliveryProjection)
PROJECTIONS = (CaseListProjection(), NetworkOverviewProjection(), DeliveryProjection())


def changes(database: SqliteReadModels) -> dict[str, int]:
    with database.reading() as tx:
        return changes_in(tx)


def test_a_batch_notes_the_projections_that_wrote_at_its_last_position(
    database: SqliteReadModels,
) -> None:
    apply_batch_to_all(database, PROJECTIONS, [
        Delivered(1, an_envelope(an_intake_recorded(1), 11)),
        Delivered(2, an_envelope(an_intake_recorded(2), 12)),
    ])
    # Intakes: the case list and the overview wrote; the deliveries ignored them.
    assert changes(database) == {"case_list": 12, "network_overview": 12}
    assert database.tracking("deliveries").position == 12

    apply_batch_to_all(database, PROJECTIONS, [
        Delivered(3, an_envelope(an_intake_recorded(3, "bari"), 20))])
    assert changes(database) == {"case_list": 20, "network_overview": 20}


def test_events_applied_already_note_nothing(database: SqliteReadModels) -> None:
    batch = [Delivered(1, an_envelope(an_intake_recorded(1), 11))]
    apply_batch_to_all(database, PROJECTIONS, batch)
    with database.transaction() as tx:
        note_changes(tx, {"case_list": 5})  # so that a second note would show
    apply_batch_to_all(database, PROJECTIONS, batch)  # redelivered
    assert changes(database) == {"case_list": 5, "network_overview": 11}


def test_a_reset_forgets_the_projection_s_changes_only(database: SqliteReadModels) -> None:
    apply_batch_to_all(database, PROJECTIONS, [Delivered(1, an_envelope(an_intake_recorded(1), 7))])
    reset(database, CaseListProjection())
    assert changes(database) == {"network_overview": 7}


def test_a_statement_that_changed_no_row_is_no_write(database: SqliteReadModels) -> None:
    apply_batch_to_all(database, PROJECTIONS, [Delivered(1, an_envelope(an_intake_recorded(1), 7))])
    with database.transaction() as tx:
        watched = WritesWatched(tx)
        assert watched.fetchall("SELECT case_code FROM rm_cases") == [("FI-2021-00001",)]
        assert watched.fetchone("SELECT COUNT(*) FROM rm_cases") == (1,)
        assert watched.execute("UPDATE rm_cases SET status = 'closed' WHERE case_code = 'x'") == 0
        watched.executemany("UPDATE rm_cases SET status = ? WHERE case_code = ?", [])
        watched.insert_new("rm_tracking", ("projection", "stream_seq", "position"),
                           ("projection",), [])
        assert not watched.wrote
        assert watched.execute("UPDATE rm_cases SET status = 'open'") == 1
        assert watched.wrote


@pytest.mark.parametrize("write", ["executemany", "insert_new"])
def test_rows_given_to_write_are_a_write(database: SqliteReadModels, write: str) -> None:
    with database.transaction() as tx:
        watched = WritesWatched(tx)
        if write == "executemany":
            watched.executemany("INSERT INTO rm_changes (projection, position) VALUES (?, ?)",
                                [("a", 1)])
        else:
            watched.insert_new("rm_changes", ("projection", "position"), ("projection",),
                               [("a", 1)])
        assert watched.wrote
        assert tx.fetchall("SELECT projection, position FROM rm_changes") == [("a", 1)]


@pytest.fixture
def postgres(postgres_database: str) -> Iterator[PostgresReadModels]:
    database = PostgresReadModels(postgres_database)
    yield database
    database.close()


@pytest.mark.postgres
def test_a_pipelined_statement_counts_as_a_write(postgres: PostgresReadModels) -> None:
    """Pipelined (a rebuild's bulk transaction), PostgreSQL does not say yet how many rows a
    statement changed: it is counted as a write, as it may be one."""
    with postgres.bulk_transaction() as tx:
        watched = WritesWatched(tx)
        assert watched.execute("UPDATE rm_tracking SET position = position WHERE FALSE") == -1
        assert watched.wrote

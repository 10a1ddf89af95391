"""Issue 15, dashboards at 10x scale: the dashboards' tallies are kept per read model and read
again only when its projection changed it (`rm_changes`, noted by `apply_batch_to_all`). Over a
tiny demo recorded by the platform's own services (every area of work: intakes, referrals,
housing, activities, deliveries, person links, claims), applied a few events at a time through
the live projections, what `IndicatorQueries` answers from what it kept always equals a reading
afresh, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from infra.publishing.messages import PUBLIC_TOPICS, to_message
from infra.settings import Settings
from infra.store.eventstore import open_record_read_only
from projections.indicators import IndicatorQueries
from projections.projection import Delivered, apply_batch_to_all
from projections.registry import default_projections
from projections.storage.read_models import ReadModelDatabase, changes_in
from tests.bench.generate import record_template
from tests.integration.test_bench_generate import TINY
from tests.integration.test_kept_readings import database  # noqa: F401 (fixture: SQLite, PostgreSQL)

EVENTS_A_BATCH = 7


@pytest.fixture(scope="module")
def demo_events(tmp_path_factory: pytest.TempPathFactory) -> list[Delivered]:
    """The tiny demo's public events as the projector receives them (position = sequence)."""
    directory = tmp_path_factory.mktemp("kept-tallies") / "demo"
    record_template(directory, TINY)
    record = open_record_read_only(Settings(data_dir=directory, database_url=None))
    try:
        notifications = record.recorder.select_notifications(1, 100_000, topics=PUBLIC_TOPICS)
        return [Delivered(n.id, to_message(n, record.mapper).envelope) for n in notifications]
    finally:
        record.close()


def test_what_is_kept_of_each_read_model_always_equals_a_reading_afresh(
    database: ReadModelDatabase, demo_events: list[Delivered],  # noqa: F811
) -> None:
    projections = default_projections()
    kept = IndicatorQueries(database)
    changed_since_start: set[str] = set()
    for start in range(0, len(demo_events), EVENTS_A_BATCH):
        apply_batch_to_all(database, projections, demo_events[start:start + EVENTS_A_BATCH])
        fresh = IndicatorQueries(database)
        assert kept.network_dashboard() == fresh.network_dashboard()
        for city in ("bari", "firenze"):
            assert kept.indicators(city) == fresh.indicators(city)
        with database.reading() as tx:
            changed_since_start |= set(changes_in(tx))
    # Every read model the tallies count was changed on the way, many times each.
    assert {"case_list", "referral_board", "housing", "activity_register", "deliveries",
            "person_links"} <= changed_since_start
    assert len(demo_events) > 40 * EVENTS_A_BATCH
    final = IndicatorQueries(database).network_dashboard().network
    assert final.cases.taken_in >= 14  # every intake the demo schedules (and some again)
    assert final.referrals.requested > 0 and final.housing.beds > 0
    assert final.activities.total.activities > 0 and final.deliveries.deliveries > 0

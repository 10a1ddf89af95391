"""How the tests share the PostgreSQL server (tests/postgres_budget.py, issue 20): the sweep
drops only databases of runs over an hour old with nobody connected; each worker's budget is its
part of the server's connections, and a worker past it waits, then fails, instead of hanging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests import postgres_budget
from tests.postgres_budget import (
    ConnectionBudget,
    connection_budget,
    made_at,
    new_database_name,
    stale_databases,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
AN_HOUR = timedelta(hours=1)


def test_a_database_says_when_it_was_made_in_its_name() -> None:
    name = new_database_name(NOW)
    assert name.startswith("lgnet_test_") and made_at(name) == NOW
    assert made_at(name + "_housing") == NOW  # a module's own database, made from the run's
    assert made_at("lgnet_test_7c38853e2106") is None  # before issue 20


def test_only_databases_over_an_hour_old_with_nobody_connected_are_stale() -> None:
    old, young = new_database_name(NOW - AN_HOUR - timedelta(seconds=1)), new_database_name(
        NOW - AN_HOUR)
    unnamed_old, unnamed_young = "lgnet_test_0123456789ab", "lgnet_test_ba9876543210"
    assert stale_databases([
        (old, None, 0), (young, None, 0), (old + "_housing", NOW, 1),
        (unnamed_old, NOW - 2 * AN_HOUR, 0), (unnamed_young, NOW - timedelta(minutes=5), 0),
        ("lgnet_test_unknown", None, 0),
    ], NOW) == [old, unnamed_old]


@pytest.mark.parametrize(("workers", "budget"), [(1, 58), (2, 29), (8, 7), (64, 1)])
def test_a_run_s_workers_share_sixty_percent_of_the_server(workers: int, budget: int) -> None:
    assert connection_budget(100, 3, workers) == budget
    assert budget * workers <= 100 - 3 or budget == 1


def test_a_worker_past_its_budget_waits_and_then_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_budget, "SLOT_WAIT_SECONDS", 0.01)
    budget = ConnectionBudget(1)
    give_back = budget.take()
    with pytest.raises(psycopg.OperationalError, match="its 1 PostgreSQL connections"):
        budget.take()
    give_back()
    give_back()  # once only: the slot is not given back twice
    budget.take()
    with pytest.raises(psycopg.OperationalError):
        budget.take()

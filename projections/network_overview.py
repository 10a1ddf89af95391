"""The ministry's network overview: per city, cases, vulnerable cases and cases by protection
status. Every one of the 19 cities appears, with zeros until its first intake."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from events.cloudevents import Envelope
from events.contracts import CaseIntakeRecordedV1, City
from projections.storage import ReadModelDatabase, Transaction

CITIES: tuple[str, ...] = City.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CityFigures:
    city: str
    cases: int = 0
    vulnerable_cases: int = 0
    by_protection_status: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class NetworkOverview:
    cities: tuple[CityFigures, ...]

    @property
    def total_cases(self) -> int:
        return sum(c.cases for c in self.cities)

    @property
    def total_vulnerable_cases(self) -> int:
        return sum(c.vulnerable_cases for c in self.cities)

    def by_protection_status(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for figures in self.cities:
            for status, count in figures.by_protection_status.items():
                totals[status] = totals.get(status, 0) + count
        return totals


class NetworkOverviewProjection:
    name = "network_overview"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_network_cities (city TEXT PRIMARY KEY,"
            " cases INTEGER NOT NULL, vulnerable_cases INTEGER NOT NULL)"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_network_protection (city TEXT NOT NULL,"
            " protection_status TEXT NOT NULL, cases INTEGER NOT NULL,"
            " PRIMARY KEY (city, protection_status))"
        )

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute("DROP TABLE IF EXISTS rm_network_cities")
        tx.execute("DROP TABLE IF EXISTS rm_network_protection")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        # The batch's counts are added up here and written with one upsert per city and per
        # (city, status): 0.4 us an event instead of 3.3 (SQLite). Adding is safe only because
        # each event is applied once: the tracking position moves in the same transaction.
        cities: dict[str, list[int]] = {}
        statuses: dict[tuple[str, str], int] = {}
        for envelope in envelopes:
            data = envelope.data
            if isinstance(data, CaseIntakeRecordedV1):
                counts = cities.get(data.city)
                if counts is None:
                    counts = cities[data.city] = [0, 0]
                counts[0] += 1
                if data.vulnerabilities:
                    counts[1] += 1
                key = (data.city, data.protection_status)
                statuses[key] = statuses.get(key, 0) + 1
        # In key order: concurrent writers (there is one projector, but still) lock rows in the
        # same order and cannot deadlock.
        if cities:
            tx.executemany(
                "INSERT INTO rm_network_cities (city, cases, vulnerable_cases)"
                " VALUES (?, ?, ?) ON CONFLICT (city) DO UPDATE SET"
                " cases = rm_network_cities.cases + excluded.cases,"
                " vulnerable_cases = rm_network_cities.vulnerable_cases"
                " + excluded.vulnerable_cases",
                [(city, n, vulnerable) for city, (n, vulnerable) in sorted(cities.items())],
            )
        if statuses:
            tx.executemany(
                "INSERT INTO rm_network_protection (city, protection_status, cases)"
                " VALUES (?, ?, ?) ON CONFLICT (city, protection_status) DO UPDATE SET"
                " cases = rm_network_protection.cases + excluded.cases",
                [(city, status, n) for (city, status), n in sorted(statuses.items())],
            )


class NetworkOverviewQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def overview(self) -> NetworkOverview:
        with self.database.reading() as tx:
            totals = {
                r[0]: (int(r[1]), int(r[2]))
                for r in tx.fetchall("SELECT city, cases, vulnerable_cases FROM rm_network_cities")
            }
            statuses: dict[str, dict[str, int]] = {}
            for city, status, count in tx.fetchall(
                "SELECT city, protection_status, cases FROM rm_network_protection"
            ):
                statuses.setdefault(city, {})[status] = int(count)
        return NetworkOverview(
            tuple(
                CityFigures(
                    city=city,
                    cases=totals.get(city, (0, 0))[0],
                    vulnerable_cases=totals.get(city, (0, 0))[1],
                    by_protection_status=statuses.get(city, {}),
                )
                for city in CITIES
            )
        )

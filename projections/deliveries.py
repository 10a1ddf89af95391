"""Services delivered: each delivery to a person (kind, quantity, unit, day, sub-action), voided
ones kept and marked, and the totals per city × sub-action × kind: how many deliveries, to how
many people, how much in each kind's unit (euros for cash support).

Quantities are decimals: stored as TEXT and summed in Python as Decimal, never as floats (the
figures go into reports to the EU). A voided delivery counts in no total. The totals as of a
past moment are these same queries over read models replayed up to it (infra.replay)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from events.cloudevents import Envelope
from events.deliveries import DeliveryRecordedV1, DeliveryVoidedV1
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

ZERO = Decimal("0.00")
CASH_UNIT = "eur"


@dataclass(frozen=True)
class DeliveryRow:
    delivery_id: UUID
    city: str
    case_id: UUID
    case_code: str
    sub_action: str
    kind: str
    unit: str
    quantity: Decimal
    delivered_on: date
    recorded_at: datetime
    recorded_by: str | None
    """The staff member's username (staff, not the person served)."""
    voided_reason: str | None

    @property
    def is_voided(self) -> bool:
        return self.voided_reason is not None


@dataclass(frozen=True)
class DeliveryTotal:
    """The deliveries of one city (None: every city), sub-action and kind that are not voided."""

    city: str | None
    sub_action: str
    kind: str
    unit: str
    deliveries: int
    people: int
    """Distinct cases served (within this city, sub-action and kind)."""
    quantity: Decimal


@dataclass(frozen=True)
class DeliveryRegister:
    city: str
    deliveries: tuple[DeliveryRow, ...]
    totals: tuple[DeliveryTotal, ...]
    people: int
    """Distinct cases served in the city (by any delivery not voided)."""
    cash: Decimal
    """Cash support paid in the city, in euros."""


_COLUMNS = (
    "delivery_id, city, case_id, case_code, sub_action, kind, unit, quantity, delivered_on,"
    " recorded_at, recorded_by, voided_reason"
)


class DeliveryProjection:
    name = "deliveries"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_deliveries ("
            " delivery_id TEXT PRIMARY KEY, city TEXT NOT NULL, case_id TEXT NOT NULL,"
            " case_code TEXT NOT NULL, sub_action TEXT NOT NULL, kind TEXT NOT NULL,"
            " unit TEXT NOT NULL, quantity TEXT NOT NULL, delivered_on TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL, recorded_by TEXT, voided_reason TEXT,"
            " position BIGINT NOT NULL)"
        )
        tx.execute("CREATE INDEX IF NOT EXISTS rm_deliveries_case"
                   " ON rm_deliveries (case_id, delivered_on)")
        tx.execute("CREATE INDEX IF NOT EXISTS rm_deliveries_city"
                   " ON rm_deliveries (city, delivered_on)")
        # The dashboards' tallies (projections.indicators.tallies) group the deliveries not
        # voided by these columns: read from this index alone, already in their order, instead
        # of a sort of the whole table (issue 15: the largest of the tallies' tables).
        tx.execute("CREATE INDEX IF NOT EXISTS rm_deliveries_tallies"
                   " ON rm_deliveries (city, sub_action, kind, unit, quantity, case_id)"
                   " WHERE voided_reason IS NULL")

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute("DROP TABLE IF EXISTS rm_deliveries")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            data = envelope.data
            match data:
                case DeliveryRecordedV1():
                    tx.execute(
                        f"INSERT INTO rm_deliveries ({_COLUMNS}, position)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)"
                        " ON CONFLICT (delivery_id) DO NOTHING",
                        (str(data.delivery_id), data.city, str(data.case_id), data.case_code,
                         data.sub_action, data.kind, data.unit, str(data.quantity),
                         data.delivered_on.isoformat(), envelope.time.isoformat(),
                         envelope.actor.id, envelope.position),
                    )
                case DeliveryVoidedV1():
                    tx.execute(
                        "UPDATE rm_deliveries SET voided_reason = ?, position = ?"
                        " WHERE delivery_id = ?",
                        (data.reason, envelope.position, str(data.delivery_id)),
                    )
                # A transferred case's deliveries stay with the city that delivered them.


class DeliveryQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def of_case(self, case_id: UUID, limit: int | None = None) -> list[DeliveryRow]:
        """The case's deliveries, the latest day first (voided ones too, marked)."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT {_COLUMNS} FROM rm_deliveries WHERE case_id = ?"
                " ORDER BY delivered_on DESC, position DESC"
                + (f" LIMIT {int(limit)}" if limit else ""),
                (str(case_id),),
            )
        return [_row(r) for r in rows]

    def delivery(self, delivery_id: UUID) -> DeliveryRow | None:
        with self.database.reading() as tx:
            row = tx.fetchone(f"SELECT {_COLUMNS} FROM rm_deliveries WHERE delivery_id = ?",
                              (str(delivery_id),))
        return _row(row) if row else None

    def register(
        self, city: str, sub_action: str | None = None, kind: str | None = None,
        limit: int = 500,
    ) -> DeliveryRegister:
        """The city's deliveries (of one sub-action and/or kind, when given), the latest first
        (at most `limit`), with the totals of all of them."""
        where, params = "city = ?", [city]
        if sub_action:
            where += " AND sub_action = ?"
            params.append(sub_action)
        if kind:
            where += " AND kind = ?"
            params.append(kind)
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT {_COLUMNS} FROM rm_deliveries WHERE {where}"
                f" ORDER BY delivered_on DESC, position DESC LIMIT {int(limit)}", params)
            counted = _counted(tx, where, params)
        totals = _totals(counted, by_city=True)
        live = [c for c in counted if c[6] is None]
        return DeliveryRegister(
            city=city, deliveries=tuple(_row(r) for r in rows), totals=totals,
            people=len({c[1] for c in live}),
            # c[7]: how many deliveries of that amount (equal payments to one person are one
            # row of the count).
            cash=sum((Decimal(c[5]) * int(c[7]) for c in live if c[4] == CASH_UNIT), ZERO),
        )

    def totals(self, city: str | None = None) -> tuple[DeliveryTotal, ...]:
        """Per city × sub-action × kind (one city's, or every city's)."""
        where, params = ("city = ?", [city]) if city else ("1 = 1", [])
        with self.database.reading() as tx:
            return _totals(_counted(tx, where, params), by_city=True)


def totals_in(tx: Transaction, city: str | None) -> tuple[DeliveryTotal, ...]:
    """Per sub-action × kind for one city (or the network, summing the cities'), in `tx`."""
    where, params = ("city = ?", [city]) if city else ("1 = 1", [])
    return _totals(_counted(tx, where, params), by_city=city is not None)


def _counted(tx: Transaction, where: str, params: list[str]) -> list[tuple[Any, ...]]:
    # Quantities are decimal texts: the equal ones counted by the database, summed here.
    return tx.fetchall(
        "SELECT city, case_id, sub_action, kind, unit, quantity, voided_reason, COUNT(*)"
        f" FROM rm_deliveries WHERE {where}"
        " GROUP BY city, case_id, sub_action, kind, unit, quantity, voided_reason", params)


def _totals(counted: Sequence[tuple[Any, ...]], by_city: bool) -> tuple[DeliveryTotal, ...]:
    keyed: dict[tuple[str | None, str, str, str], tuple[int, set[tuple[str, str]], Decimal]] = {}
    for city, case_id, sub_action, kind, unit, quantity, voided, count in counted:
        if voided is not None:
            continue
        key = (city if by_city else None, sub_action, kind, unit)
        deliveries, people, total = keyed.get(key, (0, set(), Decimal(0)))
        people.add((city, case_id))
        keyed[key] = (deliveries + int(count), people,
                      total + Decimal(str(quantity)) * int(count))
    return tuple(
        DeliveryTotal(city=key[0], sub_action=key[1], kind=key[2], unit=key[3],
                      deliveries=deliveries, people=len(people), quantity=total)
        for key, (deliveries, people, total) in sorted(
            keyed.items(), key=lambda item: (item[0][0] or "", item[0][1], item[0][2]))
    )


def _row(row: tuple[Any, ...]) -> DeliveryRow:
    return DeliveryRow(
        delivery_id=UUID(row[0]), city=row[1], case_id=UUID(row[2]), case_code=row[3],
        sub_action=row[4], kind=row[5], unit=row[6], quantity=Decimal(row[7]),
        delivered_on=date.fromisoformat(row[8]), recorded_at=datetime.fromisoformat(row[9]),
        recorded_by=row[10], voided_reason=row[11],
    )

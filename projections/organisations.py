"""Partner organisations as the web shows them: each city's registered organisations, their kind,
when they were registered and, once retired, when. The referral board and the case page name an
organisation through these rows (by id): the referral and consent events carry ids only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from events.cloudevents import Envelope
from events.organisations import OrganisationRegisteredV1, OrganisationRetiredV1
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction


@dataclass(frozen=True)
class OrganisationRow:
    organisation_id: UUID
    city: str
    name: str
    kind: str
    registered_on: date
    retired_on: date | None

    @property
    def is_retired(self) -> bool:
        return self.retired_on is not None


_COLUMNS = "organisation_id, city, name, kind, registered_on, retired_on"


class OrganisationProjection:
    name = "organisations"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_organisations ("
            " organisation_id TEXT PRIMARY KEY, city TEXT NOT NULL, name TEXT NOT NULL,"
            " kind TEXT NOT NULL, registered_on TEXT NOT NULL, retired_on TEXT)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_organisations_city ON rm_organisations (city, name)"
        )

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute("DROP TABLE IF EXISTS rm_organisations")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            match envelope.data:
                case OrganisationRegisteredV1() as data:
                    tx.execute(
                        f"INSERT INTO rm_organisations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)"
                        " ON CONFLICT (organisation_id) DO NOTHING",
                        (str(data.organisation_id), data.city, data.name, data.kind,
                         data.registered_on.isoformat()),
                    )
                case OrganisationRetiredV1() as data:
                    tx.execute(
                        "UPDATE rm_organisations SET retired_on = ? WHERE organisation_id = ?",
                        (data.retired_on.isoformat(), str(data.organisation_id)),
                    )
                case _:
                    pass


def _row(values: Sequence[object]) -> OrganisationRow:
    organisation_id, city, name, kind, registered_on, retired_on = values
    return OrganisationRow(
        UUID(str(organisation_id)), str(city), str(name), str(kind),
        date.fromisoformat(str(registered_on)),
        date.fromisoformat(str(retired_on)) if retired_on else None,
    )


class OrganisationQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def organisation(self, organisation_id: UUID) -> OrganisationRow | None:
        with self.database.reading() as tx:
            row = tx.fetchone(
                f"SELECT {_COLUMNS} FROM rm_organisations WHERE organisation_id = ?",
                (str(organisation_id),))
        return _row(row) if row else None

    def city_organisations(
        self, city: str, *, include_retired: bool = True
    ) -> list[OrganisationRow]:
        """The city's organisations by name (the retired ones too, unless left out)."""
        retired = "" if include_retired else " AND retired_on IS NULL"
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT {_COLUMNS} FROM rm_organisations WHERE city = ?{retired}"
                " ORDER BY name, organisation_id", (city,))
        return [_row(row) for row in rows]

    def names(self, organisation_ids: Iterable[UUID]) -> dict[UUID, str]:
        """The names of these organisations (those the read model knows), by id."""
        wanted = sorted({str(i) for i in organisation_ids})
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT organisation_id, name FROM rm_organisations"
                f" WHERE organisation_id IN ({marks})", tuple(wanted))
        return {UUID(str(i)): str(name) for i, name in rows}

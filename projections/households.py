"""Households as the web shows them: each household with its members now and before (with the
dates they joined and left, their relationship to the head), and the beds offered to it.

A member's row keeps the dates, so the household as it was on a day is a query, and the read
model replayed up to a past moment (infra.replay) is the household as the record then knew it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from events.cloudevents import Envelope
from events.households import (
    HouseholdFormedV1,
    HouseholdHeadChangedV1,
    HouseholdMemberJoinedV1,
    HouseholdMemberLeftV1,
    ShelterHouseholdBedsOfferedV1,
)
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

HEAD = "head"


@dataclass(frozen=True)
class MemberRow:
    case_id: UUID
    case_code: str
    relationship: str
    joined_on: date
    left_on: date | None
    departure_reason: str | None

    @property
    def is_head(self) -> bool:
        return self.relationship == HEAD and self.left_on is None


@dataclass(frozen=True)
class HouseholdOfferRow:
    shelter_id: UUID
    bed_numbers: tuple[int, ...]
    offered_on: date


@dataclass(frozen=True)
class HouseholdView:
    household_id: UUID
    city: str
    formed_on: date
    ended_on: date | None
    members: tuple[MemberRow, ...]
    """Members now: the head first, then by the day they joined."""
    former_members: tuple[MemberRow, ...]
    offers: tuple[HouseholdOfferRow, ...]

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def head(self) -> MemberRow | None:
        return next((m for m in self.members if m.is_head), None)


@dataclass(frozen=True)
class HouseholdSummary:
    household_id: UUID
    head_case_id: UUID | None
    head_case_code: str | None
    size: int
    formed_on: date


class HouseholdProjection:
    name = "households"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_households ("
            " household_id TEXT PRIMARY KEY, city TEXT NOT NULL, formed_on TEXT NOT NULL,"
            " ended_on TEXT, last_position BIGINT NOT NULL)"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_household_members ("
            " household_id TEXT NOT NULL, case_id TEXT NOT NULL, case_code TEXT NOT NULL,"
            " city TEXT NOT NULL, relationship TEXT NOT NULL, joined_on TEXT NOT NULL,"
            " left_on TEXT, departure_reason TEXT, position BIGINT NOT NULL,"
            " PRIMARY KEY (household_id, position))"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_household_members_case"
            " ON rm_household_members (case_id, left_on)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_household_members_code"
            " ON rm_household_members (city, case_code)"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_household_offers ("
            " household_id TEXT NOT NULL, shelter_id TEXT NOT NULL, bed_numbers TEXT NOT NULL,"
            " offered_on TEXT NOT NULL, position BIGINT NOT NULL,"
            " PRIMARY KEY (household_id, position))"
        )

    def drop_tables(self, tx: Transaction) -> None:
        for table in ("rm_households", "rm_household_members", "rm_household_offers"):
            tx.execute(f"DROP TABLE IF EXISTS {table}")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        # Household events are few (a handful per household): one at a time, in stream order.
        for envelope in envelopes:
            data, position = envelope.data, envelope.position
            match data:
                case HouseholdFormedV1():
                    tx.execute(
                        "INSERT INTO rm_households (household_id, city, formed_on, ended_on,"
                        " last_position) VALUES (?, ?, ?, NULL, ?)"
                        " ON CONFLICT (household_id) DO NOTHING",
                        (str(data.household_id), data.city, data.formed_on.isoformat(),
                         position),
                    )
                case HouseholdMemberJoinedV1():
                    tx.execute(
                        "INSERT INTO rm_household_members (household_id, case_id, case_code,"
                        " city, relationship, joined_on, left_on, departure_reason, position)"
                        " VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)"
                        " ON CONFLICT (household_id, position) DO NOTHING",
                        (str(data.household_id), str(data.case_id), data.case_code, data.city,
                         data.relationship, data.joined_on.isoformat(), position),
                    )
                case HouseholdMemberLeftV1():
                    tx.execute(
                        "UPDATE rm_household_members SET left_on = ?, departure_reason = ?"
                        " WHERE household_id = ? AND case_id = ? AND left_on IS NULL",
                        (data.left_on.isoformat(), data.reason, str(data.household_id),
                         str(data.case_id)),
                    )
                    if data.members_left == 0:
                        tx.execute(
                            "UPDATE rm_households SET ended_on = ?, last_position = ?"
                            " WHERE household_id = ?",
                            (data.left_on.isoformat(), position, str(data.household_id)),
                        )
                case HouseholdHeadChangedV1():
                    for case_id, relationship in (
                        (data.previous_head_case_id, data.previous_head_relationship),
                        (data.case_id, HEAD),
                    ):
                        tx.execute(
                            "UPDATE rm_household_members SET relationship = ?"
                            " WHERE household_id = ? AND case_id = ? AND left_on IS NULL",
                            (relationship, str(data.household_id), str(case_id)),
                        )
                case ShelterHouseholdBedsOfferedV1():
                    tx.execute(
                        "INSERT INTO rm_household_offers (household_id, shelter_id,"
                        " bed_numbers, offered_on, position) VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT (household_id, position) DO NOTHING",
                        (str(data.household_id), str(data.shelter_id),
                         ",".join(str(bed) for bed in data.bed_numbers),
                         data.offered_on.isoformat(), position),
                    )


_MEMBER_COLUMNS = "case_id, case_code, relationship, joined_on, left_on, departure_reason"


def _member(row: tuple[object, ...]) -> MemberRow:
    return MemberRow(
        case_id=UUID(str(row[0])), case_code=str(row[1]), relationship=str(row[2]),
        joined_on=date.fromisoformat(str(row[3])),
        left_on=date.fromisoformat(str(row[4])) if row[4] else None,
        departure_reason=str(row[5]) if row[5] else None,
    )


def current_sizes_in(tx: Transaction, city: str | None) -> dict[UUID, tuple[str, int]]:
    """Each case that is a member of a household now (of the city, or of any), with the size
    of that household now: case id -> (household id, members)."""
    where, params = ("AND m.city = ?", (city,)) if city is not None else ("", ())
    rows = tx.fetchall(
        "SELECT m.case_id, m.household_id, s.members FROM rm_household_members m"
        " JOIN (SELECT household_id, COUNT(*) AS members FROM rm_household_members"
        "       WHERE left_on IS NULL GROUP BY household_id) s"
        " ON s.household_id = m.household_id"
        f" WHERE m.left_on IS NULL {where}",
        params,
    )
    return {UUID(str(case_id)): (str(household_id), int(members))
            for case_id, household_id, members in rows}


class HouseholdQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def household(self, household_id: UUID) -> HouseholdView | None:
        with self.database.reading() as tx:
            return self._household_in(tx, str(household_id))

    def household_of_case(self, case_id: UUID) -> HouseholdView | None:
        """The household the case is a member of now; None when it is in none."""
        with self.database.reading() as tx:
            row = tx.fetchone(
                "SELECT household_id FROM rm_household_members"
                " WHERE case_id = ? AND left_on IS NULL", (str(case_id),))
            return self._household_in(tx, str(row[0])) if row else None

    def household_of_code(self, city: str, case_code: str) -> HouseholdView | None:
        """The household that the city's case with this code is a member of now."""
        with self.database.reading() as tx:
            row = tx.fetchone(
                "SELECT household_id FROM rm_household_members"
                " WHERE city = ? AND case_code = ? AND left_on IS NULL", (city, case_code))
            return self._household_in(tx, str(row[0])) if row else None

    def city_households(self, city: str) -> list[HouseholdSummary]:
        """The city's households that have members now, the latest formed first."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT h.household_id, h.formed_on, head.case_id, head.case_code,"
                " (SELECT COUNT(*) FROM rm_household_members m WHERE m.household_id ="
                "  h.household_id AND m.left_on IS NULL)"
                " FROM rm_households h LEFT JOIN rm_household_members head"
                " ON head.household_id = h.household_id AND head.left_on IS NULL"
                " AND head.relationship = ?"
                " WHERE h.city = ? AND h.ended_on IS NULL"
                " ORDER BY h.formed_on DESC, h.household_id", (HEAD, city))
        return [HouseholdSummary(UUID(str(household_id)),
                                 UUID(str(head_id)) if head_id else None,
                                 str(head_code) if head_code else None, int(size),
                                 date.fromisoformat(str(formed_on)))
                for household_id, formed_on, head_id, head_code, size in rows]

    def _household_in(self, tx: Transaction, household_id: str) -> HouseholdView | None:
        row = tx.fetchone(
            "SELECT city, formed_on, ended_on FROM rm_households WHERE household_id = ?",
            (household_id,))
        if row is None:
            return None
        members = [_member(r) for r in tx.fetchall(
            f"SELECT {_MEMBER_COLUMNS} FROM rm_household_members WHERE household_id = ?"
            " ORDER BY joined_on, position", (household_id,))]
        offers = tx.fetchall(
            "SELECT shelter_id, bed_numbers, offered_on FROM rm_household_offers"
            " WHERE household_id = ? ORDER BY position DESC", (household_id,))
        current = sorted((m for m in members if m.left_on is None),
                         key=lambda m: (not m.is_head, m.joined_on))
        return HouseholdView(
            household_id=UUID(household_id), city=str(row[0]),
            formed_on=date.fromisoformat(str(row[1])),
            ended_on=date.fromisoformat(str(row[2])) if row[2] else None,
            members=tuple(current),
            former_members=tuple(m for m in members if m.left_on is not None),
            offers=tuple(HouseholdOfferRow(UUID(str(shelter)),
                                           tuple(int(b) for b in str(beds).split(",")),
                                           date.fromisoformat(str(on)))
                         for shelter, beds, on in offers),
        )

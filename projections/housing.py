"""Read models of fast-track housing: each city's shelters with their beds and how many are
taken now, who waits on the city's waitlist (with what their priority is computed from: the
order itself is the domain's, with the Ministry's weights), every placement (offer, stay,
move-out) per shelter, the days from intake to move-in, and each case's housing path.

Built from the published `shelter.*` and `placement.*` events only (the shelters' internal bed
bookkeeping never leaves the record), plus three case events that change where a case stands on
a waitlist: a correction (vulnerabilities, priority group), a closure or reopening (a closed case
waits for nothing), a transfer (the case waits in its new city). Counters are updated in place:
the projector applies each event exactly once, in order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from events.cloudevents import Envelope
from events.contracts import (
    CaseClosedV2,
    CaseIntakeCorrectedV3,
    CaseReopenedV2,
    CaseStatusChangedV1,
    CaseTransferredV1,
)
from events.housing import (
    PlacementBedOfferedV1,
    PlacementLeftWaitlistV2,
    PlacementMovedInV1,
    PlacementMovedOutV2,
    PlacementOfferDeclinedV2,
    PlacementWaitlistedV1,
    ShelterBedsAddedV1,
    ShelterBedsRemovedV1,
    ShelterClosedV2,
    ShelterRegisteredV1,
)
from projections.projection import WorkItem
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

# The stages of a housing path as the read model names them (the domain's HousingStage values).
WAITLISTED = "waitlisted"
OFFERED = "offered"
HOUSED = "housed"
MOVED_OUT = "moved_out"
LEFT_WAITLIST = "left_waitlist"
DECLINED = "declined"  # a placement whose offer was declined
# The programme's days are Rome's: a change of beds made at 00:30 in Rome on the 1st counts from
# the 1st, though it is still the 31st in UTC (the domain dates closures the same way).
PROGRAMME_TIMEZONE = ZoneInfo("Europe/Rome")
# The work queue's kinds of item (projections.projection.WorkItem), and when each is due: a bed
# offered awaits the person's answer (move in, or decline) by the end of the day after the
# offer; a case waiting on the waitlist calls for attention after WAITLIST_ATTENTION_AFTER
# (the longest waiting come first). Platform conventions, not law: docs/workflows/casework.md.
BED_OFFER_AWAITING_ANSWER = "bed_offer_awaiting_answer"
WAITING_LONGEST = "waitlist_waiting_long"
BED_OFFER_ANSWER_DAYS = 1
WAITLIST_ATTENTION_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class ShelterRow:
    shelter_id: UUID
    city: str
    name: str
    kind: str
    address_area: str
    bed_numbers: tuple[int, ...]
    occupied: int
    registered_at: datetime
    closed_on: date | None
    closed_reason: str | None
    """Why it closed: a code of domain.housing.model.ShelterClosureReason; None while open, and
    for a shelter closed before the reasons were a list (its text stays in the event store)."""
    # Days from intake to move-in of everyone who moved in here (the pages say their median and
    # 90th percentile: issue 14 item 14, never a mean).
    days_to_move_in: tuple[int, ...]

    @property
    def beds(self) -> int:
        return len(self.bed_numbers)

    @property
    def free(self) -> int:
        return 0 if self.closed_on else self.beds - self.occupied

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None


@dataclass(frozen=True)
class CityHousing:
    """A city's shelters (open ones first) and its totals over the open ones, now."""

    city: str
    shelters: tuple[ShelterRow, ...]
    # Days from intake to move-in of every move-in of the city so far.
    days_to_move_in: tuple[int, ...]

    @property
    def housed_so_far(self) -> int:
        return len(self.days_to_move_in)

    @property
    def open_shelters(self) -> tuple[ShelterRow, ...]:
        return tuple(s for s in self.shelters if not s.is_closed)

    @property
    def beds(self) -> int:
        return sum(s.beds for s in self.open_shelters)

    @property
    def occupied(self) -> int:
        return sum(s.occupied for s in self.open_shelters)

    @property
    def free(self) -> int:
        return sum(s.free for s in self.open_shelters)


@dataclass(frozen=True)
class WaitlistEntry:
    case_id: UUID
    case_code: str
    vulnerable: bool
    priority_group: str
    intake_date: date
    waitlisted_at: datetime
    days_waiting: int


@dataclass(frozen=True)
class PlacementRow:
    """One bed offer and what became of it: declined, or a stay (perhaps ended)."""

    case_id: UUID
    case_code: str
    city: str
    shelter_id: UUID
    shelter_name: str
    bed: int
    offered_on: date
    status: str
    intake_date: date | None
    moved_in_on: date | None
    days_to_move_in: int | None
    moved_out_on: date | None
    outcome: str | None
    note_id: UUID | None
    """The move-out note's id in the vault (free text, kept under the person's key)."""
    reason_id: UUID | None
    """A declined offer's reason's id in the vault."""


@dataclass(frozen=True)
class HousingPathRow:
    case_id: UUID
    housing_path_id: UUID
    case_code: str
    city: str
    stage: str
    vulnerable: bool
    priority_group: str
    intake_date: date
    waitlisted_at: datetime | None
    episodes: int
    shelter_id: UUID | None
    shelter_name: str | None
    address_area: str | None
    bed: int | None
    offered_on: date | None
    moved_in_on: date | None
    case_closed: bool


_SHELTER_COLUMNS = (
    "shelter_id", "city", "name", "kind", "address_area", "bed_numbers", "occupied",
    "registered_at", "closed_on", "closed_reason", "last_position",
)
_PATH_COLUMNS = (
    "case_id", "housing_path_id", "case_code", "city", "stage", "vulnerable", "priority_group",
    "intake_date", "waitlisted_at", "episodes", "shelter_id", "shelter_name", "address_area",
    "bed", "offered_on", "moved_in_on", "case_closed", "last_position",
)
_BED_COUNT_COLUMNS = ("shelter_id", "position", "city", "effective_on", "beds")
_PLACEMENT_COLUMNS = (
    "case_id", "offered_position", "case_code", "city", "shelter_id", "shelter_name", "bed",
    "offered_on", "status", "intake_date", "moved_in_on", "days_to_move_in", "moved_out_on",
    "outcome", "note_id", "reason_id",
)
# A placement offered: every column given, but the intake date, read from the case's path.
_INSERT_PLACEMENT_SQL = (
    f"INSERT INTO rm_placements ({', '.join(_PLACEMENT_COLUMNS)}) VALUES ("
    + ", ".join("(SELECT intake_date FROM rm_housing_paths WHERE case_id = ?)"
                if column == "intake_date" else "?" for column in _PLACEMENT_COLUMNS)
    + ") ON CONFLICT (case_id, offered_position) DO NOTHING"
)


class HousingProjection:
    name = "housing"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_shelters ("
            " shelter_id TEXT PRIMARY KEY, city TEXT NOT NULL, name TEXT NOT NULL,"
            " kind TEXT NOT NULL, address_area TEXT NOT NULL,"
            # comma-separated bed numbers, in order
            " bed_numbers TEXT NOT NULL, occupied INTEGER NOT NULL,"
            " registered_at TEXT NOT NULL, closed_on TEXT, closed_reason TEXT,"
            " last_position BIGINT NOT NULL)"
        )
        tx.execute("CREATE INDEX IF NOT EXISTS rm_shelters_city ON rm_shelters (city, name)")
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_housing_paths ("
            " case_id TEXT PRIMARY KEY, housing_path_id TEXT NOT NULL, case_code TEXT NOT NULL,"
            " city TEXT NOT NULL, stage TEXT NOT NULL, vulnerable INTEGER NOT NULL,"
            " priority_group TEXT NOT NULL, intake_date TEXT NOT NULL, waitlisted_at TEXT,"
            " episodes INTEGER NOT NULL, shelter_id TEXT, shelter_name TEXT, address_area TEXT,"
            " bed INTEGER, offered_on TEXT, moved_in_on TEXT, case_closed INTEGER NOT NULL,"
            " last_position BIGINT NOT NULL)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_housing_paths_waitlist"
            " ON rm_housing_paths (city, stage)"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_placements ("
            " case_id TEXT NOT NULL, offered_position BIGINT NOT NULL, case_code TEXT NOT NULL,"
            " city TEXT NOT NULL, shelter_id TEXT NOT NULL, shelter_name TEXT NOT NULL,"
            " bed INTEGER NOT NULL, offered_on TEXT NOT NULL, status TEXT NOT NULL,"
            " intake_date TEXT, moved_in_on TEXT, days_to_move_in INTEGER, moved_out_on TEXT,"
            " outcome TEXT, note_id TEXT, reason_id TEXT,"
            " PRIMARY KEY (case_id, offered_position))"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_placements_shelter"
            " ON rm_placements (shelter_id, status)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_placements_city ON rm_placements (city, status)"
        )
        # Each shelter's beds over time, one row per change (registered, beds added or removed,
        # closed: 0 beds), dated when the change took effect: what occupancy over the months is
        # measured against.
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_shelter_bed_counts ("
            " shelter_id TEXT NOT NULL, position BIGINT NOT NULL, city TEXT NOT NULL,"
            " effective_on TEXT NOT NULL, beds INTEGER NOT NULL,"
            " PRIMARY KEY (shelter_id, position))"
        )

    def drop_tables(self, tx: Transaction) -> None:
        for table in ("rm_shelters", "rm_housing_paths", "rm_placements",
                      "rm_shelter_bed_counts"):
            tx.execute(f"DROP TABLE IF EXISTS {table}")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            _apply(tx, envelope)


def _apply(tx: Transaction, envelope: Envelope) -> None:
    data = envelope.data
    position = envelope.position
    match data:
        case ShelterRegisteredV1():
            tx.insert_new("rm_shelters", _SHELTER_COLUMNS, ("shelter_id",), [(
                str(data.shelter_id), data.city, data.name, data.kind, data.address_area,
                _numbers_text(range(1, data.beds + 1)), 0, _utc(envelope.time), None, None,
                position,
            )])
            _count_beds(tx, data.shelter_id, data.city, _programme_day(envelope.time),
                        data.beds, position)
        case ShelterBedsAddedV1() | ShelterBedsRemovedV1():
            row = tx.fetchone("SELECT bed_numbers FROM rm_shelters WHERE shelter_id = ?",
                              (str(data.shelter_id),))
            if row is None:
                return
            numbers = set(_numbers(row[0]))
            if isinstance(data, ShelterBedsAddedV1):
                numbers |= set(data.bed_numbers)
            else:
                numbers -= set(data.bed_numbers)
            tx.execute(
                "UPDATE rm_shelters SET bed_numbers = ?, last_position = ? WHERE shelter_id = ?",
                (_numbers_text(sorted(numbers)), position, str(data.shelter_id)),
            )
            _count_beds(tx, data.shelter_id, data.city, _programme_day(envelope.time),
                        len(numbers), position)
        case ShelterClosedV2():  # v1 messages arrive upcast, without their text
            tx.execute(
                "UPDATE rm_shelters SET closed_on = ?, closed_reason = ?, last_position = ?"
                " WHERE shelter_id = ?",
                (data.closed_on.isoformat(), data.reason, position, str(data.shelter_id)),
            )
            _count_beds(tx, data.shelter_id, data.city, data.closed_on, 0, position)
        case PlacementWaitlistedV1():
            tx.execute(
                "INSERT INTO rm_housing_paths (" + ", ".join(_PATH_COLUMNS) + ") VALUES ("
                + ", ".join("?" * len(_PATH_COLUMNS)) + ") ON CONFLICT (case_id) DO UPDATE SET"
                " case_code = excluded.case_code, city = excluded.city, stage = excluded.stage,"
                " vulnerable = excluded.vulnerable, priority_group = excluded.priority_group,"
                " intake_date = excluded.intake_date, waitlisted_at = excluded.waitlisted_at,"
                " episodes = rm_housing_paths.episodes + 1, shelter_id = NULL,"
                " shelter_name = NULL, address_area = NULL, bed = NULL, offered_on = NULL,"
                " moved_in_on = NULL, last_position = excluded.last_position",
                (str(data.case_id), str(data.housing_path_id), data.case_code, data.city,
                 WAITLISTED, int(data.vulnerable), data.priority_group,
                 data.intake_date.isoformat(), _utc(data.waitlisted_at), 1, None, None, None,
                 None, None, None, 0, position),
            )
        case PlacementBedOfferedV1():
            _update_path(tx, data.case_id, position, stage=OFFERED, city=data.city,
                         shelter_id=str(data.shelter_id), shelter_name=data.shelter_name,
                         address_area=data.address_area, bed=data.bed,
                         offered_on=data.offered_on.isoformat())
            # The path's intake date read by the INSERT itself: no read of the client's, which
            # would wait for every statement queued before it (PostgreSQL's pipeline).
            tx.execute(_INSERT_PLACEMENT_SQL, (
                str(data.case_id), position, data.case_code, data.city, str(data.shelter_id),
                data.shelter_name, data.bed, data.offered_on.isoformat(), OFFERED,
                str(data.case_id), None, None, None, None, None, None,
            ))
            _count_occupant(tx, data.shelter_id, +1, position)
        case PlacementOfferDeclinedV2():  # v1 messages arrive upcast, without their text
            _update_path(tx, data.case_id, position, stage=WAITLISTED, shelter_id=None,
                         shelter_name=None, address_area=None, bed=None, offered_on=None)
            _update_placement(tx, data.case_id, status=DECLINED, reason_id=_text_id(
                data.reason_id))
            _count_occupant(tx, data.shelter_id, -1, position)
        case PlacementMovedInV1():
            _update_path(tx, data.case_id, position, stage=HOUSED,
                         moved_in_on=data.moved_in_on.isoformat())
            _update_placement(tx, data.case_id, status=HOUSED,
                              moved_in_on=data.moved_in_on.isoformat(),
                              intake_date=data.intake_date.isoformat(),
                              days_to_move_in=(data.moved_in_on - data.intake_date).days)
        case PlacementMovedOutV2():
            _update_path(tx, data.case_id, position, stage=MOVED_OUT, shelter_id=None,
                         shelter_name=None, address_area=None, bed=None, offered_on=None)
            _update_placement(tx, data.case_id, status=MOVED_OUT,
                              moved_out_on=data.moved_out_on.isoformat(),
                              outcome=data.outcome, note_id=_text_id(data.note_id))
            _count_occupant(tx, data.shelter_id, -1, position)
        case PlacementLeftWaitlistV2():
            _update_path(tx, data.case_id, position, stage=LEFT_WAITLIST)
        case CaseIntakeCorrectedV3():  # v1 messages arrive upcast
            changes = {change.field: change.after for change in data.changes}
            values: dict[str, Any] = {"priority_group": data.priority_group}
            if "vulnerabilities" in changes:
                values["vulnerable"] = int(bool(changes["vulnerabilities"]))
            _update_path(tx, data.case_id, None, **values)
        case CaseStatusChangedV1():
            _update_path(tx, data.case_id, None, priority_group=data.priority_group)
        case CaseClosedV2():
            _update_path(tx, data.case_id, None, case_closed=1)
        case CaseReopenedV2():
            _update_path(tx, data.case_id, None, case_closed=0)
        case CaseTransferredV1():
            _update_path(tx, data.case_id, None, city=data.city)


def end_of_programme_day(day: date) -> datetime:
    """The last instant of `day` in Italy: when a date-only deadline passes."""
    return datetime.combine(day + timedelta(days=1), time(), PROGRAMME_TIMEZONE
                            ) - timedelta(microseconds=1)


def _count_beds(tx: Transaction, shelter_id: UUID, city: str, effective_on: date, beds: int,
                position: int) -> None:
    tx.insert_new("rm_shelter_bed_counts", _BED_COUNT_COLUMNS, ("shelter_id", "position"),
                  [(str(shelter_id), position, city, effective_on.isoformat(), beds)])


def _programme_day(moment: datetime) -> date:
    """The day (in Rome) of a change the event dates only by its time."""
    return moment.astimezone(PROGRAMME_TIMEZONE).date()


def _update_path(tx: Transaction, case_id: UUID, position: int | None, **values: Any) -> None:
    if position is not None:
        values["last_position"] = position
    assignments = ", ".join(f"{column} = ?" for column in values)
    tx.execute(f"UPDATE rm_housing_paths SET {assignments} WHERE case_id = ?",
               (*values.values(), str(case_id)))


def _text_id(text_id: UUID | None) -> str | None:
    return str(text_id) if text_id else None


def _update_placement(tx: Transaction, case_id: UUID, **values: Any) -> None:
    """Update the case's current placement: the one offered or lived in (at most one)."""
    assignments = ", ".join(f"{column} = ?" for column in values)
    tx.execute(
        f"UPDATE rm_placements SET {assignments} WHERE case_id = ?"
        f" AND status IN ('{OFFERED}', '{HOUSED}')",
        (*values.values(), str(case_id)),
    )


def _count_occupant(tx: Transaction, shelter_id: UUID, change: int, position: int) -> None:
    tx.execute(
        "UPDATE rm_shelters SET occupied = occupied + ?, last_position = ? WHERE shelter_id = ?",
        (change, position, str(shelter_id)),
    )


def _utc(moment: datetime) -> str:
    # One zone and one format, so that text order is time order.
    return moment.astimezone(UTC).isoformat()


def _numbers_text(numbers: Any) -> str:
    return ",".join(str(n) for n in numbers)


def _numbers(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n]


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


_SHELTER_SELECT = (
    "SELECT s.shelter_id, s.city, s.name, s.kind, s.address_area, s.bed_numbers, s.occupied,"
    " s.registered_at, s.closed_on, s.closed_reason"
    " FROM rm_shelters s"
)
_MOVE_IN_DAYS = ("SELECT shelter_id, days_to_move_in FROM rm_placements"
                 " WHERE days_to_move_in IS NOT NULL")


def _days_by_shelter(rows: Sequence[tuple[Any, ...]]) -> dict[str, tuple[int, ...]]:
    found: dict[str, list[int]] = {}
    for shelter_id, days in rows:
        found.setdefault(str(shelter_id), []).append(int(days))
    return {shelter: tuple(days) for shelter, days in found.items()}


def _shelter(row: tuple[Any, ...], days: Mapping[str, tuple[int, ...]]) -> ShelterRow:
    return ShelterRow(
        shelter_id=UUID(row[0]), city=row[1], name=row[2], kind=row[3], address_area=row[4],
        bed_numbers=tuple(_numbers(row[5])), occupied=int(row[6]),
        registered_at=datetime.fromisoformat(row[7]), closed_on=_date(row[8]),
        closed_reason=row[9], days_to_move_in=days.get(str(row[0]), ()),
    )


def _placement(row: tuple[Any, ...]) -> PlacementRow:
    return PlacementRow(
        case_id=UUID(row[0]), case_code=row[2], city=row[3], shelter_id=UUID(row[4]),
        shelter_name=row[5], bed=int(row[6]), offered_on=date.fromisoformat(row[7]),
        status=row[8], intake_date=_date(row[9]), moved_in_on=_date(row[10]),
        days_to_move_in=None if row[11] is None else int(row[11]),
        moved_out_on=_date(row[12]), outcome=row[13],
        note_id=UUID(row[14]) if row[14] else None, reason_id=UUID(row[15]) if row[15] else None,
    )


class HousingQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def city_housing(self, city: str) -> CityHousing:
        """The city's shelters (open ones first, by name) with beds and free beds now, and
        the days from intake to move-in of every move-in so far."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                _SHELTER_SELECT + " WHERE s.city = ?"
                " ORDER BY CASE WHEN s.closed_on IS NULL THEN 0 ELSE 1 END, s.name, s.shelter_id",
                (city,),
            )
            days = tx.fetchall(_MOVE_IN_DAYS + " AND city = ?", (city,))
        by_shelter = _days_by_shelter(days)
        return CityHousing(
            city=city, shelters=tuple(_shelter(row, by_shelter) for row in rows),
            days_to_move_in=tuple(int(d) for _shelter_id, d in days),
        )

    def shelter(self, shelter_id: UUID) -> ShelterRow | None:
        with self.database.reading() as tx:
            row = tx.fetchone(_SHELTER_SELECT + " WHERE s.shelter_id = ?", (str(shelter_id),))
            days = tx.fetchall(_MOVE_IN_DAYS + " AND shelter_id = ?", (str(shelter_id),))
        return None if row is None else _shelter(row, _days_by_shelter(days))

    def open_shelters_with_free_beds(self, city: str) -> list[ShelterRow]:
        return [s for s in self.city_housing(city).open_shelters if s.free > 0]

    def waitlist(self, city: str, now: datetime) -> list[WaitlistEntry]:
        """The cases waiting on the city's waitlist now, the longest waiting first (then by
        case code), with what their priority is computed from. The order of priority is the
        domain's rule with the Ministry's weights (domain/housing/priority.py): a read model
        holds facts, not the weights of the day. Cases closed meanwhile are left out: they wait
        for nothing until reopened."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT case_id, case_code, vulnerable, priority_group, intake_date,"
                " waitlisted_at FROM rm_housing_paths"
                " WHERE city = ? AND stage = ? AND case_closed = 0"
                " ORDER BY waitlisted_at, case_code",
                (city, WAITLISTED),
            )
        entries = []
        for row in rows:
            waitlisted_at = datetime.fromisoformat(row[5])
            entries.append(WaitlistEntry(
                case_id=UUID(row[0]), case_code=row[1], vulnerable=bool(row[2]),
                priority_group=row[3], intake_date=date.fromisoformat(row[4]),
                waitlisted_at=waitlisted_at, days_waiting=max(0, (now - waitlisted_at).days),
            ))
        return entries

    def work_items(self, city: str, until: datetime) -> list[WorkItem]:
        """The work queue's items: bed offers awaiting the person's answer (due at the end of
        the day after the offer, in Italy), and cases on the waitlist for
        WAITLIST_ATTENTION_AFTER (due then); those due by `until`, overdue ones included."""
        with self.database.reading() as tx:
            offers = tx.fetchall(
                "SELECT case_id, case_code, offered_on, shelter_id FROM rm_housing_paths"
                " WHERE city = ? AND stage = ? AND case_closed = 0", (city, OFFERED))
            waiting = tx.fetchall(
                "SELECT case_id, case_code, waitlisted_at, housing_path_id FROM rm_housing_paths"
                " WHERE city = ? AND stage = ? AND case_closed = 0", (city, WAITLISTED))
        items = [
            WorkItem(kind=BED_OFFER_AWAITING_ANSWER, city=city,
                     due=end_of_programme_day(
                         date.fromisoformat(r[2]) + timedelta(days=BED_OFFER_ANSWER_DAYS)),
                     case_id=UUID(r[0]), case_code=r[1], subject_id=UUID(r[3]))
            for r in offers
        ]
        items += [
            WorkItem(kind=WAITING_LONGEST, city=city,
                     due=datetime.fromisoformat(r[2]) + WAITLIST_ATTENTION_AFTER,
                     case_id=UUID(r[0]), case_code=r[1], subject_id=UUID(r[3]))
            for r in waiting
        ]
        return [item for item in items if item.due <= until]

    def placements(self, shelter_id: UUID, *, current_only: bool = False) -> list[PlacementRow]:
        """The shelter's placements, by bed for the current ones (offered or housed), the most
        recent first for the rest."""
        where = " AND status IN (?, ?)" if current_only else ""
        params: tuple[Any, ...] = (str(shelter_id), OFFERED, HOUSED) if current_only else (
            str(shelter_id),)
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT " + ", ".join(_PLACEMENT_COLUMNS) + " FROM rm_placements"
                " WHERE shelter_id = ?" + where
                + " ORDER BY CASE WHEN status IN ('offered', 'housed') THEN 0 ELSE 1 END,"
                " CASE WHEN status IN ('offered', 'housed') THEN bed ELSE 0 END,"
                " offered_position DESC",
                params,
            )
        return [_placement(row) for row in rows]

    def city_placements(
        self, city: str, outcome: str | None = None, moved_in: bool | None = None
    ) -> list[PlacementRow]:
        """The city's placements, the latest offer first; only those that ended with `outcome`
        (a move-out's), and only those that reached move-in (True) or did not (False)."""
        where, params = ["city = ?"], [city]
        if outcome is not None:
            where.append("status = ? AND outcome = ?")
            params += [MOVED_OUT, outcome]
        if moved_in is not None:
            where.append("moved_in_on IS NOT NULL" if moved_in else "moved_in_on IS NULL")
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT " + ", ".join(_PLACEMENT_COLUMNS) + " FROM rm_placements"
                f" WHERE {' AND '.join(where)} ORDER BY offered_on DESC, offered_position DESC",
                params,
            )
        return [_placement(row) for row in rows]

    def housing_path(self, case_id: UUID) -> HousingPathRow | None:
        with self.database.reading() as tx:
            row = tx.fetchone(
                "SELECT " + ", ".join(_PATH_COLUMNS) + " FROM rm_housing_paths"
                " WHERE case_id = ?",
                (str(case_id),),
            )
        if row is None:
            return None
        return HousingPathRow(
            case_id=UUID(row[0]), housing_path_id=UUID(row[1]), case_code=row[2], city=row[3],
            stage=row[4], vulnerable=bool(row[5]), priority_group=row[6],
            intake_date=date.fromisoformat(row[7]),
            waitlisted_at=None if row[8] is None else datetime.fromisoformat(row[8]),
            episodes=int(row[9]), shelter_id=None if row[10] is None else UUID(row[10]),
            shelter_name=row[11], address_area=row[12],
            bed=None if row[13] is None else int(row[13]), offered_on=_date(row[14]),
            moved_in_on=_date(row[15]), case_closed=bool(row[16]),
        )

    def case_placements(self, case_id: UUID) -> list[PlacementRow]:
        """Every bed offered to the case, the most recent first."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT " + ", ".join(_PLACEMENT_COLUMNS) + " FROM rm_placements"
                " WHERE case_id = ? ORDER BY offered_position DESC",
                (str(case_id),),
            )
        return [_placement(row) for row in rows]

"""The grant's budget and claims as read models (issue 13), kept by the finance projection
(projections.finance.FinanceProjection calls in here): the adopted budgets' lines and the
transfers, and each claim with its history of states, so that the budget and the admitted
expenditure can be read **as of any moment** (by the time each event was recorded).

Amounts are TEXT, summed in Python as Decimal. Derived figures (indirect costs, co-financing)
are not stored: domain.finance.statements computes them from what is read here, with the rates
the deployment configures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from events.cloudevents import Envelope, utc_text
from events.finance import (
    BudgetGrantAdoptedV1,
    BudgetPaymentMadeV1,
    BudgetTransferApprovedV1,
    ClaimAdmissionConfirmedV1,
    ClaimCheckedV1,
    ClaimCorrectedV1,
    ClaimDraftedV1,
    ClaimRejectedV1,
    ClaimSubmittedV1,
)
from projections.kept import KeptReading
from projections.storage.read_models import ReadModelDatabase, changes_in
from projections.storage.transaction import Transaction

DRAFT, SUBMITTED, AWAITING_CONFIRMATION, ADMITTED, REJECTED = (
    "draft", "submitted", "awaiting_confirmation", "admitted", "rejected")
ZERO = Decimal("0.00")

GRANT_TABLES = ("rm_grant_lines", "rm_grant_transfers", "rm_grant_claims",
                "rm_grant_claim_states", "rm_grant_disallowed", "rm_grant_payments")


# The projection that applies the grant's events with the city budgets' (projections.finance,
# `FinanceProjection`): its changes (`rm_changes`) are the grant read model's too.
FINANCE_PROJECTION = "finance"


def create_grant_tables(tx: Transaction) -> None:
    tx.execute(
        "CREATE TABLE IF NOT EXISTS rm_grant_lines ("
        " position BIGINT NOT NULL, recorded_at TEXT NOT NULL, co_beneficiary TEXT NOT NULL,"
        " sub_action TEXT NOT NULL, heading TEXT NOT NULL, amount TEXT NOT NULL,"
        " PRIMARY KEY (position, co_beneficiary, sub_action, heading))")
    tx.execute(
        "CREATE TABLE IF NOT EXISTS rm_grant_transfers ("
        " position BIGINT PRIMARY KEY, recorded_at TEXT NOT NULL, co_beneficiary TEXT NOT NULL,"
        " from_sub_action TEXT NOT NULL, from_heading TEXT NOT NULL,"
        " to_sub_action TEXT NOT NULL, to_heading TEXT NOT NULL, amount TEXT NOT NULL,"
        " reason TEXT NOT NULL, act_reference TEXT NOT NULL, approved_on TEXT NOT NULL)")
    tx.execute(
        "CREATE TABLE IF NOT EXISTS rm_grant_claims ("
        " claim_id TEXT PRIMARY KEY, co_beneficiary TEXT NOT NULL, city TEXT NOT NULL,"
        " sub_action TEXT NOT NULL, heading TEXT NOT NULL, document_date TEXT NOT NULL,"
        " payment_date TEXT NOT NULL, gross_amount TEXT NOT NULL,"
        " eligible_amount TEXT NOT NULL, vat_treatment TEXT NOT NULL, cup TEXT NOT NULL,"
        " cig TEXT, corrects TEXT, corrected_by TEXT, drafted_at TEXT NOT NULL,"
        " drafted_by TEXT NOT NULL, submitted_at TEXT, state TEXT NOT NULL,"
        " admitted_amount TEXT NOT NULL, rejection_reason TEXT, last_position BIGINT NOT NULL)")
    tx.execute(
        "CREATE INDEX IF NOT EXISTS rm_grant_claims_by_co_beneficiary"
        " ON rm_grant_claims (co_beneficiary, drafted_at)")
    # Each claim's state after each of its events: what the statements as of a moment read.
    tx.execute(
        "CREATE TABLE IF NOT EXISTS rm_grant_claim_states ("
        " claim_id TEXT NOT NULL, position BIGINT NOT NULL, recorded_at TEXT NOT NULL,"
        " state TEXT NOT NULL, admitted_amount TEXT NOT NULL,"
        " PRIMARY KEY (claim_id, position))")
    # The newest moment a claim's state was recorded at (GrantQueries.claims): an index lookup.
    tx.execute("CREATE INDEX IF NOT EXISTS rm_grant_claim_states_by_recorded_at"
               " ON rm_grant_claim_states (recorded_at)")
    tx.execute(
        "CREATE TABLE IF NOT EXISTS rm_grant_disallowed ("
        " claim_id TEXT NOT NULL, position BIGINT NOT NULL, part INTEGER NOT NULL,"
        " amount TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (claim_id, position, part))")
    # The ministry's payments to the co-beneficiaries, each with the moment it was recorded.
    tx.execute(
        "CREATE TABLE IF NOT EXISTS rm_grant_payments ("
        " position BIGINT PRIMARY KEY, recorded_at TEXT NOT NULL, co_beneficiary TEXT NOT NULL,"
        " kind TEXT NOT NULL, amount TEXT NOT NULL, value_date TEXT NOT NULL,"
        " reference TEXT NOT NULL)")


def drop_grant_tables(tx: Transaction) -> None:
    for table in GRANT_TABLES:
        tx.execute(f"DROP TABLE IF EXISTS {table}")


def apply_grant(tx: Transaction, envelope: Envelope) -> None:
    """One grant event into the tables; anything else is left alone. Upserts and `DO NOTHING`
    on positions: a replay or a redelivery changes nothing."""
    data, position, at = envelope.data, envelope.position, envelope.utc_time
    match data:
        case BudgetGrantAdoptedV1():
            for line in data.lines:
                tx.execute(
                    "INSERT INTO rm_grant_lines (position, recorded_at, co_beneficiary,"
                    " sub_action, heading, amount) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (position, co_beneficiary, sub_action, heading) DO NOTHING",
                    (position, at, line.co_beneficiary, line.sub_action, line.heading,
                     line.amount))
        case BudgetTransferApprovedV1():
            tx.execute(
                "INSERT INTO rm_grant_transfers (position, recorded_at, co_beneficiary,"
                " from_sub_action, from_heading, to_sub_action, to_heading, amount, reason,"
                " act_reference, approved_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (position) DO NOTHING",
                (position, at, data.co_beneficiary, data.from_sub_action, data.from_heading,
                 data.to_sub_action, data.to_heading, data.amount, data.reason,
                 data.act_reference, data.approved_on.isoformat()))
        case BudgetPaymentMadeV1():
            tx.execute(
                "INSERT INTO rm_grant_payments (position, recorded_at, co_beneficiary, kind,"
                " amount, value_date, reference) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (position) DO NOTHING",
                (position, at, data.co_beneficiary, data.kind, data.amount,
                 data.value_date.isoformat(), data.reference))
        case ClaimDraftedV1():
            tx.execute(
                "INSERT INTO rm_grant_claims (claim_id, co_beneficiary, city, sub_action,"
                " heading, document_date, payment_date, gross_amount, eligible_amount,"
                " vat_treatment, cup, cig, corrects, corrected_by, drafted_at, drafted_by,"
                " submitted_at, state, admitted_amount, rejection_reason, last_position)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, ?, ?, NULL, ?)"
                " ON CONFLICT (claim_id) DO NOTHING",
                (str(data.claim_id), data.co_beneficiary, data.city, data.sub_action,
                 data.heading, data.document_date.isoformat(), data.payment_date.isoformat(),
                 data.gross_amount, data.eligible_amount, data.vat_treatment, data.cup,
                 data.cig, str(data.corrects) if data.corrects else None, at,
                 envelope.actor.id, DRAFT, "0.00", position))
            _state(tx, data.claim_id, position, at, DRAFT, "0.00")
        case ClaimSubmittedV1():
            _update(tx, data.claim_id, position, "state = ?, submitted_at = ?", (SUBMITTED, at))
            _state(tx, data.claim_id, position, at, SUBMITTED, "0.00")
        case ClaimCheckedV1():
            state = AWAITING_CONFIRMATION if data.confirmation_needed else ADMITTED
            _update(tx, data.claim_id, position, "state = ?, admitted_amount = ?",
                    (state, data.admitted_amount))
            _state(tx, data.claim_id, position, at, state, data.admitted_amount)
            for number, part in enumerate(data.disallowed):
                tx.execute(
                    "INSERT INTO rm_grant_disallowed (claim_id, position, part, amount, reason)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (claim_id, position, part) DO NOTHING",
                    (str(data.claim_id), position, number, part.amount, part.reason))
        case ClaimAdmissionConfirmedV1():
            _update(tx, data.claim_id, position, "state = ?", (ADMITTED,))
            _state(tx, data.claim_id, position, at, ADMITTED, data.admitted_amount)
        case ClaimRejectedV1():
            _update(tx, data.claim_id, position, "state = ?, rejection_reason = ?",
                    (REJECTED, data.reason))
            _state(tx, data.claim_id, position, at, REJECTED, "0.00")
            tx.execute(
                "INSERT INTO rm_grant_disallowed (claim_id, position, part, amount, reason)"
                " VALUES (?, ?, 0, ?, ?) ON CONFLICT (claim_id, position, part) DO NOTHING",
                (str(data.claim_id), position, data.eligible_amount, data.reason))
        case ClaimCorrectedV1():
            _update(tx, data.claim_id, position, "corrected_by = ?", (str(data.corrected_by),))
        case _:
            pass


def _update(tx: Transaction, claim_id: UUID, position: int, assignments: str,
            values: tuple[object, ...]) -> None:
    tx.execute(
        f"UPDATE rm_grant_claims SET {assignments}, last_position = ?"
        " WHERE claim_id = ? AND last_position < ?",
        (*values, position, str(claim_id), position))


def _state(tx: Transaction, claim_id: UUID, position: int, at: str, state: str,
           admitted: str) -> None:
    tx.execute(
        "INSERT INTO rm_grant_claim_states (claim_id, position, recorded_at, state,"
        " admitted_amount) VALUES (?, ?, ?, ?, ?) ON CONFLICT (claim_id, position) DO NOTHING",
        (str(claim_id), position, at, state, admitted))


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantLine:
    co_beneficiary: str
    sub_action: str
    heading: str
    amount: Decimal


@dataclass(frozen=True)
class Disallowed:
    amount: Decimal
    reason: str


@dataclass(frozen=True)
class GrantClaimRow:
    """A claim as of a moment: its facts, and its state and admitted amount then."""

    claim_id: UUID
    co_beneficiary: str
    city: str
    sub_action: str
    heading: str
    document_date: date
    payment_date: date
    gross_amount: Decimal
    eligible_amount: Decimal
    vat_treatment: str
    cup: str
    cig: str | None
    corrects: UUID | None
    corrected_by: UUID | None
    drafted_at: datetime
    drafted_by: str
    submitted_at: datetime | None
    state: str
    admitted_amount: Decimal
    disallowed: tuple[Disallowed, ...]

    @property
    def awaits_check(self) -> bool:
        return self.state in (SUBMITTED, AWAITING_CONFIRMATION)


@dataclass(frozen=True)
class GrantPayment:
    """A payment to a co-beneficiary, as recorded."""

    position: int
    recorded_at: datetime
    co_beneficiary: str
    kind: str
    amount: Decimal
    value_date: date
    reference: str


@dataclass(frozen=True)
class GrantBudgetView:
    """The budget as of a moment: its lines (direct costs), and the position of the newest
    budget event it includes (0 before any adoption)."""

    lines: tuple[GrantLine, ...]
    position: int


_CLAIM_COLUMNS = (
    "c.claim_id, c.co_beneficiary, c.city, c.sub_action, c.heading, c.document_date,"
    " c.payment_date, c.gross_amount, c.eligible_amount, c.vat_treatment, c.cup, c.cig,"
    " c.corrects, c.corrected_by, c.drafted_at, c.drafted_by, c.submitted_at")


class GrantQueries:
    """The budget and the claims, now or as of `as_of` (an instant: what had been recorded by
    then). Only `co_beneficiary`'s claims when it is given: a city's pages ask for their own."""

    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database
        # Every co-beneficiary's claims (None), or one's: each kept at its version. Entries are
        # only added (dict.setdefault, atomic): the web's threads share it without a lock.
        self._claims_now: dict[str | None, KeptReading[tuple[GrantClaimRow, ...]]] = {}

    def budget(self, as_of: datetime | None = None) -> GrantBudgetView:
        until = _until(as_of)
        with self.database.reading() as tx:
            adopted = tx.fetchone(
                "SELECT MAX(position) FROM rm_grant_lines WHERE recorded_at <= ?", (until,))
            adoption = int(adopted[0]) if adopted and adopted[0] is not None else 0
            rows = tx.fetchall(
                "SELECT co_beneficiary, sub_action, heading, amount FROM rm_grant_lines"
                " WHERE position = ?", (adoption,))
            transfers = tx.fetchall(
                "SELECT co_beneficiary, from_sub_action, from_heading, to_sub_action,"
                " to_heading, amount, position FROM rm_grant_transfers"
                " WHERE position > ? AND recorded_at <= ? ORDER BY position",
                (adoption, until))
        lines = {(str(r[0]), str(r[1]), str(r[2])): Decimal(str(r[3])) for r in rows}
        position = adoption
        for who, from_sa, from_h, to_sa, to_h, amount, at_position in transfers:
            moved = Decimal(str(amount))
            source, target = (str(who), str(from_sa), str(from_h)), (str(who), str(to_sa),
                                                                     str(to_h))
            lines[source] = lines.get(source, ZERO) - moved
            lines[target] = lines.get(target, ZERO) + moved
            position = int(at_position)
        return GrantBudgetView(
            tuple(GrantLine(*key, amount) for key, amount in sorted(lines.items())), position)

    def claims(self, co_beneficiary: str | None = None,
               as_of: datetime | None = None) -> tuple[GrantClaimRow, ...]:
        """The claims drafted by `as_of`, each in its state then; the latest first.

        Every claim as it is now is read once and kept until a claim changes
        (projections.kept, issue 15: thousands of claims at 10x scale were most of the
        ministry's dashboard, on every request): when nothing was recorded after `as_of`, the
        claims as of then are those."""
        until = _until(as_of)
        with self.database.reading() as tx:
            # Each claim event but a correction records a state at its moment, the draft's
            # being the drafting's.
            row = tx.fetchone("SELECT MAX(recorded_at) FROM rm_grant_claim_states")
            if row is not None and row[0] is not None and str(row[0]) > until:
                # Something was recorded after `as_of`: the claims as they were then.
                return _read_claims(tx, until, co_beneficiary)
            # A city's pages need only its own claims: each co-beneficiary's kept apart.
            kept = self._claims_now.setdefault(co_beneficiary, KeptReading())
            return kept.get(changes_in(tx).get(FINANCE_PROJECTION),
                            lambda: _read_claims(tx, _until(None), co_beneficiary))

    def claims_changed_after(self, moment: datetime) -> bool:
        """Whether a claim was drafted, or changed state, after `moment`: if not, `claims(...,
        as_of=moment)` are the claims as they are now (`claims(...)`), and need not be read twice
        (the ministry's dashboard, issue 15)."""
        until = instant(moment)
        with self.database.reading() as tx:
            found = tx.fetchone(
                "SELECT 1 FROM rm_grant_claim_states WHERE recorded_at > ? UNION ALL"
                " SELECT 1 FROM rm_grant_claims WHERE drafted_at > ? LIMIT 1", (until, until))
        return found is not None

    def payments(self, co_beneficiary: str | None = None,
                 as_of: datetime | None = None) -> tuple[GrantPayment, ...]:
        """The payments recorded by `as_of` (its value date is never later than that), the
        latest first; only `co_beneficiary`'s when it is given."""
        where, values = "recorded_at <= ?", [_until(as_of)]
        if co_beneficiary is not None:
            where += " AND co_beneficiary = ?"
            values.append(co_beneficiary)
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT position, recorded_at, co_beneficiary, kind, amount, value_date,"
                f" reference FROM rm_grant_payments WHERE {where} ORDER BY position DESC",
                tuple(values))
        return tuple(GrantPayment(
            position=int(str(position)), recorded_at=datetime.fromisoformat(str(at)),
            co_beneficiary=str(who), kind=str(kind), amount=Decimal(str(amount)),
            value_date=date.fromisoformat(str(value_date)), reference=str(reference))
            for position, at, who, kind, amount, value_date, reference in rows)

    def claim(self, claim_id: UUID) -> GrantClaimRow | None:
        with self.database.reading() as tx:
            row = tx.fetchone("SELECT co_beneficiary FROM rm_grant_claims WHERE claim_id = ?",
                              (str(claim_id),))
        if row is None:
            return None
        return next((claim for claim in self.claims(str(row[0]))
                     if claim.claim_id == claim_id), None)

    def position(self, as_of: datetime | None = None) -> int:
        """The newest grant event's position recorded by `as_of` (0 for none): what a
        statement as of then includes."""
        until = _until(as_of)
        with self.database.reading() as tx:
            found = [tx.fetchone(f"SELECT MAX(position) FROM {table} WHERE recorded_at <= ?",
                                 (until,))
                     for table in ("rm_grant_lines", "rm_grant_transfers",
                                   "rm_grant_claim_states", "rm_grant_payments")]
        return max((int(row[0]) for row in found if row and row[0] is not None), default=0)


# A moment as stored: in UTC, to the microsecond, so that instants compare as text.
instant = utc_text


def _until(as_of: datetime | None) -> str:
    return "9999-12-31" if as_of is None else instant(as_of)


def _read_claims(tx: Transaction, until: str,
                 co_beneficiary: str | None = None) -> tuple[GrantClaimRow, ...]:
    """The claims drafted by `until` (an instant as stored), each in its state then."""
    where, values = "c.drafted_at <= ?", [until]
    if co_beneficiary is not None:
        where += " AND c.co_beneficiary = ?"
        values.append(co_beneficiary)
    rows = tx.fetchall(
        f"SELECT {_CLAIM_COLUMNS}, s.state, s.admitted_amount, s.position"
        " FROM rm_grant_claims c JOIN rm_grant_claim_states s"
        " ON s.claim_id = c.claim_id AND s.position = ("
        "  SELECT MAX(position) FROM rm_grant_claim_states"
        "  WHERE claim_id = c.claim_id AND recorded_at <= ?)"
        f" WHERE {where} ORDER BY c.drafted_at DESC, c.claim_id",
        (until, *values))
    parts = tx.fetchall(
        "SELECT claim_id, position, amount, reason FROM rm_grant_disallowed"
        " ORDER BY claim_id, position, part")
    disallowed: dict[str, list[tuple[int, Disallowed]]] = {}
    for claim_id, position, amount, reason in parts:
        disallowed.setdefault(str(claim_id), []).append(
            (int(position), Disallowed(Decimal(str(amount)), str(reason))))
    return tuple(_claim_of(row, disallowed) for row in rows)


def _claim_of(row: tuple[object, ...],
              disallowed: dict[str, list[tuple[int, Disallowed]]]) -> GrantClaimRow:
    (claim_id, who, city, sub_action, heading, document_date, payment_date, gross, eligible,
     vat, cup, cig, corrects, corrected_by, drafted_at, drafted_by, submitted_at, state,
     admitted, position) = row
    return GrantClaimRow(
        claim_id=UUID(str(claim_id)), co_beneficiary=str(who), city=str(city),
        sub_action=str(sub_action), heading=str(heading),
        document_date=date.fromisoformat(str(document_date)),
        payment_date=date.fromisoformat(str(payment_date)),
        gross_amount=Decimal(str(gross)), eligible_amount=Decimal(str(eligible)),
        vat_treatment=str(vat), cup=str(cup), cig=str(cig) if cig else None,
        corrects=UUID(str(corrects)) if corrects else None,
        corrected_by=UUID(str(corrected_by)) if corrected_by else None,
        drafted_at=datetime.fromisoformat(str(drafted_at)), drafted_by=str(drafted_by),
        submitted_at=datetime.fromisoformat(str(submitted_at)) if submitted_at else None,
        state=str(state), admitted_amount=Decimal(str(admitted)),
        # The parts the check disallowed, once the claim's state (then) follows that check.
        disallowed=tuple(part for at, part in disallowed.get(str(claim_id), ())
                         if at <= int(str(position))),
    )

"""The grant's budget and claims through the application service and the real event store
(issue 13): every new event reaches a real NATS server as a valid CloudEvent of its schema,
without the supplier or the document number; and a hand-computed scenario (two
co-beneficiaries, three headings, a transfer, one partial admission confirmed by a second user,
one rejection answered by a corrected resubmission, indirect costs) checked figure by figure
and the ministry's payments (received vs due, one co-beneficiary paid ahead) on SQLite and
PostgreSQL read models, now and as of earlier moments. Then the demo budget file
and `lgnet finance load-budget`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import jsonschema
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat
from typer.testing import CliRunner

from domain.documents.model import ClaimDocument, ClaimDocumentDraft, DocumentKind, FileFacts
from domain.documents.model import FileType as DocumentFileType
from domain.finance.claims import ClaimEvidence, Disallowance, DisallowanceReason, VatTreatment
from domain.finance.grant import (
    GRANT_BUDGET_ID,
    CostHeading,
    GrantTerms,
    LineKey,
    PaymentKind,
    TransferReason,
    co_financing_split,
)
from domain.finance.grant_service import GrantService
from domain.finance.model import FLORENCE_SHARE, PROGRAMME_TOTAL_COST, FinanceError
from domain.programme import CARD_TERMS, PROGRAMME_END, Actor, ActorKind, City, Role, SubAction
from domain.record import ProgrammeRecord
from events.catalogue import json_schemas
from infra.cli.finance import finance_app
from infra.demo.finance import DEMO_BUDGET_FILE
from infra.document_sources import EvidenceFromDocuments
from infra.finance_allocations import AllocationFileError, load_budget, read_budget
from infra.nats.server import EmbeddedNats
from infra.publishing.messages import PUBLIC_TOPICS, to_message
from infra.settings import Settings
from infra.store.eventstore import open_record
from projections.finance import FinanceProjection
from projections.grant_finance import GrantQueries
from projections.projection import Delivered, apply_batch, reset
from projections.storage.read_models import (
    PostgresReadModels,
    ReadModelDatabase,
    SqliteReadModels,
)
from tests.builders import NOW, a_coordinator
from tests.conftest import data_of, headers_of, relayed
from web.kit.grant_statements import co_beneficiary_statement_of, grant_statements

CHECKER = Actor(ActorKind.USER, "ministry-checker", Role.MINISTRY)
SECOND = Actor(ActorKind.USER, "ministry-second", Role.MINISTRY)
FIRENZE, BARI = a_coordinator(City.FIRENZE), a_coordinator(City.BARI, id="coordinator-ba")
SA1, SA3, SA4 = SubAction.COORDINATION, SubAction.EMERGENCY_TAKE_IN, SubAction.FAST_TRACK_HOUSING
STAFF, TRAVEL, SERVICES = CostHeading.STAFF, CostHeading.TRAVEL, CostHeading.SERVICES
# The scenario's grant: its own total (the two co-beneficiaries' budgets, indirect costs
# included), the card's rates, and a second confirmation above EUR 5,000.00.
SCENARIO = GrantTerms(total_cost=Decimal("56710.00"), card_shares={},
                      confirmation_threshold=Decimal("5000.00"))
T0 = datetime(2020, 3, 2, 9, 0, tzinfo=NOW.tzinfo)


@pytest.fixture
def record(tmp_path: Path) -> Iterator[ProgrammeRecord]:
    opened = open_record(Settings(data_dir=tmp_path))
    yield opened
    opened.close()


def grants_over(record: ProgrammeRecord, grant: GrantTerms = SCENARIO) -> GrantService:
    return GrantService(record, EvidenceFromDocuments(record), grant=grant)


def evidence(who: City, sub_action: SubAction, heading: CostHeading, eligible: str,
             gross: str | None = None, **overrides: object) -> ClaimEvidence:
    values: dict[str, object] = {
        "co_beneficiary": who.value, "sub_action": sub_action, "heading": heading,
        "supplier": "Cooperativa Il Ponte", "document_number": "FT 12/2020",
        "document_date": date(2020, 2, 3), "gross_amount": Decimal(gross or eligible),
        "eligible_amount": Decimal(eligible), "vat_treatment": VatTreatment.EXEMPT,
        "payment_date": date(2020, 2, 20), "cup": "J11H19000000001", "cig": None}
    values.update(overrides)
    return ClaimEvidence(**values)  # type: ignore[arg-type]


def attach_both(record: ProgrammeRecord, claim_id: UUID, city: City, at: datetime) -> list[UUID]:
    """An invoice and a proof of payment attached to the claim (the documents' events; the
    files themselves are the documents context's concern)."""
    ids = []
    for kind in (DocumentKind.INVOICE, DocumentKind.PROOF_OF_PAYMENT):
        document_id = uuid4()
        record.save(ClaimDocument.attach(
            document_id, claim_id, city, ClaimDocumentDraft(kind),
            FileFacts(DocumentFileType.PDF, 1000, "a" * 64), a_coordinator(city), at))
        ids.append(document_id)
    return ids


def claimed(grants: GrantService, record: ProgrammeRecord, actor: Actor,
            draft: ClaimEvidence, at: datetime, corrects: UUID | None = None) -> UUID:
    claim_id = uuid4()
    grants.draft_claim(claim_id, draft, actor, at, corrects)
    city = City(draft.co_beneficiary)
    grants.submit_claim(claim_id, attach_both(record, claim_id, city, at), actor, at)
    return claim_id


@pytest.mark.nats
async def test_every_grant_event_reaches_nats_without_supplier_or_document_number(
    record: ProgrammeRecord, nats_server: EmbeddedNats
) -> None:
    grants = grants_over(record, GrantTerms(total_cost=Decimal("1070.00"), card_shares={}))
    grants.adopt_budget({LineKey("firenze", SA4, SERVICES): Decimal("600.00"),
                         LineKey("anci_comunicare", SubAction.COMMUNICATION, STAFF):
                             Decimal("400.00")}, "PROT/2019/1", date(2019, 7, 1), CHECKER, NOW)
    grants.transfer(LineKey("firenze", SA4, SERVICES), LineKey("firenze", SA4, STAFF),
                    Decimal("100.00"), TransferReason.SAVINGS, "PROT/2020/2",
                    date(2020, 3, 1), CHECKER, NOW)
    grants.pay("firenze", Decimal("100.00"), date(2021, 3, 1), PaymentKind.PRE_FINANCING,
               "MP-2021/0001", CHECKER, NOW)
    admitted = claimed(grants, record, FIRENZE, evidence(
        City.FIRENZE, SA4, SERVICES, "100.00", "122.00",
        vat_treatment=VatTreatment.RECOVERABLE, cig="ZA12345678"), NOW)
    grants.admit_claim(admitted, [Disallowance(Decimal("0.50"), DisallowanceReason.DUPLICATE)],
                       CHECKER, NOW)
    rejected = claimed(grants, record, FIRENZE, evidence(City.FIRENZE, SA4, STAFF, "10.00"),
                       NOW)
    grants.reject_claim(rejected, DisallowanceReason.NO_PROOF, CHECKER, NOW)
    again = claimed(grants, record, FIRENZE, evidence(City.FIRENZE, SA4, STAFF, "10.00"), NOW,
                    corrects=rejected)
    messages = await relayed(record, nats_server.url)
    grant_messages = [m for m in messages if ".budget." in m.subject or ".claim." in m.subject]
    assert [m.subject for m in grant_messages] == [
        "lgnet.network.budget.grant_adopted",
        "lgnet.network.budget.transfer_approved",
        "lgnet.network.budget.payment_made",
        "lgnet.firenze.claim.drafted", "lgnet.firenze.claim.submitted",
        "lgnet.firenze.claim.checked",
        "lgnet.firenze.claim.drafted", "lgnet.firenze.claim.submitted",
        "lgnet.firenze.claim.rejected",
        "lgnet.firenze.claim.corrected", "lgnet.firenze.claim.drafted",
        "lgnet.firenze.claim.submitted",
    ]
    schemas = json_schemas()
    events = [from_http(HTTPMessage(headers=headers_of(m), body=m.data), JSONFormat())
              for m in grant_messages]
    for message, event in zip(grant_messages, events, strict=True):
        jsonschema.Draft202012Validator(schemas[event.get_type()]).validate(event.get_data())
        # Business data that could name a person (a sole trader) never goes on NATS.
        assert b"Cooperativa" not in message.data and b"FT 12/2020" not in message.data
    paid = events.pop(2)
    assert paid.get_type() == "it.lgnet.budget.payment_made.v1"
    assert paid.get_subject() == "grant-budget" and paid.get_source() == "/lgnet/network"
    assert data_of(paid) == {
        "budget_id": str(GRANT_BUDGET_ID), "city": "network", "co_beneficiary": "firenze",
        "kind": "pre_financing", "amount": "100.00", "value_date": "2021-03-01",
        "reference": "MP-2021/0001"}
    grant_messages.pop(2)
    adopted, transfer, drafted, submitted, checked = events[:5]
    assert adopted.get_type() == "it.lgnet.budget.grant_adopted.v1"
    assert adopted.get_source() == "/lgnet/network"
    assert adopted.get_subject() == "grant-budget"
    assert data_of(adopted)["budget_id"] == str(GRANT_BUDGET_ID)
    assert data_of(adopted)["lines"] == [
        {"co_beneficiary": "anci_comunicare", "sub_action": "6", "heading": "staff",
         "amount": "400.00"},
        {"co_beneficiary": "firenze", "sub_action": "4", "heading": "services",
         "amount": "600.00"}]
    assert data_of(adopted)["total_cost"] == "1070.00"
    assert data_of(transfer)["reason"] == "savings"
    assert data_of(transfer)["amount"] == "100.00"
    assert drafted.get_type() == "it.lgnet.claim.drafted.v1"
    assert drafted.get_subject() == str(admitted)
    assert drafted.get_source() == "/lgnet/cities/firenze"
    assert {key: data_of(drafted)[key] for key in (
        "co_beneficiary", "heading", "gross_amount", "eligible_amount", "vat_treatment", "cup",
        "cig", "document_date", "payment_date")} == {
        "co_beneficiary": "firenze", "heading": "services", "gross_amount": "122.00",
        "eligible_amount": "100.00", "vat_treatment": "recoverable", "cup": "J11H19000000001",
        "cig": "ZA12345678", "document_date": "2020-02-03", "payment_date": "2020-02-20"}
    assert "supplier" not in data_of(drafted) and "document_number" not in data_of(drafted)
    assert len(data_of(submitted)["documents"]) == 2
    assert data_of(checked)["admitted_amount"] == "99.50"
    assert data_of(checked)["disallowed"] == [{"amount": "0.50", "reason": "duplicate"}]
    assert data_of(checked)["confirmation_needed"] is False
    assert data_of(events[7])["reason"] == "no_proof"
    assert data_of(events[8])["corrected_by"] == str(again)
    assert data_of(events[9])["corrects"] == str(rejected)


def test_a_claim_is_submitted_only_with_its_own_invoice_and_proof_of_payment(
    record: ProgrammeRecord,
) -> None:
    grants = grants_over(record)
    claim_id, other = uuid4(), uuid4()
    grants.draft_claim(claim_id, evidence(City.FIRENZE, SA4, STAFF, "10.00"), FIRENZE, NOW)
    grants.draft_claim(other, evidence(City.FIRENZE, SA4, STAFF, "10.00"), FIRENZE, NOW)
    # Another claim's documents are not this one's evidence.
    theirs = attach_both(record, other, City.FIRENZE, NOW)
    before = record.recorder.max_notification_id()
    with pytest.raises(FinanceError) as refused:
        grants.submit_claim(claim_id, theirs, FIRENZE, NOW)
    assert refused.value.code == "evidence_missing"
    assert record.recorder.max_notification_id() == before
    grants.submit_claim(claim_id, attach_both(record, claim_id, City.FIRENZE, NOW), FIRENZE, NOW)


# Firenze: direct 32,000.00 + indirect 2,240.00 = 34,240.00; Bari: 21,000.00 + 1,470.00 =
# 22,470.00; together 56,710.00, the scenario's total cost.
SCENARIO_BUDGET = {
    LineKey("firenze", SA4, STAFF): Decimal("10000.00"),
    LineKey("firenze", SA4, SERVICES): Decimal("20000.00"),
    LineKey("firenze", SA1, TRAVEL): Decimal("2000.00"),
    LineKey("bari", SA3, STAFF): Decimal("15000.00"),
    LineKey("bari", SA3, SERVICES): Decimal("5000.00"),
    LineKey("bari", SA3, TRAVEL): Decimal("1000.00"),
}


def scenario(record: ProgrammeRecord) -> dict[str, object]:
    """The hand-computed scenario, recorded at T0 + n hours (n below), figures in the test."""
    grants = grants_over(record)

    def at(hours: int) -> datetime:
        return T0 + timedelta(hours=hours)

    grants.adopt_budget(SCENARIO_BUDGET, "PROT/2020/0001", date(2020, 1, 10), CHECKER, at(0))
    grants.transfer(LineKey("firenze", SA4, SERVICES), LineKey("firenze", SA4, STAFF),
                    Decimal("1000.00"), TransferReason.REPROGRAMMING, "PROT/2020/0002",
                    date(2020, 2, 1), CHECKER, at(1))
    full = claimed(grants, record, FIRENZE, evidence(City.FIRENZE, SA4, STAFF, "4000.15"),
                   at(2))
    partial = claimed(grants, record, FIRENZE, evidence(
        City.FIRENZE, SA4, SERVICES, "6100.00", "7442.00",
        vat_treatment=VatTreatment.RECOVERABLE, cig="ZA12345678"), at(2))
    rejected = claimed(grants, record, BARI, evidence(City.BARI, SA3, SERVICES, "2500.00"),
                       at(2))
    pending = claimed(grants, record, BARI, evidence(City.BARI, SA3, TRAVEL, "333.33"), at(2))
    grants.admit_claim(full, [], CHECKER, at(3))
    grants.admit_claim(partial, [
        Disallowance(Decimal("600.00"), DisallowanceReason.OUTSIDE_PERIOD),
        Disallowance(Decimal("100.00"), DisallowanceReason.NOT_PERTINENT)], CHECKER, at(3))
    grants.reject_claim(rejected, DisallowanceReason.NO_PROOF, CHECKER, at(3))
    corrected = claimed(grants, record, BARI, evidence(City.BARI, SA3, SERVICES, "2500.00"),
                        at(4), corrects=rejected)
    grants.admit_claim(corrected, [], CHECKER, at(5))
    # 5,400.00 admitted is above the 5,000.00 threshold: a second ministry user confirms.
    grants.confirm_admission(partial, SECOND, at(6))
    # The ministry's payments: Firenze a pre-financing and an interim payment, Bari a
    # pre-financing larger than what it has had admitted so far.
    grants.pay("firenze", Decimal("5000.00"), date(2020, 3, 2), PaymentKind.PRE_FINANCING,
               "MP-2020/0101", CHECKER, at(7))
    grants.pay("bari", Decimal("2500.00"), date(2020, 3, 2), PaymentKind.PRE_FINANCING,
               "MP-2020/0102", CHECKER, at(7))
    grants.pay("firenze", Decimal("3000.00"), date(2020, 3, 2), PaymentKind.INTERIM,
               "MP-2020/0103", CHECKER, at(8))
    return {"full": full, "partial": partial, "rejected": rejected, "pending": pending,
            "corrected": corrected, "at": at}


def projected(record: ProgrammeRecord, database: ReadModelDatabase) -> GrantQueries:
    batch = [Delivered(stream_seq=n.id, envelope=to_message(n, record.mapper).envelope)
             for n in record.recorder.select_notifications(1, 1000, topics=PUBLIC_TOPICS)]
    reset(database, FinanceProjection())
    apply_batch(database, FinanceProjection(), batch)
    apply_batch(database, FinanceProjection(), batch)  # redelivered: no change
    return GrantQueries(database)


def check_scenario_figures(views: GrantQueries, steps: dict[str, object]) -> None:
    now = T0 + timedelta(days=1)
    statements = grant_statements(views, SCENARIO, now, PROGRAMME_END)
    firenze, bari, action = statements.of("firenze"), statements.of("bari"), statements.action
    assert firenze is not None and bari is not None
    # Firenze: budget after the transfer, SA4 staff 11,000.00 and services 19,000.00.
    assert {(line.sub_action, line.heading): line.budget for line in firenze.lines} == {
        ("1", "travel"): Decimal("2000.00"), ("4", "services"): Decimal("19000.00"),
        ("4", "staff"): Decimal("11000.00")}
    assert (firenze.direct_budget, firenze.indirect_budget, firenze.total_budget) == (
        Decimal("32000.00"), Decimal("2240.00"), Decimal("34240.00"))
    # Admitted: 4,000.15 (full) + 6,100.00 − 600.00 − 100.00 (partial) = 9,400.15;
    # indirect 7% = 658.0105 → 658.01; total 10,058.16; financed 90% = 9,052.344 → 9,052.34.
    assert {(line.sub_action, line.heading): line.admitted for line in firenze.lines} == {
        ("1", "travel"): Decimal("0.00"), ("4", "services"): Decimal("5400.00"),
        ("4", "staff"): Decimal("4000.15")}
    assert (firenze.direct_admitted, firenze.indirect_admitted, firenze.total_admitted) == (
        Decimal("9400.15"), Decimal("658.01"), Decimal("10058.16"))
    assert (firenze.admitted_split.financed, firenze.admitted_split.co_financing) == (
        Decimal("9052.34"), Decimal("1005.82"))
    assert (firenze.disallowed, firenze.pending) == (Decimal("700.00"), Decimal("0.00"))
    # Payments: 5,000.00 + 3,000.00 received; due = 9,052.34 financed of the admitted costs −
    # 8,000.00 = 1,052.34.
    assert (firenze.payments_received, firenze.payments_due) == (
        Decimal("8000.00"), Decimal("1052.34"))
    # Bari: 2,500.00 admitted (the corrected resubmission), 2,500.00 disallowed (the rejected
    # claim), 333.33 pending; indirect 175.00; total 2,675.00; financed 2,407.50.
    assert (bari.direct_budget, bari.indirect_budget, bari.total_budget) == (
        Decimal("21000.00"), Decimal("1470.00"), Decimal("22470.00"))
    assert (bari.direct_admitted, bari.indirect_admitted, bari.total_admitted) == (
        Decimal("2500.00"), Decimal("175.00"), Decimal("2675.00"))
    assert (bari.disallowed, bari.pending) == (Decimal("2500.00"), Decimal("333.33"))
    assert (bari.admitted_split.financed, bari.admitted_split.co_financing) == (
        Decimal("2407.50"), Decimal("267.50"))
    # Bari received 2,500.00, more than the 2,407.50 financed of its admitted costs: due is
    # −92.50 (paid ahead; the next admissions absorb it).
    assert (bari.payments_received, bari.payments_due) == (Decimal("2500.00"), Decimal("-92.50"))
    # The action: the sum of the two; its budget is the scenario's total cost.
    assert action.total_budget == SCENARIO.total_cost == Decimal("56710.00")
    assert (action.budget_split.financed, action.budget_split.co_financing) == (
        Decimal("51039.00"), Decimal("5671.00"))
    assert (action.direct_admitted, action.indirect_admitted, action.total_admitted) == (
        Decimal("11900.15"), Decimal("833.01"), Decimal("12733.16"))
    assert (action.admitted_split.financed, action.admitted_split.co_financing) == (
        Decimal("11459.84"), Decimal("1273.32"))
    # The action: received 8,000.00 + 2,500.00 = 10,500.00; due 11,459.84 − 10,500.00 = 959.84,
    # the sum of the two (1,052.34 − 92.50).
    assert (action.payments_received, action.payments_due) == (
        Decimal("10500.00"), Decimal("959.84"))
    assert action.payments_due == firenze.payments_due + bari.payments_due
    assert [(p.co_beneficiary, p.kind, p.amount, p.value_date, p.reference)
            for p in views.payments("firenze")] == [
        ("firenze", "interim", Decimal("3000.00"), date(2020, 3, 2), "MP-2020/0103"),
        ("firenze", "pre_financing", Decimal("5000.00"), date(2020, 3, 2), "MP-2020/0101")]
    assert {line.heading: line.admitted for line in action.by_heading()} == {
        "staff": Decimal("4000.15"), "travel": Decimal("0.00"), "equipment": Decimal("0.00"),
        "services": Decimal("7900.00"), "other_direct": Decimal("0.00")}
    assert not action.final
    # The claims as the city sees them: the resubmission names the rejected claim and back.
    by_id = {claim.claim_id: claim for claim in views.claims("bari")}
    assert by_id[steps["corrected"]].corrects == steps["rejected"]  # type: ignore[index]
    assert by_id[steps["rejected"]].corrected_by == steps["corrected"]  # type: ignore[index]
    assert [claim.co_beneficiary for claim in views.claims("firenze")] == ["firenze"] * 2
    # As of earlier moments: before the transfer, and before the second confirmation.
    at = steps["at"]
    assert callable(at)
    before_transfer = grant_statements(views, SCENARIO, at(0), PROGRAMME_END).of("firenze")
    assert before_transfer is not None
    assert {line.heading: line.budget for line in before_transfer.lines if line.sub_action == "4"
            } == {"services": Decimal("20000.00"), "staff": Decimal("10000.00")}
    assert before_transfer.total_admitted == Decimal("0.00")
    unconfirmed = grant_statements(views, SCENARIO, at(5), PROGRAMME_END).of("firenze")
    assert unconfirmed is not None
    assert (unconfirmed.direct_admitted, unconfirmed.pending) == (
        Decimal("4000.15"), Decimal("5400.00"))
    assert unconfirmed.position < statements.action.position
    # As of the first payments: Firenze received 5,000.00, due 9,052.34 − 5,000.00 = 4,052.34.
    first_paid = grant_statements(views, SCENARIO, at(7), PROGRAMME_END).of("firenze")
    assert first_paid is not None
    assert (first_paid.payments_received, first_paid.payments_due) == (
        Decimal("5000.00"), Decimal("4052.34"))
    before_payments = grant_statements(views, SCENARIO, at(6), PROGRAMME_END)
    assert before_payments.action.payments_received == Decimal("0.00")
    assert before_payments.action.payments_due == Decimal("11459.84")
    assert first_paid.position < statements.action.position
    # A city's dashboard reads its own statement alone: the same as the network's reading gives,
    # at every step of the scenario, for each co-beneficiary and for one with nothing (None).
    for moment in (*(at(hours) for hours in range(9)), now):
        every = grant_statements(views, SCENARIO, moment, PROGRAMME_END)
        for who in ("firenze", "bari", "milano"):
            alone = co_beneficiary_statement_of(views, SCENARIO, moment, PROGRAMME_END, who)
            assert alone == every.of(who), (who, moment)
    assert co_beneficiary_statement_of(views, SCENARIO, now, PROGRAMME_END, "firenze") == firenze
    assert co_beneficiary_statement_of(views, SCENARIO, now, PROGRAMME_END, "milano") is None
    # The ministry's dashboard reads the claims once unless one changed after the moment: the
    # last change is the second confirmation, at(6).
    for hours in range(9):
        changed = views.claims(as_of=at(hours)) != views.claims()
        assert views.claims_changed_after(at(hours)) is changed is (hours < 6), hours
    assert not views.claims_changed_after(now)
    assert grant_statements(views, SCENARIO, now, PROGRAMME_END,
                            views.claims(as_of=now)) == statements


def test_the_hand_computed_scenario_on_sqlite(record: ProgrammeRecord, tmp_path: Path) -> None:
    steps = scenario(record)
    database = SqliteReadModels(tmp_path / "readmodels.sqlite")
    try:
        check_scenario_figures(projected(record, database), steps)
    finally:
        database.close()


@pytest.mark.postgres
def test_the_hand_computed_scenario_on_postgresql(record: ProgrammeRecord,
                                                  postgres_database: str) -> None:
    steps = scenario(record)
    database = PostgresReadModels(postgres_database)
    try:
        check_scenario_figures(projected(record, database), steps)
    finally:
        database.close()


def test_the_demo_budget_is_the_card_s_total_with_florence_s_share(
    record: ProgrammeRecord,
) -> None:
    """DOMAIN.md: total cost EUR 11,434,653.45 (90% financed: 10,291,188.10), Florence's share
    EUR 346,000.00; the other partners' shares are configuration (the demo file, invented)."""
    budget = read_budget(DEMO_BUDGET_FILE, GrantTerms(), CARD_TERMS)
    assert "DEMO VALUES" in DEMO_BUDGET_FILE.read_text(encoding="utf-8")
    assert budget.act_reference.startswith("DEMO/")
    who = {key.co_beneficiary for key in budget.lines}
    assert {"ministry", "cittalia", "anci", "anci_comunicare"} <= who
    assert len(who) == 4 + 19
    grants = grants_over(record, GrantTerms())
    assert load_budget(grants, DEMO_BUDGET_FILE, NOW) == len(budget.lines)
    adopted = grants.budget()
    assert adopted is not None
    figures = adopted.figures
    assert figures.total(Decimal("0.07")) == PROGRAMME_TOTAL_COST
    assert figures.co_beneficiary_total("firenze", Decimal("0.07")) == FLORENCE_SHARE
    assert co_financing_split(PROGRAMME_TOTAL_COST, Decimal("0.90")).financed == \
        Decimal("10291188.10")


@pytest.mark.parametrize(("change", "message"), [
    (('staff = "540000.00"', 'staff = "540000.01"'), "not the action's total cost"),
    (('staff = "540000.00"', 'staff = "٥٤٠٠٠٠.٠٠"'), "ASCII digits"),
    (('staff = "540000.00"', "staff = 540000.00"), "as a string"),
    (("[budget.ministry.\"1\"]", "[budget.caritas.\"1\"]"), "not a co-beneficiary"),
    (("act_reference = \"DEMO/2019/0001\"", ""), "act_reference"),
])
def test_a_budget_file_that_is_not_right_is_refused_whole(
    record: ProgrammeRecord, tmp_path: Path, change: tuple[str, str], message: str,
) -> None:
    wrong = tmp_path / "budget.toml"
    wrong.write_text(DEMO_BUDGET_FILE.read_text(encoding="utf-8").replace(*change, 1),
                     encoding="utf-8")
    before = record.recorder.max_notification_id()
    with pytest.raises(AllocationFileError, match=message):
        load_budget(grants_over(record, GrantTerms()), wrong, NOW)
    assert record.recorder.max_notification_id() == before


def test_lgnet_finance_load_budget_adopts_the_file(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGNET_DATA_DIR", str(tmp_path))
    lines = len(read_budget(DEMO_BUDGET_FILE, GrantTerms(), CARD_TERMS).lines)
    result = CliRunner().invoke(finance_app, ["load-budget", str(DEMO_BUDGET_FILE)])
    assert result.exit_code == 0, result.output
    assert f"Budget adopted: {lines} lines." in result.output
    record = open_record(Settings(data_dir=tmp_path))
    try:
        adopted = grants_over(record, GrantTerms()).budget()
        assert adopted is not None and adopted.figures.total(Decimal("0.07")) == \
            PROGRAMME_TOTAL_COST
    finally:
        record.close()

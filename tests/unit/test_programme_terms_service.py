"""The ministry's decisions through the terms' service, on a real (SQLite) event store: who may
record them, what is stored, the terms as of any moment, and the services of every context
reading the terms in force (issue 12, items 10 and 11)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.access import AccessDenied
from domain.activities.model import ActivityKind, ActivityPlan
from domain.activities.service import ActivityService
from domain.amendments.model import TERMS_ID, AmendmentKind
from domain.amendments.service import ProgrammeTermsService
from domain.cases.service import CaseService
from domain.finance.model import ClaimDraft, ExpenseCategory, OutsideEligibility
from domain.finance.service import FinanceService
from domain.housing.service import HousingService
from domain.programme import (
    CARD_TERMS,
    Actor,
    ActorKind,
    AnswerTimes,
    City,
    NotAPartnerCity,
    OutsideProgrammePeriod,
    ProgrammePeriod,
    Role,
    SubAction,
)
from domain.record import ProgrammeRecord
from domain.referrals.rules import CityService, Destination, Urgency
from domain.referrals.service import ReferralService
from domain.vault import ClaimFileAccess, IdentifierAccess, PersonalData
from tests.builders import a_coordinator, a_person, an_intake

MINISTRY = Actor(ActorKind.USER, "ministero", Role.MINISTRY)
DECIDED_AT = datetime(2021, 11, 15, 10, tzinfo=UTC)
IN_2022 = datetime(2022, 3, 1, 10, tzinfo=UTC)


class DictVault:
    """A personal-data vault in a dict: the cases service needs one; the vault is not under
    test here."""

    def __init__(self) -> None:
        self.data: dict[UUID, PersonalData] = {}

    def store(self, case_id: UUID, data: PersonalData) -> None:
        self.data[case_id] = data

    def confirm(self, case_id: UUID) -> None:
        pass

    def pending(self, stored_before: datetime) -> list[UUID]:
        return []

    def read(self, case_id: UUID) -> PersonalData | None:
        return self.data.get(case_id)

    def erase(self, case_id: UUID) -> bool:
        return self.data.pop(case_id, None) is not None

    def store_text(self, case_id: UUID, text_id: UUID, text: str) -> str:
        raise LookupError(case_id)  # no text is kept here

    def read_text(self, case_id: UUID, text_id: UUID) -> str | None:
        return None

    def discard_text(self, case_id: UUID, text_id: UUID) -> None:
        pass

    def store_file(self, case_id: UUID, file_id: UUID, content: bytes) -> None:
        raise LookupError(case_id)  # no file is kept here

    def read_file(self, case_id: UUID, file_id: UUID) -> bytes | None:
        return None

    def discard_file(self, case_id: UUID, file_id: UUID) -> None:
        pass

    def store_claim_file(self, claim_id: UUID, file_id: UUID, content: bytes) -> None:
        pass

    def read_claim_file(self, claim_id: UUID, file_id: UUID) -> bytes | None:
        return None

    def discard_claim_file(self, claim_id: UUID, file_id: UUID) -> None:
        pass

    def record_claim_file_access(self, access: ClaimFileAccess) -> None:
        pass

    def claim_file_accesses(self, limit: int = 200, offset: int = 0) -> list[ClaimFileAccess]:
        return []

    def record_access(self, access: IdentifierAccess) -> None:
        pass

    def accesses(self, limit: int = 200, offset: int = 0) -> list[IdentifierAccess]:
        return []

    def close(self) -> None:
        pass


@pytest.fixture
def record(tmp_path: Path) -> Iterator[ProgrammeRecord]:
    record = ProgrammeRecord(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                  "SQLITE_DBNAME": str(tmp_path / "events.sqlite")})
    yield record
    record.close()


@pytest.fixture
def terms(record: ProgrammeRecord) -> ProgrammeTermsService:
    return ProgrammeTermsService(record)


def test_before_any_decision_nothing_is_stored_and_the_terms_are_the_card_s(
    terms: ProgrammeTermsService, record: ProgrammeRecord,
) -> None:
    """Histories written before the terms were data hold no terms event: they read as the
    card's terms."""
    assert terms.terms_in_force() == CARD_TERMS
    assert terms.terms_at(DECIDED_AT) == CARD_TERMS
    assert terms.amendments() == []
    assert record.recorder.select_notifications(1, 10) == []


def test_the_first_decision_is_saved_with_the_card_s_terms_before_it(
    terms: ProgrammeTermsService, record: ProgrammeRecord,
) -> None:
    position = terms.extend_period(date(2022, 6, 30), date(2021, 11, 12), "DM 123/2021",
                                   MINISTRY, DECIDED_AT)

    stored = list(record.repository.event_store.get(TERMS_ID))
    assert [type(e).__qualname__ for e in stored] == [
        "ProgrammeTerms.Established", "ProgrammeTerms.PeriodExtended"]
    assert position == record.recorder.max_notification_id()
    assert terms.terms_in_force().period == ProgrammePeriod(date(2019, 7, 1), date(2022, 6, 30))
    assert [(a.kind, a.act_reference) for a in terms.amendments()] == [
        (AmendmentKind.ESTABLISHED, None), (AmendmentKind.PERIOD_EXTENDED, "DM 123/2021")]
    assert terms.amendments()[1].values == {"ends_on": date(2022, 6, 30),
                                            "previous_ends_on": date(2021, 12, 31)}


def test_the_terms_as_of_a_moment_are_those_decided_up_to_it(
    terms: ProgrammeTermsService,
) -> None:
    """As-of pages judge by the terms in force then."""
    terms.extend_period(date(2022, 6, 30), date(2021, 11, 12), "DM 1", MINISTRY, DECIDED_AT)
    later = DECIDED_AT + timedelta(days=10)
    terms.set_answer_times(AnswerTimes(timedelta(hours=12), timedelta(hours=48),
                                       timedelta(hours=240)), date(2021, 11, 25), "Circ. 2",
                           MINISTRY, later)

    assert terms.terms_at(DECIDED_AT - timedelta(seconds=1)) == CARD_TERMS
    at_extension = terms.terms_at(DECIDED_AT)
    assert at_extension.period.ends_on == date(2022, 6, 30)
    assert at_extension.answer_times == CARD_TERMS.answer_times
    assert terms.terms_at(later).answer_times.urgent == timedelta(hours=48)
    assert len(terms.amendments(DECIDED_AT)) == 2
    assert len(terms.amendments()) == 3


@pytest.mark.parametrize("actor", [
    a_coordinator(),
    Actor(ActorKind.USER, "revisore", Role.AUDITOR),
    Actor(ActorKind.SYSTEM, "lgnet", Role.SYSTEM),
])
def test_only_the_ministry_decides_and_a_refusal_stores_nothing(
    terms: ProgrammeTermsService, record: ProgrammeRecord, actor: Actor,
) -> None:
    with pytest.raises(AccessDenied) as refused:
        terms.extend_period(date(2022, 6, 30), date(2021, 11, 12), "DM 1", actor, DECIDED_AT)
    assert refused.value.params["permission"] == "amend_programme_terms"
    assert record.recorder.select_notifications(1, 10) == []


def an_intake_on(day: date, city: City = City.FIRENZE):  # type: ignore[no-untyped-def]
    return an_intake(city, intake_date=day)  # the notice given that day (tests.builders)


def test_the_cases_service_takes_in_after_the_card_s_end_only_once_the_period_is_extended(
    record: ProgrammeRecord, terms: ProgrammeTermsService,
) -> None:
    """Issue 12: "Today an intake on 2026-12-06 is accepted" — no longer, unless amended; and
    the refused intake leaves nothing behind (no case, no identifiers)."""
    vault = DictVault()
    cases = CaseService(record, vault, terms)
    case_id = uuid4()
    with pytest.raises(OutsideProgrammePeriod):
        cases.record_intake(case_id, an_intake_on(date(2022, 2, 1)), a_person(),
                            a_coordinator(), IN_2022)
    assert vault.data == {} and record.recorder.select_notifications(1, 10) == []

    terms.extend_period(date(2022, 6, 30), date(2021, 11, 12), "DM 1", MINISTRY, DECIDED_AT)
    receipt = cases.record_intake(case_id, an_intake_on(date(2022, 2, 1)), a_person(),
                                  a_coordinator(), IN_2022)
    assert receipt.case_code == "FI-2022-00001"


def test_every_context_s_service_reads_the_terms_in_force(
    record: ProgrammeRecord, terms: ProgrammeTermsService,
) -> None:
    """Referrals (due times, transfers), placements, activities and claims, each refused after
    the card's end and accepted once the ministry has extended it; a withdrawal stops new work
    in the city."""
    cases = CaseService(record, DictVault(), terms)
    referrals = ReferralService(record, cases, terms)
    housing = HousingService(record, cases, terms)
    activities = ActivityService(record, cases, terms)
    finance = FinanceService(record, terms)
    florence = a_coordinator()
    case_id = uuid4()
    cases.record_intake(case_id, an_intake_on(date(2021, 12, 1)), a_person(), florence,
                        datetime(2021, 12, 1, 10, tzinfo=UTC))
    finance.set_allocation(City.FIRENZE, SubAction.FAST_TRACK_HOUSING, Decimal("100.00"),
                           "Decreto", MINISTRY, DECIDED_AT)
    health = Destination.city_service(CityService.HEALTH)
    activity = ActivityPlan(City.FIRENZE, SubAction.EMERGENCY_TAKE_IN,
                            ActivityKind.NEIGHBOURHOOD_MEDIATION, "Mediazione", "Novoli",
                            date(2022, 1, 10), date(2022, 2, 10), "Ufficio Immigrazione")
    claim = ClaimDraft(City.FIRENZE, SubAction.FAST_TRACK_HOUSING,
                       ExpenseCategory.HOUSING_COSTS, Decimal("10.00"), date(2022, 1, 15),
                       "PG/2022/1")

    with pytest.raises(OutsideProgrammePeriod):
        referrals.request(uuid4(), case_id, health, None, None, florence, IN_2022)
    with pytest.raises(OutsideProgrammePeriod):
        housing.add_to_waitlist(case_id, florence, IN_2022)
    with pytest.raises(OutsideProgrammePeriod):
        activities.plan_activity(uuid4(), activity, florence, IN_2022)
    with pytest.raises(OutsideEligibility):
        finance.record_claim(uuid4(), claim, florence, IN_2022)

    terms.extend_period(date(2022, 6, 30), date(2021, 11, 12), "DM 1", MINISTRY, DECIDED_AT)
    terms.set_answer_times(AnswerTimes(timedelta(hours=12), timedelta(hours=48),
                                       timedelta(hours=240)), date(2021, 11, 12), "Circ. 2",
                           MINISTRY, DECIDED_AT)
    referral_id = uuid4()
    referrals.request(referral_id, case_id, health, Urgency.IMMEDIATE, None, florence, IN_2022)
    assert referrals.get(referral_id).due_at == IN_2022 + timedelta(hours=12)
    housing.add_to_waitlist(case_id, florence, IN_2022)
    activities.plan_activity(uuid4(), activity, florence, IN_2022)
    finance.record_claim(uuid4(), claim, florence, IN_2022)

    terms.withdraw_city(City.MILANO, date(2022, 3, 1), date(2022, 3, 1), "DM 9", MINISTRY,
                        IN_2022)
    with pytest.raises(NotAPartnerCity):
        referrals.request(uuid4(), case_id, Destination.transfer(City.MILANO), None, None,
                          florence, IN_2022)
    with pytest.raises(NotAPartnerCity):
        cases.record_intake(uuid4(), an_intake_on(date(2022, 3, 1), City.MILANO), a_person(),
                            a_coordinator(City.MILANO), IN_2022)

"""The programme's rules for taking a person in, on the case aggregate alone."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.cases.model import (
    Case,
    CaseRegister,
    ImplausibleBirthDate,
    InconsistentReceptionHistory,
    InformationNotice,
    InvalidIntake,
    ReceptionHistory,
    intake_field_problems,
)
from domain.cases.rules import (
    AgeBand,
    AgeScheme,
    EligibilityReason,
    PriorityGroup,
    ReceptionCentreKind,
    ReceptionSituation,
    Vulnerability,
    age_on,
    reaches_age_on,
)
from domain.programme import (
    CARD_TERMS,
    City,
    DomainErrors,
    OutsideProgrammePeriod,
    ProtectionStatus,
    SubAction,
)
from tests.builders import NOW, a_coordinator, an_intake


def take_in(**overrides: Any) -> Case:
    return Case.take_in(uuid4(), "FI-2021-00001", an_intake(**overrides), a_coordinator(), NOW)


def eligibility_of(case: Case) -> dict[str, tuple[bool, str]]:
    return {e["sub_action"]: (e["eligible"], e["reason"]) for e in case.eligibility}


def test_accepts_a_person_never_in_reception() -> None:
    case = take_in(reception=ReceptionHistory(ReceptionSituation.NEVER_IN_RECEPTION))
    assert case.reception_situation is ReceptionSituation.NEVER_IN_RECEPTION


def test_leaving_reception_needs_a_date_and_a_centre() -> None:
    with pytest.raises(InconsistentReceptionHistory):
        take_in(reception=ReceptionHistory(ReceptionSituation.LEFT_RECEPTION, date(2021, 1, 1)))


def test_cannot_leave_reception_after_the_intake() -> None:
    with pytest.raises(InconsistentReceptionHistory):
        take_in(reception=ReceptionHistory(
            ReceptionSituation.LEFT_RECEPTION, date(2021, 3, 11), ReceptionCentreKind.CAS))


def test_never_in_reception_has_no_leaving_date() -> None:
    with pytest.raises(InconsistentReceptionHistory):
        take_in(reception=ReceptionHistory(
            ReceptionSituation.NEVER_IN_RECEPTION, date(2021, 1, 1)))


def test_civic_engagement_is_only_for_asylum_seekers() -> None:
    refugee = eligibility_of(take_in(protection_status=ProtectionStatus.REFUGEE))
    seeker = eligibility_of(take_in(protection_status=ProtectionStatus.ASYLUM_SEEKER))
    assert refugee[SubAction.CIVIC_ENGAGEMENT] == (False, EligibilityReason.NOT_ASYLUM_SEEKER)
    assert seeker[SubAction.CIVIC_ENGAGEMENT] == (True, EligibilityReason.ASYLUM_SEEKER)


def test_international_protection_holders_come_first() -> None:
    refugee = take_in(protection_status=ProtectionStatus.SUBSIDIARY_PROTECTION)
    other = take_in(protection_status=ProtectionStatus.SPECIAL_PROTECTION)
    assert refugee.priority_group == PriorityGroup.INTERNATIONAL_PROTECTION
    assert other.priority_group == PriorityGroup.OTHER_OUTSIDE_RECEPTION
    assert eligibility_of(refugee)[SubAction.FAST_TRACK_HOUSING] == (
        True, EligibilityReason.INTERNATIONAL_PROTECTION_FIRST)


def test_emergency_take_in_explains_vulnerability() -> None:
    vulnerable = take_in(vulnerabilities=frozenset({Vulnerability.TRAFFICKING_VICTIM}))
    assert eligibility_of(vulnerable)[SubAction.EMERGENCY_TAKE_IN] == (
        True, EligibilityReason.VULNERABLE)


def test_a_minor_is_recorded_as_vulnerable_by_age() -> None:
    case = take_in(birth_date=date(2005, 1, 1))
    assert case.age_band is AgeBand.FROM_14_TO_17
    assert Vulnerability.MINOR in case.vulnerabilities


def test_an_adult_cannot_be_an_unaccompanied_minor() -> None:
    with pytest.raises(InvalidIntake):
        take_in(vulnerabilities=frozenset({Vulnerability.UNACCOMPANIED_MINOR}))


@pytest.mark.parametrize(
    ("birth", "band"),
    [(date(2007, 3, 11), AgeBand.FROM_0_TO_13), (date(2007, 3, 10), AgeBand.FROM_14_TO_17),
     (date(2003, 3, 11), AgeBand.FROM_14_TO_17), (date(2003, 3, 10), AgeBand.FROM_18_TO_34),
     (date(1986, 3, 11), AgeBand.FROM_18_TO_34), (date(1986, 3, 10), AgeBand.FROM_35_TO_64),
     (date(1956, 3, 11), AgeBand.FROM_35_TO_64), (date(1956, 3, 10), AgeBand.OVER_64)],
)
def test_age_band_is_eurostats_class_on_the_intake_date_each_limit_and_one_day_short(
    birth: date, band: AgeBand,
) -> None:
    """Issue 12 item 7: age bands aligned with Eurostat's (0-13, 14-17, 18-34, 35-64, 65+)."""
    assert AgeBand.at(birth, date(2021, 3, 10)) is band


@pytest.mark.parametrize(
    ("birth", "band"),
    [(date(2003, 3, 11), AgeBand.UNDER_18), (date(2003, 3, 10), AgeBand.FROM_18_TO_24),
     (date(1956, 3, 10), AgeBand.OVER_64), (date(1972, 1, 1), AgeBand.FROM_35_TO_49)],
)
def test_the_bands_before_issue_12_are_still_known_as_the_legacy_scheme(
    birth: date, band: AgeBand,
) -> None:
    assert AgeBand.at(birth, date(2021, 3, 10), AgeScheme.LEGACY) is band
    assert band.belongs_to(AgeScheme.LEGACY)


def test_a_person_born_on_29_february_turns_a_year_older_on_1_march_of_a_common_year() -> None:
    assert age_on(date(2004, 2, 29), date(2022, 2, 28)) == 17
    assert age_on(date(2004, 2, 29), date(2022, 3, 1)) == 18
    assert reaches_age_on(date(2004, 2, 29), 18) == date(2022, 3, 1)


def test_intake_date_cannot_be_in_the_future_or_before_the_programme() -> None:
    """Card: "Inizio progetto: 01/07/2019" (the period's end: tests/unit/test_programme_terms)."""
    with pytest.raises(InvalidIntake):
        take_in(intake_date=NOW.date() + timedelta(days=1))
    with pytest.raises(OutsideProgrammePeriod):
        take_in(intake_date=date(2019, 6, 30),
                reception=ReceptionHistory(ReceptionSituation.NEVER_IN_RECEPTION))


@pytest.mark.parametrize("citizenship", ["er", "ERI", "E1", "", "ÉÜ"])
def test_citizenship_is_a_two_letter_iso_code(citizenship: str) -> None:
    with pytest.raises(InvalidIntake) as refused:
        take_in(citizenship=citizenship)
    assert (refused.value.code, refused.value.params["field"]) == ("invalid_intake", "citizenship")


def test_the_eleven_vulnerable_categories_of_article_17_and_other_as_the_list_is_open() -> None:
    """Art. 17 c.1 d.lgs. 142/2015 lists vulnerable people with "quali": an illustrative list,
    so `other` exists beside the eleven (issue 12 item 8)."""
    assert len(Vulnerability) == 12
    assert Vulnerability.OTHER in Vulnerability


def test_the_intake_event_records_actor_and_time_passed_in() -> None:
    case = take_in()
    (event,) = case.collect_events()
    assert isinstance(event, Case.IntakeRecorded)
    assert event.timestamp == NOW
    assert event.actor == a_coordinator().as_record()


def test_case_register_issues_consecutive_codes_with_the_city_prefix() -> None:
    register = CaseRegister.open(City.MILANO, 2021, NOW)
    assert [register.issue_code(NOW, CARD_TERMS.province_code(City.MILANO)) for _ in range(3)] == [
        "MI-2021-00001", "MI-2021-00002", "MI-2021-00003"]


def test_a_birth_date_over_120_years_before_the_intake_is_refused() -> None:
    with pytest.raises(ImplausibleBirthDate):
        take_in(birth_date=date(1899, 1, 1))


def test_today_is_the_date_in_italy() -> None:
    # 23:30 UTC on 9 March is already 10 March in Rome: an intake dated 10 March is not future.
    late_evening_utc = NOW.replace(month=3, day=9, hour=23, minute=30)
    case = Case.take_in(uuid4(), "FI-2021-00001", an_intake(), a_coordinator(), late_evening_utc)
    assert case.intake_date == date(2021, 3, 10)


def test_every_independent_rule_an_intake_breaks_is_told_at_once() -> None:
    """Issue 14: a form with several problems needed one submit per problem. Each keeps its
    own code and field; a date outside the programme is not compared with the others."""
    with pytest.raises(DomainErrors) as refused:
        take_in(intake_date=NOW.date() + timedelta(days=1), birth_date=NOW.date() + timedelta(
            days=5), household_size=0, citizenship="er",
            information_notice=InformationNotice(NOW.date() + timedelta(days=9), "TI"),
            vulnerabilities=frozenset({Vulnerability.UNACCOMPANIED_MINOR}))
    assert [(p.code, p.params["field"]) for p in refused.value.problems] == [
        ("invalid_intake", "intake_date"),
        ("invalid_intake", "birth_date"),
        ("invalid_intake", "household_size"),
        ("information_notice_missing", "information_notice_given_on"),
        ("invalid_intake", "citizenship"),
        ("information_notice_missing", "information_notice_language"),
    ]
    # One problem is raised as itself.
    with pytest.raises(InvalidIntake):
        take_in(household_size=31)
    far = intake_field_problems(today=NOW.date(), intake_date=date(2999, 1, 1),
                                birth_date=date(1990, 5, 17), household_size=None,
                                notice_given_on=date(2999, 1, 2), terms=CARD_TERMS,
                                city=City.FIRENZE)
    assert [p.code for p in far] == ["outside_programme_period"]
    partial = intake_field_problems(today=NOW.date(), intake_date=None, birth_date=None,
                                    household_size=0, notice_given_on=None)
    assert [p.params["field"] for p in partial] == ["household_size"]

"""The case rules at their edges (issue 20): each age limit on the day and the day before, the
birthday later in the year, every eligibility reason a person can be given."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.cases.rules import (
    SIPROIMI_FROM,
    AgeBand,
    AgeScheme,
    Eligibility,
    EligibilityReason,
    ReceptionSituation,
    Vulnerability,
    age_on,
    can_be_granted_on,
    eligibility_for,
    first_day_of,
    month_after,
    month_of,
)
from domain.programme import ProtectionStatus, SubAction

INTAKE_DAY = date(2021, 3, 10)


def test_a_person_is_a_year_older_from_the_birthday_on_and_for_the_rest_of_the_year() -> None:
    born = date(1990, 5, 17)
    assert age_on(born, date(2021, 5, 16)) == 30
    assert age_on(born, date(2021, 5, 17)) == 31
    assert age_on(born, date(2021, 12, 31)) == 31  # a later month, an earlier day of the month
    assert age_on(born, date(2021, 6, 1)) == 31


@pytest.mark.parametrize(("limit", "band", "band_before"), [
    (18, AgeBand.FROM_18_TO_24, AgeBand.UNDER_18),
    (25, AgeBand.FROM_25_TO_34, AgeBand.FROM_18_TO_24),
    (35, AgeBand.FROM_35_TO_49, AgeBand.FROM_25_TO_34),
    (50, AgeBand.FROM_50_TO_64, AgeBand.FROM_35_TO_49),
    (65, AgeBand.OVER_64, AgeBand.FROM_50_TO_64),
])
def test_each_legacy_band_starts_on_its_birthday_and_not_the_day_before(
    limit: int, band: AgeBand, band_before: AgeBand
) -> None:
    """The bands before issue 12 (docs/domain.md, "Age"): 0-17, 18-24, 25-34, 35-49, 50-64, 65+."""
    born = INTAKE_DAY.replace(year=INTAKE_DAY.year - limit)
    assert AgeBand.at(born, INTAKE_DAY, AgeScheme.LEGACY) is band
    assert AgeBand.at(born + timedelta(days=1), INTAKE_DAY, AgeScheme.LEGACY) is band_before
    assert band.lowest_age == limit


def test_the_youngest_band_of_a_scheme_holds_a_newborn() -> None:
    assert AgeBand.at(INTAKE_DAY, INTAKE_DAY) is AgeBand.FROM_0_TO_13
    assert AgeBand.at(INTAKE_DAY, INTAKE_DAY, AgeScheme.LEGACY) is AgeBand.UNDER_18
    assert [band.lowest_age for band in AgeScheme.EUROSTAT.bands] == [0, 14, 18, 35, 65]
    assert [band.is_minor for band in AgeScheme.LEGACY.bands] == [
        True, False, False, False, False, False]


@pytest.mark.parametrize(("situation", "vulnerabilities", "take_in_reason", "housing_reason"), [
    (ReceptionSituation.LEFT_RECEPTION, frozenset(),
     EligibilityReason.NOT_VULNERABLE_YET_OUTSIDE_RECEPTION, EligibilityReason.OUTSIDE_RECEPTION),
    (ReceptionSituation.NEVER_IN_RECEPTION, frozenset(),
     EligibilityReason.NOT_VULNERABLE_YET_OUTSIDE_RECEPTION, EligibilityReason.OUTSIDE_RECEPTION),
    (ReceptionSituation.LEAVING_RECEPTION, frozenset(),
     EligibilityReason.LEAVING_RECEPTION, EligibilityReason.LEAVING_RECEPTION),
    (ReceptionSituation.LEFT_RECEPTION, frozenset({Vulnerability.PREGNANCY}),
     EligibilityReason.VULNERABLE, EligibilityReason.OUTSIDE_RECEPTION),
])
def test_outside_reception_an_applicant_may_be_taken_in_and_housed_and_is_told_why(
    situation: ReceptionSituation, vulnerabilities: frozenset[Vulnerability],
    take_in_reason: EligibilityReason, housing_reason: EligibilityReason,
) -> None:
    """Sub-Actions 3 and 4 are for people out of reception or leaving it, vulnerable or not."""
    assert eligibility_for(ProtectionStatus.ASYLUM_SEEKER, situation, vulnerabilities) == (
        Eligibility(SubAction.CIVIC_ENGAGEMENT, True, EligibilityReason.ASYLUM_SEEKER),
        Eligibility(SubAction.EMERGENCY_TAKE_IN, True, take_in_reason),
        Eligibility(SubAction.FAST_TRACK_HOUSING, True, housing_reason),
    )


def test_in_reception_only_civic_engagement_is_open() -> None:
    assert eligibility_for(
        ProtectionStatus.REFUGEE, ReceptionSituation.IN_RECEPTION, frozenset()
    ) == (
        Eligibility(SubAction.CIVIC_ENGAGEMENT, False, EligibilityReason.NOT_ASYLUM_SEEKER),
        Eligibility(SubAction.EMERGENCY_TAKE_IN, False, EligibilityReason.IN_RECEPTION),
        Eligibility(SubAction.FAST_TRACK_HOUSING, False, EligibilityReason.IN_RECEPTION),
    )
    assert Eligibility(
        SubAction.FAST_TRACK_HOUSING, False, EligibilityReason.IN_RECEPTION
    ).as_record() == {"sub_action": SubAction.FAST_TRACK_HOUSING.value, "eligible": False,
                      "reason": "in_reception"}


def test_months_roll_over_at_the_end_of_the_year() -> None:
    assert month_of(date(2021, 3, 10)) == "2021-03"
    assert month_after(date(2021, 11, 30)) == "2021-12"
    assert month_after(date(2021, 12, 31)) == "2022-01"
    assert first_day_of("2022-01") == date(2022, 1, 1)


def test_statuses_d_l_113_2018_abolished_or_introduced_change_on_its_day() -> None:
    """D.l. 113/2018 in force 5 October 2018 (DOMAIN.md, "Protection status")."""
    day_before = SIPROIMI_FROM - timedelta(days=1)
    assert can_be_granted_on(ProtectionStatus.HUMANITARIAN_PROTECTION, day_before)
    assert not can_be_granted_on(ProtectionStatus.HUMANITARIAN_PROTECTION, SIPROIMI_FROM)
    assert not can_be_granted_on(ProtectionStatus.SPECIAL_PROTECTION, day_before)
    assert can_be_granted_on(ProtectionStatus.SPECIAL_PROTECTION, SIPROIMI_FROM)
    assert can_be_granted_on(ProtectionStatus.REFUGEE, day_before)

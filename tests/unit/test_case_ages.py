"""Issue 12 item 7: minors grow up. Age band and minority follow the calendar, from the birth
date only the vault keeps, dated to the month (GDPR art. 5(1)(c): no birth date can be inferred
from an event more precisely than the month)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from domain.cases.model import Case, ImplausibleBirthDate
from domain.cases.rules import AgeBand, AgeScheme, Vulnerability
from domain.programme import Actor, ActorKind, Role, SubAction
from tests.builders import NOW, a_coordinator, an_intake

JOB = Actor(ActorKind.SYSTEM, "lgnet-age-job", Role.SYSTEM)
# A minor born on 20 May 2003: 17 at the intake (10 March 2021), 18 on 20 May 2021.
BORN = date(2003, 5, 20)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)


def take_in(birth_date: date = BORN, **overrides: Any) -> Case:
    case = Case.take_in(uuid4(), "FI-2021-00001", an_intake(birth_date=birth_date, **overrides),
                        a_coordinator(), NOW)
    case.collect_events()
    return case


def legacy_case(age_band: AgeBand, birth_date: date, **overrides: Any) -> Case:
    """A case as intakes recorded it before issue 12: the same intake, in the old bands."""
    made = Case.take_in(uuid4(), "FI-2021-00001", an_intake(birth_date=birth_date, **overrides),
                        a_coordinator(), NOW)
    (intake,) = made.collect_events()
    old = dataclasses.replace(intake, age_band=age_band.value)  # type: ignore[type-var]
    case = old.mutate(None)
    assert isinstance(case, Case)
    return case


def followed(case: Case, day: date, birth_date: date = BORN) -> list[Any]:
    case.follow_age(birth_date, JOB, at(day))
    return list(case.collect_events())


def test_a_minor_who_turns_18_is_an_adult_from_the_month_after_the_birthday_recorded_after_it(
) -> None:
    """Issue 12 item 7: "minority follows the calendar", dated to the month, never the day."""
    case = take_in()
    assert case.age_band is AgeBand.FROM_14_TO_17 and case.is_minor
    assert followed(case, date(2021, 5, 31)) == []  # the birthday's month has not ended
    came_of_age, changed = followed(case, date(2021, 6, 1))
    assert isinstance(came_of_age, Case.CameOfAge)
    assert came_of_age.from_month == "2021-06"
    assert came_of_age.vulnerabilities == []
    assert came_of_age.case_code == "FI-2021-00001" and came_of_age.city == "firenze"
    assert came_of_age.actor == JOB.as_record()
    assert came_of_age.timestamp == at(date(2021, 6, 1))
    assert isinstance(changed, Case.AgeBandChanged)
    assert (changed.from_month, changed.age_band, changed.previous_age_band, changed.reason) == (
        "2021-06", "18-34", "14-17", "birthday")
    assert changed.actor == JOB.as_record()
    assert not case.is_minor and case.age_band is AgeBand.FROM_18_TO_34
    assert Vulnerability.MINOR not in case.vulnerabilities


def test_following_the_age_twice_records_nothing_new() -> None:
    """The job is idempotent: it may run any number of times."""
    case = take_in()
    assert len(followed(case, date(2021, 6, 1))) == 2
    assert followed(case, date(2021, 6, 1)) == []
    assert followed(case, date(2021, 6, 2)) == []


def test_coming_of_age_ends_the_minor_categories_and_eligibility_follows() -> None:
    """Art. 17 c.1 d.lgs. 142/2015: minors and unaccompanied minors are vulnerable as minors;
    at 18 those categories end, the others stay."""
    case = take_in(vulnerabilities=frozenset(
        {Vulnerability.UNACCOMPANIED_MINOR, Vulnerability.SERIOUS_ILLNESS}))
    came_of_age, _changed = followed(case, date(2021, 6, 1))
    assert came_of_age.vulnerabilities == ["serious_illness"]
    assert not case.needs_guardian
    only_minor = take_in()
    came_of_age, _changed = followed(only_minor, date(2021, 6, 1))
    take_in_eligibility = {e["sub_action"]: e for e in came_of_age.eligibility}
    assert take_in_eligibility[SubAction.EMERGENCY_TAKE_IN.value]["reason"] == (
        "not_vulnerable_yet_outside_reception")


def test_every_band_grown_into_since_the_last_run_is_recorded_from_its_own_month() -> None:
    """A job that did not run for years catches up band by band, each from its month."""
    case = take_in(birth_date=date(2008, 4, 2))  # 12 at intake: 0-13
    assert case.age_band is AgeBand.FROM_0_TO_13
    events = followed(case, date(2026, 12, 6), birth_date=date(2008, 4, 2))
    assert [(type(e).__name__, e.from_month) for e in events] == [
        ("AgeBandChanged", "2022-05"), ("CameOfAge", "2026-05"), ("AgeBandChanged", "2026-05")]
    assert case.age_band_on(date(2022, 4, 30)) is AgeBand.FROM_0_TO_13
    assert case.age_band_on(date(2022, 5, 1)) is AgeBand.FROM_14_TO_17
    assert case.is_minor_on(date(2026, 4, 30)) and not case.is_minor_on(date(2026, 5, 1))


def test_an_adults_band_changes_at_the_limit_and_not_a_month_before() -> None:
    """Eurostat's 35-64: a person turning 35 on 10 March 2022 is 35-64 from April 2022."""
    case = take_in(birth_date=date(1987, 3, 10))
    assert case.age_band is AgeBand.FROM_18_TO_34
    assert followed(case, date(2022, 3, 31), birth_date=date(1987, 3, 10)) == []
    (changed,) = followed(case, date(2022, 4, 1), birth_date=date(1987, 3, 10))
    assert (changed.from_month, changed.age_band) == ("2022-04", "35-64")


def test_no_event_of_the_age_job_says_more_than_the_month_of_a_birth() -> None:
    """GDPR art. 5(1)(c): two people born on the 2nd and the 30th of the same month get the
    same events, at the same moment: nothing in them, not even when they were recorded, tells
    the day. No field is a date."""
    early, late = take_in(birth_date=date(2003, 5, 2)), take_in(birth_date=date(2003, 5, 30))
    early_events = followed(early, date(2021, 6, 1), birth_date=date(2003, 5, 2))
    late_events = followed(late, date(2021, 6, 1), birth_date=date(2003, 5, 30))
    assert len(early_events) == len(late_events) == 2

    def payload(event: Any) -> dict[str, Any]:
        return {k: v for k, v in vars(event).items() if k not in ("originator_id",)}

    assert [payload(e) for e in early_events] == [payload(e) for e in late_events]
    for event in early_events:
        for name, value in vars(event).items():
            assert not (isinstance(value, date) and not isinstance(value, datetime)), name
        assert event.from_month == "2021-06"


def test_a_case_in_the_old_bands_is_rebanded_from_the_month_the_job_runs() -> None:
    """The old bands (0-17, 18-24, 25-34, ...) stay true for the dates they were recorded for:
    a case is re-banded into Eurostat's from the month the job first runs, so the as-of figures
    before it stay what they were."""
    case = legacy_case(AgeBand.FROM_25_TO_34, birth_date=date(1990, 5, 17))
    (changed,) = followed(case, date(2024, 12, 6), birth_date=date(1990, 5, 17))
    assert (changed.from_month, changed.age_band, changed.previous_age_band, changed.reason) == (
        "2024-12", "18-34", "25-34", "scheme")
    assert case.age_band_on(date(2024, 11, 30)) is AgeBand.FROM_25_TO_34
    assert case.age_band_on(date(2024, 12, 1)) is AgeBand.FROM_18_TO_34
    assert followed(case, date(2024, 12, 7), birth_date=date(1990, 5, 17)) == []
    # Grown into the old 35-49 before the job ever ran: that band first, from its month.
    older = legacy_case(AgeBand.FROM_25_TO_34, birth_date=date(1990, 5, 17))
    events = followed(older, date(2026, 12, 6), birth_date=date(1990, 5, 17))
    assert [(e.from_month, e.age_band, e.reason) for e in events] == [
        ("2025-06", "35-49", "birthday"), ("2026-12", "35-64", "scheme")]


def test_an_old_bands_minor_who_came_of_age_long_ago_is_an_adult_from_that_month() -> None:
    """Minority is a legal fact: it ends at the 18th birthday whatever the bands were; the band
    follows in the old scheme until the re-banding."""
    case = legacy_case(AgeBand.UNDER_18, birth_date=BORN)
    events = followed(case, date(2026, 12, 6))
    assert [(type(e).__name__, e.from_month, getattr(e, "age_band", None)) for e in events] == [
        ("CameOfAge", "2021-06", None), ("AgeBandChanged", "2021-06", "18-24"),
        ("AgeBandChanged", "2026-12", "18-34")]
    assert case.age_band_on(date(2021, 5, 31)) is AgeBand.UNDER_18
    assert case.age_band_on(date(2022, 1, 1)) is AgeBand.FROM_18_TO_24


def test_65_and_over_is_the_same_band_in_both_schemes_and_is_not_rebanded() -> None:
    case = legacy_case(AgeBand.OVER_64, birth_date=date(1950, 1, 1))
    assert AgeBand.OVER_64.belongs_to(AgeScheme.LEGACY)
    assert AgeBand.OVER_64.belongs_to(AgeScheme.EUROSTAT)
    assert followed(case, date(2026, 12, 6), birth_date=date(1950, 1, 1)) == []


def test_a_birth_date_after_the_intake_is_refused() -> None:
    case = take_in()
    with pytest.raises(ImplausibleBirthDate) as refused:
        case.follow_age(date(2021, 3, 11), JOB, at(date(2021, 6, 1)))
    assert (refused.value.code, refused.value.params["field"]) == (
        "implausible_birth_date", "birth_date")


def test_eligibility_as_of_a_day_before_coming_of_age_still_counts_the_minor_as_vulnerable(
) -> None:
    """Issue 12 item 4: eligibility is computed as of each date. A minor (vulnerable as a minor,
    art. 17 c.1 d.lgs. 142/2015) is counted as an adult from June 2021 (18 on 20 May): on the
    last day of May the minor's category still holds, on 1 June it no longer does."""
    case = take_in()
    followed(case, date(2021, 6, 1))

    def reason_on(day: date) -> str:
        eligibility = {e.sub_action: e for e in case.eligibility_on(day)}
        return eligibility[SubAction.EMERGENCY_TAKE_IN].reason.value

    assert case.vulnerabilities_on(date(2021, 5, 31)) == {Vulnerability.MINOR}
    assert reason_on(date(2021, 5, 31)) == "vulnerable"
    assert case.vulnerabilities_on(date(2021, 6, 1)) == frozenset()
    assert reason_on(date(2021, 6, 1)) == "not_vulnerable_yet_outside_reception"

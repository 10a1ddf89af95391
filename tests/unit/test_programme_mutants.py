"""What every context shares, at its edges (issue 20): "today" in Italy, a city's slug at 2 and
40 characters and one past, the actor's record both ways, several problems raised at once, the
statuses and sub-actions of the card, priority points at their caps, and the terms' refusals with
their messages and parameters. A mutation run (docs/testing.md, "Other domain modules") showed
these were reached only through the contexts' tests, and their messages not at all.

DOMAIN.md: the period 2019-07-01 to 2021-12-31; "Cross-cutting sub-actions are 1 and 6";
"Sub-Action 2 is exclusively for applicants for international protection"; priority "in via
primaria, i titolari di protezione internazionale", then vulnerability, then waiting time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.programme import (
    CARD_PRIORITY_WEIGHTS,
    CARD_TERMS,
    FOUNDING_CITIES,
    FOUNDING_PROVINCE_CODES,
    PROGRAMME_END,
    PROGRAMME_START,
    STARTING_ANSWER_TIMES,
    Actor,
    ActorKind,
    AnswerTimes,
    CardTermsSource,
    City,
    DomainError,
    DomainErrors,
    Membership,
    NotAPartnerCity,
    OutsideProgrammePeriod,
    PriorityFactor,
    PriorityFacts,
    PriorityPoints,
    PriorityWeights,
    ProgrammePeriod,
    ProtectionStatus,
    Role,
    SubAction,
    TermsError,
    in_priority_order,
    is_city_slug,
    programme_today,
)


def test_the_card_s_period_and_today_in_italy() -> None:
    assert (PROGRAMME_START, PROGRAMME_END) == (date(2019, 7, 1), date(2021, 12, 31))
    assert programme_today(datetime(2021, 3, 9, 22, 59, tzinfo=UTC)) == date(2021, 3, 9)
    assert programme_today(datetime(2021, 3, 9, 23, 0, tzinfo=UTC)) == date(2021, 3, 10)
    # Summer time: Italy is two hours ahead.
    assert programme_today(datetime(2021, 7, 9, 22, 0, tzinfo=UTC)) == date(2021, 7, 10)


def test_a_city_slug_is_2_to_40_lowercase_letters_and_says_so_when_refused() -> None:
    assert City("ab") == "ab" and City("a" * 40) == "a" * 40
    for slug in ("a", "a" * 41, "Ab", "network", "ab-", 7):
        with pytest.raises(ValueError) as refused:
            City(slug)  # type: ignore[arg-type]
        assert str(refused.value) == (
            f"{slug!r} is not a city's slug: 2 to 40 lowercase letters, words joined by '-' "
            "(not network)."
        )
    roma = City("roma")
    assert City(roma) is roma
    assert repr(City("reggio-emilia")) == "City('reggio-emilia')"
    assert City("roma").value == "roma" and type(City("roma").value) is str
    assert City("reggio-nell-emilia").display_name == "Reggio Nell Emilia"
    assert (is_city_slug("bari"), is_city_slug("Bari"), is_city_slug("network")) == (
        True,
        False,
        False,
    )


def test_the_card_s_19_cities_are_named_constants_with_their_province_codes() -> None:
    assert len(FOUNDING_CITIES) == 19 and FOUNDING_CITIES[0] == "agrigento"
    assert FOUNDING_CITIES[-1] == "trieste"
    assert City.FIRENZE == "firenze" and City.ROMA is FOUNDING_CITIES[14]
    assert (
        FOUNDING_PROVINCE_CODES[City.ROMA],
        FOUNDING_PROVINCE_CODES[City.BOLZANO],
        FOUNDING_PROVINCE_CODES[City.TRIESTE],
    ) == ("RM", "BZ", "TS")


def test_an_actor_is_recorded_as_primitives_and_read_back() -> None:
    staff = Actor(ActorKind.USER, "fi.op", Role.CITY_OPERATOR, City.FIRENZE)
    system = Actor(ActorKind.SYSTEM, "age-job", Role.SYSTEM)
    assert staff.as_record() == {
        "kind": "user",
        "id": "fi.op",
        "role": "city_operator",
        "city": "firenze",
    }
    assert system.as_record() == {"kind": "system", "id": "age-job", "role": "system", "city": None}
    assert Actor.from_record(staff.as_record()) == staff
    assert Actor.from_record(system.as_record()) == system
    assert Actor.from_record({"kind": "user", "id": "m", "role": "ministry"}).city is None
    assert isinstance(Actor.from_record(staff.as_record()).city, City)


def test_several_problems_are_raised_at_once_and_a_lone_one_as_itself() -> None:
    first = OutsideProgrammePeriod("First.", field="a")
    second = NotAPartnerCity("Second.", field="b")
    DomainErrors.raise_all([])
    with pytest.raises(OutsideProgrammePeriod) as lone:
        DomainErrors.raise_all([first])
    assert lone.value is first
    with pytest.raises(DomainErrors) as several:
        DomainErrors.raise_all([first, second])
    assert (several.value.code, several.value.message, several.value.problems) == (
        "several_problems",
        "First.; Second.",
        (first, second),
    )
    assert (DomainError.code, TermsError.code) == ("domain_error", "terms_error")
    assert (DomainError("Text.", field="x").message, DomainError("Text.", field="x").params) == (
        "Text.",
        {"field": "x"},
    )


def test_each_status_is_of_its_kind_and_only_applicants_join_sub_action_2() -> None:
    """DOMAIN.md: Sub-Action 2 only for applicants (art. 8 of law 46/2017); refugee status and
    subsidiary protection are international protection (d.lgs. 251/2007)."""
    international = {ProtectionStatus.REFUGEE, ProtectionStatus.SUBSIDIARY_PROTECTION}
    applicants = {ProtectionStatus.ASYLUM_SEEKER, ProtectionStatus.APPELLANT}
    for status in ProtectionStatus:
        assert status.is_international_protection is (status in international)
        assert status.is_applicant is (status in applicants)
        assert status.has_permit is (status is not ProtectionStatus.NO_VALID_PERMIT)
        assert SubAction.CIVIC_ENGAGEMENT.is_open_to(status) is (status in applicants)
        for other in (SubAction.EMERGENCY_TAKE_IN, SubAction.FAST_TRACK_HOUSING):
            assert other.is_open_to(status)
    assert [
        ProtectionStatus(s).group.value
        for s in (
            "refugee",
            "appellant",
            "permit_art_42_bis",
            "no_valid_permit",
            "stateless",
            "other_residence_permit",
        )
    ] == [
        "international_protection",
        "applicant",
        "national_protection",
        "no_valid_permit",
        "other_status",
        "other_status",
    ]


def test_sub_actions_1_and_6_are_cross_cutting_and_2_3_4_enrol_final_recipients() -> None:
    assert [s.is_cross_cutting for s in SubAction] == [True, False, False, False, False, True]
    assert [s.enrols_final_recipients for s in SubAction] == [False, True, True, True, False, False]


def test_the_card_s_weights_give_each_factor_its_points_up_to_the_days_counted() -> None:
    assert CARD_PRIORITY_WEIGHTS == PriorityWeights(2000, 1000, 1, 999)
    weights = PriorityWeights(300, 200, 2, 10)
    assert weights.priority(
        international_protection=True, vulnerable=True, days_waiting=10
    ).factors == (
        PriorityPoints(PriorityFactor.INTERNATIONAL_PROTECTION, 300),
        PriorityPoints(PriorityFactor.VULNERABILITY, 200),
        PriorityPoints(PriorityFactor.WAITING_TIME, 20, 10),
    )
    capped = weights.priority(international_protection=False, vulnerable=False, days_waiting=11)
    assert capped.factors[2] == PriorityPoints(PriorityFactor.WAITING_TIME, 20, 11)
    assert capped.total == 20
    early = weights.priority(international_protection=False, vulnerable=True, days_waiting=-3)
    assert early.factors[2] == PriorityPoints(PriorityFactor.WAITING_TIME, 0, 0)
    assert early.total == 200


@dataclass(frozen=True)
class Waiting:
    code: str
    protected: bool
    since: datetime


def facts(entry: Waiting) -> PriorityFacts:
    return PriorityFacts(entry.protected, False, entry.since, entry.code)


def test_equal_priorities_go_to_the_longest_waiting_to_the_second_then_by_code() -> None:
    now = datetime(2021, 3, 10, 12, 0, tzinfo=UTC)
    noon = now - timedelta(days=1)
    entries = [
        Waiting("B", False, noon),
        Waiting("A", False, noon),
        Waiting("C", False, noon - timedelta(seconds=1)),
        Waiting("D", True, now),
    ]
    ordered = in_priority_order(entries, PriorityWeights(100, 50, 1, 999), now, facts)
    assert [(entry.code, priority.total) for entry, priority in ordered] == [
        ("D", 100),
        ("C", 1),
        ("A", 1),
        ("B", 1),
    ]
    # A day counts when it is full: 23 hours 59 minutes are no day yet.
    ((_, priority),) = in_priority_order(
        [Waiting("E", False, now - timedelta(hours=23, minutes=59))],
        PriorityWeights(100, 50, 1, 999),
        now,
        facts,
    )
    assert priority.total == 0


def test_the_terms_refuse_a_day_out_of_the_period_saying_the_period() -> None:
    assert CARD_TERMS.period == ProgrammePeriod(date(2019, 7, 1), date(2021, 12, 31))
    for day in (date(2019, 6, 30), date(2022, 1, 1)):
        with pytest.raises(OutsideProgrammePeriod) as refused:
            CARD_TERMS.require_in_period(day, field="day")
        assert (refused.value.code, refused.value.message, refused.value.params) == (
            "outside_programme_period",
            "The date must fall within the programme's period (2019-07-01 to 2021-12-31).",
            {"field": "day", "starts_on": date(2019, 7, 1), "ends_on": date(2021, 12, 31)},
        )
    for day in (date(2019, 7, 1), date(2021, 12, 31)):
        CARD_TERMS.require_in_period(day, field="day")
    assert "2021-01-01" not in CARD_TERMS.period


def test_the_terms_refuse_a_city_on_a_day_it_is_no_partner_saying_which_and_when() -> None:
    terms = replace(
        CARD_TERMS,
        memberships={
            **CARD_TERMS.memberships,
            City.BARI: (
                Membership(date(2019, 7, 1), date(2020, 1, 1)),
                Membership(date(2020, 6, 1)),
            ),
        },
        names={City("reggio-emilia"): "Reggio nell'Emilia"},
    )
    assert [
        terms.is_partner(City.BARI, day)
        for day in (date(2019, 12, 31), date(2020, 1, 1), date(2020, 5, 31), date(2020, 6, 1))
    ] == [True, False, False, True]
    with pytest.raises(NotAPartnerCity) as refused:
        terms.require_partner(City.BARI, date(2020, 1, 1), field="on")
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "not_a_partner_city",
        "Bari is not a partner of the programme on 2020-01-01.",
        {"field": "on", "city": "bari", "on": date(2020, 1, 1)},
    )
    terms.require_partner(City.BARI, date(2020, 6, 1), field="on")
    assert City.BARI not in terms.partners_on(date(2020, 3, 1))
    assert len(terms.partners_on(date(2020, 3, 1))) == 18
    assert terms.known_cities == FOUNDING_CITIES
    assert (terms.is_known("bari"), terms.is_known("verona")) == (True, False)
    assert terms.name_of(City("reggio-emilia")) == "Reggio nell'Emilia"
    assert terms.name_of(City.BARI) == "Bari"
    assert terms.province_code(City.BARI) == "BA"
    assert not terms.is_partner(City("verona"), date(2020, 6, 1))


def test_the_starting_answer_times_and_the_card_s_terms_are_what_a_service_reads_at_first() -> None:
    assert STARTING_ANSWER_TIMES == AnswerTimes(
        timedelta(hours=24), timedelta(hours=72), timedelta(days=15)
    )
    assert CardTermsSource().terms_in_force() is CARD_TERMS
    assert CARD_TERMS.partners_on(date(2019, 7, 1)) == FOUNDING_CITIES
    assert CARD_TERMS.names == {} and len(CARD_TERMS.province_codes) == 19

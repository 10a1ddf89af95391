"""The programme's terms (period, partner cities) as the ministry amends them, and the period and
partner checks every context makes against the terms in force (issue 12, item 10).

The card: "Inizio progetto: 01/07/2019", "Fine progetto: 31/12/2021", and its 19 Comuni. Each
limit is tried on its day and one day past it, before and after an amendment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import uuid4

import pytest

from domain.activities.model import Activity, ActivityKind, ActivityPlan
from domain.amendments.model import (
    TERMS_ID,
    InvalidAct,
    InvalidCityName,
    InvalidMembershipChange,
    InvalidProvinceCode,
    NotAnExtension,
    ProgrammeTerms,
)
from domain.cases.model import Case
from domain.finance.model import CityBudget, ClaimDraft, ExpenseCategory, OutsideEligibility
from domain.housing.model import HousingPath, MoveOutOutcome, Shelter, ShelterKind
from domain.programme import (
    CARD_TERMS,
    FOUNDING_CITIES,
    PROGRAMME_TIMEZONE,
    Actor,
    ActorKind,
    City,
    DomainError,
    Membership,
    NotAPartnerCity,
    OutsideProgrammePeriod,
    ProgrammePeriod,
    Role,
    SubAction,
    TermsInForce,
)
from domain.referrals.model import Referral
from domain.referrals.rules import CityService, Destination
from tests.builders import a_coordinator, an_intake

MINISTRY = Actor(ActorKind.USER, "ministero", Role.MINISTRY)
DECIDED_AT = datetime(2021, 11, 15, 10, 0, tzinfo=UTC)
LAST_DAY = date(2021, 12, 31)
DAY_AFTER = date(2022, 1, 1)
EXTENDED = replace(CARD_TERMS, period=ProgrammePeriod(date(2019, 7, 1), date(2022, 6, 30)))


def at_rome(day: date, hour: int = 10) -> datetime:
    """A moment of `day` in Italy, where "today" is judged."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=PROGRAMME_TIMEZONE)


def withdrawn(city: City, leaves_on: date) -> TermsInForce:
    return replace(CARD_TERMS, memberships={
        **CARD_TERMS.memberships, city: (Membership(date(2019, 7, 1), leaves_on),)})


def established() -> ProgrammeTerms:
    terms = ProgrammeTerms.establish(MINISTRY.as_record(), DECIDED_AT)
    terms.collect_events()
    return terms


def refuses(error: type[DomainError], terms: ProgrammeTerms, command: Callable[[], object],
            field: str | None) -> DomainError:
    """The decision raises `error`, blaming `field`, and leaves the terms as they were."""
    version = terms.version
    with pytest.raises(error) as raised:
        command()
    assert raised.value.params["field"] == field
    assert terms.version == version and terms.collect_events() == []
    return raised.value


# --- the terms before any amendment ------------------------------------------------------------


def test_before_any_amendment_the_terms_are_the_card_s_period_and_its_19_cities() -> None:
    """Card: "Inizio progetto: 01/07/2019", "Fine progetto: 31/12/2021", the 19 Comuni."""
    assert CARD_TERMS.period == ProgrammePeriod(date(2019, 7, 1), date(2021, 12, 31))
    assert CARD_TERMS.partners_on(date(2019, 7, 1)) == FOUNDING_CITIES
    assert len(CARD_TERMS.partners_on(LAST_DAY)) == 19
    assert date(2019, 6, 30) not in CARD_TERMS.period
    assert LAST_DAY in CARD_TERMS.period and DAY_AFTER not in CARD_TERMS.period


def test_establishing_the_terms_records_the_card_s_terms_field_by_field() -> None:
    terms = ProgrammeTerms.establish(MINISTRY.as_record(), DECIDED_AT)

    (event,) = terms.collect_events()
    assert isinstance(event, ProgrammeTerms.Established)
    assert terms.id == TERMS_ID and event.timestamp == DECIDED_AT
    assert (event.starts_on, event.ends_on) == (date(2019, 7, 1), date(2021, 12, 31))
    assert event.cities == [city.value for city in FOUNDING_CITIES]
    assert (event.immediate_answer_hours, event.urgent_answer_hours,
            event.ordinary_answer_hours) == (24, 72, 360)
    assert (event.international_protection_points, event.vulnerability_points,
            event.points_per_day_waiting, event.waiting_days_counted) == (2000, 1000, 1, 999)
    assert event.actor == MINISTRY.as_record()
    assert event.city == "network"
    assert terms.in_force == CARD_TERMS


# --- amendments: the period ----------------------------------------------------------------------


def test_the_ministry_extends_the_end_of_the_period_recording_its_act() -> None:
    """Issue 12: "amendments (extension of the end date ...) are events of the ministry"."""
    terms = established()
    terms.extend_period(date(2022, 6, 30), date(2021, 11, 12), "  DM 123/2021 ",
                        MINISTRY.as_record(), DECIDED_AT)

    (event,) = terms.collect_events()
    assert isinstance(event, ProgrammeTerms.PeriodExtended)
    assert (event.ends_on, event.previous_ends_on) == (date(2022, 6, 30), LAST_DAY)
    assert (event.decided_on, event.act_reference) == (date(2021, 11, 12), "DM 123/2021")
    assert event.actor == MINISTRY.as_record() and event.timestamp == DECIDED_AT
    assert terms.in_force.period == ProgrammePeriod(date(2019, 7, 1), date(2022, 6, 30))
    assert DAY_AFTER in terms.in_force.period


def test_an_extension_moves_the_end_later_never_to_the_same_day_or_earlier() -> None:
    terms = established()
    for end in (LAST_DAY, date(2021, 6, 30)):
        error = refuses(NotAnExtension, terms, partial(
            terms.extend_period, end, date(2021, 11, 12), "DM 1", MINISTRY.as_record(),
            DECIDED_AT), "ends_on")
        assert error.params["ends_on"] == LAST_DAY
    terms.extend_period(DAY_AFTER, date(2021, 11, 12), "DM 1", MINISTRY.as_record(), DECIDED_AT)
    assert terms.in_force.period.ends_on == DAY_AFTER


@pytest.mark.parametrize(("reference", "decided_on", "field"), [
    ("", date(2021, 11, 12), "act_reference"),
    ("   ", date(2021, 11, 12), "act_reference"),
    ("x" * 61, date(2021, 11, 12), "act_reference"),
    ("DM 1", date(2021, 11, 16), "decided_on"),  # the day after DECIDED_AT: the future
    ("DM 1", date(2019, 6, 30), "decided_on"),  # before the programme
])
def test_a_decision_names_its_act_and_is_dated_from_the_programme_s_start_to_today(
    reference: str, decided_on: date, field: str,
) -> None:
    terms = established()
    refuses(InvalidAct, terms, lambda: terms.extend_period(
        date(2022, 6, 30), decided_on, reference, MINISTRY.as_record(), DECIDED_AT), field)


def test_a_decision_at_the_limits_of_its_reference_and_date_is_recorded() -> None:
    terms = established()
    terms.extend_period(date(2022, 6, 30), date(2021, 11, 15), "x" * 60, MINISTRY.as_record(),
                        DECIDED_AT)
    terms.extend_period(date(2022, 12, 31), date(2019, 7, 1), "DM 2", MINISTRY.as_record(),
                        DECIDED_AT)
    events = terms.collect_events()
    extensions = [e for e in events if isinstance(e, ProgrammeTerms.PeriodExtended)]
    assert len(extensions) == len(events) == 2
    assert [e.act_reference for e in extensions] == ["x" * 60, "DM 2"]


# --- amendments: the partner cities --------------------------------------------------------------


def test_a_city_withdraws_from_a_day_and_takes_on_no_new_work_from_it() -> None:
    """Issue 12: "a withdrawn city refuses new intakes from the withdrawal date"."""
    terms = established()
    terms.withdraw_city(City.TRIESTE, date(2021, 12, 1), date(2021, 11, 12), "DM 7/2021",
                        MINISTRY.as_record(), DECIDED_AT)

    (event,) = terms.collect_events()
    assert isinstance(event, ProgrammeTerms.CityWithdrawn)
    assert (event.withdrawing_city, event.leaves_on) == ("trieste", date(2021, 12, 1))
    assert (event.decided_on, event.act_reference) == (date(2021, 11, 12), "DM 7/2021")
    in_force = terms.in_force
    assert in_force.is_partner(City.TRIESTE, date(2021, 11, 30))
    assert not in_force.is_partner(City.TRIESTE, date(2021, 12, 1))
    assert City.TRIESTE not in in_force.partners_on(date(2021, 12, 1))
    assert len(in_force.partners_on(date(2021, 12, 1))) == 18


def test_a_withdrawal_is_never_dated_before_its_decision_nor_outside_the_period() -> None:
    """What a city recorded as a partner before the decision stays as it was."""
    terms = established()
    for leaves_on in (date(2021, 11, 11), DAY_AFTER):
        refuses(InvalidMembershipChange, terms, partial(
            terms.withdraw_city, City.TRIESTE, leaves_on, date(2021, 11, 12), "DM 7",
            MINISTRY.as_record(), DECIDED_AT), "leaves_on")
    terms.withdraw_city(City.TRIESTE, date(2021, 11, 12), date(2021, 11, 12), "DM 7",
                        MINISTRY.as_record(), DECIDED_AT)
    assert len(terms.collect_events()) == 1
    refuses(InvalidMembershipChange, terms, lambda: terms.withdraw_city(
        City.TRIESTE, date(2021, 12, 1), date(2021, 11, 12), "DM 8", MINISTRY.as_record(),
        DECIDED_AT), "city")


def test_a_withdrawn_city_rejoins_from_its_withdrawal_on_and_a_partner_cannot_join_again() -> None:
    terms = established()
    refuses(InvalidMembershipChange, terms, lambda: terms.admit_city(
        City.BARI, date(2021, 12, 1), date(2021, 11, 12), "DM 9", MINISTRY.as_record(),
        DECIDED_AT), "city")
    terms.withdraw_city(City.BARI, date(2021, 11, 20), date(2021, 11, 12), "DM 9",
                        MINISTRY.as_record(), DECIDED_AT)
    terms.collect_events()
    refuses(InvalidMembershipChange, terms, lambda: terms.admit_city(
        City.BARI, date(2021, 11, 19), date(2021, 11, 12), "DM 10", MINISTRY.as_record(),
        DECIDED_AT), "joins_on")
    terms.admit_city(City.BARI, date(2021, 12, 1), date(2021, 11, 12), "DM 10",
                     MINISTRY.as_record(), DECIDED_AT)

    (event,) = terms.collect_events()
    assert isinstance(event, ProgrammeTerms.CityJoined)
    assert (event.joining_city, event.joins_on, event.act_reference) == (
        "bari", date(2021, 12, 1), "DM 10")
    in_force = terms.in_force
    assert [in_force.is_partner(City.BARI, day) for day in (
        date(2021, 11, 19), date(2021, 11, 20), date(2021, 11, 30), date(2021, 12, 1))] == [
        True, False, False, True]


# --- a city that was never a partner: the cities are data (item 10) ---------------------------

VERONA = City("verona")


def admit_verona(terms: ProgrammeTerms, **overrides: Any) -> None:
    arguments: dict[str, Any] = {"name": "Verona", "province_code": "VR"} | overrides
    terms.admit_city(VERONA, date(2021, 12, 1), date(2021, 11, 12), "DM 12/2021",
                     MINISTRY.as_record(), DECIDED_AT, **arguments)


def test_a_city_that_was_never_a_partner_joins_by_a_decision_with_its_name_and_code() -> None:
    """Issue 12 item 10: "a city added or withdrawn are events of the ministry, so the period
    and the list of partners are data, not constants" — no code change admits Verona."""
    terms = established()
    assert VERONA not in terms.in_force.known_cities

    admit_verona(terms)

    (event,) = terms.collect_events()
    assert isinstance(event, ProgrammeTerms.CityJoined)
    assert (event.joining_city, event.joins_on, event.name, event.province_code) == (
        "verona", date(2021, 12, 1), "Verona", "VR")
    assert (event.decided_on, event.act_reference, event.actor) == (
        date(2021, 11, 12), "DM 12/2021", MINISTRY.as_record())
    in_force = terms.in_force
    assert in_force.known_cities == tuple(sorted((*FOUNDING_CITIES, VERONA)))
    assert [in_force.is_partner(VERONA, day) for day in (date(2021, 11, 30), date(2021, 12, 1))
            ] == [False, True]
    assert VERONA in in_force.partners_on(date(2021, 12, 1))
    assert (in_force.province_code(VERONA), in_force.name_of(VERONA)) == ("VR", "Verona")
    assert in_force.name_of(City.ROMA) == "Roma"  # the card's cities keep their names


def test_the_new_citys_name_is_2_to_60_characters() -> None:
    terms = established()
    for name in (None, " ", "V", "x" * 61):
        refuses(InvalidCityName, terms, partial(admit_verona, terms, name=name), "name")
    admit_verona(terms, name="  Verona  " + "x" * 53)  # spaces folded: 60 characters
    (event,) = terms.collect_events()
    assert isinstance(event, ProgrammeTerms.CityJoined)
    assert event.name == "Verona " + "x" * 53 and len(event.name) == 60


def test_the_new_citys_province_code_is_two_capitals_and_no_other_partners() -> None:
    """Case codes are `<province code>-<year>-<number>`: a code in use would make two cities'
    case codes collide."""
    terms = established()
    for code in (None, "", "V", "vr", "VRX", "V1"):
        refuses(InvalidProvinceCode, terms, partial(admit_verona, terms, province_code=code),
                "province_code")
    taken = refuses(InvalidProvinceCode, terms, partial(admit_verona, terms, province_code="RM"),
                    "province_code")
    assert taken.params["city"] == "roma"


def test_a_city_known_already_keeps_its_name_and_code_when_it_rejoins() -> None:
    terms = established()
    terms.withdraw_city(City.BARI, date(2021, 11, 20), date(2021, 11, 12), "DM 9",
                        MINISTRY.as_record(), DECIDED_AT)
    terms.collect_events()
    for overrides, field in (({"name": "Bari"}, "name"), ({"province_code": "BX"},
                                                          "province_code")):
        refuses(InvalidMembershipChange, terms, partial(
            terms.admit_city, City.BARI, date(2021, 12, 1), date(2021, 11, 12), "DM 10",
            MINISTRY.as_record(), DECIDED_AT, **overrides), field)


def test_a_version_1_city_joined_event_reads_with_neither_name_nor_code() -> None:
    state = {"joining_city": "bari", "joins_on": date(2021, 12, 1)}
    ProgrammeTerms.CityJoined.upcast_v1_v2(state)
    assert state == {"joining_city": "bari", "joins_on": date(2021, 12, 1), "name": None,
                     "province_code": None}


def test_a_city_slug_is_lowercase_words_joined_by_hyphens_and_never_network() -> None:
    assert City("reggio-emilia").display_name == "Reggio Emilia"
    assert City("xx") == "xx" and City("a" * 40) == "a" * 40
    for slug in ("x", "a" * 41, "Roma", "reggio_emilia", "-roma", "roma-", "roma--nord",
                 "network", "r0ma", ""):
        with pytest.raises(ValueError, match="not a city's slug"):
            City(slug)


def test_a_case_in_a_city_that_was_never_a_partner_is_refused() -> None:
    with pytest.raises(NotAPartnerCity):
        Case.take_in(uuid4(), "VR-2021-00001", an_intake_on(date(2021, 6, 1), VERONA),
                     a_coordinator(VERONA), at_rome(date(2022, 3, 1)), CARD_TERMS)


# --- the period, checked by every context ------------------------------------------------------


def an_intake_on(day: date, city: City = City.FIRENZE) -> Any:
    return an_intake(city, intake_date=day)  # the notice given that day (tests.builders)


def take_in(day: date, terms: TermsInForce, city: City = City.FIRENZE,
            now: datetime | None = None) -> Case:
    code = f"{CARD_TERMS.province_code(city)}-2021-00001"
    return Case.take_in(uuid4(), code, an_intake_on(day, city),
                        a_coordinator(city), now or at_rome(date(2022, 3, 1)), terms)


def test_an_intake_is_taken_in_on_the_period_s_last_day_and_refused_the_day_after() -> None:
    """Issue 12: "intakes ... are refused outside the programme's period (2019-07-01..
    2021-12-31) unless an amendment extends it"."""
    assert take_in(LAST_DAY, CARD_TERMS).intake_date == LAST_DAY
    with pytest.raises(OutsideProgrammePeriod) as refused:
        take_in(DAY_AFTER, CARD_TERMS)
    assert refused.value.params == {"field": "intake_date", "starts_on": date(2019, 7, 1),
                                    "ends_on": LAST_DAY}
    assert refused.value.code == "outside_programme_period"
    assert take_in(DAY_AFTER, EXTENDED).intake_date == DAY_AFTER
    with pytest.raises(OutsideProgrammePeriod):
        take_in(date(2022, 7, 1), EXTENDED, now=at_rome(date(2022, 8, 1)))


def test_an_intake_of_a_withdrawn_city_is_refused_from_the_withdrawal_date() -> None:
    terms = withdrawn(City.TRIESTE, date(2021, 6, 1))
    assert take_in(date(2021, 5, 31), terms, City.TRIESTE).city == City.TRIESTE
    with pytest.raises(NotAPartnerCity) as refused:
        take_in(date(2021, 6, 1), terms, City.TRIESTE)
    assert refused.value.params["field"] == "city"
    assert refused.value.code == "not_a_partner_city"
    assert take_in(date(2021, 6, 1), terms, City.FIRENZE).city == City.FIRENZE


def a_case() -> Case:
    return take_in(date(2021, 3, 10), CARD_TERMS, City.MILANO, now=at_rome(date(2021, 3, 10)))


def refer(now: datetime, terms: TermsInForce, destination: Destination | None = None,
          case: Case | None = None) -> Referral:
    return Referral.request(uuid4(), case or a_case(), destination or Destination.city_service(
        CityService.HEALTH), None, None, a_coordinator(City.MILANO), now, terms=terms)


def test_a_referral_is_requested_until_the_period_s_last_day_in_italy_and_not_after() -> None:
    """Issue 12: "referrals ... are refused outside the programme's period"."""
    late_evening = datetime(2021, 12, 31, 22, 30, tzinfo=UTC)  # 23:30 in Rome: still the 31st
    assert refer(late_evening, CARD_TERMS).requested_at == late_evening
    with pytest.raises(OutsideProgrammePeriod) as refused:
        refer(datetime(2021, 12, 31, 23, 30, tzinfo=UTC), CARD_TERMS)  # 00:30 on 1 January
    assert refused.value.params["field"] is None
    assert refer(at_rome(DAY_AFTER), EXTENDED).requested_at == at_rome(DAY_AFTER)


def test_a_case_is_not_transferred_to_a_city_that_has_withdrawn() -> None:
    terms = withdrawn(City.FIRENZE, date(2021, 6, 1))
    transfer = Destination.transfer(City.FIRENZE)
    requested = refer(at_rome(date(2021, 5, 31)), terms, transfer)
    with pytest.raises(NotAPartnerCity) as refused:
        refer(at_rome(date(2021, 6, 1)), terms, transfer)
    assert refused.value.params["field"] == "to_city"
    # Asked for before the withdrawal, accepted after it: refused too, nothing recorded.
    requested.collect_events()
    with pytest.raises(NotAPartnerCity):
        requested.accept(a_coordinator(City.FIRENZE), at_rome(date(2021, 6, 1)), terms)
    assert requested.collect_events() == []
    requested.accept(a_coordinator(City.FIRENZE), at_rome(date(2021, 5, 31)), terms)


def test_a_withdrawn_city_still_refers_its_cases_to_services_and_other_cities() -> None:
    """Its people are handed over, not dropped: only new intakes and placements stop."""
    terms = withdrawn(City.MILANO, date(2021, 6, 1))
    after = at_rome(date(2021, 6, 2))
    assert refer(after, terms).city == City.MILANO
    assert refer(after, terms, Destination.transfer(City.ROMA)).is_transfer


def a_waiting_path(now: datetime, terms: TermsInForce, city: City = City.FIRENZE) -> HousingPath:
    path = HousingPath.start(uuid4(), f"{CARD_TERMS.province_code(city)}-2021-00001", city, now)
    path.waitlist(city, False, "international_protection", date(2021, 3, 10),
                  a_coordinator(city), now, terms)
    return path


def a_shelter(city: City = City.FIRENZE) -> Shelter:
    return Shelter.register(uuid4(), city, "Casa Aurora", ShelterKind.APARTMENT, "Rifredi", 2,
                            a_coordinator(city), at_rome(date(2021, 3, 1)))


def test_placements_are_made_until_the_period_s_last_day_and_refused_after() -> None:
    """Issue 12: "placements ... are refused outside the programme's period"."""
    last, after = at_rome(LAST_DAY), at_rome(DAY_AFTER)
    a_waiting_path(last, CARD_TERMS)
    with pytest.raises(OutsideProgrammePeriod):
        a_waiting_path(after, CARD_TERMS)
    a_waiting_path(after, EXTENDED)

    path, shelter = a_waiting_path(last, CARD_TERMS), a_shelter()
    path.collect_events()
    with pytest.raises(OutsideProgrammePeriod):
        path.offer(shelter, 1, a_coordinator(), after, CARD_TERMS)
    assert path.collect_events() == []
    path.offer(shelter, 1, a_coordinator(), last, CARD_TERMS)
    with pytest.raises(OutsideProgrammePeriod) as refused:
        path.move_in(DAY_AFTER, a_coordinator(), after, CARD_TERMS)
    assert refused.value.params["field"] == "moved_in_on"
    path.move_in(LAST_DAY, a_coordinator(), after, CARD_TERMS)
    # Ending what was begun stays possible after the end: the person moves out.
    path.move_out(MoveOutOutcome.AUTONOMOUS_HOUSING, DAY_AFTER, None, a_coordinator(), after)


def test_no_placement_in_a_city_that_has_withdrawn() -> None:
    terms = withdrawn(City.FIRENZE, date(2021, 6, 1))
    with pytest.raises(NotAPartnerCity):
        a_waiting_path(at_rome(date(2021, 6, 1)), terms)
    path = a_waiting_path(at_rome(date(2021, 5, 31)), terms)
    with pytest.raises(NotAPartnerCity) as refused:
        path.require_offerable(City.FIRENZE, at_rome(date(2021, 6, 1)), terms)
    assert refused.value.params["field"] == "shelter_id"


def plan(terms: TermsInForce, starts_on: date, ends_on: date,
         city: City = City.FIRENZE) -> Activity:
    return Activity.plan(uuid4(), ActivityPlan(
        city=city, sub_action=SubAction.EMERGENCY_TAKE_IN,
        kind=ActivityKind.NEIGHBOURHOOD_MEDIATION, title="Mediazione", neighbourhood="Novoli",
        starts_on=starts_on, ends_on=ends_on, organiser="Ufficio Immigrazione",
    ), a_coordinator(city), at_rome(date(2021, 3, 1)), terms)


@pytest.mark.parametrize(("starts_on", "ends_on", "field"), [
    (date(2019, 6, 30), date(2019, 7, 31), "starts_on"),
    (date(2021, 12, 1), DAY_AFTER, "ends_on"),
])
def test_an_activity_lies_within_the_period(starts_on: date, ends_on: date, field: str) -> None:
    """Issue 12: "activities ... are refused outside the programme's period"."""
    with pytest.raises(OutsideProgrammePeriod) as refused:
        plan(CARD_TERMS, starts_on, ends_on)
    assert refused.value.params["field"] == field


def test_an_activity_on_the_period_s_first_and_last_days_and_after_an_extension() -> None:
    assert plan(CARD_TERMS, date(2019, 7, 1), LAST_DAY).ends_on == LAST_DAY
    assert plan(EXTENDED, date(2021, 12, 1), date(2022, 6, 30)).ends_on == date(2022, 6, 30)


def test_an_activity_of_a_withdrawn_city_ends_before_its_withdrawal() -> None:
    terms = withdrawn(City.FIRENZE, date(2021, 6, 1))
    plan(terms, date(2021, 5, 1), date(2021, 5, 31))
    for starts_on, ends_on, field in ((date(2021, 5, 1), date(2021, 6, 1), "ends_on"),
                                      (date(2021, 6, 1), date(2021, 6, 30), "starts_on")):
        with pytest.raises(NotAPartnerCity) as refused:
            plan(terms, starts_on, ends_on)
        assert refused.value.params["field"] == field


def a_budget() -> CityBudget:
    budget = CityBudget.open(City.FIRENZE, MINISTRY, at_rome(date(2021, 3, 1)))
    budget.set_allocation(SubAction.FAST_TRACK_HOUSING, Decimal("5000.00"), "Decreto", MINISTRY,
                          at_rome(date(2021, 3, 1)))
    budget.collect_events()
    return budget


def claim(budget: CityBudget, spent_on: date, terms: TermsInForce) -> None:
    budget.record_claim(uuid4(), ClaimDraft(
        City.FIRENZE, SubAction.FAST_TRACK_HOUSING, ExpenseCategory.HOUSING_COSTS,
        Decimal("10.00"), spent_on, "PG/2022/1"), a_coordinator(), at_rome(date(2022, 8, 1)),
        terms)


def test_a_cost_is_eligible_within_the_period_as_extended_and_while_the_city_is_a_partner(
) -> None:
    """Issue 12: "claims are refused outside the programme's period ... unless an amendment
    extends it"; a cost incurred by a withdrawn city after its withdrawal is not the
    programme's."""
    budget = a_budget()
    with pytest.raises(OutsideEligibility) as refused:
        claim(budget, DAY_AFTER, CARD_TERMS)
    assert refused.value.params["ends_on"] == LAST_DAY
    claim(budget, DAY_AFTER, EXTENDED)
    with pytest.raises(OutsideEligibility):
        claim(budget, date(2022, 7, 1), EXTENDED)
    terms = withdrawn(City.FIRENZE, date(2021, 6, 1))
    claim(budget, date(2021, 5, 31), terms)
    with pytest.raises(NotAPartnerCity) as not_partner:
        claim(budget, date(2021, 6, 1), terms)
    assert not_partner.value.params["field"] == "spent_on"


def test_a_version_1_city_joined_contract_reads_as_version_2_with_neither_name_nor_code() -> None:
    from events.programme import ProgrammeCityJoinedV1, ProgrammeCityJoinedV2
    from events.upcasting import latest

    v1 = ProgrammeCityJoinedV1(terms_id=TERMS_ID, decided_on=date(2021, 11, 12),
                               act_reference="DM 10", joining_city="bari",
                               joins_on=date(2021, 12, 1))
    assert latest(v1) == ProgrammeCityJoinedV2(
        terms_id=TERMS_ID, decided_on=date(2021, 11, 12), act_reference="DM 10",
        joining_city="bari", joins_on=date(2021, 12, 1), name=None, province_code=None)

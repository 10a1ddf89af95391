"""The ministry's decisions on the programme's terms at their edges (issue 20): every refusal's
class, `code`, message and parameters where the rule is broken, each limit at the limit and one
past it, every event field by field, and the history a page lists. A mutation run
(docs/testing.md, "Other domain modules") showed the messages, the history and several limits
were never checked.

DOMAIN.md, "The programme": the period 2019-07-01 to 2021-12-31 and the 19 partner
municipalities; the card's priority: "in via primaria, i titolari di protezione internazionale"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid5

import pytest

from domain.amendments.model import (
    MAX_ACT_REFERENCE,
    MAX_ANSWER_HOURS,
    MAX_CITY_NAME,
    MAX_WAITING_DAYS_COUNTED,
    MAX_WEIGHT,
    NETWORK_SCOPE,
    TERMS_ID,
    TERMS_SUBJECT,
    Amendment,
    AmendmentError,
    AmendmentKind,
    ProgrammeTerms,
)
from domain.programme import (
    CARD_TERMS,
    FOUNDING_CITIES,
    AnswerTimes,
    City,
    Membership,
    PriorityWeights,
    ProgrammePeriod,
)
from tests.builders import recorded, refusal
from tests.unit.test_programme_terms import DECIDED_AT, MINISTRY, VERONA, established

WHO = MINISTRY.as_record()
DECIDED = date(2021, 11, 12)
ACT = "DM 12/2021"
DAY_OF_DECISION = (
    "invalid_membership_change",
    "The change takes effect on a day within the programme's period, not before the decision.",
)


def hours(immediate: float, urgent: float, ordinary: float) -> AnswerTimes:
    return AnswerTimes(
        timedelta(hours=immediate), timedelta(hours=urgent), timedelta(hours=ordinary)
    )


def test_the_limits_and_names_are_those_of_the_rules() -> None:
    assert (
        MAX_ACT_REFERENCE,
        MAX_CITY_NAME,
        MAX_ANSWER_HOURS,
        MAX_WEIGHT,
        MAX_WAITING_DAYS_COUNTED,
    ) == (60, 60, 2160, 1_000_000, 3650)
    assert (NETWORK_SCOPE, TERMS_SUBJECT) == ("network", "programme-terms")
    assert TERMS_ID == uuid5(UUID("3c0e5a8e-2b7d-4f19-8d64-9a1f0c7e2b35"), "programme-terms")
    assert AmendmentError.code == "amendment_error"


def test_establishing_records_the_card_s_terms_and_starts_the_history() -> None:
    terms = ProgrammeTerms.establish(WHO, DECIDED_AT)

    assert recorded(terms) == [
        (
            "Established",
            {
                "timestamp": DECIDED_AT,
                "starts_on": date(2019, 7, 1),
                "ends_on": date(2021, 12, 31),
                "cities": [city.value for city in FOUNDING_CITIES],
                "immediate_answer_hours": 24,
                "urgent_answer_hours": 72,
                "ordinary_answer_hours": 360,
                "international_protection_points": 2000,
                "vulnerability_points": 1000,
                "points_per_day_waiting": 1,
                "waiting_days_counted": 999,
                "actor": WHO,
            },
        )
    ]
    assert terms.history == [Amendment(AmendmentKind.ESTABLISHED, DECIDED_AT, None, None, {}, WHO)]
    assert terms.names == {}
    assert terms.province_codes[City.FIRENZE] == "FI" and len(terms.province_codes) == 19
    assert terms.memberships[City.ROMA] == (Membership(date(2019, 7, 1)),)
    assert terms.in_force == CARD_TERMS


def test_every_event_of_the_terms_is_about_the_network() -> None:
    for event in (
        ProgrammeTerms.Established,
        ProgrammeTerms.PeriodExtended,
        ProgrammeTerms.CityJoined,
        ProgrammeTerms.CityWithdrawn,
        ProgrammeTerms.AnswerTimesSet,
        ProgrammeTerms.PriorityWeightsSet,
    ):
        assert (event.city, event.subject) == ("network", "programme-terms")


def test_an_extension_is_recorded_and_listed_with_its_act_and_values() -> None:
    terms = established()
    at = datetime(2021, 11, 15, 10, 0, tzinfo=UTC)

    terms.extend_period(date(2022, 1, 1), DECIDED, " DM 1 ", WHO, at)

    assert recorded(terms) == [
        (
            "PeriodExtended",
            {
                "timestamp": at,
                "decided_on": DECIDED,
                "act_reference": "DM 1",
                "ends_on": date(2022, 1, 1),
                "previous_ends_on": date(2021, 12, 31),
                "actor": WHO,
            },
        )
    ]
    assert terms.history[-1] == Amendment(
        AmendmentKind.PERIOD_EXTENDED,
        at,
        DECIDED,
        "DM 1",
        {"ends_on": date(2022, 1, 1), "previous_ends_on": date(2021, 12, 31)},
        WHO,
    )
    assert terms.period == ProgrammePeriod(date(2019, 7, 1), date(2022, 1, 1))
    assert refusal(lambda: terms.extend_period(date(2022, 1, 1), DECIDED, ACT, WHO, at)) == (
        "not_an_extension",
        "The new end must come after the end in force (2022-01-01).",
        {"field": "ends_on", "ends_on": date(2022, 1, 1)},
    )


def test_an_act_is_named_in_up_to_60_characters() -> None:
    terms = established()
    message = (
        "invalid_act",
        "Give the reference (protocol number) of the ministry's act, in up to 60 characters.",
        {"field": "act_reference", "max_length": 60},
    )
    for reference in ("", "  ", "x" * 61, None):
        assert (
            refusal(
                lambda reference=reference: terms.extend_period(  # type: ignore[misc]
                    date(2022, 6, 30), DECIDED, reference, WHO, DECIDED_AT
                )
            )
            == message
        )
    terms.extend_period(date(2022, 6, 30), DECIDED, " " + "x" * 60 + " ", WHO, DECIDED_AT)
    assert terms.history[-1].act_reference == "x" * 60


def test_a_decision_is_dated_from_the_programme_s_start_to_today_in_italy() -> None:
    terms = established()
    late = datetime(2021, 11, 15, 23, 30, tzinfo=UTC)  # already the 16th in Italy
    for decided_on, at in ((date(2019, 6, 30), late), (date(2021, 11, 16), DECIDED_AT)):
        assert refusal(
            lambda decided_on=decided_on, at=at: terms.extend_period(  # type: ignore[misc]
                date(2022, 6, 30), decided_on, ACT, WHO, at
            )
        ) == (
            "invalid_act",
            "The decision is dated between the programme's start and today.",
            {"field": "decided_on"},
        )
    terms.extend_period(date(2022, 6, 30), date(2021, 11, 16), ACT, WHO, late)
    terms.extend_period(date(2022, 7, 1), date(2019, 7, 1), ACT, WHO, late)
    assert [a.decided_on for a in terms.history[1:]] == [date(2021, 11, 16), date(2019, 7, 1)]


def test_a_new_city_joins_recorded_and_listed_with_its_name_and_code() -> None:
    terms = established()

    terms.admit_city(
        VERONA,
        date(2021, 11, 12),
        DECIDED,
        ACT,
        WHO,
        DECIDED_AT,
        name="  San   Giovanni ",
        province_code="VR",
    )

    assert recorded(terms) == [
        (
            "CityJoined",
            {
                "timestamp": DECIDED_AT,
                "decided_on": DECIDED,
                "act_reference": ACT,
                "joining_city": "verona",
                "joins_on": date(2021, 11, 12),
                "name": "San Giovanni",
                "province_code": "VR",
                "actor": WHO,
            },
        )
    ]
    assert terms.history[-1] == Amendment(
        AmendmentKind.CITY_JOINED,
        DECIDED_AT,
        DECIDED,
        ACT,
        {
            "joining_city": "verona",
            "joins_on": date(2021, 11, 12),
            "name": "San Giovanni",
            "province_code": "VR",
        },
        WHO,
    )
    assert terms.memberships[VERONA] == (Membership(date(2021, 11, 12)),)
    assert (terms.names[VERONA], terms.province_codes[VERONA]) == ("San Giovanni", "VR")


def test_a_new_city_s_name_is_2_to_60_characters_said_with_the_limit() -> None:
    message = (
        "invalid_city_name",
        "A new partner city needs its name, 2 to 60 characters.",
        {"field": "name", "max_length": 60},
    )
    for name in (None, "V", "x" * 61):
        terms = established()
        assert (
            refusal(
                lambda terms=terms, name=name: terms.admit_city(  # type: ignore[misc]
                    VERONA,
                    date(2021, 12, 1),
                    DECIDED,
                    ACT,
                    WHO,
                    DECIDED_AT,
                    name=name,
                    province_code="VR",
                )
            )
            == message
        )
    for name in ("Vr", "x" * 60):
        terms = established()
        terms.admit_city(
            VERONA, date(2021, 12, 1), DECIDED, ACT, WHO, DECIDED_AT, name=name, province_code="VR"
        )
        assert terms.names[VERONA] == name


def test_a_new_city_s_province_code_is_two_capitals_of_no_other_partner() -> None:
    terms = established()
    for code in (None, "V", "VRX", "v1"):
        assert refusal(
            lambda code=code: terms.admit_city(  # type: ignore[misc]
                VERONA,
                date(2021, 12, 1),
                DECIDED,
                ACT,
                WHO,
                DECIDED_AT,
                name="Verona",
                province_code=code,
            )
        ) == (
            "invalid_province_code",
            "A new partner city needs its province code: two capital letters (e.g. VR).",
            {"field": "province_code"},
        )
    assert refusal(
        lambda: terms.admit_city(
            VERONA,
            date(2021, 12, 1),
            DECIDED,
            ACT,
            WHO,
            DECIDED_AT,
            name="Verona",
            province_code="FI",
        )
    ) == (
        "invalid_province_code",
        "The province code FI numbers the cases of Firenze already.",
        {"field": "province_code", "city": "firenze"},
    )


def test_a_partner_is_not_admitted_again_and_a_former_one_keeps_its_name_and_code() -> None:
    terms = established()
    assert refusal(
        lambda: terms.admit_city(City.FIRENZE, date(2021, 12, 1), DECIDED, ACT, WHO, DECIDED_AT)
    ) == ("invalid_membership_change", "Firenze is a partner already.", {"field": "city"})
    terms.withdraw_city(City.BARI, date(2021, 11, 13), DECIDED, ACT, WHO, DECIDED_AT)
    kept = (
        "invalid_membership_change",
        "Bari was a partner before: it keeps its name and province code.",
    )
    for overrides, field in (
        ({"name": "Bari"}, "name"),
        ({"province_code": "BX"}, "province_code"),
        ({"name": "Bari", "province_code": "BX"}, "province_code"),
    ):
        assert refusal(
            lambda overrides=overrides: terms.admit_city(  # type: ignore[misc]
                City.BARI, date(2021, 12, 1), DECIDED, ACT, WHO, DECIDED_AT, **overrides
            )
        ) == (*kept, {"field": field})


def test_a_withdrawal_and_a_rejoining_are_recorded_and_listed() -> None:
    terms = established()
    terms.withdraw_city(City.BARI, date(2021, 11, 13), DECIDED, ACT, WHO, DECIDED_AT)
    assert recorded(terms) == [
        (
            "CityWithdrawn",
            {
                "timestamp": DECIDED_AT,
                "decided_on": DECIDED,
                "act_reference": ACT,
                "withdrawing_city": "bari",
                "leaves_on": date(2021, 11, 13),
                "actor": WHO,
            },
        )
    ]
    assert terms.history[-1] == Amendment(
        AmendmentKind.CITY_WITHDRAWN,
        DECIDED_AT,
        DECIDED,
        ACT,
        {"withdrawing_city": "bari", "leaves_on": date(2021, 11, 13)},
        WHO,
    )
    assert refusal(
        lambda: terms.admit_city(City.BARI, date(2021, 11, 12), DECIDED, ACT, WHO, DECIDED_AT)
    ) == (
        "invalid_membership_change",
        "A city rejoins from its withdrawal on, not before.",
        {"field": "joins_on"},
    )

    terms.admit_city(City.BARI, date(2021, 11, 13), DECIDED, ACT, WHO, DECIDED_AT)

    assert recorded(terms) == [
        (
            "CityJoined",
            {
                "timestamp": DECIDED_AT,
                "decided_on": DECIDED,
                "act_reference": ACT,
                "joining_city": "bari",
                "joins_on": date(2021, 11, 13),
                "name": None,
                "province_code": None,
                "actor": WHO,
            },
        )
    ]
    assert terms.memberships[City.BARI] == (
        Membership(date(2019, 7, 1), date(2021, 11, 13)),
        Membership(date(2021, 11, 13)),
    )
    assert terms.province_codes[City.BARI] == "BA" and City.BARI not in terms.names
    assert refusal(
        lambda: terms.withdraw_city(City.BARI, date(2021, 11, 13), DECIDED, ACT, WHO, DECIDED_AT)
    ) == (
        "invalid_membership_change",
        "A city withdraws after the day it joined.",
        {"field": "leaves_on"},
    )
    terms.withdraw_city(City.BARI, date(2021, 11, 14), DECIDED, ACT, WHO, DECIDED_AT)
    assert terms.memberships[City.BARI] == (
        Membership(date(2019, 7, 1), date(2021, 11, 13)),
        Membership(date(2021, 11, 13), date(2021, 11, 14)),
    )


def test_only_a_partner_withdraws() -> None:
    terms = established()
    assert refusal(
        lambda: terms.withdraw_city(VERONA, date(2021, 12, 1), DECIDED, ACT, WHO, DECIDED_AT)
    ) == ("invalid_membership_change", "Verona is not a partner.", {"field": "city"})


def test_a_change_of_partners_takes_effect_in_the_period_from_its_decision_on() -> None:
    terms = established()
    for day in (date(2021, 11, 11), date(2022, 1, 1)):
        assert refusal(
            lambda day=day: terms.withdraw_city(  # type: ignore[misc]
                City.BARI, day, DECIDED, ACT, WHO, DECIDED_AT
            )
        ) == (*DAY_OF_DECISION, {"field": "leaves_on"})
        assert refusal(
            lambda day=day: terms.admit_city(  # type: ignore[misc]
                VERONA, day, DECIDED, ACT, WHO, DECIDED_AT, name="Verona", province_code="VR"
            )
        ) == (*DAY_OF_DECISION, {"field": "joins_on"})
    terms.withdraw_city(City.BARI, date(2021, 12, 31), DECIDED, ACT, WHO, DECIDED_AT)
    assert terms.memberships[City.BARI][-1].leaves_on == date(2021, 12, 31)


def test_answer_times_are_recorded_and_listed_with_their_hours() -> None:
    terms = established()
    terms.set_answer_times(hours(1, 2, 2160), DECIDED, ACT, WHO, DECIDED_AT)
    assert recorded(terms) == [
        (
            "AnswerTimesSet",
            {
                "timestamp": DECIDED_AT,
                "decided_on": DECIDED,
                "act_reference": ACT,
                "immediate_answer_hours": 1,
                "urgent_answer_hours": 2,
                "ordinary_answer_hours": 2160,
                "actor": WHO,
            },
        )
    ]
    assert terms.history[-1] == Amendment(
        AmendmentKind.ANSWER_TIMES_SET,
        DECIDED_AT,
        DECIDED,
        ACT,
        {"immediate_answer_hours": 1, "urgent_answer_hours": 2, "ordinary_answer_hours": 2160},
        WHO,
    )
    assert terms.answer_times == hours(1, 2, 2160)
    assert type(terms.history[-1].values["ordinary_answer_hours"]) is int


@pytest.mark.parametrize(
    "times",
    [
        hours(0, 2, 3),
        hours(1, 2, 2161),
        hours(1, 2161, 2162),
        hours(2161, 2162, 2163),
        hours(2, 2, 3),
        hours(1, 3, 3),
        hours(3, 2, 4),
        hours(1, 2.5, 3),
        hours(1, 2, 3.5),
    ],
)
def test_answer_times_out_of_range_or_order_are_refused_with_the_limit(
    times: AnswerTimes,
) -> None:
    terms = established()
    assert refusal(lambda: terms.set_answer_times(times, DECIDED, ACT, WHO, DECIDED_AT)) == (
        "invalid_answer_times",
        "Answer times are whole hours from 1 to 2160, immediate shorter than urgent, urgent "
        "shorter than ordinary.",
        {"field": "answer_times", "max_hours": 2160},
    )


def test_priority_weights_are_recorded_and_listed() -> None:
    terms = established()
    terms.set_priority_weights(
        PriorityWeights(1_000_000, 999_999, 1, 3650), DECIDED, ACT, WHO, DECIDED_AT
    )
    assert recorded(terms) == [
        (
            "PriorityWeightsSet",
            {
                "timestamp": DECIDED_AT,
                "decided_on": DECIDED,
                "act_reference": ACT,
                "international_protection_points": 1_000_000,
                "vulnerability_points": 999_999,
                "points_per_day_waiting": 1,
                "waiting_days_counted": 3650,
                "actor": WHO,
            },
        )
    ]
    assert terms.history[-1] == Amendment(
        AmendmentKind.PRIORITY_WEIGHTS_SET,
        DECIDED_AT,
        DECIDED,
        ACT,
        {
            "international_protection_points": 1_000_000,
            "vulnerability_points": 999_999,
            "points_per_day_waiting": 1,
            "waiting_days_counted": 3650,
        },
        WHO,
    )
    assert terms.priority_weights == PriorityWeights(1_000_000, 999_999, 1, 3650)


@pytest.mark.parametrize(
    "weights",
    [
        PriorityWeights(0, 1, 1, 1),
        PriorityWeights(1_000_001, 1, 1, 1),
        PriorityWeights(3, 0, 1, 1),
        PriorityWeights(3, 1_000_001, 1, 1),
        PriorityWeights(3, 1, 0, 1),
        PriorityWeights(3, 1, 1_000_001, 1),
        PriorityWeights(3, 1, 1, 0),
        PriorityWeights(3, 1, 1, 3651),
        PriorityWeights(3, 1, True, 1),
        PriorityWeights(3, 1, 1, True),
        PriorityWeights(3.0, 1, 1, 1),  # type: ignore[arg-type]
        PriorityWeights(3, 1, 1, 2.0),  # type: ignore[arg-type]
    ],
)
def test_priority_weights_out_of_range_are_refused_with_the_limits(
    weights: PriorityWeights,
) -> None:
    terms = established()
    assert refusal(lambda: terms.set_priority_weights(weights, DECIDED, ACT, WHO, DECIDED_AT)) == (
        "invalid_priority_weights",
        "Weights are whole numbers from 1 to 1000000; waiting days are counted up to 1 to 3650 "
        "days.",
        {"field": "priority_weights", "max_weight": 1_000_000, "max_days": 3650},
    )


def test_protection_weighs_more_than_vulnerability_as_the_card_says() -> None:
    terms = established()
    assert refusal(
        lambda: terms.set_priority_weights(
            PriorityWeights(5, 5, 1, 1), DECIDED, ACT, WHO, DECIDED_AT
        )
    ) == (
        "invalid_priority_weights",
        'Holders of international protection come first (the card: "in via primaria, i '
        'titolari di protezione internazionale"): their points must exceed those of '
        "vulnerability.",
        {"field": "international_protection"},
    )
    terms.set_priority_weights(PriorityWeights(6, 5, 1, 1), DECIDED, ACT, WHO, DECIDED_AT)
    assert terms.priority_weights.international_protection == 6

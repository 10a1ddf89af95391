"""The words of the programme's terms: the priority factors, the ministry's decisions (their
kinds and event names), and the refusals of the period and partner checks every area makes, and
of the decisions themselves."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.amendments.model import AmendmentKind
from domain.programme import PriorityFactor
from events.programme import (
    ProgrammeAnswerTimesSetV1,
    ProgrammeCityJoinedV1,
    ProgrammeCityJoinedV2,
    ProgrammeCityWithdrawnV1,
    ProgrammeEstablishedV1,
    ProgrammePeriodExtendedV1,
    ProgrammePriorityWeightsSetV1,
)
from web.kit.i18n import N_

PRIORITY_FACTORS: Mapping[str, str] = {
    PriorityFactor.INTERNATIONAL_PROTECTION: N_("International protection"),
    PriorityFactor.VULNERABILITY: N_("Vulnerability"),
    PriorityFactor.WAITING_TIME: N_("Waiting time"),
}

AMENDMENT_KINDS: Mapping[str, str] = {
    AmendmentKind.ESTABLISHED: N_("The card's terms, recorded before the first decision"),
    AmendmentKind.PERIOD_EXTENDED: N_("Period extended"),
    AmendmentKind.CITY_JOINED: N_("City admitted"),
    AmendmentKind.CITY_WITHDRAWN: N_("City withdrawn"),
    AmendmentKind.ANSWER_TIMES_SET: N_("Referral answer times set"),
    AmendmentKind.PRIORITY_WEIGHTS_SET: N_("Priority weights set"),
}

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    PriorityFactor: PRIORITY_FACTORS,
    AmendmentKind: AMENDMENT_KINDS,
}
# CloudEvents type -> what the record calls the event.
EVENT_TYPES: Mapping[str, str] = {
    ProgrammeEstablishedV1.ce_type(): N_("Programme's terms recorded (the card's)"),
    ProgrammePeriodExtendedV1.ce_type(): N_("Programme's period extended"),
    ProgrammeCityJoinedV1.ce_type(): N_("City admitted to the programme"),
    ProgrammeCityJoinedV2.ce_type(): N_("City admitted to the programme"),
    ProgrammeCityWithdrawnV1.ce_type(): N_("City withdrawn from the programme"),
    ProgrammeAnswerTimesSetV1.ce_type(): N_("Referral answer times set"),
    ProgrammePriorityWeightsSetV1.ce_type(): N_("Priority weights set"),
}
_OUTSIDE_THE_PERIOD_TODAY = N_(
    "Today falls outside the programme's period (%(starts_on)s to %(ends_on)s): no new "
    "referral, waitlist place or bed offer can be recorded, unless the Ministry extends the "
    "period."
)
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("terms_error", None): N_("This falls outside the programme's terms."),
    ("outside_programme_period", None): _OUTSIDE_THE_PERIOD_TODAY,
    ("outside_programme_period", "intake_date"): N_(
        "The intake date must fall within the programme's period, %(starts_on)s to "
        "%(ends_on)s (the Ministry may extend it)."
    ),
    ("outside_programme_period", "moved_in_on"): N_(
        "The move-in date must fall within the programme's period, %(starts_on)s to "
        "%(ends_on)s."
    ),
    ("outside_programme_period", "starts_on"): N_(
        "An activity's days must fall within the programme's period, %(starts_on)s to "
        "%(ends_on)s."
    ),
    ("outside_programme_period", "ends_on"): N_(
        "An activity's days must fall within the programme's period, %(starts_on)s to "
        "%(ends_on)s."
    ),
    ("not_a_partner_city", None): N_(
        "%(city)s is not a partner of the programme on %(on)s (it withdrew, or had not joined "
        "yet): no new work can be recorded for it on that day."
    ),
    ("not_a_partner_city", "to_city"): N_(
        "%(city)s is not a partner of the programme today: no case can be transferred to it."
    ),
    ("amendment_error", None): N_("This decision breaks a rule of the programme's terms."),
    ("invalid_act", "act_reference"): N_(
        "Give the reference (protocol number) of the Ministry's act, in up to "
        "%(max_length)s characters."
    ),
    ("invalid_act", None): N_(
        "The decision must be dated between the programme's start and today."
    ),
    ("not_an_extension", None): N_(
        "The new end of the period must come after the end in force (%(ends_on)s): the period "
        "is only ever extended."
    ),
    ("invalid_membership_change", "city"): N_(
        "The city is already a partner (to admit), or is not one (to withdraw)."
    ),
    ("invalid_membership_change", "name"): N_(
        "A city that was a partner before keeps its name and province code."
    ),
    ("invalid_membership_change", "province_code"): N_(
        "A city that was a partner before keeps its name and province code."
    ),
    ("invalid_city_name", None): N_(
        "A city joining for the first time needs the name of the Comune, from 2 to "
        "%(max_length)s characters."
    ),
    ("invalid_province_code", None): N_(
        "A city joining for the first time needs its province code: two capital letters (such "
        "as VR), not already used by another Comune."
    ),
    ("invalid_membership_change", None): N_(
        "The change takes effect on a day within the programme's period, not before the "
        "decision, and a city rejoins only from its withdrawal on."
    ),
    ("invalid_answer_times", None): N_(
        "Answer times are whole hours from 1 to %(max_hours)s, the immediate one shorter than "
        "the urgent one, the urgent one shorter than the ordinary one."
    ),
    ("invalid_priority_weights", "international_protection"): N_(
        "Holders of international protection come first (the card: \"in via primaria, i "
        "titolari di protezione internazionale\"): their points must exceed those of "
        "vulnerability."
    ),
    ("invalid_priority_weights", None): N_(
        "Weights are whole numbers from 1 to %(max_weight)s, and waiting days are counted up "
        "to between 1 and %(max_days)s days: every factor counts."
    ),
}

"""The words of the indicators: what each breakdown is called, how one of its keys reads (a
protection status, a citizenship, a referral's destination...), and how its figures are written
(numbers, shares, durations) in the request's language.

The keys' labels are the other areas' (web.kit.labels, web.kit.vocabulary.*): a figure names a
protection status or an exit outcome exactly as the case and housing pages do."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from projections.indicators.figures import OTHER_CITIZENSHIPS
from web.kit.i18n import N_, Translator, number_as
from web.kit.labels import Labels
from web.kit.vocabulary.case_lifecycle import CASE_OUTCOMES
from web.kit.vocabulary.housing import MOVE_OUT_OUTCOMES
from web.kit.vocabulary.referrals import CITY_SERVICES, DESTINATION_KINDS, REFERRAL_STATUSES

# What a breakdown of the cases is called, and the heading of its first column.
CASE_BREAKDOWNS: Mapping[str, tuple[str, str]] = {
    "protection_status": (N_("Cases by protection status"), N_("Protection status")),
    "sex": (N_("Cases by sex"), N_("Sex")),
    "age_band": (N_("Cases by age band"), N_("Age band")),
    "citizenship": (N_("Cases by citizenship"), N_("Citizenship")),
    "vulnerability": (N_("Cases by vulnerable category"), N_("Vulnerable category")),
    "outcome": (N_("Closed cases by outcome"), N_("Outcome")),
}

# A referral's destination as the indicators key it: a city service, or the kind of the others.
REFERRAL_DESTINATIONS: Mapping[str, str] = {
    **CITY_SERVICES,
    "partner": DESTINATION_KINDS["partner"],
    "transfer": DESTINATION_KINDS["transfer"],
}

OTHER_CITIZENSHIPS_LABEL = N_("Other citizenships")
NO_FIGURE = "–"


def key_label(dimension: str, key: str, labels: Labels, translator: Translator) -> str:
    """How one key of a breakdown reads; an unknown key is shown as it is."""
    match dimension:
        case "protection_status":
            return labels.protection_status(key)
        case "sex":
            return labels.sex(key)
        case "age_band":
            return labels.age_band(key)
        case "citizenship":
            if key == OTHER_CITIZENSHIPS:
                return translator.gettext(OTHER_CITIZENSHIPS_LABEL)
            return translator.citizenship(key)
        case "vulnerability":
            return labels.vulnerability(key)
        case "outcome":
            return labels.label(CASE_OUTCOMES, key)
        case "destination":
            return labels.label(REFERRAL_DESTINATIONS, key)
        case "referral_status":
            return labels.label(REFERRAL_STATUSES, key)
        case "exit_outcome":
            return labels.label(MOVE_OUT_OUTCOMES, key)
    return key


def number_in_words(value: int | Decimal | None, translator: Translator) -> str:
    """A count or a measure (hours, days) as the language writes it, with at most one decimal:
    12,5 in Italian, 12.5 in English; a dash for a figure that cannot be computed (a median of
    nothing)."""
    if value is None:
        return NO_FIGURE
    return number_as(value, "#,##0.#", translator.language)


def share_in_words(value: Decimal | None, translator: Translator) -> str:
    """A rate in [0, 1] as a percentage: 75%."""
    if value is None:
        return NO_FIGURE
    return number_as(value, "#,##0%", translator.language)


def money_in_words(value: Decimal | None, translator: Translator) -> str:
    return NO_FIGURE if value is None else translator.money(value)

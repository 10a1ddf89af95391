"""The legal situation of the demo's people, plausible for each year and never anachronistic:
which protection status a person holds on the intake date (the mix moves with the law: the last
humanitarian permits run out by October 2020, special protection grows after d.l. 130/2020),
their permit's expiry, where they stand towards reception (applicants mostly still hosted in
CAS or government first-reception centres), the centre's name on the date that matters (SPRAR,
SIPROIMI, SAI), the language of the information notice, and the decisions that later change an
applicant's status. Invented figures, in the proportions seen in those years."""

from __future__ import annotations

import random
from datetime import date, timedelta

from domain.cases.model import ReceptionHistory
from domain.cases.rules import SAI_FROM, ReceptionCentreKind, ReceptionSituation
from domain.programme import ProtectionStatus

S = ProtectionStatus

# A humanitarian permit was issued before 5 Oct 2018 (d.l. 113/2018); the demo's last ones were
# two-year permits, so none is still valid after 4 Oct 2020.
LAST_HUMANITARIAN_EXPIRY = date(2020, 10, 4)

# The statuses held at intake, by weight, in each year of the programme.
_MIX_2019 = {
    S.REFUGEE: 20, S.SUBSIDIARY_PROTECTION: 15, S.ASYLUM_SEEKER: 24, S.APPELLANT: 10,
    S.HUMANITARIAN_PROTECTION: 12, S.SPECIAL_CASES: 3, S.SPECIAL_PROTECTION: 3,
    S.PERMIT_ART_18: 1.5, S.PERMIT_ART_18_BIS: 0.5, S.PERMIT_ART_19_C2_D_BIS: 0.5,
    S.PERMIT_ART_20_BIS: 0.2, S.PERMIT_ART_22_C12_QUATER: 0.5, S.PERMIT_ART_42_BIS: 0.05,
    S.STATELESS: 0.5, S.NO_VALID_PERMIT: 5, S.OTHER_RESIDENCE_PERMIT: 4,
}
_MIX_2020 = _MIX_2019 | {
    S.HUMANITARIAN_PROTECTION: 5, S.SPECIAL_CASES: 2, S.SPECIAL_PROTECTION: 7,
    S.NO_VALID_PERMIT: 7, S.APPELLANT: 11,
}
# D.l. 130/2020 (22 Oct 2020) widened special protection; no humanitarian permit is left.
_MIX_2021 = _MIX_2019 | {
    S.HUMANITARIAN_PROTECTION: 0, S.SPECIAL_CASES: 1, S.SPECIAL_PROTECTION: 14,
    S.NO_VALID_PERMIT: 6, S.APPELLANT: 11, S.ASYLUM_SEEKER: 22,
}
_MIXES = {2019: _MIX_2019, 2020: _MIX_2020, 2021: _MIX_2021}

# How long a permit of each status runs from the intake, in days (low, high); None: no permit.
_PERMIT_DAYS: dict[ProtectionStatus, tuple[int, int] | None] = {
    S.REFUGEE: (300, 1800), S.SUBSIDIARY_PROTECTION: (300, 1800),
    S.ASYLUM_SEEKER: (30, 180), S.APPELLANT: (30, 180),
    S.SPECIAL_CASES: (60, 700), S.SPECIAL_PROTECTION: (60, 700),
    S.PERMIT_ART_18: (60, 360), S.PERMIT_ART_18_BIS: (60, 360),
    S.PERMIT_ART_19_C2_D_BIS: (30, 360), S.PERMIT_ART_20_BIS: (30, 180),
    S.PERMIT_ART_22_C12_QUATER: (60, 360), S.PERMIT_ART_42_BIS: (300, 720),
    S.STATELESS: (300, 1800), S.OTHER_RESIDENCE_PERMIT: (60, 700), S.NO_VALID_PERMIT: None,
}

# The notice's language, by citizenship (the person's own language where the city's mediators
# speak it; Italian otherwise, and now and then by choice).
_NOTICE_LANGUAGE = {
    "NG": "en", "GM": "en", "GN": "fr", "CI": "fr", "ML": "fr", "SN": "fr", "CM": "fr",
    "BD": "bn", "PK": "ur", "AF": "fa", "ER": "ti", "SO": "so", "SD": "ar", "TN": "ar",
    "EG": "ar", "MA": "ar", "IQ": "ar", "UA": "uk",
}


def status_at_intake(rng: random.Random, intake_date: date) -> ProtectionStatus:
    mix = dict(_MIXES[min(max(intake_date.year, 2019), 2021)])
    if intake_date > LAST_HUMANITARIAN_EXPIRY - timedelta(days=30):
        mix[S.HUMANITARIAN_PROTECTION] = 0
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def permit_expiry(rng: random.Random, status: ProtectionStatus, day: date) -> date | None:
    """The permit's expiry for a status held on `day` (None when unknown, now and then)."""
    if status is S.HUMANITARIAN_PROTECTION:
        return day + timedelta(days=rng.randint(15, (LAST_HUMANITARIAN_EXPIRY - day).days))
    span = _PERMIT_DAYS[status]
    if span is None or rng.random() < 0.1:
        return None
    return day + timedelta(days=rng.randint(*span))


def reception_at_intake(
    rng: random.Random, status: ProtectionStatus, intake_date: date
) -> ReceptionHistory:
    """Applicants are mostly hosted in reception while their claim is examined; the others have
    mostly left it, or are leaving it, or were never in it."""
    if status.is_applicant:
        situation = rng.choices(list(ReceptionSituation), weights=[55, 10, 20, 15])[0]
    else:
        situation = rng.choices(list(ReceptionSituation), weights=[0, 12, 58, 30])[0]
    match situation:
        case ReceptionSituation.IN_RECEPTION:
            return ReceptionHistory(situation, centre_kind=_centre(rng, intake_date, status))
        case ReceptionSituation.LEAVING_RECEPTION:
            return ReceptionHistory(
                situation, centre_kind=_centre(rng, intake_date, status),
                planned_exit_on=intake_date + timedelta(days=rng.randint(0, 60)))
        case ReceptionSituation.LEFT_RECEPTION:
            left_on = intake_date - timedelta(days=rng.randint(0, 600))
            return ReceptionHistory(situation, left_on=left_on,
                                    centre_kind=_centre(rng, left_on, status))
    return ReceptionHistory(ReceptionSituation.NEVER_IN_RECEPTION)


def _centre(rng: random.Random, day: date, status: ProtectionStatus) -> ReceptionCentreKind:
    """A centre by its name on `day`. The second-line network (SPRAR/SIPROIMI) hosted only holders
    of international protection from 5 Oct 2018 to 21 Oct 2020 (d.l. 113/2018); applicants were
    in CAS and government first-reception centres; SAI took applicants in again (d.l.
    130/2020)."""
    network = ReceptionCentreKind.second_line_network_on(day)
    network_weight = 30 if (not status.is_applicant or day >= SAI_FROM
                            or network is ReceptionCentreKind.SPRAR) else 0
    kinds = {
        network: network_weight,
        ReceptionCentreKind.CAS: 50,
        ReceptionCentreKind.GOVERNMENT_FIRST_RECEPTION: 12 if status.is_applicant else 5,
        ReceptionCentreKind.HOTSPOT: 2,
        ReceptionCentreKind.OTHER: 3,
    }
    return rng.choices(list(kinds), weights=list(kinds.values()))[0]


def notice_language(rng: random.Random, citizenship: str | None) -> str:
    if citizenship is None or rng.random() < 0.2:
        return "it"
    return _NOTICE_LANGUAGE.get(citizenship, "en")


def decision_for(rng: random.Random, status: ProtectionStatus, day: date) -> ProtectionStatus:
    """What a territorial commission (first instance) or a court (appeal) decides on `day`."""
    if status is S.ASYLUM_SEEKER:
        outcomes = {S.REFUGEE: 14, S.SUBSIDIARY_PROTECTION: 12, S.APPELLANT: 44,
                    S.NO_VALID_PERMIT: 12,
                    S.SPECIAL_PROTECTION: 30 if day >= SAI_FROM else 18}
    else:  # an appellant: the court's decision
        outcomes = {S.REFUGEE: 18, S.SUBSIDIARY_PROTECTION: 20, S.SPECIAL_PROTECTION: 30,
                    S.NO_VALID_PERMIT: 32}
    return rng.choices(list(outcomes), weights=list(outcomes.values()))[0]

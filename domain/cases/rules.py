"""The programme's vocabulary for a person taken in, and the eligibility rules that follow from it.

The rules come from the project card and the law it cites (see docs/domain.md): the target group is
people outside the reception system, holders of international protection first; who may join which
sub-action is the programme's rule (`SubAction.is_open_to`: Sub-Action 2 only for asylum seekers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.programme import ProtectionStatus, SubAction


class ReceptionSituation(StrEnum):
    LEFT_RECEPTION = "left_reception"
    NEVER_IN_RECEPTION = "never_in_reception"
    IN_RECEPTION = "in_reception"


class ReceptionCentreKind(StrEnum):
    """The kind of centre a person left: first-reception hubs, extraordinary centres (CAS), the
    SAI network (formerly SPRAR/SIPROIMI), or another facility."""

    FIRST_RECEPTION = "first_reception"
    CAS = "cas"
    SAI = "sai"
    OTHER = "other"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class AgeBand(StrEnum):
    UNDER_18 = "0-17"
    FROM_18_TO_24 = "18-24"
    FROM_25_TO_34 = "25-34"
    FROM_35_TO_49 = "35-49"
    FROM_50_TO_64 = "50-64"
    OVER_64 = "65+"

    @classmethod
    def at(cls, birth_date: date, on: date) -> AgeBand:
        before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
        years = on.year - birth_date.year - before_birthday
        for upper, band in _AGE_BAND_UPPER_BOUNDS:
            if years <= upper:
                return band
        return cls.OVER_64


_AGE_BAND_UPPER_BOUNDS = (
    (17, AgeBand.UNDER_18),
    (24, AgeBand.FROM_18_TO_24),
    (34, AgeBand.FROM_25_TO_34),
    (49, AgeBand.FROM_35_TO_49),
    (64, AgeBand.FROM_50_TO_64),
)


class Vulnerability(StrEnum):
    """The vulnerable categories of d.lgs. 142/2015 art. 17 c.1. The law's single item "serious
    illness or mental disorders" is two categories here, because services and referrals differ
    for each; that makes eleven."""

    MINOR = "minor"
    UNACCOMPANIED_MINOR = "unaccompanied_minor"
    DISABILITY = "disability"
    ELDERLY = "elderly"
    PREGNANCY = "pregnancy"
    SINGLE_PARENT_WITH_MINORS = "single_parent_with_minors"
    TRAFFICKING_VICTIM = "trafficking_victim"
    SERIOUS_ILLNESS = "serious_illness"
    MENTAL_DISORDER = "mental_disorder"
    TORTURE_OR_SERIOUS_VIOLENCE = "torture_or_serious_violence"
    FEMALE_GENITAL_MUTILATION = "female_genital_mutilation"


class PriorityGroup(StrEnum):
    """The target group's order: holders of international protection first."""

    INTERNATIONAL_PROTECTION = "international_protection"
    OTHER_OUTSIDE_RECEPTION = "other_outside_reception"


class EligibilityReason(StrEnum):
    """Why a case is (not) eligible for a sub-action; each has a translated explanation."""

    OUTSIDE_RECEPTION = "outside_reception"
    ASYLUM_SEEKER = "asylum_seeker"
    NOT_ASYLUM_SEEKER = "not_asylum_seeker"
    VULNERABLE = "vulnerable"
    NOT_VULNERABLE_YET_OUTSIDE_RECEPTION = "not_vulnerable_yet_outside_reception"
    INTERNATIONAL_PROTECTION_FIRST = "international_protection_first"


@dataclass(frozen=True)
class Eligibility:
    sub_action: SubAction
    eligible: bool
    reason: EligibilityReason

    def as_record(self) -> dict[str, str | bool]:
        return {"sub_action": self.sub_action.value, "eligible": self.eligible,
                "reason": self.reason.value}


def eligibility_for(
    protection_status: ProtectionStatus, vulnerabilities: frozenset[Vulnerability]
) -> tuple[Eligibility, ...]:
    """Eligibility per person-level sub-action for someone already known to be outside reception."""
    civic = (
        Eligibility(SubAction.CIVIC_ENGAGEMENT, True, EligibilityReason.ASYLUM_SEEKER)
        if SubAction.CIVIC_ENGAGEMENT.is_open_to(protection_status)
        else Eligibility(SubAction.CIVIC_ENGAGEMENT, False, EligibilityReason.NOT_ASYLUM_SEEKER)
    )
    take_in = Eligibility(
        SubAction.EMERGENCY_TAKE_IN,
        True,
        EligibilityReason.VULNERABLE
        if vulnerabilities
        else EligibilityReason.NOT_VULNERABLE_YET_OUTSIDE_RECEPTION,
    )
    housing = Eligibility(
        SubAction.FAST_TRACK_HOUSING,
        True,
        EligibilityReason.INTERNATIONAL_PROTECTION_FIRST
        if protection_status.is_international_protection
        else EligibilityReason.OUTSIDE_RECEPTION,
    )
    return (civic, take_in, housing)


def priority_group_of(protection_status: ProtectionStatus) -> PriorityGroup:
    if protection_status.is_international_protection:
        return PriorityGroup.INTERNATIONAL_PROTECTION
    return PriorityGroup.OTHER_OUTSIDE_RECEPTION


class CaseOutcome(StrEnum):
    """How a case ended, recorded at closure."""

    AUTONOMY = "autonomy"
    """Self-sufficient: housing and income of their own."""
    OTHER_PROGRAMME = "other_programme"
    """Taken in by another programme (SAI, a regional or third-sector programme)."""
    MOVED_AWAY = "moved_away"
    LOST_CONTACT = "lost_contact"
    DECEASED = "deceased"
    OTHER = "other"


class ErasureLegalBasis(StrEnum):
    """The ground of GDPR art. 17(1) an erasure was granted on, by its letter."""

    NO_LONGER_NECESSARY = "art17_1a"
    CONSENT_WITHDRAWN = "art17_1b"
    OBJECTION = "art17_1c"
    UNLAWFUL_PROCESSING = "art17_1d"
    LEGAL_OBLIGATION = "art17_1e"
    CHILD_INFORMATION_SOCIETY_SERVICE = "art17_1f"
    NOT_RECORDED = "not_recorded"
    """Erasures recorded before the ground was asked for (PersonalDataErased version 1)."""


class CorrectableField(StrEnum):
    """The intake facts a correction may replace. The others either come from the vault (the
    birth date, hence the age band), name the case (city, code, intake date: a wrong one is a
    case recorded in error, closed and taken in again), or have their own events (consent)."""

    PROTECTION_STATUS = "protection_status"
    SEX = "sex"
    NATIONALITY = "nationality"
    HOUSEHOLD_SIZE = "household_size"
    VULNERABILITIES = "vulnerabilities"

"""The programme's vocabulary for a person taken in, and the eligibility rules that follow from it.

The rules come from the project card and the law it cites (see docs/domain.md): the target group is
people outside the reception system or leaving it, holders of international protection first, and,
for Sub-Action 2 only, applicants for international protection wherever they live
(`SubAction.is_open_to`); reception centres and protection statuses carry the names the law gave
them on each date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.programme import ProtectionStatus, SubAction

SIPROIMI_FROM = date(2018, 10, 5)
"""D.l. 113/2018 in force: the SPRAR network became SIPROIMI, humanitarian protection was
abolished (permits already issued stay valid until they expire, art. 1 c.8) and special
protection took its place."""
SAI_FROM = date(2020, 10, 22)
"""D.l. 130/2020 in force: SIPROIMI became SAI, and special protection was widened."""


class ReceptionSituation(StrEnum):
    """Where the person stands towards the reception system on the intake date. The card serves
    people who left it or were never in it, and "persone in uscita dai centri" (leaving it);
    applicants for international protection are in it while their claim is examined, and are
    Sub-Action 2's whole target group."""

    IN_RECEPTION = "in_reception"
    LEAVING_RECEPTION = "leaving_reception"
    LEFT_RECEPTION = "left_reception"
    NEVER_IN_RECEPTION = "never_in_reception"

    @property
    def is_out_or_leaving(self) -> bool:
        """Out of reception or leaving it: the target group of Sub-Actions 3 and 4."""
        return self is not ReceptionSituation.IN_RECEPTION


class ReceptionCentreKind(StrEnum):
    """The kind of reception centre, by its name on the date that matters (the day the person
    left it, or the intake date for a person still in it): the second-line network was SPRAR
    until 4 Oct 2018, SIPROIMI from 5 Oct 2018 (d.l. 113/2018) and SAI from 22 Oct 2020 (d.l.
    130/2020). CAS (d.lgs. 142/2015 art. 11), government first-reception centres (art. 9) and
    hotspots (art. 10-ter TUI) are kinds of their own throughout."""

    SPRAR = "sprar"
    SIPROIMI = "siproimi"
    SAI = "sai"
    CAS = "cas"
    GOVERNMENT_FIRST_RECEPTION = "government_first_reception"
    HOTSPOT = "hotspot"
    OTHER = "other"

    @classmethod
    def second_line_network_on(cls, day: date) -> ReceptionCentreKind:
        """The second-line network's name on `day`."""
        if day < SIPROIMI_FROM:
            return cls.SPRAR
        if day < SAI_FROM:
            return cls.SIPROIMI
        return cls.SAI

    def existed_on(self, day: date) -> bool:
        """Whether a centre of this kind could be so named on `day` (a "left SAI in 2019" is
        impossible: SAI did not exist yet)."""
        if self in (ReceptionCentreKind.SPRAR, ReceptionCentreKind.SIPROIMI,
                    ReceptionCentreKind.SAI):
            return self is ReceptionCentreKind.second_line_network_on(day)
        return True


class Sex(StrEnum):
    """As the person's documents state it (M/F), or not stated: no third category is invented."""

    FEMALE = "female"
    MALE = "male"
    NOT_STATED = "not_stated"


class AgeScheme(StrEnum):
    """A set of age bands. Eurostat's classes (0-13, 14-17, 18-34, 35-64, 65+: the breakdown of
    its asylum and migration statistics, which the ministry reports to) since issue 12; the
    bands before it are `legacy`, kept because events recorded then carry them and no birth date
    is in any event to re-band them (docs/domain.md, "Age")."""

    EUROSTAT = "eurostat"
    LEGACY = "legacy"

    @property
    def bands(self) -> tuple[AgeBand, ...]:
        """The scheme's bands, youngest first."""
        return _SCHEME_BANDS[self]


class AgeBand(StrEnum):
    """An age band, in whole years. Each code names its own bracket, so the codes of both
    schemes can stand side by side; "65+" belongs to both."""

    FROM_0_TO_13 = "0-13"
    FROM_14_TO_17 = "14-17"
    FROM_18_TO_34 = "18-34"
    FROM_35_TO_64 = "35-64"
    OVER_64 = "65+"
    # The bands before issue 12 (AgeScheme.LEGACY).
    UNDER_18 = "0-17"
    FROM_18_TO_24 = "18-24"
    FROM_25_TO_34 = "25-34"
    FROM_35_TO_49 = "35-49"
    FROM_50_TO_64 = "50-64"

    @property
    def lowest_age(self) -> int:
        """The youngest age in the band, in whole years."""
        return int(self.value.rstrip("+").split("-")[0])

    @property
    def is_minor(self) -> bool:
        """Every age in the band is under 18 (the age of majority, art. 2 of the civil code)."""
        return self in (AgeBand.FROM_0_TO_13, AgeBand.FROM_14_TO_17, AgeBand.UNDER_18)

    def belongs_to(self, scheme: AgeScheme) -> bool:
        return self in scheme.bands

    @classmethod
    def at(cls, birth_date: date, on: date, scheme: AgeScheme | None = None) -> AgeBand:
        """The band of a person born on `birth_date`, on the day `on`, in `scheme` (the
        current one, AGE_SCHEME, unless given)."""
        years = age_on(birth_date, on)
        band = (scheme or AGE_SCHEME).bands[0]
        for candidate in (scheme or AGE_SCHEME).bands:
            if candidate.lowest_age <= years:
                band = candidate
        return band


_SCHEME_BANDS = {
    AgeScheme.EUROSTAT: (
        AgeBand.FROM_0_TO_13, AgeBand.FROM_14_TO_17, AgeBand.FROM_18_TO_34,
        AgeBand.FROM_35_TO_64, AgeBand.OVER_64,
    ),
    AgeScheme.LEGACY: (
        AgeBand.UNDER_18, AgeBand.FROM_18_TO_24, AgeBand.FROM_25_TO_34, AgeBand.FROM_35_TO_49,
        AgeBand.FROM_50_TO_64, AgeBand.OVER_64,
    ),
}

AGE_SCHEME = AgeScheme.EUROSTAT
"""The scheme new intakes and the age job record. Changing it re-bands every case, from the
month the job first runs after the change (as issue 12's change from LEGACY did)."""

ADULT_AGE = 18


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on `on`. Someone born on 29 February is a year older on 1 March of a
    common year (their birthday has not come on 28 February)."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday


def reaches_age_on(birth_date: date, years: int) -> date:
    """The day a person born on `birth_date` turns `years` (1 March for 29 February in a
    common year)."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:  # 29 February, common year
        return date(birth_date.year + years, 3, 1)


def month_of(day: date) -> str:
    """The month of `day`, as YYYY-MM: how the age job dates what it records (no day)."""
    return f"{day.year:04d}-{day.month:02d}"


def month_after(day: date) -> str:
    """The month after the month of `day`, as YYYY-MM."""
    return month_of(date(day.year + day.month // 12, day.month % 12 + 1, 1))


def first_day_of(month: str) -> date:
    """The first day of a YYYY-MM month."""
    return date.fromisoformat(f"{month}-01")


class Vulnerability(StrEnum):
    """The vulnerable categories of d.lgs. 142/2015 art. 17 c.1. The law's single item "serious
    illness or mental disorders" is two categories here, because services and referrals differ
    for each; that makes eleven, and `other`, because the list is illustrative ("quali").
    Each may be declared, or assessed (accertata) by a service: Case.assess_vulnerability."""

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
    """Persons for whom it has been established ("per le quali è stato accertato") that they
    suffered torture, rape or other serious forms of psychological, physical or sexual violence,
    or violence linked to sexual orientation or gender identity (art. 17 c.1)."""
    FEMALE_GENITAL_MUTILATION = "female_genital_mutilation"
    OTHER = "other"
    """Any other vulnerability: the law's list is illustrative ("quali"). What it is, is free
    text, kept encrypted in the vault with the person's key (Case.describe_other_vulnerability)."""


class AssessingService(StrEnum):
    """The kind of service that assessed (accertato) a vulnerability: never which office or
    person, which could name the person's doctor or case worker."""

    HEALTH_SERVICE = "health_service"
    """The national health service (a public health unit, a hospital, a specialist centre)."""
    SOCIAL_SERVICE = "social_service"
    TERRITORIAL_COMMISSION = "territorial_commission"
    """The territorial commission for international protection, in its decision."""
    ANTI_TRAFFICKING_PROGRAMME = "anti_trafficking_programme"
    """A programme of art. 18 TUI (emersione, assistenza e integrazione sociale)."""
    OTHER = "other"


class AgeBandChangeReason(StrEnum):
    """Why a case's age band changed: the person grew into the next band, or the platform's
    bands changed (AGE_SCHEME) and the case is re-banded from the month the job ran."""

    BIRTHDAY = "birthday"
    SCHEME = "scheme"


class PriorityGroup(StrEnum):
    """The target group's order: holders of international protection first. It follows from the
    protection status alone; `other_outside_reception` is everyone else (its name predates the
    intake of people still in reception, and stays: housing events and partners read it)."""

    INTERNATIONAL_PROTECTION = "international_protection"
    OTHER_OUTSIDE_RECEPTION = "other_outside_reception"


class EligibilityReason(StrEnum):
    """Why a case is (not) eligible for a sub-action; each has a translated explanation."""

    OUTSIDE_RECEPTION = "outside_reception"
    ASYLUM_SEEKER = "asylum_seeker"
    """An applicant for international protection, at first instance or appealing."""
    NOT_ASYLUM_SEEKER = "not_asylum_seeker"
    VULNERABLE = "vulnerable"
    NOT_VULNERABLE_YET_OUTSIDE_RECEPTION = "not_vulnerable_yet_outside_reception"
    INTERNATIONAL_PROTECTION_FIRST = "international_protection_first"
    LEAVING_RECEPTION = "leaving_reception"
    """About to leave a reception centre, on the planned exit date recorded."""
    IN_RECEPTION = "in_reception"
    """Still hosted in reception: only Sub-Action 2 (for applicants) is open to them."""


@dataclass(frozen=True)
class Eligibility:
    sub_action: SubAction
    eligible: bool
    reason: EligibilityReason

    def as_record(self) -> dict[str, str | bool]:
        return {"sub_action": self.sub_action.value, "eligible": self.eligible,
                "reason": self.reason.value}


def eligibility_for(
    protection_status: ProtectionStatus,
    reception: ReceptionSituation,
    vulnerabilities: frozenset[Vulnerability],
) -> tuple[Eligibility, ...]:
    """Eligibility per person-level sub-action, from the status and the reception situation.
    Sub-Action 2 is for applicants for international protection wherever they live (art. 8 law
    46/2017); Sub-Actions 3 and 4 for people out of reception or leaving it (the card: people
    who left the reception system or are not in it, and "persone in uscita dai centri")."""
    civic = (
        Eligibility(SubAction.CIVIC_ENGAGEMENT, True, EligibilityReason.ASYLUM_SEEKER)
        if SubAction.CIVIC_ENGAGEMENT.is_open_to(protection_status)
        else Eligibility(SubAction.CIVIC_ENGAGEMENT, False, EligibilityReason.NOT_ASYLUM_SEEKER)
    )
    if not reception.is_out_or_leaving:
        return (
            civic,
            Eligibility(SubAction.EMERGENCY_TAKE_IN, False, EligibilityReason.IN_RECEPTION),
            Eligibility(SubAction.FAST_TRACK_HOUSING, False, EligibilityReason.IN_RECEPTION),
        )
    leaving = reception is ReceptionSituation.LEAVING_RECEPTION
    take_in = Eligibility(
        SubAction.EMERGENCY_TAKE_IN,
        True,
        EligibilityReason.VULNERABLE if vulnerabilities
        else EligibilityReason.LEAVING_RECEPTION if leaving
        else EligibilityReason.NOT_VULNERABLE_YET_OUTSIDE_RECEPTION,
    )
    housing = Eligibility(
        SubAction.FAST_TRACK_HOUSING,
        True,
        EligibilityReason.INTERNATIONAL_PROTECTION_FIRST
        if protection_status.is_international_protection
        else EligibilityReason.LEAVING_RECEPTION if leaving
        else EligibilityReason.OUTSIDE_RECEPTION,
    )
    return (civic, take_in, housing)


def priority_group_of(protection_status: ProtectionStatus) -> PriorityGroup:
    if protection_status.is_international_protection:
        return PriorityGroup.INTERNATIONAL_PROTECTION
    return PriorityGroup.OTHER_OUTSIDE_RECEPTION


_DECIDED_UNTIL = {ProtectionStatus.HUMANITARIAN_PROTECTION: SIPROIMI_FROM}
_DECIDED_FROM = {
    ProtectionStatus.SPECIAL_CASES: SIPROIMI_FROM,
    ProtectionStatus.SPECIAL_PROTECTION: SIPROIMI_FROM,
    ProtectionStatus.PERMIT_ART_19_C2_D_BIS: SIPROIMI_FROM,
    ProtectionStatus.PERMIT_ART_20_BIS: SIPROIMI_FROM,
    ProtectionStatus.PERMIT_ART_42_BIS: SIPROIMI_FROM,
}


def can_be_granted_on(status: ProtectionStatus, day: date) -> bool:
    """Whether a decision on `day` can grant `status`. D.l. 113/2018 (in force 5 Oct 2018)
    abolished humanitarian protection (art. 1 c.1) and introduced the "casi speciali" (art. 1
    c.9), special protection and the permits of art. 19 c.2 d-bis, 20-bis and 42-bis TUI."""
    until = _DECIDED_UNTIL.get(status)
    return day >= _DECIDED_FROM.get(status, day) and (until is None or day < until)


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
    """The facts a correction may replace, when they were typed wrong. The others either come
    from the vault (the birth date, hence the age band), name the case (city, code, intake date:
    a wrong one is a case recorded in error, closed and taken in again), or have their own
    events (consents; a new protection status is a decision: `Case.change_status`). A
    correction of the status or the permit's expiry corrects the latest decision recorded.
    Version 1 called `citizenship` "nationality"."""

    PROTECTION_STATUS = "protection_status"
    PERMIT_EXPIRES_ON = "permit_expires_on"
    SEX = "sex"
    CITIZENSHIP = "citizenship"
    HOUSEHOLD_SIZE = "household_size"
    VULNERABILITIES = "vulnerabilities"

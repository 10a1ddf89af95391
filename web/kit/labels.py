"""Words for the programme's codes: every enum value a page shows, translated.

The tables are keyed by the domain's enums (whose values are the codes stored in events and read
models), so a value added to an enum without a label here fails the label test."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum

from domain.cases.rules import (
    AgeBand,
    EligibilityReason,
    PriorityGroup,
    ReceptionCentreKind,
    ReceptionSituation,
    Sex,
    Vulnerability,
)
from domain.privacy import LegalBasis, ProcessingPurpose
from domain.programme import (
    FOUNDING_CITIES,
    ActorKind,
    City,
    ProtectionStatus,
    ProtectionStatusGroup,
    Role,
    SubAction,
    TermsInForce,
    is_city_slug,
)
from domain.vault import AccessReason
from events.audit import AuditCheckpointSignedV1, AuditCheckpointSignedV2, AuditKeyRotatedV1
from events.contracts import (
    CaseConsentGivenV1,
    CaseConsentGivenV2,
    CaseConsentWithdrawnV1,
    CaseConsentWithdrawnV2,
    CaseIntakeRecordedV1,
    CaseIntakeRecordedV2,
    CasePersonalDataErasedV1,
    CasePersonalDataErasedV2,
    CaseStatusChangedV1,
)
from projections.case_list import CASE_STATUS_CLOSED, CASE_STATUS_OPEN
from web.kit.i18n import N_, Translator
from web.kit.vocabulary import AREAS
from web.kit.vocabulary.documents import DOCUMENT_KINDS
from web.kit.vocabulary.programme import AMENDMENT_KINDS, PRIORITY_FACTORS

CITY_NAMES: Mapping[str, str] = {
    City.AGRIGENTO: N_("Agrigento"),
    City.BARI: N_("Bari"),
    City.BOLOGNA: N_("Bologna"),
    City.BOLZANO: N_("Bolzano"),
    City.CASERTA: N_("Caserta"),
    City.CATANIA: N_("Catania"),
    City.FIRENZE: N_("Florence"),
    City.GENOVA: N_("Genoa"),
    City.LATINA: N_("Latina"),
    City.MILANO: N_("Milan"),
    City.NAPOLI: N_("Naples"),
    City.PALERMO: N_("Palermo"),
    City.PERUGIA: N_("Perugia"),
    City.POTENZA: N_("Potenza"),
    City.ROMA: N_("Rome"),
    City.SASSARI: N_("Sassari"),
    City.TARANTO: N_("Taranto"),
    City.TORINO: N_("Turin"),
    City.TRIESTE: N_("Trieste"),
}

# The statuses of the period, each with its legal source (docs/domain.md, docs/glossary.md).
PROTECTION_STATUSES: Mapping[str, str] = {
    ProtectionStatus.REFUGEE: N_("Refugee status"),
    ProtectionStatus.SUBSIDIARY_PROTECTION: N_("Subsidiary protection"),
    ProtectionStatus.ASYLUM_SEEKER: N_("Applicant for international protection (first instance)"),
    ProtectionStatus.APPELLANT: N_("Applicant for international protection, appealing"),
    ProtectionStatus.HUMANITARIAN_PROTECTION: N_(
        "Humanitarian protection (permit issued before 5 October 2018)"),
    ProtectionStatus.SPECIAL_CASES: N_("Special cases (d.l. 113/2018, art. 1 c.9)"),
    ProtectionStatus.SPECIAL_PROTECTION: N_("Special protection"),
    ProtectionStatus.PERMIT_ART_18: N_("Permit for victims of trafficking (art. 18 TUI)"),
    ProtectionStatus.PERMIT_ART_18_BIS: N_(
        "Permit for victims of domestic violence (art. 18-bis TUI)"),
    ProtectionStatus.PERMIT_ART_19_C2_D_BIS: N_(
        "Permit for medical treatment (art. 19 c.2 d-bis TUI)"),
    ProtectionStatus.PERMIT_ART_20_BIS: N_("Permit for disaster (art. 20-bis TUI)"),
    ProtectionStatus.PERMIT_ART_22_C12_QUATER: N_(
        "Permit for victims of labour exploitation (art. 22 c.12-quater TUI)"),
    ProtectionStatus.PERMIT_ART_42_BIS: N_("Permit for acts of civil valour (art. 42-bis TUI)"),
    ProtectionStatus.STATELESS: N_("Stateless person"),
    ProtectionStatus.NO_VALID_PERMIT: N_("No valid permit (refused or expired)"),
    ProtectionStatus.OTHER_RESIDENCE_PERMIT: N_("Other residence permit"),
}

PROTECTION_STATUS_GROUPS: Mapping[str, str] = {
    ProtectionStatusGroup.INTERNATIONAL_PROTECTION: N_("International protection"),
    ProtectionStatusGroup.APPLICANT: N_("Applicants for international protection"),
    ProtectionStatusGroup.NATIONAL_PROTECTION: N_("National protection and special permits"),
    ProtectionStatusGroup.OTHER_STATUS: N_("Stateless persons and other permits"),
    ProtectionStatusGroup.NO_VALID_PERMIT: N_("No valid permit"),
}

RECEPTION_SITUATIONS: Mapping[str, str] = {
    ReceptionSituation.IN_RECEPTION: N_("Is hosted in a reception centre"),
    ReceptionSituation.LEAVING_RECEPTION: N_("Is about to leave a reception centre"),
    ReceptionSituation.LEFT_RECEPTION: N_("Has left the reception system"),
    ReceptionSituation.NEVER_IN_RECEPTION: N_("Was never in the reception system"),
}

RECEPTION_CENTRE_KINDS: Mapping[str, str] = {
    ReceptionCentreKind.SPRAR: N_("SPRAR (until 4 October 2018)"),
    ReceptionCentreKind.SIPROIMI: N_("SIPROIMI (5 October 2018 to 21 October 2020)"),
    ReceptionCentreKind.SAI: N_("SAI (from 22 October 2020)"),
    ReceptionCentreKind.CAS: N_("Extraordinary reception centre (CAS)"),
    ReceptionCentreKind.GOVERNMENT_FIRST_RECEPTION: N_("Government first-reception centre"),
    ReceptionCentreKind.HOTSPOT: N_("Hotspot"),
    ReceptionCentreKind.OTHER: N_("Other facility"),
}

# As the person's documents state it, or not stated: no other category.
SEXES: Mapping[str, str] = {
    Sex.FEMALE: N_("Female"),
    Sex.MALE: N_("Male"),
    Sex.NOT_STATED: N_("Not stated"),
}

# Eurostat's classes (since issue 12), then the bands intakes recorded before them: a case whose
# personal data is erased keeps the band last recorded (docs/domain.md, "Age").
AGE_BANDS: Mapping[str, str] = {
    AgeBand.FROM_0_TO_13: N_("0 to 13"),
    AgeBand.FROM_14_TO_17: N_("14 to 17"),
    AgeBand.FROM_18_TO_34: N_("18 to 34"),
    AgeBand.FROM_35_TO_64: N_("35 to 64"),
    AgeBand.UNDER_18: N_("Under 18"),
    AgeBand.FROM_18_TO_24: N_("18 to 24"),
    AgeBand.FROM_25_TO_34: N_("25 to 34"),
    AgeBand.FROM_35_TO_49: N_("35 to 49"),
    AgeBand.FROM_50_TO_64: N_("50 to 64"),
    AgeBand.OVER_64: N_("65 and over"),
}

# The categories of d.lgs. 142/2015 art. 17 c.1, worded as the law words them.
VULNERABILITIES: Mapping[str, str] = {
    Vulnerability.MINOR: N_("Minors"),
    Vulnerability.UNACCOMPANIED_MINOR: N_("Unaccompanied foreign minors"),
    Vulnerability.DISABILITY: N_("People with disabilities"),
    Vulnerability.ELDERLY: N_("Elderly people"),
    Vulnerability.PREGNANCY: N_("Pregnant women"),
    Vulnerability.SINGLE_PARENT_WITH_MINORS: N_("Single parents with minor children"),
    Vulnerability.TRAFFICKING_VICTIM: N_("Victims of trafficking in human beings"),
    Vulnerability.SERIOUS_ILLNESS: N_("People with serious illnesses"),
    Vulnerability.MENTAL_DISORDER: N_("People with mental disorders"),
    # Art. 17 c.1: "persone per le quali è stato accertato che hanno subito torture, stupri o
    # altre forme gravi di violenza psicologica, fisica o sessuale o legata all'orientamento
    # sessuale o all'identità di genere". Whether it is assessed is shown beside it.
    Vulnerability.TORTURE_OR_SERIOUS_VIOLENCE: N_(
        "People who have suffered torture, rape or other serious forms of psychological, "
        "physical or sexual violence or violence linked to sexual orientation or gender identity"
    ),
    Vulnerability.FEMALE_GENITAL_MUTILATION: N_("Victims of female genital mutilation"),
    Vulnerability.OTHER: N_("Other vulnerability (described in the case)"),
}

PROCESSING_PURPOSES: Mapping[str, str] = {
    ProcessingPurpose.CASE_MANAGEMENT: N_("Case management"),
    ProcessingPurpose.STATISTICS: N_("Statistical processing"),
    ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER: N_(
        "Sharing the case with a named partner organisation"),
    ProcessingPurpose.PHOTOGRAPHS: N_("Photographs at the programme's events"),
}

LEGAL_BASES: Mapping[str, str] = {
    LegalBasis.PUBLIC_TASK: N_(
        "Public task and substantial public interest (GDPR art. 6(1)(e), 9(2)(g); art. "
        "2-sexies d.lgs. 196/2003)"),
    LegalBasis.CONSENT: N_("Consent of the person (GDPR art. 6(1)(a), 9(2)(a))"),
    LegalBasis.VITAL_INTERESTS: N_("Vital interests (GDPR art. 6(1)(d), 9(2)(c))"),
    LegalBasis.LEGAL_OBLIGATION: N_("Legal obligation (GDPR art. 6(1)(c))"),
}

SUB_ACTIONS: Mapping[str, str] = {
    SubAction.COORDINATION: N_("Management and coordination of the action"),
    SubAction.CIVIC_ENGAGEMENT: N_("Civic engagement paths"),
    SubAction.EMERGENCY_TAKE_IN: N_(
        "Emergency take-in of vulnerable people and urban resilience"
    ),
    SubAction.FAST_TRACK_HOUSING: N_("Fast-track housing inclusion"),
    SubAction.ADMINISTRATION_EMPOWERMENT: N_(
        "Organisational and operational empowerment of local administrations"
    ),
    SubAction.COMMUNICATION: N_("Communication and dissemination"),
}

PRIORITY_GROUPS: Mapping[str, str] = {
    PriorityGroup.INTERNATIONAL_PROTECTION: N_("Holders of international protection"),
    PriorityGroup.OTHER_OUTSIDE_RECEPTION: N_("Other migrants outside the reception system"),
}

# Why a case is, or is not, eligible for a sub-action: what a coordinator reads on the case page.
ELIGIBILITY_REASONS: Mapping[str, str] = {
    EligibilityReason.ASYLUM_SEEKER: N_(
        "The person is an applicant for international protection (first instance or appeal), "
        "and Sub-Action 2 is reserved for applicants, wherever they live (art. 8 of law "
        "46/2017, amending d.lgs. 142/2015)."
    ),
    EligibilityReason.NOT_ASYLUM_SEEKER: N_(
        "Sub-Action 2 is reserved for applicants for international protection (art. 8 of law "
        "46/2017, amending d.lgs. 142/2015), and the person is not an applicant."
    ),
    EligibilityReason.LEAVING_RECEPTION: N_(
        "The person is about to leave a reception centre, on the planned exit date recorded: "
        "the programme serves people leaving the centres."
    ),
    EligibilityReason.IN_RECEPTION: N_(
        "The person is hosted in a reception centre: this sub-action serves people who have "
        "left it, are leaving it or were never in it."
    ),
    EligibilityReason.VULNERABLE: N_(
        "The person belongs to at least one vulnerable category (d.lgs. 142/2015, art. 17 c.1): "
        "emergency take-in with priority."
    ),
    EligibilityReason.NOT_VULNERABLE_YET_OUTSIDE_RECEPTION: N_(
        "No vulnerability recorded, but the person is outside the reception system, which is "
        "enough for emergency take-in."
    ),
    EligibilityReason.INTERNATIONAL_PROTECTION_FIRST: N_(
        "The person holds international protection, the programme's first target group: first "
        "in line for fast-track housing."
    ),
    EligibilityReason.OUTSIDE_RECEPTION: N_(
        "The person is outside the reception system, so within the programme's target group; "
        "holders of international protection come first."
    ),
}

ROLES: Mapping[str, str] = {
    Role.MINISTRY: N_("Ministry of the Interior"),
    Role.CITY_COORDINATOR: N_("City coordinator"),
    Role.CITY_OPERATOR: N_("City operator"),
    Role.AUDITOR: N_("Auditor"),
    Role.PARTNER: N_("Partner organisation"),
    Role.SYSTEM: N_("System"),
}

# The intake's fields (form inputs, API body fields, and the `field` of its errors).
INTAKE_FIELDS: Mapping[str, str] = {
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "birth_date": N_("Birth date"),
    "document_number": N_("Document number"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "tax_code": N_("Tax code or CUI"),
    "new_case_despite_possible_match": N_("Record a new case all the same"),
    "has_identity_document": N_("Identity document"),
    "intake_date": N_("Intake date"),
    "protection_status": N_("Protection status"),
    "permit_expires_on": N_("Permit expires on"),
    "reception_situation": N_("Reception situation"),
    "left_reception_on": N_("Date the person left reception"),
    "planned_exit_on": N_("Planned exit date"),
    "reception_centre_kind": N_("Kind of reception centre"),
    "sex": N_("Sex (as in the documents)"),
    "citizenship": N_("Citizenship"),
    "household_size": N_("Household size"),
    "vulnerabilities": N_("Vulnerable categories (d.lgs. 142/2015, art. 17 c.1)"),
    "other_vulnerability_description": N_("The other vulnerability"),
    "information_notice_given_on": N_("Information notice (GDPR art. 13) given on"),
    "information_notice_language": N_("Language of the information notice"),
    "consents": N_("The person consents to"),
    "assignee": N_("Operator who holds the case"),
}

# The fields of the other forms: reading identifiers, erasing them, granting an auditor access.
OTHER_FIELDS: Mapping[str, str] = {
    "reason": N_("Reason for reading them"),
    "requested_on": N_("Date of the erasure request"),
    "request_reference": N_("Protocol number of the request"),
    "confirm": N_("Confirmation"),
    "grantee": N_("Auditor (username)"),
    "city": N_("City"),
    "hours": N_("For how many hours"),
    "grant_reason": N_("Reason for the grant"),
    "decided_on": N_("Date of the decision"),
    "appointed_on": N_("Date of the guardian's appointment"),
    "vulnerability": N_("Vulnerability"),
    "assessed_on": N_("Date of the assessment"),
    "assessed_by": N_("Assessed by"),
    "description": N_("What the other vulnerability is"),
    "purpose": N_("Purpose"),
    "given_on": N_("Consent given on"),
    "withdrawn_on": N_("Consent withdrawn on"),
}

# Why identifiers were read: a list, so that no free text carries personal data into the log.
ACCESS_REASONS: Mapping[str, str] = {
    AccessReason.CONTACT_PERSON: N_("To contact the person"),
    AccessReason.REFERRAL_TO_SERVICE: N_("To refer the person to a service"),
    AccessReason.IDENTITY_CHECK: N_("To check the person's identity"),
    AccessReason.LEGAL_OBLIGATION: N_("A legal obligation (authority's request)"),
    AccessReason.AUDIT_GRANT: N_("Audit, under a grant of the ministry"),
}

# Who caused an event: a person signed in, or a process of the platform.
ACTOR_KINDS: Mapping[str, str] = {
    ActorKind.USER: N_("User"),
    ActorKind.SYSTEM: N_("System"),
}

CASE_STATUSES: Mapping[str, str] = {
    CASE_STATUS_OPEN: N_("Open"),
    CASE_STATUS_CLOSED: N_("Closed"),
}

EVENT_TYPES: Mapping[str, str] = {
    CaseIntakeRecordedV1.ce_type(): N_("Intake recorded"),
    CaseIntakeRecordedV2.ce_type(): N_("Intake recorded"),
    CaseStatusChangedV1.ce_type(): N_("Protection status changed"),
    CaseConsentGivenV1.ce_type(): N_("Consent given"),
    CaseConsentWithdrawnV1.ce_type(): N_("Consent withdrawn"),
    CaseConsentGivenV2.ce_type(): N_("Consent given"),
    CaseConsentWithdrawnV2.ce_type(): N_("Consent withdrawn"),
    CasePersonalDataErasedV1.ce_type(): N_("Personal data erased"),
    CasePersonalDataErasedV2.ce_type(): N_("Personal data erased"),
    AuditCheckpointSignedV1.ce_type(): N_("Audit chain checkpoint signed"),
    AuditCheckpointSignedV2.ce_type(): N_("Audit chain checkpoint signed"),
    AuditKeyRotatedV1.ce_type(): N_("Audit signing key rotated"),
    **{ce_type: label for area in AREAS for ce_type, label in area.EVENT_TYPES.items()},
}


class Labels:
    """The tables above, in the language of one request. Unknown codes are shown as they are,
    so a page never fails on a value newer than its labels."""

    def __init__(
        self, translator: Translator, terms: Callable[[], TermsInForce] | None = None
    ) -> None:
        """`terms` (read only when a city outside the card's 19 is named, or every city is
        listed) gives the names of the cities the ministry admitted later."""
        self._translator = translator
        self._terms = terms

    def label(self, table: Mapping[str, str], code: str) -> str:
        """`code`'s label from `table` (one of the tables here or of web.kit.vocabulary)."""
        message = table.get(code)
        return code if message is None else self._translator.gettext(message)

    def choices(self, table: Mapping[str, str], codes: Iterable[str]) -> list[tuple[str, str]]:
        """(code, label) for each code, in the given order: a select's options."""
        return [(str(code), self.label(table, code)) for code in codes]

    _label = label
    _choices = choices

    def city(self, code: str) -> str:
        """The card's cities by their name in this language; a city admitted later by the name
        the ministry recorded (its slug in words when the terms are not at hand)."""
        if code in CITY_NAMES or not is_city_slug(code):
            return self._label(CITY_NAMES, code)
        city = City(code)
        return city.display_name if self._terms is None else self._terms().name_of(city)

    def protection_status(self, code: str) -> str:
        return self._label(PROTECTION_STATUSES, code)

    def reception_situation(self, code: str) -> str:
        return self._label(RECEPTION_SITUATIONS, code)

    def reception_centre_kind(self, code: str) -> str:
        return self._label(RECEPTION_CENTRE_KINDS, code)

    def sex(self, code: str) -> str:
        return self._label(SEXES, code)

    def age_band(self, code: str) -> str:
        return self._label(AGE_BANDS, code)

    def vulnerability(self, code: str) -> str:
        return self._label(VULNERABILITIES, code)

    def purpose(self, code: str) -> str:
        return self._label(PROCESSING_PURPOSES, code)

    def legal_basis(self, code: str) -> str:
        return self._label(LEGAL_BASES, code)

    def sub_action(self, code: str) -> str:
        return self._label(SUB_ACTIONS, code)

    def numbered_sub_action(self, code: str) -> str:
        """"Sub-Action 4 – Fast-track housing inclusion", as tables and exports name one."""
        number = self._translator.gettext("Sub-Action %(number)s", number=code)
        return f"{number} – {self.sub_action(code)}"

    def priority_group(self, code: str) -> str:
        return self._label(PRIORITY_GROUPS, code)

    def eligibility_reason(self, code: str) -> str:
        return self._label(ELIGIBILITY_REASONS, code)

    def priority_factor(self, code: str) -> str:
        return self._label(PRIORITY_FACTORS, code)

    def amendment_kind(self, code: str) -> str:
        return self._label(AMENDMENT_KINDS, code)

    def role(self, code: str) -> str:
        return self._label(ROLES, code)

    def actor_kind(self, code: str) -> str:
        return self._label(ACTOR_KINDS, code)

    def case_status(self, code: str) -> str:
        return self._label(CASE_STATUSES, code)

    def event_type(self, code: str) -> str:
        return self._label(EVENT_TYPES, code)

    def field(self, name: str) -> str:
        return self._label(INTAKE_FIELDS if name in INTAKE_FIELDS else OTHER_FIELDS, name)

    def access_reason(self, code: str) -> str:
        return self._label(ACCESS_REASONS, code)

    def access_reasons(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        return self._choices(ACCESS_REASONS, codes)

    def cities(self) -> list[tuple[str, str]]:
        """The network's cities (every city that was ever a partner; the card's 19 when no
        terms are at hand) in alphabetical order of their name in this language."""
        codes = FOUNDING_CITIES if self._terms is None else self._terms().known_cities
        return sorted(((city.value, self.city(city)) for city in codes),
                      key=lambda choice: choice[1])

    def protection_statuses(self) -> list[tuple[str, str]]:
        return self._choices(PROTECTION_STATUSES, ProtectionStatus)

    def protection_status_groups(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(group, label, its statuses as (code, label)) in the order of the domain's enums."""
        return [(group.value, self._label(PROTECTION_STATUS_GROUPS, group),
                 [(status.value, self._label(PROTECTION_STATUSES, status))
                  for status in ProtectionStatus if status.group is group])
                for group in ProtectionStatusGroup]

    def reception_situations(self) -> list[tuple[str, str]]:
        return self._choices(RECEPTION_SITUATIONS, ReceptionSituation)

    def reception_centre_kinds(self) -> list[tuple[str, str]]:
        return self._choices(RECEPTION_CENTRE_KINDS, ReceptionCentreKind)

    def sexes(self) -> list[tuple[str, str]]:
        return self._choices(SEXES, Sex)

    def vulnerabilities(self) -> list[tuple[str, str]]:
        return self._choices(VULNERABILITIES, Vulnerability)

    def document_kind(self, code: str) -> str:
        return self._label(DOCUMENT_KINDS, code)

    def document_kinds(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        return self._choices(DOCUMENT_KINDS, codes)

    def purposes(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        return self._choices(PROCESSING_PURPOSES, codes)

    def legal_bases(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        return self._choices(LEGAL_BASES, codes)

    def case_statuses(self) -> list[tuple[str, str]]:
        return self._choices(CASE_STATUSES, CASE_STATUSES)


def all_label_tables() -> dict[type[StrEnum], Mapping[str, str]]:
    """Each enum with its table: what the test checks for completeness. The cities are not an
    enumeration: CITY_NAMES translates the card's 19 (FOUNDING_CITIES); a city admitted later
    is shown by the name the ministry recorded (`Labels.city`)."""
    return {
        ProtectionStatus: PROTECTION_STATUSES,
        ReceptionSituation: RECEPTION_SITUATIONS,
        ReceptionCentreKind: RECEPTION_CENTRE_KINDS,
        Sex: SEXES,
        AgeBand: AGE_BANDS,
        Vulnerability: VULNERABILITIES,
        ProcessingPurpose: PROCESSING_PURPOSES,
        LegalBasis: LEGAL_BASES,
        SubAction: SUB_ACTIONS,
        PriorityGroup: PRIORITY_GROUPS,
        EligibilityReason: ELIGIBILITY_REASONS,
        Role: ROLES,
        ActorKind: ACTOR_KINDS,
        AccessReason: ACCESS_REASONS,
        **{enum: table for area in AREAS for enum, table in area.LABEL_TABLES.items()},
    }

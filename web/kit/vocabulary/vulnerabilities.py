"""The words of minors and vulnerabilities (issue 12, items 7-8): the age band as the calendar
moves it, coming of age, the guardian of an unaccompanied minor, a vulnerability declared or
assessed (accertata) and by which kind of service, and what an "other" vulnerability is."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.cases.rules import AgeBandChangeReason, AssessingService
from events.contracts import (
    CaseAgeBandChangedV1,
    CaseCameOfAgeV1,
    CaseGuardianAppointedV1,
    CaseOtherVulnerabilityDescribedV1,
    CaseVulnerabilityAssessedV1,
)
from web.kit.i18n import N_

ASSESSING_SERVICES: Mapping[str, str] = {
    AssessingService.HEALTH_SERVICE: N_("National health service"),
    AssessingService.SOCIAL_SERVICE: N_("Social services"),
    AssessingService.TERRITORIAL_COMMISSION: N_(
        "Territorial commission for international protection"),
    AssessingService.ANTI_TRAFFICKING_PROGRAMME: N_("Anti-trafficking programme (art. 18 TUI)"),
    AssessingService.OTHER: N_("Other service"),
}

AGE_BAND_CHANGE_REASONS: Mapping[str, str] = {
    AgeBandChangeReason.BIRTHDAY: N_("the person grew into the next band"),
    AgeBandChangeReason.SCHEME: N_("the platform's age bands changed (Eurostat's classes)"),
}

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    AssessingService: ASSESSING_SERVICES,
    AgeBandChangeReason: AGE_BAND_CHANGE_REASONS,
}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {
    CaseAgeBandChangedV1.ce_type(): N_("Age band changed"),
    CaseCameOfAgeV1.ce_type(): N_("Came of age"),
    CaseGuardianAppointedV1.ce_type(): N_("Guardian appointed"),
    CaseVulnerabilityAssessedV1.ce_type(): N_("Vulnerability assessed"),
    CaseOtherVulnerabilityDescribedV1.ce_type(): N_("Other vulnerability described"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("guardian_not_applicable", None): N_(
        "A guardian is recorded for an unaccompanied minor (l. 47/2017): this person is not "
        "recorded as one."
    ),
    ("invalid_guardian_appointment", None): N_(
        "The appointment is dated up to today, and after the appointment of the guardian it "
        "replaces."
    ),
    ("invalid_vulnerability_assessment", None): N_(
        "Minority follows from the birth date and is not assessed; an adult cannot be recorded "
        "as an unaccompanied minor; an other vulnerability is described before it is assessed."
    ),
    ("invalid_vulnerability_assessment", "assessed_on"): N_(
        "The assessment is dated up to today, and the same assessment is recorded once."
    ),
    ("invalid_vulnerability_description", None): N_(
        "Say what the other vulnerability is, in up to 1,000 characters; only a person with an "
        "other vulnerability has a description."
    ),
    ("invalid_vulnerability_description", "case"): N_(
        "This person's personal data has been erased: no new text is kept on them."
    ),
}

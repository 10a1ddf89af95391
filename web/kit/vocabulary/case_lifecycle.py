"""The words of the case lifecycle: closure, reopening, corrections, transfers, status changes
and consents."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.cases.rules import CaseOutcome, CorrectableField
from events.contracts import (
    CaseClosedV1,
    CaseClosedV2,
    CaseIntakeCorrectedV1,
    CaseIntakeCorrectedV2,
    CaseIntakeCorrectedV3,
    CaseReopenedV1,
    CaseReopenedV2,
    CaseTransferredV1,
)
from web.kit.i18n import N_

CASE_OUTCOMES: Mapping[str, str] = {
    CaseOutcome.AUTONOMY: N_("Self-sufficient: housing and income of their own"),
    CaseOutcome.OTHER_PROGRAMME: N_("Taken in by another programme (SAI, regional, third sector)"),
    CaseOutcome.MOVED_AWAY: N_("Moved away"),
    CaseOutcome.LOST_CONTACT: N_("Contact lost"),
    CaseOutcome.DECEASED: N_("Deceased"),
    CaseOutcome.OTHER: N_("Other outcome"),
}

# The same words as the case page's facts (messages.po), so a correction names them alike.
CORRECTABLE_FIELDS: Mapping[str, str] = {
    CorrectableField.PROTECTION_STATUS: N_("Protection status"),
    CorrectableField.PERMIT_EXPIRES_ON: N_("Permit expires on"),
    CorrectableField.SEX: N_("Sex"),
    CorrectableField.CITIZENSHIP: N_("Citizenship"),
    CorrectableField.HOUSEHOLD_SIZE: N_("Household size"),
    CorrectableField.VULNERABILITIES: N_("Vulnerable categories"),
}

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    CaseOutcome: CASE_OUTCOMES,
    CorrectableField: CORRECTABLE_FIELDS,
}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {
    CaseClosedV1.ce_type(): N_("Case closed"),
    CaseClosedV2.ce_type(): N_("Case closed"),
    CaseReopenedV1.ce_type(): N_("Case reopened"),
    CaseReopenedV2.ce_type(): N_("Case reopened"),
    CaseIntakeCorrectedV1.ce_type(): N_("Intake facts corrected"),
    CaseIntakeCorrectedV2.ce_type(): N_("Intake facts corrected"),
    CaseIntakeCorrectedV3.ce_type(): N_("Intake facts corrected"),
    CaseTransferredV1.ce_type(): N_("Case transferred to another city"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("case_closed", None): N_(
        "The case is closed: reopen it, giving the reason, before recording new work on it."
    ),
    ("case_not_closed", None): N_("The case is open: there is nothing to reopen."),
    ("invalid_closure", None): N_("Give the reason, in up to 500 characters."),
    ("invalid_closure", "closed_on"): N_(
        "The closing date must fall between the day the case was taken in (or reopened, or "
        "transferred to your city) and today."
    ),
    ("invalid_closure", "reopened_on"): N_(
        "The reopening date must fall between the closing date and today."
    ),
    ("invalid_correction", None): N_("The corrected value is not a valid one for this fact."),
    ("invalid_correction", "changes"): N_(
        "The correction changes nothing: give at least one value different from the recorded one."
    ),
    ("invalid_correction", "reason"): N_(
        "Say why the facts are corrected, in up to 500 characters."
    ),
    ("invalid_correction", "vulnerabilities"): N_(
        "An adult cannot be recorded as a minor, and a minor stays recorded as one."
    ),
    ("invalid_correction", "citizenship"): N_(
        "Choose a citizenship among the countries offered, or none; a stateless person has no "
        "citizenship."
    ),
    ("invalid_correction", "permit_expires_on"): N_(
        "The permit's expiry does not fit the status: a person without a valid permit has no "
        "expiry, and a humanitarian protection permit needs one, not yet passed."
    ),
    ("invalid_status_change", "decided_on"): N_(
        "The decision must be dated between the date of the status it follows (the intake, or "
        "the previous decision) and today."
    ),
    ("invalid_status_change", "permit_expires_on"): N_(
        "A permit granted by the decision expires after the decision's date."
    ),
    ("invalid_status_change", None): N_(
        "The decision changes nothing: the person already holds this status with this expiry. "
        "To fix a typing mistake, correct the facts instead."
    ),
    ("consent_not_the_basis", "purpose"): N_(
        "This purpose does not rest on consent: the person is not asked for it."
    ),
    ("invalid_consent_change", "given_on"): N_(
        "A consent is dated between the intake (or its last withdrawal) and today."
    ),
    ("invalid_consent_change", "withdrawn_on"): N_(
        "A withdrawal is dated between the day the consent was given and today."
    ),
    ("invalid_consent_change", None): N_(
        "The person has already given this consent, or has not given it and so cannot withdraw "
        "it."
    ),
    ("invalid_transfer", None): N_("The case already belongs to this city."),
    ("invalid_transfer", "transferred_on"): N_(
        "The transfer date must fall between the day the case was taken in (or reopened, or "
        "transferred to its current city) and today."
    ),
}

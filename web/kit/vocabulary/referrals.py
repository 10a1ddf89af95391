"""The words of the referrals area: destinations, urgencies, states and decline reasons; the
referral events' names; and the refusals of the referral rules."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.privacy import LegalBasis
from domain.referrals.rules import (
    NOT_RECORDED,
    CityService,
    DeclineReason,
    DestinationKind,
    ReferralStatus,
    Urgency,
)
from events.referrals import (
    ReferralAcceptedV1,
    ReferralCompletedV1,
    ReferralCompletedV2,
    ReferralDeclinedV1,
    ReferralDeclinedV2,
    ReferralRequestedV1,
    ReferralRequestedV2,
    ReferralRequestedV3,
    ReferralRequestedV4,
    ReferralWithdrawnV1,
    ReferralWithdrawnV2,
)
from web.kit.i18n import N_

DESTINATION_KINDS: Mapping[str, str] = {
    DestinationKind.CITY_SERVICE: N_("A service of the city"),
    DestinationKind.PARTNER: N_("An external partner organisation"),
    DestinationKind.TRANSFER: N_("Transfer to another city"),
}

CITY_SERVICES: Mapping[str, str] = {
    CityService.HEALTH: N_("Health services"),
    CityService.LEGAL_AID: N_("Legal aid"),
    CityService.EMPLOYMENT: N_("Employment services"),
    CityService.HOUSING: N_("Housing services"),
    CityService.PSYCHOLOGICAL_SUPPORT: N_("Psychological support"),
    CityService.MEDIATION: N_("Cultural and linguistic mediation"),
    CityService.EDUCATION: N_("Education and language courses"),
    CityService.SOCIAL_SERVICES: N_("Social services"),
    CityService.OTHER: N_("Another service"),
}

# How long each allows is the Ministry's (the answer times in force, shown beside the choice):
# the labels name the level only. `within_72_hours` is the urgent level's historical code.
URGENCIES: Mapping[str, str] = {
    Urgency.IMMEDIATE: N_("Immediate"),
    Urgency.WITHIN_72_HOURS: N_("Urgent"),
    Urgency.ORDINARY: N_("Ordinary"),
}

REFERRAL_STATUSES: Mapping[str, str] = {
    ReferralStatus.REQUESTED: N_("Awaiting an answer"),
    ReferralStatus.ACCEPTED: N_("Accepted"),
    ReferralStatus.DECLINED: N_("Declined"),
    ReferralStatus.COMPLETED: N_("Completed"),
    ReferralStatus.WITHDRAWN: N_("Withdrawn"),
}

DECLINE_REASONS: Mapping[str, str] = {
    DeclineReason.NO_CAPACITY: N_("No capacity available"),
    DeclineReason.NOT_ELIGIBLE: N_("The person is not eligible for the service"),
    DeclineReason.PERSON_DECLINED: N_("The person declined"),
    DeclineReason.UNREACHABLE: N_("The person could not be reached"),
    DeclineReason.DUPLICATE: N_("Already referred (duplicate)"),
    DeclineReason.OTHER: N_("Another reason (explained in the note)"),
}

# What a referral rests on (GDPR art. 6(1)); not_recorded: a referral recorded before the legal
# basis was asked for, on a coordinator's override of consent.
REFERRAL_LEGAL_BASES: Mapping[str, str] = {
    LegalBasis.PUBLIC_TASK: N_("The city's public task"),
    LegalBasis.CONSENT: N_("The person's consent"),
    LegalBasis.VITAL_INTERESTS: N_("Vital interests (GDPR art. 6(1)(d), 9(2)(c))"),
    LegalBasis.LEGAL_OBLIGATION: N_("Legal obligation (GDPR art. 6(1)(c))"),
    NOT_RECORDED: N_("Not recorded: a coordinator's override of consent, before the legal basis "
                     "was asked for"),
}
# The bases a coordinator may name to share a case with a partner without the person's consent.
OTHER_LEGAL_BASES = (LegalBasis.VITAL_INTERESTS, LegalBasis.LEGAL_OBLIGATION,
                     LegalBasis.PUBLIC_TASK)

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    DestinationKind: DESTINATION_KINDS,
    CityService: CITY_SERVICES,
    Urgency: URGENCIES,
    ReferralStatus: REFERRAL_STATUSES,
    DeclineReason: DECLINE_REASONS,
}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {
    ReferralRequestedV1.ce_type(): N_("Referral requested"),
    ReferralRequestedV2.ce_type(): N_("Referral requested"),
    ReferralRequestedV3.ce_type(): N_("Referral requested"),
    ReferralRequestedV4.ce_type(): N_("Referral requested"),
    ReferralAcceptedV1.ce_type(): N_("Referral accepted"),
    ReferralDeclinedV1.ce_type(): N_("Referral declined"),
    ReferralDeclinedV2.ce_type(): N_("Referral declined"),
    ReferralCompletedV1.ce_type(): N_("Referral completed"),
    ReferralCompletedV2.ce_type(): N_("Referral completed"),
    ReferralWithdrawnV1.ce_type(): N_("Referral withdrawn"),
    ReferralWithdrawnV2.ce_type(): N_("Referral withdrawn"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("referral_error", None): N_("The referral breaks a rule of the programme."),
    ("invalid_destination", None): N_("Choose where the case is referred to."),
    ("invalid_destination", "service"): N_("Choose the service the case is referred to."),
    ("invalid_destination", "partner_name"): N_(
        "Name the partner organisation, in up to 120 characters."
    ),
    ("invalid_destination", "organisation_id"): N_(
        "Choose the partner organisation among those your city registered."
    ),
    ("consent_to_organisation_required", None): N_(
        "The person has not consented to their case being shared with %(organisation_name)s. "
        "Record their consent to this organisation on the case page first or, if a "
        "coordinator decides to share it on another legal basis (vital interests, a legal "
        "obligation, the public task), choose that basis: it is recorded with the referral."
    ),
    ("invalid_destination", "to_city"): N_(
        "Choose the city asked to take the case: a city other than the case's own."
    ),
    ("invalid_referral_text", None): N_("This is too long: at most %(max_length)s characters."),
    ("invalid_referral_text", "note"): N_(
        "Write the note in up to %(max_length)s characters. When the reason is \"another "
        "reason\", the note must say what it is."
    ),
    ("invalid_referral_text", "reason"): N_(
        "Say why the referral is withdrawn, in up to %(max_length)s characters."
    ),
    ("invalid_referral_text", "outcome_note"): N_(
        "Write the outcome in up to %(max_length)s characters."
    ),
    ("consent_required", None): N_(
        "The person has not consented to their case being shared with a partner organisation. "
        "Record their consent on the case page first or, if a coordinator decides to share it "
        "on another legal basis (vital interests, a legal obligation, the public task), choose "
        "that basis: it is recorded with the referral."
    ),
    ("other_legal_basis_refused", None): N_(
        "Only the city's coordinators may share a case with a partner on another legal basis "
        "than the person's consent, and only where consent is the basis: a city service or "
        "another city receives the case on the city's public task."
    ),
    ("duplicate_referral", None): N_(
        "The case already has a referral to this destination awaiting an answer: wait for "
        "that answer, or withdraw that referral first."
    ),
    ("referral_not_pending", None): N_(
        "The referral is no longer awaiting an answer: it cannot be answered again."
    ),
    ("referral_finished", None): N_(
        "The referral is already closed (declined, completed or withdrawn)."
    ),
    ("transfer_final", None): N_(
        "An accepted transfer is final: the case now belongs to the other city. A transfer "
        "is accepted or declined, never completed."
    ),
    ("case_moved_away", None): N_(
        "The case has been transferred to another city since this referral was made: it can "
        "only be withdrawn."
    ),
}

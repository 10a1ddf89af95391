"""The words of partner organisations: their kinds, the events and the refusals."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.organisations.model import OrganisationKind
from events.organisations import OrganisationRegisteredV1, OrganisationRetiredV1
from web.kit.i18n import N_

ORGANISATION_KINDS: Mapping[str, str] = {
    OrganisationKind.NGO: N_("Non-governmental organisation"),
    OrganisationKind.ASSOCIATION: N_("Association"),
    OrganisationKind.SOCIAL_COOPERATIVE: N_("Social cooperative"),
    OrganisationKind.PUBLIC_SERVICE: N_("Public service (health authority, job centre, ...)"),
    OrganisationKind.TRADE_UNION: N_("Trade union"),
    OrganisationKind.RELIGIOUS_BODY: N_("Religious body"),
    OrganisationKind.OTHER: N_("Other kind of organisation"),
}

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    OrganisationKind: ORGANISATION_KINDS,
}
# CloudEvents type -> what the timeline and the event browser call the event.
EVENT_TYPES: Mapping[str, str] = {
    OrganisationRegisteredV1.ce_type(): N_("Partner organisation registered"),
    OrganisationRetiredV1.ce_type(): N_("Partner organisation retired"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("organisation_error", None): N_("This breaks a rule of the partner organisations."),
    ("invalid_organisation_name", None): N_(
        "Name the organisation, in up to %(max_length)s characters."
    ),
    ("organisation_already_registered", None): N_(
        "%(organisation_name)s is registered already: an organisation is registered once per "
        "city (retired ones too)."
    ),
    ("organisation_retired", None): N_(
        "%(organisation_name)s has been retired by the city: it takes no new referral or "
        "consent."
    ),
    ("unknown_organisation", None): N_(
        "There is no such partner organisation: choose one your city registered."
    ),
    ("invalid_consent_change", "organisation_ids"): N_(
        "A consent to share the case with partners names the organisation: choose one your "
        "city registered to which the person has not consented yet (to withdraw, one they "
        "consented to). Other purposes name no organisation."
    ),
    ("organisation_of_another_city", None): N_(
        "%(organisation_name)s is registered by another city: a case is shared only with the "
        "organisations its own city registered."
    ),
}

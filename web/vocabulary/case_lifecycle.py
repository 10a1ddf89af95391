"""The words of the case lifecycle: closure, reopening, corrections, transfers."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from web.i18n import N_

if TYPE_CHECKING:
    from web.i18n import Translator
    from web.labels import Labels

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("case_closed", None): N_(
        "The case is closed: reopen it, giving the reason, before recording new work on it."
    ),
    ("case_not_closed", None): N_("The case is open: there is nothing to reopen."),
    ("invalid_closure", None): N_("Give the reason, in up to 500 characters."),
    ("invalid_closure", "closed_on"): N_(
        "The closing date must fall between the intake date and today."
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
    ("invalid_transfer", None): N_("The case already belongs to this city."),
}


def timeline_details(data: dict[str, Any], translator: Translator, labels: Labels) -> list[str]:
    """What one of the area's events recorded, in sentences, for a case's timeline."""
    return []

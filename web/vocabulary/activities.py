"""The words of the activities area (being built)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web.i18n import Translator
    from web.labels import Labels

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {}


def timeline_details(data: dict[str, Any], translator: Translator, labels: Labels) -> list[str]:
    """What one of the area's events recorded, in sentences, for a case's timeline."""
    return []

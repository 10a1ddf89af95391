"""Forms of the pages: what was typed, shown again with what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FormState:
    """A form of a page as it is shown again: what was typed, and what is wrong (by field; ""
    for what concerns the whole form). Every area's pages use this one."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def without_blanks(values: dict[str, Any]) -> dict[str, Any]:
    """A form's empty input is a missing value, not an empty string."""
    return {field: value for field, value in values.items() if not (
        isinstance(value, str) and not value.strip()
    )}

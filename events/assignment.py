"""Event contracts of case assignment (docs/events.md, docs/workflows/casework.md): who holds a
case. Published on the case's city's subject (`lgnet.<city>.case.assigned`), with the case code
as the CloudEvents subject. The assignee is staff (a username), never the person served; the
coordinator who assigned is the event's actor (`ce-actorid`). A case nobody assigned is held by
its intake's recorder (the intake's `ce-actorid`). Partners get no copy."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from events.contracts import CASE_CODE_PATTERN, City, EventContract

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"


class CaseAssignedV1(EventContract):
    """A coordinator assigned the case to one of its city's operators or coordinators (at
    intake, choosing someone other than the recorder, or later: a reassignment). From this
    event on, `assignee` holds the case."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "assigned"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    assignee: str = Field(pattern=USERNAME_PATTERN,
                          description="The username of the staff member who holds the case now")
    previous_assignee: str | None = Field(
        pattern=USERNAME_PATTERN,
        description="Who held it until now; None: nobody (e.g. after a transfer, or an "
        "intake recorded by a system process)")


ASSIGNMENT_CONTRACTS: tuple[type[EventContract], ...] = (CaseAssignedV1,)

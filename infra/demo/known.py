"""What the simulation knows of the programme's cases, and of the shelter each is in: every area
reads these, so that it asks the services only what the domain allows (the areas' own records,
of referrals, activities and claims, stay in their modules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from domain.programme import City, ProtectionStatus


@dataclass(eq=False)
class KnownCase:
    id: UUID
    code: str
    city: City
    status: ProtectionStatus
    status_since: date
    vulnerable: bool
    partner_consent: bool
    in_reception: bool = False
    """Still hosted in reception: only Sub-Action 2 is open to them (no housing)."""
    closed_on: date | None = None
    housing: str = "none"  # waitlisted, offered, housed; "none" when out of housing
    waitlisted_at: datetime | None = None
    declined_an_offer: bool = False
    shelter: KnownShelter | None = None
    moved_out_autonomous: bool = False
    referrals_waiting: list[str] = field(default_factory=list)  # destination keys
    referrals_open: int = 0  # requested or accepted, not yet finished
    transfer_waiting: bool = False

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def is_busy(self) -> bool:
        """Work under way that a closure or a transfer would cut short."""
        return (self.housing != "none" or self.transfer_waiting
                or bool(self.referrals_waiting))

    @property
    def international_protection(self) -> bool:
        return self.status.is_international_protection


@dataclass(eq=False)
class KnownShelter:
    id: UUID
    city: City
    name: str
    free: int

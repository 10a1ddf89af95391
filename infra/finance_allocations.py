"""The ministry's allocations file: the allocations a TOML file lists (per city and sub-action),
read and checked, then recorded as AllocationSet events, as the ministry. `lgnet finance
load-allocations FILE` (infra/cli/finance.py) records a file; the demo records its own,
`infra/demo/finance_allocations.demo.toml`, first.

The file is read and checked whole before anything is recorded (every city, sub-action and
amount valid, and their sum within the programme's financed total); each allocation is then one
save, which the domain still checks, so a run stopped halfway leaves whole allocations only and
can simply be run again (setting an allocation to the amount it has changes nothing of the
figures)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from domain.finance.model import PROGRAMME_FINANCED, FinanceError, euros
from domain.finance.service import FinanceService
from domain.programme import Actor, ActorKind, City, Role, SubAction

# Not a person: the process that records, for the ministry, the allocations of a file the
# ministry issued (the events name it, with the ministry's role).
ALLOCATIONS_LOADER = Actor(ActorKind.SYSTEM, "finance-allocations-loader", Role.MINISTRY)

class AllocationFileError(ValueError):
    """Raised when an allocations file is not one the loader can record as it stands."""


@dataclass(frozen=True)
class PlannedAllocation:
    city: City
    sub_action: SubAction
    amount: Decimal


@dataclass(frozen=True)
class AllocationFile:
    reason: str
    allocations: tuple[PlannedAllocation, ...]


def read_allocations(path: Path) -> AllocationFile:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise AllocationFileError(f"{path}: {error}") from None
    reason = document.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise AllocationFileError(f"{path}: give the allocations' `reason`")
    tables = document.get("allocations")
    if not isinstance(tables, dict) or not tables:
        raise AllocationFileError(f"{path}: no [allocations.<city>] table")
    planned = [
        _allocation(path, city, sub_action, amount)
        for city, by_sub_action in tables.items()
        for sub_action, amount in _table(path, city, by_sub_action).items()
    ]
    total = sum((allocation.amount for allocation in planned), Decimal(0))
    if total > PROGRAMME_FINANCED:
        raise AllocationFileError(
            f"{path}: the allocations add up to {total}, more than the programme's financed "
            f"total {PROGRAMME_FINANCED}")
    return AllocationFile(reason.strip(), tuple(planned))


def _table(path: Path, city: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AllocationFileError(f"{path}: [allocations.{city}] must be a table")
    return value


def _allocation(path: Path, city: str, sub_action: str, amount: Any) -> PlannedAllocation:
    where = f"{path}: allocations.{city}.{sub_action}"
    try:
        return PlannedAllocation(City(city), SubAction(sub_action),
                                 euros(Decimal(str(amount)), zero_allowed=True))
    except ValueError:
        raise AllocationFileError(f"{where}: unknown city or sub-action") from None
    except (InvalidOperation, FinanceError):
        raise AllocationFileError(
            f'{where}: write the amount as a string of euros, such as "1234.50"') from None


def load_allocations(finance: FinanceService, path: Path, now: datetime) -> int:
    """Record every allocation of the file at `now`; returns how many."""
    allocations = read_allocations(path)
    for allocation in allocations.allocations:
        finance.set_allocation(allocation.city, allocation.sub_action, allocation.amount,
                               allocations.reason, ALLOCATIONS_LOADER, now)
    return len(allocations.allocations)

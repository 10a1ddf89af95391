"""The ministry's budget files. The grant's budget (issue 13): a TOML file of every
co-beneficiary's direct costs per sub-action and cost heading, read and checked whole, then
adopted in one event (`lgnet finance load-budget FILE`; the demo's is
`infra/demo/finance_budget.demo.toml`, invented and marked so). The per-city allocations of
before the grant's model: the allocations a TOML file lists (per city and sub-action),
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
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from domain.finance.grant import GrantTerms, LineKey, check_budget, euros_text, lines_of
from domain.finance.grant_service import GrantService
from domain.finance.model import PROGRAMME_FINANCED, FinanceError, euros
from domain.finance.service import FinanceService
from domain.programme import Actor, ActorKind, City, Role, SubAction, TermsInForce

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
    document = _document(path)
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


def _document(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise AllocationFileError(f"{path}: {error}") from None


# --- the grant's budget (issue 13) ---------------------------------------------------------------


@dataclass(frozen=True)
class BudgetFile:
    """A budget the ministry adopts: its act, the day, and every co-beneficiary's direct costs
    per sub-action and heading."""

    act_reference: str
    adopted_on: date
    lines: dict[LineKey, Decimal]


def read_budget(path: Path, grant: GrantTerms, terms: TermsInForce) -> BudgetFile:
    """The file's budget, checked whole as the domain will check it (co-beneficiaries, amounts
    in ASCII digits with two decimals, the total cost and the card's shares) before anything is
    recorded. Tables `[budget.<co-beneficiary>."<sub-action>"]`, headings as keys, amounts as
    strings."""
    document = _document(path)
    reference = document.get("act_reference")
    adopted_on = document.get("adopted_on")
    if not isinstance(reference, str) or not reference.strip():
        raise AllocationFileError(f"{path}: give the budget's `act_reference`")
    if not isinstance(adopted_on, date) or isinstance(adopted_on, datetime):
        raise AllocationFileError(f"{path}: give `adopted_on` as a date, such as 2019-07-01")
    tables = document.get("budget")
    if not isinstance(tables, dict) or not tables:
        raise AllocationFileError(f"{path}: no [budget.<co-beneficiary>] table")
    rows: list[tuple[str, str, str, Decimal]] = []
    for who, by_sub_action in tables.items():
        for sub_action, by_heading in _table(path, who, by_sub_action).items():
            for heading, amount in _table(path, f"{who}.{sub_action}", by_heading).items():
                where = f"{path}: budget.{who}.{sub_action}.{heading}"
                if not isinstance(amount, str):
                    raise AllocationFileError(
                        f'{where}: write the amount as a string of euros, such as "1234.50"')
                try:
                    rows.append((who, sub_action, heading,
                                 euros_text(amount, zero_allowed=True)))
                except FinanceError:
                    raise AllocationFileError(
                        f'{where}: write the amount as a string of euros with ASCII digits, '
                        f'such as "1234.50"') from None
    try:
        lines = lines_of(rows)
        check_budget(lines, grant, terms)
    except ValueError:
        raise AllocationFileError(f"{path}: an unknown sub-action or cost heading") from None
    except FinanceError as error:
        raise AllocationFileError(f"{path}: {error.message}") from None
    return BudgetFile(reference.strip(), adopted_on, lines)


def load_budget(grants: GrantService, path: Path, now: datetime) -> int:
    """Adopt the file's budget for the ministry at `now`; returns how many lines it has."""
    budget = read_budget(path, grants.grant, grants.terms.terms_in_force())
    grants.adopt_budget(budget.lines, budget.act_reference, budget.adopted_on,
                        ALLOCATIONS_LOADER, now)
    return len(budget.lines)


def load_allocations(finance: FinanceService, path: Path, now: datetime) -> int:
    """Record every allocation of the file at `now`; returns how many."""
    allocations = read_allocations(path)
    for allocation in allocations.allocations:
        finance.set_allocation(allocation.city, allocation.sub_action, allocation.amount,
                               allocations.reason, ALLOCATIONS_LOADER, now)
    return len(allocations.allocations)

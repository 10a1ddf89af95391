"""`lgnet finance load-allocations FILE`: record the allocations a TOML file lists (per city and
sub-action) as AllocationSet events, as the ministry. The demo's own file,
`finance_allocations.demo.toml`, is loaded with the demo data.

The file is read and checked whole before anything is recorded (every city, sub-action and
amount valid, and their sum within the programme's financed total); each allocation is then one
save, which the domain still checks, so a run stopped halfway leaves whole allocations only and
can simply be run again (setting an allocation to the amount it has changes nothing of the
figures)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from domain.cases.rules import SubAction
from domain.finance.model import PROGRAMME_FINANCED, FinanceError, euros
from domain.finance.service import FinanceService
from domain.network import Actor, ActorKind, City, Role
from infra.eventstore import open_record
from infra.settings import load_settings

DEMO_ALLOCATIONS_FILE = Path(__file__).parents[1] / "demo" / "finance_allocations.demo.toml"
# Not a person: the process that records, for the ministry, the allocations of a file the
# ministry issued (the events name it, with the ministry's role).
ALLOCATIONS_LOADER = Actor(ActorKind.SYSTEM, "finance-allocations-loader", Role.MINISTRY)

finance_app = typer.Typer(help="Budget and expenditure", no_args_is_help=True)


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


@finance_app.command("load-allocations")
def load_allocations_command(
    file: Annotated[Path, typer.Argument(help="A TOML file such as "
                                         "infra/demo/finance_allocations.demo.toml")],
) -> None:
    """Record the allocations of FILE (per city and sub-action) for the ministry."""
    record = open_record(load_settings())
    try:
        count = load_allocations(FinanceService(record), file, datetime.now(UTC))
    except AllocationFileError as error:
        raise typer.BadParameter(str(error), param_hint="FILE") from None
    except FinanceError as error:
        typer.echo(f"Refused: {error.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        record.close()
    typer.echo(f"{count} allocations recorded.")

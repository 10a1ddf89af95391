"""`lgnet finance load-budget FILE`: the ministry adopts the grant's budget a TOML file lists
(every co-beneficiary's direct costs per sub-action and cost heading; issue 13).
`lgnet finance load-allocations FILE`: record the allocations a TOML file lists (per city and
sub-action) as AllocationSet events, as the ministry (infra/finance_allocations.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from domain.amendments.service import ProgrammeTermsService
from domain.finance.grant_service import GrantService
from domain.finance.model import FinanceError
from domain.finance.service import FinanceService
from infra.bootstrap import grant_terms
from infra.document_sources import EvidenceFromDocuments
from infra.finance_allocations import AllocationFileError, load_allocations, load_budget
from infra.settings import load_settings
from infra.store.eventstore import open_record

finance_app = typer.Typer(help="Budget and expenditure", no_args_is_help=True)


@finance_app.command("load-allocations")
def load_allocations_command(
    file: Annotated[Path, typer.Argument(help="A TOML file such as "
                                         "infra/demo/finance_allocations.demo.toml")],
) -> None:
    """Record the allocations of FILE (per city and sub-action) for the ministry."""
    record = open_record(load_settings())
    try:
        finance = FinanceService(record, ProgrammeTermsService(record))
        count = load_allocations(finance, file, datetime.now(UTC))
    except AllocationFileError as error:
        raise typer.BadParameter(str(error), param_hint="FILE") from None
    except FinanceError as error:
        typer.echo(f"Refused: {error.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        record.close()
    typer.echo(f"{count} allocations recorded.")



@finance_app.command("load-budget")
def load_budget_command(
    file: Annotated[Path, typer.Argument(help="A TOML file such as "
                                         "infra/demo/finance_budget.demo.toml")],
) -> None:
    """Adopt the grant's budget of FILE for the ministry: checked whole first (its total is the
    action's total cost, indirect costs included; Florence's the card's share)."""
    settings = load_settings()
    record = open_record(settings)
    try:
        grants = GrantService(record, EvidenceFromDocuments(record),
                              ProgrammeTermsService(record), grant_terms(settings))
        count = load_budget(grants, file, datetime.now(UTC))
    except AllocationFileError as error:
        raise typer.BadParameter(str(error), param_hint="FILE") from None
    except FinanceError as error:
        typer.echo(f"Refused: {error.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        record.close()
    typer.echo(f"Budget adopted: {count} lines.")

"""`lgnet grants ...`: auditors' time-limited access to a city's personal identifiers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from domain.access import MAX_GRANT_DURATION
from domain.programme import City
from infra.cli.cities import city_of_the_network
from infra.cli.platform import opened_accounts
from infra.store.accounts.users import AccountError

grants_app = typer.Typer(help="Auditors' time-limited access to a city's identifiers",
                         no_args_is_help=True)


@grants_app.command("give")
def grants_give(
    auditor: Annotated[str, typer.Argument(help="The auditor's username")],
    city: Annotated[City, typer.Option(
        parser=city_of_the_network, help="The city whose identifiers the auditor may read")],
    hours: Annotated[int, typer.Option(
        min=1, max=MAX_GRANT_DURATION // timedelta(hours=1), help="For how many hours")],
    reason: Annotated[str, typer.Option(help="Why (the audit and its reference; never a "
                                        "person's name)")],
    by: Annotated[str, typer.Option(help="The ministry user who gives the grant")],
) -> None:
    """Let an auditor read one city's personal identifiers for a few hours (as the ministry's
    audit page does). Every reading under the grant is logged."""
    with opened_accounts() as accounts:
        given = accounts.grant_access(by, auditor, city, timedelta(hours=hours), reason)
    print(f"Grant {given.grant_id}: {given.grantee} may read the identifiers of "
          f"{given.city.value} until {given.expires_at:%Y-%m-%d %H:%M} UTC "
          f"(revoke it with lgnet grants revoke {given.grant_id} --by USER).")


@grants_app.command("list")
def grants_list() -> None:
    """List every grant, live or ended, the latest first."""
    now = datetime.now(UTC)
    with opened_accounts() as accounts:
        grants = accounts.grants()
    for grant in grants:
        if grant.revoked_at:
            state = f"revoked {grant.revoked_at:%Y-%m-%d %H:%M} by {grant.revoked_by}"
        else:
            state = "live" if grant.is_live(now) else "expired"
        print(f"{grant.grant_id}  {grant.grantee:20} {grant.city.value:10} "
              f"{grant.granted_at:%Y-%m-%d %H:%M} -> {grant.expires_at:%Y-%m-%d %H:%M} UTC  "
              f"by {grant.granted_by:15} {state:10}  {grant.reason}")
    if not grants:
        print("No grants yet: lgnet grants give AUDITOR --city CITY --hours N --reason WHY --by "
              "USER")


@grants_app.command("revoke")
def grants_revoke(
    grant_id: str,
    by: Annotated[str, typer.Option(help="The ministry user who revokes the grant")],
) -> None:
    """End a live grant now."""
    with opened_accounts() as accounts:
        if accounts.revoke_grant(grant_id, by) is None:
            raise AccountError(f"There is no live grant {grant_id}.")
    print(f"Revoked grant {grant_id}.")


"""`lgnet tokens ...`: partner systems' API tokens (shown once, stored hashed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from domain.programme import City
from events.catalogue import CONTRACTS
from infra.cli.cities import city_of_the_network
from infra.cli.platform import opened_accounts
from infra.store.accounts.partner_tokens import (
    DEFAULT_ROTATION_OVERLAP,
    DEFAULT_TOKEN_LIFETIME,
    MAX_TOKEN_LIFETIME,
    IssuedToken,
)

tokens_app = typer.Typer(help="Partner systems' API tokens", no_args_is_help=True)


def _published_event_kinds() -> set[str]:
    return {f"{contract.aggregate}.{contract.event}" for contract in CONTRACTS.values()}


@tokens_app.command("issue")
def tokens_issue(
    partner: Annotated[str, typer.Argument(help="The partner organisation's name")],
    city: Annotated[list[City], typer.Option(
        parser=city_of_the_network,
        help="A city the agreement covers (repeat the option for several)")],
    kinds: Annotated[str, typer.Option(help="The event kinds the agreement covers, "
                                       "comma-separated, e.g. case.intake_recorded")],
    days: Annotated[int, typer.Option(help="How many days the token lives (at most "
                                      f"{MAX_TOKEN_LIFETIME.days})")]
        = DEFAULT_TOKEN_LIFETIME.days,
) -> None:
    """Issue an API token for a partner system. The token is printed once and stored only
    hashed: hand it over safely."""
    event_kinds = {kind.strip() for kind in kinds.split(",") if kind.strip()}
    unknown = event_kinds - _published_event_kinds()
    if unknown:
        raise SystemExit(f"Error: unknown event kinds {', '.join(sorted(unknown))}; the "
                         f"published ones are {', '.join(sorted(_published_event_kinds()))}.")
    with opened_accounts() as accounts:
        issued = accounts.issue_token(partner, city, event_kinds,
                                      lifetime=timedelta(days=days))
    _print_issued(issued)


def _print_issued(issued: IssuedToken) -> None:
    print(f"Token {issued.details.token_id} for {issued.details.partner}, cities "
          f"{', '.join(sorted(c.value for c in issued.details.agreement.cities))}, kinds "
          f"{', '.join(sorted(issued.details.agreement.event_kinds))}, expires "
          f"{issued.details.expires_at:%Y-%m-%d %H:%M} UTC:\n{issued.token}\n"
          "(shown once: it cannot be read back; rotate it before it expires with lgnet tokens "
          f"rotate {issued.details.token_id}, revoke it with lgnet tokens revoke "
          f"{issued.details.token_id})")


@tokens_app.command("rotate")
def tokens_rotate(
    token_id: str,
    overlap_days: Annotated[int, typer.Option(help="How many more days the old token lives, "
                                              "while the partner switches (0: it ends now)")]
        = DEFAULT_ROTATION_OVERLAP.days,
    days: Annotated[int, typer.Option(help="How many days the new token lives")]
        = DEFAULT_TOKEN_LIFETIME.days,
) -> None:
    """Issue the successor of a live token (same partner and agreement), printed once; the old
    one ends after the overlap."""
    with opened_accounts() as accounts:
        issued = accounts.rotate_token(token_id, overlap=timedelta(days=overlap_days),
                                       lifetime=timedelta(days=days))
    print(f"Token {token_id} ends within {overlap_days} days; its successor:")
    _print_issued(issued)


@tokens_app.command("list")
def tokens_list() -> None:
    """List the partner tokens issued (their ids, never the tokens)."""
    with opened_accounts() as accounts:
        tokens = accounts.tokens()
    now = datetime.now(UTC)
    for token in tokens:
        state = (f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at
                 else f"live until {token.expires_at:%Y-%m-%d}" if token.is_live(now)
                 else f"expired {token.expires_at:%Y-%m-%d}")
        print(f"{token.token_id}  {token.partner:30} "
              f"{','.join(sorted(c.value for c in token.agreement.cities)):20} "
              f"{','.join(sorted(token.agreement.event_kinds)):30} {state}")
    if not tokens:
        print("No tokens yet: lgnet tokens issue PARTNER --city CITY --kinds KINDS")


@tokens_app.command("revoke")
def tokens_revoke(token_id: str) -> None:
    """Revoke a partner token: it is refused from the next request on."""
    with opened_accounts() as accounts:
        accounts.revoke_token(token_id)
    print(f"Revoked token {token_id}.")


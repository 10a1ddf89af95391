"""`lgnet users ...`: the people who sign in to the web pages."""

from __future__ import annotations

from typing import Annotated

import typer

from domain.programme import City, Role
from infra.cli.cities import city_of_the_network
from infra.cli.platform import opened_accounts
from infra.settings import load_settings
from infra.store.accounts.demo import DEMO_CREDENTIALS_FILE_NAME, read_demo_credentials
from infra.store.accounts.users import generate_password

users_app = typer.Typer(help="People who sign in to the web pages", no_args_is_help=True)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Lower-case letters, digits, '.', '_', '-'")],
    role: Annotated[Role, typer.Option(help="ministry, city_coordinator, city_operator or "
                                       "auditor")],
    city: Annotated[City | None, typer.Option(
        parser=city_of_the_network, help="The city of a coordinator or operator")] = None,
    name: Annotated[str | None, typer.Option(help="The name shown on the pages")] = None,
    generate: Annotated[bool, typer.Option("--generate-password", help="Make up a password and "
                                           "print it, instead of asking for one")] = False,
) -> None:
    """Add a user who signs in with a password (asked for, or generated and printed once)."""
    if generate:
        password = generate_password()
    else:
        password = typer.prompt("Password (12 characters at least)", hide_input=True,
                                confirmation_prompt=True)
    with opened_accounts() as accounts:
        user = accounts.add_user(username, role, password, city=city, display_name=name)
    print(f"Added {user.username} ({user.role.value}"
          f"{', ' + user.city.value if user.city else ''}).")
    if generate:
        print(f"Password: {password}\n(shown once: hand it over safely; it is stored only hashed)")


@users_app.command("list")
def users_list() -> None:
    """List the users, disabled ones included."""
    with opened_accounts() as accounts:
        users = accounts.users()
    for user in users:
        print(f"{user.username:24} {user.role.value:17} {(user.city or '') :10} "
              f"{'DISABLED ' if user.disabled else ''}{user.display_name}")
    if not users:
        print("No users yet: lgnet users add USERNAME --role ROLE")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable a user: they cannot sign in any more, and their open sessions end at once."""
    with opened_accounts() as accounts:
        accounts.disable_user(username)
    print(f"Disabled {username}; their sessions are ended.")


@users_app.command("reset-second-factor")
def users_reset_second_factor(username: str) -> None:
    """Forget a user's second factor and recovery codes (a lost phone) and end their sessions:
    at the next sign-in they set up a new one (/account/second-factor)."""
    with opened_accounts() as accounts:
        if username not in {user.username for user in accounts.users()}:
            raise SystemExit(f"There is no user {username}.")
        had = accounts.reset_second_factor(username)
    print(f"The second factor of {username} is reset; their sessions are ended."
          if had else f"{username} had no second factor; their sessions are ended.")



@users_app.command("demo")
def users_demo() -> None:
    """Print the demo users and their passwords (made by `lgnet run` on a platform with no user
    yet, and kept in <data dir>/demo-credentials.txt, mode 0600)."""
    path = load_settings().data_dir / DEMO_CREDENTIALS_FILE_NAME
    credentials = read_demo_credentials(path)
    if not credentials:
        raise SystemExit(f"No demo users: {path} does not exist (`lgnet run` makes them on a "
                         "platform with no user yet).")
    print(f"DEMO credentials (invented users, never for real data; kept in {path}):")
    for username, password, role, city in credentials:
        print(f"  {username:22} {password:22} {role}{f' ({city})' if city else ''}")

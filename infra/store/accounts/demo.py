"""The demo's users: made with random passwords where there is no user yet, their credentials
kept in a file (mode 0600) for later starts to print again. Never for a deployment with real
accounts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from domain.programme import City, Role
from infra.store.accounts.users import AccountError, Users, generate_password

DEMO_CREDENTIALS_FILE_NAME = "demo-credentials.txt"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    city: City | None = None


DEMO_ACCOUNTS = (
    DemoAccount("firenze.coordinatore", "Coordinatore demo, Firenze", Role.CITY_COORDINATOR,
                City.FIRENZE),
    DemoAccount("firenze.operatore", "Operatore demo, Firenze", Role.CITY_OPERATOR, City.FIRENZE),
    DemoAccount("milano.coordinatore", "Coordinatore demo, Milano", Role.CITY_COORDINATOR,
                City.MILANO),
    DemoAccount("milano.operatore", "Operatore demo, Milano", Role.CITY_OPERATOR, City.MILANO),
    DemoAccount("roma.coordinatore", "Coordinatore demo, Roma", Role.CITY_COORDINATOR, City.ROMA),
    DemoAccount("ministero", "Ministero dell'Interno (demo)", Role.MINISTRY),
    DemoAccount("revisore", "Revisore demo", Role.AUDITOR),
)


def create_demo_accounts(accounts: Users, credentials_file: Path) -> None:
    """Create the demo users with fresh random passwords, and keep their credentials in
    `credentials_file` (mode 0600) so that later starts can print them again. Only for a
    platform with no users yet: never in a deployment with real accounts."""
    if accounts.has_users():
        raise AccountError("Demo users are only created where there is no user yet.")
    lines = []
    for demo in DEMO_ACCOUNTS:
        password = generate_password()
        accounts.add_user(demo.username, demo.role, password, city=demo.city,
                          display_name=demo.display_name)
        lines.append(f"{demo.username}\t{password}\t{demo.role.value}"
                     f"\t{demo.city.value if demo.city else ''}\n")
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("# LGNetEA demo credentials (username, password, role, city): demo only\n")
        file.writelines(lines)


def read_demo_credentials(credentials_file: Path) -> list[tuple[str, str, str, str]]:
    """(username, password, role, city) of each demo user, or [] without the file."""
    try:
        text = credentials_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    credentials = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            username, password, role, city = line.split("\t")
            credentials.append((username, password, role, city))
    return credentials

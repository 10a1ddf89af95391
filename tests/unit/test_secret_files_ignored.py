"""Issue 18 item 19: files that hold secrets cannot be committed by accident (.gitignore), and no
command of `lgnet` takes a password as an argument, where `ps` shows it to every local user."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer

from infra.cli.main import app

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", [
    ".env", ".env.production", ".env.local", "deploy/tls/server.pem", "certs/ca.key",
    "vault-master.key", "infra/nats/client.key",
])
def test_files_that_hold_secrets_are_ignored(path: str) -> None:
    checked = subprocess.run(["git", "check-ignore", "--no-index", "--quiet", path],
                             cwd=REPOSITORY, check=False)

    assert checked.returncode == 0, f"{path} is not ignored"


@pytest.mark.parametrize("path", [".env.example", "infra/settings.py", "docs/operations.md"])
def test_ordinary_files_are_not(path: str) -> None:
    checked = subprocess.run(["git", "check-ignore", "--no-index", "--quiet", path],
                             cwd=REPOSITORY, check=False)

    assert checked.returncode == 1


def test_no_command_takes_a_password_token_or_secret_as_an_option() -> None:
    def options(command: Any, path: str) -> list[tuple[str, str]]:
        found = [(path, name) for parameter in command.params
                 for name in getattr(parameter, "opts", [])]
        for name, sub in getattr(command, "commands", {}).items():
            found += options(sub, f"{path} {name}")
        return found

    every_option = options(typer.main.get_command(app), "lgnet")

    assert len(every_option) > 20  # the walk found the commands
    secret_words = ("password", "secret", "token")
    offending = [(path, name) for path, name in every_option
                 if name.startswith("-") and any(word in name for word in secret_words)
                 and not name.endswith(("-file", "generate-password"))]
    assert offending == []

"""compose.yaml cannot run here (no Docker engine): check its shape and that every service's
command is a real `lgnet` command. And the settings fail clearly on bad values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from infra.cli.main import app
from infra.settings import DEFAULT_EMBEDDED_NATS_PORT, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def lgnet_commands() -> set[tuple[str, ...]]:
    """Every command path of the CLI, e.g. ("relay",) and ("projections", "rebuild")."""
    paths: set[tuple[str, ...]] = set()

    def walk(command: object, prefix: tuple[str, ...]) -> None:
        children = getattr(command, "commands", None)
        if not children:
            paths.add(prefix)
            return
        for name, child in children.items():
            walk(child, (*prefix, name))

    walk(typer.main.get_command(app), ())
    return paths


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_compose_has_a_three_node_nats_cluster_postgres_and_the_three_app_services(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert {"nats-1", "nats-2", "nats-3", "postgres", "web", "relay", "projector"} <= set(services)
    for name in ("nats-1", "nats-2", "nats-3"):
        command = services[name]["command"]
        # The cluster, its routes and TLS are in the configuration file (issue 18, item 16).
        assert "-js" in command and command[:2] == ["-c", "/etc/nats/lgnet-tls.conf"]
        assert "./infra/nats/cluster-tls.conf:/etc/nats/lgnet-tls.conf:ro" in (
            services[name]["volumes"])
    tls = (ROOT / "infra" / "nats" / "cluster-tls.conf").read_text()
    assert tls.count("tls {") == 2 and "verify: true" in tls  # clients, and routes verified
    assert 'include "lgnet.conf"' in tls and 'name: "lgnet"' in tls


def test_the_stack_speaks_tls_and_has_no_default_password(compose: dict[str, Any]) -> None:
    text = (ROOT / "compose.yaml").read_text()
    assert "change-me" not in text
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == (
        "${LGNET_DB_PASSWORD:?set LGNET_DB_PASSWORD}")  # noqa: S105  (a reference, no password)
    for name in ("web", "relay", "projector", "partner-feed", "age-job"):
        environment = compose["services"][name]["environment"]
        urls = [environment["LGNET_NATS_URL"], environment.get("LGNET_PARTNER_NATS_URL") or ""]
        assert all(server.strip().startswith("tls://")
                   for url in urls if url for server in url.split(",")), name
        assert environment["LGNET_NATS_TLS_CA_FILE"] == "/run/lgnet/nats-tls/ca.pem"
        assert "LGNET_SECURE_COOKIES" not in environment  # secure by default in `lgnet web`
    assert compose["services"]["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_each_service_holds_only_the_keys_it_needs(compose: dict[str, Any]) -> None:
    """Issue 18, item 15: the vault's keys only where persons' data is read, the audit signing
    key only in the relay; the web app serves the public key without holding the private."""
    secrets_dir = "${LGNET_SECRETS_DIR:-./secrets}"
    mounts = {name: {volume.removeprefix(secrets_dir).split(":")[0]: volume
                     for volume in service.get("volumes", []) if secrets_dir in volume}
              for name, service in compose["services"].items()}
    holding_vault_keys = {name for name, held in mounts.items() if "/vault" in held}
    assert holding_vault_keys == {"web", "age-job"}
    holding_signing_key = {name for name, held in mounts.items() if "/audit" in held}
    assert holding_signing_key == {"relay"}
    assert mounts["web"]["/audit/checkpoint-public-key.pem"].endswith(":ro")
    assert all(volume.endswith(":ro") for held in mounts.values() for volume in held.values())
    assert not any("/app/var" == volume.split(":")[1] for service in compose["services"].values()
                   for volume in service.get("volumes", []))  # no data dir shared by all


def test_every_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    missing = [
        name for name, service in compose["services"].items() if "healthcheck" not in service
    ]
    assert missing == []


def test_every_app_service_runs_an_existing_lgnet_command(compose: dict[str, Any]) -> None:
    commands = lgnet_commands()
    app_services = {
        n: s for n, s in compose["services"].items() if s.get("command", [""])[0] == "lgnet"
    }
    assert set(app_services) == {"web", "relay", "projector", "partner-feed"}
    for name, service in app_services.items():
        assert tuple(service["command"][1:]) in commands, name
        assert tuple(service["healthcheck"]["test"][2:]) in commands, name


def test_app_services_are_configured_by_the_documented_settings(compose: dict[str, Any]) -> None:
    known = {f"LGNET_{name.upper()}" for name in Settings.model_fields}
    for name in ("web", "relay", "projector", "partner-feed"):
        environment = compose["services"][name]["environment"]
        assert "LGNET_DATABASE_URL" in environment and "LGNET_NATS_URL" in environment
        assert set(environment) <= known, name
        settings = Settings(**{k.removeprefix("LGNET_").lower(): v for k, v in environment.items()})
        assert settings.uses_postgres and not settings.embedded_nats
        assert len(settings.nats_servers) == 3


def test_default_embedded_nats_port_avoids_the_standard_one() -> None:
    assert Settings().nats_port == DEFAULT_EMBEDDED_NATS_PORT != 4222


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LGNET_HTTP_PORT", "eighty"),
        ("LGNET_HTTP_PORT", "70000"),
        ("LGNET_NATS_URL", "http://localhost:4222"),
        ("LGNET_DATABASE_URL", "mysql://x/y"),
        ("LGNET_DATABASE_URL", "postgresql://localhost"),
    ],
)
def test_invalid_settings_stop_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert variable in str(raised.value)

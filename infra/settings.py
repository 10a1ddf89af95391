"""The platform's settings: one class, read from LGNET_* environment variables (and `.env`)."""

from __future__ import annotations

import ipaddress
import os
from decimal import Decimal
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# 4222 is NATS's standard port and often taken by a system server: the embedded one avoids it.
DEFAULT_EMBEDDED_NATS_PORT = 4333
VAULT_KEY_FILE_NAME = "vault-master.key"
BLIND_INDEX_KEY_FILE_NAME = "blind-index.key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LGNET_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where SQLite files, the vault and "
                           "the embedded NATS JetStream store live")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    nats_url: str | None = Field(default=None, description="Connect to this NATS server and "
                                 "start no embedded one")
    partner_nats_url: str | None = Field(default=None, description="NATS URL(s) of the partner "
                                         "feed's user in the PARTNERS account (production; the "
                                         "embedded server derives it)")
    nats_port: int = Field(default=DEFAULT_EMBEDDED_NATS_PORT, ge=1, le=65535)
    nats_public_host: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9.\[\]:-]+:[0-9]{1,5}$",
        description="host:port partners and auditors reach NATS at, as the AsyncAPI document's "
        "servers name it; default the host of LGNET_PARTNER_NATS_URL / LGNET_NATS_URL, or the "
        "embedded server's")
    database_url: str | None = Field(default=None, description="postgresql://... for the event "
                                     "store and read models; unset for SQLite in the data dir")
    stream_replicas: int = Field(default=1, ge=1, le=5, description="JetStream replicas of the "
                                 "LGNET stream: 1 embedded, 3 on a cluster")
    vault_key_file: Path | None = Field(default=None, description="The vault's master key "
                                        "(epoch 0; later epochs beside it, see `lgnet vault "
                                        "rotate`); default <key_dir>/vault-master.key, created "
                                        "on first use")
    blind_index_key_file: Path | None = Field(default=None, description="The key of the "
                                              "duplicate check's blind index; default "
                                              "<key_dir>/blind-index.key, created on first use")
    nats_tls_ca_file: Path | None = Field(default=None, description="The CA certificate "
                                          "(PEM) that signed the NATS servers' certificates: "
                                          "with tls:// in LGNET_NATS_URL, every connection "
                                          "checks the server against it")
    key_dir: Path | None = Field(default=None, description="Where the vault's keys live, "
                                 "outside the data dir so that a copy of it opens nothing; "
                                 "default <data_dir>-keys beside the data dir")
    read_your_writes_timeout: float = Field(default=3.0, gt=0, le=60)
    checkpoint_interval: int = Field(default=1000, ge=1, description="The relay signs the audit "
                                     "chain every this many published events")
    secure_cookies: bool | None = Field(default=None, description="Mark the session cookie "
                                        "Secure (named __Host-..., with HSTS) even on plain "
                                        "http, as behind a proxy that terminates TLS. Unset: "
                                        "on, except under `lgnet run` (`make run`)")
    checkpoint_seconds: float = Field(default=60.0, gt=0, le=24 * 3600, description="... and "
                                      "at least this often while events are published")
    audit_public_key_fingerprint: str | None = Field(default=None, description="The pinned "
                                                     "SHA-256 fingerprint of the checkpoint "
                                                     "public key (docs/audit.md)")
    deployment_id: str | None = Field(default=None, pattern=r"^[0-9A-Za-z._-]{1,64}$",
                                      description="Named in every signed checkpoint; default: "
                                      "made once in <data_dir>/audit/deployment-id")
    audit_witness_file: Path | None = Field(default=None, description="The append-only file "
                                            "of signed heads; default "
                                            "<data_dir>/audit/signed-heads.jsonl")
    second_factor: Literal["required", "off"] | None = Field(default=None, description="required: "
                                                          "coordinators, ministry and auditors "
                                                          "must set up a TOTP second factor "
                                                          "before anything else; off: nobody "
                                                          "must (whoever has one is still asked"
                                                          " it). Unset: required, except under "
                                                          "`lgnet run` (`make run`)")
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60, description="A session "
                                      "ends after this many minutes without a request")
    session_hours: int = Field(default=8, ge=1, le=7 * 24, description="A session ends this "
                               "many hours after sign-in, active or not")
    document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024,
                                    description="The largest file accepted as a document "
                                    "(docs/workflows/documents.md)")
    document_expiry_warning_days: int = Field(default=30, ge=0, le=365, description="A "
                                              "document enters the work queue this many days "
                                              "before it expires")
    finance_co_financing_rate: Decimal = Field(
        default=Decimal("0.90"), gt=0, le=1, max_digits=5, decimal_places=4,
        description="The share of the action's total cost the grant finances "
        "(docs/workflows/finance.md)")
    finance_indirect_rate: Decimal = Field(
        default=Decimal("0.07"), ge=0, le=Decimal("0.25"), max_digits=5, decimal_places=4,
        description="Indirect costs as a flat rate on direct costs")
    finance_confirmation_threshold: Decimal = Field(
        default=Decimal("50000.00"), ge=0, max_digits=12, decimal_places=2,
        description="An admission of a claim above this many euros waits for a second "
        "ministry user's confirmation")

    inactive_case_days: int = Field(default=30, ge=1, le=365, description="The work queue "
                                    "lists an open case on which its city's staff recorded "
                                    "nothing for this many days")
    work_queue_days: int = Field(default=7, ge=1, le=90, description="The work queue lists "
                                 "what is overdue and what falls due within this many days")

    trusted_proxies: str = Field(default="", description="Comma-separated addresses or networks "
                                 "(CIDR) of the reverse proxies in front of the web server: only "
                                 "from these is X-Forwarded-For believed, and only with them does "
                                 "the sign-in throttle also limit each client address; default "
                                 "none (not even 127.0.0.1)")
    vault_pending_grace_seconds: int = Field(
        default=600, ge=0, le=7 * 24 * 3600, description="A person the vault holds for an "
        "intake whose case is still not saved after this many seconds (the process died between "
        "the two writes) is shredded by the sweep, at start and every "
        "LGNET_VAULT_SWEEP_SECONDS; longer than any intake takes")
    vault_sweep_seconds: int = Field(default=300, ge=1, le=24 * 3600, description="How often "
                                     "the web process sweeps the vault's pending persons")
    fault_crash_at: str | None = Field(default=None, description="Fault injection, for tests "
                                       "only: the process exits at once (status 137, as if "
                                       "killed) when a command reaches this named point (see "
                                       "infra/faults.py); unset in production")
    fault_part_dies: str | None = Field(
        default=None, pattern=r"^[a-z-]+:[1-9][0-9]*:[0-9]+(\.[0-9]+)?$",
        description="Fault injection, for tests only: NAME:TIMES:SECONDS makes the in-process "
        "part NAME (relay, projector, partner-feed, age-job, vault-sweep) die with an exception "
        "SECONDS after each of its first TIMES starts, so that its supervision in `lgnet run` "
        "can be seen (infra/faults.py); unset in production")

    nats_max_file_store: str = Field(default="10G", pattern=r"^[1-9][0-9]*[KMGT]?$",
                                     description="The embedded NATS server's JetStream disk "
                                     "budget (max_file_store: a number of bytes, or with K, M, "
                                     "G or T); past it the relay waits and readiness turns red "
                                     "(docs/operations.md, \"JetStream storage\")")
    ready_relay_lag: int = Field(default=1000, ge=1, description="/health/ready fails while "
                                 "more events than this wait in the store to be published")
    ready_projector_lag: int = Field(default=1000, ge=1, description="/health/ready fails while "
                                     "more published events than this wait to be projected")

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_are_addresses(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            if not item:
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (CIDR); '*' is "
                                 "not accepted: name the proxies") from None
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

    @field_validator("nats_url", "partner_nats_url")
    @classmethod
    def _nats_url_is_a_nats_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        for server in value.split(","):
            parsed = urlparse(server.strip())
            if parsed.scheme not in ("nats", "tls", "ws", "wss") or not parsed.hostname:
                raise ValueError("must look like nats://host:port (several: comma-separated)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_is_postgres(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("postgresql", "postgres") or not parsed.path.strip("/"):
            raise ValueError("must look like postgresql://user@host:5432/dbname")
        return value

    @property
    def uses_postgres(self) -> bool:
        return self.database_url is not None

    @property
    def embedded_nats(self) -> bool:
        return self.nats_url is None

    @property
    def effective_nats_url(self) -> str:
        return self.nats_url or f"nats://127.0.0.1:{self.nats_port}"

    @property
    def nats_servers(self) -> list[str]:
        """The server URLs to give a NATS client (a cluster's seeds, or the embedded one)."""
        return [server.strip() for server in self.effective_nats_url.split(",")]

    @property
    def key_directory(self) -> Path:
        """LGNET_KEY_DIR, or a directory beside the data dir (never inside it)."""
        if self.key_dir is not None:
            return self.key_dir
        data_dir = self.data_dir.absolute()
        return data_dir.parent / f"{data_dir.name}-keys"

    @property
    def vault_key_path(self) -> Path:
        return self.vault_key_file or _kept_where_it_was(
            self.data_dir / VAULT_KEY_FILE_NAME, self.key_directory / VAULT_KEY_FILE_NAME)

    @property
    def blind_index_key_path(self) -> Path:
        return self.blind_index_key_file or _kept_where_it_was(
            self.data_dir / BLIND_INDEX_KEY_FILE_NAME,
            self.key_directory / BLIND_INDEX_KEY_FILE_NAME)


def _kept_where_it_was(legacy: Path, default: Path) -> Path:
    """A key that earlier versions made in the data dir stays in use there until its owner moves
    it (docs/operations.md, "Keys"); a new key is made in the key directory."""
    if legacy.exists() and not default.exists():
        return legacy
    return default


class SettingsError(SystemExit):
    """Raised at start when the environment holds an invalid setting; prints which and why."""


def load_settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as error:
        lines = ["Invalid LGNET_* settings:"]
        for problem in error.errors():
            name = "LGNET_" + "_".join(str(p) for p in problem["loc"]).upper()
            lines.append(f"  {name}: {problem['msg']}")
        raise SettingsError("\n".join(lines)) from None
    trust_nats_ca(settings)
    return settings


def trust_nats_ca(settings: Settings) -> None:
    """Make LGNET_NATS_TLS_CA_FILE the CA this process trusts. nats-py opens a tls:// server
    with Python's default TLS context, which verifies the server's certificate and host name
    against the CA file OpenSSL is told of (SSL_CERT_FILE): every NATS connection of the
    platform (relay, projector, partner feed, web, tools) then checks the servers without each
    being given a context of its own. The platform makes no other TLS connection."""
    if settings.nats_tls_ca_file is None:
        return
    if not settings.nats_tls_ca_file.is_file():
        raise SettingsError(f"Invalid LGNET_* settings:\n  LGNET_NATS_TLS_CA_FILE: "
                            f"{settings.nats_tls_ca_file} is not a file")
    os.environ["SSL_CERT_FILE"] = str(settings.nats_tls_ca_file)

"""Every `lgnet` command: run the platform or one of its parts, rebuild projections, print the
event contracts, load demo data, manage users, partner API tokens and auditors' grants. Each
command group is a module of infra.cli; this one puts them together (infra.cli.main runs it)."""

from __future__ import annotations

import typer

from infra.cli import demo, run
from infra.cli.audit import audit_app
from infra.cli.backup import backup_command, restore_command
from infra.cli.cases import cases_app
from infra.cli.cluster import cluster_app
from infra.cli.events import events_app
from infra.cli.finance import finance_app
from infra.cli.grants import grants_app
from infra.cli.identity import identity_app
from infra.cli.nats_users import nats_app
from infra.cli.programme import programme_app
from infra.cli.projections import projections_app
from infra.cli.replay import replay_command
from infra.cli.tokens import tokens_app
from infra.cli.users import users_app
from infra.cli.vault import vault_app

app = typer.Typer(help="LGNetEA coordination platform", no_args_is_help=True)
# Commands first, then groups: the order `lgnet --help` lists them in.
app.command("partner-feed")(run.partner_feed_command)
app.command("replay")(replay_command)
app.command()(run.run)
app.command()(run.web)
app.command()(run.relay)
app.command()(run.projector)
app.command()(run.check)
app.command()(demo.demo)
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.add_typer(cases_app, name="cases")
app.add_typer(identity_app, name="identity")
app.add_typer(events_app, name="events")
app.add_typer(nats_app, name="nats")
app.add_typer(projections_app, name="projections")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(grants_app, name="grants")
app.add_typer(audit_app, name="audit")
app.add_typer(finance_app, name="finance")
app.add_typer(programme_app, name="programme")
app.add_typer(vault_app, name="vault")
app.add_typer(cluster_app, name="cluster")


"""The commands that print secrets on request (issue 18, item 13): `lgnet run` names them
instead of printing passwords (tests/e2e/test_platform_process.py greps its output)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from infra.cli.main import app
from infra.nats.auth import OBSERVER_USER
from infra.nats.credentials import embedded_credentials, nats_banner_lines
from infra.settings import Settings
from infra.store.accounts.demo import DEMO_CREDENTIALS_FILE_NAME


def test_lgnet_users_demo_prints_the_demo_passwords_from_their_private_file(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["users", "demo"], env={"LGNET_DATA_DIR": str(tmp_path)})
    assert missing.exit_code != 0 and "No demo users" in missing.output
    (tmp_path / DEMO_CREDENTIALS_FILE_NAME).write_text(
        "# header\nministero\tS3cret-Pw-123456\tministry\t\n"
        "firenze.operatore\tAn0ther-Pw-654321\tcity_operator\tfirenze\n")
    shown = runner.invoke(app, ["users", "demo"], env={"LGNET_DATA_DIR": str(tmp_path)})
    assert shown.exit_code == 0
    assert "S3cret-Pw-123456" in shown.output and "An0ther-Pw-654321" in shown.output
    assert "firenze.operatore" in shown.output and "(firenze)" in shown.output


def test_the_banner_names_the_nats_credentials_file_and_lgnet_nats_urls_prints_them(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, nats_port=4399)
    password = embedded_credentials(settings)[OBSERVER_USER]
    banner = "\n".join(nats_banner_lines(settings, with_passwords=False))
    assert password not in banner
    assert str(tmp_path / "nats-credentials.json") in banner and "`lgnet nats urls`" in banner
    printed = CliRunner().invoke(app, ["nats", "urls"], env={
        "LGNET_DATA_DIR": str(tmp_path), "LGNET_NATS_PORT": "4399"})
    assert printed.exit_code == 0
    assert f"nats://observer:{password}@127.0.0.1:4399" in printed.output

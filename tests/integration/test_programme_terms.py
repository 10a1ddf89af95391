"""The Ministry's decisions end to end: recorded with `lgnet programme ...` by a Ministry user,
published by the relay as CloudEvents of the whole network (checked against their contracts by
tests/contract_check.py, and chained like every event), and read by the services of every
context (issue 12, items 10 and 11)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.amendments.service import ProgrammeTermsService
from events.cloudevents import CHAIN_HASH, CHAIN_SEQ
from infra.bootstrap import build_platform
from infra.cli.demo import DEMO_ACT, extend_for_trying
from infra.cli.main import app
from infra.nats.server import EmbeddedNats
from infra.settings import Settings
from infra.store.eventstore import open_record
from tests.conftest import relayed

PASSWORD = "a long enough test password"  # noqa: S105


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LGNET_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LGNET_DATABASE_URL", raising=False)
    runner = CliRunner()
    for username, role in (("ministero", "ministry"), ("revisore", "auditor")):
        added = runner.invoke(app, ["users", "add", username, "--role", role],
                              input=f"{PASSWORD}\n{PASSWORD}\n")
        assert added.exit_code == 0, added.output
    return runner


def decide(cli: CliRunner, *arguments: str, by: str = "ministero") -> tuple[int, str]:
    result = cli.invoke(app, ["programme", *arguments, "--by", by])
    return result.exit_code, result.output


def test_the_ministry_records_its_decisions_and_anyone_else_is_refused(
    cli: CliRunner, tmp_path: Path,
) -> None:
    today = datetime.now(UTC).date().isoformat()
    extended = decide(cli, "extend", "--until", "2022-06-30", "--decided-on", "2021-11-12",
                      "--act", "DM 123/2021")
    withdrawn = decide(cli, "withdraw-city", "trieste", "--from", "2022-03-01",
                       "--decided-on", "2021-11-12", "--act", "DM 7/2021")
    times = decide(cli, "answer-times", "--immediate-hours", "12", "--urgent-hours", "48",
                   "--ordinary-hours", "240", "--decided-on", today, "--act", "Circ. 5")
    weights = decide(cli, "priority-weights", "--international-protection", "5000",
                     "--vulnerability", "365", "--per-day", "1", "--days-counted", "999",
                     "--decided-on", today, "--act", "DM 44")
    by_an_auditor = decide(cli, "extend", "--until", "2022-12-31", "--decided-on", today,
                           "--act", "DM 9", by="revisore")
    not_an_extension = decide(cli, "extend", "--until", "2022-01-31", "--decided-on", today,
                              "--act", "DM 10")
    protection_not_first = decide(cli, "priority-weights", "--international-protection", "100",
                                  "--vulnerability", "100", "--per-day", "1",
                                  "--days-counted", "10", "--decided-on", today, "--act", "DM 11")
    shown = cli.invoke(app, ["programme", "show"])

    for code, output in (extended, withdrawn, times, weights):
        assert code == 0, output
        assert "Recorded (event position" in output
    assert "Period: 2019-07-01 to 2022-06-30" in extended[1]
    assert by_an_auditor[0] != 0 and "not an active Ministry user" in by_an_auditor[1]
    assert not_an_extension[0] == 1
    assert "Refused: The new end must come after the end in force (2022-06-30)." in (
        not_an_extension[1])
    assert protection_not_first[0] == 1 and "in via primaria" in protection_not_first[1]
    assert shown.exit_code == 0, shown.output
    assert "Referral answer times: immediate 12, urgent 48, ordinary 240 (hours)" in shown.output
    assert ("Priority points: international protection 5000, vulnerability 365, 1 a day "
            "waited up to 999 days") in shown.output
    assert "city_withdrawn decided 2021-11-12, act DM 7/2021" in shown.output
    record = open_record(Settings(data_dir=tmp_path / "var"))
    try:
        # established + four decisions: the refused ones wrote nothing
        assert record.recorder.max_notification_id() == 5
        terms = ProgrammeTermsService(record).terms_in_force()
        assert terms.period.ends_on == date(2022, 6, 30)
        assert terms.answer_times.urgent == timedelta(hours=48)
        assert terms.priority_weights.vulnerability == 365
    finally:
        record.close()


@pytest.mark.nats
async def test_the_decisions_are_published_to_the_whole_network_and_chained(
    cli: CliRunner, tmp_path: Path, nats_server: EmbeddedNats,
) -> None:
    code, output = decide(cli, "extend", "--until", "2022-06-30", "--decided-on", "2021-11-12",
                          "--act", "DM 123/2021")
    assert code == 0, output
    record = open_record(Settings(data_dir=tmp_path / "var"))
    try:
        established, extended = await relayed(record, nats_server.url)
    finally:
        record.close()

    assert established.subject == "lgnet.network.programme.established"
    assert extended.subject == "lgnet.network.programme.period_extended"
    headers = extended.headers or {}
    assert headers["ce-type"] == "it.lgnet.programme.period_extended.v1"
    assert headers["ce-source"] == "/lgnet/network"
    assert headers["ce-subject"] == "programme-terms"
    assert (headers["ce-actorrole"], headers["ce-actorid"]) == ("ministry", "ministero")
    assert "ce-actorcity" not in headers
    assert headers[CHAIN_SEQ] == "2" and len(headers[CHAIN_HASH]) == 64
    body = json.loads(extended.data)
    assert body | {"terms_id": ""} == {
        "terms_id": "", "city": "network", "decided_on": "2021-11-12",
        "act_reference": "DM 123/2021", "ends_on": "2022-06-30",
        "previous_ends_on": "2021-12-31"}
    assert json.loads(established.data)["cities"][:2] == ["agrigento", "bari"]


def test_the_first_start_demo_extends_the_period_with_an_invented_act_said_to_be_one(
    tmp_path: Path,
) -> None:
    """`make run` on today's date: the demo's programme ended in 2021, so the first start
    records a decision labelled as invented, and a real deployment (no demo) has none."""
    platform = build_platform(Settings(data_dir=tmp_path))
    try:
        on_a_day_in_2026 = datetime(2026, 12, 6, 9, tzinfo=UTC)
        assert extend_for_trying(platform, on_a_day_in_2026) == date(2026, 12, 31)
        assert extend_for_trying(platform, on_a_day_in_2026) is None  # once
        terms = platform.programme_terms.terms_in_force()
        assert terms.period.ends_on == date(2026, 12, 31)
        decision = platform.programme_terms.amendments()[-1]
        assert decision.act_reference == DEMO_ACT == "DEMO - non è un atto reale"
        assert decision.actor == {"kind": "system", "id": "lgnet-demo", "role": "ministry",
                                  "city": None}
        assert decision.decided_on == date(2026, 12, 6)
    finally:
        platform.close()


@pytest.mark.nats
async def test_a_new_partner_city_is_admitted_from_the_command_line_and_published_whole(
    cli: CliRunner, tmp_path: Path, nats_server: EmbeddedNats,
) -> None:
    """Issue 12 item 10: a city the platform never knew joins with no code change; partners
    and read models learn its name and province code from `programme.city_joined` v2."""
    act = ("--from", "2021-12-01", "--decided-on", "2021-11-12", "--act", "DM 12/2021")
    nameless = decide(cli, "admit-city", "verona", *act)
    not_a_slug = decide(cli, "admit-city", "Verona!", *act, "--name", "Verona",
                        "--province-code", "VR")
    code_taken = decide(cli, "admit-city", "verona", *act, "--name", "Verona",
                        "--province-code", "RM")
    admitted = decide(cli, "admit-city", "verona", *act, "--name", "Verona",
                      "--province-code", "VR")
    coordinator = cli.invoke(app, ["users", "add", "verona.coord", "--role",
                                   "city_coordinator", "--city", "verona"],
                             input=f"{PASSWORD}\n{PASSWORD}\n")
    unknown_city = cli.invoke(app, ["users", "add", "x.coord", "--role", "city_coordinator",
                                    "--city", "atlantide"], input=f"{PASSWORD}\n{PASSWORD}\n")

    assert nameless[0] == 1 and "needs its name" in nameless[1]
    assert not_a_slug[0] == 2 and "not a city's slug" in not_a_slug[1]
    assert code_taken[0] == 1 and "numbers the cases of Roma" in code_taken[1]
    assert admitted[0] == 0, admitted[1]
    assert "Partner cities today: 20" in admitted[1]
    assert coordinator.exit_code == 0, coordinator.output
    assert unknown_city.exit_code == 2 and "not a city of the network" in unknown_city.output
    record = open_record(Settings(data_dir=tmp_path / "var"))
    try:
        _established, joined = await relayed(record, nats_server.url)
    finally:
        record.close()
    headers = joined.headers or {}
    assert joined.subject == "lgnet.network.programme.city_joined"
    assert headers["ce-type"] == "it.lgnet.programme.city_joined.v2"
    assert json.loads(joined.data) | {"terms_id": ""} == {
        "terms_id": "", "city": "network", "decided_on": "2021-11-12",
        "act_reference": "DM 12/2021", "joining_city": "verona", "joins_on": "2021-12-01",
        "name": "Verona", "province_code": "VR"}

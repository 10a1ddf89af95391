"""The individual plan's free text is personal data (issue 16 item 3, ARCHITECTURE firm point 5):
with the real parts (the SQLite event store, vault and read models of one data dir, a real
nats-server, the real relay and projector), a goal's words, an action's description and a
review's findings are in no event store row, no NATS message and no read model, in clear or
otherwise, while the vault gives them back to the city's staff; after the person's erasure the
vault holds them no longer, and the bytes that opened to them are nowhere."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.plans.model import ActionOwner, GoalArea
from infra.bootstrap import Platform, build_platform
from infra.nats.server import EmbeddedNats
from infra.settings import Settings
from infra.store.vault import VAULT_FILE_NAME
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.integration.test_erasure import (
    files_holding,
    publish_and_project,
    stream_messages,
    windows,
)
from tests.integration.test_personal_data import files_under

pytestmark = pytest.mark.nats

LATER = NOW + timedelta(days=10)
TODAY = date(2021, 3, 20)
GOAL = "Obiettivo Zorblaxquintavo: lavoro in cucina"
ACTION = "Azione Pexwindrolumbo: accompagnamento"
REVIEW = "Verifica Quistmarbeloven: progressi"
MARKERS = ("Zorblaxquintavo", "Pexwindrolumbo", "Quistmarbeloven")


def text_forms() -> list[bytes]:
    """Each text's unmistakable word as it could sit in a file: any case, UTF-8 or UTF-16."""
    forms = set()
    for marker in MARKERS:
        for variant in (marker, marker.lower(), marker.upper()):
            forms |= {variant.encode("utf-8"), variant.encode("utf-16-le")}
    return sorted(forms)


def vault_texts(data_dir: Path, case_id: UUID) -> list[bytes]:
    """The person's texts' ciphertexts, read from the vault file as anyone could."""
    connection = sqlite3.connect(f"file:{data_dir / VAULT_FILE_NAME}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT ciphertext FROM vault_texts WHERE case_id = ?", (case_id.bytes,)).fetchall()
    finally:
        connection.close()
    return [bytes(row[0]) for row in rows]


def test_plan_texts_are_only_in_the_vault_and_erasure_shreds_them(
    tmp_path: Path, nats_server: EmbeddedNats
) -> None:
    data_dir = tmp_path / "data"
    platform = build_platform(Settings(data_dir=data_dir, nats_url=nats_server.url,
                                       database_url=None, read_your_writes_timeout=0.1))
    try:
        shreddable = write_a_plan_then_erase_the_person(platform, nats_server)
    finally:
        platform.close()
    nats_server.stop()  # flushes JetStream's files, so every byte it keeps is on disk

    searched = files_under(data_dir, nats_server.store_dir)
    names = {path.name for path in searched}
    assert {"events.sqlite", VAULT_FILE_NAME, "readmodels.sqlite"} <= names
    assert any(path.suffix == ".blk" for path in searched), "no JetStream message file found"
    leaks = [(path.relative_to(tmp_path), form) for path in searched
             for form in text_forms() if form in path.read_bytes()]
    assert leaks == []
    assert files_holding(shreddable, searched) == []


def write_a_plan_then_erase_the_person(
    platform: Platform, nats_server: EmbeddedNats
) -> list[bytes]:
    """Record a plan with a goal, an action and a review; check the stream, the read model and
    what the vault gives back; erase the person; check again. Returns the byte windows of the
    texts' ciphertexts as they were before erasure."""
    coordinator = a_coordinator()
    case_id = platform.cases.record_intake(uuid4(), an_intake(), a_person(), coordinator,
                                           NOW).case_id
    goal_id, action_id, review_id = uuid4(), uuid4(), uuid4()
    platform.plans.start_plan(case_id, TODAY, date(2021, 6, 20), coordinator, LATER)
    platform.plans.agree_goal(case_id, goal_id, GoalArea.WORK, GOAL, TODAY, date(2021, 9, 30),
                              coordinator, LATER)
    platform.plans.plan_action(case_id, goal_id, action_id, ACTION, ActionOwner.OPERATOR,
                               "firenze.operatore", date(2021, 4, 1), coordinator, LATER)
    position = platform.plans.review(case_id, review_id, REVIEW, TODAY, date(2021, 6, 20),
                                     coordinator, LATER)
    asyncio.run(publish_and_project(platform, nats_server.url, position))

    plan = platform.plan_views.plan(case_id)
    assert plan is not None
    assert set(plan.text_ids()) == {goal_id, action_id, review_id}
    assert platform.plans.texts(case_id, plan.text_ids()) == {
        goal_id: GOAL, action_id: ACTION, review_id: REVIEW}
    messages = asyncio.run(stream_messages(nats_server.url))
    plan_messages = [m for m in messages
                     if (m.headers or {}).get("ce-type", "").startswith("it.lgnet.plan.")]
    assert len(plan_messages) == 4
    on_the_wire = b"".join(m.data + repr(sorted((m.headers or {}).items())).encode()
                           for m in messages)
    assert [form for form in text_forms() if form in on_the_wire] == []
    ciphertexts = vault_texts(platform.settings.data_dir, case_id)
    assert len(ciphertexts) == 3
    shreddable = [window for text in ciphertexts for window in windows(text)]
    vault_file = [platform.settings.data_dir / VAULT_FILE_NAME]
    assert len(files_holding(shreddable, vault_file)) == len(shreddable)  # there, before

    position = platform.cases.erase_personal_data(case_id, TODAY, "PG/2021/0042", coordinator,
                                                  LATER)
    asyncio.run(publish_and_project(platform, nats_server.url, position))

    assert platform.plans.texts(case_id, plan.text_ids()) == {}
    assert vault_texts(platform.settings.data_dir, case_id) == []
    assert platform.plan_views.work_items("firenze", LATER + timedelta(days=365)) == []
    return shreddable

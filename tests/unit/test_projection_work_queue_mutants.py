"""The work queue (projections/work_queue.py), as the mutation pass of issue 20 holds it
(docs/testing.md, "Projections pass, part 3"): which items a city's queue and the ministry's
gather (due by `now + horizon`, overdue ones included), who holds each, the order (overdue first,
then by due, then kind and case code), the overdue count at the moment and a microsecond after,
and "held by" filtering. Sources and holders are stand-ins: the read models' own items are
tested with each model."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from projections.projection import WorkItem
from projections.work_queue import (
    DEFAULT_HORIZON,
    CityWorkQueues,
    NetworkWorkQueue,
    QueueLine,
    WorkQueue,
    sorted_lines,
)

NOW = datetime(2021, 5, 3, 9, 0, tzinfo=UTC)


def item(number: int, due: datetime, kind: str = "follow_up_due", city: str = "firenze",
         case: bool = True) -> WorkItem:
    return WorkItem(kind=kind, city=city, due=due, case_id=UUID(int=number) if case else None,
                    case_code=f"FI-2021-{number:05d}" if case else None,
                    subject_id=UUID(int=100 + number))


class Source:
    """A read model's items: those of the city asked for due by `until`; remembers each call."""

    def __init__(self, *items: WorkItem) -> None:
        self.items = items
        self.calls: list[tuple[str, datetime]] = []

    def work_items(self, city: str, until: datetime) -> list[WorkItem]:
        self.calls.append((city, until))
        return [i for i in self.items if i.city == city and i.due <= until]


class Holders:
    def __init__(self, held: dict[UUID, str | None]) -> None:
        self.held = held
        self.asked: list[list[UUID]] = []

    def holders(self, case_ids: Iterable[UUID]) -> dict[UUID, str | None]:
        wanted = list(case_ids)
        self.asked.append(wanted)
        return {case_id: self.held.get(case_id) for case_id in wanted}


def test_lines_overdue_first_then_by_due_kind_and_case_code() -> None:
    items = [
        item(1, NOW + timedelta(days=2)),
        item(2, NOW),  # due now: not overdue yet
        item(3, NOW - timedelta(microseconds=1)),  # overdue by a microsecond
        item(4, NOW - timedelta(days=3)),
        item(5, NOW + timedelta(days=1), kind="b_kind"),
        item(6, NOW + timedelta(days=1), kind="a_kind"),
        item(8, NOW + timedelta(days=1), kind="a_kind"),
        item(7, NOW + timedelta(days=1), kind="a_kind"),
        item(9, NOW + timedelta(days=1), kind="a_kind", case=False),
    ]
    holders: dict[UUID, str | None] = {UUID(int=1): "anna", UUID(int=4): None}

    lines = sorted_lines(items, holders, NOW)

    assert [(line.item.subject_id.int - 100 if line.item.subject_id else None, line.overdue)
            for line in lines] == [
        (4, True), (3, True), (2, False), (9, False), (6, False), (7, False), (8, False),
        (5, False), (1, False)]
    assert lines[-1] == QueueLine(items[0], "anna", False)
    assert lines[0] == QueueLine(items[3], None, True)
    assert lines[3].holder is None


def test_an_item_of_no_case_has_no_holder_even_if_none_is_a_key() -> None:
    no_case = item(9, NOW, case=False)

    lines = sorted_lines([no_case], {None: "anna"}, NOW)  # type: ignore[dict-item]

    assert lines == (QueueLine(no_case, None, False),)


def test_the_queue_s_counts() -> None:
    queue = WorkQueue("firenze", NOW, (
        QueueLine(item(1, NOW), "anna", True), QueueLine(item(2, NOW), "anna", False),
        QueueLine(item(3, NOW), "bruno", True), QueueLine(item(4, NOW), None, False)))

    assert queue.overdue == 2
    assert queue.held_by("anna") == 2
    assert queue.held_by("bruno") == 1
    assert queue.held_by("carla") == 0
    assert WorkQueue("firenze", NOW, ()).overdue == 0


def test_a_city_s_queue_gathers_every_source_up_to_the_horizon() -> None:
    horizon = timedelta(days=3)
    first = Source(item(1, NOW + horizon), item(2, NOW + horizon + timedelta(microseconds=1)),
                   item(3, NOW - timedelta(days=40)))
    second = Source(item(4, NOW + timedelta(days=1), kind="other"),
                    item(5, NOW, city="roma"), item(6, NOW, case=False))
    holders = Holders({UUID(int=1): "anna", UUID(int=3): "bruno"})
    queues = CityWorkQueues([first, second], holders, horizon)

    queue = queues.queue("firenze", NOW)

    assert (queue.city, queue.now) == ("firenze", NOW)
    assert first.calls == second.calls == [("firenze", NOW + horizon)]
    assert holders.asked == [[UUID(int=1), UUID(int=3), UUID(int=4)]]
    assert [(line.item.subject_id, line.holder, line.overdue) for line in queue.lines] == [
        (UUID(int=103), "bruno", True), (UUID(int=106), None, False),
        (UUID(int=104), None, False), (UUID(int=101), "anna", False)]
    assert queue.overdue == 1


def test_a_city_s_queue_held_by_one_person() -> None:
    source = Source(item(1, NOW), item(2, NOW), item(3, NOW))
    queues = CityWorkQueues([source], Holders({UUID(int=1): "anna", UUID(int=3): "anna",
                                               UUID(int=2): "bruno"}))

    mine = queues.queue("firenze", NOW, held_by="anna")

    assert [line.item.case_id for line in mine.lines] == [UUID(int=1), UUID(int=3)]
    assert len(queues.queue("firenze", NOW).lines) == 3
    assert queues.queue("firenze", NOW, held_by="carla").lines == ()


def test_the_default_horizon_is_a_week() -> None:
    source = Source()
    CityWorkQueues([source], Holders({})).queue("firenze", NOW)
    ministry = Source()
    NetworkWorkQueue([ministry], lambda: ["firenze"]).queue(NOW)

    assert DEFAULT_HORIZON == timedelta(days=7)
    assert source.calls == ministry.calls == [("firenze", NOW + timedelta(days=7))]


def test_the_ministry_s_queue_over_every_city_read_when_asked() -> None:
    horizon = timedelta(days=2)
    source = Source(item(1, NOW + timedelta(days=1)), item(2, NOW - timedelta(days=1),
                                                           city="roma"),
                    item(3, NOW + timedelta(days=3)), item(4, NOW, city="milano"))
    cities = ["firenze", "roma"]
    network = NetworkWorkQueue([source], lambda: list(cities), horizon)

    queue = network.queue(NOW)

    assert (queue.city, queue.now) == (None, NOW)
    assert source.calls == [("firenze", NOW + horizon), ("roma", NOW + horizon)]
    assert [(line.item.case_id, line.holder, line.overdue) for line in queue.lines] == [
        (UUID(int=2), None, True), (UUID(int=1), None, False)]
    cities.append("milano")  # a city admitted while the platform runs
    assert [line.item.case_id for line in network.queue(NOW).lines] == [
        UUID(int=2), UUID(int=4), UUID(int=1)]

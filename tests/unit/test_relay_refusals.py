"""The relay gives up on a stream that refuses the same batch again and again (something else is
writing to it), but not while the stream moves on: when two relays publish the same log (a
deployment mistake), each is refused whenever the other stored the same events first, at a later
position every time (infra/pipeline/relay.py `_Refusals`; the race itself:
tests/integration/test_relay.py, two relays on one log)."""

from __future__ import annotations

from infra.pipeline.relay import _MAX_REFUSALS_WITHOUT_PROGRESS, _Refusals


def test_refusals_at_the_same_position_count_up_to_the_limit() -> None:
    refusals = _Refusals()
    counts = [refusals.after(2813, acked=0) for _ in range(_MAX_REFUSALS_WITHOUT_PROGRESS)]
    assert counts == [1, 2, 3, 4, 5]
    assert counts[-1] >= _MAX_REFUSALS_WITHOUT_PROGRESS > counts[-2]


def test_a_refusal_at_a_later_position_starts_the_count_again() -> None:
    refusals = _Refusals()
    # The other relay stored a batch's worth before each of these refusals.
    assert [refusals.after(start, acked=0) for start in (1, 301, 701, 1101, 1501, 1901)] == [
        1, 1, 1, 1, 1, 1]
    assert refusals.after(1901, acked=0) == 2
    assert refusals.after(2301, acked=0) == 1


def test_a_batch_acknowledged_in_part_starts_the_count_again() -> None:
    refusals = _Refusals()
    assert refusals.after(40, acked=0) == 1
    assert refusals.after(40, acked=0) == 2
    assert refusals.after(40, acked=3) == 0
    assert refusals.after(40, acked=0) == 1

"""Where in LGNET a partner stream's tail is: LGNET's event-store positions increase with its
sequences (the relay chains them), so the sequence to resume at is found by a binary search."""

from __future__ import annotations

from typing import Any

from nats.js import JetStreamContext

from events.cloudevents import POSITION
from infra.nats.streams import STREAM_NAME, STREAM_SUBJECTS


async def lgnet_start_after(js: JetStreamContext, position: int) -> int:
    """The LGNET sequence to start consuming at so that the first message is the first whose
    event-store position is above `position` (the stream's last sequence + 1 when none is).
    LGNET's positions increase with its sequences (the relay chains them), so a binary search
    finds it in a few requests however long the stream."""
    state = (await js.stream_info(STREAM_NAME)).state
    if state.messages == 0:
        return state.last_seq + 1
    if await _position_at_or_after(js, state.last_seq) <= position:
        return state.last_seq + 1
    low, high = max(state.first_seq, 1), state.last_seq
    while low < high:
        middle = (low + high) // 2
        if await _position_at_or_after(js, middle) <= position:
            # The message read may sit after `middle` (those between were deleted): skip them.
            low = (await message_at_or_after(js, middle)).seq + 1
        else:
            high = middle
    return low


async def message_at_or_after(js: JetStreamContext, seq: int) -> Any:
    """LGNET's message at `seq`, or the first after it (those in between were deleted)."""
    return await js.get_msg(STREAM_NAME, seq, subject=STREAM_SUBJECTS[0], next=True)


async def _position_at_or_after(js: JetStreamContext, seq: int) -> int:
    message = await message_at_or_after(js, seq)
    return int((message.headers or {})[POSITION])

"""projections.kept: a reading is kept while its version is the same, and read again, once,
when the version changes."""

from __future__ import annotations

from collections.abc import Callable

from projections.kept import KeptReading


def test_a_reading_is_kept_at_its_version_and_read_again_at_another() -> None:
    reads: list[int] = []

    def read(value: int) -> Callable[[], object]:
        def reading() -> object:
            reads.append(value)
            return {"read": value}
        return reading

    kept: KeptReading[object] = KeptReading()
    first = kept.get(1, read(1))
    assert first == {"read": 1} and reads == [1]
    # The same version: the same content, not read again.
    assert kept.get(1, read(99)) is first and reads == [1]
    # Another version (newer, or older as while a rebuild runs): read again, then kept.
    second = kept.get(2, read(2))
    assert second == {"read": 2} and reads == [1, 2]
    assert kept.get(2, read(99)) is second and reads == [1, 2]
    assert kept.get((1,), read(3)) == {"read": 3} and reads == [1, 2, 3]
    assert kept.get((1,), read(99)) == {"read": 3} and reads == [1, 2, 3]

"""A reading of a read model kept until the read model changes (issue 15, dashboards at 10x
scale): the ministry's dashboard read every grant claim and every expenditure claim on each
request, though they change a few times a day while cases change by the minute.

What is kept is keyed by the read model's **version**, a value read from it that changes
whenever its content does: the position of the batch its projection last wrote in
(`rm_changes`, noted by `projections.projection.apply_batch_to_all`). The caller reads the
version first and the content after it, in the same reading: on SQLite one snapshot, on
PostgreSQL each statement sees what was committed before it, so the content kept is never older
than its version says; at worst it is newer, and the next version read reads it again."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class KeptReading(Generic[T]):
    """The last content read, with the version it was read at."""

    def __init__(self) -> None:
        # Replaced whole, never changed in place: the web's threads share it without a lock.
        self._kept: tuple[Hashable, T] | None = None

    def get(self, version: Hashable, read: Callable[[], T]) -> T:
        """The content kept at `version`, or `read()`'s, then kept at `version`."""
        kept = self._kept
        if kept is not None and kept[0] == version:
            return kept[1]
        content = read()
        self._kept = (version, content)
        return content

"""What the parts running in this process know of the pipeline's troubles, for readiness
(infra/readiness.py): the embedded nats-server's deaths and restarts, the relay's refusals
for want of JetStream storage, and the in-process parts that died and wait to be restarted.
One per process: `lgnet run` runs every part in one."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class PipelineStatus:
    nats_restarts: int = 0
    # Monotonic time since when the embedded server has been down; None while it runs.
    nats_down_since: float | None = None
    # The relay's last refusal for want of storage ("insufficient resources"); None once a
    # publish was acknowledged again.
    storage_full: str | None = None
    # The in-process parts (relay, projector...) that died and wait to be started again by
    # `lgnet run` (infra.runtime): what each died of, and when it is started again.
    parts_down: dict[str, str] = field(default_factory=dict)
    part_restarts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def nats_down(self) -> None:
        with self._lock:
            if self.nats_down_since is None:
                self.nats_down_since = time.monotonic()

    def nats_restarted(self) -> None:
        with self._lock:
            self.nats_restarts += 1
            self.nats_down_since = None

    def out_of_storage(self, message: str) -> None:
        with self._lock:
            self.storage_full = message

    def storage_available(self) -> None:
        if self.storage_full is not None:
            with self._lock:
                self.storage_full = None


    def part_down(self, name: str, why: str) -> None:
        with self._lock:
            self.parts_down[name] = why

    def part_restarted(self, name: str) -> None:
        with self._lock:
            if self.parts_down.pop(name, None) is not None:
                self.part_restarts[name] = self.part_restarts.get(name, 0) + 1


PIPELINE = PipelineStatus()

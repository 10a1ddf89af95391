"""The embedded nats-server's storage budget and restart pauses (issue 17 items 3 and 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.nats.credentials import write_embedded_server_config
from infra.runtime import nats_restart_pause
from infra.settings import Settings


def test_the_generated_configuration_fixes_the_jetstream_budget_from_the_setting(
    tmp_path: Path,
) -> None:
    default = write_embedded_server_config(Settings(data_dir=tmp_path / "a")).read_text()
    assert "jetstream: {\n  max_file_store: 10G\n}" in default
    chosen = write_embedded_server_config(
        Settings(data_dir=tmp_path / "b", nats_max_file_store="512M")).read_text()
    assert "max_file_store: 512M" in chosen
    assert "store_dir" not in chosen  # on the command line: twice is refused by nats-server


@pytest.mark.parametrize("value", ["0", "10 G", "10GB", "-1", "1.5G", "ten"])
def test_a_budget_nats_server_would_not_read_is_refused_at_start(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(nats_max_file_store=value)


def test_restarts_wait_longer_each_time_up_to_thirty_seconds() -> None:
    assert [nats_restart_pause(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert nats_restart_pause(7) == 30.0 and nats_restart_pause(50) == 30.0

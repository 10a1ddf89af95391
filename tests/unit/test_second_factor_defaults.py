"""Issue 18 item 18: where the second factor is required by default. As the Secure cookie: a
deployed part (`lgnet web`, `relay`, `projector`) requires it of coordinators, ministry and
auditors unless LGNET_SECOND_FACTOR says `off`; `lgnet run` (the demo) and the web tests'
platform leave it off."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.cli.run import deployed
from infra.settings import Settings
from tests.web.conftest import settings_for_tests


def test_a_deployed_part_requires_the_second_factor_unless_told_off(tmp_path: Path) -> None:
    unset = Settings(data_dir=tmp_path)

    assert unset.second_factor is None  # lgnet run: nobody is forced
    assert deployed(unset).second_factor == "required"
    assert deployed(unset).secure_cookies is True
    assert deployed(Settings(data_dir=tmp_path, second_factor="off")).second_factor == "off"
    assert settings_for_tests(tmp_path).second_factor == "off"


def test_a_setting_that_is_neither_required_nor_off_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGNET_SECOND_FACTOR", "sometimes")
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path)
    monkeypatch.setenv("LGNET_SECOND_FACTOR", "required")
    assert Settings(data_dir=tmp_path).second_factor == "required"

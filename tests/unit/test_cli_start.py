"""`lgnet audit ...` loads the audit commands alone (issue 19: verify's time on the full demo
counts its start-up, and the whole command line imports the web app)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Each test starts `lgnet` in a new Python: left out of `make mutate` (docs/testing.md).
pytestmark = pytest.mark.process

_RUN = """
import sys
sys.argv = ["lgnet", *sys.argv[1:]]
from infra.cli.main import main
try:
    main()
except SystemExit:
    pass
print("loaded:", "web.app" in sys.modules, "infra.cli.commands" in sys.modules)
"""


def _lgnet(*args: str) -> str:
    return subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True,
                          check=True).stdout


def test_lgnet_audit_loads_neither_the_web_app_nor_the_other_commands() -> None:
    printed = _lgnet("audit", "--help")
    assert "Usage: lgnet audit" in printed
    assert "verify" in printed
    assert printed.strip().splitlines()[-1] == "loaded: False False"


def test_every_other_command_gets_the_whole_command_line() -> None:
    printed = _lgnet("--help")
    assert "audit" in printed and "cluster" in printed
    assert printed.strip().splitlines()[-1] == "loaded: True True"

"""The `lgnet` command line (infra.cli.commands assembles it). `lgnet audit ...` loads only the
audit commands: an auditor's `lgnet audit verify` then starts in about a second instead of four,
since it needs neither the web app nor the other command groups (issue 19: verify's time on the
full demo, start-up included)."""

from __future__ import annotations

import sys
from typing import Any

from infra.private_files import private_umask


def main() -> None:
    # Whatever a command writes (data, keys, logs, exports) is its owner's only.
    private_umask()
    if sys.argv[1:2] == ["audit"]:
        from infra.cli.audit import audit_app

        audit_app(args=sys.argv[2:], prog_name="lgnet audit")
        return
    from infra.cli.commands import app

    app()


def __getattr__(name: str) -> Any:
    """`infra.cli.main.app`, the whole command line, loaded when asked for (the tests' runner)."""
    if name == "app":
        from infra.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    main()

"""The data directory and the key directory are private to the user the platform runs as.

Every `lgnet` command runs with umask 077 (`private_umask`), so what the platform and the
nats-server it starts create (SQLite files and their -wal/-shm/-journal companions, the NATS
store and log, replayed read models, exports written to a file) is 0600, and directories 0700.
A data dir made by an earlier version, or copied in with wider modes, is put right at start
(`make_private`): every directory 0700, every file 0600, and what was changed is said.

Key files are the exception: a key that others could read may have been read, so instead of
being quietly fixed it refuses to load (`refuse_key_readable_by_others`) until its owner has
looked and run chmod 600 on it (or replaced it)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class KeyFileExposed(RuntimeError):
    """Raised when a key file can be read or written by users other than its owner."""


def private_umask() -> None:
    """From now on, this process and its children create files 0600 and directories 0700."""
    os.umask(PRIVATE_UMASK)


@dataclass
class Tightened:
    """What `make_private` changed: (path, old mode) of each directory and file."""

    changed: list[tuple[Path, int]] = field(default_factory=list)
    keys_left: list[Path] = field(default_factory=list)

    def report(self, directory: Path) -> str | None:
        """One line for the operator, or None when nothing was changed."""
        if not self.changed:
            return None
        shown = ", ".join(f"{path.relative_to(directory)} ({mode:o})"
                          for path, mode in self.changed[:8])
        more = f" and {len(self.changed) - 8} more" if len(self.changed) > 8 else ""
        return (f"Made {directory} private: {len(self.changed)} paths others could read or "
                f"enter are now 0700 (directories) / 0600 (files): {shown}{more}")


def make_private(directory: Path, *, keys: Iterable[Path] = ()) -> Tightened:
    """Every directory under `directory` (itself included) 0700, every file 0600; symbolic links
    are not followed. `keys` are left as they are, for their loader to refuse if exposed."""
    tightened = Tightened()
    key_paths = {path.resolve() for path in keys}
    if not directory.is_dir():
        return tightened
    for root, directories, files in os.walk(directory):
        _tighten(Path(root), PRIVATE_DIR_MODE, tightened)
        for name in files:
            path = Path(root) / name
            if path.resolve() in key_paths:
                tightened.keys_left.append(path)
                continue
            _tighten(path, PRIVATE_FILE_MODE, tightened)
        directories[:] = [d for d in directories if not (Path(root) / d).is_symlink()]
    return tightened


def _tighten(path: Path, wanted: int, tightened: Tightened) -> None:
    try:
        status = path.lstat()
    except FileNotFoundError:
        return  # gone meanwhile (a SQLite journal, a NATS temporary file)
    if stat.S_ISLNK(status.st_mode):
        return
    mode = stat.S_IMODE(status.st_mode)
    if mode & 0o077:
        try:
            os.chmod(path, wanted)
        except OSError as error:  # a read-only mount, another owner's file
            log.warning("Cannot make %s private (mode %o): %s", path, mode, error.strerror)
            return
        tightened.changed.append((path, mode))


def refuse_key_readable_by_others(path: Path) -> None:
    """Raise KeyFileExposed when `path` (a key file) has any group or other permission bit."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileExposed(
            f"The key file {path} has mode {mode:o}: users other than its owner may have read "
            f"it. It is not loaded. If nobody else could reach it, run `chmod 600 {path}`; "
            "otherwise replace the key (see docs/operations.md, \"Keys\")."
        )

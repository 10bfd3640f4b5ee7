"""Claiming a dropped file so that two watchers on one folder never take the same one.

Each running watcher owns `processing/<owner>/` and holds a lock on its `.owner` file for as
long as it runs. A file is claimed by renaming it from inbox/ into that folder: a rename is
atomic, so of two watchers exactly one succeeds. When a watcher dies (killed, crashed, power
cut) its lock goes with it; the next watcher to start adopts the files left in its folder and
resumes them (the journal makes sure nobody in them is paid for twice).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one watcher per folder
    fcntl = None  # type: ignore[assignment]

OWNER = ".owner"


class Claims:
    """This watcher's processing folder: claim, give back, adopt orphans, release."""

    def __init__(self, processing: Path) -> None:
        self.processing = processing
        name = f"{_host()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.mine = processing / name
        # Made hidden and locked, then renamed into view, so that no other watcher can take
        # it for a dead one's in between (Windows has no such lock and cannot rename a folder
        # holding an open file: there it is made in place).
        making = self.mine if fcntl is None else processing / f".{name}"
        making.mkdir(parents=True)
        self._lock: IO[str] | None = _hold(making / OWNER)
        if making != self.mine:
            os.rename(making, self.mine)

    def claim(self, path: Path) -> Path | None:
        """Move `path` into this watcher's folder; None when another watcher took it first."""
        target = self.mine / path.name
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        return target

    def others(self) -> list[Path]:
        """The processing folders of other watchers (running or not)."""
        return [owner for owner in sorted(self.processing.iterdir())
                if owner != self.mine and not owner.name.startswith(".") and owner.is_dir()
                and not owner.is_symlink()]

    def elsewhere(self) -> list[Path]:
        """Folders of watchers on other machines that still hold files: whether those
        watchers still run cannot be told from here, so their files are left alone."""
        return [o for o in self.others()
                if not o.name.startswith(f"{_host()}-") and any(_files(o))]

    def orphans(self) -> list[Path]:
        """Adopt the files of this machine's watchers that are no longer running; return
        them, oldest first."""
        adopted: list[Path] = []
        for owner in self.others():
            if not owner.name.startswith(f"{_host()}-"):
                continue
            lock = _try_hold(owner / OWNER)
            if lock is None:
                continue
            with lock:
                adopted += self._adopt(owner)
        return sorted(adopted, key=_mtime)

    def _adopt(self, owner: Path) -> list[Path]:
        taken = []
        for entry in _files(owner):
            target = self.mine / entry.name
            if os.path.lexists(target):
                continue
            with contextlib.suppress(OSError):  # gone, or (Windows) still open elsewhere
                os.rename(entry, target)
                taken.append(target)
        _remove_if_empty(owner)
        return taken

    def close(self) -> None:
        """Let go of the folder; remove it when nothing is left in it."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        _remove_if_empty(self.mine)


def _hold(path: Path) -> IO[str]:
    handle = path.open("a", encoding="utf-8")
    if fcntl is not None:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def _try_hold(path: Path) -> IO[str] | None:
    """The lock of a watcher's folder when its watcher is gone, else None."""
    try:
        handle = path.open("a", encoding="utf-8")
    except OSError:
        return None
    if fcntl is None:  # pragma: no cover - Windows: a folder left behind is an orphan
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        (folder / OWNER).unlink(missing_ok=True)
        folder.rmdir()


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


def _host() -> str:
    return socket.gethostname().replace("-", "_") or "host"


def _files(owner: Path) -> list[Path]:
    """The files a watcher's folder holds (not its lock)."""
    try:
        return [e for e in owner.iterdir() if not e.name.startswith(".")]
    except OSError:
        return []

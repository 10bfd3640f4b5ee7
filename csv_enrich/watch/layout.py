"""The folder's layout, and moving files inside it without ever writing outside it.

    FOLDER/
      inbox/        people drop files here (and `<name>.approved` notes)
      outbox/       the enriched files and their cost reports
      archive/      the originals once enriched
      failed/       the originals that could not be enriched, each with `<name>.error.txt`
      processing/   files being enriched, one sub-folder per running watcher
      csv-enrich.toml         the settings
      csv-enrich.log          one line per event
      csv-enrich.spend.json   what the folder spent per day (for the daily cap)

Every target is a plain name inside one of these folders; a name that would climb out (path
separators, `..`) is flattened first, the folders themselves must not be symbolic links, and
an existing entry (a symbolic link included) is never written through: a free name is chosen.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from csv_enrich.errors import UsageError

SUBFOLDERS = ("inbox", "outbox", "archive", "failed", "processing")


@dataclass(frozen=True)
class Folder:
    """A drop folder's paths."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def failed(self) -> Path:
        return self.root / "failed"

    @property
    def processing(self) -> Path:
        return self.root / "processing"

    @property
    def settings(self) -> Path:
        return self.root / "csv-enrich.toml"

    @property
    def log(self) -> Path:
        return self.root / "csv-enrich.log"

    @property
    def spend(self) -> Path:
        return self.root / "csv-enrich.spend.json"

    def create(self) -> None:
        """Make the sub-folders that are missing; refuse ones that are symbolic links or files."""
        if self.root.exists() and not self.root.is_dir():
            raise UsageError(f"{self.root} is a file; give a folder to watch.")
        for name in SUBFOLDERS:
            path = self.root / name
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                raise UsageError(
                    f"{path} is a symbolic link or a file; csv-enrich writes only inside "
                    f"{self.root}: replace it with a real folder.")
            path.mkdir(parents=True, exist_ok=True)


_UNSAFE = re.compile(r"[/\\\x00-\x1f]")


def safe_name(name: str) -> str:
    """`name` as one plain file name: separators and control characters become `_`, and no
    part of it is `.` or `..` (leading dots are dropped)."""
    flat = _UNSAFE.sub("_", name).lstrip(". ")
    return flat or "file"


def stamp(now: datetime | None = None) -> str:
    """A timestamp fit for a file name on every system (no colons)."""
    return (now or datetime.now()).strftime("%Y%m%d-%H%M%S")


def free_name(folder: Path, stem: str, suffixes: tuple[str, ...]) -> str:
    """`stem` if no `stem + suffix` is taken in `folder`, else the stem with a timestamp (and a
    counter when that is taken too). A symbolic link counts as taken."""
    stem = safe_name(stem)
    candidates = [stem, f"{stem}-{stamp()}", *(f"{stem}-{stamp()}-{n}" for n in range(2, 1000))]
    for candidate in candidates:
        if not any(os.path.lexists(folder / f"{candidate}{s}") for s in suffixes):
            return candidate
    raise UsageError(f"{folder} holds too many files named {stem}; tidy it up.")


def split_name(name: str) -> tuple[str, str]:
    """('leads', '.csv') for 'leads.csv'; no suffix for names without a dot."""
    path = Path(safe_name(name))
    return path.stem, path.suffix


def move_into(source: Path, folder: Path, name: str) -> Path:
    """Move `source` (a file or a symbolic link, never followed) into `folder` under `name`, or
    under `name` with a timestamp when that is taken. Returns where it went."""
    stem, suffix = split_name(name)
    target = folder / f"{free_name(folder, stem, (suffix,))}{suffix}"
    assert target.parent == folder
    os.replace(source, target)
    return target


def write_note(path: Path, text: str) -> None:
    """Write a small text file atomically (a temp file, then a rename over the name)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    if os.path.lexists(temp):
        temp.unlink()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(temp, path)

"""The csv-enrich process runs polars with its allocator set to return freed memory at once
(cli.memory): set by the command before polars is loaded, never over the user's own setting, and
never by importing or calling the library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from csv_enrich.cli.memory import (
    ALLOCATOR_SETTINGS,
    RETURN_AT_ONCE,
    fixed_malloc_thresholds,
    return_freed_memory,
)


def glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError):
        return False

# Runs `python -m csv_enrich ARGS` (or, with LIBRARY, the library's estimate_file), noting the
# allocator setting at the moment polars is first imported: what polars' jemalloc reads.
SPY = """
import os, runpy, sys
seen = []

class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "polars" and not seen:
            seen.append(os.environ.get("_RJEM_MALLOC_CONF", "<unset>"))
            print("polars saw: [" + seen[0] + "]", flush=True)  # (a finished estimate's
        return None                                               # process ends at once)

sys.meta_path.insert(0, Spy())
if sys.argv[1] == "LIBRARY":
    from pathlib import Path
    from csv_enrich import Connection, EnrichOptions, estimate_file
    estimate_file(EnrichOptions(input=Path(sys.argv[2]),
                                connection=Connection(state_dir=Path(sys.argv[3]))))
else:
    sys.argv = ["csv-enrich", *sys.argv[1:]]
    try:
        runpy.run_module("csv_enrich", run_name="__main__")
    except SystemExit as stop:
        assert not stop.code, stop.code
if not seen:
    print("polars saw: [<not imported>]")
"""


def polars_saw(tmp_path: Path, *args: str, user: str | None = None) -> str:
    src = tmp_path / "leads.csv"
    src.write_text("Email,First Name\nann@acme.io,Ann\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_SETTINGS}
    if user is not None:
        env[ALLOCATOR_SETTINGS] = user
    argv = [a.format(src=src, state=tmp_path / "state") for a in args]
    out = subprocess.run([sys.executable, "-c", SPY, *argv], capture_output=True, text=True,
                         env=env, check=True).stdout
    saw = next(line for line in out.splitlines() if line.startswith("polars saw: ["))
    return saw.removeprefix("polars saw: [").removesuffix("]")


def test_the_command_sets_it_before_polars_is_loaded(tmp_path: Path) -> None:
    assert polars_saw(tmp_path, "estimate", "{src}", "--json", "--state-dir",
                      "{state}") == RETURN_AT_ONCE


def test_the_users_own_setting_wins(tmp_path: Path) -> None:
    args = ("estimate", "{src}", "--json", "--state-dir", "{state}")
    assert polars_saw(tmp_path, *args, user="narenas:2") == "narenas:2"
    assert polars_saw(tmp_path, *args, user="") == ""


def test_the_library_leaves_it_alone(tmp_path: Path) -> None:
    assert polars_saw(tmp_path, "LIBRARY", "{src}", "{state}") == "<unset>"


def test_not_set_once_polars_is_loaded() -> None:
    """Too late to matter then (jemalloc read its settings when polars was loaded): the
    process's environment, which its child processes get, is left as it is."""
    import polars  # noqa: F401

    environ: dict[str, str] = {}
    return_freed_memory(environ)
    assert environ == {}



# Frees a large block (which raises glibc's mmap threshold unless it is fixed), then makes 40
# blocks of 1 MiB and frees all but the last: the RSS they leave behind, in MiB.
LEFT_BEHIND = """
import os, sys
from csv_enrich.cli.memory import fixed_malloc_thresholds
if sys.argv[1] == "fixed":
    assert fixed_malloc_thresholds({})
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
big = bytearray(16 << 20)
del big
before = rss()
blocks = [bytearray(1 << 20) for _ in range(40)]
del blocks[:-1]
print(rss() - before)
"""


def left_behind(how: str) -> float:
    out = subprocess.run([sys.executable, "-c", LEFT_BEHIND, how], capture_output=True,
                         text=True, check=True).stdout
    return float(out.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux") or not glibc(), reason="glibc only")
def test_freed_large_blocks_go_back_with_the_thresholds_fixed() -> None:
    assert left_behind("default") > 30  # the heap keeps them: what the setting is for
    assert left_behind("fixed") < 5


def test_the_users_malloc_settings_win() -> None:
    assert not fixed_malloc_thresholds({"MALLOC_MMAP_THRESHOLD_": "65536"})
    assert not fixed_malloc_thresholds({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1"})

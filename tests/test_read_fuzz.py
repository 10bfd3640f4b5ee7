"""Damaged input never escapes as anything but InputError (exit 2, one line), and never takes
the process down. Workbook fuzzing runs in a child process: if calamine aborted, only the child
would die and this test would fail with the seed, instead of killing the test run."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.errors import InputError
from csv_enrich.read import read_table

TRAPS = Path(__file__).resolve().parents[1] / "samples" / "traps"

CHILD = r"""
import io, json, random, sys, tempfile, zipfile
from pathlib import Path
from csv_enrich.errors import InputError
from csv_enrich.read import read_table

traps, seed, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
sources = {
    ".xlsx": (traps / "numbers.xlsx").read_bytes(),
    ".ods": (traps / "libreoffice.ods").read_bytes(),
}

def rezip(original, edit):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w") as dst:
        names = [i.filename for i in src.infolist()]
        target = rnd.choice([n for n in names if n.endswith(".xml")])
        for name in names:
            data = src.read(name)
            data = edit(bytearray(data)) if name == target else data
            dst.writestr(name, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()

def flip(data):
    for _ in range(rnd.randint(1, 6)):
        markup = rnd.random() < 0.7
        value = rnd.choice(b'<>"=/ s0x9A') if markup else rnd.randrange(256)
        data[rnd.randrange(len(data))] = value
    return bytes(data)

outcomes = {"ok": 0, "input_error": 0}
with tempfile.TemporaryDirectory() as tmp:
    for i in range(rounds):
        suffix = rnd.choice(sorted(sources))
        inside = rnd.random() < 0.7
        data = rezip(sources[suffix], flip) if inside else flip(bytearray(sources[suffix]))
        path = Path(tmp, f"in{suffix}")
        path.write_bytes(data)
        print(json.dumps({"round": i, "suffix": suffix}), flush=True)
        try:
            read_table(path)
            outcomes["ok"] += 1
        except InputError as exc:
            assert "\n" not in str(exc), str(exc)
            outcomes["input_error"] += 1
print(json.dumps(outcomes))
"""


def test_damaged_workbooks_give_input_errors() -> None:
    """Seeded damage to .xlsx and .ods files (raw bytes and XML inside) reads or is refused."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(TRAPS), "20261126", "250"],
        capture_output=True, text=True, timeout=110, check=False,
    )  # fmt: skip
    last = done.stdout.strip().splitlines()[-1:] or [""]
    assert done.returncode == 0, (last, done.stderr[-2000:])
    outcomes = json.loads(last[0])
    assert outcomes["ok"] + outcomes["input_error"] == 250


def test_damaged_xls_is_refused_without_crashing() -> None:
    """An .xls whose counts make calamine abort is read in a child and refused as damaged."""
    data = bytearray((TRAPS / "legacy.xls").read_bytes())
    for offset, value in ((997, 215), (1677, 196), (4020, 182), (4673, 106)):
        data[offset] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "damaged.xls")
        path.write_bytes(bytes(data))
        with pytest.raises(InputError, match="it may be damaged"):
            read_table(path)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=4096), st.sampled_from([".csv", ".txt", ".tsv"]))
def test_random_bytes_as_text_give_input_errors(data: bytes, suffix: str) -> None:
    """Arbitrary bytes under a text name read or fail with a one-line InputError."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "in" + suffix)
        path.write_bytes(data)
        try:
            read_table(path)
        except InputError as exc:
            message = str(exc)
        else:
            message = ""
        assert "\n" not in message

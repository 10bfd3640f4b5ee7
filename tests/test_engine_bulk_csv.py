"""The bulk run's CSV chunks made on the identity columns, against the per-identity original."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.engine.bulk import MAX_BYTES
from csv_enrich.engine.bulk_csv import COLUMNS, chunk_bounds, chunk_text
from csv_enrich.models import Identity
from csv_enrich.plan_columns import IdentityFrame


def _csv_line(cells: list[str]) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow(cells)
    return line.getvalue()


def _new_chunk() -> io.StringIO:
    buf = io.StringIO()
    buf.write(_csv_line(list(COLUMNS)))
    return buf


def reference_chunks(idents: Sequence[Identity]) -> list[str]:
    """The original `bulk.chunks`: one Identity per row, every chunk's text at once (with the
    text so far counted in bytes, as the fix of the 413 on non-ASCII chunks does)."""
    out: list[str] = []
    buf, count = _new_chunk(), 0
    size = len(buf.getvalue().encode())
    for ident in idents:
        line = _csv_line([ident.email or "", ident.linkedin_url or "", ident.first_name or "",
                          ident.last_name or "", ident.company_name or "", ident.domain or ""])
        if count and (count >= 500 or size + len(line.encode()) > MAX_BYTES):
            out.append(buf.getvalue())
            buf, count = _new_chunk(), 0
            size = len(buf.getvalue().encode())
        buf.write(line)
        size += len(line.encode())
        count += 1
    if count:
        out.append(buf.getvalue())
    return out


def column_chunks(idents: Sequence[Identity]) -> list[str]:
    """The chunks as a bulk run makes them now: breaks on the columns, each text on its own."""
    frame = IdentityFrame.of(idents, "person").frame
    bounds = chunk_bounds(frame)
    return [chunk_text(frame, a, b) for a, b in zip(bounds, bounds[1:], strict=False)]


CELL = st.one_of(st.none(), st.just(""), st.text(max_size=20),
                 st.text(alphabet=st.sampled_from('a,"\r\n é\t\x00x'), max_size=12),
                 st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "€", "😀", ","]),
                           st.integers(100, 400)))


@st.composite
def identities(draw: st.DrawFn) -> list[Identity]:
    n = draw(st.integers(0, 1300))
    cells = draw(st.lists(st.tuples(*[CELL] * 6), min_size=min(n, 8), max_size=min(n, 8)))
    out = []
    for i in range(n):  # a few drawn rows, repeated: long runs of rows cost little to draw
        email, li, first, last, org, domain = cells[i % len(cells)] if cells else [None] * 6
        out.append(Identity("person", f"k{i}", email=email, linkedin_url=li, first_name=first,
                            last_name=last, company_name=org, domain=domain))
    return out


@settings(max_examples=60, deadline=None)
@given(identities())
def test_column_chunks_are_the_original_chunks(idents: list[Identity]) -> None:
    """Byte for byte the same texts in the same breaks: odd cells (commas, quotes, line breaks,
    NUL), non-ASCII text, long cells; and every chunk within the API's byte cap."""
    chunks = column_chunks(idents)
    assert chunks == reference_chunks(idents)
    assert all(len(c.encode()) <= MAX_BYTES or c.count("\r\n") <= 2 for c in chunks)


def test_non_ascii_chunks_stay_under_the_byte_cap() -> None:
    """Regression: 500 rows of Japanese company names made a ~170 KB chunk (the text so far was
    counted in characters), which the API refuses over 150 KB with 413."""
    idents = [Identity("person", f"k{i}", email=f"p{i}@example.jp", first_name="太郎",
                       last_name="山田", company_name="株式会社" + "テスト" * 30)
              for i in range(1200)]
    chunks = column_chunks(idents)
    assert all(len(c.encode()) <= MAX_BYTES for c in chunks)
    assert sum(c.count("\r\n") - 1 for c in chunks) == 1200


def test_column_chunks_of_a_plan_frame_with_many_long_rows() -> None:
    """Past both limits: chunks of 500 rows, and chunks cut by size (non-ASCII cells)."""
    idents = [Identity("person", f"k{i}", email=f"{i}@x.io", first_name="Zoë" * (i % 90) * 3,
                       last_name="Ørsted", company_name="é" * (i % 7) * 40)
              for i in range(2600)]
    texts = column_chunks(idents)
    assert texts == reference_chunks(idents)
    assert len(texts) > 6


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=300), st.booleans()), max_size=1300))
def test_chunks_respect_the_row_limit_and_keep_every_row(rows: list[tuple[str, bool]]) -> None:
    """Chunks hold <= 500 rows, each with the header, and lose no row."""
    idents = [Identity("person", f"k{i}", email=f"{i}@x.io",
                       company_name=text if big else None, first_name=text[:40])
              for i, (text, big) in enumerate(rows)]
    texts = column_chunks(idents)
    parsed = [list(csv.reader(io.StringIO(t))) for t in texts]
    assert all(p[0][0] == "email" and 1 < len(p) <= 501 for p in parsed)
    assert [r[0] for p in parsed for r in p[1:]] == [i.email for i in idents]

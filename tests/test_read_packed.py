"""Table.pack: the cells held compressed (read.packed) come back as the same frame, and every
output written from a packed table is the one written from the table as read."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.errors import CsvEnrichError
from csv_enrich.mapping.columns import has_identifiers
from csv_enrich.models import Connection, EnrichOptions, Outcome, Plan
from csv_enrich.output.write import write_output
from csv_enrich.plan import load, make_plan
from csv_enrich.plan_columns import IdentityFrame
from csv_enrich.read import Table, read_table
from csv_enrich.read.packed import PackedFrame
from csv_enrich.read.table import blank_cells

PACKED = "_packed_cells"
CELL = st.one_of(st.none(), st.just(""), st.just(" N/A "), st.text(max_size=40))
NAMES = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=6, unique=True)


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    names = draw(NAMES)
    height = draw(st.integers(0, 30))
    columns = {n: draw(st.lists(CELL, min_size=height, max_size=height)) for n in names}
    return pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String))


def same(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    return a.schema == b.schema and a.height == b.height and a.equals(b, null_equal=True)


@settings(max_examples=150, deadline=None)
@given(frames())
def test_unpack_gives_the_frame_back(frame: pl.DataFrame) -> None:
    packed = PackedFrame(frame)
    assert (packed.height, packed.width) == frame.shape
    assert same(packed.unpack(), frame)


def test_other_types_come_back_too() -> None:
    frame = pl.DataFrame({"n": [1, None, 3], "f": [0.5, None, -1.0], "b": [True, None, False],
                          "l": [["a"], None, []]})
    assert same(PackedFrame(frame).unpack(), frame)


def table_of(frame: pl.DataFrame, path: Path) -> Table:
    return Table(path=path, format="csv", frame=frame, headers=tuple(frame.columns),
                 source_rows=tuple(range(2, frame.height + 2)), delimiter=",")


@settings(max_examples=60, deadline=None)
@given(frames())
def test_a_packed_table_reads_as_the_table(frame: pl.DataFrame) -> None:
    table = table_of(frame, Path("in.csv"))
    assert same(table.blanked, blank_cells(frame))
    table.pack()
    assert (PACKED in vars(table)) == (frame.width > 0)
    assert table.height == frame.height
    assert (PACKED in vars(table)) == (frame.width > 0)  # the height does not unpack
    assert same(table.frame, frame)
    assert PACKED not in vars(table)
    assert same(table.blanked, blank_cells(frame))


def test_pack_twice_and_an_empty_table(tmp_path: Path) -> None:
    table = table_of(pl.DataFrame({"Email": ["a@b.co"]}), tmp_path / "in.csv")
    table.pack()
    table.pack()
    assert table.frame["Email"].to_list() == ["a@b.co"]
    empty = table_of(pl.DataFrame(), tmp_path / "in.csv")
    empty.pack()
    assert empty.height == 0
    assert empty.frame.width == 0


ROWS = [Outcome("email:a@b.co", "enriched", credits=1, data={"email": "a@b.co"}),
        Outcome("", "invalid", note="no email"),
        Outcome("", "not_data")]
CELLS = {"Email": ["a@b.co", "=HYPERLINK(1)", None], "Notes": ['say "hi"\nthere', None, " "]}


def test_outputs_of_a_packed_table_are_the_same(tmp_path: Path) -> None:
    """CSV, TSV (written from the cells: the input is no file) and XLSX."""
    for suffix in (".csv", ".tsv", ".xlsx"):
        written = []
        for packed in (False, True):
            table = table_of(pl.DataFrame(CELLS), tmp_path / "gone.csv")
            if packed:
                table.pack()
            out = tmp_path / f"out{int(packed)}{suffix}"
            write_output(table, "person", ROWS, out)
            written.append(out.read_bytes() if suffix != ".xlsx" else
                           pl.read_excel(out, infer_schema_length=0).rows())
        assert written[0] == written[1], suffix


def test_a_copied_csv_output_never_unpacks(tmp_path: Path) -> None:
    """A CSV output copied from its unchanged input does not read the cells; when the input
    changed after it was read, they are unpacked and the output is written from them."""
    src = tmp_path / "in.csv"
    src.write_text('Email,Notes\r\na@b.co,"x, y"\r\nc@d.co,z\r\n', encoding="utf-8")
    rows = ROWS[:2]
    expected = tmp_path / "expected.csv"
    write_output(read_table(src, accept=has_identifiers), "person", rows, expected)
    table = read_table(src, accept=has_identifiers)
    table.pack()
    out = tmp_path / "out.csv"
    write_output(table, "person", rows, out)
    assert PACKED in vars(table)
    assert out.read_bytes() == expected.read_bytes()
    src.write_text('Email,Notes\r\na@b.co,"x, y"\r\nc@d.co,zz\r\n', encoding="utf-8")
    table.pack()  # nothing to pack: still packed
    write_output(table, "person", rows, out)
    assert PACKED not in vars(table)
    assert out.read_bytes().startswith(b'Email,Notes,')
    assert b'c@d.co,z,' in out.read_bytes()  # the cells as read, not the file's new text


TRAPS = sorted(p for p in (Path(__file__).parent.parent / "samples" / "traps").iterdir()
               if p.suffix in (".csv", ".tsv", ".txt", ".xlsx", ".ods", ".xls"))


def plan_facts(plan: Plan) -> tuple[object, ...]:
    frame = IdentityFrame.of(plan.identities, plan.kind).frame
    return (plan.row_keys, frame.rows(), plan.duplicates, plan.estimated_max, plan.row_notes,
            plan.run_id, dict(plan.cached))


def test_a_plan_that_packs_the_cells_is_the_same_plan(tmp_path: Path) -> None:
    """make_plan(pack=True) packs the cells once it has read them (ragged rows, --limit, trap
    files of every kind): the same plan, and the same cells when read again."""
    planned = 0
    for path in TRAPS:
        for limit in (None, 2):
            options = EnrichOptions(input=path, limit=limit, connection=Connection(
                api_key="k", base_url="http://127.0.0.1:1/api/v2", state_dir=tmp_path))
            try:
                plain, packed = load(options), load(options)
            except CsvEnrichError:
                continue
            expected = make_plan(plain, options)
            plan = make_plan(packed, options, pack=True)
            assert (PACKED in vars(packed.table)) == (packed.table.frame.width > 0), path
            assert plan_facts(plan) == plan_facts(expected), path
            assert same(packed.table.frame, plain.table.frame), path
            planned += 1
    assert planned > 40


def frame_of(table: Table) -> pl.DataFrame:
    return table.frame


def test_threads_reading_a_packed_table_at_once_get_one_frame(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    frame = pl.DataFrame({"Email": [f"p{i}@x.io" for i in range(5000)]})
    for _ in range(20):
        table = table_of(frame, tmp_path / "in.csv")
        table.pack()
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(frame_of, [table] * 8))
        assert same(table.frame, frame)
        assert all(g is table.frame for g in got)


def test_a_table_without_cells_says_so() -> None:
    table = table_of(pl.DataFrame({"Email": ["a@b.co"]}), Path("in.csv"))
    del vars(table)["frame"]
    try:
        _ = table.frame
    except AttributeError:
        pass
    else:
        raise AssertionError("no frame, no packed cells: AttributeError")

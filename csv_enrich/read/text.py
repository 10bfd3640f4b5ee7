"""Delimited text (.csv, .tsv, .txt) -> rows of text: encoding detected, delimiter sniffed."""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from csv_enrich.errors import InputError

MAX_TEXT_BYTES = 1 << 30
DELIMITERS = (",", ";", "\t", "|")
SNIFF_CHARS = 65536  # the delimiter is sniffed on the text's first characters
SEP_LINE = re.compile(r"\A\ufeff?sep=([,;\t|])[ \t]*(?=\r?\n)", re.I)
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_ENCODING_NAMES = {
    "cp1252": "Windows-1252 (Western European)", "latin_1": "Latin-1", "utf-16": "UTF-16",
    "utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "cp1251": "Windows-1251 (Cyrillic)",
}  # fmt: skip
_WESTERN = frozenset(
    {"cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "mac_roman", "cp850", "cp437",
     "iso8859_9", "cp1254", "mac_latin2", "cp1257", "iso8859_13", "iso8859_4", "ascii"}
)  # fmt: skip


def delimiter_name(delimiter: str) -> str:
    """A word for a delimiter, for notes ("semicolon")."""
    return _NAMES.get(delimiter, repr(delimiter))


def dialect_notes(delimiter: str, encoding: str) -> tuple[str, ...]:
    """What a person should know about how the text was read (nothing for plain UTF-8 CSV)."""
    notes: list[str] = []
    if delimiter != ",":
        notes.append(f"fields are separated by {delimiter_name(delimiter)}s")
    if encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"the text is read as {_ENCODING_NAMES.get(encoding, encoding)}")
    return tuple(notes)


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """The text of `data` and the encoding it was read with (BOM, UTF-16, UTF-8, then Western)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    if data.startswith(codecs.BOM_UTF16_BE):
        return data.decode("utf-16", errors="replace"), "utf-16"
    sixteen = _utf16_without_bom(data[:4096])
    if sixteen:
        return data.decode(sixteen, errors="replace"), sixteen
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return _western(data)


def _utf16_without_bom(head: bytes) -> str | None:
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _western(data: bytes) -> tuple[str, str]:
    """Not UTF-8: Windows-1252 (what Excel writes in the West) unless the bytes clearly belong to
    another family (Cyrillic, CJK); Latin-1 when nothing else decodes."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    guess = best.encoding if best is not None else "cp1252"
    for encoding in ("cp1252", "latin_1") if guess in _WESTERN else (guess, "cp1252", "latin_1"):
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin_1", errors="replace"), "latin_1"


def check_text(text: str, path: Path) -> None:
    """Refuse text that is really a binary file."""
    head = text[:8192]
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    if "\x00" in head or controls > max(8, len(head) // 50):
        raise InputError(
            f"{path}: this is a binary file, not delimited text; "
            "export it from its program as CSV or XLSX and try again"
        )


def sniff_delimiter(text: str, suffix: str) -> str:
    """The delimiter that splits the first lines into the most consistent number of fields."""
    sample = text[:SNIFF_CHARS]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    scores = {d: _consistency(sample, d) for d in DELIMITERS}
    preferred = "\t" if suffix == ".tsv" else ","
    if scores[preferred][1] > 1:
        best_other = max(scores.values())
        if scores[preferred] >= best_other or scores[preferred][0] >= 0.9:
            return preferred
    return max(DELIMITERS, key=lambda d: scores[d])


def _consistency(sample: str, delimiter: str) -> tuple[float, int]:
    """(share of rows with the most common width, that width) over the first 50 records."""
    try:
        rows = [r for r in _records(sample, delimiter, 50) if any(c.strip() for c in r[1])]
    except csv.Error:
        return (0.0, 0)
    widths = [len(list(r[1])) for r in rows]
    if not widths:
        return (0.0, 0)
    width = max(set(widths), key=lambda w: (widths.count(w), w))
    if width < 2:
        return (0.0, width)
    return (widths.count(width) / len(widths), width)


def _records(text: str, delimiter: str, limit: int | None) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    out: list[tuple[int, list[str]]] = []
    line = 0
    for record in reader:
        out.append((line + 1, record))
        line = reader.line_num
        if limit is not None and len(out) >= limit:
            break
    return out


def read_delimited(
    path: Path, data: bytes, limit: int | None
) -> tuple[list[tuple[int, list[str]]], str, str]:
    """(line number, fields) per record, the delimiter and the encoding of a delimited file."""
    text, delimiter, encoding = prepare(path, data)
    return split_records(path, text, delimiter, limit), delimiter, encoding


def utf8_dialect(path: Path, data: bytes) -> tuple[bytes, str, str] | None:
    """For UTF-8 text: its bytes after any BOM, and the delimiter and encoding prepare() finds,
    decided from the head alone (no decoding of the whole file). None when prepare() would
    read it another way (UTF-16, a "sep=" line, a binary file, the head not UTF-8); bytes past
    the head that are not UTF-8 are for the caller to find (polars refuses them)."""
    sixteen = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if data.startswith(codecs.BOM_UTF8):
        body, encoding = data[len(codecs.BOM_UTF8) :], "utf-8-sig"
    elif sixteen or _utf16_without_bom(data[:4096]):
        return None
    else:
        body, encoding = data, "utf-8"
    head = _utf8_head(body)
    if head is None or SEP_LINE.match(head) or not _is_text(head):
        return None
    return body, sniff_delimiter(head, path.suffix.lower()), encoding


def _utf8_head(data: bytes) -> str | None:
    """The first characters of `data`: all of them, or more than sniff_delimiter samples (so
    it sees the text go on); None if they are not UTF-8."""
    cut = 4 * SNIFF_CHARS + 4
    if len(data) > cut:
        while data[cut] & 0xC0 == 0x80:  # not between the bytes of one character
            cut -= 1
    try:
        return data[:cut].decode("utf-8")
    except UnicodeDecodeError:
        return None


def _is_text(head: str) -> bool:
    try:
        check_text(head, Path())
    except InputError:
        return False
    return True


def prepare(path: Path, data: bytes) -> tuple[str, str, str]:
    """The text of a delimited file (without an Excel "sep=" hint), its delimiter and encoding."""
    text, encoding = decode(data, path)
    check_text(text, path)
    hint = SEP_LINE.match(text)
    if hint:  # Excel's "sep=;" first line: the delimiter, said outright; the line stays blank
        text = text[hint.end() :]
    delimiter = hint.group(1) if hint else sniff_delimiter(text, path.suffix.lower())
    return text, delimiter, encoding


def split_records(
    path: Path, text: str, delimiter: str, limit: int | None
) -> list[tuple[int, list[str]]]:
    """(line number, fields) per record of `text`, as csv.reader(strict=False) splits it."""
    try:
        records = _records(text, delimiter, None if limit is None else limit + 200)
    except csv.Error as exc:
        raise InputError(
            f"{path}: the text cannot be split into fields ({exc}); "
            "check it is a CSV export, or save it as XLSX"
        ) from None
    if '="' in text:
        records = [(line, [unwrap(f) for f in fields]) for line, fields in records]
    return records


def unwrap(field: str) -> str:
    """="00123" (how some exports keep Excel from dropping zeros) is the text 00123."""
    if field.startswith('="') and field.endswith('"') and '"' not in field[2:-1]:
        return field[2:-1]
    return field

"""Read an import file (CSV or XLSX) into columns of cell text, refusing what cannot be read honestly.

Why it looks like this:
- The result is columnar (one pyarrow string array per header) because the validator works a column at a
  time; a million-row file must not become a million Python dicts.
- CSV encodings are detected, not guessed: UTF-8 (with or without BOM) if the bytes are valid UTF-8, else
  Windows-1252 (which contains Latin-1's printable characters). A file that is UTF-8 in some rows and
  something else in others, or that has bytes no encoding here can map, is refused, naming the row.
- What Excel writes is read: "CSV (Macintosh)" (CR-only line ends) and "Unicode Text" (UTF-16 with a BOM,
  tab-separated). A file that is not a CSV at all (.xls, PDF, other binary) is refused by its first bytes
  with a message that says what it is, never as an encoding fault. Parquet (`siks export`'s) is read.
- XLSX: a merged cell, a formula cell or a hidden row/column with data is refused, naming the cell. Before
  openpyxl parses anything, the ZIP's declared sizes, the shared-string count and the length of every text
  node are checked against fixed limits (a 1 MB decompression bomb must not become 9 GB of Python strings).
- A column with data under an empty header is refused (it would otherwise vanish without a word).
- Row numbers are the spreadsheet's: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from siks.arrowpool import use_fast_pool
from siks.domain.formats import angka
from siks.domain.template import RowIssue

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")
# A valid multi-byte UTF-8 sequence: its presence in a file that is not valid UTF-8 means "mixed".
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_MAX_CELL_ISSUES = 200  # formula/merged cells listed one by one up to this many
_PREVIEW_ROWS = 20  # rows kept from the top of each sheet, to say where a misplaced header is

# XLSX limits, checked before openpyxl parses anything (see docs/import.md, "Limits").
XLSX_MAX_UNCOMPRESSED = 2 << 30  # bytes, all parts of the ZIP together, as declared in its directory
XLSX_MAX_SHARED_STRINGS = 5_000_000  # distinct texts of a workbook (a 1M-row template file: ~2.5M)
XLSX_MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
_XLSX_MAX_TEXT_BYTES = XLSX_MAX_CELL_CHARS * 4  # the most that many characters take in UTF-8
_CSV_BLOCK = 16 << 20  # pyarrow's block; a record longer than a block is read by the exact reader

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003), .doc: a Compound File
_PARQUET = b"PAR1"
_LINE_END = re.compile(rb"\r\n|\r|\n")


@dataclass
class RawTable:
    """The cells of one file as text ("" when empty), column by column, with the file's row numbers."""

    file_name: str
    sha256: str
    format: str  # "csv" or "xlsx"
    columns: dict[str, pa.Array]  # header (stripped, lower-case) → string array
    row_numbers: np.ndarray  # int64: the spreadsheet row of each record
    encoding: str | None = None
    delimiter: str | None = None
    headers: list[str] = field(default_factory=list)  # as written in the file
    # the first rows of each sheet as written (CSV: one "sheet" named ""), to find a misplaced header
    preview: list[tuple[str, list[list[str]]]] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)

    def row_dict(self, i: int) -> dict[str, str]:
        """One record as header → text: what `template.parse_row` takes."""
        return {k: a[i].as_py() or "" for k, a in self.columns.items()}


class ReadError(Exception):
    """The file cannot be read as an import file; `issues` say where and why (nothing was imported)."""

    def __init__(self, issues: list[RowIssue]) -> None:
        super().__init__("; ".join(i.message for i in issues[:3]))
        self.issues = issues
        self.preview: list[tuple[str, list[list[str]]]] = []  # as RawTable.preview, when the file was read


def _issue(
    code: str, message: str, row: int | None = None, column: str | None = None, value=None
) -> RowIssue:
    where = f"Baris {row}" + (f", kolom {column}" if column else "") + ": " if row else ""
    return RowIssue(code, where + message, column, value, "error", rows=(row,) if row else ())


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_file(
    path: str | Path, *, encoding: str | None = None, dictionary: frozenset[str] = frozenset()
) -> RawTable:
    """CSV or XLSX by extension (and by content: an XLSX is a ZIP). Raises ReadError with the reasons.

    Columns named in `dictionary` (few distinct values: codes, dates) may come back dictionary-encoded.
    """
    path = Path(path)
    use_fast_pool()  # before the first big allocation of an import
    if not path.exists():
        raise ReadError([_issue("FILE_MISSING", f"berkas {path} tidak ditemukan.")])
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic.startswith(_OLE2):
        raise ReadError(
            [
                _issue(
                    "FILE_FORMAT",
                    "berkas ini format Excel 97–2003 (.xls) atau dokumen Office lama, bukan CSV/XLSX; "
                    "buka di Excel lalu simpan sebagai 'Excel Workbook (.xlsx)' atau 'CSV UTF-8'.",
                )
            ]
        )
    if magic.startswith(_PARQUET):
        return read_parquet(path)
    if path.suffix.lower() in (".xlsx", ".xlsm") or magic.startswith(b"PK\x03\x04"):
        return read_xlsx(path)
    return read_csv(path, encoding=encoding, dictionary=dictionary)


# --- Parquet ----------------------------------------------------------------------------------------------


def read_parquet(path: str | Path) -> RawTable:
    """A Parquet file, e.g. `siks export --format parquet`: every column as text, rows numbered from 2."""
    import pyarrow.parquet as pq

    path = Path(path)
    digest = sha256_of(path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise ReadError([_issue("FILE_FORMAT", f"berkas Parquet tidak dapat dibaca ({exc}).")]) from None
    names = list(table.column_names)
    keys, issues = _normalize_headers(names)
    if issues:
        raise ReadError(issues)
    columns = {}
    for k, n in zip(keys, names, strict=True):
        col = _one_chunk(table.column(n))
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if not pa.types.is_string(col.type):
            try:
                col = _as_text(col)
            except pa.ArrowException:
                raise ReadError(
                    [_issue("FILE_FORMAT", f"kolom {n} bertipe {col.type} tidak dapat dibaca sebagai teks.")]
                ) from None
        columns[k] = col.fill_null("")
    empty_named = [n for k, n in zip(keys, names, strict=True) if not k]
    if empty_named:
        raise ReadError([_issue("COLUMN_UNNAMED", "berkas Parquet punya kolom tanpa nama.", 1)])
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    columns, rows = _drop_blank(columns, rows)
    return RawTable(path.name, digest, "parquet", columns, rows, None, None, names)


def _as_text(col: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    return pc.cast(col, pa.string())


# --- CSV ------------------------------------------------------------------------------------------------


def _row_of_offset(data: bytes, offset: int) -> int:
    """The 1-based record number of a byte offset (the header is record 1), honouring quoted newlines."""
    text = data[:offset].decode("latin-1")  # 1 byte → 1 char: offsets stay exact
    records = sum(1 for _ in csv.reader(io.StringIO(text, newline="")))
    return max(records, 1)


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) if valid, else cp1252; mixed or unmappable bytes: ReadError."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            data[3:].decode("utf-8")
        except UnicodeDecodeError as bad:
            row = _row_of_offset(data, bad.start + 3)
            raise ReadError([_mixed_issue(row, data[bad.start + 3 : bad.start + 4])]) from None
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as bad:
        first_bad = bad.start
    if _UTF8_MULTIBYTE.search(data):
        raise ReadError([_mixed_issue(_row_of_offset(data, first_bad), data[first_bad : first_bad + 1])])
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as bad:
        row = _row_of_offset(data, bad.start)
        byte = data[bad.start : bad.start + 1]
        raise ReadError(
            [
                _issue(
                    "ENCODING_INVALID",
                    f"byte 0x{byte.hex().upper()} tidak dapat dibaca sebagai UTF-8 "
                    "maupun Windows-1252/Latin-1; "
                    "simpan ulang berkas sebagai CSV UTF-8.",
                    row,
                )
            ]
        ) from None
    return "cp1252"


def _mixed_issue(row: int, byte: bytes) -> RowIssue:
    return _issue(
        "ENCODING_MIXED",
        f"byte 0x{byte.hex().upper()} bukan UTF-8, padahal bagian lain berkas ditulis dalam UTF-8 "
        "(encoding campuran); simpan ulang seluruh berkas sebagai CSV UTF-8.",
        row,
    )


def _decode_check(data: bytes, encoding: str) -> None:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as bad:
        row = _row_of_offset(data, bad.start)
        raise ReadError(
            [
                _issue(
                    "ENCODING_INVALID",
                    f"berkas tidak dapat dibaca sebagai {encoding} (posisi byte {bad.start}).",
                    row,
                )
            ]
        ) from None


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _normalize_headers(names: list[str]) -> tuple[list[str], list[RowIssue]]:
    keys = [str(n or "").strip().lower() for n in names]
    issues = []
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k and k in seen:
            issues.append(
                _issue(
                    "COLUMN_DUPLICATE",
                    f"kolom '{k}' muncul dua kali (kolom ke-{seen[k] + 1} dan ke-{i + 1}).",
                    1,
                    k,
                )
            )
        seen.setdefault(k, i)
    return keys, issues


def read_csv(
    path: str | Path, *, encoding: str | None = None, dictionary: frozenset[str] = frozenset()
) -> RawTable:
    path = Path(path)
    data = path.read_bytes()
    with ThreadPoolExecutor(1) as pool:  # hashing releases the GIL: it runs while the file is parsed
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        if not data or data.isspace():
            raise ReadError([_issue("FILE_EMPTY", "Berkas kosong: tidak ada baris judul kolom.")])
        data, wide = _from_utf16(data, encoding)
        if wide:
            encoding = None  # now UTF-8: what follows reads it as such
        data = _line_ends(data)
        if wide and not data.strip():
            raise ReadError([_issue("FILE_EMPTY", "Berkas kosong: tidak ada baris judul kolom.")])
        if encoding:
            if encoding.lower() not in ENCODINGS:
                raise ReadError(
                    [
                        _issue(
                            "ENCODING_UNKNOWN",
                            f"Encoding '{encoding}' tidak didukung; pilih {', '.join(ENCODINGS)}.",
                        )
                    ]
                )
            encoding = encoding.lower()
            _decode_check(data, encoding)
            table = _parse_or_preview(_as_utf8(data, encoding), dictionary)
        else:
            try:  # the usual case: UTF-8, which pyarrow validates while it parses
                encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
                table = _parse_or_preview(_as_utf8(data, encoding), dictionary)
            except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
                if isinstance(exc, pa.ArrowInvalid) and "utf" not in str(exc).lower():
                    raise ReadError(
                        [_issue("FILE_FORMAT", f"Berkas CSV tidak dapat dibaca: {exc}")]
                    ) from None
                encoding = detect_encoding(data)  # names the row, or says cp1252
                try:
                    table = _parse_or_preview(_as_utf8(data, encoding), dictionary)
                except pa.ArrowInvalid as again:
                    raise ReadError(
                        [_issue("FILE_FORMAT", f"Berkas CSV tidak dapat dibaca: {again}")]
                    ) from None
        columns, rows, delimiter, names = table
        preview = _csv_preview(_as_utf8(data, encoding))
        return RawTable(
            path.name,
            digest.result(),
            "csv",
            columns,
            rows,
            wide or encoding,
            delimiter,
            names,
            [("", preview)],
        )


def _from_utf16(data: bytes, encoding: str | None) -> tuple[bytes, str | None]:
    """UTF-16 ("Unicode Text" from Excel: a BOM, tabs, CRLF) → UTF-8 bytes; other binary is refused.

    Returns the data and the encoding it was read from ("utf-16"), or the data untouched and None.
    """
    head = data[:4096]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (encoding or "").lower() == "utf-16":
        codec = "utf-16"
    elif head.count(b"\x00") * 3 >= len(head):  # every other byte NUL: UTF-16 without a BOM
        codec = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    elif b"\x00" in head:
        raise ReadError(
            [
                _issue(
                    "FILE_FORMAT",
                    "berkas ini berisi data biner (byte 0x00), bukan teks CSV; "
                    "unggah berkas CSV, XLSX atau Parquet.",
                )
            ]
        )
    else:
        return data, None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as bad:
        raise ReadError(
            [
                _issue(
                    "ENCODING_INVALID",
                    f"berkas UTF-16 rusak pada posisi byte {bad.start}; simpan ulang sebagai CSV UTF-8.",
                )
            ]
        ) from None
    return text.lstrip("\ufeff").encode("utf-8"), "utf-16"


def _line_ends(data: bytes) -> bytes:
    """CR-only line ends ("CSV (Macintosh)" of Excel) become LF; CRLF and LF are left as they are."""
    if b"\r" in data and b"\n" not in data:
        return data.replace(b"\r", b"\n")
    return data


def _as_utf8(data: bytes, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return data[3:]
    if encoding == "utf-8":
        return data
    return data.decode(encoding).encode("utf-8")


def _parse(data: bytes, dictionary: frozenset[str]):
    end = _LINE_END.search(data)  # pyarrow ends a line at CR, LF or CRLF: so does the header
    first_line = (data if end is None else data[: end.start()]).decode("utf-8")
    delimiter = _sniff_delimiter(first_line)
    names = next(csv.reader([first_line], delimiter=delimiter))
    keys, issues = _normalize_headers(names)
    if issues:
        raise ReadError(issues)
    if end is None or end.end() == len(data):  # the header alone (pyarrow would refuse to skip it)
        return {k: pa.array([], pa.string()) for k in keys if k}, np.zeros(0, np.int64), delimiter, names
    # blank lines come back from pyarrow as records of empty cells (ignore_empty_lines=False), so row
    # numbers count them as a spreadsheet does; _drop_blank then removes them
    columns, rows = _read_csv_arrow(data, delimiter, keys, dictionary)
    return columns, rows, delimiter, names


def _parse_or_preview(data: bytes, dictionary: frozenset[str]):
    """`_parse`; a refusal carries the file's first rows, so the importer can say where the header is."""
    try:
        return _parse(data, dictionary)
    except ReadError as bad:
        bad.preview = [("", _csv_preview(data))]
        raise


def _csv_preview(data: bytes) -> list[list[str]]:
    """The first rows of a CSV (UTF-8 bytes), split by the delimiter most used in them."""
    head = data[: 1 << 16].decode("utf-8", errors="replace")
    try:
        reader = csv.reader(io.StringIO(head, newline=""), delimiter=_sniff_delimiter(head))
        return [[c[:200] for c in r] for _, r in zip(range(_PREVIEW_ROWS), reader, strict=False)]
    except csv.Error:
        return []


def _unnamed_column_issues(keys: list[str], cells, rows: np.ndarray) -> list[RowIssue]:
    """A column with an empty header but data in it: refused, naming the column and its first filled row."""
    from openpyxl.utils import get_column_letter

    issues = []
    for i, k in enumerate(keys):
        if k:
            continue
        filled = np.flatnonzero(~blank_mask(cells(i)).to_numpy(zero_copy_only=False))
        if len(filled):
            issues.append(
                _issue(
                    "COLUMN_UNNAMED",
                    f"kolom ke-{i + 1} ({get_column_letter(i + 1)}) berisi data tetapi judulnya kosong; "
                    "beri judul kolom template atau hapus kolom itu.",
                    int(rows[filled[0]]),
                )
            )
    return issues


def _read_csv_arrow(
    data: bytes, delimiter: str, keys: list[str], dictionary: frozenset[str]
) -> tuple[dict[str, pa.Array], np.ndarray]:
    bad_rows: list[object] = []

    def on_invalid(row) -> str:
        bad_rows.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(keys))]
    try:
        table = _arrow_csv(data, delimiter, keys, names, dictionary, on_invalid)
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):  # a record longer than a block: pyarrow's limit, not the file's fault
            raise
        return _read_csv_python(data, delimiter, keys)
    if bad_rows:  # let the exact (slow) reader find and name the rows
        return _read_csv_python(data, delimiter, keys)
    table = table.unify_dictionaries()
    columns = {k: _one_chunk(table.column(n)) for k, n in zip(keys, names, strict=True) if k}
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    if "" in keys:
        issues = _unnamed_column_issues(keys, lambda i: _one_chunk(table.column(names[i])), rows)
        if issues:
            raise ReadError(issues)
    return _drop_blank(columns, rows)


def _arrow_csv(data: bytes, delimiter: str, keys: list[str], names: list[str], dictionary, on_invalid):
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=_CSV_BLOCK),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter,
            newlines_in_values=data.find(b'"', data.find(b"\n")) >= 0,  # quotes after the header
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={
                n: pa.dictionary(pa.int32(), pa.string()) if k in dictionary else pa.string()
                for n, k in zip(names, keys, strict=True)
            },
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _one_chunk(col: pa.ChunkedArray) -> pa.Array:
    """One array per column. Dictionary chunks share one dictionary (unified): only the indices are joined."""
    if col.num_chunks == 1:
        return col.chunk(0)
    if col.num_chunks == 0:
        return pa.array([], col.type)
    if pa.types.is_dictionary(col.type):
        indices = pa.concat_arrays([c.indices for c in col.chunks])
        return pa.DictionaryArray.from_arrays(indices, col.chunk(0).dictionary, safe=False)  # unified
    return pa.concat_arrays(col.chunks)


def blank_mask(arr: pa.Array) -> pa.Array:
    """True where the cell is empty or whitespace (dictionary arrays: once per distinct text)."""
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):
        per_text = pc.equal(pc.utf8_trim_whitespace(arr.dictionary), "")
        return per_text.take(arr.indices)
    return pc.equal(pc.utf8_trim_whitespace(arr), "")


def _read_csv_python(data: bytes, delimiter: str, keys: list[str]) -> tuple[dict[str, pa.Array], np.ndarray]:
    """The exact reader: numbers records as a spreadsheet does (blank lines count) and names bad rows."""
    reader = csv.reader(
        io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter
    )  # may raise: see read_csv
    next(reader)
    cells: list[list[str]] = [[] for _ in keys]
    rows: list[int] = []
    issues = []
    width = len(keys)
    for row, record in enumerate(_csv_records(reader), start=2):
        if not record or all(not c.strip() for c in record):
            continue  # a blank line is not a record
        if len(record) != width:
            issues.append(
                _issue(
                    "ROW_COLUMNS",
                    f"berisi {len(record)} sel, padahal baris judul punya {width} kolom "
                    "(periksa pemisah kolom dan tanda petik).",
                    row,
                )
            )
            continue
        rows.append(row)
        for i, c in enumerate(record):
            cells[i].append(c)
    row_numbers = np.asarray(rows, dtype=np.int64)
    if "" in keys and not issues:
        issues = _unnamed_column_issues(keys, lambda i: pa.array(cells[i], pa.string()), row_numbers)
    if issues:
        raise ReadError(issues[:_MAX_CELL_ISSUES])
    columns = {k: pa.array(cells[i], pa.string()) for i, k in enumerate(keys) if k}
    return columns, row_numbers


def _csv_records(reader):
    """The csv module's records; its error (e.g. a lone CR inside an unquoted cell) names the line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            why = (
                f"sebuah sel lebih dari {_id_number(csv.field_size_limit())} karakter (atau tanda petik "
                "yang tidak ditutup membuat sisa berkas terbaca sebagai satu sel)"
                if "field larger" in str(exc)
                else f"baris tidak dapat dibaca sebagai CSV ({exc})"
            )
            raise ReadError([_issue("FILE_FORMAT", why + ".", reader.line_num)]) from None


def _drop_blank(columns: dict[str, pa.Array], rows: np.ndarray) -> tuple[dict[str, pa.Array], np.ndarray]:
    """Records whose every cell is blank (";;;;" lines Excel leaves behind) are not records."""
    import pyarrow.compute as pc

    if not columns:
        return columns, rows
    first = blank_mask(next(iter(columns.values())))
    if not pc.any(first).as_py():  # a blank record is blank in every column, so in the first one too
        return columns, rows
    blank = None
    for arr in columns.values():
        empty = blank_mask(arr)
        blank = empty if blank is None else pc.and_(blank, empty)
        if not pc.any(blank).as_py():
            return columns, rows
    keep = pc.invert(blank)
    return {k: a.filter(keep) for k, a in columns.items()}, rows[keep.to_numpy(zero_copy_only=False)]


# --- XLSX -----------------------------------------------------------------------------------------------

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
_TEXT_KINDS_FOR_NUMBERS = ("nik", "no_kk")


_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_HIDDEN_COL = re.compile(rb'<(?:\w+:)?col\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ATTR_R = re.compile(rb'\br="([0-9]+)"')
_ATTR_MIN_MAX = re.compile(rb'\bmin="([0-9]+)"[^>]*?\bmax="([0-9]+)"')
_SI_PREFIXED = re.compile(rb"<\w+:si[\s>]")
_UNIQUE_COUNT = re.compile(rb'\buniqueCount="([0-9]+)"')


@dataclass
class _SheetScan:
    merged: list[str] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)  # 1-based column numbers


class _TextRuns:
    """Follows the longest run of bytes between two tags across chunks: a text node over the limit."""

    def __init__(self) -> None:
        self.run = 0

    def too_long(self, chunk: bytes) -> bool:
        tags = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == ord("<"))
        if len(tags) == 0:
            self.run += len(chunk)
            return self.run > _XLSX_MAX_TEXT_BYTES
        longest = int(np.diff(tags).max()) - 1 if len(tags) > 1 else 0
        if max(self.run + int(tags[0]), longest) > _XLSX_MAX_TEXT_BYTES:
            return True
        self.run = len(chunk) - int(tags[-1]) - 1
        return False


def _too_big(message: str) -> ReadError:
    message += " Berkas ditolak sebelum dibaca; impor data itu sebagai CSV."
    return ReadError([_issue("XLSX_TOO_BIG", message)])


def _id_number(n: float) -> str:
    """A number as Indonesians write it: 5.000.000."""
    return f"{angka(n, 0)}"


def _check_limits(z: zipfile.ZipFile) -> None:
    """Refuse a workbook whose declared sizes, shared-string count or any text node exceed the limits.

    Python's zipfile never inflates a member beyond its declared size (it stops and fails the CRC), so the
    declared sizes bound what openpyxl can be made to read. Shared strings are counted and every text node
    measured while streaming, so a bomb is refused after its first megabyte, not after parsing it.
    """
    total = sum(i.file_size for i in z.infolist())
    if total > XLSX_MAX_UNCOMPRESSED:
        raise _too_big(
            f"isi XLSX yang dipadatkan berukuran {_id_number(total / 2**20)} MB setelah dibuka, lebih dari "
            f"batas {_id_number(XLSX_MAX_UNCOMPRESSED >> 20)} MB."
        )
    names = [n for n in z.namelist() if n.lower().endswith("sharedstrings.xml")]
    too_many = _too_big(
        f"berkas berisi lebih dari {angka(XLSX_MAX_SHARED_STRINGS)} teks berbeda (shared strings)."
    )
    for name in names:
        runs, count = _TextRuns(), 0
        with z.open(name) as f:
            for i, chunk in enumerate(iter(lambda: f.read(1 << 20), b"")):
                declared = _UNIQUE_COUNT.search(chunk[:4096]) if i == 0 else None
                if declared and int(declared.group(1)) > XLSX_MAX_SHARED_STRINGS:
                    raise too_many
                if runs.too_long(chunk):
                    raise _too_big(
                        f"sebuah teks dalam {name} lebih dari {_id_number(XLSX_MAX_CELL_CHARS)} karakter "
                        "(batas satu sel Excel)."
                    )
                count += chunk.count(b"<si>") + chunk.count(b"<si ")
                if b":si" in chunk:  # a namespace prefix (x:si): the slower pattern
                    count += len(_SI_PREFIXED.findall(chunk))
                if count > XLSX_MAX_SHARED_STRINGS:
                    raise too_many


def _scan_sheet(z: zipfile.ZipFile, sheet_xml: str) -> _SheetScan:
    """Merged ranges, hidden rows and columns, and over-long text nodes of a sheet, from its XML.

    openpyxl's read-only mode reports neither merges nor hidden rows; one streaming pass finds them.
    """
    scan = _SheetScan()
    runs = _TextRuns()
    tail = b""
    with z.open(sheet_xml) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            if runs.too_long(chunk):
                raise _too_big(
                    f"sebuah sel lembar pertama berisi teks lebih dari {_id_number(XLSX_MAX_CELL_CHARS)} "
                    "karakter (batas satu sel Excel)."
                )
            buf = tail + chunk
            if b"mergeCell" in buf:  # (a substring test is ~50x cheaper than the pattern on a plain chunk)
                scan.merged += [m.decode() for m in _MERGE.findall(buf)]
            if b"hidden=" in buf:
                for m in _HIDDEN_ROW.finditer(buf):
                    if r := _ATTR_R.search(m.group(0)):
                        scan.hidden_rows.add(int(r.group(1)))
                for m in _HIDDEN_COL.finditer(buf):
                    if mm := _ATTR_MIN_MAX.search(m.group(0)):
                        lo, hi = int(mm.group(1)), min(int(mm.group(2)), 16_384)
                        scan.hidden_cols.update(range(lo, hi + 1))
            tail = buf[-400:]
    scan.merged = list(dict.fromkeys(scan.merged))
    return scan


def _cell_text(value, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "2"
    if isinstance(value, int | float):
        if key in _TEXT_KINDS_FOR_NUMBERS:
            return repr(float(value))  # "3509150101900000.0": the NIK rules recognise Excel's damage
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_xlsx(path: str | Path) -> RawTable:
    from openpyxl import load_workbook

    path = Path(path)
    digest = sha256_of(path)
    try:
        with zipfile.ZipFile(path) as z:
            _check_limits(z)
            sheet_xml = _sheet_xml_path(z, 0)
            scan = _scan_sheet(z, sheet_xml) if sheet_xml else _SheetScan()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ReadError([_issue("FILE_FORMAT", f"berkas bukan XLSX yang dapat dibaca ({exc}).")]) from None
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same answer to the operator
        raise ReadError([_issue("FILE_FORMAT", f"berkas bukan XLSX yang dapat dibaca ({exc}).")]) from None
    try:
        try:
            table = _read_sheet(wb, scan)
        except ReadError as bad:
            bad.preview += _other_sheets(wb)
            raise
        preview = [(wb.worksheets[0].title, table[4]), *_other_sheets(wb)]
    finally:
        wb.close()
    keys, names, cells, rows = table[:4]
    columns = {k: pa.array(cells[i], pa.string()) for i, k in enumerate(keys) if k}
    return RawTable(
        path.name, digest, "xlsx", columns, np.asarray(rows, dtype=np.int64), None, None, names, preview
    )


def _other_sheets(wb) -> list[tuple[str, list[list[str]]]]:
    """The top of the 2nd to 10th sheets: where the data may be instead (for a misplaced header's hint)."""
    return [(ws.title, _sheet_preview(ws)) for ws in wb.worksheets[1:10]]


def _sheet_preview(ws) -> list[list[str]]:
    out = []
    for r in ws.iter_rows(max_row=_PREVIEW_ROWS, values_only=True):
        out.append(["" if v is None else str(v)[:200] for v in r])
    return out


def _read_sheet(wb, scan: _SheetScan):
    """The first sheet's header and cells; every refused cell (formula, merged, hidden) is an issue."""
    from openpyxl.utils import get_column_letter

    ws = wb.worksheets[0]
    issues = [
        _issue(
            "XLSX_MERGED",
            f"sel {rng} digabung (merge); pisahkan sel itu dan isi setiap sel.",
            _first_row(rng),
            None,
            rng,
        )
        for rng in scan.merged
    ]
    rows_iter = ws.iter_rows()
    header = next(rows_iter, None)
    if header is None:
        empty = ReadError([_issue("FILE_EMPTY", "lembar kerja pertama kosong: tidak ada baris judul kolom.")])
        empty.preview = [(ws.title, [])]
        raise empty
    names = ["" if c.value is None else str(c.value) for c in header]
    preview = [[n[:200] for n in names]]
    keys, head_issues = _normalize_headers(names)
    issues += head_issues
    width = len(keys)
    for col in sorted(scan.hidden_cols):
        if col <= width and keys[col - 1]:
            letter = get_column_letter(col)
            issues.append(
                _issue(
                    "XLSX_HIDDEN",
                    f"kolom {letter} ({keys[col - 1]}) disembunyikan (hidden); tampilkan (Unhide) "
                    "atau hapus kolom itu: yang tersembunyi tidak diimpor diam-diam.",
                    1,
                    keys[col - 1],
                    letter,
                )
            )
    cells: list[list[str]] = [[] for _ in keys]
    rows: list[int] = []
    unnamed = [i for i, k in enumerate(keys) if not k]
    for r in rows_iter:
        values = []
        row_no = None
        for i, c in enumerate(r):
            if getattr(c, "row", None) is not None:
                row_no = c.row
            if c.data_type == "f" and len(issues) < _MAX_CELL_ISSUES:
                ref = f"{get_column_letter(c.column)}{c.row}"
                issues.append(
                    _issue(
                        "XLSX_FORMULA",
                        f"sel {ref} berisi rumus {str(c.value)[:60]!r}; ganti dengan nilainya "
                        "(Paste Special → Values).",
                        c.row,
                        keys[i] if i < width else None,
                        ref,
                    )
                )
            values.append(_cell_text(c.value, keys[i] if i < width else ""))
        if len(preview) < _PREVIEW_ROWS:
            preview.append([v[:200] for v in values])
        if all(v == "" for v in values):
            continue  # empty rows at the bottom of a sheet are not records
        if row_no is None:
            row_no = (rows[-1] + 1) if rows else 2
        if row_no in scan.hidden_rows and len(issues) < _MAX_CELL_ISSUES:
            issues.append(
                _issue(
                    "XLSX_HIDDEN",
                    "baris ini disembunyikan (hidden) tetapi berisi data; tampilkan (Unhide) atau hapus "
                    "baris itu: yang tersembunyi tidak diimpor diam-diam.",
                    row_no,
                )
            )
        if len(values) > width and any(v for v in values[width:]):
            issues.append(_issue("ROW_COLUMNS", "berisi nilai di luar kolom yang berjudul.", row_no))
        for i in list(unnamed):
            if i < len(values) and values[i].strip() and len(issues) < _MAX_CELL_ISSUES:
                issues.append(
                    _issue(
                        "COLUMN_UNNAMED",
                        f"kolom ke-{i + 1} ({get_column_letter(i + 1)}) berisi data tetapi judulnya "
                        "kosong; beri judul kolom template atau hapus kolom itu.",
                        row_no,
                    )
                )
                unnamed.remove(i)  # named once, at its first filled row
        values = (values + [""] * width)[:width]
        rows.append(row_no)
        for i, v in enumerate(values):
            cells[i].append(v)
    if issues:
        bad = ReadError(sorted(issues, key=lambda i: (i.rows or (0,), i.code)))
        bad.preview = [(ws.title, preview)]
        raise bad
    return keys, names, cells, rows, preview


def _first_row(ref: str) -> int | None:
    m = re.match(r"[A-Z]+([0-9]+)", ref)
    return int(m.group(1)) if m else None


def _sheet_xml_path(z: zipfile.ZipFile, index: int) -> str | None:
    """The ZIP member of the index-th sheet, following the workbook relationships."""
    names = set(z.namelist())
    try:
        wb = z.read("xl/workbook.xml").decode("utf-8", errors="replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
    except KeyError:
        return None
    sheets = re.findall(r'<(?:\w+:)?sheet\b[^>]*?r:id="([^"]+)"', wb)
    if index >= len(sheets):
        return None
    target = re.search(rf'<Relationship\b[^>]*Id="{re.escape(sheets[index])}"[^>]*Target="([^"]+)"', rels)
    if target is None:
        target = re.search(rf'<Relationship\b[^>]*Target="([^"]+)"[^>]*Id="{re.escape(sheets[index])}"', rels)
    if target is None:
        return None
    t = target.group(1).lstrip("/")
    member = t if t.startswith("xl/") else f"xl/{t}"
    return member if member in names else None

"""Read an import file (CSV or XLSX) into columns of cell text, refusing what cannot be read honestly.

Why it looks like this:
- The result is columnar (one pyarrow string array per header) because the validator works a column at a
  time; a million-row file must not become a million Python dicts.
- CSV encodings are detected, not guessed: UTF-8 (with or without BOM) if the bytes are valid UTF-8, else
  Windows-1252 (which contains Latin-1's printable characters). A file that is UTF-8 in some rows and
  something else in others, or that has bytes no encoding here can map, is refused, naming the row.
- XLSX: a merged cell or a formula cell is refused, naming the cell (a formula's shown value is not data).
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
from siks.domain.template import RowIssue

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")
# A valid multi-byte UTF-8 sequence: its presence in a file that is not valid UTF-8 means "mixed".
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_MAX_CELL_ISSUES = 200  # formula/merged cells listed one by one up to this many


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
        magic = f.read(4)
    if path.suffix.lower() in (".xlsx", ".xlsm") or magic == b"PK\x03\x04":
        return read_xlsx(path)
    return read_csv(path, encoding=encoding, dictionary=dictionary)


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
            table = _parse(_as_utf8(data, encoding), dictionary)
        else:
            try:  # the usual case: UTF-8, which pyarrow validates while it parses
                encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
                table = _parse(_as_utf8(data, encoding), dictionary)
            except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
                if isinstance(exc, pa.ArrowInvalid) and "utf" not in str(exc).lower():
                    raise ReadError(
                        [_issue("FILE_FORMAT", f"Berkas CSV tidak dapat dibaca: {exc}")]
                    ) from None
                encoding = detect_encoding(data)  # names the row, or says cp1252
                table = _parse(_as_utf8(data, encoding), dictionary)
        columns, rows, delimiter, names = table
        return RawTable(path.name, digest.result(), "csv", columns, rows, encoding, delimiter, names)


def _as_utf8(data: bytes, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return data[3:]
    if encoding == "utf-8":
        return data
    return data.decode(encoding).encode("utf-8")


def _parse(data: bytes, dictionary: frozenset[str]):
    newline = data.find(b"\n")
    first_line = (data if newline < 0 else data[:newline]).decode("utf-8").rstrip("\r")
    delimiter = _sniff_delimiter(first_line)
    names = next(csv.reader([first_line], delimiter=delimiter))
    keys, issues = _normalize_headers(names)
    if issues:
        raise ReadError(issues)
    # blank lines come back from pyarrow as records of empty cells (ignore_empty_lines=False), so row
    # numbers count them as a spreadsheet does; _drop_blank then removes them
    columns, rows = _read_csv_arrow(data, delimiter, keys, dictionary)
    return columns, rows, delimiter, names


def _read_csv_arrow(
    data: bytes, delimiter: str, keys: list[str], dictionary: frozenset[str]
) -> tuple[dict[str, pa.Array], np.ndarray]:
    bad_rows: list[object] = []

    def on_invalid(row) -> str:
        bad_rows.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(keys))]
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=16 << 20),
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
    if bad_rows:  # let the exact (slow) reader find and name the rows
        return _read_csv_python(data, delimiter, keys)
    table = table.unify_dictionaries()
    columns = {k: _one_chunk(table.column(n)) for k, n in zip(keys, names, strict=True) if k}
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return _drop_blank(columns, rows)


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
    for row, record in enumerate(reader, start=2):
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
    if issues:
        raise ReadError(issues[:_MAX_CELL_ISSUES])
    columns = {k: pa.array(cells[i], pa.string()) for i, k in enumerate(keys) if k}
    return columns, np.asarray(rows, dtype=np.int64)


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


def _merged_ranges(path: Path, sheet_xml: str) -> list[str]:
    """Merged ranges of a sheet, read from its XML (openpyxl's read-only mode does not report them)."""
    found: list[str] = []
    tail = b""
    with zipfile.ZipFile(path) as z, z.open(sheet_xml) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            buf = tail + chunk
            found += [m.decode() for m in _MERGE.findall(buf)]
            tail = buf[-200:]
            found = list(dict.fromkeys(found))
    return found


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
    from openpyxl.utils import get_column_letter

    path = Path(path)
    digest = sha256_of(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same answer to the operator
        raise ReadError([_issue("FILE_FORMAT", f"berkas bukan XLSX yang dapat dibaca ({exc}).")]) from None
    try:
        ws = wb.worksheets[0]
        sheet_xml = _sheet_xml_path(path, 0)
        issues = [
            _issue(
                "XLSX_MERGED",
                f"sel {rng} digabung (merge); pisahkan sel itu dan isi setiap sel.",
                _first_row(rng),
                None,
                rng,
            )
            for rng in (_merged_ranges(path, sheet_xml) if sheet_xml else [])
        ]
        rows_iter = ws.iter_rows()
        header = next(rows_iter, None)
        if header is None:
            raise ReadError(
                [_issue("FILE_EMPTY", "lembar kerja pertama kosong: tidak ada baris judul kolom.")]
            )
        names = ["" if c.value is None else str(c.value) for c in header]
        keys, head_issues = _normalize_headers(names)
        issues += head_issues
        width = len(keys)
        cells: list[list[str]] = [[] for _ in keys]
        rows: list[int] = []
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
            if all(v == "" for v in values):
                continue  # empty rows at the bottom of a sheet are not records
            if row_no is None:
                row_no = (rows[-1] + 1) if rows else 2
            if len(values) > width and any(v for v in values[width:]):
                issues.append(_issue("ROW_COLUMNS", "berisi nilai di luar kolom yang berjudul.", row_no))
            values = (values + [""] * width)[:width]
            rows.append(row_no)
            for i, v in enumerate(values):
                cells[i].append(v)
    finally:
        wb.close()
    if issues:
        raise ReadError(sorted(issues, key=lambda i: (i.rows or (0,), i.code)))
    columns = {k: pa.array(cells[i], pa.string()) for i, k in enumerate(keys) if k}
    return RawTable(path.name, digest, "xlsx", columns, np.asarray(rows, dtype=np.int64), None, None, names)


def _first_row(ref: str) -> int | None:
    m = re.match(r"[A-Z]+([0-9]+)", ref)
    return int(m.group(1)) if m else None


def _sheet_xml_path(path: Path, index: int) -> str | None:
    """The ZIP member of the index-th sheet, following the workbook relationships."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        try:
            wb = z.read("xl/workbook.xml").decode("utf-8")
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
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

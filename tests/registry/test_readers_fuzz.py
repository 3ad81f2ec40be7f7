"""The readers under hypothesis: any bytes give a table or a ReadError (never a traceback), and any table
written the ways spreadsheets write CSV (delimiters, line ends, encodings, quoting) reads back cell for cell.
"""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from siks.registry import readers

# Every code a reader may answer with (docs/import.md, "Codes the importer adds").
READ_CODES = {
    "FILE_EMPTY",
    "FILE_FORMAT",
    "ENCODING_MIXED",
    "ENCODING_INVALID",
    "ENCODING_UNKNOWN",
    "COLUMN_DUPLICATE",
    "COLUMN_UNNAMED",
    "ROW_COLUMNS",
    "XLSX_MERGED",
    "XLSX_FORMULA",
    "XLSX_HIDDEN",
    "XLSX_TOO_BIG",
}
PREFIXES = [
    b"",
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
    b"PK\x03\x04",
    b"PAR1",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"id_ruta;nama\r",
    b'id_ruta,nama\n"',
]
_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check_table(raw: readers.RawTable) -> None:
    for name, arr in raw.columns.items():
        assert name == name.strip().lower() and len(arr) == raw.n_rows
    rows = raw.row_numbers.tolist()
    assert all(r >= 2 for r in rows) and rows == sorted(set(rows))


# pyarrow cannot hand a row of non-UTF-8 bytes to our invalid-row handler and says so as an "unraisable"
# warning; the reader then re-reads the file with the exact reader, which is what this test checks.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@_FUZZ
@given(
    prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=400), name=st.sampled_from(["f.csv", "f.xlsx"])
)
@example(prefix=b"", body=b"a,b\rc,d\r", name="f.csv")
@example(prefix=codecs.BOM_UTF16_LE, body="a\tb\r\n1\t2\r\n".encode("utf-16-le"), name="f.csv")
def test_any_bytes_read_or_refused_clearly(tmp_path, prefix, body, name):
    path = tmp_path / name
    path.write_bytes(prefix + body)
    try:
        raw = readers.read_file(path)
    except readers.ReadError as bad:
        assert bad.issues and all(i.code in READ_CODES and i.message for i in bad.issues), bad.issues[:3]
        return
    _check_table(raw)


HEADER = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True)
CELL = st.text(alphabet=st.sampled_from(list("abc XYZ019,;\t\"'\n-=éÉñçü.")), max_size=12)


@st.composite
def tables(draw):
    headers = draw(st.lists(HEADER, min_size=2, max_size=5, unique=True))
    n = draw(st.integers(0, 15))
    rows = [[f"R{i}"] + [draw(CELL) for _ in headers[1:]] for i in range(n)]
    return headers, rows


@_FUZZ
@given(
    table=tables(),
    delimiter=st.sampled_from([",", ";", "\t"]),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_csv_written_any_usual_way_reads_back(tmp_path, table, delimiter, line_end, encoding, quoting):
    headers, rows = table
    # Python's writer leaves a LF unquoted when lines end in CR: not a CSV anyone can read (Excel quotes it)
    assume(
        not (line_end == "\r" and quoting == csv.QUOTE_MINIMAL and any("\n" in c for r in rows for c in r))
    )
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=quoting).writerows([headers, *rows])
    path = tmp_path / "t.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    raw = readers.read_file(path)
    _check_table(raw)
    assert list(raw.columns) == headers
    for j, h in enumerate(headers):
        assert raw.columns[h].cast("string").to_pylist() == [r[j] for r in rows], h
    if line_end == "\r" and not any("\n" in c for r in rows for c in r):
        assert raw.n_rows == len(rows)

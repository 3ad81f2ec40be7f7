"""Files Excel and careless offices produce, and files built to hurt: each is read, or refused clearly.

Issue #17 points 7, 9 and 12: no traceback, no misleading code, and an XLSX bomb is refused before openpyxl
parses it (the memory and time of the real bombs are measured by bench/xlsx_bomb.py, not here).
"""

from __future__ import annotations

import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from siks.registry import readers

TEXT = "id_ruta\tnama\r\nR1\tJOSÉ\r\nR2\tSITI\r\n"


def _write(tmp_path, data: bytes, name="f.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _refused(path) -> readers.RowIssue:
    with pytest.raises(readers.ReadError) as bad:
        readers.read_file(path)
    return bad.value.issues[0]


def test_csv_macintosh_cr_only_line_ends(tmp_path):
    raw = readers.read_file(_write(tmp_path, b"id_ruta;nama\rR1;SITI\rR2;BUDI\r"))
    assert raw.columns["nama"].to_pylist() == ["SITI", "BUDI"]
    assert raw.row_numbers.tolist() == [2, 3]


def test_unicode_text_utf16_with_bom_and_crlf(tmp_path):
    for codec in ("utf-16", "utf-16-le", "utf-16-be"):  # with a BOM; and without one, either order
        data = TEXT.encode(codec)
        raw = readers.read_file(_write(tmp_path, data, f"{codec}.txt"))
        assert raw.encoding == "utf-16" and raw.delimiter == "\t", codec
        assert raw.columns["nama"].to_pylist() == ["JOSÉ", "SITI"], codec
        assert raw.sha256 == readers.sha256_of(tmp_path / f"{codec}.txt")  # of the bytes as uploaded


def test_lone_cr_is_a_line_end_as_in_a_spreadsheet(tmp_path):
    raw = readers.read_file(_write(tmp_path, b"id_ruta,nama\rR1,SITI\nR2,BU\rDI,X\n"))
    assert raw.columns["id_ruta"].to_pylist() == ["R1", "R2", "DI"]
    issue = _refused(_write(tmp_path, b"id_ruta,nama\rR1,SITI\nR2,BU\rDI\n", "short.csv"))
    assert issue.code == "ROW_COLUMNS" and issue.rows == (4,)  # the exact reader, no traceback


def test_xls_and_binary_are_not_encoding_faults(tmp_path):
    xls = _refused(_write(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.xls"))
    assert xls.code == "FILE_FORMAT" and ".xls" in xls.message and "xlsx" in xls.message
    binary = _refused(_write(tmp_path, b"%PDF-1.4\n\x00\x01\x02\xff" * 50, "scan.csv"))
    assert binary.code == "FILE_FORMAT" and "biner" in binary.message


def test_parquet_export_is_read_back(tmp_path):
    path = tmp_path / "export.parquet"
    pq.write_table(pa.table({"ID_Ruta": ["R1", None], "nama": ["SITI", "BUDI"], "no_urut": [1, 2]}), path)
    raw = readers.read_file(path)
    assert raw.format == "parquet" and list(raw.columns) == ["id_ruta", "nama", "no_urut"]
    assert raw.columns["id_ruta"].to_pylist() == ["R1", ""]
    assert raw.columns["no_urut"].to_pylist() == ["1", "2"]
    assert raw.row_numbers.tolist() == [2, 3]


def test_record_longer_than_a_block_is_read_not_straddling(tmp_path, monkeypatch):
    """pyarrow refuses a record longer than its block ("straddling object"); the exact reader takes over."""
    monkeypatch.setattr(readers, "_CSV_BLOCK", 1024)  # 16 MB in real use: the same code path, smaller
    data = b'id_ruta,alamat\nR1,X\nR2,"' + b"JL MAWAR\n" * 300 + b'"\nR3,Y\n'
    raw = readers.read_file(_write(tmp_path, data))
    assert raw.columns["id_ruta"].to_pylist() == ["R1", "R2", "R3"]
    assert raw.columns["alamat"][1].as_py().count("JL MAWAR") == 300
    assert raw.row_numbers.tolist() == [2, 3, 4]
    # a cell beyond the csv module's limit, or an unclosed quote swallowing the file: named, in Indonesian
    unclosed = b'id_ruta,alamat\nR1,X\nR2,"' + b"A,B\n" * 50_000 + b"R3,Y\n"
    issue = _refused(_write(tmp_path, unclosed, "unclosed.csv"))
    assert issue.code == "FILE_FORMAT" and "tanda petik" in issue.message and issue.rows


def test_data_under_an_empty_header_is_refused(tmp_path):
    issue = _refused(_write(tmp_path, b"id_ruta,,nama\nR1,,SITI\nR2,X,BUDI\n"))
    assert issue.code == "COLUMN_UNNAMED" and issue.rows == (3,) and "kolom ke-2 (B)" in issue.message
    # an empty column Excel leaves behind (";;" at the end of each line) is not data
    raw = readers.read_file(_write(tmp_path, b"id_ruta;nama;;\nR1;SITI;;\n", "trail.csv"))
    assert list(raw.columns) == ["id_ruta", "nama"]


def test_csv_preview_keeps_the_top_rows(tmp_path):
    raw = readers.read_file(_write(tmp_path, b"catatan;x\n;\nid_ruta;nama\n"))
    sheet, rows = raw.preview[0]
    assert sheet == "" and rows[2] == ["id_ruta", "nama"]
    with pytest.raises(readers.ReadError) as bad:  # refused (cells outside the header): still a preview
        readers.read_file(_write(tmp_path, b"DAFTAR USULAN\n\nid_ruta,nama\nR1,SITI\n", "t.csv"))
    assert bad.value.preview[0][1][2] == ["id_ruta", "nama"]


# --- XLSX ------------------------------------------------------------------------------------------------


def _workbook(path, rows, *, hide_row=None, hide_col=None, sheets=()):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if hide_row:
        ws.row_dimensions[hide_row].hidden = True
    if hide_col:
        ws.column_dimensions[hide_col].hidden = True
    for title, content in sheets:
        other = wb.create_sheet(title)
        for r in content:
            other.append(r)
    wb.save(path)
    return path


def test_xlsx_hidden_row_and_column_are_refused(tmp_path):
    rows = [["id_ruta", "nama"], ["R1", "SITI"], ["R2", "BUDI"], ["R3", "ANI"]]
    issue = _refused(_workbook(tmp_path / "row.xlsx", rows, hide_row=3))
    assert issue.code == "XLSX_HIDDEN" and issue.rows == (3,)
    issue = _refused(_workbook(tmp_path / "col.xlsx", rows, hide_col="B"))
    assert issue.code == "XLSX_HIDDEN" and issue.field == "nama" and issue.value == "B"
    assert readers.read_file(_workbook(tmp_path / "ok.xlsx", rows)).n_rows == 3


def test_xlsx_data_under_an_empty_header(tmp_path):
    issue = _refused(_workbook(tmp_path / "u.xlsx", [["id_ruta", None, "nama"], ["R1", "X", "SITI"]]))
    assert issue.code == "COLUMN_UNNAMED" and issue.rows == (2,)


def test_xlsx_preview_covers_other_sheets(tmp_path):
    path = _workbook(
        tmp_path / "s.xlsx", [["catatan"]], sheets=[("Data", [["id_ruta", "nama"], ["R1", "SITI"]])]
    )
    raw = readers.read_file(path)
    assert [name for name, _ in raw.preview] == ["Sheet", "Data"]
    assert raw.preview[1][1][0] == ["id_ruta", "nama"]


def _with_member(src, dst, member: str, chunks, *, declared_size: int | None = None):
    """A copy of workbook `src` whose `member` is written from `chunks` (streamed, never whole in memory)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != member:
                zout.writestr(info, zin.read(info.filename))
        with zout.open(member, "w", force_zip64=True) as f:
            for c in chunks:
                f.write(c)
    return dst


def _shared_strings(*texts: bytes, declared: int | None = None):
    count = f' uniqueCount="{declared}"'.encode() if declared is not None else b""
    yield b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    yield count + b">"
    for t in texts:
        yield b"<si><t>" + t + b"</t></si>"
    yield b"</sst>"


def test_xlsx_cell_over_excel_limit_is_refused_before_parsing(tmp_path):
    src = _workbook(tmp_path / "src.xlsx", [["id_ruta", "nama"], ["R1", "SITI"]])
    long_text = b"A" * (readers.XLSX_MAX_CELL_CHARS * 4 + 10)
    strings = _shared_strings(b"R1", long_text)
    bomb = _with_member(src, tmp_path / "bomb.xlsx", "xl/sharedStrings.xml", strings)
    issue = _refused(bomb)
    assert issue.code == "XLSX_TOO_BIG" and "32.767 karakter" in issue.message and "CSV" in issue.message
    # the same text split by tags is many short texts: accepted by the scan (and the file is read)
    ok = _with_member(src, tmp_path / "ok.xlsx", "xl/sharedStrings.xml", _shared_strings(b"id_ruta", b"nama"))
    assert readers.read_file(ok).n_rows == 1


def test_xlsx_inline_text_over_limit_in_the_sheet(tmp_path):
    src = _workbook(tmp_path / "src.xlsx", [["id_ruta"], ["R1"]])
    sheet = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id_ruta</t></is></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
    )
    tail = b"</t></is></c></row></sheetData></worksheet>"
    chunks = [sheet, *(b"B" * (1 << 16) for _ in range(4)), tail]
    issue = _refused(_with_member(src, tmp_path / "inline.xlsx", "xl/worksheets/sheet1.xml", chunks))
    assert issue.code == "XLSX_TOO_BIG" and "lembar pertama" in issue.message


def test_xlsx_shared_string_count_declared_or_counted(tmp_path, monkeypatch):
    src = _workbook(tmp_path / "src.xlsx", [["id_ruta"], ["R1"]])
    declared = _with_member(
        src, tmp_path / "d.xlsx", "xl/sharedStrings.xml", _shared_strings(b"x", declared=30_000_000)
    )
    issue = _refused(declared)
    assert issue.code == "XLSX_TOO_BIG" and "5.000.000 teks berbeda" in issue.message
    monkeypatch.setattr(readers, "XLSX_MAX_SHARED_STRINGS", 1000)  # a real 5M-string file: bench/xlsx_bomb.py
    counted = _with_member(
        src, tmp_path / "c.xlsx", "xl/sharedStrings.xml", _shared_strings(*[b"s%d" % i for i in range(1001)])
    )
    assert _refused(counted).code == "XLSX_TOO_BIG"


def test_xlsx_declared_size_over_limit(tmp_path, monkeypatch):
    src = _workbook(tmp_path / "src.xlsx", [["id_ruta"], ["R1"]])
    monkeypatch.setattr(readers, "XLSX_MAX_UNCOMPRESSED", 1000)
    issue = _refused(src)
    assert issue.code == "XLSX_TOO_BIG" and "MB setelah dibuka" in issue.message


def test_not_a_zip_after_all(tmp_path):
    issue = _refused(_write(tmp_path, b"PK\x03\x04 this is no zip", "x.xlsx"))
    assert issue.code == "FILE_FORMAT" and "XLSX" in issue.message

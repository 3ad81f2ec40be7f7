"""Reading files: delimiters, row numbers as a spreadsheet counts them, XLSX cells, honest encodings."""

from __future__ import annotations

import datetime as dt

import pytest

from siks.registry import readers


def _write(tmp_path, text: str | bytes, name="f.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_semicolon_and_header_case(tmp_path):
    raw = readers.read_file(_write(tmp_path, " ID_Ruta ;Nama\nR1;SITI\nR2;BUDI\n"))
    assert raw.delimiter == ";" and list(raw.columns) == ["id_ruta", "nama"]
    assert raw.columns["nama"].to_pylist() == ["SITI", "BUDI"]
    assert raw.row_numbers.tolist() == [2, 3]


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    raw = readers.read_file(_write(tmp_path, "id_ruta,nama\nR1,SITI\n\nR2,BUDI\n,\n"))
    assert raw.columns["id_ruta"].to_pylist() == ["R1", "R2"]
    assert raw.row_numbers.tolist() == [2, 4]


def test_quoted_newline_is_one_record(tmp_path):
    raw = readers.read_file(_write(tmp_path, 'id_ruta,alamat\nR1,"JL MAWAR\nNO 5"\nR2,X\n'))
    assert raw.columns["alamat"].to_pylist() == ["JL MAWAR\nNO 5", "X"]
    assert raw.row_numbers.tolist() == [2, 3]


def test_encodings(tmp_path):
    text = "id_ruta,nama\nR1,JOSÉ\n"
    assert readers.read_file(_write(tmp_path, text.encode("utf-8"))).encoding == "utf-8"
    assert readers.read_file(_write(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))).encoding == "utf-8-sig"
    cp = readers.read_file(_write(tmp_path, text.encode("cp1252")))
    assert cp.encoding == "cp1252" and cp.columns["nama"].to_pylist() == ["JOSÉ"]
    with pytest.raises(readers.ReadError) as bad:
        readers.read_file(_write(tmp_path, b"id_ruta,nama\nR1,JOS\xc3\xa9\nR2,ANDR\xe9\n"))
    assert bad.value.issues[0].code == "ENCODING_MIXED" and bad.value.issues[0].rows == (3,)


def test_sha256_is_of_the_bytes(tmp_path):
    import hashlib

    data = b"id_ruta,nama\nR1,SITI\n"
    assert readers.read_file(_write(tmp_path, data)).sha256 == hashlib.sha256(data).hexdigest()


def test_xlsx_cells(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["id_ruta", "tanggal_lahir", "no_urut", "nik", "luas_lantai"])
    ws.append(["R1", dt.datetime(1980, 2, 3), 1, "3509154101800001", 36.0])
    ws.append([None, None, None, None, None])  # an empty row at the bottom is not a record
    wb.save(tmp_path / "x.xlsx")
    raw = readers.read_file(tmp_path / "x.xlsx")
    assert raw.row_dict(0) == {"id_ruta": "R1", "tanggal_lahir": "1980-02-03", "no_urut": "1",
                               "nik": "3509154101800001", "luas_lantai": "36"}  # fmt: skip
    assert raw.n_rows == 1 and raw.format == "xlsx"

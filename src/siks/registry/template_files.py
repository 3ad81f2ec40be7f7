"""`siks template`: the empty import template as CSV and XLSX, like SIKS-NG's "TEMPLATE USULAN DTKS".

Why: operators fill these by hand or from other systems. The XLSX explains every column in a header comment,
lists every code on a second sheet ("Kode": kolom, kode, label), offers the codes as drop-down lists, and
formats the NIK and KK columns as text so Excel never turns 16 digits into 3.50915E+15.
"""

from __future__ import annotations

import csv
from pathlib import Path

from siks.domain import template as T
from siks.domain.instruments import DEFAULT_INSTRUMENT

BASENAME = "template_usulan_dtks"
DATA_SHEET = "TEMPLATE USULAN DTKS"
CODE_SHEET = "Kode"
FORMATTED_ROWS = 5_000  # rows pre-formatted as text in the NIK/KK columns
TEXT_KINDS = ("nik", "kk", "text", "rt_rw", "wilayah")


def code_rows(instrument: str = DEFAULT_INSTRUMENT) -> list[tuple[str, int, str]]:
    """(column, code, label) for every coded column of the template, in template order."""
    rows = []
    for column in T.columns_for(instrument):
        if column.codes is not None:
            rows += [(column.key, code, label) for code, label in sorted(column.codes.codes.items())]
    return rows


def write_template(out_dir: str | Path, instrument: str = DEFAULT_INSTRUMENT) -> tuple[Path, Path]:
    """Write DIR/template_usulan_dtks.csv and .xlsx; returns both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = out / f"{BASENAME}.csv", out / f"{BASENAME}.xlsx"
    with open(csv_path, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerow(T.headers(instrument))
    _write_xlsx(xlsx_path, instrument)
    return csv_path, xlsx_path


def _write_xlsx(path: Path, instrument: str) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    codes = wb.create_sheet(CODE_SHEET)
    codes.append(["kolom", "kode", "label"])
    for cell in codes[1]:
        cell.font = Font(bold=True)
    first_row: dict[str, tuple[int, int]] = {}
    for key, code, label in code_rows(instrument):
        codes.append([key, code, label])
        start, _ = first_row.get(key, (codes.max_row, 0))
        first_row[key] = (start, codes.max_row)
    codes.column_dimensions["A"].width = 24
    codes.column_dimensions["C"].width = 70
    codes.freeze_panes = "A2"

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for i, column in enumerate(T.columns_for(instrument), start=1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i, value=column.key)
        cell.font, cell.fill = bold, fill
        cell.comment = Comment(T.column_help(column), "siks", width=320, height=160)
        ws.column_dimensions[letter].width = max(12, min(30, len(column.key) + 4))
        if column.kind in TEXT_KINDS:
            ws.column_dimensions[letter].number_format = "@"
        if column.kind in ("nik", "kk"):
            for row in range(2, FORMATTED_ROWS + 2):
                ws.cell(row=row, column=i).number_format = "@"
        if column.kind in ("code", "yes_no") and column.key in first_row:
            start, end = first_row[column.key]
            dv = DataValidation(
                type="list",
                formula1=f"='{CODE_SHEET}'!$B${start}:$B${end}",
                allow_blank=True,
                showErrorMessage=False,
            )
            dv.add(f"{letter}2:{letter}{FORMATTED_ROWS + 1}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    wb.save(path)

"""Import issues for people: a rich table on the terminal and a CSV report (`--laporan laporan.csv`)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from siks.domain.formats import angka
from siks.domain.issues import Issue

REPORT_HEADERS = ("baris", "kolom", "kode", "tingkat", "nilai", "keterangan")
SEVERITY = {"error": "galat", "warning": "peringatan"}


def _rows(issue: Issue) -> str:
    rows = getattr(issue, "rows", ()) or ()
    if len(rows) > 5:
        return ", ".join(str(r) for r in rows[:5]) + f", … ({len(rows)})"
    return ", ".join(str(r) for r in rows)


def _detail(message: str) -> str:
    """The message without its "Baris N, kolom X: " prefix (the report has columns for those)."""
    if message.startswith("Baris ") and ": " in message:
        return message.split(": ", 1)[1]
    return message


def report_rows(issues: Sequence[Issue]) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (
            _rows(i),
            i.field or "",
            i.code,
            SEVERITY.get(i.severity, i.severity),
            "" if i.value is None else str(i.value),
            _detail(i.message),
        )
        for i in issues
    ]


def write_report(path: str | Path, issues: Sequence[Issue]) -> Path:
    """Every issue, one per line (UTF-8 with BOM so Excel opens it correctly)."""
    from siks.domain.template import escape_for_export

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(REPORT_HEADERS)
        for row in report_rows(issues):
            w.writerow([escape_for_export(c) for c in row])  # values come from the file: keep them inert
    return path


def print_issues(console: Console, issues: Sequence[Issue], *, title: str, limit: int = 50) -> None:
    """The first `limit` issues as a table, then a count per code."""
    if not issues:
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for h, style in zip(
        ("Baris", "Kolom", "Kode", "Tingkat", "Nilai", "Keterangan"),
        ("cyan", "magenta", "bold", "", "yellow", ""),
        strict=True,
    ):
        table.add_column(h, style=style, overflow="fold")
    for row in report_rows(issues[:limit]):
        table.add_row(*row)
    console.print(table)
    if len(issues) > limit:
        console.print(
            f"… dan {angka(len(issues) - limit)} masalah lainnya (gunakan --laporan untuk daftar lengkap)."
        )
    counts = Counter((i.code, SEVERITY.get(i.severity, i.severity)) for i in issues)
    console.print(
        "Ringkasan: " + "; ".join(f"{code} ({sev}) {angka(n)}" for (code, sev), n in counts.most_common())
    )


def report_csv(issues: Sequence[Issue]) -> bytes:
    """The CSV report (`write_report`) as bytes, for a download."""
    import io

    from siks.domain.template import escape_for_export

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(REPORT_HEADERS)
    for row in report_rows(issues):
        w.writerow([escape_for_export(c) for c in row])
    return buf.getvalue().encode("utf-8-sig")


def report_xlsx(issues: Sequence[Issue]) -> bytes:
    """The same report as an XLSX workbook (one sheet `Laporan impor`), cells as inert text."""
    import io

    from openpyxl import Workbook

    from siks.domain.template import escape_for_export

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Laporan impor")
    ws.append(list(REPORT_HEADERS))
    for row in report_rows(issues):
        ws.append([escape_for_export(c) for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

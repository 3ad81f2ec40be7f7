"""Import PSKS and PPKS-outside-households files (CSV or XLSX), whole or not at all, naming every bad row.

Why it looks like this: the file is read by the registry's reader (`siks.registry.readers`: encodings,
formula and merged cells refused, spreadsheet row numbers) and each row goes through the same service calls
as the API, so the rules cannot drift. Every row is tried; if any fails, the caller's transaction is rolled
back and the report lists each row, column and rule (`ImportRejected`).

Templates (`siks ppks templat`):
- `psks`: one PSKS per row.
- `ppks`: one person outside any household per row, with the PPKS kinds (`jenis_ppks`, separated by `;`),
  the day they were recorded and the evidence.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from siks.domain.cells import safe_row
from siks.domain.issues import Issue
from siks.domain.template import RowIssue
from siks.errors import ServiceError
from siks.ppks import service
from siks.ppks.service import RecordInvalid
from siks.registry.readers import read_file

TEMPLATES: dict[str, tuple[str, ...]] = {
    "psks": (
        "ref",
        "jenis",
        "nama",
        "nik",
        "sex",
        "wilayah_code",
        "alamat",
        "nomor_tanda_daftar",
        "akreditasi",
    ),
    "ppks": (
        "ref",
        "nama",
        "nik",
        "sex",
        "tempat_lahir",
        "tanggal_lahir",
        "lks_ref",
        "tempat",
        "alamat",
        "desa_code",
        "jenis_ppks",
        "tanggal_pencatatan",
        "bukti",
    ),
}
REQUIRED = {"psks": ("jenis", "nama", "wilayah_code"), "ppks": ("nama", "sex", "desa_code", "jenis_ppks")}
EXAMPLES = {
    "psks": (
        "LKS-JBR-001",
        "lks",
        "Panti Asuhan Al-Ikhlas",
        "",
        "",
        "35.09.15.2001",
        "Jl. Mawar 1",
        "460/123/35.09/2021",
        "B",
    ),
    "ppks": (
        "PPKS-001",
        "Rudi",
        "",
        "1",
        "",
        "2012-05-01",
        "LKS-JBR-001",
        "",
        "",
        "35.09.15.2001",
        "anak_terlantar",
        "2025-01-15",
        "Register LKS no. 17/2025",
    ),
}


class ImportRejected(ServiceError):
    """Nothing was imported; `issues` name every row, column and rule that failed."""

    status = 422
    code = "impor_ditolak"

    def __init__(self, issues: list[RowIssue]) -> None:
        super().__init__(f"Berkas ditolak: {len(issues)} galat. Tidak ada data yang disimpan.")
        self.issues = issues


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    registrations: int = 0
    warnings: list[RowIssue] = field(default_factory=list)


def write_template(kind: str, path: Path) -> None:
    """The header and one example row, as CSV (UTF-8)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(TEMPLATES[kind])
        w.writerow(safe_row(EXAMPLES[kind]))


def _row_issue(
    row: int, code: str, message: str, column: str | None = None, value=None, severity="error"
) -> RowIssue:
    where = f"Baris {row}" + (f", kolom {column}" if column else "")
    return RowIssue(code, f"{where}: {message}", column, value, severity, rows=(row,))


def import_file(
    session: Session, actor, path: str | Path, kind: str, *, today: dt.date | None = None, progress=None
) -> ImportResult:
    """Apply a `psks` or `ppks` file in the caller's transaction; raise ImportRejected if any row fails.

    The caller must roll back on ImportRejected (the CLI does): rows before the bad one are in the session.

    `progress(done, total)` is called every 500 rows (long files show progress).
    """
    if kind not in TEMPLATES:
        raise ImportRejected(
            [_row_issue(1, "PPKS_TEMPLAT", f"jenis berkas '{kind}' tidak dikenal (psks atau ppks).")]
        )
    table = read_file(path)
    columns = set(table.columns)
    issues: list[RowIssue] = []
    unknown = sorted(columns - set(TEMPLATES[kind]))
    missing = [c for c in REQUIRED[kind] if c not in columns]
    for c in unknown:
        issues.append(_row_issue(1, "PPKS_KOLOM", f"kolom '{c}' tidak dikenal dalam templat {kind}.", c))
    for c in missing:
        issues.append(_row_issue(1, "PPKS_KOLOM", f"kolom wajib '{c}' tidak ada.", c))
    if issues:
        raise ImportRejected(issues)
    result = ImportResult(kind, rows=table.n_rows)
    for i in range(table.n_rows):
        row_no = int(table.row_numbers[i])
        raw = {k: (v or None) for k, v in table.row_dict(i).items()}
        try:  # no savepoint: on SQLite (pysqlite) a first SAVEPOINT's RELEASE commits; the caller rolls back
            if kind == "psks":
                service.create_psks(session, actor, raw, today=today, reason=f"impor {table.file_name}")
            else:
                result.registrations += _ppks_row(session, actor, raw, table.file_name, today)
            result.created += 1
        except RecordInvalid as exc:
            issues.extend(_row_issue(row_no, i.code, i.message, i.field, i.value) for i in exc.issues)
        except ServiceError as exc:
            issues.append(_row_issue(row_no, exc.code.upper(), exc.message))
        if progress is not None and (i + 1) % 500 == 0:
            progress(i + 1, table.n_rows)
    if issues:
        raise ImportRejected(issues)
    return result


def _ppks_row(session: Session, actor, raw: dict, file_name: str, today: dt.date | None) -> int:
    kinds = [k.strip() for k in (raw.pop("jenis_ppks") or "").split(";") if k.strip()]
    recorded = raw.pop("tanggal_pencatatan", None) or (today or dt.date.today()).isoformat()
    evidence = raw.pop("bukti", None)
    if not kinds:
        raise RecordInvalid(
            [Issue("PPKS_JENIS", "jenis_ppks wajib diisi (satu atau lebih, dipisah ';').", "jenis_ppks")]
        )
    person = service.add_person(session, actor, raw, today=today, reason=f"impor {file_name}")
    problems: list = []
    for code in kinds:
        try:
            service.register(
                session,
                actor,
                "ppks",
                person.id,
                {"jenis": code, "tanggal": recorded, "bukti": evidence},
                today=today,
            )
        except RecordInvalid as exc:
            problems.extend(exc.issues)
    if problems:
        raise RecordInvalid(problems)
    return len(kinds)

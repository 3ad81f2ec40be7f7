"""Official BPS/DTSEN desil per keluarga: import one quarter's file as a new version, read a version back.

Why it looks like this: BPS ranks the whole population and re-ranks every quarter (docs/domain-facts.md
§2.1), so an official desil is not an edit of the registry but a dated ranking next to it. Each file becomes
one `OfficialDesilVersion`; nothing is overwritten, and a verval run names the version it used. The file is
read by the registry's reader (CSV or XLSX, spreadsheet row numbers); every row is checked before anything
is written, so the import is whole or nothing, and the report names each row, column and rule.

A row names its keluarga by `id_keluarga` (the registry's keluarga id) or by `no_kk` (the current KK
number), gives `desil` 1–10 and, optionally, `periode`, which must then equal the periode being imported.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from siks.audit.service import record_change
from siks.domain.template import RowIssue
from siks.errors import Forbidden, ServiceError
from siks.registry.readers import read_file
from siks.scope import Scope
from siks.store.models.pmt import OfficialDesil, OfficialDesilVersion
from siks.store.models.registry import Family, FamilyKK, Household
from siks.store.official_desil import VersionView, view

__all__ = ["ImportRejected", "VersionView", "import_file"]

COLUMNS = ("id_keluarga", "no_kk", "desil", "periode")
# Who may load a national ranking for their wilayah: the Dinsos operator of a kabupaten and above.
IMPORT_ROLES = ("operator_kabupaten", "operator_provinsi", "pusat")
_CHUNK = 900  # ids per IN (…) list: below SQLite's old 999-parameter limit


class ImportRejected(ServiceError):
    """Nothing was imported; `issues` name every row, column and rule that failed."""

    status = 422
    code = "impor_ditolak"

    def __init__(self, issues: list[RowIssue]) -> None:
        super().__init__(f"Berkas desil resmi ditolak: {len(issues)} galat. Tidak ada data yang disimpan.")
        self.issues = issues


def _issue(row: int, code: str, message: str, column: str | None = None, value=None) -> RowIssue:
    where = f"Baris {row}" + (f", kolom {column}" if column else "")
    return RowIssue(code, f"{where}: {message}", column, value, "error", rows=(row,))


def _desil(raw: str) -> int | None:
    """1–10 as written ("3", or "3.0" from a spreadsheet number cell); anything else is None."""
    try:
        number = float(raw)
    except ValueError:
        return None
    return int(number) if number.is_integer() and 1 <= number <= 10 else None


def _chunks(values: list[str]):
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def _families_by_ref(session: Session, refs: list[str]) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for part in _chunks(refs):
        stmt = (
            select(Family.ref, Family.id, Household.desa_code)
            .join(Household, Household.id == Family.household_id)
            .where(Family.ref.in_(part))
        )
        out.update({ref: (fid, desa) for ref, fid, desa in session.execute(stmt)})
    return out


def _families_by_kk(session: Session, numbers: list[str]) -> dict[str, list[tuple[int, str]]]:
    """KK number → the keluarga holding it now (more than one: the number cannot name a keluarga)."""
    out: dict[str, list[tuple[int, str]]] = {}
    for part in _chunks(numbers):
        stmt = (
            select(FamilyKK.kk_number, Family.id, Household.desa_code)
            .join(Family, Family.id == FamilyKK.family_id)
            .join(Household, Household.id == Family.household_id)
            .where(FamilyKK.kk_number.in_(part), FamilyKK.valid_to.is_(None))
        )
        for kk, fid, desa in session.execute(stmt):
            out.setdefault(kk, []).append((fid, desa))
    return out


def import_file(
    session: Session, actor, path: str | Path, periode: str, *, note: str | None = None
) -> VersionView:
    """Check every row of `path`, then store it as a new version for `periode`, audited; or raise
    `ImportRejected` naming every bad row (nothing is written)."""
    periode = (periode or "").strip()
    if not periode or len(periode) > 20:
        raise ImportRejected(
            [_issue(1, "DESIL_PERIODE", "periode wajib diisi (mis. 2026-Q3), paling panjang 20.")]
        )
    if getattr(actor, "role", None) not in IMPORT_ROLES:
        raise Forbidden(
            "Hanya operator Dinas Sosial kabupaten/kota, provinsi atau pusat yang dapat mengimpor "
            "desil resmi."
        )
    scope = Scope.of(actor)
    table = read_file(path)
    columns = set(table.columns)
    issues: list[RowIssue] = [
        _issue(1, "DESIL_KOLOM", f"kolom '{c}' tidak dikenal (kolom: {', '.join(COLUMNS)}).", c)
        for c in sorted(columns - set(COLUMNS))
    ]
    if "desil" not in columns:
        issues.append(_issue(1, "DESIL_KOLOM", "kolom wajib 'desil' tidak ada.", "desil"))
    if not columns & {"id_keluarga", "no_kk"}:
        issues.append(_issue(1, "DESIL_KOLOM", "perlu kolom 'id_keluarga' atau 'no_kk'.", "id_keluarga"))
    if issues:
        raise ImportRejected(issues)
    rows = [table.row_dict(i) for i in range(table.n_rows)]
    numbers = [int(n) for n in table.row_numbers]
    refs = sorted({r["id_keluarga"].strip() for r in rows if r.get("id_keluarga", "").strip()})
    kks = sorted({r["no_kk"].strip() for r in rows if r.get("no_kk", "").strip()})
    by_ref, by_kk = _families_by_ref(session, refs), _families_by_kk(session, kks)
    seen: dict[int, int] = {}  # family id → first row
    values: list[dict] = []
    for row_no, r in zip(numbers, rows, strict=True):
        ref, kk = r.get("id_keluarga", "").strip(), r.get("no_kk", "").strip()
        found = None
        if ref:
            found = by_ref.get(ref)
            if found is None:
                issues.append(
                    _issue(
                        row_no,
                        "DESIL_KELUARGA",
                        f"keluarga '{ref}' tidak ada di registri.",
                        "id_keluarga",
                        ref,
                    )
                )
        elif kk:
            holders = by_kk.get(kk, [])
            found = holders[0] if len(holders) == 1 else None
            if len(holders) > 1:
                message = f"KK {kk} tercatat pada {len(holders)} keluarga; pakai id_keluarga."
                issues.append(_issue(row_no, "DESIL_KELUARGA", message, "no_kk", kk))
            elif found is None:
                issues.append(
                    _issue(
                        row_no,
                        "DESIL_KELUARGA",
                        f"tidak ada keluarga dengan KK {kk} yang berlaku.",
                        "no_kk",
                        kk,
                    )
                )
        else:
            issues.append(
                _issue(row_no, "DESIL_KELUARGA", "id_keluarga atau no_kk wajib diisi.", "id_keluarga")
            )
        raw = r.get("desil", "").strip()
        desil = _desil(raw)
        if desil is None:
            issues.append(
                _issue(
                    row_no, "DESIL_NILAI", f"desil harus bilangan bulat 1–10, bukan '{raw}'.", "desil", raw
                )
            )
            desil = None
        given = r.get("periode", "").strip()
        if given and given != periode:
            issues.append(
                _issue(
                    row_no,
                    "DESIL_PERIODE",
                    f"periode '{given}' berbeda dengan periode impor {periode}.",
                    "periode",
                    given,
                )
            )
        if found is None:
            continue
        family_id, desa = found
        if not scope.covers(desa):
            issues.append(
                _issue(
                    row_no,
                    "DESIL_WILAYAH",
                    f"keluarga di desa {desa} di luar wilayah Anda.",
                    "id_keluarga" if ref else "no_kk",
                )
            )
            continue
        if family_id in seen:
            first = seen[family_id]
            message = f"keluarga yang sama sudah ada di baris {first} (satu desil per keluarga)."
            issues.append(_issue(row_no, "DESIL_GANDA", message, "id_keluarga" if ref else "no_kk"))
            continue
        seen[family_id] = row_no
        if desil is not None:
            values.append({"family_id": family_id, "desil": desil})
    if not rows:
        issues.append(_issue(1, "DESIL_KOSONG", "berkas tidak berisi baris data."))
    if issues:
        raise ImportRejected(issues)
    version = OfficialDesilVersion(
        periode=periode,
        file_name=table.file_name[:255],
        sha256=table.sha256,
        rows=len(values),
        note=note,
        wilayah_code=scope.code,
        actor=getattr(actor, "username", str(actor))[:100],
    )
    session.add(version)
    session.flush()
    for part in range(0, len(values), 5000):
        session.execute(
            insert(OfficialDesil), [{**v, "version_id": version.id} for v in values[part : part + 5000]]
        )
    record_change(
        session,
        actor,
        "desil_resmi",
        version.id,
        None,
        {"periode": periode, "berkas": version.file_name, "sha256": version.sha256, "keluarga": len(values)},
        note or f"impor desil resmi BPS/DTSEN {periode}",
        action="impor",
    )
    return view(version)

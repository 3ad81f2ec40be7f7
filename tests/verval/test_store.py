"""Runs and findings are written to (and read back from) SQLite and PostgreSQL; references are checked."""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from siks.store.db import upgrade
from siks.store.models.registry import AuditEntry
from siks.verval import reference, report, storage


def test_run_and_findings_roundtrip(db_url, outcome, tmp_path):
    upgrade(db_url)
    db = storage.engine(db_url)
    storage.start_run(db, outcome.run_id, "tester", tmp_path, {})
    n = storage.finish_run(db, outcome)
    assert n == outcome.engine.count("findings") > 0
    assert storage.last_run_id(db) == outcome.run_id
    row = storage.run_row(db, outcome.run_id)
    assert row["status"] == "selesai" and set(row["timings"]) >= {"padan", "ganda"}
    # a finished run is audited in the same transaction: the position sync sends its results from
    with db.connect() as conn:
        [(actor, action, after)] = conn.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.after).where(
                AuditEntry.entity == "verval_run"
            )
        ).all()
    assert (actor, action, after) == ("tester", "selesai", {"run": outcome.run_id, "temuan": n})
    counts = report.counts(db, outcome.run_id)
    assert sum(r["n"] for r in counts) == n
    # Stored wilayah codes are dotted like the registry's, so scope filters work on findings too.
    areas = {r["wilayah"] for r in counts if r["wilayah"]}
    assert areas and all(re.fullmatch(r"\d{2}\.\d{2}\.\d{2}", a) for a in areas), areas
    desa = {f["kode_desa"] for f in storage.findings(db, outcome.run_id) if f["kode_desa"]}
    assert desa and all(re.fullmatch(r"\d{2}\.\d{2}\.\d{2}\.\d{4}", d) for d in desa)
    out = tmp_path / "f.parquet"
    assert report.export(db, outcome.run_id, out, "parquet") == n
    assert pq.read_schema(out).names[:9] == [
        "run_id",
        "finding_code",
        "ruta_id",
        "keluarga_id",
        "nik",
        "related_nik",
        "cluster_id",
        "weight",
        "explanation",
    ]
    nik = outcome.engine.scalar("SELECT nik FROM findings WHERE code = 'PADAN_NIK_UNKNOWN' LIMIT 1")
    assert any(r["code"] == "NIK_SUGGESTION" for r in report.explain(db, outcome.run_id, nik))
    # issue #18: a member is explained by its id too, also when it has no NIK
    ref, code = (
        outcome.engine.query(
            "SELECT member_ref, code FROM findings WHERE member_ref IS NOT NULL AND nik IS NULL LIMIT 1"
        )
        .to_pylist()[0]
        .values()
    )
    by_ref = report.explain(db, outcome.run_id, ref)
    assert by_ref and code in {r["code"] for r in by_ref} and {r["member_ref"] for r in by_ref} >= {ref}
    assert report.explain(db, outcome.run_id, "tidak-ada-1") == []
    clusters = storage.previous_clusters(db)
    assert clusters.num_rows == outcome.engine.count("duplicate_cluster")
    storage.add_decision(db, "A-1", "B-1", False, "tester")
    assert storage.decisions(db).num_rows == 1
    db.dispose()


def test_reference_load_checks_rows(tmp_path):
    bad = tmp_path / "asn.csv"
    bad.write_text("nik,nama,instansi,jenis\n3509011201800001,A,B,ASN\n12345,A,B,XX\n")
    with pytest.raises(reference.ReferenceError, match="baris 2, kolom 'nik'.*kolom 'jenis'"):
        reference.load("asn", bad, out_dir=tmp_path)
    missing = tmp_path / "pln.csv"
    missing.write_text("nik,daya_va\n3509011201800001,900\n")
    with pytest.raises(reference.ReferenceError, match="id_pelanggan"):
        reference.load("pln", missing, out_dir=tmp_path)
    good = tmp_path / "k.csv"
    good.write_text("nik,no_polisi,jenis\n3509011201800001,AG 1 X,roda4\n")
    loaded = reference.load("kendaraan", good, out_dir=tmp_path)
    assert loaded.rows == 1 and pq.read_table(loaded.path).column("jenis").to_pylist() == ["RODA4"]

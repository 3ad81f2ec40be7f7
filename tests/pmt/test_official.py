"""Official BPS/DTSEN desil: imported per periode as versions, whole or not at all, audited; the snapshot
carries the chosen version to the verval step `pmt`, where it is authoritative and the PMT is the fallback."""

# ruff: noqa: F811 - pytest fixtures imported from workflow_support
from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from siks.cli import app
from siks.domain.status import ImportStatus
from siks.errors import Forbidden
from siks.pmt import official
from siks.registry import sample
from siks.registry.importer import import_file
from siks.registry.snapshot import write_snapshot
from siks.store import official_desil
from siks.store.db import make_engine, upgrade
from siks.store.models.accounts import User
from siks.store.models.pmt import OfficialDesil, OfficialDesilVersion
from siks.store.models.registry import AuditEntry, Family, FamilyKK
from siks.verval.runs import RunInputs, execute
from siks.verval.steps import pmt as pmt_step
from siks.verval.steps import prepare
from workflow_support import api_app, client_for, user, wf_engine, wf_seed, wf_session  # noqa: F401


def _csv(tmp_path, text: str, name: str = "desil.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _kk(session: Session, family_id: int) -> str:
    return session.scalar(select(FamilyKK.kk_number).where(FamilyKK.family_id == family_id))


def test_import_by_keluarga_id_or_kk_keeps_every_version_and_is_audited(tmp_path, wf_session, wf_seed, user):
    kk = _kk(wf_session, wf_seed.families["RK"])
    q3 = _csv(tmp_path, f"id_keluarga,no_kk,desil,periode\nR1-K1,,3,2026-Q3\n,{kk},7,2026-Q3\n")
    first = official.import_file(wf_session, user("opkab"), q3, "2026-Q3", note="surat BPS 12/2026")
    q4 = _csv(tmp_path, "id_keluarga,desil\nR1-K1,5\n", "q4.xlsx.csv")
    second = official.import_file(wf_session, user("opkab"), q4, "2026-Q4")
    assert (first.rows, second.rows) == (2, 1)
    history = official_desil.for_families(wf_session, [wf_seed.families["R1"], wf_seed.families["RK"]])
    assert history[wf_seed.families["R1"]] == [("2026-Q4", 5, second.id), ("2026-Q3", 3, first.id)]
    assert history[wf_seed.families["RK"]] == [("2026-Q3", 7, first.id)]
    assert official_desil.choose(wf_session).id == second.id  # the newest by default
    assert official_desil.choose(wf_session, "2026-Q3").id == first.id
    assert official_desil.choose(wf_session, str(first.id)).periode == "2026-Q3"
    table = official_desil.table_for(wf_session, official_desil.choose(wf_session, "2026-Q3"))
    assert table.to_pylist() == [
        {"id_keluarga": "R1-K1", "desil": 3, "periode": "2026-Q3", "versi": first.id},
        {"id_keluarga": "RK-K1", "desil": 7, "periode": "2026-Q3", "versi": first.id},
    ]
    audit = wf_session.scalars(select(AuditEntry).where(AuditEntry.entity == "desil_resmi")).all()
    assert [(a.entity_id, a.actor, a.after["keluarga"], a.after["periode"]) for a in audit] == [
        (first.id, "opkab", 2, "2026-Q3"),
        (second.id, "opkab", 1, "2026-Q4"),
    ]
    assert audit[0].reason == "surat BPS 12/2026"
    # the import is in the audit trail of users of that kabupaten, not of another one
    from siks.audit.service import search

    assert first.id in {e.entity_id for e in search(wf_session, user("supkab"), entity="desil_resmi").items}
    assert not search(wf_session, user("supkab_out"), entity="desil_resmi").items


def test_bad_rows_are_named_and_nothing_is_stored(tmp_path, wf_session, user):
    path = _csv(
        tmp_path,
        "id_keluarga,desil,periode\n"
        "R1-K1,3,2026-Q3\n"  # row 2 fine
        "TIDAK-ADA,2,2026-Q3\n"  # row 3 unknown keluarga
        "R2-K1,11,2026-Q3\n"  # row 4 desil outside 1–10
        "R3-K1,dua,2026-Q3\n"  # row 5 not a number
        "R1-K1,4,2026-Q3\n"  # row 6 the same keluarga again
        "RB-K1,4,2026-Q2\n"  # row 7 another periode
        ",4,2026-Q3\n",  # row 8 no keluarga named
    )
    with pytest.raises(official.ImportRejected) as caught:
        official.import_file(wf_session, user("opkab"), path, "2026-Q3")
    got = sorted((i.row, i.code, i.field) for i in caught.value.issues)
    assert got == [
        (3, "DESIL_KELUARGA", "id_keluarga"),
        (4, "DESIL_NILAI", "desil"),
        (5, "DESIL_NILAI", "desil"),
        (6, "DESIL_GANDA", "id_keluarga"),
        (7, "DESIL_PERIODE", "periode"),
        (8, "DESIL_KELUARGA", "id_keluarga"),
    ]
    messages = " ".join(i.message for i in caught.value.issues)
    assert "Baris 4, kolom desil: desil harus bilangan bulat 1–10, bukan '11'" in messages
    assert "sudah ada di baris 2" in messages
    assert wf_session.scalar(select(OfficialDesilVersion.id)) is None
    assert wf_session.scalar(select(OfficialDesil.id)) is None


def test_a_kk_number_held_by_several_keluarga_names_none(tmp_path, wf_session, wf_seed, user):
    shared = _kk(wf_session, wf_seed.families["R2"])  # the seed gave R1, R2, R3 and RB one KK number
    path = _csv(tmp_path, f"no_kk,desil\n{shared},5\n")
    with pytest.raises(official.ImportRejected) as caught:
        official.import_file(wf_session, user("opkab"), path, "2026-Q3")
    assert [(i.row, i.code, i.field) for i in caught.value.issues] == [(2, "DESIL_KELUARGA", "no_kk")]
    assert "tercatat pada 4 keluarga" in caught.value.issues[0].message


def test_scope_and_role_decide_who_may_import(tmp_path, wf_session, user):
    path = _csv(tmp_path, "id_keluarga,desil\nR1-K1,3\nRX-K1,2\n")  # RX lies in Kab. Banyuwangi
    with pytest.raises(official.ImportRejected) as caught:
        official.import_file(wf_session, user("opkab"), path, "2026-Q3")
    assert [(i.row, i.code) for i in caught.value.issues] == [(3, "DESIL_WILAYAH")]
    assert official.import_file(wf_session, user("prov"), path, "2026-Q3").rows == 2
    for name in ("desa", "kec", "supkab", "auditor"):
        with pytest.raises(Forbidden):
            official.import_file(wf_session, user(name), path, "2026-Q3")


def test_missing_columns_are_refused_before_any_row(tmp_path, wf_session, user):
    path = _csv(tmp_path, "keluarga,nilai\nR1-K1,3\n")
    with pytest.raises(official.ImportRejected) as caught:
        official.import_file(wf_session, user("opkab"), path, "2026-Q3")
    assert {i.code for i in caught.value.issues} == {"DESIL_KOLOM"}
    assert any("'desil' tidak ada" in i.message for i in caught.value.issues)


@pytest.fixture
def seeded_url(db_url, tmp_path):
    """A registry imported from the template sample (answers included) and one Dinsos operator."""
    upgrade(db_url)
    engine = make_engine(db_url)
    path = sample.write_csv(sample.rows(40, seed=3), tmp_path / "dtks.csv")
    assert import_file(engine, path, "uji").status == ImportStatus.DIMUAT
    with Session(engine) as session, session.begin():
        session.add(User(username="opkab", full_name="Opkab", role="operator_kabupaten",
                         wilayah_code="35.09", password_hash="-", active=True))  # fmt: skip
    engine.dispose()
    return db_url


def _families(url) -> list[str]:
    engine = make_engine(url)
    with Session(engine) as session:
        refs = list(session.scalars(select(Family.ref).order_by(Family.ref)))
    engine.dispose()
    return refs


def _pmt_rows(snapshot, tmp_path, **params):
    outcome = execute(
        RunInputs(snapshot),
        params={"tanggal_acuan": "2026-10-01", "pmt_di_luar_wilayah": True, **params},
        work_dir=tmp_path / "kerja",
        steps=[prepare.STEP, pmt_step.STEP],
        hash_files=False,
    )
    try:
        rows = outcome.engine.query(
            "SELECT household_ref, desil, desil_pmt, desil_resmi, periode_desil_resmi, sumber_desil "
            "FROM household_pmt ORDER BY household_ref"
        ).to_pylist()
        return {r["household_ref"]: r for r in rows}, outcome.stats["pmt"]
    finally:
        outcome.engine.close()


def test_the_snapshot_carries_the_chosen_version_to_the_pmt_step(seeded_url, tmp_path):
    runner = CliRunner()
    k1, k2 = _families(seeded_url)[:2]
    q3 = _csv(tmp_path, f"id_keluarga,desil,periode\n{k1},3,2026-Q3\n{k2},8,2026-Q3\n")
    q4 = _csv(tmp_path, f"id_keluarga,desil,periode\n{k1},6,2026-Q4\n", "q4.csv")
    for path, periode in ((q3, "2026-Q3"), (q4, "2026-Q4")):
        got = runner.invoke(
            app,
            [
                "pmt",
                "desil-resmi",
                "impor",
                str(path),
                "--periode",
                periode,
                "--oleh",
                "opkab",
                "--db",
                seeded_url,
            ],
        )
        assert got.exit_code == 0, got.output
        assert f"Desil resmi periode {periode}" in got.output
    listed = runner.invoke(app, ["pmt", "desil-resmi", "daftar", "--db", seeded_url])
    assert listed.exit_code == 0 and "2026-Q4" in listed.output and "2026-Q3" in listed.output

    newest = tmp_path / "snap-baru"
    write_snapshot(newest, url=seeded_url)
    assert pq.read_table(newest / "desil_resmi.parquet").to_pylist()[0]["periode"] == "2026-Q4"
    rows, stats = _pmt_rows(newest, tmp_path / "a")
    id_ruta = {r: rows[r] for r in rows}
    r1 = next(v for k, v in id_ruta.items() if v["desil_resmi"] == 6)
    assert (r1["desil"], r1["sumber_desil"], r1["periode_desil_resmi"]) == (6, "resmi", "2026-Q4")
    others = [v for v in rows.values() if v is not r1]
    assert all(v["desil_resmi"] is None and v["sumber_desil"] != "resmi" for v in others)
    assert all(v["desil"] == v["desil_pmt"] for v in others)  # the PMT is the fallback
    assert stats["desil_resmi"]["periode"] == ["2026-Q4"] and stats["desil_resmi"]["keluarga"] == 1

    chosen = tmp_path / "snap-q3"
    write_snapshot(chosen, url=seeded_url, desil_resmi="2026-Q3")
    rows, stats = _pmt_rows(chosen, tmp_path / "b")
    assert sorted(v["desil_resmi"] for v in rows.values() if v["desil_resmi"] is not None) == [3, 8]
    assert stats["desil_resmi"]["periode"] == ["2026-Q3"]

    refused = runner.invoke(
        app,
        [
            "pmt",
            "desil-resmi",
            "impor",
            str(q3),
            "--periode",
            "2026-Q9",
            "--oleh",
            "opkab",
            "--db",
            seeded_url,
        ],
    )
    assert refused.exit_code == 1
    assert "DESIL_PERIODE (galat) 2" in refused.output and "Tidak ada data yang disimpan" in refused.output


def test_a_registry_without_an_import_has_no_official_table(seeded_url, tmp_path):
    snap = tmp_path / "snap"
    write_snapshot(snap, url=seeded_url)
    assert not (snap / "desil_resmi.parquet").exists()
    rows, stats = _pmt_rows(snap, tmp_path / "a")
    assert all(v["sumber_desil"] != "resmi" for v in rows.values()) and stats["desil_resmi"] == {}


def test_the_household_page_shows_each_keluarga_official_desil_by_version(tmp_path, api_app, client_for):
    seed_ = api_app.state.seed
    with Session(api_app.state.engine) as session, session.begin():
        opkab = session.get(User, seed_.users["opkab"])
        q3 = _csv(tmp_path, "id_keluarga,desil\nR3-K1,2\n")
        q4 = _csv(tmp_path, "id_keluarga,desil\nR3-K1,4\n", "q4.csv")
        first = official.import_file(session, opkab, q3, "2026-Q3")
        second = official.import_file(session, opkab, q4, "2026-Q4")
    page = client_for("desa").get(f"/ruta/{seed_.households['R3']}")
    assert page.status_code == 200
    assert 'data-official="R3-K1:2026-Q4:4"' in page.text and 'data-official="R3-K1:2026-Q3:2"' in page.text
    assert page.text.index("2026-Q4") < page.text.index("2026-Q3")  # newest first
    assert f"<td>{second.id}</td>" in page.text and f"<td>{first.id}</td>" in page.text
    other = client_for("desa").get(f"/ruta/{seed_.households['R1']}")
    assert "Belum ada desil resmi BPS/DTSEN" in other.text and "data-official" not in other.text

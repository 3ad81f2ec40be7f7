"""Issue #16: a borrowed NIK transfers nothing from its owner, domisili is not a move, default birth dates
are weak evidence. On the shared synthetic kabupaten, and on a copy whose Dukcapil/ASN extracts make the
owners of borrowed NIKs dead and ASN (the case of a child recorded with her late father's NIK)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from siks.domain import finding_catalog, programs
from siks.verval import linkage
from siks.verval.engines import open_engine
from siks.verval.evaluate import evaluate

from .conftest import run


def _errors(kab, kind):
    with open(kab["truth"] / "errors.csv") as fh:
        return [e for e in csv.DictReader(fh) if e["kind"] == kind]


def _dups(kab):
    with open(kab["truth"] / "errors.csv") as fh:
        return {e["id_art"] for e in csv.DictReader(fh) if e["kind"].startswith("duplicate")}


def _by_ruta(rows):
    out: dict[str, set[str]] = {}
    for e in rows:
        out.setdefault(e["id_ruta"], set()).add(e["id_art"])
    return out


def _codes(outcome, member_ref):
    rows = outcome.engine.query(f"SELECT code FROM findings WHERE member_ref = '{member_ref}'").to_pylist()
    return {r["code"] for r in rows}


def _borrowers(kab):
    dups = _dups(kab)
    return [e for e in _errors(kab, "nik_other_person") if e["id_art"] not in dups]


def test_borrowed_nik_is_never_resolved_to_its_owner(kab, outcome):
    borrowers = _borrowers(kab)
    assert len(borrowers) >= 20
    padan = {
        r["member_ref"]: r
        for r in outcome.engine.query("SELECT member_ref, reason, dukcapil_nik FROM padan").to_pylist()
    }
    for e in borrowers:
        row = padan[e["id_art"]]
        assert row["reason"] == "OTHER_PERSON", e
        assert row["dukcapil_nik"] != e["recorded_value"], e
        assert row["dukcapil_nik"] in (None, e["true_value"]), e


def test_borrower_and_owner_are_never_one_cluster(kab, outcome):
    owners = outcome.engine.query(
        """SELECT b.member_ref AS borrower, o.member_ref AS owner FROM padan AS b
           JOIN person AS pb ON pb.member_ref = b.member_ref
           JOIN person AS o ON o.nik = pb.nik AND o.member_ref <> b.member_ref
           JOIN padan AS po ON po.member_ref = o.member_ref
           WHERE b.reason = 'OTHER_PERSON' AND po.reason IS DISTINCT FROM 'OTHER_PERSON'"""
    ).to_pylist()
    assert owners, "the synthetic kabupaten records borrowed NIKs next to their owners"
    cluster = {
        r["member_ref"]: r["cluster_id"]
        for r in outcome.engine.query("SELECT member_ref, cluster_id FROM duplicate_cluster").to_pylist()
    }
    for r in owners:
        assert cluster.get(r["borrower"]) is None or cluster.get(r["borrower"]) != cluster.get(r["owner"]), r


@pytest.fixture(scope="module")
def owners_dead(kab, tmp_path_factory):
    """The same kabupaten, with every owner of a borrowed NIK dead at Dukcapil and on the ASN list, and
    the borrowers themselves missing from Dukcapil (a child never registered): only the owner fits."""
    work = tmp_path_factory.mktemp("owners_dead")
    owner_niks = sorted({e["recorded_value"] for e in _borrowers(kab)})
    unregistered = sorted({e["true_value"] for e in _borrowers(kab)} - set(owner_niks))
    duk = pq.read_table(kab["refs"]["dukcapil"])
    duk = duk.filter(pc.invert(pc.is_in(duk["nik"], pa.array(unregistered))))
    owned = pc.is_in(duk["nik"], pa.array(owner_niks))
    duk = duk.set_column(
        duk.schema.get_field_index("status_hidup"),
        "status_hidup",
        pc.if_else(owned, "MATI", duk["status_hidup"]),
    )
    died = pa.scalar(date(2026, 9, 1), duk["tanggal_meninggal"].type)
    duk = duk.set_column(
        duk.schema.get_field_index("tanggal_meninggal"),
        "tanggal_meninggal",
        pc.if_else(owned, died, duk["tanggal_meninggal"]),
    )
    pq.write_table(duk, work / "dukcapil.parquet")
    asn = pq.read_table(kab["refs"]["asn"])
    extra = pa.table(
        {
            "nik": pa.array(owner_niks, asn["nik"].type),
            **{
                c: pa.array(["ASN" if c == "jenis" else "X"] * len(owner_niks), asn[c].type)
                for c in asn.column_names
                if c != "nik"
            },
        }
    ).select(asn.column_names)
    pq.write_table(pa.concat_tables([asn, extra]), work / "asn.parquet")
    refs = dict(kab["refs"]) | {"dukcapil": work / "dukcapil.parquet", "asn": work / "asn.parquet"}
    out = run({"snapshot": kab["snapshot"], "refs": refs}, work / "run")
    yield out, owner_niks
    out.engine.close()


def test_borrowed_nik_never_transfers_death_or_asn(kab, owners_dead):
    out, owner_niks = owners_dead
    # not an owner himself, and not dead or ASN in his own right
    own = {e["id_art"] for k in ("asn_member", "deceased_active") for e in _errors(kab, k)}
    checked = [e for e in _borrowers(kab) if e["true_value"] not in owner_niks and e["id_art"] not in own]
    assert len(checked) >= 20
    for e in checked:
        codes = _codes(out, e["id_art"])
        pad = out.engine.query(f"SELECT * FROM padan WHERE member_ref = '{e['id_art']}'").to_pylist()
        assert not codes & {"DECEASED", "ASN"}, f"{e} {codes} {pad}"
    # ... while the owners recorded in DTKS under their own NIK are flagged
    flagged = out.engine.query(
        "SELECT DISTINCT related_nik FROM findings WHERE code = 'DECEASED'"
    ).to_pylist()
    assert {r["related_nik"] for r in flagged} & set(owner_niks)


def test_domisili_is_not_a_move_and_excludes_nobody(kab, outcome):
    ev = evaluate(outcome.engine.query("SELECT * FROM findings"), kab["truth"]).by_kind()
    assert ev["moved"].precision == 1.0 and ev["moved"].tp >= 10
    # a move is missed only where everyone who moved has died since (DECEASED is what matters then)
    dead = {e["id_art"] for e in _errors(kab, "deceased_active")}
    flagged = {
        r["household_ref"]
        for r in outcome.engine.query("SELECT household_ref FROM findings WHERE code = 'MOVED'").to_pylist()
    }
    for ruta, arts in _by_ruta(_errors(kab, "moved")).items():
        assert ruta in flagged or arts <= dead, ruta
    assert ev["domisili"].recall == 1.0 and ev["domisili"].tp >= 10
    domisili = _errors(kab, "domisili")
    # one query, not one per person: on Spark every query is a job
    rows = outcome.engine.query(
        "SELECT code, member_ref, household_ref FROM findings WHERE code IN ('MOVED', 'DOMISILI_BERBEDA')"
    ).to_pylist()
    moved = {r["member_ref"] for r in rows if r["code"] == "MOVED"}
    domisili_ruta = {r["household_ref"] for r in rows if r["code"] == "DOMISILI_BERBEDA"}
    for e in domisili:
        assert e["id_art"] not in moved, e
    for ruta in {e["id_ruta"] for e in domisili}:
        assert ruta in domisili_ruta, ruta
    entry = finding_catalog.get("DOMISILI_BERBEDA")
    assert entry.severity == "rendah" and entry.step == "kk"
    assert "DOMISILI_BERBEDA" not in programs.INVALID_ADMINDUK
    rules = (Path(programs.__file__).parent / "data" / "eligibility_dtks.json").read_text()
    assert "DOMISILI_BERBEDA" not in rules


def test_default_dates_are_recognised_in_portable_sql():
    engine = open_engine(ordered=True)
    try:
        got = engine.query(
            f"""SELECT d, {linkage.default_date("d")} AS a,
                       {linkage.default_date_text("CAST(d AS VARCHAR)")} AS b
                FROM (SELECT CAST(x AS DATE) AS d FROM (VALUES ('1960-01-01'), ('1960-12-31'),
                      ('1960-07-01'), ('1960-07-02'), ('1961-01-31')) AS t(x)) AS s ORDER BY d"""
        ).to_pylist()
    finally:
        engine.close()
    assert [(str(r["d"]), r["a"], r["b"]) for r in got] == [
        ("1960-01-01", True, True),
        ("1960-07-01", True, True),
        ("1960-07-02", False, False),
        ("1960-12-31", True, True),
        ("1961-01-31", False, False),
    ]


def test_nik_less_member_with_default_date_is_not_resolved_to_a_stranger(kab, outcome):
    rows = _errors(kab, "birthdate_default")
    assert rows
    with open(kab["truth"] / "members.csv") as fh:
        true_nik = {m["id_art"]: m["true_nik"] for m in csv.DictReader(fh)}
    for e in rows:
        got = outcome.engine.query(
            f"SELECT dukcapil_nik FROM padan WHERE member_ref = '{e['id_art']}'"
        ).to_pylist()[0]["dukcapil_nik"]
        assert got in (None, true_nik[e["id_art"]]), e


def test_asn_rows_without_nik_are_matched_by_nip_name_and_wilayah(kab, outcome):
    rows = outcome.engine.query(
        "SELECT member_ref, evidence, explanation FROM findings WHERE code = 'ASN' AND evidence LIKE '%NIP %'"
    ).to_pylist()
    assert len(rows) >= 5, "the synthetic ASN list has rows without NIK"
    asn = {e["id_art"] for e in _errors(kab, "asn_member")}
    for r in rows:
        assert r["member_ref"] in asn, r
        assert "dicocokkan lewat NIP" in r["explanation"], r


def test_reference_load_accepts_asn_rows_without_nik_only_with_nip_and_name(tmp_path):
    from siks.verval import reference

    good = tmp_path / "asn.csv"
    good.write_text(
        "nik,nip,nama,instansi,jenis,kode_wilayah\n"
        "3509222206820001,,HOSNAN,PEMKAB,ASN,35.09\n"
        ',198206222005091675,"MUHAMMAD HOSNAN, S.Kom.",PEMKAB,ASN,35.09\n'
    )
    loaded = reference.load("asn", good, out_dir=tmp_path / "out")
    assert loaded.rows == 2
    got = pq.read_table(loaded.path).to_pylist()
    assert got[1]["nik"] is None and got[1]["nip"] == "198206222005091675"
    bad = tmp_path / "bad.csv"
    bad.write_text("nik,nip,nama,instansi,jenis\n3509222206820001,,A,B,ASN\n,,TANPA NIK,PEMKAB,ASN\n")
    with pytest.raises(reference.ReferenceError, match=r"baris 2, kolom 'nik'.*NIP"):
        reference.load("asn", bad, out_dir=tmp_path / "out")
    old = tmp_path / "old.csv"  # an extract of the earlier layout (NIK, nama, instansi, jenis) still loads
    old.write_text("nik,nama,instansi,jenis\n3509222206820001,A,B,TNI\n")
    assert reference.load("asn", old, out_dir=tmp_path / "out").rows == 1

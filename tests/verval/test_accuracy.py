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
import sqlglot

from siks.domain import finding_catalog, names, programs
from siks.verval import linkage
from siks.verval.engines import open_engine
from siks.verval.evaluate import evaluate
from siks.verval.steps.prepare import name_norm

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


def test_titles_are_stripped_alike_in_portable_sql_and_python():
    """The step `prepare` builds its name SQL from siks.domain.names; DuckDB (RE2) must read the
    patterns as Python does, and the SQL must transpile to Spark."""
    written = [
        "Drs. H. Suparman, M.Pd",
        "HJ. SUMIATUN",
        "K.H. Abdul Ghofur",
        "Siti  Aminah,S.Pd",
        "AHMAD HOLIL S.PD.I",
        "nur hayati amd.keb",
        "H.",
        "I WAYAN SUDARMA",
        "HARIS",
        "MOH H ROSYID",
        "BUDI SETIAWAN S",
        "",
    ]
    values = ", ".join("('" + w + "')" for w in written)
    sql = f"SELECT x, {name_norm('x')} AS n FROM (VALUES {values}) AS t(x)"
    sqlglot.transpile(sql, read="", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    engine = open_engine(ordered=True)
    try:
        got = {r["x"]: r["n"] for r in engine.query(sql).to_pylist()}
    finally:
        engine.close()
    assert got == {w: names.normalize(w) for w in written}


def _titled_copy(name: str, sex: int, i: int) -> str:
    before = ("DRS.", "H.", "IR.") if sex == 1 else ("DRA.", "HJ.", "DR.")
    after = (", S.Pd", " S.E", " A.MD.KEB", ", M.Pd.")
    return f"{before[i % 3]} {name}" if i % 2 == 0 else f"{name}{after[i % 4]}"


@pytest.fixture(scope="module")
def titled_duplicates(kab, tmp_path_factory):
    """The same kabupaten, with a title on one record of every injected duplicate (the copy or the
    original, in turn), as a second enumerator would write it (DRS. SUPARMAN, LAMINAH, S.Pd.), and
    without the NIK on the titled copies: then only name, birth date, sex and place tie the pair."""
    work = tmp_path_factory.mktemp("titled")
    pairs = [(e["id_art"], e["true_value"]) for e in _errors(kab, "duplicate_same_desa")]
    pairs += [(e["id_art"], e["true_value"]) for e in _errors(kab, "duplicate_other_desa")]
    member = pq.read_table(kab["snapshot"] / "member.parquet")
    refs = pc.binary_join_element_wise(
        pc.cast(member["id_keluarga"], pa.string()), pc.cast(member["no_urut"], pa.string()), "-"
    ).to_pylist()
    row = {r: i for i, r in enumerate(refs)}
    nama = member["nama"].to_pylist()
    sex = member["jenis_kelamin"].to_pylist()
    nik = member["nik"].to_pylist()
    titled = {}
    for i, (copy, original) in enumerate(pairs):
        ref = copy if i % 2 == 0 else original
        if ref in row:
            j = row[ref]
            nama[j] = _titled_copy(nama[j], int(sex[j]), i // 2)
            titled[ref] = nama[j]
            if ref == copy:
                nik[j] = None
    member = member.set_column(member.schema.get_field_index("nama"), "nama", pa.array(nama, pa.string()))
    member = member.set_column(member.schema.get_field_index("nik"), "nik", pa.array(nik, member["nik"].type))
    snap = work / "snapshot"
    snap.mkdir()
    pq.write_table(member, snap / "member.parquet")
    (snap / "household.parquet").write_bytes((kab["snapshot"] / "household.parquet").read_bytes())
    out = run({"snapshot": snap, "refs": kab["refs"]}, work / "run")
    yield out, pairs, titled
    out.engine.close()


def _clustered(outcome, pairs):
    rows = outcome.engine.query("SELECT member_ref, cluster_id FROM duplicate_cluster").to_pylist()
    cluster = {r["member_ref"]: r["cluster_id"] for r in rows}
    return {p for p in pairs if p[0] in cluster and cluster[p[0]] == cluster.get(p[1])}


def test_a_title_neither_hides_a_duplicate_nor_is_a_name_mismatch(kab, outcome, titled_duplicates):
    out, pairs, titled = titled_duplicates
    assert len(titled) >= 20 and any(n.startswith(("H.", "HJ.")) for n in titled.values())
    found_plain = _clustered(outcome, pairs)
    found_titled = _clustered(out, pairs)
    assert len(found_plain) >= 0.9 * len(pairs)
    assert found_titled == found_plain, sorted(found_plain - found_titled)[:5]
    varied = {e["id_art"] for e in _errors(kab, "name_variant")}
    mismatch = {
        r["member_ref"]
        for r in out.engine.query(
            "SELECT member_ref FROM findings WHERE code IN ('PADAN_NAME_MISMATCH', 'PADAN_RESOLVED_NAME')"
        ).to_pylist()
    }
    assert not (set(titled) - varied) & mismatch, sorted((set(titled) - varied) & mismatch)[:5]


def test_a_member_without_nik_is_found_on_his_own_kk(kab, outcome):
    """Family evidence: the one Dukcapil member of the record's own KK with its sex, a birth year within
    3 and a related name is the identity, although a default date and a longer name keep the model's
    weight low (IIS HERAWATI LESTARI, 1 January, on IIS HERAWATI's KK). Since a default date counts
    its year (docs/verval.md §3b) the model often decides these alone (`saran`); where it does not, the
    family does (`kk`, below `saran_bobot_yakin`). Either way the identity is the true person."""
    with open(kab["truth"] / "members.csv") as fh:
        true_nik = {m["id_art"]: m["true_nik"] for m in csv.DictReader(fh)}
    rows = outcome.engine.query(
        """SELECT a.member_ref, a.dukcapil_nik, a.weight, a.resolved_by FROM padan AS a
           JOIN person AS p ON p.member_ref = a.member_ref JOIN dukcapil AS d ON d.nik = a.dukcapil_nik
           WHERE a.resolved_by IN ('kk', 'saran') AND d.no_kk = p.no_kk AND p.nik IS NULL"""
    ).to_pylist()
    assert len(rows) >= 5, "the test kabupaten has NIK-less members found on their own KK"
    for r in rows:
        assert r["dukcapil_nik"] == true_nik[r["member_ref"]], r
        if r["resolved_by"] == "kk":
            assert r["weight"] is None or r["weight"] < 0  # the model alone would not have decided


@pytest.fixture(scope="module")
def namesakes(kab, duckdb_outcome, tmp_path_factory):
    """The same kabupaten, with Dukcapil holding (a) a living namesake — same name, birth date and sex,
    another NIK — of every person (known by own NIK) an ASN row without NIK was matched to by NIP, and
    (b) a dead double of
    every NIK-less member padan resolved: then nothing in the records tells the two apart."""
    work = tmp_path_factory.mktemp("namesakes")
    by_nip = duckdb_outcome.engine.query(
        """SELECT DISTINCT m.member_ref, m.who FROM asn_nip_match AS m
           JOIN padan AS a ON a.member_ref = m.member_ref WHERE a.resolved_by = 'nik'"""
    ).to_pylist()
    doubled = duckdb_outcome.engine.query(
        """SELECT a.member_ref, a.dukcapil_nik FROM padan AS a JOIN person AS p ON p.member_ref = a.member_ref
           WHERE p.nik IS NULL AND a.dukcapil_nik IS NOT NULL
             AND a.dukcapil_nik NOT IN (SELECT who FROM asn_nip_match)"""
    ).to_pylist()
    duk = pq.read_table(kab["refs"]["dukcapil"])
    alive = [r["who"] for r in by_nip]
    dead = [r["dukcapil_nik"] for r in doubled]
    copies = []
    for niks, status in ((alive, "HIDUP"), (dead, "MATI")):
        rows = duk.filter(pc.is_in(duk["nik"], pa.array(niks))).to_pylist()
        for i, r in enumerate(rows):
            new = r | {"nik": r["nik"][:12] + f"9{i % 1000:03d}", "status_hidup": status}
            if status == "MATI":
                new["tanggal_meninggal"] = date(2026, 9, 1)
            copies.append(new)
    assert len({c["nik"] for c in copies}) == len(copies)
    extra = pa.Table.from_pylist(copies, schema=duk.schema)
    pq.write_table(pa.concat_tables([duk, extra]), work / "dukcapil.parquet")
    refs = dict(kab["refs"]) | {"dukcapil": work / "dukcapil.parquet"}
    out = run({"snapshot": kab["snapshot"], "refs": refs}, work / "run")
    yield out, by_nip, doubled
    out.engine.close()


def test_a_nip_that_fits_several_people_flags_no_one_and_asks_a_person(namesakes):
    out, by_nip, _ = namesakes
    assert len(by_nip) >= 5
    for r in by_nip:
        codes = _codes(out, r["member_ref"])
        assert "ASN" not in codes and "ASN_POSSIBLE" in codes, (r, codes)
    # a candidate excludes no one: no household flag comes from a possible ASN alone
    households = out.engine.query(
        """SELECT COUNT(*) AS n FROM findings AS h
           WHERE h.code = 'HOUSEHOLD_ASN' AND h.household_ref IN
                 (SELECT household_ref FROM findings WHERE code = 'ASN_POSSIBLE')
             AND h.household_ref NOT IN (SELECT household_ref FROM findings WHERE code = 'ASN')"""
    ).to_pylist()
    assert households[0]["n"] == 0
    # ... and no default rule (eligibility, penetapan, programs) reads a possible finding
    rules = "".join(p.read_text() for p in (Path(programs.__file__).parent / "data").glob("*.json"))
    assert '"has_finding"' in rules and "_POSSIBLE" not in rules


def test_a_dead_double_of_a_nik_less_member_is_a_question_not_a_death(kab, namesakes):
    out, _, doubled = namesakes
    assert len(doubled) >= 5
    asked = 0
    for r in doubled:
        codes = _codes(out, r["member_ref"])
        assert "DECEASED" not in codes or r["member_ref"] in {
            e["id_art"] for e in _errors(kab, "deceased_active")
        }, (r, codes)
        asked += "DECEASED_POSSIBLE" in codes
    assert asked == len(doubled)
    ev = evaluate(out.engine.query("SELECT * FROM findings"), kab["truth"]).by_kind()
    assert ev["deceased_active + kandidat"].recall >= ev["deceased_active"].recall
    assert ev["asn_member + kandidat"].recall >= ev["asn_member"].recall


def test_an_unrelated_name_never_displaces_the_owner_of_the_recorded_nik(outcome):
    """The owner agrees on birth date and sex: a candidate whose name is not related (ZAINAL for MAMAD,
    a NIK neighbour in a moved person's old desa) never makes the NIK another person's."""
    rows = outcome.engine.query(
        """SELECT e.member_ref FROM padan_exact AS e
           JOIN padan AS a ON a.member_ref = e.member_ref
           JOIN padan_ranked AS t ON t.member_ref = e.member_ref AND t.other_rank = 1 AND NOT t.recorded
           WHERE a.reason = 'OTHER_PERSON' AND e.found AND e.dob_eq AND e.sex_eq AND NOT e.dob_default
             AND NOT t.name_rel"""
    ).to_pylist()
    assert rows == []
    owners = outcome.engine.scalar(
        "SELECT COUNT(*) FROM padan WHERE resolved_by = 'nik' "
        "AND reason IN ('NAME_MISMATCH', 'IDENTITY_MISMATCH')"
    )
    assert owners > 0

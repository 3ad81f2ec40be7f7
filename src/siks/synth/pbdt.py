"""PBDT 2015 rows: a share of DTKS households assessed with the older PBDT form (issue #16 point 6).

Why: a real registry is not all Regsosek 2022. Households proposed through usulan after Regsosek were long
entered on SIKS-NG's PBDT-based form (siks offers it too: `--instrumen PBDT2015`, the ODK form
`siks_usulan_baru_pbdt`), so their rows carry the PBDT code lists (docs/domain-facts.md §1.2): another
numbering (lantai 9 is Tanah, not Lainnya), the asset Ya/Tidak quirk (1/2 in columns a, c, …; 3/4 in b,
d, …), a relation to the head of the ruta besides the one to the head of the family, and no keberadaan.
verval must verify them like any other (identity, NIK, KK, ganda); the PMT does not read their answers.

The household is generated as usual (Regsosek answers), then written with the PBDT template: each answer
mapped to the nearest PBDT code (`CROSSWALK`); what Regsosek does not ask (status lahan, kondisi dinding
and atap, jumlah kamar, cara memperoleh air, akta nikah, ijazah, kelas, luas lahan) is left empty.

Which households: `Patterns.pbdt2015` of the DTKS ruta, drawn among those registered after Regsosek
(pendataan from 2023; Regsosek itself used its own form) whose rows carry no fault the PBDT form cannot
hold: keberadaan (deceased_active, not_found, keberadaan_pergi) and the Regsosek answer contradictions
(inconsistent_answers), and none of whose NIKs is written in another ruta too (a duplicate's copy, a
borrowed NIK): `siks import` refuses a NIK already active in another record (NIK_ACTIVE), so the second
file would not load. Duplicates without NIK or with a mistyped one still cross the two files. An exact
count, capped by the households that qualify.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siks.domain.instruments import PBDT2015, encode_pbdt_asset
from siks.domain.template import PBDT_ASET_COLUMNS, columns_for

from . import arrays

#: faults on a field the PBDT form does not have (or codes otherwise): their ruta stay Regsosek
NOT_ON_PBDT = ("deceased_active", "not_found", "keberadaan_pergi", "inconsistent_answers")
#: households registered from this date were not assessed in Regsosek 2022 (synth/selection.py)
AFTER_REGSOSEK = "2023-01-01"

#: Regsosek code → PBDT code, per column (absent codes become empty). Names follow the two code lists in
#: siks.domain.instruments (regsosek2022 / pbdt2015).
CROSSWALK: dict[str, dict[int, int]] = {
    "status_bangunan": {1: 1, 2: 2, 3: 3, 4: 4, 5: 5},
    # Regsosek 5 Kayu/papan → PBDT 8 kayu kualitas rendah (DTKS households); 8 Tanah → 9; 9 Lainnya → 10
    "jenis_lantai": {1: 1, 2: 2, 3: 3, 4: 4, 5: 8, 6: 6, 7: 7, 8: 9, 9: 10},
    "jenis_dinding": {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7},
    # Beton, Genteng (tanah liat), Seng, Asbes, Bambu, Kayu/sirap, Jerami…, Lainnya
    "jenis_atap": {1: 1, 2: 4, 3: 6, 4: 5, 5: 8, 6: 7, 7: 9, 8: 10},
    # Leding → leding meteran; PBDT splits no other source Regsosek has
    "sumber_air_minum": {1: 1, 2: 2, 3: 3, 4: 5, 5: 6, 6: 7, 7: 8, 8: 9, 9: 10, 10: 11, 11: 12},
    "sumber_penerangan": {1: 1, 2: 1, 3: 2, 4: 3},
    "daya_listrik": {1: 1, 2: 2, 3: 3, 4: 4, 5: 5},
    # 0 Tidak memasak → 9; elpiji 5,5 and 12 kg → gas > 3 kg; gas kota and biogas → 4
    "bahan_bakar_memasak": {0: 9, 1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 8: 6, 9: 7, 10: 8},
    "fasilitas_bab": {1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4},
    "jenis_kloset": {1: 1, 2: 2, 3: 2, 4: 3},
    "pembuangan_tinja": {1: 1, 2: 2, 3: 4, 4: 3, 5: 5, 6: 6},
    "status_kawin": {1: 1, 2: 2, 3: 3, 4: 4},
    "hubungan_kk": {k: k for k in range(1, 9)},
    "jenis_kelamin": {1: 1, 2: 2},
    "hamil": {1: 1, 2: 2},
    "bekerja": {1: 1, 2: 2},
    "rumah_lain": {1: 1, 2: 2},
    # 1 belum pernah, 2 masih, 3 tidak lagi → 0, 1, 2
    "partisipasi_sekolah": {1: 0, 2: 1, 3: 2},
    # Paket A, SDLB, SD, MI, Ula, Paket B, SMPLB, SMP, MTs, Wustha, Paket C, SMLB, SMA, MA, SMK, MAK,
    # Ulya, then D1–S3 as perguruan tinggi
    "pendidikan": {
        1: 2,
        2: 1,
        3: 1,
        4: 3,
        5: 3,
        6: 5,
        7: 4,
        8: 4,
        9: 6,
        10: 6,
        11: 8,
        12: 7,
        13: 7,
        14: 9,
        15: 7,
        16: 9,
        17: 9,
        18: 10,
        19: 10,
        20: 10,
        21: 10,
        22: 10,
    },  # fmt: skip
    "lapangan_usaha": {
        1: 1,
        2: 2,
        3: 3,
        4: 4,
        5: 6,
        6: 7,
        7: 8,
        8: 9,
        9: 10,
        10: 19,
        11: 11,
        12: 12,
        13: 14,
        14: 13,
        15: 15,
        16: 16,
        17: 19,
        18: 19,
        19: 19,
        20: 19,
        21: 17,
        22: 18,
        23: 19,
        24: 19,
        25: 19,
        26: 19,
    },  # fmt: skip
    "status_pekerjaan": {k: k for k in range(1, 9)},
    # Tidak ada, hipertensi, rematik, asma, jantung, diabetes, TBC, stroke, kanker; the rest → lainnya
    "penyakit_kronis": {**{k: k - 1 for k in range(1, 10)}, **{k: 9 for k in range(10, 19)}},
}
#: Regsosek 502 asset column → the PBDT V.1 column with the same thing (smartphone: no PBDT match; PBDT's
#: motor tempel and kapal: not asked by Regsosek, written as not owned)
ASSETS = {
    "aset_tabung_gas": "aset_tabung_gas",
    "aset_lemari_es": "aset_lemari_es",
    "aset_ac": "aset_ac",
    "aset_pemanas_air": "aset_pemanas_air",
    "aset_telepon_rumah": "aset_telepon_rumah",
    "aset_tv_layar_datar": "aset_televisi",
    "aset_emas": "aset_emas",
    "aset_komputer": "aset_komputer",
    "aset_sepeda": "aset_sepeda",
    "aset_sepeda_motor": "aset_sepeda_motor",
    "aset_mobil": "aset_mobil",
    "aset_perahu": "aset_perahu",
    "aset_kapal_motor": "aset_perahu_motor",
}
#: Regsosek 428 difficulty column → PBDT jenis_cacat code, when the member cannot at all or needs help
DISABILITY = {"sulit_berjalan": 1, "sulit_melihat": 2, "sulit_mendengar": 3, "sulit_bicara": 4}
_KEEP = (
    "id_ruta", "kode_desa", "dusun", "rw", "rt", "alamat", "id_keluarga", "no_kk", "no_urut", "nama", "nik",
    "tempat_lahir", "tanggal_lahir", "luas_lantai", "ternak_sapi", "ternak_kerbau", "ternak_kuda",
    "ternak_babi", "ternak_kambing", "tanggal_pendataan", "petugas",
)  # fmt: skip


def choose(rng: np.random.Generator, dtks: pa.Table, errors: pa.Table, rate: float) -> pa.Array:
    """The id_ruta written on the PBDT form (sorted): `rate` of the DTKS ruta, among those that qualify."""
    ids = np.asarray(dtks["id_ruta"].to_numpy(zero_copy_only=False)).astype(str)
    first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])  # dtks is sorted by id_ruta
    ruta = pa.array(ids[first])
    dates = np.asarray(dtks["tanggal_pendataan"].to_numpy(zero_copy_only=False)).astype("datetime64[D]")
    late = pa.array(dates[first] >= np.datetime64(AFTER_REGSOSEK, "D"))
    faulty = pc.filter(errors["id_ruta"], pc.is_in(errors["kind"], pa.array(NOT_ON_PBDT)))
    # a NIK also written in another ruta (a duplicate, a borrowed NIK) would stop the second file's import
    # (NIK_ACTIVE): such ruta stay in one file
    nik = np.asarray(dtks["nik"].to_numpy(zero_copy_only=False)).astype(str)
    has = (nik != "None") & (nik != "")
    pairs = np.unique(np.stack([nik[has], ids[has]]), axis=1)
    values, count = np.unique(pairs[0], return_counts=True)
    shared = pa.array(np.unique(pairs[1][np.isin(pairs[0], values[count > 1])]))
    ok = pc.and_(late, pc.invert(pc.or_(pc.is_in(ruta, faulty), pc.is_in(ruta, shared))))
    ok = np.asarray(ok.to_numpy(zero_copy_only=False))
    idx = arrays.pick(rng, ok, arrays.count_for(rate, len(ruta)))
    return ruta.take(pa.array(idx))


def _codes(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.cast(column, pa.int32()), -1).to_numpy(zero_copy_only=False))


def _arrow(values: np.ndarray) -> pa.Array:
    """int codes with -1 for empty → Arrow int16 with nulls."""
    return pa.array(values.astype(np.int16), type=pa.int16(), mask=values < 0)


def _map(values: np.ndarray, table: dict[int, int]) -> np.ndarray:
    lookup = np.full(max(max(table), int(values.max(initial=0))) + 1, -1, dtype=np.int32)
    for a, b in table.items():
        lookup[a] = b
    return np.where(values >= 0, lookup[np.clip(values, 0, len(lookup) - 1)], -1)


def to_pbdt(rows: pa.Table) -> pa.Table:
    """Regsosek-template rows of whole ruta → the PBDT 2015 template (`columns_for("PBDT2015")`)."""
    n = rows.num_rows
    built: dict[str, pa.Array] = {k: rows[k] for k in _KEEP}
    for col, table in CROSSWALK.items():
        built[col] = _arrow(_map(_codes(rows[col]), table))
    # daya: a PLN connection without a meter is PBDT's "tanpa meteran"
    daya = _map(_codes(rows["daya_listrik"]), CROSSWALK["daya_listrik"])
    built["daya_listrik"] = _arrow(np.where(_codes(rows["sumber_penerangan"]) == 2, 6, daya))
    # kloset: PBDT asks it of every ruta, 4 "tidak pakai" where there is no facility
    kloset = _map(_codes(rows["jenis_kloset"]), CROSSWALK["jenis_kloset"])
    built["jenis_kloset"] = _arrow(np.where((kloset < 0) & (_codes(rows["fasilitas_bab"]) == 6), 4, kloset))
    # identity cards: Regsosek 1 akta + 2 KIA + 4 KTP; PBDT 1 akta + 2 kartu pelajar + 4 KTP + 8 SIM
    cards = _codes(rows["kartu_identitas"])
    built["kartu_identitas"] = _arrow(np.where(cards >= 0, cards & 5, -1))
    # disability: the first difficulty that is severe (cannot at all, or needs help)
    cacat = np.zeros(n, dtype=np.int16)
    for col, code in reversed(DISABILITY.items()):
        severe = np.isin(_codes(rows[col]), (1, 2))
        cacat = np.where(severe, code, cacat).astype(np.int16)
    built["jenis_cacat"] = pa.array(cacat, type=pa.int16())
    built["tercantum_kk"] = pa.array(np.ones(n, dtype=np.int16), type=pa.int16())  # all are on their KK
    # relation to the head of the ruta: the first keluarga as to its kepala; a second keluarga is a
    # child's family living in the parents' house (synth/population.py): kepala anak, pasangan menantu,
    # their children cucu, anyone else lainnya
    fam = np.asarray(rows["id_keluarga"].to_numpy(zero_copy_only=False)).astype(str)
    ruta = np.asarray(rows["id_ruta"].to_numpy(zero_copy_only=False)).astype(str)
    first_fam = np.char.add(ruta, "-1") == fam
    rel = _codes(rows["hubungan_kk"])
    other = np.select([rel == 1, rel == 2, rel == 3], [3, 4, 5], 8)
    built["hubungan_krt"] = _arrow(np.where(first_fam, rel, other))
    for regsosek, pbdt_col in ASSETS.items():
        letter = next(x for x, c in PBDT_ASET_COLUMNS.items() if c == pbdt_col)
        have = _codes(rows[regsosek])
        yes, no = encode_pbdt_asset(letter, True), encode_pbdt_asset(letter, False)
        built[pbdt_col] = _arrow(np.where(have < 0, -1, np.where(have == 1, yes, no)))
    for letter in ("m", "o"):  # motor tempel, kapal: Regsosek does not ask; not owned
        built[PBDT_ASET_COLUMNS[letter]] = _arrow(np.full(n, encode_pbdt_asset(letter, False)))
    built["instrumen"] = pa.array([PBDT2015] * n, type=pa.string())
    return pa.table(
        {c.key: built[c.key] if c.key in built else pa.nulls(n, pa.string()) for c in columns_for(PBDT2015)}
    )

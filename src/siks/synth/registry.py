"""The DTKS registry as operators entered it, with faults injected at exact rates and listed one by one.

Rows are the members of DTKS ruta as they were on the pendataan date (people born later are not yet
registered, people who had died are gone). Faults change what was *recorded*; the few that need a
different truth (a death after registration, an ASN job) change the truth instead, so that the
references show them. Every fault is one row of the ground truth (`errors`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import arrays, names, welfare
from .events import annual_mortality
from .params import SynthParams
from .world import World

EMPTY = welfare.EMPTY
NIK_KINDS = (
    "nik_typo",
    "nik_transposed",
    "nik_other_person",
    "nik_missing",
    "nik_sex_mismatch",
    "nik_birthdate_mismatch",
)


@dataclass
class Errors:
    """Columns of truth/errors.csv, filled kind by kind."""

    id_art: list[np.ndarray]
    id_ruta: list[np.ndarray]
    kind: list[str]
    count: list[int]
    field: list[str]
    recorded: list[np.ndarray]
    true: list[np.ndarray]

    @classmethod
    def empty(cls) -> Errors:
        return cls([], [], [], [], [], [], [])

    def add(self, kind: str, field: str, id_art, id_ruta, recorded, true) -> None:
        n = len(id_ruta)
        if n == 0:
            return
        self.id_art.append(np.asarray(id_art, dtype=object))
        self.id_ruta.append(np.asarray(id_ruta, dtype=object))
        self.kind.append(kind)
        self.count.append(n)
        self.field.append(field)
        self.recorded.append(np.asarray(recorded, dtype=object))
        self.true.append(np.asarray(true, dtype=object))


def _s(values) -> np.ndarray:
    """Anything → an object array of Python str (bytes decoded)."""
    arr = np.asarray(values)
    if arr.dtype.kind == "S":
        return np.char.decode(arr, "ascii").astype(object)
    if arr.dtype.kind == "M":
        return np.datetime_as_string(arr, unit="D").astype(object)
    return (
        np.array([str(v) for v in arr.tolist()], dtype=object)
        if arr.dtype.kind != "U"
        else arr.astype(object)
    )


def _code_text(values: np.ndarray) -> np.ndarray:
    out = _s(values)
    out[np.asarray(values) == EMPTY] = ""
    return out


def build(world: World, geo, params: SynthParams) -> dict[str, object]:
    """The DTKS table (columns by template header), the ground truth and the member → person map."""
    seed = params.seed
    rng = arrays.stream(seed, "registry")
    p, f, r = world.per, world.fam, world.ruta
    ref = world.ref
    ruta_all = world.per_ruta()
    pend_all = r["pendataan"][ruta_all]
    on_date = (
        r["dtks"][ruta_all] & (p["birth"] <= pend_all) & (np.isnat(p["death"]) | (p["death"] > pend_all))
    )
    rows = np.flatnonzero(on_date)
    n = len(rows)
    fam = p["fam"][rows]
    ruta = f["ruta"][fam]

    # IDs: id_ruta from the registered desa and a serial within it; keluarga and member numbers inside.
    dtks_ruta = np.unique(ruta)
    desa_of = r["dtks_desa"][dtks_ruta]
    serial = arrays.group_rank(desa_of.astype(np.int64)) + 1
    desa_digits = np.array([c.replace(".", "") for c in geo.desa_codes], dtype="S10")
    ruta_id = np.full(world.n_ruta, b"", dtype="S17")
    ruta_id[dtks_ruta] = np.char.add(np.char.add(b"R", desa_digits[desa_of]), arrays.zfill(serial, 5))
    fam_no = np.zeros(world.n_fam, dtype=np.int64)
    fam_no[:] = arrays.group_rank(f["ruta"].astype(np.int64)) + 1
    no_urut = arrays.group_rank(fam.astype(np.int64)) + 1
    id_ruta = ruta_id[ruta]
    id_kel = np.char.add(np.char.add(id_ruta, b"-"), arrays.zfill(fam_no[fam], 1))
    world.extra["ruta_id"] = ruta_id

    age = world.age(pend_all[rows], rows)
    sex = p["sex"][rows].copy()
    birth = p["birth"][rows].copy()
    rel = p["rel"][rows].copy()
    kawin = p["kawin"][rows].copy()
    nik = p["nik"][rows].copy()
    kk = f["kk"][fam].copy()
    birth_year = p["birth"][rows].astype("datetime64[Y]").astype(np.int64) + 1970
    urban = geo.desa_urban[r["dtks_desa"][ruta]]
    answers = welfare.member_answers(
        arrays.stream(seed, "members"),
        age,
        sex,
        rel,
        kawin,
        birth_year,
        r["w"][ruta],
        urban,
        p["madura"][rows],
        ruta,
    )
    # Newborns of the last year are "anggota keluarga baru".
    keberadaan = np.where((pend_all[rows] - p["birth"][rows]).astype(np.int64) < 365, 5, 1).astype(np.int16)

    errors = Errors.empty()
    e = params.errors

    def art(i: np.ndarray) -> np.ndarray:
        return _s(np.char.add(np.char.add(id_kel[i], b"-"), _num(no_urut[i])))

    # --- NIK kinds: one fault per row at most, exact counts -------------------------------------------
    perm = rng.permutation(n)
    at = 0
    chosen: dict[str, np.ndarray] = {}
    for kind in NIK_KINDS:
        k = arrays.count_for(getattr(e, kind), n)
        chosen[kind] = np.sort(perm[at : at + k])
        at += k
    digits = arrays.chars(nik).copy()

    idx = chosen["nik_typo"]
    pos = rng.integers(0, 16, len(idx))
    old = digits[idx, pos]
    digits[idx, pos] = 48 + (old - 48 + rng.integers(1, 10, len(idx))) % 10
    idx = chosen["nik_transposed"]
    d = digits[idx]
    differs = d[:, :-1] != d[:, 1:]
    # a random adjacent pair whose digits differ (every real NIK has one)
    score = np.where(differs, rng.random(differs.shape), -1.0)
    pos = score.argmax(axis=1)
    a, b = digits[idx, pos].copy(), digits[idx, pos + 1].copy()
    digits[idx, pos], digits[idx, pos + 1] = b, a
    recorded_nik = arrays.fixed(digits)

    idx = chosen["nik_other_person"]
    donors = _donors(rng, world, rows, fam, idx)
    recorded_nik[idx] = p["nik"][donors]
    recorded_nik[chosen["nik_missing"]] = b""
    for kind in ("nik_typo", "nik_transposed", "nik_other_person", "nik_missing"):
        i = chosen[kind]
        errors.add(kind, "nik", art(i), _s(id_ruta[i]), _s(recorded_nik[i]), _s(nik[i]))

    idx = chosen["nik_sex_mismatch"]
    sex[idx] = 3 - sex[idx]
    errors.add(
        "nik_sex_mismatch", "jenis_kelamin", art(idx), _s(id_ruta[idx]), _s(sex[idx]), _s(p["sex"][rows][idx])
    )
    idx = chosen["nik_birthdate_mismatch"]
    birth[idx] = _wrong_birthdates(rng, birth[idx], pend_all[rows][idx])
    errors.add(
        "nik_birthdate_mismatch",
        "tanggal_lahir",
        art(idx),
        _s(id_ruta[idx]),
        _s(birth[idx]),
        _s(p["birth"][rows][idx]),
    )

    # --- default birth dates on members without NIK (their own stream: other draws stay as they were) -------
    drng = arrays.stream(seed, "default-birth")
    pool = chosen["nik_missing"][age[chosen["nik_missing"]] >= 1]
    k = min(arrays.count_for(e.birthdate_default, n), len(pool))
    idx = np.sort(drng.choice(pool, k, replace=False)) if k else pool[:0]
    written = default_dates(drng, birth[idx])
    errors.add("birthdate_default", "tanggal_lahir", art(idx), _s(id_ruta[idx]), _s(written), _s(birth[idx]))
    birth[idx] = written

    # --- names ------------------------------------------------------------------------------------------
    k = arrays.count_for(e.name_variant, n)
    idx = arrays.pick(rng, np.ones(n, dtype=bool), k)
    true_names = p["name"].take(rows[idx]).to_pylist() if k else []
    vrng = arrays.stream(seed, "name-variants")
    variants = [
        names.variant(nm, vrng, int(sx)) for nm, sx in zip(true_names, p["sex"][rows][idx], strict=True)
    ]
    name_override = dict(zip(idx.tolist(), variants, strict=True))
    errors.add(
        "name_variant",
        "nama",
        art(idx),
        _s(id_ruta[idx]),
        np.array(variants, dtype=object),
        np.array(true_names, dtype=object),
    )
    # --- titles the DTKS name carries and Dukcapil does not (a pattern, not a fault: patterns.csv) -------
    titled, titles = names.titled(arrays.stream(seed, "pattern-gelar"), age, sex, name_override, params)
    titled_names = [
        names.with_title(nm, t)
        for nm, t in zip(p["name"].take(rows[titled]).to_pylist(), titles, strict=True)
    ]
    name_override.update(zip(titled.tolist(), titled_names, strict=True))
    variants = variants + titled_names

    # --- deceased still active: a member who died after registration -------------------------------------
    fam_rows = np.bincount(fam, minlength=world.n_fam)
    head_of_many = (rel == 1) & (fam_rows[fam] > 1)
    k = arrays.count_for(e.deceased_active, n)
    idx = arrays.pick(rng, ~head_of_many & (keberadaan == 1), k, annual_mortality(age))
    person = rows[idx]
    lo = pend_all[person] + 1
    # In a family whose KK changed after registration, the death comes after the new KK (so the dead
    # person is on it, and the family's stale KK is the one fault of that KK).
    pf = p["fam"][person]
    lo = np.where(f["err_stale"][pf], np.maximum(lo, f["kk_date"][pf] + 1), lo)
    lo = np.minimum(lo, ref - 2)
    span = np.maximum((ref - lo).astype(np.int64) - 1, 1)
    p["death"][person] = lo + (rng.random(len(idx)) * span).astype(np.int64).astype("timedelta64[D]")
    errors.add(
        "deceased_active",
        "keberadaan",
        art(idx),
        _s(id_ruta[idx]),
        np.full(len(idx), "1", dtype=object),
        np.full(len(idx), "2", dtype=object),
    )
    deceased = np.zeros(n, dtype=bool)
    deceased[idx] = True

    # --- ASN/TNI/Polri in a DTKS household -------------------------------------------------------------
    k = arrays.count_for(e.asn_member, n)
    idx = arrays.pick(rng, (age >= 22) & (age <= 56) & ~deceased, k)
    person = rows[idx]
    draw = rng.random(len(idx))
    male = p["sex"][person] == 1
    p["asn"][person] = np.where(male & (draw < 0.12), 2, np.where(male & (draw < 0.25), 3, 1))
    recorded_status = answers["status_pekerjaan"][idx]
    errors.add(
        "asn_member",
        "status_pekerjaan",
        art(idx),
        _s(id_ruta[idx]),
        _code_text(recorded_status),
        np.full(len(idx), "5", dtype=object),
    )
    asn_rows = np.zeros(n, dtype=bool)
    asn_rows[idx] = True

    # --- members away (keberadaan 3/4, issue #16): merantau in Indonesia or working abroad, still on the
    # family's KK at Dukcapil. Not a fault; a hard negative (nothing about them is wrong). Own stream.
    arng = arrays.stream(seed, "keberadaan-away")
    nik_fault = np.zeros(n, dtype=bool)
    for kind in NIK_KINDS:
        nik_fault[chosen[kind]] = True
    eligible = (age >= 18) & (age <= 45) & (rel != 1) & (keberadaan == 1) & ~deceased & ~asn_rows & ~nik_fault
    idx = arrays.pick(arng, eligible, arrays.count_for(e.keberadaan_pergi, n))
    keberadaan[idx] = np.where(arng.random(len(idx)) < 0.85, 3, 4).astype(np.int16)
    errors.add(
        "keberadaan_pergi",
        "keberadaan",
        art(idx),
        _s(id_ruta[idx]),
        _code_text(keberadaan[idx]),
        np.full(len(idx), "1", dtype=object),
    )

    # Stale KK: the family's previous number (listed per row below, once duplicates are in).
    kk = np.where(f["err_stale"][fam], f["kk_prev"][fam], kk)

    table = {
        "id_ruta": id_ruta,
        "kode_desa": desa_digits[r["dtks_desa"][ruta]],
        "sls": r["dtks_sls"][ruta],
        "id_keluarga": id_kel,
        "no_kk": kk,
        "no_urut": no_urut,
        "nik": recorded_nik,
        "keberadaan": keberadaan,
        "jenis_kelamin": sex.astype(np.int16),
        "birthplace": p["birthplace"][rows],
        "tanggal_lahir": birth,
        "status_kawin": kawin.astype(np.int16),
        "hubungan_kk": rel.astype(np.int16),
        **answers,
        "pendataan": pend_all[rows],
        "ruta": ruta,
        "fam": fam,
        "person": rows,
    }
    for col in world.extra["household_columns"]:
        table[col] = r[col][ruta].copy()

    # --- contradictory answers, one per chosen ruta ------------------------------------------------------
    ruta_faults = _inconsistent(rng, table, errors, e.inconsistent_answers, art, age)

    # --- duplicates: a second registration of the same person in another keluarga -------------------------
    names_col = _replace(
        p["name"].take(pa.array(rows)), np.asarray(list(name_override), dtype=np.int64), variants
    )
    clean = np.ones(n, dtype=bool)
    for kind in NIK_KINDS:
        clean[chosen[kind]] = False
    clean &= ~deceased & ~asn_rows & (keberadaan == 1)
    clean[np.fromiter(name_override, dtype=np.int64, count=len(name_override))] = False
    table, names_col = _duplicates(rng, world, table, names_col, errors, clean, e, art, n)
    _per_row_faults(world, geo, table, errors, ruta_faults)
    return {
        "table": table,
        "names": names_col,
        "errors": errors,
        "n_original": n,
        "gelar": (rows[titled], np.array(titles, dtype=object)),
    }


_HOST_COLUMNS = ("id_ruta", "kode_desa", "sls", "ruta", "fam", "id_keluarga", "no_kk", "pendataan")


def _per_row_faults(world: World, geo, table: dict, errors: Errors, ruta_faults: list) -> None:
    """Faults of a whole ruta or keluarga, listed on every row that carries the wrong value (duplicates
    hosted there included): `moved`, `domisili`, `not_found`, `kk_stale` and household-level
    `inconsistent_answers`."""
    r, f = world.ruta, world.fam
    ruta, fam = table["ruta"], table["fam"]

    def art(i: np.ndarray) -> np.ndarray:
        return _s(np.char.add(np.char.add(table["id_keluarga"][i], b"-"), _num(table["no_urut"][i])))

    def rid(i: np.ndarray) -> np.ndarray:
        return _s(table["id_ruta"][i])

    desa_text = np.array([c.replace(".", "") for c in geo.desa_codes], dtype=object)
    i = np.flatnonzero(r["err_moved"][ruta])
    errors.add(
        "moved",
        "kode_desa",
        art(i),
        rid(i),
        desa_text[r["dtks_desa"][ruta[i]]],
        desa_text[r["desa"][ruta[i]]],
    )
    i = np.flatnonzero(r["err_domisili"][ruta])
    errors.add(
        "domisili",
        "kode_desa",
        art(i),
        rid(i),
        desa_text[r["dtks_desa"][ruta[i]]],
        desa_text[r["desa"][ruta[i]]],
    )
    i = np.flatnonzero(r["err_not_found"][ruta])
    errors.add(
        "not_found",
        "keberadaan",
        art(i),
        rid(i),
        _code_text(table["keberadaan"][i]),
        np.full(len(i), "6", dtype=object),
    )
    i = np.flatnonzero(f["err_stale"][fam])
    errors.add("kk_stale", "no_kk", art(i), rid(i), _s(table["no_kk"][i]), _s(f["kk"][fam[i]]))
    for ruta_index, col, value, true in ruta_faults:
        i = np.flatnonzero(ruta == ruta_index)
        n = len(i)
        errors.add(
            "inconsistent_answers",
            col,
            art(i),
            rid(i),
            np.full(n, str(value), dtype=object),
            np.repeat(_code_text(np.array([true])), n),
        )


def _replace(values: pa.Array, idx: np.ndarray, new: list[str]) -> pa.Array:
    """`values` with `values[idx[k]]` replaced by `new[k]` (Arrow strings, no Python list of all rows)."""
    if len(idx) == 0:
        return values
    take = np.arange(len(values), dtype=np.int64)
    take[idx] = len(values) + np.arange(len(idx))
    return pa.concat_arrays([values, pa.array(new, type=pa.string())]).take(pa.array(take))


def _num(values: np.ndarray) -> np.ndarray:
    """Integers → their decimal text as bytes, without padding."""
    return np.char.encode(np.asarray(values).astype(str), "ascii")


def _donors(rng, world: World, rows: np.ndarray, fam: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Person whose NIK gets written instead: a relative in the same keluarga, else someone in the desa."""
    f = world.fam
    person = rows[idx]
    size = f["size"][fam[idx]]
    start = f["start"][fam[idx]]
    offset = rng.integers(1, np.maximum(size, 2))
    within = (person - start + offset) % np.maximum(size, 1) + start
    use_family = (size > 1) & (rng.random(len(idx)) < 0.6)
    desa = world.ruta["desa"][world.per_ruta()]
    order = np.argsort(desa, kind="stable")
    sorted_desa = desa[order]
    d = desa[person]
    lo = np.searchsorted(sorted_desa, d)
    hi = np.searchsorted(sorted_desa, d, side="right")
    neighbour = order[np.minimum(lo + (rng.random(len(idx)) * (hi - lo)).astype(np.int64), len(order) - 1)]
    donor = np.where(use_family, within, neighbour)
    same = donor == person
    donor[same] = np.where(person[same] + 1 < world.n_per, person[same] + 1, person[same] - 1)
    return donor


def _wrong_birthdates(rng, born: np.ndarray, pendataan: np.ndarray) -> np.ndarray:
    """A birth date written wrongly: day and month swapped, the year off, a conventional 1 July, days off."""
    y = born.astype("datetime64[Y]")
    m = born.astype("datetime64[M]")
    day = (born - m.astype("datetime64[D]")).astype(np.int64) + 1
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    kind = rng.integers(0, 4, len(born))
    can_swap = (day <= 12) & (day != month)
    swapped = (y.astype("datetime64[M]") + (np.where(can_swap, day, month) - 1)).astype("datetime64[D]")
    swapped = np.where(can_swap, swapped + (np.where(can_swap, month, day) - 1), np.datetime64("NaT"))
    year_off = (y - rng.integers(1, 4, len(born))).astype("datetime64[M]") + (month - 1)
    year_off = year_off.astype("datetime64[D]") + (np.minimum(day, 28) - 1)
    july = (y.astype("datetime64[M]") + 6).astype("datetime64[D]")
    days_off = born - rng.integers(1, 20, len(born))
    out = np.select([kind == 0, kind == 1, kind == 2], [swapped, year_off, july], days_off)
    out = np.where(np.isnat(out) | (out == born), days_off, out)
    out = np.minimum(out, pendataan - 1).astype("datetime64[D]")
    return np.where(out == born, born - 1, out)


def default_dates(rng, born: np.ndarray) -> np.ndarray:
    """The date written when the real one is unknown: 1 January, 31 December or 1 July of the birth year
    (another of them when the real date already is one)."""
    year = born.astype("datetime64[Y]")
    jan1 = year.astype("datetime64[D]")
    options = np.stack([jan1, jan1 + 364 + _leap(year), jan1 + 181 + _leap(year)], axis=1)
    pick = np.searchsorted([0.7, 0.9], rng.random(len(born)), side="right")
    out = options[np.arange(len(born)), pick]
    same = out == born
    out[same] = options[np.arange(len(born)), (pick + 1) % 3][same]
    return out.astype("datetime64[D]")


def _leap(year: np.ndarray) -> np.ndarray:
    """1 in a leap year, else 0 (so 31 December and 1 July land on the right day)."""
    y = year.astype(np.int64) + 1970
    return (((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)).astype(np.int64)


def _inconsistent(rng, table, errors: Errors, rate: float, art, age: np.ndarray) -> list:
    """Answers that contradict each other (design.md §5 `inconsistent_answers`): one per chosen ruta.
    Returns the household-level ones (ruta, column, recorded, true) to be listed per row later."""
    ruta_faults: list = []
    ruta = table["ruta"]
    starts = np.flatnonzero(np.r_[True, ruta[1:] != ruta[:-1]])
    ends = np.r_[starts[1:], len(ruta)]
    k = arrays.count_for(rate, len(starts))
    chosen = arrays.pick(rng, np.ones(len(starts), dtype=bool), k)
    rid = table["id_ruta"]
    for c in chosen:
        lo, hi = int(starts[c]), int(ends[c])
        members = np.arange(lo, hi)
        options = []
        if table["sumber_penerangan"][lo] == 1 and table["daya_listrik"][lo] != EMPTY:
            options.append(("ruta", "sumber_penerangan", 4))
        if table["jenis_kloset"][lo] != EMPTY:
            options.append(("ruta", "fasilitas_bab", 6))
        for i in members:
            if table["hubungan_kk"][i] == 2 and table["status_kawin"][i] == 2:
                options.append(("art", "status_kawin", 1, i))
            if table["jenis_kelamin"][i] == 1 and age[i] >= 15:
                options.append(("art", "hamil", 1, i))
            if 7 <= age[i] <= 12 and table["partisipasi_sekolah"][i] == 2:
                options.append(("art", "pendidikan", 19, i))
            if table["bekerja"][i] == 1 and table["lapangan_usaha"][i] != EMPTY:
                options.append(("art", "bekerja", 2, i))
            if table["hubungan_kk"][i] == 3 and age[i] < 10:
                options.append(("art", "hubungan_kk", 6, i))
            if table["partisipasi_sekolah"][i] == 3 and table["pendidikan"][i] != EMPTY:
                options.append(("art", "partisipasi_sekolah", 1, i))  # never schooled, yet a level
            if table["partisipasi_sekolah"][i] == 1 and age[i] >= 15:
                options.append(("art", "pendidikan", 13, i))
        if not options:
            continue
        choice = options[rng.integers(len(options))]
        col, value = choice[1], choice[2]
        if choice[0] == "ruta":  # listed on every row of the ruta, after duplicates are added
            ruta_faults.append((int(table["ruta"][lo]), col, value, table[col][lo]))
            table[col][lo:hi] = value
        else:
            i = choice[3]
            true = table[col][i]
            table[col][i] = value
            errors.add(
                "inconsistent_answers",
                col,
                art(np.array([i])),
                _s(rid[i : i + 1]),
                np.array([str(value)], dtype=object),
                _code_text(np.array([true])),
            )
    return ruta_faults


def _duplicates(rng, world, table, names_col, errors: Errors, clean, e, art, n):
    """Append second copies of members to other keluarga (same or another desa), most with the same NIK."""
    desa = table["kode_desa"]
    fam_rows = np.flatnonzero(np.r_[True, table["id_keluarga"][1:] != table["id_keluarga"][:-1]])
    fam_end = np.r_[fam_rows[1:], n]
    fam_desa = desa[fam_rows]
    order = np.argsort(fam_desa, kind="stable")
    sorted_desa = fam_desa[order]
    new_rows: list[np.ndarray] = []
    hosts: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    for kind, rate in (
        ("duplicate_same_desa", e.duplicate_same_desa),
        ("duplicate_other_desa", e.duplicate_other_desa),
    ):
        k = arrays.count_for(rate, n)
        src = arrays.pick(rng, clean, k)
        clean[src] = False
        src_fam = np.searchsorted(fam_rows, src, side="right") - 1
        d = desa[src]
        lo = np.searchsorted(sorted_desa, d)
        hi = np.searchsorted(sorted_desa, d, side="right")
        if kind == "duplicate_same_desa":
            ok = hi - lo > 1
            pick = lo + (rng.random(len(src)) * (hi - lo)).astype(np.int64)
            host = order[np.minimum(pick, len(order) - 1)]
            host = np.where(host == src_fam, order[np.where(pick + 1 < hi, pick + 1, lo)], host)
        else:
            outside = len(order) - (hi - lo)
            ok = outside > 0
            pick = (rng.random(len(src)) * np.maximum(outside, 1)).astype(np.int64)
            pick = np.where(pick >= lo, pick + (hi - lo), pick)
            host = order[np.minimum(pick, len(order) - 1)]
        ok &= host != src_fam
        # a copy takes the host's pendataan date: the person must have been born by then
        ok &= table["pendataan"][fam_rows[host]] > table["tanggal_lahir"][src]
        new_rows.append(src[ok])
        hosts.append(host[ok])
        kinds.append(np.full(int(ok.sum()), kind, dtype=object))
    src = np.concatenate(new_rows)
    host = np.concatenate(hosts)
    kind = np.concatenate(kinds)
    if len(src) == 0:
        return table, names_col
    # The copy joins the host keluarga: its household and family columns, the next free no_urut.
    order_h = np.lexsort((src, host))
    src, host, kind = src[order_h], host[order_h], kind[order_h]
    extra_no = arrays.group_rank(host.astype(np.int64)) + 1
    last = fam_end[host] - 1
    no = table["no_urut"][last] + extra_no
    host_row = fam_rows[host]
    out = {}
    for col, values in table.items():
        dup = values[src].copy()
        if col in world.extra["household_columns"] or col in _HOST_COLUMNS:
            dup = values[host_row].copy()
        out[col] = dup
    out["no_urut"] = no
    # Relationship to the host kepala: a parent if much older, a child if much younger, else "lainnya".
    host_birth = table["tanggal_lahir"][host_row]
    gap = (table["tanggal_lahir"][src] - host_birth).astype(np.int64) / 365.25
    out["hubungan_kk"] = np.where(gap < -15, 6, np.where(gap > 15, 3, 8)).astype(np.int16)
    # Most copies keep the NIK; some lost it or got a typo on the way.
    x = rng.random(len(src))
    nik = out["nik"].copy()
    nik[x < 0.15] = b""
    typo = (x >= 0.15) & (x < 0.25)
    digits = arrays.chars(nik).copy()
    ti = np.flatnonzero(typo)
    pos = rng.integers(0, 16, len(ti))
    digits[ti, pos] = 48 + (digits[ti, pos] - 48 + rng.integers(1, 10, len(ti))) % 10
    nik = np.where(typo, arrays.fixed(digits), nik)
    out["nik"] = nik
    dup_id = _s(np.char.add(np.char.add(out["id_keluarga"], b"-"), _num(no)))
    for k in ("duplicate_same_desa", "duplicate_other_desa"):
        m = kind == k
        errors.add(
            k,
            "id_art",
            dup_id[m],
            _s(out["id_ruta"][m]),
            np.full(int(m.sum()), "", dtype=object),
            art(src[m]),
        )
    m = x < 0.15
    errors.add(
        "nik_missing",
        "nik",
        dup_id[m],
        _s(out["id_ruta"][m]),
        np.full(int(m.sum()), "", dtype=object),
        _s(table["nik"][src[m]]),
    )
    errors.add(
        "nik_typo", "nik", dup_id[typo], _s(out["id_ruta"][typo]), _s(nik[typo]), _s(table["nik"][src[typo]])
    )
    # A quarter of the copies were written with another spelling of the name.
    sexes = table["jenis_kelamin"][src]
    varied = np.flatnonzero(rng.random(len(src)) < 0.25)
    vrng = arrays.stream(int(rng.integers(1 << 30)), "duplicate-names")
    true_names = names_col.take(pa.array(src[varied])).to_pylist()
    new_names = [names.variant(nm, vrng, int(sexes[i])) for nm, i in zip(true_names, varied, strict=True)]
    dup_names = _replace(names_col.take(pa.array(src)), varied, new_names)
    errors.add(
        "name_variant",
        "nama",
        dup_id[varied],
        _s(out["id_ruta"][varied]),
        np.array(new_names, dtype=object),
        np.array(true_names, dtype=object),
    )
    # Insert the copies after their host family's rows, keeping families contiguous.
    position = np.concatenate([np.arange(n, dtype=np.float64), last + extra_no / (len(src) + 2.0)])
    final = np.argsort(position, kind="stable")
    merged = {col: np.concatenate([table[col], out[col]])[final] for col in table}
    merged_names = pa.concat_arrays([names_col, dup_names]).take(pa.array(final))
    return merged, merged_names

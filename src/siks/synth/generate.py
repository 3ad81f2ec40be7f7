"""One synthetic kabupaten from parameters to files: the order of the stages and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import (
    arrays,
    events,
    geography,
    identity,
    patterns,
    pbdt,
    population,
    ppks,
    references,
    registry,
    selection,
    welfare,
    writer,
)
from .params import RATE_UNIT, SynthParams
from .world import World

#: (stage, weight) for the progress bar; weights are rough shares of the run time.
STAGES: tuple[tuple[str, int], ...] = (
    ("Wilayah dan penduduk", 12),
    ("Konsumsi dan jawaban rumah tangga", 6),
    ("Kematian, pindah, dan KK", 8),
    ("NIK, KK, dan nama", 18),
    ("DTKS dan galat", 16),
    ("Menulis DTKS", 14),
    ("Menulis data pembanding", 16),
    ("Menulis kebenaran dan manifest", 10),
)

Progress = Callable[[str, int], None]


def _noop(_: str, __: int) -> None:
    pass


def generate(params: SynthParams, out: Path, progress: Progress | None = None) -> dict:
    """Build the world and write every file under `out`; returns the manifest."""
    step = progress or _noop
    stages = iter(STAGES)

    def done() -> None:
        name, weight = next(stages)
        step(name, weight)

    out = Path(out)
    seed = params.seed
    geo = geography.build(params.kabupaten, arrays.stream(seed, "geography"))
    world = World(params.reference_date)
    population.structure(world, geo, params.persons, seed)
    _addresses(world, geo, seed)
    done()

    welfare.consumption(world, seed, geo.desa_effect, params.price_level, params.welfare_shift)
    welfare.household_answers(world, seed, geo.desa_urban)
    selection.select(world, params)
    done()

    events.deaths(world, seed)
    takeover = events.succession(world, seed)
    events.moves(world, geo, seed)
    events.kk_history(world, geo, params, takeover)
    done()

    pat = params.patterns
    twins = patterns.twins(world, seed, pat.kembar)  # before the NIK, which carries the birth date
    identity.build(world, geo, seed)
    other, groups = patterns.other_names(world, seed, pat.etnis_lain)
    patterns.distinct_twins(world, seed, twins)
    juniors = patterns.juniors(world, seed, pat.senama_ayah)
    identity.asn(world, seed)
    done()

    reg = registry.build(world, geo, params)
    done()

    files: dict[str, Path] = {}
    errors = writer.errors_table(reg["errors"])
    dtks = writer.dtks_table(world, geo, reg)
    n_dtks_rows = dtks.num_rows
    # a share of the households on the PBDT 2015 form, in their own file (the PBDT template)
    on_pbdt = pbdt.choose(arrays.stream(seed, "pattern-pbdt2015"), dtks, errors, pat.pbdt2015)
    is_pbdt = pc.is_in(dtks["id_ruta"], on_pbdt)
    files["dtks.csv"] = out / "dtks.csv"
    writer.write_csv(dtks.filter(pc.invert(is_pbdt)), files["dtks.csv"])
    if len(on_pbdt):
        files["dtks_pbdt2015.csv"] = out / "dtks_pbdt2015.csv"
        writer.write_csv(pbdt.to_pbdt(dtks.filter(is_pbdt)), files["dtks_pbdt2015.csv"])
    t = reg["table"]
    row_ruta = arrays.to_arrow(t["id_ruta"])
    pbdt_rows = np.flatnonzero(pc.is_in(row_ruta, on_pbdt).to_numpy(zero_copy_only=False))
    # truth/patterns.csv: every person of those rows, with the ruta as detail
    pbdt_people = (
        t["person"][pbdt_rows],
        np.array(row_ruta.take(pa.array(pbdt_rows)).to_pylist(), dtype=object),
    )
    del dtks
    done()

    truth_ids = _truth_ruta_ids(world, geo)
    per_ruta = world.per_ruta()
    addr = writer.addresses(world, geo, per_ruta, world.ruta["desa"][per_ruta], world.ruta["sls"][per_ruta])
    duk = references.dukcapil(world, geo, addr)
    files["reference/dukcapil.parquet"] = out / "reference" / "dukcapil.parquet"
    writer.write_parquet(duk, files["reference/dukcapil.parquet"])
    asn_list, asn_no_nik = references.asn(world, geo, seed, pat.asn_tanpa_nik)
    for name, table in (
        ("asn", asn_list),
        ("pln", references.pln(world, seed)),
        ("kendaraan", references.kendaraan(world, seed)),
    ):
        files[f"reference/{name}.csv"] = out / "reference" / f"{name}.csv"
        writer.write_csv(table, files[f"reference/{name}.csv"])
    done()

    files["truth/population.parquet"] = out / "truth" / "population.parquet"
    writer.write_parquet(_population(world, geo, duk, truth_ids), files["truth/population.parquet"])
    del duk
    files["truth/members.csv"] = out / "truth" / "members.csv"
    writer.write_csv(_members(world, reg), files["truth/members.csv"])
    files["truth/households.csv"] = out / "truth" / "households.csv"
    writer.write_csv(_households(world, geo, truth_ids), files["truth/households.csv"])
    files["truth/patterns.csv"] = out / "truth" / "patterns.csv"
    writer.write_csv(
        patterns.truth_table(
            {
                "kembar": (twins, None),
                "etnis_lain": (other, groups),
                "senama_ayah": (juniors, None),
                "gelar": reg["gelar"],
                "asn_tanpa_nik": (asn_no_nik, None),
                "pbdt2015": pbdt_people,
            }
        ),
        files["truth/patterns.csv"],
    )
    files["truth/errors.csv"] = out / "truth" / "errors.csv"
    writer.write_csv(errors, files["truth/errors.csv"])

    made = ppks.build(world, geo, reg, seed)  # PPKS outside households and PSKS (docs/ppks-psks.md)
    for name, path in (("psks", "ppks/psks.csv"), ("ppks", "ppks/ppks.csv"), ("truth", "truth/ppks.csv")):
        files[path] = out / path
        writer.write_csv(made[name], files[path])

    content = _manifest(params, world, reg, errors, n_dtks_rows, files, out)
    content["counts"] |= {"psks": made["psks"].num_rows, "ppks_di_luar_ruta": made["ppks"].num_rows}
    content["counts"] |= {"dtks_ruta_pbdt2015": len(on_pbdt), "dtks_baris_pbdt2015": len(pbdt_rows)}
    writer.manifest(out / "manifest.json", content)
    done()
    return content


def _addresses(world: World, geo, seed: int) -> None:
    """Street and house number (kelurahan) and the petugas who registered the household."""
    rng = arrays.stream(seed, "address")
    n = world.n_ruta
    r = world.ruta
    r["street"] = rng.integers(0, 1000, n).astype(np.int32)
    r["house_no"] = rng.integers(1, 200, n).astype(np.int32)
    r["petugas"] = (r["desa"].astype(np.int64) * 4 + rng.integers(0, 4, n)) % 10000


def _truth_ruta_ids(world: World, geo) -> np.ndarray:
    """DTKS ruta keep their id_ruta; the others get "H" + desa + serial."""
    ids = world.extra["ruta_id"].astype("S17")
    others = np.flatnonzero(ids == b"")
    desa = world.ruta["desa"][others]
    serial = arrays.group_rank(desa.astype(np.int64)) + 1
    digits = np.array([c.replace(".", "") for c in geo.desa_codes], dtype="S10")
    ids[others] = np.char.add(np.char.add(b"H", digits[desa]), arrays.zfill(serial, 5))
    return ids


def _population(world: World, geo, duk: pa.Table, truth_ids: np.ndarray) -> pa.Table:
    p, f, r = world.per, world.fam, world.ruta
    fam = p["fam"]
    ruta = f["ruta"][fam]
    fam_no = arrays.group_rank(f["ruta"].astype(np.int64)) + 1
    id_kel = np.char.add(np.char.add(truth_ids[ruta], b"-"), arrays.zfill(fam_no[fam], 1))
    origin = r["origin_desa"][ruta]
    desa_digits = np.array([c.replace(".", "") for c in geo.desa_codes], dtype="S10")
    asn_kind = np.array(["", "ASN", "TNI", "POLRI"], dtype=object)[p["asn"]]
    table = pa.table({"person_id": pa.array(np.arange(1, world.n_per + 1, dtype=np.int64))})
    for name in duk.column_names:
        table = table.append_column(name, duk.column(name))
    extra = {
        "status_kawin": pa.array(p["kawin"], type=pa.int8()),
        "id_ruta": arrays.to_arrow(truth_ids[ruta]),
        "id_keluarga": arrays.to_arrow(id_kel),
        "dtks": pa.array(r["dtks"][ruta]),
        "no_kk_sekarang": arrays.to_arrow(f["kk"][fam]),
        "no_kk_lama": arrays.to_arrow(f["kk_prev"][fam]),
        "tanggal_kk": pa.array(f["kk_date"][fam], type=pa.date32()),
        "kode_desa_asal": arrays.to_arrow(np.where(origin >= 0, desa_digits[np.maximum(origin, 0)], b"")),
        "tanggal_pindah": pa.array(r["moved_on"][ruta], type=pa.date32(), mask=np.isnat(r["moved_on"][ruta])),
        "kecamatan_nik": pa.array(np.array(geo.kec_codes, dtype=object)[p["nik_kec"]], type=pa.string()),
        "asn": pa.array(np.where(asn_kind == "", None, asn_kind), type=pa.string()),
    }
    for name, col in extra.items():
        table = table.append_column(name, col)
    return table


def _members(world: World, reg: dict) -> pa.Table:
    t = reg["table"]
    person = t["person"]
    kk = references.person_kk(world)
    return pa.table(
        {
            "id_art": pc.binary_join_element_wise(
                arrays.to_arrow(t["id_keluarga"]), pc.cast(pa.array(t["no_urut"]), pa.string()), "-"
            ),
            "person_id": pa.array(person + 1, type=pa.int64()),
            "true_nik": arrays.to_arrow(world.per["nik"][person]),
            "true_no_kk": arrays.to_arrow(kk[person]),
        }
    )


def _households(world: World, geo, truth_ids: np.ndarray) -> pa.Table:
    r = world.ruta
    digits = np.array([c.replace(".", "") for c in geo.desa_codes], dtype="S10")
    alive = np.isnat(world.per["death"])
    size = np.bincount(world.per_ruta(), weights=alive, minlength=world.n_ruta).astype(np.int32)
    return pa.table(
        {
            "id_ruta": arrays.to_arrow(truth_ids),
            "kode_desa": arrays.to_arrow(digits[r["desa"]]),
            "jumlah_art": pa.array(size),
            "consumption_per_capita": pa.array(r["consumption"], type=pa.int64()),
            "desil": pa.array(r["desil"], type=pa.int8()),
            "dtks": pa.array(r["dtks"].astype(np.int8)),
        }
    )


def _manifest(
    params: SynthParams, world: World, reg: dict, errors: pa.Table, n_rows: int, files, out: Path
) -> dict:
    r, f = world.ruta, world.fam
    units = {
        "anggota": reg["n_original"],
        "keluarga": int(r["dtks"][f["ruta"]].sum()),
        "ruta": int(r["dtks"].sum()),
    }
    kinds = errors.column("kind").to_numpy(zero_copy_only=False)
    arts = errors.column("id_art").to_numpy(zero_copy_only=False)
    rutas = errors.column("id_ruta").to_numpy(zero_copy_only=False)
    rows = {k: int((kinds == k).sum()) for k in RATE_UNIT}
    counts = {}
    for k, unit in RATE_UNIT.items():  # faults of a keluarga/ruta are listed on each of its rows
        m = kinds == k
        if unit == "ruta":
            counts[k] = len(set(rutas[m].tolist()))
        elif unit == "keluarga":
            counts[k] = len({a.rsplit("-", 1)[0] for a in arts[m].tolist()})
        else:
            counts[k] = rows[k]
    return {
        "generator": "siks synth",
        "seed": params.seed,
        "parameters": params.as_dict(),
        "counts": {
            "penduduk": world.n_per,
            "penduduk_hidup": int(np.isnat(world.per["death"]).sum()),
            "keluarga": world.n_fam,
            "ruta": world.n_ruta,
            "desa": int(len(np.unique(r["desa"]))),
            "dtks_baris": n_rows,
            "dtks_anggota_asli": units["anggota"],
            "dtks_keluarga": units["keluarga"],
            "dtks_ruta": units["ruta"],
        },
        "error_rates": {
            k: {
                "unit": unit,
                "requested": getattr(params.errors, k),
                "count": counts[k],
                "rows": rows[k],
                "rate": round(counts[k] / max(units[unit], 1), 6),
            }
            for k, unit in RATE_UNIT.items()
        },
        "files": {
            name: {"sha256": writer.sha256(path), "bytes": path.stat().st_size}
            for name, path in files.items()
        },
    }

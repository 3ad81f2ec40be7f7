"""Several synthetic kabupaten (or a whole provinsi) in the national layout verval runs on at scale.

Layout (Hive-style partitions, which DuckDB and Spark both read as columns `provinsi` and `kabupaten`):

    <out>/snapshot/member.parquet/provinsi=35/kabupaten=3509/part-0.parquet   DTKS ART, as exported
    <out>/snapshot/household.parquet/provinsi=35/kabupaten=3509/part-0.parquet
    <out>/reference/dukcapil.parquet/provinsi=35/kabupaten=3509/part-0.parquet  the national extract
    <out>/reference/{asn,pln,kendaraan}.parquet/provinsi=…/kabupaten=…/part-0.parquet
    <out>/kabupaten/3509/…            each kabupaten as `siks synth` writes it (its truth included)
    <out>/truth/cross_duplicates.csv  persons registered in two kabupaten (member_ref_a, member_ref_b)

Why the cross-kabupaten duplicates: a person who moved and was registered again where they live now is the
duplicate one kabupaten alone can never see; the national run must find every one of them.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from siks.synth.generate import generate
from siks.synth.params import SynthParams
from siks.verval.runs import REFERENCE_KINDS, RunInputs
from siks.verval.synthdata import inputs_from_synth

#: Columns of the host household a cross-kabupaten duplicate takes (where they are registered now).
HOST_COLUMNS = ("id_ruta", "kode_desa", "dusun", "rw", "rt", "alamat", "id_keluarga", "no_kk")

Progress = Callable[[str], None]


def _digits(code: str) -> str:
    return code.replace(".", "")


def partition_dir(root: Path, kabupaten: str) -> Path:
    k = _digits(kabupaten)
    return root / f"provinsi={k[:2]}" / f"kabupaten={k}"


def _member_ref(t: pa.Table) -> list[str]:
    return [
        f"{f}-{int(u)}" for f, u in zip(t["id_keluarga"].to_pylist(), t["no_urut"].to_pylist(), strict=True)
    ]


def renumber(niks: Sequence[str | None], taken: set[str]) -> dict[str, str]:
    """A new NIK for every NIK of `niks` that is already `taken`: the same region and birth date (the
    first 12 digits) with the highest serial free in both, as Dukcapil would give the next person."""
    own = {v for v in niks if v}
    out: dict[str, str] = {}
    for v in niks:
        if not v or v not in taken or v in out:
            continue
        for serial in range(9999, 0, -1):
            candidate = f"{v[:12]}{serial:04d}"
            if candidate not in taken and candidate not in own:
                out[v] = candidate
                own.add(candidate)
                break
        else:  # 9,999 people of one kecamatan born on one day: not a synthetic kabupaten
            raise ValueError(f"tidak ada nomor urut NIK bebas untuk {v[:12]}")
    return out


def _replace_nik(t: pa.Table, fresh: dict[str, str]) -> pa.Table:
    i = t.column_names.index("nik")
    niks = [fresh.get(v, v) if v else v for v in t["nik"].to_pylist()]
    return t.set_column(i, "nik", pa.array(niks, t.schema.field("nik").type))


def cross_duplicates(
    source: pa.Table, host: pa.Table, n: int, rng: np.random.Generator
) -> tuple[pa.Table, list[tuple[str, str]]]:
    """`n` ART of `source` registered again as extra members of random families of `host`."""
    if n <= 0 or source.num_rows == 0 or host.num_rows == 0:
        return source.schema.empty_table(), []
    # adults with a NIK, so the duplicate is a person, not a record without identity
    who = np.flatnonzero(np.array([bool(x) for x in source["nik"].to_pylist()]))
    picked = source.take(np.sort(rng.choice(who, size=min(n, who.size), replace=False)))
    hosts = host.take(rng.integers(0, host.num_rows, picked.num_rows))
    cols = {}
    for name in source.column_names:
        cols[name] = hosts[name] if name in HOST_COLUMNS else picked[name]
    cols["no_urut"] = pa.array([str(90 + i % 10) for i in range(picked.num_rows)], pa.string())
    cols["hubungan_kk"] = pa.array(["8"] * picked.num_rows, pa.string())  # lainnya: staying with them
    dup = pa.table(cols).cast(source.schema)
    # one family gets at most one extra member per slot: keep the first of each (family, no_urut)
    seen: set[tuple[str, str]] = set()
    keep = []
    for i, key in enumerate(zip(dup["id_keluarga"].to_pylist(), dup["no_urut"].to_pylist(), strict=True)):
        if key not in seen:
            seen.add(key)
            keep.append(i)
    dup, picked = dup.take(keep), picked.take(keep)
    return dup, list(zip(_member_ref(picked), _member_ref(dup), strict=True))


def generate_national(
    kabupaten: Sequence[str],
    base: SynthParams,
    out: Path,
    *,
    cross_share: float = 0.002,
    progress: Progress | None = None,
) -> dict:
    """One world per kabupaten (seed + i), then the partitioned layout and the cross-kabupaten duplicates.

    `base.persons` is per kabupaten. Dukcapil NIKs are unique nationally: a NIK that two synthetic
    kabupaten happened to both give out (a migrant's prefix from a neighbour) is kept by the first and
    given a free serial in the second, in every file of that kabupaten (`renumber`), and counted in the
    manifest. Dropping it instead made those persons "NIK not in Dukcapil" in growing numbers (0.3 % of
    Dukcapil at 2 kabupaten, 1.3 % at 6), which the scale runs then measured as growth.
    """
    say = progress or (lambda _: None)
    out = Path(out)
    if len(set(kabupaten)) != len(kabupaten) or not kabupaten:
        raise ValueError("daftar kabupaten kosong atau berulang")
    members: list[pa.Table] = []
    refs: list[dict[str, Path]] = []
    seen_nik: set[str] = set()
    renumbered = 0
    for i, kab in enumerate(kabupaten):
        say(f"Kabupaten {kab} ({i + 1}/{len(kabupaten)})")
        kdir = out / "kabupaten" / _digits(kab)
        generate(replace(base, kabupaten=kab, seed=base.seed + i), kdir)
        snap, kref = inputs_from_synth(kdir, kdir / "inputs")
        member = pq.read_table(snap / "member.parquet")
        niks = pq.read_table(kref["dukcapil"], columns=["nik"])["nik"].to_pylist()
        fresh = renumber(niks, seen_nik)
        if fresh:  # rewritten in place: the tables are read again one at a time when writing the layout
            member = _replace_nik(member, fresh)
            for path in kref.values():
                pq.write_table(_replace_nik(pq.read_table(path), fresh), path)
            renumbered += len(fresh)
        seen_nik.update(fresh.get(v, v) for v in niks if v)
        members.append(member)
        refs.append(kref)

    say("Ganda antar-kabupaten")
    rng = np.random.default_rng(base.seed)
    pairs: list[tuple[str, str]] = []
    for i in range(1, len(kabupaten)):
        n = int(round(cross_share * members[i - 1].num_rows))
        dup, p = cross_duplicates(members[i - 1], members[i], n, rng)
        members[i] = pa.concat_tables([members[i], dup])
        pairs += p

    say("Menulis tata letak nasional")
    for name in ("snapshot", "reference"):
        shutil.rmtree(out / name, ignore_errors=True)
    counts = {"dtks_art": 0, "dukcapil": 0}
    for kab, member, kref in zip(kabupaten, members, refs, strict=True):
        p = partition_dir(out / "snapshot" / "member.parquet", kab)
        p.mkdir(parents=True)
        pq.write_table(member, p / "part-0.parquet")
        counts["dtks_art"] += member.num_rows
        household = (
            member.group_by("id_ruta")
            .aggregate([("kode_desa", "min")])
            .rename_columns(["id_ruta", "kode_desa"])
        )
        p = partition_dir(out / "snapshot" / "household.parquet", kab)
        p.mkdir(parents=True)
        pq.write_table(household, p / "part-0.parquet")
        for kind, path in kref.items():
            t = pq.read_table(path)
            if kind == "dukcapil":
                counts["dukcapil"] += t.num_rows
            p = partition_dir(out / "reference" / f"{kind}.parquet", kab)
            p.mkdir(parents=True)
            pq.write_table(t, p / "part-0.parquet")
    (out / "truth").mkdir(parents=True, exist_ok=True)
    with open(out / "truth" / "cross_duplicates.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["member_ref_a", "member_ref_b"])
        w.writerows(pairs)
    return {
        "kabupaten": list(kabupaten),
        "persons_per_kabupaten": base.persons,
        "cross_duplicates": len(pairs),
        "dukcapil_nik_renumbered": renumbered,
        **counts,
    }


def national_inputs(out: Path) -> RunInputs:
    """The national layout as verval run inputs (partitioned directories in place of single files)."""
    out = Path(out)
    refs = {k: out / "reference" / f"{k}.parquet" for k in REFERENCE_KINDS}
    return RunInputs(out / "snapshot", {k: p for k, p in refs.items() if p.exists()})


def kabupaten_of(provinsi: str) -> list[str]:
    """Every kabupaten/kota code of a provinsi, dotted ('35' → ['35.01', …, '35.79'])."""
    from siks.domain import wilayah

    return [w.code for w in wilayah.children(provinsi)]


__all__ = ["cross_duplicates", "generate_national", "kabupaten_of", "national_inputs", "renumber"]

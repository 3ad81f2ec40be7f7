"""The output of `siks synth` as verval inputs: a snapshot (the shape `siks export --snapshot` writes) and
the reference extracts loaded as `siks reference load` would. Used by the tests and the benchmark."""

from __future__ import annotations

from pathlib import Path

import duckdb

from siks.verval import reference


def inputs_from_synth(d: Path, work: Path) -> tuple[Path, dict[str, Path]]:
    """dtks.csv → snapshot/member.parquet + household.parquet; references → checked, typed Parquet."""
    d, work = Path(d), Path(work)
    snap = work / "snapshot"
    snap.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    src = f"read_csv('{(d / 'dtks.csv').as_posix()}', all_varchar = true, header = true)"
    con.execute(f"COPY (SELECT * FROM {src}) TO '{(snap / 'member.parquet').as_posix()}' (FORMAT PARQUET)")
    con.execute(
        f"COPY (SELECT id_ruta, any_value(kode_desa) AS kode_desa FROM {src} GROUP BY id_ruta) "
        f"TO '{(snap / 'household.parquet').as_posix()}' (FORMAT PARQUET)"
    )
    con.close()
    refs: dict[str, Path] = {}
    for kind in reference.KINDS:
        for name in (f"{kind}.parquet", f"{kind}.csv"):
            if (d / "reference" / name).exists():
                refs[kind] = reference.load(kind, d / "reference" / name, out_dir=work).path
                break
    return snap, refs

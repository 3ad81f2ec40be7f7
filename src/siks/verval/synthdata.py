"""The output of `siks synth` as verval inputs: a snapshot (the shape `siks export --snapshot` writes) and
the reference extracts loaded as `siks reference load` would. Used by the tests and the benchmark."""

from __future__ import annotations

from pathlib import Path

from siks.verval import reference
from siks.verval.engines import open_engine

#: What a ruta on the PBDT form brings to the snapshot: identity and place. Its answers stay empty (the
#: PBDT codes mean other things), as the store's snapshot writer leaves them (registry/snapshot.py).
PBDT_IDENTITY = (
    "id_ruta", "kode_desa", "dusun", "rw", "rt", "alamat", "id_keluarga", "no_kk", "no_urut", "nama", "nik",
    "jenis_kelamin", "tempat_lahir", "tanggal_lahir", "status_kawin", "hubungan_kk", "instrumen",
    "tanggal_pendataan", "petugas",
)  # fmt: skip


def inputs_from_synth(d: Path, work: Path) -> tuple[Path, dict[str, Path]]:
    """dtks.csv → snapshot/member.parquet + household.parquet; references → checked, typed Parquet."""
    d, work = Path(d), Path(work)
    snap = work / "snapshot"
    snap.mkdir(parents=True, exist_ok=True)
    engine = open_engine(ordered=True)
    try:
        engine.register_csv("dtks", d / "dtks.csv")
        members = "SELECT * FROM dtks"
        if (d / "dtks_pbdt2015.csv").exists():  # ruta on the PBDT form: identity columns, no answers,
            # as the store's snapshot writes them (registry/snapshot.py)
            engine.register_csv("pbdt", d / "dtks_pbdt2015.csv")
            shared = set(engine.columns("pbdt")) & set(PBDT_IDENTITY)
            cols = ", ".join(f"p.{c}" if c in shared else f"NULL AS {c}" for c in engine.columns("dtks"))
            members += f" UNION ALL SELECT {cols} FROM pbdt AS p"
        engine.export_parquet(members, snap / "member.parquet")
        engine.register_parquet("member", snap / "member.parquet")
        engine.export_parquet(
            "SELECT id_ruta, ANY_VALUE(kode_desa) AS kode_desa FROM member GROUP BY id_ruta",
            snap / "household.parquet",
        )
        if (d / "ppks" / "ppks.csv").exists():  # PPKS outside households, as the store snapshot writes them
            engine.register_csv("ppks", d / "ppks" / "ppks.csv")
            engine.export_parquet(
                "SELECT CAST(ref AS VARCHAR) AS ref, CAST(nik AS VARCHAR) AS nik, nama, "
                "CAST(desa_code AS VARCHAR) AS desa_code, CAST(lks_ref AS VARCHAR) AS lks_ref FROM ppks",
                snap / "ppks_person.parquet",
            )
    finally:
        engine.close()
    refs: dict[str, Path] = {}
    for kind in reference.KINDS:
        for name in (f"{kind}.parquet", f"{kind}.csv"):
            if (d / "reference" / name).exists():
                refs[kind] = reference.load(kind, d / "reference" / name, out_dir=work).path
                break
    return snap, refs

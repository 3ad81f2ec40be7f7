"""Files of a synthetic world (design.md §5): DTKS, references, truth, manifest.

Arrow tables written by pyarrow (CSV: UTF-8, comma, header, quoted only where needed; Parquet: zstd).
Nothing here depends on the clock or the machine, so the same world gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from siks.domain.template import COLUMNS

from . import arrays
from .registry import EMPTY, Errors
from .world import World

_CSV = pacsv.WriteOptions(include_header=True, quoting_style="needed", batch_size=65536)


def write_csv(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path, write_options=_CSV)


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=1 << 20)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def codes(values: np.ndarray) -> pa.Array:
    """int16 codes with EMPTY (-1) → Arrow int16 with nulls (empty cells)."""
    v = np.asarray(values)
    mask = v == EMPTY
    return pa.array(v.astype(np.int16), type=pa.int16(), mask=mask if mask.any() else None)


def addresses(world: World, geo, ruta: np.ndarray, desa: np.ndarray, sls: np.ndarray) -> dict[str, pa.Array]:
    """kode_desa (10 digits), dusun, rw, rt ("001") and alamat for rows living in `ruta`."""
    desa_digits = np.array([c.replace(".", "") for c in geo.desa_codes], dtype="S10")
    dusun_idx = geo.sls_dusun[sls]
    dusun_pool = pa.array(["", *geo.dusun_names], type=pa.string())
    dusun = dusun_pool.take(pa.array(dusun_idx.astype(np.int32) + 1))
    if (dusun_idx < 0).any():  # kelurahan have no dusun
        dusun = pc.if_else(pa.array(dusun_idx < 0), pa.scalar(None, pa.string()), dusun)
    urban = np.flatnonzero(geo.desa_urban[desa])
    streets = np.array([s.encode() for s in geo.streets], dtype="S40")
    alamat = np.zeros(len(ruta), dtype="S60")
    street = streets[world.ruta["street"][ruta[urban]] % len(streets)]
    house = np.char.encode(world.ruta["house_no"][ruta[urban]].astype(str), "ascii")
    alamat[urban] = np.char.add(np.char.add(street, b" NO. "), house)
    return {
        "kode_desa": arrays.to_arrow(desa_digits[desa]),
        "dusun": dusun,
        "rw": arrays.to_arrow(arrays.zfill(geo.sls_rw[sls], 3)),
        "rt": arrays.to_arrow(arrays.zfill(geo.sls_rt[sls], 3)),
        "alamat": arrays.to_arrow(np.asarray(alamat, dtype="S60")),
    }


def dtks_table(world: World, geo, reg: dict) -> pa.Table:
    """The registry in the import-template column order (`siks.domain.template.COLUMNS`)."""
    t = reg["table"]
    ruta = t["ruta"]
    addr = addresses(world, geo, ruta, world.ruta["dtks_desa"][ruta], t["sls"])
    places = pa.array(world.extra["places"], type=pa.string())
    petugas = np.char.add(b"PPL-", arrays.zfill(world.ruta["petugas"][ruta], 4))
    built: dict[str, pa.Array] = {
        "id_ruta": arrays.to_arrow(t["id_ruta"]),
        "kode_desa": addr["kode_desa"],
        "dusun": addr["dusun"],
        "rw": addr["rw"],
        "rt": addr["rt"],
        "alamat": addr["alamat"],
        "id_keluarga": arrays.to_arrow(t["id_keluarga"]),
        "no_kk": arrays.to_arrow(t["no_kk"]),
        "no_urut": pa.array(t["no_urut"], type=pa.int16()),
        "nama": reg["names"],
        "nik": arrays.to_arrow(t["nik"]),
        "tempat_lahir": places.take(pa.array(t["birthplace"])),
        "tanggal_lahir": pa.array(t["tanggal_lahir"], type=pa.date32()),
        "instrumen": pa.array(np.full(len(ruta), "REGSOSEK2022.K", dtype=object), type=pa.string()),
        "tanggal_pendataan": pa.array(t["pendataan"], type=pa.date32()),
        "petugas": arrays.to_arrow(petugas),
    }
    columns = {}
    for col in COLUMNS:
        if col.key in built:
            columns[col.key] = built[col.key]
        elif col.key in t:
            columns[col.key] = codes(t[col.key])
        else:  # a template column the generator does not model: left empty
            columns[col.key] = pa.nulls(len(ruta), type=pa.string())
    # As an export would list it: by ruta, keluarga and no_urut.
    return pa.table(columns).sort_by(
        [("id_ruta", "ascending"), ("id_keluarga", "ascending"), ("no_urut", "ascending")]
    )


def errors_table(errors: Errors) -> pa.Table:
    if not errors.kind:
        empty = pa.array([], type=pa.string())
        return pa.table(
            {k: empty for k in ("id_art", "id_ruta", "kind", "field", "recorded_value", "true_value")}
        )
    kind = np.repeat(np.array(errors.kind, dtype=object), errors.count)
    field = np.repeat(np.array(errors.field, dtype=object), errors.count)

    def col(parts: list[np.ndarray]) -> pa.Array:
        return pa.array(np.concatenate(parts), type=pa.string())

    table = pa.table(
        {
            "id_art": col(errors.id_art),
            "id_ruta": col(errors.id_ruta),
            "kind": pa.array(kind, type=pa.string()),
            "field": pa.array(field, type=pa.string()),
            "recorded_value": col(errors.recorded),
            "true_value": col(errors.true),
        }
    )
    return table.sort_by([("id_ruta", "ascending"), ("id_art", "ascending"), ("kind", "ascending")])


def manifest(path: Path, content: dict) -> None:
    path.write_text(
        json.dumps(content, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )

"""The snapshot the batch engines read: `member.parquet` and `household.parquet` (docs/design.md §6).

Why a snapshot: the verval engine (DuckDB now, Spark later) must not query the live store row by row, and a
run must be reproducible from files whose sha256 it records. Columns carry the template's names with
typed values (codes and counts int, bit flags their sum, yes/no boolean, dates date), plus internal ids.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from siks.domain import template as T
from siks.domain.instruments import DEFAULT_INSTRUMENT
from siks.registry import ppks_snapshot
from siks.registry.entities import HOUSEHOLD_COLUMNS, household_answer_keys, per_family_keys
from siks.registry.exporter import as_typed, read_chunks, registry_query, typed_columns
from siks.store import official_desil
from siks.store.db import make_engine

RUTA_IDENTITY = tuple(HOUSEHOLD_COLUMNS)  # id_ruta, kode_desa, dusun, rw, rt, alamat


@dataclass
class SnapshotInfo:
    directory: Path
    members: int
    households: int
    # ruta per instrument of their latest assessment ("" = none yet): every ruta is in the snapshot, but
    # only those of `instrument` bring answers (the PMT score); the others are verified on identity
    by_instrument: dict[str, int] = field(default_factory=dict)


def member_columns(instrument: str = DEFAULT_INSTRUMENT) -> list[str]:
    """Template columns in member.parquet: the ruta's identity, the keluarga's, and the anggota's own."""
    return [
        c.key
        for c in T.columns_for(instrument)
        if c.level in ("keluarga", "anggota") or c.key in RUTA_IDENTITY
    ]


def household_columns(instrument: str = DEFAULT_INSTRUMENT) -> list[str]:
    """Template columns in household.parquet: ruta identity, instrumen, the latest assessment's answers."""
    return [*RUTA_IDENTITY, "instrumen", *household_answer_keys(instrument)]


_TYPES = {
    "code": pa.int32(),
    "count": pa.int32(),
    "bitflags": pa.int32(),
    "number": pa.float64(),
    "yes_no": pa.bool_(),
    "date": pa.date32(),
}


def _schema(keys: list[str], ids: list[str], instrument: str) -> pa.Schema:
    fields = T.column_map(instrument)
    return pa.schema(
        [*((i, pa.int64()) for i in ids), *((k, _TYPES.get(fields[k].kind, pa.string())) for k in keys)]
    )


def _write_official_desil(engine: Engine, out: Path, which: str | None) -> None:
    with Session(engine) as session:
        version = official_desil.choose(session, which)
        if version is not None:
            pq.write_table(official_desil.table_for(session, version), out / official_desil.SNAPSHOT_FILE)


def write_snapshot(
    out: str | Path,
    *,
    engine: Engine | None = None,
    url: str | None = None,
    instrument: str = DEFAULT_INSTRUMENT,
    desa: str | None = None,
    desil_resmi: str | None = None,
) -> SnapshotInfo:
    """Write DIR/member.parquet and DIR/household.parquet from the store (active records), streaming.

    DIR/desil_resmi.parquet holds the official BPS/DTSEN desil of one imported version (`desil_resmi`: a
    version number or periode; default the newest), for the verval step `pmt`; absent when none exists.
    Every active ruta is written, whatever instrument it was assessed with (a PBDT 2015 registry is
    verified too); answers come only from assessments of `instrument` (`registry_query`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    own_engine = engine is None
    engine = engine or make_engine(url)
    fields = T.column_map(instrument)
    m_keys, h_keys = member_columns(instrument), household_columns(instrument)
    m_schema = _schema(m_keys, ["member_id", "family_id", "household_id"], instrument)
    h_schema = _schema(h_keys, ["household_id"], instrument)
    members = households = 0
    per_instrument: Counter[str] = Counter()
    try:
        with (
            pq.ParquetWriter(out / "member.parquet", m_schema) as mw,
            pq.ParquetWriter(out / "household.parquet", h_schema) as hw,
        ):
            last_household = None
            for chunk in read_chunks(engine, registry_query(desa, instrument, every_instrument=True)):
                typed = typed_columns(chunk, instrument)
                ids = {
                    k: chunk.column(k).combine_chunks().cast(pa.int64())
                    for k in ("member_id", "family_id", "household_id")
                }
                table = pa.table({**ids, **{k: as_typed(fields[k], typed[k]) for k in m_keys}}).cast(m_schema)
                mw.write_table(table)
                members += table.num_rows
                # households: the first row of each household (rows are ordered by household)
                hid = ids["household_id"].to_numpy()
                first = np.flatnonzero(
                    hid != np.r_[-1 if last_household is None else last_household, hid[:-1]]
                )
                last_household = int(hid[-1]) if len(hid) else last_household
                take = pa.array(first, pa.int64())
                h_table = pa.table(
                    {
                        "household_id": ids["household_id"].take(take),
                        **{k: as_typed(fields[k], typed[k]).take(take) for k in h_keys},
                    }
                )
                hw.write_table(h_table.cast(h_schema))
                households += h_table.num_rows
                per_instrument.update(x or "" for x in h_table.column("instrumen").to_pylist())
        ppks_snapshot.write(engine, out, desa)  # PPKS outside households, for the verval step `ppks`
        _write_official_desil(engine, out, desil_resmi)
    finally:
        if own_engine:
            engine.dispose()
    assert set(per_family_keys(instrument)) <= set(m_keys)
    return SnapshotInfo(out, members, households, dict(per_instrument))

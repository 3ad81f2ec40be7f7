"""Reading a stored run: counts per wilayah and code, the export file, and one person's findings.

Why from the store and not the engine: reports and exports must show exactly what was recorded for the
run, long after its engine is gone, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import Engine, func, or_, select

from siks.domain import finding_catalog
from siks.store.models.verval import VervalFinding as F

#: export column → finding column (the first nine are the contract of `siks verval export`); the catalog
#: columns after them tell a person reading the file what each code means and what to do.
EXPORT_COLUMNS = {
    "run_id": "run_id",
    "finding_code": "code",
    "ruta_id": "household_ref",
    "keluarga_id": "family_ref",
    "nik": "nik",
    "related_nik": "related_nik",
    "cluster_id": "cluster_id",
    "weight": "weight",
    "explanation": "explanation",
    "art_id": "member_ref",
    "level": "level",
    "kode_desa": "kode_desa",
    "related_art_id": "related_ref",
    "rank": "rank",
    "evidence": "evidence",
}
CATALOG_COLUMNS = {
    "judul_temuan": lambda e: e.title,
    "tingkat": lambda e: e.severity_label,
    "tindakan": lambda e: e.action,
}
EXPORT_SCHEMA = pa.schema(
    [
        (k, pa.float64() if k == "weight" else pa.int32() if k == "rank" else pa.string())
        for k in [*EXPORT_COLUMNS, *CATALOG_COLUMNS]
    ]
)


def counts(db: Engine, run_id: str, per: str = "kecamatan") -> list[dict[str, Any]]:
    """[{wilayah, code, title, severity, n}] ordered by wilayah then code (title etc. from the catalog)."""
    area = func.substr(F.kode_desa, 1, 8) if per == "kecamatan" else F.kode_desa  # "35.09.15"
    q = (
        select(area.label("wilayah"), F.code, func.count().label("n"))
        .where(F.run_id == run_id)
        .group_by(area, F.code)
        .order_by(area, F.code)
    )
    with db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        e = finding_catalog.entry(r["code"])
        r["title"], r["severity"] = e.title, e.severity_label
    return rows


def _batches(db: Engine, run_id: str, size: int = 50_000) -> Iterator[pa.RecordBatch]:
    cols = [getattr(F, c).label(k) for k, c in EXPORT_COLUMNS.items()]
    with db.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=size).execute(
            select(*cols).where(F.run_id == run_id).order_by(F.id)
        )
        for part in result.partitions(size):
            rows = [dict(r._mapping) for r in part]
            for r in rows:
                e = finding_catalog.entry(r["finding_code"])
                r.update({k: f(e) for k, f in CATALOG_COLUMNS.items()})
            yield pa.RecordBatch.from_pylist(rows, schema=EXPORT_SCHEMA)


def export(db: Engine, run_id: str, out: Path, fmt: str) -> int:
    n = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        with pq.ParquetWriter(out, EXPORT_SCHEMA, compression="zstd") as w:
            for b in _batches(db, run_id):
                w.write_batch(b)
                n += b.num_rows
    elif fmt == "csv":
        with pacsv.CSVWriter(out, EXPORT_SCHEMA) as w:
            for b in _batches(db, run_id):
                w.write_batch(b)
                n += b.num_rows
    else:
        raise ValueError(f"format '{fmt}' tidak dikenal (csv atau parquet)")
    return n


def desil_of(db: Engine, run_id: str, household_refs: list[str]) -> list[dict[str, Any]]:
    """The desil the run gave these ruta: the one in use, its source, the PMT's and the official one
    (`household_pmt.parquet` of the run; empty when the run kept none)."""
    from sqlalchemy.orm import Session

    from siks.store import verval_runs
    from siks.store.models.verval import VervalRun

    with Session(db) as session:
        path = verval_runs.household_pmt_file(session.get(VervalRun, run_id))
    if path is None or not household_refs:
        return []
    table = pq.read_table(path, filters=[("household_ref", "in", sorted(set(household_refs)))])
    wanted = ["household_ref", "desil", "sumber_desil", "desil_pmt", "desil_resmi", "periode_desil_resmi",
              "desil_bawah", "desil_atas"]  # fmt: skip
    return table.select([c for c in wanted if c in table.column_names]).to_pylist()


def explain(db: Engine, run_id: str, who: str) -> list[dict[str, Any]]:
    """Every finding about the ART with this NIK (recorded or suggested) or this member id (`ref`, e.g.
    `K-0001-2`: members without a NIK are explained too), and their households."""
    who = who.strip()
    with db.connect() as conn:
        refs = [
            r[0]
            for r in conn.execute(
                select(F.member_ref)
                .where(F.run_id == run_id, or_(F.nik == who, F.member_ref == who), F.member_ref.is_not(None))
                .distinct()
            )
        ]
        cond = or_(F.nik == who, F.member_ref.in_(refs)) if refs else F.nik == who
        rows = conn.execute(select(F.__table__).where(F.run_id == run_id, cond).order_by(F.code, F.rank))
        out = [dict(r._mapping) for r in rows]
    for r in out:
        e = finding_catalog.entry(r["code"])
        r.update(title=e.title, severity=e.severity_label, action=e.action)
    return out

"""`ppks_person.parquet` in the verval snapshot: active PPKS outside households, for the `ppks` step."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from siks.scope import Scope
from siks.store.models.ppks import PpksPerson, Psks
from siks.store.models.registry import STATUS_ACTIVE

SCHEMA = pa.schema(
    [("ref", pa.string()), ("nik", pa.string()), ("nama", pa.string()), ("sex", pa.int32()),
     ("tanggal_lahir", pa.date32()), ("desa_code", pa.string()), ("lks_ref", pa.string())]
)  # fmt: skip


def write(engine: Engine, out: Path, desa: str | None = None) -> int:
    """Write DIR/ppks_person.parquet (possibly empty); returns the number of persons."""
    stmt = (
        select(PpksPerson.ref, PpksPerson.nik, PpksPerson.nama, PpksPerson.sex, PpksPerson.tanggal_lahir,
               PpksPerson.desa_code, Psks.ref)
        .outerjoin(Psks, Psks.id == PpksPerson.lks_id)
        .where(PpksPerson.status == STATUS_ACTIVE, Scope(desa).where(PpksPerson.desa_code))
        .order_by(PpksPerson.id)
    )  # fmt: skip
    with Session(engine) as session:
        rows = session.execute(stmt).all()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in SCHEMA]
    table = pa.table({f.name: pa.array(list(c), f.type) for f, c in zip(SCHEMA, columns, strict=True)})
    pq.write_table(table, Path(out) / "ppks_person.parquet")
    return table.num_rows

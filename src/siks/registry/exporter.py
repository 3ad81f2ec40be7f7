"""Export the registry in the template's columns (CSV, XLSX, Parquet), and the batch engines' snapshot.

Why it looks like this:
- Rows stream from the database in chunks and are written chunk by chunk; a CSV or Parquet export never
  holds the registry in memory.
- Values become template text through `template.format_cell`, once per distinct value of a column, and
  every text cell through `template.escape_for_export`: a value such as `=HYPERLINK(...)` that a registry
  legitimately holds can never reach a spreadsheet as a live formula. An export imports again unchanged.
- A member's row shows its household's latest assessment (answers) and its own answers in that assessment.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson
import pyarrow.parquet as pq
from sqlalchemy import Engine, Text, and_, case, cast, func, select

from siks.domain import template as T
from siks.domain import wilayah
from siks.domain.formats import angka
from siks.domain.instruments import DEFAULT_INSTRUMENT, yes_no_value
from siks.domain.instruments.fields import Field
from siks.registry.entities import (
    ASSESSMENT_COLUMNS,
    HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS,
    PER_FAMILY_KEY,
    household_answer_keys,
    member_answer_keys,
    per_family_keys,
)
from siks.store.answers import decode, layout_for, to_code
from siks.store.models.registry import Assessment, AssessmentMember, Family, FamilyKK, Household, Member

CHUNK_ROWS = 50_000
FORMATS = ("csv", "xlsx", "parquet")
XLSX_MAX_ROWS = 1_048_575
_TEXT_COLUMNS = ("nik", "no_kk")  # written as text in XLSX, so Excel keeps all 16 digits


@dataclass
class ExportResult:
    path: Path
    format: str
    rows: int


# --- reading the registry ---------------------------------------------------------------------------------


def registry_query(
    desa: str | None = None,
    instrument: str = DEFAULT_INSTRUMENT,
    include_inactive: bool = False,
    every_instrument: bool = False,
):
    """One row per member with its family, household, current KK and latest assessment (answers as text).

    By default only ruta whose latest assessment is of `instrument` (or who have none): an export is one
    template. `every_instrument` keeps every ruta (the verval snapshot verifies the registry whole): the
    identity columns are common to both instruments, the answers of a ruta assessed with another
    instrument are left empty (its codes mean other things), and `instrumen` says which one it was.
    """
    latest = (
        select(Assessment.household_id, func.max(Assessment.id).label("id"))
        .group_by(Assessment.household_id)
        .subquery("latest")
    )
    stmt = (
        select(
            Member.id.label("member_id"),
            Member.family_id,
            Family.household_id,
            Household.ref.label("id_ruta"),
            Household.desa_code.label("kode_desa"),
            Household.dusun,
            Household.rw,
            Household.rt,
            Household.alamat,
            Family.ref.label("id_keluarga"),
            FamilyKK.kk_number.label("no_kk"),
            *[getattr(Member, db).label(key) for key, db in MEMBER_COLUMNS.items()],
            Assessment.instrument.label("instrumen"),
            Assessment.assessed_on,
            Assessment.assessed_by,
            _same_instrument(cast(Assessment.answers, Text), instrument, every_instrument).label(
                "household_answers"
            ),
            _same_instrument(cast(AssessmentMember.answers, Text), instrument, every_instrument).label(
                "member_answers"
            ),
        )
        .join(Family, Family.id == Member.family_id)
        .join(Household, Household.id == Family.household_id)
        .outerjoin(FamilyKK, and_(FamilyKK.family_id == Family.id, FamilyKK.valid_to.is_(None)))
        .outerjoin(latest, latest.c.household_id == Household.id)
        .outerjoin(Assessment, Assessment.id == latest.c.id)
        .outerjoin(
            AssessmentMember,
            and_(AssessmentMember.assessment_id == Assessment.id, AssessmentMember.member_id == Member.id),
        )
        .order_by(Household.id, Family.id, Member.no_urut, Member.id)
    )
    if not every_instrument:
        stmt = stmt.where((Assessment.instrument == instrument) | Assessment.id.is_(None))
    if desa:
        code = wilayah.normalize(desa)
        stmt = stmt.where((Household.desa_code == code) | Household.desa_code.like(code + ".%"))
    if not include_inactive:
        stmt = stmt.where(Member.status == "aktif", Family.status == "aktif", Household.status == "aktif")
    return stmt


def _same_instrument(answers, instrument: str, every_instrument: bool):
    """The answers when the assessment is of `instrument`; else NULL (only with `every_instrument`)."""
    if not every_instrument:
        return answers
    return case((Assessment.instrument == instrument, answers), else_=None)


def read_chunks(engine: Engine, stmt, chunk_rows: int = CHUNK_ROWS) -> Iterator[pa.Table]:
    """The query's rows as Arrow tables of `chunk_rows` rows, streamed (server-side cursor on PostgreSQL)."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(stmt)
        names = list(result.keys())
        for part in result.partitions(chunk_rows):
            columns = list(zip(*part, strict=True))
            yield pa.table(
                {n: pa.array(list(c)) if c else pa.array([]) for n, c in zip(names, columns, strict=True)}
            )


# --- values per template column ---------------------------------------------------------------------------


def _answers(texts: pa.Array, keys: list[str], columns: dict[str, Field]) -> dict[str, pa.Array]:
    """Compact answer documents → one array of form codes per key, without a Python dict per row.

    pyarrow's JSON reader takes `v` of the expected layout; the rare rows with extra keys (`x`) or another
    layout are decoded in Python (siks.store.answers.decode) and patched in.
    """
    n = len(texts)
    if not keys:
        return {}
    layout = layout_for(keys)
    lines = pc.fill_null(pc.cast(texts, pa.string()), "{}")
    blob = "\n".join(lines.to_pylist()).encode("utf-8") + b"\n"
    schema = pa.schema([("k", pa.string()), ("v", pa.list_(pa.float64()))])
    table = pajson.read_json(
        io.BytesIO(blob),
        parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )
    assert table.num_rows == n
    v = table.column("v").combine_chunks()
    position = {k: i for i, k in enumerate(layout.keys)} if layout else {}
    out: dict[str, pa.Array] = {}
    for key in keys:
        if key in position:
            codes = pc.list_element(v, position[key]) if len(v) else pa.array([], pa.float64())
        else:
            codes = pa.nulls(n, pa.float64())
        out[key] = codes if columns[key].kind == "number" else pc.cast(codes, pa.int64())
    odd = pc.or_(
        pc.fill_null(pc.match_substring(lines, '"x":'), False),
        pc.fill_null(pc.not_equal(table.column("k").combine_chunks(), layout.id if layout else ""), False),
    )
    odd = pc.and_(odd, pc.not_equal(lines, "{}"))
    rows = pc.indices_nonzero(odd).to_pylist()
    if rows:
        patched = {k: out[k].to_pylist() for k in keys}
        for i in rows:
            answers = decode(lines[i].as_py()) or {}
            for k in keys:
                try:
                    patched[k][i] = to_code(columns[k], answers.get(k))
                except Exception:  # noqa: BLE001 - a value no code can hold is exported empty
                    patched[k][i] = None
        out = {k: pa.array(patched[k], out[k].type) for k in keys}
    return out


def typed_columns(chunk: pa.Table, instrument: str) -> dict[str, pa.Array]:
    """Every template column of `instrument` for the chunk's members, typed as the validator types them."""
    fields = T.column_map(instrument)
    out: dict[str, pa.Array] = {}
    for key in (*HOUSEHOLD_COLUMNS, "id_keluarga", "no_kk", *MEMBER_COLUMNS):
        out[key] = chunk.column(key).combine_chunks()
    out["instrumen"] = chunk.column("instrumen").combine_chunks()
    out.update(_answers(_texts(chunk, "household_answers"), household_answer_keys(instrument), fields))
    out.update(_answers(_texts(chunk, "member_answers"), member_answer_keys(instrument), fields))
    out.update(_family_values(chunk, instrument))
    return {c.key: out.get(c.key, pa.nulls(chunk.num_rows)) for c in T.columns_for(instrument)}


def _texts(chunk: pa.Table, name: str) -> pa.Array:
    """A text column of the chunk as strings (a chunk of ruta without answers reads as type null)."""
    return chunk.column(name).combine_chunks().cast(pa.string())


def _family_values(chunk: pa.Table, instrument: str) -> dict[str, pa.Array]:
    """tanggal_pendataan / petugas: the assessment's, or the family's own under `_keluarga` (rare)."""
    out = {
        "tanggal_pendataan": chunk.column("assessed_on").combine_chunks(),
        "petugas": chunk.column("assessed_by").combine_chunks(),
    }
    texts = _texts(chunk, "household_answers")
    has = pc.fill_null(pc.match_substring(texts, f'"{PER_FAMILY_KEY}"'), False)
    if not pc.any(has).as_py():
        return out
    dates, officers = out["tanggal_pendataan"].to_pylist(), out["petugas"].to_pylist()
    fam = chunk.column("id_keluarga").to_pylist()
    for i in pc.indices_nonzero(has).to_pylist():
        own = (decode(texts[i].as_py()) or {}).get(PER_FAMILY_KEY, {}).get(fam[i])
        if own:
            day = own.get("tanggal_pendataan")
            dates[i] = dt.date.fromisoformat(day) if day else None
            officers[i] = own.get("petugas")
    keys = per_family_keys(instrument)
    assert set(keys) <= set(ASSESSMENT_COLUMNS), keys
    return {"tanggal_pendataan": pa.array(dates, pa.date32()), "petugas": pa.array(officers, pa.string())}


_CODE_KINDS = ("code", "count", "yes_no", "bitflags")


def as_text(column: Field, arr: pa.Array) -> pa.Array:
    """Template text of a column in code form (`format_cell` + `escape_for_export`, per distinct value)."""
    if pa.types.is_null(arr.type):
        return pa.array([""] * len(arr), pa.string())
    enc = pc.dictionary_encode(arr)
    texts = []
    for v in enc.dictionary.to_pylist():
        text = str(int(v)) if column.kind in _CODE_KINDS else T.format_cell(column, v)
        texts.append(T.escape_for_export(text))
    return pc.fill_null(pa.array(texts, pa.string()).take(enc.indices), "")


def as_typed(column: Field, arr: pa.Array) -> pa.Array:
    """The snapshot's type: codes/counts int, bit flags their sum, yes/no bool, dates date, else text."""
    if column.kind == "yes_no":
        enc = pc.dictionary_encode(pc.cast(arr, pa.int64()))
        flags = [None if v is None else yes_no_value(column, int(v)) for v in enc.dictionary.to_pylist()]
        return pa.array(flags, pa.bool_()).take(enc.indices)
    if column.kind in _CODE_KINDS:
        return pc.cast(arr, pa.int32())
    if column.kind == "number":
        return pc.cast(arr, pa.float64())
    if column.kind == "date":
        return pc.cast(arr, pa.date32())
    return pc.cast(arr, pa.string())


def template_chunks(
    engine: Engine,
    *,
    desa: str | None = None,
    instrument: str = DEFAULT_INSTRUMENT,
    include_inactive: bool = False,
) -> Iterator[pa.Table]:
    """The registry as template text, chunk by chunk (columns in template order)."""
    fields = T.columns_for(instrument)
    for chunk in read_chunks(engine, registry_query(desa, instrument, include_inactive)):
        typed = typed_columns(chunk, instrument)
        yield pa.table({c.key: as_text(c, typed[c.key]) for c in fields})


# --- writers ----------------------------------------------------------------------------------------------


def export_registry(
    engine: Engine,
    out: str | Path,
    fmt: str = "csv",
    *,
    desa: str | None = None,
    instrument: str = DEFAULT_INSTRUMENT,
    include_inactive: bool = False,
) -> ExportResult:
    """Write the registry (or one wilayah of it) in the template columns; the file imports again as is."""
    if fmt not in FORMATS:
        raise ValueError(f"Format '{fmt}' tidak dikenal; pilih {', '.join(FORMATS)}.")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    chunks = template_chunks(engine, desa=desa, instrument=instrument, include_inactive=include_inactive)
    headers = T.headers(instrument)
    if fmt == "xlsx":
        numeric = {
            c.key for c in T.columns_for(instrument) if c.kind in ("code", "count", "bitflags", "yes_no")
        }
        rows = _write_xlsx(out, headers, chunks, numeric)
    else:
        rows = (_write_csv if fmt == "csv" else _write_parquet)(out, headers, chunks)
    return ExportResult(out, fmt, rows)


def _write_csv(out: Path, headers: list[str], chunks: Iterator[pa.Table]) -> int:
    rows = 0
    with open(out, "w", newline="", encoding="utf-8-sig") as f:  # BOM: Excel then reads UTF-8 correctly
        w = csv.writer(f)
        w.writerow(headers)
        for chunk in chunks:
            w.writerows(zip(*[chunk.column(h).to_pylist() for h in headers], strict=True))
            rows += chunk.num_rows
    return rows


def _write_parquet(out: Path, headers: list[str], chunks: Iterator[pa.Table]) -> int:
    schema = pa.schema([(h, pa.string()) for h in headers])
    rows = 0
    with pq.ParquetWriter(out, schema) as w:
        for chunk in chunks:
            w.write_table(chunk.select(headers).cast(schema))
            rows += chunk.num_rows
    return rows


def _write_xlsx(out: Path, headers: list[str], chunks: Iterator[pa.Table], numeric: set[str]) -> int:
    """Codes as numbers, NIK/KK as text cells (format @), everything else as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("DTKS")
    ws.append(headers)
    text_at = {headers.index(h) for h in _TEXT_COLUMNS if h in headers}
    number_at = [headers.index(h) for h in headers if h in numeric]
    rows = 0
    for chunk in chunks:
        rows += chunk.num_rows
        if rows > XLSX_MAX_ROWS:
            raise ValueError(
                f"Lebih dari {angka(XLSX_MAX_ROWS)} baris tidak muat di satu lembar XLSX; "
                "gunakan --format csv atau parquet."
            )
        for values in zip(*[chunk.column(h).to_pylist() for h in headers], strict=True):
            row = list(values)
            for i in number_at:
                row[i] = int(row[i]) if row[i] else None
            for i in text_at:
                cell = WriteOnlyCell(ws, value=row[i])
                cell.number_format = "@"
                row[i] = cell
            ws.append(row)
    wb.save(out)
    return rows

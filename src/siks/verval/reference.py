"""`siks reference load KIND FILE`: validate an extract, keep a typed Parquet copy, record it in the store.

Why a copy: a run must be reproducible, so it reads the exact bytes recorded (path + sha256), not a file
someone may overwrite; and Parquet with proper types lets every run skip parsing millions of CSV rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from siks.settings import settings
from siks.verval.engines import BatchEngine, open_engine
from siks.verval.runs import sha256_file

DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
NIK = r"^[0-9]{16}$"

#: kind → [(column, required, regex the text must match or None, SQL type of the copy)]
SPECS: dict[str, list[tuple[str, bool, str | None, str]]] = {
    "dukcapil": [
        ("nik", True, NIK, "VARCHAR"),
        ("no_kk", False, NIK, "VARCHAR"),
        ("nama", True, None, "VARCHAR"),
        ("tempat_lahir", False, None, "VARCHAR"),
        ("tanggal_lahir", True, DATE, "DATE"),
        ("jenis_kelamin", True, r"^[12]$", "INTEGER"),
        ("kode_desa", True, r"^[0-9]{2}\.?[0-9]{2}\.?[0-9]{2}\.?[0-9]{4}$", "VARCHAR"),
        ("dusun", False, None, "VARCHAR"),
        ("rw", False, r"^[0-9]{1,3}$", "VARCHAR"),
        ("rt", False, r"^[0-9]{1,3}$", "VARCHAR"),
        ("hubungan_kk", False, r"^[0-9]{1,2}$", "INTEGER"),
        ("status_hidup", True, r"^(HIDUP|MATI)$", "VARCHAR"),
        ("tanggal_meninggal", False, DATE, "DATE"),
    ],
    # A row without NIK is matched by NIP (birth date and sex), name and wilayah (kabupaten/kota code).
    "asn": [
        ("nik", False, NIK, "VARCHAR"),
        ("nip", False, r"^[0-9]{8}[0-9]{6}[12][0-9]{3}$", "VARCHAR"),
        ("nama", False, None, "VARCHAR"),
        ("instansi", False, None, "VARCHAR"),
        ("jenis", True, r"^(ASN|TNI|POLRI)$", "VARCHAR"),
        ("kode_wilayah", False, r"^[0-9]{2}(\.?[0-9]{2}(\.?[0-9]{2}(\.?[0-9]{4})?)?)?$", "VARCHAR"),
    ],
    "pln": [
        ("id_pelanggan", True, None, "VARCHAR"),
        ("nik", True, NIK, "VARCHAR"),
        ("daya_va", True, r"^[0-9]{2,6}$", "INTEGER"),
        ("tarif", True, None, "VARCHAR"),
    ],
    "kendaraan": [
        ("nik", True, NIK, "VARCHAR"),
        ("no_polisi", False, None, "VARCHAR"),
        ("jenis", True, r"^RODA[0-9]+$", "VARCHAR"),
    ],
}
KINDS = tuple(SPECS)
#: kind → [(column named in the error, message, SQL condition on the cleaned text that marks a bad row)]
ROW_RULES: dict[str, list[tuple[str, str, str]]] = {
    "asn": [
        (
            "nik",
            "kosong, dan NIP atau nama juga kosong (baris tanpa NIK dicocokkan lewat NIP dan nama)",
            "{nik} IS NULL AND ({nip} IS NULL OR {nama} IS NULL)",
        )
    ],
}


class ReferenceError(ValueError):
    """An extract that cannot be used; the message names the row and column (Bahasa Indonesia)."""


@dataclass
class Loaded:
    kind: str
    path: Path
    sha256: str
    rows: int


def data_dir() -> Path:
    return settings().data_dir


def _register(engine: BatchEngine, path: Path) -> None:
    """The extract as table `src` with `_row`, the data row number from 1 (CSV as text, Parquet as typed)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        engine.register_parquet("src_file", path)
        engine.create_table("src", "SELECT ROW_NUMBER() OVER () AS _row, * FROM src_file")
    elif suffix in (".csv", ".txt"):
        engine.register_csv("src", path, row_number="_row")
    else:
        raise ReferenceError(f"{path.name}: format tidak dikenal (gunakan CSV atau Parquet)")


UPPER = ("status_hidup", "jenis", "tarif")


def _text(col: str) -> str:
    v = f"NULLIF(TRIM(CAST(\"{col}\" AS VARCHAR)), '')"
    return f"UPPER({v})" if col in UPPER else v


def _typed(col: str) -> str:
    typ = next(t for c, _, _, t in (x for spec in SPECS.values() for x in spec) if c == col)
    v = _text(col)
    if col == "kode_desa":
        v = f"REPLACE({v}, '.', '')"
    return f"CAST({v} AS {typ})"


def validate(engine: BatchEngine, kind: str, path: Path) -> None:
    """Raise ReferenceError on the first bad value per column (row numbers count data rows from 1).
    Leaves the extract as table `src` in the engine."""
    if kind not in SPECS:
        raise ReferenceError(f"jenis rujukan '{kind}' tidak dikenal; pilih salah satu: {', '.join(KINDS)}")
    _register(engine, path)
    cols = {c.lower() for c in engine.columns("src")}
    missing = [c for c, required, *_ in SPECS[kind] if c not in cols and required]
    if missing:
        raise ReferenceError(f"{path.name}: kolom wajib tidak ada: {', '.join(missing)}")
    problems = []
    for col, required, regex, typ in SPECS[kind]:
        if col not in cols:
            continue  # an optional column the extract does not have: NULL in the copy
        text = _text(col)
        conds = []
        if required:
            conds.append(f"{text} IS NULL")
        if regex:
            # every pattern is anchored (^…$), so a match is a full match on any engine
            conds.append(f"({text} IS NOT NULL AND NOT REGEXP_LIKE({text}, '{regex}'))")
        if typ == "DATE":
            conds.append(f"({text} IS NOT NULL AND TRY_CAST({text} AS DATE) IS NULL)")
        if not conds:
            continue
        where = " OR ".join(conds)
        rows = engine.query(
            f"SELECT _row AS row_no, {text} AS value FROM src WHERE {where} ORDER BY _row LIMIT 1"
        ).to_pylist()
        if rows:
            row, value = rows[0]["row_no"], rows[0]["value"]
            what = "kosong" if value is None else f"'{value}' tidak sah"
            problems.append(f"baris {row}, kolom '{col}': {what}")
    for col, message, cond in ROW_RULES.get(kind, []):
        texts = {c: (_text(c) if c in cols else "CAST(NULL AS VARCHAR)") for c, *_ in SPECS[kind]}
        rows = engine.query(
            f"SELECT _row AS row_no FROM src WHERE {cond.format(**texts)} ORDER BY _row LIMIT 1"
        ).to_pylist()
        if rows:
            problems.append(f"baris {rows[0]['row_no']}, kolom '{col}': {message}")
    if problems:
        raise ReferenceError(f"{path.name}: " + "; ".join(problems))


def load(kind: str, file: Path, *, out_dir: Path | None = None) -> Loaded:
    """Validate `file` and write the typed Parquet copy; recording it in the store is `record()`."""
    file = Path(file)
    if not file.exists():
        raise ReferenceError(f"berkas tidak ada: {file}")
    engine = open_engine(ordered=True)
    try:
        validate(engine, kind, file)
        digest = sha256_file(file)
        target_dir = (out_dir or data_dir()) / "reference"
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / f"{kind}-{digest[:12]}.parquet"
        cols = {c.lower() for c in engine.columns("src")}
        select = ", ".join(
            f"{_typed(c) if c in cols else f'CAST(NULL AS {t})'} AS {c}" for c, _, _, t in SPECS[kind]
        )
        engine.export_parquet(f"SELECT {select} FROM src ORDER BY _row", target)
        rows = engine.count("src")
    finally:
        engine.close()
    return Loaded(kind, target, digest, int(rows))

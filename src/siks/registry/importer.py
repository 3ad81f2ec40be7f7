"""`import_file`: read, validate every row, and apply the file in one transaction or reject it untouched.

Why it looks like this:
- All or nothing: a file with any error writes nothing at all, and its report lists every issue of every row.
- A big file is cut into parts of whole ruta and keluarga (parts.py). The first part is validated before the
  database is touched; then part i is written, inside the one transaction, while part i+1 is validated, so
  Python and the database work at the same time. A bad part stops the writing and rolls the transaction back
  once the rest is validated: observably the same as validating the whole file first.
- Idempotent: records are matched by `ref`, compared, and only what changed is updated (each update is
  audited with before/after). A byte-identical file is recognised by its sha256 and not read again; a
  file whose content changes nothing writes nothing, not even an import batch.
- New records go in with bulk writes (loader.py) and one audit entry for the whole batch
  (`created_by_batch_id` on each row says where a record came from); updates are per record.
- A changed household answer (housing, assets) or member answer makes a new dated `Assessment`: the old
  one stays as history.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    ARRAY,
    Connection,
    Engine,
    Integer,
    String,
    Text,
    any_,
    bindparam,
    cast,
    func,
    insert,
    select,
    update,
)

from siks.audit import jsonable, register_entity_scope
from siks.audit.chain import seal_rows
from siks.audit.service import origin as audit_origin
from siks.domain import template as T
from siks.domain.formats import angka
from siks.domain.instruments import DEFAULT_INSTRUMENT, INSTRUMENTS
from siks.domain.issues import Issue, SplitsIssues
from siks.domain.status import ImportStatus
from siks.registry import kk, parts, readers
from siks.registry.entities import MEMBER_COLUMNS, build_plan
from siks.registry.loader import BULK_MIN_ROWS, Bulk
from siks.registry.validation import Validated, issue_order, validate
from siks.scope import Scope
from siks.store import locks
from siks.store.answers import decode
from siks.store.base import Base
from siks.store.db import transaction
from siks.store.models.registry import (
    Assessment,
    AssessmentMember,
    AuditEntry,
    Family,
    FamilyKK,
    Household,
    ImportBatch,
)

DateOrder = Literal["hari-bulan", "bulan-hari"]
DATE_ORDERS = ("hari-bulan", "bulan-hari")
_MAX_VALUE_CHARS = 200  # an issue's value is cut to this: the report never copies an oversized cell whole
DATA_TABLES = ("household", "family", "family_kk", "member", "assessment", "assessment_member")
_CHUNK = 5_000
_MAX_STORED_WARNINGS = 100_000

register_entity_scope(
    "assessment",
    lambda: select(Assessment.id, Household.desa_code).join(
        Household, Assessment.household_id == Household.id
    ),
)

HOUSEHOLD_FIELDS = ("desa_code", "dusun", "rw", "rt", "alamat")
MEMBER_FIELDS = ("family_id", *MEMBER_COLUMNS.values())


Progress = Callable[[str, int, int], None]  # (stage, rows done, rows in the file)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def out_of_scope_message(row: int, what: str, scope: str) -> str:
    return (
        f"Baris {row}, kolom kode_desa: {what} di luar wilayah Anda ({scope}); baris ini tidak dapat "
        "diimpor oleh akun ini. Hapus barisnya, atau minta operator wilayah itu mengimpornya."
    )


class StaleRecord(RuntimeError):
    """A record changed under the import (someone saved it meanwhile): the whole import is rolled back."""


@dataclass
class ImportResult(SplitsIssues):
    """What an import did (or why it did nothing). `issues` holds errors and warnings, in row order."""

    file_name: str
    sha256: str
    instrument: str
    status: ImportStatus
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    batch_id: int | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    previous_batch_id: int | None = None
    dry_run: bool = False  # checked and counted inside a transaction that was rolled back: nothing written

    @property
    def ok(self) -> bool:
        return self.status != ImportStatus.DITOLAK


def default_actor() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "sistem"


def _dictionary_columns(instrument: str) -> frozenset[str]:
    return frozenset(c.key for c in T.columns_for(instrument) if c.kind not in ("text", "nik", "kk"))


_MIN_KNOWN_HEADERS = 3  # fewer template headers than this in a row: it is not the header row


def header_hint(preview: list[tuple[str, list[list[str]]]], instrument: str) -> str | None:
    """Where the template's header row seems to be, when it is not row 1 of the first sheet."""
    known = {c.key for c in T.columns_for(instrument)}
    best = None
    for s_index, (sheet, rows) in enumerate(preview):
        for r_index, row in enumerate(rows):
            hits = len({str(c).strip().lower() for c in row} & known)
            if hits >= _MIN_KNOWN_HEADERS and (best is None or hits > best[0]):
                best = (hits, s_index, sheet, r_index + 1)
    if best is None:
        return None
    _, s_index, sheet, row = best
    if s_index == 0 and row == 1:
        return None  # the header is where it belongs: nothing to point at
    if s_index == 0:
        return (
            f"judul kolom template tampaknya ada di baris {row}: hapus {row - 1} baris di atasnya "
            "(judul laporan, baris kosong) sehingga judul kolom menjadi baris 1."
        )
    return (
        f"judul kolom template tampaknya ada di lembar '{sheet}' baris {row}: jadikan lembar itu lembar "
        "pertama, dengan judul kolom di baris 1."
    )


def _header_issue(message: str) -> Issue:
    return T.RowIssue("HEADER_NOT_FOUND", f"Baris 1: {message}", None, None, "error", rows=(1,))


def check_headers(raw: readers.RawTable, instrument: str) -> list[Issue]:
    """Missing required columns are errors; missing optional and unknown columns are warnings.

    A row 1 with hardly any template header is not the header row: one HEADER_NOT_FOUND (saying where the
    header seems to be, on this sheet or another) instead of one COLUMN_MISSING per template column.
    """
    expected = T.columns_for(instrument)
    present = set(raw.columns)
    known_present = present & {c.key for c in expected}
    if len(known_present) < _MIN_KNOWN_HEADERS:
        hint = header_hint(raw.preview, instrument) if raw.preview else None
        return [
            _header_issue(
                hint
                or f"baris ini bukan baris judul kolom template: hanya {len(known_present)} dari "
                f"{len(expected)} judul kolom dikenali (contoh yang diharapkan: id_ruta, kode_desa, "
                "id_keluarga, nama); unduh template dengan `siks template`."
            )
        ]
    issues: list[Issue] = []
    for c in expected:
        if c.key not in present:
            severity = "error" if c.required else "warning"
            what = "wajib ada" if c.required else "tidak ada; isinya dianggap kosong"
            issues.append(
                T.RowIssue(
                    "COLUMN_MISSING",
                    f"Baris 1, kolom {c.key}: kolom {c.key} {what}.",
                    c.key,
                    None,
                    severity,
                    rows=(1,),
                )
            )
    known = {c.key for c in expected}
    for key in raw.columns:
        if key not in known:
            issues.append(
                T.RowIssue(
                    "COLUMN_UNKNOWN",
                    f"Baris 1, kolom {key}: kolom {key} tidak dikenal dan diabaikan.",
                    key,
                    None,
                    "warning",
                    rows=(1,),
                )
            )
    return issues


def import_file(
    engine: Engine,
    path: str | Path,
    actor: str | None = None,
    *,
    instrument: str = DEFAULT_INSTRUMENT,
    strict: bool = False,
    encoding: str | None = None,
    force: bool = False,
    reference_date: dt.date | None = None,
    date_order: DateOrder | None = None,
    allow_identity_change: bool = False,
    scope: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    part_rows: int | None = None,
    wait: float = 0,
) -> ImportResult:
    """Import one template file (CSV, XLSX or Parquet) into the registry. Never raises for bad data.

    `actor` defaults to $USER. `strict` turns warnings into errors (new usulan). `force` re-checks a file
    whose bytes were imported before instead of reporting it as already imported. `date_order` declares
    how the file writes dd/mm/yyyy-like dates ("hari-bulan" or "bulan-hari"; see `date_order_issues`).
    `allow_identity_change` lets a re-import change a member's identity or bring a NIK that is already
    active elsewhere (each such row is audited as such); without it those rows are errors.

    For the browser upload (`siks.registry.web_import`): `scope` (a dotted wilayah code) makes every row
    whose kode_desa lies outside it, or that would change a ruta or keluarga recorded outside it, an
    `OUT_OF_SCOPE` error; `dry_run` does everything inside the transaction, counts included, then rolls
    it back (`result.dry_run`: the preview); `progress(stage, done, total)` is called as parts are read,
    checked ("memeriksa") and written ("menulis"); `part_rows` sets the part size (finer progress).

    One import writes at a time: while another holds the import lock, `locks.Busy` is raised at once (or
    after waiting `wait` seconds), before anything is written.
    """
    if instrument not in INSTRUMENTS:
        raise ValueError(f"Instrumen '{instrument}' tidak dikenal; gunakan {' atau '.join(INSTRUMENTS)}.")
    actor = actor or default_actor()
    path = Path(path)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    report = progress or _no_progress
    report("membaca", 0, 0)
    try:
        raw = readers.read_file(path, encoding=encoding, dictionary=_dictionary_columns(instrument))
    except readers.ReadError as bad:
        digest = readers.sha256_of(path) if path.exists() else ""
        issues = list(bad.issues)
        hint = header_hint(bad.preview, instrument) if bad.preview else None
        if hint:
            issues.insert(0, _header_issue(hint))
        return ImportResult(path.name, digest, instrument, ImportStatus.DITOLAK, issues=_short_values(issues))
    timings["read"] = time.perf_counter() - t0
    result = ImportResult(
        raw.file_name, raw.sha256, instrument, ImportStatus.DITOLAK, rows=raw.n_rows, timings=timings,
        dry_run=dry_run,
    )  # fmt: skip
    report("memeriksa", 0, raw.n_rows)
    _upper_case_ids(raw)
    date_issues = date_order_issues(raw, instrument, date_order)

    if not force:
        previous = _previous_batch(engine, raw.sha256)
        if previous is not None:
            result.status, result.previous_batch_id = ImportStatus.SUDAH_DIMUAT, previous
            return result

    header_issues = check_headers(raw, instrument) + date_issues
    if strict:
        header_issues = [i if i.is_error else _as_error(i) for i in header_issues]
    if any(i.is_error for i in header_issues) or raw.n_rows == 0:
        if raw.n_rows == 0:
            header_issues.append(
                T.RowIssue("FILE_EMPTY", "Berkas tidak berisi baris data.", None, None, "error")
            )
        result.issues = _short_values(header_issues)
        return result

    file_parts = parts.split([raw.columns["id_ruta"], raw.columns["id_keluarga"]], raw.n_rows, part_rows)
    check = _PartChecker(raw, instrument, strict, reference_date, timings, scope, report)
    first = check(file_parts[0])
    if not first.ok:  # rejected before the database is touched; the other parts still get their report
        result.issues = _short_values(header_issues + _merged([first, *map(check, file_parts[1:])]))
        return result
    with locks.writer_lock(engine, "impor", f"berkas {raw.file_name} oleh {actor}", wait=wait):
        t3 = time.perf_counter()
        _write(engine, file_parts, first, check, result, raw, actor, allow_identity_change, scope, dry_run)
    timings["write"] = time.perf_counter() - t3
    result.issues = _short_values(header_issues + result.issues)
    timings["total"] = time.perf_counter() - t0
    return result


def _short_values(issues: list[Issue]) -> list[Issue]:
    """Issues whose value is longer than _MAX_VALUE_CHARS get it cut, saying how long it was."""
    from dataclasses import replace

    out = []
    for i in issues:
        v = i.value
        if isinstance(v, str) and len(v) > _MAX_VALUE_CHARS:
            i = replace(i, value=f"{v[:_MAX_VALUE_CHARS]}… ({angka(len(v))} karakter)")
        out.append(i)
    return out


def _upper_case_ids(raw: readers.RawTable) -> None:
    """id_ruta and id_keluarga are case-insensitive: stored upper-case, so 'r1' and 'R1' are one record."""
    for key in ("id_ruta", "id_keluarga"):
        arr = raw.columns.get(key)
        if arr is None:
            continue
        if pa.types.is_dictionary(arr.type):
            arr = arr.cast(pa.string())
        upper = pc.utf8_upper(arr)
        if not upper.equals(arr):
            raw.columns[key] = upper


_DMY = re.compile(r"\s*(\d{1,2})([-/.])(\d{1,2})\2(\d{4})\s*")


def date_order_issues(raw: readers.RawTable, instrument: str, declared: DateOrder | None) -> list[Issue]:
    """Dates written nn/nn/yyyy are read day first (the template's order). A file whose dates say otherwise
    is refused, so that 03/04/1990 never silently becomes 3 April when the file meant 4 March:

    - `declared="bulan-hari"`: every such date is month first (US Excel); they are read so.
    - undeclared, and some date can only be month first (14 in the second place) while none can only be day
      first: DATE_ORDER (error), naming the row.
    - undeclared, and every such date has day and month ≤ 12 (and some differ): nothing in the file says
      which is which: DATE_AMBIGUOUS (error) at the first such row; declare the order to import it.
    - one date that can only be day first settles it: the file is read day first.
    """
    keys = [c.key for c in T.columns_for(instrument) if c.kind == "date" and c.key in raw.columns]
    dmy_proof = mdy_proof = ambiguous = None  # (row, column, text) of the first of each
    swapped: dict[str, dict[str, str]] = {}
    for key in keys:
        arr = raw.columns[key]
        texts = (arr.dictionary if pa.types.is_dictionary(arr.type) else pc.unique(arr)).to_pylist()
        swap: dict[str, str] = {}
        kinds: dict[str, str] = {}
        for t in texts:
            m = _DMY.fullmatch(t or "")
            if not m:
                continue
            a, b = int(m[1]), int(m[3])
            swap[t] = f"{m[3]}{m[2]}{m[1]}{m[2]}{m[4]}"
            if a > 12 and b <= 12:
                kinds[t] = "dmy"
            elif b > 12 and a <= 12:
                kinds[t] = "mdy"
            elif a <= 12 and b <= 12 and a != b:
                kinds[t] = "ambiguous"
        swapped[key] = swap
        for kind in ("dmy", "mdy", "ambiguous"):
            chosen = [t for t, k in kinds.items() if k == kind]
            if not chosen:
                continue
            plain = arr.cast(pa.string()) if pa.types.is_dictionary(arr.type) else arr
            hit = pc.index(pc.is_in(plain, pa.array(chosen, pa.string())), True).as_py()
            found = (int(raw.row_numbers[hit]), key, plain[hit].as_py())
            if kind == "dmy" and (dmy_proof is None or found < dmy_proof):
                dmy_proof = found
            elif kind == "mdy" and (mdy_proof is None or found < mdy_proof):
                mdy_proof = found
            elif kind == "ambiguous" and (ambiguous is None or found < ambiguous):
                ambiguous = found
    if declared == "bulan-hari":
        for key, swap in swapped.items():
            if swap:
                raw.columns[key] = _replace_texts(raw.columns[key], swap)
        return []
    if declared == "hari-bulan" or dmy_proof is not None:
        return []
    flag = "--urutan-tanggal"
    if mdy_proof is not None:
        row, key, text = mdy_proof
        return [
            T.RowIssue(
                "DATE_ORDER",
                f"Baris {row}, kolom {key}: '{text}' hanya masuk akal sebagai bulan/hari/tahun (format AS), "
                f"padahal template memakai hari/bulan/tahun; semua tanggal berkas ini mungkin tertukar. "
                f"Simpan ulang tanggal sebagai YYYY-MM-DD, atau impor dengan {flag} bulan-hari.",
                key,
                text,
                "error",
                rows=(row,),
            )
        ]
    if ambiguous is not None:
        row, key, text = ambiguous
        return [
            T.RowIssue(
                "DATE_AMBIGUOUS",
                f"Baris {row}, kolom {key}: '{text}' bisa dibaca hari/bulan atau bulan/hari, dan tidak ada "
                f"tanggal di berkas ini yang memastikan urutannya; impor dengan {flag} hari-bulan (atau "
                "bulan-hari), atau tulis tanggal sebagai YYYY-MM-DD.",
                key,
                text,
                "error",
                rows=(row,),
            )
        ]
    return []


def _replace_texts(arr: pa.Array, mapping: dict[str, str]) -> pa.Array:
    """`arr` with each text in `mapping` replaced (a dictionary array: only its dictionary is rewritten)."""
    if pa.types.is_dictionary(arr.type):
        new_dict = pa.array([mapping.get(t, t) for t in arr.dictionary.to_pylist()], pa.string())
        return pa.DictionaryArray.from_arrays(arr.indices, new_dict)
    enc = pc.dictionary_encode(arr)
    return _replace_texts(enc, mapping).cast(pa.string())


class _PartChecker:
    """Validates one part (a row range of whole ruta and keluarga) of the file; adds up the time it takes."""

    def __init__(self, raw, instrument, strict, reference_date, timings, scope=None, progress=None) -> None:
        self.raw, self.instrument, self.strict = raw, instrument, strict
        self.today = reference_date or dt.date.today()
        self.timings = timings
        self.scope = scope
        self.progress = progress or _no_progress
        self.memo: dict = {}  # each dictionary column parsed once for all parts
        timings["validate"] = 0.0

    def __call__(self, part: tuple[int, int]) -> Validated:
        t = time.perf_counter()
        start, stop = part
        raw = self.raw
        whole = start == 0 and stop == raw.n_rows
        columns = raw.columns if whole else {k: a.slice(start, stop - start) for k, a in raw.columns.items()}
        v = validate(
            columns,
            raw.row_numbers[start:stop],
            instrument=self.instrument,
            strict=self.strict,
            reference_date=self.today,
            raw_row=lambda i: raw.row_dict(start + i),
            memo=self.memo,
        )
        if self.scope:
            v.issues = sorted(v.issues + self._outside(v), key=issue_order)
        self.timings["validate"] += time.perf_counter() - t
        self.progress("memeriksa", stop, raw.n_rows)
        return v

    def _outside(self, v: Validated) -> list[Issue]:
        """OUT_OF_SCOPE for every row whose (valid) kode_desa is not the scope nor under it."""
        desa = v.arrow("kode_desa")
        if pa.types.is_dictionary(desa.type):
            desa = desa.cast(pa.string())
        inside = pc.or_(pc.equal(desa, self.scope), pc.starts_with(desa, self.scope + "."))
        bad = pc.indices_nonzero(pc.invert(pc.fill_null(inside, True))).to_pylist()
        codes = desa.to_pylist()
        return [
            T.RowIssue(
                "OUT_OF_SCOPE",
                out_of_scope_message(int(v.row_numbers[i]), f"desa {codes[i]}", self.scope),
                "kode_desa",
                codes[i],
                "error",
                rows=(int(v.row_numbers[i]),),
            )
            for i in bad
        ]


def _merged(validated: list[Validated]) -> list[Issue]:
    """The issues of all parts, in row order (parts hold whole groups, so this is the whole file's list)."""
    return sorted((i for v in validated for i in v.issues), key=issue_order)


def _as_error(issue: Issue) -> Issue:
    from dataclasses import replace

    return replace(issue, severity="error")


def _previous_batch(engine: Engine, sha256: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(
            select(ImportBatch.id)
            .where(ImportBatch.sha256 == sha256)
            .order_by(ImportBatch.id.desc())
            .limit(1)
        ).scalar()


# --- applying ---------------------------------------------------------------------------------------------


class _NothingChanged(Exception):
    """Raised inside the transaction to roll it back when the file changes nothing."""


class _Rejected(Exception):
    """Raised inside the transaction to roll it back when a later part of the file has errors."""


class _DryRun(Exception):
    """Raised inside the transaction to roll back a checked and counted import (the browser's preview)."""


class _Inline:
    """A stand-in for the writer thread (SQLite: one connection, used by the thread that opened it)."""

    def submit(self, fn, *args) -> Future:
        done: Future = Future()
        try:
            done.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed over like a thread's error
            done.set_exception(exc)
        return done

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _write(
    engine: Engine,
    file_parts: list[tuple[int, int]],
    first: Validated,
    check: _PartChecker,
    result: ImportResult,
    raw: readers.RawTable,
    actor: str,
    allow_identity_change: bool = False,
    scope: str | None = None,
    dry_run: bool = False,
) -> None:
    """One transaction: part i is written (a thread) while part i+1 is validated; any bad part rolls back all.

    The database and Python work at the same time, yet the result is what validating the whole file first
    would give: every issue is reported, and a file with an error writes nothing.
    """
    now = dt.datetime.now(dt.UTC)
    checked, clean = [first], True
    ahead: list[Validated] | None = None
    if engine.dialect.name != "postgresql" and len(file_parts) > 1:
        # SQLite has one writer for the whole database: validate every part before the first write takes
        # the write lock, so web requests wait only for the writing, not for the checks (#17.8).
        ahead = [check(part) for part in file_parts[1:]]
        if not all(v.ok for v in ahead):
            result.issues = sorted(_merged([first, *ahead]), key=issue_order)
            return
    try:
        with transaction(engine) as session:
            conn = session.connection()
            applied = _Apply(conn, actor, now, raw.file_name, allow_identity_change, scope)
            applied.begin(raw, first.instrument)
            with ThreadPoolExecutor(1) if applied.bulk.postgres else _Inline() as writer:
                pending = writer.submit(applied.apply, first)
                for i, part in enumerate(file_parts[1:]):
                    v = ahead[i] if ahead is not None else check(part)
                    checked.append(v)
                    clean = clean and v.ok  # after a bad part: validate on, write no more
                    pending.result()  # the previous part is written (or its error is raised here)
                    check.progress("menulis", part[0], raw.n_rows)
                    clean = clean and not applied.identity_issues
                    if clean:
                        pending = writer.submit(applied.apply, v)
                pending.result()
            result.issues = sorted(_merged(checked) + applied.identity_issues, key=issue_order)
            clean = clean and not applied.identity_issues
            if not clean:
                raise _Rejected  # the dropped indexes are never rebuilt: the rollback brings them back
            applied.finish([i for i in result.issues if not i.is_error], raw.n_rows)
            result.counts = applied.counts
            if applied.inserted == 0 and applied.updated == 0:
                result.status = ImportStatus.TIDAK_BERUBAH
                result.unchanged = applied.unchanged
                raise _NothingChanged
            result.status = ImportStatus.DIMUAT
            result.batch_id = None if dry_run else applied.batch_id
            result.inserted, result.updated = applied.inserted, applied.updated
            result.unchanged = applied.unchanged
            check.progress("menulis", raw.n_rows, raw.n_rows)
            if dry_run:
                raise _DryRun
    except (_NothingChanged, _Rejected, _DryRun):
        pass
    check.timings["plan"] = applied.plan_seconds


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _const(value, n: int, typ: pa.DataType) -> pa.Array:
    return pa.array(np.full(n, value), typ) if n else pa.array([], typ)


def _ids(start: int, n: int) -> pa.Array:
    return pa.array(np.arange(start, start + n, dtype=np.int64))


class _Apply:
    """One import's changes, inside the caller's transaction: `begin`, `apply` each part, `finish`."""

    def __init__(
        self,
        conn: Connection,
        actor: str,
        now: dt.datetime,
        file_name: str,
        allow_identity_change=False,
        scope: str | None = None,
    ) -> None:
        self.conn, self.actor, self.now, self.file_name = conn, actor, now, file_name
        self.allow_identity_change = allow_identity_change
        self.scope = scope
        self.identity_issues: list[Issue] = []  # IDENTITY_CHANGED / NIK_ACTIVE: the import is refused
        self.identity_rows: dict[str, str] = {}  # member ref → why (when allowed: said in its audit entry)
        self.bulk = Bulk(conn)
        self.audit: list[dict] = []
        self.counts: dict[str, dict[str, int]] = {
            t: {"inserted": 0, "updated": 0, "unchanged": 0} for t in ("household", "family", "member")
        }
        self.counts["assessment"] = {"inserted": 0}
        self.inserted = self.updated = self.unchanged = 0
        self.batch_id = 0
        self.bulk_tables: list[str] = []
        self.plan_seconds = 0.0
        self._rebuild = ExitStack()

    # --- the steps ----------------------------------------------------------------------------------------

    def begin(self, raw: readers.RawTable, instrument: str) -> None:
        """Lock the tables, open the import batch, and drop the keys and indexes of empty tables it will fill.

        A table is bulk-loaded (keys, indexes and foreign keys dropped now, rebuilt in `finish`) when it is
        empty and the file can bring it at least BULK_MIN_ROWS rows (its rows, distinct id_ruta or
        id_keluarga). Only empty ones: a part looks its records up in the tables that already hold some, and
        without their indexes each look-up would read the whole table (a million-row file on top of 300,000
        members took 34 minutes that way; with the indexes kept, see docs/import.md).
        """
        self.bulk.lock(DATA_TABLES)
        self.batch_id = self._insert_batch(raw, instrument)
        self.source = f"impor:{self.batch_id}"
        n_ruta = pc.count_distinct(raw.columns["id_ruta"]).as_py()
        n_keluarga = pc.count_distinct(raw.columns["id_keluarga"]).as_py()
        most = {
            "household": n_ruta,
            "family": n_keluarga,
            "member": raw.n_rows,
            "assessment": n_ruta,
            "assessment_member": raw.n_rows,
            "family_kk": n_keluarga,
        }
        self.empty = {t: self.bulk.rows_up_to(t, 1) == 0 for t in DATA_TABLES}
        self.bulk_tables = [t for t, n in most.items() if n >= BULK_MIN_ROWS and self.empty[t]]
        if self.bulk_tables:
            self._rebuild.enter_context(self.bulk.bulk_load(self.bulk_tables))

    def apply(self, v: Validated) -> None:
        """Write one validated part: match its records, update what changed, bulk-insert what is new."""
        t = time.perf_counter()
        self.plan = plan = build_plan(v)
        self.plan_seconds += time.perf_counter() - t
        h_ref = plan.households.column("ref").combine_chunks()
        f_ref = plan.families.column("ref").combine_chunks()
        m_ref = plan.members.column("ref").combine_chunks()
        old_h = self._existing("household", ["id", "ref", *HOUSEHOLD_FIELDS, "version"], h_ref)
        old_f = self._existing_families(f_ref)
        old_m = self._existing("member", ["id", "ref", *MEMBER_FIELDS, "version"], m_ref)

        h_ids, h_new = self._assign("household", h_ref, old_h)
        f_ids, f_new = self._assign("family", f_ref, old_f)
        m_ids, m_new = self._assign("member", m_ref, old_m)
        f_household = h_ids.take(pc.index_in(plan.families.column("household_ref"), h_ref))
        m_family = f_ids.take(pc.index_in(plan.members.column("family_ref"), f_ref))
        m_household_pos = pc.index_in(plan.members.column("household_ref"), h_ref).to_numpy(
            zero_copy_only=False
        )

        if self.scope:
            self._check_scope(old_h, old_f)
        self._check_identity(v, old_m, m_new)
        if self.identity_issues:
            return  # the import is refused: nothing more to write
        h_changed = self._update_households(old_h, h_ids, h_new)
        f_changed = self._update_families(old_f, f_ids, f_new, f_household)
        m_changed = self._update_members(old_m, m_ids, m_new, m_family)
        new_assessment = self._assessments_needed(h_ids, h_new, m_ids, m_household_pos)
        self._bulk_insert(
            h_ids, h_new, f_ids, f_new, f_household, m_ids, m_new, m_family, new_assessment, m_household_pos
        )

        # a row is updated when anything it carries changed: its member, family, household or assessment
        f_pos = pc.index_in(plan.members.column("family_ref"), f_ref).to_numpy(zero_copy_only=False)
        touched = m_changed | f_changed[f_pos] | h_changed[m_household_pos] | new_assessment[m_household_pos]
        inserted = int(m_new.sum())
        updated = int((touched & ~m_new).sum())
        self.inserted += inserted
        self.updated += updated
        self.unchanged += len(m_new) - inserted - updated
        for table, new, changed in (
            ("household", h_new, h_changed),
            ("family", f_new, f_changed),
            ("member", m_new, m_changed),
        ):
            for key, n in _count(new, changed).items():
                self.counts[table][key] += n
        self.counts["assessment"]["inserted"] += int(new_assessment.sum())

    def finish(self, warnings: list[Issue], n_rows: int) -> None:
        """Rebuild what `begin` dropped, then close the batch: counts, warnings, one audit entry."""
        self._rebuild.close()
        self._finish_batch(warnings, n_rows)

    def _insert_batch(self, raw: readers.RawTable, instrument: str) -> int:
        return self.conn.execute(
            insert(ImportBatch).returning(ImportBatch.id),
            {
                "file_name": raw.file_name[:255],
                "sha256": raw.sha256,
                "instrument": instrument,
                "rows": raw.n_rows,
                "inserted": 0,
                "updated": 0,
                "unchanged": 0,
                "warning_count": 0,
                "warnings": [],
                "counts": {},
                "actor": self.actor[:100],
                "at": self.now,
            },
        ).scalar_one()

    def _finish_batch(self, warnings: list[Issue], n_rows: int) -> None:
        summary = {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}
        stored = [
            {
                "row": getattr(i, "row", None),
                "code": i.code,
                "field": i.field,
                "value": i.value,
                "message": i.message,
            }
            for i in warnings[:_MAX_STORED_WARNINGS]
        ]
        self.conn.execute(
            update(ImportBatch)
            .where(ImportBatch.id == self.batch_id)
            .values(**summary, counts=self.counts, warning_count=len(warnings), warnings=stored)
        )
        self._audit(
            "impor",
            "import_batch",
            self.batch_id,
            None,
            {
                "file_name": self.file_name,
                **summary,
                "rows": n_rows,
                "warnings": len(warnings),
                **(
                    {
                        "izin_ganti_identitas": [
                            f"{r}: {w}" for r, w in list(self.identity_rows.items())[:1000]
                        ]
                    }
                    if self.identity_rows
                    else {}
                ),
            },
            reason=f"impor berkas {self.file_name}",
        )
        if self.audit:
            seal_rows(self.conn, self.audit)  # the same hash chain as record_change (siks.audit.chain)
            self.conn.execute(insert(AuditEntry), self.audit)

    # --- matching -----------------------------------------------------------------------------------------

    @property
    def _chunk(self) -> int:
        return 50_000 if self.bulk.postgres else _CHUNK

    def _in(self, column, values: list):
        """`column IN values`: one array parameter on PostgreSQL (cheap to send), a list on SQLite."""
        if self.bulk.postgres:
            typ = ARRAY(Integer) if values and isinstance(values[0], int) else ARRAY(String)
            return column == any_(bindparam(None, values, type_=typ))
        return column.in_(values)

    def _existing(self, table: str, columns: list[str], refs: pa.Array) -> dict[str, dict]:
        """Rows of `table` whose ref is in the file, as ref → {column: value} (typed by the model)."""
        if self.empty[table]:  # (parts never share a ref, so rows written by this import need no look)
            return {}
        tbl = Base.metadata.tables[table]
        out: dict[str, dict] = {}
        for part in _chunks(refs.to_pylist(), self._chunk):
            stmt = select(*[tbl.c[c] for c in columns]).where(self._in(tbl.c.ref, part))
            for row in self.conn.execute(stmt).mappings().all():
                out[row["ref"]] = dict(row)
        return out

    def _existing_families(self, refs: pa.Array) -> dict[str, dict]:
        if self.empty["family"]:
            return {}
        f, k = Family.__table__, FamilyKK.__table__
        out: dict[str, dict] = {}
        for part in _chunks(refs.to_pylist(), self._chunk):
            stmt = (
                select(f.c.id, f.c.ref, f.c.household_id, f.c.version, k.c.id.label("kk_id"), k.c.kk_number)
                .outerjoin(k, (k.c.family_id == f.c.id) & k.c.valid_to.is_(None))
                .where(self._in(f.c.ref, part))
            )
            for row in self.conn.execute(stmt).mappings().all():
                out[row["ref"]] = dict(row)
        return out

    def _assign(self, table: str, refs: pa.Array, old: dict[str, dict]) -> tuple[pa.Array, np.ndarray]:
        """Ids for every ref of the file (existing ones kept, new ones reserved) and the mask of new ones."""
        n = len(refs)
        if not old:
            return _ids(self.bulk.reserve_ids(table, n), n), np.ones(n, dtype=bool)
        ids = np.array([old[r]["id"] if r in old else 0 for r in refs.to_pylist()], dtype=np.int64)
        new = ids == 0
        first = self.bulk.reserve_ids(table, int(new.sum()))
        ids[new] = np.arange(first, first + int(new.sum()))
        return pa.array(ids), new

    # --- scope --------------------------------------------------------------------------------------------

    def _check_scope(self, old_h: dict[str, dict], old_f: dict[str, dict]) -> None:
        """A ruta or keluarga already recorded outside the uploader's wilayah may not be changed (nor moved
        into it) by the file: OUT_OF_SCOPE on its first row."""
        covers = Scope(self.scope).covers
        mm = self.plan.members
        first_row: dict[tuple[str, str], int] = {}
        for h, f, row in zip(
            mm.column("household_ref").to_pylist(),
            mm.column("family_ref").to_pylist(),
            mm.column("row_number").to_pylist(),
            strict=True,
        ):
            first_row.setdefault(("ruta", h), row)
            first_row.setdefault(("keluarga", f), row)
        outside = [(("ruta", ref), r["desa_code"]) for ref, r in old_h.items() if not covers(r["desa_code"])]
        house_ids = {r["household_id"] for r in old_f.values()} - {r["id"] for r in old_h.values()}
        if house_ids:
            h = Household.__table__
            desa = dict(self.conn.execute(select(h.c.id, h.c.desa_code).where(h.c.id.in_(house_ids))).all())
            outside += [
                (("keluarga", ref), desa.get(r["household_id"]))
                for ref, r in old_f.items()
                if r["household_id"] in desa and not covers(desa[r["household_id"]])
            ]
        for (kind, ref), code in outside:
            row = first_row[(kind, ref)]
            self.identity_issues.append(
                T.RowIssue(
                    "OUT_OF_SCOPE",
                    out_of_scope_message(row, f"{kind} {ref} tercatat di desa {code},", self.scope or ""),
                    "kode_desa",
                    ref,
                    "error",
                    rows=(row,),
                )
            )

    # --- identity -----------------------------------------------------------------------------------------

    def _check_identity(self, v: Validated, old: dict[str, dict], new: np.ndarray) -> None:
        """A re-import may not turn one person into another, nor bring a NIK already active elsewhere.

        - IDENTITY_CHANGED: a member (same id_keluarga + no_urut) whose NIK differs from the stored one, or,
          when either NIK is empty, whose name and birth date both differ (swapped no_urut, a reused slot).
        - NIK_ACTIVE: a new member, or a NIK newly given to one, that an active member of another record
          (not written by this import) already has (a member moved to another keluarga is a second person).
        With `allow_identity_change` these rows are written, and each audit entry says so.
        """
        if self.empty["member"]:  # a first load: nobody to be or to collide with (1M rows: ~1 s saved)
            return
        mm = self.plan.members
        refs = mm.column("ref").to_pylist()
        niks = mm.column("nik").to_pylist()
        names = mm.column("nama").to_pylist()
        born = mm.column("tanggal_lahir").to_pylist()
        rows = mm.column("row_number").to_pylist()
        check_nik: dict[str, list[int]] = {}
        for i, ref in enumerate(refs):
            before = old.get(ref) if not new[i] else None
            if before is not None:
                why = _identity_change(before, niks[i], names[i], born[i])
                if why:
                    self._identity_issue(
                        "IDENTITY_CHANGED",
                        rows[i],
                        "nik" if "NIK" in why else "nama",
                        f"anggota {ref} di registri adalah orang lain: {why}. Jika no_urut tertukar, "
                        "perbaiki berkas; perubahan identitas yang disengaja hanya dengan "
                        "--izinkan-ganti-identitas (dicatat di audit).",
                        ref,
                        why,
                        niks[i] if "NIK" in why else names[i],
                    )
                if niks[i] is None or niks[i] == before["nik"]:
                    continue
            if niks[i] is not None:
                check_nik.setdefault(niks[i], []).append(i)
        if not check_nik:
            return
        m = Base.metadata.tables["member"]
        in_file = dict(zip(refs, niks, strict=True))
        for part in _chunks(list(check_nik), self._chunk):
            stmt = select(m.c.nik, m.c.ref).where(
                self._in(m.c.nik, part),
                m.c.status == "aktif",
                (m.c.created_by_batch_id.is_(None)) | (m.c.created_by_batch_id != self.batch_id),
            )
            for nik, other in self.conn.execute(stmt).all():
                if other in in_file and in_file[other] != nik:
                    continue  # this file gives that member another NIK (a swap, corrected here)
                for i in check_nik[nik]:
                    if other == refs[i]:
                        continue
                    self._identity_issue(
                        "NIK_ACTIVE",
                        rows[i],
                        "nik",
                        f"NIK ini sudah aktif pada anggota {other} di registri; satu orang tidak boleh "
                        "tercatat dua kali. Jika orang ini pindah keluarga, perbarui baris lamanya "
                        "(id_keluarga dan no_urut yang sama) atau nonaktifkan lewat usulan; "
                        "hanya dengan --izinkan-ganti-identitas NIK ganda ini dicatat (dan diaudit).",
                        refs[i],
                        f"NIK sudah aktif pada anggota {other}",
                        nik,
                    )

    def _identity_issue(self, code, row, column, message, ref, why, value) -> None:
        if self.allow_identity_change:
            said = f"{code}: {why} (diizinkan --izinkan-ganti-identitas)"
            self.identity_rows[ref] = "; ".join(filter(None, (self.identity_rows.get(ref), said)))
            return
        self.identity_issues.append(
            T.RowIssue(code, f"Baris {row}, kolom {column}: {message}", column, value, "error", rows=(row,))
        )

    # --- updates of existing records ----------------------------------------------------------------------

    def _update_households(self, old: dict, ids: pa.Array, new: np.ndarray) -> np.ndarray:
        changed = np.zeros(len(new), dtype=bool)
        if not old:
            return changed
        hh = self.plan.households
        rows = hh.select(["ref", *HOUSEHOLD_FIELDS]).to_pylist()
        for i, row in enumerate(rows):
            if new[i]:
                continue
            before = old[row["ref"]]
            diff = {k for k in HOUSEHOLD_FIELDS if before[k] != row[k]}
            if diff:
                changed[i] = True
                self._update_row("household", before, {k: row[k] for k in HOUSEHOLD_FIELDS}, diff)
        return changed

    def _update_families(
        self, old: dict, ids: pa.Array, new: np.ndarray, household_ids: pa.Array
    ) -> np.ndarray:
        changed = np.zeros(len(new), dtype=bool)
        if not old:
            return changed
        refs = self.plan.families.column("ref").to_pylist()
        kks = self.plan.families.column("kk_number").to_pylist()
        hids = household_ids.to_pylist()
        for i, ref in enumerate(refs):
            if new[i]:
                continue
            before = old[ref]
            if before["household_id"] != hids[i]:
                changed[i] = True
                self._update_row("family", before, {"household_id": hids[i]}, {"household_id"})
            if kks[i] is not None and kks[i] != before["kk_number"]:  # an empty KK cell is no news
                changed[i] = True
                self._change_kk(before, kks[i])
        return changed

    def _change_kk(self, family: dict, kk_number: str) -> None:
        """A new KK number: close the current `family_kk` row and open a new one (the history stays)."""
        kk.change_kk(self.conn, family["id"], kk_number, at=self.now, source=self.source)
        self._bump("family", family)
        before, after = kk.audit_values(family["kk_number"]), kk.audit_values(kk_number)
        self._audit("ubah", "family", family["id"], before, after)

    def _update_members(self, old: dict, ids: pa.Array, new: np.ndarray, family_ids: pa.Array) -> np.ndarray:
        changed = np.zeros(len(new), dtype=bool)
        if not old:
            return changed
        cols = [c for c in MEMBER_COLUMNS.values()]
        mm = self.plan.members
        data = {c: mm.column(c).to_pylist() for c in ["ref", *cols]}
        data["family_id"] = family_ids.to_pylist()
        for i in np.flatnonzero(~new):
            row = {k: data[k][i] for k in MEMBER_FIELDS}
            before = old[data["ref"][i]]
            diff = {k for k in MEMBER_FIELDS if before[k] != row[k]}
            if diff:
                changed[i] = True
                self._update_row("member", before, row, diff)
        return changed

    def _update_row(self, table: str, before: dict, after: dict, diff: set[str]) -> None:
        self._versioned_update(table, before, {**after, "updated_at": self.now})
        keys = sorted(diff)
        reason = self.identity_rows.get(before.get("ref", "")) if table == "member" else None
        self._audit(
            "ubah",
            table,
            before["id"],
            {k: before[k] for k in keys},
            {k: after[k] for k in keys},
            reason=f"impor (batch {self.batch_id}); {reason}" if reason else None,
        )

    def _bump(self, table: str, record: dict) -> None:
        self._versioned_update(table, record, {"updated_at": self.now})
        record["version"] += 1

    def _versioned_update(self, table: str, record: dict, values: dict) -> None:
        """UPDATE … WHERE id and version match: the same optimistic lock the ORM's version_id_col uses."""
        tbl = Base.metadata.tables[table]
        result = self.conn.execute(
            update(tbl)
            .where(tbl.c.id == record["id"], tbl.c.version == record["version"])
            .values(**values, version=tbl.c.version + 1)
        )
        if result.rowcount != 1:
            raise StaleRecord(f"{table} {record['id']} diubah pengguna lain selama impor; ulangi impor.")

    # --- assessments --------------------------------------------------------------------------------------

    def _assessments_needed(
        self, h_ids: pa.Array, h_new: np.ndarray, m_ids: pa.Array, m_pos: np.ndarray
    ) -> np.ndarray:
        """Households that get a new assessment: every new one, and existing ones whose answers changed.

        Documents are compared as stored (compact JSON) first; only those that differ are decoded, so an
        unchanged million costs a json.loads each, not a decode.
        """
        need = h_new.copy()
        existing = np.flatnonzero(~h_new)
        self._changed_answers: dict[int, tuple[dict, dict]] = {}
        if len(existing) == 0:
            return need
        ids = h_ids.to_pylist()
        latest = self._latest_assessments([ids[i] for i in existing])
        m_answers = self.plan.member_answers_json().to_pylist()
        h_answers = self.plan.household_answers_json().to_pylist()
        meta = self.plan.households.select(["instrument", "assessed_on", "assessed_by"]).to_pylist()
        m_id = m_ids.to_pylist()
        members_of: dict[int, list[int]] = {}
        for row, pos in enumerate(m_pos.tolist()):
            members_of.setdefault(pos, []).append(row)
        for i in existing.tolist():
            old = latest.get(ids[i])
            new = {
                **meta[i],
                "answers": json.loads(h_answers[i]),
                "members": {m_id[r]: json.loads(m_answers[r]) for r in members_of.get(i, [])},
            }
            if old is None:
                need[i] = True
                self._changed_answers[i] = ({}, decode(new["answers"]))
                continue
            if _same_assessment(old, new):
                continue
            old_d, new_d = _decoded(old, new["members"]), _decoded(new, new["members"])
            if not _same_assessment(old_d, new_d):
                need[i] = True
                self._changed_answers[i] = _answer_diff(old_d, new_d)
        return need

    def _latest_assessments(self, household_ids: list[int]) -> dict[int, dict]:
        """The latest assessment of each household, answers as stored (compact JSON, not decoded)."""
        if self.empty["assessment"]:  # only this import's own, of other households (parts share none)
            return {}
        a, am = Assessment.__table__, AssessmentMember.__table__
        out: dict[int, dict] = {}
        by_id: dict[int, dict] = {}
        for part in _chunks(household_ids, self._chunk):
            latest = (
                select(func.max(a.c.id)).where(self._in(a.c.household_id, part)).group_by(a.c.household_id)
            )
            stmt = select(
                a.c.id, a.c.household_id, a.c.instrument, a.c.assessed_on, a.c.assessed_by,
                cast(a.c.answers, Text).label("answers"),
            ).where(a.c.id.in_(latest))  # fmt: skip
            for row in self.conn.execute(stmt).mappings().all():
                doc = {**row, "answers": _raw(row["answers"]), "members": {}}
                out[row["household_id"]] = doc
                by_id[row["id"]] = doc
        for part in _chunks(list(by_id), self._chunk):
            stmt = select(am.c.assessment_id, am.c.member_id, cast(am.c.answers, Text)).where(
                self._in(am.c.assessment_id, part)
            )
            for a_id, m_id, answers in self.conn.execute(stmt).all():
                by_id[a_id]["members"][m_id] = _raw(answers)
        return out

    # --- bulk inserts -------------------------------------------------------------------------------------

    def _bulk_insert(self, h_ids, h_new, f_ids, f_new, f_household, m_ids, m_new, m_family, new_a, m_pos):
        """New rows of all six tables; each table is built in a thread while the previous one is written."""
        plan, batch = self.plan, self.batch_id
        hh, ff, mm = plan.households, plan.families, plan.members
        n_a = int(new_a.sum())
        a_first = self.bulk.reserve_ids("assessment", n_a)
        a_ids_all = np.zeros(len(new_a), dtype=np.int64)
        a_ids_all[new_a] = np.arange(a_first, a_first + n_a)

        def households() -> pa.Table:
            sel = pa.array(h_new)
            return pa.table(
                {
                    "id": h_ids.filter(sel),
                    **{c: hh.column(c).filter(sel) for c in ("ref", *HOUSEHOLD_FIELDS)},
                    "created_by_batch_id": _const(batch, int(h_new.sum()), pa.int64()),
                }
            )

        def families() -> pa.Table:
            sel = pa.array(f_new)
            return pa.table(
                {
                    "id": f_ids.filter(sel),
                    "ref": ff.column("ref").filter(sel),
                    "household_id": f_household.filter(sel),
                    "created_by_batch_id": _const(batch, int(f_new.sum()), pa.int64()),
                }
            )

        def family_kk() -> pa.Table:
            sel = pa.array(f_new)
            kk = ff.column("kk_number").filter(sel)
            has_kk = pc.is_valid(kk)
            return pa.table(
                {
                    "family_id": f_ids.filter(sel).filter(has_kk),
                    "kk_number": kk.filter(has_kk),
                    "source": _const(self.source, int(pc.sum(has_kk).as_py() or 0), pa.string()),
                }
            )

        def members() -> pa.Table:
            sel = pa.array(m_new)
            return pa.table(
                {
                    "id": m_ids.filter(sel),
                    "ref": mm.column("ref").filter(sel),
                    "family_id": m_family.filter(sel),
                    **{c: mm.column(c).filter(sel) for c in MEMBER_COLUMNS.values()},
                    "created_by_batch_id": _const(batch, int(m_new.sum()), pa.int64()),
                }
            )

        def assessments() -> pa.Table:
            sel = pa.array(new_a)
            return pa.table(
                {
                    "id": pa.array(a_ids_all[new_a]),
                    "household_id": h_ids.filter(sel),
                    **{c: hh.column(c).filter(sel) for c in ("instrument", "assessed_on", "assessed_by")},
                    "answers": plan.household_answers_json().filter(sel),
                    "import_batch_id": _const(batch, n_a, pa.int64()),
                }
            )

        def assessment_members() -> pa.Table:
            sel = pa.array(new_a[m_pos])
            return pa.table(
                {
                    "assessment_id": pa.array(a_ids_all[m_pos]).filter(sel),
                    "member_id": m_ids.filter(sel),
                    "answers": plan.member_answers_json().filter(sel),
                }
            )

        jobs = [
            ("household", households),
            ("family", families),
            ("family_kk", family_kk),
            ("member", members),
            ("assessment", assessments),
            ("assessment_member", assessment_members),
        ]
        self.bulk.insert_all(jobs)

        for i, (before, after) in getattr(self, "_changed_answers", {}).items():
            self._audit(
                "buat",
                "assessment",
                int(a_ids_all[i]),
                before or None,
                {"household_id": int(h_ids[i].as_py()), **after},
            )

    # --- audit --------------------------------------------------------------------------------------------

    def _audit(
        self, action: str, entity: str, entity_id: int | None, before, after, reason: str | None = None
    ):
        self.audit.append(
            {
                "at": self.now,
                "actor": self.actor[:100],
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "before": jsonable(before),
                "after": jsonable(after),
                "reason": reason or f"impor (batch {self.batch_id})",
                "import_batch_id": self.batch_id,
                "origin": audit_origin(),
            }
        )


def _same_name(a: str | None, b: str | None) -> bool:
    norm = lambda s: " ".join((s or "").upper().split())  # noqa: E731
    return norm(a) == norm(b)


def _identity_change(before: dict, nik, nama, born) -> str | None:
    """Why a stored member and a file row are not the same person, or None when they may be."""
    if before["nik"] is not None and nik is not None:
        return "NIK berbeda dari yang tercatat" if before["nik"] != nik else None
    if (
        before["tanggal_lahir"] is not None
        and born is not None
        and before["tanggal_lahir"] != born
        and not _same_name(before["nama"], nama)
    ):
        return "nama dan tanggal lahir berbeda dari yang tercatat"
    return None


def _count(new: np.ndarray, changed: np.ndarray) -> dict[str, int]:
    inserted, updated = int(new.sum()), int((changed & ~new).sum())
    return {"inserted": inserted, "updated": updated, "unchanged": len(new) - inserted - updated}


def _raw(text: str | None) -> dict:
    """A stored answers document as stored (k/v/x), to compare without decoding."""
    return json.loads(text) if text else {}


def _decoded(doc: dict, members: dict) -> dict:
    """The same assessment with its answers decoded (documents written in different forms compare equal)."""
    return {
        **doc,
        "answers": decode(doc["answers"]) or {},
        "members": {m: decode(doc["members"].get(m) or {}) or {} for m in members},
    }


def _same_assessment(old: dict, new: dict) -> bool:
    """Same instrument, date, officer, household answers, and answers of the file's members."""
    if any(old[k] != new[k] for k in ("instrument", "assessed_on", "assessed_by", "answers")):
        return False
    return all(old["members"].get(m) == answers for m, answers in new["members"].items())


def _answer_diff(old: dict, new: dict) -> tuple[dict, dict]:
    """The answers that differ between two assessments (household level; member answers by member id)."""
    before, after = {}, {}
    for key in ("instrument", "assessed_on", "assessed_by"):
        if old[key] != new[key]:
            before[key], after[key] = old[key], new[key]
    for k in dict.fromkeys([*old["answers"], *new["answers"]]):
        if old["answers"].get(k) != new["answers"].get(k):
            before[k], after[k] = old["answers"].get(k), new["answers"].get(k)
    for m, answers in new["members"].items():
        prev = old["members"].get(m) or {}
        for k in dict.fromkeys([*prev, *answers]):
            if prev.get(k) != answers.get(k):
                before.setdefault("anggota", {}).setdefault(str(m), {})[k] = prev.get(k)
                after.setdefault("anggota", {}).setdefault(str(m), {})[k] = answers.get(k)
    return before, after

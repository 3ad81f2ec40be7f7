"""Validate a whole import file a column at a time, with the domain's own rules and none of our own.

Why: `template.parse_row` costs ~140 µs a row and `check_rows` ~40 µs (a million rows: three minutes), so
the importer cannot call them row by row and still load 100,000 rows a second. It calls the *same* domain
code on less input instead, and keeps the row functions for the rows that need a message:

1. Cells. Each column is dictionary-encoded and the domain's cell parser runs once per distinct text (a
   code column of a million rows has a few dozen). Text columns with many distinct values (names, ids)
   first pass a conservative pattern (printable ASCII, single spaces, no formula prefix, not too long)
   whose result is provably what the parser returns; only the cells that fail it go to the parser.
2. NIK and KK. A numpy test over the digits flags every row where a NIK/KK structure rule *could* fire
   (a deliberate superset of `nik.check_nik` / `kk.check_kk`); those rows get the domain's own identity
   check, so each warning is the domain's message.
3. Rows with a cell error go through `parse_row` itself.
4. Across rows, numpy group reductions flag households and families that could break a rule (duplicate
   no_urut, columns that disagree, heads not exactly one, a keluarga in two ruta). `check_rows` then runs
   on the closed set of rows of those groups, which gives exactly the issues it gives on the whole file.

tests/registry/test_validation.py checks on generated good and bad rows that this equals parse_row +
check_rows (values and issues), with and without `strict`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siks.domain import template as T
from siks.domain import wilayah
from siks.domain.instruments import PBDT2015, encode_flags, pbdt2015, regsosek2022
from siks.domain.instruments.fields import Field
from siks.domain.issues import Issue, SplitsIssues

# The domain's cell parser and identity check (the same functions parse_row calls).
_parse_cell = T.parse_cell
_Invalid = T.InvalidCell
_check_identity = T.check_identity

_ARROW_TYPES = {
    "code": pa.int64(),
    "count": pa.int64(),
    "bitflags": pa.int64(),
    "yes_no": pa.bool_(),
    "number": pa.float64(),
    "date": pa.date32(),
}
# Printable ASCII words separated by single spaces, first character not a formula prefix (= + - @):
# for such a cell the parser's whitespace clean-up, control-character and formula rules change nothing.
_SAFE_TEXT = r"^[!-*,.-<>?A-~][!-~]*( [!-~]+)*$"
_SIXTEEN = r"^[0-9]{16}$"
_PLAIN_KINDS = frozenset({"text", "nik", "kk"})
_DICT_LIMIT = 50_000  # above this many distinct texts a text column is checked by pattern first

_BAD = object()  # marks a distinct text the parser refused


def is_invalid(value: object) -> bool:
    """True for the marker a dictionary column keeps for a distinct text the parser refused."""
    return value is _BAD


@dataclass
class ColumnValues:
    """One column, parsed: which cells are invalid, and the values (typed Arrow, built when first asked for).

    Dictionary columns keep the parsed value of each distinct text (`uniques`) and each row's index into it.
    """

    field: Field
    bad: np.ndarray  # bool per row
    uniques: list[object] | None = None
    indices: np.ndarray | None = None
    _arrow: pa.Array | None = None

    @property
    def arrow(self) -> pa.Array:
        """Typed values (null when empty or invalid); bit flags as their sum."""
        if self._arrow is None:
            typ = _ARROW_TYPES.get(self.field.kind, pa.string())
            typed = pa.array([to_arrow_value(self.field, v) for v in self.uniques], typ)
            self._arrow = typed.take(pa.array(self.indices))
        return self._arrow

    @arrow.setter
    def arrow(self, value: pa.Array) -> None:
        self._arrow = value

    def py(self, i: int) -> object:
        """The value `parse_row` gives for this cell (frozenset for bit flags, date, bool, int, str)."""
        if self.uniques is not None:
            v = self.uniques[self.indices[i]]
            return None if v is _BAD else v
        return self._arrow[i].as_py()


@dataclass
class Validated(SplitsIssues):
    """A validated file: typed columns for the loader, every issue, and the row numbers."""

    instrument: str
    row_numbers: np.ndarray
    columns: dict[str, ColumnValues]
    issues: list[Issue] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)

    @property
    def ok(self) -> bool:
        return not self.errors

    def arrow(self, key: str) -> pa.Array:
        return self.columns[key].arrow

    def row_values(self, i: int) -> dict[str, object]:
        return {k: c.py(i) for k, c in self.columns.items()}


def to_arrow_value(column: Field, value: object) -> object:
    """A parsed value as the Arrow column holds it (bit flags as their sum)."""
    if value is None or value is _BAD:
        return None
    if column.kind == "bitflags":
        return encode_flags(column, value)  # type: ignore[arg-type]
    return value


def json_value(value: object) -> object:
    """A parsed value as an assessment's JSON holds it: flags as a sorted list, dates as ISO text."""
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- 1. cells -------------------------------------------------------------------------------------------


def _parse_distinct(column: Field, texts: list[str], instrument: str, today: dt.date) -> list[object]:
    out: list[object] = []
    for text in texts:
        try:
            out.append(_parse_cell(column, text, instrument, today))
        except _Invalid:
            out.append(_BAD)
    return out


def _dictionary_column(
    column: Field, arr: pa.Array, instrument: str, today: dt.date, memo: dict | None = None
) -> ColumnValues:
    """`memo` keeps the parsed dictionary for the next slice of the same file (slices share it)."""
    enc = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
    key = None
    if memo is not None and enc is arr:
        key = (column.key, enc.dictionary.buffers()[1].address, len(enc.dictionary))
    if key in (memo or {}):
        uniques, bad_u = memo[key]  # type: ignore[index]
    else:
        uniques = _parse_distinct(column, enc.dictionary.to_pylist(), instrument, today)
        bad_u = np.fromiter((v is _BAD for v in uniques), dtype=bool, count=len(uniques))
        if key is not None:
            memo[key] = (uniques, bad_u)  # type: ignore[index]
    indices = enc.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    return ColumnValues(column, bad_u[indices], uniques, indices)


def _plain_column(column: Field, arr: pa.Array, instrument: str, today: dt.date) -> ColumnValues:
    """Text/NIK/KK: a pattern certifies most cells; the parser reads the rest (once per distinct text)."""
    empty = pc.equal(arr, "")
    if column.kind == "text":
        safe = pc.match_substring_regex(arr, _SAFE_TEXT)
        if column.max_length is not None:
            safe = pc.and_(safe, pc.less_equal(pc.utf8_length(arr), column.max_length))
    else:
        safe = pc.match_substring_regex(arr, _SIXTEEN)
    fast = pc.or_(safe, empty) if not column.required else safe
    fast_np = fast.to_numpy(zero_copy_only=False)
    values = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
    bad = np.zeros(len(arr), dtype=bool)
    if fast_np.all():
        return ColumnValues(column, bad, _arrow=values)
    slow_idx = np.flatnonzero(~fast_np)
    slow = arr.take(pa.array(slow_idx))
    enc = pc.dictionary_encode(slow)
    parsed = _parse_distinct(column, enc.dictionary.to_pylist(), instrument, today)
    codes = enc.indices.to_numpy(zero_copy_only=False)
    parsed_rows = [parsed[c] for c in codes]
    bad[slow_idx] = [v is _BAD for v in parsed_rows]
    replacement = pa.array([None if v is _BAD else v for v in parsed_rows], pa.string())
    values = _scatter(values, slow_idx, replacement)
    return ColumnValues(column, bad, _arrow=values)


def _scatter(base: pa.Array, idx: np.ndarray, new: pa.Array) -> pa.Array:
    """`base` with the cells at `idx` replaced by `new` (same order)."""
    if len(idx) == 0:
        return base
    mask = np.zeros(len(base), dtype=bool)
    mask[idx] = True
    spread = np.full(len(base), -1, dtype=np.int64)
    spread[idx] = np.arange(len(idx))
    taken = new.take(pa.array(np.where(mask, spread, 0)))
    return pc.if_else(pa.array(mask), taken, base)


def parse_columns(
    raw: dict[str, pa.Array], n: int, instrument: str, today: dt.date, memo: dict | None = None
) -> dict[str, ColumnValues]:
    """Every template column of the instrument, parsed (a column missing from the file reads as empty)."""
    out: dict[str, ColumnValues] = {}
    for column in T.columns_for(instrument):
        arr = raw.get(column.key)
        if arr is None:
            arr = pa.array([""] * n, pa.string()) if n else pa.array([], pa.string())
        if column.kind in _PLAIN_KINDS:
            if pa.types.is_dictionary(arr.type):
                arr = arr.cast(pa.string())
            out[column.key] = _plain_column(column, arr, instrument, today)
        else:
            out[column.key] = _dictionary_column(column, arr, instrument, today, memo)
    return out


# --- 2. NIK and KK --------------------------------------------------------------------------------------


@functools.cache
def _known_kecamatan() -> np.ndarray:
    table = np.zeros(1_000_000, dtype=bool)  # 6-digit code → known (current or retired)
    table[np.asarray(wilayah.known_kecamatan_codes(), dtype=np.int64)] = True
    return table


@functools.cache
def _known_province() -> np.ndarray:
    table = np.zeros(100, dtype=bool)
    table[np.asarray(wilayah.known_province_codes(), dtype=np.int64)] = True
    return table


_MONTH_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _digit_matrix(arr: pa.Array) -> np.ndarray:
    """A string array whose every value is 16 ASCII digits → (n, 16) int matrix (a compact copy first)."""
    arr = pc.take(arr, pa.array(np.arange(len(arr))))  # compact buffers, offsets from 0
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8, count=16 * len(arr))
    return data.reshape(len(arr), 16).astype(np.int64) - 48


def _date_suspect(
    dd: np.ndarray, mm: np.ndarray, yy: np.ndarray, ref: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    """(impossible DDMMYY, or possibly after `ref` in either century): a superset of the date rules."""
    ok = (mm >= 1) & (mm <= 12) & (dd >= 1) & (dd <= _MONTH_DAYS[np.clip(mm, 0, 12)])
    ok &= ~((mm == 2) & (dd == 29) & (yy % 4 != 0))
    ref_int = ref.year * 10000 + ref.month * 100 + ref.day
    year = np.where(2000 + yy <= ref.year, 2000 + yy, 1900 + yy)
    future = year * 10000 + mm * 100 + dd > ref_int
    return ~ok, future


def _identity_suspects(
    cols: dict[str, ColumnValues], ok_rows: np.ndarray, today: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    """Rows (among ok_rows) where a NIK rule, and where a KK rule, may fire: empty, not plain 16 digits,
    or a possible hit. Two masks, because the two checks are independent (check_kk reads only the KK).

    Deliberately a superset of nik.check_nik / kk.check_kk: a flagged cell only costs the domain's own check.
    """
    nik, kk = cols["nik"].arrow, cols["no_kk"].arrow
    plain_nik = pc.fill_null(pc.match_substring_regex(nik, _SIXTEEN), False).to_numpy(zero_copy_only=False)
    plain_kk = pc.fill_null(pc.match_substring_regex(kk, _SIXTEEN), False).to_numpy(zero_copy_only=False)
    suspects = {True: ok_rows & ~plain_nik, False: ok_rows & ~plain_kk}
    kec, prov = _known_kecamatan(), _known_province()
    for arr, is_nik, plain in ((nik, True, plain_nik), (kk, False, plain_kk)):
        check = np.flatnonzero(ok_rows & plain)
        if len(check) == 0:
            continue
        take = pa.array(check)
        hit = np.zeros(len(check), dtype=bool)
        d = _digit_matrix(arr.take(take))
        region = d[:, 0] * 100000 + d[:, 1] * 10000 + d[:, 2] * 1000 + d[:, 3] * 100 + d[:, 4] * 10 + d[:, 5]
        raw_dd, mm, yy = d[:, 6] * 10 + d[:, 7], d[:, 8] * 10 + d[:, 9], d[:, 10] * 10 + d[:, 11]
        serial = d[:, 12] * 1000 + d[:, 13] * 100 + d[:, 14] * 10 + d[:, 15]
        hit |= ~kec[region] | (serial == 0)
        if is_nik:
            hit |= ~prov[d[:, 0] * 10 + d[:, 1]]
            dd = np.where(raw_dd > 40, raw_dd - 40, raw_dd)
            bad_date, future = _date_suspect(dd, mm, yy, today)
            hit |= bad_date | future
            sex = pc.fill_null(cols["jenis_kelamin"].arrow.take(take), 0).to_numpy(zero_copy_only=False)
            hit |= (sex != 0) & (sex != np.where(raw_dd > 40, 2, 1))
            born = cols["tanggal_lahir"].arrow.take(take)
            has = born.is_valid().to_numpy(zero_copy_only=False)
            born = pc.fill_null(born, dt.date(2000, 1, 1))
            b_day = pc.day(born).to_numpy(zero_copy_only=False)
            b_month = pc.month(born).to_numpy(zero_copy_only=False)
            b_year = pc.year(born).to_numpy(zero_copy_only=False)
            hit |= has & ((b_day != dd) | (b_month != mm) | (b_year % 100 != yy))
            hit |= has & (b_year * 10000 + mm * 100 + dd > today.year * 10000 + today.month * 100 + today.day)
        else:
            bad_date, future = _date_suspect(raw_dd, mm, yy, today)
            hit |= bad_date | future
        suspects[is_nik][check[hit]] = True
    return suspects[True], suspects[False]


def _identity_issues(
    cols: dict[str, ColumnValues],
    rows: np.ndarray,
    row_numbers: np.ndarray,
    today: dt.date,
    strict: bool,
    check_nik: np.ndarray,
    check_kk: np.ndarray,
) -> list[Issue]:
    """The domain's identity check for these rows; NIK/KK become the cleaned digits, as in parse_row.

    Only the cells flagged in `check_nik` / `check_kk` are checked: the other one of a row is plain 16 digits
    no rule fires on, which the check would leave as it is.
    """
    issues: list[Issue] = []
    new_nik, new_kk = [], []
    for i in rows:
        nik, kk = cols["nik"].py(i), cols["no_kk"].py(i)
        values: dict[str, object] = {
            "jenis_kelamin": cols["jenis_kelamin"].py(i),
            "tanggal_lahir": cols["tanggal_lahir"].py(i),
        }
        if check_nik[i]:
            values["nik"] = nik
        if check_kk[i]:
            values["no_kk"] = kk
        invalid: set[str] = set()
        found = _check_identity(values, invalid, int(row_numbers[i]), today)
        if strict:
            found = [replace(x, severity="error") if not x.is_error else x for x in found]
        issues += found
        new_nik.append(values.get("nik", nik))
        new_kk.append(values.get("no_kk", kk))
        for key in invalid:
            cols[key].bad[i] = True
    if len(rows):
        for key, new in (("nik", new_nik), ("no_kk", new_kk)):
            c = cols[key]
            c.arrow = _scatter(c.arrow, rows, pa.array(new, pa.string()))
    return issues


def _life_suspects(cols: dict[str, ColumnValues], today: dt.date) -> np.ndarray:
    """Rows where `template._check_life` may fire: born after the pendataan, or a kepala keluarga born
    less than KEPALA_YOUNG_AGE years (counted generously: 366-day years) before the pendataan or today."""
    born = cols["tanggal_lahir"].arrow
    on = cols["tanggal_pendataan"].arrow
    days = lambda a: pc.cast(a, pa.int32()).to_numpy(zero_copy_only=False)  # noqa: E731
    b = days(pc.fill_null(born, dt.date(1, 1, 1)))
    has_born = born.is_valid().to_numpy(zero_copy_only=False)
    ref = days(pc.fill_null(on, today))
    suspect = has_born & on.is_valid().to_numpy(zero_copy_only=False) & (b > ref)
    head = pc.fill_null(pc.equal(cols["hubungan_kk"].arrow, regsosek2022.KEPALA_KELUARGA), False)
    young = b > ref - 366 * T.KEPALA_YOUNG_AGE
    return suspect | (has_born & head.to_numpy(zero_copy_only=False) & young)


# --- 4. across rows -------------------------------------------------------------------------------------


def _compare_key(c: ColumnValues) -> np.ndarray:
    """An int per cell, equal for equal values (distinct texts may share a value: then only over-flagged)."""
    if c.indices is not None:
        return c.indices
    return _codes(c.arrow)


def _codes(arr: pa.Array) -> np.ndarray:
    """Dictionary codes of a string array, -1 for null."""
    enc = pc.dictionary_encode(arr)
    return pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)


class _Groups:
    """Rows grouped by one key (id_ruta or id_keluarga): per-group reductions with numpy."""

    def __init__(self, codes: np.ndarray) -> None:
        self.codes = codes
        self.order = np.argsort(codes, kind="stable")
        g = codes[self.order]
        first = np.flatnonzero(g >= 0)
        self.order, g = self.order[first], g[first]
        self.starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.zeros(0, dtype=np.int64)
        self.group = g[self.starts] if len(g) else np.zeros(0, dtype=np.int64)
        self.size = int(codes.max()) + 1 if len(codes) else 0

    def differs(self, values: np.ndarray) -> np.ndarray:
        v = values[self.order]
        if not len(v):
            return np.zeros(0, dtype=bool)
        return np.minimum.reduceat(v, self.starts) != np.maximum.reduceat(v, self.starts)

    def total(self, values: np.ndarray) -> np.ndarray:
        v = values[self.order].astype(np.int64)
        return np.add.reduceat(v, self.starts) if len(v) else np.zeros(0, dtype=np.int64)

    def any_duplicate(self, values: np.ndarray) -> np.ndarray:
        """Groups where two rows share `values` (no_urut twice in a keluarga)."""
        order = np.lexsort((values, self.codes))
        order = order[self.codes[order] >= 0]
        g, v = self.codes[order], values[order]
        dup = (g[1:] == g[:-1]) & (v[1:] == v[:-1])
        out = np.zeros(self.size, dtype=bool)
        out[g[1:][dup]] = True
        return out[self.group]

    def mark(self, flags: np.ndarray) -> np.ndarray:
        out = np.zeros(self.size, dtype=bool)
        out[self.group[flags]] = True
        return out


def _flagged_groups(
    cols: dict[str, ColumnValues], bad_rows: np.ndarray, instrument: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ruta code per row, keluarga code per row, flagged ruta codes, flagged keluarga codes).

    A group is flagged when a cross-row rule could fire in it or when one of its rows has an error.
    """
    fields = T.columns_for(instrument)
    ruta_cols = [c.key for c in fields if c.level == "ruta" and c.key != "id_ruta"]
    kel_cols = [c.key for c in fields if c.level == "keluarga" and c.key != "id_keluarga"]
    r_codes, k_codes = _codes(cols["id_ruta"].arrow), _codes(cols["id_keluarga"].arrow)
    ruta, kel = _Groups(r_codes), _Groups(k_codes)

    head = regsosek2022.KEPALA_KELUARGA if instrument != PBDT2015 else pbdt2015.KEPALA_KELUARGA
    hub = pc.fill_null(pc.equal(cols["hubungan_kk"].arrow, head), False).to_numpy(zero_copy_only=False)
    no_urut = pc.fill_null(cols["no_urut"].arrow, -1).to_numpy(zero_copy_only=False)
    k_flag = kel.total(bad_rows) > 0
    k_flag |= kel.total(hub) != 1
    k_flag |= kel.differs(r_codes)
    k_flag |= kel.any_duplicate(no_urut)
    for key in kel_cols:
        k_flag |= kel.differs(_compare_key(cols[key]))

    r_flag = ruta.total(bad_rows) > 0
    if "hubungan_krt" in cols:
        krt = pc.fill_null(pc.equal(cols["hubungan_krt"].arrow, pbdt2015.KEPALA_RUMAH_TANGGA), False)
        r_flag |= ruta.total(krt.to_numpy(zero_copy_only=False)) != 1
    for key in ruta_cols:
        r_flag |= ruta.differs(_compare_key(cols[key]))
    return r_codes, k_codes, ruta.mark(r_flag), kel.mark(k_flag)


def _closure(r_codes: np.ndarray, k_codes: np.ndarray, ruta: np.ndarray, kel: np.ndarray) -> np.ndarray:
    """Rows of the flagged groups, grown until every id_ruta and id_keluarga in the set is complete."""
    ruta, kel = np.r_[ruta, False], np.r_[kel, False]  # code -1 (no valid key) indexes the extra False
    mask = ruta[r_codes] | kel[k_codes]
    while True:
        ruta[r_codes[mask]] = True
        kel[k_codes[mask]] = True
        ruta[-1] = kel[-1] = False
        new = ruta[r_codes] | kel[k_codes]
        if (new == mask).all():
            return mask
        mask = new


# --- the whole file -------------------------------------------------------------------------------------


def validate(
    raw: dict[str, pa.Array],
    row_numbers: np.ndarray,
    *,
    instrument: str,
    strict: bool = False,
    reference_date: dt.date | None = None,
    raw_row=None,
    memo: dict | None = None,
) -> Validated:
    """All issues of a file and its parsed columns. `raw` maps lower-case header → cell text ("" = empty).

    `raw_row(i)` gives row i as a header → text dict for `parse_row` (default: built from `raw`). Pass the
    same `memo` dict when validating slices of one file: each dictionary column is then parsed once.
    """
    today = reference_date or dt.date.today()
    n = len(row_numbers)
    cols = parse_columns(raw, n, instrument, today, memo)
    if raw_row is None:

        def raw_row(i: int) -> dict[str, str]:
            return {k: a[i].as_py() or "" for k, a in raw.items()}

    bad = np.zeros(n, dtype=bool)
    for c in cols.values():
        bad |= c.bad
    bad |= _life_suspects(cols, today)  # parse_row says what they are (error, warning or nothing)
    issues: list[Issue] = []
    parsed: dict[int, T.ParsedRow] = {}
    for i in np.flatnonzero(bad):
        row, found = T.parse_row(
            raw_row(int(i)), int(row_numbers[i]), instrument=instrument, strict=strict, reference_date=today
        )
        parsed[int(i)] = row
        issues += found

    check_nik, check_kk = _identity_suspects(cols, ~bad, today)
    suspects = check_nik | check_kk
    rows = np.flatnonzero(suspects)
    issues += _identity_issues(cols, rows, row_numbers, today, strict, check_nik, check_kk)
    for i in np.flatnonzero(suspects):
        if any(c.bad[i] for c in (cols["nik"], cols["no_kk"])):
            bad[i] = True  # NIK_FORMAT/KK_FORMAT: the row is invalid, as parse_row would say

    r_codes, k_codes, ruta, kel = _flagged_groups(cols, bad, instrument)
    if ruta.any() or kel.any():
        members = np.flatnonzero(_closure(r_codes, k_codes, ruta, kel))
        rows = [parsed.get(int(i)) or _parsed_row(cols, int(i), row_numbers, instrument) for i in members]
        issues += T.check_rows(rows)
    issues.sort(key=issue_order)
    return Validated(instrument, row_numbers, cols, issues)


def _parsed_row(
    cols: dict[str, ColumnValues], i: int, row_numbers: np.ndarray, instrument: str
) -> T.ParsedRow:
    values = {k: c.py(i) for k, c in cols.items()}
    values["nik"] = cols["nik"].arrow[i].as_py()
    values["no_kk"] = cols["no_kk"].arrow[i].as_py()
    invalid = frozenset(k for k, c in cols.items() if c.bad[i])
    return T.ParsedRow(int(row_numbers[i]), instrument, values, invalid)


def issue_order(issue: Issue) -> tuple:
    rows = getattr(issue, "rows", ()) or (0,)
    return (rows[0], issue.field or "", issue.code, issue.message)


def reference_validate(
    rows: list[dict[str, str]],
    row_numbers: Iterable[int],
    *,
    instrument: str,
    strict: bool = False,
    reference_date: dt.date | None = None,
) -> tuple[list[T.ParsedRow], list[Issue]]:
    """parse_row on every row + check_rows: the slow definition `validate` must equal (used by the tests)."""
    parsed, issues = [], []
    for raw, number in zip(rows, row_numbers, strict=True):
        row, found = T.parse_row(
            raw, number, instrument=instrument, strict=strict, reference_date=reference_date
        )
        parsed.append(row)
        issues += found
    issues += T.check_rows(parsed)
    issues.sort(key=issue_order)
    return parsed, issues

"""The NIK and KK structure rules as SQL, for the verval engine to run set-wise over millions of rows.

Each rule is a SQL expression that yields its issue code or NULL, mirroring `nik.check_nik` and
`kk.check_kk` exactly (tests/domain/test_rules_sql.py runs both over thousands of values and compares).
The SQL is written in plain ANSI-style SQL that sqlglot parses in its default dialect and transpiles to
DuckDB, PostgreSQL and Spark: SUBSTRING, LENGTH, REPLACE, CHR, CAST, CASE, MOD, EXTRACT, IN and LIKE only
(no regular expressions, no TRY_CAST). "Only digits" is tested by deleting the ten digits with REPLACE.

Casts sit inside `CASE WHEN <well formed> THEN ... END`, so they only see 16 digits; every engine we target
evaluates CASE branches lazily. The region rule needs a lookup: LEFT JOIN a one-column table of
`wilayah.known_kecamatan_codes()` (6 digits, no dots) with `kecamatan_join` and pass its alias.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from siks.domain import wilayah
from siks.domain.nik import SEPARATORS, WHITESPACE

KECAMATAN_TABLE = "known_kecamatan"


@dataclass(frozen=True, slots=True)
class Cleaned:
    """SQL fragments for one NIK/KK column: the raw value, without whitespace, and without any separator."""

    raw: str
    compact: str
    digits: str
    well_formed: str | None = None  # a column already holding `_well_formed` (check_query computes it once)


def _remove(expr: str, chars: str) -> str:
    for ch in chars:
        literal = f"'{ch}'" if ch.isprintable() and ch != "'" and ch != "\u00a0" else f"CHR({ord(ch)})"
        expr = f"REPLACE({expr}, {literal}, '')"
    return expr


def cleaned(column: str) -> Cleaned:
    """Inline fragments for `column`, removing exactly the characters `nik.clean` removes."""
    compact = _remove(column, WHITESPACE)
    return Cleaned(column, compact, _remove(compact, SEPARATORS[len(WHITESPACE) :]))


def _well_formed(c: Cleaned) -> str:
    if c.well_formed is not None:
        return c.well_formed
    only_digits = f"LENGTH({_remove(c.digits, '0123456789')}) = 0"
    return f"(LENGTH({c.digits}) = 16 AND {only_digits} AND {c.compact} NOT LIKE '%.0')"


def _int(c: Cleaned, start: int, length: int) -> str:
    return f"CAST(SUBSTRING({c.digits}, {start}, {length}) AS INTEGER)"


def _date_ok(dd: str, mm: str, yy: str) -> str:
    """Mirror of `nik.date_digits_valid`: 29 Feb needs YY % 4 == 0 (2000 is a leap year)."""
    month_days = (
        f"CASE WHEN {mm} = 2 THEN CASE WHEN MOD({yy}, 4) = 0 THEN 29 ELSE 28 END "
        f"WHEN {mm} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    )
    return f"({mm} BETWEEN 1 AND 12 AND {dd} >= 1 AND {dd} <= {month_days})"


def _year(yy: str, reference_date: date, birth_date: str | None) -> str:
    """Mirror of `nik.infer_year`, preferring the recorded birth date's century when its YY matches."""
    inferred = f"CASE WHEN 2000 + {yy} <= {reference_date.year} THEN 2000 + {yy} ELSE 1900 + {yy} END"
    if birth_date is None:
        return inferred
    year = f"EXTRACT(YEAR FROM {birth_date})"
    return f"CASE WHEN {birth_date} IS NOT NULL AND MOD({year}, 100) = {yy} THEN {year} ELSE {inferred} END"


def _when_well_formed(c: Cleaned, condition: str, code: str) -> str:
    return f"CASE WHEN {_well_formed(c)} THEN CASE WHEN {condition} THEN '{code}' END END"


def _empty_and_format(c: Cleaned, prefix: str) -> dict[str, str]:
    return {
        f"{prefix}_EMPTY": f"CASE WHEN {c.raw} IS NULL OR {c.digits} = '' THEN '{prefix}_EMPTY' END",
        f"{prefix}_FORMAT": (
            f"CASE WHEN {c.raw} IS NOT NULL AND {c.digits} <> '' AND NOT {_well_formed(c)} "
            f"THEN '{prefix}_FORMAT' END"
        ),
    }


def _provinces() -> str:
    return ", ".join(f"'{p}'" for p in wilayah.known_province_codes())


def nik_rules(
    column: str | Cleaned,
    *,
    reference_date: date | None = None,
    sex: str | None = None,
    birth_date: str | None = None,
    kecamatan_alias: str | None = None,
) -> dict[str, str]:
    """{issue code: SQL expression giving that code or NULL} for a NIK column.

    `sex` (integer 1/2) and `birth_date` (DATE) are column expressions of the same row; without them the
    two mismatch rules are left out. NIK_REGION is included only with `kecamatan_alias`, the alias of the
    table joined by `kecamatan_join`.
    """
    c = column if isinstance(column, Cleaned) else cleaned(column)
    ref = reference_date or date.today()
    raw_dd, mm, yy = _int(c, 7, 2), _int(c, 9, 2), _int(c, 11, 2)
    dd = f"CASE WHEN {raw_dd} > 40 THEN {raw_dd} - 40 ELSE {raw_dd} END"
    date_ok = _date_ok(dd, mm, yy)
    year = _year(yy, ref, birth_date)
    ref_int = ref.year * 10000 + ref.month * 100 + ref.day

    rules = _empty_and_format(c, "NIK")
    province = f"SUBSTRING({c.digits}, 1, 2)"
    rules["NIK_PROVINCE"] = _when_well_formed(c, f"{province} NOT IN ({_provinces()})", "NIK_PROVINCE")
    if kecamatan_alias:
        rules["NIK_REGION"] = _when_well_formed(
            c, f"{province} IN ({_provinces()}) AND {kecamatan_alias}.code IS NULL", "NIK_REGION"
        )
    rules["NIK_BIRTHDATE"] = _when_well_formed(c, f"NOT {date_ok}", "NIK_BIRTHDATE")
    rules["NIK_FUTURE_BIRTH"] = _when_well_formed(
        c, f"{date_ok} AND ({year}) * 10000 + {mm} * 100 + {dd} > {ref_int}", "NIK_FUTURE_BIRTH"
    )
    rules["NIK_SERIAL"] = _when_well_formed(c, f"SUBSTRING({c.digits}, 13, 4) = '0000'", "NIK_SERIAL")
    if sex is not None:
        nik_sex = f"CASE WHEN {raw_dd} > 40 THEN 2 ELSE 1 END"
        rules["NIK_SEX_MISMATCH"] = _when_well_formed(
            c, f"{date_ok} AND {sex} IN (1, 2) AND {sex} <> {nik_sex}", "NIK_SEX_MISMATCH"
        )
    if birth_date is not None:
        differs = (
            f"(EXTRACT(DAY FROM {birth_date}) <> {dd} OR EXTRACT(MONTH FROM {birth_date}) <> {mm} "
            f"OR MOD(EXTRACT(YEAR FROM {birth_date}), 100) <> {yy})"
        )
        rules["NIK_BIRTHDATE_MISMATCH"] = _when_well_formed(
            c, f"{date_ok} AND {birth_date} IS NOT NULL AND {differs}", "NIK_BIRTHDATE_MISMATCH"
        )
    return rules


def kk_rules(
    column: str | Cleaned, *, reference_date: date | None = None, kecamatan_alias: str | None = None
) -> dict[str, str]:
    """{issue code: SQL expression giving that code or NULL} for a KK column (see `kk` for the rules)."""
    c = column if isinstance(column, Cleaned) else cleaned(column)
    ref = reference_date or date.today()
    dd, mm, yy = _int(c, 7, 2), _int(c, 9, 2), _int(c, 11, 2)
    date_ok = _date_ok(dd, mm, yy)
    ref_int = ref.year * 10000 + ref.month * 100 + ref.day
    future = f"({_year(yy, ref, None)}) * 10000 + {mm} * 100 + {dd} > {ref_int}"

    rules = _empty_and_format(c, "KK")
    if kecamatan_alias:
        rules["KK_REGION"] = _when_well_formed(c, f"{kecamatan_alias}.code IS NULL", "KK_REGION")
    rules["KK_DATE"] = _when_well_formed(c, f"NOT {date_ok} OR {future}", "KK_DATE")
    rules["KK_SERIAL"] = _when_well_formed(c, f"SUBSTRING({c.digits}, 13, 4) = '0000'", "KK_SERIAL")
    return rules


def kecamatan_join(column: str | Cleaned, *, table: str = KECAMATAN_TABLE, alias: str = "k") -> str:
    """`LEFT JOIN table AS alias ON alias.code = <first 6 digits>`: the lookup for NIK_REGION/KK_REGION."""
    c = column if isinstance(column, Cleaned) else cleaned(column)
    return f"LEFT JOIN {table} AS {alias} ON {alias}.code = SUBSTRING({c.digits}, 1, 6)"


def check_query(
    table: str,
    key: str,
    *,
    nik: str | None = None,
    kk: str | None = None,
    sex: str | None = None,
    birth_date: str | None = None,
    reference_date: date | None = None,
    kecamatan_table: str = KECAMATAN_TABLE,
) -> str:
    """One SELECT giving `key` and one column per rule (lower-case code; the code or NULL).

    The cleaned digits, and whether they are well formed, are computed once in a derived table, then
    joined to `kecamatan_table` (column `code`, 6 digits) for the region rules. Column arguments are names
    of columns of `table`.
    """
    inner = [f"{key} AS row_key"]
    oks: list[str] = []
    outer = ["s.row_key"]
    joins = []
    if sex is not None:
        inner.append(f"{sex} AS sex")
    if birth_date is not None:
        inner.append(f"{birth_date} AS birth_date")
    for name, column in (("nik", nik), ("kk", kk)):
        if column is None:
            continue
        c = cleaned(column)
        inner += [f"{column} AS {name}_raw", f"{c.compact} AS {name}_compact", f"{c.digits} AS {name}_digits"]
        # every rule of a column asks "well formed?" first: answer it once per row, not once per rule
        oks.append(
            f"{_well_formed(Cleaned(f'w.{name}_raw', f'w.{name}_compact', f'w.{name}_digits'))} AS {name}_ok"
        )
        fragments = Cleaned(f"s.{name}_raw", f"s.{name}_compact", f"s.{name}_digits", f"s.{name}_ok")
        alias = f"{name}_kec"
        joins.append(kecamatan_join(fragments, table=kecamatan_table, alias=alias))
        if name == "nik":
            rules = nik_rules(
                fragments,
                reference_date=reference_date,
                sex="s.sex" if sex is not None else None,
                birth_date="s.birth_date" if birth_date is not None else None,
                kecamatan_alias=alias,
            )
        else:
            rules = kk_rules(fragments, reference_date=reference_date, kecamatan_alias=alias)
        outer += [f"{expr} AS {code.lower()}" for code, expr in rules.items()]
    select = ",\n  ".join(outer)
    derived = ", ".join(inner)
    derived = (
        f"SELECT w.*, {', '.join(oks)} FROM (SELECT {derived} FROM {table}) AS w"
        if oks
        else f"SELECT {derived} FROM {table}"
    )
    return f"SELECT\n  {select}\nFROM ({derived}) AS s\n" + "\n".join(joins)

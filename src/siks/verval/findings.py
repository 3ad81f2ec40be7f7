"""The one shape findings take, and its SQL: level and explanation rendered from the finding catalog.

Why: a code is what reports, tests, the web app and adjudication key on, so it must never change meaning;
what it means lives in `siks.domain.finding_catalog` (readable without this package). The explanation is
rendered set-wise in SQL from the catalog's template, so millions of findings never pass through Python.
"""

from __future__ import annotations

import re

import sqlglot

from siks.domain import finding_catalog
from siks.domain.finding_catalog import LEVELS, FindingCode

#: The standard columns of every findings table, in order (the store table has the same names).
FINDING_COLUMNS = (
    "run_id",
    "code",
    "level",  # anggota | keluarga | ruta
    "member_ref",  # id_keluarga-no_urut (NULL for ruta/keluarga-level findings)
    "family_ref",  # id_keluarga
    "household_ref",  # id_ruta
    "kode_desa",
    "nik",
    "related_nik",  # suggested NIK, the other record's NIK, the NIK behind a flag
    "related_ref",  # the other record (ganda)
    "cluster_id",  # ganda cluster, stable across runs
    "weight",  # Splink match weight where one applies
    "rank",  # 1..3 for repair suggestions
    "evidence",  # JSON text: every extra column the step selected
    "explanation",  # Bahasa Indonesia, rendered from the code's template
)
_TYPES = {"weight": "DOUBLE", "rank": "INT"}
__all__ = ["FINDING_COLUMNS", "LEVELS", "FindingCode", "findings_select"]
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def placeholders(template: str) -> list[str]:
    return _PLACEHOLDER.findall(template)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Desa codes the pipeline compares as bare digits (3509152001) but people read dotted (35.09.15.2001).
DESA_COLUMNS = frozenset({"kode_desa", "kode_desa_dukcapil"})


def dotted_desa_sql(expr: str) -> str:
    """A 10-digit desa code dotted as everywhere else in siks; anything else as it is (portable SQL)."""
    return (
        f"CASE WHEN LENGTH({expr}) = 10 THEN SUBSTRING({expr}, 1, 2) || '.' || SUBSTRING({expr}, 3, 2)"
        f" || '.' || SUBSTRING({expr}, 5, 2) || '.' || SUBSTRING({expr}, 7, 4) ELSE {expr} END"
    )


def explanation_sql(fc: FindingCode) -> str:
    """The template as a neutral SQL string expression (NULL values render as '-', desa codes dotted)."""
    parts: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(fc.template):
        if m.start() > pos:
            parts.append(_quote(fc.template[pos : m.start()]))
        value = f"CAST(f.{m.group(1)} AS VARCHAR)"
        if m.group(1) in DESA_COLUMNS:
            value = dotted_desa_sql(value)
        parts.append(f"COALESCE({value}, '-')")
        pos = m.end()
    if pos < len(fc.template):
        parts.append(_quote(fc.template[pos:]))
    return " || ".join(parts) if parts else "''"


def _json_string(expr: str) -> str:
    esc = f"REPLACE(REPLACE(CAST({expr} AS VARCHAR), '\\', '\\\\'), '\"', '\\\"')"
    return f"COALESCE('\"' || {esc} || '\"', 'null')"


def evidence_sql(columns: list[str]) -> str:
    """A JSON object of the given columns (values as strings), built with portable string functions."""
    if not columns:
        return "'{}'"
    items = [f"'\"{c}\":' || {_json_string('f.' + c)}" for c in columns]
    return "'{' || " + " || ',' || ".join(items) + " || '}'"


def output_columns(select_sql: str) -> list[str]:
    """Names of the columns a SELECT returns (every expression needs an alias)."""
    names = sqlglot.parse_one(select_sql).named_selects
    if "*" in names or "" in names:
        raise ValueError("kueri temuan harus menamai setiap kolom (tanpa SELECT *)")
    return [n.lower() for n in names]


def findings_select(select_sql: str, run_id: str) -> str:
    """Wrap a step's SELECT into the standard findings shape: fill missing columns, render explanation
    and level from the code, fold extra columns into `evidence`."""
    cols = output_columns(select_sql)
    if "code" not in cols:
        raise ValueError("kueri temuan harus memiliki kolom 'code'")
    extras = [c for c in cols if c not in FINDING_COLUMNS]
    available = set(cols)
    codes = finding_catalog.all_codes()
    level_cases = " ".join(f"WHEN {_quote(c.code)} THEN {_quote(c.level)}" for c in codes.values())
    expl_cases = " ".join(
        f"WHEN {_quote(c.code)} THEN {explanation_sql(c)}"
        for c in codes.values()
        if set(placeholders(c.template)) <= available
    )
    out: list[str] = []
    for c in FINDING_COLUMNS:
        typ = _TYPES.get(c, "VARCHAR")
        if c == "run_id":
            out.append(f"{_quote(run_id)} AS run_id")
        elif c == "level" and "level" not in available:
            out.append(
                f"CASE f.code {level_cases} ELSE 'anggota' END AS level"
                if level_cases
                else "'anggota' AS level"
            )
        elif c == "evidence" and "evidence" not in available:
            out.append(f"{evidence_sql(extras)} AS evidence")
        elif c == "explanation" and "explanation" not in available:
            out.append(
                f"CASE f.code {expl_cases} ELSE NULL END AS explanation"
                if expl_cases
                else "CAST(NULL AS VARCHAR) AS explanation"
            )
        elif c in available:
            out.append(f"CAST(f.{c} AS {typ}) AS {c}")
        else:
            out.append(f"CAST(NULL AS {typ}) AS {c}")
    return f"SELECT {', '.join(out)} FROM ({select_sql}) AS f"

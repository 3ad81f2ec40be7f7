"""Finding codes, their level and their plain-Indonesian explanation, plus the one shape findings take.

Why: a code is what reports, tests, the web app and adjudication key on, so it must never change meaning;
the explanation is rendered set-wise in SQL from a template, so millions of findings never pass through
Python. Steps written elsewhere (PMT, eligibility) add their codes with `define()` in their own module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot

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
LEVELS = ("anggota", "keluarga", "ruta")


@dataclass(frozen=True)
class FindingCode:
    code: str
    level: str
    title: str  # short Indonesian label for reports
    template: str  # Indonesian; {column} placeholders name columns of the step's SELECT
    step: str


CODES: dict[str, FindingCode] = {}
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def define(code: str, level: str, title: str, template: str, step: str) -> FindingCode:
    """Register a finding code (idempotent for an identical definition)."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r} bukan salah satu dari {LEVELS}")
    fc = FindingCode(code, level, title, template, step)
    if code in CODES and CODES[code] != fc:
        raise ValueError(f"kode temuan {code} sudah didefinisikan berbeda")
    CODES[code] = fc
    return fc


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
    level_cases = " ".join(f"WHEN {_quote(c.code)} THEN {_quote(c.level)}" for c in CODES.values())
    expl_cases = " ".join(
        f"WHEN {_quote(c.code)} THEN {explanation_sql(c)}"
        for c in CODES.values()
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


# --- the codes of the verval steps in this package ------------------------------------------------------
# Structure codes come from siks.domain.nik / siks.domain.kk (same code, same meaning as import warnings);
# they are defined in steps/structure.py from the domain's RULES tables.

define(
    "PADAN_NIK_UNKNOWN",
    "anggota",
    "NIK tidak ditemukan di Dukcapil",
    "NIK {nik} tidak terdaftar di data Dukcapil, sehingga data {nama} tidak padan. "
    "Periksa saran perbaikan NIK atau minta fotokopi KTP/KK.",
    "padan",
)
define(
    "PADAN_NO_NIK",
    "anggota",
    "NIK kosong atau tidak 16 digit",
    "{nama} tidak memiliki NIK yang sah ({nik}), sehingga tidak dapat dipadankan dengan Dukcapil. "
    "Periksa saran NIK atau minta fotokopi KTP/KK.",
    "padan",
)
define(
    "PADAN_NAME_MISMATCH",
    "anggota",
    "Nama berbeda dengan Dukcapil",
    "NIK {nik} terdaftar di Dukcapil atas nama {nama_dukcapil}, sedangkan di DTKS tertulis {nama}. "
    "Tanggal lahir dan jenis kelamin sama; kemungkinan nama panggilan atau salah tulis.",
    "padan",
)
define(
    "PADAN_IDENTITY_MISMATCH",
    "anggota",
    "Identitas berbeda dengan Dukcapil",
    "NIK {nik} terdaftar di Dukcapil dengan data berbeda ({fields}): Dukcapil {nama_dukcapil}, "
    "lahir {tanggal_lahir_dukcapil}, jenis kelamin {jk_dukcapil}; DTKS {nama}, lahir {tanggal_lahir}, "
    "jenis kelamin {jenis_kelamin}.",
    "padan",
)
define(
    "PADAN_OTHER_PERSON",
    "anggota",
    "NIK milik orang lain",
    "NIK {nik} milik orang lain menurut Dukcapil ({nama_dukcapil}, lahir {tanggal_lahir_dukcapil}). "
    "Data {nama} lebih cocok dengan NIK {related_nik} (bobot {bobot}).",
    "padan",
)
define(
    "NIK_SUGGESTION",
    "anggota",
    "Saran perbaikan NIK",
    "Saran ke-{rank}: NIK {related_nik} atas nama {nama_dukcapil}, lahir {tanggal_lahir_dukcapil}, "
    "desa {kode_desa_dukcapil}, No. KK {no_kk_dukcapil} (bobot kecocokan {bobot}).",
    "padan",
)
define(
    "KK_CHANGED",
    "anggota",
    "No. KK berubah di Dukcapil",
    "Menurut Dukcapil, No. KK {nama} sekarang {no_kk_dukcapil}, bukan {no_kk} "
    "(pecah KK, pindah, atau kepala keluarga meninggal). Perbarui No. KK.",
    "kk",
)
define(
    "MOVED",
    "anggota",
    "Pindah domisili menurut Dukcapil",
    "Menurut Dukcapil, {nama} berdomisili di desa {kode_desa_dukcapil}, bukan {kode_desa}. "
    "Periksa apakah masih tinggal bersama keluarga.",
    "kk",
)
define(
    "DUP_NIK",
    "anggota",
    "NIK sama pada lebih dari satu ART",
    "NIK {nik} juga dipakai oleh ART {related_ref} ({related_nama}). Satu NIK hanya untuk satu orang.",
    "ganda",
)
define(
    "DUP",
    "anggota",
    "Ganda",
    "{nama} kemungkinan besar orang yang sama dengan ART {related_ref} ({related_nama}, "
    "desa {related_desa}); bobot kecocokan {bobot}. Kelompok ganda {cluster_id}.",
    "ganda",
)
define(
    "DUP_POSSIBLE",
    "anggota",
    "Mungkin ganda (perlu diputuskan)",
    "{nama} mungkin orang yang sama dengan ART {related_ref} ({related_nama}, desa {related_desa}); "
    "bobot kecocokan {bobot}. Perlu diputuskan petugas: sama atau berbeda orang.",
    "ganda",
)
define(
    "DECEASED",
    "anggota",
    "Meninggal menurut Dukcapil",
    "Menurut Dukcapil, {nama} (NIK {related_nik}) telah meninggal pada {tanggal_meninggal}. "
    "Usulkan nonaktif; bila penerima bansos, periksa ahli waris/pengurus.",
    "exclusions",
)
define(
    "ASN",
    "anggota",
    "ASN/TNI/Polri",
    "{nama} (NIK {related_nik}) tercatat sebagai {jenis} di {instansi}.",
    "exclusions",
)
define(
    "HOUSEHOLD_ASN",
    "ruta",
    "Keluarga ASN/TNI/Polri",
    "Rumah tangga ini memiliki anggota {jenis}: {nama} (NIK {related_nik}, {instansi}). "
    "Keluarga ASN/TNI/Polri dikecualikan dari bansos.",
    "exclusions",
)
define(
    "PLN_NONSUBSIDI",
    "ruta",
    "Pelanggan PLN ≥ 900 VA nonsubsidi",
    "Anggota rumah tangga {nama} (NIK {related_nik}) adalah pelanggan PLN {id_pelanggan} dengan daya "
    "{daya_va} VA, tarif {tarif} (nonsubsidi).",
    "exclusions",
)
define(
    "CAR_OWNER",
    "ruta",
    "Pemilik mobil (roda empat)",
    "Anggota rumah tangga {nama} (NIK {related_nik}) memiliki kendaraan roda empat {no_polisi}.",
    "exclusions",
)

"""Eligibility rules as data: a small rule language, its checker, and its evaluation for one person.

Why a language and not SQL: a kabupaten or a program must be able to read, review and change who is
excluded without writing SQL, and nothing a user types may reach a database as code (docs/sources.md §2.8).
A rule set is JSON; each rule names a condition under which an anggota is *not* eligible, and the finding it
produces carries the rule's code. `siks.verval.rules_sql` compiles the same rules to SQL for the batch run;
`evaluate` here answers "why" for one person. Both follow the same two-valued logic: a comparison with an
unknown (NULL) value is false, so `not` of it is true, on both sides.

Conditions:
  {"field": F, "op": OP, "value": V}   OP in = != < <= > >= in not_in; is_null / not_null take no value
  {"and": [C, ...]}  {"or": [C, ...]}  {"not": C}
  {"has_finding": CODE, "scope": "anggota" | "keluarga" | "ruta"}   a verval finding on the person, or on
                                        anyone of (or the whole of) their keluarga / ruta
  {"any_member": "keluarga" | "ruta", "when": C}   some anggota of the same keluarga / ruta meets C
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from siks.domain import finding_catalog

FORMAT = "siks-rules/1"
FieldType = Literal["int", "float", "text", "bool"]

#: Every field a rule may name, with its type. The eligibility step builds one row per anggota with
#: exactly these columns; nothing else can be referred to.
FIELDS: dict[str, tuple[FieldType, str]] = {
    "nik": ("text", "NIK (16 digit, kosong bila tidak sah)"),
    "status_padan": ("text", "Status padan Dukcapil (PADAN, TIDAK_PADAN, TANPA_NIK; kosong: belum)"),
    "umur": ("int", "Umur (tahun) pada tanggal acuan"),
    "jenis_kelamin": ("int", "Jenis kelamin (1 laki-laki, 2 perempuan)"),
    "hubungan_kk": ("int", "Hubungan dengan kepala keluarga [409]"),
    "keberadaan": ("int", "Keberadaan ART [404]"),
    "status_kawin": ("int", "Status perkawinan [408]"),
    "hamil": ("int", "Sedang hamil [410]"),
    "pendidikan": ("int", "Jenjang pendidikan tertinggi [413]"),
    "bekerja": ("int", "Bekerja seminggu lalu [416a] (1 ya, 2 tidak)"),
    "status_pekerjaan": ("int", "Status kedudukan dalam pekerjaan [418]"),
    "lapangan_usaha": ("int", "Lapangan usaha [417]"),
    "penyakit_kronis": ("int", "Penyakit kronis [430]"),
    "disabilitas": ("bool", "Disabilitas berat (salah satu 428 berkode 1/2)"),
    "kode_desa": ("text", "Kode desa (10 digit)"),
    "kode_kecamatan": ("text", "Kode kecamatan (6 digit)"),
    "kode_kabupaten": ("text", "Kode kabupaten/kota (4 digit)"),
    "kode_provinsi": ("text", "Kode provinsi (2 digit)"),
    "jumlah_art": ("int", "Jumlah ART ruta yang tinggal bersama"),
    "skor_pmt": ("float", "Skor PMT ruta (log konsumsi per kapita)"),
    "desil": ("int", "Desil ruta (1 termiskin … 10)"),
    "kriteria_bps": ("int", "Jumlah kriteria miskin BPS yang terpenuhi"),
    "miskin_bps": ("bool", "Memenuhi ≥ 9 kriteria miskin BPS"),
}
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
OPS = (*COMPARISONS, "in", "not_in", "is_null", "not_null")
ORDERED_TYPES = ("int", "float")
SCOPES = ("anggota", "keluarga", "ruta")
MEMBER_SCOPES = ("keluarga", "ruta")
CODE = re.compile(r"[A-Z][A-Z0-9_]{1,59}")
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
MAX_DEPTH = 12
MAX_LIST = 1000
MAX_TEXT = 200


class RuleError(ValueError):
    """A rule that cannot be used; the message is Indonesian and says where (rule code, path)."""


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    when: Mapping[str, object]
    explanation: str  # Indonesian; may use {field} placeholders of FIELDS
    title: str = ""


@dataclass(frozen=True, slots=True)
class RuleSet:
    name: str
    version: str
    rules: tuple[Rule, ...]
    description: str = ""
    provenance: Mapping[str, object] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"


# -- checking ----------------------------------------------------------------------------------------------


def _check_value(value: object, ftype: FieldType, where: str) -> None:
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "text": isinstance(value, str),
        "bool": isinstance(value, bool),
    }[ftype]
    if not ok:
        raise RuleError(f"{where}: nilai {value!r} bukan bertipe {ftype}.")
    if isinstance(value, str) and (len(value) > MAX_TEXT or any(ord(ch) < 32 for ch in value)):
        raise RuleError(f"{where}: teks terlalu panjang atau berisi karakter kontrol.")
    if isinstance(value, float) and value != value:  # NaN
        raise RuleError(f"{where}: nilai NaN tidak boleh dipakai.")


def check_condition(cond: object, where: str = "when", depth: int = 0, in_member: bool = False) -> None:
    """Raise RuleError unless `cond` is a well-formed condition over known fields and operators."""
    if depth > MAX_DEPTH:
        raise RuleError(f"{where}: kondisi terlalu dalam (maksimal {MAX_DEPTH} tingkat).")
    if not isinstance(cond, Mapping) or not cond:
        raise RuleError(f"{where}: kondisi harus berupa objek.")
    keys = set(cond)
    if keys <= {"and"} or keys <= {"or"}:
        (op,) = keys
        parts = cond[op]
        if not isinstance(parts, list) or not parts:
            raise RuleError(f"{where}.{op}: harus berupa daftar kondisi yang tidak kosong.")
        for i, part in enumerate(parts):
            check_condition(part, f"{where}.{op}[{i}]", depth + 1, in_member)
        return
    if keys == {"not"}:
        check_condition(cond["not"], f"{where}.not", depth + 1, in_member)
        return
    if "has_finding" in keys:
        if not keys <= {"has_finding", "scope"}:
            raise RuleError(f"{where}: kunci tidak dikenal {sorted(keys - {'has_finding', 'scope'})}.")
        if in_member:
            raise RuleError(f"{where}: has_finding tidak boleh di dalam any_member.")
        code = cond["has_finding"]
        if not isinstance(code, str) or not CODE.fullmatch(code):
            raise RuleError(f"{where}: kode temuan {code!r} tidak sah (huruf besar, angka, garis bawah).")
        if cond.get("scope", "anggota") not in SCOPES:
            raise RuleError(f"{where}: scope harus salah satu dari {', '.join(SCOPES)}.")
        return
    if "any_member" in keys:
        if keys != {"any_member", "when"}:
            raise RuleError(f"{where}: any_member membutuhkan tepat kunci 'any_member' dan 'when'.")
        if in_member:
            raise RuleError(f"{where}: any_member tidak boleh bersarang.")
        if cond["any_member"] not in MEMBER_SCOPES:
            raise RuleError(f"{where}: any_member harus salah satu dari {', '.join(MEMBER_SCOPES)}.")
        check_condition(cond["when"], f"{where}.when", depth + 1, True)
        return
    if "field" in keys:
        if not keys <= {"field", "op", "value"}:
            raise RuleError(f"{where}: kunci tidak dikenal {sorted(keys - {'field', 'op', 'value'})}.")
        name, op = cond["field"], cond.get("op")
        if name not in FIELDS:
            raise RuleError(f"{where}: field {name!r} tidak dikenal (lihat daftar field aturan).")
        if op not in OPS:
            raise RuleError(f"{where}: operator {op!r} tidak dikenal (pilihan: {', '.join(OPS)}).")
        ftype = FIELDS[name][0]  # type: ignore[index]
        if op in ("is_null", "not_null"):
            if "value" in keys:
                raise RuleError(f"{where}: operator {op} tidak memakai 'value'.")
            return
        if "value" not in keys:
            raise RuleError(f"{where}: operator {op} membutuhkan 'value'.")
        value = cond["value"]
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value or len(value) > MAX_LIST:
                raise RuleError(f"{where}: {op} membutuhkan daftar berisi 1–{MAX_LIST} nilai.")
            for i, v in enumerate(value):
                _check_value(v, ftype, f"{where}.value[{i}]")
            return
        if op not in ("=", "!=") and ftype not in ORDERED_TYPES:
            raise RuleError(f"{where}: operator {op} hanya untuk field angka, bukan {name} ({ftype}).")
        _check_value(value, ftype, f"{where}.value")
        return
    raise RuleError(f"{where}: kondisi tidak dikenal dengan kunci {sorted(keys)}.")


def rule_from_dict(raw: Mapping[str, object]) -> Rule:
    if not isinstance(raw, Mapping):
        raise RuleError("Setiap aturan harus berupa objek.")
    code = raw.get("code")
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise RuleError(f"Kode aturan {code!r} tidak sah (huruf besar, angka, garis bawah; 2–60 karakter).")
    unknown = set(raw) - {"code", "when", "explanation", "title"}
    if unknown:
        raise RuleError(f"Aturan {code}: kunci tidak dikenal {sorted(unknown)}.")
    explanation = raw.get("explanation")
    if not isinstance(explanation, str) or not explanation.strip():
        raise RuleError(f"Aturan {code}: 'explanation' (penjelasan) wajib diisi.")
    bad = [p for p in PLACEHOLDER.findall(explanation) if p not in FIELDS]
    if bad:
        raise RuleError(f"Aturan {code}: penjelasan memakai field tidak dikenal {bad}.")
    check_condition(raw.get("when"), f"aturan {code}")
    return Rule(code, raw["when"], explanation, str(raw.get("title") or ""))  # type: ignore[arg-type]


def ruleset_from_dict(data: Mapping[str, object]) -> RuleSet:
    if not isinstance(data, Mapping):
        raise RuleError("Kumpulan aturan harus berupa objek JSON.")
    if data.get("format") != FORMAT:
        raise RuleError(f"Format aturan tidak dikenal: {data.get('format')!r} (harus {FORMAT!r}).")
    for key in ("name", "version", "rules"):
        if key not in data:
            raise RuleError(f"Kumpulan aturan tidak lengkap: {key!r} tidak ada.")
    raw_rules = data["rules"]
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RuleError("Kumpulan aturan harus berisi paling sedikit satu aturan.")
    rules = tuple(rule_from_dict(r) for r in raw_rules)
    codes = [r.code for r in rules]
    if len(set(codes)) != len(codes):
        raise RuleError("Kode aturan harus unik dalam satu kumpulan aturan.")
    return RuleSet(
        name=str(data["name"]),
        version=str(data["version"]),
        rules=rules,
        description=str(data.get("description") or ""),
        provenance=dict(data.get("provenance") or {}),  # type: ignore[arg-type]
    )


def load(path: str | Path) -> RuleSet:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleError(f"Aturan {path} tidak dapat dibaca: {exc}") from exc
    return ruleset_from_dict(data)


def default_rules() -> RuleSet:
    """The DTKS eligibility rules shipped with siks (`data/eligibility_dtks.json`)."""
    text = resources.files("siks.domain").joinpath("data/eligibility_dtks.json").read_text(encoding="utf-8")
    return ruleset_from_dict(json.loads(text))


def finding_codes(cond: Mapping[str, object]) -> set[str]:
    """Every verval finding code a condition refers to (the step checks they exist)."""
    if "has_finding" in cond:
        return {str(cond["has_finding"])}
    found: set[str] = set()
    for key in ("and", "or"):
        for part in cond.get(key, ()):  # type: ignore[union-attr]
            found |= finding_codes(part)
    if "not" in cond:
        found |= finding_codes(cond["not"])  # type: ignore[arg-type]
    return found


def describe(cond: Mapping[str, object]) -> str:
    """A condition as one readable line, for `siks eligibility show` and the docs."""
    if "and" in cond or "or" in cond:
        op = "and" if "and" in cond else "or"
        word = " dan " if op == "and" else " atau "
        return "(" + word.join(describe(c) for c in cond[op]) + ")"  # type: ignore[union-attr]
    if "not" in cond:
        return "bukan " + describe(cond["not"])  # type: ignore[arg-type]
    if "has_finding" in cond:
        scope = cond.get("scope", "anggota")
        found = f'ada temuan "{finding_catalog.title(str(cond["has_finding"]))}"'
        return found + ("" if scope == "anggota" else f" pada {scope}")
    if "any_member" in cond:
        return f"ada anggota {cond['any_member']} dengan {describe(cond['when'])}"  # type: ignore[arg-type]
    op = str(cond["op"])
    if op == "is_null":
        return f"{cond['field']} kosong"
    if op == "not_null":
        return f"{cond['field']} terisi"
    words = {"in": "salah satu dari", "not_in": "bukan salah satu dari"}
    return f"{cond['field']} {words.get(op, op)} {json.dumps(cond['value'], ensure_ascii=False)}"


# -- evaluation for one person -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """One anggota as the rules see it: `record` has FIELDS; `findings` maps a scope to the finding codes
    on the person (anggota) or anyone of / the whole keluarga or ruta; `family` and `household` are the
    records of every anggota of the same keluarga / ruta (the person included), for `any_member`."""

    record: Mapping[str, object]
    findings: Mapping[str, frozenset[str]] = field(default_factory=dict)
    family: Sequence[Mapping[str, object]] = ()
    household: Sequence[Mapping[str, object]] = ()


def _compare(left: object, op: str, right: object) -> bool:
    if left is None:
        return False
    try:
        return {
            "=": lambda: left == right,
            "!=": lambda: left != right,
            "<": lambda: left < right,  # type: ignore[operator]
            "<=": lambda: left <= right,  # type: ignore[operator]
            ">": lambda: left > right,  # type: ignore[operator]
            ">=": lambda: left >= right,  # type: ignore[operator]
        }[op]()
    except TypeError:
        return False


def holds(cond: Mapping[str, object], subject: Subject) -> bool:
    """Evaluate a checked condition for one subject (two-valued: unknown compares false)."""
    if "and" in cond:
        return all(holds(c, subject) for c in cond["and"])  # type: ignore[union-attr]
    if "or" in cond:
        return any(holds(c, subject) for c in cond["or"])  # type: ignore[union-attr]
    if "not" in cond:
        return not holds(cond["not"], subject)  # type: ignore[arg-type]
    if "has_finding" in cond:
        return cond["has_finding"] in subject.findings.get(str(cond.get("scope", "anggota")), frozenset())
    if "any_member" in cond:
        others = subject.family if cond["any_member"] == "keluarga" else subject.household
        return any(holds(cond["when"], Subject(m)) for m in others)  # type: ignore[arg-type]
    value = subject.record.get(str(cond["field"]))
    op = str(cond["op"])
    if op == "is_null":
        return value is None
    if op == "not_null":
        return value is not None
    if op in ("in", "not_in"):
        if value is None:
            return False
        inside = any(_compare(value, "=", v) for v in cond["value"])  # type: ignore[union-attr]
        return inside if op == "in" else not inside
    return _compare(value, op, cond["value"])


@dataclass(frozen=True, slots=True)
class Verdict:
    """Eligible unless some rule fired; `fired` lists (rule code, rendered explanation)."""

    ruleset: str
    fired: tuple[tuple[str, str], ...]

    @property
    def eligible(self) -> bool:
        return not self.fired


def render(explanation: str, record: Mapping[str, object]) -> str:
    """Fill {field} placeholders the way the SQL side does (unknown → '-')."""

    def value(m: re.Match[str]) -> str:
        v = record.get(m.group(1))
        if v is None:
            return "-"
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    return PLACEHOLDER.sub(value, explanation)


def evaluate(ruleset: RuleSet, subject: Subject) -> Verdict:
    fired = tuple(
        (r.code, render(r.explanation, subject.record)) for r in ruleset.rules if holds(r.when, subject)
    )
    return Verdict(ruleset.key, fired)

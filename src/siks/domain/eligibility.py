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
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from siks.domain import finding_catalog
from siks.domain.schema import TAG, Strict, explain_errors

# The DTKS desil ceiling, the one source of truth for the verval finding DESIL_TERLALU_TINGGI and the
# penetapan (docs/domain-facts.md §4.3: PBI-JK takes desil 1–5; PKH and BPNT narrow to 1–4 in their own
# program rules). The shipped rule files write it as `$DTKS_DESIL_MAX` (see `shipped_json`).
DTKS_DESIL_MAX = 5

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


# -- checking: the file format as pydantic models -----------------------------------------------------------
#
# The shapes (keys, operators, scopes, code patterns) are declared on the models below; what depends on the
# field catalog (does the field exist, does the value have its type) is a validator reading the catalog
# from the validation context, so programs can add their own fields (`siks.domain.programs`).


def _catalog(info: ValidationInfo) -> Mapping[str, tuple[str, str]]:
    return (info.context or {}).get("fields", FIELDS)


def _check_value(value: object, ftype: str, where: str) -> None:
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "text": isinstance(value, str),
        "bool": isinstance(value, bool),
    }[ftype]
    if not ok:
        raise ValueError(f"{where}: nilai {value!r} bukan bertipe {ftype}.")
    if isinstance(value, str) and (len(value) > MAX_TEXT or any(ord(ch) < 32 for ch in value)):
        raise ValueError(f"{where}: teks terlalu panjang atau berisi karakter kontrol.")
    if isinstance(value, float) and value != value:  # NaN
        raise ValueError(f"{where}: nilai NaN tidak boleh dipakai.")


class FieldCondition(Strict):
    """`{"field": F, "op": OP, "value": V}`: compare one field of the person (or of their ruta)."""

    field: str
    op: Literal["=", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "not_null"]
    value: Any = None

    @field_validator("field")
    @classmethod
    def _known(cls, name: str, info: ValidationInfo) -> str:
        if name not in _catalog(info):
            raise ValueError(f"field {name!r} tidak dikenal (lihat daftar field aturan).")
        return name

    @model_validator(mode="after")
    def _value_fits(self, info: ValidationInfo) -> FieldCondition:
        ftype, op, given = _catalog(info)[self.field][0], self.op, "value" in self.model_fields_set
        if op in ("is_null", "not_null"):
            if given:
                raise ValueError(f"operator {op} tidak memakai 'value'.")
        elif not given:
            raise ValueError(f"operator {op} membutuhkan 'value'.")
        elif op in ("in", "not_in"):
            if not isinstance(self.value, list) or not self.value or len(self.value) > MAX_LIST:
                raise ValueError(f"{op} membutuhkan daftar berisi 1–{MAX_LIST} nilai.")
            for i, v in enumerate(self.value):
                _check_value(v, ftype, f"value[{i}]")
        else:
            if op not in ("=", "!=") and ftype not in ORDERED_TYPES:
                raise ValueError(f"operator {op} hanya untuk field angka, bukan {self.field} ({ftype}).")
            _check_value(self.value, ftype, "value")
        return self


class HasFinding(Strict):
    """`{"has_finding": CODE, "scope": ...}`: a verval finding on the person, their keluarga or ruta."""

    has_finding: str
    scope: Literal["anggota", "keluarga", "ruta"] = "anggota"

    @field_validator("has_finding")
    @classmethod
    def _code(cls, code: str) -> str:
        if not CODE.fullmatch(code):
            raise ValueError(f"kode temuan {code!r} tidak sah (huruf besar, angka, garis bawah).")
        return code


class AnyMember(Strict):
    """`{"any_member": "keluarga" | "ruta", "when": C}`: someone of the same keluarga / ruta meets C."""

    any_member: Literal["keluarga", "ruta"]
    when: Condition

    @model_validator(mode="after")
    def _about_people_only(self) -> AnyMember:
        member_only(self.when)
        return self


class AllOf(Strict):
    all_of: list[Condition] = Field(alias="and", min_length=1)


class AnyOf(Strict):
    any_of: list[Condition] = Field(alias="or", min_length=1)


class NoneOf(Strict):
    none_of: Condition = Field(alias="not")


_KINDS = ("and", "or", "not", "has_finding", "any_member", "field")


def _kind(value: object) -> str | None:
    if isinstance(value, Mapping):
        return next((TAG + k for k in _KINDS if k in value), None)
    return None


Condition = Annotated[
    Annotated[AllOf, Tag(TAG + "and")]
    | Annotated[AnyOf, Tag(TAG + "or")]
    | Annotated[NoneOf, Tag(TAG + "not")]
    | Annotated[HasFinding, Tag(TAG + "has_finding")]
    | Annotated[AnyMember, Tag(TAG + "any_member")]
    | Annotated[FieldCondition, Tag(TAG + "field")],
    Discriminator(
        _kind,
        custom_error_type="kondisi",
        custom_error_message="kondisi harus berupa objek dengan salah satu kunci " + ", ".join(_KINDS),
    ),
]
AnyMember.model_rebuild()
AllOf.model_rebuild()
AnyOf.model_rebuild()
NoneOf.model_rebuild()
CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)


def member_only(cond: object) -> None:
    """Inside `any_member` (and in program components) a condition speaks of one person: no findings of
    the keluarga, no second `any_member`."""
    if isinstance(cond, HasFinding):
        raise ValueError("has_finding tidak boleh di dalam any_member atau kondisi per anggota.")
    if isinstance(cond, AnyMember):
        raise ValueError("any_member tidak boleh bersarang.")
    for part in (
        getattr(cond, "all_of", None) or getattr(cond, "any_of", None) or [getattr(cond, "none_of", None)]
    ):
        if part is not None:
            member_only(part)


def too_deep(cond: object, room: int = MAX_DEPTH) -> bool:
    """More than `room` levels of nesting (checked on the raw data, before pydantic recurses into it)."""
    if room < 0:
        return True
    if isinstance(cond, Mapping):
        return any(too_deep(v, room - 1) for v in cond.values() if isinstance(v, Mapping | list))
    if isinstance(cond, list):
        return any(too_deep(v, room) for v in cond)
    return False


class RuleDoc(Strict):
    """One rule of a file: a code, the condition under which an anggota is excluded, and why."""

    code: str
    when: Condition
    explanation: str
    title: str = ""

    @model_validator(mode="before")
    @classmethod
    def _shallow(cls, data: object) -> object:
        if isinstance(data, Mapping) and too_deep(data.get("when")):
            raise ValueError(f"kondisi terlalu dalam (maksimal {MAX_DEPTH} tingkat).")
        return data

    @field_validator("code")
    @classmethod
    def _code(cls, code: str) -> str:
        if not CODE.fullmatch(code):
            raise ValueError(
                f"Kode aturan {code!r} tidak sah (huruf besar, angka, garis bawah; 2–60 karakter)."
            )
        return code

    @field_validator("explanation")
    @classmethod
    def _explained(cls, text: str, info: ValidationInfo) -> str:
        if not text.strip():
            raise ValueError("'explanation' (penjelasan) wajib diisi.")
        bad = [p for p in PLACEHOLDER.findall(text) if p not in _catalog(info)]
        if bad:
            raise ValueError(f"penjelasan memakai field tidak dikenal {bad}.")
        return text


def unique_codes(codes: Sequence[str], what: str = "aturan") -> None:
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise ValueError(f"Kode {what} harus unik dalam satu berkas; tercantum dua kali: {', '.join(twice)}.")


class RuleSetDoc(Strict):
    """A `siks-rules/1` file."""

    format: Literal[FORMAT]
    name: str
    version: str
    rules: list[RuleDoc] = Field(min_length=1)
    description: str = ""
    provenance: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> RuleSetDoc:
        unique_codes([r.code for r in self.rules])
        return self


def read_json(path: str | Path, error: type[ValueError], what: str) -> object:
    """A rule or model file as JSON, or `error` naming the file."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{what} {path} tidak dapat dibaca: {exc}") from exc


def check_condition(
    cond: object, where: str = "when", depth: int = 0, in_member: bool = False, fields=None
) -> None:
    """Raise RuleError unless `cond` is a well-formed condition over known fields and operators."""
    if too_deep(cond, MAX_DEPTH - depth):
        raise RuleError(f"{where}: kondisi terlalu dalam (maksimal {MAX_DEPTH} tingkat).")
    try:
        checked = CONDITION.validate_python(cond, context={"fields": fields or FIELDS})
        if in_member:
            member_only(checked)
    except ValidationError as exc:
        raise RuleError(explain_errors(exc, cond, where=where)) from None
    except ValueError as exc:
        raise RuleError(f"{where}: {exc}") from None


def rule_from_dict(raw: Mapping[str, object], where: str = "") -> Rule:
    try:
        doc = RuleDoc.model_validate(raw, context={"fields": FIELDS})
    except ValidationError as exc:
        raise RuleError(explain_errors(exc, raw, where=where or "aturan")) from None
    return Rule(doc.code, raw["when"], doc.explanation, doc.title)  # type: ignore[arg-type]


def ruleset_from_dict(data: Mapping[str, object], source: str | None = None) -> RuleSet:
    """Check a `siks-rules/1` document (errors name `source`, the path in it and the rule) and build it."""
    try:
        doc = RuleSetDoc.model_validate(data, context={"fields": FIELDS})
    except ValidationError as exc:
        raise RuleError(explain_errors(exc, data, source or "aturan kelayakan")) from None
    rules = tuple(
        Rule(r.code, raw["when"], r.explanation, r.title)
        for r, raw in zip(doc.rules, data["rules"], strict=True)
    )
    return RuleSet(doc.name, doc.version, rules, doc.description, doc.provenance)


def load(path: str | Path) -> RuleSet:
    return ruleset_from_dict(read_json(path, RuleError, "Aturan"), str(path))  # type: ignore[arg-type]


def shipped_json(name: str) -> dict:
    """A rule file shipped in `siks.domain/data`, with `$DTKS_DESIL_MAX` replaced by the one ceiling."""
    text = resources.files("siks.domain").joinpath(f"data/{name}").read_text(encoding="utf-8")
    ceiling = str(DTKS_DESIL_MAX)
    return json.loads(text.replace('"$DTKS_DESIL_MAX"', ceiling).replace("$DTKS_DESIL_MAX", ceiling))


def default_rules() -> RuleSet:
    """The DTKS eligibility rules shipped with siks (`data/eligibility_dtks.json`)."""
    return ruleset_from_dict(shipped_json("eligibility_dtks.json"), "eligibility_dtks.json")


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

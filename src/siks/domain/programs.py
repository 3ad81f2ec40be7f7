"""Programs as data over a penetapan: who qualifies, which PKH components with which caps, quotas per
wilayah, and who may hold the account (pengurus) — pure rules, no database.

Why data: amounts, caps and the lansia age change with each year's pedoman (docs/domain-facts.md §5.1 marks
the lansia threshold and the 4-component cap uncertain), so a kabupaten must be able to read and adjust them
without a release. A program is a `siks-program/1` JSON document; conditions use the eligibility rule language
(`siks.domain.eligibility`) plus a few program fields (school level, DTKS membership). A value may be
`{"param": NAME}`, filled from the program's `params` (overridable per run, e.g. `umur_lansia=60`).

Counting rules (documented choices where the sources are silent):
- A person counts for at most one component: the one with the highest amount.
- `max` on a component caps how many people count for it in one keluarga (ibu hamil 2, anak usia dini 2).
- `max_components` caps the components per keluarga, keeping the highest amounts.
- Ages are whole years on the reference date; a birthday on that date counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from siks.domain import eligibility, finding_catalog
from siks.domain.eligibility import RuleError, Subject
from siks.domain.penetapan import region_fields
from siks.domain.ppks import PPKS_KINDS
from siks.domain.schema import Strict, explain_errors

FORMAT = "siks-program/1"
UNITS = ("keluarga", "anggota", "ppks_orang")

#: Fields programs add to eligibility.FIELDS, with their type and label.
EXTRA_FIELDS: dict[str, tuple[str, str]] = {
    "partisipasi_sekolah": ("int", "Partisipasi sekolah [412] (2 = masih sekolah)"),
    "jenjang_sekolah": ("text", "Jenjang yang sedang ditempuh: SD, SMP, SMA, PT (dari 412/413)"),
    "dtks": ("bool", "Termasuk DTKS dalam penetapan"),
    "meninggal": ("bool", "Tercatat meninggal (keberadaan 2 atau temuan Dukcapil)"),
    # one flag per PPKS kind (docs/ppks-psks.md): the person's own kinds and their keluarga's, open on the
    # penetapan date, e.g. {"field": "ppks_lansia_terlantar", "op": "==", "value": true}
    **{f"ppks_{code}": ("bool", f"PPKS: {kind.label}") for code, kind in PPKS_KINDS.items()},
    # unit ppks_orang (a PPKS person outside households): where they live; empty for household members
    "lks": ("text", "LKS tempat tinggal (kode PSKS), unit ppks_orang"),
    "tempat": (
        "text",
        "Tempat ditemukan (jalanan, kolong, pengungsian, rumah_singgah, lainnya), unit ppks_orang",
    ),
}

#: PPKS kinds that make a person outside households count as `disabilitas` in a ppks_orang rule.
DISABILITY_KINDS = frozenset({"penyandang_disabilitas", "anak_disabilitas"})

# Regsosek 413 codes of the level being attended (docs/domain-facts.md §1.1).
JENJANG = {**dict.fromkeys(range(1, 6), "SD"), **dict.fromkeys(range(6, 11), "SMP"),
           **dict.fromkeys(range(11, 18), "SMA"), **dict.fromkeys(range(18, 23), "PT")}  # fmt: skip

# Verval findings that make adminduk invalid for a pengurus (ganda, not padan, deceased).
INVALID_ADMINDUK = (
    "DUP", "DUP_NIK", "PADAN_NIK_UNKNOWN", "PADAN_OTHER_PERSON", "PADAN_IDENTITY_MISMATCH", "PADAN_NO_NIK",
    "DECEASED",
)  # fmt: skip


# -- definitions -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Component:
    code: str
    label: str
    amount: int  # Rp per year
    when: Mapping[str, object]
    max: int | None = None


@dataclass(frozen=True, slots=True)
class PengurusRule:
    """Who may hold the account: age, adminduk, and an order of preference (first match wins)."""

    min_age: int = 17
    invalid_findings: tuple[str, ...] = INVALID_ADMINDUK
    prefer: tuple[Mapping[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class Program:
    code: str
    name: str
    version: str
    unit: str
    eligible: Mapping[str, object]
    components: tuple[Component, ...] = ()
    require_component: bool = False
    max_components: int | None = None
    amount_per_year: int | None = None  # flat benefit when there are no components (e.g. BPNT)
    params: Mapping[str, object] = field(default_factory=dict)
    quota: Mapping[str, int] = field(default_factory=dict)
    pengurus: PengurusRule = PengurusRule()
    title: str = ""
    provenance: Mapping[str, object] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.code}@{self.version}"

    @property
    def digest(self) -> str:
        """A digest of the whole definition (conditions, components, caps, amounts, parameters, quotas,
        pengurus rule): two programs with one digest give the same list over a penetapan."""
        text = json.dumps(_plain(self), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _plain(value: object) -> object:
    """Dataclasses, mappings and sequences as JSON-ready values (for `Program.digest`)."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}  # type: ignore[union-attr]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return value


def _fill(cond, params: Mapping[str, object], where: str):
    """Replace `{"param": NAME}` values by the parameter's value."""
    if isinstance(cond, Mapping):
        if set(cond) == {"param"}:
            name = cond["param"]
            if name not in params:
                raise RuleError(f"{where}: parameter {name!r} tidak ada di 'params'.")
            return params[name]
        return {k: _fill(v, params, f"{where}.{k}") for k, v in cond.items()}
    if isinstance(cond, list):
        return [_fill(v, params, where) for v in cond]
    return cond


def fields() -> dict[str, tuple[str, str]]:
    """The fields a program condition may name: the eligibility fields and EXTRA_FIELDS."""
    return {**eligibility.FIELDS, **EXTRA_FIELDS}


def check_condition(cond: object, where: str, in_member: bool = False, depth: int = 0) -> None:
    """The eligibility checker over the program fields (Indonesian RuleError on any fault)."""
    eligibility.check_condition(cond, where, depth, in_member, fields())


_Count = Annotated[int, Field(ge=0)]


class ComponentDoc(Strict):
    """One PKH-style component: who counts for it (one person), its yearly amount and its cap."""

    code: str = Field(min_length=1)
    label: str = ""
    amount: _Count = 0
    max: _Count | None = None
    when: eligibility.Condition

    @model_validator(mode="after")
    def _one_person(self) -> ComponentDoc:
        eligibility.member_only(self.when)
        return self


class PengurusDoc(Strict):
    min_age: _Count = 17
    invalid_findings: list[str] | None = None
    prefer: list[eligibility.Condition] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_person(self) -> PengurusDoc:
        for cond in self.prefer:
            eligibility.member_only(cond)
        return self


class ProgramDoc(Strict):
    """A `siks-program/1` document, after its `{"param": NAME}` values are filled."""

    format: Literal[FORMAT]
    code: str = Field(min_length=1)
    name: str = ""
    title: str = ""
    version: str = "1"
    unit: Literal["keluarga", "anggota", "ppks_orang"] = "keluarga"
    provenance: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    eligible: eligibility.Condition
    require_component: bool = False
    max_components: _Count | None = None
    components: list[ComponentDoc] = Field(default_factory=list)
    amount_per_year: _Count | None = None
    quota: dict[str, _Count] = Field(default_factory=dict)
    pengurus: PengurusDoc = PengurusDoc()

    @model_validator(mode="after")
    def _unique(self) -> ProgramDoc:
        eligibility.unique_codes([c.code for c in self.components], "komponen")
        if self.unit == "ppks_orang" and self.components:
            raise ValueError("unit ppks_orang tidak memakai komponen; isi amount_per_year bila ada nominal.")
        return self


def program_from_dict(
    data: Mapping[str, object], overrides: Mapping[str, object] | None = None, source: str | None = None
) -> Program:
    """Check a `siks-program/1` document and build the program; `overrides` replace `params` values.
    Errors name `source` (the file), the path in the document and the rule, in Indonesian."""
    code = str(data.get("code") or "") if isinstance(data, Mapping) else ""
    source = source or f"program {code or '?'}"
    if not isinstance(data, Mapping):
        raise RuleError(f"{source}: program harus berupa objek JSON.")
    declared = data.get("params") or {}
    unknown_params = set(overrides or {}) - set(declared if isinstance(declared, Mapping) else {})
    if unknown_params:
        raise RuleError(f"{source}: parameter tidak dikenal {sorted(unknown_params)}.")
    params = {**(declared if isinstance(declared, Mapping) else {}), **dict(overrides or {})}
    filled = {
        k: (v if k in ("params", "provenance") else _fill(v, params, f"{source}: {k}"))
        for k, v in data.items()
    }
    try:
        doc = ProgramDoc.model_validate(filled, context={"fields": fields()})
    except ValidationError as exc:
        raise RuleError(explain_errors(exc, filled, source)) from None
    components = tuple(
        Component(c.code, c.label or c.code, c.amount, raw["when"], c.max)
        for c, raw in zip(doc.components, filled.get("components") or [], strict=True)
    )
    pengurus = filled.get("pengurus") or {}
    return Program(
        code=doc.code,
        name=doc.name or doc.code.upper(),
        version=doc.version or "1",
        unit=doc.unit,
        eligible=filled["eligible"],
        components=components,
        require_component=doc.require_component,
        max_components=doc.max_components,
        amount_per_year=doc.amount_per_year,
        params=params,
        quota=dict(doc.quota),
        pengurus=PengurusRule(
            min_age=doc.pengurus.min_age,
            invalid_findings=tuple(doc.pengurus.invalid_findings or INVALID_ADMINDUK),
            prefer=tuple(pengurus.get("prefer") or ()),
        ),
        title=doc.title,
        provenance=doc.provenance,
    )


def _documents() -> list[dict]:
    text = resources.files("siks.domain").joinpath("data/programs.json").read_text(encoding="utf-8")
    return json.loads(text)["programs"]


def definitions_key() -> str:
    """A digest of the shipped program definitions: figures counted under other rules are counted again."""
    text = resources.files("siks.domain").joinpath("data/programs.json").read_text(encoding="utf-8")
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def program_codes() -> list[str]:
    return [d["code"] for d in _documents()]


def default_program(code: str, overrides: Mapping[str, object] | None = None) -> Program:
    """A shipped program (pkh, bpnt, pbi_jk) with optional parameter overrides."""
    for doc in _documents():
        if doc["code"] == code:
            return program_from_dict(doc, overrides, f"programs.json: program {code}")
    raise RuleError(f"Program '{code}' tidak dikenal. Pilihan: {', '.join(program_codes())}.")


def load_program(path: str | Path, overrides: Mapping[str, object] | None = None) -> Program:
    data = eligibility.read_json(path, RuleError, "Program")
    return program_from_dict(data, overrides, str(path))  # type: ignore[arg-type]


def parse_params(pairs: Iterable[str]) -> dict[str, object]:
    """`["umur_lansia=60", "max_komponen=none"]` → {"umur_lansia": 60, "max_komponen": None}."""
    out: dict[str, object] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not name or not value:
            raise RuleError(f"Parameter '{pair}' harus berbentuk NAMA=NILAI.")
        text = value.strip()
        if text.lower() in ("none", "null", "-"):
            out[name.strip()] = None
        else:
            try:
                out[name.strip()] = int(text)
            except ValueError:
                out[name.strip()] = text
    return out


# -- facts --------------------------------------------------------------------------------------------------


def jenjang_sekolah(partisipasi: object, pendidikan: object) -> str | None:
    """The level a person is attending now: only while partisipasi sekolah [412] is 2 (masih sekolah)."""
    try:
        if int(partisipasi) != 2:  # type: ignore[arg-type]
            return None
        return JENJANG.get(int(pendidikan))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Person:
    """One anggota of a keluarga as programs see it. `record` has the rule fields (see `person_record`)."""

    ref: str
    nama: str
    record: Mapping[str, object]
    findings: frozenset[str] = frozenset()
    nik: str | None = None


def person_record(row: Mapping[str, object], on: dt.date) -> dict[str, object]:
    """Rule fields for one frozen anggota (`siks.penetapan.sources.rule_record` shape plus DTKS flags)."""
    born = row.get("tanggal_lahir")
    if isinstance(born, str):
        born = dt.date.fromisoformat(born)
    umur = None
    if isinstance(born, dt.date):
        umur = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    findings = set(row.get("findings") or ())
    rec = dict(row)
    rec.update(
        umur=umur,
        jenjang_sekolah=jenjang_sekolah(row.get("partisipasi_sekolah"), row.get("pendidikan")),
        meninggal=row.get("keberadaan") == 2 or "DECEASED" in findings,
        dtks=bool(row.get("dtks")),
    )
    kinds = set(row.get("ppks") or ())
    rec.update({f"ppks_{code}": code in kinds for code in PPKS_KINDS})
    return rec


@dataclass(frozen=True, slots=True)
class FamilyFacts:
    """A keluarga in a penetapan: its ruta-level record (desil, region, dtks) and its people."""

    ref: str
    desa_code: str | None
    record: Mapping[str, object]
    people: Sequence[Person]
    findings: frozenset[str] = frozenset()
    rank: tuple = ()  # ordering within a quota: (desil, skor, ref)


# -- facts from frozen rows --------------------------------------------------------------------------------


def frozen_person(m, on: dt.date, ppks: Sequence[str] = ()) -> Person:
    """A `Person` from one frozen anggota: any object with the `penetapan_member` columns as attributes.

    `ppks`: the PPKS kinds open for them (their own and their keluarga's) in the penetapan."""
    answers = m.answers or {}
    row = {
        "ppks": ppks,
        "nik": m.nik if m.nik and len(m.nik) == 16 else None,
        "jenis_kelamin": m.sex,
        "hubungan_kk": m.hubungan_kk,
        "keberadaan": m.keberadaan,
        "status": m.status,
        "tanggal_lahir": m.tanggal_lahir,
        "findings": m.findings or [],
        "dtks": m.included,
        **answers,
    }
    return Person(m.member_ref, m.nama, person_record(row, on), frozenset(m.findings or ()), m.nik)


def family_facts(
    h, family_ref: str, members: Sequence, on: dt.date, ppks: Mapping | None = None
) -> FamilyFacts:
    """The rule facts of one keluarga: `h` has the `penetapan_household` columns, `members` its anggota.

    `ppks`: (subject, ref) → PPKS kinds of the penetapan's PPKS list; a keluarga's count for each member."""
    ppks = ppks or {}
    family_kinds = tuple(ppks.get(("keluarga", family_ref), ()))
    people = [
        frozen_person(m, on, family_kinds + tuple(ppks.get(("anggota", m.member_ref), ()))) for m in members
    ]
    record = {
        "desil": h.desil,
        "skor_pmt": h.skor_pmt,
        "jumlah_art": sum(1 for m in members if m.included),
        "dtks": h.included,
        **region_fields(h.desa_code),
    }
    rank = (h.desil if h.desil is not None else 99, h.skor_pmt if h.skor_pmt is not None else 1e9, family_ref)
    return FamilyFacts(family_ref, h.desa_code, record, people, frozenset(h.findings or ()), rank)


def facts_from_rows(household: Mapping, members: Sequence[Mapping], on: dt.date) -> list[FamilyFacts]:
    """Rule facts from not-yet-frozen rows (the simulation): dicts with the frozen tables' column names."""
    h = SimpleNamespace(**household)
    by_family: dict[str, list] = defaultdict(list)
    for row in members:
        by_family[row["family_ref"]].append(SimpleNamespace(**row))
    return [family_facts(h, ref, rows, on) for ref, rows in by_family.items()]


# -- evaluation ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grant:
    person_ref: str
    component: str
    label: str
    amount: int


@dataclass(frozen=True, slots=True)
class Entitlement:
    """The result for one unit (keluarga or anggota): eligible or why not, and the components granted."""

    unit_ref: str
    eligible: bool
    reasons: tuple[str, ...] = ()
    grants: tuple[Grant, ...] = ()
    dropped: tuple[Grant, ...] = ()  # matched but over a cap
    amount_per_year: int = 0


def _subject(fam: FamilyFacts, person: Person | None = None) -> Subject:
    record = dict(fam.record) | (dict(person.record) if person else {})
    findings = {
        "anggota": person.findings if person else frozenset(),
        "keluarga": fam.findings,
        "ruta": fam.findings,
    }
    members = [p.record for p in fam.people]
    return Subject(record, findings, members, members)


def _present(p: Person) -> bool:
    return p.record.get("status", "aktif") == "aktif" and p.record.get("keberadaan") in (None, 1, 5)


def components_for(program: Program, fam: FamilyFacts) -> tuple[list[Grant], list[Grant]]:
    """(granted, dropped over a cap): one component per person, per-component caps, then the family cap."""
    best: dict[str, Grant] = {}
    for person in fam.people:
        if not _present(person) or not person.record.get("dtks"):
            continue
        subject = _subject(fam, person)
        for comp in program.components:
            if eligibility.holds(comp.when, subject):
                grant = Grant(person.ref, comp.code, comp.label, comp.amount)
                if person.ref not in best or grant.amount > best[person.ref].amount:
                    best[person.ref] = grant
    order = {p.ref: i for i, p in enumerate(fam.people)}
    caps = {c.code: c.max for c in program.components}
    granted: list[Grant] = []
    dropped: list[Grant] = []
    used: dict[str, int] = {}
    for grant in sorted(best.values(), key=lambda g: order[g.person_ref]):
        cap = caps.get(grant.component)
        if cap is not None and used.get(grant.component, 0) >= cap:
            dropped.append(grant)
            continue
        used[grant.component] = used.get(grant.component, 0) + 1
        granted.append(grant)
    if program.max_components is not None and len(granted) > program.max_components:
        ranked = sorted(granted, key=lambda g: (-g.amount, order[g.person_ref]))
        keep = set(map(id, ranked[: program.max_components]))
        dropped += [g for g in granted if id(g) not in keep]
        granted = [g for g in granted if id(g) in keep]
    return granted, dropped


def evaluate_family(program: Program, fam: FamilyFacts) -> Entitlement:
    """A keluarga-unit program (PKH, BPNT) for one keluarga."""
    if not eligibility.holds(program.eligible, _subject(fam)):
        return Entitlement(fam.ref, False, ("Tidak memenuhi syarat program (desil/DTKS/pengecualian).",))
    granted, dropped = components_for(program, fam)
    if program.require_component and not granted:
        return Entitlement(
            fam.ref, False, ("Tidak ada anggota yang memenuhi komponen program.",), (), tuple(dropped)
        )
    total = sum(g.amount for g in granted) if program.components else program.amount_per_year or 0
    return Entitlement(fam.ref, True, (), tuple(granted), tuple(dropped), total)


def evaluate_people(program: Program, fam: FamilyFacts) -> list[Entitlement]:
    """An anggota-unit program (PBI-JK): one entitlement per person of the keluarga."""
    out = []
    for person in fam.people:
        ok = _present(person) and eligibility.holds(program.eligible, _subject(fam, person))
        reasons = () if ok else ("Tidak memenuhi syarat program.",)
        out.append(Entitlement(person.ref, ok, reasons, (), (), program.amount_per_year or 0 if ok else 0))
    return out


def ppks_person_record(row: Mapping[str, object], on: dt.date) -> dict[str, object]:
    """Rule fields for one PPKS person outside households as the penetapan froze them (`row`: jenis,
    jenis_kelamin, tanggal_lahir, nik, desa_code, lks, tempat). They are in the penetapan's DTKS list by
    being frozen in it; household fields (desil, hubungan_kk, …) stay empty, so a rule on them is false."""
    kinds = set(row.get("jenis") or ())
    rec = person_record({**row, "ppks": sorted(kinds), "dtks": True}, on)
    rec.update(region_fields(row.get("desa_code")))  # type: ignore[arg-type]
    rec["disabilitas"] = bool(kinds & DISABILITY_KINDS)
    return rec


def evaluate_ppks(program: Program, ref: str, record: Mapping[str, object]) -> Entitlement:
    """A ppks_orang-unit program (ATENSI for LKS residents) for one PPKS person outside households."""
    ok = eligibility.holds(program.eligible, Subject(record, {}, [record], [record]))
    if not ok:
        return Entitlement(ref, False, ("Tidak memenuhi syarat program.",))
    return Entitlement(ref, True, (), (), (), program.amount_per_year or 0)


# -- quotas -------------------------------------------------------------------------------------------------


def quota_key(desa_code: str | None, quota: Mapping[str, int]) -> str | None:
    """The most specific quota wilayah covering a desa (dotted codes), or None when no quota applies."""
    if not desa_code:
        return None
    best = None
    for code in quota:
        if (desa_code == code or desa_code.startswith(code + ".")) and (
            best is None or len(code) > len(best)
        ):
            best = code
    return best


def apply_quota(units: Sequence[tuple[str, str | None, tuple]], quota: Mapping[str, int]) -> set[str]:
    """Refs that fall outside their wilayah's quota. `units` are (ref, desa_code, rank); lower rank first."""
    if not quota:
        return set()
    by_key: dict[str, list[tuple[tuple, str]]] = {}
    for ref, desa, rank in units:
        key = quota_key(desa, quota)
        if key is not None:
            by_key.setdefault(key, []).append((rank, ref))
    over: set[str] = set()
    for key, items in by_key.items():
        items.sort()
        over.update(ref for _, ref in items[quota[key] :])
    return over


# -- pengurus -----------------------------------------------------------------------------------------------


def pengurus_problems(rule: PengurusRule, person: Person) -> list[str]:
    """Why this person may not hold the account (empty: they may): same-KK is checked by the caller."""
    rec = person.record
    problems = []
    if rec.get("meninggal"):
        problems.append("meninggal")
    elif not _present(person):
        problems.append("tidak lagi tinggal bersama keluarga")
    umur = rec.get("umur")
    if umur is None or umur < rule.min_age:  # type: ignore[operator]
        problems.append(
            f"umur di bawah {rule.min_age} tahun" if umur is not None else "tanggal lahir tidak diketahui"
        )
    if not rec.get("dtks"):
        problems.append("tidak terdaftar dalam DTKS")
    nik = person.nik or rec.get("nik")
    if not nik or len(str(nik)) != 16:
        problems.append("tidak punya NIK yang sah")
    bad = sorted(set(rule.invalid_findings) & set(person.findings))
    if bad:
        titles = ", ".join(finding_catalog.title(c) for c in bad)  # people read titles, not codes
        problems.append(f"adminduk tidak valid ({titles})")
    return problems


def choose_pengurus(rule: PengurusRule, fam: FamilyFacts, exclude: str | None = None) -> Person | None:
    """The first valid person by the rule's preference order, then by family order."""
    valid = [p for p in fam.people if p.ref != exclude and not pengurus_problems(rule, p)]
    for cond in rule.prefer:
        for p in valid:
            if eligibility.holds(cond, _subject(fam, p)):
                return p
    return valid[0] if valid else None


def natural_pengurus(rule: PengurusRule, fam: FamilyFacts) -> Person | None:
    """Who the account would belong to by the preference order alone, even if they have since died or
    lost their valid adminduk: the holder a family had, whose problems then call for a pergantian."""
    adults = [p for p in fam.people if (p.record.get("umur") or 0) >= rule.min_age]
    for cond in rule.prefer:
        for p in adults:
            if eligibility.holds(cond, _subject(fam, p)):
                return p
    return adults[0] if adults else None

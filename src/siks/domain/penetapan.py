"""Who is in DTKS for a penetapan, and what changed between two: pure rules over frozen facts.

Why here and not in SQL: the same decision runs when a penetapan is made, when a candidate rule set is
simulated before one is made, and when a removal is explained to a citizen; it must give one answer for
one household everywhere. Criteria are data (`siks-penetapan/1` JSON): a desil ceiling plus exclusion
rules written in the eligibility rule language (`siks.domain.eligibility`), evaluated on the whole ruta.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from siks.domain import eligibility
from siks.domain.eligibility import Rule, RuleError, Subject
from siks.domain.schema import Strict, explain_errors

FORMAT = "siks-penetapan/1"

# Keberadaan [404] codes of someone who still belongs to the family: tinggal bersama, anggota baru.
PRESENT = frozenset({1, 5})
KEBERADAAN_REASON = {
    2: ("MENINGGAL", "Meninggal"),
    3: ("PINDAH", "Pindah ke daerah lain"),
    4: ("PINDAH", "Pindah ke luar negeri"),
    6: ("TIDAK_DITEMUKAN", "Tidak ditemukan"),
}

# Reason codes the decision itself produces (exclusion rules add their own codes).
REASONS = {
    "NONAKTIF": "Rumah tangga nonaktif di registri",
    "TANPA_ART": "Tidak ada anggota yang masih tinggal bersama",
    "BELUM_DIDATA": "Belum ada pendataan (rumah tangga baru dari usulan): belum ada desil, menunggu verval",
    "DESIL_KOSONG": "Belum ada desil (skor PMT tidak dihitung)",
    "DESIL_DI_ATAS_BATAS": "Desil di atas batas DTKS",
    "TIDAK_ADA_DI_REGISTRI": "Tidak ada lagi di registri wilayah ini",
}


@dataclass(frozen=True, slots=True)
class Criteria:
    """A rule set for a penetapan: desil 1..`desil_max` and none of the `exclusions` firing."""

    name: str = "dtks"
    version: str = "1"
    desil_max: int = eligibility.DTKS_DESIL_MAX
    exclusions: tuple[Rule, ...] = ()
    description: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"


class CriteriaDoc(Strict):
    """A `siks-penetapan/1` file: the desil ceiling and the exclusion rules."""

    format: Literal[FORMAT]
    name: str = "dtks"
    version: str = "1"
    desil_max: int = Field(eligibility.DTKS_DESIL_MAX, ge=1, le=10)
    exclusions: list[eligibility.RuleDoc] = Field(default_factory=list)
    description: str = ""

    @model_validator(mode="after")
    def _codes(self) -> CriteriaDoc:
        codes = [r.code for r in self.exclusions]
        eligibility.unique_codes(codes)
        taken = sorted(set(codes) & set(REASONS))
        if taken:
            raise ValueError(f"kode aturan pengecualian sama dengan kode alasan bawaan: {', '.join(taken)}.")
        return self


def criteria_from_dict(data: Mapping[str, object], source: str | None = None) -> Criteria:
    """Check a `siks-penetapan/1` document (Indonesian errors naming `source`, the path and the rule)."""
    try:
        doc = CriteriaDoc.model_validate(data, context={"fields": eligibility.FIELDS})
    except ValidationError as exc:
        raise RuleError(explain_errors(exc, data, source or "kriteria penetapan")) from None
    raw = data.get("exclusions") or []  # conditions kept as written, like eligibility rule sets
    rules = tuple(
        Rule(r.code, w["when"], r.explanation, r.title) for r, w in zip(doc.exclusions, raw, strict=True)
    )
    return Criteria(doc.name or "dtks", doc.version or "1", doc.desil_max, rules, doc.description)


def criteria_to_dict(c: Criteria) -> dict[str, object]:
    """The JSON copy kept with every penetapan and simulation (so either can be reproduced)."""
    return {
        "format": FORMAT,
        "name": c.name,
        "version": c.version,
        "desil_max": c.desil_max,
        "description": c.description,
        "exclusions": [
            {"code": r.code, "title": r.title, "when": r.when, "explanation": r.explanation}
            for r in c.exclusions
        ],
    }


def load_criteria(path: str | Path) -> Criteria:
    return criteria_from_dict(eligibility.read_json(path, RuleError, "Kriteria"), str(path))  # type: ignore[arg-type]


def default_criteria() -> Criteria:
    """The shipped DTKS criteria (`data/penetapan_dtks.json`)."""
    return criteria_from_dict(eligibility.shipped_json("penetapan_dtks.json"), "penetapan_dtks.json")


# -- facts and the decision ---------------------------------------------------------------------------------


def age(born: dt.date | None, on: dt.date) -> int | None:
    """Whole years on `on`; a birthday on `on` counts (the child is 6 on their sixth birthday)."""
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def region_fields(desa_code: str | None) -> dict[str, str | None]:
    """Plain-digit region codes as the eligibility fields expect them (kode_desa is 10 digits)."""
    digits = (desa_code or "").replace(".", "")
    return {
        "kode_desa": digits or None,
        "kode_kecamatan": digits[:6] or None,
        "kode_kabupaten": digits[:4] or None,
        "kode_provinsi": digits[:2] or None,
    }


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    """What the decision needs about one ruta. `members` are eligibility-style records (FIELDS keys plus
    `status`); `findings` are the verval codes on anyone in the ruta."""

    ref: str
    active: bool
    desa_code: str | None
    desil: int | None
    skor_pmt: float | None = None
    status_reason: str | None = None
    members: Sequence[Mapping[str, object]] = ()
    findings: frozenset[str] = frozenset()
    assessed: bool = True  # has any pendataan (assessment); without one there is no desil

    def record(self) -> dict[str, object]:
        present = [m for m in self.members if member_present(m)]
        return {
            "desil": self.desil,
            "skor_pmt": self.skor_pmt,
            "jumlah_art": len(present),
            **region_fields(self.desa_code),
        }


def member_present(m: Mapping[str, object]) -> bool:
    """Active in the registry and still part of the family (keberadaan unknown counts as present)."""
    return m.get("status", "aktif") == "aktif" and m.get("keberadaan") in (None, *PRESENT)


@dataclass(frozen=True, slots=True)
class Decision:
    included: bool
    reasons: tuple[tuple[str, str], ...] = ()  # (code, Indonesian text)


def decide(criteria: Criteria, facts: HouseholdFacts) -> Decision:
    """In DTKS, or not and why (every reason that applies, so a removal is fully explained)."""
    reasons: list[tuple[str, str]] = []
    if not facts.active:
        text = REASONS["NONAKTIF"] + (f": {facts.status_reason}" if facts.status_reason else "")
        reasons.append(("NONAKTIF", text))
    if not any(member_present(m) for m in facts.members):
        reasons.append(("TANPA_ART", REASONS["TANPA_ART"]))
    if not facts.assessed:  # a desil from a score file would be a guess: the ruta waits for verval
        reasons.append(("BELUM_DIDATA", REASONS["BELUM_DIDATA"]))
    elif facts.desil is None:
        reasons.append(("DESIL_KOSONG", REASONS["DESIL_KOSONG"]))
    elif facts.desil > criteria.desil_max:
        reasons.append(
            ("DESIL_DI_ATAS_BATAS", f"Desil {facts.desil} di atas batas DTKS (desil 1–{criteria.desil_max})")
        )
    if criteria.exclusions:
        record = facts.record()
        present = [m for m in facts.members if member_present(m)]
        scopes = {s: facts.findings for s in eligibility.SCOPES}
        subject = Subject(record, scopes, present, present)
        for rule in criteria.exclusions:
            if eligibility.holds(rule.when, subject):
                reasons.append((rule.code, eligibility.render(rule.explanation, record)))
    return Decision(not reasons, tuple(reasons))


def member_status(m: Mapping[str, object], household_included: bool) -> tuple[bool, str | None]:
    """A person is in DTKS when their ruta is and they are still in it; else the reason (Indonesian)."""
    if m.get("status", "aktif") != "aktif":
        return False, "Anggota nonaktif di registri"
    reason = KEBERADAAN_REASON.get(m.get("keberadaan"))  # type: ignore[arg-type]
    if reason:
        return False, reason[1]
    if not household_included:
        return False, "Rumah tangga tidak termasuk DTKS"
    return True, None


# -- diff ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One ruta as a penetapan froze it, reduced to what a diff compares."""

    ref: str
    included: bool
    desil: int | None
    desa_code: str | None
    members: frozenset[str] = frozenset()  # refs of anggota in DTKS
    reasons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    ref: str
    before: Row | None
    after: Row | None
    fields: tuple[str, ...] = ()  # for changed rows: desil, desa_code, anggota

    @property
    def reasons(self) -> tuple[tuple[str, str], ...]:
        """Why a removed ruta left: the later penetapan's reasons, or that it left the registry."""
        if self.after is None:
            return (("TIDAK_ADA_DI_REGISTRI", REASONS["TIDAK_ADA_DI_REGISTRI"]),)
        return self.after.reasons


@dataclass(slots=True)
class Diff:
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"masuk": len(self.added), "keluar": len(self.removed), "berubah": len(self.changed)}


def diff(before: Iterable[Row], after: Iterable[Row]) -> Diff:
    """Ruta that entered DTKS, left it (with the reason) and stayed but changed, sorted by ref."""
    a = {r.ref: r for r in before}
    b = {r.ref: r for r in after}
    out = Diff()
    for ref in sorted(a.keys() | b.keys()):
        old, new = a.get(ref), b.get(ref)
        was, now = bool(old and old.included), bool(new and new.included)
        if now and not was:
            out.added.append(Change(ref, old, new))
        elif was and not now:
            out.removed.append(Change(ref, old, new))
        elif was and now:
            fields = tuple(
                name
                for name, x, y in (
                    ("desil", old.desil, new.desil),  # type: ignore[union-attr]
                    ("desa_code", old.desa_code, new.desa_code),  # type: ignore[union-attr]
                    ("anggota", old.members, new.members),  # type: ignore[union-attr]
                )
                if x != y
            )
            if fields:
                out.changed.append(Change(ref, old, new, fields))
    return out

"""Reasons a citizen can read (#18.4): why a person is, or is not, in the DTKS and in each program.

What is said, and to whom:
- To anyone who found the (masked) name: the *rule* that decided, in plain Indonesian, the penetapan it
  comes from (title, date it was determined, date in force) and how to dispute it. No values: the desil,
  the score and the findings stay hidden, as the cek page has always kept them.
- To the person themself, after they type their own NIK (which the page never shows): the *data the rule
  used*, their own only — their ruta's desil, how many anggota were counted, what the verval found about
  them. Nothing names or counts another anggota's finding, and no other anggota's name or NIK appears.

Everything is read from the frozen penetapan rows (`penetapan_household.reasons`, `penetapan_member`), so
the answer is the one the penetapan gave, whatever the registry says today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from siks.domain import finding_catalog
from siks.domain import programs as rules
from siks.store.models.penetapan import Penetapan, PenetapanHousehold, PenetapanMember

# reason code of the penetapan decision → the rule as a citizen reads it (no values)
RULES = {
    "DESIL_DI_ATAS_BATAS": (
        "Aturan penetapan: yang masuk DTKS hanya rumah tangga dengan tingkat kesejahteraan "
        "desil 1–{desil_max}. Menurut hasil pendataan, rumah tangga ini berada di atas batas itu."
    ),
    "DESIL_KOSONG": (
        "Rumah tangga ini belum memiliki penilaian tingkat kesejahteraan (desil), sehingga belum dapat "
        "ditetapkan; ia menunggu verifikasi dan validasi lapangan."
    ),
    "NONAKTIF": "Rumah tangga ini tercatat nonaktif di registri (misalnya pindah atau tidak ditemukan).",
    "TANPA_ART": "Tidak ada anggota rumah tangga yang tercatat masih tinggal bersama.",
    "TIDAK_ADA_DI_REGISTRI": "Rumah tangga ini tidak ada lagi dalam data registri wilayah ini.",
}
MEMBER_RULES = {
    "Meninggal": "Orang ini tercatat telah meninggal dunia, sehingga tidak lagi termasuk DTKS.",
    "Pindah ke daerah lain": "Orang ini tercatat pindah ke daerah lain; DTKS mengikuti tempat tinggalnya.",
    "Pindah ke luar negeri": "Orang ini tercatat pindah ke luar negeri.",
    "Tidak ditemukan": "Orang ini tidak ditemukan petugas di alamatnya saat verifikasi.",
    "Anggota nonaktif di registri": "Orang ini tercatat nonaktif di registri.",
}
SANGGAH_HOW = (
    "Bila menurut Anda ada yang keliru, datangi kantor desa/kelurahan dengan KTP dan Kartu Keluarga untuk "
    "mengajukan sanggah; perbaikan dibahas dalam musyawarah desa dan masuk penetapan berikutnya."
)


@dataclass(frozen=True, slots=True)
class Explanation:
    """`reasons`: the rules, for anyone; `own_data`: (label, value) of the person's own data, theirs only."""

    terdaftar: bool
    penetapan: str  # its title
    ditetapkan: dt.datetime  # when it was determined (pages format dates)
    berlaku_mulai: dt.date
    reasons: tuple[str, ...]
    programs_in: tuple[str, ...]
    programs_out: tuple[tuple[str, str], ...]  # (program, the rule it did not meet)
    own_data: tuple[tuple[str, str], ...]
    how_to_dispute: str


def _criteria(p: Penetapan) -> dict:
    return p.criteria if isinstance(p.criteria, dict) else {}


def _exclusion_rule(p: Penetapan, code: str) -> str | None:
    for rule in _criteria(p).get("exclusions") or []:
        if isinstance(rule, dict) and rule.get("code") == code:
            title = rule.get("title") or code
            return f"Aturan penetapan: {title[:1].lower() + title[1:]} dikecualikan dari DTKS."
    return None


def _program_rule(prog: rules.Program) -> str:
    desil = prog.params.get("desil_max")
    unit = "orang" if prog.unit == "anggota" else "keluarga"
    text = f"Syarat {prog.name}: {unit} yang terdaftar dalam DTKS"
    if desil is not None:
        text += f" dengan desil 1–{desil}"
    if prog.require_component and prog.components:
        labels = ", ".join(c.label for c in prog.components)
        text += f", dan memiliki anggota yang termasuk komponen program ({labels})"
    return text + "."


def explain(
    p: Penetapan,
    m: PenetapanMember,
    h: PenetapanHousehold,
    family: object | None,
    today: dt.date,
) -> Explanation:
    """The explanation of one frozen anggota; `family` is `siks.programs.service.Family` (or None)."""
    desil_max = _criteria(p).get("desil_max", "?")
    reasons: list[str] = []
    own: list[tuple[str, str]] = []
    if h.desil is not None:
        own.append(("Desil rumah tangga Anda", str(h.desil)))
    own.append(("Anggota rumah tangga yang dihitung", str(h.jumlah_art)))
    if m.included:
        reasons.append(
            f"Rumah tangga Anda memenuhi aturan penetapan: aktif di registri, desil 1–{desil_max}, dan tidak "
            "termasuk yang dikecualikan."
        )
    else:
        if not h.included:
            for code, text in h.reasons or []:
                rule = RULES.get(code) or _exclusion_rule(p, code) or f"Aturan penetapan: {text}."
                reasons.append(rule.format(desil_max=desil_max))
                if code == "NONAKTIF" and ":" in text:
                    own.append(("Keterangan nonaktif", text.split(":", 1)[1].strip()))
        elif m.reason:
            reasons.append(MEMBER_RULES.get(m.reason, f"{m.reason}."))
        if not reasons:
            reasons.append("Tidak memenuhi aturan penetapan.")
    # what the verval found about this person only (another anggota's finding is never named)
    for note in finding_catalog.citizen_notes(m.findings or (), limit=3):
        own.append(("Hasil pemeriksaan data Anda", note))
    programs_in: list[str] = []
    programs_out: list[tuple[str, str]] = []
    for code in rules.program_codes() if family is not None else ():
        prog = rules.default_program(code)
        if prog.unit == "ppks_orang":  # persons outside households only; a household member never is one
            continue
        facts = family.facts  # type: ignore[attr-defined]
        if prog.unit == "anggota":
            ok = any(e.eligible and e.unit_ref == m.member_ref for e in rules.evaluate_people(prog, facts))
        else:
            ok = rules.evaluate_family(prog, facts).eligible
        if ok:
            programs_in.append(prog.name)
        else:
            programs_out.append((prog.name, _program_rule(prog)))
    return Explanation(
        bool(m.included),
        p.title,
        p.created_at,
        p.berlaku_mulai,
        tuple(reasons),
        tuple(programs_in),
        tuple(programs_out),
        tuple(own),
        SANGGAH_HOW,
    )

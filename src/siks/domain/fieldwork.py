"""Field verval result codes, and which results should become a deactivation usulan.

Per household: the Kemensos verivali form 2020 (docs/domain-facts.md §2.6); code 6 (refusal) is siks's
addition, taken from the Regsosek 205 list, because the 2020 form has no code for it. Per member: keberadaan
(Regsosek 404). A visit never deactivates anyone by itself: what it finds becomes a draft usulan at the desa,
which then goes up the approval chain like any other.
"""

from __future__ import annotations

from siks.domain.instruments import regsosek2022
from siks.domain.instruments.fields import Field
from siks.domain.template import COLUMNS

HOUSEHOLD_RESULTS: dict[int, str] = {
    1: "Selesai diverivali",
    2: "Rumah tangga tidak ditemukan",
    3: "Rumah tangga pindah/bangunan sudah tidak ada",
    4: "Bagian dari rumah tangga sesuai prelist",
    5: "Data ganda",
    6: "Responden menolak",
}

KEBERADAAN: dict[int, str] = dict(regsosek2022.KEBERADAAN.codes)  # 404

# Result → the nonaktif reason it proposes (None: nothing to propose).
HOUSEHOLD_NONAKTIF = {2: "tidak_ditemukan", 3: "pindah", 5: "ganda"}
MEMBER_NONAKTIF = {2: "meninggal", 3: "pindah", 4: "pindah", 6: "tidak_ditemukan"}

# Results after which the member/household answers are not collected (404: 2, 3, 4, 6 skip the rest).
MEMBER_SKIPS = frozenset({2, 3, 4, 6})
HOUSEHOLD_ANSWERED = frozenset({1, 4})

# A task's status is `siks.domain.status.TaskStatus` (ditugaskan → selesai).


def check_visit(result: int, members: dict[int, int]) -> list[str]:
    """Indonesian messages for an impossible visit record; [] when it is fine."""
    problems = []
    if result not in HOUSEHOLD_RESULTS:
        problems.append(f"Kode hasil verivali '{result}' tidak dikenal.")
    for member_id, code in members.items():
        if code not in KEBERADAAN:
            problems.append(f"Kode keberadaan '{code}' untuk anggota {member_id} tidak dikenal.")
    if result in HOUSEHOLD_ANSWERED and members and all(c in MEMBER_SKIPS for c in members.values()):
        problems.append("Rumah tangga selesai diverivali tetapi tidak ada anggota yang tinggal bersama.")
    return problems


# --- the visit form: which answers an enumerator updates, taken from the import template ------------------

_IDENTITY = frozenset({"keberadaan", "jenis_kelamin", "status_kawin", "hubungan_kk"})  # changed by usulan


def household_fields() -> list[Field]:
    """Ruta-level questions (housing, assets, livestock, internet, account), in form order."""
    return [f for f in COLUMNS if f.level == "ruta" and f.kind in ("code", "yes_no", "count")]


def member_fields() -> list[Field]:
    """Per-member questions re-asked at a visit (school, work, disability, health); identity is an usulan."""
    return [
        f for f in COLUMNS if f.level == "anggota" and f.kind in ("code", "yes_no") and f.key not in _IDENTITY
    ]


def clean_answers(fields: list[Field], raw: dict) -> tuple[dict, list[str]]:
    """Form text → stored answers (code: int, yes_no: bool, count: int). Empty inputs are left out."""
    out: dict = {}
    problems: list[str] = []
    for f in fields:
        value = raw.get(f.key)
        if value is None or str(value).strip() == "":
            continue
        text = str(value).strip()
        if f.kind == "yes_no":
            if text.lower() in ("1", "ya", "true"):
                out[f.key] = True
            elif text.lower() in ("2", "tidak", "false"):
                out[f.key] = False
            else:
                problems.append(f"{f.label}: jawaban '{text}' harus Ya atau Tidak.")
            continue
        try:
            number = int(text)
        except ValueError:
            problems.append(f"{f.label}: '{text}' bukan angka.")
            continue
        if f.kind == "code" and number not in f.codes:
            problems.append(f"{f.label}: kode {number} tidak dikenal.")
        elif f.kind == "count" and not ((f.min_value or 0) <= number <= (f.max_value or 999)):
            problems.append(f"{f.label}: {number} di luar batas {f.min_value}–{f.max_value}.")
        else:
            out[f.key] = number
    return out, problems

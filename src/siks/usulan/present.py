"""How an usulan reads to a person: labels, the proposed values as rows, the form fields each kind needs.

Shared by the pages and the JSON API so both say the same thing. NIK and KK numbers are masked for roles
that do not see them in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from siks.domain import ppks
from siks.domain.masking import nik_for, sees_full_nik
from siks.domain.roles import LEVEL_LABEL, Level
from siks.domain.usulan import ACTION_LABEL, STATUS_LABEL, Status
from siks.domain.usulan_kinds import KIND_LABEL, SUBKINDS, TARGETS, Kind
from siks.registry.lookup import label

FIELD_LABEL = {
    "nama": "Nama",
    "nik": "NIK",
    "sex": "Jenis kelamin",
    "tempat_lahir": "Tempat lahir",
    "tanggal_lahir": "Tanggal lahir",
    "status_kawin": "Status kawin",
    "hubungan_kk": "Hubungan dengan kepala keluarga",
    "dusun": "Dusun",
    "rw": "RW",
    "rt": "RT",
    "alamat": "Alamat",
    "kk_number": "Nomor KK",
    "desa_code": "Desa tujuan",
    "tanggal": "Tanggal kejadian",
    "duplicate_of": "Sama dengan ART",
    "alasan": "Alasan",
    "jenis": "Jenis",
    "bukti": "Bukti",
    "lks_ref": "LKS tempat tinggal",
    "tempat": "Tempat ditemukan",
    "wilayah_code": "Wilayah kerja",
    "nomor_tanda_daftar": "Nomor tanda daftar",
    "akreditasi": "Akreditasi",
    "ref": "Ref",
    "pelapor": "Pelapor",
    "lat": "Lintang (GPS)",
    "lon": "Bujur (GPS)",
}
CODED = {"sex", "status_kawin", "hubungan_kk"}
TARGET_LABEL = {
    "household": "Rumah tangga",
    "family": "Keluarga",
    "member": "Anggota",
    "ppks_person": "PPKS di luar rumah tangga",
    "ppks_kelompok": "Kelompok PPKS",
    "ppks_registration": "Pencatatan PPKS",
    "psks": "PSKS",
}
CHANNEL_LABEL = {
    "operator": "Operator desa",
    "warga": "Warga (usul/sanggah)",
    "verval": "Verval",
    "odk": "ODK Collect",
}


def status_label(status: str, level: str | None) -> str:
    text = STATUS_LABEL.get(Status(status), status)
    if status == Status.DIKEMBALIKAN and level:
        text += f" ke {LEVEL_LABEL[Level(level)].lower()}"
    return text


EVENT_LABEL = {"buat": "Dibuat", "ubah": "Diubah", "terapkan": "Diterapkan ke DTKS"}


def event_label(action: str) -> str:
    return EVENT_LABEL.get(action) or ACTION_LABEL.get(action, action)


def kind_label(kind: str, subkind: str) -> str:
    k = Kind(kind)
    return f"{KIND_LABEL[k]} — {SUBKINDS[k].get(subkind, subkind)}"


def _value(user, key: str, value) -> str:
    if value in (None, ""):
        return "-"
    if key in CODED:
        return label(key, value)
    if key in ("nik", "kk_number"):
        return nik_for(user, value) or "-"
    if key == "jenis":  # PPKS kinds (one or a list) or a PSKS kind
        codes = value if isinstance(value, list) else [value]
        return ", ".join(
            ppks.PPKS_KINDS[c].label if c in ppks.PPKS_KINDS else ppks.psks_label(c) for c in codes
        )
    return str(value)


def payload_rows(user, kind: str, subkind: str, payload: dict) -> list[tuple[str, str]]:
    """The proposed values as (label, value); a new household lists its members one per row."""
    rows: list[tuple[str, str]] = []
    for key, value in payload.items():
        if key == "members":
            for i, m in enumerate(value, start=1):
                rows.append((f"Anggota {i}", _person(user, m)))
        elif key == "member":
            rows.append(("Anggota baru", _person(user, value)))
        elif key == "changes":
            rows += [(f"{FIELD_LABEL.get(k, k)} menjadi", _value(user, k, v)) for k, v in value.items()]
        else:
            rows.append((FIELD_LABEL.get(key, key), _value(user, key, value)))
    return [r for r in rows if r[1] != "-"] or [("Isi", "-")]


def _person(user, m: dict) -> str:
    parts = [m.get("nama") or "-", nik_for(user, m.get("nik")) or "tanpa NIK", label("sex", m.get("sex"))]
    if m.get("tanggal_lahir"):
        parts.append(f"lahir {m['tanggal_lahir']}")
    if m.get("hubungan_kk"):
        parts.append(label("hubungan_kk", m["hubungan_kk"]))
    return ", ".join(parts)


def subject_nik(user, nik: str | None) -> str:
    return (nik or "") if sees_full_nik(user) else nik_for(user, nik)


@dataclass(frozen=True, slots=True)
class KindChoice:
    kind: str
    subkind: str
    label: str
    targets: tuple[str, ...]


def kind_choices() -> list[KindChoice]:
    """Every (kind, subkind) a desa operator can file, in menu order."""
    out = []
    for kind in Kind:
        for sub, text in SUBKINDS[kind].items():
            out.append(KindChoice(kind.value, sub, f"{KIND_LABEL[kind]}: {text}", TARGETS[(kind, sub)]))
    return out


def workflow_markdown(workflow) -> str:
    """The state machine as the Markdown table in docs/usulan.md (a test keeps the two equal)."""
    lines = [
        "| tingkat | dari status | aksi | ke status | lalu dipegang | peran | catatan wajib | diterapkan |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in workflow.transitions:
        lines.append(
            f"| {t.level.value} | {t.source.value} | `{t.action.value}` | {t.target.value} | "
            f"{t.target_level.value if t.target_level else '— (selesai)'} | {', '.join(sorted(t.roles))} | "
            f"{'ya' if t.note_required else ''} | {'ya' if t.applies else ''} |"
        )
    return "\n".join(lines)

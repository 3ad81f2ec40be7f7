"""The kinds of usulan, what each targets, and the checks on what it proposes (pure, no database).

Why one table: the desa form, the JSON API, the citizen channel and the verval engine all create usulan, and
each must be checked the same way before it enters the workflow. `validate` returns the cleaned payload
and the issues; any error refuses the usulan. New people are held to the strict import rules (design.md §3:
NIK warnings become errors for new usulan), because padan identity data is a DTKS entry condition.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from siks.domain import ppks, wilayah
from siks.domain.cells import text_problem
from siks.domain.issues import Issue
from siks.domain.kk import check_kk
from siks.domain.nik import check_nik


class Kind(StrEnum):
    BARU = "baru"
    PERBAIKAN = "perbaikan"
    NONAKTIF = "nonaktif"
    SANGGAH = "sanggah"


KIND_LABEL = {
    Kind.BARU: "Usulan baru",
    Kind.PERBAIKAN: "Perbaikan data",
    Kind.NONAKTIF: "Nonaktif",
    Kind.SANGGAH: "Sanggah",
}

# Why an active record is deactivated (docs/domain-facts.md §2.7): the same list serves nonaktif and sanggah.
NONAKTIF_REASONS = {
    "meninggal": "Meninggal",
    "pindah": "Pindah",
    "mampu": "Mampu",
    "tidak_ditemukan": "Tidak ditemukan",
    "ganda": "Data ganda",
}

SUBKINDS: dict[Kind, dict[str, str]] = {
    Kind.BARU: {
        "ruta": "Rumah tangga baru",
        "anggota": "Anggota baru dalam keluarga",
        "ppks_orang": "PPKS baru di luar rumah tangga",
        "ppks_jenis": "Pencatatan jenis PPKS",
        "psks": "PSKS baru",
    },
    Kind.PERBAIKAN: {
        "data": "Perbaikan isian",
        "nik": "Perbaikan NIK",
        "kk": "Perubahan nomor KK",
        "pindah": "Pindah ke desa lain",
        "ppks_orang": "Perbaikan data PPKS di luar rumah tangga",
        "psks": "Perbaikan data PSKS",
    },
    Kind.NONAKTIF: {**NONAKTIF_REASONS, "ppks_jenis": "Akhiri jenis PPKS", "psks": "PSKS berhenti"},
    Kind.SANGGAH: NONAKTIF_REASONS,
}
# PPKS and PSKS (docs/ppks-psks.md): the same workflow, payloads checked by `siks.domain.ppks`.
PPKS_SUBKINDS = frozenset({"ppks_orang", "ppks_jenis", "psks"})

# Which registry entity each (kind, subkind) points at; None: the usulan creates it.
TARGETS: dict[tuple[Kind, str], tuple[str, ...]] = {
    (Kind.BARU, "ruta"): (),
    (Kind.BARU, "anggota"): ("family",),
    (Kind.PERBAIKAN, "data"): ("member", "household"),
    (Kind.PERBAIKAN, "nik"): ("member",),
    (Kind.PERBAIKAN, "kk"): ("family",),
    (Kind.PERBAIKAN, "pindah"): ("household",),
    **{(Kind.NONAKTIF, r): ("member", "household") for r in NONAKTIF_REASONS},
    **{(Kind.SANGGAH, r): ("household", "member") for r in NONAKTIF_REASONS},
}
TARGETS[(Kind.NONAKTIF, "meninggal")] = ("member",)
TARGETS[(Kind.NONAKTIF, "ganda")] = ("member",)
# A person outside households leaves DTKS for the same reasons as a household member.
for _reason in NONAKTIF_REASONS:
    TARGETS[(Kind.NONAKTIF, _reason)] += ("ppks_person",)
TARGETS |= {
    (Kind.BARU, "ppks_orang"): (),
    (Kind.BARU, "ppks_jenis"): ("member", "family", "ppks_person", "ppks_kelompok"),
    (Kind.BARU, "psks"): (),
    (Kind.PERBAIKAN, "ppks_orang"): ("ppks_person",),
    (Kind.PERBAIKAN, "psks"): ("psks",),
    (Kind.NONAKTIF, "ppks_jenis"): ("ppks_registration",),
    (Kind.NONAKTIF, "psks"): ("psks",),
}
# The PPKS subject each target of a `ppks_jenis` usulan is (a kind must fit it: PPKS_SUBJEK).
PPKS_SUBJECT = {
    "member": ppks.Subject.PERSEORANGAN,
    "ppks_person": ppks.Subject.PERSEORANGAN,
    "family": ppks.Subject.KELUARGA,
    "ppks_kelompok": ppks.Subject.KELOMPOK,
}
# What a perbaikan may change; the whole record is checked again against the stored one (siks.usulan).
PPKS_PERSON_FIELDS = ("nama", "nik", "sex", "tempat_lahir", "tanggal_lahir", "lks_ref", "tempat", "alamat")
PSKS_FIELDS = ("nama", "nik", "sex", "alamat", "nomor_tanda_daftar", "akreditasi")

MEMBER_FIELDS = ("nama", "sex", "tempat_lahir", "tanggal_lahir", "status_kawin", "hubungan_kk")
HOUSEHOLD_FIELDS = ("dusun", "rw", "rt", "alamat")
CODES = {"sex": (1, 2), "status_kawin": (1, 2, 3, 4), "hubungan_kk": tuple(range(1, 9))}
_RWRT = re.compile(r"\d{1,3}")


def _err(code: str, message: str, field: str | None = None, value=None) -> Issue:
    return Issue(code, message, field, None if value is None else str(value))


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _typed(value, field: str, issues: list[Issue]) -> str | None:
    """Free text typed by a person (names, places, addresses): the same rules as an imported cell."""
    text = _text(value)
    if text is not None and (why := text_problem(text)):
        issues.append(_err("USULAN_TEXT", f"{field}: '{text[:60]}' {why}", field, text[:60]))
        return None
    return text


def _date(value, field: str, issues: list[Issue], today: dt.date) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
    except ValueError:
        issues.append(
            _err("USULAN_DATE", f"{field}: tanggal '{value}' tidak valid (YYYY-MM-DD).", field, value)
        )
        return None
    if day > today:
        issues.append(_err("USULAN_DATE_FUTURE", f"{field}: tanggal {day} di masa depan.", field, value))
    return day


def _code(value, field: str, issues: list[Issue]) -> int | None:
    if value in (None, ""):
        return None
    try:
        code = int(value)
    except (TypeError, ValueError):
        code = None
    if code not in CODES[field]:
        issues.append(_err("USULAN_CODE", f"{field}: kode '{value}' tidak dikenal.", field, value))
        return None
    return code


def _rwrt(value, field: str, issues: list[Issue]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if not _RWRT.fullmatch(text):
        issues.append(_err("USULAN_RWRT", f"{field.upper()} harus 1–3 digit angka.", field, value))
        return None
    return text.zfill(3)


def _nik(value, sex, born, issues: list[Issue], today: dt.date) -> str | None:
    """Strict: a new or repaired NIK must be 16 digits with no structure warning."""
    text = _text(value)
    if text is None:
        issues.append(_err("USULAN_NIK_REQUIRED", "NIK wajib diisi untuk usulan ini.", "nik"))
        return None
    found = check_nik(text, sex=sex, birth_date=born, reference_date=today)
    issues.extend(Issue(i.code, i.message, i.field, i.value, "error") for i in found)
    return None if found else re.sub(r"\D", "", text)


def _kk(value, issues: list[Issue], required: bool) -> str | None:
    """KK structure beyond 16 digits is inferred (docs/domain-facts.md §3.2): refuse only a malformed one."""
    text = _text(value)
    if text is None:
        if required:
            issues.append(_err("USULAN_KK", "Nomor KK baru wajib diisi.", "kk_number"))
        return None
    errors = [i for i in check_kk(text) if i.is_error]
    issues.extend(errors)
    return None if errors else re.sub(r"\D", "", text)


def clean_member(raw: dict, issues: list[Issue], today: dt.date) -> dict:
    """A new person: name, sex and birth date are required, and the NIK is checked strictly."""
    nama = _typed(raw.get("nama"), "nama", issues)
    if nama is None and not any(i.field == "nama" for i in issues):
        issues.append(_err("USULAN_NAMA", "Nama wajib diisi.", "nama"))
    sex = _code(raw.get("sex"), "sex", issues)
    if sex is None and not any(i.field == "sex" for i in issues):
        issues.append(_err("USULAN_SEX", "Jenis kelamin wajib diisi (1 laki-laki, 2 perempuan).", "sex"))
    born = _date(raw.get("tanggal_lahir"), "tanggal_lahir", issues, today)
    if born is None and not any(i.field == "tanggal_lahir" for i in issues):
        issues.append(_err("USULAN_TGL_LAHIR", "Tanggal lahir wajib diisi.", "tanggal_lahir"))
    return {
        "nama": nama,
        "nik": _nik(raw.get("nik"), sex, born, issues, today),
        "sex": sex,
        "tempat_lahir": _typed(raw.get("tempat_lahir"), "tempat_lahir", issues),
        "tanggal_lahir": born.isoformat() if born else None,
        "status_kawin": _code(raw.get("status_kawin"), "status_kawin", issues),
        "hubungan_kk": _code(raw.get("hubungan_kk"), "hubungan_kk", issues),
    }


def _changes(raw: dict, entity: str, issues: list[Issue], today: dt.date) -> dict:
    allowed = MEMBER_FIELDS if entity == "member" else HOUSEHOLD_FIELDS
    changes = {}
    for field, value in (raw or {}).items():
        if field not in allowed:
            issues.append(
                _err("USULAN_FIELD", f"Isian '{field}' tidak dapat diubah lewat usulan ini.", field)
            )
        elif field in CODES:
            changes[field] = _code(value, field, issues)
        elif field == "tanggal_lahir":
            born = _date(value, field, issues, today)
            changes[field] = born.isoformat() if born else None
        elif field in ("rw", "rt"):
            changes[field] = _rwrt(value, field, issues)
        else:
            changes[field] = _typed(value, field, issues)
    if not changes and not issues:
        issues.append(_err("USULAN_NO_CHANGE", "Tidak ada isian yang diubah."))
    if entity == "member" and "nama" in changes and changes["nama"] is None and not issues:
        issues.append(_err("USULAN_NAMA", "Nama tidak boleh dikosongkan.", "nama"))
    return changes


def _place(raw: dict, issues: list[Issue]) -> dict:
    return {
        "dusun": _typed(raw.get("dusun"), "dusun", issues),
        "rw": _rwrt(raw.get("rw"), "rw", issues),
        "rt": _rwrt(raw.get("rt"), "rt", issues),
        "alamat": _typed(raw.get("alamat"), "alamat", issues),
    }


def validate(
    kind: Kind | str, subkind: str, target_entity: str | None, payload: dict, today: dt.date | None = None
) -> tuple[dict, list[Issue]]:
    """Check one usulan before it is saved; returns (clean payload, issues). Any issue refuses it."""
    today = today or dt.date.today()
    issues: list[Issue] = []
    try:
        kind = Kind(kind)
    except ValueError:
        return {}, [_err("USULAN_KIND", f"Jenis usulan '{kind}' tidak dikenal.", "kind", kind)]
    if subkind not in SUBKINDS[kind]:
        return {}, [_err("USULAN_SUBKIND", f"Rincian usulan '{subkind}' tidak dikenal.", "subkind", subkind)]
    targets = TARGETS[(kind, subkind)]
    if (target_entity or None) not in (targets or (None,)):
        want = " atau ".join(targets) if targets else "tanpa sasaran"
        return {}, [_err("USULAN_TARGET", f"Sasaran usulan ini harus {want}.", "target", target_entity)]
    payload = payload or {}
    clean: dict = {}
    if kind is Kind.BARU and subkind == "ruta":
        clean = _place(payload, issues)
        clean["kk_number"] = _kk(payload.get("kk_number"), issues, required=False)
        members = [clean_member(m, issues, today) for m in payload.get("members") or []]
        if not members:
            issues.append(_err("USULAN_MEMBERS", "Rumah tangga baru harus memiliki anggota.", "members"))
        elif sum(1 for m in members if m["hubungan_kk"] == 1) != 1:
            issues.append(
                _err("USULAN_KEPALA", "Harus ada tepat satu kepala keluarga (hubungan 1).", "members")
            )
        clean["members"] = members
    elif kind is Kind.BARU and subkind == "anggota":
        clean["member"] = clean_member(payload.get("member") or {}, issues, today)
    elif subkind == "data":
        clean["changes"] = _changes(payload.get("changes"), target_entity, issues, today)
    elif subkind == "nik":
        clean["nik"] = _nik(payload.get("nik"), None, None, issues, today)
    elif subkind == "kk":
        clean["kk_number"] = _kk(payload.get("kk_number"), issues, required=True)
    elif subkind == "pindah" and kind is Kind.PERBAIKAN:
        clean = _place(payload, issues)
        code = _text(payload.get("desa_code"))
        try:
            code = wilayah.normalize(code or "")
        except ValueError as e:
            issues.append(_err("USULAN_DESA", str(e), "desa_code", code))
        else:
            if wilayah.level(code) != 4 or wilayah.get(code) is None:
                issues.append(_err("USULAN_DESA", f"Desa tujuan {code} tidak dikenal.", "desa_code", code))
        clean["desa_code"] = code
    elif subkind in PPKS_SUBKINDS:
        clean = _ppks(kind, subkind, target_entity, payload, issues, today)
    else:  # nonaktif and sanggah
        clean["tanggal"] = _date(payload.get("tanggal"), "tanggal", issues, today)
        clean["tanggal"] = clean["tanggal"].isoformat() if clean["tanggal"] else None
        if subkind == "ganda":
            clean["duplicate_of"] = _text(payload.get("duplicate_of"))
        if kind is Kind.SANGGAH:
            clean["alasan"] = _typed(payload.get("alasan"), "alasan", issues)
            if clean["alasan"] is None and not any(i.field == "alasan" for i in issues):
                issues.append(_err("USULAN_ALASAN", "Sanggah wajib disertai alasan.", "alasan"))
            clean["pelapor"] = _typed(payload.get("pelapor"), "pelapor", issues)
            for field in ("lat", "lon"):
                value = payload.get(field)
                try:
                    clean[field] = float(value) if value not in (None, "") else None
                except (TypeError, ValueError):
                    issues.append(_err("USULAN_GPS", f"Koordinat {field} tidak valid.", field, value))
    return clean, issues


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _ppks_changes(raw, allowed: tuple[str, ...], issues: list[Issue]) -> dict:
    changes = {}
    for field, value in (raw or {}).items():
        if field not in allowed:
            issues.append(
                _err("USULAN_FIELD", f"Isian '{field}' tidak dapat diubah lewat usulan ini.", field)
            )
        else:
            changes[field] = _text(value)
    if not changes and not issues:
        issues.append(_err("USULAN_NO_CHANGE", "Tidak ada isian yang diubah."))
    return changes


def _ppks(kind: Kind, subkind: str, target: str | None, payload: dict, issues: list[Issue], today) -> dict:
    """PPKS and PSKS payloads, checked by the rules of a direct registration (siks.domain.ppks).

    A perbaikan is checked here field by field; the service checks the merged record as well, since the
    rest of it lies in the database.
    """
    if kind is Kind.BARU and subkind == "ppks_orang":
        person, found = ppks.clean_person({k: v for k, v in payload.items() if k != "lks_id"}, today)
        issues.extend(i for i in found if i.is_error)
        person = {k: _iso(v) for k, v in person.items()}
        person["lks_ref"] = _text(payload.get("lks_ref"))
        codes = payload.get("jenis") or []
        codes = [c.strip() for c in codes.split(";")] if isinstance(codes, str) else list(codes)
        if not [c for c in codes if c]:
            issues.append(_err("PPKS_JENIS", "Pilih minimal satu jenis PPKS.", "jenis"))
        regs = [
            ppks.clean_registration(
                {"jenis": c, "tanggal": payload.get("tanggal"), "bukti": payload.get("bukti")},
                ppks.Subject.PERSEORANGAN,
                today,
            )
            for c in codes
            if c
        ]
        for _, found in regs:
            issues.extend(i for i in found if i.is_error and i not in issues)
        first = regs[0][0] if regs else {}
        return person | {
            "jenis": [r["jenis"] for r, _ in regs],
            "tanggal": _iso(first.get("tanggal")),
            "bukti": first.get("bukti"),
        }
    if kind is Kind.BARU and subkind == "ppks_jenis":
        reg, found = ppks.clean_registration(payload, PPKS_SUBJECT[target], today)
        issues.extend(i for i in found if i.is_error)
        return {k: _iso(v) for k, v in reg.items()}
    if kind is Kind.BARU:  # psks
        psks, found = ppks.clean_psks(payload, today)
        issues.extend(i for i in found if i.is_error)
        return psks
    if kind is Kind.PERBAIKAN:
        allowed = PPKS_PERSON_FIELDS if subkind == "ppks_orang" else PSKS_FIELDS
        return {"changes": _ppks_changes(payload.get("changes"), allowed, issues)}
    # nonaktif: end one kind (with the reason of ppks.END_REASONS), or stop a PSKS (with a reason)
    clean = {"tanggal": _iso(_date(payload.get("tanggal"), "tanggal", issues, today))}
    alasan = _typed(payload.get("alasan"), "alasan", issues)
    if subkind == "ppks_jenis" and alasan not in ppks.END_REASONS:
        choices = ", ".join(ppks.END_REASONS)
        issues.append(_err("USULAN_ALASAN", f"Alasan wajib salah satu dari: {choices}.", "alasan", alasan))
    elif alasan is None and not any(i.field == "alasan" for i in issues):
        issues.append(_err("USULAN_ALASAN", "Alasan wajib diisi.", "alasan"))
    return clean | {"alasan": alasan}


def describe(kind: Kind | str, subkind: str, payload: dict) -> str:
    """One line for lists and the BNBA 'deskripsi' column."""
    kind = Kind(kind)
    label = SUBKINDS[kind].get(subkind, subkind)
    if kind is Kind.BARU and subkind == "ruta":
        return f"{label}: {len(payload.get('members') or [])} anggota"
    if subkind == "data":
        return f"{label}: " + ", ".join(sorted(payload.get("changes") or {}))
    if subkind == "nik":
        return f"{label} menjadi {payload.get('nik')}"
    if subkind == "kk":
        return f"{label} menjadi {payload.get('kk_number')}"
    if kind is Kind.PERBAIKAN and subkind == "pindah":
        return f"{label}: {payload.get('desa_code')}"
    if kind is Kind.SANGGAH:
        return f"Sanggah ({label}): {payload.get('alasan') or ''}".strip()
    if subkind == "ppks_orang" and kind is Kind.BARU:
        kinds = ", ".join(ppks.kind_label(c) for c in payload.get("jenis") or [])
        return f"{label}: {kinds}" if kinds else label
    if subkind == "ppks_jenis" and kind is Kind.BARU:
        return f"{label}: {ppks.kind_label(payload.get('jenis') or '')}".rstrip(": ")
    if subkind == "psks" and kind is Kind.BARU:
        return f"{label}: {ppks.psks_label(payload.get('jenis') or '')}".rstrip(": ")
    if kind is Kind.PERBAIKAN and subkind in PPKS_SUBKINDS:
        return f"{label}: " + ", ".join(sorted(payload.get("changes") or {}))
    if kind is Kind.NONAKTIF and subkind in PPKS_SUBKINDS:
        return f"{label}: {payload.get('alasan') or ''}".rstrip(": ")
    return f"{KIND_LABEL[kind]}: {label}"

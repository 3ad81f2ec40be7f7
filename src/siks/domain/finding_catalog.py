"""The finding catalog: every verval finding code with what a person reads about it.

Why one pure module: a code is what the pipeline, the store, exports, adjudication and eligibility rules
key on, but a person must never have to read one. Reports, `siks verval explain`, the dashboard, the
household page, the audit trail, exports and the public pages all take the title, the severity, what the
operator should do and what the citizen is told from here, without importing (or running) any step.

Each entry:
- `title`: short Indonesian label (tables, legends, charts);
- `description`: what the finding means, in one or two sentences;
- `severity`: `tinggi` (the record would wrongly receive or lose bansos until fixed), `sedang` (identity
  data is wrong and must be corrected), `rendah` (advice or a repair suggestion);
- `action`: what the operator (desa/kecamatan/kabupaten) does about it;
- `citizen`: what the person concerned is told, without anyone's data (public pages, letters);
- `template`: the per-finding explanation, rendered set-wise in SQL by the pipeline; `{column}` names a
  column of the step's SELECT.

Eligibility rule codes are data (a rule set JSON): the shipped DTKS rules are part of the catalog; a custom
rule set adds its rules with `register_rules` when it is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Level = Literal["anggota", "keluarga", "ruta"]
Severity = Literal["tinggi", "sedang", "rendah"]
LEVELS: tuple[str, ...] = ("anggota", "keluarga", "ruta")
SEVERITIES: dict[str, str] = {"tinggi": "Tinggi", "sedang": "Sedang", "rendah": "Rendah"}


@dataclass(frozen=True, slots=True)
class FindingCode:
    code: str
    level: str
    step: str  # the pipeline step that emits it
    title: str
    description: str
    severity: str
    action: str
    citizen: str
    template: str

    @property
    def severity_label(self) -> str:
        return SEVERITIES[self.severity]


_ENTRIES: dict[str, FindingCode] = {}
_REGISTERED: dict[str, FindingCode] = {}  # eligibility rules of a custom rule set

_CITIZEN_CHECK = (
    "Data Anda perlu diperiksa kembali oleh petugas. Bila ada yang keliru, datangi kantor desa/kelurahan "
    "dengan membawa KTP dan Kartu Keluarga."
)
_CITIZEN_KTP = (
    "Nomor NIK Anda di data kesejahteraan sosial perlu dicocokkan dengan KTP/KK. Bawa KTP dan Kartu Keluarga "
    "ke kantor desa/kelurahan."
)
_CITIZEN_KK = (
    "Nomor Kartu Keluarga Anda di data kesejahteraan sosial perlu dicocokkan. Bawa Kartu Keluarga terbaru ke "
    "kantor desa/kelurahan."
)


def _add(
    code: str,
    level: str,
    step: str,
    title: str,
    description: str,
    severity: str,
    action: str,
    citizen: str,
    template: str,
) -> None:
    if level not in LEVELS:
        raise ValueError(f"level {level!r} bukan salah satu dari {LEVELS}")
    if severity not in SEVERITIES:
        raise ValueError(f"tingkat {severity!r} bukan salah satu dari {tuple(SEVERITIES)}")
    if code in _ENTRIES:
        raise ValueError(f"kode temuan {code} didefinisikan dua kali")
    _ENTRIES[code] = FindingCode(code, level, step, title, description, severity, action, citizen, template)


# --- structure: the NIK and KK rules of siks.domain.nik / siks.domain.kk (same codes as import warnings) ----
_NIK_ACTION = "Cocokkan NIK dengan fotokopi KTP/KK dan perbaiki lewat usulan perubahan data."
for _code, _title, _desc, _sev, _tpl in (
    (
        "NIK_EMPTY",
        "NIK kosong",
        "Anggota rumah tangga tidak memiliki NIK tercatat.",
        "sedang",
        "NIK {nama} kosong. Minta fotokopi KTP/KK untuk melengkapinya.",
    ),
    (
        "NIK_FORMAT",
        "NIK tidak 16 digit",
        "NIK yang tercatat bukan 16 digit angka.",
        "sedang",
        "NIK {nama} ({nik}) bukan 16 digit angka.",
    ),
    (
        "NIK_PROVINCE",
        "Kode provinsi NIK salah",
        "Dua digit pertama NIK bukan kode provinsi.",
        "sedang",
        "Digit 1–2 NIK {nik} ({nama}) bukan kode provinsi.",
    ),
    (
        "NIK_REGION",
        "Kode wilayah NIK tidak dikenal",
        "Enam digit pertama NIK bukan kode kecamatan yang pernah ada.",
        "sedang",
        "Digit 1–6 NIK {nik} ({nama}) bukan kode kecamatan yang pernah ada.",
    ),
    (
        "NIK_BIRTHDATE",
        "Tanggal lahir dalam NIK mustahil",
        "Digit 7–12 NIK bukan tanggal lahir yang mungkin (perempuan: tanggal + 40).",
        "sedang",
        "Digit 7–12 NIK {nik} ({nama}) bukan tanggal yang mungkin (perempuan: tanggal + 40).",
    ),
    (
        "NIK_FUTURE_BIRTH",
        "Tanggal lahir NIK di masa depan",
        "Tanggal lahir yang tersandi dalam NIK jatuh setelah tanggal acuan.",
        "sedang",
        "Tanggal lahir dalam NIK {nik} ({nama}) jatuh setelah tanggal acuan.",
    ),
    (
        "NIK_SERIAL",
        "Nomor urut NIK 0000",
        "Nomor urut NIK (digit 13–16) adalah 0000, yang tidak pernah diterbitkan.",
        "sedang",
        "Nomor urut (digit 13–16) NIK {nik} ({nama}) adalah 0000.",
    ),
    (
        "NIK_SEX_MISMATCH",
        "Jenis kelamin tidak sesuai NIK",
        "Jenis kelamin yang tersandi dalam NIK (perempuan: tanggal + 40) berbeda dengan yang tercatat.",
        "sedang",
        "NIK {nik} menunjukkan jenis kelamin lain (perempuan: tanggal + 40) daripada yang "
        "tercatat untuk {nama} (jenis kelamin {jenis_kelamin}).",
    ),
    (
        "NIK_BIRTHDATE_MISMATCH",
        "Tanggal lahir tidak sesuai NIK",
        "Tanggal lahir yang tersandi dalam NIK berbeda dengan tanggal lahir yang tercatat.",
        "sedang",
        "Tanggal lahir dalam NIK {nik} berbeda dengan tanggal lahir tercatat {nama} ({tanggal_lahir}).",
    ),
):
    _add(_code, "anggota", "structure", _title, _desc, _sev, _NIK_ACTION, _CITIZEN_KTP, _tpl)

_KK_ACTION = "Cocokkan No. KK dengan Kartu Keluarga terbaru dan perbaiki lewat usulan perubahan data."
for _code, _title, _desc, _tpl in (
    (
        "KK_EMPTY",
        "No. KK kosong",
        "Keluarga tidak memiliki No. KK tercatat.",
        "No. KK keluarga {family_ref} kosong.",
    ),
    (
        "KK_FORMAT",
        "No. KK tidak 16 digit",
        "No. KK yang tercatat bukan 16 digit angka.",
        "No. KK keluarga {family_ref} ({no_kk}) bukan 16 digit angka.",
    ),
    (
        "KK_REGION",
        "Kode wilayah No. KK tidak dikenal",
        "Enam digit pertama No. KK bukan kode kecamatan yang pernah ada.",
        "Digit 1–6 No. KK {no_kk} (keluarga {family_ref}) bukan kode kecamatan yang pernah ada.",
    ),
    (
        "KK_DATE",
        "Tanggal No. KK mustahil",
        "Digit 7–12 No. KK bukan tanggal pencatatan yang mungkin, atau jatuh di masa depan.",
        "Digit 7–12 No. KK {no_kk} (keluarga {family_ref}) bukan tanggal pencatatan yang mungkin.",
    ),
    (
        "KK_SERIAL",
        "Nomor urut No. KK 0000",
        "Nomor urut No. KK (digit 13–16) adalah 0000, yang tidak pernah diterbitkan.",
        "Nomor urut No. KK {no_kk} (keluarga {family_ref}) adalah 0000.",
    ),
):
    _add(_code, "keluarga", "structure", _title, _desc, "sedang", _KK_ACTION, _CITIZEN_KK, _tpl)

# --- padan: matching with the Dukcapil extract -------------------------------------------------------------
_add(
    "PADAN_NIK_UNKNOWN",
    "anggota",
    "padan",
    "NIK tidak ditemukan di Dukcapil",
    "NIK yang tercatat tidak ada di data kependudukan (Dukcapil), sehingga data orang ini tidak padan.",
    "sedang",
    "Periksa saran perbaikan NIK; bila tidak ada yang cocok, minta fotokopi KTP/KK dan perbaiki NIK.",
    _CITIZEN_KTP,
    "NIK {nik} tidak terdaftar di data Dukcapil, sehingga data {nama} tidak padan. "
    "Periksa saran perbaikan NIK atau minta fotokopi KTP/KK.",
)
_add(
    "PADAN_NO_NIK",
    "anggota",
    "padan",
    "NIK kosong atau tidak 16 digit",
    "Tanpa NIK yang sah, data orang ini tidak dapat dipadankan dengan Dukcapil.",
    "sedang",
    "Periksa saran NIK; bila tidak ada yang cocok, minta fotokopi KTP/KK dan lengkapi NIK.",
    _CITIZEN_KTP,
    "{nama} tidak memiliki NIK yang sah ({nik}), sehingga tidak dapat dipadankan dengan Dukcapil. "
    "Periksa saran NIK atau minta fotokopi KTP/KK.",
)
_add(
    "PADAN_NAME_MISMATCH",
    "anggota",
    "padan",
    "Nama berbeda dengan Dukcapil",
    "NIK terdaftar di Dukcapil dengan nama lain, sedangkan tanggal lahir dan jenis kelamin sama.",
    "rendah",
    "Periksa apakah nama panggilan atau salah tulis; samakan nama dengan KTP bila perlu.",
    "Penulisan nama Anda berbeda dengan data kependudukan. Bila perlu diperbaiki, bawa KTP ke kantor "
    "desa/kelurahan.",
    "NIK {nik} terdaftar di Dukcapil atas nama {nama_dukcapil}, sedangkan di DTKS tertulis {nama}. "
    "Tanggal lahir dan jenis kelamin sama; kemungkinan nama panggilan atau salah tulis.",
)
_add(
    "PADAN_IDENTITY_MISMATCH",
    "anggota",
    "padan",
    "Identitas berbeda dengan Dukcapil",
    "NIK terdaftar di Dukcapil, tetapi nama, tanggal lahir atau jenis kelamin berbeda.",
    "sedang",
    "Bandingkan dengan KTP/KK dan perbaiki data yang salah lewat usulan perubahan data.",
    _CITIZEN_CHECK,
    "NIK {nik} terdaftar di Dukcapil dengan data berbeda ({fields}): Dukcapil {nama_dukcapil}, "
    "lahir {tanggal_lahir_dukcapil}, jenis kelamin {jk_dukcapil}; DTKS {nama}, lahir {tanggal_lahir}, "
    "jenis kelamin {jenis_kelamin}.",
)
_add(
    "PADAN_OTHER_PERSON",
    "anggota",
    "padan",
    "NIK milik orang lain",
    "Menurut Dukcapil, NIK yang tercatat milik orang lain: nama, tanggal lahir atau jenis kelamin tidak "
    "cocok dengan pemiliknya. Bila ada NIK lain yang jelas lebih cocok, NIK itu disarankan.",
    "tinggi",
    "Ganti NIK dengan NIK yang disarankan setelah dicocokkan dengan KTP/KK.",
    _CITIZEN_KTP,
    "NIK {nik} milik orang lain menurut Dukcapil ({nama_dukcapil}, lahir {tanggal_lahir_dukcapil}; berbeda: "
    "{fields}). Data {nama} lebih cocok dengan NIK {related_nik} (bobot {bobot}).",
)
_add(
    "NIK_SUGGESTION",
    "anggota",
    "padan",
    "Saran perbaikan NIK",
    "Calon NIK yang benar dari data Dukcapil (hingga tiga, urut dari yang paling cocok).",
    "rendah",
    "Cocokkan saran dengan KTP/KK; pakai saran yang benar lewat usulan perubahan data.",
    _CITIZEN_KTP,
    "Saran ke-{rank}: NIK {related_nik} atas nama {nama_dukcapil}, lahir {tanggal_lahir_dukcapil}, "
    "desa {kode_desa_dukcapil}, No. KK {no_kk_dukcapil} (bobot kecocokan {bobot}; berbeda dengan data DTKS: "
    "{berbeda}).",
)

# Issue #16 point 4: a record resolved to a Dukcapil person through a suggestion (not its recorded NIK)
# compared field by field with that person; one finding per differing field.
_RESOLVED_ACTION = (
    "Cocokkan dengan KTP/KK; bila identitas Dukcapil itu benar orangnya, perbaiki NIK dan data yang berbeda "
    "lewat usulan perubahan data."
)
for _code, _title, _desc, _field in (
    (
        "PADAN_RESOLVED_NAME",
        "Nama berbeda dengan identitas yang ditemukan",
        "Data ini cocok dengan seseorang di Dukcapil lewat saran NIK, tetapi namanya ditulis berbeda.",
        "nama DTKS {nama}, Dukcapil {nama_dukcapil}",
    ),
    (
        "PADAN_RESOLVED_BIRTHDATE",
        "Tanggal lahir berbeda dengan identitas yang ditemukan",
        "Data ini cocok dengan seseorang di Dukcapil lewat saran NIK, tetapi tanggal lahirnya berbeda "
        "(sering tanggal baku seperti 1 Januari atau 31 Desember).",
        "lahir DTKS {tanggal_lahir}, Dukcapil {tanggal_lahir_dukcapil}",
    ),
    (
        "PADAN_RESOLVED_SEX",
        "Jenis kelamin berbeda dengan identitas yang ditemukan",
        "Data ini cocok dengan seseorang di Dukcapil lewat saran NIK, tetapi jenis kelaminnya berbeda.",
        "jenis kelamin DTKS {jenis_kelamin}, Dukcapil {jk_dukcapil}",
    ),
):
    _add(
        _code,
        "anggota",
        "padan",
        _title,
        _desc,
        "sedang",
        _RESOLVED_ACTION,
        _CITIZEN_CHECK,
        "Data {nama} cocok dengan NIK {related_nik} di Dukcapil (bobot {bobot}), bukan NIK tercatat {nik}; "
        + _field
        + " (berbeda: {berbeda}).",
    )

# --- kk: family and domicile changes known to Dukcapil -----------------------------------------------------
_add(
    "KK_CHANGED",
    "anggota",
    "kk",
    "No. KK berubah di Dukcapil",
    "Menurut Dukcapil, orang ini sekarang tercatat pada No. KK lain (pecah KK, pindah, atau kepala keluarga "
    "meninggal).",
    "sedang",
    "Perbarui No. KK keluarga lewat usulan perubahan data; periksa apakah keluarga perlu dipecah.",
    _CITIZEN_KK,
    "Menurut Dukcapil, No. KK {nama} sekarang {no_kk_dukcapil}, bukan {no_kk} "
    "(pecah KK, pindah, atau kepala keluarga meninggal). Perbarui No. KK.",
)
_add(
    "MOVED",
    "anggota",
    "kk",
    "Pindah domisili menurut Dukcapil",
    "Menurut Dukcapil, orang ini berdomisili di desa lain.",
    "sedang",
    "Periksa di lapangan apakah orang ini masih tinggal bersama keluarga; bila tidak, perbarui "
    "keberadaannya.",
    "Menurut data kependudukan, Anda tercatat berdomisili di desa/kelurahan lain. Bila masih tinggal di "
    "alamat ini, sampaikan ke kantor desa/kelurahan.",
    "Menurut Dukcapil, {nama} berdomisili di desa {kode_desa_dukcapil}, bukan {kode_desa}, dengan "
    "No. KK baru {no_kk_dukcapil}. Periksa apakah masih tinggal bersama keluarga.",
)
_add(
    "DOMISILI_BERBEDA",
    "anggota",
    "kk",
    "Domisili berbeda dengan alamat KK",
    "Orang ini didata di desa lain daripada alamat KK-nya di Dukcapil, dengan No. KK yang sama: tinggal "
    "jauh dari alamat KK (merantau, mengontrak, menumpang), bukan pindah. Tidak mengecualikan siapa pun.",
    "rendah",
    "Tidak perlu tindakan bila keluarga memang tinggal di sini; catat domisilinya. Bila sudah pindah "
    "tetap, sarankan mengurus surat pindah di Dukcapil.",
    "Alamat Kartu Keluarga Anda berada di desa/kelurahan lain daripada tempat Anda didata. Ini tidak "
    "mengubah hak Anda atas bantuan.",
    "{nama} didata di desa {kode_desa}, sedangkan alamat KK-nya di Dukcapil di desa {kode_desa_dukcapil} "
    "(No. KK sama). Domisili berbeda, bukan pindah.",
)

# --- ganda: the same person recorded more than once --------------------------------------------------------
_add(
    "DUP_NIK",
    "anggota",
    "ganda",
    "NIK sama pada lebih dari satu ART",
    "Satu NIK dipakai oleh lebih dari satu anggota rumah tangga di registri.",
    "tinggi",
    "Tentukan siapa pemilik NIK; perbaiki NIK yang lain atau nonaktifkan catatan ganda.",
    _CITIZEN_KTP,
    "NIK {nik} juga dipakai oleh ART {related_ref} ({related_nama}). Satu NIK hanya untuk satu orang.",
)
_add(
    "DUP",
    "anggota",
    "ganda",
    "Ganda",
    "Orang ini kemungkinan besar tercatat lebih dari sekali di registri.",
    "tinggi",
    "Periksa kelompok ganda dan pertahankan satu catatan; nonaktifkan yang lain lewat usulan.",
    "Anda kemungkinan tercatat lebih dari sekali di data kesejahteraan sosial. Petugas akan memastikan hanya "
    "satu catatan yang berlaku.",
    "{nama} kemungkinan besar orang yang sama dengan ART {related_ref} ({related_nama}, "
    "desa {related_desa}); bobot kecocokan {bobot}. Kelompok ganda {cluster_id}.",
)
_add(
    "DUP_POSSIBLE",
    "anggota",
    "ganda",
    "Mungkin ganda (perlu diputuskan)",
    "Dua catatan mirip; petugas perlu memutuskan apakah orang yang sama.",
    "sedang",
    "Bandingkan kedua catatan di antrean ganda dan putuskan: sama atau berbeda orang.",
    _CITIZEN_CHECK,
    "{nama} mungkin orang yang sama dengan ART {related_ref} ({related_nama}, desa {related_desa}); "
    "bobot kecocokan {bobot}. Perlu diputuskan petugas: sama atau berbeda orang.",
)

# --- exclusions: BPK's flags from reference extracts ------------------------------------------------------
_add(
    "DECEASED",
    "anggota",
    "exclusions",
    "Meninggal menurut Dukcapil",
    "Menurut Dukcapil, orang ini telah meninggal, tetapi di registri masih tercatat hidup.",
    "tinggi",
    "Usulkan nonaktif; bila penerima bansos, periksa ahli waris atau pengurus.",
    "Menurut data kependudukan, anggota keluarga ini telah meninggal dunia. Bila keliru, datangi kantor "
    "desa/kelurahan dengan membawa KTP dan Kartu Keluarga.",
    "Menurut Dukcapil, {nama} (NIK {related_nik}) telah meninggal pada {tanggal_meninggal}. "
    "Usulkan nonaktif; bila penerima bansos, periksa ahli waris/pengurus.",
)
_add(
    "ASN",
    "anggota",
    "exclusions",
    "ASN/TNI/Polri",
    "Orang ini tercatat sebagai ASN, TNI atau Polri di data kepegawaian.",
    "tinggi",
    "Pastikan dengan data kepegawaian; keluarga ASN/TNI/Polri dikeluarkan dari DTKS untuk bansos.",
    "Menurut data kepegawaian, anggota keluarga ini tercatat sebagai ASN/TNI/Polri. Bila keliru, datangi "
    "kantor desa/kelurahan.",
    "{nama} (NIK {related_nik}) tercatat sebagai {jenis} di {instansi}; dicocokkan lewat {cocok}.",
)
_add(
    "DECEASED_POSSIBLE",
    "anggota",
    "exclusions",
    "Mungkin sudah meninggal (perlu diperiksa)",
    "Identitas catatan ini belum pasti (tanpa NIK yang dikenal Dukcapil, atau dua orang sama-sama cocok); "
    "salah satu calon identitasnya yang sama kuat tercatat meninggal di Dukcapil, tetapi belum dapat "
    "dipastikan bahwa itu orang yang sama.",
    "sedang",
    "Datangi keluarga atau cocokkan dokumen (KTP, KK, akta kematian); lengkapi NIK. Tidak ada yang "
    "dikeluarkan sebelum dipastikan.",
    _CITIZEN_CHECK,
    "{nama} belum dapat dipadankan dengan pasti; salah satu calon identitasnya, {nama_dukcapil} (NIK "
    "{related_nik}, bobot {bobot}), tercatat meninggal pada {tanggal_meninggal}.",
)
_add(
    "ASN_POSSIBLE",
    "anggota",
    "exclusions",
    "Mungkin ASN/TNI/Polri (perlu diperiksa)",
    "Satu baris data kepegawaian tanpa NIK cocok dengan beberapa orang (nama, tanggal lahir dan jenis "
    "kelamin sama), salah satunya orang ini; atau catatan ini belum dapat dipadankan dengan pasti dan salah "
    "satu calon identitasnya yang sama kuat tercatat di data kepegawaian. Belum dipastikan orangnya.",
    "sedang",
    "Periksa ke lapangan atau ke BKD/instansi siapa pemilik NIP ini (atau apakah calon identitas itu orang "
    "ini); tidak ada yang dikeluarkan sebelum dipastikan.",
    _CITIZEN_CHECK,
    "{nama} {alasan}.",
)
_add(
    "HOUSEHOLD_ASN",
    "ruta",
    "exclusions",
    "Rumah tangga ASN/TNI/Polri",
    "Rumah tangga ini memiliki anggota ASN, TNI atau Polri.",
    "tinggi",
    "Pastikan dengan data kepegawaian; rumah tangga ini dikecualikan dari bansos.",
    "Menurut data kepegawaian, rumah tangga Anda memiliki anggota ASN/TNI/Polri, sehingga tidak termasuk "
    "penerima bansos. Bila keliru, datangi kantor desa/kelurahan.",
    "Rumah tangga ini memiliki anggota {jenis}: {nama} (NIK {related_nik}, {instansi}). "
    "Keluarga ASN/TNI/Polri dikecualikan dari bansos.",
)
_add(
    "PLN_NONSUBSIDI",
    "ruta",
    "exclusions",
    "Pelanggan PLN ≥ 900 VA nonsubsidi",
    "Anggota rumah tangga ini pelanggan listrik PLN 900 VA atau lebih dengan tarif nonsubsidi.",
    "sedang",
    "Periksa kondisi rumah tangga di lapangan; pertimbangkan dalam penilaian kelayakan.",
    "Menurut data PLN, rumah tangga Anda memakai listrik nonsubsidi. Petugas akan memeriksa kondisi rumah "
    "tangga Anda.",
    "Anggota rumah tangga {nama} (NIK {related_nik}) adalah pelanggan PLN {id_pelanggan} dengan daya "
    "{daya_va} VA, tarif {tarif} (nonsubsidi).",
)
_add(
    "CAR_OWNER",
    "ruta",
    "exclusions",
    "Pemilik mobil (roda empat)",
    "Anggota rumah tangga ini tercatat memiliki kendaraan roda empat.",
    "sedang",
    "Periksa kepemilikan kendaraan di lapangan; pertimbangkan dalam penilaian kelayakan.",
    "Menurut data kendaraan bermotor, rumah tangga Anda memiliki mobil. Petugas akan memeriksa kondisi rumah "
    "tangga Anda.",
    "Anggota rumah tangga {nama} (NIK {related_nik}) memiliki kendaraan roda empat {no_polisi}.",
)

# --- pmt: the score and desil -----------------------------------------------------------------------------
_add(
    "PMT_NO_MEMBERS",
    "ruta",
    "pmt",
    "Ruta tanpa ART yang tinggal bersama",
    "Semua anggota rumah tangga meninggal, pindah atau tidak ditemukan, sehingga skor PMT tidak dihitung.",
    "sedang",
    "Periksa di lapangan; nonaktifkan rumah tangga bila memang tidak ada lagi.",
    _CITIZEN_CHECK,
    "Rumah tangga {household_ref} tidak memiliki ART yang tinggal bersama (semua meninggal, pindah atau "
    "tidak ditemukan), sehingga skor PMT dan desil tidak dihitung.",
)
_add(
    "PMT_BPS_MISMATCH",
    "ruta",
    "pmt",
    "Desil tinggi padahal memenuhi kriteria miskin BPS",
    "Rumah tangga memenuhi banyak kriteria miskin BPS, tetapi model PMT menempatkannya di desil tinggi.",
    "sedang",
    "Periksa kembali jawaban pendataan rumah tangga ini; ajukan pendataan ulang bila perlu.",
    _CITIZEN_CHECK,
    "Rumah tangga {household_ref} memenuhi {kriteria_bps} kriteria miskin BPS (batas {batas}), tetapi "
    "model {model} menempatkannya di desil {desil}. Periksa kembali jawaban pendataan.",
)
_add(
    "PMT_SPARSE_ANSWERS",
    "ruta",
    "pmt",
    "Jawaban tidak cukup untuk desil",
    "Lebih dari separuh jawaban perumahan kosong, atau pendidikan dan pekerjaan kepala ruta tidak terjawab: "
    "desil tidak diberikan.",
    "sedang",
    "Lengkapi jawaban lewat verval lapangan; desil dihitung pada proses berikutnya.",
    _CITIZEN_CHECK,
    "Rumah tangga {household_ref}: {kosong} dari {jumlah} jawaban perumahan kosong; pendidikan dan "
    "pekerjaan kepala ruta {art}. Desil tidak diberikan: lengkapi jawaban lewat verval lapangan.",
)
_add(
    "PMT_DESIL_UNCERTAIN",
    "ruta",
    "pmt",
    "Desil belum pasti di sekitar batas program",
    "Rentang 80% desil rumah tangga (dari sisaan model PMT) melewati batas desil program: desilnya bisa di "
    "kedua sisi batas.",
    "sedang",
    "Kunjungi lebih dulu (daftar prioritas lapangan per desa, yang paling tidak pasti di atas).",
    _CITIZEN_CHECK,
    "Rumah tangga {household_ref}: desil {desil}, rentang 80% desil {desil_bawah}–{desil_atas} melewati "
    "batas program desil {batas}; peluang desil ≤ {batas} sekitar {peluang_persen}%. Prioritas "
    "verifikasi lapangan di desa {kode_desa}.",
)

# --- ppks: PPKS outside households (LKS residents, people found on the street; docs/ppks-psks.md) ----------
_CITIZEN_PPKS = (
    "Data Anda sebagai penerima pelayanan kesejahteraan sosial perlu dicocokkan. Hubungi pengurus lembaga "
    "atau kantor desa/kelurahan dengan membawa KTP atau surat keterangan yang ada."
)
for _code, _title, _desc, _sev, _action, _tpl in (
    (
        "PPKS_GANDA_ART",
        "PPKS juga tercatat sebagai anggota ruta",
        "NIK seorang PPKS di luar rumah tangga sama dengan NIK anggota rumah tangga DTKS yang aktif.",
        "tinggi",
        "Pastikan di mana orang ini tinggal sekarang; nonaktifkan salah satu catatan lewat usulan.",
        "{nama} ({member_ref}, LKS {lks_ref}) memakai NIK {nik}, yang juga NIK anggota {related_ref}.",
    ),
    (
        "PPKS_GANDA",
        "PPKS tercatat dua kali",
        "Dua catatan PPKS di luar rumah tangga memakai NIK yang sama.",
        "tinggi",
        "Periksa kedua catatan dan nonaktifkan yang keliru.",
        "{nama} ({member_ref}) dan {related_ref} memakai NIK {nik} yang sama.",
    ),
    (
        "PPKS_TANPA_NIK",
        "PPKS belum memiliki NIK",
        "Seorang PPKS di luar rumah tangga tercatat tanpa NIK; ia belum dapat dipadankan dengan Dukcapil.",
        "rendah",
        "Ajukan perekaman/penerbitan NIK ke Dukcapil (layanan jemput bola ke LKS atau penjangkauan).",
        "{nama} ({member_ref}) belum memiliki NIK; ajukan perekaman ke Dukcapil.",
    ),
    (
        "PPKS_TIDAK_PADAN",
        "NIK PPKS tidak ditemukan di Dukcapil",
        "NIK seorang PPKS di luar rumah tangga tidak ada dalam data Dukcapil.",
        "sedang",
        "Cocokkan NIK dengan dokumen yang ada (KTP, KK, surat LKS) dan perbaiki catatannya.",
        "NIK {nik} milik {nama} ({member_ref}) tidak ditemukan di Dukcapil.",
    ),
    (
        "PPKS_MENINGGAL",
        "PPKS meninggal menurut Dukcapil",
        "Menurut Dukcapil, seorang PPKS di luar rumah tangga telah meninggal, tetapi masih tercatat aktif.",
        "tinggi",
        "Periksa dengan pengurus LKS; bila benar, nonaktifkan catatan PPKS-nya.",
        "Menurut Dukcapil, {nama} ({member_ref}, NIK {related_nik}) meninggal pada {tanggal_meninggal}.",
    ),
):
    _add(_code, "anggota", "ppks", _title, _desc, _sev, _action, _CITIZEN_PPKS, _tpl)

STATIC_CODES: frozenset[str] = frozenset(_ENTRIES)

# An eligibility rule makes the anggota not eligible; how much that weighs depends on the rule.
_RULE_SEVERITY = "tinggi"
_RULE_ACTION = "Periksa data yang membuat aturan ini berlaku; perbaiki lewat usulan bila keliru."
_RULE_CITIZEN = (
    "Menurut aturan kelayakan DTKS, data Anda saat ini tidak memenuhi syarat ({title}). Bila data Anda "
    "keliru, datangi kantor desa/kelurahan dengan membawa KTP dan Kartu Keluarga."
)


def rule_entry(code: str, title: str | None, explanation: str) -> FindingCode:
    """The catalog entry of an eligibility rule (title, explanation and code come from the rule set)."""
    label = title or "Aturan kelayakan"
    return FindingCode(
        code,
        "anggota",
        "eligibility",
        label,
        f"Aturan kelayakan DTKS: {label}.",
        _RULE_SEVERITY,
        _RULE_ACTION,
        _RULE_CITIZEN.format(title=label),
        explanation,
    )


@lru_cache(maxsize=1)
def _default_rules() -> dict[str, FindingCode]:
    from siks.domain.eligibility import default_rules

    return {r.code: rule_entry(r.code, r.title, r.explanation) for r in default_rules().rules}


def register_rules(rules: Iterable[tuple[str, str | None, str]]) -> None:
    """Add the rules (code, title, explanation) of a custom eligibility rule set; a code another step owns
    is refused."""
    for code, title, explanation in rules:
        owner = _ENTRIES.get(code)
        if owner is not None:
            raise ValueError(f"Kode aturan {code} sudah dipakai oleh langkah '{owner.step}'.")
        if code not in _default_rules():
            _REGISTERED[code] = rule_entry(code, title, explanation)


def all_codes() -> dict[str, FindingCode]:
    """Every known code: the static entries, the shipped eligibility rules and registered rules."""
    return {**_REGISTERED, **_default_rules(), **_ENTRIES}


def get(code: str) -> FindingCode | None:
    return _ENTRIES.get(code) or _default_rules().get(code) or _REGISTERED.get(code)


def entry(code: str) -> FindingCode:
    """The entry for `code`; an unknown code (a rule of a rule set no longer loaded) gets a neutral one, so
    no page ever falls back to showing the code itself."""
    found = get(code)
    if found is not None:
        return found
    return FindingCode(
        code,
        "anggota",
        "",
        "Temuan lain (tanpa keterangan katalog)",
        "Temuan dari aturan yang tidak lagi terdaftar di katalog.",
        "sedang",
        "Tanyakan kepada operator kabupaten aturan mana yang menghasilkan temuan ini.",
        _CITIZEN_CHECK,
        "",
    )


_ORDER = {s: i for i, s in enumerate(SEVERITIES)}


def citizen_notes(codes: Iterable[str], limit: int = 2) -> list[str]:
    """What the person concerned is told about these findings: distinct texts, most severe first."""
    entries = sorted({entry(c) for c in codes}, key=lambda e: (_ORDER[e.severity], e.code))
    out: list[str] = []
    for e in entries:
        if e.citizen not in out:
            out.append(e.citizen)
    return out[:limit]


def title(code: str) -> str:
    return entry(code).title


def titles(codes: Iterable[str]) -> dict[str, str]:
    return {c: title(c) for c in codes}

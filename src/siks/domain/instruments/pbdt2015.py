"""Code lists of the PBDT 2015 / BDT verval instrument (DTKS before 2022; still in SIKS-NG legacy data).

Source: docs/domain-facts.md §1.2. The option lists and their order agree across the 2020 verval form and
two public local-government apps; the exact numbers are uncertain until checked against the official
"Buku Pedoman PBDT 2015". We use the numbering of "public app A" (the one that keeps 00/01 codes).

The unit is the rumah tangga (ruta) with up to ten families inside, so a member has both a relation to the
head of the ruta (`HUBUNGAN_KRT`) and to the head of their family (`HUBUNGAN_KK`).
"""

from __future__ import annotations

from .fields import NO, YA_TIDAK, YES, CodeError, CodeList, yes_no_code, yes_no_value

INSTRUMENT = "PBDT2015"

# --- Blok III Perumahan -----------------------------------------------------------------------------------

STATUS_BANGUNAN = CodeList(
    "status_bangunan", {1: "Milik sendiri", 2: "Kontrak/sewa", 3: "Bebas sewa", 4: "Dinas", 5: "Lainnya"}
)
STATUS_LAHAN = CodeList(
    "status_lahan", {1: "Milik sendiri", 2: "Milik orang lain", 3: "Tanah negara", 4: "Lainnya"}
)
JENIS_LANTAI = CodeList(
    "jenis_lantai",
    {
        1: "Marmer/granit",
        2: "Keramik",
        3: "Parket/vinil/permadani",
        4: "Ubin/tegel/teraso",
        5: "Kayu/papan kualitas tinggi",
        6: "Semen/bata merah",
        7: "Bambu",
        8: "Kayu/papan kualitas rendah",
        9: "Tanah",
        10: "Lainnya",
    },
)
JENIS_DINDING = CodeList(
    "jenis_dinding",
    {
        1: "Tembok",
        2: "Plesteran anyaman bambu/kawat",
        3: "Kayu",
        4: "Anyaman bambu",
        5: "Batang kayu",
        6: "Bambu",
        7: "Lainnya",
    },
)
KONDISI_DINDING = CodeList("kondisi_dinding", {1: "Bagus/kualitas tinggi", 2: "Jelek/kualitas rendah"})
JENIS_ATAP = CodeList(
    "jenis_atap",
    {
        1: "Beton/genteng beton",
        2: "Genteng keramik",
        3: "Genteng metal",
        4: "Genteng tanah liat",
        5: "Asbes",
        6: "Seng",
        7: "Sirap",
        8: "Bambu",
        9: "Jerami/ijuk/daun-daunan/rumbia",
        10: "Lainnya",
    },
)
KONDISI_ATAP = CodeList("kondisi_atap", {1: "Bagus", 2: "Jelek"})
SUMBER_AIR_MINUM = CodeList(
    "sumber_air_minum",
    {
        1: "Air kemasan bermerk",
        2: "Air isi ulang",
        3: "Leding meteran",
        4: "Leding eceran",
        5: "Sumur bor/pompa",
        6: "Sumur terlindung",
        7: "Sumur tak terlindung",
        8: "Mata air terlindung",
        9: "Mata air tak terlindung",
        10: "Air sungai/danau/waduk",
        11: "Air hujan",
        12: "Lainnya",
    },
)
CARA_MEMPEROLEH_AIR = CodeList(
    "cara_memperoleh_air", {1: "Membeli eceran", 2: "Langganan", 3: "Tidak membeli"}
)
SUMBER_PENERANGAN = CodeList(
    "sumber_penerangan", {1: "Listrik PLN", 2: "Listrik non-PLN", 3: "Bukan listrik"}
)
DAYA_TERPASANG = CodeList(
    "daya_terpasang",
    {1: "450 watt", 2: "900 watt", 3: "1.300 watt", 4: "2.200 watt", 5: "> 2.200 watt", 6: "Tanpa meteran"},
)
BAHAN_BAKAR_MEMASAK = CodeList(
    "bahan_bakar_memasak",
    {
        1: "Listrik",
        2: "Gas > 3 kg",
        3: "Gas 3 kg",
        4: "Gas kota/biogas",
        5: "Minyak tanah",
        6: "Briket",
        7: "Arang",
        8: "Kayu bakar",
        9: "Tidak memasak di rumah",
    },
)
FASILITAS_BAB = CodeList("fasilitas_bab", {1: "Sendiri", 2: "Bersama", 3: "Umum", 4: "Tidak ada"})
JENIS_KLOSET = CodeList(
    "jenis_kloset", {1: "Leher angsa", 2: "Plengsengan", 3: "Cemplung/cubluk", 4: "Tidak pakai"}
)
PEMBUANGAN_TINJA = CodeList(
    "pembuangan_tinja",
    {
        1: "Tangki",
        2: "SPAL",
        3: "Lubang tanah",
        4: "Kolam/sawah/sungai/danau/laut",
        5: "Pantai/tanah lapang/kebun",
        6: "Lainnya",
    },
)

# --- Blok IV Anggota rumah tangga -------------------------------------------------------------------------

_HUBUNGAN = {2: "Istri/suami", 3: "Anak", 4: "Menantu", 5: "Cucu", 6: "Orang tua/mertua", 7: "Pembantu ruta"}
HUBUNGAN_KRT = CodeList("hubungan_krt", {1: "Kepala rumah tangga", **_HUBUNGAN, 8: "Lainnya"})
# The relation to the head of the *family*: same order as to the ruta head
# (docs/domain-facts.md §1.2; numbering [U]).
HUBUNGAN_KK = CodeList("hubungan_kk", {1: "Kepala keluarga", **_HUBUNGAN, 8: "Lainnya"})
KEPALA_RUMAH_TANGGA = 1
KEPALA_KELUARGA = 1

JENIS_KELAMIN = CodeList("jenis_kelamin", {1: "Laki-laki", 2: "Perempuan"})
STATUS_KAWIN = CodeList("status_kawin", {1: "Belum kawin", 2: "Kawin", 3: "Cerai hidup", 4: "Cerai mati"})
AKTA_NIKAH = CodeList(
    "akta_nikah", {0: "Tidak", 1: "Ya, dapat ditunjukkan", 2: "Ya, tidak dapat ditunjukkan"}
)
KARTU_IDENTITAS = CodeList(  # sum of codes
    "kartu_identitas", {0: "Tidak memiliki", 1: "Akta kelahiran", 2: "Kartu pelajar", 4: "KTP", 8: "SIM"}
)
JENIS_CACAT = CodeList(
    "jenis_cacat",
    {
        0: "Tidak cacat",
        1: "Tuna daksa/cacat tubuh",
        2: "Tuna netra/buta",
        3: "Tuna rungu",
        4: "Tuna wicara",
        5: "Tuna rungu & wicara",
        6: "Tuna netra & cacat tubuh",
        7: "Tuna netra, rungu & wicara",
        8: "Tuna rungu, wicara & cacat tubuh",
        9: "Tuna rungu, wicara, netra & cacat tubuh",
        10: "Cacat mental retardasi",
        11: "Mantan penderita gangguan jiwa",
        12: "Cacat fisik & mental",
    },
)
PENYAKIT_KRONIS = CodeList(
    "penyakit_kronis",
    {
        0: "Tidak ada",
        1: "Hipertensi",
        2: "Rematik",
        3: "Asma",
        4: "Masalah jantung",
        5: "Diabetes",
        6: "TBC",
        7: "Stroke",
        8: "Kanker/tumor ganas",
        9: "Lainnya (gagal ginjal, paru-paru flek, dsb.)",
    },
)
PARTISIPASI_SEKOLAH = CodeList(
    "partisipasi_sekolah", {0: "Tidak/belum pernah sekolah", 1: "Masih sekolah", 2: "Tidak bersekolah lagi"}
)
PENDIDIKAN = CodeList(
    "pendidikan",
    {
        1: "SD/SDLB",
        2: "Paket A",
        3: "M. Ibtidaiyah",
        4: "SMP/SMPLB",
        5: "Paket B",
        6: "M. Tsanawiyah",
        7: "SMA/SMK/SMALB",
        8: "Paket C",
        9: "M. Aliyah",
        10: "Perguruan tinggi",
    },
)
KELAS_TERTINGGI = CodeList("kelas_tertinggi", {k: str(k) for k in range(1, 9)})
IJAZAH = CodeList(
    "ijazah", {0: "Tidak punya ijazah", 1: "SD", 2: "SMP", 3: "SMA", 4: "D1–D3", 5: "D4/S1", 6: "S2/S3"}
)
LAPANGAN_USAHA = CodeList(
    "lapangan_usaha",
    {
        1: "Pertanian padi & palawija",
        2: "Hortikultura",
        3: "Perkebunan",
        4: "Perikanan tangkap",
        5: "Perikanan budidaya",
        6: "Peternakan",
        7: "Kehutanan & pertanian lainnya",
        8: "Pertambangan/penggalian",
        9: "Industri pengolahan",
        10: "Listrik & gas",
        11: "Bangunan/konstruksi",
        12: "Perdagangan",
        13: "Hotel & rumah makan",
        14: "Transportasi & pergudangan",
        15: "Informasi & komunikasi",
        16: "Keuangan & asuransi",
        17: "Jasa pendidikan",
        18: "Jasa kesehatan",
        19: "Jasa kemasyarakatan, pemerintahan & perorangan",
        20: "Pemulung",
        21: "TKI",  # only in public app A; the Malang app lacks it [U]
        22: "Lainnya",
    },
)
STATUS_PEKERJAAN = CodeList(  # the same eight codes as Regsosek 418
    "status_pekerjaan",
    {
        1: "Berusaha sendiri",
        2: "Berusaha dibantu buruh tidak tetap/tidak dibayar",
        3: "Berusaha dibantu buruh tetap/dibayar",
        4: "Buruh/karyawan/pegawai swasta",
        5: "PNS/TNI/Polri/BUMN/BUMD/pejabat negara",
        6: "Pekerja bebas pertanian",
        7: "Pekerja bebas non-pertanian",
        8: "Pekerja keluarga/tidak dibayar",
    },
)

# --- Blok V Aset ------------------------------------------------------------------------------------------

ASET_BERGERAK = {
    "a": "Tabung gas 5,5 kg atau lebih",
    "b": "Lemari es",
    "c": "AC",
    "d": "Pemanas air",
    "e": "Telepon rumah (PSTN)",
    "f": "Televisi",
    "g": "Emas/perhiasan & tabungan (senilai 10 gram emas)",
    "h": "Komputer/laptop",
    "i": "Sepeda",
    "j": "Sepeda motor",
    "k": "Mobil",
    "l": "Perahu",
    "m": "Motor tempel",
    "n": "Perahu motor",
    "o": "Kapal",
}
TERNAK = {"a": "Sapi", "b": "Kerbau", "c": "Kuda", "d": "Babi", "e": "Kambing/domba"}

# The asset quirk: the paper form alternates the Ya/Tidak codes by column so that a tick in the wrong box
# is visible — a, c, e, … use 1 Ya / 2 Tidak; b, d, f, … use 3 Ya / 4 Tidak. Normalised to bool on import.
YA_TIDAK_3_4 = CodeList("ya_tidak_3_4", {3: YES, 4: NO})


def asset_codes(column_letter: str) -> CodeList:
    """The Ya/Tidak code list of one asset column (a–o): 1/2 for a, c, e, …; 3/4 for b, d, f, …"""
    letter = column_letter.strip().lower()
    if letter not in ASET_BERGERAK:
        raise CodeError(f"Kolom aset '{column_letter}' tidak ada pada PBDT 2015 (hanya a–o).")
    return YA_TIDAK if (ord(letter) - ord("a")) % 2 == 0 else YA_TIDAK_3_4


def normalize_pbdt_asset(column_letter: str, code: int | str) -> bool:
    """The paper code of asset column `column_letter` → True (Ya) / False (Tidak).

    A code that belongs to the other kind of column (1 in column b, 3 in column a) raises CodeError: it may
    be a slip of the pen, and guessing would turn "Tidak" into "Ya".
    """
    codes = asset_codes(column_letter)
    try:
        number = int(str(code).strip())
    except ValueError:
        number = None
    if number not in codes:
        raise CodeError(
            f"Kode '{code}' salah untuk aset kolom {column_letter.strip().lower()} "
            f"({ASET_BERGERAK[column_letter.strip().lower()]}): kolom ini memakai {codes.describe()}."
        )
    return yes_no_value(codes, number)


def encode_pbdt_asset(column_letter: str, owned: bool) -> int:
    """The inverse: True/False → the code the paper form uses in that column."""
    return yes_no_code(asset_codes(column_letter), owned)


# Name → code list, for the code sheet of the PBDT template and for checks of legacy data.
CODE_LISTS: dict[str, CodeList] = {
    c.name: c
    for c in (
        STATUS_BANGUNAN,
        STATUS_LAHAN,
        JENIS_LANTAI,
        JENIS_DINDING,
        KONDISI_DINDING,
        JENIS_ATAP,
        KONDISI_ATAP,
        SUMBER_AIR_MINUM,
        CARA_MEMPEROLEH_AIR,
        SUMBER_PENERANGAN,
        DAYA_TERPASANG,
        BAHAN_BAKAR_MEMASAK,
        FASILITAS_BAB,
        JENIS_KLOSET,
        PEMBUANGAN_TINJA,
        HUBUNGAN_KRT,
        HUBUNGAN_KK,
        JENIS_KELAMIN,
        STATUS_KAWIN,
        AKTA_NIKAH,
        KARTU_IDENTITAS,
        JENIS_CACAT,
        PENYAKIT_KRONIS,
        PARTISIPASI_SEKOLAH,
        PENDIDIKAN,
        KELAS_TERTINGGI,
        IJAZAH,
        LAPANGAN_USAHA,
        STATUS_PEKERJAAN,
        YA_TIDAK,
        YA_TIDAK_3_4,
    )
}

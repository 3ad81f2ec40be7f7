"""Code lists of the Regsosek 2022 family instrument, REGSOS-EK2022.K (the DTKS form from 2022).

Source (docs/domain-facts.md §1.1): the print form "REGISTRASI SOSIAL EKONOMI 2022 / REGSOS-EK2022.K",
checked against OpenSID's enum. Labels follow the form's wording. Where the two sources disagree we follow
the print form (see the comments at 305, 306b and 308). `CODE_LISTS` maps each form variable to its list.
"""

from __future__ import annotations

from .fields import YA_TIDAK, CodeList

INSTRUMENT = "REGSOSEK2022.K"

# --- Blok I, II -------------------------------------------------------------------------------------------

KODE_KK = CodeList("kode_kk", {0: "KK sesuai", 1: "Keluarga induk", 2: "Keluarga pecahan"})

HASIL_PENDATAAN = CodeList(
    "hasil_pendataan",
    {
        1: "Terisi lengkap",
        2: "Terisi tidak lengkap",
        3: "Tidak ada responden yang dapat memberi jawaban sampai akhir masa pendataan",
        4: "Responden menolak",
        5: "Keluarga pindah/bangunan sensus sudah tidak ada",
    },
)

# --- Blok III Keterangan perumahan ------------------------------------------------------------------------

STATUS_BANGUNAN = CodeList(  # 301a; OpenSID adds a local 6 "Menumpang", which is not on the form
    "status_bangunan", {1: "Milik sendiri", 2: "Kontrak/sewa", 3: "Bebas sewa", 4: "Dinas", 5: "Lainnya"}
)

BUKTI_KEPEMILIKAN_TANAH = CodeList(
    "bukti_kepemilikan_tanah",
    {
        1: "SHM atas nama anggota keluarga",
        2: "SHM bukan a.n. anggota keluarga dengan perjanjian pemanfaatan tertulis",
        3: "SHM bukan a.n. anggota keluarga tanpa perjanjian pemanfaatan tertulis",
        4: "Sertifikat selain SHM (SHGB, SHSRS)",
        5: "Surat bukti lainnya (Girik, Letter C, dll)",
        6: "Tidak punya",
    },
)

JENIS_LANTAI = CodeList(
    "jenis_lantai",
    {
        1: "Marmer/granit",
        2: "Keramik",
        3: "Parket/vinil/karpet",
        4: "Ubin/tegel/teraso",
        5: "Kayu/papan",
        6: "Semen/bata merah",
        7: "Bambu",
        8: "Tanah",
        9: "Lainnya",
    },
)

JENIS_DINDING = CodeList(
    "jenis_dinding",
    {
        1: "Tembok",
        2: "Plesteran anyaman bambu/kawat",
        3: "Kayu/papan/gypsum/GRC/calciboard",
        4: "Anyaman bambu",
        5: "Batang kayu",
        6: "Bambu",
        7: "Lainnya",
    },
)

# 305: the print form (and an independent public Python dict) put 5 Bambu, 6 Kayu/sirap; OpenSID swaps
# them. We follow the print form, because data keyed from paper carries the form's codes.
JENIS_ATAP = CodeList(
    "jenis_atap",
    {
        1: "Beton",
        2: "Genteng",
        3: "Seng",
        4: "Asbes",
        5: "Bambu",
        6: "Kayu/sirap",
        7: "Jerami/ijuk/daun-daunan/rumbia",
        8: "Lainnya",
    },
)

SUMBER_AIR_MINUM = CodeList(  # 306a; OpenSID's local 12 "Air PDAM", 13 "PAMDES" are not on the form
    "sumber_air_minum",
    {
        1: "Air kemasan bermerk",
        2: "Air isi ulang",
        3: "Leding",
        4: "Sumur bor/pompa",
        5: "Sumur terlindung",
        6: "Sumur tak terlindung",
        7: "Mata air terlindung",
        8: "Mata air tak terlindung",
        9: "Air permukaan (sungai/danau/waduk/kolam/irigasi)",
        10: "Air hujan",
        11: "Lainnya",
    },
)

# 306b: the print form codes "Tidak tahu" as 8 (the BPS convention); OpenSID stores it as 3. We use 8.
JARAK_PENAMPUNGAN_TINJA = CodeList(
    "jarak_penampungan_tinja", {1: "< 10 meter", 2: "≥ 10 meter", 8: "Tidak tahu"}
)

SUMBER_PENERANGAN = CodeList(
    "sumber_penerangan",
    {
        1: "Listrik PLN dengan meteran",
        2: "Listrik PLN tanpa meteran",
        3: "Listrik non-PLN",
        4: "Bukan listrik",
    },
)

DAYA_TERPASANG = CodeList(  # 307b1–b3, one per meter
    "daya_terpasang", {1: "450 watt", 2: "900 watt", 3: "1.300 watt", 4: "2.200 watt", 5: "> 2.200 watt"}
)

# 308: the print form has "00 Tidak memasak di rumah"; OpenSID stores 1–12 with 12 = Tidak memasak. We keep
# the form's 0, so 1–11 mean the same thing in both.
BAHAN_BAKAR_MEMASAK = CodeList(
    "bahan_bakar_memasak",
    {
        0: "Tidak memasak di rumah",
        1: "Listrik",
        2: "Gas elpiji 5,5 kg/blue gaz",
        3: "Gas elpiji 12 kg",
        4: "Gas elpiji 3 kg",
        5: "Gas kota/meteran PGN",
        6: "Biogas",
        7: "Minyak tanah",
        8: "Briket",
        9: "Arang",
        10: "Kayu bakar",
        11: "Lainnya",
    },
)

FASILITAS_BAB = CodeList(
    "fasilitas_bab",
    {
        1: "Ada, digunakan hanya anggota keluarga sendiri",
        2: "Ada, digunakan bersama anggota keluarga dari rumah tangga tertentu",
        3: "Ada, di MCK komunal",
        4: "Ada, di MCK umum/siapapun menggunakan",
        5: "Ada, anggota keluarga tidak menggunakan",
        6: "Tidak ada fasilitas",
    },
)

JENIS_KLOSET = CodeList(
    "jenis_kloset",
    {1: "Leher angsa", 2: "Plengsengan dengan tutup", 3: "Plengsengan tanpa tutup", 4: "Cemplung/cubluk"},
)

PEMBUANGAN_TINJA = CodeList(
    "pembuangan_tinja",
    {
        1: "Tangki septik",
        2: "IPAL",
        3: "Kolam/sawah/sungai/danau/laut",
        4: "Lubang tanah",
        5: "Pantai/tanah lapang/kebun",
        6: "Lainnya",
    },
)

# --- Blok IV Keterangan anggota keluarga ------------------------------------------------------------------

KEBERADAAN = CodeList(
    "keberadaan",
    {
        1: "Tinggal bersama keluarga",
        2: "Meninggal",
        3: "Tidak tinggal bersama keluarga/pindah ke wilayah (daerah) lain di Indonesia",
        4: "Tidak tinggal bersama keluarga/pindah ke luar negeri",
        5: "Anggota keluarga baru",
        6: "Tidak ditemukan",
    },
)

JENIS_KELAMIN = CodeList("jenis_kelamin", {1: "Laki-laki", 2: "Perempuan"})

STATUS_KAWIN = CodeList(
    "status_kawin", {1: "Belum kawin", 2: "Kawin/nikah", 3: "Cerai hidup", 4: "Cerai mati"}
)

HUBUNGAN_KK = CodeList(
    "hubungan_kk",
    {
        1: "Kepala keluarga",
        2: "Istri/suami",
        3: "Anak",
        4: "Menantu",
        5: "Cucu",
        6: "Orang tua/mertua",
        7: "Pembantu/sopir",
        8: "Lainnya",
    },
)
KEPALA_KELUARGA = 1  # the code of the family head in HUBUNGAN_KK

KARTU_IDENTITAS = CodeList(  # sum of codes
    "kartu_identitas", {0: "Tidak memiliki", 1: "Akta kelahiran", 2: "KIA", 4: "KTP"}
)

PARTISIPASI_SEKOLAH = CodeList(
    "partisipasi_sekolah", {1: "Tidak/belum pernah sekolah", 2: "Masih sekolah", 3: "Tidak bersekolah lagi"}
)

_JENJANG = {
    1: "Paket A",
    2: "SDLB",
    3: "SD",
    4: "MI",
    5: "SPM/PDF Ula",
    6: "Paket B",
    7: "SMPLB",
    8: "SMP",
    9: "MTs",
    10: "SPM/PDF Wustha",
    11: "Paket C",
    12: "SMLB",
    13: "SMA",
    14: "MA",
    15: "SMK",
    16: "MAK",
    17: "SPM/PDF Ulya",
    18: "D1/D2/D3",
    19: "D4/S1",
    20: "Profesi",
    21: "S2",
    22: "S3",
}
PENDIDIKAN = CodeList("pendidikan", _JENJANG)  # 413
IJAZAH = CodeList("ijazah", {**_JENJANG, 23: "Tidak punya ijazah SD"})  # 415

KELAS_TERTINGGI = CodeList("kelas_tertinggi", {**{k: str(k) for k in range(1, 8)}, 8: "Tamat & lulus"})

LAPANGAN_USAHA = CodeList(  # 417 and 421
    "lapangan_usaha",
    {
        1: "Pertanian tanaman padi & palawija",
        2: "Hortikultura",
        3: "Perkebunan",
        4: "Perikanan",
        5: "Peternakan",
        6: "Kehutanan & pertanian lainnya",
        7: "Pertambangan/penggalian",
        8: "Industri pengolahan",
        9: "Pengadaan listrik, gas, uap/air panas, & udara dingin",
        10: "Pengelolaan air, pengelolaan air limbah, pengelolaan dan daur ulang sampah, "
        "dan aktivitas remediasi",
        11: "Konstruksi",
        12: "Perdagangan besar dan eceran, reparasi dan perawatan mobil dan sepeda motor",
        13: "Pengangkutan dan pergudangan",
        14: "Penyediaan akomodasi & makan minum",
        15: "Informasi & komunikasi",
        16: "Keuangan & asuransi",
        17: "Real estate",
        18: "Aktivitas profesional, ilmiah, dan teknis",
        19: "Aktivitas penyewaan dan sewa guna tanpa hak opsi, ketenagakerjaan, agen perjalanan, "
        "dan penunjang usaha lainnya",
        20: "Administrasi pemerintahan, pertahanan, dan jaminan sosial wajib",
        21: "Pendidikan",
        22: "Aktivitas kesehatan manusia dan aktivitas sosial",
        23: "Kesenian, hiburan, dan rekreasi",
        24: "Aktivitas jasa lainnya",
        25: "Aktivitas keluarga sebagai pemberi kerja",
        26: "Aktivitas badan internasional dan badan ekstra internasional lainnya",
    },
)

STATUS_PEKERJAAN = CodeList(
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
PNS_TNI_POLRI = 5  # STATUS_PEKERJAAN code that points at an exclusion (ASN/TNI/Polri/BUMN)

NPWP = CodeList("npwp", {1: "Ada, dapat menunjukkan", 2: "Ada, tidak dapat menunjukkan", 3: "Tidak ada"})

IZIN_USAHA = CodeList(
    "izin_usaha",
    {
        1: "Surat Izin Tempat Usaha (SITU)",
        2: "Surat Izin Usaha Perdagangan (SIUP)",
        3: "Nomor Registrasi Perusahaan (NRP)",
        4: "Nomor Induk Berusaha (NIB)",
        5: "Surat Keterangan Domisili Perusahaan (SKDP)",
        6: "Analisis Mengenai Dampak Lingkungan (Amdal)",
        7: "Surat Izin Mendirikan Bangunan (SIMB)",
        8: "Surat Keputusan Badan Hukum (SKBH)",
        9: "Akta Pendirian Perseroan Terbatas (APPT)",
        10: "Surat izin lainnya",
        11: "Belum memiliki izin usaha",
        12: "Surat Izin Gangguan",
    },
)

OMZET_USAHA = CodeList(
    "omzet_usaha",
    {
        1: "< 5 juta (ultra mikro)",
        2: "5 – < 15 juta (ultra mikro)",
        3: "15 – < 25 juta (ultra mikro)",
        4: "25 – < 167 juta (mikro)",
        5: "167 – < 1.250 juta (kecil)",
        6: "1.250 – < 4.167 juta (menengah)",
        7: "≥ 4.167 juta (besar)",
    },
)

INTERNET_USAHA = CodeList(  # sum of codes
    "internet_usaha",
    {
        0: "Tidak menggunakan internet",
        1: "Sebagai sarana komunikasi",
        2: "Untuk mencari informasi",
        4: "Sebagai pemasaran/iklan",
        8: "Sebagai sarana penjualan produk/output",
        16: "Sebagai pembelian dan/atau produksi",
        32: "Lainnya",
    },
)

KONDISI_GIZI = CodeList(
    "kondisi_gizi",
    {1: "Kurang gizi (wasting)", 2: "Kerdil (stunting)", 3: "Tidak ada catatan", 8: "Tidak tahu"},
)

KESULITAN = CodeList(  # 428a–i
    "kesulitan",
    {
        1: "Ya, sama sekali tidak bisa",
        2: "Ya, banyak kesulitan dan membutuhkan bantuan",
        3: "Ya, sedikit kesulitan, tapi tidak membutuhkan bantuan",
        4: "Tidak mengalami kesulitan",
    },
)

FREKUENSI_SEDIH = CodeList(
    "frekuensi_sedih", {1: "Sangat sering", 2: "Sering", 3: "Jarang", 4: "Tidak pernah"}
)

PENGURUS = CodeList(  # 429
    "pengurus", {1: "Ya, anggota keluarga", 2: "Ya, bukan anggota keluarga", 3: "Ya, tinggal sendiri"}
)

PENYAKIT_KRONIS = CodeList(
    "penyakit_kronis",
    {
        1: "Tidak ada",
        2: "Hipertensi (darah tinggi)",
        3: "Rematik",
        4: "Asma",
        5: "Masalah jantung",
        6: "Diabetes (kencing manis)",
        7: "Tuberculosis (TBC)",
        8: "Stroke",
        9: "Kanker atau tumor ganas",
        10: "Gagal ginjal",
        11: "Haemophilia",
        12: "HIV/AIDS",
        13: "Kolesterol",
        14: "Sirosis hati",
        15: "Thalasemia",
        16: "Leukemia",
        17: "Alzheimer",
        18: "Lainnya",
    },
)

JAMINAN_KESEHATAN = CodeList(  # sum of codes; 99 stands alone
    "jaminan_kesehatan",
    {
        0: "Tidak memiliki",
        1: "PBI/JKN",
        2: "JKN mandiri",
        4: "JKN pemberi kerja",
        8: "Jamkes lainnya",
        99: "Lainnya",
    },
)

YA_TIDAK_TIDAK_TAHU = CodeList("ya_tidak_tidak_tahu", {1: "Ya", 2: "Tidak", 8: "Tidak tahu"})  # 431b–e

JAMINAN_KETENAGAKERJAAN = CodeList(  # sum of codes; 99 stands alone
    "jaminan_ketenagakerjaan",
    {
        0: "Tidak memiliki",
        1: "BPJS Jaminan Kecelakaan Kerja",
        2: "BPJS Jaminan Kematian",
        4: "BPJS Jaminan Hari Tua",
        8: "BPJS Jaminan Pensiun",
        16: "Pensiunan/jaminan hari tua lainnya (Taspen/program pensiun swasta)",
        99: "Tidak tahu",
    },
)

# --- Blok V Program, aset, layanan ------------------------------------------------------------------------

INTERNET = CodeList(
    "internet",
    {
        0: "Tidak menggunakan internet",
        1: "Internet dan TV digital berlangganan",
        2: "Wifi",
        3: "Internet handphone",
    },
)

REKENING = CodeList(
    "rekening",
    {1: "Ya, untuk usaha", 2: "Ya, untuk pribadi", 3: "Ya, untuk usaha dan pribadi", 4: "Tidak"},
)

# The items of the multi-part questions, letter → Indonesian label. Each is answered 1 Ya / 2 Tidak
# (501, 502, 503), a count of animals (504) or a KESULITAN code (428).
PROGRAM_501 = {
    "a": "Program Sembako/BPNT",
    "b": "PKH",
    "c": "BLT Dana Desa",
    "d": "Subsidi listrik",
    "e": "Bantuan pemerintah daerah (Pemda)",
    "f": "Subsidi pupuk",
    "g": "Subsidi LPG",
}
ASET_502 = {
    "a": "Tabung gas 5,5 kg atau lebih",
    "b": "Lemari es",
    "c": "AC",
    "d": "Pemanas air",
    "e": "Telepon rumah (PSTN)",
    "f": "TV layar datar minimal 30 inci",
    "g": "Emas/perhiasan (minimal 10 gram emas)",
    "h": "Komputer/laptop",
    "i": "Sepeda motor",
    "j": "Sepeda",
    "k": "Mobil",
    "l": "Perahu",
    "m": "Kapal/perahu motor",
    "n": "Smartphone",
}
ASET_503 = {"a": "Lahan (selain yang ditempati)", "b": "Rumah/bangunan di tempat lain"}
TERNAK_504 = {"a": "Sapi", "b": "Kerbau", "c": "Kuda", "d": "Babi", "e": "Kambing/domba"}
KESULITAN_428 = {
    "a": "Kesulitan penglihatan",
    "b": "Kesulitan pendengaran",
    "c": "Kesulitan berjalan/naik tangga",
    "d": "Kesulitan menggunakan/menggerakkan tangan/jari",
    "e": "Kesulitan belajar/kemampuan intelektual",
    "f": "Kesulitan perilaku/emosi",
    "g": "Kesulitan berbicara/memahami/berkomunikasi",
    "h": "Kesulitan mengurus diri sendiri",
    "i": "Kesulitan mengingat/berkonsentrasi",
}

# Variable number → code list. Every coded variable of the form is here, also those the template does not
# carry, so a full Regsosek record (e.g. from OpenSID) can be checked against the same lists.
CODE_LISTS: dict[str, CodeList] = {
    "115": KODE_KK,
    "205": HASIL_PENDATAAN,
    "301a": STATUS_BANGUNAN,
    "301b": BUKTI_KEPEMILIKAN_TANAH,
    "303": JENIS_LANTAI,
    "304": JENIS_DINDING,
    "305": JENIS_ATAP,
    "306a": SUMBER_AIR_MINUM,
    "306b": JARAK_PENAMPUNGAN_TINJA,
    "307a": SUMBER_PENERANGAN,
    "307b1": DAYA_TERPASANG,
    "307b2": DAYA_TERPASANG,
    "307b3": DAYA_TERPASANG,
    "308": BAHAN_BAKAR_MEMASAK,
    "309a": FASILITAS_BAB,
    "309b": JENIS_KLOSET,
    "310": PEMBUANGAN_TINJA,
    "404": KEBERADAAN,
    "405": JENIS_KELAMIN,
    "408": STATUS_KAWIN,
    "409": HUBUNGAN_KK,
    "410": YA_TIDAK,
    "411": KARTU_IDENTITAS,
    "412": PARTISIPASI_SEKOLAH,
    "413": PENDIDIKAN,
    "414": KELAS_TERTINGGI,
    "415": IJAZAH,
    "416a": YA_TIDAK,
    "417": LAPANGAN_USAHA,
    "418": STATUS_PEKERJAAN,
    "419": NPWP,
    "420a": YA_TIDAK,
    "421": LAPANGAN_USAHA,
    "424": IZIN_USAHA,
    "425": OMZET_USAHA,
    "426": INTERNET_USAHA,
    "427": KONDISI_GIZI,
    **{f"428{letter}": KESULITAN for letter in KESULITAN_428},
    "428j": FREKUENSI_SEDIH,
    "429": PENGURUS,
    "430": PENYAKIT_KRONIS,
    "431a": JAMINAN_KESEHATAN,
    **{f"431{letter}": YA_TIDAK_TIDAK_TAHU for letter in "bcde"},
    "431f": JAMINAN_KETENAGAKERJAAN,
    **{f"501{letter}": YA_TIDAK for letter in PROGRAM_501},
    **{f"502{letter}": YA_TIDAK for letter in ASET_502},
    **{f"503{letter}": YA_TIDAK for letter in ASET_503},
    "505": INTERNET,
    "506": REKENING,
}

# The bit-flag variables: recorded as a sum, decoded to a set (fields.decode_flags).
BITFLAG_VARS = frozenset({"411", "426", "431a", "431f"})

"""The instruments' code lists against their forms (docs/domain-facts.md §1), the bit-flag arithmetic and
the PBDT asset quirk."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siks.domain.instruments import (
    INSTRUMENTS,
    PBDT2015,
    REGSOSEK2022_K,
    YA_TIDAK,
    CodeError,
    CodeList,
    Field,
    code_lists,
    decode_flags,
    encode_flags,
    encode_pbdt_asset,
    normalize_pbdt_asset,
    yes_no_code,
    yes_no_value,
)
from siks.domain.instruments import pbdt2015 as P
from siks.domain.instruments import regsosek2022 as R

# --- Regsosek 2022 (docs/domain-facts.md §1.1) ------------------------------------------------------------

# variable → (number of codes, smallest, largest)
REGSOSEK_SIZES = {
    "115": (3, 0, 2),
    "205": (5, 1, 5),
    "301a": (5, 1, 5),
    "301b": (6, 1, 6),
    "303": (9, 1, 9),
    "304": (7, 1, 7),
    "305": (8, 1, 8),
    "306a": (11, 1, 11),
    "306b": (3, 1, 8),
    "307a": (4, 1, 4),
    "307b1": (5, 1, 5),
    "308": (12, 0, 11),
    "309a": (6, 1, 6),
    "309b": (4, 1, 4),
    "310": (6, 1, 6),
    "404": (6, 1, 6),
    "405": (2, 1, 2),
    "408": (4, 1, 4),
    "409": (8, 1, 8),
    "410": (2, 1, 2),
    "411": (4, 0, 4),
    "412": (3, 1, 3),
    "413": (22, 1, 22),
    "414": (8, 1, 8),
    "415": (23, 1, 23),
    "416a": (2, 1, 2),
    "417": (26, 1, 26),
    "418": (8, 1, 8),
    "419": (3, 1, 3),
    "424": (12, 1, 12),
    "425": (7, 1, 7),
    "426": (7, 0, 32),
    "427": (4, 1, 8),
    "428a": (4, 1, 4),
    "428i": (4, 1, 4),
    "428j": (4, 1, 4),
    "429": (3, 1, 3),
    "430": (18, 1, 18),
    "431a": (6, 0, 99),
    "431b": (3, 1, 8),
    "431e": (3, 1, 8),
    "431f": (7, 0, 99),
    "501a": (2, 1, 2),
    "502n": (2, 1, 2),
    "503b": (2, 1, 2),
    "505": (4, 0, 3),
    "506": (4, 1, 4),
}


@pytest.mark.parametrize(("var", "expected"), REGSOSEK_SIZES.items())
def test_regsosek_list_sizes(var, expected):
    codes = R.CODE_LISTS[var]
    assert (len(codes), min(codes.codes), max(codes.codes)) == expected


def test_regsosek_every_coded_variable_of_the_form_is_there():
    expected = (
        {"115", "205", "301a", "301b", "303", "304", "305", "306a", "306b", "307a", "307b1", "307b2", "307b3"}
        | {"308", "309a", "309b", "310", "404", "405", "408", "409", "410", "411", "412", "413", "414", "415"}
        | {
            "416a",
            "417",
            "418",
            "419",
            "420a",
            "421",
            "424",
            "425",
            "426",
            "427",
            "428j",
            "429",
            "430",
            "431a",
        }
        | {f"428{x}" for x in "abcdefghi"}
        | {f"431{x}" for x in "bcdef"}
        | {f"501{x}" for x in "abcdefg"}
        | {f"502{x}" for x in "abcdefghijklmn"}
        | {"503a", "503b", "505", "506"}
    )
    assert set(R.CODE_LISTS) == expected


@pytest.mark.parametrize(
    ("var", "code", "label"),
    [
        ("115", 0, "KK sesuai"),
        ("205", 4, "Responden menolak"),
        ("303", 8, "Tanah"),
        ("305", 5, "Bambu"),  # print form order, not OpenSID's (5 Kayu/sirap)
        ("305", 6, "Kayu/sirap"),
        ("306b", 8, "Tidak tahu"),  # print form, not OpenSID's 3
        ("308", 0, "Tidak memasak di rumah"),  # print form "00", not OpenSID's 12
        ("308", 4, "Gas elpiji 3 kg"),
        ("404", 2, "Meninggal"),
        ("409", 1, "Kepala keluarga"),
        ("411", 4, "KTP"),
        ("413", 13, "SMA"),
        ("415", 23, "Tidak punya ijazah SD"),
        ("418", 5, "PNS/TNI/Polri/BUMN/BUMD/pejabat negara"),
        ("430", 7, "Tuberculosis (TBC)"),
        ("431a", 1, "PBI/JKN"),
        ("431a", 99, "Lainnya"),
        ("431f", 99, "Tidak tahu"),
        ("505", 0, "Tidak menggunakan internet"),
        ("506", 4, "Tidak"),
    ],
)
def test_regsosek_labels(var, code, label):
    assert R.CODE_LISTS[var].label(code) == label


def test_regsosek_items_of_multi_part_questions():
    assert len(R.PROGRAM_501) == 7 and len(R.ASET_502) == 14 and len(R.ASET_503) == 2
    assert len(R.TERNAK_504) == 5 and len(R.KESULITAN_428) == 9
    assert R.ASET_502["n"] == "Smartphone" and R.TERNAK_504["e"] == "Kambing/domba"


def test_bitflag_variables_are_powers_of_two_plus_specials():
    assert R.KARTU_IDENTITAS.flags == (1, 2, 4) and R.KARTU_IDENTITAS.specials == ()
    assert R.INTERNET_USAHA.flags == (1, 2, 4, 8, 16, 32)
    assert R.JAMINAN_KESEHATAN.flags == (1, 2, 4, 8) and R.JAMINAN_KESEHATAN.specials == (99,)
    assert R.JAMINAN_KETENAGAKERJAAN.flags == (1, 2, 4, 8, 16) and R.JAMINAN_KETENAGAKERJAAN.specials == (99,)
    for var in R.BITFLAG_VARS:
        assert 0 in R.CODE_LISTS[var]


# --- PBDT 2015 (docs/domain-facts.md §1.2) ----------------------------------------------------------------

PBDT_SIZES = {
    "status_bangunan": (5, 1, 5),
    "status_lahan": (4, 1, 4),
    "jenis_lantai": (10, 1, 10),
    "jenis_dinding": (7, 1, 7),
    "kondisi_dinding": (2, 1, 2),
    "jenis_atap": (10, 1, 10),
    "kondisi_atap": (2, 1, 2),
    "sumber_air_minum": (12, 1, 12),
    "cara_memperoleh_air": (3, 1, 3),
    "sumber_penerangan": (3, 1, 3),
    "daya_terpasang": (6, 1, 6),
    "bahan_bakar_memasak": (9, 1, 9),
    "fasilitas_bab": (4, 1, 4),
    "jenis_kloset": (4, 1, 4),
    "pembuangan_tinja": (6, 1, 6),
    "hubungan_krt": (8, 1, 8),
    "status_kawin": (4, 1, 4),
    "akta_nikah": (3, 0, 2),
    "kartu_identitas": (5, 0, 8),
    "jenis_cacat": (13, 0, 12),
    "penyakit_kronis": (10, 0, 9),
    "partisipasi_sekolah": (3, 0, 2),
    "pendidikan": (10, 1, 10),
    "kelas_tertinggi": (8, 1, 8),
    "ijazah": (7, 0, 6),
    "lapangan_usaha": (22, 1, 22),
    "status_pekerjaan": (8, 1, 8),
}


@pytest.mark.parametrize(("name", "expected"), PBDT_SIZES.items())
def test_pbdt_list_sizes(name, expected):
    codes = P.CODE_LISTS[name]
    assert (len(codes), min(codes.codes), max(codes.codes)) == expected


@pytest.mark.parametrize(
    ("codes", "code", "label"),
    [
        (P.JENIS_LANTAI, 9, "Tanah"),
        (P.JENIS_ATAP, 4, "Genteng tanah liat"),
        (P.BAHAN_BAKAR_MEMASAK, 9, "Tidak memasak di rumah"),
        (P.HUBUNGAN_KRT, 1, "Kepala rumah tangga"),
        (P.HUBUNGAN_KRT, 7, "Pembantu ruta"),
        (P.JENIS_CACAT, 0, "Tidak cacat"),
        (P.JENIS_CACAT, 11, "Mantan penderita gangguan jiwa"),
        (P.PENYAKIT_KRONIS, 6, "TBC"),
        (P.LAPANGAN_USAHA, 20, "Pemulung"),
        (P.LAPANGAN_USAHA, 22, "Lainnya"),
        (P.KARTU_IDENTITAS, 8, "SIM"),
        (P.IJAZAH, 0, "Tidak punya ijazah"),
    ],
)
def test_pbdt_labels(codes, code, label):
    assert codes.label(code) == label


def test_the_same_question_is_coded_differently_per_instrument():
    """Why every assessment must record its instrument: code 9 of jenis lantai means two things."""
    assert R.JENIS_LANTAI.label(9) == "Lainnya"
    assert P.JENIS_LANTAI.label(9) == "Tanah"


def test_code_lists_by_instrument():
    assert set(INSTRUMENTS) == {REGSOSEK2022_K, PBDT2015} == {"REGSOSEK2022.K", "PBDT2015"}
    assert code_lists(REGSOSEK2022_K)["303"] is R.JENIS_LANTAI
    assert code_lists(PBDT2015)["jenis_cacat"] is P.JENIS_CACAT
    with pytest.raises(ValueError, match="tidak dikenal"):
        code_lists("SUSENAS")


# --- the PBDT asset quirk ---------------------------------------------------------------------------------

ASSET_LETTERS = "abcdefghijklmno"


@pytest.mark.parametrize("letter", ASSET_LETTERS)
def test_pbdt_asset_quirk_every_column(letter):
    yes, no = (1, 2) if letter in "acegikmo" else (3, 4)
    assert normalize_pbdt_asset(letter, yes) is True
    assert normalize_pbdt_asset(letter, no) is False
    assert normalize_pbdt_asset(letter.upper(), str(yes)) is True  # letter case and text codes are fine
    assert encode_pbdt_asset(letter, True) == yes and encode_pbdt_asset(letter, False) == no
    wrong_yes, wrong_no = (3, 4) if yes == 1 else (1, 2)
    for wrong in (wrong_yes, wrong_no, 0, 5, "x"):
        with pytest.raises(CodeError, match=f"aset kolom {letter}") as info:
            normalize_pbdt_asset(letter, wrong)
        assert f"{yes} Ya, {no} Tidak" in str(info.value)


def test_pbdt_asset_unknown_column():
    assert len(P.ASET_BERGERAK) == 15
    with pytest.raises(CodeError, match="a–o"):
        normalize_pbdt_asset("p", 1)


# --- bit flags --------------------------------------------------------------------------------------------

BITFLAG_LISTS = [
    R.KARTU_IDENTITAS,
    R.INTERNET_USAHA,
    R.JAMINAN_KESEHATAN,
    R.JAMINAN_KETENAGAKERJAAN,
    P.KARTU_IDENTITAS,
]


def test_decode_examples():
    field = Field("kartu_identitas", "411", "Kartu identitas", "bitflags", R.KARTU_IDENTITAS)
    assert decode_flags(field, 5) == frozenset({1, 4})
    assert decode_flags(field, 0) == frozenset()
    assert decode_flags(field, 7) == frozenset({1, 2, 4})
    assert decode_flags(R.JAMINAN_KESEHATAN, 99) == frozenset({99})
    assert decode_flags(R.JAMINAN_KETENAGAKERJAAN, 31) == frozenset({1, 2, 4, 8, 16})


@pytest.mark.parametrize(
    ("codes", "value"),
    [
        (R.KARTU_IDENTITAS, 8),
        (R.KARTU_IDENTITAS, 99),
        (R.KARTU_IDENTITAS, -1),
        (R.JAMINAN_KESEHATAN, 16),
        (R.JAMINAN_KESEHATAN, 98),
        (R.JAMINAN_KETENAGAKERJAAN, 32),
        (R.INTERNET_USAHA, 64),
    ],
)
def test_decode_rejects_impossible_sums(codes, value):
    with pytest.raises(CodeError, match="bukan jumlah kode"):
        decode_flags(codes, value)


def test_encode_rejects_special_mixed_with_flags_and_unknown_codes():
    assert encode_flags(R.JAMINAN_KESEHATAN, {99}) == 99
    with pytest.raises(CodeError, match="tidak boleh digabung"):
        encode_flags(R.JAMINAN_KESEHATAN, {99, 1})
    with pytest.raises(CodeError, match="bukan kode gabungan"):
        encode_flags(R.KARTU_IDENTITAS, {3})


@given(st.data())
def test_flags_round_trip(data):
    codes = data.draw(st.sampled_from(BITFLAG_LISTS))
    chosen = data.draw(
        st.one_of(
            st.frozensets(st.sampled_from(codes.flags)), *(st.just(frozenset({s})) for s in codes.specials)
        )
    )
    value = encode_flags(codes, chosen)
    assert decode_flags(codes, value) == chosen
    assert encode_flags(codes, decode_flags(codes, value)) == value


@given(st.sampled_from(BITFLAG_LISTS), st.integers(min_value=-5, max_value=200))
def test_decode_accepts_exactly_the_possible_sums(codes, value):
    possible = value in codes.specials or 0 <= value <= sum(codes.flags)  # flags are 1, 2, 4 …: every sum
    if possible:
        assert encode_flags(codes, decode_flags(codes, value)) == value
    else:
        with pytest.raises(CodeError):
            decode_flags(codes, value)


# --- the small types --------------------------------------------------------------------------------------


def test_code_list_is_read_only_and_describes_itself():
    codes = CodeList("contoh", {1: "Ya", 2: "Tidak"})
    with pytest.raises(TypeError):
        codes.codes[3] = "Mungkin"  # type: ignore[index]
    assert codes.describe() == "1 Ya, 2 Tidak"
    assert R.LAPANGAN_USAHA.describe() == "1–26 (lihat daftar kode 'lapangan_usaha')"
    with pytest.raises(CodeError):
        codes.label(3)


def test_yes_no_lists():
    assert yes_no_value(YA_TIDAK, 1) is True and yes_no_value(YA_TIDAK, 2) is False
    assert yes_no_code(P.YA_TIDAK_3_4, True) == 3
    with pytest.raises(CodeError):
        yes_no_value(YA_TIDAK, 3)
    with pytest.raises(ValueError, match="Ya and Tidak"):
        Field("x", None, "x", "yes_no", R.JENIS_KELAMIN)
    with pytest.raises(ValueError, match="needs a code list"):
        Field("x", None, "x", "code")

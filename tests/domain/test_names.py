"""Names as padan and ganda compare them: titles and degrees removed (siks.domain.names)."""

from __future__ import annotations

import re

import pytest

from siks.domain import names


@pytest.mark.parametrize(
    ("written", "compared"),
    [
        ("Drs. H. Suparman, M.Pd", "SUPARMAN"),
        ("DRA. SITI ROMLAH", "SITI ROMLAH"),
        ("IR. BAMBANG SUTRISNO", "BAMBANG SUTRISNO"),
        ("Prof. Dr. Ir. Hadi Susanto, M.Sc", "HADI SUSANTO"),
        ("HJ. SUMIATUN", "SUMIATUN"),
        ("K.H. Abdul Ghofur", "ABDUL GHOFUR"),
        ("KH ABDUL GHOFUR", "ABDUL GHOFUR"),
        ("Ustadz Ahmad Fauzi", "AHMAD FAUZI"),
        ("LAMINAH S.H", "LAMINAH"),
        ("Siti  Aminah,S.Pd", "SITI AMINAH"),
        ("SUMARNO, S.Pd., M.Pd.", "SUMARNO"),
        ("AHMAD HOLIL S.PD.I", "AHMAD HOLIL"),
        ("ahmad holil spdi", "AHMAD HOLIL"),
        ("NUR HAYATI, A.Md.Keb", "NUR HAYATI"),
        ("NUR HAYATI AMD KEB", "NUR HAYATI"),
        ("Ns. Dewi Lestari, S.Kep", "DEWI LESTARI"),
        ("MOH. RIDWAN SE", "MOH RIDWAN"),
        ("YULI ASTUTI S.KOM M.KOM", "YULI ASTUTI"),
    ],
)
def test_titles_before_and_degrees_after_the_name_are_removed(written, compared):
    assert names.normalize(written) == compared


@pytest.mark.parametrize(
    "name",
    [
        "SUPARMAN",
        "I WAYAN SUDARMA",  # Balinese birth order: part of the name
        "NI MADE SUARNI",
        "ANDI BAHTIAR",  # Bugis noble title: Dukcapil writes it in the name
        "SYARIFAH FATIMAH ALHABSYI",
        "TAN SIOK LIAN",
        "MUHAMMAD RIZKY PRATAMA",
        "HARIS",  # begins with H, is no haji
        "HADI SUSANTO",
        "SITI DRAJAT",
        "BUDI SETIAWAN S",  # a trailing initial is not a degree
        "MOH H ROSYID",  # a title inside the name stays
        "LIE MA",  # M.A. is left out: MA ends real names
    ],
)
def test_names_without_titles_are_left_as_they_are(name):
    assert names.normalize(name) == name


@pytest.mark.parametrize(
    ("written", "compared"), [("H.", "H"), ("DR", "DR"), ("Drs. S.Pd", "S PD"), ("HAJI", "HAJI")]
)
def test_the_last_word_is_never_taken(written, compared):
    assert names.normalize(written) == compared


def test_a_leading_h_is_haji_not_an_initial():
    """The documented choice: 'H. SUPARMAN' is haji Suparman. An initial H is lost with it, which is what
    the name key already does everywhere; the words that remain must still agree."""
    assert names.normalize("H. SUPARMAN") == names.normalize("SUPARMAN")
    assert names.normalize("H. SUPARMAN") != names.normalize("HADI SUPARMAN")


def test_plain_normalisation_keeps_every_word():
    assert names.plain("Drs.  Siti-Aminah,S.Pd") == "DRS SITI AMINAH S PD"
    assert names.plain(None) == "" and names.normalize(None) == ""


def test_patterns_use_only_portable_regex():
    """Python, RE2 (DuckDB) and Java (Spark) must read the patterns alike: letters, spaces, groups,
    alternation, `?`, `+` and the two anchors only."""
    for pattern in (names.LEADING_PATTERN, names.TRAILING_PATTERN):
        assert re.fullmatch(r"[A-Z ()|?+^$]+", pattern), pattern
        assert "'" not in pattern  # safe inside an SQL string literal

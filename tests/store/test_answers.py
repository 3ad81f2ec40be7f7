"""Answers are stored compactly and read back as the same dict; released layouts never change."""

from __future__ import annotations

import pytest

from siks.domain import template as T
from siks.domain.instruments import PBDT2015, REGSOSEK2022_K
from siks.store.answers import LAYOUTS, decode, encode, layout_for

HOUSEHOLD = {"jenis_lantai": 2, "luas_lantai": 36, "aset_ac": False, "aset_mobil": True, "ternak_sapi": 0}
MEMBER = {"hamil": False, "kartu_identitas": [1, 4], "pendidikan": 13, "jaminan_kesehatan": [99]}


@pytest.mark.parametrize("answers", [HOUSEHOLD, MEMBER, {}])
def test_round_trip(answers):
    doc = encode(answers)
    assert decode(doc) == answers


def test_compact_form():
    doc = encode(MEMBER)
    assert doc["k"] == "R22K.m1" and doc["v"][:2] == [2, 5] and "x" not in doc  # Tidak = 2, flags 1+4 = 5


def test_unknown_keys_and_odd_values_are_kept():
    answers = {**HOUSEHOLD, "_keluarga": {"K1": {"petugas": "A"}}, "jenis_atap": "bukan kode"}
    doc = encode(answers)
    assert doc["x"] == {"_keluarga": {"K1": {"petugas": "A"}}, "jenis_atap": "bukan kode"}
    assert decode(doc) == answers


def test_strings_from_forms_become_codes():
    assert decode(encode({"jenis_lantai": "03", "luas_lantai": "36", "aset_ac": ""})) == {
        "jenis_lantai": 3,
        "luas_lantai": 36,
    }


def test_plain_documents_still_read():
    assert decode({"anything": 1}) == {"anything": 1}
    assert decode('{"k": "R22K.m1", "v": [1]}') == {"hamil": True}


def test_pbdt_quirk_codes():
    column = T.column_map(PBDT2015)["aset_lemari_es"]  # the 3 Ya / 4 Tidak column
    doc = encode({"aset_lemari_es": True, "status_lahan": 1})
    assert doc["k"] == "PBDT.h1"
    assert doc["v"][LAYOUTS["PBDT.h1"].keys.index("aset_lemari_es")] == min(column.codes.codes)
    assert decode(doc)["aset_lemari_es"] is True


def test_released_layouts_are_frozen():
    """Editing a released layout would silently misread stored answers: add a new id instead."""
    assert {k: len(v.keys) for k, v in LAYOUTS.items()} == {
        "R22K.h1": 35,
        "R22K.m1": 18,
        "PBDT.h1": 39,
        "PBDT.m1": 14,
    }
    assert LAYOUTS["R22K.m1"].keys[:3] == ("hamil", "kartu_identitas", "partisipasi_sekolah")
    assert LAYOUTS["R22K.h1"].keys[-2:] == ("internet", "rekening")


@pytest.mark.parametrize("instrument", [REGSOSEK2022_K, PBDT2015])
def test_layout_keys_are_template_columns(instrument):
    columns = T.column_map(instrument)
    for layout in LAYOUTS.values():
        if layout.instrument == instrument:
            assert set(layout.keys) <= set(columns), set(layout.keys) - set(columns)
    assert layout_for(["hamil", "bekerja"]).instrument in (REGSOSEK2022_K, PBDT2015)

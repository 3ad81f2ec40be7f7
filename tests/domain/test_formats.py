"""Numbers and dates for people are Indonesian (#18.6), through Babel: the helpers every page and CLI use."""

from __future__ import annotations

import datetime as dt

from siks.domain.formats import angka, persen, rupiah, tanggal, waktu


def test_numbers_use_dot_for_thousands_and_comma_for_decimals():
    assert angka(1234567) == "1.234.567"
    assert angka(0.806) == "0,806"
    assert angka(12.25, 1) == "12,2" or angka(12.25, 1) == "12,3"  # CLDR rounding, half-even
    assert angka(1234.5, 2) == "1.234,50"
    assert angka(None) == "-"
    assert rupiah(1_200_000) == "Rp1.200.000"
    assert persen(0.806) == "80,6%"


def test_dates_have_indonesian_month_names_and_wib_clock():
    assert tanggal(dt.date(2025, 8, 17)) == "17 Agustus 2025"
    assert tanggal("2025-01-02") == "2 Januari 2025"
    assert tanggal(None) == "-" and tanggal("bukan tanggal") == "bukan tanggal"
    # 20.30 UTC on 16 Aug is already 17 Aug in Jakarta
    late = dt.datetime(2025, 8, 16, 20, 30, tzinfo=dt.UTC)
    assert tanggal(late) == "17 Agustus 2025"
    assert waktu(late) == "17 Agustus 2025 03.30 WIB"
    assert waktu(dt.datetime(2025, 3, 1, 3, 5)) == "1 Maret 2025 10.05 WIB"  # naive = UTC as stored


def test_field_labels_and_values_for_people():
    from siks.domain.field_labels import field_label, field_value

    assert field_label("wilayah_code") == "Kode wilayah" and field_label("luas_lantai") == "Luas lantai (m²)"
    assert field_label("kolom_baru") == "Kolom baru"  # unknown: as words
    assert field_value("active", True) == "Ya" and field_value("active", False) == "Tidak"
    assert field_value("sex", 2) == "Perempuan" and field_value("role", "pusat").startswith("Pusdatin")
    assert field_value("tanggal_lahir", "1979-08-02") == "2 Agustus 1979"
    assert field_value("luas_lantai", 1234) == "1.234" and field_value("alamat", None) == "kosong"
    for key, value in (("tahun", 2025), ("nik", 3509151403750101), ("kk_number", 3509150101100001)):
        assert field_value(key, value) == str(value)  # identifiers and years as typed

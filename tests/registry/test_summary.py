"""The per-kecamatan summary counts what was imported and the NIK/KK faults in it, on both backends."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from siks.domain.kk import check_kk
from siks.domain.nik import check_nik
from siks.domain.status import ImportStatus
from siks.registry import sample
from siks.registry.importer import import_file
from siks.registry.summary import kecamatan_summary


def test_summary_matches_the_imported_file(engine, tmp_path):
    rows = sample.rows(80, seed=4, warning_rate=0.2).to_pylist()
    result = import_file(
        engine, sample.write_csv(sample.rows(80, seed=4, warning_rate=0.2), tmp_path / "d.csv"), "uji"
    )
    assert result.status == ImportStatus.DIMUAT

    expected_members = Counter(r["kode_desa"][:8] for r in rows)
    expected_households = Counter(
        {k: len({r["id_ruta"] for r in rows if r["kode_desa"][:8] == k}) for k in expected_members}
    )
    expected_nik = Counter(
        r["kode_desa"][:8]
        for r in rows
        if check_nik(r["nik"] or None, sex=int(r["jenis_kelamin"]), birth_date=_date(r["tanggal_lahir"]))
    )
    families = {r["id_keluarga"]: r for r in rows}
    expected_kk = Counter(r["kode_desa"][:8] for r in families.values() if check_kk(r["no_kk"] or None))

    summary = {s.code: s for s in kecamatan_summary(engine)}
    assert set(summary) == set(expected_members)
    for code, s in summary.items():
        assert s.members == expected_members[code]
        assert s.households == expected_households[code]
        assert s.nik_faults == expected_nik[code]
        assert s.kk_faults == expected_kk[code]
        assert s.name != "?"
    assert sum(s.nik_faults for s in summary.values()) > 0  # the sample really carries faults


def test_summary_within_a_wilayah(engine, tmp_path):
    import_file(engine, sample.write_csv(sample.rows(80, seed=4), tmp_path / "d.csv"), "uji")
    everything = kecamatan_summary(engine)
    one = everything[0].code
    assert [s.code for s in kecamatan_summary(engine, within=one)] == [one]


def _date(text):
    return dt.date.fromisoformat(text) if text else None

"""The model file: what it holds, what it refuses, and the shipped default."""

from __future__ import annotations

import json
import math

import pytest

from siks.domain import pmt
from siks.domain.pmt_features import FEATURES, FEATURES_BY_NAME, code_label
from siks.domain.template import column_map


def small_model(**changes) -> dict:
    data = {
        "format": pmt.FORMAT,
        "name": "uji",
        "version": "1",
        "created": "2025-01-01T00:00:00+00:00",
        "intercept": 13.0,
        "regions": {"level": "kecamatan", "effects": {"350915": 0.1}},
        "variables": [
            {"name": "log_household_size", "kind": "number", "coefficient": -0.3, "impute": 1.2},
            {"name": "aset_mobil", "kind": "flag", "coefficient": 0.5},
            {"name": "jenis_lantai", "kind": "code", "coefficients": {"8": -0.4, "1": 0.2}},
        ],
    }
    data.update(changes)
    return data


def test_score_is_the_sum_of_its_parts():
    model = pmt.from_dict(small_model())
    s = pmt.score(
        model, {"log_household_size": math.log(4), "aset_mobil": True, "jenis_lantai": 8}, "35.09.15.2001"
    )
    assert s.region == "350915" and s.region_effect == 0.1
    expected = 13.0 + 0.1 - 0.3 * math.log(4) + 0.5 - 0.4
    assert s.value == pytest.approx(expected, abs=1e-6)
    assert s.intercept + s.region_effect + sum(c.contribution for c in s.contributions) == pytest.approx(
        s.value
    )
    assert s.consumption == pytest.approx(math.exp(s.value))
    assert s.model == "uji@1"


def test_unknown_answers_contribute_nothing_and_missing_numbers_are_imputed():
    model = pmt.from_dict(small_model())
    s = pmt.score(model, {"log_household_size": None, "aset_mobil": None, "jenis_lantai": 5}, None)
    parts = {c.name: c.contribution for c in s.contributions}
    assert parts == {"log_household_size": pytest.approx(-0.36), "aset_mobil": 0.0, "jenis_lantai": 0.0}
    assert s.region is None and s.region_effect == 0.0


def test_save_and_load_round_trip(tmp_path):
    model = pmt.from_dict(small_model(desil={"cutoffs": [float(i) for i in range(9)], "reference": "uji"}))
    path = tmp_path / "m.json"
    pmt.save(model, path)
    again = pmt.load(path)
    assert again == model
    assert json.loads(path.read_text())["format"] == pmt.FORMAT


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "lain/1"}, r"format: nilai 'lain/1' tidak dikenal"),
        ({"variables": [{"name": "umur_kepala", "kind": "number", "coefficient": 1}]}, "tidak dikenal"),
        ({"variables": [{"name": "aset_mobil", "kind": "number", "coefficient": 1}]}, "jenis salah"),
        (
            {
                "variables": [
                    {"name": "aset_mobil", "coefficient": 1},
                    {"name": "aset_mobil", "coefficient": 1},
                ]
            },
            "dua kali",
        ),
        ({"regions": {"level": "desa", "effects": {}}}, r"regions\.level: nilai 'desa' tidak dikenal"),
        ({"regions": {"level": "kecamatan", "effects": {"35.09.15": 0.1}}}, "Kode wilayah"),
        ({"regions": {"level": "kecamatan", "effects": {"350915'; DROP": 0.1}}}, "Kode wilayah"),
        ({"intercept": float("nan")}, "NaN"),
        ({"desil": {"cutoffs": [3, 2, 1, 0, 0, 0, 0, 0, 0]}}, "Batas desil"),
        ({"desil": {"cutoffs": [1, 2]}}, "Batas desil"),
        ({"variables": ["aset_mobil"]}, r"variables\[0\]: harus berupa objek"),
        ({"intercept": "tiga belas"}, "intercept: harus angka"),
        ({"regions": [1, 2]}, "regions: harus berupa objek"),
        ({"fit": {}, "koefisien": 1}, "koefisien: kunci tidak dikenal"),
    ],
)
def test_bad_models_are_refused(change, message):
    with pytest.raises(pmt.ModelError, match=message):
        pmt.from_dict(small_model(**change))


def test_incomplete_or_unreadable_models_are_refused(tmp_path):
    data = small_model()
    del data["intercept"]
    with pytest.raises(pmt.ModelError, match="intercept: wajib ada"):
        pmt.from_dict(data)
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    with pytest.raises(pmt.ModelError, match="tidak dapat dibaca"):
        pmt.load(bad)


def test_the_default_model_loads_and_records_where_it_came_from():
    model = pmt.default_model()
    assert model.key.startswith("pmt-siks@")
    assert model.provenance.get("data") and model.provenance.get("perintah", "").startswith("siks pmt fit")
    assert model.fit["r2"] > 0 and "holdout" in model.fit
    assert {v.name for v in model.variables} <= set(FEATURES_BY_NAME)
    assert len(model.desil_cutoffs) == 9


def test_every_feature_reads_template_columns_that_exist():
    columns = column_map()
    for f in FEATURES:
        if f.name in columns:
            assert columns[f.name].level == "ruta", f.name
    for name in ("jenis_lantai", "status_pekerjaan", "bahan_bakar_memasak"):
        assert code_label(name if name in columns else "head_job_status", 1) != "1"
    assert code_label("head_job_status", 0) == "Tidak bekerja"
    assert code_label("jenis_lantai", 99) == "99"


def test_desil_from_cutoffs():
    cut = tuple(float(i) for i in range(1, 10))
    assert pmt.desil_from_cutoffs(0.5, cut) == 1
    assert pmt.desil_from_cutoffs(1.0, cut) == 2  # a cut-off belongs to the desil above it
    assert pmt.desil_from_cutoffs(9.5, cut) == 10
    assert pmt.desil_from_cutoffs(3.0, ()) is None

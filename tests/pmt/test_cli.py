"""`siks pmt fit/show/score/explain` and `siks eligibility show/fields` end to end."""

from __future__ import annotations

import csv
import json
import math

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from siks.cli import app
from siks.domain import pmt

from .synthetic import AS_OF, generate
from .test_steps import write_snapshot

runner = CliRunner()


def text(result) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A folder shaped like `siks synth` output: dtks.csv, truth/households.csv, manifest.json."""
    out = tmp_path_factory.mktemp("synth")
    world = generate(900, seed=21)
    households = {h["id_ruta"]: h for h in world.households}
    rows = [{**households[m["id_ruta"]], **m} for m in world.members]
    columns = sorted({k for r in rows for k in r})
    with open(out / "dtks.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)
    (out / "truth").mkdir()
    with open(out / "truth" / "households.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["id_ruta", "consumption_per_capita", "desil"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(world.truth)
    manifest = {"seed": 21, "parameters": {"kabupaten": "35.09", "reference_date": AS_OF.isoformat()}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out, world


def test_fit_writes_a_versioned_model_with_its_figures(generated, tmp_path):
    folder, _ = generated
    out = tmp_path / "model.json"
    result = runner.invoke(
        app, ["pmt", "fit", "--kebenaran", str(folder), "--keluar", str(out), "--versi", "uji-1"]
    )
    assert result.exit_code == 0, result.output
    assert "R²" in result.output and "luar sampel" in result.output
    model = pmt.load(out)
    assert model.key == "pmt-siks@uji-1"
    assert model.fit["r2"] > 0.7 and model.fit["holdout"]["bottom40_recall"] > 0.7
    assert model.provenance["tanggal_acuan"] == AS_OF.isoformat()
    assert len(model.provenance["dtks_csv_sha256"]) == 64
    assert "35.09" in model.desil_reference and len(model.desil_cutoffs) == 9


def test_fit_refuses_a_folder_without_truth(tmp_path):
    result = runner.invoke(
        app, ["pmt", "fit", "--kebenaran", str(tmp_path), "--keluar", str(tmp_path / "m.json")]
    )
    assert result.exit_code == 1 and "tidak ada" in text(result)


def test_show_prints_coefficients_with_answer_labels():
    result = runner.invoke(app, ["pmt", "show"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Koefisien" in result.output and "jenis_lantai" in result.output and "(konstanta)" in result.output
    result = runner.invoke(app, ["pmt", "show", "--json"])
    assert json.loads(result.output)["format"] == pmt.FORMAT


def test_show_reports_a_broken_model(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "lain"}))
    result = runner.invoke(app, ["pmt", "show", str(bad)])
    shown = result.output.replace("\n", "")
    assert result.exit_code == 1 and "bad.json: format: nilai 'lain' tidak dikenal" in shown
    assert "bad.json: intercept: wajib ada" in shown


def test_score_writes_parquet(generated, tmp_path):
    _, world = generated
    snapshot = write_snapshot(world, tmp_path / "snap")
    out = tmp_path / "skor.parquet"
    result = runner.invoke(
        app,
        [
            "pmt",
            "score",
            "--snapshot",
            str(snapshot),
            "--keluar",
            str(out),
            "--tanggal-acuan",
            AS_OF.isoformat(),
            "--populasi",
            "nasional",
        ],
    )
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.num_rows == len(world.households)
    assert {"score", "desil", "kriteria_bps", "model", "c_jenis_lantai"} <= set(table.column_names)
    assert set(table.column("kode_populasi").to_pylist()) == {"ID"}


def test_explain_one_household(generated):
    folder, world = generated
    ruta = world.households[0]["id_ruta"]
    result = runner.invoke(
        app,
        ["pmt", "explain", str(folder / "dtks.csv"), ruta, "--tanggal-acuan", AS_OF.isoformat()],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    assert "Kontribusi" in result.output and "14 kriteria BPS" in result.output
    result = runner.invoke(app, ["pmt", "explain", str(folder / "dtks.csv"), "TIDAK-ADA"])
    assert result.exit_code == 1


def test_eligibility_show_and_fields(tmp_path):
    result = runner.invoke(app, ["eligibility", "show"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "DESIL_TERLALU_TINGGI" in result.output and "kelayakan-dtks@" in result.output
    bad = tmp_path / "aturan.json"
    bad.write_text(
        json.dumps(
            {
                "format": "siks-rules/1",
                "name": "x",
                "version": "1",
                "rules": [
                    {"code": "UJI", "when": {"field": "gaji", "op": ">", "value": 1}, "explanation": "x"}
                ],
            }
        )
    )
    result = runner.invoke(app, ["eligibility", "show", str(bad)])
    assert result.exit_code == 1 and "gaji" in text(result)
    result = runner.invoke(app, ["eligibility", "fields"], terminal_width=200)
    assert result.exit_code == 0 and "desil" in result.output


def test_kalibrasi_from_a_survey_sample_writes_a_model_for_the_new_wilayah(generated, tmp_path):
    folder, world = generated
    out = tmp_path / "kal.json"
    result = runner.invoke(
        app,
        ["pmt", "kalibrasi", "--keluar", str(out), "--wilayah", "35.09", "--dtks", str(folder / "dtks.csv"),
         "--konsumsi", str(folder / "truth" / "households.csv"), "--survei", "Susenas uji 2026",
         "--versi", "kal-1", "--tanggal-acuan", AS_OF.isoformat()],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = pmt.load(out)
    assert model.key == "pmt-siks@kal-1" and model.wilayah == ("3509",) and model.survey == "Susenas uji 2026"
    assert model.fitted_on["cara"] == "kalibrasi" and model.fitted_on["dari_model"] == pmt.default_model().key
    assert model.residual_sd > 0 and len(model.provenance["kalibrasi"]["batas_desil_rupiah"]) == 9
    assert abs(model.fit["share_desil_1_4"] - model.fit["true_share_desil_1_4"]) < 0.03
    shown = runner.invoke(app, ["pmt", "show", str(out)], terminal_width=200)
    assert "Susenas uji 2026" in shown.output and "3509" in shown.output
    again = runner.invoke(
        app,
        ["pmt", "kalibrasi", "--keluar", str(out), "--wilayah", "35.09", "--dtks", str(folder / "dtks.csv"),
         "--konsumsi", str(folder / "truth" / "households.csv"), "--registri", str(folder / "dtks.csv"),
         "--survei", "Susenas uji 2026", "--versi", "kal-2", "--tanggal-acuan", AS_OF.isoformat()],
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert pmt.load(out).fitted_on["batas_dari"] == "registri"


def test_kalibrasi_from_published_thresholds_only(tmp_path):
    out = tmp_path / "bps.json"
    batas = ";".join(str(400_000 + 60_000 * i) for i in range(9))
    result = runner.invoke(
        app,
        ["pmt", "kalibrasi", "--keluar", str(out), "--wilayah", "35.10", "--batas-desil", batas,
         "--survei", "Ambang desil BPS 2026", "--versi", "b-1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = pmt.load(out)
    assert model.wilayah == ("3510",) and model.fitted_on["cara"] == "batas_desil"
    assert pmt.desil_from_cutoffs(math.log(399_999), model.desil_cutoffs) == 1
    bad = runner.invoke(
        app,
        ["pmt", "kalibrasi", "--keluar", str(out), "--wilayah", "35.10", "--batas-desil", "1;2;3",
         "--survei", "x", "--versi", "b-2"],
    )  # fmt: skip
    assert bad.exit_code == 1 and "9 angka" in text(bad)


def test_score_refuses_another_wilayah_and_marks_the_override(generated, tmp_path):
    _, world = generated
    moved = [dict(h, kode_desa=h["kode_desa"].replace("35.09", "35.10", 1)) for h in world.households]
    snapshot = write_snapshot(type(world)(moved, world.members, world.truth), tmp_path / "snap")
    args = ["pmt", "score", "--snapshot", str(snapshot), "--keluar", str(tmp_path / "s.parquet"),
            "--tanggal-acuan", AS_OF.isoformat()]  # fmt: skip
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "bukan untuk kabupaten 3510" in text(refused)
    allowed = runner.invoke(app, [*args, "--izinkan-di-luar-wilayah"])
    assert allowed.exit_code == 0, allowed.output
    flags = pq.read_table(tmp_path / "s.parquet").column("model_di_luar_wilayah").to_pylist()
    assert flags and all(flags)

"""Determinism (same seed, same bytes), the command line, and a world without faults."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from siks.cli import app
from siks.synth import ErrorRates, SynthParams, generate


def _hashes(out) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_files(tmp_path):
    params = SynthParams(persons=3_000, seed=5)
    generate(params, tmp_path / "a")
    generate(params, tmp_path / "b")
    a, b = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    # 10 + ppks/psks.csv, ppks/ppks.csv, truth/ppks.csv, truth/patterns.csv, dtks_pbdt2015.csv
    assert a == b and len(a) == 15
    generate(replace(params, seed=6), tmp_path / "c")
    assert _hashes(tmp_path / "c")["dtks.csv"] != a["dtks.csv"]


def test_cli_generates_with_the_rates_given(tmp_path):
    out = tmp_path / "w"
    result = CliRunner().invoke(
        app,
        ["synth", "--penduduk", "1000", "--seed", "3", "--keluar", str(out), "--galat", "nik_missing=0.1"],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["penduduk"] == 1000
    assert manifest["parameters"]["errors"]["nik_missing"] == 0.1
    assert abs(manifest["error_rates"]["nik_missing"]["rate"] - 0.1) < 0.01


def test_cli_sets_the_patterns_given(tmp_path):
    out = tmp_path / "w"
    args = ["synth", "--penduduk", "1000", "--seed", "3", "--keluar", str(out), "--pola", "etnis_lain=0"]
    result = CliRunner().invoke(app, [*args, "--pola", "kembar=0.05", "--pola", "asn_tanpa_nik=1"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["patterns"] == {
        "etnis_lain": 0.0,
        "kembar": 0.05,
        "senama_ayah": 0.01,
        "gelar": 0.01,
        "asn_tanpa_nik": 1.0,
        "pbdt2015": 0.1,
    }
    asn = (out / "reference" / "asn.csv").read_text().splitlines()[1:]
    assert asn and all(not line.split(",")[0].strip('"') for line in asn if '"ASN"' in line)
    pola = (out / "truth" / "patterns.csv").read_text()
    assert '"kembar"' in pola and '"etnis_lain"' not in pola


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--penduduk", "10"], "1.000"),
        (["--galat", "nik_salah=0.1"], "JENIS"),
        (["--pola", "kembar_tiga=0.1"], "JENIS"),
        (["--pola", "kembar=0.9"], "0,5"),
        (["--kabupaten", "99.99"], "tidak"),
    ],
)
def test_cli_refuses_bad_parameters(tmp_path, args, message):
    result = CliRunner().invoke(app, ["synth", "--keluar", str(tmp_path / "x"), *args])
    assert result.exit_code != 0
    assert message in result.output


def test_without_faults_the_registry_is_the_truth(tmp_path):
    zero = ErrorRates(**dict.fromkeys(ErrorRates().as_dict(), 0.0))
    out = tmp_path / "clean"
    generate(SynthParams(persons=2_000, seed=9, errors=zero), out)
    with (out / "truth" / "errors.csv").open() as fh:
        assert list(csv.DictReader(fh)) == []
    with (out / "truth" / "members.csv").open() as fh:
        members = {r["id_art"]: r for r in csv.DictReader(fh)}
    with (out / "dtks.csv").open() as fh:
        for r in csv.DictReader(fh):
            m = members[f"{r['id_keluarga']}-{r['no_urut']}"]
            assert (r["nik"], r["no_kk"]) == (m["true_nik"], m["true_no_kk"])


def test_another_kabupaten_works(tmp_path):
    manifest = generate(SynthParams(kabupaten="35.11", persons=1_000, seed=2), tmp_path / "bondowoso")
    assert manifest["counts"]["penduduk"] == 1000
    with (tmp_path / "bondowoso" / "dtks.csv").open() as fh:
        assert all(r["kode_desa"].startswith("3511") for r in csv.DictReader(fh))


def test_printed_counts_are_the_rows_written(tmp_path):
    """#18.8: what `siks synth` says it wrote is what the files hold, counted in the files themselves."""
    import re

    import pyarrow.parquet as pq

    out = tmp_path / "w"
    result = CliRunner().invoke(app, ["synth", "--penduduk", "1000", "--seed", "4", "--keluar", str(out)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    m = re.search(
        r"([\d.]+) penduduk, ([\d.]+) rumah tangga; DTKS ([\d.]+) baris dari ([\d.]+) rumah tangga", said
    )
    assert m, said
    persons, households, dtks_rows, dtks_households = (int(g.replace(".", "")) for g in m.groups())
    dtks = []
    for name in ("dtks.csv", "dtks_pbdt2015.csv"):  # Regsosek and PBDT 2015 rows
        with open(out / name, newline="", encoding="utf-8") as f:
            dtks += list(csv.DictReader(f))
    with open(out / "truth" / "households.csv", newline="", encoding="utf-8") as f:
        truth_households = sum(1 for _ in csv.DictReader(f))
    assert persons == pq.read_table(out / "truth" / "population.parquet").num_rows == 1000
    assert households == truth_households
    assert dtks_rows == len(dtks)
    assert dtks_households == len({r["id_ruta"] for r in dtks})

"""The national layout: `siks synth` writes several kabupaten as Parquet partitioned by provinsi/kabupaten,
verval reads the partitions in place, and ganda finds a person registered in two kabupaten."""

from __future__ import annotations

import csv
from datetime import date

import pyarrow.parquet as pq
import pytest

from siks.synth.params import SynthParams
from siks.verval.engines import open_engine
from siks.verval.national import generate_national, national_inputs, renumber
from siks.verval.pipeline import default_steps
from siks.verval.runs import execute

from .conftest import MY_STEPS

KABUPATEN = ["35.09", "35.10"]


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    out = tmp_path_factory.mktemp("national")
    params = SynthParams(persons=4_000, seed=5, reference_date=date(2026, 10, 1))
    manifest = generate_national(KABUPATEN, params, out, cross_share=0.01)
    return out, manifest


def test_layout_is_partitioned_by_provinsi_and_kabupaten(national):
    out, manifest = national
    for table in ("snapshot/member.parquet", "snapshot/household.parquet", "reference/dukcapil.parquet"):
        parts = sorted(p.relative_to(out / table).as_posix() for p in (out / table).rglob("*.parquet"))
        assert parts == [f"provinsi=35/kabupaten={k.replace('.', '')}/part-0.parquet" for k in KABUPATEN]
    assert manifest["cross_duplicates"] > 5
    duk = pq.read_table(out / "reference" / "dukcapil.parquet").column("nik").to_pylist()
    assert len(duk) == len(set(duk)) == manifest["dukcapil"]  # one national extract, each NIK once
    # nobody is dropped to keep NIKs unique: every kabupaten's Dukcapil persons are all in the extract
    per_kab = sum(
        pq.read_metadata(p).num_rows for p in (out / "kabupaten").glob("*/inputs/reference/dukcapil*.parquet")
    )
    assert per_kab == manifest["dukcapil"]


def test_a_nik_two_kabupaten_gave_out_gets_a_free_serial_in_the_second():
    taken = {"3509011201900001", "3509011201909999"}
    niks = ["3509011201900001", "3509011201909998", None, "3510020303850002"]
    # 9999 is taken nationally and 9998 by this kabupaten itself: the next free serial is 9997
    assert renumber(niks, taken) == {"3509011201900001": "3509011201909997"}
    assert renumber(["3510020303850002"], taken) == {}


def test_partition_keys_are_text_columns(national):
    out, _ = national
    engine = open_engine()
    try:
        engine.register_parquet("m", out / "snapshot" / "member.parquet")
        rows = engine.query(
            "SELECT kabupaten, COUNT(*) AS n FROM m GROUP BY kabupaten ORDER BY 1"
        ).to_pylist()
        assert [r["kabupaten"] for r in rows] == ["3509", "3510"]
        assert engine.scalar("SELECT typeof(provinsi) FROM m LIMIT 1") in ("VARCHAR", "varchar")
        engine.write_partitioned(
            "SELECT provinsi, kabupaten, nik FROM m", out / "export", by=("provinsi", "kabupaten")
        )
        written = sorted(p.parent.name for p in (out / "export").rglob("*.parquet"))
        assert written == ["kabupaten=3509", "kabupaten=3510"]
    finally:
        engine.close()


def test_ganda_across_kabupaten(national, tmp_path):
    out, _ = national
    run = execute(
        national_inputs(out),
        work_dir=tmp_path,
        steps=[s for s in default_steps() if s.name in MY_STEPS],
        hash_files=True,
    )
    try:
        with open(out / "truth" / "cross_duplicates.csv", newline="") as fh:
            pairs = [(r["member_ref_a"], r["member_ref_b"]) for r in csv.DictReader(fh)]
        cid = {
            r["member_ref"]: r["cluster_id"]
            for r in run.engine.query("SELECT member_ref, cluster_id FROM duplicate_cluster").to_pylist()
        }
        missed = [(a, b) for a, b in pairs if not (a in cid and cid[a] == cid.get(b))]
        assert not missed, missed[:5]
        assert run.inputs["member"]["sha256"]  # a partitioned input is fingerprinted too
        kab = run.engine.query(
            "SELECT DISTINCT SUBSTRING(kode_desa, 1, 4) AS k FROM findings WHERE code = 'DUP' ORDER BY 1"
        ).to_pylist()
        assert [r["k"] for r in kab] == ["3509", "3510"]
    finally:
        run.engine.close()


def test_synth_cli_writes_the_national_layout(tmp_path):
    from typer.testing import CliRunner

    from siks.cli import app

    res = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["synth", "--keluar", str(tmp_path), "--kabupaten", "35.09,35.10", "--penduduk", "1000"]
    )
    assert res.exit_code == 0, res.output
    assert "2 kabupaten" in res.output and "antar-kabupaten" in res.output
    kab = sorted(p.name for p in (tmp_path / "snapshot" / "member.parquet" / "provinsi=35").iterdir())
    assert kab == ["kabupaten=3509", "kabupaten=3510"]
    bad = CliRunner().invoke(app, ["synth", "--keluar", str(tmp_path / "x"), "--kabupaten", "35.09,35.09"])
    assert bad.exit_code != 0 and "berulang" in bad.output

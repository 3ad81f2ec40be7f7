"""Issue #16 point 6: the generator's PBDT 2015 ruta import cleanly next to the Regsosek ones (`siks import`,
both instruments) and `siks verval run` verifies them like any other: their identity faults are found, their
clean rows are not flagged. A registry of ~2,000 synthetic people on SQLite, through the CLI."""

from __future__ import annotations

import csv
import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from siks.verval.evaluate import KIND_CODES, KIND_UNIT

#: errors whose finding is expected on the PBDT row itself (birth-date defaults are weak evidence by
#: design and not always resolved: docs/verval.md §3b)
CHECKED = [k for k in KIND_CODES if k != "birthdate_default"]


def _cli(env: dict, *args: str) -> str:
    from siks.cli import app

    result = CliRunner(env={**env, "COLUMNS": "250"}).invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    from siks.synth.generate import generate
    from siks.synth.params import Patterns, SynthParams

    root = tmp_path_factory.mktemp("pbdt")
    data = root / "synth"
    params = SynthParams(
        persons=2_000, seed=13, reference_date=date(2026, 10, 1), patterns=Patterns(pbdt2015=0.2)
    )
    generate(params, data)
    url = f"sqlite:///{root / 'siks.db'}"
    env = {"SIKS_DATABASE_URL": url, "SIKS_DATA_DIR": str(root / "data")}
    _cli(env, "db", "upgrade")
    out = {"regsosek": _cli(env, "import", str(data / "dtks.csv"))}
    out["pbdt"] = _cli(env, "import", "--instrumen", "PBDT2015", str(data / "dtks_pbdt2015.csv"))
    for kind in ("dukcapil", "asn", "pln", "kendaraan"):
        path = next(
            p for p in sorted((data / "reference").glob(f"{kind}.*")) if p.suffix in (".csv", ".parquet")
        )
        _cli(env, "reference", "load", kind, str(path))
    out["run"] = _cli(env, "verval", "run", "--oleh", "uji")
    from siks.store.db import make_engine
    from siks.store.models.verval import VervalFinding

    engine = make_engine(url)
    with Session(engine) as s:
        rows = s.execute(
            select(
                VervalFinding.code,
                VervalFinding.member_ref,
                VervalFinding.family_ref,
                VervalFinding.household_ref,
            )
        ).all()
    engine.dispose()
    findings = [dict(zip(("code", "anggota", "keluarga", "ruta"), r, strict=True)) for r in rows]
    yield {"data": data, "out": out, "findings": findings, "pbdt": _read(data / "dtks_pbdt2015.csv")}


def test_both_files_import_and_the_run_takes_every_ruta(registry):
    pbdt = registry["pbdt"]
    ruta = {r["id_ruta"] for r in pbdt}
    assert len(ruta) >= 20
    said = " ".join(registry["out"]["pbdt"].split())
    assert f"{len(pbdt)} baris — {len(pbdt)} baru" in said.replace(".", ""), said
    run = " ".join(registry["out"]["run"].split())
    assert re.search(rf"PBDT2015 {len(ruta)}\b", run), run


def test_faults_on_pbdt_rows_are_found(registry):
    pbdt_arts = {f"{r['id_keluarga']}-{r['no_urut']}" for r in registry["pbdt"]}
    errors = [e for e in _read(registry["data"] / "truth" / "errors.csv") if e["id_art"] in pbdt_arts]
    checked = [e for e in errors if e["kind"] in CHECKED]
    assert len({e["kind"] for e in checked}) >= 5, "the PBDT ruta carry NIK, name and KK faults"
    for e in checked:
        unit = {"keluarga": "keluarga", "ruta": "ruta"}.get(KIND_UNIT.get(e["kind"], ""), "anggota")
        key = {"anggota": e["id_art"], "keluarga": e["id_art"].rsplit("-", 1)[0], "ruta": e["id_ruta"]}[unit]
        codes = {f["code"] for f in registry["findings"] if f[unit] == key}
        assert codes & set(KIND_CODES[e["kind"]]), (e, codes)


def test_clean_pbdt_rows_are_not_flagged(registry):
    pbdt_arts = {f"{r['id_keluarga']}-{r['no_urut']}" for r in registry["pbdt"]}
    errors = _read(registry["data"] / "truth" / "errors.csv")
    faulty = {e["id_art"] for e in errors}
    dup_partners = {e["true_value"] for e in errors if e["kind"].startswith("duplicate")}
    clean = pbdt_arts - faulty - dup_partners
    assert len(clean) >= 50
    wrong = ("PADAN_", "NIK_SUGGESTION", "DUP", "DECEASED", "ASN")
    flagged = {f["anggota"] for f in registry["findings"] if f["code"].startswith(wrong)}
    assert not clean & flagged, sorted(clean & flagged)[:10]

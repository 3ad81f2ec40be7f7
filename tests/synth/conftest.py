"""One small synthetic world per test process, shared by the synth tests (generation takes ~1 s)."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from siks.synth import SynthParams, generate

PERSONS = 20_000


class World:
    """The files of one generated world, read once."""

    def __init__(self, out: Path, manifest: dict) -> None:
        self.out = out
        self.manifest = manifest
        self.dtks = _read(out / "dtks.csv")  # the Regsosek rows
        pbdt = out / "dtks_pbdt2015.csv"
        self.pbdt = _read(pbdt) if pbdt.exists() else []  # the ruta on the PBDT 2015 form
        self.rows = self.dtks + self.pbdt  # every DTKS row (identity columns are shared)
        self.errors = _read(out / "truth" / "errors.csv")
        self.members = {r["id_art"]: r for r in _read(out / "truth" / "members.csv")}
        self.households = _read(out / "truth" / "households.csv")
        self.population = pq.read_table(out / "truth" / "population.parquet").to_pylist()
        self.dukcapil = pq.read_table(out / "reference" / "dukcapil.parquet")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    out = tmp_path_factory.mktemp("synth") / "jember"
    manifest = generate(SynthParams(persons=PERSONS, seed=11), out)
    return World(out, manifest)

"""A small synthetic kabupaten (Jember, 35.09), generated once per test process and cut to 40 ruta."""

from __future__ import annotations

import csv
import subprocess

import pytest

from sync.support import SIKS

RUTA = 40  # enough for several upload pieces and a kill mid-apply, small enough for a quick suite


@pytest.fixture(scope="session")
def dtks_csv(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    subprocess.run(
        [SIKS, "synth", "--penduduk", "1000", "--seed", "7", "--keluar", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    with open(out / "dtks.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    keep = list(dict.fromkeys(r["id_ruta"] for r in rows))[:RUTA]
    small = out / "dtks-kecil.csv"
    with open(small, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["id_ruta"] in set(keep))
    return small

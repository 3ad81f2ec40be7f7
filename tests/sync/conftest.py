"""A small synthetic kabupaten (Jember, 35.09), generated once per test process."""

from __future__ import annotations

import subprocess

import pytest

from sync.support import SIKS


@pytest.fixture(scope="session")
def dtks_csv(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    subprocess.run([SIKS, "synth", "--persons", "1000", "--seed", "7", "--out", str(out)], check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    return out / "dtks.csv"

"""A `verval run` killed with -9 does not stay `berjalan` for ever: the next run marks it `gagal`.

Real processes hold the run lock; one is killed with SIGKILL, the other lives on (a concurrent run).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from siks.store.db import upgrade
from siks.verval import storage
from siks.verval.runs import lock_run, run_is_alive

_HOLD = (
    "import sys, time; from pathlib import Path; from siks.verval.runs import lock_run; "
    "f = lock_run(Path(sys.argv[1])); print('ok', flush=True); time.sleep(120)"
)


def _holder(work):
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(work)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ok"
    return proc


def test_killed_run_is_marked_failed_and_a_live_one_is_left(db_url, tmp_path):
    upgrade(db_url)
    db = storage.engine(db_url)
    killed, live = _holder(tmp_path / "r-killed"), _holder(tmp_path / "r-live")
    try:
        storage.start_run(db, "r-killed", "tester", tmp_path, {})
        storage.start_run(db, "r-live", "tester", tmp_path, {})
        storage.start_run(db, "r-nolock", "tester", tmp_path, {})  # from before locks, or another machine
        assert run_is_alive(tmp_path / "r-killed") and run_is_alive(tmp_path / "r-live")
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        assert not run_is_alive(tmp_path / "r-killed")
        stale = storage.fail_stale_runs(db, lambda r: run_is_alive(tmp_path / r))
        assert sorted(stale) == ["r-killed", "r-nolock"]
        for run_id in stale:
            row = storage.run_row(db, run_id)
            assert row["status"] == "gagal" and row["error"] == storage.STALE_ERROR and row["finished_at"]
        assert storage.run_row(db, "r-live")["status"] == "berjalan"
        assert storage.fail_stale_runs(db, lambda r: run_is_alive(tmp_path / r)) == []
    finally:
        live.kill()
        live.wait()
        db.dispose()


def test_a_run_cannot_take_a_held_lock(tmp_path):
    held = lock_run(tmp_path / "r")
    try:
        with pytest.raises(BlockingIOError):
            lock_run(tmp_path / "r")
    finally:
        held.close()
    assert not run_is_alive(tmp_path / "r")

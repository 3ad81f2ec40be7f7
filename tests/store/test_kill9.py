"""kill -9 in the middle of an import and of a penetapan (#17.14), as real processes on both databases: the
process is killed once it has worked a while (CPU time, not wall time), and the database holds all of the
work or none of it, the audit chain verifies, and the same command then succeeds. The verval run and the
sync apply have their own kill tests (tests/verval/test_stale_runs.py, tests/sync/test_processes.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import text
from sqlalchemy.orm import Session

from siks.audit import chain
from siks.registry import sample
from siks.registry.importer import import_file
from siks.store.db import make_engine, session_factory, upgrade

SIKS = str(Path(sys.executable).with_name("siks"))
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _run_and_kill(args: list[str], url: str, cpu: float) -> int | None:
    """Start `siks args`, kill -9 it after `cpu` seconds of its CPU time; its exit code if it ended first."""
    env = {**os.environ, "SIKS_DATABASE_URL": url}
    proc = subprocess.Popen([SIKS, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None:
            try:
                if _cpu_seconds(proc.pid) >= cpu:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
            except (FileNotFoundError, ProcessLookupError):
                break
            os.sched_yield()
        proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode


def _count(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def _chain_holds(url: str) -> bool:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            return chain.verify(s).ok
    finally:
        engine.dispose()


def test_kill_during_import_leaves_all_or_nothing(db_url, tmp_path):
    upgrade(db_url)
    rows = sample.rows(4000, seed=11)
    path = sample.write_csv(rows, tmp_path / "dtks.csv")
    for cpu in (2.5, 4.0):  # two moments: reading/validating, and (on most machines) writing
        code = _run_and_kill(["import", str(path)], db_url, cpu)
        assert code in (0, -signal.SIGKILL)
        members, batches = _count(db_url, "member"), _count(db_url, "import_batch")
        assert _chain_holds(db_url)
        if (members, batches) == (4000, 1):  # committed before the kill (or finished): all of it
            break
        assert (members, batches) == (0, 0), "a killed import left part of its rows"
        assert _count(db_url, "household") == _count(db_url, "audit_log") == 0
    assert import_file(make_engine(db_url), path, "ulang").status.value in ("dimuat", "sudah_dimuat")
    assert _count(db_url, "member") == 4000 and _chain_holds(db_url)


def test_kill_during_penetapan_leaves_all_or_nothing(db_url, tmp_path):
    from workflow_support import seed

    upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine) as s:
        seed(s)
    rows = sample.rows(3000, seed=12)
    path = sample.write_csv(rows, tmp_path / "dtks.csv")
    assert import_file(engine, path, "operator").status.value == "dimuat"
    ruta = sorted(set(rows.column("id_ruta").to_pylist()))
    skor = tmp_path / "skor.csv"
    pacsv.write_csv(pa.table({"id_ruta": ruta, "desil": [1 + i % 10 for i in range(len(ruta))]}), skor)
    args = ["penetapan", "create", "--judul", "DTKS Uji", "--periode", "2027-01", "--skor", str(skor)]
    args += ["--oleh", "supkab"]
    code = _run_and_kill(args, db_url, 2.5)
    assert code in (0, -signal.SIGKILL)
    made, frozen = _count(db_url, "penetapan"), _count(db_url, "penetapan_member")
    if made:  # committed before the kill (or finished): all of it
        assert made == 1 and frozen >= len(rows)
    else:
        assert frozen == 0, "a killed penetapan left part of its rows"
        assert _chain_holds(db_url)
        done = subprocess.run(
            [SIKS, *args], env={**os.environ, "SIKS_DATABASE_URL": db_url}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert _count(db_url, "penetapan") == 1 and _count(db_url, "penetapan_member") > 0
    assert _chain_holds(db_url)
    engine.dispose()

"""Two imports at once (#17.8), as real processes: the second is refused with a clear message naming the
first (not `database is locked`), writes nothing, and goes through once the first is gone — even when the
first died by kill -9 (the operating system or the server releases the lock). Both databases. And on
SQLite the web keeps answering while an import holds the write lock: pages 200, a write 503 with
Retry-After instead of a 500."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from siks.registry import sample
from siks.store.db import make_engine, upgrade

SIKS = str(Path(sys.executable).with_name("siks"))

# Holds the import lock as a running import does; with "tulis" also SQLite's write lock (its write phase).
HOLDER = """
import sys
from siks.store.db import make_engine
from siks.store.locks import writer_lock

engine = make_engine(sys.argv[1])
with writer_lock(engine, "impor", "berkas besar.csv oleh budi"):
    if sys.argv[2:] == ["tulis"]:
        raw = engine.raw_connection()
        raw.driver_connection.isolation_level = None
        raw.driver_connection.execute("BEGIN IMMEDIATE")
        raw.driver_connection.execute("INSERT INTO audit_chain (id, last_id, last_hash) VALUES (99, 0, '')")
    print("siap", flush=True)
    sys.stdin.readline()
"""


def _holder(url: str, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "siap"
    return proc


def _import(url: str, path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SIKS_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [SIKS, "import", str(path), *args], env=env, capture_output=True, text=True, timeout=600
    )


def _members(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM member")).scalar_one()
    finally:
        engine.dispose()


def test_a_second_import_is_refused_clearly_and_goes_through_after_a_kill(db_url, tmp_path):
    upgrade(db_url)
    path = sample.write_csv(sample.rows(30, seed=9), tmp_path / "dtks.csv")
    first = _holder(db_url)
    try:
        refused = _import(db_url, path)
        out = refused.stdout + refused.stderr
        assert refused.returncode == 1, out
        assert "impor lain sedang berjalan" in out and "besar.csv oleh budi" in out and "--tunggu" in out
        assert "locked" not in out and "Traceback" not in out
        assert _members(db_url) == 0
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    done = _import(db_url, path, "--tunggu", "60")  # the dead holder's lock is gone (on PostgreSQL, soon)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _members(db_url) == 30


def test_the_web_answers_while_an_import_writes(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from siks.accounts import service as accounts
    from siks.store.db import transaction
    from siks.web.app import create_app

    url = f"sqlite:///{tmp_path / 'siks.db'}"
    upgrade(url)
    engine = make_engine(url)
    with transaction(engine) as s:
        accounts.create_user(
            s, "opkab", "kata-sandi-yang-panjang-1", "operator_kabupaten", "35.09", actor="uji"
        )
    monkeypatch.setenv("SIKS_SQLITE_BUSY_SECONDS", "0.5")
    app = create_app(url, secret_key="k" * 32)
    holder = _holder(url, "tulis")
    try:
        with TestClient(app, client=("10.3.0.1", 50000)) as c:
            page = c.get("/masuk")
            assert page.status_code == 200  # reading pages never waits for the writer (WAL)
            assert c.get("/cek").status_code == 200
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            login = c.post(
                "/masuk",
                data={"username": "opkab", "password": "kata-sandi-yang-panjang-1", "csrf_token": token},
                follow_redirects=False,
            )
            assert login.status_code == 503, login.text[:300]
            assert login.headers["retry-after"] and "impor besar" in login.text
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait()
    with TestClient(app, client=("10.3.0.1", 50000)) as c:  # after the import: the same login goes through
        page = c.get("/masuk")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        login = c.post(
            "/masuk",
            data={"username": "opkab", "password": "kata-sandi-yang-panjang-1", "csrf_token": token},
            follow_redirects=False,
        )
        assert login.status_code == 303
    engine.dispose()

"""Named writer locks across processes: one import at a time, refused (or waited for) with a clear message.

Why it looks like this (#17.8):
- SQLite has one writer. A second import started while a long one wrote used to wait SQLite's busy
  timeout and die with `database is locked`. Now it asks first: an exclusive `flock` on a file next to the
  database (`siks.db.impor.lock`). PostgreSQL: a session advisory lock on its own connection.
- Both are released by the operating system or the server when the holder dies, even by kill -9: no stale
  lock to clean up by hand.
- The holder writes who it is (file, user, pid, since) into the lock file / its `application_name`, so
  the refusal names the import that is running.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from siks.errors import ServiceError

POLL_SECONDS = 0.2


class Busy(ServiceError):
    """Another process holds the lock; the message says which and what to do."""

    status = 409
    code = "sedang_berjalan"


def _key(name: str) -> int:
    return zlib.crc32(f"siks:{name}".encode()) & 0x7FFFFFFF  # < 2^31: pg_locks.objid, classid 0


def _refusal(what: str, holder: str | None) -> Busy:
    who = f" ({holder})" if holder else ""
    return Busy(
        f"{what} lain sedang berjalan{who}; coba lagi setelah selesai, atau tunggu dengan --tunggu DETIK."
    )


def _label(holder: str, limit: int) -> str:
    since = dt.datetime.now().astimezone().strftime("%d-%m-%Y %H.%M")
    return f"{holder}, pid {os.getpid()}, sejak {since}"[-limit:]


@contextmanager
def writer_lock(
    engine: Engine, name: str, holder: str, *, what: str = "impor", wait: float = 0
) -> Iterator[None]:
    """Hold the lock `name` for the block; `holder` says who (shown to whoever is refused).

    `wait` seconds: how long to wait for it before `Busy` is raised (0: refuse at once).
    """
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, name, holder, what, wait):
            yield
        return
    path = engine.url.database
    if not path or path == ":memory:":  # one process only
        yield
        return
    with _file_lock(Path(f"{path}.{name}.lock"), holder, what, wait):
        yield


@contextmanager
def _file_lock(path: Path, holder: str, what: str, wait: float) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    held = os.pread(fd, 500, 0).decode(errors="replace").strip()
                    raise _refusal(what, held or None) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, _label(holder, 500).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _pg_lock(engine: Engine, name: str, holder: str, what: str, wait: float) -> Iterator[None]:
    key = _key(name)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT set_config('application_name', :a, false)"), {"a": _label(holder, 63)})
        deadline = time.monotonic() + wait
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
            if time.monotonic() >= deadline:
                held = conn.execute(
                    text(
                        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = :k AND l.granted"
                    ),
                    {"k": key},
                ).scalar()
                raise _refusal(what, held or None)
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.execute(text("SELECT set_config('application_name', '', false)"))

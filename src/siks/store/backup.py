"""`siks backup` / `siks restore`: a consistent copy of the whole database, and putting it back (#17.14).

Why it looks like this:
- SQLite: the online backup API of SQLite itself (`sqlite3.Connection.backup`), page by page from one
  read snapshot, so a backup taken while the web or an import writes is still a consistent database — a
  plain file copy of a WAL database is not. The backup is itself a SQLite file.
- PostgreSQL: `pg_dump --format=custom` (one snapshot of the whole database, sequences included) and
  `pg_restore`, Debian's postgresql-client. No owners or grants: the backup restores under any role.
- Restore goes into an empty database; a database that already holds tables is refused unless `paksa`
  (then its tables are replaced). A file of the other kind is refused with the reason.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from siks.store.db import database_url, make_engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A refusal, in Indonesian, naming what to do."""


def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("basis data SQLite di memori tidak dapat dicadangkan; gunakan berkas.")
    return Path(path)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq connection string of a SQLAlchemy URL, the password passed by environment, not argv."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    """The client program on PATH, else the newest in Debian's versioned directory (as the server's)."""
    versioned = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[4]) if p.parts[4].isdigit() else 0,
    )
    found = shutil.which(name) or (str(versioned[-1]) if versioned else None)
    if not found:
        raise BackupError(f"program {name} tidak ditemukan; pasang paket Debian postgresql-client.")
    return found


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BackupError(f"{Path(cmd[0]).name} gagal: " + " | ".join(detail))


def backup(url: str | None, out: Path) -> Path:
    """Write a consistent backup of the database at `url` to `out` (refuses to overwrite a file)."""
    url = database_url(url)
    if out.exists():
        raise BackupError(f"berkas {out} sudah ada; pilih nama lain (cadangan tidak ditimpa).")
    out.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        src_path = _sqlite_path(url)
        if not src_path.exists():
            raise BackupError(f"basis data {src_path} tidak ada.")
        src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(out)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return out
    conn, env = _libpq(url)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={out}", conn], env)
    return out


def kind_of(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path.name} bukan cadangan siks (bukan berkas SQLite maupun pg_dump).")


def _has_tables(url: str) -> bool:
    engine = make_engine(url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def restore(path: Path, url: str | None, *, force: bool = False) -> None:
    """Put the backup `path` into the database at `url`: empty, or replaced when `force`."""
    url = database_url(url)
    if not path.exists():
        raise BackupError(f"berkas cadangan {path} tidak ada.")
    kind = kind_of(path)
    target = "sqlite" if url.startswith("sqlite") else "postgresql"
    if kind != target:
        raise BackupError(
            f"{path.name} adalah cadangan {kind}, tetapi basis data tujuan {target}; "
            "pulihkan ke basis data sejenis."
        )
    if target == "sqlite":
        dst_path = _sqlite_path(url)
        if dst_path.exists() and dst_path.stat().st_size and _has_tables(url) and not force:
            raise BackupError(f"basis data {dst_path} sudah berisi tabel; tambahkan --paksa untuk menimpa.")
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        dst = sqlite3.connect(dst_path, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    if _has_tables(url) and not force:
        raise BackupError("basis data tujuan sudah berisi tabel; tambahkan --paksa untuk menimpanya.")
    conn, env = _libpq(url)
    cmd = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if force:
        cmd += ["--clean", "--if-exists"]
    _run([*cmd, f"--dbname={conn}", str(path)], env)

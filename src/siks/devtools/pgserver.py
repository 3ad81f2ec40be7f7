"""A throw-away PostgreSQL server for tests and benchmarks.

Runs Debian's own server binaries (initdb + postgres) in a temporary directory on a free loopback port, so a
test never depends on a server someone left running. As root it runs the server as the `postgres` user,
because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found. `make test` installs Debian's postgresql package; "
        "by hand: apt-get install postgresql"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TemporaryPostgres:
    """Start with `with TemporaryPostgres() as pg:`; `pg.url(dbname)` gives a SQLAlchemy URL."""

    user = "siks"

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="siks-pg-"))
        self.datadir = self.root / "data"
        self.sockdir = self.root / "sock"
        self.proc: subprocess.Popen | None = None
        self._demote = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self._demote = (pw.pw_uid, pw.pw_gid)

    def _run_as(self) -> dict:
        if not self._demote:
            return {}
        uid, gid = self._demote
        return {"user": uid, "group": gid, "extra_groups": []}

    def start(self) -> TemporaryPostgres:
        kw = self._run_as()
        self.sockdir.mkdir()
        if self._demote:
            os.chown(self.sockdir, *self._demote)
        subprocess.run(
            [str(self.bindir / "initdb"), "-D", str(self.datadir), "-A", "trust", "-U", self.user,
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True, capture_output=True, **kw,
        )  # fmt: skip
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(self.datadir), "-p", str(self.port),
             "-k", str(self.sockdir), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            stdout=log, stderr=subprocess.STDOUT, **kw,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {(self.root / 'server.log').read_text()[-2000:]}")
            address = ("127.0.0.1", self.port)
            with contextlib.suppress(OSError), socket.create_connection(address, timeout=0.2):
                ready = subprocess.run(
                    [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                    capture_output=True,
                )
                if ready.returncode == 0:
                    return self
            time.sleep(0.1)
        raise RuntimeError("postgres did not become ready within 30 s")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:  # fmt: skip
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> TemporaryPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def temporary_postgres() -> Iterator[TemporaryPostgres]:
    with TemporaryPostgres() as pg:
        yield pg

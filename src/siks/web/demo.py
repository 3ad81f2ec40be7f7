"""`siks demo`: a working siks on synthetic Kabupaten Jember data, with one login per role.

Steps (each one the ordinary `siks` command, run as a subprocess against `DIR/siks.db`):
synth → db upgrade → import → reference load → verval run → summary per kecamatan; then one account
per role, scoped to real Jember wilayah around the desa with the most households. Passwords are random,
kept in `DIR/akun-demo.json` (the demo folder is git-ignored), and printed on every start. A second
`siks demo` reuses the database; `--bangun-ulang` rebuilds it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

DEMO_KABUPATEN = "35.09"  # Kabupaten Jember, Jawa Timur
PREFERRED_DESA = "35.09.15.2001"  # Jubung, Kec. Sukorambi
ACCOUNTS_FILE = "akun-demo.json"
READY_FILE = "siap"  # written when a build finished; a half-built database is rebuilt


def _run(console: Console, title: str, args: list[str], env: dict, cwd: Path) -> None:
    console.print(f"[bold]•[/bold] {title}: [dim]siks {' '.join(args)}[/dim]")
    result = subprocess.run([sys.executable, "-m", "siks.cli", *args], env=env, cwd=cwd, check=False)
    if result.returncode != 0:
        raise SystemExit(f"Langkah '{title}' gagal (kode {result.returncode}).")


def build_database(root: Path, url: str, persons: int, seed: int, console: Console) -> None:
    data = root / "data"
    env = {**os.environ, "SIKS_DATABASE_URL": url}
    synth = ["synth", "--penduduk", str(persons), "--seed", str(seed), "--keluar", str(data)]
    _run(console, "Membuat data sintetis", synth, env, root)
    _run(console, "Menyiapkan skema basis data", ["db", "upgrade"], env, root)
    _run(console, "Mengimpor DTKS", ["import", str(data / "dtks.csv")], env, root)
    if (data / "dtks_pbdt2015.csv").exists():  # the ruta written on the PBDT 2015 form (docs/synth.md)
        pbdt = ["import", "--instrumen", "PBDT2015", str(data / "dtks_pbdt2015.csv")]
        _run(console, "Mengimpor DTKS (instrumen PBDT 2015)", pbdt, env, root)
    for kind in ("dukcapil", "asn", "pln", "kendaraan"):
        found = sorted(p for p in (data / "reference").glob(f"{kind}.*") if p.suffix in (".csv", ".parquet"))
        _run(console, f"Memuat rujukan {kind}", ["reference", "load", kind, str(found[0])], env, root)
    _run(console, "Menjalankan verval", ["verval", "run"], env, root)
    _run(console, "Ringkasan per kecamatan", ["ringkasan"], env, root)


def pick_desa(session) -> str:
    """The preferred demo desa if it has households, else the desa of Jember (or anywhere) with the most."""
    from siks.store.models.registry import Household

    def busiest(prefix: str | None):
        stmt = select(Household.desa_code, func.count()).group_by(Household.desa_code)
        if prefix:
            stmt = stmt.where(Household.desa_code.like(prefix + ".%"))
        row = session.execute(stmt.order_by(func.count().desc(), Household.desa_code).limit(1)).first()
        return row[0] if row else None

    has_preferred = session.scalar(select(func.count()).where(Household.desa_code == PREFERRED_DESA))
    if has_preferred:
        return PREFERRED_DESA
    found = busiest(DEMO_KABUPATEN) or busiest(None)
    if found is None:
        raise SystemExit("Basis data demo tidak berisi rumah tangga; jalankan lagi dengan --bangun-ulang.")
    return found


def demo_accounts(desa: str) -> list[tuple[str, str, str | None, str]]:
    """(username, role, wilayah, full name) for every role, around `desa`."""
    kec, kab, prov = desa.rsplit(".", 1)[0], desa[:5], desa[:2]
    return [
        ("operator.desa", "operator_desa", desa, "Operator Desa (demo)"),
        ("enumerator", "enumerator", desa, "Enumerator (demo)"),
        ("operator.kecamatan", "operator_kecamatan", kec, "TKSK Kecamatan (demo)"),
        ("operator.kabupaten", "operator_kabupaten", kab, "Operator Dinsos (demo)"),
        ("supervisor.kabupaten", "supervisor_kabupaten", kab, "Supervisor Dinsos (demo)"),
        ("pengesah.kabupaten", "pengesah_kabupaten", kab, "Pengesah Bupati (demo)"),
        ("operator.provinsi", "operator_provinsi", prov, "Operator Dinsos Provinsi (demo)"),
        ("pusat", "pusat", None, "Pusdatin (demo)"),
        ("auditor", "auditor", kab, "Auditor (demo)"),
    ]


def ensure_accounts(url: str, root: Path) -> list[dict]:
    """Create the demo accounts that do not exist yet; return them all with their passwords."""
    from siks.accounts import service
    from siks.scope import wilayah_label
    from siks.store.db import make_engine, transaction

    store = root / ACCOUNTS_FILE
    known: dict[str, str] = json.loads(store.read_text()) if store.exists() else {}
    engine = make_engine(url)
    out = []
    try:
        with transaction(engine) as session:
            desa = pick_desa(session)
            for username, role, code, name in demo_accounts(desa):
                user = service.get_user(session, username)
                password = known.get(username)
                if user is None or password is None:
                    password = f"demo-{secrets.token_hex(3)}-{secrets.token_hex(3)}"
                    if user is None:
                        service.create_user(session, username, password, role, code, full_name=name,
                                            actor="demo", reason="akun demo")  # fmt: skip
                    else:
                        service.set_password(session, user, password, actor="demo")
                known[username] = password
                place = wilayah_label(code).split(",")[0]  # "Desa Jubung", "Kabupaten Jember", "Nasional"
                out.append({"username": username, "password": password, "role": role,
                            "wilayah": f"{place} ({code})" if code else place})  # fmt: skip
    finally:
        engine.dispose()
    fd = os.open(store, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(known, fh, indent=2)
    return out


def build_demo(
    directory: str, *, persons: int, seed: int, fresh: bool, console: Console
) -> tuple[str, list[dict]]:
    """Build (or reuse) the demo database and accounts. Returns (database URL, accounts)."""
    root = Path(directory).resolve()
    db = root / "siks.db"
    if (fresh or not (root / READY_FILE).exists()) and root.exists():
        for name in ("siks.db", "siks.db-wal", "siks.db-shm", ACCOUNTS_FILE, READY_FILE):
            (root / name).unlink(missing_ok=True)
        for sub in ("data", "siks-data"):
            shutil.rmtree(root / sub, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SIKS_SECRET_FILE", str(root / "secret_key"))
    os.environ.setdefault("SIKS_DATA_DIR", str(root / "siks-data"))  # references, uploads, verval runs
    url = f"sqlite:///{db}"
    if db.exists():
        console.print(f"Memakai basis data demo yang ada: {db} (pakai --bangun-ulang untuk membangun ulang).")
        from siks.store.db import upgrade

        upgrade(url)
    else:
        build_database(root, url, persons, seed, console)
    accounts = ensure_accounts(url, root)
    (root / READY_FILE).write_text("ok\n")
    return url, accounts

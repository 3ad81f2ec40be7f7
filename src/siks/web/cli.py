"""`siks serve`, `siks demo` and `siks user ...`: run the web app, build the demo, manage accounts."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.table import Table

from siks.cli_support import DB, fail

console = Console()

user_app = typer.Typer(help="Akun pengguna: peran dan wilayah kerja.", no_args_is_help=True)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Alamat yang didengarkan."),
    port: int = typer.Option(8000, "--port", help="Port."),
    db: str | None = DB,
    workers: int = typer.Option(1, "--workers", min=1, help="Jumlah proses pekerja."),
    secure_cookie: bool = typer.Option(
        False, "--secure-cookie", help="Tandai cookie sesi Secure (wajib bila dilayani lewat HTTPS)."
    ),
    trusted_proxies: str = typer.Option(
        "",
        "--proxy-tepercaya",
        envvar="SIKS_TRUSTED_PROXIES",
        help="Alamat reverse proxy (dipisah koma) yang boleh mengirim X-Forwarded-For. Kosong: tidak ada.",
    ),  # fmt: skip
) -> None:
    """Menjalankan aplikasi web (halaman dan API JSON /api/v1)."""
    run_server(host, port, db, workers=workers, secure_cookie=secure_cookie, trusted_proxies=trusted_proxies)


WORKER_START_S = 60  # uvicorn's default, 5 s, kills and restarts workers forever on a busy machine


def uvicorn_options(host: str, port: int, workers: int = 1, trusted_proxies: str = "") -> dict:
    """X-Forwarded-For is believed only from the proxies named in configuration (#17.6).

    uvicorn's own default trusts 127.0.0.1: then anyone who reaches the app through a local process could
    rotate the header and escape the login and public rate limits, which count per client address.

    A worker gets `WORKER_START_S` to import the app and answer uvicorn's health check: with the default
    5 s, at load average 11 on 2 cores no worker ever came up (each was killed while importing).
    """
    trusted = ",".join(p.strip() for p in trusted_proxies.split(",") if p.strip())
    return {
        "host": host, "port": port, "workers": workers, "server_header": False,
        "proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or "",
        "timeout_worker_healthcheck": WORKER_START_S,
    }  # fmt: skip


def run_server(
    host: str, port: int, db: str | None, *, workers: int = 1, secure_cookie: bool = False,
    trusted_proxies: str = "",
) -> None:  # fmt: skip
    import uvicorn

    from siks.web.logfilter import uvicorn_log_config

    if db:
        os.environ["SIKS_DATABASE_URL"] = db
    if secure_cookie:
        os.environ["SIKS_COOKIE_SECURE"] = "1"
    from siks.web.security import load_secret_key

    load_secret_key()  # create the key file once, before workers race for it
    uvicorn.run(
        "siks.web.app:app_from_env",
        factory=True,
        log_config=uvicorn_log_config(),
        **uvicorn_options(host, port, workers, trusted_proxies),
    )


def demo(
    directory: str = typer.Option("demo", "--dir", help="Folder demo (basis data, data sintetis, akun)."),
    persons: int = typer.Option(20000, "--penduduk", min=1000, help="Jumlah penduduk sintetis."),
    seed: int = typer.Option(1, "--seed", help="Benih acak generator."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    fresh: bool = typer.Option(
        False, "--bangun-ulang", help="Bangun ulang dari awal walau basis data demo sudah ada."
    ),
    no_serve: bool = typer.Option(
        False, "--tanpa-server", help="Hanya bangun basis data dan akun, jangan jalankan."
    ),
) -> None:
    """Membangun basis data demo (Kabupaten Jember, data sintetis), akun per peran, lalu menjalankan web."""
    from siks.web.demo import build_demo

    url, accounts = build_demo(directory, persons=persons, seed=seed, fresh=fresh, console=console)
    print_accounts(accounts, f"http://{host}:{port}/")
    if not no_serve:
        run_server(host, port, url)


def print_accounts(accounts: list[dict], url: str) -> None:
    """The logins, never wrapped or cut (a cut password is useless), even when stdout is not a terminal."""
    import shutil

    wide = Console(width=max(shutil.get_terminal_size((120, 24)).columns, 120))
    table = Table(title="Akun demo (kata sandi hanya untuk demo)")
    for col in ("Nama pengguna", "Kata sandi", "Peran", "Wilayah"):
        table.add_column(col, no_wrap=True)
    for a in accounts:
        table.add_row(a["username"], a["password"], a["role"], a["wilayah"])
    wide.print(table)
    wide.print(f"Buka [bold]{url}[/bold] lalu masuk dengan salah satu akun di atas.")


# --- users --------------------------------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="Nama pengguna (huruf kecil, angka, . _ -)."),
    peran: str = typer.Option(
        ...,
        "--peran",
        help="Peran: operator_desa, enumerator, operator_kecamatan, "
        "operator_kabupaten, supervisor_kabupaten, pengesah_kabupaten, operator_provinsi, "
        "pusat, auditor.",
    ),  # fmt: skip
    wilayah: str | None = typer.Option(
        None, "--wilayah", help="Kode wilayah kerja, mis. 35.09 atau 3509152001."
    ),
    nama: str | None = typer.Option(None, "--nama", help="Nama lengkap petugas."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Baca kata sandi dari stdin."),
    db: str | None = DB,
) -> None:
    """Menambah akun. Kata sandi ditanyakan (tidak tampil) atau dibaca dari stdin."""
    from siks.accounts import service
    from siks.errors import ServiceError
    from siks.store.db import make_engine, transaction

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Kata sandi", hide_input=True, confirmation_prompt="Ulangi kata sandi")
    engine = make_engine(db)
    try:
        with transaction(engine) as session:
            user = service.create_user(
                session,
                username,
                password,
                peran,
                wilayah,
                full_name=nama,
                actor="cli",
                reason="siks user add",
            )
            summary = (user.username, user.role, user.wilayah_code or "nasional")
    except ServiceError as e:
        fail(e)
    finally:
        engine.dispose()
    console.print(f"Akun [bold]{summary[0]}[/bold] dibuat: peran {summary[1]}, wilayah {summary[2]}.")


@user_app.command("list")
def user_list(db: str | None = DB) -> None:
    """Menampilkan akun (nama pengguna, peran, wilayah, aktif)."""
    from sqlalchemy import select

    from siks.scope import wilayah_label
    from siks.store.db import make_engine, transaction
    from siks.store.models.accounts import User

    engine = make_engine(db)
    table = Table()
    for col in ("Nama pengguna", "Peran", "Wilayah", "Aktif"):
        table.add_column(col)
    with transaction(engine) as session:
        for u in session.scalars(select(User).order_by(User.username)):
            table.add_row(u.username, u.role, wilayah_label(u.wilayah_code), "ya" if u.active else "tidak")
    engine.dispose()
    console.print(table)


@user_app.command("disable")
def user_disable(
    username: str = typer.Argument(...),
    db: str | None = DB,
) -> None:
    """Menonaktifkan akun dan mengakhiri semua sesinya."""
    from sqlalchemy import delete

    from siks.accounts import service
    from siks.audit import record_change
    from siks.store.db import make_engine, transaction
    from siks.store.models.accounts import UserSession

    engine = make_engine(db)
    with transaction(engine) as session:
        user = service.get_user(session, username)
        if user is None:
            console.print(f"[red]Akun {username} tidak ada.[/red]")
            raise typer.Exit(1)
        user.active = False
        session.execute(delete(UserSession).where(UserSession.user_id == user.id))
        record_change(
            session, "cli", "user", user.id, {"active": True}, {"active": False}, "siks user disable"
        )
    engine.dispose()
    console.print(f"Akun {username} dinonaktifkan.")


@user_app.command("unlock")
def user_unlock(
    username: str = typer.Argument(...),
    db: str | None = DB,
) -> None:
    """Membuka blokir masuk akun (percobaan gagal yang tercatat dihapus); tercatat di jejak audit."""
    import getpass

    from siks.accounts import service
    from siks.errors import Invalid
    from siks.store.db import make_engine, transaction

    engine = make_engine(db)
    try:
        with transaction(engine) as session:
            gone = service.unlock(session, f"cli:{getpass.getuser()}", username)
    except Invalid as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    console.print(f"Blokir masuk akun {username} dibuka ({gone} percobaan gagal dihapus).")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("demo")(demo)
    app.add_typer(user_app, name="user")

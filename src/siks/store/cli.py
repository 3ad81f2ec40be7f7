"""`siks db upgrade` / `siks db current`: bring the schema up to date and say where it stands;
`siks backup` / `siks restore`: the whole database to one file and back (siks.store.backup)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from siks.cli_options import DB
from siks.store import db

console = Console()
db_app = typer.Typer(help="Skema basis data: migrasi Alembic (SQLite atau PostgreSQL).", no_args_is_help=True)


def current_revision(url: str | None = None) -> str | None:
    """The Alembic revision the database is at, or None for an empty database."""
    from alembic.migration import MigrationContext

    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(db.migrations_dir()))
    return ScriptDirectory.from_config(cfg).get_current_head()


@db_app.command("upgrade")
def upgrade_cmd(
    revision: str = typer.Argument("head", help="Revisi tujuan (bawaan: head, yang terbaru)."),
    url: str | None = DB,
) -> None:
    """Menjalankan migrasi sampai revisi tujuan."""
    db.upgrade(url, revision)
    console.print(f"Skema basis data sekarang pada revisi [bold]{current_revision(url)}[/bold].")


@db_app.command("current")
def current_cmd(url: str | None = DB) -> None:
    """Menampilkan revisi skema basis data saat ini dan revisi terbaru."""
    now, head = current_revision(url), head_revision()
    console.print(f"Revisi saat ini: [bold]{now or '(kosong)'}[/bold]; revisi terbaru: {head}.")
    if now != head:
        console.print("Jalankan [bold]siks db upgrade[/bold] untuk memperbarui skema.")


def backup_cmd(
    keluar: Path = typer.Option(..., "--keluar", help="Berkas cadangan yang ditulis (tidak ditimpa)."),
    url: str | None = DB,
) -> None:
    """Mencadangkan seluruh basis data (SQLite: API backup; PostgreSQL: pg_dump) ke satu berkas."""
    from siks.store import backup

    try:
        backup.backup(url, keluar)
    except backup.BackupError as e:
        console.print(f"[red]Gagal:[/red] {e}")
        raise typer.Exit(1) from None
    size = f"{keluar.stat().st_size:,}".replace(",", ".")
    console.print(f"Cadangan ditulis ke [bold]{keluar}[/bold] ({size} bita).")


def restore_cmd(
    berkas: Path = typer.Argument(..., help="Berkas cadangan dari `siks backup`."),
    url: str | None = DB,
    paksa: bool = typer.Option(False, "--paksa", help="Timpa basis data tujuan yang sudah berisi tabel."),
) -> None:
    """Memulihkan cadangan ke basis data kosong (atau menimpanya dengan --paksa)."""
    from siks.store import backup

    try:
        backup.restore(berkas, url, force=paksa)
    except backup.BackupError as e:
        console.print(f"[red]Gagal:[/red] {e}")
        raise typer.Exit(1) from None
    console.print(
        f"Cadangan [bold]{berkas.name}[/bold] dipulihkan; revisi skema {current_revision(url)}. "
        "Periksa jejak audit dengan [bold]siks audit verify[/bold]."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)

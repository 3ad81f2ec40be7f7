"""`siks db upgrade` and `siks db current`: bring the database schema up to date and say where it stands."""

from __future__ import annotations

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


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")

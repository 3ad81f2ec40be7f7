"""`siks ppks …`: code lists, import templates, import PSKS and PPKS files, counts, TKSK account links."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from siks.cli_support import DB
from siks.domain.formats import angka

console = Console()
ppks = typer.Typer(
    help="PPKS (juga di luar rumah tangga) dan PSKS: kode, templat, impor, rekap.", no_args_is_help=True
)
OLEH_HELP = "Nama pengguna yang bertindak (cakupan wilayah dan jejak audit)."


def _actor(session, username: str):
    from sqlalchemy import select

    from siks.store.models.accounts import User

    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        console.print(f"[red]Pengguna '{username}' tidak ditemukan.[/red]")
        raise typer.Exit(1)
    return user


@ppks.command("jenis")
def kinds_cmd() -> None:
    """Daftar 26 jenis PPKS dan 12 jenis PSKS beserta kodenya."""
    from siks.domain import ppks as rules

    t = Table(title="Jenis PPKS (Permensos 08/2012, Permensos 5/2019)")
    for h in ("Kode", "Jenis", "Subjek"):
        t.add_column(h)
    for k in rules.PPKS_KINDS.values():
        t.add_row(
            k.code, k.label, ", ".join(rules.SUBJECT_LABEL[s] for s in rules.Subject if s in k.subjects)
        )
    console.print(t)
    t = Table(title="Jenis PSKS")
    for h in ("Kode", "Jenis", "Bentuk"):
        t.add_column(h)
    for k in rules.PSKS_KINDS.values():
        t.add_row(k.code, k.label, k.form.value)
    console.print(t)


@ppks.command("templat")
def template_cmd(
    jenis: str = typer.Argument(..., help="psks atau ppks"),
    out: Path = typer.Option(..., "--keluar", help="Berkas CSV tujuan."),
) -> None:
    """Menulis templat impor (judul kolom dan satu baris contoh)."""
    from siks.ppks.importer import TEMPLATES, write_template

    if jenis not in TEMPLATES:
        console.print(f"[red]Templat '{jenis}' tidak dikenal: psks atau ppks.[/red]")
        raise typer.Exit(1)
    write_template(jenis, out)
    console.print(f"Templat {jenis} ditulis ke {out}.")


@ppks.command("impor")
def import_cmd(
    jenis: str = typer.Argument(..., help="psks atau ppks"),
    file: Path = typer.Argument(..., exists=True, help="Berkas CSV atau XLSX menurut templat."),
    oleh: str = typer.Option(..., "--oleh", help=OLEH_HELP),
    url: str | None = DB,
) -> None:
    """Mengimpor PSKS atau PPKS di luar rumah tangga: seluruh berkas tersimpan, atau tidak sama sekali."""
    from sqlalchemy.orm import Session

    from siks.errors import ServiceError
    from siks.ppks.importer import ImportRejected, import_file
    from siks.registry.readers import ReadError
    from siks.registry.report import print_issues
    from siks.store.db import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            result = import_file(
                session,
                _actor(session, oleh),
                file,
                jenis,
                progress=lambda d, n: console.print(f"{angka(d)}/{angka(n)} baris…"),
            )
    except (ImportRejected, ReadError) as e:
        print_issues(console, e.issues, title=f"Galat pada {file.name}")
        console.print("[red]Berkas ditolak. Tidak ada data yang disimpan.[/red]")
        raise typer.Exit(1) from None
    except ServiceError as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    console.print(
        f"[green]Impor selesai[/green]: {angka(result.rows)} baris, {angka(result.created)} baru, "
        f"{angka(result.registrations)} pencatatan PPKS."
    )


@ppks.command("rekap")
def counts_cmd(
    oleh: str = typer.Option(..., "--oleh", help=OLEH_HELP),
    tingkat: int = typer.Option(3, "--tingkat", help="1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa."),
    url: str | None = DB,
) -> None:
    """PPKS yang masih berlaku menurut jenis dan wilayah, dan PSKS aktif menurut jenis."""
    from sqlalchemy.orm import Session

    from siks.domain import ppks as rules
    from siks.ppks import service
    from siks.store.db import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            actor = _actor(session, oleh)
            rows = service.counts(session, actor, level=tingkat)
            psks = service.psks_counts(session, actor)
    finally:
        engine.dispose()
    t = Table(title="PPKS menurut jenis dan wilayah")
    for h in ("Wilayah", "Jenis", "Jumlah"):
        t.add_column(h)
    for r in rows:
        t.add_row(r.wilayah_code, r.label, angka(r.count))
    console.print(t)
    for code, n in sorted(psks.items()):
        console.print(f"PSKS {rules.psks_label(code)}: {angka(n)}")


@ppks.command("tautkan-akun")
def link_cmd(
    ref: str = typer.Argument(..., help="ref PSKS berjenis TKSK."),
    username: str = typer.Argument(..., help="Akun TKSK (peran operator kecamatan)."),
    oleh: str = typer.Option(..., "--oleh", help=OLEH_HELP),
    url: str | None = DB,
) -> None:
    """Menautkan akun TKSK ke data PSKS-nya."""
    from sqlalchemy.orm import Session

    from siks.errors import ServiceError
    from siks.ppks import service
    from siks.store.db import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            actor = _actor(session, oleh)
            psks = service.link_account(session, actor, service.psks_by_ref(session, actor, ref).id, username)
            console.print(f"Akun {username} tertaut ke {psks.nama} ({psks.ref}).")
    except ServiceError as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.add_typer(ppks, name="ppks")

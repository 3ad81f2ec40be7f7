"""`siks odk …`: write siks's ODK forms, issue an ODK Collect credential (and QR code), import exports."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from siks.cli_support import DB
from siks.domain.formats import angka
from siks.domain.instruments import DEFAULT_INSTRUMENT, INSTRUMENTS
from siks.domain.status import ImportStatus

console = Console()
odk = typer.Typer(help="ODK Collect / KoBoToolbox: formulir, kredensial, impor ekspor.", no_args_is_help=True)


@odk.command("formulir")
def forms_cmd(
    out: Path = typer.Option(..., "--keluar", help="Direktori tujuan (XLSForm .xlsx dan XForm .xml)."),
    periksa: bool = typer.Option(
        True, "--periksa/--tanpa-periksa", help="Jalankan ODK Validate (perlu Java)."
    ),
) -> None:
    """Menulis formulir verval lapangan dan usulan baru sebagai XLSForm dan XForm (diperiksa ODK Validate)."""
    from siks.odk.forms import catalog, validate

    out.mkdir(parents=True, exist_ok=True)
    for f in catalog().values():
        (out / f"{f.form_id}.xlsx").write_bytes(f.xlsform.to_xlsx())
        (out / f"{f.form_id}.xml").write_text(f.xml, encoding="utf-8")
        if periksa:
            validate(f.xml)
        console.print(
            f"{f.form_id} versi {f.version}: {out / f.form_id}.xlsx, .xml"
            + (" — lolos ODK Validate" if periksa else "")
        )


@odk.command("kredensial")
def credential_cmd(
    username: str = typer.Argument(..., help="Enumerator atau operator desa yang memakai ODK Collect."),
    oleh: str = typer.Option(
        ..., "--oleh", help="Operator kecamatan/kabupaten yang menerbitkan (jejak audit)."
    ),
    server: str = typer.Option(
        ..., "--server", help="Alamat siks yang dilihat ponsel, mis. https://siks.jemberkab.go.id"
    ),
    qr: Path | None = typer.Option(
        None, "--qr", help="Tulis kode QR pengaturan ODK Collect (SVG) ke berkas ini."
    ),
    url: str | None = DB,
) -> None:
    """Menerbitkan kredensial ODK (kata sandi baru, yang lama tidak berlaku) dan kode QR pengaturannya."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from siks.errors import ServiceError
    from siks.odk import service
    from siks.store.db import make_engine
    from siks.store.models.accounts import User

    engine = make_engine(url)
    server_url = server.rstrip("/") + "/odk"
    try:
        with Session(engine) as session, session.begin():
            actor = session.scalar(select(User).where(User.username == oleh.strip().lower()))
            target = session.scalar(select(User).where(User.username == username.strip().lower()))
            if actor is None or target is None:
                console.print("[red]Pengguna tidak ditemukan.[/red]")
                raise typer.Exit(1)
            password = service.issue_credential(session, actor, target.id)
            text, svg = service.settings_qr(service.settings_payload(server_url, target.username, password))
    except ServiceError as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    console.print(f"Server: {server_url}\nPengguna: {username}\nKata sandi ODK (sekali tampil): {password}")
    if qr is not None:
        qr.write_text(svg, encoding="utf-8")
        console.print(f"Kode QR pengaturan ditulis ke {qr}.")
    else:
        console.print(f"Teks kode QR: {text}")


@odk.command("impor")
def import_cmd(
    file: Path = typer.Argument(
        ..., exists=True, help="Ekspor KoBoToolbox (XLSX/CSV) atau ODK Central (CSV)."
    ),
    pemetaan: Path | None = typer.Option(None, "--pemetaan", help="JSON: kolom templat → kolom ekspor."),
    anggota: Path | None = typer.Option(
        None, "--anggota", help="CSV repeat anggota (ODK Central: <form>-anggota.csv)."
    ),
    repeat: str = typer.Option(
        "anggota", "--grup-anggota", help="Nama grup repeat anggota (nama lembar di XLSX KoBo)."
    ),
    instrumen: str = typer.Option(DEFAULT_INSTRUMENT, "--instrumen", help=" atau ".join(INSTRUMENTS)),
    strict: bool = typer.Option(False, "--ketat", help="Peringatan (NIK/KK) diperlakukan sebagai galat."),
    url: str | None = DB,
) -> None:
    """Mengimpor ekspor KoBoToolbox/ODK Central dengan pemetaan kolom; diperiksa seperti `siks import`."""
    from siks.odk.exports import ExportError, import_export, load_mapping
    from siks.registry.report import print_issues
    from siks.store.db import make_engine

    engine = make_engine(url)
    try:
        result = import_export(
            engine,
            file,
            mapping=load_mapping(pemetaan),
            repeat_file=anggota,
            repeat_name=repeat,
            instrument=instrumen,
            strict=strict,
        )
    except ExportError as e:
        print_issues(console, e.issues, title=f"Galat pada {file.name}")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if result.status == ImportStatus.DITOLAK:
        print_issues(console, result.errors, title=f"Galat pada {file.name}")
        console.print(
            f"[red]Berkas ditolak: {angka(len(result.errors))} galat. Tidak ada data yang disimpan.[/red]"
        )
        raise typer.Exit(1)
    print_issues(console, result.warnings, title=f"Peringatan pada {file.name}", limit=20)
    console.print(
        f"[green]Impor selesai[/green]: {angka(result.rows)} baris, {angka(result.inserted)} baru, "
        f"{angka(result.updated)} diperbarui, {angka(result.unchanged)} tetap."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(odk, name="odk")

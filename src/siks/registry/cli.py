"""`siks import`, `siks export`, `siks template`: the registry's file commands."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from siks.cli_support import DB
from siks.domain.formats import angka
from siks.domain.instruments import DEFAULT_INSTRUMENT, INSTRUMENTS
from siks.domain.status import ImportStatus

console = Console()
INSTRUMENT_HELP = f"Instrumen pendataan: {' atau '.join(INSTRUMENTS)}."


def import_cmd(
    file: Path = typer.Argument(
        ..., help="Berkas CSV, XLSX atau Parquet dalam format template usulan DTKS.", exists=True
    ),
    instrumen: str = typer.Option(DEFAULT_INSTRUMENT, "--instrumen", help=INSTRUMENT_HELP),
    strict: bool = typer.Option(False, "--ketat", help="Peringatan (NIK/KK) diperlakukan sebagai galat."),
    report: Path | None = typer.Option(
        None, "--laporan", help="Tulis semua galat dan peringatan ke CSV ini."
    ),
    actor: str | None = typer.Option(
        None, "--oleh", help="Nama pengimpor untuk jejak audit (bawaan: $USER)."
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="Paksa encoding CSV (utf-8, cp1252, latin-1, utf-16)."
    ),
    force: bool = typer.Option(
        False, "--paksa", help="Periksa ulang berkas yang persis sama dengan impor lalu."
    ),
    urutan_tanggal: str | None = typer.Option(
        None,
        "--urutan-tanggal",
        help="Urutan tanggal nn/nn/tttt di berkas: hari-bulan (template) atau bulan-hari (Excel AS).",
    ),
    izinkan_ganti_identitas: bool = typer.Option(
        False,
        "--izinkan-ganti-identitas",
        help="Izinkan impor mengubah NIK/identitas anggota yang ada atau memuat NIK yang sudah aktif "
        "(setiap baris itu dicatat di audit).",
    ),
    tunggu: float = typer.Option(
        0, "--tunggu", min=0, help="Detik menunggu bila impor lain sedang berjalan (bawaan: langsung tolak)."
    ),
    url: str | None = DB,
) -> None:
    """Mengimpor berkas DTKS: setiap baris diperiksa; berkas disimpan utuh (satu transaksi) atau ditolak."""
    from siks.cli_support import row_progress
    from siks.registry.importer import DATE_ORDERS, StaleRecord, import_file
    from siks.registry.report import print_issues, write_report
    from siks.store.db import make_engine
    from siks.store.locks import Busy

    if urutan_tanggal is not None and urutan_tanggal not in DATE_ORDERS:
        console.print(f"[red]--urutan-tanggal harus {' atau '.join(DATE_ORDERS)}.[/red]")
        raise typer.Exit(2)
    engine = make_engine(url)
    try:
        with row_progress(f"Impor {file.name}") as progress:
            result = import_file(
                engine,
                file,
                actor,
                instrument=instrumen,
                strict=strict,
                encoding=encoding,
                force=force,
                date_order=urutan_tanggal,  # type: ignore[arg-type]
                allow_identity_change=izinkan_ganti_identitas,
                progress=progress,
                wait=tunggu,
            )
    except Busy as exc:
        console.print(f"[red]Gagal:[/red] {exc.message}", highlight=False)
        raise typer.Exit(1) from None
    except StaleRecord as exc:
        console.print(f"[red]Impor dibatalkan, tidak ada yang disimpan: {exc}[/red]")
        raise typer.Exit(1) from None
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    if report is not None:
        write_report(report, result.issues)
        console.print(f"Laporan ditulis ke {report}.")
    if result.status == ImportStatus.SUDAH_DIMUAT:
        console.print(
            f"Berkas {result.file_name} sudah pernah diimpor (batch {result.previous_batch_id}, "
            "sha256 sama); tidak ada yang diubah. Gunakan --paksa untuk memeriksa ulang."
        )
        return
    if result.status == ImportStatus.DITOLAK:
        print_issues(console, result.errors, title=f"Galat pada {result.file_name}")
        if result.warnings:
            console.print(f"Juga ada {angka(len(result.warnings))} peringatan.")
        console.print(
            f"[red]Berkas ditolak: {angka(len(result.errors))} galat. Tidak ada data yang disimpan.[/red]"
        )
        raise typer.Exit(1)
    print_issues(console, result.warnings, title=f"Peringatan pada {result.file_name}", limit=20)
    if result.status == ImportStatus.TIDAK_BERUBAH:
        console.print(f"Tidak ada perubahan: {angka(result.unchanged)} baris sudah sama dengan registri.")
        return
    console.print(
        f"[green]Impor selesai[/green] (batch {result.batch_id}): {angka(result.rows)} baris — "
        f"{angka(result.inserted)} baru, {angka(result.updated)} diperbarui, "
        f"{angka(result.unchanged)} tetap; {angka(len(result.warnings))} peringatan; "
        f"{angka(result.timings.get('total', 0), 1)} detik."
    )


def export_cmd(
    format: str = typer.Option("csv", "--format", help="csv, xlsx atau parquet."),
    out: Path | None = typer.Option(None, "--keluar", help="Berkas tujuan."),
    desa: str | None = typer.Option(None, "--desa", help="Hanya wilayah ini (kode desa, kecamatan, …)."),
    instrumen: str = typer.Option(DEFAULT_INSTRUMENT, "--instrumen", help=INSTRUMENT_HELP),
    snapshot: Path | None = typer.Option(
        None, "--snapshot", help="Tulis snapshot Parquet (member, household) ke DIR."
    ),
    url: str | None = DB,
) -> None:
    """Mengekspor registri dalam kolom template (dapat diimpor lagi), atau snapshot untuk mesin verval."""
    from siks.registry.exporter import FORMATS, export_registry
    from siks.registry.snapshot import write_snapshot
    from siks.store.db import make_engine

    if snapshot is None and out is None:
        console.print("[red]Isi --keluar BERKAS (atau --snapshot DIR).[/red]")
        raise typer.Exit(2)
    if format not in FORMATS:
        console.print(f"[red]Format '{format}' tidak dikenal; pilih {', '.join(FORMATS)}.[/red]")
        raise typer.Exit(2)
    engine = make_engine(url)
    try:
        if snapshot is not None:
            info = write_snapshot(snapshot, engine=engine, instrument=instrumen, desa=desa)
            console.print(
                f"Snapshot ditulis ke {info.directory}: {angka(info.members)} anggota, "
                f"{angka(info.households)} rumah tangga."
            )
        if out is not None:
            result = export_registry(engine, out, format, desa=desa, instrument=instrumen)
            console.print(f"{angka(result.rows)} baris diekspor ke {result.path} ({result.format}).")
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def template_cmd(
    out: Path = typer.Option(..., "--keluar", help="Direktori tujuan."),
    instrumen: str = typer.Option(DEFAULT_INSTRUMENT, "--instrumen", help=INSTRUMENT_HELP),
) -> None:
    """Menulis template usulan DTKS kosong (CSV dan XLSX dengan lembar Kode)."""
    from siks.registry.template_files import write_template

    if instrumen not in INSTRUMENTS:
        console.print(
            f"[red]Instrumen '{instrumen}' tidak dikenal; gunakan {' atau '.join(INSTRUMENTS)}.[/red]"
        )
        raise typer.Exit(2)
    csv_path, xlsx_path = write_template(out, instrumen)
    console.print(f"Template ditulis: {csv_path} dan {xlsx_path}.")


def summary_cmd(
    db: str = DB,
    wilayah_code: str = typer.Option(None, "--wilayah", help="Hanya di dalam wilayah ini, mis. 35.09."),
) -> None:
    """Ringkasan per kecamatan: ruta, keluarga, ART, dan NIK/KK yang bermasalah."""
    from rich.console import Console
    from rich.table import Table

    from siks.registry.summary import kecamatan_summary
    from siks.store.db import make_engine

    engine = make_engine(db)
    try:
        rows = kecamatan_summary(engine, within=wilayah_code)
    finally:
        engine.dispose()
    table = Table(title="Ringkasan DTKS per kecamatan")
    for header in ("Kode", "Kecamatan", "Ruta", "Keluarga", "ART", "NIK bermasalah", "KK bermasalah"):
        table.add_column(header, justify="left" if header in ("Kode", "Kecamatan") else "right")
    totals = [0, 0, 0, 0, 0]
    for r in rows:
        values = [r.households, r.families, r.members, r.nik_faults, r.kk_faults]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        table.add_row(r.code, r.name, *(f"{angka(v)}" for v in values))
    table.add_section()
    table.add_row("", "Jumlah", *(f"{angka(v)}" for v in totals))
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("ringkasan")(summary_cmd)
    app.command("import")(import_cmd)
    app.command("export")(export_cmd)
    app.command("template")(template_cmd)

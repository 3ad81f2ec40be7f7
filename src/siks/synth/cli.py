"""`siks synth`: the command line of the generator (help and messages in Bahasa Indonesia)."""

from __future__ import annotations

import time
from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from siks.cli_support import fail
from siks.domain.formats import angka

from .generate import STAGES, generate
from .params import RATE_UNIT, ErrorRates, Patterns, SynthParams

_KINDS = ", ".join(f"{f.name} ({f.default})" for f in fields(ErrorRates))
_PATTERNS = ", ".join(f"{f.name} ({f.default})" for f in fields(Patterns))


def _parse_rates(items: list[str], none: bool, base=None):
    """`JENIS=LAJU` items onto ErrorRates (or onto `base`, e.g. Patterns())."""
    if base is None:
        base = ErrorRates(**dict.fromkeys(RATE_UNIT, 0.0)) if none else ErrorRates()
    rates = base
    names = [f.name for f in fields(base)]
    changes: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in names:
            raise typer.BadParameter(
                f"'{item}': tulis JENIS=LAJU, JENIS salah satu dari: {', '.join(names)}."
            )
        try:
            changes[name] = float(value.replace(",", "."))
        except ValueError:
            raise typer.BadParameter(f"'{item}': laju harus angka, mis. {name}=0.05.") from None
    try:
        return replace(rates, **changes)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def synth(
    out: Path = typer.Option(..., "--keluar", "-o", help="Folder tujuan (dibuat bila belum ada)."),
    kabupaten: str = typer.Option(
        "35.09",
        "--kabupaten",
        help="Kode kabupaten/kota Kemendagri (bawaan: Jember); beberapa dipisah koma menulis tata letak "
        "nasional (Parquet per provinsi/kabupaten).",
    ),
    provinsi: str | None = typer.Option(
        None, "--provinsi", help="Kode provinsi: semua kabupaten/kotanya, dalam tata letak nasional."
    ),
    cross_share: float = typer.Option(
        0.002,
        "--porsi-ganda-antar-kab",
        help="Tata letak nasional: porsi ART yang didaftarkan lagi di kabupaten berikutnya.",
    ),
    persons: int = typer.Option(
        20_000, "--penduduk", "-n", help="Jumlah seluruh penduduk (1.000–10.000.000)."
    ),
    seed: int = typer.Option(
        1, "--seed", help="Benih acak: benih yang sama menghasilkan berkas yang sama persis."
    ),
    reference_date: str = typer.Option(
        "2026-10-01",
        "--tanggal-acuan",
        help="Tanggal acuan dunia sintetis (YYYY-MM-DD), bukan tanggal hari ini.",
    ),
    dtks_share: float = typer.Option(0.40, "--porsi-dtks", help="Porsi rumah tangga yang masuk DTKS."),
    price_level: float = typer.Option(
        1.0, "--tingkat-harga", help="Pengali harga (rupiah) terhadap kabupaten acuan, mis. 0,8 lebih murah."
    ),
    welfare_shift: float = typer.Option(
        0.0,
        "--geser-kesejahteraan",
        help="Geser kesejahteraan riil (simpangan baku log konsumsi): < 0 kabupaten lebih miskin.",
    ),
    rates: list[str] = typer.Option(
        [], "--galat", help=f"Laju galat JENIS=LAJU (boleh berulang). Jenis dan bawaan: {_KINDS}."
    ),
    no_errors: bool = typer.Option(
        False, "--tanpa-galat", help="Semua laju galat 0 (kecuali yang diberi --galat)."
    ),
    patterns: list[str] = typer.Option(
        [],
        "--pola",
        help=f"Pola data (orang yang mirip, nama tradisi lain, gelar, ASN tanpa NIK, ruta berinstrumen PBDT "
        f"2015), JENIS=LAJU (boleh berulang). Jenis dan bawaan: "
        f"{_PATTERNS}.",
    ),
) -> None:
    """Membuat kabupaten sintetis beserta DTKS, data pembanding, dan kebenarannya.

    Penduduk (kebenaran Dukcapil), DTKS berformat templat impor berisi galat, data pembanding, daftar galat.
    """
    console = Console(stderr=True)
    try:
        ref = date.fromisoformat(reference_date)
    except ValueError:
        raise typer.BadParameter(f"Tanggal acuan '{reference_date}' tidak valid; tulis YYYY-MM-DD.") from None
    try:
        params = SynthParams(
            kabupaten=kabupaten,
            persons=persons,
            seed=seed,
            reference_date=ref,
            dtks_share=dtks_share,
            price_level=price_level,
            welfare_shift=welfare_shift,
            errors=_parse_rates(rates, no_errors),
            patterns=_parse_rates(patterns, False, Patterns()),
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None

    kabs = [k.strip() for k in kabupaten.split(",") if k.strip()]
    if provinsi or len(kabs) > 1:
        _national(console, kabs, provinsi, params, out, cross_share)
        return
    started = time.perf_counter()
    columns = (TextColumn("{task.description:<36}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("Menyiapkan", total=sum(w for _, w in STAGES))

        def step(stage: str, weight: int) -> None:
            bar.update(task, advance=weight, description=stage)

        try:
            manifest = generate(params, out, step)
        except ValueError as exc:
            fail(exc)
    seconds = time.perf_counter() - started
    counts = manifest["counts"]
    console.print(
        f"Selesai dalam {angka(seconds, 1)} detik ({_id(counts['penduduk'] / seconds)} penduduk/detik): "
        f"{_id(counts['penduduk'])} penduduk, {_id(counts['ruta'])} rumah tangga; "
        f"DTKS {_id(counts['dtks_baris'])} baris dari {_id(counts['dtks_ruta'])} rumah tangga"
        + (
            f" ({_id(counts['dtks_ruta_pbdt2015'])} dengan instrumen PBDT 2015, di dtks_pbdt2015.csv)"
            if counts.get("dtks_ruta_pbdt2015")
            else ""
        )
        + f". Berkas di {out}/ (lihat manifest.json)."
    )


#: The national layout writer (`siks.verval.national`), set when the verval area registers its commands.
NATIONAL: Any = None


def _national(
    console: Console, kabs: list[str], provinsi: str | None, params: SynthParams, out: Path, share: float
) -> None:
    """Several kabupaten in the national layout (docs/scale.md); --penduduk is per kabupaten."""
    if NATIONAL is None:
        raise typer.BadParameter("Tata letak nasional membutuhkan area verval (siks.verval.national).")
    generate_national, kabupaten_of = NATIONAL.generate_national, NATIONAL.kabupaten_of
    if provinsi:
        kabs = kabupaten_of(provinsi)
        if not kabs:
            raise typer.BadParameter(f"Provinsi '{provinsi}' tidak dikenal.")
    started = time.perf_counter()
    try:
        manifest = generate_national(
            kabs, params, out, cross_share=share, progress=lambda msg: console.print(f"… {msg}")
        )
    except ValueError as exc:
        console.print(f"[red]Gagal:[/red] {exc}")
        raise typer.Exit(1) from None
    seconds = time.perf_counter() - started
    console.print(
        f"Selesai dalam {_id(seconds)} detik: {len(kabs)} kabupaten, {_id(manifest['dtks_art'])} ART DTKS, "
        f"{_id(manifest['dukcapil'])} penduduk Dukcapil, {_id(manifest['cross_duplicates'])} ganda "
        f"antar-kabupaten. Berkas di {out}/ (snapshot/, reference/, truth/)."
    )


def _id(number: float) -> str:
    """1234567 → "1.234.567" (Indonesian thousands separator)."""
    return f"{angka(number, 0)}"


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)

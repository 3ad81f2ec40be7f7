"""`siks verval …` and `siks reference load`: run the pipeline, read its results, load reference extracts."""

from __future__ import annotations

import getpass
import json
import shutil
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from siks.cli_support import DB
from siks.domain import finding_catalog
from siks.domain.field_labels import field_label, field_value
from siks.domain.formats import angka, persen
from siks.domain.instruments import DEFAULT_INSTRUMENT
from siks.verval import reference as ref
from siks.verval import report, storage
from siks.verval.pipeline import Step, StepResult, checks_run, skipped_checks
from siks.verval.runs import RunInputs, execute, lock_run, new_run_id, run_is_alive

console = Console()
verval_app = typer.Typer(
    help="Verifikasi dan validasi DTKS: padan Dukcapil, ganda, KK, pengecualian.", no_args_is_help=True
)
reference_app = typer.Typer(
    help="Ekstrak rujukan: Dukcapil, ASN/TNI/Polri, PLN, kendaraan.", no_args_is_help=True
)


def _actor(actor: str | None) -> str:
    return actor or getpass.getuser()


def _run_id(db, run: str | None) -> str:
    run_id = run or storage.last_run_id(db)
    if not run_id:
        console.print("[red]Belum ada proses verval yang selesai. Jalankan `siks verval run` dulu.[/red]")
        raise typer.Exit(1)
    return run_id


@reference_app.command("load")
def reference_load(
    kind: str = typer.Argument(..., help="dukcapil, asn, pln atau kendaraan"),
    file: Path = typer.Argument(..., help="berkas CSV atau Parquet"),
    actor: str | None = typer.Option(None, "--oleh", help="nama petugas (bawaan: pengguna sistem)"),
    db: str | None = DB,
) -> None:
    """Memeriksa dan memuat satu ekstrak rujukan ke direktori data (SIKS_DATA_DIR)."""
    try:
        with console.status(f"Memeriksa dan memuat ekstrak {kind} dari {file.name} …"):
            loaded = ref.load(kind, file)
    except ref.ReferenceError as e:
        console.print(f"[red]Ditolak:[/red] {e}")
        raise typer.Exit(1) from None
    engine = storage.engine(db)
    storage.record_reference(engine, kind, loaded.path, loaded.sha256, loaded.rows, file.name, _actor(actor))
    console.print(
        f"Ekstrak {kind}: {angka(loaded.rows)} baris dimuat ke {loaded.path} (sha256 {loaded.sha256[:12]}…)"
    )


def take_snapshot(db: str | None, out: Path, desil_resmi: str | None = None) -> Path:
    """The store's snapshot writer (`siks export --snapshot`), owned by the registry area; `desil_resmi`
    picks the official desil version (number or periode; default the newest)."""
    from siks.registry.snapshot import write_snapshot

    info = write_snapshot(out, url=db, desil_resmi=desil_resmi)
    counts = ", ".join(f"{k or 'belum didata'} {angka(n)}" for k, n in sorted(info.by_instrument.items()))
    console.print(
        f"Snapshot: {angka(info.households)} ruta, {angka(info.members)} anggota ({counts or '-'})."
    )
    others = {k: n for k, n in info.by_instrument.items() if k and k != DEFAULT_INSTRUMENT}
    if others:
        console.print(
            f"{angka(sum(others.values()))} ruta didata dengan instrumen lain ({', '.join(others)}): "
            "diperiksa identitas, NIK, KK, ganda dan rujukannya; skor PMT hanya dari jawaban "
            f"{DEFAULT_INSTRUMENT}, jadi ruta itu tanpa desil sampai didata ulang."
        )
    return out


def _progress_callbacks(progress: Progress, total: int):
    task = progress.add_task("verval", total=total)

    def on_start(step: Step, i: int) -> None:
        progress.update(task, description=f"[{i + 1}/{total}] {step.title}")

    def on_done(res: StepResult) -> None:
        progress.advance(task)
        note = f" — dilewati: {res.skipped}" if res.skipped else ""
        progress.console.print(f"  ✓ {res.name}: {angka(res.seconds, 1)} dtk{note}")

    return on_start, on_done


@verval_app.command("run")
def run(
    snapshot: Path | None = typer.Option(None, help="direktori snapshot (member.parquet, household.parquet)"),
    param: list[str] = typer.Option([], "--param", help="parameter KUNCI=NILAI, mis. ganda_bobot_atas=12"),
    retrain: bool = typer.Option(
        False,
        "--latih-ulang",
        help="perkirakan ulang model Splink (λ, u) dari data ini dan simpan sebagai model baru",
    ),
    engine_kind: str = typer.Option(
        "duckdb",
        "--engine",
        envvar="SIKS_VERVAL_ENGINE",
        help="mesin pemroses: duckdb (satu mesin) atau spark (klaster; master dari SIKS_SPARK_MASTER)",
    ),
    actor: str | None = typer.Option(None, "--oleh", help="nama petugas"),
    db: str | None = DB,
) -> None:
    """Menjalankan seluruh langkah verval atas snapshot DTKS dan menyimpan temuannya."""
    from siks.verval.engines import ENGINES, open_engine
    from siks.verval.pipeline import default_steps

    if engine_kind not in ENGINES:
        raise typer.BadParameter(
            f"mesin '{engine_kind}' tidak dikenal; pilih salah satu: {', '.join(ENGINES)}"
        )

    engine = storage.engine(db)
    run_id = new_run_id()
    runs_dir = ref.data_dir() / "runs"
    work = runs_dir / run_id
    _lock = lock_run(work)  # noqa: F841 - held until this process ends; a killed run loses it
    for stale in storage.fail_stale_runs(engine, lambda r: run_is_alive(runs_dir / r)):
        shutil.rmtree(runs_dir / stale, ignore_errors=True)
        console.print(
            f"Proses verval {stale} terhenti tanpa selesai: ditandai gagal, berkas kerjanya dihapus."
        )
    params = dict(p.split("=", 1) for p in param)
    if snapshot is None:
        from siks.errors import ServiceError

        try:
            snapshot = take_snapshot(db, work / "snapshot", params.get("desil_resmi_versi"))
        except ServiceError as e:
            console.print(f"[red]Gagal:[/red] {e.message}")
            raise typer.Exit(1) from None
    params.setdefault("model_dir", str(ref.data_dir() / "model"))  # models estimated with --latih-ulang
    if retrain:
        params["retrain"] = "1"
    inputs = RunInputs(
        snapshot,
        storage.latest_references(engine),
        storage.decisions(engine),
        storage.previous_clusters(engine),
    )
    storage.start_run(engine, run_id, _actor(actor), snapshot, params)
    steps = default_steps()
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            on_start, on_done = _progress_callbacks(progress, len(steps))
            outcome = execute(
                inputs,
                run_id=run_id,
                params=params,
                work_dir=work,
                steps=steps,
                engine=open_engine(engine_kind, temp_dir=work / "tmp"),
                on_start=on_start,
                on_done=on_done,
            )
        for step in steps:
            for name in step.exports:
                outcome.engine.write_parquet(name, work / f"{name}.parquet")
        n = storage.finish_run(engine, outcome)
        outcome.engine.close()
    except Exception as e:
        storage.fail_run(engine, run_id, f"{type(e).__name__}: {e}")
        raise
    console.print(f"Proses verval [bold]{run_id}[/bold] selesai: {angka(n)} temuan.")
    print_checks(outcome.stats)


def _titles(codes) -> str:
    return ", ".join(dict.fromkeys(finding_catalog.entry(c).title for c in codes))


def print_checks(stats: dict) -> None:
    """Which reference-dependent checks ran and which were skipped for want of which extract."""
    ran = checks_run(stats)
    if ran:
        console.print(f"Pemeriksaan dengan data rujukan yang dijalankan: {_titles(ran)}.")
    by_reference: dict[str, list[str]] = {}
    for code, reference in skipped_checks(stats).items():
        by_reference.setdefault(reference, []).append(code)
    for reference, codes in by_reference.items():
        console.print(
            f"[yellow]Dilewati[/yellow] karena {reference} belum dimuat: {_titles(codes)} "
            "(tidak ada temuan jenis ini pada proses ini)."
        )


@verval_app.command("report")
def report_cmd(
    run: str | None = typer.Option(None, help="id proses (bawaan: yang terakhir)"),
    per: str = typer.Option("kecamatan", help="kecamatan atau desa"),
    db: str | None = DB,
) -> None:
    """Jumlah temuan per kecamatan/desa dan kode temuan."""
    engine = storage.engine(db)
    run_id = _run_id(engine, run)
    table = Table(title=f"Temuan verval {run_id} per {per}")
    for col in ("Wilayah", "Temuan", "Tingkat", "Jumlah"):
        table.add_column(col, justify="right" if col == "Jumlah" else "left")
    for r in report.counts(engine, run_id, per):
        table.add_row(r["wilayah"] or "-", r["title"], r["severity"], f"{angka(r['n'])}")
    console.print(table)


@verval_app.command("export")
def export_cmd(
    out: Path = typer.Option(..., "--keluar", help="berkas keluaran"),
    format: str = typer.Option("csv", "--format", help="csv atau parquet"),
    run: str | None = typer.Option(None, help="id proses (bawaan: yang terakhir)"),
    db: str | None = DB,
) -> None:
    """Menulis semua temuan satu proses ke CSV atau Parquet."""
    engine = storage.engine(db)
    run_id = _run_id(engine, run)
    n = report.export(engine, run_id, out, format)
    console.print(f"{angka(n)} temuan ditulis ke {out}")


def evidence_lines(evidence: str | None) -> list[str]:
    """A finding's evidence (JSON of the rule's extra columns) as labelled lines a person reads."""
    data = json.loads(evidence) if evidence else {}
    if not isinstance(data, dict) or not data:
        return []
    return ["bukti:"] + [f"  {field_label(k)}: {field_value(k, v)}" for k, v in data.items()]


@verval_app.command("explain")
def explain_cmd(
    nik: str = typer.Argument(..., help="NIK atau id anggota (id_keluarga-no_urut) yang dicari"),
    run: str | None = typer.Option(None, help="id proses (bawaan: yang terakhir)"),
    db: str | None = DB,
) -> None:
    """Menjelaskan mengapa seseorang (NIK atau id anggota) mendapat setiap temuannya."""
    engine = storage.engine(db)
    run_id = _run_id(engine, run)
    rows = report.explain(engine, run_id, nik)
    if not rows:
        console.print(f"Tidak ada temuan untuk NIK/id anggota {nik} pada proses {run_id}.")
        return
    for r in rows:
        who = r["member_ref"] or f"ruta {r['household_ref']}"
        weight = f" (bobot {angka(r['weight'], 1)})" if r["weight"] is not None else ""
        console.print(f"[bold]{r['title']}[/bold] ({r['severity']}) — {who}{weight}\n  {r['explanation']}")
        console.print(f"  tindakan: {r['action']}")
        for line in evidence_lines(r["evidence"]):
            console.print(f"  {line}", markup=False, highlight=False)
    for d in report.desil_of(engine, run_id, [r["household_ref"] for r in rows if r["household_ref"]]):
        console.print(_desil_line(d))


def _desil_line(d: dict) -> str:
    """Both desil of a ruta, as a person reads them: the one in use and where it came from."""
    pmt = "-" if d.get("desil_pmt") is None else str(d["desil_pmt"])
    if d.get("desil_bawah") is not None and d.get("desil_atas") is not None:
        pmt += f" (rentang 80 %: {d['desil_bawah']}–{d['desil_atas']})"
    official = (
        f"{d['desil_resmi']} (BPS/DTSEN periode {d.get('periode_desil_resmi') or '-'})"
        if d.get("desil_resmi") is not None
        else "-"
    )
    used = (
        "-"
        if d.get("desil") is None
        else f"{d['desil']} ({'resmi' if d.get('sumber_desil') == 'resmi' else 'PMT'})"
    )
    return f"Desil ruta {d['household_ref']}: dipakai {used}; desil resmi {official}; desil PMT {pmt}"


@verval_app.command("evaluate")
def evaluate_cmd(
    truth: Path = typer.Option(
        ..., "--kebenaran", help="direktori truth dari `siks synth` (errors.csv, members.csv)"
    ),
    run: str | None = typer.Option(None, help="id proses (bawaan: yang terakhir)"),
    db: str | None = DB,
) -> None:
    """Membandingkan temuan dengan kebenaran data sintetis: presisi, recall dan F1 per jenis kesalahan."""
    import pyarrow as pa

    from siks.verval.evaluate import evaluate

    engine = storage.engine(db)
    run_id = _run_id(engine, run)
    rows = storage.findings(engine, run_id)
    tbl = (
        pa.Table.from_pylist(rows)
        if rows
        else pa.table(
            {
                c: pa.array([], pa.string())
                for c in ("code", "member_ref", "family_ref", "household_ref", "related_nik", "cluster_id")
            }
        ).append_column("rank", pa.array([], pa.int32()))
    )
    stats = (storage.run_row(engine, run_id) or {}).get("stats")
    print_evaluation(evaluate(tbl, truth, skipped_checks(stats)))


def print_evaluation(ev) -> None:
    table = Table(title="Evaluasi terhadap truth")
    for col in ("Jenis kesalahan", "TP", "FP", "FN", "Presisi", "Recall", "F1", "Catatan"):
        table.add_column(col, justify="left" if col in ("Jenis kesalahan", "Catatan") else "right")
    for s in ev.scores:
        if s.skipped:  # the check never ran: its 0 recall says nothing about siks
            table.add_row(s.kind, "-", "-", str(s.fn), "-", "-", "-", f"dilewati: {s.skipped} belum dimuat")
            continue
        table.add_row(
            s.kind,
            str(s.tp),
            str(s.fp),
            str(s.fn),
            angka(s.precision, 3),
            angka(s.recall, 3),
            angka(s.f1, 3),
            "",
        )
    console.print(table)
    if ev.suggestion_top1 is not None:
        console.print(
            f"Saran NIK teratas = NIK sebenarnya: {persen(ev.suggestion_top1)} dari {ev.suggestion_n} "
            "salah ketik/tertukar"
        )
    print_hard_negatives(ev)


#: at most this many false positives on hard negatives are listed one by one (all are counted)
HARD_NEGATIVE_LIST = 20


def print_hard_negatives(ev) -> None:
    """Hard negatives (twins, namesakes…): how many DTKS records each category has and its false positives."""
    from siks.verval.evaluate import HARD_NEGATIVES

    if not ev.hard_negative_n:
        return
    table = Table(title="Positif palsu pada pembanding sulit")
    for col in ("Kategori", "ART", "Positif palsu"):
        table.add_column(col, justify="left" if col == "Kategori" else "right")
    for cat, label in HARD_NEGATIVES.items():
        n_fp = sum(1 for h in ev.hard_negative_fp if h.category == cat)
        table.add_row(label, str(ev.hard_negative_n.get(cat, 0)), str(n_fp))
    console.print(table)
    for h in ev.hard_negative_fp[:HARD_NEGATIVE_LIST]:
        pair = f" ~ {h.related_ref}" if h.related_ref else ""
        console.print(f"  {h.category}: {h.kind} pada {h.member_ref}{pair}")
    if len(ev.hard_negative_fp) > HARD_NEGATIVE_LIST:
        console.print(f"  … dan {len(ev.hard_negative_fp) - HARD_NEGATIVE_LIST} lainnya")


@verval_app.command("decide")
def decide_cmd(
    member_a: str = typer.Argument(..., help="id ART pertama (id_keluarga-no_urut)"),
    member_b: str = typer.Argument(..., help="id ART kedua"),
    same: bool = typer.Option(..., "--sama/--beda", help="orang yang sama atau berbeda"),
    note: str | None = typer.Option(None, "--catatan", help="catatan"),
    actor: str | None = typer.Option(None, "--oleh", help="nama petugas"),
    db: str | None = DB,
) -> None:
    """Mencatat keputusan atas pasangan (mungkin) ganda; dipakai pada proses verval berikutnya."""
    storage.add_decision(storage.engine(db), member_a, member_b, same, _actor(actor), note)
    console.print("Keputusan dicatat: " + ("orang yang sama" if same else "orang berbeda"))


def register(app: typer.Typer) -> None:
    app.add_typer(verval_app, name="verval")
    app.add_typer(reference_app, name="reference")
    # `siks synth --kabupaten a,b` writes the national layout verval reads; synth cannot import verval
    # (verval imports synth), so verval hands it the writer.
    from siks.synth import cli as synth_cli
    from siks.verval import national

    synth_cli.NATIONAL = national

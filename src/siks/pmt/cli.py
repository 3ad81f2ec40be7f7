"""`siks pmt …` (fit, show, score, explain) and `siks eligibility …` (show, fields): ranking and rules."""

from __future__ import annotations

import datetime as dt
import json
import math
import shlex
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

import siks
from siks.cli_support import DB, fail
from siks.domain import bps14, eligibility, pmt, pmt_fit
from siks.domain.formats import angka, persen, rupiah, waktu
from siks.domain.pmt_features import FEATURES_BY_NAME, code_label, household_features
from siks.pmt import data

console = Console()
pmt_app = typer.Typer(
    help="Skor PMT dan desil: menaksir, menampilkan dan menerapkan model PMT.", no_args_is_help=True
)
rules_app = typer.Typer(
    help="Aturan kelayakan DTKS (data, bukan SQL): menampilkan dan memeriksa aturan.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(pmt_app, name="pmt")
    app.add_typer(rules_app, name="eligibility")


def _model(path: Path | None) -> pmt.PmtModel:
    try:
        return pmt.load(path) if path else pmt.default_model()
    except pmt.ModelError as exc:
        fail(str(exc))
        raise


def _figures(title: str, stats: dict) -> Table:
    table = Table(title=title)
    table.add_column("Ukuran")
    table.add_column("Nilai", justify="right")
    names = {
        "n": "Jumlah ruta",
        "r2": "R² (log konsumsi per kapita)",
        "spearman": "Korelasi Spearman",
        "truly_poor": "Ruta desil 1–4 sebenarnya (K)",
        "bottom40_recall": "Desil 1–4 sebenarnya yang masuk K termiskin menurut model",
        "bottom40_baseline": "… bila diurutkan acak (pembanding)",
        "exclusion_error": "Galat eksklusi (desil 1–4 yang terlewat)",
        "inclusion_error": "Galat inklusi (K termiskin model yang sebenarnya desil 5–10)",
        "desil_exact": "Desil (batas model) tepat sama",
        "desil_within_one": "Desil (batas model) selisih ≤ 1",
        "cutoff_bottom40_recall": "Desil 1–4 sebenarnya yang diberi desil 1–4 oleh batas model",
        "cutoff_inclusion_error": "Galat inklusi dengan batas model",
        "cutoff_exclusion_error": "Galat eksklusi dengan batas model",
        "share_desil_1_4": "Porsi ruta desil 1–4 menurut batas model",
        "true_share_desil_1_4": "Porsi ruta desil 1–4 sebenarnya",
        "parameters": "Jumlah parameter",
        "ridge": "Penalti ridge (λ)",
    }
    for key, label in names.items():
        if stats.get(key) is not None:
            table.add_row(label, str(stats[key]))
    return table


@pmt_app.command("fit")
def fit_command(
    truth: Path = typer.Option(
        ..., "--kebenaran", help="Folder keluaran `siks synth` (dtks.csv + truth/households.csv)."
    ),
    out: Path = typer.Option(..., "--keluar", help="Berkas model JSON yang ditulis."),
    name: str = typer.Option("pmt-siks", "--nama", help="Nama model."),
    version: str = typer.Option(None, "--versi", help="Versi model (bawaan: tanggal hari ini)."),
    holdout: float = typer.Option(
        0.2, "--porsi-uji", help="Porsi ruta yang disisihkan untuk uji di luar sampel."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed pembagian data latih/uji."),
    min_count: int = typer.Option(pmt_fit.MIN_COUNT, "--min-ruta", help="Minimal ruta per kode jawaban."),
    ridge: float = typer.Option(pmt_fit.RIDGE, "--ridge", help="Penalti ridge (λ) untuk koefisien."),
    wilayah: list[str] = typer.Option(
        [], "--wilayah", help="Kode wilayah tempat model berlaku (boleh berulang; bawaan: kabupaten data)."
    ),
    survey: str = typer.Option("", "--survei", help="Survei asal konsumsi (mis. 'Susenas Maret 2026')."),
) -> None:
    """Menaksir model PMT (kuadrat terkecil atas log konsumsi per kapita) dari ruta berkonsumsi teramati."""
    csv_path, truth_path = truth / "dtks.csv", truth / "truth" / "households.csv"
    for path in (csv_path, truth_path):
        if not path.exists():
            fail(f"berkas {path} tidak ada.")
    as_of = data.reference_date(truth)
    rows = data.samples(data.read_template_csv(csv_path), data.read_truth(truth_path), as_of)
    if len(rows) < 50:
        fail(f"hanya {len(rows)} ruta dengan konsumsi teramati; terlalu sedikit untuk menaksir model.")
    version = version or dt.date.today().isoformat()
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    info = data.manifest(truth)
    provenance = {
        "data": str(truth),
        "dtks_csv_sha256": data.sha256(csv_path),
        "truth_sha256": data.sha256(truth_path),
        "manifest": {k: info[k] for k in ("generator", "seed", "parameters", "counts") if k in info},
        "tanggal_acuan": as_of.isoformat(),
        "siks": siks.__version__ if hasattr(siks, "__version__") else "",
        "perintah": (
            f"siks pmt fit --kebenaran {shlex.quote(str(truth))} --keluar MODEL.json "
            f"--nama {shlex.quote(name)} "
            f"--versi {shlex.quote(version)} --porsi-uji {holdout} --seed {seed} --min-ruta {min_count} "
            f"--ridge {ridge}"
        ),
    }
    train, test = (
        pmt_fit.holdout_split(len(rows), holdout, seed) if holdout > 0 else (list(range(len(rows))), [])
    )
    options = {"name": name, "version": version, "created": created, "min_count": min_count, "ridge": ridge}
    held: dict[str, object] = {}
    if test:
        trial = pmt_fit.fit([rows[i] for i in train], **options)  # type: ignore[arg-type]
        held = pmt_fit.evaluate(trial, [rows[i] for i in test])
    model = pmt_fit.fit(rows, provenance=provenance, **options)  # type: ignore[arg-type]
    params = info.get("parameters") if isinstance(info.get("parameters"), dict) else {}
    where = params.get("kabupaten", "") if isinstance(params, dict) else ""
    model = replace(
        model,
        fit={**model.fit, "holdout": {**held, "share": holdout, "seed": seed}},
        desil_reference=f"desil ruta kabupaten {where} menurut truth/households.csv".replace("  ", " "),
        wilayah=tuple(_wilayah(w) for w in wilayah) or model.wilayah,
        survey=survey or f"siks synth {truth} (konsumsi sintetis)",
        fitted_on={**model.fitted_on, "tanggal": created},
    )
    pmt.save(model, out)
    console.print(_figures(f"Model {model.key}: dalam sampel", dict(model.fit)))
    if held:
        console.print(_figures(f"Uji di luar sampel ({persen(holdout, 0)} ruta)", held))
    console.print(f"Model ditulis ke {out}.")


def _wilayah(code: str) -> str:
    digits = code.replace(".", "").strip()
    if not pmt.WILAYAH_CODE.match(digits):
        fail(f"kode wilayah {code!r} tidak sah (provinsi 35, kabupaten 35.09 atau kecamatan 35.09.01).")
    return digits


def _thresholds(text: str) -> list[float]:
    try:
        values = [float(x.strip().replace(".", "").replace(",", ".")) for x in text.split(";") if x.strip()]
    except ValueError:
        values = []
    if len(values) != 9 or values != sorted(values) or min(values) <= 0:
        fail(
            "--batas-desil harus 9 angka rupiah per kapita per bulan yang naik, dipisah ';' (mis. 450.000;…)."
        )
    return values


@pmt_app.command("kalibrasi")
def calibrate_command(
    out: Path = typer.Option(..., "--keluar", help="Berkas model JSON hasil kalibrasi."),
    wilayah: list[str] = typer.Option(
        ..., "--wilayah", help="Kode wilayah yang dikalibrasi (boleh berulang)."
    ),
    model_path: Path = typer.Option(None, "--model", help="Model asal (bawaan: model bawaan siks)."),
    template_csv: Path = typer.Option(
        None, "--dtks", help="Jawaban templat impor ruta survei (CSV, kolom id_ruta)."
    ),
    consumption_csv: Path = typer.Option(
        None,
        "--konsumsi",
        help="Konsumsi survei: id_ruta, consumption_per_capita (Rp/kapita/bulan), opsional bobot.",
    ),
    thresholds: str = typer.Option(
        None, "--batas-desil", help="Batas desil terbitan: 9 angka Rp/kapita/bulan dipisah ';'."
    ),
    registry_csv: Path = typer.Option(
        None,
        "--registri",
        help="Registri yang akan diperingkat (CSV templat): batas skor dari registri, bukan ruta survei.",
    ),
    survey: str = typer.Option(..., "--survei", help="Nama survei/sumber (mis. 'Susenas Maret 2026')."),
    version: str = typer.Option(..., "--versi", help="Versi model hasil kalibrasi."),
    as_of: str = typer.Option(None, "--tanggal-acuan", help="Tanggal acuan umur (YYYY-MM-DD)."),
) -> None:
    """Kalibrasi model ke wilayah lain: geser tingkat harga dan batas desil, koefisien tetap.

    Dengan --dtks dan --konsumsi (sampel survei wilayah itu): batas desil rupiah dihitung dari konsumsi survei
    (atau --batas-desil), lalu batas skor dicocokkan pada ruta survei. Hanya --batas-desil: batas skor = ln
    batas rupiah (mempercayai tingkat harga model)."""
    base = _model(model_path)
    codes = [_wilayah(w) for w in wilayah]
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    published = _thresholds(thresholds) if thresholds else None
    if consumption_csv is None:
        if published is None:
            fail("berikan sampel survei (--dtks dan --konsumsi) atau --batas-desil.")
        model = pmt_fit.cutoffs_from_thresholds(
            base,
            published,
            codes,
            version=version,
            created=created,
            source=survey,  # type: ignore[arg-type]
        )
        model = replace(model, survey=survey)
    else:
        if template_csv is None:
            fail("--konsumsi memerlukan --dtks (jawaban templat ruta survei).")
        truth = data.read_truth(consumption_csv)
        values = [float(r.get("consumption_per_capita") or "nan") for r in truth.values()]
        weights = [float(r.get("bobot") or 1.0) for r in truth.values()]
        try:
            cuts = published or list(pmt_fit.thresholds_from_consumption(values, weights))
        except ValueError as exc:
            fail(str(exc))
            raise
        day = dt.date.fromisoformat(as_of) if as_of else data.reference_date(consumption_csv.parent.parent)
        rows = data.samples(data.read_template_csv(template_csv), truth, day, region_level=base.region_level)
        population = None
        if registry_csv is not None:
            registry = data.read_template_csv(registry_csv)
            population = [
                pmt.score(base, household_features(h, m, day), h.get("kode_desa")).value
                for h, m in registry.rows.values()
                if data.present_members(m)
            ]
        try:
            model = pmt_fit.calibrate(
                base,
                rows,
                version=version,
                created=created,
                thresholds=cuts,
                wilayah=codes,
                survey=survey,
                population=population,
            )
        except ValueError as exc:
            fail(str(exc))
            raise
        model = replace(
            model,
            desil_reference=f"desil ruta wilayah {', '.join(wilayah)} menurut {survey}",
            provenance={
                **dict(base.provenance),
                "kalibrasi": {
                    "dtks_csv_sha256": data.sha256(template_csv),
                    "konsumsi_sha256": data.sha256(consumption_csv),
                    "ruta_survei": len(truth),
                    "ruta_berjawaban": len(rows),
                    "batas_desil_rupiah": [round(c) for c in cuts],
                },
            },
        )
        console.print(_figures(f"Model {model.key} pada sampel survei", dict(model.fit)))
    pmt.save(model, out)
    console.print(
        f"Model {model.key} untuk wilayah {', '.join(wilayah)} ditulis ke {out} "
        f"(σ sisaan {angka(model.residual_sd, 3)})."
    )


@pmt_app.command("show")
def show_command(
    model_path: Path = typer.Argument(None, help="Berkas model JSON (bawaan: model bawaan siks)."),
    as_json: bool = typer.Option(False, "--json", help="Cetak berkas model apa adanya."),
) -> None:
    """Menampilkan model PMT: asal-usul, ukuran kecocokan dan tabel koefisien."""
    model = _model(model_path)
    if as_json:
        console.print_json(json.dumps(pmt.to_dict(model), ensure_ascii=False))
        return
    console.print(f"[bold]{model.key}[/bold]  dibuat {model.created}  target: {model.target}")
    console.print(
        f"  wilayah: {', '.join(model.wilayah) or '(tidak tercatat)'}  survei: {model.survey or '-'}"
    )
    console.print(
        f"  ditaksir/dikalibrasi: {_pairs(model.fitted_on)}  σ sisaan: {angka(model.residual_sd, 4)}"
    )
    console.print(
        f"  efek bersih ukuran ruta: {_signed(pmt.household_size_effect(model))} per ln(jumlah ART) "
        "(log_household_size − log_floor_per_capita)"
    )
    for key, value in model.provenance.items():
        console.print(f"  {key}: {value}")
    console.print(_figures("Kecocokan (dalam sampel)", dict(model.fit)))
    holdout = model.fit.get("holdout")
    if isinstance(holdout, dict) and holdout.get("n"):
        console.print(_figures("Uji di luar sampel", holdout))
    table = Table(title="Koefisien (kontribusi ke log konsumsi per kapita)")
    for col in ("Variabel", "Keterangan", "Kode", "Jawaban", "Koefisien"):
        table.add_column(col, justify="right" if col == "Koefisien" else "left")
    table.add_row("(konstanta)", "", "", "", angka(model.intercept, 4))
    for v in model.variables:
        if v.kind == "code":
            table.add_row(v.name, v.label, "", "kode lain: 0 (acuan)", "")
            for c, b in sorted(v.coefficients.items()):
                table.add_row("", "", str(c), code_label(v.name, c), _signed(b))
        elif v.kind == "flag":
            table.add_row(v.name, v.label, "Ya", "", _signed(v.coefficient))
        else:
            table.add_row(
                v.name, v.label, "× nilai", f"kosong → {angka(v.impute, 3)}", _signed(v.coefficient)
            )
    console.print(table)
    if model.desil_cutoffs:
        cut = Table(title=f"Batas desil model (populasi acuan: {model.desil_reference or '-'})")
        cut.add_column("Desil")
        cut.add_column("Skor mulai", justify="right")
        cut.add_column("Konsumsi/kapita mulai", justify="right")
        for d, c in enumerate(model.desil_cutoffs, start=2):
            cut.add_row(str(d), angka(c, 4), rupiah(math.exp(c)))
        console.print(cut)
    regions = Table(title=f"Efek wilayah ({model.region_level}; wilayah lain: 0)")
    regions.add_column("Kode")
    regions.add_column("Efek", justify="right")
    for k, e in sorted(model.region_effects.items()):
        regions.add_row(k, _signed(e))
    console.print(regions)


@pmt_app.command("score")
def score_command(
    snapshot: Path = typer.Option(
        ..., "--snapshot", help="Folder snapshot (member.parquet, household.parquet)."
    ),
    model_path: Path = typer.Option(None, "--model", help="Berkas model JSON (bawaan: model bawaan siks)."),
    population: str = typer.Option(
        None, "--populasi", help="Populasi desil: model (batas model; bawaan), kabupaten, provinsi, nasional."
    ),
    weight: str = typer.Option("jiwa", "--bobot", help="Bobot desil: jiwa atau ruta."),
    as_of: str = typer.Option(
        None, "--tanggal-acuan", help="Tanggal acuan umur (YYYY-MM-DD; bawaan hari ini)."
    ),
    out: Path = typer.Option(Path("household_pmt.parquet"), "--keluar", help="Berkas Parquet skor per ruta."),
    outside: bool = typer.Option(
        False,
        "--izinkan-di-luar-wilayah",
        help="Pakai model di luar wilayah kalibrasinya (ditandai pada setiap ruta).",
    ),
    official: Path = typer.Option(
        None,
        "--desil-resmi",
        help="Desil resmi BPS/DTSEN per keluarga (CSV/Parquet: id_keluarga, desil, periode).",
    ),
) -> None:
    """Menghitung skor PMT, desil dan 14 kriteria BPS untuk setiap ruta dalam snapshot."""
    from siks.verval.runs import RunInputs, execute
    from siks.verval.steps import pmt as pmt_step
    from siks.verval.steps import prepare

    model = _model(model_path)
    population = population or pmt_step.default_population(model)
    params = {
        "pmt_model": str(model_path) if model_path else None,
        "desil_populasi": population,
        "desil_bobot": weight,
        "tanggal_acuan": as_of,
        "pmt_di_luar_wilayah": outside,
        "desil_resmi": str(official) if official else None,
    }
    work = out.parent / f".{out.stem}-kerja"
    try:
        outcome = execute(
            RunInputs(snapshot),
            params=params,
            work_dir=work,
            steps=[prepare.STEP, pmt_step.STEP],
            hash_files=False,
        )
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
        raise
    try:
        outcome.engine.write_parquet("household_pmt", out)
        stats = outcome.stats["pmt"]
    finally:
        outcome.engine.close()
    table = Table(title=f"Desil per {population} dengan model {model.key} (bobot {weight})")
    for col in ("Desil", "Ruta", "Jiwa"):
        table.add_column(col, justify="right")
    for desil, n in stats["ruta_per_desil"].items():
        table.add_row(desil, str(n), str(stats["jiwa_per_desil"].get(desil, 0)))
    console.print(table)
    console.print(
        f"Ruta memenuhi ≥ {bps14.POOR_THRESHOLD} kriteria BPS: {stats['miskin_bps']}. Skor ditulis ke {out}."
    )


@pmt_app.command("explain")
def explain_command(
    csv_path: Path = typer.Argument(..., help="Berkas CSV format templat impor (mis. dtks.csv)."),
    id_ruta: str = typer.Argument(..., help="ID ruta yang dijelaskan."),
    model_path: Path = typer.Option(None, "--model", help="Berkas model JSON (bawaan: model bawaan siks)."),
    as_of: str = typer.Option(
        None, "--tanggal-acuan", help="Tanggal acuan umur (YYYY-MM-DD; bawaan hari ini)."
    ),
) -> None:
    """Menjelaskan skor PMT satu ruta: kontribusi setiap variabel dan 14 kriteria BPS."""
    model = _model(model_path)
    found = data.read_template_csv(csv_path).get(id_ruta)
    if found is None:
        fail(f"ruta {id_ruta} tidak ada di {csv_path}.")
        return
    household, members = found
    day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    result = pmt.score(model, household_features(household, members, day), household.get("kode_desa"))
    console.print(
        f"Ruta [bold]{id_ruta}[/bold], model {model.key}: skor {angka(result.value, 4)} "
        f"(perkiraan konsumsi {rupiah(result.consumption)} per kapita per bulan)"
    )
    table = Table(title="Kontribusi (diurutkan dari yang paling menurunkan skor)")
    for col in ("Variabel", "Nilai", "Kontribusi"):
        table.add_column(col, justify="right" if col == "Kontribusi" else "left")
    table.add_row("(konstanta)", "", _signed(result.intercept))
    table.add_row(f"wilayah {result.region or '-'}", "", _signed(result.region_effect))
    for part in sorted(result.contributions, key=lambda p: p.contribution):
        value = part.value
        if FEATURES_BY_NAME[part.name].kind == "code" and isinstance(value, int):
            shown = f"{value} {code_label(part.name, value)}"
        else:
            shown = "-" if value is None else str(round(value, 3) if isinstance(value, float) else value)
        table.add_row(part.label, shown, _signed(part.contribution))
    console.print(table)
    bps = bps14.assess(household, members)
    crit = Table(
        title=f"14 kriteria BPS: {bps.met} terpenuhi dari {bps.known} yang terjawab "
        f"({'miskin' if bps.poor else 'tidak miskin'} menurut batas ≥ {bps14.POOR_THRESHOLD})"
    )
    for col in ("No", "Kriteria", "Terpenuhi"):
        crit.add_column(col)
    for c in bps.criteria:
        crit.add_row(str(c.number), c.label, {True: "ya", False: "tidak", None: "-"}[c.met])
    console.print(crit)


@rules_app.command("show")
def rules_show_command(
    rules_path: Path = typer.Argument(None, help="Berkas aturan JSON (bawaan: aturan DTKS bawaan siks)."),
) -> None:
    """Memeriksa dan menampilkan aturan kelayakan: kode, kondisi dan penjelasan."""
    try:
        ruleset = eligibility.load(rules_path) if rules_path else eligibility.default_rules()
    except eligibility.RuleError as exc:
        fail(str(exc))
        return
    console.print(f"[bold]{ruleset.key}[/bold]  {ruleset.description}")
    table = Table(title="Aturan (anggota TIDAK layak bila kondisi terpenuhi)")
    for col in ("Kode", "Kondisi", "Penjelasan"):
        table.add_column(col)
    for rule in ruleset.rules:
        table.add_row(rule.code, eligibility.describe(rule.when), rule.explanation)
    console.print(table)


@rules_app.command("fields")
def rules_fields_command() -> None:
    """Daftar field yang boleh dipakai dalam aturan, dengan tipenya."""
    table = Table(title="Field aturan kelayakan")
    for col in ("Field", "Tipe", "Keterangan"):
        table.add_column(col)
    for name, (ftype, label) in eligibility.FIELDS.items():
        table.add_row(name, ftype, label)
    console.print(table)


def _signed(value: float) -> str:
    """+0,1234 / -0,1234: a coefficient's direction stays visible."""
    return ("+" if value >= 0 else "") + angka(value, 4)


def _pairs(mapping) -> str:
    """`{"a": 1}` as `a: 1` for people, not a Python dict."""
    return (
        ", ".join(f"{k}: {angka(v) if isinstance(v, int | float) else v}" for k, v in dict(mapping).items())
        or "-"
    )


official_app = typer.Typer(
    help="Desil resmi BPS/DTSEN per keluarga: impor per periode (berversi) dan daftar versi.",
    no_args_is_help=True,
)
pmt_app.add_typer(official_app, name="desil-resmi")


@official_app.command("impor")
def official_import_command(
    file: Path = typer.Argument(..., help="CSV/XLSX: id_keluarga atau no_kk, desil (1–10), periode."),
    periode: str = typer.Option(..., "--periode", help="Periode pemeringkatan BPS, mis. 2026-Q3."),
    oleh: str = typer.Option(..., "--oleh", help="Nama pengguna yang mengimpor (peran dan wilayah)."),
    catatan: str = typer.Option(None, "--catatan", help="Catatan untuk jejak audit (mis. nomor surat BPS)."),
    db: str = DB,
) -> None:
    """Mengimpor desil resmi satu periode sebagai versi baru: seluruh berkas, atau tidak sama sekali."""
    from siks.cli_support import user_of
    from siks.errors import ServiceError
    from siks.pmt import official
    from siks.registry.readers import ReadError
    from siks.registry.report import print_issues
    from siks.store.db import make_engine, transaction

    engine = make_engine(db)
    try:
        with transaction(engine) as session:
            version = official.import_file(session, user_of(session, oleh), file, periode, note=catatan)
    except (official.ImportRejected, ReadError) as exc:
        print_issues(console, exc.issues, title=f"Galat pada {file.name}")
        console.print("[red]Berkas ditolak. Tidak ada data yang disimpan.[/red]")
        raise typer.Exit(1) from None
    except ServiceError as exc:
        fail(exc)
        raise
    finally:
        engine.dispose()
    console.print(
        f"Desil resmi periode {version.periode}: versi {version.id}, "
        f"{angka(version.rows)} keluarga (sha256 {version.sha256[:12]}…)."
    )


@official_app.command("daftar")
def official_list_command(db: str = DB) -> None:
    """Daftar versi desil resmi, terbaru dulu (verval memakai yang terbaru kecuali dipilih lain)."""
    from siks.cli_support import table_or_lines
    from siks.store import official_desil
    from siks.store.db import make_engine, transaction

    engine = make_engine(db)
    try:
        with transaction(engine) as session:
            rows = official_desil.versions(session)
    finally:
        engine.dispose()
    if not rows:
        console.print("Belum ada desil resmi yang diimpor.")
        return
    table_or_lines(
        ("Versi", "Periode", "Keluarga", "Berkas", "Oleh", "Waktu"),
        [
            (
                str(v.id),
                v.periode,
                angka(v.rows),
                v.file_name,
                v.actor,
                waktu(v.at),
            )
            for v in rows
        ],
    )

"""`siks penetapan …`: make and read frozen DTKS versions (the programs use them through `siks program …`).

The server operator runs these. Reading commands see the whole country unless `--oleh USER` narrows them
to that user's wilayah; `create` always needs `--oleh` naming an authorised user, so the same role rules
hold as on the web page, and the audit trail names a person.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from siks.cli_support import DB, OLEH, console, parse_date, session_at, table_or_lines, user_of
from siks.domain import formats
from siks.domain.formats import angka, persen

penetapan_app = typer.Typer(help="Penetapan DTKS: versi beku per periode, perbandingan, status per tanggal.",
                            no_args_is_help=True)  # fmt: skip


# -- penetapan ---------------------------------------------------------------------------------------------


@penetapan_app.command("create")
def create_cmd(
    judul: str = typer.Option(..., "--judul", help="Mis. 'DTKS Januari 2027'."),
    periode: str = typer.Option(..., "--periode", help="TTTT-BB, mis. 2027-01."),
    berlaku: str = typer.Option(
        None, "--berlaku", help="Tanggal mulai berlaku (bawaan: hari pertama periode)."
    ),
    wilayah: str = typer.Option(
        None, "--wilayah", help="Kode kabupaten/provinsi (bawaan: wilayah pengguna)."
    ),
    run: str = typer.Option(None, "--run", help="ID verval run (bawaan: run selesai terakhir)."),
    skor: Path = typer.Option(
        None, "--skor", help="Berkas desil per ruta (Parquet/CSV) bila bukan dari run."
    ),
    kriteria: Path = typer.Option(None, "--kriteria", help="Berkas kriteria siks-penetapan/1 (JSON)."),
    catatan: str = typer.Option(None, "--catatan", help="Dasar penetapan, mis. nomor SK."),
    oleh: str = typer.Option(
        ..., "--oleh", help="Pengguna berwenang (supervisor/pengesah kabupaten, pusat)."
    ),
    luar_wilayah: bool = typer.Option(
        False,
        "--izinkan-model-di-luar-wilayah",
        help="Terima desil dari model PMT di luar wilayah kalibrasinya (dicatat dan dicetak pada daftar).",
    ),
    url: str | None = DB,
) -> None:
    """Membuat penetapan baru (final; tidak dapat diubah setelahnya)."""
    from siks.domain.penetapan import load_criteria
    from siks.penetapan import service, sources

    start = parse_date(berlaku, "--berlaku") or parse_date(f"{periode}-01", "--periode")
    with session_at(url) as session:
        user = user_of(session, oleh)
        p = service.create(
            session, user, title=judul, periode=periode, berlaku_mulai=start, wilayah_code=wilayah,
            criteria=load_criteria(kriteria) if kriteria else None,
            scores=sources.read_scores(skor) if skor else None, verval_run_id=run, note=catatan,
            allow_model_outside_wilayah=luar_wilayah,
        )  # fmt: skip
        console.print(f"Penetapan [bold]#{p.id}[/bold] {p.title} dibuat: {_summary(p.counts)}.")
        if not p.score_source or p.score_source.get("kind") == "kosong":
            console.print(
                "[yellow]Peringatan:[/yellow] tidak ada desil (run tanpa household_pmt); pakai --skor."
            )


def _summary(counts: dict | None) -> str:
    c = counts or {}
    inside = f"{angka(c.get('ruta_dtks', 0))} ruta / {angka(c.get('anggota_dtks', 0))} jiwa dalam DTKS"
    return f"{inside}, {angka(c.get('ruta_keluar', 0))} ruta di luar"


@penetapan_app.command("list")
def list_cmd(oleh: str | None = OLEH, url: str | None = DB) -> None:
    """Daftar penetapan, terbaru dahulu."""
    from siks.penetapan import service

    with session_at(url) as session:
        header = ("ID", "Judul", "Periode", "Berlaku", "Wilayah", "Ruta DTKS", "Jiwa DTKS", "Oleh")
        rows = []
        for p in service.listing(session, user_of(session, oleh)):
            c = p.counts or {}
            where = p.wilayah_code or "nasional"
            dtks, jiwa = angka(c.get("ruta_dtks", 0)), angka(c.get("anggota_dtks", 0))
            rows.append(
                (
                    str(p.id),
                    p.title,
                    p.periode,
                    formats.tanggal(p.berlaku_mulai),
                    where,
                    dtks,
                    jiwa,
                    p.created_by,
                )
            )
        table_or_lines(header, rows)


@penetapan_app.command("show")
def show_cmd(penetapan_id: int = typer.Argument(...), oleh: str | None = OLEH, url: str | None = DB) -> None:
    """Rincian satu penetapan: sumber, kriteria, jumlah per desil dan alasan."""
    from siks.penetapan import service

    with session_at(url) as session:
        p = service.get(session, user_of(session, oleh), penetapan_id)
        console.print(f"[bold]#{p.id} {p.title}[/bold] — periode {p.periode}, berlaku {p.berlaku_mulai}")
        console.print(
            f"Wilayah: {p.wilayah_code or 'nasional'} · kriteria {p.criteria_key} · "
            f"verval run {p.verval_run_id or '-'} · dibuat {p.created_at:%Y-%m-%d %H:%M} "
            f"oleh {p.created_by}"
        )
        console.print(f"Sumber desil: {json.dumps(p.score_source or {}, ensure_ascii=False)}")
        console.print(_summary(p.counts))
        c = p.counts or {}
        console.print("Per desil: " + ", ".join(f"{k}: {v}" for k, v in (c.get("desil") or {}).items()))
        console.print(
            "Alasan di luar DTKS: " + ", ".join(f"{k}: {v}" for k, v in (c.get("alasan") or {}).items())
        )
        console.print(f"Usulan yang masuk: {c.get('usulan', 0)}")


@penetapan_app.command("diff")
def diff_cmd(
    a: int = typer.Argument(..., help="Penetapan lama."),
    b: int = typer.Argument(..., help="Penetapan baru."),
    batas: int = typer.Option(50, "--batas", help="Baris per bagian yang ditampilkan."),
    oleh: str | None = OLEH,
    url: str | None = DB,
) -> None:
    """Ruta yang masuk, keluar (dengan alasan) dan berubah antara dua penetapan."""
    from siks.penetapan import diff

    with session_at(url) as session:
        result = diff.compare(session, user_of(session, oleh), a, b)
        d = result.diff
        console.print(f"#{a} → #{b}: masuk {len(d.added)}, keluar {len(d.removed)}, berubah {len(d.changed)}")
        for change in d.added[:batas]:
            console.print(f"  + {change.ref} (desil {change.after.desil}, {change.after.desa_code})")
        for change in d.removed[:batas]:
            console.print(f"  - {change.ref}: " + "; ".join(t for _, t in change.reasons))
        for change in d.changed[:batas]:
            console.print(f"  ~ {change.ref}: " + _changed(change))


def _changed(change) -> str:
    parts = []
    for name in change.fields:
        if name == "anggota":
            gone = len(change.before.members - change.after.members)
            new = len(change.after.members - change.before.members)
            parts.append(f"anggota +{new}/-{gone}")
        else:
            parts.append(f"{name} {getattr(change.before, name)} → {getattr(change.after, name)}")
    return ", ".join(parts)


@penetapan_app.command("status")
def status_cmd(
    nik: str = typer.Argument(..., help="NIK 16 digit."),
    tanggal: str = typer.Option(None, "--tanggal", help="TTTT-BB-HH (bawaan: hari ini)."),
    oleh: str | None = OLEH,
    url: str | None = DB,
) -> None:
    """Status seseorang dalam DTKS menurut penetapan yang berlaku pada tanggal itu."""
    from siks.penetapan import service

    on = parse_date(tanggal, "--tanggal") or dt.date.today()
    with session_at(url) as session:
        st = service.status_as_of(session, nik, on, user_of(session, oleh))
        console.print(f"Per {formats.tanggal(on)}: {st.keterangan}")
        if st.penetapan is not None:
            p = st.penetapan
            console.print(f"Penetapan berlaku: #{p.id} {p.title} (sejak {p.berlaku_mulai})")
        raise typer.Exit(code=0 if st.terdaftar else 3)


@penetapan_app.command("simulasi")
def simulate_cmd(
    oleh: str = typer.Option(..., "--oleh", help="Pengguna (Dinas Sosial kabupaten/kota ke atas)."),
    wilayah: str = typer.Option(
        None, "--wilayah", help="Kode kabupaten/provinsi (bawaan: wilayah pengguna)."
    ),
    desil_max: int = typer.Option(None, "--desil-max", help="Batas desil kandidat (bawaan: dari kriteria)."),
    kriteria: Path = typer.Option(None, "--kriteria", help="Berkas kriteria siks-penetapan/1 kandidat."),
    skor: Path = typer.Option(None, "--skor", help="Berkas desil per ruta bila bukan dari run."),
    run: str = typer.Option(None, "--run", help="ID verval run (bawaan: terakhir yang selesai)."),
    kebenaran: Path = typer.Option(
        None, "--kebenaran", help="Desil sebenarnya per ruta (bawaan: verval lapangan)."
    ),
    program: list[str] = typer.Option(
        None, "--program", help="Program yang dihitung dampaknya (pkh, bpnt, pbi_jk)."
    ),
    param: list[str] = typer.Option(
        None, "--param", help="Parameter program NAMA=NILAI, mis. max_komponen=3."
    ),
    tingkat: int = typer.Option(3, "--tingkat", help="Rincian per 2 kabupaten, 3 kecamatan, 4 desa."),
    judul: str = typer.Option("Simulasi", "--judul"),
    simpan: bool = typer.Option(True, "--simpan/--jangan-simpan", help="Simpan agregat hasilnya."),
    url: str | None = DB,
) -> None:
    """Simulasi kriteria kandidat: ruta masuk/keluar per wilayah dan perkiraan inclusion/exclusion error."""
    from dataclasses import replace

    from siks.domain import programs as rules
    from siks.domain.eligibility import RuleError
    from siks.domain.penetapan import default_criteria, load_criteria
    from siks.penetapan import simulation, sources

    with session_at(url, RuleError) as session:
        criteria = load_criteria(kriteria) if kriteria else default_criteria()
        if desil_max is not None:
            criteria = replace(criteria, desil_max=desil_max)
        params = rules.parse_params(param or [])
        progs = []
        for code in program or []:
            known = rules.default_program(code).params
            progs.append(rules.default_program(code, {k: v for k, v in params.items() if k in known}))
        sim = simulation.simulate(
            session, user_of(session, oleh), criteria, title=judul, wilayah_code=wilayah,
            scores=sources.read_scores(skor) if skor else None, verval_run_id=run,
            truth=simulation.truth_from_file(kebenaran) if kebenaran else None, programs=progs,
            level=tingkat, save=simpan,
        )  # fmt: skip
        _print_simulation(sim)


def _pct(value) -> str:
    return persen(value)


def _print_simulation(sim) -> None:
    t = sim.totals
    console.print(f"[bold]{sim.title}[/bold] — kriteria desil 1–{sim.criteria['desil_max']}, "
                  f"dibanding {t.get('baseline_penetapan') or '(belum ada penetapan)'}")  # fmt: skip
    console.print(
        f"DTKS: {angka(t['baseline'])} → {angka(t['candidate'])} ruta "
        f"(masuk {angka(t['masuk'])}, keluar {angka(t['keluar'])})."
    )
    console.print(f"Kebenaran: {sim.truth_source or '-'} untuk {angka(t['truth'])} ruta; inclusion error "
                  f"{t['inclusion_error']} ({_pct(t['tingkat_inclusion_error'])}), exclusion error "
                  f"{t['exclusion_error']} ({_pct(t['tingkat_exclusion_error'])}).")  # fmt: skip
    if t.get("harapan_ruta"):
        console.print(
            f"Harapan dari rentang desil PMT ({angka(t['harapan_ruta'])} ruta): inclusion error "
            f"{t['harapan_inclusion']} ({_pct(t['harapan_tingkat_inclusion_error'])}), exclusion error "
            f"{t['harapan_exclusion']} ({_pct(t['harapan_tingkat_exclusion_error'])})."
        )
    for p in (t.get("program") or {}).values():
        console.print(
            f"Program {p['nama']}: {p['penerima']} penerima, Rp{angka(p['nominal_per_tahun'])}/tahun"
        )
    header = ("Wilayah", "Nama", "Sebelum", "Kandidat", "Masuk", "Keluar", "Incl. err", "Excl. err")
    keys = (
        "wilayah",
        "nama",
        "baseline",
        "candidate",
        "masuk",
        "keluar",
        "inclusion_error",
        "exclusion_error",
    )
    table_or_lines(header, [tuple(str(r[k]) for k in keys) for r in sim.rows])
    _print_groups(t)
    if sim.id:
        console.print(f"Agregat disimpan sebagai simulasi #{sim.id}.")


def _print_groups(t: dict) -> None:
    """Issue #18.5: the same errors per kind of household, so a Dinsos sees whom the candidate hurts."""
    from siks.penetapan.simulation import GROUPS

    groups = t.get("kelompok") or {}
    if not groups:
        return
    measured = bool(t.get("truth"))
    console.print(
        "Galat per kelompok ruta "
        + ("(terhadap kebenaran):" if measured else "(harapan dari rentang desil PMT; belum ada kebenaran):")
    )
    header = ("Kelompok", "", "Sebelum", "Kandidat", "Masuk", "Keluar", "Incl. err", "Excl. err")
    lines = []
    for dimension, rows in groups.items():
        for r in rows:
            if measured:
                inc = f"{r['inclusion_error']} ({_pct(r['tingkat_inclusion_error'])})"
                exc = f"{r['exclusion_error']} ({_pct(r['tingkat_exclusion_error'])})"
            else:
                inc = f"{r['harapan_inclusion']} ({_pct(r['harapan_tingkat_inclusion_error'])})"
                exc = f"{r['harapan_exclusion']} ({_pct(r['harapan_tingkat_exclusion_error'])})"
            lines.append((GROUPS[dimension], r["nama"], str(r["baseline"]), str(r["candidate"]),
                          str(r["masuk"]), str(r["keluar"]), inc, exc))  # fmt: skip
    table_or_lines(header, lines)


def register(app: typer.Typer) -> None:
    app.add_typer(penetapan_app, name="penetapan")

"""`siks program list|show|pengurus`: program lists from a penetapan, program rules, the pengurus."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from siks.cli_support import DB, OLEH, console, fail, row_progress, session_at, table_or_lines, user_of
from siks.domain.eligibility import RuleError
from siks.domain.formats import angka


def _program(code: str, aturan: Path | None, param: list[str] | None):
    from siks.domain import programs as rules

    overrides = rules.parse_params(param or [])
    return rules.load_program(aturan, overrides) if aturan else rules.default_program(code, overrides)


program_app = typer.Typer(help="Penggunaan DTKS oleh program (PKH, BPNT, PBI-JK): daftar, ekspor, pengurus.",
                          no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(program_app, name="program")


@program_app.command("list")
def list_cmd(
    program: str = typer.Argument(..., help="pkh, bpnt atau pbi_jk."),
    penetapan: int = typer.Option(..., "--penetapan", help="ID penetapan."),
    tanggal: str = typer.Option(None, "--tanggal", help="Tanggal acuan umur (bawaan: berlaku_mulai)."),
    desa: str = typer.Option(None, "--desa", help="Batasi ke satu desa."),
    param: list[str] = typer.Option(
        None, "--param", help="NAMA=NILAI, mis. umur_lansia=60, max_komponen=none."
    ),
    aturan: Path = typer.Option(
        None, "--aturan", help="Berkas program siks-program/1 (JSON) pengganti bawaan."
    ),
    out: Path = typer.Option(None, "--keluar", help="Tulis ke berkas .csv atau .xlsx."),
    batas: int = typer.Option(30, "--batas", help="Baris yang ditampilkan di layar."),
    oleh: str | None = OLEH,
    url: str | None = DB,
) -> None:
    """Daftar penerima program dari satu penetapan (dengan komponen, kuota dan pengurus)."""
    from siks.programs import export, service, stored

    with session_at(url, RuleError, ValueError) as session:
        prog = _program(program, aturan, param)
        on = dt.date.fromisoformat(tanggal) if tanggal else None
        user = user_of(session, oleh)
        if on is None:  # the stored list (ages on berlaku_mulai), computed first if there is none
            limit = None if out is not None else batas
            plist = stored.read(session, user, prog, penetapan, desa_code=desa, limit=limit)
        else:  # another reference date for ages: computed now, not stored
            plist = service.run(session, user, prog, penetapan, on=on, desa_code=desa)
        if out is not None:
            if out.suffix.lower() == ".xlsx":
                out.write_bytes(export.to_xlsx(plist))
            else:
                out.write_text(export.to_csv(plist), encoding="utf-8")
            console.print(f"{angka(len(plist.rows))} baris ditulis ke {out}.")
        _print(plist, batas)


@program_app.command("hitung")
def hitung_cmd(
    penetapan: list[int] = typer.Option(None, "--penetapan", help="ID penetapan (bawaan: semua)."),
    program: list[str] = typer.Option(None, "--program", help="pkh, bpnt, … (bawaan: semua program bawaan)."),
    ulang: bool = typer.Option(
        False, "--ulang", help="Hitung ulang walau daftar dengan aturan ini sudah ada."
    ),
    url: str | None = DB,
) -> None:
    """Menghitung dan menyimpan daftar penerima program per penetapan, serta angka dasbornya.

    Daftar dihitung saat penetapan dibuat; perintah ini menghitung yang belum ada (mis. setelah aturan
    program berubah) atau, dengan --ulang, semuanya lagi."""
    from sqlalchemy import select

    from siks.programs import stored
    from siks.store.models.penetapan import Penetapan

    with session_at(url, RuleError) as session:
        progs = [_program(code, None, None) for code in program] if program else stored.shipped()
        stmt = select(Penetapan).order_by(Penetapan.id)
        if penetapan:
            stmt = stmt.where(Penetapan.id.in_(penetapan))
        items = list(session.scalars(stmt))
        if penetapan and len(items) != len(set(penetapan)):
            fail(f"Penetapan tidak ditemukan: {sorted(set(penetapan) - {p.id for p in items})}.")
        for p in items:
            todo = progs if ulang else [x for x in progs if stored.find(session, p, x) is None]
            if todo:
                total = (p.counts or {}).get("ruta", 0)
                with row_progress(f"Penetapan #{p.id}", unit="ruta") as update:
                    headers = stored.compute(
                        session, p, todo, "cli", lambda done, t=total: update("menghitung", done, t)
                    )
                for h in headers:
                    console.print(
                        f"Penetapan #{p.id} {h.program_key}: {angka(h.rows)} baris, "
                        f"{angka(sum(c['kuota'] for c in h.counts.values()))} dalam kuota "
                        f"({angka(h.seconds, 1)} detik)."
                    )
            else:
                console.print(f"Penetapan #{p.id}: semua daftar sudah tersimpan dengan aturan ini.")
            figures = stored.store_figures(session, p)
            console.print(f"Penetapan #{p.id}: {angka(figures)} angka dasbor disimpan.")


@program_app.command("show")
def show_cmd(
    program: str = typer.Argument(...),
    param: list[str] = typer.Option(None, "--param"),
    aturan: Path = typer.Option(None, "--aturan"),
) -> None:
    """Menampilkan aturan program: syarat, komponen, nominal dan batas."""
    try:
        prog = _program(program, aturan, param)
    except RuleError as e:
        fail(e)
    console.print(f"[bold]{prog.name}[/bold] {prog.title} — aturan {prog.key}, unit {prog.unit}")
    console.print(f"Parameter: {dict(prog.params)}")
    for c in prog.components:
        cap = f", maks. {c.max}" if c.max is not None else ""
        console.print(f"  {c.label}: Rp{angka(c.amount)}/tahun{cap}")
    if prog.max_components is not None:
        console.print(f"Maksimal {prog.max_components} komponen per keluarga.")


@program_app.command("pengurus")
def pengurus_cmd(
    program: str = typer.Argument(...),
    penetapan: int = typer.Option(..., "--penetapan"),
    keluarga: str = typer.Option(..., "--keluarga", help="ID keluarga."),
    ganti: str = typer.Option(None, "--ganti", help="ID ART pengurus pengganti (mencatat pergantian)."),
    alasan: str = typer.Option(None, "--alasan"),
    oleh: str | None = OLEH,
    url: str | None = DB,
) -> None:
    """Calon pengurus sebuah keluarga, atau mencatat pergantian pengurus (--ganti)."""
    from siks.programs import service

    with session_at(url) as session:
        prog = _program(program, None, None)
        user = user_of(session, oleh)
        if ganti:
            row = service.replace_pengurus(session, user, prog, penetapan, keluarga, ganti, alasan or "")
            console.print(f"Pengurus {prog.name} keluarga {keluarga} kini {row.nama} ({row.member_ref}).")
            return
        fam = service.family(session, user, penetapan, keluarga)
        current = service.pengurus_for(
            prog, fam, service.recorded_holders(session, prog.code, [keluarga]).get(keluarga)
        )
        console.print(current.note or f"Pengurus: {current.member.nama if current.member else '-'}")
        for m, problems in service.candidates(prog, fam):
            mark = "boleh" if not problems else "; ".join(problems)
            console.print(f"  {m.member_ref} {m.nama}: {mark}")


def _print(plist, limit: int) -> None:
    console.print(
        f"{plist.program.name} dari {plist.penetapan.title}: {angka(plist.inside)} penerima"
        f" ({angka(plist.size - plist.inside)} di luar kuota), Rp{angka(plist.total_amount)}/tahun"
    )
    comps = plist.component_counts()
    if comps:
        console.print("Komponen: " + ", ".join(f"{k} {v}" for k, v in comps.items()))
    rows = []
    for r in plist.rows[:limit]:
        if r.ppks is not None:  # a PPKS person outside households: their LKS or place instead of a pengurus
            f = r.ppks.frozen
            rows.append((f.subject_ref, f.desa_code, f.nama, "Layak" if r.in_quota else "Di luar kuota",
                         str(r.entitlement.amount_per_year), f.lks_ref or r.ppks.tempat or ""))  # fmt: skip
            continue
        name = r.person.nama if r.person else (r.family.head.nama if r.family.head else "-")
        what = "; ".join(g.label for g in r.entitlement.grants) or (
            "Layak" if r.in_quota else "Di luar kuota"
        )
        holder = ""
        if r.pengurus:
            holder = r.pengurus.note or (r.pengurus.member.nama if r.pengurus.member else "")
        rows.append((r.entitlement.unit_ref, r.desa_code or "", name, what,
                     str(r.entitlement.amount_per_year), holder))  # fmt: skip
    last = "LKS / tempat" if plist.program.unit == "ppks_orang" else "Pengurus"
    table_or_lines(("Unit", "Desa", "Nama", "Komponen / status", "Nominal", last), rows)

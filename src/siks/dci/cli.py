"""`siks dci …`: onboard agency clients, publish siks's keys, send due notifications, padan online.

The server operator runs these (docs/dci.md walks through onboarding an agency). Every change is audited
under the name given with `--oleh`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import select

from siks.cli_support import DB
from siks.dci import service, trust
from siks.dci.programs import set_programs
from siks.dci.records import FIELDS
from siks.domain.eligibility import RuleError
from siks.errors import ServiceError
from siks.settings import settings
from siks.store.db import make_engine, session_factory, transaction

console = Console(soft_wrap=True)
dci_app = typer.Typer(
    help="Interoperabilitas DCI: klien instansi, kunci, notifikasi, padan online.", no_args_is_help=True
)
URL = DB
DB = DB


@dci_app.command("kunci")
def keys_cmd() -> None:
    """Mencetak JWKS publik siks (sama dengan /dci/.well-known/jwks.json); kunci dibuat bila belum ada."""
    console.print_json(json.dumps(trust.jwks(trust.load_signing_key())))


@dci_app.command("kunci-baru")
def new_key_cmd(
    keluar: Path = typer.Argument(..., help="Berkas JWK privat yang dibuat (untuk instansi atau uji)."),
    jenis: str = typer.Option("ed25519", "--jenis", help="ed25519 atau rs256."),
) -> None:
    """Membuat pasangan kunci tanda tangan; mencetak JWKS publiknya."""
    key = trust.generate_key(jenis)
    keluar.write_text(json.dumps(key.as_dict(private=True)))
    keluar.chmod(0o600)
    console.print_json(json.dumps(trust.jwks(key)))


@dci_app.command("klien-tambah")
def add_client_cmd(
    client_id: str = typer.Argument(..., help="Id klien = sender_id instansi, mis. bpjs-jember."),
    nama: str = typer.Option(..., "--nama", help="Nama instansi."),
    jwks: Path = typer.Option(..., "--jwks", help="Berkas JWKS publik instansi (JSON dengan 'keys')."),
    kolom: str = typer.Option(
        ..., "--kolom", help=f"Kolom yang boleh dilihat, dipisah koma: {', '.join(FIELDS)}."
    ),
    wilayah: str | None = typer.Option(None, "--wilayah", help="Kode wilayah cakupan (kosong = nasional)."),
    program: str = typer.Option(
        "",
        "--program",
        help="Program, dipisah koma (pkh, bpnt, pbi_jk): hanya orang dalam daftar programnya.",
    ),
    penetapan: int | None = typer.Option(
        None, "--penetapan", help="ID penetapan daftar program (bawaan: yang berlaku di wilayah klien)."
    ),
    callback: str | None = typer.Option(None, "--callback", help="Alamat dasar callback instansi."),
    batas: int = typer.Option(60, "--batas", help="Batas permintaan per menit."),
    oleh: str = typer.Option(..., "--oleh", help="Nama petugas yang mendaftarkan (untuk jejak audit)."),
    url: str | None = DB,
) -> None:
    """Mendaftarkan klien instansi; rahasia klien dicetak sekali saja."""
    keyset = json.loads(jwks.read_text())
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            client, secret = service.register_client(
                session,
                oleh,
                client_id=client_id,
                name=nama,
                jwks=keyset,
                wilayah_code=wilayah,
                fields=[k.strip() for k in kolom.split(",") if k.strip()],
                callback_uri=callback,
                rate_per_minute=batas,
            )
            codes = [p.strip() for p in program.split(",") if p.strip()]
            if codes:
                made = set_programs(
                    session, oleh, client_id, _programs(codes, None, []), penetapan_id=penetapan
                )
                _print_programs(made)
            console.print(f"Klien [bold]{client.client_id}[/bold] terdaftar.")
            console.print(f"client_secret (simpan sekarang, tidak ditampilkan lagi): {secret}")
    except ServiceError as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(1) from None
    except RuleError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def _programs(codes: list[str], aturan: list[Path] | None, param: list[str] | None):
    """Shipped programs by code (with `--param` overrides) and programs from rule files."""
    from siks.domain import programs as rules

    overrides = rules.parse_params(param or [])
    shipped = [rules.default_program(c.lower(), overrides) for c in codes]
    return shipped + [rules.load_program(path, overrides) for path in aturan or []]


def _print_programs(made) -> None:
    for cp in made:
        console.print(
            f"Program {cp.program} ({cp.program_key}) dari penetapan {cp.penetapan_id}: {cp.units} unit."
        )


@dci_app.command("klien-program")
def client_programs_cmd(
    client_id: str = typer.Argument(..., help="Id klien instansi."),
    program: str = typer.Option(
        "", "--program", help="Program, dipisah koma (pkh, bpnt, pbi_jk); kosong = hapus cakupan program."
    ),
    aturan: list[Path] = typer.Option(
        None, "--aturan", help="Berkas program siks-program/1 (JSON) tambahan."
    ),
    param: list[str] = typer.Option(
        None, "--param", help="NAMA=NILAI pengganti parameter, mis. desil_max=1."
    ),
    penetapan: int | None = typer.Option(
        None, "--penetapan", help="ID penetapan daftar program (bawaan: yang berlaku di wilayah klien)."
    ),
    oleh: str = typer.Option(..., "--oleh", help="Nama petugas (untuk jejak audit)."),
    db: str | None = DB,
) -> None:
    """Menetapkan program klien: klien hanya melihat orang dalam daftar program dari satu penetapan.

    Jalankan lagi setelah penetapan baru agar daftar klien mengikuti versi itu."""
    codes = [p.strip() for p in program.split(",") if p.strip()]
    engine = make_engine(db)
    try:
        with transaction(engine) as session:
            made = set_programs(
                session, oleh, client_id, _programs(codes, aturan, param), penetapan_id=penetapan
            )
            _print_programs(made)
            if not made:
                console.print(f"Klien {client_id} tidak lagi dibatasi program (seluruh wilayahnya).")
    except ServiceError as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(1) from None
    except RuleError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@dci_app.command("klien-daftar")
def list_clients_cmd(url: str | None = DB) -> None:
    """Menampilkan klien instansi: cakupan wilayah, kolom, batas, status."""
    from siks.store.models.dci import DciClient

    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            for c in session.scalars(select(DciClient).order_by(DciClient.client_id)):
                state = "aktif" if c.active else "nonaktif"
                console.print(
                    f"{c.client_id}\t{c.name}\t{c.wilayah_code or 'nasional'}\t{','.join(c.fields)}\t"
                    f"{c.rate_per_minute}/menit\t{state}"
                    + (f"\tprogram:{','.join(c.programs)}" if c.programs else "")
                )
    finally:
        engine.dispose()


def _send_notifications(db: str | None) -> None:
    from siks.dci.api import post_json

    engine = make_engine(db)
    try:
        report = service.notify(
            session_factory(engine), trust.load_signing_key(), settings().dci_id, post_json
        )
        console.print(
            f"{report.sent} langganan menerima notifikasi, {report.failed} gagal (dicoba lagi nanti), "
            f"{report.waiting} menunggu jadwal coba ulang."
        )
    finally:
        engine.dispose()
    if report.failed:
        raise typer.Exit(4)


@dci_app.command("kirim-notifikasi")
def send_notifications_cmd(db: str | None = DB) -> None:
    """Mengirim notifikasi perubahan registri (REGISTER, UPDATE, DELETE) ke pelanggan; untuk cron.

    Setiap percobaan dicatat (lihat `siks dci notifikasi-log`); pengiriman gagal dicoba lagi setelah
    1 menit, 5 menit, 30 menit, 2 jam, lalu tiap 6 jam, tanpa kehilangan peristiwa. Kode keluar 4 bila ada
    yang gagal."""
    _send_notifications(db)


@dci_app.command("notifikasi", hidden=True)
def notify_cmd(url: str | None = DB) -> None:
    """Nama lama `kirim-notifikasi`."""
    _send_notifications(url)


@dci_app.command("notifikasi-log")
def delivery_log_cmd(
    batas: int = typer.Option(50, "--batas", help="Jumlah percobaan terakhir yang ditampilkan."),
    db: str | None = DB,
) -> None:
    """Catatan pengiriman notifikasi: waktu, klien, langganan, jumlah peristiwa, hasil, coba ulang."""
    engine = make_engine(db)
    try:
        with transaction(engine) as session:
            for d, code, client_id in service.deliveries(session, batas):
                result = "terkirim" if d.ok else f"gagal ({d.error})"
                retry = f"\tcoba lagi {_when(d.next_try_at)}" if d.next_try_at else ""
                console.print(
                    f"{_when(d.at)}\t{client_id}\t{code}\t{d.events} peristiwa\tpercobaan {d.attempt}\t"
                    f"{result}{retry}",
                    markup=False,
                    highlight=False,
                )
    finally:
        engine.dispose()


def _when(moment: dt.datetime) -> str:
    """As people read it here: `07-12-2026 19.41 WIB`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%d-%m-%Y %H.%M WIB")


def _crvs_client():
    """The configured civil-registry client, or exit 2 saying which settings are missing."""
    from siks.dci.crvs import configured_client

    client = configured_client()
    if client is None:
        console.print("[red]Atur SIKS_DCI_CRVS_URL, SIKS_DCI_CRVS_CLIENT_ID dan SIKS_DCI_CRVS_SECRET.[/red]")
        raise typer.Exit(2)
    return client


@dci_app.command("padan")
def padan_cmd(
    nik: str = typer.Argument(..., help="NIK yang dipadankan."),
    nama: str = typer.Option(..., "--nama"),
    lahir: str = typer.Option(..., "--lahir", help="Tanggal lahir YYYY-MM-DD."),
    jk: int = typer.Option(..., "--jk", help="Jenis kelamin: 1 laki-laki, 2 perempuan."),
    oleh: str = typer.Option(..., "--oleh", help="Nama petugas (untuk jejak audit)."),
    url: str | None = DB,
) -> None:
    """Padan online satu orang dengan registri sipil DCI ($SIKS_DCI_CRVS_URL, _CLIENT_ID, _SECRET)."""
    from siks.dci.crvs import CrvsError, padan_online

    client = _crvs_client()
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            result = padan_online(session, oleh, client, nik, nama, dt.date.fromisoformat(lahir), jk)
    except CrvsError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    console.print(
        {"padan": "PADAN", "tidak_padan": "TIDAK PADAN", "tidak_ditemukan": "TIDAK DITEMUKAN"}[result.status]
    )
    for reason in result.reasons:
        console.print(f"- {reason}")
    raise typer.Exit(0 if result.padan else 3)


@dci_app.command("padan-tertunda")
def padan_pending_cmd(
    oleh: str = typer.Option(..., "--oleh", help="Nama petugas (untuk jejak audit)."),
    db: str | None = DB,
) -> None:
    """Mengulang padan online yang tertunda (registri sipil tadinya tidak dapat dihubungi); untuk cron."""
    from siks.dci.crvs import PENDING, STATUS_LABEL, retry_pending

    client = _crvs_client()
    engine = make_engine(db)
    try:
        with transaction(engine) as session:
            rows = retry_pending(session, oleh, client)
            for r in rows:
                usulan = f"usulan #{r.usulan_id}" if r.usulan_id else "tanpa usulan"
                console.print(f"{r.nik}\t{usulan}\t{STATUS_LABEL[r.status]}", markup=False, highlight=False)
            still = sum(r.status == PENDING for r in rows)
            console.print(f"{len(rows)} padan diulang, {still} masih tertunda.")
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.add_typer(dci_app, name="dci")

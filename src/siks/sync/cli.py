"""`siks sync …`: keys, peers, change sets by file or HTTP, conflicts and status between instances."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import typer
from rich.console import Console

from siks.cli_support import DB
from siks.domain.formats import angka
from siks.errors import ServiceError
from siks.store.db import make_engine, transaction

console = Console(soft_wrap=True)
sync_app = typer.Typer(
    help="Sinkronisasi berjenjang antarinstansi (kabupaten, provinsi, pusat).", no_args_is_help=True
)


def _fail(message: str) -> None:
    console.print(f"[red]Gagal:[/red] {message}")
    raise typer.Exit(code=1)


def _run(url: str | None, work):
    """Run `work(session)` in one transaction; service errors become a clear message and exit code 1."""
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            return work(session)
    except ServiceError as exc:
        _fail(exc.message)
    finally:
        engine.dispose()


def _progress(label: str):
    def report(done: int, total: int) -> None:
        if done == total or done % 100 == 0 or done == 1:
            print(f"{label} {done}/{total}", flush=True)

    return report


@sync_app.command("keygen")
def keygen_cmd(
    instance_id: str = typer.Option(..., "--id", help="ID instansi ini, mis. kab-jember."),
    level: str = typer.Option(..., "--tingkat", help="kabupaten, provinsi atau pusat."),
    wilayah_code: str | None = typer.Option(
        None, "--wilayah", help="Kode kabupaten/provinsi (pusat: kosong)."
    ),
    key: Path = typer.Option(
        Path("siks-sync.key"), "--kunci", help="Berkas kunci privat yang dibuat (0600)."
    ),
    url: str | None = DB,
) -> None:
    """Membuat identitas dan kunci Ed25519 instansi ini (sekali saja)."""
    from siks.sync import service, signing

    def work(session):
        try:
            me = service.keygen(session, instance_id, level, wilayah_code, key)
        except FileExistsError as exc:
            _fail(str(exc))
        return me.instance_id, me.public_key

    iid, public = _run(url, work)
    console.print(f"Identitas [bold]{iid}[/bold] dibuat. Sidik kunci publik: {signing.fingerprint(public)}")
    console.print(f"Kunci privat: {key} (jangan dibagikan). Terbitkan kartu dengan `siks sync publish`.")


@sync_app.command("publish")
def publish_cmd(
    out: Path | None = typer.Option(None, "--keluar", help="Tulis kartu identitas ke berkas ini."),
    public_url: str | None = typer.Option(None, "--alamat", help="Alamat HTTP instansi ini untuk mitra."),
    url: str | None = DB,
) -> None:
    """Menampilkan kartu identitas (ID, tingkat, wilayah, kunci publik) untuk disematkan mitra."""
    from siks.sync import service

    text = json.dumps(_run(url, lambda s: service.card(service.identity(s), public_url)), indent=1)
    if out:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"Kartu identitas ditulis ke {out}.")
    else:
        print(text)


@sync_app.command("pin")
def pin_cmd(
    card: Path = typer.Argument(..., help="Kartu identitas mitra (JSON dari `siks sync publish`)."),
    peer_url: str | None = typer.Option(
        None, "--alamat", help="Alamat HTTP mitra, mis. http://10.0.0.2:8000."
    ),
    url: str | None = DB,
) -> None:
    """Menyematkan mitra: kunci publiknya dipercaya untuk change set dan permintaan HTTP."""
    from siks.sync import service, signing

    try:
        data = json.loads(card.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(f"Kartu identitas {card} tidak dapat dibaca: {exc}")
    peer = _run(
        url, lambda s: (p := service.pin(s, data, peer_url)) and (p.instance_id, p.level, p.public_key)
    )
    console.print(
        f"Mitra [bold]{peer[0]}[/bold] ({peer[1]}) disematkan; sidik kunci {signing.fingerprint(peer[2])}."
    )


@sync_app.command("export")
def export_cmd(
    peer: str = typer.Argument(..., help="ID instansi tujuan."),
    out: Path = typer.Option(..., "--keluar", help="Berkas change set (.zip) yang ditulis."),
    full: bool = typer.Option(
        False, "--semua", help="Semua ruta (sinkronisasi pertama), bukan hanya yang berubah."
    ),
    url: str | None = DB,
) -> None:
    """Menulis perubahan sejak posisi yang terakhir diakui mitra sebagai change set bertanda tangan."""
    from siks.sync import service

    ex = _run(url, lambda s: service.export(s, peer, full=full, progress=_progress("diekspor")))
    out.write_bytes(ex.data)
    m = ex.manifest
    console.print(
        f"Change set {m['set_id']} (urutan {m['seq']}, log {m['from']}–{m['upto']}): "
        f"{angka(m['count'])} ruta untuk {peer} ditulis ke {out}."
    )


@sync_app.command("apply")
def apply_cmd(
    file: Path = typer.Argument(..., help="Berkas change set (.zip) dari mitra."),
    url: str | None = DB,
) -> None:
    """Memeriksa tanda tangan lalu menerapkan change set; menerapkan ulang tidak mengubah apa pun."""
    from siks.sync import service

    data = file.read_bytes()
    result = _run(url, lambda s: service.apply(s, data, progress=_progress("diterapkan")))
    console.print(result.message())


@sync_app.command("push")
def push_cmd(
    peer: str = typer.Argument(..., help="ID instansi tujuan (harus punya alamat HTTP)."),
    file: Path | None = typer.Option(
        None, "--berkas", help="Kirim change set yang sudah ada, bukan yang baru."
    ),
    attempts: int = typer.Option(8, "--coba", min=1, help="Berapa kali mencoba lagi bila sambungan putus."),
    piece: int = typer.Option(
        64 * 1024,
        "--potongan",
        min=1024,
        help="Ukuran potongan unggahan (byte); kecilkan untuk sambungan yang sering putus.",
    ),
    url: str | None = DB,
) -> None:
    """Mengirim change set ke mitra lewat HTTP; sambungan yang putus dilanjutkan dari byte terakhir."""
    from siks.sync import changeset, service, signing, transport
    from siks.sync.service import peer as find_peer

    def prepare(session):
        me, p = service.identity(session), find_peer(session, peer)
        if not p.url:
            raise service.Invalid(f"Mitra {peer} belum punya alamat HTTP (`siks sync pin --alamat`).")
        data = file.read_bytes() if file else service.export(session, peer).data
        return me.instance_id, me.key_path, p.url, data

    instance_id, key_path, peer_url, data = _run(url, prepare)
    set_id = changeset.peek(data)["set_id"]
    client = transport.Client(peer_url, instance_id, signing.load(key_path))
    try:
        result = client.upload(
            set_id, data, attempts=attempts, piece=piece, progress=_progress("terkirim (byte)")
        )
    except transport.TransferError as exc:
        _fail(str(exc))

    def acknowledge(session):
        p = find_peer(session, peer)
        p.acked_upto = max(p.acked_upto, int(result.get("ack") or 0))
        p.last_contact_at = service.utcnow()

    _run(url, acknowledge)
    console.print(result["message"])


@sync_app.command("status")
def status_cmd(
    ask: bool = typer.Option(
        False, "--tanya", help="Tanyakan juga ke mitra (lewat HTTP) apa yang menunggu dikirim ke sini."
    ),
    url: str | None = DB,
) -> None:
    """Per mitra, dua arah: ruta yang menunggu dikirim, posisi yang diakui dan diterima, konflik terbuka."""
    from siks.sync import service, signing, transport

    rows = _run(url, service.status)
    if not rows:
        console.print("Belum ada mitra yang disematkan.")
    client_for = None
    if ask and rows:
        instance_id, key_path = _run(
            url, lambda s: (service.identity(s).instance_id, service.identity(s).key_path)
        )
        key = signing.load(key_path)

        def client_for(peer_url: str) -> transport.Client:
            return transport.Client(peer_url, instance_id, key, timeout=10)

    for r in rows:
        incoming = ""
        if client_for is not None:
            if not r.url:
                incoming = "; di mitra: alamat HTTP belum diketahui"
            else:
                try:
                    there = client_for(r.url).request("GET", "/api/v1/sync/status")
                    waiting = there.get("pending_by_kind") or {"registry": there["pending_for_you"]}
                    incoming = f"; di mitra menunggu dikirim ke sini: {service.describe_pending(waiting)}"
                except (transport.TransferError, OSError) as exc:
                    incoming = f"; di mitra: tidak terjangkau ({exc})"
        print(
            f"{r.instance_id} ({r.level}, {r.wilayah_code or 'nasional'}): "
            f"keluar menunggu dikirim: {service.describe_pending(r.pending)} "
            f"(log diakui {r.acked_upto} dari {r.log_upto}); "
            f"masuk: diterima sampai posisi {r.received_upto}, "
            f"{r.uploads_in_progress} unggahan belum selesai, "
            f"{angka(r.open_conflicts)} konflik terbuka{incoming}"
        )


@sync_app.command("conflicts")
def conflicts_cmd(
    all_: bool = typer.Option(False, "--semua", help="Termasuk yang sudah diselesaikan."),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON (kedua versi lengkap)."),
    url: str | None = DB,
) -> None:
    """Konflik dan kiriman yang tidak diterapkan, dengan kedua versi."""
    from siks.sync import service

    def work(session):
        return [
            {
                "id": c.id,
                "kind": c.kind,
                "peer": c.peer,
                "gid": c.gid,
                "reason": c.reason,
                "status": c.status,
                "resolution": c.resolution,
                "local": c.local,
                "incoming": c.incoming,
            }
            for c in service.conflicts(session, status=None if all_ else service.OPEN)
        ]

    rows = _run(url, work)
    if as_json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    if not rows:
        console.print("Tidak ada konflik sinkronisasi.")
    for c in rows:
        print(f"#{c['id']} {c['kind']} {c['gid']} dari {c['peer']} — {c['reason']} [{c['status']}]")
        for name, here, there, differs in service.compare(c["local"], c["incoming"]):
            if differs:
                print(f"    {name}: lokal={here!r}  kiriman={there!r}")


@sync_app.command("resolve")
def resolve_cmd(
    conflict_id: int = typer.Argument(..., help="Nomor konflik."),
    choice: str = typer.Option(
        ..., "--pakai", help="kiriman (terima versi kiriman) atau lokal (pertahankan)."
    ),
    actor: str | None = typer.Option(None, "--oleh", help="Nama yang dicatat di jejak audit."),
    url: str | None = DB,
) -> None:
    """Memutuskan satu konflik; keputusan dan kedua versi tetap tercatat."""
    from siks.sync import service

    who = actor or getpass.getuser()
    c = _run(url, lambda s: (r := service.resolve(s, conflict_id, choice, who)) and (r.id, r.resolution))
    decided = "versi kiriman diterima" if c[1] == "kiriman" else "versi lokal dipertahankan"
    console.print(f"Konflik #{c[0]} diselesaikan: {decided}.")


def register(app: typer.Typer) -> None:
    app.add_typer(sync_app, name="sync")

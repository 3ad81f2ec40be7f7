"""Three real instances in separate processes on loopback: kabupaten (SQLite), provinsi (PostgreSQL) and pusat
(SQLite), each a `siks serve` of its own, talking over HTTP through a link that is cut mid-transfer, and by
file; a `siks sync apply` killed with SIGKILL midway; replay, tamper; afterwards all hold the same records
and every conflict is listed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from siks.devtools.pgserver import _free_port
from siks.domain.status import RunStatus
from siks.store.models.sync import SyncApplied, SyncUpload, SyncUploadPart
from siks.store.models.verval import VervalRun
from siks.sync import service, signing, transport
from sync.support import (
    SIKS,
    desa_of,
    finished_run,
    first_member_ref,
    link,
    load_registry,
    make_instance,
    ratified_usulan,
    rename_member,
    user,
    usulan_act,
    usulan_held,
)


class CuttingProxy:
    """A TCP relay to `target`; once `cut_after` bytes have gone up (over all connections) it drops the link
    in the middle of a request, once."""

    def __init__(self, target_port: int, cut_after: int | None):
        self.target_port, self.cut_after, self.cuts = target_port, cut_after, 0
        self.port = _free_port()
        self.sock = socket.create_server(("127.0.0.1", self.port))
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket):
        upstream = socket.create_connection(("127.0.0.1", self.target_port))

        def pump(src, dst, counted):
            try:
                while data := src.recv(16384):
                    if counted and self.cut_after is not None:
                        if len(data) >= self.cut_after:
                            dst.sendall(data[: self.cut_after])
                            self.cut_after = None  # cut once, then let the resume through
                            self.cuts += 1
                            raise ConnectionError("link cut")
                        self.cut_after -= len(data)
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (client, upstream):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                    s.close()

        threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()
        pump(client, upstream, True)

    def close(self):
        self.sock.close()


def _serve(url: str, tmp: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {**os.environ, "SIKS_SECRET_KEY": "x" * 48}
    proc = subprocess.Popen(
        [SIKS, "serve", "--port", str(port), "--db", url],
        env=env,
        stdout=(tmp / f"serve-{port}.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/sync/identitas", timeout=2).read()
            return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError((tmp / f"serve-{port}.log").read_text())


@pytest.fixture
def servers():
    procs: list[subprocess.Popen] = []
    yield procs
    for p in procs:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def test_three_instances_over_a_bad_link_end_up_holding_the_same_records(
    tmp_path, pg_server, dtks_csv, servers
):
    kab = make_instance(f"sqlite:///{tmp_path / 'kab.db'}", "kab-jember", "kabupaten", "35.09", tmp_path)
    prov = make_instance(pg_server.create_database(), "prov-jatim", "provinsi", "35", tmp_path)
    pusat = make_instance(f"sqlite:///{tmp_path / 'pusat.db'}", "pusat", "pusat", None, tmp_path)
    load_registry(kab, dtks_csv)
    prov_proc, prov_port = _serve(prov.url, tmp_path)
    pusat_proc, pusat_port = _serve(pusat.url, tmp_path)
    servers += [prov_proc, pusat_proc]
    link_ = CuttingProxy(prov_port, cut_after=5_000)  # the kabupaten's link to the provinsi
    link(kab, prov, b_url=f"http://127.0.0.1:{link_.port}")
    link(prov, pusat, a_url=f"http://127.0.0.1:{prov_port}", b_url=f"http://127.0.0.1:{pusat_port}")
    link(kab, pusat)  # and a USB stick to pusat

    # an usulan disahkan at the kabupaten (a new ruta) and the results of a finished verval run wait too
    uid, _ = ratified_usulan(kab, tmp_path)
    gid = f"usulan:kab-jember:{uid}"
    finished_run(kab, "20261201T080000-abc123", desa_of(kab))

    # 1. kab → prov over HTTP; the link drops mid-upload and the push resumes from the stored bytes
    out = kab.cli("push", "prov-jatim", "--potongan", "2048").stdout
    assert link_.cuts == 1
    assert "diterapkan" in out and "0 konflik" in out
    parts = prov.run(lambda s: s.scalar(select(func.count()).select_from(SyncUploadPart)))
    assert parts >= 4  # 2 KiB pieces, some sent before the cut and the rest after it
    assert prov.states() == kab.states()
    assert kab.run(lambda s: service.outgoing_pending(s, "prov-jatim")) == 0
    at_prov = usulan_held(prov, gid)
    assert (at_prov["status"], at_prov["level"]) == ("disahkan", "provinsi")
    assert at_prov["events"] == usulan_held(kab, gid)["events"]
    assert _received_runs(prov) == 1

    # 2. kab → pusat by file; `siks sync apply` killed mid-apply leaves nothing, the rerun applies all
    usb = tmp_path / "ke-pusat.zip"
    kab.cli("export", "pusat", "--keluar", str(usb))
    proc = subprocess.Popen(
        [SIKS, "sync", "apply", str(usb), "--db", pusat.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    first = proc.stdout.readline()
    assert first.startswith("diterapkan 1/"), first
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert pusat.states() == {}
    assert pusat.run(lambda s: s.scalar(select(func.count()).select_from(SyncApplied))) == 0
    assert usulan_held(pusat, gid) is None and _received_runs(pusat) == 0
    assert "43 rekaman diterapkan" in pusat.cli("apply", str(usb)).stdout  # 41 ruta, usulan, verval
    assert pusat.run(lambda s: service.apply(s, usb.read_bytes())).already  # replay
    assert pusat.states() == kab.states()

    # 3. the link goes down; the kabupaten keeps working and catches up later
    link_.open = False
    ref = first_member_ref(kab)
    rename_member(kab, ref, "NAMA DARI KABUPATEN")
    rename_member(prov, ref, "NAMA DARI PROVINSI")  # the same person, changed at the provinsi meanwhile
    down = kab.cli("push", "prov-jatim", "--coba", "2", check=False)
    assert down.returncode == 1 and "terputus" in down.stdout
    offline = kab.cli("status", "--tanya").stdout  # what is pending, per peer, both ways
    assert "keluar menunggu dikirim: 1 ruta, 0 usulan" in offline and "tidak terjangkau" in offline
    link_.open = True
    assert "di mitra menunggu dikirim ke sini: 1 ruta" in kab.cli("status", "--tanya").stdout  # prov's edit
    assert "1 konflik" in kab.cli("push", "prov-jatim").stdout
    conflicts = json.loads(prov.cli("conflicts", "--json").stdout)
    assert [(c["kind"], c["peer"], c["status"]) for c in conflicts] == [("konflik", "kab-jember", "terbuka")]
    names = [
        {m["nama"] for f in c["families"] for m in f["members"]}
        for c in (conflicts[0]["local"], conflicts[0]["incoming"])
    ]
    assert "NAMA DARI PROVINSI" in names[0] and "NAMA DARI KABUPATEN" in names[1]

    # 4. tampered requests and sets are refused over HTTP too
    forged = transport.Client(f"http://127.0.0.1:{prov_port}", "kab-jember", signing.load(pusat.key))
    with pytest.raises(transport.TransferError, match="403"):
        forged.request("GET", "/api/v1/sync/status")
    ups = prov.run(lambda s: s.scalar(select(func.count()).select_from(SyncUpload)))
    bad = usb.read_bytes().replace(b"manifest.sig", b"manifest.sih")
    honest = transport.Client(f"http://127.0.0.1:{prov_port}", "kab-jember", signing.load(kab.key))
    with pytest.raises(transport.TransferError, match="403"):
        honest.upload("rusak", bad)
    assert prov.run(lambda s: s.scalar(select(func.count()).select_from(SyncUpload))) == ups + 1

    # 5. an operator at the provinsi decides; prov relays to pusat; all three hold the same records
    cid = str(conflicts[0]["id"])
    prov.cli("resolve", cid, "--pakai", "kiriman", "--oleh", "operator-prov")
    assert prov.states() == kab.states()
    assert "0 konflik" in prov.cli("push", "pusat").stdout
    assert "0 konflik" in kab.cli("push", "prov-jatim").stdout  # nothing new: stale or same
    pusat.run(lambda s: service.apply(s, kab.run(lambda k: service.export(k, "pusat").data)))
    assert kab.states() == prov.states() == pusat.states()
    assert [(c[1], c[3], c[4]) for c in prov.conflicts()] == [("konflik", "kab-jember", "selesai")]
    assert pusat.conflicts() == []

    # 6. the provinsi forwards the usulan, pusat accepts it; the decision comes down by HTTP and by file
    usulan_act(prov, gid, user("op-prov", "operator_provinsi", "35"), "teruskan", "provinsi")
    assert "0 konflik" in prov.cli("push", "pusat").stdout
    assert (usulan_held(pusat, gid)["status"], usulan_held(pusat, gid)["level"]) == ("diteruskan", "pusat")
    usulan_act(pusat, gid, user("pusat", "pusat", None), "terima", "pusat")
    assert "1 rekaman diterapkan" in pusat.cli("push", "prov-jatim").stdout
    down = tmp_path / "ke-kab.zip"
    prov.cli("export", "kab-jember", "--keluar", str(down))
    applied = kab.cli("apply", str(down)).stdout
    assert "1 rekaman diterapkan" in applied and "0 konflik" in applied and "0 ditolak" in applied
    assert "sudah pernah diterapkan" in kab.cli("apply", str(down)).stdout  # replay
    final = [usulan_held(i, gid) for i in (kab, prov, pusat)]
    assert {(f["status"], f["level"]) for f in final} == {("diterima", None)}
    assert final[0]["events"] == final[1]["events"] == final[2]["events"]
    assert kab.states() == prov.states() == pusat.states()
    assert (_received_runs(prov), _received_runs(pusat), _received_runs(kab)) == (1, 1, 0)
    link_.close()


def _received_runs(inst) -> int:
    kiriman = select(func.count()).select_from(VervalRun).where(VervalRun.status == RunStatus.KIRIMAN.value)
    return inst.run(lambda s: s.scalar(kiriman))

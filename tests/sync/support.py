"""Instances for the sync tests: a migrated database with an identity and key, pinned peers, a registry.

Every instance is a real database of its own (SQLite file or a PostgreSQL database of the test server).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select

from siks.audit import record_change
from siks.domain.nik import make_nik
from siks.domain.status import ImportStatus, RunStatus
from siks.domain.usulan import Workflow
from siks.registry.importer import import_file
from siks.store.db import make_engine, transaction, upgrade
from siks.store.models.registry import Household, Member
from siks.store.models.sync import SyncConflict
from siks.store.models.usulan import Usulan
from siks.store.models.verval import VervalFinding, VervalRun
from siks.sync import records, service
from siks.sync import usulan as usulan_sync
from siks.usulan import batches
from siks.usulan import service as usulan

SIKS = str(Path(sys.executable).with_name("siks"))


@dataclass
class Instance:
    id: str
    url: str
    key: Path

    def session(self):
        return transaction(make_engine(self.url))

    def states(self) -> dict[str, dict]:
        """Every ruta this instance holds, as the state sync compares."""
        engine = make_engine(self.url)
        try:
            with transaction(engine) as s:
                return {ref: records.state_of(s, ref) for ref in s.scalars(select(Household.ref))}
        finally:
            engine.dispose()

    def run(self, work):
        engine = make_engine(self.url)
        try:
            with transaction(engine) as s:
                return work(s)
        finally:
            engine.dispose()

    def conflicts(self) -> list[SyncConflict]:
        return self.run(
            lambda s: [(c.id, c.kind, c.gid, c.peer, c.status) for c in service.conflicts(s, status=None)]
        )

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [SIKS, "sync", *args, "--db", self.url], capture_output=True, text=True, timeout=120
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"siks sync {' '.join(args)} gagal:\n{proc.stdout}\n{proc.stderr}")
        return proc


def make_instance(
    url: str, instance_id: str, level: str, wilayah_code: str | None, directory: Path
) -> Instance:
    upgrade(url)
    key = directory / f"{instance_id}.key"
    inst = Instance(instance_id, url, key)
    inst.run(lambda s: service.keygen(s, instance_id, level, wilayah_code, key))
    return inst


def link(a: Instance, b: Instance, *, a_url: str | None = None, b_url: str | None = None) -> None:
    """Pin both ways, as two operators would after exchanging their published cards."""
    card_a = a.run(lambda s: service.card(service.identity(s)))
    card_b = b.run(lambda s: service.card(service.identity(s)))
    a.run(lambda s: service.pin(s, json.loads(json.dumps(card_b)), b_url))
    b.run(lambda s: service.pin(s, card_a, a_url))


def load_registry(inst: Instance, csv: Path) -> None:
    engine = make_engine(inst.url)
    try:
        assert import_file(engine, csv, "impor-awal").status == ImportStatus.DIMUAT
    finally:
        engine.dispose()


def export(src: Instance, to: str, full: bool = False) -> bytes:
    return src.run(lambda s: service.export(s, to, full=full).data)


def apply(dst: Instance, data: bytes) -> service.ApplyResult:
    return dst.run(lambda s: service.apply(s, data))


def rename_member(inst: Instance, ref: str, nama: str, actor: str = "operator") -> None:
    """A local edit the way services make them: change plus audit entry in one transaction."""

    def work(s):
        m = s.scalar(select(Member).where(Member.ref == ref))
        before = m.nama
        m.nama = nama
        s.flush()
        record_change(s, actor, "member", m.id, {"nama": before}, {"nama": nama}, "koreksi nama")

    inst.run(work)


def first_member_ref(inst: Instance) -> str:
    return inst.run(lambda s: s.scalar(select(Member.ref).order_by(Member.ref).limit(1)))


# --- usulan and verval at an instance (test_usulan.py, test_processes.py) ---------------------------------

PDF = b"%PDF-1.4\n% berita acara musdes\n"


def user(name: str, role: str, code: str | None):
    return SimpleNamespace(id=None, username=name, role=role, wilayah_code=code, active=True)


def desa_of(inst) -> str:
    return inst.run(lambda s: s.scalar(select(Household.desa_code).order_by(Household.ref).limit(1)))


def draft(s, desa: str, seq: int) -> Usulan:
    kec = desa.rsplit(".", 1)[0]
    head = {
        "nama": f"Warga Baru {seq}",
        "nik": make_nik(kec, dt.date(1990, 2, 3), 2, 400 + seq),
        "sex": 2,
        "tanggal_lahir": "1990-02-03",
        "hubungan_kk": 1,
        "status_kawin": 1,
    }
    return usulan.create(
        s,
        user("op-desa", "operator_desa", desa),
        kind="baru",
        subkind="ruta",
        payload={"dusun": "Krajan", "rw": "1", "rt": "4", "alamat": f"Jl. Baru {seq}", "members": [head]},
    )


def ratified_usulan(kab, tmp_path) -> tuple[int, int]:
    """At the kabupaten: one usulan disahkan (applied there), one still a draft. Returns both ids."""
    desa = desa_of(kab)
    wf = Workflow("kabupaten")

    def work(s):
        desa_op = user("op-desa", "operator_desa", desa)
        u = draft(s, desa, 1)
        unsent = draft(s, desa, 2)
        batch = batches.create_batch(s, desa_op, "Musdes Mei", dt.date(2026, 5, 20))
        batches.add_usulan(s, desa_op, batch.id, [u.id])
        batches.attach_berita_acara(s, desa_op, batch.id, "ba.pdf", PDF, tmp_path)
        batches.submit_batch(s, desa_op, batch.id, batch.version, wf)
        kec = user("op-kec", "operator_kecamatan", desa.rsplit(".", 1)[0])
        usulan.act(s, kec, u.id, "verifikasi", u.version, None, wf)
        usulan.act(s, user("pengesah", "pengesah_kabupaten", "35.09"), u.id, "sahkan", u.version, None, wf)
        assert u.applied_at is not None
        return u.id, unsent.id

    return kab.run(work)


def usulan_held(inst, gid: str) -> dict | None:
    def work(s):
        me = service.identity(s).instance_id
        uid = usulan_sync.local_id(s, me, gid)
        if uid is None:
            return None
        u = s.get(Usulan, uid)
        return {"status": u.status, "level": u.level, **usulan_sync.state_of(s, me, uid)}

    return inst.run(work)


def usulan_act(inst, uid_gid: str, user, action: str, top: str) -> None:
    def work(s):
        uid = usulan_sync.local_id(s, service.identity(s).instance_id, uid_gid)
        u = s.get(Usulan, uid)
        usulan.act(s, user, uid, action, u.version, "catatan " + action, Workflow(top))

    inst.run(work)


def finished_run(inst, run_id: str, desa: str) -> None:
    """A finished verval run as `siks verval run` leaves it (run row, findings, the audit entry)."""

    def work(s):
        now = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
        s.add(VervalRun(id=run_id, status=RunStatus.SELESAI.value, started_at=now, finished_at=now,
                        actor="op-kab", params={"aturan": "dtks"}, finding_count=2))  # fmt: skip
        s.flush()
        for code, ref in (("NIK_GANDA", "R1"), ("MENINGGAL", "R2")):
            s.add(VervalFinding(run_id=run_id, code=code, level="anggota", household_ref=ref, kode_desa=desa))
        record_change(
            s, "op-kab", "verval_run", None, None, {"run": run_id, "temuan": 2}, None, action="selesai"
        )

    inst.run(work)

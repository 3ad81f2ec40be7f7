"""Instances for the sync tests: a migrated database with an identity and key, pinned peers, a registry.

Every instance is a real database of its own (SQLite file or a PostgreSQL database of the test server).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from siks.audit import record_change
from siks.domain.status import ImportStatus
from siks.registry.importer import import_file
from siks.store.db import make_engine, transaction, upgrade
from siks.store.models.registry import Household, Member
from siks.store.models.sync import SyncConflict
from siks.sync import records, service

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

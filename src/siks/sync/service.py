"""Sync between siks instances: identity, peers, export, apply, conflicts, status.

The model (docs/sync.md):
- The change log is `audit_log`. Its ids are the positions; a peer's `acked_upto` is how far it has applied
  our log. An export takes every ruta touched by entries after that position and sends its *current* state,
  with the record's lineage (every state hash it has had). No second log of changes is kept.
- Applying one state: same hash here → nothing; the incoming hash is already in our lineage → stale (an
  older set, or a replay) → nothing; our current hash is in the incoming lineage → fast-forward, applied;
  otherwise both sides changed it → a conflict is kept with both versions. Never last-write-wins.
- Levels: the ruta belongs to the kabupaten whose wilayah holds its desa. A lower level's changes inside its
  wilayah apply; a higher level's changes to a desa's ruta wait for an operator (`dari_atas`); anything
  else is refused (`ditolak`) and listed.
- One set is applied in one transaction: killed midway, nothing of it is written and it can be applied
  again. A set id applied before changes nothing and says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siks.domain import wilayah
from siks.domain.formats import angka
from siks.domain.roles import VIEW_AUDIT, VIEW_FULL_NIK, has_permission
from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.scope import Scope
from siks.store.base import utcnow
from siks.store.models.penetapan import Penetapan
from siks.store.models.registry import AuditEntry, Family, Household, Member
from siks.store.models.sync import (
    SyncApplied,
    SyncConflict,
    SyncIdentity,
    SyncLineage,
    SyncPeer,
    SyncUpload,
)
from siks.store.models.usulan import Usulan
from siks.store.models.verval import VervalRun
from siks.sync import changeset, documents, records, signing
from siks.sync import usulan as usulan_sync
from siks.sync import verval as verval_sync

LEVELS = ("kabupaten", "provinsi", "pusat")
RANK = {name: i for i, name in enumerate(LEVELS)}
KIND_CONFLICT, KIND_FROM_ABOVE, KIND_REFUSED = "konflik", "dari_atas", "ditolak"
OPEN, CLOSED = "terbuka", "selesai"


def sync_actor(instance_id: str) -> str:
    return f"sync:{instance_id}"


# --- identity and peers -----------------------------------------------------------------------------------


def _check_level(level: str, wilayah_code: str | None) -> str | None:
    if level not in RANK:
        raise Invalid(f"Tingkat '{level}' tidak dikenal; pilih salah satu: {', '.join(LEVELS)}.")
    if level == "pusat":
        return None
    if not wilayah_code:
        raise Invalid(f"Instansi tingkat {level} wajib menyebut kode wilayahnya.")
    code = wilayah.normalize(wilayah_code)
    expected = 2 if level == "kabupaten" else 1
    if wilayah.level(code) != expected:
        raise Invalid(f"Kode wilayah {code} bukan kode {'kabupaten/kota' if expected == 2 else 'provinsi'}.")
    return code


def identity(session: Session) -> SyncIdentity:
    me = session.scalar(select(SyncIdentity))
    if me is None:
        raise NotFound("Instansi ini belum punya identitas sinkronisasi; jalankan `siks sync keygen` dulu.")
    return me


def keygen(
    session: Session, instance_id: str, level: str, wilayah_code: str | None, key_path: Path
) -> SyncIdentity:
    """Create this instance's identity and Ed25519 key file (once; a second keygen is refused)."""
    if session.scalar(select(SyncIdentity)) is not None:
        raise Conflict("Instansi ini sudah punya identitas sinkronisasi; kunci tidak dibuat ulang.")
    code = _check_level(level, wilayah_code)
    if not instance_id or len(instance_id) > 40 or ":" in instance_id:
        raise Invalid("ID instansi wajib diisi, paling panjang 40 karakter, tanpa titik dua.")
    public = signing.generate(key_path)
    me = SyncIdentity(
        instance_id=instance_id,
        level=level,
        wilayah_code=code,
        public_key=public,
        key_path=str(key_path.resolve()),
    )
    session.add(me)
    session.flush()
    return me


def card(me: SyncIdentity, url: str | None = None) -> dict:
    """The identity card to publish: what a peer pins (id, level, wilayah, public key, fingerprint)."""
    return {
        "instance_id": me.instance_id,
        "level": me.level,
        "wilayah_code": me.wilayah_code,
        "public_key": me.public_key,
        "fingerprint": signing.fingerprint(me.public_key),
        "url": url,
    }


def pin(session: Session, card_: dict, url: str | None = None) -> SyncPeer:
    """Pin a peer from its published card. Re-pinning the same key updates the URL; another key is refused."""
    try:
        instance_id, level, public = card_["instance_id"], card_["level"], card_["public_key"]
    except KeyError as exc:
        raise Invalid(f"Kartu identitas tidak lengkap: kolom {exc} tidak ada.") from exc
    code = _check_level(level, card_.get("wilayah_code"))
    me = identity(session)
    if instance_id == me.instance_id:
        raise Invalid("Instansi tidak dapat menyematkan dirinya sendiri.")
    peer = session.scalar(select(SyncPeer).where(SyncPeer.instance_id == instance_id))
    if peer is not None:
        if peer.public_key != public:
            raise Conflict(
                f"Instansi {instance_id} sudah disematkan dengan kunci lain; tidak diganti diam-diam."
            )
        peer.url = url or card_.get("url") or peer.url
        return peer
    peer = SyncPeer(
        instance_id=instance_id,
        level=level,
        wilayah_code=code,
        public_key=public,
        url=url or card_.get("url"),
        acked_upto=0,
        received_upto=0,
        export_seq=0,
    )
    session.add(peer)
    session.flush()
    return peer


def peer(session: Session, instance_id: str) -> SyncPeer:
    p = session.scalar(select(SyncPeer).where(SyncPeer.instance_id == instance_id))
    if p is None:
        raise NotFound(f"Instansi {instance_id} belum disematkan (`siks sync pin`).")
    return p


# --- export -----------------------------------------------------------------------------------------------


def _touched_households(session: Session, me: SyncIdentity, to: SyncPeer, after: int, upto: int) -> set[int]:
    """Ids of ruta changed by log entries in (after, upto] that `to` should get.

    Up: everything except what came from `to` itself. Down: only changes made here (a higher level's own
    edits, which the lower level then approves or not), never what was relayed from below. Sideways: none.
    """
    if RANK[to.level] == RANK[me.level]:
        return set()
    entries = select(AuditEntry.entity, AuditEntry.entity_id).where(
        AuditEntry.id > after, AuditEntry.id <= upto
    )
    if RANK[to.level] > RANK[me.level]:
        entries = entries.where(AuditEntry.actor != sync_actor(to.instance_id))
    else:
        entries = entries.where(AuditEntry.actor.not_like("sync:%"))
    by_kind: dict[str, set[int]] = {}
    for entity, entity_id in session.execute(entries):
        if entity_id is not None:
            by_kind.setdefault(entity, set()).add(entity_id)
    ids = set(by_kind.get("household", ()))
    if fam := by_kind.get("family"):
        ids |= set(session.scalars(select(Family.household_id).where(Family.id.in_(fam))))
    if mem := by_kind.get("member"):
        ids |= set(
            session.scalars(
                select(Family.household_id)
                .join(Member, Member.family_id == Family.id)
                .where(Member.id.in_(mem))
            )
        )
    if batches := by_kind.get("import_batch"):
        ids |= set(session.scalars(select(Household.id).where(Household.created_by_batch_id.in_(batches))))
        ids |= set(
            session.scalars(select(Family.household_id).where(Family.created_by_batch_id.in_(batches)))
        )
    return ids


def _touched(session: Session, to: SyncPeer, entity: str, after: int, upto: int) -> list:
    """Entries about `entity` in (after, upto] not made by `to` itself: what may go to `to` (relays too)."""
    return list(
        session.execute(
            select(AuditEntry.entity_id, AuditEntry.after).where(
                AuditEntry.entity == entity,
                AuditEntry.id > after,
                AuditEntry.id <= upto,
                AuditEntry.actor != sync_actor(to.instance_id),
            )
        )
    )


def _usulan_out(session: Session, me: SyncIdentity, to: SyncPeer, upto: int, full: bool) -> list[dict]:
    """Usulan for `to`, in its wilayah: up, those that reached pengesahan; down, any with a new step."""
    if RANK[to.level] == RANK[me.level]:
        return []
    if full:
        ids = set(session.scalars(select(Usulan.id)))
    else:
        ids = {i for i, _ in _touched(session, to, "usulan", to.acked_upto, upto) if i is not None}
    out = []
    for uid in sorted(ids):
        state = usulan_sync.state_of(session, me.instance_id, uid)
        if to.wilayah_code and not wilayah.contains(to.wilayah_code, state["desa_code"]):
            continue
        if RANK[to.level] > RANK[me.level] and not usulan_sync.was_ratified(state["events"]):
            continue
        h = records.state_hash(state)
        out.append(
            {
                "gid": usulan_sync.gid_of(session, me.instance_id, uid),
                "hash": h,
                "lineage": [h],
                "state": state,
            }
        )
    return out


def _verval_out(session: Session, me: SyncIdentity, to: SyncPeer, upto: int, full: bool) -> list[dict]:
    """Results of runs finished (or received) here since `to`'s ack; only up."""
    if RANK[to.level] <= RANK[me.level]:
        return []
    if full:
        ids = set(session.scalars(select(VervalRun.id)))
    else:
        ids = {(a or {}).get("run") for _, a in _touched(session, to, "verval_run", to.acked_upto, upto)}
    out = []
    for run_id in sorted(i for i in ids if i):
        state = verval_sync.state_of(session, me.instance_id, run_id)
        if state is None:
            continue
        h = records.state_hash(state)
        gid = verval_sync.gid_of(me.instance_id, session.get(VervalRun, run_id))
        out.append({"gid": gid, "hash": h, "lineage": [h], "state": state})
    return out


def _lineage(session: Session, gid: str) -> list[str]:
    return sorted(session.scalars(select(SyncLineage.hash).where(SyncLineage.gid == gid)))


def _remember(session: Session, gid: str, hashes: Iterable[str]) -> None:
    known = set(_lineage(session, gid))
    for h in dict.fromkeys(hashes):
        if h not in known:
            session.add(SyncLineage(gid=gid, hash=h))
            known.add(h)


@dataclass
class Export:
    data: bytes
    manifest: dict


def export(
    session: Session, to: str, *, full: bool = False, progress: Callable[[int, int], None] | None = None
) -> Export:
    """A signed change set for peer `to`: every ruta changed since its acknowledged position.

    `full` sends every ruta this instance holds (first sync of a database whose rows predate the audit
    trail, or a re-baseline); applying it is as idempotent as any other set.
    """
    me = identity(session)
    p = peer(session, to)
    upto = session.scalar(select(func.max(AuditEntry.id))) or 0
    if full and RANK[p.level] > RANK[me.level]:
        ids = set(session.scalars(select(Household.id)))
    else:
        ids = _touched_households(session, me, p, p.acked_upto, upto)
    refs = sorted(session.scalars(select(Household.ref).where(Household.id.in_(ids)))) if ids else []
    items = []
    for n, ref in enumerate(refs, start=1):
        state = records.state_of(session, ref)
        if p.wilayah_code and not wilayah.contains(p.wilayah_code, state["desa_code"]):
            continue  # a provinsi gets only its own ruta
        gid, h = records.gid_of(ref), records.state_hash(state)
        _remember(session, gid, [h])
        items.append({"gid": gid, "hash": h, "lineage": _lineage(session, gid), "state": state})
        if progress:
            progress(n, len(refs))
    items += _usulan_out(session, me, p, upto, full)
    items += _verval_out(session, me, p, upto, full)
    if RANK[p.level] < RANK[me.level]:
        items += _penetapan_items(session, me, p, upto, full)
    p.export_seq += 1
    manifest = {
        "origin": me.instance_id,
        "origin_level": me.level,
        "recipient": p.instance_id,
        "seq": p.export_seq,
        "from": p.acked_upto,
        "upto": upto,
        "ack": p.received_upto,
        "created_at": utcnow().isoformat(),
    }
    digest = hashlib.sha256(f"{me.instance_id}|{p.instance_id}|{p.export_seq}|{upto}".encode()).hexdigest()
    manifest["set_id"] = digest[:32]
    data = changeset.build(manifest, items, signing.load(me.key_path))
    session.flush()
    return Export(data, changeset.peek(data))


def _penetapan_ids(session: Session, to: SyncPeer, upto: int, full: bool) -> list[int]:
    if full:
        return sorted(session.scalars(select(Penetapan.id)))
    return sorted({i for i, _ in _touched(session, to, documents.KIND, to.acked_upto, upto) if i is not None})


def _penetapan_items(session: Session, me: SyncIdentity, to: SyncPeer, upto: int, full: bool) -> list[dict]:
    """Penetapan versions made or received here since `to`'s acknowledged position, cut to its wilayah."""
    items = []
    for pid in _penetapan_ids(session, to, upto, full):
        state = documents.state_of(session, me.instance_id, pid, to.wilayah_code)
        h = records.state_hash(state)
        items.append(
            {"gid": documents.gid_of(session, me.instance_id, pid), "hash": h, "lineage": [h], "state": state}
        )
    return items


# --- apply ------------------------------------------------------------------------------------------------


@dataclass
class ApplyResult:
    origin: str
    set_id: str
    already: bool = False
    counts: dict = field(default_factory=dict)
    ack: int = 0  # the origin's position we have now applied (goes back to it)

    def message(self) -> str:
        if self.already:
            return (
                f"Change set {self.set_id} dari {self.origin} sudah pernah diterapkan; tak ada yang berubah."
            )
        c = self.counts
        return (
            f"Change set {self.set_id} dari {self.origin}: {c.get('diterapkan', 0)} rekaman diterapkan, "
            f"{c.get('sama', 0)} sudah sama, {c.get('usang', 0)} usang (sudah ada versi lebih baru), "
            f"{c.get('konflik', 0)} konflik, {c.get('dari_atas', 0)} menunggu persetujuan, "
            f"{c.get('ditolak', 0)} ditolak."
        )

    def as_dict(self) -> dict:
        return {
            "origin": self.origin,
            "set_id": self.set_id,
            "already": self.already,
            "counts": self.counts,
            "ack": self.ack,
            "message": self.message(),
        }


def verify(session: Session, data: bytes) -> tuple[SyncIdentity, SyncPeer, changeset.ChangeSet]:
    """Check the file is for us, from a pinned peer, signed by its pinned key; refuse otherwise."""
    me = identity(session)
    claimed = changeset.peek(data)
    origin = claimed.get("origin")
    p = session.scalar(select(SyncPeer).where(SyncPeer.instance_id == origin))
    if p is None:
        raise Forbidden(f"Change set dari instansi {origin!r} yang belum disematkan; ditolak.")
    try:
        cs = changeset.read(data, p.public_key)
    except changeset.ChangeSetError as exc:
        raise Forbidden(str(exc)) from exc
    if cs.manifest.get("recipient") != me.instance_id:
        raise Forbidden(
            f"Change set ini untuk instansi {cs.manifest.get('recipient')}, bukan {me.instance_id}."
        )
    return me, p, cs


def _authority(me: SyncIdentity, p: SyncPeer, incoming: dict, local: dict | None) -> tuple[str | None, str]:
    """None when `p` may change this ruta here; else (kind, reason) for the conflict table."""
    desas = [d for d in (records.desa_of(incoming), records.desa_of(local)) if d]
    if any(me.wilayah_code and not wilayah.contains(me.wilayah_code, d) for d in desas):
        return KIND_REFUSED, f"ruta di desa {desas[0]} di luar wilayah instansi ini ({me.wilayah_code})"
    if RANK[p.level] > RANK[me.level]:
        return KIND_FROM_ABOVE, (
            f"perubahan dari tingkat {p.level} atas ruta desa; hanya diterapkan bila operator menyetujuinya"
        )
    if RANK[p.level] == RANK[me.level]:
        return KIND_REFUSED, f"instansi setingkat ({p.level}) tidak boleh mengubah ruta instansi lain"
    outside = [d for d in desas if p.wilayah_code and not wilayah.contains(p.wilayah_code, d)]
    if outside:
        return KIND_REFUSED, f"ruta di desa {outside[0]} di luar wilayah {p.instance_id} ({p.wilayah_code})"
    return None, ""


def _keep(session, kind, p: SyncPeer, cs, item, local, reason) -> bool:
    """Record a not-applied change once (the same incoming version again is not a new conflict)."""
    exists = session.scalar(
        select(SyncConflict.id).where(
            SyncConflict.peer == p.instance_id,
            SyncConflict.gid == item["gid"],
            SyncConflict.incoming_hash == item["hash"],
        )
    )
    if exists:
        return False
    session.add(
        SyncConflict(
            kind=kind,
            peer=p.instance_id,
            gid=item["gid"],
            reason=reason,
            local=local,
            incoming=item["state"],
            incoming_hash=item["hash"],
            lineage=item["lineage"],
            set_id=cs.set_id,
            status=OPEN,
        )
    )
    return True


def apply(
    session: Session, data: bytes, *, progress: Callable[[int, int], None] | None = None
) -> ApplyResult:
    """Verify and apply one change set, idempotently. Runs inside the caller's transaction."""
    me, p, cs = verify(session, data)
    result = ApplyResult(cs.origin, cs.set_id)
    m = cs.manifest
    p.last_contact_at = utcnow()
    p.acked_upto = max(p.acked_upto, int(m.get("ack") or 0))
    if session.scalar(
        select(SyncApplied.id).where(SyncApplied.origin == p.instance_id, SyncApplied.set_id == cs.set_id)
    ):
        result.already = True
        result.ack = p.received_upto
        return result
    counts = dict.fromkeys(("diterapkan", "sama", "usang", KIND_CONFLICT, KIND_FROM_ABOVE, KIND_REFUSED), 0)
    actor, reason = sync_actor(p.instance_id), f"sinkronisasi dari {p.instance_id} (set {cs.set_id})"
    total = len(cs.items)
    for n, item in enumerate(cs.items, start=1):
        _apply_item(session, me, p, cs, item, actor, reason, counts)
        if progress:
            progress(n, total)
    if int(m["from"]) <= p.received_upto:
        p.received_upto = max(p.received_upto, int(m["upto"]))
    session.add(
        SyncApplied(
            origin=p.instance_id,
            set_id=cs.set_id,
            seq=int(m["seq"]),
            from_pos=int(m["from"]),
            upto=int(m["upto"]),
            sha256=hashlib.sha256(data).hexdigest(),
            counts=counts,
        )
    )
    session.flush()
    result.counts, result.ack = counts, p.received_upto
    return result


def _apply_item(session, me, p, cs, item, actor, reason, counts) -> None:
    gid, incoming_hash = item["gid"], item["hash"]
    state = item["state"]
    if gid.startswith(documents.KIND + ":"):
        _apply_penetapan(session, me, p, cs, item, actor, reason, counts)
        return
    if gid.startswith(usulan_sync.KIND + ":"):
        _apply_usulan(session, me, p, cs, item, actor, reason, counts)
        return
    if gid.startswith(verval_sync.KIND + ":"):
        _apply_verval(session, me, p, cs, item, actor, reason, counts)
        return
    if records.gid_of(state.get("ref", "")) != gid or records.state_hash(state) != incoming_hash:
        raise Invalid(f"Rekaman {gid}: hash tidak cocok dengan isinya.")
    lineage = set(item.get("lineage") or ()) | {incoming_hash}
    local = records.state_of(session, records.ref_of(gid))
    local_hash = records.state_hash(local) if local is not None else None
    if local_hash == incoming_hash:
        _remember(session, gid, sorted(lineage))
        counts["sama"] += 1
        return
    if incoming_hash in set(_lineage(session, gid)):
        counts["usang"] += 1
        return
    kind, why = _authority(me, p, state, local)
    if kind is not None:
        counts[kind] += _keep(session, kind, p, cs, item, local, why)
        return
    if local is not None and local_hash not in lineage:
        why = "kedua pihak mengubah ruta ini sejak sinkronisasi terakhir"
        counts[KIND_CONFLICT] += _keep(session, KIND_CONFLICT, p, cs, item, local, why)
        return
    records.apply_state(session, state, actor, reason)
    _remember(session, gid, sorted(lineage))
    counts["diterapkan"] += 1


def _apply_penetapan(session, me, p, cs, item, actor, reason, counts) -> None:
    """A penetapan is accepted only from a higher level; it is frozen, so it is new here or already held."""
    if records.state_hash(item["state"]) != item["hash"]:
        raise Invalid(f"Dokumen {item['gid']}: hash tidak cocok dengan isinya.")
    if RANK[p.level] <= RANK[me.level]:
        why = f"penetapan hanya diterima dari tingkat di atas; {p.instance_id} setingkat {p.level}"
        counts[KIND_REFUSED] += _keep(session, KIND_REFUSED, p, cs, item, None, why)
        return
    applied = documents.apply(
        session, me.instance_id, p.instance_id, item["gid"], item["state"], actor, reason
    )
    counts["diterapkan" if applied else "sama"] += 1


def _apply_usulan(session, me, p, cs, item, actor, reason, counts) -> None:
    """Append the steps we do not have; refuse steps outside the sender's level; keep diverged histories."""
    state = item["state"]
    if records.state_hash(state) != item["hash"]:
        raise Invalid(f"Usulan {item['gid']}: hash tidak cocok dengan isinya.")
    uid = usulan_sync.local_id(session, me.instance_id, item["gid"])
    local = usulan_sync.state_of(session, me.instance_id, uid) if uid is not None else None
    verdict = usulan_sync.compare_histories(local["events"] if local else [], state["events"])
    if local is not None and verdict in ("sama", "usang"):
        counts[verdict] += 1
        return
    if verdict == "konflik":
        why = "kedua pihak menambah langkah berbeda pada usulan ini sejak sinkronisasi terakhir"
        counts[KIND_CONFLICT] += _keep(session, KIND_CONFLICT, p, cs, item, local, why)
        return
    why = usulan_sync.refusal(me, p, RANK, state, local["events"] if local else [])
    if why:
        counts[KIND_REFUSED] += _keep(session, KIND_REFUSED, p, cs, item, local, why)
        return
    from_below = RANK[p.level] < RANK[me.level]
    usulan_sync.apply(session, me.instance_id, p.instance_id, item["gid"], state, from_below, actor, reason)
    counts["diterapkan"] += 1


def _apply_verval(session, me, p, cs, item, actor, reason, counts) -> None:
    """Results of a finished run: from below, inside the sender's wilayah, once."""
    if records.state_hash(item["state"]) != item["hash"]:
        raise Invalid(f"Hasil verval {item['gid']}: hash tidak cocok dengan isinya.")
    why = verval_sync.refusal(me, p, RANK, item["state"])
    if why:
        counts[KIND_REFUSED] += _keep(session, KIND_REFUSED, p, cs, item, None, why)
        return
    applied = verval_sync.apply(session, p.instance_id, item["gid"], item["state"], actor, reason)
    counts["diterapkan" if applied else "sama"] += 1


# --- conflicts --------------------------------------------------------------------------------------------


def conflicts(session: Session, *, status: str | None = OPEN) -> list[SyncConflict]:
    stmt = select(SyncConflict).order_by(SyncConflict.id)
    if status:
        stmt = stmt.where(SyncConflict.status == status)
    return list(session.scalars(stmt))


def resolve(session: Session, conflict_id: int, choice: str, actor: str) -> SyncConflict:
    """An operator decides: `kiriman` applies the received version (audited), `lokal` keeps ours.

    Either way both versions stay in the table; choosing `kiriman` for a refused change is not possible.
    """
    c = session.get(SyncConflict, conflict_id)
    if c is None:
        raise NotFound(f"Konflik #{conflict_id} tidak ada.")
    if c.status != OPEN:
        raise Conflict(f"Konflik #{conflict_id} sudah diselesaikan ({c.resolution}).")
    if choice not in ("kiriman", "lokal"):
        raise Invalid("Pilihan penyelesaian: 'kiriman' (terima versi kiriman) atau 'lokal' (pertahankan).")
    if choice == "kiriman" and c.kind == KIND_REFUSED:
        raise Forbidden("Perubahan di luar kewenangan pengirim tidak dapat diterima.")
    if c.gid.startswith(usulan_sync.KIND + ":") and c.kind == KIND_CONFLICT:
        if choice == "kiriman":
            why = f"konflik sinkronisasi #{c.id}: versi {c.peer} diterima"
            me_id = identity(session).instance_id
            usulan_sync.adopt(session, me_id=me_id, gid=c.gid, state=c.incoming, actor=actor, reason=why)
        name = getattr(actor, "username", None) or str(actor)
        c.status, c.resolution, c.resolved_by, c.resolved_at = CLOSED, choice, name[:100], utcnow()
        session.flush()
        return c
    if not c.gid.startswith(records.KIND_RUTA + ":"):  # a refused document: nothing here to keep or change
        name = getattr(actor, "username", None) or str(actor)
        c.status, c.resolution, c.resolved_by, c.resolved_at = CLOSED, choice, name[:100], utcnow()
        return c
    local_now = records.state_of(session, records.ref_of(c.gid))
    hashes = [*c.lineage, c.incoming_hash]
    if local_now is not None:
        hashes.append(records.state_hash(local_now))
    if choice == "kiriman":
        records.apply_state(
            session, c.incoming, actor, f"konflik sinkronisasi #{c.id}: versi {c.peer} diterima"
        )
    _remember(session, c.gid, hashes)  # both histories are now ancestors of what we hold
    name = getattr(actor, "username", None) or str(actor)
    c.status, c.resolution, c.resolved_by, c.resolved_at = CLOSED, choice, name[:100], utcnow()
    session.flush()
    return c


# --- conflicts for an operator (the pages) ----------------------------------------------------------------


def may_view(user) -> bool:
    """Conflicts are read by roles that read the audit trail."""
    return has_permission(user.role, VIEW_AUDIT)


def may_resolve(user) -> bool:
    """Deciding needs both versions in full: audit view and unmasked NIK (kabupaten, provinsi, pusat)."""
    return may_view(user) and has_permission(user.role, VIEW_FULL_NIK)


def _visible(user, c: SyncConflict) -> bool:
    """In the user's wilayah: the ruta's desa lies in it; a conflict without a desa is for national users."""
    scope = Scope.of(user)
    desa = records.desa_of(c.incoming) or records.desa_of(c.local)
    if scope.is_national:
        return True
    return desa is not None and scope.code != "-" and wilayah.contains(scope.code, desa)


def _check_view(user) -> None:
    if not may_view(user):
        raise Forbidden("Peran Anda tidak dapat melihat sinkronisasi.")


def conflicts_for(session: Session, user, *, status: str | None = OPEN) -> list[SyncConflict]:
    """The conflicts `user` may read: open ones (or all with `status=None`), in the user's wilayah."""
    _check_view(user)
    return [c for c in conflicts(session, status=status) if _visible(user, c)]


def conflict_for(session: Session, user, conflict_id: int) -> SyncConflict:
    """One conflict in the user's wilayah; outside it, NotFound (a 403 would confirm that it exists)."""
    _check_view(user)
    c = session.get(SyncConflict, conflict_id)
    if c is None or not _visible(user, c):
        raise NotFound("Konflik tidak ditemukan.")
    return c


def resolve_as(session: Session, user, conflict_id: int, choice: str) -> SyncConflict:
    """`resolve` for a logged-in user: only in their wilayah, only by roles that may decide."""
    conflict_for(session, user, conflict_id)
    if not may_resolve(user):
        raise Forbidden("Peran Anda tidak dapat memutuskan konflik sinkronisasi.")
    return resolve(session, conflict_id, choice, user)


def _flatten(doc, prefix="") -> dict:
    """`{"families": [{"ref": "K1", "members": [...]}]}` → `{"keluarga K1 / anggota K1-1 / nama": …}`."""
    out: dict = {}
    if doc is None:
        return out
    for k, v in doc.items():
        if k == "families":
            for f in v:
                out.update(_flatten(f, f"{prefix}keluarga {f['ref']} / "))
        elif k == "members" and isinstance(v, list):
            for m in v:
                out.update(_flatten(m, f"{prefix}anggota {m['ref']} / "))
        elif k == "events" and isinstance(v, list):
            for i, e in enumerate(v, start=1):
                who = f"{e.get('actor')} ({e.get('role') or '-'})"
                out[f"{prefix}riwayat {i}"] = (
                    f"{e.get('action')} oleh {who}, {e.get('at')}: {e.get('note') or ''}"
                )
        elif k == "findings" and isinstance(v, list):
            out[f"{prefix}temuan"] = len(v)
        elif k == "assessment":
            out[f"{prefix}pendataan"] = json.dumps(v, ensure_ascii=False, sort_keys=True) if v else None
        elif k != "ref":
            out[prefix + k] = v
    return out


def compare(local: dict | None, incoming: dict | None) -> list[tuple[str, object, object, bool]]:
    """Both versions field by field: (field, here, received, differs), for the page and the CLI."""
    a, b = _flatten(local), _flatten(incoming)
    return [(k, a.get(k), b.get(k), a.get(k) != b.get(k)) for k in dict.fromkeys([*a, *b])]


# --- status -----------------------------------------------------------------------------------------------


@dataclass
class PeerStatus:
    instance_id: str
    level: str
    wilayah_code: str | None
    url: str | None
    acked_upto: int
    log_upto: int
    pending_out: int  # ruta changed here that the peer has not acknowledged
    pending: dict  # kind (registry, usulan, verval, penetapan) → items waiting to go to the peer
    received_upto: int
    uploads_in_progress: int
    open_conflicts: int
    last_contact_at: dt.datetime | None


PENDING_KINDS = ("registry", "usulan", "verval", "penetapan")


def pending_for(session: Session, me: SyncIdentity, p: SyncPeer, upto: int) -> dict[str, int]:
    """What the next export to `p` would carry, counted by kind (nothing is written)."""
    down = RANK[p.level] < RANK[me.level]
    return {
        "registry": len(_touched_households(session, me, p, p.acked_upto, upto)),
        "usulan": len(_usulan_out(session, me, p, upto, False)),
        "verval": len(_verval_out(session, me, p, upto, False)),
        "penetapan": len(_penetapan_ids(session, p, upto, False)) if down else 0,
    }


def describe_pending(counts: dict[str, int]) -> str:
    """`3 ruta, 1 usulan, 0 hasil verval, 0 penetapan` for the CLI and the page."""
    labels = {"registry": "ruta", "usulan": "usulan", "verval": "hasil verval", "penetapan": "penetapan"}
    return ", ".join(f"{angka(counts.get(k, 0))} {labels[k]}" for k in PENDING_KINDS)


def status(session: Session) -> list[PeerStatus]:
    me = identity(session)
    upto = session.scalar(select(func.max(AuditEntry.id))) or 0
    out = []
    for p in session.scalars(select(SyncPeer).order_by(SyncPeer.instance_id)):
        by_kind = pending_for(session, me, p, upto)
        pending = by_kind["registry"]
        uploads = session.scalar(
            select(func.count())
            .select_from(SyncUpload)
            .where(SyncUpload.origin == p.instance_id, SyncUpload.received < SyncUpload.total)
        )
        open_ = session.scalar(
            select(func.count())
            .select_from(SyncConflict)
            .where(SyncConflict.peer == p.instance_id, SyncConflict.status == OPEN)
        )
        out.append(
            PeerStatus(
                p.instance_id,
                p.level,
                p.wilayah_code,
                p.url,
                p.acked_upto,
                upto,
                pending,
                by_kind,
                p.received_upto,
                uploads or 0,
                open_ or 0,
                p.last_contact_at,
            )
        )
    return out


def outgoing_pending(session: Session, to: str) -> int:
    """Ruta waiting to go to `to`."""
    return outgoing_by_kind(session, to)["registry"]


def outgoing_by_kind(session: Session, to: str) -> dict[str, int]:
    me, p = identity(session), peer(session, to)
    upto = session.scalar(select(func.max(AuditEntry.id))) or 0
    return pending_for(session, me, p, upto)


def overview(session: Session) -> list[PeerStatus]:
    """`status`, or nothing when this instance has no sync identity or no peers yet (the page shows none)."""
    if session.scalar(select(SyncIdentity.id)) is None:
        return []
    if session.scalar(select(SyncPeer.id).limit(1)) is None:
        return []
    return status(session)

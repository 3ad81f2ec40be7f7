"""Usulan and verval results between a kabupaten, its provinsi and pusat, on each backend.

Three real databases of the same backend in one process (test_processes.py covers separate processes):
an usulan is drafted at a desa of Jember, verified and disahkan at the kabupaten instance, goes up with its
history, is forwarded at the provinsi and accepted at pusat; the decision comes back down. Each side
accepts only the steps of the levels it may hear from; replays and reordered sets change nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from siks.domain.status import RunStatus
from siks.store.db import make_engine
from siks.store.models.registry import AuditEntry, Household
from siks.store.models.usulan import UsulanEvent
from siks.store.models.verval import VervalFinding, VervalRun
from siks.store.verval_runs import latest_finished_id
from siks.sync import changeset, records, service, signing
from sync.support import (
    PDF,
    apply,
    desa_of,
    export,
    finished_run,
    link,
    load_registry,
    make_instance,
    ratified_usulan,
    user,
    usulan_act,
    usulan_held,
)


def _other(db_url: str, request, tmp_path, name: str) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / (name + '.db')}"
    return request.getfixturevalue("pg_server").create_database()


@pytest.fixture
def chain(db_url, request, tmp_path, dtks_csv):
    """kab-jember (35.09) ↔ prov-jatim (35) ↔ pusat, the kabupaten's registry sent up once."""
    kab = make_instance(db_url, "kab-jember", "kabupaten", "35.09", tmp_path)
    prov = make_instance(_other(db_url, request, tmp_path, "prov"), "prov-jatim", "provinsi", "35", tmp_path)
    pusat = make_instance(_other(db_url, request, tmp_path, "pusat"), "pusat", "pusat", None, tmp_path)
    link(kab, prov)
    link(prov, pusat)
    load_registry(kab, dtks_csv)
    apply(prov, export(kab, "prov-jatim"))
    apply(pusat, export(prov, "pusat"))
    apply(prov, export(pusat, "prov-jatim"))  # the acknowledgements travel back
    apply(kab, export(prov, "kab-jember"))
    return kab, prov, pusat


def _households(inst) -> int:
    return inst.run(lambda s: s.scalar(select(func.count()).select_from(Household)))


def test_a_ratified_usulan_goes_up_is_decided_at_pusat_and_the_decision_comes_down(chain, tmp_path):
    kab, prov, pusat = chain
    uid, draft_id = ratified_usulan(kab, tmp_path)
    gid = f"usulan:kab-jember:{uid}"
    assert kab.run(lambda s: service.outgoing_by_kind(s, "prov-jatim"))["usulan"] == 1

    up = export(kab, "prov-jatim")
    result = apply(prov, up)
    assert result.counts["diterapkan"] == 2  # the new ruta (registry) and the usulan
    assert prov.states() == kab.states()
    at_prov = usulan_held(prov, gid)
    assert (at_prov["status"], at_prov["level"]) == ("disahkan", "provinsi")
    assert at_prov["events"] == usulan_held(kab, gid)["events"]
    assert [e["action"] for e in at_prov["events"]] == ["buat", "ajukan", "verifikasi", "sahkan", "terapkan"]
    assert at_prov["batch"]["berita_acara"]["size"] == len(PDF)
    # the draft never reached pengesahan: it stays at the kabupaten
    assert usulan_held(prov, f"usulan:kab-jember:{draft_id}") is None

    households = _households(prov)
    usulan_act(prov, gid, user("op-prov", "operator_provinsi", "35"), "teruskan", "provinsi")
    assert _households(prov) == households  # applied at the kabupaten already: not a second household
    apply(pusat, export(prov, "pusat"))
    at_pusat = usulan_held(pusat, gid)
    assert (at_pusat["status"], at_pusat["level"]) == ("diteruskan", "pusat")
    usulan_act(pusat, gid, user("pusat", "pusat", None), "terima", "pusat")
    assert _households(pusat) == households

    assert pusat.run(lambda s: service.outgoing_by_kind(s, "prov-jatim"))["usulan"] == 1
    down = export(pusat, "prov-jatim")
    assert apply(prov, down).counts["diterapkan"] == 1
    relay = export(prov, "kab-jember")
    assert apply(kab, relay).counts["diterapkan"] == 1
    final = [usulan_held(i, gid) for i in (kab, prov, pusat)]
    assert {(f["status"], f["level"]) for f in final} == {("diterima", None)}
    assert final[0]["events"] == final[1]["events"] == final[2]["events"]
    assert [e["action"] for e in final[0]["events"]][-2:] == ["teruskan", "terima"]
    assert kab.states() == prov.states() == pusat.states()
    # received steps are audited at the receiver under the sender's name
    actors = kab.run(lambda s: set(s.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "usulan"))))
    assert "sync:prov-jatim" in actors

    # replay and reorder: nothing changes, and it says so
    assert apply(kab, relay).already
    assert apply(prov, up).already
    events_before = kab.run(lambda s: s.scalar(select(func.count()).select_from(UsulanEvent)))
    older = prov.run(lambda s: service.export(s, "kab-jember", full=True).data)
    again = apply(kab, older)
    assert again.counts["diterapkan"] == 0 and again.counts["konflik"] == 0
    assert kab.run(lambda s: s.scalar(select(func.count()).select_from(UsulanEvent))) == events_before


def test_an_older_set_arriving_after_a_newer_one_is_stale(chain, tmp_path):
    kab, prov, _ = chain
    uid, _ = ratified_usulan(kab, tmp_path)
    gid = f"usulan:kab-jember:{uid}"
    apply(prov, export(kab, "prov-jatim"))
    first = prov.run(lambda s: service.export(s, "kab-jember", full=True).data)  # before the provinsi acts
    usulan_act(prov, gid, user("op-prov", "operator_provinsi", "35"), "teruskan", "provinsi")
    second = export(prov, "kab-jember")
    assert apply(kab, second).counts["diterapkan"] == 1
    stale = apply(kab, first)
    assert stale.counts["usang"] == 1 and stale.counts["diterapkan"] == 0 and stale.counts["konflik"] == 0
    held = usulan_held(kab, gid)
    assert (held["status"], held["events"][-1]["action"]) == ("diteruskan", "teruskan")


def _forged(src, to: str, item_state: dict, gid: str) -> bytes:
    """A set properly signed by `src` (a buggy or hostile instance) carrying `item_state`."""

    def work(s):
        me, p = service.identity(s), service.peer(s, to)
        p.export_seq += 1
        manifest = {
            "origin": me.instance_id,
            "origin_level": me.level,
            "recipient": to,
            "seq": p.export_seq,
            "from": 0,
            "upto": 0,
            "ack": 0,
            "set_id": f"palsu{p.export_seq:027d}",
            "created_at": "2026-12-07T00:00:00",
        }
        h = records.state_hash(item_state)
        item = {"gid": gid, "hash": h, "lineage": [h], "state": item_state}
        return changeset.build(manifest, [item], signing.load(me.key_path))

    return src.run(work)


def test_each_level_accepts_only_the_steps_it_may_hear_from(chain, tmp_path):
    kab, prov, pusat = chain
    uid, _ = ratified_usulan(kab, tmp_path)
    gid = f"usulan:kab-jember:{uid}"
    state = usulan_held(kab, gid)
    state = {k: v for k, v in state.items() if k not in ("status", "level")}

    # a kabupaten cannot take the provinsi's step itself
    step = {"action": "teruskan", "from_status": "disahkan", "to_status": "diteruskan"}
    step |= {"from_level": "provinsi", "to_level": None}
    forward = {**state, "events": [*state["events"], {**state["events"][-1], **step}]}
    r = apply(prov, _forged(kab, "prov-jatim", forward, gid))
    assert r.counts["ditolak"] == 1 and usulan_held(prov, gid) is None

    # nor send an usulan of another kabupaten's desa (Banyuwangi, 35.10)
    elsewhere = {**state, "desa_code": "35.10.01.2001"}
    r = apply(prov, _forged(kab, "prov-jatim", elsewhere, "usulan:kab-jember:999"))
    assert r.counts["ditolak"] == 1

    # nor an usulan that was never disahkan
    unratified = {**state, "events": state["events"][:3]}
    r = apply(prov, _forged(kab, "prov-jatim", unratified, "usulan:kab-jember:998"))
    assert r.counts["ditolak"] == 1

    # the real one is applied; then the provinsi cannot pretend the kabupaten sent it back
    apply(prov, export(kab, "prov-jatim"))
    step = {"action": "tolak", "from_status": "disahkan", "to_status": "ditolak"}
    step |= {"from_level": "kabupaten", "to_level": None}
    back = {**state, "events": [*state["events"], {**state["events"][-1], **step}]}
    r = apply(kab, _forged(prov, "kab-jember", back, gid))
    assert r.counts["ditolak"] == 1
    assert usulan_held(kab, gid)["status"] == "disahkan"
    refused = [c for c in kab.conflicts() if c[1] == "ditolak"]
    assert refused and refused[0][2] == gid  # listed, not dropped
    assert len([c for c in prov.conflicts() if c[1] == "ditolak"]) == 3


def test_diverged_histories_are_a_conflict_with_both_versions(chain, tmp_path):
    kab, prov, _ = chain
    uid, _ = ratified_usulan(kab, tmp_path)
    gid = f"usulan:kab-jember:{uid}"
    apply(prov, export(kab, "prov-jatim"))
    usulan_act(prov, gid, user("op-prov", "operator_provinsi", "35"), "teruskan", "provinsi")
    # meanwhile a second copy of the provinsi (restored from a backup) took another step: simulate by a
    # set signed by the provinsi whose history differs after the common part
    state = {k: v for k, v in usulan_held(prov, gid).items() if k not in ("status", "level")}
    apply(kab, export(prov, "kab-jember"))
    other = {**state, "events": [*state["events"][:-1], {**state["events"][-1], "action": "tolak",
             "to_status": "ditolak", "note": "versi lain"}]}  # fmt: skip
    r = apply(kab, _forged(prov, "kab-jember", other, gid))
    assert r.counts["konflik"] == 1
    [(cid, kind, cgid, _, status)] = [c for c in kab.conflicts() if c[1] == "konflik"]
    assert (cgid, status) == (gid, "terbuka")
    rows = kab.run(
        lambda s: service.compare(
            s.get(service.SyncConflict, cid).local, s.get(service.SyncConflict, cid).incoming
        )
    )
    differing = [r for r in rows if r[3]]
    assert any("teruskan" in str(r[1]) and "tolak" in str(r[2]) for r in differing)
    assert usulan_held(kab, gid)["status"] == "diteruskan"  # untouched until an operator decides
    shown = kab.cli("conflicts").stdout  # the CLI shows both histories where they differ
    assert "riwayat 6" in shown and "teruskan" in shown and "tolak" in shown
    events_before = len(usulan_held(kab, gid)["events"])
    kab.run(lambda s: service.resolve(s, cid, "kiriman", "operator-kab"))
    after = usulan_held(kab, gid)
    assert (after["status"], after["level"]) == ("ditolak", None)  # the received position
    assert len(after["events"]) == events_before + 1  # appended; the local step stays in the history
    assert [e["action"] for e in after["events"]][-2:] == ["teruskan", "tolak"]


def test_verval_results_go_up_once_and_never_become_the_receivers_own_run(chain):
    kab, prov, pusat = chain
    finished_run(kab, "20261201T080000-abc123", desa_of(kab))
    assert kab.run(lambda s: service.outgoing_by_kind(s, "prov-jatim"))["verval"] == 1
    data = export(kab, "prov-jatim")
    assert apply(prov, data).counts["diterapkan"] == 1
    assert apply(prov, data).already
    apply(pusat, export(prov, "pusat"))  # relayed up

    def held(s):
        runs = s.scalars(select(VervalRun).where(VervalRun.status == RunStatus.KIRIMAN.value)).all()
        return [(r.actor, r.finding_count, s.scalar(select(func.count()).select_from(VervalFinding).where(
            VervalFinding.run_id == r.id))) for r in runs], latest_finished_id(s)  # fmt: skip

    for inst in (prov, pusat):
        runs, latest = inst.run(held)
        assert runs == [("kab-jember: op-kab", 2, 2)]
        assert latest is None  # the kabupaten's run is not this instance's latest run
    # the verval report reads the received run under its local id
    from siks.sync import verval as verval_sync
    from siks.verval import report

    local = verval_sync.local_run_id("verval:kab-jember:20261201T080000-abc123")
    engine = make_engine(pusat.url)
    try:
        assert sorted(r["code"] for r in report.counts(engine, local)) == ["MENINGGAL", "NIK_GANDA"]
    finally:
        engine.dispose()
    # results never go down, and a kabupaten may not report on another kabupaten's people
    assert prov.run(lambda s: service.outgoing_by_kind(s, "kab-jember"))["verval"] == 0
    finished_run(kab, "20261202T080000-def456", "35.10.01.2001")
    r = apply(prov, export(kab, "prov-jatim"))
    assert r.counts["ditolak"] == 1


def test_status_counts_what_waits_by_kind(chain, tmp_path):
    kab, prov, _ = chain
    ratified_usulan(kab, tmp_path)
    finished_run(kab, "20261203T080000-aaa111", desa_of(kab))
    [row] = kab.run(service.status)
    assert row.pending == {"registry": 1, "usulan": 1, "verval": 1, "penetapan": 0}
    out = kab.cli("status")
    assert "1 ruta, 1 usulan, 1 hasil verval, 0 penetapan" in out.stdout
    apply(prov, export(kab, "prov-jatim"))
    apply(kab, export(prov, "kab-jember"))  # carries the ack
    [row] = kab.run(service.status)
    assert row.pending == {"registry": 0, "usulan": 0, "verval": 0, "penetapan": 0}

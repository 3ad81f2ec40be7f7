"""The audit trail: what an entry holds, append-only, scoped reading, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import delete, select, update

from siks import audit
from siks.audit.service import AppendOnly
from siks.errors import Forbidden
from siks.registry import lookup
from siks.store.models.registry import AuditEntry
from web.support import nik_for, user

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx.*")


def test_record_change_keeps_who_what_before_after_why(session):
    actor = user(session, "opkab")
    e = audit.record_change(
        session, actor, "member", 7,
        {"nama": "Siti", "tanggal_lahir": dt.date(1979, 8, 2), "rt": "001"},
        {"nama": "Siti Aminah", "tanggal_lahir": dt.date(1979, 8, 2), "rt": "001"},
        "salah ketik nama",
    )  # fmt: skip
    session.flush()
    assert (e.actor, e.action, e.entity, e.entity_id) == ("opkab", "ubah", "member", 7)
    assert e.before == {"nama": "Siti"} and e.after == {"nama": "Siti Aminah"}  # only what changed
    assert e.reason == "salah ketik nama" and e.at is not None
    created = audit.record_change(session, "impor", "household", 1, None, {"d": dt.date(2024, 1, 2)}, None)
    assert created.action == "buat" and created.after == {"d": "2024-01-02"} and created.actor == "impor"


def test_audit_is_append_only(session):
    e = audit.record_change(session, "uji", "household", 1, None, {"alamat": "x"}, "uji")
    session.flush()
    e.reason = "diubah diam-diam"
    with pytest.raises(AppendOnly):
        session.flush()
    session.rollback()
    e = audit.record_change(session, "uji", "household", 1, None, {"alamat": "x"}, "uji")
    session.flush()
    session.delete(e)
    with pytest.raises(AppendOnly):
        session.flush()
    session.rollback()
    with pytest.raises(AppendOnly):
        session.execute(update(AuditEntry).values(reason="x"))
    with pytest.raises(AppendOnly):
        session.execute(delete(AuditEntry))
    public = [n for n in dir(audit) if not n.startswith("_")]
    assert not [n for n in public if any(w in n.lower() for w in ("update", "delete", "remove", "edit"))]


def test_household_page_shows_its_history_masked_per_role(session, seed):
    hid = seed.households["R1"]
    mid = seed.members["R1-1"]
    audit.record_change(
        session, "opkab", "member", mid, {"nik": nik_for("R1", 9)}, {"nik": nik_for("R1", 1)}, "NIK"
    )
    session.flush()
    full = lookup.household_detail(session, user(session, "desa"), hid).audit
    assert full[0].after == {"nik": nik_for("R1", 1)}
    masked = lookup.household_detail(session, user(session, "auditor"), hid).audit
    assert masked[0].after["nik"] != nik_for("R1", 1) and masked[0].after["nik"].endswith(
        nik_for("R1", 1)[-4:]
    )


def test_export_csv_scoped_and_permission(session, seed):
    opkab = user(session, "opkab")
    lookup.update_household_address(
        session, opkab, seed.households["R2"], {"alamat": "=HYPERLINK()"}, "uji ekspor"
    )
    lookup.update_household_address(session, user(session, "opkab_out"), seed.households["RX"],
                                    {"alamat": "Banyuwangi"}, "uji ekspor")  # fmt: skip
    session.flush()
    text = "".join(audit.export_csv(session, user(session, "auditor"), entity="household"))
    rows = list(csv.DictReader(io.StringIO(text)))
    ids = {int(r["entity_id"]) for r in rows}
    assert seed.households["R2"] in ids and seed.households["RX"] not in ids
    assert list(rows[0]) == list(audit.service.CSV_COLUMNS)
    assert all(not r["after"].startswith("=") for r in rows)
    for name in ("desa", "kec", "enum"):
        with pytest.raises(Forbidden):
            audit.export_csv(session, user(session, name))


def test_export_over_http(client_for, app):
    r = client_for("auditor").get("/audit/ekspor.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.text.lstrip("\ufeff").startswith("id,at,actor")
    assert client_for("desa").get("/audit/ekspor.csv").status_code == 403
    assert client_for("desa").get("/api/v1/audit.csv").status_code == 403
    page = client_for("supkab").get("/audit")
    assert page.status_code == 200 and "Jejak audit" in page.text
    assert client_for("pusat").get("/api/v1/audit").json()["items"] is not None


def test_every_change_through_the_web_is_audited(client_for, sqlite_engine):
    client = client_for("desa")
    hid = sqlite_engine.seed.households["R2"]
    csrf = client.headers["X-CSRF-Token"]
    r = client.post(
        f"/ruta/{hid}/ubah",
        data={
            "versi": client.get(f"/api/v1/households/{hid}").json()["version"],
            "alasan": "salah dusun",
            "dusun": "Gumuk",
            "rw": "1",
            "rt": "2",
            "alamat": "Jl. Mawar R2",
            "csrf_token": csrf,
        },  # fmt: skip
        follow_redirects=False,
    )
    assert r.status_code == 303
    from siks.store.db import transaction

    with transaction(sqlite_engine) as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (last.actor, last.entity, last.entity_id, last.reason) == ("desa", "household", hid, "salah dusun")
    assert last.before == {"dusun": "Krajan"} and last.after == {"dusun": "Gumuk"}
    page = client.get(f"/ruta/{hid}")
    assert "salah dusun" in page.text and "Gumuk" in page.text

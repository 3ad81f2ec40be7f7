"""0010_status_enums rewrites the stored usulan/batch state `draft` as `draf` on both databases, and back."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select

import siks.store.models  # noqa: F401 - every table on Base.metadata
from siks.domain.status import STATUS_ENUMS, BatchStatus
from siks.domain.usulan import Status
from siks.store.base import Base
from siks.store.db import make_engine, migrations_dir, upgrade

T = Base.metadata.tables


def _stored(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {
            "usulan": conn.scalars(select(T["usulan"].c.status).order_by(T["usulan"].c.id)).all(),
            "batch": conn.scalars(select(T["usulan_batch"].c.status)).all(),
            "event": conn.execute(
                select(T["usulan_event"].c.from_status, T["usulan_event"].c.to_status).order_by(
                    T["usulan_event"].c.usulan_id
                )
            ).all(),
            "frozen": conn.scalars(select(T["penetapan_usulan"].c.status)).all(),
        }


def test_draft_becomes_draf_everywhere_and_back(db_url):
    upgrade(db_url, "0006_web_speed")
    engine = make_engine(db_url)
    usulan = {"kind": "tambah", "subkind": "ruta", "desa_code": "35.09.15.2001", "payload": {}}
    with engine.begin() as conn:
        conn.execute(insert(T["usulan_batch"]), [{"id": 1, "desa_code": "35.09.15.2001", "title": "Musdes"}])
        conn.execute(T["usulan_batch"].update().values(status="draft"))
        conn.execute(
            insert(T["usulan"]),
            [{"id": 1, "status": "draft", **usulan}, {"id": 2, "status": "diajukan", **usulan}],
        )
        conn.execute(
            insert(T["usulan_event"]),
            [
                {"usulan_id": 1, "actor": "a", "action": "buat", "from_status": None, "to_status": "draft"},
                {
                    "usulan_id": 2,
                    "actor": "a",
                    "action": "ajukan",
                    "from_status": "draft",
                    "to_status": "diajukan",
                },
            ],
        )
        conn.execute(
            insert(T["penetapan"]),
            [
                {
                    "id": 1,
                    "title": "t",
                    "periode": "2027",
                    "berlaku_mulai": dt.date(2027, 1, 1),
                    "criteria": {},
                    "criteria_key": "k",
                    "created_by": "a",
                }
            ],
        )
        frozen = {k: usulan[k] for k in ("kind", "subkind", "desa_code")}
        conn.execute(
            insert(T["penetapan_usulan"]), [{"penetapan_id": 1, "usulan_id": 1, "status": "draft", **frozen}]
        )
    before = _stored(engine)
    engine.dispose()

    upgrade(db_url, "0010_status_enums")
    engine = make_engine(db_url)
    after = _stored(engine)
    assert after == {
        "usulan": [Status.DRAF, Status.DIAJUKAN],
        "batch": [BatchStatus.DRAF],
        "event": [(None, "draf"), ("draf", "diajukan")],
        "frozen": ["draf"],
    }
    engine.dispose()

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", db_url)
    command.downgrade(config, "0006_web_speed")
    engine = make_engine(db_url)
    assert _stored(engine) == before
    engine.dispose()


def test_the_vocabulary_has_one_convention():
    """Lower-case Indonesian words joined by `_`, member name = value in upper case, every one labelled."""
    from siks.domain.status import LABEL, label_of

    members = [m for enum in (*STATUS_ENUMS, Status) for m in enum]
    assert all(m.value == m.name.lower() and m.value.replace("_", "").isalpha() for m in members)
    english = {"draft", "rejected", "imported", "unchanged", "running", "done", "failed", "submitted"}
    assert not english & {m.value for m in members}
    assert all(LABEL[m] for enum in STATUS_ENUMS for m in enum)
    assert label_of("task", "ditugaskan") == "Belum dikunjungi" and label_of("batch", "draf") == "Draf"

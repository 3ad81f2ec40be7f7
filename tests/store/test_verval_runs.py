"""One "latest finished verval run" for every reader: penetapan, household page, ganda, dashboard, CLI."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from siks.errors import Invalid
from siks.store import verval_runs
from siks.store.db import make_engine, upgrade
from siks.store.models.verval import VervalRun
from siks.verval import storage

T0 = dt.datetime(2026, 1, 5, 8, 0)


def _run(run_id, status, started_h, finished_h=None):
    finished = T0 + dt.timedelta(hours=finished_h) if finished_h is not None else None
    return VervalRun(id=run_id, status=status, actor="t", started_at=T0 + dt.timedelta(hours=started_h),
                     finished_at=finished)  # fmt: skip


def test_every_reader_names_the_same_latest_finished_run(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine) as s, s.begin():
        assert verval_runs.latest_finished(s) is None and storage.last_run_id(engine) is None
        s.add_all([
            _run("lama", "selesai", 0, 1),
            _run("panjang", "selesai", 2, 9),  # started before "cepat" but finished after it
            _run("cepat", "selesai", 3, 4),
            _run("berjalan", "berjalan", 10),
            _run("gagal", "gagal", 11, 12),
        ])  # fmt: skip
    with Session(engine) as s:
        assert verval_runs.latest_finished_id(s) == "panjang"
        assert [r.id for r in verval_runs.finished_runs(s, 2)] == ["panjang", "cepat"]
        assert verval_runs.finished_run(s, None).id == "panjang"
        assert verval_runs.finished_run(s, "cepat").id == "cepat"
        for not_finished in ("berjalan", "gagal", "tidak-ada"):
            with pytest.raises(Invalid, match="belum selesai"):
                verval_runs.finished_run(s, not_finished)
    assert storage.last_run_id(engine) == "panjang"
    engine.dispose()

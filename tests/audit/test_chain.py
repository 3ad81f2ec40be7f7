"""The audit hash chain (#17.14): every writer seals, `siks audit verify` finds a row changed by SQL, a row
removed, or entries cut from the end; migration 0014 seals the entries written before it. Both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from siks.audit import chain, record_change
from siks.cli import app
from siks.domain.audit_chain import FIELDS, link
from siks.registry import sample
from siks.registry.importer import import_file
from siks.store.db import make_engine, session_factory, transaction, upgrade
from siks.store.models import AuditEntry

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def engine(db_url):
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def _write(engine, tmp_path) -> None:
    """Entries from the ORM (one and several per transaction) and from a bulk import, interleaved."""
    with transaction(engine) as s:
        record_change(s, "budi", "household", 1, None, {"rt": "001", "luas": 36.0}, "baru")
    path = sample.write_csv(sample.rows(12, seed=3), tmp_path / "dtks.csv")
    assert import_file(engine, path, "impor-uji").status.value == "dimuat"
    with transaction(engine) as s:
        record_change(s, "sari", "member", 7, {"nama": "A"}, {"nama": "B"}, "ejaan", action="ubah")
        s.flush()
        record_change(s, "sari", "member", 8, None, {"tanggal": dt.date(2024, 1, 2), "n": 10**20}, None)
    with transaction(engine) as s:  # a rolled-back savepoint leaves no gap in the chain
        sp = s.begin_nested()
        record_change(s, "x", "member", 9, None, {"a": 1}, None)
        s.flush()
        sp.rollback()
        record_change(s, "sari", "family", 3, None, {"kk": "3509150101010001"}, "KK baru")


def _verify(engine) -> chain.Verdict:
    with session_factory(engine)() as s:
        return chain.verify(s)


def test_every_writer_seals_and_verify_holds(engine, tmp_path, db_url):
    _write(engine, tmp_path)
    with session_factory(engine)() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert len(rows) >= 5 and all(r.hash for r in rows)
    assert [r.id for r in rows] == list(range(rows[0].id, rows[0].id + len(rows)))
    prev = ""
    for r in rows:  # recomputed here from what the database gives back
        assert r.hash == link(prev, {k: getattr(r, k) for k in FIELDS})
        prev = r.hash
    assert _verify(engine).ok and _verify(engine).checked == len(rows)
    out = runner.invoke(app, ["audit", "verify", "--db", db_url])
    assert out.exit_code == 0 and f"{len(rows)} entri diperiksa" in out.output


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_log SET reason = 'tidak ada apa-apa' WHERE id = {mid}",
        "UPDATE audit_log SET actor = 'orang lain' WHERE id = {mid}",
        "UPDATE audit_log SET at = at + INTERVAL '1 hour' WHERE id = {mid}|"
        "UPDATE audit_log SET at = datetime(at, '+1 hour') WHERE id = {mid}",
        "DELETE FROM audit_log WHERE id = {mid}",
    ],
    ids=["reason", "actor", "time", "deleted"],
)
def test_a_row_changed_by_sql_breaks_the_chain_at_that_row(engine, tmp_path, db_url, tamper):
    _write(engine, tmp_path)
    with session_factory(engine)() as s:
        ids = s.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
    mid = ids[len(ids) // 2]
    pg, lite = (tamper.split("|") + [tamper])[:2]
    with engine.begin() as conn:
        conn.execute(text((pg if engine.dialect.name == "postgresql" else lite).format(mid=mid)))
    verdict = _verify(engine)
    expected = ids[ids.index(mid) + 1] if tamper.startswith("DELETE") else mid
    assert not verdict.ok and verdict.broken_id == expected
    assert verdict.checked == ids.index(mid)
    out = runner.invoke(app, ["audit", "verify", "--db", db_url])
    assert out.exit_code == 1 and f"entri #{expected}" in out.output and "putus" in out.output


def test_entries_cut_from_the_end_are_found(engine, tmp_path):
    _write(engine, tmp_path)
    with engine.begin() as conn:
        last = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        conn.execute(text(f"DELETE FROM audit_log WHERE id = {last}"))
    verdict = _verify(engine)
    assert not verdict.ok and f"#{last}" in verdict.problem and "akhir" in verdict.problem


def test_a_rewritten_hash_does_not_hide_a_change(engine, tmp_path):
    """Recomputing the changed row's own hash breaks the next link instead."""
    _write(engine, tmp_path)
    with session_factory(engine)() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    first, second = rows[0], rows[1]
    doc = {k: getattr(first, k) for k in FIELDS}
    doc["reason"] = "diubah"
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET reason = 'diubah', hash = :h WHERE id = :i"),
            {"h": link("", doc), "i": first.id},
        )
    verdict = _verify(engine)
    assert verdict.broken_id == second.id


def test_migration_seals_the_entries_written_before_it(db_url):
    upgrade(db_url, "0009_sync")
    eng = make_engine(db_url)
    try:
        with eng.begin() as conn:
            for i, (actor, after) in enumerate(
                [("a", '{"x": 1.0}'), ("b", '{"y": "z", "n": null}'), ("c", None)]
            ):
                conn.execute(
                    text(
                        "INSERT INTO audit_log (at, actor, action, entity, entity_id, after, reason) "
                        "VALUES (:at, :actor, 'buat', 'member', :i, :after, 'lama')"
                    ),
                    {
                        "at": dt.datetime(2024, 1, 1, 8, i, tzinfo=dt.UTC),
                        "actor": actor,
                        "i": i,
                        "after": after,
                    },
                )
        upgrade(db_url)
        assert _verify(eng).ok and _verify(eng).checked == 3
        with transaction(eng) as s:  # the next entry links to the sealed ones
            record_change(s, "d", "member", 9, None, {"x": 2}, None)
        with session_factory(eng)() as s:
            assert [e.id for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [1, 2, 3, 4]
        assert _verify(eng).ok and _verify(eng).checked == 4
    finally:
        eng.dispose()


def test_command_line_entries_name_the_operating_system_user(engine, db_url):
    out = runner.invoke(
        app, ["user", "add", "opdesa9", "--peran", "operator_desa", "--wilayah", "3509152001",
              "--password-stdin", "--db", db_url], input="rahasia-panjang-sekali-123\n",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    with session_factory(engine)() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "user")).one()
    assert entry.origin and entry.origin.startswith("os:") and "@" in entry.origin
    assert _verify(engine).ok

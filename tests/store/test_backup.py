"""`siks backup` / `siks restore` round trip on both databases (#17.14): a registry with an import, audit
entries and an usulan-free workflow is backed up, restored into a fresh database and compared table by
table; the restored audit chain still verifies and new writes continue it. Refusals are clear."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from siks.audit import chain, record_change
from siks.cli import app
from siks.registry import sample
from siks.registry.importer import import_file
from siks.store.db import make_engine, session_factory, transaction, upgrade

runner = CliRunner(env={"COLUMNS": "200"})


def _fresh(db_url: str, request, tmp_path) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'pulih.db'}"
    return request.getfixturevalue("pg_server").create_database()


def _contents(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by its primary key: what a restore must give back."""
    engine = make_engine(url)
    try:
        insp = inspect(engine)
        out = {}
        with engine.connect() as conn:
            for table in sorted(insp.get_table_names()):
                pk = insp.get_pk_constraint(table)["constrained_columns"] or [
                    c["name"] for c in insp.get_columns(table)
                ]
                order = ", ".join(f'"{c}"' for c in pk)
                out[table] = [
                    tuple(r) for r in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}'))
                ]
        return out
    finally:
        engine.dispose()


@pytest.fixture
def filled(db_url, tmp_path):
    upgrade(db_url)
    engine = make_engine(db_url)
    path = sample.write_csv(sample.rows(40, seed=5), tmp_path / "dtks.csv")
    assert import_file(engine, path, "operator1").status.value == "dimuat"
    with transaction(engine) as s:
        record_change(s, "budi", "household", 1, {"rt": "001"}, {"rt": "002"}, "pindah RT")
    engine.dispose()
    return db_url


def test_backup_restores_into_a_fresh_database_equal_table_by_table(filled, request, tmp_path):
    out = tmp_path / "cadangan" / "siks.bak"
    done = runner.invoke(app, ["backup", "--db", filled, "--keluar", str(out)])
    assert done.exit_code == 0, done.output
    assert out.exists() and "Cadangan ditulis" in done.output

    target = _fresh(filled, request, tmp_path)
    back = runner.invoke(app, ["restore", str(out), "--db", target])
    assert back.exit_code == 0, back.output

    before, after = _contents(filled), _contents(target)
    assert before.keys() == after.keys() and "member" in after and len(after["member"]) == 40
    for table in before:
        assert before[table] == after[table], table
    assert runner.invoke(app, ["audit", "verify", "--db", target]).exit_code == 0

    engine = make_engine(target)  # the restored database takes new writes, and the chain goes on
    try:
        with transaction(engine) as s:
            record_change(s, "sari", "member", 2, None, {"nama": "X"}, None)
        with session_factory(engine)() as s:
            assert chain.verify(s).ok
            assert (
                s.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == len(after["audit_log"]) + 1
            )
    finally:
        engine.dispose()


def test_restore_refuses_a_database_with_tables_unless_forced(filled, tmp_path):
    out = tmp_path / "siks.bak"
    assert runner.invoke(app, ["backup", "--db", filled, "--keluar", str(out)]).exit_code == 0
    again = runner.invoke(app, ["backup", "--db", filled, "--keluar", str(out)])
    assert again.exit_code == 1 and "sudah ada" in again.output  # a backup is never overwritten

    engine = make_engine(filled)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM assessment_member"))
        refused = runner.invoke(app, ["restore", str(out), "--db", filled])
        assert refused.exit_code == 1 and "--paksa" in refused.output
        forced = runner.invoke(app, ["restore", str(out), "--db", filled, "--paksa"])
        assert forced.exit_code == 0, forced.output
        with engine.connect() as conn:
            assert (
                conn.execute(select(text("count(*)")).select_from(text("assessment_member"))).scalar_one()
                == 40
            )
    finally:
        engine.dispose()


def test_restore_refuses_a_file_of_the_other_kind(filled, tmp_path):
    junk = tmp_path / "bukan.bak"
    junk.write_bytes(b"hello, this is not a backup")
    out = runner.invoke(app, ["restore", str(junk), "--db", filled])
    assert out.exit_code == 1 and "bukan cadangan siks" in out.output
    other = tmp_path / "lain.bak"
    other.write_bytes(
        b"PGDMP" + b"\0" * 64 if filled.startswith("sqlite") else b"SQLite format 3\x00" + b"\0" * 84
    )
    out = runner.invoke(app, ["restore", str(other), "--db", filled])
    assert out.exit_code == 1 and "sejenis" in out.output

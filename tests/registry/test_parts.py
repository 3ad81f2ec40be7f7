"""A big file is validated and written in parts of whole ruta and keluarga, with the whole file's outcome."""

from __future__ import annotations

import csv
import random

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import text

from siks.domain.instruments import DEFAULT_INSTRUMENT
from siks.domain.status import ImportStatus
from siks.registry import loader, parts, readers, sample
from siks.registry.importer import _dictionary_columns, _merged, _PartChecker, import_file
from siks.registry.validation import reference_validate

from .conftest import table_counts
from .test_validation import TODAY, _mutate


def _groups_kept_whole(codes: list[str], cuts: list[tuple[int, int]]) -> bool:
    part_of = {}
    for p, (start, stop) in enumerate(cuts):
        for i in range(start, stop):
            key = "".join(ch for ch in codes[i] if ch.isalnum()).upper() or "#"
            if codes[i].strip() and part_of.setdefault(key, p) != p:
                return False
    return True


@pytest.mark.parametrize("seed", range(6))
def test_split_covers_the_file_and_never_cuts_a_group(seed):
    rnd = random.Random(seed)
    ruta = [f"R{i // 3}" for i in range(500)]
    kel = [f"K{i // 2}" for i in range(500)]
    for k in range(20):  # rows of a ruta further down (twice far away), spacing and case variants, empty ids
        i = rnd.randrange(490)
        j = rnd.randrange(500) if k < 2 else i + rnd.randrange(1, 10)
        ruta[i] = rnd.choice([ruta[j], f" {ruta[j]} ", ruta[j].lower(), ""])
    ruta[rnd.randrange(500)] = ruta[rnd.randrange(500)] = "-"  # no letters or digits: one group of its own
    cuts = parts.split([pa.array(ruta), pa.array(kel).dictionary_encode()], 500, part_rows=40)
    assert cuts[0][0] == 0 and cuts[-1][1] == 500
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(cuts, cuts[1:], strict=False))
    assert len(cuts) > 3  # most of the file is in order, so it is cut
    assert _groups_kept_whole(ruta, cuts) and _groups_kept_whole(kel, cuts)


def test_a_file_of_one_scattered_group_is_one_part():
    ruta = ["R1", *[f"R{i}" for i in range(2, 300)], "R1"]
    assert parts.split([pa.array(ruta)], len(ruta), part_rows=10) == [(0, 300)]


def _read(tmp_path, records):
    path = tmp_path / "f.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    return readers.read_file(path, dictionary=_dictionary_columns(DEFAULT_INSTRUMENT))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_validating_in_parts_equals_the_row_by_row_definition(tmp_path, seed, monkeypatch):
    """Mutations include rows moved to another ruta, so some groups are scattered over the file."""
    monkeypatch.setattr(parts, "PART_ROWS", 37)
    records = _mutate(sample.records(500, seed=seed, warning_rate=0.05), seed, rate=0.1)
    raw = _read(tmp_path, records)
    cuts = parts.split([raw.columns["id_ruta"], raw.columns["id_keluarga"]], raw.n_rows)
    assert len(cuts) > 5
    timings: dict[str, float] = {}
    check = _PartChecker(raw, DEFAULT_INSTRUMENT, False, TODAY, timings)
    found = _merged([check(c) for c in cuts])
    _, expected = reference_validate(
        [raw.row_dict(i) for i in range(raw.n_rows)],
        raw.row_numbers.tolist(),
        instrument=DEFAULT_INSTRUMENT,
        reference_date=TODAY,
    )
    assert found == expected
    assert any(i.is_error for i in found) and check.memo  # errors were covered; dictionaries were shared
    assert timings["validate"] > 0


@pytest.fixture
def small_parts(monkeypatch):
    """Parts of 40 rows and the bulk path from 10 rows: a test file behaves like a million-row one."""
    monkeypatch.setattr(parts, "PART_ROWS", 40)
    monkeypatch.setattr(loader, "BULK_MIN_ROWS", 10)
    monkeypatch.setattr("siks.registry.importer.BULK_MIN_ROWS", 10)


def _members(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT m.ref, m.nama, m.nik, f.ref, h.ref, k.kk_number FROM member m "
                    "JOIN family f ON f.id = m.family_id JOIN household h ON h.id = f.household_id "
                    "LEFT JOIN family_kk k ON k.family_id = f.id ORDER BY m.ref"
                )
            )
        ]


def test_import_in_parts_writes_every_record_once(engine, tmp_path, small_parts):
    table = sample.rows(300, seed=31, prefix="P1", warning_rate=0.1)
    path = sample.write_csv(table, tmp_path / "p.csv")
    before = table_counts(engine)
    result = import_file(engine, path, "tester")
    assert result.status == ImportStatus.DIMUAT, result.errors[:3]
    after = table_counts(engine)
    assert after["member"] - before["member"] == result.inserted == 300
    assert after["household"] - before["household"] == len(set(table.column("id_ruta").to_pylist()))
    assert after["assessment"] - before["assessment"] == after["household"] - before["household"]
    assert result.warnings and len(result.warnings) == sum(
        1 for n in table.column("nik").to_pylist() if not n
    )
    rows = {r[0]: r for r in _members(engine) if r[0].startswith("P1")}
    file_rows = table.to_pylist()
    for r in file_rows:
        ref = f"{r['id_keluarga']}-{int(r['no_urut'])}"
        assert rows[ref][1:5] == (r["nama"], r["nik"] or None, r["id_keluarga"], r["id_ruta"])
    with engine.connect() as conn:
        batch = conn.execute(
            text("SELECT rows, inserted, warning_count FROM import_batch WHERE id = :i"),
            {"i": result.batch_id},
        ).one()
        ids = [r[0] for r in conn.execute(text("SELECT id FROM member ORDER BY id"))]
    assert tuple(batch) == (300, 300, len(result.warnings))
    assert len(ids) == len(set(ids))
    assert import_file(engine, path, "tester", force=True).status == ImportStatus.TIDAK_BERUBAH


def test_an_error_in_the_last_part_writes_nothing_and_reports_everything(engine, tmp_path, small_parts):
    records = sample.records(300, seed=32, warning_rate=0.1)
    for r in records:
        r["id_ruta"], r["id_keluarga"] = "P2" + r["id_ruta"], "P2" + r["id_keluarga"]
    records[-1]["nik"] = "350915410180001"  # 15 digits: an error in the last part
    records[5]["tanggal_lahir"] = "2024-02-30"  # and one in the first part, found before any write
    path = tmp_path / "bad.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    before = table_counts(engine)
    result = import_file(engine, path, "tester")
    assert result.status == ImportStatus.DITOLAK
    assert [(i.code, i.rows) for i in result.errors] == [("DATE_INVALID", (7,)), ("NIK_FORMAT", (301,))]
    assert result.warnings  # the warnings of every part are reported too
    assert table_counts(engine) == before

    records[5]["tanggal_lahir"] = "1980-01-01"  # now only the last part is bad: parts are written first
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    result = import_file(engine, path, "tester")
    assert [(i.code, i.rows) for i in result.errors] == [("NIK_FORMAT", (301,))]
    assert table_counts(engine) == before


def test_updates_in_parts_are_matched_and_audited(engine, tmp_path, small_parts):
    table = sample.rows(200, seed=33, prefix="P3")
    first = import_file(engine, sample.write_csv(table, tmp_path / "a.csv"), "tester")
    assert first.status == ImportStatus.DIMUAT
    names = table.column("nama").to_pylist()
    changed = [0, 77, 150, 199]  # rows in different parts
    for i in changed:
        names[i] = f"{names[i]} BARU"
    table = table.set_column(table.column_names.index("nama"), "nama", pa.array(names))
    result = import_file(engine, sample.write_csv(table, tmp_path / "b.csv"), "tester")
    assert (result.status, result.inserted, result.updated) == (ImportStatus.DIMUAT, 0, len(changed))
    with engine.connect() as conn:
        audited = conn.execute(
            text(
                "SELECT count(*) FROM audit_log "
                "WHERE entity = 'member' AND action = 'ubah' AND import_batch_id = :b"
            ),
            {"b": result.batch_id},
        ).scalar_one()
    assert audited == len(changed)
    assert np.sum([r[1].endswith(" BARU") for r in _members(engine) if r[0].startswith("P3")]) == 4


def test_only_empty_tables_lose_their_indexes_while_loading(engine, tmp_path, small_parts, monkeypatch):
    """A part looks its records up in tables that already hold some: those keep their indexes."""
    dropped: list[list[str]] = []
    real = loader.Bulk.bulk_load

    def spy(self, tables):
        dropped.append(sorted(tables))
        return real(self, tables)

    monkeypatch.setattr(loader.Bulk, "bulk_load", spy)
    small = sample.write_csv(sample.rows(60, seed=34, prefix="P4"), tmp_path / "s.csv")
    big = sample.write_csv(sample.rows(300, seed=35, prefix="P5"), tmp_path / "b.csv")
    assert import_file(engine, small, "tester").status == ImportStatus.DIMUAT
    result = import_file(engine, big, "tester")  # five times the registry, but the registry is not empty
    assert result.status == ImportStatus.DIMUAT and result.inserted == 300
    assert dropped == [
        sorted(["household", "family", "family_kk", "member", "assessment", "assessment_member"])
    ]
    assert table_counts(engine)["member"] == 360

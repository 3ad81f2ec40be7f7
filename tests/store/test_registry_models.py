"""The registry models round-trip on SQLite and PostgreSQL, and keep the rules the schema promises."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from siks.store.db import make_engine, session_factory, transaction, upgrade
from siks.store.models import (
    Assessment,
    AssessmentMember,
    AuditEntry,
    Family,
    FamilyKK,
    Household,
    ImportBatch,
    Member,
)


@pytest.fixture
def engine(db_url):
    upgrade(db_url)  # head: the models carry later columns too (0014: audit_log.hash, origin)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def _household(ref: str = "R1") -> Household:
    h = Household(ref=ref, desa_code="35.09.15.2001", dusun="KRAJAN", rw="001", rt="002", alamat="JL MAWAR 5")
    f = Family(ref=f"K-{ref}", household=h)
    f.kk_history.append(FamilyKK(kk_number="3509150101100001", source="test"))
    f.members += [
        Member(
            ref=f"K-{ref}-1",
            no_urut=1,
            nama="SITI AMINAH",
            nik="3509154101800001",
            sex=2,
            tanggal_lahir=dt.date(1980, 1, 1),
            hubungan_kk=1,
            status_kawin=2,
            keberadaan=1,
        ),
        Member(ref=f"K-{ref}-2", no_urut=2, nama="BUDI", nik=None, sex=1, hubungan_kk=3),
    ]
    return h


def test_round_trip(engine):
    with transaction(engine) as s:
        h = _household()
        s.add(h)
        s.flush()
        a = Assessment(
            household=h,
            instrument="REGSOSEK2022.K",
            assessed_on=dt.date(2023, 5, 1),
            assessed_by="PPL 1",
            answers={"jenis_lantai": 2, "aset_ac": False, "luas_lantai": 36},
        )
        a.members.append(
            AssessmentMember(member=h.families[0].members[0], answers={"kartu_identitas": [1, 4]})
        )
        s.add(a)
    with session_factory(engine)() as s:
        h = s.scalars(select(Household).where(Household.ref == "R1")).one()
        assert (h.desa_code, h.rw, h.status, h.version) == ("35.09.15.2001", "001", "aktif", 1)
        fam = h.families[0]
        assert fam.kk_number == "3509150101100001"
        assert [m.nama for m in fam.members] == ["SITI AMINAH", "BUDI"]
        assert fam.members[0].tanggal_lahir == dt.date(1980, 1, 1)
        assert h.assessments[0].answers == {"jenis_lantai": 2, "aset_ac": False, "luas_lantai": 36}
        assert h.assessments[0].members[0].answers == {"kartu_identitas": [1, 4]}
        assert h.created_at is not None and h.updated_at is not None


def test_nik_is_not_unique(engine):
    with transaction(engine) as s:
        s.add(_household("R1"))
        s.add(_household("R2"))  # same NIK on a member of another household: real data has these
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).where(Member.nik == "3509154101800001")) == 2


def test_ref_is_unique(engine):
    with transaction(engine) as s:
        s.add(_household("R1"))
    with pytest.raises(IntegrityError), transaction(engine) as s:
        s.add(Household(ref="R1", desa_code="35.09.15.2001"))


def test_kk_is_versioned(engine):
    with transaction(engine) as s:
        s.add(_household())
    with transaction(engine) as s:
        fam = s.scalars(select(Family)).one()
        fam.kk_history[0].valid_to = dt.datetime.now(dt.UTC)
        fam.kk_history.append(FamilyKK(kk_number="3509150202200002", source="pindah"))
    with session_factory(engine)() as s:
        fam = s.scalars(select(Family)).one()
        assert fam.kk_number == "3509150202200002"
        assert len(fam.kk_history) == 2
        assert s.scalar(select(func.count()).select_from(FamilyKK).where(FamilyKK.valid_to.is_(None))) == 1


def test_optimistic_lock(engine):
    with transaction(engine) as s:
        s.add(_household())
    first, second = session_factory(engine)(), session_factory(engine)()
    a = first.scalars(select(Member).where(Member.no_urut == 1)).one()
    b = second.scalars(select(Member).where(Member.no_urut == 1)).one()
    a.nama = "SITI AMINAH S"
    first.commit()
    b.nama = "SITI A"
    with pytest.raises(StaleDataError):
        second.commit()
    second.rollback()
    with session_factory(engine)() as s:
        m = s.scalars(select(Member).where(Member.no_urut == 1)).one()
        assert (m.nama, m.version) == ("SITI AMINAH S", 2)
    first.close()
    second.close()


def test_audit_and_batch_round_trip(engine):
    with transaction(engine) as s:
        b = ImportBatch(
            file_name="a.csv",
            sha256="0" * 64,
            instrument="REGSOSEK2022.K",
            rows=2,
            inserted=2,
            updated=0,
            unchanged=0,
            warning_count=1,
            warnings=[{"row": 3, "code": "NIK_EMPTY"}],
            actor="tester",
        )
        s.add(b)
        s.flush()
        s.add(
            AuditEntry(
                actor="tester",
                action="impor",
                entity="import_batch",
                entity_id=b.id,
                after={"inserted": 2},
                import_batch_id=b.id,
            )
        )
    with session_factory(engine)() as s:
        e = s.scalars(select(AuditEntry)).one()
        assert (e.action, e.after, e.before) == ("impor", {"inserted": 2}, None)
        assert s.scalars(select(ImportBatch)).one().warnings == [{"row": 3, "code": "NIK_EMPTY"}]

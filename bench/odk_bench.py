"""ODK benchmark: what one enumerator's phone costs the server for a whole desa assigned at once.

Usage:
  python bench/odk_bench.py                     # 1,360 households (Desa Jatisari's KK count), SQLite
  python bench/odk_bench.py --households 300 --db postgresql+psycopg://…

It seeds one desa with N households of four members, assigns every one to one enumerator through the
fieldwork service, then times, through the real app (TestClient, Digest on every request as Collect does):
formList, the form download, the manifest (which builds both CSVs to hash them), each media file, and a
batch of submissions (each a visit recorded through `fieldwork.record_visit`). Figures are printed next to
a floor measured in the same run: one authenticated `HEAD /odk/submission`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=1360)
    ap.add_argument("--submissions", type=int, default=50)
    ap.add_argument("--db", dest="url", default=None)
    args = ap.parse_args()

    import csv
    import io
    import warnings

    from argon2 import PasswordHasher
    from sqlalchemy.orm import Session

    from odk.collect_support import JPEG, Collect, instance
    from siks.accounts import service as accounts
    from siks.domain.nik import make_nik
    from siks.fieldwork import service as fieldwork
    from siks.store.base import Base
    from siks.store.db import make_engine
    from siks.store.models.accounts import User
    from siks.store.models.registry import Family, Household, Member
    from siks.web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    desa, kec = "35.09.15.2001", "35.09.15"
    tmp = tempfile.mkdtemp()
    engine = make_engine(args.url or f"sqlite:///{tmp}/odk.db")
    Base.metadata.create_all(engine)
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with Session(engine) as s:
        kec_user = User(username="kec", role="operator_kecamatan", wilayah_code=kec, password_hash="x")
        enum = User(username="enum", role="enumerator", wilayah_code=desa, password_hash="x")
        s.add_all([kec_user, enum])
        s.flush()
        for i in range(args.households):
            h = Household(ref=f"B{i}", desa_code=desa, dusun=f"Dusun {i % 5}", rw="001", rt=f"{i % 20:03d}")
            s.add(h)
            s.flush()
            f = Family(ref=f"B{i}-K1", household_id=h.id)
            s.add(f)
            s.flush()
            for no in range(1, 5):
                born = dt.date(1960 + no * 9, 1 + i % 12, 1 + i % 28)
                s.add(
                    Member(
                        ref=f"B{i}-K1-{no}",
                        family_id=f.id,
                        no_urut=no,
                        nama=f"Warga {i}-{no}",
                        sex=1 + no % 2,
                        tanggal_lahir=born,
                        hubungan_kk=min(no, 3),
                        keberadaan=1,
                        status_kawin=1,
                        nik=make_nik(kec, born, 1 + no % 2, (i * 4 + no) % 9999 + 1),
                    )
                )
        s.flush()
        t0 = time.perf_counter()
        fieldwork.assign(s, kec_user, enum.id, desa)
        s.commit()
        print(f"assign {args.households:,} households: {time.perf_counter() - t0:.2f} s")
        enum_id, kec_id = enum.id, kec_user.id
    app = create_app(engine, secret_key="bench-" + "b" * 40)
    from siks.odk import service

    with Session(engine) as s, s.begin():
        password = service.issue_credential(s, s.get(User, kec_id), enum_id)
    client = TestClient(app)
    phone = Collect(client, "enum", password)

    def timed(label, fn, n=3):
        best = None
        for _ in range(n):
            t = time.perf_counter()
            r = fn()
            took = time.perf_counter() - t
            best = took if best is None else min(best, took)
        print(f"{label:<42} {best * 1000:8.1f} ms (best of {n}; includes the Digest round trip)")
        return r

    timed("floor: HEAD /odk/submission", lambda: phone.request("HEAD", "/odk/submission"))
    timed("GET /odk/formList", lambda: phone.get("/odk/formList"))
    form = timed("GET form.xml (siks_verval)", lambda: phone.get("/odk/forms/siks_verval/form.xml")).text
    timed("GET manifest (both CSVs built and hashed)", lambda: phone.get("/odk/forms/siks_verval/manifest"))
    tasks = timed("GET tugas.csv", lambda: phone.get("/odk/forms/siks_verval/media/tugas.csv"))
    members = timed("GET anggota.csv", lambda: phone.get("/odk/forms/siks_verval/media/anggota.csv"))
    print(
        f"  tugas.csv {len(tasks.content) / 1024:.0f} KiB, anggota.csv {len(members.content) / 1024:.0f} KiB"
    )
    task_rows = list(csv.DictReader(io.StringIO(tasks.text)))
    member_rows = list(csv.DictReader(io.StringIO(members.text)))
    by_task: dict[str, list[str]] = {}
    for m in member_rows:
        by_task.setdefault(m["tugas"], []).append(m["name"])
    n = min(args.submissions, len(task_rows))
    t = time.perf_counter()
    for row in task_rows[:n]:
        reps = [{"anggota_id": mid, "keberadaan": 1} for mid in by_task[row["name"]]]
        xml, _ = instance(
            form,
            {"tugas": row["name"], "hasil": 1, "tanggal_kunjungan": "2025-06-01", "jenis_lantai": 2},
            reps,
        )
        r = phone.submit(xml, ("rumah.jpg", JPEG, "image/jpeg"))
        assert r.status_code == 201, r.text
    took = time.perf_counter() - t
    print(f"{n} submissions (HEAD + POST, visit recorded): {took / n * 1000:.1f} ms each")
    client.close()
    engine.dispose()


if __name__ == "__main__":
    main()

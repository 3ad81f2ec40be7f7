"""DCI benchmark: Social Registry search latency over a filled registry, and the cost of a signature.

Usage:
  python bench/dci_bench.py                          # 50,000 ruta (≈200,000 anggota) on SQLite
  python bench/dci_bench.py --households 200000 --db postgresql+psycopg://…/siks_bench

What it does: fills an empty, migrated database with synthetic ruta/keluarga/anggota (bulk inserts, NIK
and KK made up, no real data) and one penetapan giving each ruta a desil and a PMT score, registers a
kabupaten-wide client, then times `siks.dci.service.find` — the whole search, query translation, scope,
count, page and record mapping — for each query type, and signing/verifying one envelope. Each figure is
the median of `--ulang` runs, next to the floor of the same run: a `SELECT 1` round trip.
Program scope (#14.2): the time to set a client's program (BPNT: compute the list over the penetapan and
store it, `siks.dci.programs.set_programs`) and the same searches for that program-scoped client.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from siks.dci import programs, service, trust
from siks.domain.programs import default_program
from siks.store.db import make_engine, upgrade
from siks.store.models.penetapan import Penetapan, PenetapanHousehold, PenetapanMember
from siks.store.models.registry import Family, FamilyKK, Household, Member

DESA = [f"35.09.{k:02d}.{2000 + d}" for k in range(1, 32) for d in range(1, 8)]  # Jember-like codes


def fill(engine, households: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with Session(engine) as session, session.begin():
        p = Penetapan(
            title="bench",
            periode="2026-01",
            berlaku_mulai=dt.date(2026, 1, 1),
            criteria={},
            criteria_key="bench",
            created_by="bench",
        )
        session.add(p)
        session.flush()
        pid = p.id
    chunk = 5000
    member_id = family_id = 0
    for start in range(0, households, chunk):
        hs, fs, kks, ms, scores, frozen = [], [], [], [], [], []
        for i in range(start, min(start + chunk, households)):
            desa = DESA[i % len(DESA)]
            hs.append({"id": i + 1, "ref": f"B{i:08d}", "desa_code": desa, "alamat": f"Jl. {i}"})
            family_id += 1
            fs.append({"id": family_id, "ref": f"B{i:08d}-K1", "household_id": i + 1})
            kks.append({"family_id": family_id, "kk_number": f"35090{i:011d}"})
            size = rng.randint(1, 6)
            for no in range(1, size + 1):
                member_id += 1
                born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 30000))
                ms.append(
                    {
                        "id": member_id,
                        "ref": f"B{i:08d}-K1-{no}",
                        "family_id": family_id,
                        "no_urut": no,
                        "nama": f"Warga {member_id}",
                        "nik": f"3509{member_id:012d}",
                        "sex": rng.randint(1, 2),
                        "tanggal_lahir": born,
                        "hubungan_kk": 1 if no == 1 else 3,
                    }
                )
                frozen.append(
                    {
                        "penetapan_id": pid,
                        "household_ref": f"B{i:08d}",
                        "family_ref": f"B{i:08d}-K1",
                        "member_ref": f"B{i:08d}-K1-{no}",
                        "no_urut": no,
                        "nama": f"Warga {member_id}",
                        "nik": f"3509{member_id:012d}",
                        "sex": ms[-1]["sex"],
                        "tanggal_lahir": born,
                        "hubungan_kk": 1 if no == 1 else 3,
                        "keberadaan": 1,
                        "status": "aktif",
                        "included": True,
                    }
                )
            scores.append(
                {
                    "penetapan_id": pid,
                    "household_ref": f"B{i:08d}",
                    "desa_code": desa,
                    "included": True,
                    "desil": rng.randint(1, 10),
                    "skor_pmt": round(rng.uniform(0, 10), 2),
                    "jumlah_art": size,
                }
            )
        with engine.begin() as conn:
            for model, rows in (
                (Household, hs),
                (Family, fs),
                (FamilyKK, kks),
                (Member, ms),
                (PenetapanHousehold, scores),
                (PenetapanMember, frozen),
            ):
                conn.execute(insert(model), rows)
    with engine.begin() as conn:  # fresh statistics, as autovacuum / a nightly ANALYZE would give
        conn.exec_driver_sql("ANALYZE")


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=50_000)
    ap.add_argument("--db", dest="url")
    ap.add_argument("--ulang", dest="repeat", type=int, default=20)
    args = ap.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'dci_bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    t = time.perf_counter()
    fill(engine, args.households)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        client, _ = service.register_client(
            session,
            "bench",
            client_id="bench",
            name="bench",
            jwks=trust.jwks(trust.generate_key()),
            fields=list(service.FIELDS),
            wilayah_code="35.09",
        )
        members = session.scalar(select(Member.id).order_by(Member.id.desc()).limit(1))
    took = time.perf_counter() - t
    print(f"filled {args.households:,} ruta / {members:,} anggota in {took:.1f} s ({url.split(':')[0]})")
    today = dt.date(2026, 12, 7)
    queries = {
        "idtype-value NIK": {
            "query_type": "idtype-value",
            "query": {"type": "NIK", "value": f"3509{members // 2:012d}"},
        },
        "idtype-value KK": {
            "query_type": "idtype-value",
            "query": {"type": "KK", "value": f"35090{1234:011d}"},
        },
        "predicate age<25 & score<2.5, page 100": {
            "query_type": "predicate",
            "query": [
                {
                    "seq_num": 1,
                    "expression1": {"attribute_name": "age", "operator": "lt", "attribute_value": "25"},
                },
                {
                    "seq_num": 2,
                    "expression1": {
                        "attribute_name": "poverty_score",
                        "operator": "lt",
                        "attribute_value": 2.5,
                    },
                },
            ],
        },
        "expression desil<=2 & kecamatan & size>=4": {
            "query_type": "expression",
            "query": {
                "type": "e",
                "value": {
                    "expression": {
                        "collection": "Group",
                        "query": {
                            "$and": [
                                {"desil": {"$lte": 2}},
                                {"location": "35.09.15"},
                                {"group_size": {"$gte": 4}},
                            ]
                        },
                    }
                },
            },
        },
    }
    with Session(engine) as session:
        floor = median_ms(lambda: session.execute(text("SELECT 1")), args.repeat)
        print(f"{'floor: SELECT 1':45s} {floor:8.2f} ms")
        for name, criteria in queries.items():
            ms = median_ms(lambda c=criteria: service.find(session, client, c, today), args.repeat)
            total = service.find(session, client, criteria, today)[2]["total_count"]
            print(f"{name:45s} {ms:8.2f} ms   total_count={total:,}")
    with Session(engine, expire_on_commit=False) as session, session.begin():
        t = time.perf_counter()
        (cp,) = programs.set_programs(session, "bench", "bench", [default_program("bpnt")])
        took = time.perf_counter() - t
        print(f"{'set program BPNT (list + store)':45s} {took * 1000:8.0f} ms   {cp.units:,} keluarga")
    with Session(engine) as session:
        client = session.get(type(client), client.id)
        for name, criteria in queries.items():
            ms = median_ms(lambda c=criteria: service.find(session, client, c, today), args.repeat)
            total = service.find(session, client, criteria, today)[2]["total_count"]
            print(f"{'BPNT client: ' + name:45s} {ms:8.2f} ms   total_count={total:,}")
    key = trust.generate_key()
    header = {"message_id": "1", "action": "search", "sender_id": "bench"}
    message = {"transaction_id": "t", "search_request": [{"reference_id": "r"}] * 20}
    sig = trust.sign(header, message, key, "bench")
    signing = median_ms(lambda: trust.sign(header, message, key, "bench"), 200)
    print(f"{'sign one envelope (Ed25519)':45s} {signing:8.3f} ms")
    ks = trust.jwks(key)
    verify = median_ms(lambda: trust.verify(sig, header, message, "bench", ks), 200)
    print(f"{'verify one envelope (Ed25519)':45s} {verify:8.3f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()

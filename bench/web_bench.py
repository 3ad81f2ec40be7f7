"""Web benchmark: page and API latency with a full kabupaten in PostgreSQL and 20 concurrent users.

Usage:
  python bench/web_bench.py                              # 1,000,000 DTKS persons, 20 users, 60 s
  python bench/web_bench.py --penduduk 20000 --duration 15   # a quick run

What it does, and why this way:
- Data comes from `siks synth` (the whole civil registry; ≈1/2.6 of it is in DTKS, so `--penduduk N` DTKS
  persons means `synth --penduduk 2.6 N`) and is loaded with the registry importer, as in production.
- On top of the registry it adds what the list pages read, through the owning services: a field-verval
  round (an enumerator per desa, every household assigned) and a few thousand usulan. Empty tables would
  make those pages look free.
- The loaded database is kept as a `pg_dump` in the cache (keyed by size and seed), so a second run
  restores it instead of importing again, then migrates it to `--revision` (head): a new migration, say an
  index, is measured without a new import. The generated CSV is cached too.
- The server is `siks serve` (uvicorn) in its own process on a free loopback port; the load comes from a
  second process (this script with `--client`): asyncio + httpx, each virtual user with its own session
  cookie and CSRF token, as a browser or an API client would have. Latency is measured at the client, so
  it includes queueing in the server.
- Each virtual user has its own account; the roles take turns (desa, kecamatan, kabupaten operator), because
  the same query costs very different amounts at each scope (a name search in a kabupaten looks at a
  million people, in a desa at a few thousand).
- PostgreSQL logs the plan of every statement slower than `--explain-ms` (auto_explain), so a slow route
  comes with the query that made it slow.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

TARGET_MS = 300
SYNTH_RATIO = 2.6  # synth --penduduk counts everyone; about 1 in 2.6 ends up in DTKS
PASSWORD = "bench-web-sandi"  # a throw-away database on loopback
KABUPATEN = "35.09"
USULAN_SHARE = 0.003  # usulan per DTKS person: 3,000 at full scale
SAMPLES = 400  # NIKs, names and households drawn per user
BUILD_VERSION = 1  # bump when build() seeds something else: cached dumps are then rebuilt
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "siks-bench"

# Each virtual user repeats: pick an action by weight, run it, think. (name, weight, roles or None = all)
ACTIONS: list[tuple[str, int, tuple[str, ...] | None]] = [
    ("login", 1, None),  # GET /masuk + POST /masuk with a fresh cookie jar
    ("home", 1, None),
    ("search_nik", 3, None),
    ("search_name", 3, None),
    ("household", 3, None),
    ("usulan", 1, None),
    ("verval", 1, ("operator_kecamatan", "operator_kabupaten")),  # desa operators have no such page
    ("api_me", 1, None),
    ("api_search_nik", 2, None),
    ("api_search_name", 2, None),
    ("api_household", 2, None),
    ("api_usulan", 1, None),
    ("api_verval", 1, ("operator_kecamatan", "operator_kabupaten")),
]
ROUTE_ORDER = [
    "GET /masuk",
    "POST /masuk",
    "GET /",
    "POST /cari (NIK)",
    "POST /cari (nama)",
    "POST /cari (nama, berikutnya)",
    "GET /ruta/{id}",
    "GET /usulan",
    "GET /verval-lapangan",
    "GET /api/v1/me",
    "POST /api/v1/search (NIK)",
    "POST /api/v1/search (nama)",
    "POST /api/v1/search (nama, berikutnya)",
    "GET /api/v1/households/{id}",
    "GET /api/v1/usulan",
    "GET /api/v1/fieldwork/progress",
]


# --- data ---------------------------------------------------------------------------------------------------


def synth_dir(cache: Path, persons: int, seed: int) -> tuple[Path, float]:
    """The generated kabupaten for this size, made once and kept in the cache."""
    n = round(persons * SYNTH_RATIO)
    out = cache / f"synth-{n}-s{seed}"
    if (out / "manifest.json").exists():
        return out, 0.0
    t = time.perf_counter()
    cmd = [
        sys.executable,
        "-m",
        "siks.cli",
        "synth",
        "--penduduk",
        str(n),
        "--seed",
        str(seed),
        "--keluar",
        str(out),
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out, time.perf_counter() - t


def migrate(url: str, revision: str) -> None:
    """Bring a restored or freshly built database to `revision`: up (new migrations since the dump was
    made), or down (`--revision` to measure without a later migration's indexes)."""
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    from siks.store.db import migrations_dir, upgrade

    try:
        upgrade(url, revision)
    except CommandError:
        cfg = Config()
        cfg.set_main_option("script_location", str(migrations_dir()))
        cfg.set_main_option("sqlalchemy.url", url)
        command.downgrade(cfg, revision)


def psql_conn(pg):
    import psycopg

    return psycopg.connect(f"host=127.0.0.1 port={pg.port} user={pg.user} dbname=siks", autocommit=True)


def build(url: str, csv: Path, seed: int) -> dict[str, float]:
    """Migrate, import the DTKS file, then add accounts, a verval round and usulan. Returns timings."""
    from sqlalchemy import select

    from siks.accounts import service as accounts
    from siks.domain.status import ImportStatus
    from siks.fieldwork import service as fieldwork
    from siks.registry.importer import import_file
    from siks.store.db import make_engine, transaction, upgrade
    from siks.store.models.registry import STATUS_ACTIVE, Household, Member
    from siks.usulan import service as usulan

    timings: dict[str, float] = {}
    t = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    result = import_file(engine, csv, actor="bench")
    if result.status != ImportStatus.DIMUAT:
        raise SystemExit(f"import {result.status}: {[i.message for i in result.errors[:5]]}")
    timings["import"] = time.perf_counter() - t
    print(f"  import: {result.rows:,} baris, {timings['import']:.0f} s ({result.timings})", flush=True)

    t = time.perf_counter()
    with transaction(engine) as s:
        kab = accounts.create_user(
            s, "bench.assigner", PASSWORD, "operator_kabupaten", KABUPATEN, actor="bench"
        )
        all_desa = s.scalars(select(Household.desa_code).distinct().order_by(Household.desa_code)).all()
        for code in all_desa:
            enum = accounts.create_user(
                s, f"bench.enum.{code.replace('.', '')}", PASSWORD, "enumerator", code, actor="bench"
            )
            fieldwork.assign(s, kab, enum.id, code)
    timings["verval round"] = time.perf_counter() - t
    print(
        f"  enumerators + verval lapangan ({len(all_desa)} desa): {timings['verval round']:.0f} s", flush=True
    )

    t = time.perf_counter()
    rng = random.Random(seed)
    with transaction(engine) as s:
        ids = s.scalars(select(Member.id).where(Member.status == STATUS_ACTIVE).order_by(Member.id)).all()
        n_usulan = min(round(len(ids) * USULAN_SHARE), len(ids))
        for mid in rng.sample(ids, n_usulan):
            usulan.create_from_channel(
                s, channel="verval", actor_name="bench", kind="nonaktif", subkind="mampu", payload={},
                target=usulan.Target("member", mid),
            )  # fmt: skip
    timings["usulan"] = time.perf_counter() - t
    print(f"  {n_usulan} usulan: {timings['usulan']:.0f} s", flush=True)
    engine.dispose()
    return timings


def load_database(pg, args) -> dict[str, float]:
    """Restore the cached dump if there is one for this size and seed, else build and dump it; then migrate
    to `--revision`, so new migrations (indexes) are measured without importing again."""
    bindir = pg.bindir
    conn_args = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user, "-d", "siks"]
    n = round(args.persons * SYNTH_RATIO)
    dump = args.cache / f"db-{n}-s{args.seed}-v{BUILD_VERSION}.dump"
    url = pg.create_database("siks")
    timings: dict[str, float] = {}
    if dump.exists() and not args.fresh:
        t = time.perf_counter()
        subprocess.run(
            [str(bindir / "pg_restore"), "-j", "2", "--no-owner", *conn_args, str(dump)], check=True
        )
        timings["restore"] = time.perf_counter() - t
        print(f"  dipulihkan dari {dump.name}: {timings['restore']:.0f} s", flush=True)
    else:
        data, synth_s = synth_dir(args.cache, args.persons, args.seed)
        if synth_s:
            timings["synth"] = synth_s
            print(f"  synth: {synth_s:.0f} s", flush=True)
        timings |= build(url, data / "dtks.csv", args.seed)
        t = time.perf_counter()
        tmp = dump.with_suffix(".tmp")
        subprocess.run([str(bindir / "pg_dump"), "-Fc", "-Z", "1", *conn_args, "-f", str(tmp)], check=True)
        tmp.replace(dump)
        timings["dump"] = time.perf_counter() - t
    t = time.perf_counter()
    migrate(url, args.revision)
    timings["migrate"] = time.perf_counter() - t
    t = time.perf_counter()
    with psql_conn(pg) as c:
        c.execute("VACUUM ANALYZE")
    timings["vacuum analyze"] = time.perf_counter() - t
    return timings


def enable_plan_log(pg, ms: int) -> None:
    """auto_explain: every statement slower than `ms` is logged with its plan and actual row counts."""
    with psql_conn(pg) as c:
        c.execute("LOAD 'auto_explain'")  # its settings are unknown until the library is loaded
        for name, value in (
            ("session_preload_libraries", "auto_explain"),
            ("auto_explain.log_min_duration", f"{ms}ms"),
            ("auto_explain.log_analyze", "on"),
            ("auto_explain.log_timing", "off"),  # row counts without the per-node clock overhead
            ("auto_explain.log_buffers", "on"),
        ):
            c.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        c.execute("SELECT pg_reload_conf()")


ROLES = ("operator_desa", "operator_kecamatan", "operator_kabupaten")


def accounts_and_samples(url: str, n_users: int, seed: int) -> list[dict]:
    """One account per virtual user, the roles in turn: desa operators each in a desa of a different
    kecamatan (drawn at random), kecamatan operators over those kecamatan, kabupaten operators over Jember.
    For each scope, NIKs, name prefixes and households drawn from the people in it."""
    from sqlalchemy import func, select

    from siks.accounts import service as accounts
    from siks.scope import Scope
    from siks.store.db import make_engine, session_factory, transaction
    from siks.store.models.registry import Family, Household, Member

    engine = make_engine(url)
    rng = random.Random(seed)
    with transaction(engine) as s:
        by_kec: dict[str, list[str]] = defaultdict(list)
        counts = s.execute(select(Household.desa_code, func.count()).group_by(Household.desa_code)).all()
        for code, n in sorted(counts):
            if n >= 20:  # a desa with at least a page of people
                by_kec[code.rsplit(".", 1)[0]].append(code)
        kecs = rng.sample(sorted(by_kec), min(len(by_kec), -(-n_users // 3)))
        desas = [rng.choice(by_kec[k]) for k in kecs]
        plan = []
        for i in range(n_users):
            role = ROLES[i % 3]
            j = (i // 3) % len(desas)
            code = {0: desas[j], 1: kecs[j], 2: KABUPATEN}[i % 3]
            plan.append((f"bench.vu{i + 1:02d}", role, code))
        for username, role, code in plan:
            accounts.create_user(s, username, PASSWORD, role, code, actor="bench", reason="benchmark")

    samples: dict[str, tuple[int, list[dict]]] = {}
    with session_factory(engine)() as s:
        for code in sorted({code for _, _, code in plan}):
            scope = Scope(code)
            ids = s.scalars(
                select(Member.id)
                .join(Family, Member.family_id == Family.id)
                .join(Household, Family.household_id == Household.id)
                .where(scope.where(Household.desa_code), Member.nik.regexp_match("^[0-9]{16}$"))
                .order_by(Member.id)
            ).all()
            picked = random.Random(f"{seed}-{code}").sample(ids, min(SAMPLES, len(ids)))
            rows = s.execute(
                select(Member.nik, Member.nama, Family.household_id)
                .join(Family, Member.family_id == Family.id)
                .where(Member.id.in_(picked))
                .order_by(Member.id)
            ).all()
            samples[code] = (
                len(ids),
                [{"nik": k, "name": nm[:6].strip(), "household": h} for k, nm, h in rows],
            )
    engine.dispose()
    return [
        {"username": username, "password": PASSWORD, "role": role, "wilayah": code,
         "in_scope": samples[code][0], "samples": samples[code][1]}
        for username, role, code in plan
    ]  # fmt: skip


# --- server -------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, work: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SIKS_SECRET_FILE": str(work / "secret_key"), "SIKS_DATA_DIR": str(work / "data")}
    log = open(work / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    cmd = [sys.executable, "-m", "siks.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--db", url,
           "--workers", str(workers)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(work / 'server.log').read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/masuk", timeout=2).status_code == 200:
                return proc, base
        time.sleep(0.3)
    raise SystemExit("server did not answer within 60 s")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- the load client (runs in its own process) ----------------------------------------------------------

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
# the "Berikutnya" form of /cari: its cursor and the trail of cursors before it
_NEXT_PAGE = re.compile(
    r'name="setelah" value="([^"]+)">\s*<input type="hidden" name="jejak" value="([^"]*)">\s*'
    r"<button[^>]*>Berikutnya"
)


class VirtualUser:
    """One operator: a logged-in cookie jar, a seeded random stream, and the actions of ACTIONS."""

    def __init__(self, cfg: dict, user: dict, index: int, record):
        import httpx

        self.user, self.record = user, record
        self.rng = random.Random(cfg["seed"] * 1000 + index)
        limits = httpx.Limits(max_connections=1)
        self.client = httpx.AsyncClient(base_url=cfg["base"], timeout=30, limits=limits)
        self.anon = httpx.AsyncClient(base_url=cfg["base"], timeout=30, limits=limits)
        self.csrf = ""
        self.actions = [(name, w) for name, w, roles in ACTIONS if roles is None or user["role"] in roles]

    async def close(self) -> None:
        await self.client.aclose()
        await self.anon.aclose()

    async def timed(self, route: str, client, method: str, url: str, check=None, **kw):
        """One request: latency in ms, and ok = expected status (and content, when `check` is given)."""
        t = time.perf_counter()
        try:
            r = await client.request(method, url, **kw)
            ok = r.status_code in (200, 303) and (check is None or check(r))
            status = r.status_code
        except Exception as e:  # noqa: BLE001 - a timeout or reset is an error of the run, not of the script
            r, ok, status = None, False, type(e).__name__
        self.record(route, self.user["role"], status, ok, (time.perf_counter() - t) * 1000)
        return r

    async def login_api(self) -> None:
        r = await self.client.get("/api/v1/session")
        body = {"username": self.user["username"], "password": self.user["password"]}
        r = await self.client.post(
            "/api/v1/session", json=body, headers={"X-CSRF-Token": r.json()["csrf_token"]}
        )
        r.raise_for_status()
        self.csrf = r.json()["csrf_token"]

    def sample(self) -> dict:
        return self.rng.choice(self.user["samples"])

    async def run(self, name: str) -> None:
        s = self.sample()
        nik, hid = s["nik"], s["household"]
        has_hid = lambda r: f"/ruta/{hid}" in r.text  # noqa: E731
        api_hit = lambda r: any(p["household_id"] == hid for p in r.json()["persons"])  # noqa: E731
        api_any = lambda r: bool(r.json()["persons"])  # noqa: E731
        hdr = {"X-CSRF-Token": self.csrf}
        match name:
            case "login":
                self.anon.cookies.clear()
                r = await self.timed("GET /masuk", self.anon, "GET", "/masuk")
                token = _CSRF_INPUT.search(r.text).group(1) if r is not None and r.status_code == 200 else ""
                form = {"username": self.user["username"], "password": self.user["password"], "lanjut": "/",
                        "csrf_token": token}  # fmt: skip
                await self.timed("POST /masuk", self.anon, "POST", "/masuk", data=form,
                                 check=lambda r: r.status_code == 303)  # fmt: skip
            case "home":
                await self.timed("GET /", self.client, "GET", "/")
            case "search_nik":
                form = {"q": nik, "csrf_token": self.csrf}
                await self.timed("POST /cari (NIK)", self.client, "POST", "/cari", data=form, check=has_hid)
            case "search_name":  # the first page, then the next one by its cursor, as a user paging on
                form = {"q": s["name"], "csrf_token": self.csrf}
                r = await self.timed("POST /cari (nama)", self.client, "POST", "/cari", data=form,
                                     check=lambda r: "/ruta/" in r.text)  # fmt: skip
                more = _NEXT_PAGE.search(r.text) if r is not None and r.status_code == 200 else None
                if more:
                    form |= {"setelah": more.group(1), "jejak": more.group(2)}
                    await self.timed("POST /cari (nama, berikutnya)", self.client, "POST", "/cari", data=form,
                                     check=lambda r: "/ruta/" in r.text)  # fmt: skip
            case "household":
                await self.timed("GET /ruta/{id}", self.client, "GET", f"/ruta/{hid}")
            case "usulan":
                await self.timed("GET /usulan", self.client, "GET", "/usulan?tampil=semua")
            case "verval":
                await self.timed("GET /verval-lapangan", self.client, "GET", "/verval-lapangan")
            case "api_me":
                await self.timed("GET /api/v1/me", self.client, "GET", "/api/v1/me")
            case "api_search_nik":
                await self.timed("POST /api/v1/search (NIK)", self.client, "POST", "/api/v1/search",
                                 json={"query": nik}, headers=hdr, check=api_hit)  # fmt: skip
            case "api_search_name":
                r = await self.timed("POST /api/v1/search (nama)", self.client, "POST", "/api/v1/search",
                                     json={"query": s["name"]}, headers=hdr, check=api_any)  # fmt: skip
                after = r.json().get("next") if r is not None and r.status_code == 200 else None
                if after:
                    await self.timed("POST /api/v1/search (nama, berikutnya)", self.client, "POST",
                                     "/api/v1/search", json={"query": s["name"], "after": after}, headers=hdr,
                                     check=api_any)  # fmt: skip
            case "api_household":
                await self.timed(
                    "GET /api/v1/households/{id}", self.client, "GET", f"/api/v1/households/{hid}"
                )
            case "api_usulan":
                await self.timed("GET /api/v1/usulan", self.client, "GET", "/api/v1/usulan")
            case "api_verval":
                await self.timed(
                    "GET /api/v1/fieldwork/progress", self.client, "GET", "/api/v1/fieldwork/progress"
                )

    async def loop(self, start: float, end: float, think: float, budget: list[int]) -> None:
        names, weights = zip(*self.actions, strict=True)
        await asyncio.sleep(max(0.0, start - time.monotonic()) + self.rng.uniform(0, think))
        while time.monotonic() < end and budget[0] > 0:
            budget[0] -= 1
            await self.run(self.rng.choices(names, weights)[0])
            if think:
                await asyncio.sleep(self.rng.uniform(0, 2 * think))


async def client_main(cfg: dict) -> dict:
    """Log everyone in, run every action once (warm-up, not recorded), then the timed window."""
    samples: list[tuple] = []
    recording = [False]
    warm_errors: list[tuple] = []

    def record(route, role, status, ok, ms):
        if recording[0]:
            samples.append((route, role, status, ok, round(ms, 2)))
        elif not ok:
            warm_errors.append((route, role, status))

    vus = [VirtualUser(cfg, user, i, record) for i, user in enumerate(cfg["users"])]
    try:
        await asyncio.gather(*(vu.login_api() for vu in vus))
        for vu in vus:  # one at a time: the warm-up is not a load test
            for name, _ in vu.actions:
                await vu.run(name)
        recording[0] = True
        start = time.monotonic() + 0.5
        end = start + cfg["duration"]
        budget = [cfg["max_requests"]]
        t0 = time.time()
        await asyncio.gather(*(vu.loop(start, end, cfg["think"], budget) for vu in vus))
        wall = time.time() - t0
    finally:
        await asyncio.gather(*(vu.close() for vu in vus))
    return {"samples": samples, "wall": wall, "warm_errors": warm_errors}


# --- report -------------------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: p95 is a latency some request really had)."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(-(-q * len(s) // 100)) - 1))]


def summarise(samples: list[tuple]) -> list[dict]:
    by_route: dict[str, list] = defaultdict(list)
    for route, role, status, ok, ms in samples:
        by_route[route].append((role, status, ok, ms))
    rows = []
    for route in sorted(by_route, key=lambda r: ROUTE_ORDER.index(r) if r in ROUTE_ORDER else 99):
        items = by_route[route]
        ms = [x[3] for x in items]
        rows.append({
            "route": route, "requests": len(items), "p50": pct(ms, 50), "p95": pct(ms, 95), "max": max(ms),
            "errors": sum(1 for x in items if not x[2]),
            "p95_by_role": {
                role: pct([x[3] for x in items if x[0] == role], 95) for role in sorted({x[0] for x in items})
            },
        })  # fmt: skip
    return rows


def table(rows: list[dict]) -> str:
    """A Markdown table (pasted as is into docs/benchmarks.md); ✗ marks a p95 over the target."""
    cols = ("route", "requests", "p50 ms", "p95 ms", "max ms", "errors")
    body = []
    for r in rows:
        p95 = f"{r['p95']:.0f}" + (" ✗" if r["p95"] >= TARGET_MS else "")
        body.append(
            (r["route"], f"{r['requests']:,}", f"{r['p50']:.0f}", p95, f"{r['max']:.0f}", str(r["errors"]))
        )
    widths = [max(len(c), *(len(b[i]) for b in body)) for i, c in enumerate(cols)]

    def line(cells) -> str:
        padded = (
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "| " + " | ".join(padded) + " |"

    sep = "|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(cols), sep, *(line(b) for b in body)])


def slow_statements(log_text: str) -> list[dict]:
    """Group auto_explain entries by query text: how often, how slow, and the plan of the slowest."""
    groups: dict[str, dict] = {}
    for m in re.finditer(r"duration: ([\d.]+) ms\s+plan:\n(.*?)(?=\n\S|\Z)", log_text, re.S):
        ms, plan = float(m.group(1)), m.group(2)
        lines = plan.splitlines()
        first_node = next((i for i, line in enumerate(lines) if "(cost=" in line), len(lines))
        text = " ".join(" ".join(lines[:first_node]).replace("Query Text:", "").split())
        g = groups.setdefault(text, {"query": text, "count": 0, "max_ms": 0.0, "total_ms": 0.0, "plan": plan})
        g["count"] += 1
        g["total_ms"] += ms
        if ms > g["max_ms"]:
            g["max_ms"], g["plan"] = ms, plan
    return sorted(groups.values(), key=lambda g: -g["total_ms"])


# --- main ---------------------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--penduduk",
        dest="persons",
        type=int,
        default=1_000_000,
        help="DTKS persons (approximate; default 1M)",
    )
    ap.add_argument("--duration", type=float, default=60, help="seconds of measured load (default 60)")
    ap.add_argument("--users", type=int, default=20, help="concurrent virtual users (default 20)")
    ap.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean pause between a user's requests, s (uniform 0..2x; 0: none)",
    )
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    ap.add_argument("--max-requests", type=int, default=200_000, help="stop after this many requests")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--explain-ms", type=int, default=200, help="log plans of statements slower than this")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"CSV and dump cache ({DEFAULT_CACHE})")
    ap.add_argument(
        "--keluar", dest="out", type=Path, help="where results go (default: a new temporary folder)"
    )
    ap.add_argument(
        "--bangun-ulang", dest="fresh", action="store_true", help="import again even if a cached dump exists"
    )
    ap.add_argument("--revision", default="head", help="schema revision to measure (default head)")
    ap.add_argument("--client", type=Path, help=argparse.SUPPRESS)  # internal: run the load client
    return ap.parse_args(argv)


def run_client(cfg_path: Path) -> None:
    cfg = json.loads(cfg_path.read_text())
    out = asyncio.run(client_main(cfg))
    Path(cfg["result"]).write_text(json.dumps(out))


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.client:
        run_client(args.client)
        return
    from siks.devtools.pgserver import TemporaryPostgres

    args.cache.mkdir(parents=True, exist_ok=True)
    work = args.out or Path(tempfile.mkdtemp(prefix="siks-web-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"siks web bench: {args.persons:,} DTKS persons, {args.users} users, {args.duration:.0f} s, think "
        f"{args.think} s, {args.workers} workers; {os.cpu_count()} CPU, load {os.getloadavg()[0]:.1f}"
    )
    server = None
    with TemporaryPostgres() as pg:
        try:
            t = time.perf_counter()
            timings = load_database(pg, args)
            print(f"  database ready in {time.perf_counter() - t:.0f} s {_fmt(timings)}", flush=True)
            url = pg.url("siks")
            users = accounts_and_samples(url, args.users, args.seed)
            for u in users[:6]:
                print(f"  {u['username']}  {u['role']:<19} {u['wilayah']:<14} {u['in_scope']:>9,} persons")
            print(f"  … {len(users)} accounts, one per virtual user")
            enable_plan_log(pg, args.explain_ms)
            server, base = start_server(url, work, args.workers)
            cfg = {"base": base, "users": users, "duration": args.duration,
                   "think": args.think, "seed": args.seed, "max_requests": args.max_requests,
                   "result": str(work / "client.json")}  # fmt: skip
            (work / "client-config.json").write_text(json.dumps(cfg))
            load_before = os.getloadavg()[0]
            client = [sys.executable, __file__, "--client", str(work / "client-config.json")]
            subprocess.run(client, check=True, timeout=args.duration + 600)
            load_after = os.getloadavg()[0]
        finally:
            stop(server)
            pg_log = (pg.root / "server.log").read_text(errors="replace") if pg.root.exists() else ""
            (work / "postgres.log").write_text(pg_log)
    load = (load_before, load_after)
    report(work, json.loads((work / "client.json").read_text()), pg_log, timings, load, args)


def report(work: Path, out: dict, pg_log: str, timings: dict, load: tuple[float, float], args) -> None:
    """Print the table, the verdict, and the slow statements; keep everything as JSON in `work`."""
    rows = summarise(out["samples"])
    total = len(out["samples"])
    print()
    print(table(rows))
    rate = total / out["wall"]
    print(f"\n{total:,} requests in {out['wall']:.0f} s ({rate:.1f}/s); load average {load[0]:.1f} before, "
          f"{load[1]:.1f} at the end")  # fmt: skip
    if out["warm_errors"]:
        print(f"warm-up errors: {out['warm_errors'][:10]}")
    misses = [r for r in rows if r["p95"] >= TARGET_MS]
    if misses:
        print(f"Target p95 < {TARGET_MS} ms: NOT met on {len(misses)} of {len(rows)} routes:")
        for r in misses:
            by_role = ", ".join(f"{k} {v:.0f}" for k, v in r["p95_by_role"].items())
            print(f"  {r['route']}: p95 by role (ms): {by_role}")
    else:
        print(f"Target p95 < {TARGET_MS} ms: met on all {len(rows)} routes.")
    slow = slow_statements(pg_log)
    (work / "slow-statements.json").write_text(json.dumps(slow, indent=1))
    if slow:
        print(f"\nStatements slower than {args.explain_ms} ms (plans in {work}/slow-statements.json):")
        for g in slow[:8]:
            print(f"  {g['count']:>5}x max {g['max_ms']:>6.0f} ms  {g['query'][:150]}")
    summary = {"args": {k: str(v) for k, v in vars(args).items()}, "timings": timings, "rows": rows,
               "total": total, "wall": out["wall"], "load": load}  # fmt: skip
    (work / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"\nResults: {work}")


def _fmt(timings: dict[str, float]) -> str:
    return "(" + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + ")"


if __name__ == "__main__":
    main()

"""Web benchmark: page and API latency with one or several kabupaten in PostgreSQL and concurrent users.

Usage:
  python bench/web_bench.py                              # 1,000,000 DTKS persons, 20 users, 60 s
  python bench/web_bench.py --penduduk 20000 --duration 15   # a quick run
  python bench/web_bench.py --jumlah-kab 10 --users 50   # a provinsi-level instance: 10 x 1M DTKS persons

What it does, and why this way:
- Data comes from `siks synth` (the whole civil registry; ≈1/2.6 of it is in DTKS, so `--penduduk N` DTKS
  persons means `synth --penduduk 2.6 N`) and is loaded with the registry importer, as in production.
  Several kabupaten (`--kabupaten 35.09,35.10` or `--jumlah-kab N`) make a provinsi-level instance: each is
  its own `siks synth` (one process per kabupaten: 2.6 M persons peak at ≈2.4 GB; 26 M in one would not fit)
  and its own import, one after the other, with `--penduduk` DTKS persons each.
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
- Each virtual user has its own account; the roles take turns (desa, kecamatan, kabupaten operator, and
  with several kabupaten a provinsi operator), because the same query costs very different amounts at each
  scope (a name search in a kabupaten looks at a million people, in a desa at a few thousand).
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
LOGIN_TARGET_MS = 1500  # argon2 on purpose (docs/benchmarks.md "Web"); a user logs in once per session
LOGIN_ROUTES = ("POST /masuk", "POST /api/v1/session")
SYNTH_RATIO = 2.6  # synth --penduduk counts everyone; about 1 in 2.6 ends up in DTKS
PASSWORD = "bench-web-sandi"  # a throw-away database on loopback
KABUPATEN = "35.09"  # the default, and the first of `--jumlah-kab`
USULAN_SHARE = 0.003  # usulan per DTKS person: 3,000 at full scale
SAMPLES = 400  # NIKs, names and households drawn per user
BUILD_VERSION = 1  # bump when build() seeds something else: cached dumps are then rebuilt
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "siks-bench"

# Each virtual user repeats: pick an action by weight, run it, think. (name, weight, roles or None = all)
ACTIONS: list[tuple[str, int, tuple[str, ...] | None]] = [
    ("login", 1, None),  # GET /masuk + POST /masuk with a fresh cookie jar
    ("home", 1, None),
    ("dashboard", 1, None),  # /dasbor: penetapan figures from `penetapan_figure`, verval from field_progress
    ("search_nik", 3, None),
    ("search_name", 3, None),
    ("household", 3, None),
    ("usulan", 1, None),
    ("verval", 1, ("operator_kecamatan", "operator_kabupaten", "operator_provinsi")),  # not desa operators
    ("api_me", 1, None),
    ("api_search_nik", 2, None),
    ("api_search_name", 2, None),
    ("api_household", 2, None),
    ("api_usulan", 1, None),
    ("api_verval", 1, ("operator_kecamatan", "operator_kabupaten", "operator_provinsi")),
]
ROUTE_ORDER = [
    "GET /masuk",
    "POST /masuk",
    "GET /",
    "GET /dasbor",
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


def synth_dir(cache: Path, kab: str, persons: int, seed: int) -> tuple[Path, float]:
    """The generated kabupaten `kab` for this size, made once (its own process) and kept in the cache."""
    n = round(persons * SYNTH_RATIO)
    # Jember keeps the name it had when the bench loaded one kabupaten only, so its cache stays valid
    name = f"synth-{n}-s{seed}" if kab == KABUPATEN else f"synth-{kab.replace('.', '')}-{n}-s{seed}"
    out = cache / name
    if (out / "manifest.json").exists():
        return out, 0.0
    t = time.perf_counter()
    cmd = [sys.executable, "-m", "siks.cli", "synth", "--kabupaten", kab, "--penduduk", str(n),
           "--seed", str(seed), "--keluar", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out, time.perf_counter() - t


def kabupaten_list(args) -> list[str]:
    """`--kabupaten` as given, or `--jumlah-kab N`: Jember and the N-1 kabupaten after it in its provinsi."""
    if args.n_kab:
        from siks.verval.national import kabupaten_of

        codes = kabupaten_of(KABUPATEN.split(".")[0])
        start = codes.index(KABUPATEN)
        rotated = codes[start:] + codes[:start]
        if args.n_kab > len(rotated):
            raise SystemExit(f"--jumlah-kab: the provinsi has {len(rotated)} kabupaten/kota")
        return rotated[: args.n_kab]
    return [k.strip() for k in args.kabupaten.split(",") if k.strip()]


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


def build(url: str, kabs: list[str], args) -> dict[str, float]:
    """Migrate; then per kabupaten: synth (if not cached), import its DTKS file, add an assigner and
    enumerators with a verval round, and usulan. One kabupaten at a time, so memory stays that of one.
    Returns timings (summed over kabupaten; per kabupaten they are printed)."""
    from siks.store.db import make_engine, upgrade

    timings: dict[str, float] = defaultdict(float)
    upgrade(url)
    engine = make_engine(url)
    total_rows = 0
    t_all = time.perf_counter()
    for i, kab in enumerate(kabs, 1):
        t_kab = time.perf_counter()
        data, synth_s = synth_dir(args.cache, kab, args.persons, args.seed)
        if synth_s:
            timings["synth"] += synth_s
            print(f"  [{i}/{len(kabs)}] {kab} synth: {synth_s:.0f} s", flush=True)
        step = build_kabupaten(engine, kab, data / "dtks.csv", args.seed, f"[{i}/{len(kabs)}] {kab}", i == 1)
        for k, v in step.items():
            timings[k] += v
        total_rows += int(step.pop("rows"))
        elapsed = time.perf_counter() - t_all
        print(
            f"  [{i}/{len(kabs)}] {kab} ready in {time.perf_counter() - t_kab:.0f} s; {total_rows:,} rows in "
            f"{elapsed:.0f} s so far; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    timings.pop("rows", None)
    engine.dispose()
    return dict(timings)


def build_kabupaten(engine, kab: str, csv: Path, seed: int, label: str, first: bool) -> dict[str, float]:
    """Import one kabupaten's DTKS file and add its verval round and usulan, through the owning services."""
    from sqlalchemy import select

    from siks.accounts import service as accounts
    from siks.domain.status import ImportStatus
    from siks.fieldwork import service as fieldwork
    from siks.registry.importer import import_file
    from siks.scope import Scope
    from siks.store.db import transaction
    from siks.store.models.accounts import User
    from siks.store.models.registry import STATUS_ACTIVE, Family, Household, Member
    from siks.usulan import service as usulan

    timings: dict[str, float] = {}
    t = time.perf_counter()
    shown: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:  # each stage: its start, every 30 s, its end
        now = time.perf_counter()
        if stage not in shown or now - shown[stage] >= 30 or (total and done == total):
            shown[stage] = now
            print(f"    {label} import {stage}: {done:,}/{total:,} ({now - t:.0f} s)", flush=True)

    # Each kabupaten is its own synth world, so a few NIKs (synth's NIK errors) are active in an earlier
    # kabupaten too (4 in 20,000 rows); the importer refuses those rows unless allowed, and then audits them.
    result = import_file(engine, csv, actor="bench", progress=progress, allow_identity_change=not first)
    if result.status != ImportStatus.DIMUAT:
        raise SystemExit(f"import {kab} {result.status}: {[i.message for i in result.errors[:5]]}")
    timings["import"] = time.perf_counter() - t
    timings["rows"] = result.rows
    print(
        f"  {label} import: {result.rows:,} baris, {timings['import']:.0f} s "
        f"({result.rows / timings['import']:,.0f} rows/s; {result.timings})",
        flush=True,
    )

    t = time.perf_counter()
    scope = Scope(kab)
    # Jember's assigner keeps its old name (and so its user id order) for the single-kabupaten dump
    suffix = "" if kab == KABUPATEN else "." + kab.replace(".", "")
    with transaction(engine) as s:
        assigner = accounts.create_user(
            s, f"bench.assigner{suffix}", PASSWORD, "operator_kabupaten", kab, actor="bench"
        )
        assigner_id = assigner.id
        all_desa = s.scalars(
            select(Household.desa_code)
            .where(scope.where(Household.desa_code))
            .distinct()
            .order_by(Household.desa_code)
        ).all()
    for code in all_desa:  # a transaction per desa: the session never holds a kabupaten's tasks
        with transaction(engine) as s:
            kab_user = s.get(User, assigner_id)
            enum = accounts.create_user(
                s, f"bench.enum.{code.replace('.', '')}", PASSWORD, "enumerator", code, actor="bench"
            )
            fieldwork.assign(s, kab_user, enum.id, code)
    timings["verval round"] = time.perf_counter() - t
    print(f"  {label} enumerators + verval lapangan ({len(all_desa)} desa): {timings['verval round']:.0f} s",
          flush=True)  # fmt: skip

    t = time.perf_counter()
    rng = random.Random(seed if kab == KABUPATEN else f"{seed}-{kab}")
    with transaction(engine) as s:
        ids = s.scalars(
            select(Member.id)
            .join(Family, Member.family_id == Family.id)
            .join(Household, Family.household_id == Household.id)
            .where(Member.status == STATUS_ACTIVE, scope.where(Household.desa_code))
            .order_by(Member.id)
        ).all()
        n_usulan = min(round(len(ids) * USULAN_SHARE), len(ids))
        for mid in rng.sample(ids, n_usulan):
            usulan.create_from_channel(
                s, channel="verval", actor_name="bench", kind="nonaktif", subkind="mampu", payload={},
                target=usulan.Target("member", mid),
            )  # fmt: skip
    timings["usulan"] = time.perf_counter() - t
    print(f"  {label} {n_usulan} usulan: {timings['usulan']:.0f} s", flush=True)
    return timings


def load_database(pg, args, kabs: list[str]) -> dict[str, float]:
    """Restore the cached dump if there is one for these kabupaten, size and seed, else build and dump it;
    then migrate to `--revision`, so new migrations (indexes) are measured without importing again."""
    bindir = pg.bindir
    conn_args = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user, "-d", "siks"]
    n = round(args.persons * SYNTH_RATIO)
    which = "" if kabs == [KABUPATEN] else "-".join(k.replace(".", "") for k in kabs) + "-"
    if len(which) > 60:
        which = f"{kabs[0].replace('.', '')}x{len(kabs)}-"
    dump = args.cache / f"db-{which}{n}-s{args.seed}-v{BUILD_VERSION}.dump"
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
        timings |= build(url, kabs, args)
        t = time.perf_counter()
        tmp = dump.with_suffix(".tmp")
        subprocess.run([str(bindir / "pg_dump"), "-Fc", "-Z", "1", *conn_args, "-f", str(tmp)], check=True)
        tmp.replace(dump)
        timings["dump"] = time.perf_counter() - t
        print(
            f"  pg_dump {dump.name}: {timings['dump']:.0f} s, {dump.stat().st_size / 1e9:.1f} GB", flush=True
        )
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


ROLES = ("operator_desa", "operator_kecamatan", "operator_kabupaten", "operator_provinsi")


def accounts_and_samples(url: str, n_users: int, seed: int, kabs: list[str]) -> list[dict]:
    """One account per virtual user, the roles in turn (a provinsi operator only with several kabupaten):
    desa operators each in a desa of a different kecamatan (drawn at random across the kabupaten),
    kecamatan operators over those kecamatan, kabupaten operators over the kabupaten in turn, provinsi
    operators over the provinsi. For each scope, NIKs, name prefixes and households drawn from the people
    in it (for the provinsi: from those drawn in each kabupaten)."""
    from sqlalchemy import func, select

    from siks.accounts import service as accounts
    from siks.scope import Scope
    from siks.store.db import make_engine, session_factory, transaction
    from siks.store.models.registry import Family, Household, Member

    roles = ROLES if len(kabs) > 1 else ROLES[:3]
    provinsi = kabs[0].split(".")[0]
    engine = make_engine(url)
    rng = random.Random(seed)
    with transaction(engine) as s:
        by_kec: dict[str, list[str]] = defaultdict(list)
        counts = s.execute(select(Household.desa_code, func.count()).group_by(Household.desa_code)).all()
        for code, n in sorted(counts):
            if n >= 20:  # a desa with at least a page of people
                by_kec[code.rsplit(".", 1)[0]].append(code)
        kecs = rng.sample(sorted(by_kec), min(len(by_kec), -(-n_users // len(roles))))
        desas = [rng.choice(by_kec[k]) for k in kecs]
        plan = []
        for i in range(n_users):
            role = roles[i % len(roles)]
            j = (i // len(roles)) % len(desas)
            code = (desas[j], kecs[j], kabs[(i // len(roles)) % len(kabs)], provinsi)[i % len(roles)]
            plan.append((f"bench.vu{i + 1:02d}", role, code))
        for username, role, code in plan:
            accounts.create_user(s, username, PASSWORD, role, code, actor="bench", reason="benchmark")

    samples: dict[str, tuple[int, list[dict]]] = {}
    with session_factory(engine)() as s:
        for code in sorted({code for _, _, code in plan if code != provinsi} | set(kabs)):
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
    if len(kabs) > 1:
        pooled = [x for k in kabs for x in samples[k][1]]
        picked = random.Random(f"{seed}-{provinsi}").sample(pooled, min(SAMPLES, len(pooled)))
        samples[provinsi] = (sum(samples[k][0] for k in kabs), picked)
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

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(work / 'server.log').read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/masuk", timeout=2).status_code == 200:
                return proc, base
        time.sleep(0.3)
    stop(proc)  # not left running behind the bench
    raise SystemExit(f"server did not answer within 120 s: {(work / 'server.log').read_text()[-1000:]}")


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
            case "dashboard":
                await self.timed("GET /dasbor", self.client, "GET", "/dasbor")
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
            "route": route, "requests": len(items), "p50": pct(ms, 50), "p95": pct(ms, 95),
            "p99": pct(ms, 99), "max": max(ms), "target": target_ms(route),
            "errors": sum(1 for x in items if not x[2]),
            "p95_by_role": {
                role: pct([x[3] for x in items if x[0] == role], 95) for role in sorted({x[0] for x in items})
            },
        })  # fmt: skip
    return rows


def target_ms(route: str) -> int:
    """Login has its own target (argon2 costs on purpose); every other route 300 ms."""
    return LOGIN_TARGET_MS if route in LOGIN_ROUTES else TARGET_MS


def table(rows: list[dict]) -> str:
    """A Markdown table (pasted as is into docs/benchmarks.md); ✗ marks a p95 over the route's target."""
    cols = ("route", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
    body = []
    for r in rows:
        p95 = f"{r['p95']:.0f}" + (" ✗" if r["p95"] >= r["target"] else "")
        body.append((r["route"], f"{r['requests']:,}", f"{r['p50']:.0f}", p95, f"{r['p99']:.0f}",
                     f"{r['max']:.0f}", str(r["errors"])))  # fmt: skip
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
        help="DTKS persons per kabupaten (approximate; default 1M)",
    )
    ap.add_argument(
        "--kabupaten", default=KABUPATEN, help=f"kabupaten codes, comma-separated (default {KABUPATEN})"
    )
    ap.add_argument(
        "--jumlah-kab",
        dest="n_kab",
        type=int,
        default=0,
        help=f"instead of --kabupaten: {KABUPATEN} and the next N-1 kabupaten of its provinsi",
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
    kabs = kabupaten_list(args)
    print(
        f"siks web bench: {len(kabs)} kabupaten ({', '.join(kabs)}) x {args.persons:,} DTKS persons, "
        f"{args.users} users, {args.duration:.0f} s, think {args.think} s, {args.workers} workers; "
        f"{os.cpu_count()} CPU, load {os.getloadavg()[0]:.1f}"
    )
    server = None
    with TemporaryPostgres() as pg:
        try:
            t = time.perf_counter()
            timings = load_database(pg, args, kabs)
            print(f"  database ready in {time.perf_counter() - t:.0f} s {_fmt(timings)}", flush=True)
            url = pg.url("siks")
            users = accounts_and_samples(url, args.users, args.seed, kabs)
            for u in users[:8]:
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
    misses = [r for r in rows if r["p95"] >= r["target"]]
    errors = sum(r["errors"] for r in rows)
    target = f"Target p95 < {TARGET_MS} ms (login < {LOGIN_TARGET_MS} ms)"
    if misses:
        print(f"{target}: NOT met on {len(misses)} of {len(rows)} routes:")
        for r in misses:
            by_role = ", ".join(f"{k} {v:.0f}" for k, v in r["p95_by_role"].items())
            print(f"  {r['route']}: p95 by role (ms): {by_role}")
    else:
        print(f"{target}: met on all {len(rows)} routes{f', but {errors} errors' if errors else ''}.")
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

"""Scale benchmark: the verval pipeline on DuckDB and on Spark at growing registry sizes (issue #11).

For each size (DTKS ART; the Dukcapil extract is about 2.6× that, as in a kabupaten where DTKS holds the
poorer 40 %) it writes the national layout with `siks synth --kabupaten a,b,…` (one kabupaten per ~1M
ART, so 10M is ten kabupaten and ganda runs across them), then runs every verval step but pmt/eligibility
on each engine and records:
  - wall time per step and in total, and the floor (a bare exact-NIK join of the same files, same engine);
  - peak memory: the largest resident set of this process plus all its children (the Spark JVM), sampled
    every 0.2 s;
  - candidate pairs Splink compares (padan: unmatched ART × Dukcapil; ganda: ART × ART) and pairs per ART,
    counted after the run by Splink's blocking analysis (untimed);
  - ganda across kabupaten: how many injected cross-kabupaten duplicates were found.
Writes results.json and a PNG (time against size, both engines) to --keluar.

Usage:
  python bench/scale_bench.py --sizes 1000000,3000000,10000000 --engines duckdb,spark --keluar bench-out/
  python bench/scale_bench.py --sizes 20000,60000 --keluar /tmp/scale     # a quick look (docs/scale.md)
Figures are noisy when other work shares the machine; `uptime` is printed with them.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from siks.synth.params import SynthParams  # noqa: E402
from siks.verval.engines import open_engine  # noqa: E402
from siks.verval.national import generate_national, kabupaten_of, national_inputs  # noqa: E402
from siks.verval.pipeline import identity_steps  # noqa: E402
from siks.verval.runs import execute  # noqa: E402

#: Population per DTKS ART in the synthetic world (DTKS holds ~40 % of households, the larger ones).
POPULATION_PER_ART = 2.6
#: Every size is made of kabupaten of this one size (1.3M persons, about Jember's DTKS share), so a larger
#: size means more kabupaten, as a larger registry does: within-kabupaten blocks stay the same size and the
#: growth of candidate pairs per ART shows what the national rules cost (1M = 2, 3M = 6, 10M = 20 kabupaten).
ART_PER_KABUPATEN = 500_000


class PeakMemory:
    """Largest RSS of this process and its descendants (the Spark JVM is a child), sampled in a thread,
    and the CPU seconds they used meanwhile (user + system, from /proc/<pid>/stat): the core-seconds the
    projection to 285M persons starts from."""

    def __init__(self, every: float = 0.2) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._cpu_first: dict[int, float] = {}
        self._cpu_last: dict[int, float] = {}
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        out = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    out += [int(x) for x in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
        return out

    @staticmethod
    def _cpu(pid: int) -> float | None:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return None

    def sample(self) -> int:
        total, todo = 0, [os.getpid()]
        while todo:
            pid = todo.pop()
            total += self._rss(pid)
            cpu = self._cpu(pid)
            if cpu is not None:
                self._cpu_first.setdefault(pid, cpu)
                self._cpu_last[pid] = cpu
            todo += self._children(pid)
        return total

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu_last[p] - self._cpu_first[p] for p in self._cpu_last)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def national(size: int, root: Path, kabupaten: list[str]) -> Path:
    """The national layout for `size` DTKS ART (reused when already written)."""
    out = root / f"n{size}"
    if (out / "truth" / "cross_duplicates.csv").exists():
        return out
    k = max(2, math.ceil(size / ART_PER_KABUPATEN))
    per_kab = max(1_000, round(size * POPULATION_PER_ART / k))
    t = time.perf_counter()
    manifest = generate_national(
        kabupaten[:k],
        SynthParams(persons=per_kab, seed=7, reference_date=date(2026, 10, 1)),
        out,
        progress=lambda msg: print(f"  synth: {msg}", flush=True),
    )
    print(f"  synth {size:,}: {time.perf_counter() - t:.0f} s, {manifest}", flush=True)
    return out


def floor(kind: str, d: Path, work: Path) -> float:
    """The bare exact-NIK join of DTKS and Dukcapil on this engine: the least any padan can cost."""
    engine = open_engine(kind, temp_dir=work)
    try:
        engine.register_parquet("m", d / "snapshot" / "member.parquet")
        engine.register_parquet("d", d / "reference" / "dukcapil.parquet")
        t = time.perf_counter()
        engine.scalar("SELECT COUNT(*) FROM m JOIN d ON d.nik = m.nik")
        return time.perf_counter() - t
    finally:
        engine.close()


def candidate_pairs(engine, by_rule: dict | None = None) -> dict[str, int]:
    """How many pairs Splink's blocking rules generate (before scoring), per probabilistic step: exact
    counts (record_sample_proportion 1.0) from Splink's blocking analysis, which builds the pairs.
    `by_rule` receives each rule's marginal count: the rule whose pairs grow faster than the registry
    is the one to look at."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from siks.verval import linkage

    out = {}
    api = engine.splink_api()
    steps = (
        ("padan", ["padan_l", "padan_r"], linkage.link_blocking_rules(), "link_only"),
        # padan's second pass: the records written on a default date, with one more rule
        ("padan_tanggal_baku", ["padan_l_baku", "padan_r"], linkage.default_date_rules(), "link_only"),
        ("ganda", ["ganda_input"], linkage.dedupe_blocking_rules(), "dedupe_only"),
    )
    for step, tables, rules, link_type in steps:
        if not all(engine.has_table(t) for t in tables) or not engine.count(tables[0]):
            continue
        sides = [api.register(t) for t in tables]
        recs = count_comparisons_from_blocking_rules(
            sides if len(sides) > 1 else sides[0],
            blocking_rules=rules,
            link_type=link_type,
            record_sample_proportion=1.0,
        )
        out[step] = int(recs[-1]["cumulative_comparison_count"])
        if by_rule is not None:
            by_rule[step] = [int(r["marginal_comparison_count"]) for r in recs]
    return out


def cross_found(engine, d: Path) -> tuple[int, int]:
    """(found, injected): cross-kabupaten duplicates that ended in one ganda cluster."""
    with open(d / "truth" / "cross_duplicates.csv", newline="") as fh:
        pairs = [(r["member_ref_a"], r["member_ref_b"]) for r in csv.DictReader(fh)]
    cid = {
        r["member_ref"]: r["cluster_id"]
        for r in engine.query("SELECT member_ref, cluster_id FROM duplicate_cluster").to_pylist()
    }
    found = sum(1 for a, b in pairs if a in cid and cid.get(a) == cid.get(b))
    return found, len(pairs)


def run_one(kind: str, size: int, d: Path, work: Path) -> dict:
    steps = identity_steps()
    base = floor(kind, d, work / "floor")
    with PeakMemory() as mem:
        t = time.perf_counter()
        out = execute(
            national_inputs(d),
            work_dir=work / "run",
            steps=steps,
            hash_files=False,
            engine=open_engine(kind, temp_dir=work / "tmp"),
        )
        total = time.perf_counter() - t
    try:
        art = out.inputs["member"]["rows"]
        per_rule: dict = {}
        pairs = candidate_pairs(out.engine, per_rule)
        found, injected = cross_found(out.engine, d)
        row = {
            "engine": kind,
            "size": size,
            "art": art,
            "dukcapil": out.inputs["ref_dukcapil"]["rows"],
            "kabupaten": len(list((d / "snapshot" / "member.parquet").glob("provinsi=*/kabupaten=*"))),
            "seconds": round(total, 2),
            "cpu_seconds": round(mem.cpu_seconds, 1),
            "floor_seconds": round(base, 3),
            "times_floor": round(total / base, 1),
            "steps": out.timings,
            "peak_gb": round(mem.peak / 2**30, 2),
            "candidate_pairs": pairs,
            "pairs_per_art": {k: round(v / art, 2) for k, v in pairs.items()},
            "pairs_per_rule": per_rule,
            "findings": out.engine.count("findings"),
            "cross_kabupaten_found": found,
            "cross_kabupaten_injected": injected,
            "load": os.getloadavg()[0],
            "spark": {k: v for k, v in os.environ.items() if k.startswith("SIKS_SPARK_")},
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
    finally:
        out.engine.close()
    if kind == "spark":
        from siks.verval.engines.spark import stop_session

        stop_session()  # the next size starts a fresh JVM: its peak is its own
    return row


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for kind in sorted({r["engine"] for r in rows}):
        pts = sorted((r["art"], r["seconds"]) for r in rows if r["engine"] == kind)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=kind)
        fl = sorted((r["art"], r["floor_seconds"]) for r in rows if r["engine"] == kind)
        ax.plot([p[0] for p in fl], [p[1] for p in fl], linestyle=":", label=f"{kind}: lantai (join NIK)")
    ax.set_xlabel("ART DTKS")
    ax.set_ylabel("detik (verval tanpa pmt/eligibility)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(f"siks verval: waktu terhadap ukuran (load {os.getloadavg()[0]:.1f})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


#: DTSEN, February 2025 (docs/domain-facts.md §6.1): the registry size the projection is for
NATIONAL_PERSONS = 285_570_129


def fit(rows: list[dict], kind: str, key: str = "seconds") -> tuple[float, float] | None:
    """Least-squares line through log(size) → log(key) for one engine: (exponent, seconds at 285M ART).
    An exponent near 1 is the near-linear growth the blocking is meant to give."""
    pts = sorted({r["art"]: r[key] for r in rows if r["engine"] == kind and r.get(key)}.items())
    if len(pts) < 2:
        return None
    xs = [math.log(a) for a, _ in pts]
    ys = [math.log(v) for _, v in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return b, math.exp(my + b * (math.log(NATIONAL_PERSONS) - mx))


def merged(path: Path, new: list[dict]) -> list[dict]:
    """Earlier results in the same --keluar, with this run's rows replacing those of the same engine and
    size: a series can be run one engine or one size at a time and still plotted together."""
    old = json.loads(path.read_text()) if path.exists() else []
    done = {(r["engine"], r["size"]) for r in new}
    return [r for r in old if (r["engine"], r["size"]) not in done] + new


def report_fit(rows: list[dict]) -> None:
    for kind in sorted({r["engine"] for r in rows}):
        for key in ("seconds", "cpu_seconds"):
            f = fit(rows, kind, key)
            if f:
                b, at = f
                print(
                    f"  {kind:6s} {key:11s}: eksponen {b:.2f}; diproyeksikan ke {NATIONAL_PERSONS:,} ART: "
                    f"{at / 3600:,.1f} jam pada mesin ini"
                )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000000,3000000,10000000", help="DTKS ART, comma separated")
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument("--provinsi", default="35", help="the kabupaten are taken from this provinsi, in order")
    ap.add_argument("--data", type=Path, help="where the national layouts are kept (reused)")
    ap.add_argument("--keluar", dest="out", type=Path, default=Path("bench-out"))
    ap.add_argument("--hanya-grafik", action="store_true", help="only re-plot and re-fit results.json")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = [e.strip() for e in args.engines.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "results.json"
    rows: list[dict] = []
    if not args.hanya_grafik:
        data = args.data or Path(tempfile.mkdtemp(prefix="scale-data-"))
        kabupaten = kabupaten_of(args.provinsi)
        for size in sizes:
            print(f"== {size:,} ART (load {os.getloadavg()[0]:.1f})", flush=True)
            d = national(size, data, kabupaten)
            for kind in engines:
                row = run_one(kind, size, d, Path(tempfile.mkdtemp(prefix=f"scale-{kind}-")))
                rows.append(row)
                print(
                    f"  {kind:6s} {row['seconds']:8.1f} dtk (CPU {row['cpu_seconds']:.0f} dtk) = "
                    f"{row['times_floor']:6.1f}× lantai ({row['floor_seconds']:.2f} dtk); "
                    f"puncak {row['peak_gb']:.2f} GB; pasangan/ART {row['pairs_per_art']}; ganda antar-kab "
                    f"{row['cross_kabupaten_found']}/{row['cross_kabupaten_injected']}",
                    flush=True,
                )
                for step, sec in row["steps"].items():
                    print(f"      {step:10s} {sec:8.2f} dtk", flush=True)
                results.write_text(json.dumps(merged(results, [row]), indent=1))
    every = merged(results, [])
    report_fit(every)
    plot(every, args.out / "scale.png")
    print(f"hasil: {results}, grafik: {args.out / 'scale.png'}")


if __name__ == "__main__":
    main()

"""Whether two runs of the pipeline on the same inputs found the same (issue #11: DuckDB against Spark).

Why here and not in a test: the parity test (`tests/verval/test_parity.py`) and the parity benchmark
(`bench/parity_bench.py`, 20,000 persons) must judge by one definition. Two findings are the same when
code, person, household, related person, related NIK and rank are; the clusters are compared as sets of
persons (a cluster id is the smallest member ref on both engines, but the sets are what matters); match
weights on the same finding may differ only by the order in which each engine sums its log2 Bayes
factors, so by far less than the 1e-6 tolerance.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from siks.verval.engines.base import BatchEngine

#: What makes two findings the same finding.
KEY = ("code", "member_ref", "household_ref", "related_ref", "related_nik", "rank")
#: Largest difference in match weight (bits) on the same finding that still counts as equal.
TOLERANCE = 1e-6


def results(engine: BatchEngine) -> dict[str, Any]:
    """The findings and duplicate clusters of a finished run, as plain Python."""
    findings = engine.query(
        "SELECT code, member_ref, household_ref, related_ref, related_nik, cluster_id, rank, weight "
        "FROM findings"
    ).to_pylist()
    groups: dict[str, set[str]] = defaultdict(set)
    for r in engine.query("SELECT cluster_id, member_ref FROM duplicate_cluster").to_pylist():
        groups[r["cluster_id"]].add(r["member_ref"])
    return {"findings": findings, "clusters": {frozenset(g) for g in groups.values()}}


def compare(a: dict[str, Any], b: dict[str, Any], names: tuple[str, str] = ("duckdb", "spark")) -> dict:
    """What `a` and `b` (from `results`) disagree on; `same(...)` says whether that is nothing."""
    ka = {tuple(r[k] for k in KEY): r for r in a["findings"]}
    kb = {tuple(r[k] for k in KEY): r for r in b["findings"]}
    worst = 0.0
    null_mismatch = 0
    for k in ka.keys() & kb.keys():
        x, y = ka[k]["weight"], kb[k]["weight"]
        if (x is None) != (y is None):
            null_mismatch += 1
        elif x is not None:
            worst = max(worst, abs(x - y))
    only_a = sorted(set(ka) - set(kb), key=str)
    only_b = sorted(set(kb) - set(ka), key=str)
    na, nb = names
    return {
        "findings": {na: len(a["findings"]), nb: len(b["findings"])},
        "duplicate_keys": {na: len(a["findings"]) - len(ka), nb: len(b["findings"]) - len(kb)},
        f"only_{na}": len(only_a),
        f"only_{nb}": len(only_b),
        f"examples_only_{na}": [list(map(str, k)) for k in only_a[:5]],
        f"examples_only_{nb}": [list(map(str, k)) for k in only_b[:5]],
        "same_clusters": a["clusters"] == b["clusters"],
        "clusters": {na: len(a["clusters"]), nb: len(b["clusters"])},
        "weight_null_mismatch": null_mismatch,
        "max_weight_difference": worst,
    }


def same(cmp: dict, tolerance: float = TOLERANCE, names: tuple[str, str] = ("duckdb", "spark")) -> bool:
    """Same findings on the same persons, same clusters, weights within `tolerance`."""
    return (
        cmp[f"only_{names[0]}"] == cmp[f"only_{names[1]}"] == cmp["weight_null_mismatch"] == 0
        and cmp["same_clusters"]
        and sum(cmp["duplicate_keys"].values()) == 0
        and cmp["max_weight_difference"] <= tolerance
    )

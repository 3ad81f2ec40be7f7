"""Ganda clusters from scored pairs: human decisions first, stable ids across runs.

Why in Python: only pairs above the lower threshold arrive here (a few per hundred records), and
"different person" decisions are cannot-link constraints that plain connected components (Splink's
clustering) cannot honour. Pairs are merged strongest first (Kruskal order); a merge that would put two
people someone decided are different into one cluster is refused, so a forced break holds even through a
third record.

Cluster id: the id the majority of its members had in the previous run (each old id goes to the new
cluster that keeps most of it); otherwise its smallest member ref. So ids survive small data changes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

FORCED = float("inf")


@dataclass
class Member:
    member_ref: str
    cluster_id: str
    related_ref: str  # the member it is most strongly linked to
    weight: float | None  # that link's match weight (None for a forced link)


@dataclass
class Result:
    members: list[Member]
    possible: list[tuple[str, str, float]]  # (a, b, weight) for adjudication
    stats: dict[str, Any] = field(default_factory=dict)


class _DSU:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        self.members.setdefault(x, {x})
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def latest_decisions(decisions: Iterable[dict[str, Any]]) -> dict[tuple[str, str], bool]:
    """The latest decision per pair (a later 'different' overrides an earlier 'same' and vice versa)."""
    out: dict[tuple[str, str], tuple[Any, bool]] = {}
    for d in decisions:
        key = _pair(str(d["member_ref_a"]), str(d["member_ref_b"]))
        at = d.get("decided_at")
        if key not in out or (at is not None and (out[key][0] is None or at >= out[key][0])):
            out[key] = (at, bool(d["same_person"]))
    return {k: v[1] for k, v in out.items()}


def cluster(
    edges: Iterable[tuple[str, str, float]],
    decisions: Iterable[dict[str, Any]],
    previous: Iterable[dict[str, Any]],
    *,
    upper: float,
    lower: float,
) -> Result:
    decided = latest_decisions(decisions)
    cannot: dict[str, set[str]] = defaultdict(set)
    for (a, b), same in decided.items():
        if not same:
            cannot[a].add(b)
            cannot[b].add(a)
    scored: dict[tuple[str, str], float] = {}
    for a, b, w in edges:
        if a == b:
            continue
        key = _pair(a, b)
        scored[key] = max(w, scored.get(key, float("-inf")))
    links = [(FORCED, a, b) for (a, b), same in decided.items() if same]
    links += [(w, a, b) for (a, b), w in scored.items() if w >= upper and decided.get((a, b)) is None]
    links.sort(key=lambda t: (-t[0], t[1], t[2]))

    dsu = _DSU()
    refused = 0
    best: dict[str, tuple[float, str]] = {}
    for w, a, b in links:
        ra, rb = dsu.find(a), dsu.find(b)
        if ra != rb:
            ma, mb = dsu.members[ra], dsu.members[rb]
            if any(cannot[x] & mb for x in ma):
                refused += 1
                continue
            dsu.union(a, b)
        for x, y in ((a, b), (b, a)):
            if x not in best or (w,) > (best[x][0],):
                best[x] = (w, y)

    groups = [sorted(m) for m in dsu.members.values() if len(m) > 1]
    ids = stable_ids(groups, previous)
    members = []
    for g in groups:
        cid = ids[g[0]]
        for ref in g:
            w, other = best[ref]
            members.append(Member(ref, cid, other, None if w == FORCED else w))
    members.sort(key=lambda m: m.member_ref)

    possible = sorted(
        (a, b, w)
        for (a, b), w in scored.items()
        if lower <= w < upper and decided.get((a, b)) is None and dsu.find(a) != dsu.find(b)
    )
    stats = {
        "clusters": len(groups),
        "records_in_clusters": sum(len(g) for g in groups),
        "possible_pairs": len(possible),
        "forced_links": sum(1 for s in decided.values() if s),
        "forced_breaks": sum(1 for s in decided.values() if not s),
        "links_refused": refused,
    }
    return Result(members, possible, stats)


def stable_ids(groups: list[list[str]], previous: Iterable[dict[str, Any]]) -> dict[str, str]:
    """{first member of group → cluster id}: carry old ids by majority overlap, else the smallest ref."""
    old = {str(r["member_ref"]): str(r["cluster_id"]) for r in previous}
    claims: list[tuple[int, str, str]] = []  # (-overlap, first member, old id)
    for g in groups:
        counts = Counter(old[m] for m in g if m in old)
        for cid, n in counts.items():
            if n * 2 > len(g) or (n == max(counts.values()) and n >= 2):
                claims.append((-n, g[0], cid))
    claims.sort()
    taken: set[str] = set()
    out: dict[str, str] = {}
    for _, first, cid in claims:
        if first in out or cid in taken:
            continue
        out[first] = cid
        taken.add(cid)
    for g in groups:
        if g[0] in out:
            continue
        cid = next((m for m in g if m not in taken), g[0] + "*")
        out[g[0]] = cid
        taken.add(cid)
    return out

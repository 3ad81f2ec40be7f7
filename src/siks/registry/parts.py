"""Cut an import file into parts that never split a ruta or a keluarga, so each part validates on its own.

Why: every rule across rows (template.check_rows) looks inside one id_ruta or one id_keluarga, so a part
holding whole groups gets exactly the issues the whole file would give it. The importer then writes part i
while it validates part i+1 (the database and Python work at the same time) and still rolls everything back
when any part is bad. A file whose groups are scattered (a ruta's rows far apart) simply has fewer cuts.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PART_ROWS = 100_000


def _group_codes(arr: pa.Array) -> np.ndarray:
    """A code per row for a grouping column (cell text as read); -1 for an empty cell (no group).

    Coarser than the validator's grouping on purpose: texts are compared by their letters and digits only,
    upper-cased, so two cells the cell parser reads as the same id always share a code here (merging more
    only means fewer places to cut).
    """
    enc = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
    texts = enc.dictionary  # the normalising is done once per distinct text
    key = pc.utf8_upper(pc.replace_substring_regex(texts, "[^0-9A-Za-z]", ""))
    key = pc.if_else(pc.equal(key, ""), pa.scalar("#"), key)
    empty = pc.equal(pc.utf8_trim_whitespace(texts), "")
    per_text = pc.dictionary_encode(pc.if_else(empty, pa.scalar(None, pa.string()), key))
    codes = pc.fill_null(per_text.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes[enc.indices.to_numpy(zero_copy_only=False)]


def spanned(codes: np.ndarray) -> np.ndarray:
    """For each cut position c in 0..n, how many groups have rows both before and after it."""
    n = len(codes)
    diff = np.zeros(n + 2, dtype=np.int64)
    rows = np.flatnonzero(codes >= 0)
    if len(rows):
        g = codes[rows]
        _, first = np.unique(g, return_index=True)  # per group, in the same (sorted) order
        _, from_end = np.unique(g[::-1], return_index=True)
        first, last = rows[first], rows[len(g) - 1 - from_end]
        diff += np.bincount(first + 1, minlength=n + 2) - np.bincount(last + 1, minlength=n + 2)
    return np.cumsum(diff)[: n + 1]


def split(groupings: list[pa.Array], n: int, part_rows: int | None = None) -> list[tuple[int, int]]:
    """Row ranges [start, stop) of about `part_rows` (PART_ROWS) rows covering 0..n, cut between groups."""
    part_rows = part_rows or PART_ROWS
    if n <= part_rows:
        return [(0, n)]
    inside = np.zeros(n + 1, dtype=np.int64)
    for arr in groupings:
        inside += spanned(_group_codes(arr))
    free = np.flatnonzero(inside == 0)  # cut positions no group straddles (0 and n always are)
    cuts = [0]
    while cuts[-1] < n:
        at = np.searchsorted(free, cuts[-1] + part_rows)
        cuts.append(int(free[at]) if at < len(free) else n)
    return list(zip(cuts[:-1], cuts[1:], strict=True))

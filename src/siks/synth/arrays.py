"""Column helpers: numbers to fixed-width digit strings, ranks within groups, seeded streams.

The generator builds every column with numpy at once; a Python loop per person would take an hour for
Jember's 2.6 million people. Digit strings (NIK, KK) are built as byte matrices and viewed as `S16`.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

EPOCH = np.datetime64("1970-01-01", "D")


def stream(seed: int, stage: str) -> np.random.Generator:
    """An independent random stream per stage, so a change in one stage leaves the others' draws alone."""
    salt = int.from_bytes(stage.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.default_rng([seed, salt, len(stage)])


def day(d: date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "D")


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers → (n, width) uint8 ASCII digits, zero-padded on the left."""
    v = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((v[:, None] // powers[None, :]) % 10 + 48).astype(np.uint8)


def fixed(matrix: np.ndarray) -> np.ndarray:
    """(n, w) uint8 → n fixed-width byte strings (`S{w}`), without copying twice."""
    m = np.ascontiguousarray(matrix, dtype=np.uint8)
    return m.view(f"S{m.shape[1]}").reshape(m.shape[0])


def chars(strings: np.ndarray) -> np.ndarray:
    """n fixed-width byte strings → (n, w) uint8, the inverse of `fixed`."""
    s = np.ascontiguousarray(strings)
    w = s.dtype.itemsize
    return s.view(np.uint8).reshape(len(s), w)


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Integers → zero-padded `S{width}` strings ("007")."""
    return fixed(digit_matrix(values, width))


def to_arrow(strings: np.ndarray, empty_as_null: bool = True) -> pa.Array:
    """`S` bytes (NUL-padded) → an Arrow string array; empty strings become null (empty cells in CSV)."""
    n = len(strings)
    m = chars(strings) if n else np.zeros((0, 1), np.uint8)
    keep = m != 0
    lengths = keep.sum(axis=1, dtype=np.int32)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = m.reshape(-1) if bool(keep.all()) else m[keep]
    validity = None
    nulls = 0
    if empty_as_null:
        valid = lengths > 0
        nulls = int(n - valid.sum())
        if nulls:
            validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), validity, nulls)


def group_rank(*keys: np.ndarray) -> np.ndarray:
    """0-based rank of each row among the rows with the same keys, in row order (stable)."""
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort(keys[::-1])
    same = np.ones(n, dtype=bool)
    same[0] = False
    for k in keys:
        ks = k[order]
        same[1:] &= ks[1:] == ks[:-1]
    start = np.where(~same, np.arange(n), 0)
    np.maximum.accumulate(start, out=start)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - start
    return rank


def starts(counts: np.ndarray) -> np.ndarray:
    """Offsets of groups laid out one after the other: counts [2, 3, 1] → [0, 2, 5]."""
    out = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=out[1:])
    return out


def within(counts: np.ndarray) -> np.ndarray:
    """Position of each row inside its group: counts [2, 3] → [0, 1, 0, 1, 2]."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(starts(counts), counts)


def pick(
    rng: np.random.Generator, eligible: np.ndarray, k: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """k distinct indices where `eligible` is True (fewer if there are not enough), sorted."""
    idx = np.flatnonzero(eligible)
    k = min(k, len(idx))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if weights is None:
        chosen = rng.choice(idx, size=k, replace=False)
    else:
        w = np.asarray(weights, dtype=np.float64)[idx]
        # Efraimidis–Spirakis: the k largest u^(1/w) are a weighted sample without replacement.
        keys = np.log(rng.random(len(idx))) / np.maximum(w, 1e-12)
        chosen = idx[np.argpartition(-keys, k - 1)[:k]]
    return np.sort(chosen)


def count_for(rate: float, n: int) -> int:
    """The exact number of records a rate asks for (rounded half up)."""
    return int(np.floor(rate * n + 0.5))

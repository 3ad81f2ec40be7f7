"""The Arrow memory pool for big batch work: jemalloc (or the C library's allocator), not mimalloc.

Why: pyarrow's default pool (mimalloc) hands freed pages back to the operating system at once, so a fresh
process faults every page of a big file in twice. Reading the million-row benchmark file took 3.1 s with
mimalloc (2.1 s of it in the kernel) and 2.0 s with jemalloc (0.7 s in the kernel); see docs/import.md.
"""

from __future__ import annotations

import functools

import pyarrow as pa


@functools.cache
def use_fast_pool() -> str:
    """Make jemalloc (else the system allocator) pyarrow's default pool; returns the pool's name.

    Arrays already allocated keep their own pool, so this is safe to call at any time; it is done once.
    """
    try:
        pool = pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowNotImplementedError):  # a pyarrow built without jemalloc
        pool = pa.system_memory_pool()
    pa.set_memory_pool(pool)
    return pool.backend_name

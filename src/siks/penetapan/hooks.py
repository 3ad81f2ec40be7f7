"""What runs right after a penetapan is frozen, inside the transaction that freezes it.

A penetapan never changes, so what is derived from it (program lists, dashboard figures) can be computed
once, at freeze time. Those live in packages that import this one (`siks.programs`), so they register here
instead of being called from `siks.penetapan.service`: no import cycle, and this module imports nothing.
Whatever is registered is an optimisation only: readers compute what they miss on first use.
"""

from __future__ import annotations

from collections.abc import Callable

AFTER_CREATE: list[Callable] = []


def after_create(fn: Callable) -> Callable:
    """Register `fn(session, penetapan)` to run after every `penetapan.service.create` (once per function)."""
    if fn not in AFTER_CREATE:
        AFTER_CREATE.append(fn)
    return fn


def run_after_create(session, p) -> None:
    for fn in AFTER_CREATE:
        fn(session, p)

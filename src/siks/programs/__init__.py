"""Penggunaan DTKS: program lists (PKH, BPNT, PBI-JK) over a frozen penetapan, exports, pergantian pengurus.

The rules are data (`siks.domain.programs`, `data/programs.json`); this package reads a penetapan's frozen
rows, applies a program, stores the list (`siks.programs.stored`), and records account-holder changes.
"""

from siks.penetapan import hooks as _hooks


def _after_freeze(session, p) -> None:
    from siks.programs import stored

    stored.after_freeze(session, p)


_hooks.after_create(_after_freeze)

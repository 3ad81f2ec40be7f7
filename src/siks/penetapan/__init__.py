"""Penetapan: frozen DTKS versions (create, list, diff, status as of a date) and the simulation before one.

The pure decision (who is in DTKS and why not) lives in `siks.domain.penetapan`; this package reads the
registry, the verval run and the desil scores, and writes the frozen copy.
"""

"""Penggunaan DTKS: program lists (PKH, BPNT, PBI-JK) over a frozen penetapan, exports, pergantian pengurus.

The rules are data (`siks.domain.programs`, `data/programs.json`); this package reads a penetapan's frozen
rows, applies a program, and records account-holder changes.
"""

"""Welfare ranking and eligibility commands (`siks pmt`, `siks eligibility`); the rules are in siks.domain."""

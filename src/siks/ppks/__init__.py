"""PPKS and PSKS: DTKS beyond households (docs/ppks-psks.md)."""

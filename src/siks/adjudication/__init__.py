"""Adjudication of possible duplicates found by verval. Start at `siks.adjudication.service`."""

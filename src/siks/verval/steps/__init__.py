"""The verval steps. Each module exposes `STEP` (see siks.verval.pipeline.Step and docs/verval.md)."""

"""`siks synth`: a synthetic kabupaten — the civil-registry truth, a DTKS registry with injected faults, the
reference extracts and a ground truth that lists every fault — so siks is demonstrated, tested and
benchmarked without real personal data. See docs/synth.md.
"""

from .generate import generate
from .params import ErrorRates, SynthParams

__all__ = ["ErrorRates", "SynthParams", "generate"]

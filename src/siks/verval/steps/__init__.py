"""The default verval pipeline: its steps, in order, as step objects (no module is looked up by name).

Why a list of objects: a step that is renamed or removed breaks the import here, instead of being
silently skipped, and the finding codes each step declares (`Step.codes`) can be walked from this list.
"""

from __future__ import annotations

from siks.verval.steps import eligibility, exclusions, ganda, kk, padan, pmt, ppks, prepare, structure

DEFAULT_STEPS = (
    prepare.STEP,
    structure.STEP,
    padan.STEP,
    kk.STEP,
    ganda.STEP,
    exclusions.STEP,
    ppks.STEP,
    pmt.STEP,
    eligibility.STEP,
)

"""The usulan workflow engine: proposals from the desa (and other channels) up to their acceptance.

Start at `siks.usulan.service`; the state machine itself is `siks.domain.usulan`.
"""

"""The container every stage reads and extends: three tables of numpy columns (ruta, keluarga, person).

Rows are in order: the keluarga of a ruta are adjacent, the persons of a keluarga are adjacent with the
kepala first. Stages add columns; nothing here knows what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

# Column layout of the family matrix that population.py fills before flattening to persons.
HEAD, SPOUSE = 0, 1
CHILDREN = slice(2, 10)
PARENTS = slice(10, 12)
MENANTU = 12
GRANDCHILDREN = slice(13, 16)
OTHER = 16
WIDTH = 17

NAT = np.datetime64("NaT", "D")


@dataclass
class World:
    reference_date: date
    ruta: dict[str, np.ndarray] = field(default_factory=dict)
    fam: dict[str, np.ndarray] = field(default_factory=dict)
    per: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def ref(self) -> np.datetime64:
        return np.datetime64(self.reference_date.isoformat(), "D")

    @property
    def n_ruta(self) -> int:
        return len(self.ruta["desa"])

    @property
    def n_fam(self) -> int:
        return len(self.fam["ruta"])

    @property
    def n_per(self) -> int:
        return len(self.per["fam"])

    def per_ruta(self) -> np.ndarray:
        """Ruta index of every person."""
        return self.fam["ruta"][self.per["fam"]]

    def age(self, at: np.datetime64 | np.ndarray | None = None, rows: np.ndarray | None = None) -> np.ndarray:
        """Age in whole years at `at` (default: the reference date) of everyone, or of `rows`."""
        when = self.ref if at is None else at
        birth = self.per["birth"] if rows is None else self.per["birth"][rows]
        days = (when - birth).astype(np.int64)
        return np.floor(days / 365.2425).astype(np.int16)

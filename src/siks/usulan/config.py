"""Instance settings of the usulan area, read from the environment so tests and deployments can set them.

- `SIKS_USULAN_TOP_LEVEL`: where this instance's approval chain ends (`pusat`, the default, or `kabupaten`
  for a siks run by one Dinas Sosial). Accepted usulan are applied to the registry when the top level
  takes its forward step: `terima` at pusat, `sahkan` (pengesahan) at kabupaten.
- `SIKS_DATA_DIR`: where uploaded files live (default `./siks-data`).
- `SIKS_MAX_UPLOAD_MB`: largest berita acara accepted (default 10).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from siks.domain.roles import Level
from siks.domain.usulan import Workflow


def top_level() -> Level:
    value = os.environ.get("SIKS_USULAN_TOP_LEVEL", "pusat").strip().lower()
    try:
        return Level(value)
    except ValueError:
        raise ValueError(
            f"SIKS_USULAN_TOP_LEVEL '{value}' tidak dikenal: pilih kabupaten atau pusat."
        ) from None


@lru_cache(maxsize=8)
def _workflow(top: Level) -> Workflow:
    return Workflow(top)


def workflow(top: Level | str | None = None) -> Workflow:
    """The state machine of this instance (cached per top level)."""
    return _workflow(Level(top) if top else top_level())


def data_dir() -> Path:
    return Path(os.environ.get("SIKS_DATA_DIR", "siks-data"))


def max_upload_bytes() -> int:
    return int(float(os.environ.get("SIKS_MAX_UPLOAD_MB", "10")) * 1024 * 1024)

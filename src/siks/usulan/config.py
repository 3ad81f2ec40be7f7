"""Instance settings of the usulan area, from `siks.settings` (`SIKS_USULAN_TOP_LEVEL`, `SIKS_DATA_DIR`,
`SIKS_MAX_UPLOAD_MB`; docs/settings.md): where the approval chain ends, where uploads live, how big they
may be. Accepted usulan are applied to the registry when the top level takes its forward step: `terima` at
pusat, `sahkan` (pengesahan) at kabupaten.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from siks.domain.roles import Level
from siks.domain.usulan import Workflow
from siks.settings import settings


def top_level() -> Level:
    return settings().usulan_top_level


@lru_cache(maxsize=8)
def _workflow(top: Level) -> Workflow:
    return Workflow(top)


def workflow(top: Level | str | None = None) -> Workflow:
    """The state machine of this instance (cached per top level)."""
    return _workflow(Level(top) if top else top_level())


def data_dir() -> Path:
    return settings().data_dir


def max_upload_bytes() -> int:
    return settings().max_upload_bytes

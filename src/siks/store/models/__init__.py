"""All models, so Alembic and `Base.metadata` see every table. Each area re-exports its module here."""

import siks.store.models.dci  # noqa: F401 - the dci area registers its tables
import siks.store.models.penetapan  # noqa: F401 - the penetapan area registers its tables
import siks.store.models.sync  # noqa: F401 - the sync area registers its tables
import siks.store.models.verval  # noqa: F401 - the verval area registers its tables
from siks.store.models import (  # noqa: F401 - the usulan area registers its tables
    fieldwork,
    odk,  # noqa: F401 - the odk area registers its tables
    pmt,  # noqa: F401 - official BPS/DTSEN desil (pmt area)
    ppks,  # noqa: F401 - the ppks area registers its tables
    usulan,
)
from siks.store.models.accounts import LoginAttempt, User, UserSession
from siks.store.models.registry import (
    Assessment,
    AssessmentMember,
    AuditEntry,
    Family,
    FamilyKK,
    Household,
    ImportBatch,
    Member,
)

__all__ = [
    "LoginAttempt",
    "User",
    "UserSession",
    "Assessment",
    "AssessmentMember",
    "AuditEntry",
    "Family",
    "FamilyKK",
    "Household",
    "ImportBatch",
    "Member",
]

"""ODK Collect / OpenRosa: the area lives in `siks.odk`; this name in `ROUTERS` adds its routes."""

from siks.odk.views import NAV, router

__all__ = ["NAV", "router"]

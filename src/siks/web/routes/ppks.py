"""PPKS and PSKS: the area lives in `siks.ppks`; this name in `ROUTERS` adds its pages and API."""

from siks.ppks.views import NAV, router

__all__ = ["NAV", "router"]

"""No personal data in logs: a filter on every handler, and a uvicorn log config that installs it.

The first defence is not to log personal data at all: searches are POSTs (no NIK or name in URLs, access
logs or Referer headers), and our code logs ids only. This filter is the second: it masks what lokal-id's
Samaran detects (NIK, KK, phone, names in context, …) with placeholders, and additionally every run of
15+ digits, which catches NIKs Samaran would skip because their region prefix is wrong — exactly the
broken NIKs a registry holds.
"""

from __future__ import annotations

import logging
import re
import sys

from lokal.samaran.logging import SamaranFilter

_LONG_NUMBER = re.compile(r"(?<!\d)\d{15,}(?!\d)")


class PersonalDataFilter(SamaranFilter):
    """Masks personal data in the formatted message (and exception text) of every record it sees."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name, mode="placeholder")

    def _mask(self, text: str) -> str:
        return _LONG_NUMBER.sub("[ANGKA]", super()._mask(text))


LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "siks", "fastapi")


def install(logger_names=LOGGERS) -> None:
    """Attach the filter to every handler of these loggers (idempotent)."""
    for name in logger_names:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
                handler.addFilter(PersonalDataFilter())


def configure(level: int = logging.INFO, stream=None) -> logging.Handler:
    """Root logging to `stream` (stderr) through the filter; returns the handler (tests read from it)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def uvicorn_log_config() -> dict:
    """uvicorn's logging config with our filter on both of its handlers."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"pii": {"()": PersonalDataFilter}},
        "formatters": {
            "default": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "access": {"format": "%(asctime)s %(levelname)s %(message)s"},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["pii"],
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "filters": ["pii"],
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "": {"handlers": ["default"], "level": "INFO"},
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }

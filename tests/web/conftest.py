"""Fixtures for tests/web; they live in support.py so test modules can import its data too."""

from browser_fixtures import browser, page  # noqa: F401
from web.support import (  # noqa: F401 - pytest finds fixtures by name here
    _cheap_argon2,
    app,
    client_for,
    seed,
    session,
    sqlite_engine,
    web_engine,
)

"""Fixtures shared with the usulan tests (both backends) and the web tests (seeded app, logged-in clients)."""

from browser_fixtures import browser  # noqa: F401
from web.support import _cheap_argon2, app, client_for, sqlite_engine  # noqa: F401
from workflow_support import user, wf_engine, wf_seed, wf_session  # noqa: F401

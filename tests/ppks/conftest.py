"""PPKS/PSKS tests: the workflow seed (users of every role in and out of scope, a few households) on both
databases, each test rolled back; the web app over SQLite for the HTTP tests; Chromium for the page."""

from browser_fixtures import browser, live_server  # noqa: F401
from workflow_support import api_app, client_for, user, wf_engine, wf_seed, wf_session  # noqa: F401

"""Shared fixtures of the usulan, verval lapangan and ganda tests."""

from browser_fixtures import browser, live_server  # noqa: F401
from workflow_support import api_app, client_for, user, wf_engine, wf_seed, wf_session  # noqa: F401

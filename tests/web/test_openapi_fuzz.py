"""Schemathesis against the JSON API's OpenAPI document (#17.13): generated requests for every operation,
sent in-process (ASGI) as a logged-in operator kabupaten, must never answer with a server error (5xx).

The log-in endpoints are left out (a generated log-out would end the test account's session). Examples per
operation are few: this runs in `make test`; the property is the absence of 500s, not speed.
"""

from __future__ import annotations

import os
import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from workflow_support import PASSWORD, forced_usulan, login, seeded_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore")

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))  # more for a longer hunt: FUZZ_EXAMPLES=500
# opkab may edit and sees the whole kabupaten (the seeded usulan and households are in it)
USER = os.environ.get("FUZZ_USER", "opkab")


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    with seeded_app(tmp, f"sqlite:///{tmp / 'siks.db'}", "uji-" + "x" * 40) as app:
        with Session(app.state.engine) as s:
            forced_usulan(s, app.state.seed, "diajukan", "desa")
            s.commit()
        yield app


@pytest.fixture(scope="module")
def auth(fuzz_app):
    """The session cookie and CSRF header of a logged-in test account."""
    with TestClient(fuzz_app) as c:
        login(c, USER, PASSWORD)
        return {"cookies": dict(c.cookies), "headers": {"X-CSRF-Token": c.headers["X-CSRF-Token"]}}


def test_no_server_error(fuzz_app, auth):
    """Every operation, generated cases; all failing operations are reported together.

    (Schemathesis's own pytest plugin reads a pytest private attribute that pytest 9 no longer has, so the
    cases are drawn from each operation's Hypothesis strategy here.)"""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzz_app).exclude(path="/api/v1/session")
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)  # fmt: skip
        def no_500(case):
            response = case.call(headers=auth["headers"], cookies=auth["cookies"])
            statuses.setdefault(case.operation.path, set()).add(response.status_code)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} {case.query or ''} {case.body!r:.200}: "
                f"{response.status_code} {response.text[:300]}"
            )

        try:
            no_500()
        except AssertionError as e:
            failures.append(str(e).splitlines()[0])
        except Exception as e:  # an exception raised through the ASGI transport is a server error too
            failures.append(f"{operation.label}: {type(e).__name__}: {e}"[:400])
    assert not failures, "\n".join(failures)
    assert statuses["/api/v1/me"] == {200}  # the cases ran logged in, not against the log-in wall

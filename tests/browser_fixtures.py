"""Shared browser-test fixtures: uvicorn on a free 127.0.0.1 port over a seeded database, Debian's Chromium
through Playwright, and helpers to log in and take screenshots into test-artifacts/. Every browser test
uses these: mark the module with `pytestmark = BROWSER_MARKS`.

Use from a conftest: `from browser_fixtures import browser, live_server  # noqa: F401`. `live_server`
serves the workflow seed (tests/workflow_support.py) and yields (base URL, engine, seed); modules that
serve other data start uvicorn with `serving(app)`.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

needs_chromium = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) or shutil.which("chromium")), reason="chromium not installed"
)
BROWSER_MARKS = [pytest.mark.browser, pytest.mark.xdist_group("browser"), needs_chromium]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app) -> Iterator[str]:
    """uvicorn serving `app` on a free 127.0.0.1 port, in a thread of this process; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """uvicorn in a thread of this process, serving the app over the workflow seed (SQLite).

    The instance ends its chain at kabupaten (pengesahan applies the usulan) and keeps uploads in a
    temporary data directory.
    """
    from argon2 import PasswordHasher
    from sqlalchemy.orm import Session

    from siks.accounts import service as accounts
    from siks.store.base import Base
    from siks.store.db import make_engine
    from siks.web.app import create_app
    from workflow_support import seed

    tmp = tmp_path_factory.mktemp("browser")
    saved = {k: os.environ.get(k) for k in ("SIKS_DATA_DIR", "SIKS_USULAN_TOP_LEVEL")}
    os.environ["SIKS_DATA_DIR"] = str(tmp / "data")
    os.environ["SIKS_USULAN_TOP_LEVEL"] = "kabupaten"
    hasher, accounts._hasher = accounts._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    engine = make_engine(f"sqlite:///{tmp / 'siks.db'}")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        data = seed(session)
    with serving(create_app(engine, secret_key="uji-browser-" + "w" * 32)) as base:
        yield base, engine, data
    engine.dispose()
    accounts._hasher = hasher
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
        b = p.chromium.launch(executable_path=executable, args=ARGS)
        yield b
        b.close()


def new_page(browser, viewport=DESKTOP):
    """A fresh context (its own cookies: one user each) and page."""
    context = browser.new_context(viewport=viewport, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def page(browser):
    """A fresh desktop page for one test; its context is closed afterwards."""
    pg = new_page(browser)
    yield pg
    pg.context.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, base: str, username: str) -> None:
    """Log in through the form, from a page with no session (the home page sends it to /masuk)."""
    from workflow_support import PASSWORD

    page.goto(base + "/")
    assert "/masuk" in page.url  # no session: the login form
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(base + "/")

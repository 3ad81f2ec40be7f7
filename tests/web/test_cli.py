"""`siks user add/list/unlock/disable`, `siks serve --help`, and the demo's account set."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from siks.accounts.service import check_assignment, is_blocked
from siks.cli import app
from siks.domain.roles import ROLE_CODES
from siks.store.db import make_engine, transaction, upgrade
from siks.store.models.accounts import LoginAttempt
from siks.store.models.registry import AuditEntry
from siks.web.demo import demo_accounts

runner = CliRunner()


def test_user_add_list_disable(tmp_path):
    url = f"sqlite:///{tmp_path / 'siks.db'}"
    upgrade(url)
    ok = runner.invoke(
        app,
        ["user", "add", "sari", "--peran", "operator_desa", "--wilayah", "3509152001", "--db", url,
         "--password-stdin"],
        input="kata-sandi-panjang\n",
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "35.09.15.2001" in ok.output
    bad = runner.invoke(
        app, ["user", "add", "andi", "--peran", "operator_desa", "--wilayah", "35.09", "--db", url,
              "--password-stdin"], input="kata-sandi-panjang\n",
    )  # fmt: skip
    assert bad.exit_code == 1 and "desa/kelurahan" in bad.output
    listed = runner.invoke(app, ["user", "list", "--db", url])
    assert "sari" in listed.output and "Jubung" in listed.output
    engine = make_engine(url)
    with transaction(engine) as s:
        s.add_all(LoginAttempt(username="sari", ip="10.1.1.1", success=False) for _ in range(5))
    with transaction(engine) as s:
        assert is_blocked(s, "sari", "10.1.1.1")
    unlocked = runner.invoke(app, ["user", "unlock", "sari", "--db", url])
    assert unlocked.exit_code == 0 and "5 percobaan" in unlocked.output, unlocked.output
    with transaction(engine) as s:
        assert not is_blocked(s, "sari", "10.1.1.1")
        assert s.scalar(select(AuditEntry).where(AuditEntry.reason == "buka blokir masuk")) is not None
    engine.dispose()
    assert runner.invoke(app, ["user", "unlock", "tidakada", "--db", url]).exit_code == 1
    assert runner.invoke(app, ["user", "disable", "sari", "--db", url]).exit_code == 0
    from siks.accounts.service import get_user

    engine = make_engine(url)
    with transaction(engine) as s:
        assert get_user(s, "sari").active is False
    engine.dispose()


def test_serve_and_demo_are_registered():
    assert runner.invoke(app, ["serve", "--help"]).exit_code == 0
    assert runner.invoke(app, ["demo", "--help"]).exit_code == 0


def test_demo_has_one_valid_account_per_role():
    accounts = demo_accounts("35.09.15.2001")
    assert sorted(a[1] for a in accounts) == sorted(ROLE_CODES)
    for _username, role, code, _name in accounts:
        check_assignment(role, code)  # raises when the wilayah level does not fit the role


def test_demo_accounts_are_created_once_and_work(tmp_path, _cheap_argon2):
    from siks.accounts import service
    from siks.web.demo import ensure_accounts
    from web.support import _build

    url = f"sqlite:///{tmp_path / 'siks.db'}"
    _build(url).dispose()  # a registry with households in 35.09.15.2001
    first = ensure_accounts(url, tmp_path)
    assert {a["role"] for a in first} == set(ROLE_CODES)
    desa = next(a for a in first if a["role"] == "operator_desa")
    assert "Jubung" in desa["wilayah"]
    again = ensure_accounts(url, tmp_path)  # a restart reuses the accounts and their passwords
    assert [(a["username"], a["password"]) for a in again] == [(a["username"], a["password"]) for a in first]
    assert oct((tmp_path / "akun-demo.json").stat().st_mode)[-3:] == "600"
    engine = make_engine(url)
    with transaction(engine) as s:
        assert (
            service.authenticate(s, desa["username"], desa["password"], "127.0.0.1").role == "operator_desa"
        )
    engine.dispose()


def _client_seen(options: dict, peer: str) -> str:
    """What address the app sees behind uvicorn's real middleware stack, for a request from `peer`."""
    import asyncio

    import uvicorn

    seen = {}

    async def app(scope, receive, send):
        seen["client"] = scope["client"][0]

    config = uvicorn.Config(app, **{k: v for k, v in options.items() if k != "workers"})
    config.load()
    scope = {"type": "http", "client": (peer, 5000), "headers": [(b"x-forwarded-for", b"6.6.6.6")],
             "scheme": "http", "path": "/", "query_string": b"", "method": "GET"}  # fmt: skip
    asyncio.run(config.loaded_app(scope, None, None))
    return seen["client"]


def test_forwarded_for_is_believed_only_from_configured_proxies():
    """uvicorn trusts 127.0.0.1 by default; siks trusts no proxy unless told (#17.6)."""
    from siks.web.cli import uvicorn_options

    assert _client_seen(uvicorn_options("127.0.0.1", 8000), "127.0.0.1") == "127.0.0.1"
    assert (
        _client_seen(uvicorn_options("127.0.0.1", 8000, trusted_proxies="10.0.0.2"), "10.0.0.2") == "6.6.6.6"
    )
    assert (
        _client_seen(uvicorn_options("127.0.0.1", 8000, trusted_proxies="10.0.0.2"), "127.0.0.1")
        == "127.0.0.1"
    )
    help_text = runner.invoke(app, ["serve", "--help"]).output
    assert "--proxy-tepercaya" in help_text


def test_workers_get_time_to_start_on_a_busy_machine():
    """uvicorn kills a worker that has not answered its health check in time; 5 s was too short under load."""
    import uvicorn

    from siks.web.cli import uvicorn_options

    config = uvicorn.Config("siks.web.app:app_from_env", **uvicorn_options("127.0.0.1", 8000, workers=2))
    assert config.timeout_worker_healthcheck >= 30
    assert config.workers == 2

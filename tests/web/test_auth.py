"""Login, rate limits, CSRF, cookies and sessions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from siks.accounts import service as accounts
from siks.errors import Invalid
from siks.store.db import make_engine, transaction, upgrade
from siks.store.models.accounts import LoginAttempt, User
from siks.web.app import create_app
from web.support import PASSWORD, login, make_client

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx.*")


def _csrf(client) -> str:
    return client.get("/api/v1/session").json()["csrf_token"]


def _try(client, username, password):
    return client.post("/api/v1/session", json={"username": username, "password": password},
                       headers={"X-CSRF-Token": _csrf(client)})  # fmt: skip


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_wrong_password_and_unknown_user_look_the_same(app):
    with make_client(app, "10.1.0.1") as c:
        wrong = _try(c, "desa", "salah-sekali")
        unknown = _try(c, "tidak-ada", "salah-sekali")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Nama pengguna atau kata sandi salah."


def test_html_login_flow(app):
    with make_client(app, "10.1.0.2") as c:
        form = c.get("/masuk")
        bad = c.post(
            "/masuk", data={"username": "kec", "password": "x", "csrf_token": _form_token(form.text)}
        )
        assert bad.status_code == 401 and "salah" in bad.text
        ok = c.post(
            "/masuk",
            data={
                "username": "kec",
                "password": PASSWORD,
                "csrf_token": _form_token(bad.text),
                "lanjut": "/cari",
            },
            follow_redirects=False,
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/cari"
        assert c.get("/").status_code == 200


def test_open_redirect_is_refused(app):
    with make_client(app, "10.1.0.3") as c:
        form = c.get("/masuk")
        r = c.post(
            "/masuk",
            data={
                "username": "kec",
                "password": PASSWORD,
                "csrf_token": _form_token(form.text),
                "lanjut": "//evil.example/",
            },  # fmt: skip
            follow_redirects=False,
        )
        assert r.headers["location"] == "/"


def test_failures_block_the_pair_not_the_owner(sqlite_engine, app):
    """5 failures from one address block that username there only; the owner elsewhere logs in (#17.2)."""
    with transaction(sqlite_engine) as s:
        accounts.create_user(s, "korban", PASSWORD, "operator_desa", "35.09.15.2001")
    with make_client(app, "10.2.0.1") as c:
        codes = [_try(c, "korban", "salah-terus").status_code for _ in range(accounts.PAIR_LIMIT)]
        assert codes == [401] * accounts.PAIR_LIMIT
        assert _try(c, "korban", PASSWORD).status_code == 429  # right password, still refused here
        r = _try(c, "korban", PASSWORD)
        assert r.status_code == 429 and "15 menit" in r.json()["detail"]
    with make_client(app, "10.2.0.2") as other_ip:  # the owner, from another address
        assert _try(other_ip, "korban", PASSWORD).status_code == 200
    restarted = create_app(sqlite_engine, secret_key="uji-" + "x" * 40)  # stored in the database
    with make_client(restarted, "10.2.0.1") as c:
        assert _try(c, "korban", PASSWORD).status_code == 429
    with transaction(sqlite_engine) as s:
        failures = select(LoginAttempt).where(
            LoginAttempt.username == "korban", LoginAttempt.success.is_(False)
        )
        assert len(s.scalars(failures).all()) == accounts.PAIR_LIMIT  # refused tries are not counted
        assert accounts.unlock(s, "admin", "korban") == accounts.PAIR_LIMIT
    with make_client(app, "10.2.0.1") as c:
        assert _try(c, "korban", PASSWORD).status_code == 200  # the admin lifted it


def test_refused_tries_do_not_keep_the_block_alive(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14)
    with transaction(engine) as s:
        accounts.create_user(s, "sasaran", PASSWORD, "pusat", None)
        s.add_all(LoginAttempt(username="sasaran", ip="9.9.9.9", success=False, at=t0) for _ in range(5))
    for _ in range(5):  # refused while blocked: nothing is written
        with pytest.raises(accounts.TooManyAttempts), transaction(engine) as s:
            accounts.authenticate(s, "sasaran", PASSWORD, "9.9.9.9")
    with transaction(engine) as s:  # 16 minutes after the failures the timed reset has lifted it
        assert not accounts.is_blocked(s, "sasaran", "9.9.9.9", now=t0 + dt.timedelta(minutes=16))
    engine.dispose()


def test_account_wide_failures_slow_strangers_not_the_owner(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    now = dt.datetime.now(dt.UTC)
    with transaction(engine) as s:
        accounts.create_user(s, "pejabat", PASSWORD, "pusat", None)
        s.add(LoginAttempt(username="pejabat", ip="10.0.0.5", success=True, at=now - dt.timedelta(days=2)))
        s.add_all(  # a botnet: one failure from each of many addresses
            LoginAttempt(
                username="pejabat", ip=f"172.16.0.{i}", success=False, at=now - dt.timedelta(seconds=1)
            )
            for i in range(accounts.ACCOUNT_SLOWDOWN + 3)
        )
    with transaction(engine) as s:
        assert accounts.is_blocked(s, "pejabat", "172.16.1.1", now=now)  # a new stranger waits 8 s
        assert not accounts.is_blocked(s, "pejabat", "172.16.1.1", now=now + dt.timedelta(seconds=10))
        assert not accounts.is_blocked(s, "pejabat", "10.0.0.5", now=now)  # the owner's own address
    engine.dispose()


def test_rate_limit_per_ip(app):
    with make_client(app, "10.3.0.1") as c:
        for i in range(accounts.IP_LIMIT):
            assert _try(c, f"tebakan{i}", "salah").status_code == 401
        assert _try(c, "kec", PASSWORD).status_code == 429  # this IP is blocked for names never used here
    with make_client(app, "10.3.0.2") as c:
        assert _try(c, "kec", PASSWORD).status_code == 200


def test_an_office_behind_nat_keeps_working(app):
    """20 failures from a shared address do not lock out a colleague who has logged in there (#17.2)."""
    with make_client(app, "10.3.1.1") as c:
        assert _try(c, "kec", PASSWORD).status_code == 200
        for i in range(accounts.IP_LIMIT + 5):
            _try(c, f"salah{i}", "salah")
        assert _try(c, "kec", PASSWORD).status_code == 200


def test_html_login_rate_limited(app):
    with make_client(app, "10.4.0.1") as c:
        for i in range(accounts.IP_LIMIT):
            _try(c, f"tebak{i}", "salah")
        form = c.get("/masuk")
        r = c.post(
            "/masuk", data={"username": "kec", "password": PASSWORD, "csrf_token": _form_token(form.text)}
        )
        assert r.status_code == 429 and "Terlalu banyak percobaan" in r.text


def test_csrf_missing_or_wrong_is_403(client_for, app, sqlite_engine):
    client = client_for("desa")
    token = client.headers.pop("X-CSRF-Token")
    hid = sqlite_engine.seed.households["R1"]
    assert client.post("/cari", data={"q": "siti"}).status_code == 403
    assert client.post("/cari", data={"q": "siti", "csrf_token": "palsu"}).status_code == 403
    assert client.post("/api/v1/search", json={"query": "siti"}).status_code == 403
    assert (
        client.patch(f"/api/v1/households/{hid}", json={"alamat": "x", "reason": "xxxxx"}).status_code == 403
    )
    assert client.post("/keluar").status_code == 403
    r = client.post("/cari", data={"q": "siti"})
    assert "CSRF" in r.text  # Indonesian page, not a bare error
    assert client.post("/cari", data={"q": "siti", "csrf_token": token}).status_code == 200
    with make_client(app) as anon:  # the login form is protected too
        assert anon.post("/masuk", data={"username": "desa", "password": PASSWORD}).status_code == 403
        assert (
            anon.post("/api/v1/session", json={"username": "desa", "password": PASSWORD}).status_code == 403
        )


def test_cookie_flags(app, sqlite_engine):
    with make_client(app) as c:
        r = c.get("/api/v1/session")
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("siks_sesi=") and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie
    secure_app = create_app(sqlite_engine, secret_key="uji-" + "y" * 40, cookie_secure=True)
    with make_client(secure_app) as c:
        assert "secure" in c.get("/api/v1/session").headers["set-cookie"].lower()


def test_session_rotates_and_logout_ends_it(app):
    with make_client(app, "10.5.0.1") as c:
        anon_cookie = c.get("/api/v1/session") and c.cookies.get("siks_sesi")
        login(c, "opkab")
        assert c.cookies.get("siks_sesi") != anon_cookie  # new session after login (no fixation)
        stolen = c.cookies.get("siks_sesi")
        assert c.get("/api/v1/me").json()["username"] == "opkab"
        assert c.delete("/api/v1/session").status_code == 204
        assert c.get("/api/v1/me").status_code == 401
    with make_client(app, "10.5.0.2") as thief:  # the old cookie is dead server-side
        thief.cookies.set("siks_sesi", stolen)
        assert thief.get("/api/v1/me").status_code == 401


def test_disabled_user_is_out(app, sqlite_engine):
    with transaction(sqlite_engine) as s:
        accounts.create_user(s, "pensiun", PASSWORD, "operator_kecamatan", "35.09.15")
    with make_client(app, "10.6.0.1") as c:
        login(c, "pensiun")
        with transaction(sqlite_engine) as s:
            s.scalar(select(User).where(User.username == "pensiun")).active = False
        assert c.get("/api/v1/me").status_code == 401
        assert _try(c, "pensiun", PASSWORD).status_code == 401


def test_passwords_are_argon2id(session):
    u = session.scalar(select(User).where(User.username == "desa"))
    assert u.password_hash.startswith("$argon2id$") and PASSWORD not in u.password_hash
    assert "password_hash" not in repr(u)


@pytest.mark.parametrize(
    ("role", "code"),
    [("operator_desa", "35.09"), ("operator_kabupaten", "35.09.15.2001"), ("pusat", "35"),
     ("operator_desa", None), ("operator_desa", "99.99.99.9999"), ("bupati", "35.09")],
)  # fmt: skip
def test_role_must_match_wilayah_level(session, role, code):
    with pytest.raises((Invalid, ValueError)):
        accounts.create_user(session, "baru", PASSWORD, role, code)


def test_user_creation_rules(session):
    with pytest.raises(Invalid):
        accounts.create_user(session, "desa", PASSWORD, "operator_desa", "35.09.15.2001")  # taken
    with pytest.raises(Invalid):
        accounts.create_user(session, "pendek", "1234", "operator_desa", "35.09.15.2001")
    u = accounts.create_user(session, "Baru.Satu", PASSWORD, "auditor", "3509", actor="uji")
    assert u.username == "baru.satu" and u.wilayah_code == "35.09"

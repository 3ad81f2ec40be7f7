"""HTTP Digest as siks checks it: the RFC example, stale and foreign nonces, Basic only over TLS."""

from __future__ import annotations

import base64

from siks.odk import digest

SECRET = "rahasia-" + "d" * 40


def test_rfc_2617_example_response():
    params = {"nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093", "uri": "/dir/index.html", "qop": "auth",
              "nc": "00000001", "cnonce": "0a4f113b"}  # fmt: skip
    ha1 = digest.ha1("Mufasa", "Circle Of Life", realm="testrealm@host.com")
    assert digest.response_for(ha1, "GET", params) == "6629fae49393a05397450978507c4ef1"


def _header(username, password, method, uri, nonce):
    params = {"nonce": nonce, "uri": uri, "qop": "auth", "nc": "00000001", "cnonce": "abc"}
    response = digest.response_for(digest.ha1(username, password), method, params)
    return (
        f'Digest username="{username}", realm="siks", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", qop=auth, nc=00000001, cnonce="abc", algorithm=MD5'
    )


def test_nonces_are_signed_and_expire():
    stored = digest.ha1("enum", "pw")
    fresh = digest.make_nonce(SECRET)
    creds = digest.parse(_header("enum", "pw", "GET", "/odk/formList", fresh))
    assert digest.check(creds, stored, "GET", "/odk/formList", SECRET, tls=False) == "ok"
    assert digest.check(creds, stored, "POST", "/odk/formList", SECRET, tls=False) == "bad"  # other method
    assert digest.check(creds, stored, "GET", "/odk/submission", SECRET, tls=False) == "bad"  # other URI
    assert digest.check(creds, digest.ha1("enum", "lain"), "GET", "/odk/formList", SECRET, False) == "bad"
    old = digest.make_nonce(SECRET, now=1_000_000)
    creds = digest.parse(_header("enum", "pw", "GET", "/odk/formList", old))
    assert digest.check(creds, stored, "GET", "/odk/formList", SECRET, tls=False) == "stale"
    forged = fresh.rsplit(".", 1)[0] + ".0000"
    creds = digest.parse(_header("enum", "pw", "GET", "/odk/formList", forged))
    assert digest.check(creds, stored, "GET", "/odk/formList", SECRET, tls=False) == "bad"
    assert "stale=true" in digest.challenge(SECRET, stale=True)


def test_basic_only_over_tls():
    stored = digest.ha1("enum", "pw")
    creds = digest.parse("Basic " + base64.b64encode(b"enum:pw").decode())
    assert digest.check(creds, stored, "GET", "/odk/formList", SECRET, tls=False) == "bad"
    assert digest.check(creds, stored, "GET", "/odk/formList", SECRET, tls=True) == "ok"
    assert digest.parse("Bearer x") is None and digest.parse("Basic !!!") is None

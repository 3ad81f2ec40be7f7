"""Envelopes and trust: tokens, signatures, JWKS, sender checks, message time, duplicates, rate limits.

Negative cases are spec-valid requests that siks must refuse with the spec's codes; the responses are
validated against the spec too. Malformed requests are shown to fail the validator as well as siks.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from openapi_core.exceptions import OpenAPIError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dci.support import BASE, nik_of, register, search_message
from siks.dci import trust
from siks.store.models.registry import AuditEntry

SYNC = "/registry/sync/search"


def _nik_search():
    return search_message({"query_type": "idtype-value", "query": {"type": "NIK", "value": nik_of("H1", 1)}})


def _error(got, status: int) -> str:
    assert got.status_code == status, got.text
    return got.json()["errors"][0]["code"]


def test_jwks_endpoint_publishes_the_key_siks_signs_with(http, jwks_spec, agencies, call):
    got = http.get(f"{BASE}/.well-known/jwks.json")
    assert got.status_code == 200
    jwks_spec.check_response("/.well-known/jwks.json", b"", 200, got.json(), method="get", headers={})
    (key,) = got.json()["keys"]
    assert key["kty"] == "OKP" and key["use"] == "sig" and "d" not in key
    bpjs = agencies["bpjs"]
    body = call(bpjs, SYNC, bpjs.envelope("search", _nik_search())).json()
    assert trust.verify(body["signature"], body["header"], body["message"], "siks", got.json()) == key["kid"]
    body["message"]["search_response"][0]["status"] = "rjct"  # one changed byte breaks it
    with pytest.raises(trust.TrustError):
        trust.verify(body["signature"], body["header"], body["message"], "siks", got.json())


def test_token_endpoint_follows_the_authz_spec(http, authz_spec, agencies):
    bpjs = agencies["bpjs"]
    form = {"grant_type": "client_credentials", "client_id": "bpjs", "client_secret": bpjs.secret}
    headers = {"timestamp": "Mon, 07 Dec 2026 04:00:00 GMT", "Authorization": "Bearer -"}
    encoded = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    kw = {"content_type": "application/x-www-form-urlencoded"}
    authz_spec.check_request("/oauth2/client/token", encoded, headers=headers, **kw)
    got = http.post(f"{BASE}/oauth2/client/token", data=form)
    authz_spec.check_response("/oauth2/client/token", encoded, 200, got.json(), headers=headers, **kw)
    assert got.json()["token_type"] == "bearer" and int(got.json()["expires_in"]) == 3600
    wrong = http.post(f"{BASE}/oauth2/client/token", data=form | {"client_secret": "salah"})
    assert _error(wrong, 401) == "err.request.unauthorized"


def test_no_or_forged_token_is_unauthorized(http, social_spec, agencies):
    bpjs = agencies["bpjs"]
    body = bpjs.envelope("search", _nik_search())
    for headers in ({}, {"Authorization": "Bearer bukan.token.sah"}):
        got = http.post(BASE + SYNC, json=body, headers=headers)
        social_spec.check_response(SYNC, body, got.status_code, got.json())
        assert _error(got, 401) == "err.request.unauthorized"
    other_key = trust.generate_key()
    forged, _ = trust.issue_token(other_key, "bpjs", "registry.search")
    got = http.post(BASE + SYNC, json=body, headers={"Authorization": f"Bearer {forged}"})
    assert _error(got, 401) == "err.request.unauthorized"


def test_bad_signature_is_refused(agencies, call):
    bpjs = agencies["bpjs"]
    stranger = trust.generate_key()
    got = call(bpjs, SYNC, bpjs.envelope("search", _nik_search(), sign_key=stranger))
    assert _error(got, 401) == "err.signature.invalid"
    tampered = bpjs.envelope("search", _nik_search())
    tampered["message"]["search_request"][0]["search_criteria"]["query"]["value"] = nik_of("H2", 1)
    assert _error(call(bpjs, SYNC, tampered), 401) == "err.signature.invalid"
    unsigned = bpjs.envelope("search", _nik_search())
    del unsigned["signature"]
    assert _error(call(bpjs, SYNC, unsigned), 401) == "err.signature.missing"


def test_expired_message_is_refused(agencies, call):
    bpjs = agencies["bpjs"]
    old = bpjs.envelope("search", _nik_search(), signed_now=time.time() - 3600, ttl=300)
    got = call(bpjs, SYNC, old)
    assert _error(got, 401) == "err.signature.invalid"
    assert "kedaluwarsa" in got.json()["errors"][0]["message"]


def test_stale_message_ts_and_duplicate_message_id_are_header_rejections(agencies, call):
    bpjs = agencies["bpjs"]
    got = call(bpjs, SYNC, bpjs.envelope("search", _nik_search(), ts_shift=-dt.timedelta(hours=2)))
    assert got.status_code == 400
    assert got.json()["header"]["status"] == "rjct"
    assert got.json()["header"]["status_reason_code"] == "rjct.message_ts.invalid"
    env = bpjs.envelope("search", _nik_search())
    assert call(bpjs, SYNC, env).status_code == 200
    again = call(bpjs, SYNC, env)
    assert again.json()["header"]["status_reason_code"] == "rjct.message_id.duplicate"


def test_sender_must_be_the_token_owner(agencies, call):
    bpjs, bank = agencies["bpjs"], agencies["bank"]
    env = bank.envelope("search", _nik_search())  # signed by the bank, sent with BPJS's token
    assert _error(call(bpjs, SYNC, env), 403) == "err.sender_id.invalid"
    wrong_receiver = bpjs.envelope("search", _nik_search(), receiver_id="dukcapil")
    assert _error(call(bpjs, SYNC, wrong_receiver), 403) == "err.receiver_id.invalid"


def test_rate_limit_per_client_counts_refused_requests_too(agencies, call, dci_engine):
    opd = agencies["opd"]  # 2 requests a minute
    stranger = trust.generate_key()
    codes = [call(opd, SYNC, opd.envelope("search", _nik_search(), sign_key=stranger)).status_code]
    for _ in range(2):
        got = call(opd, SYNC, opd.envelope("search", _nik_search()))
        codes.append(got.status_code)
    assert codes == [401, 200, 429]
    assert got.json()["errors"][0]["code"] == "err.request.too_many_requests"
    with Session(dci_engine) as session:
        refused = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.actor == "dci:opd", AuditEntry.action == "dci_tolak")
            .order_by(AuditEntry.id)
        ).all()
    assert [e.after["code"] for e in refused] == ["err.signature.invalid", "err.request.too_many_requests"]


def test_wrong_secrets_do_not_use_up_a_clients_limit(http, call, dci_engine, receiver):
    with Session(dci_engine, expire_on_commit=False) as session, session.begin():
        dinsos = register(session, "dinsos", rate=2, callback_uri=receiver.url)
    form = {"grant_type": "client_credentials", "client_id": "dinsos"}
    for _ in range(3):  # anyone can name a client with a wrong secret
        assert (
            http.post(f"{BASE}/oauth2/client/token", data=form | {"client_secret": "tebakan"}).status_code
            == 401
        )
    dinsos.token = http.post(
        f"{BASE}/oauth2/client/token", data=form | {"client_secret": dinsos.secret}
    ).json()["access_token"]
    codes = [call(dinsos, SYNC, dinsos.envelope("search", _nik_search())).status_code for _ in range(2)]
    assert codes == [200, 200]


def test_malformed_requests_fail_the_validator_and_siks(agencies, http, social_spec):
    bpjs = agencies["bpjs"]
    body = bpjs.envelope("search", _nik_search())
    del body["header"]["sender_id"]  # required by MsgHeader
    headers = {"Authorization": f"Bearer {bpjs.token}"}
    with pytest.raises(OpenAPIError):
        social_spec.check_request(SYNC, body, headers=headers)
    got = http.post(BASE + SYNC, json=body, headers=headers)
    social_spec.check_response(SYNC, body, got.status_code, got.json(), headers=headers)
    assert _error(got, 403) == "err.sender_id.invalid"
    message = _nik_search()
    message["search_request"][0]["search_criteria"]["query_type"] = "sql"
    body = bpjs.envelope("search", message)
    with pytest.raises(OpenAPIError):
        social_spec.check_request(SYNC, body, headers=headers)
    got = http.post(BASE + SYNC, json=body, headers=headers)
    (answer,) = got.json()["message"]["search_response"]
    assert answer["status"] == "rjct" and answer["status_reason_code"] == "rjct.search_criteria.invalid"


def test_responses_that_break_the_spec_are_caught_by_the_validator(social_spec, agencies):
    """The response check is not a formality: a wrong status value fails it."""
    bpjs = agencies["bpjs"]
    body = bpjs.envelope("search", _nik_search())
    bad = {
        "header": {
            "message_id": "1",
            "message_ts": "2026-12-07T00:00:00+00:00",
            "action": "on-search",
            "status": "ok",
        },
        "message": {"transaction_id": "t", "correlation_id": "c", "search_response": []},
    }
    with pytest.raises(OpenAPIError):
        social_spec.check_response(SYNC, body, 200, bad)
